//! Cancelling a running transfer through the engine: ABOR goes out on the transfer's own
//! control connection, and the next item runs on that same connection once the server has
//! answered (real servers), or on a new one when the server never answers ABOR (scripted).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, LogLines, ServerKind, ServerOptions, ServerTls};
use crate::scripted::{ScriptedServer, Step, client_options, logon_for_binary_transfer, send};
use crate::skiff_cmd::{pseudo_random_bytes, sha256};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings, ExistsPolicy,
    ItemId, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::log::{ConnId, LogKind};
use skiff::net::tls::TlsMode;
use skiff::remote::Server;

fn spec(
    server: &Arc<Server>,
    direction: Direction,
    local: std::path::PathBuf,
    remote: &str,
    size: Option<u64>,
) -> TransferSpec {
    TransferSpec {
        direction,
        kind: ItemKind::File,
        local,
        remote: remote.as_bytes().to_vec(),
        server: Arc::clone(server),
        size,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

/// Runs `specs` one at a time, cancels the first item at its first progress report, and
/// returns every item's last state and error once the queue is idle (60 s at most).
fn cancel_first_and_run_the_rest(
    config: EngineConfig,
    specs: Vec<TransferSpec>,
) -> HashMap<ItemId, (ItemState, Option<String>)> {
    engine_runtime().block_on(async {
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(specs));
        let mut first = None;
        let mut cancelled = false;
        let mut last = HashMap::new();
        let outcome = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemAdded { id, .. } => {
                        first.get_or_insert(id);
                    }
                    EngineEvent::Progress(items)
                        if !cancelled && items.iter().any(|p| Some(p.id) == first) =>
                    {
                        handle.send(EngineCommand::Cancel(first.unwrap()));
                        cancelled = true;
                    }
                    EngineEvent::ItemChanged {
                        id, state, error, ..
                    } => {
                        last.insert(id, (state, error.map(|e| e.to_string())));
                    }
                    EngineEvent::Idle(_) if cancelled => return,
                    _ => {}
                }
            }
        })
        .await;
        assert!(outcome.is_ok(), "the queue did not finish within 60 s");
        assert!(cancelled, "the first item never reported progress");
        handle.send(EngineCommand::Shutdown);
        last
    })
}

/// The commands logged, with the connection each went out on.
fn commands(lines: &LogLines) -> Vec<(ConnId, String)> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.kind == LogKind::Command)
        .map(|l| (l.conn, l.text.clone()))
        .collect()
}

#[expect(
    clippy::print_stdout,
    reason = "the ABOR exchange, shown with --nocapture"
)]
fn assert_cancelled_then_done(
    last: &HashMap<ItemId, (ItemState, Option<String>)>,
    lines: &LogLines,
    second_command: &str,
) {
    let (state, error) = &last[&ItemId(1)];
    assert_eq!(*state, ItemState::Failed, "{error:?}");
    assert_eq!(error.as_deref(), Some("Cancelled by the user"));
    let (state, error) = &last[&ItemId(2)];
    assert_eq!(*state, ItemState::Successful, "{error:?}");
    let commands = commands(lines);
    let logons: Vec<_> = commands
        .iter()
        .filter(|(_, c)| c.starts_with("USER"))
        .collect();
    assert_eq!(
        logons.len(),
        1,
        "one logon, the connection reused: {commands:?}"
    );
    let abor = commands
        .iter()
        .position(|(_, c)| c == "ABOR")
        .expect("ABOR sent");
    let next = commands
        .iter()
        .position(|(_, c)| c == second_command)
        .expect("the second item's command");
    assert!(abor < next, "{commands:?}");
    assert_eq!(commands[abor].0, commands[next].0, "same connection");
    // After ABOR, PWD brings the connection back in step before anything else is sent.
    assert_eq!(commands[abor + 1].1, "PWD", "{commands:?}");
    // The exchange from ABOR to the PWD's 257, for the record (servers differ here).
    let transcript: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| matches!(l.kind, LogKind::Command | LogKind::Response))
        .map(|l| l.text.clone())
        .skip_while(|t| t != "ABOR")
        .take_while(|t| !t.starts_with("257"))
        .collect();
    println!("after the cancel: {transcript:?}");
    let status = crate::common::log_texts(lines, LogKind::Status);
    assert!(
        status
            .iter()
            .any(|l| l == "Transfer cancelled by the user; aborting it (ABOR)"),
        "{status:?}"
    );
}

