//! Connection diagnosis against real servers on loopback: vsftpd announcing an address where
//! nothing listens, active mode whose connect-back fails or finds no free port, TLS that
//! requires session reuse (vsftpd) or not (pure-ftpd, offering TLS to a plain target), the
//! happy path, and `skiff diagnose` (URL and `--site`) as a script runs it. Each verdict is asserted; the wording for private and public addresses
//! is tested on the pure verdict function (src/diagnose/verdict_tests.rs).

use std::time::Duration;

use crate::common::{FtpServer, LogLines, ServerKind, ServerOptions, ServerTls, log_texts};
use skiff::diagnose::{DiagnoseOptions, Diagnosis, Row};
use skiff::log::LogKind;
use skiff::net::tls::TlsMode;
use skiff::net::{ConnectOptions, DataMode, PortRange};

fn diagnose(options: ConnectOptions) -> Diagnosis {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let diagnose = DiagnoseOptions {
        attempt_timeout: Duration::from_secs(3),
    };
    runtime.block_on(skiff::diagnose::run(options, diagnose))
}

#[track_caller]
fn row<'a>(diagnosis: &'a Diagnosis, method: &str) -> &'a Row {
    diagnosis
        .judgement
        .rows
        .iter()
        .find(|r| r.method == method)
        .unwrap_or_else(|| panic!("no row {method:?} in\n{}", diagnosis.to_text()))
}

#[track_caller]
fn has_summary(diagnosis: &Diagnosis, line: &str) {
    assert!(
        diagnosis.judgement.summary.iter().any(|l| l == line),
        "summary lacks {line:?}:\n{}",
        diagnosis.to_text()
    );
}

fn server_with(opts: ServerOptions) -> (FtpServer, ConnectOptions, LogLines) {
    let server = FtpServer::start_with(ServerKind::Vsftpd, opts);
    let (options, lines) = server.connect_options();
    (server, options, lines)
}

/// vsftpd with explicit TLS required for the logon and for data connections, whose data
/// connections must also resume the control connection's TLS session.
fn vsftpd_requiring_tls() -> FtpServer {
    FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ..ServerOptions::default()
        },
    )
}

#[test]
fn every_method_works_on_a_plain_vsftpd_and_passive_with_epsv_is_recommended() {
    let (server, options, lines) = server_with(ServerOptions::default());
    server.write_file("readme.txt", b"something to list");
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    assert_eq!(diagnosis.judgement.rows.len(), 5, "{text}");
    for row in &diagnosis.judgement.rows {
        assert!(row.works, "{text}");
        assert_eq!(row.verdict, "works", "{text}");
        assert!(row.data.starts_with("opened ("), "{text}");
        assert!(!row.data.starts_with("opened (0 bytes"), "{text}");
    }
    let epsv = row(&diagnosis, "EPSV");
    assert_eq!(epsv.sent, "EPSV, LIST");
    assert!(epsv.came_back.starts_with("229 "), "{text}");
    assert!(epsv.came_back.contains(" -> 127.0.0.1:"), "{text}");
    assert!(
        row(&diagnosis, "PORT").sent.starts_with("PORT 127,0,0,1,"),
        "{text}"
    );
    assert!(
        row(&diagnosis, "EPRT")
            .sent
            .starts_with("EPRT |1|127.0.0.1|"),
        "{text}"
    );
    has_summary(
        &diagnosis,
        "The server does not offer TLS (no AUTH in FEAT): passwords and files travel unencrypted",
    );
    let rec = diagnosis.judgement.recommendation.as_ref().unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    assert_eq!(rec.cli_flags(), "--mode passive");
    // The results are in the message log too.
    let status = log_texts(&lines, LogKind::Status);
    assert!(
        status
            .iter()
            .any(|l| l.starts_with("Diagnosis: EPSV: works (opened (")),
        "{status:#?}"
    );
    assert!(
        status
            .iter()
            .any(|l| l == "Diagnosis: Recommended: passive mode (EPSV)"),
        "{status:#?}"
    );
}

