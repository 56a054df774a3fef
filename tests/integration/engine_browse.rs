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

/// The window's Synchronize dialog's way to the checksum criterion, step by step: the walks,
/// the files to hash (`needs_checksum`), the server's checksums (`RemoteOp::Checksums`,
/// answered by `EngineEvent::Checksums`), the local side compared (`compare_checksums`),
/// and the plan (`plan_with_checksums`).
#[test]
fn checksums_come_from_the_browsing_session_and_decide_the_plan() {
    use skiff::engine::sync::SyncSetup;
    use skiff::engine::{Direction, walk};
    use skiff::folder_sync::{Criterion, PlanOptions, What};

    let server = FtpServer::start_with(
        ServerKind::Proftpd,
        crate::common::ServerOptions {
            digest: true,
            ..Default::default()
        },
    );
    server.write_file("site/same.txt", b"same");
    server.write_file("site/edit.txt", b"theirs");
    server.write_file("site/gone.txt", b"x");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("same.txt"), b"same").unwrap();
    std::fs::write(local.path().join("edit.txt"), b"mine!!").unwrap();
    let (options, lines) = server.connect_options();
    let remote = Arc::new(Server::from_ftp(options));
    let setup = SyncSetup {
        direction: Direction::Download,
        local_root: local.path().to_path_buf(),
        remote_root: b"/site".to_vec(),
        server: Arc::clone(&remote),
        filters: None,
        time_offset_minutes: 0,
    };
    let rt = engine_runtime();
    let (plan, checksums) = rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        let mut ask = async |request: u64, op: RemoteOp| {
            handle.send(EngineCommand::Remote {
                request: RequestId(request),
                server: Arc::clone(&remote),
                op,
            });
            tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    match events.recv().await.unwrap() {
                        event @ (EngineEvent::Listing { .. } | EngineEvent::Checksums { .. }) => {
                            return event;
                        }
                        EngineEvent::RemoteDone { result, .. } => panic!("{result:?}"),
                        _ => {}
                    }
                }
            })
            .await
            .expect("an answer")
        };
        let walk = RemoteOp::Walk {
            root: setup.remote_root.clone(),
            filters: None,
        };
        let EngineEvent::Listing { entries, .. } = ask(1, walk).await else {
            panic!("a listing");
        };
        let local_tree = walk::local_tree(local.path(), remote.charset, None).unwrap();
        let sides = setup.sides(&entries, local_tree);
        let paths = skiff::folder_sync::needs_checksum(&sides.source, &sides.target);
        assert_eq!(paths.len(), 2, "same size on both sides: {paths:?}");
        let EngineEvent::Checksums { result, .. } =
            ask(2, setup.checksum_request(&sides, &paths)).await
        else {
            panic!("checksums");
        };
        let checksums = result.unwrap();
        handle.send(EngineCommand::Shutdown);
        let check = setup.compare_checksums(&sides, &paths, &checksums);
        assert!(check.unchecked.is_empty(), "{:?}", check.unchecked);
        let options = PlanOptions {
            criterion: Criterion::Checksum,
            ..PlanOptions::default()
        };
        let plan = skiff::folder_sync::plan_with_checksums(
            &sides.source,
            &sides.target,
            &options,
            &check.same,
        );
        (plan, checksums)
    });
    assert_eq!(
        checksums.algorithm,
        skiff::proto::hash::Algorithm::Sha512,
        "the strongest mod_digest offers"
    );
    let steps: Vec<(String, What)> = plan
        .actions
        .iter()
        .map(|a| (String::from_utf8_lossy(&a.path).into_owned(), a.what))
        .collect();
    assert_eq!(
        steps,
        [
            ("edit.txt".to_owned(), What::Update),
            ("gone.txt".to_owned(), What::Copy)
        ]
    );
    assert_eq!(plan.identical, 1);
    // Every command and reply is in the message log, as for any other operation.
    use skiff::log::LogKind;
    let commands = crate::common::log_texts(&lines, LogKind::Command);
    assert!(
        commands.iter().any(|l| l == "OPTS HASH SHA-512"),
        "{commands:?}"
    );
    let replies = crate::common::log_texts(&lines, LogKind::Response);
    assert!(
        replies.iter().any(|l| l.starts_with("213 SHA-512 0-4 ")),
        "{replies:?}"
    );
}
