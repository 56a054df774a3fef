//! The engine's face: coalesced progress events while a transfer runs, cancel and retry.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
mod skiff_cmd;

use std::sync::Arc;
use std::time::Duration;

use common::{FtpServer, ServerKind};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind, ItemState,
    Priority, TransferSpec,
};
use skiff_cmd::{pseudo_random_bytes, sha256};

fn download_spec(server: &FtpServer, dir: &std::path::Path) -> TransferSpec {
    let (options, _) = server.connect_options();
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: dir.join("slow.bin"),
        remote: b"/slow.bin".to_vec(),
        server: Arc::new(options),
        size: Some(1_500_000),
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn progress_arrives_several_times_a_second_and_grows() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(1_500_000, 4);
    server.write_file("slow.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let spec = download_spec(&server, work.path());
    let progress = runtime().block_on(async {
        // 1,000,000 bytes/s: the download runs about one and a half seconds.
        let config = EngineConfig {
            download_limit: Some(1_000_000),
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let mut progress = Vec::new();
        let done = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::Progress(items) => {
                        progress.extend(items.iter().map(|p| p.bytes_done))
                    }
                    EngineEvent::Idle(counts) => return counts,
                    _ => {}
                }
            }
            panic!("the engine ended");
        })
        .await
        .unwrap();
        assert_eq!(done.successful, 1);
        handle.send(EngineCommand::Shutdown);
        progress
    });
    // About six reports at four a second; three is the least a 1.5 s transfer can give.
    assert!(progress.len() >= 3, "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(
        sha256(&std::fs::read(work.path().join("slow.bin")).unwrap()),
        sha256(&content)
    );
}

#[test]
fn a_cancelled_transfer_stops_and_a_retry_completes_it() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(1_500_000, 8);
    server.write_file("slow.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let spec = download_spec(&server, work.path());
    runtime().block_on(async {
        let config = EngineConfig {
            download_limit: Some(500_000),
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let mut id = None;
        let mut cancelled = false;
        let result = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemAdded { id: added, .. } => id = Some(added),
                    EngineEvent::Progress(_) if !cancelled => {
                        handle.send(EngineCommand::Cancel(id.unwrap()));
                        cancelled = true;
                    }
                    EngineEvent::ItemChanged {
                        state: ItemState::Failed,
                        error,
                        ..
                    } => {
                        assert_eq!(error.as_deref(), Some("Cancelled by the user"));
                        assert!(!work.path().join("slow.bin").exists());
                        // Back into the queue, without the limit this time.
                        handle.send(EngineCommand::SetLimits {
                            download: None,
                            upload: None,
                        });
                        handle.send(EngineCommand::Retry(id.unwrap()));
                    }
                    EngineEvent::Idle(counts) if cancelled && counts.successful == 1 => return,
                    _ => {}
                }
            }
        })
        .await;
        assert!(result.is_ok(), "the retried item never completed");
        handle.send(EngineCommand::Shutdown);
    });
    assert_eq!(
        sha256(&std::fs::read(work.path().join("slow.bin")).unwrap()),
        sha256(&content)
    );
}