/// Options for `server`, over explicit TLS (trusting its certificate) when it offers it.
fn tls_options(server: &FtpServer, tls: ServerTls) -> (Arc<Server>, LogLines) {
    let mode = match tls {
        ServerTls::None => TlsMode::None,
        ServerTls::Explicit => TlsMode::Explicit,
        ServerTls::Implicit => TlsMode::Implicit,
    };
    let (options, lines) = server.connect_options_with_tls(mode);
    (Arc::new(Server::from_ftp(options)), lines)
}

/// A throttled big transfer is cancelled; a small one follows on the same connection. A
/// download is 16 MiB (more than the socket buffers hold, so the server is still sending
/// when the ABOR comes), an upload 3 MB.
fn cancelled_transfer_reuses_the_connection(
    kind: ServerKind,
    tls: ServerTls,
    direction: Direction,
) {
    let server = FtpServer::start_with(
        kind,
        ServerOptions {
            tls,
            ..ServerOptions::default()
        },
    );
    let work = tempfile::tempdir().unwrap();
    let download = direction == Direction::Download;
    let (big, small) = if download {
        (
            vec![0x5a_u8; 16 * 1024 * 1024],
            pseudo_random_bytes(20_000, 32),
        )
    } else {
        (
            pseudo_random_bytes(3_000_000, 33),
            pseudo_random_bytes(20_000, 34),
        )
    };
    for (name, content) in [("big.bin", &big), ("small.bin", &small)] {
        if download {
            server.write_file(name, content);
        } else {
            std::fs::write(work.path().join(name), content).unwrap();
        }
    }
    let (options, lines) = tls_options(&server, tls);
    let limit = Some(300_000);
    let config = EngineConfig {
        settings: EngineSettings {
            parallel: 1,
            download_limit: limit.filter(|_| download),
            upload_limit: limit.filter(|_| !download),
            ..EngineSettings::default()
        },
        ..EngineConfig::default()
    };
    let big_size = download.then_some(big.len() as u64);
    let last = cancel_first_and_run_the_rest(
        config,
        vec![
            spec(
                &options,
                direction,
                work.path().join("big.bin"),
                "/big.bin",
                big_size,
            ),
            spec(
                &options,
                direction,
                work.path().join("small.bin"),
                "/small.bin",
                None,
            ),
        ],
    );
    let small_command = if download {
        "RETR /small.bin"
    } else {
        "STOR /small.bin"
    };
    assert_cancelled_then_done(&last, &lines, small_command);
    if download {
        assert!(!work.path().join("big.bin").exists());
        let got = std::fs::read(work.path().join("small.bin")).unwrap();
        assert_eq!(sha256(&got), sha256(&small));
    } else {
        assert_eq!(server.read_file("small.bin").unwrap(), small);
        // What reached the server before the cancel is at most a part of the file.
        let partial = server.read_file("big.bin").unwrap_or_default();
        assert!(partial.len() < big.len(), "{} bytes", partial.len());
    }
}

#[test]
fn a_cancelled_download_on_vsftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::Vsftpd,
        ServerTls::None,
        Direction::Download,
    );
}

/// Over FTPS (vsftpd requires the data connections to resume the control session): the
/// encrypted data connection is dropped mid-stream, and the next one still resumes.
#[test]
fn a_cancelled_ftps_download_on_vsftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        Direction::Download,
    );
}

#[test]
fn a_cancelled_download_on_pure_ftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::PureFtpd,
        ServerTls::None,
        Direction::Download,
    );
}

#[test]
fn a_cancelled_download_on_proftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::Proftpd,
        ServerTls::None,
        Direction::Download,
    );
}

#[test]
fn a_cancelled_upload_on_vsftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::Vsftpd,
        ServerTls::None,
        Direction::Upload,
    );
}

#[test]
fn a_cancelled_ftps_upload_on_vsftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        Direction::Upload,
    );
}

#[test]
fn a_cancelled_upload_on_pure_ftpd_sends_abor_and_the_next_item_reuses_the_connection() {
    cancelled_transfer_reuses_the_connection(
        ServerKind::PureFtpd,
        ServerTls::None,
        Direction::Upload,
    );
}

