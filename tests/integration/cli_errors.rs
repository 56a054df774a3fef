//! Bad input and misbehaving servers: each is a clear one-line error or the right
//! behaviour, never a panic or a hang. Real servers where they can show it, the scripted
//! server where only a script can (cut replies, stalls).

use std::time::Duration;

use crate::common::{FtpServer, ServerKind, ServerOptions, free_port};
use crate::scripted::{ScriptedServer, Step, logon_steps, send};
use crate::skiff_cmd::{skiff, skiff_in};

fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn wrong_password_reports_the_servers_530() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let url = format!(
        "ftp://{}:wrong@{}:{}/",
        server.user(),
        server.host(),
        server.port()
    );
    let run = skiff(workdir().path(), &["ls", &url]);
    run.assert_fails_with("530");
    assert!(run.stderr.contains("logging in"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(!run.stderr.contains("panick"));
}

#[test]
fn unknown_host_is_a_resolve_error() {
    let run = skiff(workdir().path(), &["ls", "ftp://nosuchhost.invalid/"]);
    run.assert_fails_with("could not resolve host \"nosuchhost.invalid\"");
}

#[test]
fn refused_port_is_a_connect_error() {
    let port = free_port();
    let run = skiff(
        workdir().path(),
        &["ls", &format!("ftp://127.0.0.1:{port}/")],
    );
    run.assert_fails_with(&format!("could not connect to 127.0.0.1:{port}"));
    assert!(
        run.stderr.to_lowercase().contains("refused"),
        "{}",
        run.stderr
    );
}

#[test]
fn server_closing_mid_reply_is_a_clear_error() {
    let server = ScriptedServer::start(vec![
        send("220-Welcome\r\n220-this banner never ends"),
        Step::Close,
    ]);
    let run = skiff(workdir().path(), &["ls", &server.url("")]);
    run.assert_fails_with("the server closed the connection while waiting for the welcome message");
}

#[test]
fn a_stalled_server_hits_the_configured_timeout() {
    let mut script = vec![send("220 hi\r\n"), Step::Expect("USER")];
    script.push(Step::Stall(Duration::from_secs(4)));
    let server = ScriptedServer::start(script);
    let run = skiff_in(
        workdir().path(),
        &["ls", &server.url(""), "--timeout", "1"],
        Duration::from_secs(20),
    );
    run.assert_fails_with("timed out after 1 s while logging in");
}

#[test]
fn name_with_cr_lf_is_refused_before_anything_is_sent() {
    let mut script = logon_steps();
    script.push(Step::Expect("QUIT"));
    let server = ScriptedServer::start(script);
    let run = skiff(
        workdir().path(),
        &["rm", &server.url("a%0D%0ADELE%20victim"), "--log"],
    );
    run.assert_fails_with("refusing to send DELE: its argument contains a CR character");
    let received = server.finish();
    assert!(
        received.iter().all(|line| !line.starts_with("DELE")),
        "the server received {received:?}"
    );
}

#[test]
fn name_with_lf_is_refused_on_a_real_server_and_nothing_is_deleted() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("victim", b"still here");
    let run = skiff(workdir().path(), &["rm", &server.url("x%0Avictim")]);
    run.assert_fails_with("LF character");
    assert_eq!(server.read_file("victim").unwrap(), b"still here");
}

#[test]
fn missing_remote_file_reports_550() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = workdir();
    let run = skiff(work.path(), &["get", &server.url("nope.txt")]);
    run.assert_fails_with("550");
    assert!(!work.path().join("nope.txt").exists());
}

