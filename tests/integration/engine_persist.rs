//! The queue survives a restart: saved atomically with no password in it, read back with
//! interrupted items queued again and resuming from their `.part`; a damaged file is
//! reported and left alone.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::{pseudo_random_bytes, sha256};
use skiff::engine::persist::{self, StoredItem};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineEvents, EngineHandle,
    EngineSettings, ExistsPolicy, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::log::LogKind;
use skiff::remote::Server;
use skiff::secret::Secret;

fn spec(options: &Arc<skiff::remote::Server>, name: &str, dir: &std::path::Path) -> TransferSpec {
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: dir.join(name),
        remote: format!("/{name}").into_bytes(),
        server: Arc::clone(options),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

fn config(queue_file: &std::path::Path, password: &str) -> EngineConfig {
    let password = password.to_owned();
    EngineConfig {
        settings: EngineSettings {
            first_backoff: Duration::from_millis(50),
            ..EngineSettings::default()
        },
        queue_file: Some(queue_file.to_path_buf()),
        password_lookup: Some(Arc::new(move |_| Some(Secret::new(password.clone())))),
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

/// Waits (bounded: 30 s, 100,000 events) until the engine has ended, returning the events
/// seen meanwhile. The engine saves the queue file on its way out (`Engine::run`: the final
/// `save(true)` comes before the task ends and drops its event sender), so once the event
/// channel is closed the file is written, and nothing writes it any more.
async fn until_ended(events: &mut EngineEvents) -> Vec<EngineEvent> {
    let mut seen = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        for _ in 0..100_000 {
            match events.recv().await {
                Some(event) => seen.push(event),
                None => return true,
            }
        }
        false
    })
    .await;
    assert!(
        matches!(ended, Ok(true)),
        "the engine did not end ({ended:?}): {seen:?}"
    );
    seen
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
    let options = Arc::new(Server::from_ftp(options));
    let rt = engine_runtime();

    // First run: queue three items with processing stopped, then quit; the engine saves the
    // queue on its way out.
    rt.block_on(async {
        let (handle, mut events) =
            engine::spawn(config(&queue_file, server.password()), Arc::new(|| {}));
        handle.send(EngineCommand::ProcessQueue(false));
        let specs = ["a.bin", "b.bin", "c.bin"].map(|n| spec(&options, n, work.path()));
        handle.send(EngineCommand::Enqueue(specs.to_vec()));
        shutdown(&handle);
        until_ended(&mut events).await;
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
    let options = Arc::new(Server::from_ftp(options));
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
    // The engine reads the file as it starts; it has ended (and so will write nothing more)
    // when `until_ended` returns.
    let lines: Vec<(LogKind, String)> = rt.block_on(async {
        let (handle, mut events) = engine::spawn(config(&queue_file, "x"), Arc::new(|| {}));
        shutdown(&handle);
        until_ended(&mut events)
            .await
            .into_iter()
            .filter_map(|event| match event {
                EngineEvent::Log(line) => Some((line.kind, line.text)),
                _ => None,
            })
            .collect()
    });
    // Reported once, as an error naming the file.
    let reports: Vec<&(LogKind, String)> = lines
        .iter()
        .filter(|(_, text)| text.contains("damaged"))
        .collect();
    assert_eq!(reports.len(), 1, "{lines:?}");
    assert_eq!(reports[0].0, LogKind::Error, "{lines:?}");
    assert!(
        reports[0].1.contains(&queue_file.display().to_string()),
        "{lines:?}"
    );
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
