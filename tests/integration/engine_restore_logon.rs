//! A queue restored from the last run, as the window starts: the engine waits for "Process
//! queue" (`start_processing: false`), and the restored items (saved without a password)
//! take the password of the user's next logon to that server (`UpdateServer`).

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::engine::{
    self, Counts, Direction, EngineCommand, EngineConfig, EngineEvent, EngineEvents,
    EngineSettings, ExistsPolicy, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::remote::Server;

async fn until_idle(events: &mut EngineEvents) -> (Counts, Vec<(ItemState, Option<String>)>) {
    let mut changes = Vec::new();
    let counts = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = events.recv().await {
            match event {
                EngineEvent::ItemChanged { state, error, .. } => {
                    changes.push((state, error.map(|e| e.to_string())));
                }
                EngineEvent::Idle(counts) => return counts,
                _ => {}
            }
        }
        panic!("the engine ended");
    })
    .await
    .unwrap();
    (counts, changes)
}

#[test]
fn a_restored_queue_waits_and_then_uses_the_next_logons_password() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("report.pdf", b"quarterly figures");
    let work = tempfile::tempdir().unwrap();
    let queue_file = work.path().join("queue.json");
    let (with_password, _) = server.connect_options();
    let with_password = Arc::new(Server::from_ftp(with_password));
    let config = || EngineConfig {
        queue_file: Some(queue_file.clone()),
        start_processing: false,
        ..EngineConfig::default()
    };
    let rt = engine_runtime();

    // First run: queued but never processed, then the window closes.
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(), Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![TransferSpec {
            direction: Direction::Download,
            kind: ItemKind::File,
            local: work.path().join("report.pdf"),
            remote: b"/report.pdf".to_vec(),
            server: Arc::clone(&with_password),
            size: None,
            priority: Priority::Normal,
            exists: ExistsPolicy::Refuse,
            target_absent: false,
            filters: None,
            expect: None,
        }]));
        let added = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = events.recv().await {
                if let EngineEvent::ItemAdded { .. } = event {
                    return;
                }
            }
            panic!("the engine ended before announcing the item");
        })
        .await;
        assert!(added.is_ok());
        handle.send(EngineCommand::Shutdown);
        // The engine saves on the way out; wait (bounded) for its task to end.
        for _ in 0..100 {
            if events.recv().await.is_none() {
                break;
            }
        }
    });
    let saved = std::fs::read_to_string(&queue_file).unwrap();
    assert!(saved.contains("report.pdf"));
    // (That the file never holds a password is `engine_persist`'s business.)
    assert!(
        !std::path::Path::new(&work.path().join("report.pdf")).exists(),
        "nothing ran while stopped"
    );

    // Second run: the item is back, Queued, and waits for the user.
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(), Arc::new(|| {}));
        let restored = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = events.recv().await {
                if let EngineEvent::ItemAdded { remote, .. } = event {
                    return remote;
                }
            }
            panic!("the engine ended before restoring the item");
        })
        .await
        .unwrap();
        assert_eq!(restored, b"/report.pdf");
        // The user logs on again (quickconnect): the item takes that logon, then runs.
        handle.send(EngineCommand::UpdateServer(Arc::clone(&with_password)));
        handle.send(EngineCommand::ProcessQueue(true));
        let (counts, changes) = until_idle(&mut events).await;
        assert_eq!(counts.successful, 1, "{changes:?}");
        assert_eq!(counts.failed, 0, "{changes:?}");
        handle.send(EngineCommand::Shutdown);
    });
    assert_eq!(
        std::fs::read(work.path().join("report.pdf")).unwrap(),
        b"quarterly figures"
    );
}

#[test]
fn without_the_new_logon_a_restored_item_fails_with_the_servers_530() {
    // The control case: the queue file holds no password, so the restored item cannot log
    // on by itself; the failure carries the server's reply.
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("report.pdf", b"x");
    let work = tempfile::tempdir().unwrap();
    let queue_file = work.path().join("queue.json");
    let (options, _) = server.connect_options();
    let spec = TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: work.path().join("report.pdf"),
        remote: b"/report.pdf".to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    };
    let config = || EngineConfig {
        settings: EngineSettings {
            max_attempts: 1,
            ..EngineSettings::default()
        },
        queue_file: Some(queue_file.clone()),
        start_processing: false,
        ..EngineConfig::default()
    };
    let rt = engine_runtime();
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(), Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        handle.send(EngineCommand::Shutdown);
        for _ in 0..100 {
            if events.recv().await.is_none() {
                break;
            }
        }
    });
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(), Arc::new(|| {}));
        handle.send(EngineCommand::ProcessQueue(true));
        let (counts, changes) = until_idle(&mut events).await;
        assert_eq!(counts.failed, 1, "{changes:?}");
        let error = changes
            .iter()
            .rev()
            .find_map(|(_, e)| e.clone())
            .unwrap_or_default();
        assert!(error.contains("530"), "{error}");
        handle.send(EngineCommand::Shutdown);
    });
}
