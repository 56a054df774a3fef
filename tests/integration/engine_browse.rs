//! Browsing through the engine: listings and remote operations on a server's browsing
//! connection, answered by request id, with the server's text on failure.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::engine::{self, EngineCommand, EngineConfig, EngineEvent, RemoteOp, RequestId};
use skiff::remote::Server;

#[test]
fn listings_and_remote_operations_are_answered_by_request() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("docs/readme.txt", b"hello");
    let (options, _) = server.connect_options();
    let options = Arc::new(Server::from_ftp(options));
    let rt = engine_runtime();
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        let ops = [
            RemoteOp::List(Vec::new()),
            RemoteOp::List(b"/docs".to_vec()),
            RemoteOp::Mkdir(b"/docs/new".to_vec()),
            RemoteOp::Rename {
                from: b"/docs/readme.txt".to_vec(),
                to: b"/docs/renamed.txt".to_vec(),
            },
            RemoteOp::Delete(b"/docs/renamed.txt".to_vec()),
            RemoteOp::List(b"/no/such/dir".to_vec()),
        ];
        for (i, op) in ops.into_iter().enumerate() {
            handle.send(EngineCommand::Remote {
                request: RequestId(i as u64),
                server: Arc::clone(&options),
                op,
            });
        }
        let mut answers = std::collections::BTreeMap::new();
        let collected = tokio::time::timeout(Duration::from_secs(30), async {
            while answers.len() < 6 {
                match events.recv().await.unwrap() {
                    EngineEvent::Listing {
                        request,
                        path,
                        entries,
                    } => {
                        let names: Vec<String> = entries.iter().map(|e| e.name_lossy()).collect();
                        answers.insert(
                            request.0,
                            Ok((String::from_utf8_lossy(&path).into_owned(), names)),
                        );
                    }
                    EngineEvent::RemoteDone { request, result } => {
                        answers.insert(request.0, result.map(|()| (String::new(), Vec::new())));
                    }
                    _ => {}
                }
            }
        })
        .await;
        assert!(collected.is_ok(), "{answers:?}");
        handle.send(EngineCommand::Shutdown);
        let (home, names) = answers[&0].clone().unwrap();
        assert_eq!(home, "/");
        assert_eq!(names, ["docs"]);
        let (docs, names) = answers[&1].clone().unwrap();
        assert_eq!(docs, "/docs");
        assert_eq!(names, ["readme.txt"]);
        for i in 2..=4 {
            assert!(answers[&i].is_ok(), "{i}: {:?}", answers[&i]);
        }
        let err = answers[&5].clone().unwrap_err();
        assert_eq!(err.reply().map(|r| r.code), Some(550), "{err}");
        assert_eq!(err.kind(), skiff::remote::ErrorKind::Refused);
    });
    assert!(server.root().join("docs/new").is_dir());
    assert!(server.read_file("docs/readme.txt").is_none());
    assert!(server.read_file("docs/renamed.txt").is_none());
}
