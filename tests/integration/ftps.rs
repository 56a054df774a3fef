//! FTPS against real servers: explicit and implicit TLS, data connections that resume the
//! control connection's session (vsftpd's require_ssl_reuse=YES refuses any that don't),
//! TLS 1.2 and 1.3, passive and active, and every certificate refusal.

use crate::common::seam;
use crate::common::{FtpServer, ServerKind, ServerOptions, ServerTls, log_texts};
use crate::skiff_cmd::{pseudo_random_bytes, sha256, skiff, skiff_on_terminal, skiff_with_env};
use skiff::log::LogKind;
use skiff::net::tls::{TlsMode, TlsVersions};
use skiff::net::{ConnectOptions, Connection, DataMode, FtpError};

fn tls_server(kind: ServerKind, tls: ServerTls) -> FtpServer {
    FtpServer::start_with(
        kind,
        ServerOptions {
            tls,
            ..ServerOptions::default()
        },
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Ten transfers (five up, five down) in one session, byte-identical.
fn ten_transfers(kind: ServerKind, tls: ServerTls, versions: TlsVersions, data: DataMode) {
    let server = tls_server(kind, tls);
    let mode = match tls {
        ServerTls::Implicit => TlsMode::Implicit,
        _ => TlsMode::Explicit,
    };
    let (mut options, lines) = server.connect_options_with_tls(mode);
    options.tls.versions = versions;
    options.data.mode = data;
    let work = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let mut conn = seam::connect(options).await.unwrap();
        for i in 0..5u64 {
            let content = pseudo_random_bytes(300_000 + i as usize * 7919, i + 1);
            let local = work.path().join(format!("up{i}.bin"));
            std::fs::write(&local, &content).unwrap();
            let remote = format!("/f{i}.bin");
            seam::put(conn.as_mut(), &local, remote.as_bytes())
                .await
                .unwrap();
            let back = work.path().join(format!("down{i}.bin"));
            seam::get(conn.as_mut(), remote.as_bytes(), &back)
                .await
                .unwrap();
            assert_eq!(sha256(&std::fs::read(&back).unwrap()), sha256(&content));
            assert_eq!(
                sha256(&server.read_file(&format!("f{i}.bin")).unwrap()),
                sha256(&content)
            );
        }
        let listing = conn.list(b"/").await.unwrap();
        assert_eq!(
            listing.iter().filter(|e| e.name.starts_with(b"f")).count(),
            5
        );
        conn.quit().await;
    });
    let status = log_texts(&lines, LogKind::Status);
    let expected_version = match versions {
        TlsVersions::Tls12Only => "TLSv1_2",
        _ => "TLSv1_3",
    };
    assert!(
        status
            .iter()
            .any(|l| l.starts_with("TLS connection established") && l.contains(expected_version)),
        "{status:?}"
    );
    let commands = log_texts(&lines, LogKind::Command);
    assert!(commands.contains(&"PBSZ 0".to_owned()) && commands.contains(&"PROT P".to_owned()));
    // Every logon after the first is a renewed session, and each renewal says so in a Status
    // line: a silent one would show as an extra USER without it.
    let renewals = status.iter().filter(|l| l.contains(RENEWAL)).count();
    let logons = commands.iter().filter(|c| c.starts_with("USER ")).count();
    assert_eq!(logons, 1 + renewals, "{commands:?}\n{status:?}");
    if kind == ServerKind::Vsftpd {
        // vsftpd issues a ticket on every data connection (and TLS 1.2 sessions resume
        // without any): all ten transfers and the listing ran in the one session.
        assert_eq!(renewals, 0, "vsftpd's session was renewed: {status:?}");
        assert_eq!(logons, 1, "{commands:?}");
    }
}

/// The Status line of `Connection::refresh_if_out_of_tickets` (src/net/connection.rs).
const RENEWAL: &str = "no resumption tickets left; reconnecting";

#[test]
fn vsftpd_reuse_required_tls13_passive() {
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        TlsVersions::Tls13Only,
        DataMode::Passive,
    );
}

#[test]
fn vsftpd_reuse_required_tls13_active() {
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        TlsVersions::Tls13Only,
        DataMode::Active,
    );
}

#[test]
fn vsftpd_reuse_required_tls12_passive() {
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        TlsVersions::Tls12Only,
        DataMode::Passive,
    );
}

#[test]
fn vsftpd_reuse_required_tls12_active() {
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Explicit,
        TlsVersions::Tls12Only,
        DataMode::Active,
    );
}

#[test]
fn vsftpd_implicit_passive_and_active() {
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Implicit,
        TlsVersions::Tls12AndTls13,
        DataMode::Passive,
    );
    ten_transfers(
        ServerKind::Vsftpd,
        ServerTls::Implicit,
        TlsVersions::Tls12AndTls13,
        DataMode::Active,
    );
}

