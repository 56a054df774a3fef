//! The engine's face: coalesced progress events while transfers run, cancel and retry.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::{pseudo_random_bytes, sha256};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings, ExistsPolicy,
    ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::remote::Server;

fn download_spec(server: &FtpServer, dir: &std::path::Path) -> TransferSpec {
    let (options, _) = server.connect_options();
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: dir.join("slow.bin"),
        remote: b"/slow.bin".to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: Some(1_500_000),
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

/// Progress is reported per running item, several times a second, coalesced: one event per
/// tick with every running item in it, never one per chunk or per item.
#[test]
fn progress_comes_four_times_a_second_per_running_item_in_one_event() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let names = ["slow1.bin", "slow2.bin"];
    let contents: Vec<Vec<u8>> = (0..2)
        .map(|i| pseudo_random_bytes(1_500_000, 4 + i))
        .collect();
    for (name, content) in names.iter().zip(&contents) {
        server.write_file(name, content);
    }
    let work = tempfile::tempdir().unwrap();
    let specs: Vec<TransferSpec> = names
        .iter()
        .map(|name| TransferSpec {
            local: work.path().join(name),
            remote: format!("/{name}").into_bytes(),
            ..download_spec(&server, work.path())
        })
        .collect();
    let (reports, ids, elapsed) = engine_runtime().block_on(async {
        // Both at once, sharing 1,500,000 bytes/s: each runs about two seconds, and at
        // least 1.75 s (the limiter lets a quarter second's worth through at first).
        let config = EngineConfig {
            settings: EngineSettings {
                parallel: 2,
                download_limit: Some(1_500_000),
                ..EngineSettings::default()
            },
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut reports: Vec<Vec<(skiff::engine::ItemId, u64)>> = Vec::new();
        let mut ids = Vec::new();
        let mut first_start = None;
        let done = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemAdded { id, .. } => ids.push(id),
                    EngineEvent::ItemChanged {
                        state: ItemState::Running,
                        ..
                    } => {
                        first_start.get_or_insert_with(std::time::Instant::now);
                    }
                    EngineEvent::Progress(items) => {
                        reports.push(items.iter().map(|p| (p.id, p.bytes_done)).collect())
                    }
                    EngineEvent::Idle(counts) => return counts,
                    _ => {}
                }
            }
            panic!("the engine ended");
        })
        .await
        .unwrap();
        assert_eq!(done.successful, 2);
        handle.send(EngineCommand::Shutdown);
        // Only to bound the count from above: more ticks than time allows would mean
        // events per chunk rather than per tick.
        let elapsed = first_start.unwrap().elapsed().as_secs_f64();
        (reports, ids, elapsed)
    });
    assert_eq!(ids.len(), 2);
    for &id in &ids {
        let seen: Vec<u64> = reports
            .iter()
            .filter_map(|r| r.iter().find(|(i, _)| *i == id).map(|(_, b)| *b))
            .collect();
        // About eight reports at four a second over two seconds; four is a generous least.
        assert!(seen.len() >= 4, "item {id}: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "item {id}: {seen:?}");
    }
    // Coalesced: each event names an item at most once, and the two running items share
    // events instead of each having its own.
    for report in &reports {
        let mut named: Vec<_> = report.iter().map(|(id, _)| *id).collect();
        named.sort();
        named.dedup();
        assert_eq!(named.len(), report.len(), "{report:?}");
    }
    let shared = reports.iter().filter(|r| r.len() == 2).count();
    assert!(
        shared >= 3,
        "{shared} events with both items of {reports:?}"
    );
    let allowed = (elapsed * 4.0).ceil() as usize + 3;
    assert!(
        reports.len() <= allowed,
        "{} progress events in {elapsed:.2} s",
        reports.len()
    );
    for (name, content) in names.iter().zip(&contents) {
        assert_eq!(
            sha256(&std::fs::read(work.path().join(name)).unwrap()),
            sha256(content)
        );
    }
}

#[test]
fn a_cancelled_transfer_stops_and_a_retry_completes_it() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(1_500_000, 8);
    server.write_file("slow.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let spec = download_spec(&server, work.path());
    engine_runtime().block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                download_limit: Some(500_000),
                ..EngineSettings::default()
            },
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
                        let error = error.unwrap();
                        assert!(error.is_cancelled(), "{error}");
                        assert_eq!(error.to_string(), "Cancelled by the user");
                        assert!(!work.path().join("slow.bin").exists());
                        // Back into the queue, without the limit this time.
                        handle.send(EngineCommand::Configure(EngineSettings::default()));
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