/// vsftpd announces 127.0.0.2 (pasv_address) where nothing listens; the data connection
/// must go to the control peer, 127.0.0.1, and the log must say so.
#[test]
fn foreign_pasv_address_is_replaced_by_the_control_peer() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            pasv_address: Some("127.0.0.2".parse().unwrap()),
            ..ServerOptions::default()
        },
    );
    server.write_file("f.txt", b"via peer");
    let work = workdir();
    let run = skiff(
        work.path(),
        &[
            "get",
            &server.url("f.txt"),
            "f.txt",
            "--disable-epsv",
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("f.txt")).unwrap(),
        b"via peer"
    );
    let pasv_reply = run
        .log_lines("Response:")
        .into_iter()
        .find(|l| l.starts_with("227"))
        .expect("a 227 reply");
    assert!(pasv_reply.contains("(127,0,0,2,"), "{pasv_reply}");
    let status = run.log_lines("Status:");
    assert!(
        status
            .iter()
            .any(|l| l.contains("loopback address 127.0.0.2")
                && l.contains("connecting to 127.0.0.1:")),
        "no Status line about the replaced address: {status:?}"
    );
    assert!(
        status
            .iter()
            .all(|l| !l.contains("data connection to 127.0.0.2")),
        "{status:?}"
    );
}

/// With the substitution explicitly turned off, Skiff connects where the reply says, which
/// fails here (nothing listens on 127.0.0.2): a clear data-connection error.
#[test]
fn announced_pasv_address_is_used_only_when_asked() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            pasv_address: Some("127.0.0.2".parse().unwrap()),
            ..ServerOptions::default()
        },
    );
    server.write_file("f.txt", b"x");
    let work = workdir();
    let run = skiff_in(
        work.path(),
        &[
            "get",
            &server.url("f.txt"),
            // Passive only: settings.toml's default would fall back to active.
            "--mode",
            "passive",
            "--disable-epsv",
            "--use-pasv-address",
            "--timeout",
            "3",
        ],
        Duration::from_secs(30),
    );
    run.assert_fails_with("could not open the passive data connection to 127.0.0.2:");
    assert!(!work.path().join("f.txt").exists());
    assert!(
        !work.path().join("f.txt.part").exists() || {
            std::fs::metadata(work.path().join("f.txt.part"))
                .unwrap()
                .len()
                == 0
        }
    );
}

#[test]
fn malformed_pasv_reply_is_an_error_without_a_connection_attempt() {
    let mut script = logon_steps();
    script.extend([
        Step::Expect("CWD"),
        send("250 ok\r\n"),
        Step::Expect("TYPE"),
        send("200 ok\r\n"),
        Step::Expect("PASV"),
        send("227 Entering Passive Mode (127,0,0,1,300,1)\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let run = skiff(
        workdir().path(),
        &["ls", &server.url("dir"), "--disable-epsv", "--log"],
    );
    run.assert_fails_with("the passive reply has a number over 255 (300)");
    assert!(
        run.log_lines("Status:")
            .iter()
            .all(|l| !l.contains("Opening data connection")),
        "{}",
        run.stderr
    );
}

#[test]
fn active_mode_with_every_port_busy_names_the_range() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let run = skiff(
        workdir().path(),
        &[
            "ls",
            &server.url(""),
            "--mode",
            "active",
            "--port-range",
            &format!("{port}-{port}"),
        ],
    );
    run.assert_fails_with(&format!("no free local port in the range {port}-{port}"));
}

#[test]
fn no_arguments_without_a_display_explains_and_prints_usage() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot open the window"), "{stderr}");
    assert!(stdout.contains("Usage:"), "{stdout}");
}

/// A timeout beyond an hour (one that would overflow the engine's arithmetic) is a usage
/// error before anything connects.
#[test]
fn a_timeout_out_of_range_is_a_usage_error() {
    let work = tempfile::tempdir().unwrap();
    for timeout in ["0", "3601", "18446744073709551615"] {
        let run = skiff(
            work.path(),
            &["diagnose", "ftp://127.0.0.1:9/", "--timeout", timeout],
        );
        assert_eq!(run.code, Some(2), "--timeout {timeout}: {}", run.stderr);
        assert!(run.stderr.contains("1..=3600"), "{}", run.stderr);
    }
}
