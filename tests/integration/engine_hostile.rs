//! Downloads the server gets wrong, through the engine: a data connection that ends early
//! with a 226, more bytes than SIZE announced, a 421 in the middle of a transfer. None may
//! end Successful on that attempt: each is retried (resuming what is sound) or Failed, and
//! nothing incomplete appears under the final name. The scripted server plays each
//! connection the engine makes, in order; a connection beyond the scripts is refused.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::scripted::{
    ScriptedServer, Step, client_options, greeting_and_logon, logon_for_binary_transfer, send,
};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings, ExistsPolicy,
    ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::log::LogKind;
use skiff::remote::Server;

/// One RETR of /f.bin: SIZE says `size`, then the `rest` command if given (e.g. "REST 500"),
/// then `data` on the data connection and `end` on the control connection.
fn retr_script(size: u64, rest: Option<&'static str>, data: Vec<u8>, end: Vec<Step>) -> Vec<Step> {
    let mut script = logon_for_binary_transfer(&["SIZE", "EPSV", "REST STREAM"]);
    script.extend([
        Step::Expect("SIZE /f.bin"),
        Step::Send(format!("213 {size}\r\n").into_bytes()),
        Step::Expect("EPSV"),
        Step::Epsv,
    ]);
    if let Some(rest) = rest {
        script.extend([Step::Expect(rest), send("350 restarting\r\n")]);
    }
    script.extend([
        Step::Expect("RETR /f.bin"),
        send("150 sending\r\n"),
        Step::DataSend(data),
    ]);
    script.extend(end);
    script
}

/// What the engine did with one download item.
struct Outcome {
    /// Every state the item went through, with its error.
    states: Vec<(ItemState, Option<String>)>,
    lines: crate::common::LogLines,
    work: tempfile::TempDir,
    server: ScriptedServer,
}

/// Downloads the file /f.bin to f.bin through the engine.
fn run(scripts: Vec<Vec<Step>>, max_attempts: u32) -> Outcome {
    run_item(scripts, max_attempts, ItemKind::File, "f.bin")
}

/// Downloads `/NAME` (a file, or a folder's contents) to NAME through the engine, with
/// every wait bounded by 2 s.
fn run_item(scripts: Vec<Vec<Step>>, max_attempts: u32, kind: ItemKind, name: &str) -> Outcome {
    let server = ScriptedServer::start_sequence(scripts);
    let (options, lines) = client_options(&server, Duration::from_secs(2));
    let work = tempfile::tempdir().unwrap();
    let spec = TransferSpec {
        direction: Direction::Download,
        kind,
        local: work.path().join(name),
        remote: format!("/{name}").into_bytes(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    };
    let rt = engine_runtime();
    let states = rt.block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                first_backoff: Duration::from_millis(20),
                max_attempts,
                ..EngineSettings::default()
            },
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        let mut states = Vec::new();
        let outcome = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::ItemChanged { state, error, .. } => {
                        states.push((state, error.map(|e| e.to_string())));
                    }
                    EngineEvent::Idle(_) => break,
                    _ => {}
                }
            }
        })
        .await;
        assert!(outcome.is_ok(), "the engine did not finish within 60 s");
        handle.send(EngineCommand::Shutdown);
        states
    });
    drop(rt);
    Outcome {
        states,
        lines,
        work,
        server,
    }
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// The states after Queued/Running: each attempt's end.
fn ends(states: &[(ItemState, Option<String>)]) -> Vec<(ItemState, Option<String>)> {
    states
        .iter()
        .filter(|(s, _)| !matches!(s, ItemState::Queued | ItemState::Running))
        .cloned()
        .collect()
}

#[test]
fn a_data_connection_that_ends_early_with_226_is_retried_and_resumed_never_successful() {
    let whole = content(1000);
    let first = retr_script(
        1000,
        None,
        whole[..500].to_vec(),
        vec![send("226 done\r\n")],
    );
    let second = retr_script(
        1000,
        Some("REST 500"),
        whole[500..].to_vec(),
        vec![send("226 done\r\n")],
    );
    let out = run(vec![first, second], 3);
    let ends = ends(&out.states);
    assert_eq!(ends.len(), 2, "{ends:?}");
    assert_eq!(ends[0].0, ItemState::Retrying, "{ends:?}");
    assert_eq!(
        ends[0].1.as_deref(),
        Some("transfer incomplete: expected 1000 bytes, got 500")
    );
    assert_eq!(ends[1], (ItemState::Successful, None));
    assert_eq!(std::fs::read(out.work.path().join("f.bin")).unwrap(), whole);
    assert!(!out.work.path().join("f.bin.part").exists());
    let commands = crate::common::log_texts(&out.lines, LogKind::Command);
    assert!(commands.contains(&"REST 500".to_owned()), "{commands:?}");
    let mut server = out.server;
    server.join();
    assert_eq!(server.received_per_connection().len(), 2);
}