fn item(
    server: &FtpServer,
    dir: &std::path::Path,
    name: &str,
    exists: ExistsPolicy,
) -> TransferSpec {
    let (options, _) = server.connect_options();
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: dir.join(name),
        remote: format!("/{name}").into_bytes(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

#[test]
fn a_file_exists_question_parks_only_its_item_and_apply_to_all_answers_the_rest() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    for name in ["a.txt", "b.txt", "c.txt"] {
        server.write_file(name, format!("new {name}").as_bytes());
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("a.txt"), b"old a").unwrap();
    std::fs::write(work.path().join("b.txt"), b"old b").unwrap();
    let specs: Vec<TransferSpec> = ["a.txt", "b.txt", "c.txt"]
        .iter()
        .map(|n| item(&server, work.path(), n, ExistsPolicy::Ask))
        .collect();
    let questions = engine_runtime().block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut questions = Vec::new();
        let mut pending_question = None;
        let mut free_item_done = false;
        let mut answered = false;
        let outcome = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::Question {
                        id,
                        existing,
                        local,
                        ..
                    } => {
                        questions.push((local, existing));
                        pending_question.get_or_insert(id);
                    }
                    // c.txt (item 3) has nothing in its way.
                    EngineEvent::ItemChanged {
                        id,
                        state: ItemState::Successful,
                        ..
                    } if id.0 == 3 => {
                        free_item_done = true;
                    }
                    EngineEvent::Idle(counts) => return counts,
                    _ => {}
                }
                // One answer, once the free item is through and a question waits.
                if let (false, true, Some(id)) = (answered, free_item_done, pending_question) {
                    answered = true;
                    handle.send(EngineCommand::Answer {
                        item: id,
                        policy: ExistsPolicy::Overwrite,
                        apply_to_all: true,
                    });
                }
            }
            panic!("engine ended");
        })
        .await
        .unwrap();
        assert_eq!(outcome.successful, 3);
        assert!(answered);
        handle.send(EngineCommand::Shutdown);
        questions
    });
    assert!(!questions.is_empty());
    let (_, existing) = &questions[0];
    assert_eq!(existing.source_size, Some(9));
    assert_eq!(existing.target_size, Some(5));
    for name in ["a.txt", "b.txt", "c.txt"] {
        assert_eq!(
            std::fs::read(work.path().join(name)).unwrap(),
            format!("new {name}").as_bytes()
        );
    }
}

#[test]
fn rename_and_size_policies() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("r.txt", b"remote r");
    server.write_file("s.txt", b"same");
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("r.txt"), b"local r").unwrap();
    std::fs::write(work.path().join("s.txt"), b"SAME").unwrap();
    let specs = vec![
        item(&server, work.path(), "r.txt", ExistsPolicy::Rename),
        item(
            &server,
            work.path(),
            "s.txt",
            ExistsPolicy::OverwriteIfSizeDiffers,
        ),
    ];
    let counts = engine_runtime().block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let counts = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = events.recv().await {
                if let EngineEvent::Idle(counts) = event {
                    return counts;
                }
            }
            panic!("engine ended");
        })
        .await
        .unwrap();
        handle.send(EngineCommand::Shutdown);
        counts
    });
    assert_eq!((counts.successful, counts.skipped), (1, 1));
    assert_eq!(
        std::fs::read(work.path().join("r.txt")).unwrap(),
        b"local r"
    );
    assert_eq!(
        std::fs::read(work.path().join("r (1).txt")).unwrap(),
        b"remote r"
    );
    assert_eq!(
        std::fs::read(work.path().join("s.txt")).unwrap(),
        b"SAME",
        "same size: left alone"
    );
}

#[test]
fn idle_pooled_connections_are_kept_alive_with_noop() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("k.txt", b"keep");
    let work = tempfile::tempdir().unwrap();
    let spec = item(&server, work.path(), "k.txt", ExistsPolicy::Refuse);
    let noops = engine_runtime().block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                keep_alive: Duration::from_millis(200),
                ..EngineSettings::default()
            },
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let mut noops = 0;
        // Bounded: at most 5 s, stopping at the second NOOP.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(event) = events.recv().await {
                if let EngineEvent::Log(line) = event
                    && line.text == "NOOP"
                {
                    noops += 1;
                    if noops == 2 {
                        return;
                    }
                }
            }
        })
        .await;
        handle.send(EngineCommand::Shutdown);
        noops
    });
    assert_eq!(noops, 2, "the idle connection was not kept alive");
    assert_eq!(std::fs::read(work.path().join("k.txt")).unwrap(), b"keep");
}