#[test]
fn an_announced_address_where_nothing_listens_is_named_and_the_control_peer_works() {
    let (_server, options, _lines) = server_with(ServerOptions {
        pasv_address: Some("127.0.0.2".parse().unwrap()),
        ..ServerOptions::default()
    });
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    let differs =
        "the server announces a loopback address (127.0.0.2) although you reached it at 127.0.0.1";
    let as_sent = row(&diagnosis, "PASV (address as sent)");
    assert!(!as_sent.works, "{text}");
    assert!(as_sent.came_back.starts_with("227 "), "{text}");
    assert!(as_sent.came_back.contains("(127,0,0,2,"), "{text}");
    assert!(as_sent.came_back.contains(" -> 127.0.0.2:"), "{text}");
    assert_eq!(as_sent.data, "not opened");
    assert!(
        as_sent
            .verdict
            .starts_with(&format!("{differs}, and 127.0.0.2:")),
        "{text}"
    );
    assert!(
        as_sent.verdict.ends_with(
            "cannot be reached (Connection refused): Skiff connects to 127.0.0.1 instead"
        ),
        "{text}"
    );
    let peer = row(&diagnosis, "PASV (control peer)");
    assert!(peer.works, "{text}");
    assert_eq!(
        peer.verdict,
        format!("works: {differs}: Skiff connects to 127.0.0.1 instead")
    );
    has_summary(
        &diagnosis,
        &format!("PASV: {differs}: Skiff connects to 127.0.0.1 instead"),
    );
    let rec = diagnosis.judgement.recommendation.as_ref().unwrap();
    assert!(rec.mode == DataMode::Passive && rec.use_control_peer_for_pasv);
}

#[test]
fn a_connect_back_that_fails_names_the_ports_and_recommends_passive() {
    // The server may connect anywhere (port_promiscuous), and is told 127.0.0.2, where
    // nothing listens: as behind a NAT that does not forward the active ports.
    let (_server, mut options, _lines) = server_with(ServerOptions {
        port_promiscuous: true,
        ..ServerOptions::default()
    });
    let (min, max) = crate::common::free_port_range(4);
    options.data.active_port_range = Some(PortRange { min, max });
    options.data.external_ip = Some("127.0.0.2".parse().unwrap());
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    for method in ["EPRT", "PORT"] {
        let active = row(&diagnosis, method);
        assert!(!active.works, "{text}");
        assert!(
            active
                .verdict
                .starts_with("active mode: the server could not connect back to 127.0.0.2:"),
            "{text}"
        );
        assert!(
            active.verdict.ends_with(&format!(
                "a firewall or NAT in front of this machine blocks incoming connections; \
                 use passive mode or open ports {min}-{max}"
            )),
            "{text}"
        );
        assert!(active.came_back.contains("425 "), "{text}");
    }
    let rec = diagnosis.judgement.recommendation.as_ref().unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    assert_eq!(rec.cli_flags(), "--mode passive");
}

#[test]
fn an_active_port_range_held_busy_is_named_and_passive_recommended() {
    let (_server, mut options, _lines) = server_with(ServerOptions::default());
    let (min, max) = crate::common::free_port_range(2);
    let _held: Vec<std::net::TcpListener> = (min..=max)
        .map(|p| std::net::TcpListener::bind(("127.0.0.1", p)).unwrap())
        .collect();
    options.data.active_port_range = Some(PortRange { min, max });
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    for method in ["EPRT", "PORT"] {
        let active = row(&diagnosis, method);
        assert!(!active.works, "{text}");
        assert_eq!(
            active.verdict,
            format!(
                "no local port to listen on: every port in {min}-{max} is in use; widen the range"
            )
        );
        assert_eq!(active.sent, "", "nothing is announced without a listener");
    }
    assert!(row(&diagnosis, "EPSV").works, "{text}");
    assert_eq!(
        diagnosis.judgement.recommendation.as_ref().unwrap().mode,
        DataMode::Passive
    );
}

#[test]
fn a_server_that_refuses_active_mode_is_told_apart() {
    let (_server, options, _lines) = server_with(ServerOptions {
        allow_active: false,
        ..ServerOptions::default()
    });
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    for method in ["EPRT", "PORT"] {
        let active = row(&diagnosis, method);
        assert!(!active.works, "{text}");
        assert!(
            active
                .verdict
                .starts_with("the server refuses active mode (5"),
            "{text}"
        );
    }
    assert!(row(&diagnosis, "EPSV").works, "{text}");
}

#[test]
fn tls_data_connections_that_require_session_reuse_are_supported() {
    let server = vsftpd_requiring_tls();
    let (options, _lines) = server.connect_options_with_tls(TlsMode::Explicit);
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    assert_eq!(diagnosis.rounds.len(), 1, "no plain round for a TLS target");
    assert!(diagnosis.rounds[0].tls, "{text}");
    let epsv = row(&diagnosis, "EPSV, TLS");
    assert!(epsv.works, "{text}");
    assert_eq!(epsv.verdict, "works (TLS session resumed)");
    assert!(epsv.data.contains("TLS resumed"), "{text}");
    let fresh = row(&diagnosis, "EPSV, TLS, new session");
    assert!(!fresh.works, "{text}");
    assert!(
        fresh.verdict.ends_with("it requires session reuse"),
        "{text}"
    );
    has_summary(
        &diagnosis,
        "TLS data connections require session reuse: supported",
    );
    let rec = diagnosis.judgement.recommendation.as_ref().unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    assert!(!rec.requires_tls, "already a TLS connection: {text}");
}