#[test]
fn more_bytes_than_size_announced_fail_the_attempt_and_the_retry_starts_over() {
    let whole = content(1000);
    let mut too_long = content(1000);
    too_long.extend_from_slice(&[0xee; 500]);
    let first = retr_script(1000, None, too_long, vec![send("226 done\r\n")]);
    let second = retr_script(1000, None, whole.clone(), vec![send("226 done\r\n")]);
    let out = run(vec![first, second], 3);
    let ends = ends(&out.states);
    assert_eq!(ends.len(), 2, "{ends:?}");
    assert_eq!(
        ends[0],
        (
            ItemState::Retrying,
            Some(
                "the server sent more than the 1000 bytes it announced; the download was \
                 stopped (if the file is growing, download it again)"
                    .into()
            )
        )
    );
    assert_eq!(ends[1], (ItemState::Successful, None));
    assert_eq!(std::fs::read(out.work.path().join("f.bin")).unwrap(), whole);
    let commands = crate::common::log_texts(&out.lines, LogKind::Command);
    assert!(
        !commands.iter().any(|c| c.starts_with("REST")),
        "{commands:?}"
    );
}

#[test]
fn a_421_mid_transfer_is_retried_and_with_the_server_gone_the_item_fails() {
    let first = retr_script(
        2000,
        None,
        content(400),
        vec![
            send("421 Service not available, closing control connection.\r\n"),
            Step::Close,
        ],
    );
    // No second script: the next connection is refused.
    let out = run(vec![first], 2);
    let ends = ends(&out.states);
    assert_eq!(ends.len(), 2, "{ends:?}");
    assert_eq!(ends[0].0, ItemState::Retrying);
    let reason = ends[0].1.as_deref().unwrap();
    assert_eq!(
        reason,
        "finishing the transfer: the server replied 421 Service not available, closing control connection."
    );
    assert_eq!(ends[1].0, ItemState::Failed);
    assert!(
        ends[1]
            .1
            .as_deref()
            .unwrap()
            .starts_with("could not connect to 127.0.0.1:"),
        "{ends:?}"
    );
    assert!(!out.work.path().join("f.bin").exists());
    assert_eq!(
        std::fs::read(out.work.path().join("f.bin.part")).unwrap(),
        content(400),
        "what arrived is kept for a later resume"
    );
}

/// A folder's PWD that never comes back within the timeout: the attempt fails and the
/// connection is dropped, not used on with the late 257 still owed (which would answer the
/// next command), and the retry on a new connection lists the folder.
#[test]
fn a_folders_pwd_that_times_out_drops_the_connection_and_the_retry_lists_it() {
    // Logon (with the home folder's PWD), then into /src, up to its PWD.
    let into_src = || {
        let mut steps = greeting_and_logon(&["EPSV"]);
        steps.extend([
            Step::Expect("PWD"),
            send("257 \"/\"\r\n"),
            Step::Expect("CWD /src"),
            send("250 ok\r\n"),
            Step::Expect("PWD"),
        ]);
        steps
    };
    let mut first = into_src();
    first.extend([
        Step::Stall(Duration::from_secs(4)),
        send("257 \"/src\"\r\n"),
        // Only a client that went on with this connection gets here.
        Step::Expect("TYPE"),
        send("200 ok\r\n"),
    ]);
    let mut second = into_src();
    second.extend([
        send("257 \"/src\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("LIST"),
        send("150 here\r\n"),
        Step::DataSend(Vec::new()),
        send("226 done\r\n"),
    ]);
    let out = run_item(vec![first, second], 3, ItemKind::DirectoryContents, "src");
    let ends = ends(&out.states);
    assert_eq!(
        ends.first().map(|e| &e.0),
        Some(&ItemState::Retrying),
        "{ends:?}"
    );
    assert_eq!(
        ends.last(),
        Some(&(ItemState::Successful, None)),
        "{ends:?}"
    );
    assert!(out.work.path().join("src").is_dir());
    let per_connection = out.server.received_per_connection();
    assert_eq!(per_connection.len(), 2, "{per_connection:?}");
    assert_eq!(
        per_connection[0].last().map(String::as_str),
        Some("PWD"),
        "the first connection was used after its PWD timed out: {per_connection:?}"
    );
}