/// The CLI's engine sends no log events (its log is written from the sessions' own sink),
/// and the sessions still log every command there.
#[test]
fn an_engine_without_log_events_still_logs_through_the_sessions_sink() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("q.txt", b"quiet");
    let work = tempfile::tempdir().unwrap();
    let mut spec = item(&server, work.path(), "q.txt", ExistsPolicy::Refuse);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut logged = (*spec.server).clone();
    logged.log = logged
        .log
        .tee(move |line| sink.lock().unwrap().push(line.text));
    spec.server = Arc::new(logged);
    let (log_events, idle) = engine_runtime().block_on(async {
        let config = EngineConfig {
            log_events: false,
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let (mut log_events, mut idle) = (0, false);
        // Bounded: at most 20 s, stopping when the queue is done.
        let _ = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::Log(_) => log_events += 1,
                    EngineEvent::Idle(_) => {
                        idle = true;
                        return;
                    }
                    _ => {}
                }
            }
        })
        .await;
        handle.send(EngineCommand::Shutdown);
        (log_events, idle)
    });
    assert!(idle, "the queue never finished");
    assert_eq!(log_events, 0, "log lines were sent as events");
    assert_eq!(std::fs::read(work.path().join("q.txt")).unwrap(), b"quiet");
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|l| l == "RETR /q.txt") && seen.iter().any(|l| l.starts_with("226")),
        "the session's sink missed commands: {seen:?}"
    );
}

/// A site's "maximum simultaneous connections" holds back its own items only: with room for
/// four transfers, a server limited to one runs its files one after another while another
/// server's files run beside it.
#[test]
fn a_servers_own_connection_limit_holds_back_only_its_items() {
    let limited = FtpServer::start(ServerKind::Vsftpd);
    let free = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(150_000, 9);
    for name in ["a1.bin", "a2.bin", "a3.bin"] {
        limited.write_file(name, &content);
    }
    for name in ["b1.bin", "b2.bin"] {
        free.write_file(name, &content);
    }
    let work = tempfile::tempdir().unwrap();
    let spec = |server: &FtpServer, name: &str, max: Option<usize>| {
        let (mut limited, _) = server.server();
        limited.max_transfers = max;
        TransferSpec {
            local: work.path().join(name),
            remote: format!("/{name}").into_bytes(),
            server: Arc::new(limited),
            size: Some(content.len() as u64),
            ..download_spec(server, work.path())
        }
    };
    let specs = vec![
        spec(&limited, "a1.bin", Some(1)),
        spec(&limited, "a2.bin", Some(1)),
        spec(&limited, "a3.bin", Some(1)),
        spec(&free, "b1.bin", None),
        spec(&free, "b2.bin", None),
    ];
    let limited_locals: Vec<_> = specs[..3].iter().map(|s| s.local.clone()).collect();
    let (max_limited, max_all) = engine_runtime().block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                parallel: 4,
                download_limit: Some(500_000),
                ..EngineSettings::default()
            },
            // Slow enough that the files overlap: 750,000 bytes over about 1.5 s.
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut locals = std::collections::HashMap::new();
        let mut running = std::collections::HashSet::new();
        let (mut max_limited, mut max_all) = (0, 0);
        let counts = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemAdded { id, local, .. } => {
                        locals.insert(id, local);
                    }
                    EngineEvent::ItemChanged { id, state, .. } => {
                        if state == ItemState::Running {
                            running.insert(id);
                        } else {
                            running.remove(&id);
                        }
                        let limited_now = running
                            .iter()
                            .filter(|id| limited_locals.contains(&locals[*id]))
                            .count();
                        max_limited = max_limited.max(limited_now);
                        max_all = max_all.max(running.len());
                    }
                    EngineEvent::Idle(counts) => return counts,
                    _ => {}
                }
            }
            panic!("the engine ended");
        })
        .await
        .unwrap();
        assert_eq!(counts.successful, 5, "{counts:?}");
        handle.send(EngineCommand::Shutdown);
        (max_limited, max_all)
    });
    assert_eq!(
        max_limited, 1,
        "the limited server ran more than one transfer at once"
    );
    assert!(max_all >= 3, "only {max_all} transfers ran at once");
    for name in ["a1.bin", "a2.bin", "a3.bin", "b1.bin", "b2.bin"] {
        assert_eq!(std::fs::read(work.path().join(name)).unwrap(), content);
    }
}
