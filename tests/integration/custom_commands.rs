//! Custom commands against real servers on loopback (issue 22, point 4): a command typed
//! as is reaches vsftpd and pure-ftpd and its reply is in the message log, whatever its
//! code; a line with a line break is refused before anything is sent; a site's post-logon
//! commands run after each logon with their replies in the log, a refused one logged and
//! not fatal; through the engine, `RemoteOp::Raw` on the browsing session answered with the
//! reply; and `skiff quote`, which prints it.

use std::sync::Arc;
use std::time::Duration;

use crate::common::log::log_texts;
use crate::common::{FtpServer, ServerKind, engine_runtime};
use skiff::engine::{self, EngineCommand, EngineConfig, EngineEvent, RemoteOp, RequestId};
use skiff::log::LogKind;
use skiff::remote::{self, ErrorKind};

#[test]
fn a_raw_command_reaches_vsftpd_and_pure_ftpd_and_its_reply_is_in_the_log() {
    for kind in [ServerKind::Vsftpd, ServerKind::PureFtpd] {
        let server = FtpServer::start(kind);
        let (options, lines) = server.server();
        let rt = engine_runtime();
        rt.block_on(async {
            let mut session = remote::connect(&options).await.unwrap();
            let syst = session.raw("SYST").await.unwrap();
            assert_eq!(syst.code, 215, "{kind:?}: {syst:?}");
            assert!(syst.text.contains("UNIX"), "{kind:?}: {syst:?}");
            let stat = session.raw("STAT").await.unwrap();
            assert_eq!(stat.code, 211, "{kind:?}: {stat:?}");
            // A command the server does not know: its refusal is the answer, not a failure.
            let unknown = session.raw("SITE NOSUCHTHING").await.unwrap();
            assert!(unknown.code >= 500, "{kind:?}: {unknown:?}");
            // Two commands in one line never leave: refused before sending.
            let err = session.raw("NOOP\r\nDELE x").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadInput, "{kind:?}");
            assert!(err.message().contains("one line"), "{err:?}");
            assert!(session.is_usable(), "{kind:?}");
            session.keep_alive().await.unwrap();
            session.quit().await;
        });
        let commands = log_texts(&lines, LogKind::Command);
        assert!(commands.iter().any(|c| c == "SYST"), "{commands:?}");
        assert!(commands.iter().any(|c| c == "STAT"), "{commands:?}");
        assert!(
            !commands.iter().any(|c| c.contains("DELE")),
            "nothing of the refused line was sent: {commands:?}"
        );
        let replies = log_texts(&lines, LogKind::Response);
        assert!(
            replies
                .iter()
                .any(|r| r.starts_with("215") && r.contains("UNIX")),
            "{kind:?}: {replies:?}"
        );
        assert!(
            replies.iter().any(|r| r.starts_with("211")),
            "{kind:?}: {replies:?}"
        );
    }
}

#[test]
fn post_logon_commands_run_after_logon_with_their_replies_logged_and_a_refusal_not_fatal() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("www/index.html", b"<p>hi</p>");
    let (mut options, lines) = server.server();
    if let Some(ftp) = options.ftp_settings_mut() {
        ftp.post_logon_commands = vec![
            "SITE HELP".into(),
            "SITE NOSUCHTHING".into(),
            String::new(),
            "CWD /www".into(),
        ];
    }
    let rt = engine_runtime();
    rt.block_on(async {
        let mut session = remote::connect(&options).await.unwrap();
        // The CWD after the refused command ran: the session starts in /www.
        let names: Vec<String> = session
            .list(b"")
            .await
            .unwrap()
            .iter()
            .map(|e| e.name_lossy())
            .collect();
        assert_eq!(names, ["index.html"]);
        session.quit().await;
    });
    let commands = log_texts(&lines, LogKind::Command);
    let sent: Vec<&String> = commands
        .iter()
        .filter(|c| c.starts_with("SITE") || c.starts_with("CWD"))
        .collect();
    assert_eq!(sent, ["SITE HELP", "SITE NOSUCHTHING", "CWD /www"]);
    let pass = commands.iter().position(|c| c.starts_with("PASS")).unwrap();
    let help = commands.iter().position(|c| c == "SITE HELP").unwrap();
    assert!(pass < help, "after the logon: {commands:?}");
    let replies = log_texts(&lines, LogKind::Response);
    assert!(
        replies.iter().any(|r| r.starts_with("214")),
        "SITE HELP's reply: {replies:?}"
    );
    let errors = log_texts(&lines, LogKind::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("SITE NOSUCHTHING") && errors[0].contains("refused"),
        "{errors:?}"
    );
}

#[test]
fn the_engine_sends_a_raw_command_on_the_browsing_session() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    let (options, _) = server.server();
    let options = Arc::new(options);
    let rt = engine_runtime();
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::Remote {
            request: RequestId(7),
            server: Arc::clone(&options),
            op: RemoteOp::Raw("SYST".into()),
        });
        let mut replies = Vec::new();
        let done = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match events.recv().await.unwrap() {
                    EngineEvent::Log(line) if line.kind == LogKind::Response => {
                        replies.push(line.text)
                    }
                    EngineEvent::RawReply { request, result } => break (request, result),
                    _ => {}
                }
            }
        })
        .await
        .expect("an answer within 30 s");
        assert_eq!(done.0, RequestId(7));
        let reply = done.1.unwrap();
        assert_eq!(reply.code, 215, "{reply:?}");
        assert!(replies.iter().any(|r| r.starts_with("215")), "{replies:?}");
        handle.send(EngineCommand::Shutdown);
    });
}

#[test]
fn skiff_quote_prints_the_reply_and_fails_on_a_refusal_or_a_line_break() {
    use crate::skiff_cmd::skiff;
    // vsftpd: its STAT reply is several lines.
    let server = FtpServer::start(ServerKind::Vsftpd);
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/");
    let run = skiff(dir.path(), &["quote", &url, "SYST"]);
    run.assert_ok();
    assert!(
        run.stdout.starts_with("215 ") && run.stdout.contains("UNIX"),
        "{}",
        run.stdout
    );
    // A multi-line reply prints every line.
    let stat = skiff(dir.path(), &["quote", &url, "STAT"]);
    stat.assert_ok();
    assert!(stat.stdout.starts_with("211 "), "{}", stat.stdout);
    assert!(stat.stdout.lines().count() > 1, "{}", stat.stdout);
    skiff(dir.path(), &["quote", &url, "SITE NOSUCHTHING"])
        .assert_fails_with("the server replied 5");
    let refused = skiff(dir.path(), &["quote", &url, "NOOP\r\nDELE x"]);
    refused.assert_fails_with("a command is one line");
}

#[test]
fn sftp_says_it_has_no_raw_commands_and_stays_usable() {
    let server = crate::common::sshd::SshServer::start();
    let (options, _log) = server.server();
    let rt = engine_runtime();
    rt.block_on(async {
        let mut session = remote::connect(&options).await.unwrap();
        let err = session.raw("SITE HELP").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(
            err.message(),
            "SFTP has no raw commands: custom and post-logon commands are FTP's"
        );
        assert!(session.is_usable());
        session.list(b"").await.unwrap();
        session.quit().await;
    });
}
