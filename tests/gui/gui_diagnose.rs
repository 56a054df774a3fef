//! Server > Diagnose connection in the real window, against a real server on loopback: a
//! saved site in active mode whose listing fails (vsftpd refuses a PORT to another address),
//! the diagnosis table and its verdicts, and the recommendation applied in one click: the
//! site is saved in passive mode and the session lists again. Waits are bounded.

use crate::common::{FtpServer, ServerKind, ServerOptions, ServerTls};
use crate::gui_common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::sites::site::{LogonType, Protocol, Site, SiteDataMode, SiteList};
use skiff::sites::trust::{TrustStore, TrustedCert};

fn diagnose_window<'a>(h: &'a Harness<'_, SkiffApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(Role::Window, "Diagnose connection")
}

/// Server > Diagnose connection, then waits until the report offers `apply`.
fn diagnose_from_the_menu(h: &mut Harness<'_, SkiffApp>, apply: &str) {
    h.get_by_label("Server").click();
    settle(h);
    h.get_by_label("Diagnose connection…").click();
    step_until(h, "the diagnosis", |h| {
        h.query_by_role_and_label(Role::Window, "Diagnose connection")
            .is_some_and(|w| w.query_by_label(apply).is_some())
    });
}

#[test]
fn diagnose_shows_the_table_and_applies_passive_mode_to_the_site() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            pasv_address: Some("127.0.0.2".parse().unwrap()),
            ..ServerOptions::default()
        },
    );
    server.write_file("listed.txt", b"hello");
    let config = tempfile::tempdir().unwrap();
    // Active mode announcing 127.0.0.2: vsftpd refuses a PORT to an address other than
    // the client's, so this site cannot list anything as saved.
    let site = Site {
        name: "nat-box".into(),
        protocol: Protocol::Ftp,
        host: server.host(),
        port: Some(server.port()),
        logon: LogonType::AskForPassword,
        user: server.user().to_owned(),
        data_mode: SiteDataMode::Active,
        external_ip: Some("127.0.0.2".parse().unwrap()),
        ..Site::default()
    };
    let id = site.id.clone();
    SiteList {
        sites: vec![site],
        ..SiteList::default()
    }
    .save(&config.path().join("sites.toml"))
    .unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window_with_config(&rt, local.path(), config.path(), None);

    h.get_by_label("🗄 Site Manager").click();
    step_until(&mut h, "the Site Manager", |h| {
        h.query_by_role_and_label(Role::Window, "Site Manager")
            .is_some()
    });
    h.get_by_label("🖥 nat-box").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::Window, "Site Manager")
        .get_by_label("Connect")
        .click();
    step_until(&mut h, "the password prompt", |h| {
        h.query_by_label("Enter password").is_some()
    });
    h.event(egui::Event::Text(server.password().to_owned()));
    settle(&mut h);
    h.get_by_label("Connect").click();
    step_until(&mut h, "the active-mode listing to fail", |h| {
        h.state().model().remote.files.error.is_some()
    });
    assert!(!has_label(&h, "listed.txt"));

    diagnose_from_the_menu(&mut h, "Apply to the site \"nat-box\"");
    let window = diagnose_window(&h);
    for header in ["Method", "Sent", "Came back", "Data connection", "Verdict"] {
        assert!(window.query_by_label(header).is_some(), "{header}");
    }
    for method in [
        "EPSV",
        "PASV (address as sent)",
        "PASV (control peer)",
        "EPRT",
        "PORT",
    ] {
        assert!(window.query_by_label(method).is_some(), "{method}");
    }
    let peer_verdict = "works: the server announces a loopback address (127.0.0.2) although \
                        you reached it at 127.0.0.1: Skiff connects to 127.0.0.1 instead";
    assert!(window.query_by_label(peer_verdict).is_some());
    assert_eq!(
        window
            .query_all_by_label_contains("the server refuses active mode (500")
            .count(),
        2,
        "the site's active mode is judged, EPRT and PORT"
    );
    assert!(
        window
            .query_by_label("Recommended: passive mode (EPSV)")
            .is_some()
    );
    // The verdicts are in the message log too.
    assert!(
        h.state()
            .model()
            .log
            .iter()
            .any(|l| l.text.starts_with(&format!(
                "Diagnosis: PASV (control peer): {peer_verdict} (opened"
            )))
    );

    diagnose_window(&h)
        .get_by_label("Apply to the site \"nat-box\"")
        .click();
    step_until(
        &mut h,
        "the site saved in passive mode and listed again",
        |h| {
            let saved = std::fs::read_to_string(config.path().join("sites.toml"))
                .is_ok_and(|t| t.contains("data_mode = \"passive\""));
            saved && has_label(h, "listed.txt")
        },
    );
    assert_eq!(
        h.state().sites().get(&id).unwrap().data_mode,
        SiteDataMode::Passive
    );
    assert!(has_label(&h, "Passive mode"), "the status bar says so");
    assert!(
        diagnose_window(&h)
            .query_by_label_contains("Applied to the site \"nat-box\": passive mode (EPSV)")
            .is_some()
    );
    diagnose_window(&h).get_by_label("Close").click();
    settle(&mut h);
    assert!(
        h.query_by_role_and_label(Role::Window, "Diagnose connection")
            .is_none()
    );
}