#[test]
fn pure_ftpd_tls_passive_and_active() {
    ten_transfers(
        ServerKind::PureFtpd,
        ServerTls::Explicit,
        TlsVersions::Tls12AndTls13,
        DataMode::Passive,
    );
    ten_transfers(
        ServerKind::PureFtpd,
        ServerTls::Explicit,
        TlsVersions::Tls12AndTls13,
        DataMode::Active,
    );
}

#[test]
fn proftpd_mod_tls12_passive_and_active() {
    ten_transfers(
        ServerKind::Proftpd,
        ServerTls::Explicit,
        TlsVersions::Tls12Only,
        DataMode::Passive,
    );
    ten_transfers(
        ServerKind::Proftpd,
        ServerTls::Explicit,
        TlsVersions::Tls12Only,
        DataMode::Active,
    );
}

/// Under TLS 1.3 proftpd issues no session ticket on a data connection that only receives
/// (an upload), and rustls uses each ticket once, so uploads use up the control connection's
/// tickets. Skiff sees that coming and makes the session again (new tickets) instead of
/// letting the next data connection fail to resume: ten transfers in a row still work.
#[test]
fn proftpd_mod_tls13_passive_and_active() {
    ten_transfers(
        ServerKind::Proftpd,
        ServerTls::Explicit,
        TlsVersions::Tls13Only,
        DataMode::Passive,
    );
    ten_transfers(
        ServerKind::Proftpd,
        ServerTls::Explicit,
        TlsVersions::Tls13Only,
        DataMode::Active,
    );
}

#[test]
fn running_out_of_tls13_tickets_renews_the_session_with_a_status_line() {
    let server = tls_server(ServerKind::Proftpd, ServerTls::Explicit);
    let (mut options, lines) = server.connect_options_with_tls(TlsMode::Explicit);
    options.tls.versions = TlsVersions::Tls13Only;
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("u.bin");
    std::fs::write(&local, b"upload").unwrap();
    runtime().block_on(async {
        let mut conn = seam::connect(options).await.unwrap();
        for i in 0..4 {
            let remote = format!("/u{i}.bin");
            seam::put(conn.as_mut(), &local, remote.as_bytes())
                .await
                .unwrap();
        }
    });
    let renewals = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.text.contains(RENEWAL))
        .count();
    assert!(renewals >= 1, "the session was never renewed");
    for i in 0..4 {
        assert_eq!(server.read_file(&format!("u{i}.bin")).unwrap(), b"upload");
    }
}

#[test]
fn proftpd_implicit_tls() {
    ten_transfers(
        ServerKind::Proftpd,
        ServerTls::Implicit,
        TlsVersions::Tls12AndTls13,
        DataMode::Passive,
    );
}

fn connect_err(options: ConnectOptions) -> FtpError {
    match runtime().block_on(Connection::connect(options)) {
        Ok(_) => panic!("the connection should have been refused"),
        Err(err) => err,
    }
}

#[test]
fn self_signed_certificate_is_refused_with_its_details() {
    let server = tls_server(ServerKind::Vsftpd, ServerTls::Explicit);
    let (mut options, lines) = server.connect_options_with_tls(TlsMode::Explicit);
    options.tls.trusted_fingerprints.clear();
    let err = connect_err(options);
    let text = err.to_string();
    for needle in [
        "not trusted",
        &server.cert_sha256(),
        "CN=localhost",
        "127.0.0.1:",
        "valid from",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    // Refused during AUTH TLS: the user name was never sent.
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .all(|l| !l.text.starts_with("USER"))
    );
}

#[test]
fn changed_certificate_for_a_trusted_host_is_refused_loudly() {
    let server = tls_server(ServerKind::Vsftpd, ServerTls::Explicit);
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join("trusted-certificates.json");
    let mut store = skiff::sites::trust::TrustStore::load(&path).unwrap();
    store
        .trust(skiff::sites::trust::TrustedCert {
            host: server.host(),
            port: server.port(),
            sha256: "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF".into(),
            subject: "CN=the old one".into(),
            not_after: "never".into(),
        })
        .unwrap();
    let (mut options, _) = server.connect_options_with_tls(TlsMode::Explicit);
    options.tls.trusted_fingerprints.clear();
    options.tls.stored_fingerprint = store
        .get(&server.host(), server.port())
        .map(|cert| cert.sha256.clone());
    let text = connect_err(options).to_string();
    assert!(text.contains("HAS CHANGED"), "{text}");
    assert!(text.contains(&server.cert_sha256()), "{text}");
}

#[test]
fn wrong_host_name_is_refused_even_from_a_trusted_ca() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ca_signed_for: Some("DNS:otherhost.test".into()),
            ..ServerOptions::default()
        },
    );
    let (mut options, _) = server.connect_options_with_tls(TlsMode::Explicit);
    options.tls.trusted_fingerprints.clear();
    options.tls.extra_roots = skiff::net::tls::load_pem_certificates(&server.ca_file()).unwrap();
    let text = connect_err(options.clone()).to_string();
    assert!(
        text.contains("not trusted") && text.contains("the certificate is for another host name"),
        "{text}"
    );
    // The same CA for the right name would be fine: trusting the fingerprint explicitly is.
    options.tls.trusted_fingerprints = vec![server.cert_sha256()];
    runtime().block_on(Connection::connect(options)).unwrap();
}

