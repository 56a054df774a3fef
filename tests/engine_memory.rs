//! 100,000 queued items stay within the 200 MiB budget (the whole test process's RSS).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind, Priority,
    TransferSpec,
};
use skiff::net::ConnectOptions;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_hundred_thousand_queued_items_stay_under_200_mib() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let before = rss_kib();
    let counted = rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::ProcessQueue(false));
        let server = Arc::new(ConnectOptions::new("127.0.0.1", 1));
        for batch in 0..10 {
            let specs = (0..10_000)
                .map(|i| TransferSpec {
                    direction: Direction::Download,
                    kind: ItemKind::File,
                    local: format!("/tmp/skiff-never/dir{batch}/file-{i:06}.dat").into(),
                    remote: format!("/data/dir{batch}/file-{i:06}.dat").into_bytes(),
                    server: Arc::clone(&server),
                    size: Some(4096),
                    priority: Priority::Normal,
                    exists: ExistsPolicy::Refuse,
                })
                .collect();
            handle.send(EngineCommand::Enqueue(specs));
        }
        // Drain the 100,000 ItemAdded events as a face would.
        let mut added = 0;
        while added < 100_000 {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
                Ok(Some(EngineEvent::ItemAdded { .. })) => added += 1,
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        handle.send(EngineCommand::Shutdown);
        added
    });
    let after = rss_kib();
    assert_eq!(counted, 100_000);
    println!(
        "RSS before {} KiB, with 100,000 items {} KiB",
        before, after
    );
    assert!(after < 200 * 1024, "RSS {after} KiB");
}
