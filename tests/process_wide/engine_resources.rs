//! File descriptors stay bounded while the queue fails against a host that cannot serve:
//! 200 items against a loopback port where nothing listens, and items against a listener
//! that takes connections and never speaks. The open descriptors of this process are
//! counted before, throughout (sampled) and after; only the running transfers' sockets may
//! add to them, never the queue's length. (The 100,000-item memory budget is
//! `engine_memory.rs`.)

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use skiff::engine::{
    self, Counts, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings,
    ExistsPolicy, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::remote::Server;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Samples the descriptor count every 2 ms until stopped (at most 60 s); returns the peak.
struct FdSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<()>,
}

impl FdSampler {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::Builder::new()
            .name("fd-sampler".into())
            .spawn(move || {
                for _ in 0..30_000 {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    // read_dir holds one descriptor of its own while counting.
                    p.fetch_max(open_fds().saturating_sub(1), Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
            .unwrap();
        Self { stop, peak, thread }
    }

    fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        self.peak.load(Ordering::SeqCst)
    }
}

/// Queues `count` downloads from `host:port`, runs them until the queue is idle and returns
/// the final counts, the errors seen, and the descriptor counts before, at peak and after.
fn run_against(
    host: &str,
    port: u16,
    count: usize,
    config: EngineConfig,
) -> (Counts, Vec<String>, usize, usize, usize) {
    // They count the whole process's descriptors: nothing else may run meanwhile.
    let _alone = crate::alone();
    let work = tempfile::tempdir().unwrap();
    let mut server = Server::ftp(host, port);
    server.credentials.user = Some("nobody".into());
    server.timeout = Duration::from_secs(1);
    let server = Arc::new(server);
    let specs: Vec<TransferSpec> = (0..count)
        .map(|i| TransferSpec {
            direction: Direction::Download,
            kind: ItemKind::File,
            local: work.path().join(format!("f{i:03}.bin")),
            remote: format!("/f{i:03}.bin").into_bytes(),
            server: Arc::clone(&server),
            size: None,
            priority: Priority::Normal,
            exists: ExistsPolicy::Refuse,
            target_absent: false,
            filters: None,
            expect: None,
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The runtime's own descriptors (its epoll and wake-up descriptors) are open once it is
    // built: they are part of `before`.
    let before = open_fds();
    let sampler = FdSampler::start();
    let (counts, errors) = rt.block_on(async {
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut errors = Vec::new();
        let counts = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemChanged {
                        state: ItemState::Failed,
                        error,
                        ..
                    } => errors.push(error.map(|e| e.to_string()).unwrap_or_default()),
                    EngineEvent::Idle(counts) => return Some(counts),
                    _ => {}
                }
            }
            None
        })
        .await
        .expect("the queue did not finish within 60 s")
        .expect("the engine ended");
        handle.send(EngineCommand::Shutdown);
        // The engine closes its connections and ends, and its event channel with it
        // (bounded: 10 s, 10,000 events).
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            for _ in 0..10_000 {
                if events.recv().await.is_none() {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            matches!(ended, Ok(true)),
            "the engine did not end: {ended:?}"
        );
        (counts, errors)
    });
    let peak = sampler.finish();
    drop(rt);
    let after = open_fds();
    // Nothing was written for items that never reached the server.
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
    (counts, errors, before, peak, after)
}

#[test]
fn two_hundred_items_against_a_port_where_nothing_listens_use_no_more_than_the_parallel_sockets() {
    // A loopback address and a port where nothing listens: every connect is refused.
    let port = {
        let probe = TcpListener::bind("127.0.0.3:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let config = EngineConfig {
        settings: EngineSettings {
            parallel: 10,
            max_attempts: 2,
            first_backoff: Duration::from_millis(10),
            ..EngineSettings::default()
        },
        ..EngineConfig::default()
    };
    let (counts, errors, before, peak, after) = run_against("127.0.0.3", port, 200, config);
    println!("descriptors: before {before}, peak {peak}, after {after}");
    assert_eq!(counts.failed, 200, "{counts:?}");
    assert_eq!(errors.len(), 200);
    let expected = format!("could not connect to 127.0.0.3:{port}");
    assert!(
        errors.iter().all(|e| e.starts_with(&expected)),
        "{:?}",
        errors.iter().find(|e| !e.starts_with(&expected))
    );
    // At most one socket per running transfer (10), plus a little slack for the runtime.
    assert!(peak <= before + 10 + 6, "before {before}, peak {peak}");
    assert!(after <= before + 2, "before {before}, after {after}");
}

#[test]
fn items_against_a_server_that_never_speaks_time_out_without_piling_up_sockets() {
    // The kernel completes each connection (backlog), but nothing is ever accepted or sent.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let config = EngineConfig {
        settings: EngineSettings {
            parallel: 10,
            max_attempts: 1,
            ..EngineSettings::default()
        },
        ..EngineConfig::default()
    };
    let (counts, errors, before, peak, after) = run_against("127.0.0.1", port, 40, config);
    println!("descriptors: before {before}, peak {peak}, after {after}");
    assert_eq!(counts.failed, 40, "{counts:?}");
    assert!(
        errors
            .iter()
            .all(|e| e == "timed out after 1 s while waiting for the welcome message"),
        "{errors:?}"
    );
    assert!(peak <= before + 10 + 6, "before {before}, peak {peak}");
    assert!(after <= before + 2, "before {before}, after {after}");
    drop(silent);
}
