//! `RemoteOp::Search` on the engine itself: findings stream as `SearchFound` per folder and
//! `RemoteDone` ends the search; a search stopped before it begins lists nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::cancel::Cancel;
use skiff::engine::{self, EngineCommand, EngineConfig, EngineEvent, RemoteOp, RequestId};
use skiff::folder_sync::rules::{Condition, TextOp};
use skiff::remote::{ErrorKind, Server};
use skiff::search::Criteria;

/// A folder reported, and the paths found in it.
type Reported = (String, Vec<String>);

/// Runs one search to its end: the folders reported (with what was found in each), and
/// how it ended.
fn search(
    server: &FtpServer,
    cancel: Cancel,
) -> (Vec<Reported>, Result<(), skiff::remote::RemoteError>) {
    let (options, _) = server.connect_options();
    let options = Arc::new(Server::from_ftp(options));
    let rt = engine_runtime();
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::Remote {
            request: RequestId(7),
            server: Arc::clone(&options),
            op: RemoteOp::Search {
                root: b"/tree".to_vec(),
                criteria: Arc::new(Criteria {
                    conditions: vec![Condition::name(TextOp::Glob, "*.txt")],
                    ..Criteria::default()
                }),
                cancel,
            },
        });
        let mut folders = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match events.recv().await.unwrap() {
                    EngineEvent::SearchFound {
                        request: RequestId(7),
                        folder,
                        result,
                    } => {
                        let names = result.unwrap().iter().map(|e| e.name_lossy()).collect();
                        folders.push((String::from_utf8_lossy(&folder).into_owned(), names));
                    }
                    EngineEvent::RemoteDone {
                        request: RequestId(7),
                        result,
                    } => return result,
                    _ => {}
                }
            }
        })
        .await
        .expect("the search ends");
        handle.send(EngineCommand::Shutdown);
        (folders, ended)
    })
}

#[test]
fn a_search_reports_each_folder_as_it_is_listed_breadth_first() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("tree/a.txt", b"a");
    server.write_file("tree/sub/b.txt", b"b");
    server.write_file("tree/sub/c.bin", b"c");
    server.write_file("tree/sub/deeper/d.txt", b"d");
    let (folders, ended) = search(&server, Cancel::new());
    ended.unwrap();
    assert_eq!(
        folders,
        [
            ("/tree".to_owned(), vec!["/tree/a.txt".to_owned()]),
            ("/tree/sub".to_owned(), vec!["/tree/sub/b.txt".to_owned()]),
            (
                "/tree/sub/deeper".to_owned(),
                vec!["/tree/sub/deeper/d.txt".to_owned()]
            ),
        ]
    );
}

#[test]
fn a_search_stopped_before_it_begins_lists_nothing_and_ends_as_cancelled() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("tree/a.txt", b"a");
    let cancel = Cancel::new();
    cancel.cancel();
    let (folders, ended) = search(&server, cancel);
    assert!(folders.is_empty(), "{folders:?}");
    assert_eq!(ended.unwrap_err().kind(), ErrorKind::Cancelled);
}