#[test]
fn expired_certificate_is_refused_unless_explicitly_trusted() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ca_signed_for: Some("IP:127.0.0.1".into()),
            expired: true,
            ..ServerOptions::default()
        },
    );
    let (mut options, _) = server.connect_options_with_tls(TlsMode::Explicit);
    options.tls.trusted_fingerprints.clear();
    options.tls.extra_roots = skiff::net::tls::load_pem_certificates(&server.ca_file()).unwrap();
    let text = connect_err(options.clone()).to_string();
    assert!(
        text.contains("not trusted") && text.contains("expired"),
        "{text}"
    );
    assert!(text.contains("2021"), "the validity is shown: {text}");
    options.tls.trusted_fingerprints = vec![server.cert_sha256()];
    runtime().block_on(Connection::connect(options)).unwrap();
}

#[test]
fn cli_lists_over_ftpes_and_ftps_and_remembers_a_trusted_certificate() {
    let explicit = tls_server(ServerKind::Vsftpd, ServerTls::Explicit);
    explicit.write_file("secret.txt", b"over tls");
    let config = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"));
        command
            .args(args)
            .current_dir(work.path())
            .env("XDG_CONFIG_HOME", config.path())
            .stdin(std::process::Stdio::null());
        command.output().unwrap()
    };
    // Untrusted: refused, with the fingerprint to check.
    let out = run(&["ls", &explicit.url("")]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(stderr.contains(&explicit.cert_sha256()), "{stderr}");
    // Trusted by fingerprint: works and is saved...
    let out = run(&[
        "ls",
        &explicit.url(""),
        "--trust-fingerprint",
        &explicit.cert_sha256().replace(':', ""),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("secret.txt"));
    // ... so the next connection proceeds silently.
    let out = run(&["get", &explicit.url("secret.txt"), "got.txt"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(work.path().join("got.txt")).unwrap(),
        b"over tls"
    );

    let implicit = tls_server(ServerKind::Vsftpd, ServerTls::Implicit);
    implicit.write_file("i.txt", b"implicit");
    let out = run(&[
        "ls",
        &implicit.url(""),
        "--json",
        "--trust-fingerprint",
        &implicit.cert_sha256(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"i.txt\""));
}

#[test]
fn cli_put_over_tls_is_byte_identical_in_active_mode() {
    let server = tls_server(ServerKind::Vsftpd, ServerTls::Explicit);
    let work = tempfile::tempdir().unwrap();
    let content = pseudo_random_bytes(2 * 1024 * 1024 + 1, 5);
    std::fs::write(work.path().join("up.bin"), &content).unwrap();
    let fp = server.cert_sha256();
    let (lo, hi) = crate::common::free_port_range(10);
    let range = format!("{lo}-{hi}");
    let run = skiff(
        work.path(),
        &[
            "put",
            "up.bin",
            &server.url(""),
            "--trust-fingerprint",
            &fp,
            "--mode",
            "active",
            "--port-range",
            &range,
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        sha256(&server.read_file("up.bin").unwrap()),
        sha256(&content)
    );
    // Over TLS a server has stored less than it was sent and still said 226 (a close race):
    // the stored size is asked after the upload, unlike over plain FTP.
    let commands = run.log_lines("Command:");
    let stor = commands.iter().position(|c| c == "STOR /up.bin");
    assert!(
        stor.is_some_and(|at| commands[at..].iter().any(|c| c == "SIZE /up.bin")),
        "no SIZE after the STOR:\n{}",
        run.stderr
    );
}

/// On a terminal the CLI shows the certificate and asks; "y" trusts and remembers it.
/// `script` (util-linux) gives skiff a pseudo-terminal whose input is our "y".
#[test]
fn cli_asks_on_a_terminal_and_remembers_the_answer() {
    let server = tls_server(ServerKind::Vsftpd, ServerTls::Explicit);
    server.write_file("asked.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let config_dir = config.path().to_str().unwrap();
    let run = skiff_on_terminal(
        config.path(),
        &["ls", &server.url("")],
        b"y\n",
        &[("XDG_CONFIG_HOME", config_dir)],
        std::time::Duration::from_secs(60),
    );
    let shown = &run.stdout;
    assert!(run.ok(), "{shown}");
    assert!(
        shown.contains("Trust this certificate and remember it?"),
        "{shown}"
    );
    assert!(shown.contains(&server.cert_sha256()), "{shown}");
    assert!(shown.contains("asked.txt"), "{shown}");
    // Remembered: without a terminal and without flags, the next run is silent.
    skiff_with_env(
        config.path(),
        &["ls", &server.url("")],
        &[("XDG_CONFIG_HOME", config_dir)],
        std::time::Duration::from_secs(60),
    )
    .assert_ok();
}