#[test]
fn a_plain_target_is_tried_under_tls_too_when_the_server_offers_it() {
    let server = FtpServer::start_with(
        ServerKind::PureFtpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            tls_optional: true,
            ..ServerOptions::default()
        },
    );
    server.write_file("both.txt", b"plain and secure");
    // ftp://: plain first; the fingerprint is for the TLS round.
    let (options, _lines) = server.connect_options_with_tls(TlsMode::None);
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    assert_eq!(diagnosis.rounds.len(), 2, "{text}");
    assert!(
        !diagnosis.rounds[0].tls && diagnosis.rounds[1].tls,
        "{text}"
    );
    assert_eq!(diagnosis.rounds[0].tls_offered, Some(true), "{text}");
    assert!(row(&diagnosis, "EPSV").works, "{text}");
    let secure = row(&diagnosis, "EPSV, TLS");
    assert!(secure.works, "{text}");
    // pure-ftpd does not resume the control connection's session on data connections,
    // and takes a data connection with a session of its own as well.
    assert!(secure.data.ends_with("TLS new session)"), "{text}");
    let fresh = row(&diagnosis, "EPSV, TLS, new session");
    assert_eq!(
        fresh.verdict,
        "works: the server accepts TLS data connections without session reuse"
    );
    has_summary(
        &diagnosis,
        "TLS data connections work without resuming the session",
    );
}

#[test]
fn a_plain_logon_refused_for_lack_of_tls_is_followed_by_a_tls_round() {
    // vsftpd here insists on TLS before USER.
    let server = vsftpd_requiring_tls();
    let (options, _lines) = server.connect_options_with_tls(TlsMode::None);
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    assert_eq!(diagnosis.rounds.len(), 2, "{text}");
    let plain_error = diagnosis.rounds[0].logon_error.as_deref().unwrap();
    assert!(plain_error.contains("530"), "{text}");
    assert!(
        diagnosis.judgement.summary[0].starts_with("Logging in failed: "),
        "{text}"
    );
    assert!(row(&diagnosis, "PASV (control peer), TLS").works, "{text}");
    has_summary(
        &diagnosis,
        "TLS data connections require session reuse: supported",
    );
    let rec = diagnosis.judgement.recommendation.as_ref().unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    // The advice must switch the connection to TLS, or it could never log on.
    assert!(rec.requires_tls, "{text}");
    assert!(
        rec.text
            .ends_with("over explicit TLS (ftpes://): the server refuses a plain logon"),
        "{text}"
    );
}