#[test]
fn a_quickconnect_session_takes_the_recommendation_without_touching_the_sites() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("here.txt", b"x");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);
    // The default: passive, falling back to active.
    assert!(has_label(&h, "Passive mode, active as fallback"));
    diagnose_from_the_menu(&mut h, "Apply to this session");
    assert_eq!(
        diagnose_window(&h).query_all_by_label("works").count(),
        5,
        "every method works on this vsftpd"
    );
    diagnose_window(&h)
        .get_by_label("Apply to this session")
        .click();
    step_until(&mut h, "the session in passive mode, listed again", |h| {
        has_label(h, "Passive mode") && h.state().model().connected && has_label(h, "here.txt")
    });
    assert!(!has_label(&h, "Passive mode, active as fallback"));
    assert!(
        h.state().sites().sites.is_empty(),
        "no site was made or changed"
    );
    assert!(
        diagnose_window(&h)
            .query_by_label_contains("Applied: passive mode (EPSV); reconnected")
            .is_some()
    );
}

/// A server that refuses a plain logon (vsftpd requiring TLS), reached with plain FTP (the
/// user allowed it for this host, so Quickconnect does not try TLS first): the logon fails, the diagnosis finds that only TLS logs on, and applying
/// its advice switches the session to explicit TLS (ftpes://), which then lists.
#[test]
fn advice_that_needs_tls_switches_the_session_to_ftpes() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ..ServerOptions::default()
        },
    );
    server.write_file("secure.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let mut trust = TrustStore::load(&config.path().join("trusted-certificates.json")).unwrap();
    trust
        .trust(TrustedCert {
            host: server.host(),
            port: server.port(),
            sha256: server.cert_sha256(),
            subject: "CN=localhost".into(),
            not_after: String::new(),
        })
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window_trusting(&rt, local.path(), Some(trust));
    h.state_mut()
        .prefs_mut()
        .allow_plain_ftp(format!("{}:{}", server.host(), server.port()));
    connect_to_url(
        &mut h,
        &format!(
            "ftp://{}:{}@{}:{}/",
            server.user(),
            server.password(),
            server.host(),
            server.port()
        ),
    );
    step_until(&mut h, "the plain logon to fail", |h| {
        h.state().model().remote.files.error.is_some()
    });
    diagnose_from_the_menu(&mut h, "Apply to this session");
    assert!(
        diagnose_window(&h)
            .query_by_label_contains(
                "over explicit TLS (ftpes://): the server refuses a plain logon"
            )
            .is_some()
    );
    diagnose_window(&h)
        .get_by_label("Apply to this session")
        .click();
    step_until(&mut h, "the session over TLS, listed", |h| {
        h.state().model().connected && has_label(h, "secure.txt")
    });
    assert_eq!(
        h.get_by_label("Host:").value().as_deref(),
        Some("ftpes://127.0.0.1"),
        "the quickconnect bar shows the session's new protocol"
    );
}