/// What a queue of two downloads did when the server took the first one's ABOR and never
/// answered it.
struct UnansweredAbor {
    last: HashMap<ItemId, (ItemState, Option<String>)>,
    lines: LogLines,
    server: ScriptedServer,
    work: tempfile::TempDir,
}

/// Two downloads from a scripted server that never answers ABOR; the first is cancelled
/// mid-transfer. `parallel` transfers at once, `max_transfers` for the server.
fn past_an_unanswered_abor(parallel: usize, max_transfers: Option<usize>) -> UnansweredAbor {
    let mut first = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    first.extend([
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR /big.bin"),
        send("150 sending\r\n"),
        Step::DataSendHold(vec![1u8; 64 * 1024]),
        Step::Expect("ABOR"),
        // Never answered.
        Step::Stall(Duration::from_secs(4)),
    ]);
    let mut second = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    second.extend([
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR /small.txt"),
        send("150 sending\r\n"),
        Step::DataSend(b"hello".to_vec()),
        send("226 done\r\n"),
    ]);
    let server = ScriptedServer::start_sequence(vec![first, second]);
    let (options, lines) = client_options(&server, Duration::from_secs(1));
    let mut options = Server::from_ftp(options);
    options.max_transfers = max_transfers;
    let options = Arc::new(options);
    let work = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        settings: EngineSettings {
            parallel,
            ..EngineSettings::default()
        },
        ..EngineConfig::default()
    };
    let last = cancel_first_and_run_the_rest(
        config,
        vec![
            spec(
                &options,
                Direction::Download,
                work.path().join("big.bin"),
                "/big.bin",
                Some(10_000_000),
            ),
            spec(
                &options,
                Direction::Download,
                work.path().join("small.txt"),
                "/small.txt",
                Some(5),
            ),
        ],
    );
    UnansweredAbor {
        last,
        lines,
        server,
        work,
    }
}

/// A server that takes the ABOR and never answers: after the (1 s) timeout the connection
/// is closed, and the next item logs on afresh and completes.
#[test]
fn a_server_that_never_answers_abor_loses_the_connection_and_the_next_item_gets_a_new_one() {
    let UnansweredAbor {
        last,
        lines,
        server,
        work,
    } = past_an_unanswered_abor(1, None);
    assert_eq!(
        last[&ItemId(1)],
        (ItemState::Failed, Some("Cancelled by the user".into()))
    );
    assert_eq!(last[&ItemId(2)].0, ItemState::Successful, "{last:?}");
    assert_eq!(
        std::fs::read(work.path().join("small.txt")).unwrap(),
        b"hello"
    );
    let mut server = server;
    server.join();
    let per_connection = server.received_per_connection();
    assert_eq!(per_connection.len(), 2, "{per_connection:?}");
    // ABOR, with the PWD that marks the end of its replies right behind it.
    assert!(
        per_connection[0].ends_with(&["ABOR".to_owned(), "PWD".to_owned()]),
        "{per_connection:?}"
    );
    assert!(per_connection[1].contains(&"RETR /small.txt".to_owned()));
    let errors = crate::common::log_texts(&lines, LogKind::Error);
    assert!(
        errors.iter().any(|l| l.contains("did not confirm the ABOR")
            && l.contains("timed out after 1 s while aborting the transfer")),
        "{errors:?}"
    );
}

/// A server allowed one connection: while the cancelled item's connection still waits for
/// its ABOR, it counts, so the next item connects only after it has closed, although two
/// transfers may run at once overall.
#[test]
fn a_cancelled_transfer_still_aborting_counts_against_the_servers_connection_limit() {
    let out = past_an_unanswered_abor(2, Some(1));
    assert_eq!(
        out.last[&ItemId(2)].0,
        ItemState::Successful,
        "{:?}",
        out.last
    );
    let lines = out.lines.lock().unwrap();
    let abort_given_up = lines
        .iter()
        .position(|l| l.kind == LogKind::Error && l.text.contains("did not confirm the ABOR"))
        .expect("the ABOR was given up");
    let first_conn = lines[abort_given_up].conn;
    let second_logon = lines
        .iter()
        .position(|l| l.kind == LogKind::Command && l.conn != first_conn)
        .expect("the second item connected");
    assert!(
        second_logon > abort_given_up,
        "the second connection opened while the first still waited for its ABOR: {:#?}",
        &lines[..]
    );
}
