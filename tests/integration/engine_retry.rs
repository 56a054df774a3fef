//! Interrupted downloads through the engine: a proxy cuts the data connection after K bytes;
//! the item retries and resumes with REST until it is byte-identical, and after five cut
//! attempts it is Failed with the reason.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind, log_texts};
use crate::cut_proxy::CutProxy;
use crate::skiff_cmd::{pseudo_random_bytes, sha256};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings, ExistsPolicy,
    ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::log::LogKind;
use skiff::remote::Server;

const K: usize = 700_000;

/// Runs one download through the engine behind a proxy that cuts `cuts` times.
fn download_through_cuts(
    cuts: usize,
    size: usize,
) -> (
    FtpServer,
    CutProxy,
    tempfile::TempDir,
    ItemState,
    Option<String>,
    crate::common::LogLines,
    Vec<u8>,
) {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(size, 21);
    server.write_file("file.bin", &content);
    let proxy = CutProxy::start(
        format!("127.0.0.1:{}", server.port()).parse().unwrap(),
        K,
        cuts,
    );
    let (mut options, lines) = server.connect_options();
    options.port = proxy.addr.port();
    let work = tempfile::tempdir().unwrap();
    let spec = TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local: work.path().join("file.bin"),
        remote: b"/file.bin".to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    };
    let rt = engine_runtime();
    let (state, error) = rt.block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                first_backoff: Duration::from_millis(50),
                ..EngineSettings::default()
            },
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let mut last = (ItemState::Queued, None);
        let outcome = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemChanged { state, error, .. } => {
                        last = (state, error.map(|e| e.to_string()));
                    }
                    EngineEvent::Idle(_) => break,
                    _ => {}
                }
            }
        })
        .await;
        assert!(outcome.is_ok(), "the engine did not finish within 60 s");
        handle.send(EngineCommand::Shutdown);
        last
    });
    (server, proxy, work, state, error, lines, content)
}

#[test]
fn cut_data_connections_are_retried_and_resumed_until_complete() {
    let (_server, proxy, work, state, error, lines, content) =
        download_through_cuts(2, 3 * 1024 * 1024 + 5);
    assert_eq!(state, ItemState::Successful, "{error:?}");
    assert_eq!(proxy.cuts_done(), 2);
    assert_eq!(
        sha256(&std::fs::read(work.path().join("file.bin")).unwrap()),
        sha256(&content)
    );
    let rests: Vec<String> = log_texts(&lines, LogKind::Command)
        .into_iter()
        .filter(|c| c.starts_with("REST "))
        .collect();
    assert_eq!(rests.len(), 2, "each retry resumes: {rests:?}");
    assert!(rests.iter().all(|r| r != "REST 0"));
}

#[test]
fn after_five_cut_attempts_the_item_fails_with_the_reason() {
    // Five attempts of 700,000 bytes each cannot complete 6 MiB.
    let (_server, proxy, work, state, error, _, _) =
        download_through_cuts(usize::MAX, 6 * 1024 * 1024);
    assert_eq!(state, ItemState::Failed);
    assert_eq!(proxy.cuts_done(), 5, "five attempts, each cut");
    let error = error.unwrap();
    // The reason is whichever side noticed first: Skiff (too few bytes, or the data
    // connection broke) or the server, whose write into the cut connection failed (426).
    assert!(
        error.contains("transfer incomplete")
            || error.contains("data connection")
            || error.contains("426"),
        "{error}"
    );
    // Nothing under the final name; what arrived is kept for a later resume.
    assert!(!work.path().join("file.bin").exists());
    assert!(work.path().join("file.bin.part").exists());
}

/// 550 (no such file), 553 (cannot store there) and 530 (wrong password) are permanent:
/// each item fails on its first attempt with the server's text, and nothing is sent again.
#[test]
fn permanent_failures_are_not_retried() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("up.txt"), b"nowhere to go").unwrap();
    std::fs::write(work.path().join("any.txt"), b"never sent").unwrap();
    let item =
        |direction, local: &str, remote: &str, options: skiff::net::ConnectOptions| TransferSpec {
            direction,
            kind: ItemKind::File,
            local: work.path().join(local),
            remote: remote.as_bytes().to_vec(),
            server: Arc::new(Server::from_ftp(options)),
            size: None,
            priority: Priority::Normal,
            exists: ExistsPolicy::Refuse,
            target_absent: false,
            filters: None,
            expect: None,
        };
    let (missing_opts, missing_log) = server.connect_options();
    let (store_opts, store_log) = server.connect_options();
    let (mut login_opts, login_log) = server.connect_options();
    login_opts.credentials.password = Some(skiff::secret::Secret::new("wrong-password"));
    // With three at once, all start together, each on a new connection with its own log.
    let specs = vec![
        item(
            Direction::Download,
            "missing.txt",
            "/missing.txt",
            missing_opts,
        ),
        item(
            Direction::Upload,
            "up.txt",
            "/no/such/dir/up.txt",
            store_opts,
        ),
        item(Direction::Upload, "any.txt", "/any.txt", login_opts),
    ];
    let rt = engine_runtime();
    let finals = rt.block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                first_backoff: Duration::from_millis(20),
                parallel: 3,
                ..EngineSettings::default()
            },
            // Short, so that a wrong retry shows as extra attempts rather than a slow test.
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut finals = std::collections::BTreeMap::new();
        let mut seen_retrying = Vec::new();
        let outcome = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemChanged {
                        id,
                        state,
                        attempts,
                        error,
                        ..
                    } => {
                        if state == ItemState::Retrying {
                            seen_retrying.push((id, error.clone()));
                        }
                        finals.insert(id.0, (state, attempts, error));
                    }
                    EngineEvent::Idle(_) => break,
                    _ => {}
                }
            }
        })
        .await;
        assert!(outcome.is_ok(), "the engine did not finish within 60 s");
        handle.send(EngineCommand::Shutdown);
        assert!(seen_retrying.is_empty(), "retried: {seen_retrying:?}");
        finals
    });
    let expect = |id: u64, text: &str| {
        let (state, attempts, error) = &finals[&id];
        assert_eq!(*state, ItemState::Failed, "item {id}: {error:?}");
        assert_eq!(*attempts, 1, "item {id} was retried: {error:?}");
        let error = error.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(error.contains(text), "item {id}: {error}");
    };
    expect(1, "the server replied 550 Failed to open file.");
    expect(2, "the server replied 553 Could not create file.");
    expect(3, "the server replied 530 Login incorrect.");
    let count = |lines: &crate::common::LogLines, prefix: &str| {
        log_texts(lines, LogKind::Command)
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    };
    assert_eq!(count(&missing_log, "RETR "), 1);
    assert_eq!(count(&store_log, "STOR "), 1);
    assert_eq!(count(&login_log, "PASS "), 1);
    assert_eq!(count(&login_log, "STOR "), 0);
    assert!(!work.path().join("missing.txt").exists());
    assert!(!work.path().join("missing.txt.part").exists());
    assert!(server.read_file("any.txt").is_none());
}