/// A server that never answers EPSV: that attempt times out, and the others go on over a
/// new control connection (the old one still owes a reply). Scripted: no real server stalls
/// on cue.
#[test]
fn a_stalled_attempt_is_bounded_and_the_others_go_on_over_a_new_connection() {
    use crate::scripted::{ScriptedServer, Step, logon_steps, send};
    let listing = b"-rw-r--r-- 1 u g 5 Jan 01 2024 a.txt\r\n".to_vec();
    let mut stalls = logon_steps();
    stalls.extend([
        Step::Expect("TYPE"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        Step::Stall(Duration::from_millis(2500)),
        Step::Close,
    ]);
    let mut rest = logon_steps();
    rest.extend([Step::Expect("TYPE"), send("200 ok\r\n")]);
    for _ in 0..2 {
        rest.extend([
            Step::Expect("PASV"),
            Step::Pasv {
                announce: "127.0.0.1".parse().unwrap(),
            },
            Step::Expect("LIST"),
            send("150 here\r\n"),
            Step::DataSend(listing.clone()),
            send("226 done\r\n"),
        ]);
    }
    for verb in ["EPRT", "PORT"] {
        // Connecting back before LIST: the client's listener keeps the connection queued.
        rest.extend([
            Step::Expect(verb),
            send("200 ok\r\n"),
            Step::ActiveSend(listing.clone()),
            Step::Expect("LIST"),
            send("150 here\r\n226 done\r\n"),
        ]);
    }
    rest.extend([Step::Expect("QUIT"), send("221 bye\r\n")]);
    let server = ScriptedServer::start_sequence(vec![stalls, rest]);
    let mut options = ConnectOptions::new("127.0.0.1", server.addr.port());
    options.credentials.user = Some("user".into());
    options.credentials.password = Some(skiff::secret::Secret::new("pass"));
    options.timeout = Duration::from_secs(10);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let diagnosis = runtime.block_on(skiff::diagnose::run(
        options,
        DiagnoseOptions {
            attempt_timeout: Duration::from_secs(1),
        },
    ));
    let text = diagnosis.to_text();
    let epsv = row(&diagnosis, "EPSV");
    assert!(!epsv.works, "{text}");
    assert_eq!(
        epsv.verdict,
        "no answer within 1 s while entering passive mode"
    );
    for method in [
        "PASV (address as sent)",
        "PASV (control peer)",
        "EPRT",
        "PORT",
    ] {
        assert!(row(&diagnosis, method).works, "{method}: {text}");
    }
    let received = server.finish();
    assert_eq!(
        received.iter().filter(|l| l.starts_with("USER")).count(),
        2,
        "a second control connection: {received:?}"
    );
}

#[test]
fn cli_diagnose_prints_the_table_and_the_flags() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            pasv_address: Some("127.0.0.2".parse().unwrap()),
            ..ServerOptions::default()
        },
    );
    let work = tempfile::tempdir().unwrap();
    let url = server.url("/");
    let run = crate::skiff_cmd::skiff(work.path(), &["diagnose", &url, "--timeout", "3", "--log"]);
    run.assert_ok();
    let first = run.stdout.lines().nth(2).unwrap_or_default();
    for header in [
        "Method",
        "Sent",
        "Came back",
        "Data connection",
        "Time",
        "Verdict",
    ] {
        assert!(first.contains(header), "{}", run.stdout);
    }
    assert!(
        run.stdout.contains("PASV (address as sent)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("the server announces a loopback address (127.0.0.2) although you reached it at 127.0.0.1"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().last(), Some("Flags: --mode passive"));
    assert!(
        !run.stdout.contains(server.password()),
        "no password in the report"
    );
    // --log shows the attempts' commands as they went out.
    assert!(
        run.log_lines("Command:").iter().any(|l| l == "EPSV"),
        "{}",
        run.stderr
    );

    // The same server as a saved site.
    let config = tempfile::tempdir().unwrap();
    let site = skiff::sites::site::Site {
        name: "nat-box".into(),
        protocol: skiff::sites::site::Protocol::Ftp,
        host: server.host(),
        port: Some(server.port()),
        user: server.user().to_owned(),
        ..Default::default()
    };
    let list = skiff::sites::site::SiteList {
        sites: vec![site],
        ..Default::default()
    };
    list.save(&config.path().join("skiff/sites.toml")).unwrap();
    let run = crate::skiff_cmd::skiff_with_env(
        work.path(),
        &["diagnose", "--site", "nat-box", "--timeout", "3"],
        &[
            ("XDG_CONFIG_HOME", config.path().to_str().unwrap()),
            ("SKIFF_PASSWORD", server.password()),
        ],
        Duration::from_secs(60),
    );
    run.assert_ok();
    assert!(run.stdout.contains("PASV (control peer)"), "{}", run.stdout);
    assert_eq!(run.stdout.lines().last(), Some("Flags: --mode passive"));
}

#[test]
fn cli_diagnose_of_a_refused_logon_fails_with_the_reason() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let url = format!(
        "ftp://{}:wrong@{}:{}/",
        server.user(),
        server.host(),
        server.port()
    );
    // Long enough for the server's delay after a wrong password (PAM's).
    let run = crate::skiff_cmd::skiff(work.path(), &["diagnose", &url, "--timeout", "15"]);
    run.assert_fails_with("Logging in failed: logging in: the server replied 530 Login incorrect.");
}

#[test]
fn an_unreachable_server_is_one_failed_logon_without_a_tls_round() {
    let port = crate::common::free_port();
    let mut options = ConnectOptions::new("127.0.0.1", port);
    options.timeout = Duration::from_secs(3);
    let diagnosis = diagnose(options);
    let text = diagnosis.to_text();
    assert_eq!(diagnosis.rounds.len(), 1, "{text}");
    assert!(diagnosis.judgement.rows.is_empty(), "{text}");
    assert!(
        diagnosis.judgement.summary[0].starts_with(&format!(
            "Logging in failed: could not connect to 127.0.0.1:{port}"
        )),
        "{text}"
    );
    assert_eq!(diagnosis.judgement.recommendation, None);
}
