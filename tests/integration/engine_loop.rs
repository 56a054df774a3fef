//! The engine's loop never waits on the network: a server that stalls a keep-alive stalls
//! only that session's task, and the face's commands are taken at once meanwhile.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::scripted::{ScriptedServer, Step, client_options, logon_for_binary_transfer, send};
use skiff::engine::{
    self, ConnectionState, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings,
    ExistsPolicy, ItemKind, ItemState, Priority, SessionRole, TransferSpec,
};
use skiff::log::LogKind;
use skiff::remote::{ErrorKind, Server};

fn download(server: &Arc<Server>, local: std::path::PathBuf, remote: &str) -> TransferSpec {
    TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::File,
        local,
        remote: remote.as_bytes().to_vec(),
        server: Arc::clone(server),
        size: Some(5),
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

/// What the test saw, in order.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    NoopSent,
    Added,
    Cancelled,
    KeepAliveFailed(ErrorKind),
}

#[test]
fn a_cancel_is_taken_while_a_keep_alive_stalls() {
    // One file, then the pooled session's NOOP is never answered (the server holds the
    // connection silent well past the client's 5 s timeout).
    let mut script = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    script.extend([
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR /a.txt"),
        send("150 sending\r\n"),
        Step::DataSend(b"hello".to_vec()),
        send("226 done\r\n"),
        Step::Expect("NOOP"),
        Step::Stall(Duration::from_secs(9)),
    ]);
    let server = ScriptedServer::start(script);
    let (options, _lines) = client_options(&server, Duration::from_secs(5));
    let target = Arc::new(Server::from_ftp(options));
    let work = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        settings: EngineSettings {
            parallel: 1,
            keep_alive: Duration::from_millis(200),
            ..EngineSettings::default()
        },
        ..EngineConfig::default()
    };
    let seen = engine_runtime().block_on(async {
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![download(
            &target,
            work.path().join("a.txt"),
            "/a.txt",
        )]));
        let mut seen = Vec::new();
        let mut second = None;
        let run = async {
            while let Some(event) = events.recv().await {
                match event {
                    EngineEvent::Log(line)
                        if line.kind == LogKind::Command && line.text == "NOOP" =>
                    {
                        seen.push(Seen::NoopSent);
                        // The NOOP is out and will not be answered: pause, add an item and
                        // cancel it, all while the keep-alive waits.
                        handle.send(EngineCommand::ProcessQueue(false));
                        handle.send(EngineCommand::Enqueue(vec![download(
                            &target,
                            work.path().join("b.txt"),
                            "/b.txt",
                        )]));
                    }
                    EngineEvent::ItemAdded { id, .. } if seen.contains(&Seen::NoopSent) => {
                        seen.push(Seen::Added);
                        second = Some(id);
                        handle.send(EngineCommand::Cancel(id));
                    }
                    EngineEvent::ItemChanged {
                        id,
                        state: ItemState::Failed,
                        error,
                        ..
                    } if Some(id) == second => {
                        assert!(
                            error.as_ref().is_some_and(|e| e.is_cancelled()),
                            "{error:?}"
                        );
                        seen.push(Seen::Cancelled);
                    }
                    EngineEvent::Connection {
                        role: SessionRole::Transfer,
                        state: ConnectionState::Disconnected { reason: Some(err) },
                        ..
                    } => {
                        seen.push(Seen::KeepAliveFailed(err.kind()));
                        return;
                    }
                    _ => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("the keep-alive never failed within 30 s");
        handle.send(EngineCommand::Shutdown);
        seen
    });
    assert_eq!(
        seen,
        [
            Seen::NoopSent,
            Seen::Added,
            Seen::Cancelled,
            Seen::KeepAliveFailed(ErrorKind::Timeout),
        ],
        "the engine took the commands only after the stalled reply"
    );
    assert_eq!(
        std::fs::read(work.path().join("a.txt")).unwrap(),
        b"hello",
        "the first file arrived before the stall"
    );
    assert!(!work.path().join("b.txt").exists());
}
