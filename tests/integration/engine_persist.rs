//! The queue survives a restart: saved atomically with no password in it, read back with
//! interrupted items queued again and resuming from their `.part`; a damaged file is
//! reported and left alone.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind, log_texts};
use crate::skiff_cmd::{pseudo_random_bytes, sha256};
use skiff::engine::persist::{self, StoredItem};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineEvents, EngineHandle,
    ExistsPolicy, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::log::LogKind;
use skiff::secret::Secret;

fn spec(
    options: &Arc<skiff::net::ConnectOptions>,
    name: &str,
    dir: &std::path::Path,
) -> TransferSpec {
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: dir.join(name),
        remote: format!("/{name}").into_bytes(),
        server: Arc::clone(options),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
    }
}

fn config(queue_file: &std::path::Path, password: &str) -> EngineConfig {
    let password = password.to_owned();
    EngineConfig {
        queue_file: Some(queue_file.to_path_buf()),
        password_lookup: Some(Arc::new(move |_| Some(Secret::new(password.clone())))),
        first_backoff: Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

/// Collects events until the engine is idle (bounded), returning them.
async fn until_idle(events: &mut EngineEvents) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = events.recv().await {
            let idle = matches!(event, EngineEvent::Idle(_));
            seen.push(event);
            if idle {
                break;
            }
        }
    })
    .await;
    assert!(result.is_ok(), "the engine did not go idle: {seen:?}");
    seen
}

fn shutdown(handle: &EngineHandle) {
    handle.send(EngineCommand::Shutdown);
}

#[test]
fn the_queue_survives_a_restart_without_the_password() {
    // pure-ftpd's test login has a password unlike its user name, so a leak is unambiguous.
    let server = FtpServer::start(ServerKind::PureFtpd);
    for name in ["a.bin", "b.bin", "c.bin"] {
        server.write_file(name, name.as_bytes());
    }
    let work = tempfile::tempdir().unwrap();
    let queue_file = work.path().join("data/queue.json");
    let (options, _) = server.connect_options();
    let options = Arc::new(options);
    let rt = engine_runtime();

    // First run: queue three items with processing stopped, then quit.
    rt.block_on(async {
        let (handle, _events) =
            engine::spawn(config(&queue_file, server.password()), Arc::new(|| {}));
        handle.send(EngineCommand::ProcessQueue(false));
        let specs = ["a.bin", "b.bin", "c.bin"].map(|n| spec(&options, n, work.path()));
        handle.send(EngineCommand::Enqueue(specs.to_vec()));
        shutdown(&handle);
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let saved = std::fs::read(&queue_file).unwrap();
    let text = String::from_utf8_lossy(&saved);
    assert!(
        text.contains("a.bin") || text.contains(&hex_of("/a.bin")),
        "{text}"
    );
    let password = server.password();
    for leak in [password.to_owned(), hex_of(password), base64_of(password)] {
        assert!(
            !text.contains(&leak),
            "the queue file holds the password as {leak:?}"
        );
    }

    // Second run: the items come back and are transferred.
    let events = rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(&queue_file, password), Arc::new(|| {}));
        let seen = until_idle(&mut events).await;
        shutdown(&handle);
        seen
    });
    let added = events
        .iter()
        .filter(|e| matches!(e, EngineEvent::ItemAdded { .. }))
        .count();
    assert_eq!(added, 3);
    let Some(EngineEvent::Idle(counts)) = events.last() else {
        panic!("no idle event")
    };
    assert_eq!(counts.successful, 3);
    for name in ["a.bin", "b.bin", "c.bin"] {
        assert_eq!(
            std::fs::read(work.path().join(name)).unwrap(),
            name.as_bytes()
        );
    }
}

#[test]
fn an_item_that_was_running_resumes_after_a_crash() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(2 * 1024 * 1024, 77);
    server.write_file("big.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let queue_file = work.path().join("queue.json");
    // What a crash leaves: the item saved as running, a .part with the first 600,000 bytes.
    std::fs::write(work.path().join("big.bin.part"), &content[..600_000]).unwrap();
    let (options, _) = server.connect_options();
    let options = Arc::new(options);
    let item = spec(&options, "big.bin", work.path());
    persist::save(
        &queue_file,
        vec![StoredItem::new(&item, &ItemState::Running, 1, None)],
    )
    .unwrap();
    drop(options);

    let rt = engine_runtime();
    let events = rt.block_on(async {
        let (handle, mut events) =
            engine::spawn(config(&queue_file, server.password()), Arc::new(|| {}));
        let seen = until_idle(&mut events).await;
        shutdown(&handle);
        seen
    });
    let commands: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(line) if line.kind == LogKind::Command => Some(line.text.clone()),
            _ => None,
        })
        .collect();
    assert!(commands.contains(&"REST 600000".to_owned()), "{commands:?}");
    assert_eq!(
        sha256(&std::fs::read(work.path().join("big.bin")).unwrap()),
        sha256(&content)
    );
}

#[test]
fn a_damaged_queue_file_is_reported_and_left_alone() {
    let work = tempfile::tempdir().unwrap();
    let queue_file = work.path().join("queue.json");
    std::fs::write(&queue_file, b"{ this is not a queue").unwrap();
    let rt = engine_runtime();
    let (_, lines) = crate::common::capture_log();
    let errors = rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(&queue_file, "x"), Arc::new(|| {}));
        let mut errors = Vec::new();
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(300), events.recv()).await
        {
            if let EngineEvent::Log(line) = event {
                errors.push(line.text);
            }
        }
        shutdown(&handle);
        tokio::time::sleep(Duration::from_millis(100)).await;
        errors
    });
    assert!(errors.iter().any(|e| e.contains("damaged")), "{errors:?}");
    assert!(log_texts(&lines, LogKind::Error).is_empty());
    assert_eq!(
        std::fs::read(&queue_file).unwrap(),
        b"{ this is not a queue"
    );
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}
