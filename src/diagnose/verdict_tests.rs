//! The verdict's wording on records made by hand: private and public addresses that no test
//! may send traffic to, and every failure kind.

use std::time::Duration;

use super::*;

fn record(method: ProbeMethod, peer: &str) -> ProbeRecord {
    let mut r = ProbeRecord::new(method, peer.parse().unwrap());
    r.elapsed = Duration::from_millis(12);
    r
}

fn works(method: ProbeMethod, peer: &str) -> ProbeRecord {
    let mut r = record(method, peer);
    r.data_opened = true;
    r.listing_bytes = 120;
    r
}

fn plain(attempts: Vec<ProbeRecord>) -> Vec<Round> {
    vec![Round {
        tls: false,
        logon_error: None,
        tls_offered: Some(true),
        attempts,
    }]
}

/// A NAT'ed server: PASV announces 192.168.0.222, reached at 203.0.113.5.
fn natted_server() -> Vec<ProbeRecord> {
    let mut epsv = record(ProbeMethod::Epsv, "203.0.113.5:21");
    epsv.sent = vec!["EPSV".into()];
    epsv.replies = vec!["500 Unknown command.".into()];
    epsv.outcome = Err(ProbeFailure::Refused {
        reply: "500 Unknown command.".into(),
    });
    let mut announced = record(ProbeMethod::PasvAnnounced, "203.0.113.5:21");
    announced.sent = vec!["PASV".into()];
    announced.replies = vec!["227 Entering Passive Mode (192,168,0,222,195,80).".into()];
    announced.announced = Some("192.168.0.222:50000".parse().unwrap());
    announced.data_addr = announced.announced;
    announced.outcome = Err(ProbeFailure::Connect {
        addr: "192.168.0.222:50000".parse().unwrap(),
        reason: "connection timed out".into(),
        timed_out: true,
    });
    let mut peer = works(ProbeMethod::PasvPeer, "203.0.113.5:21");
    peer.sent = vec!["PASV".into(), "LIST".into()];
    peer.replies = vec![
        "227 Entering Passive Mode (192,168,0,222,195,80).".into(),
        "150 Here comes the directory listing.".into(),
        "226 Directory send OK.".into(),
    ];
    peer.announced = announced.announced;
    peer.data_addr = Some("203.0.113.5:50000".parse().unwrap());
    vec![epsv, announced, peer]
}

#[test]
fn a_private_announced_address_is_named_and_the_peer_is_used() {
    let judgement = judge(&DataSettings::default(), &plain(natted_server()));
    let expected = "the server announces a private address (192.168.0.222) although you reached \
                    it at 203.0.113.5: Skiff connects to 203.0.113.5 instead";
    assert_eq!(judgement.rows[2].verdict, format!("works: {expected}"));
    assert_eq!(judgement.summary[0], format!("PASV: {expected}"));
    assert!(
        judgement.rows[1]
            .verdict
            .contains("192.168.0.222:50000 cannot be reached (connection timed out)"),
        "{}",
        judgement.rows[1].verdict
    );
    assert_eq!(
        judgement.rows[1].came_back,
        "227 Entering Passive Mode (192,168,0,222,195,80). -> 192.168.0.222:50000"
    );
    assert_eq!(
        judgement.rows[0].verdict,
        "the server does not support EPSV (500 Unknown command.); Skiff uses PASV instead"
    );
    let rec = judgement.recommendation.unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    assert!(!rec.prefer_epsv && rec.use_control_peer_for_pasv);
    assert_eq!(rec.cli_flags(), "--mode passive --disable-epsv");
}

#[test]
fn a_ten_dot_address_is_private_too() {
    let text = announced_differs("10.1.2.3".parse().unwrap(), "203.0.113.5".parse().unwrap());
    assert_eq!(
        text.as_deref(),
        Some(
            "the server announces a private address (10.1.2.3) although you reached it at 203.0.113.5"
        )
    );
}

#[test]
fn another_public_address_is_worded_as_such() {
    let text = announced_differs(
        "198.51.100.7".parse().unwrap(),
        "203.0.113.5".parse().unwrap(),
    );
    assert_eq!(
        text.as_deref(),
        Some(
            "the server announces another public address (198.51.100.7) than the one you \
             reached it at (203.0.113.5)"
        )
    );
    assert_eq!(
        announced_differs("127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap()).as_deref(),
        Some(
            "the server announces a loopback address (127.0.0.2) although you reached it at 127.0.0.1"
        )
    );
    assert_eq!(
        announced_differs(
            "203.0.113.5".parse().unwrap(),
            "203.0.113.5".parse().unwrap()
        ),
        None
    );
}

#[test]
fn active_mode_that_never_connects_back_names_the_ports_and_recommends_passive() {
    let settings = DataSettings {
        active_port_range: Some("50000-50010".parse().unwrap()),
        ..DataSettings::default()
    };
    let mut active = record(ProbeMethod::Eprt, "203.0.113.5:21");
    active.sent = vec!["EPRT |1|192.168.0.10|50010|".into(), "LIST".into()];
    active.replies = vec!["200 EPRT command successful.".into(), "150 Opening".into()];
    active.announced = Some("192.168.0.10:50010".parse().unwrap());
    active.data_addr = Some("192.168.0.10:50010".parse().unwrap());
    active.outcome = Err(ProbeFailure::NoConnectBack {
        listen: "192.168.0.10:50010".parse().unwrap(),
        secs: 5,
    });
    let epsv = works(ProbeMethod::Epsv, "203.0.113.5:21");
    let judgement = judge(&settings, &plain(vec![epsv, active]));
    assert_eq!(
        judgement.rows[1].verdict,
        "active mode: the server never connected back to port 50010 — a firewall or NAT in \
         front of this machine blocks incoming connections; use passive mode or open ports \
         50000-50010"
    );
    let rec = judgement.recommendation.unwrap();
    assert_eq!(rec.mode, DataMode::Passive);
    assert_eq!(rec.cli_flags(), "--mode passive");
    assert_eq!(judgement.rows[1].data, "not opened");
}

/// vsftpd answers LIST only once it has connected back: a connect-back that a firewall
/// drops is a LIST without an answer, and gets the active-mode advice too.
#[test]
fn an_unanswered_list_in_active_mode_is_a_blocked_connect_back() {
    let settings = DataSettings {
        active_port_range: Some("50000-50010".parse().unwrap()),
        ..DataSettings::default()
    };
    let mut active = record(ProbeMethod::Port, "203.0.113.5:21");
    active.announced = Some("203.0.113.9:50004".parse().unwrap());
    active.data_addr = Some("0.0.0.0:50004".parse().unwrap());
    active.outcome = Err(ProbeFailure::Timeout {
        phase: crate::net::LIST_PHASE.into(),
        secs: 5,
    });
    let mut passive = record(ProbeMethod::Epsv, "203.0.113.5:21");
    passive.outcome = Err(ProbeFailure::Timeout {
        phase: crate::net::LIST_PHASE.into(),
        secs: 5,
    });
    let judgement = judge(&settings, &plain(vec![passive, active]));
    assert_eq!(
        judgement.rows[1].verdict,
        "active mode: no answer within 5 s to LIST: the server is most likely still trying to \
         connect back to port 50004 — a firewall or NAT in front of this machine blocks \
         incoming connections; use passive mode or open ports 50000-50010"
    );
    // In passive mode the same silence says nothing about a connect-back.
    assert_eq!(
        judgement.rows[0].verdict,
        "no answer within 5 s while starting the listing"
    );
}

#[test]
fn a_refused_connect_back_from_a_private_address_suggests_the_external_ip() {
    let mut port = record(ProbeMethod::Port, "203.0.113.5:21");
    port.announced = Some("10.0.0.8:40000".parse().unwrap());
    port.data_addr = port.announced;
    port.outcome = Err(ProbeFailure::TransferRefused {
        reply: "425 Failed to establish connection.".into(),
    });
    let judgement = judge(&DataSettings::default(), &plain(vec![port]));
    let verdict = &judgement.rows[0].verdict;
    assert!(
        verdict.starts_with(
            "active mode: the server could not connect back to 10.0.0.8:40000 (425 Failed to \
             establish connection.)"
        ),
        "{verdict}"
    );
    assert!(verdict.contains("open ports 40000"), "{verdict}");
    assert!(verdict.ends_with("10.0.0.8 is a private address: behind NAT, set the external IP"));
    assert_eq!(judgement.recommendation, None);
    assert!(
        judgement
            .summary
            .last()
            .unwrap()
            .starts_with("No data-connection method works")
    );
    // The CLI's error is that conclusion, not the first summary line.
    assert!(
        judgement
            .failure
            .as_deref()
            .unwrap()
            .starts_with("No data-connection method works")
    );
}

#[test]
fn only_active_working_recommends_active() {
    let mut epsv = record(ProbeMethod::Epsv, "127.0.0.1:21");
    epsv.outcome = Err(ProbeFailure::Refused {
        reply: "550 Permission denied.".into(),
    });
    let port = works(ProbeMethod::Port, "127.0.0.1:21");
    let judgement = judge(&DataSettings::default(), &plain(vec![epsv, port]));
    let rec = judgement.recommendation.unwrap();
    assert_eq!(rec.mode, DataMode::Active);
    assert_eq!(rec.cli_flags(), "--mode active");
    let mut data = DataSettings::default();
    assert!(!rec.is_followed_by(&data));
    rec.apply_to(&mut data);
    assert_eq!(data.mode, DataMode::Active);
    assert!(rec.is_followed_by(&data));
}

#[test]
fn tls_reuse_required_and_supported() {
    let mut resumed = works(ProbeMethod::Epsv, "127.0.0.1:21");
    resumed.tls_resumed = Some(true);
    let mut fresh = record(ProbeMethod::Epsv, "127.0.0.1:21");
    fresh.fresh_tls_session = true;
    fresh.data_opened = true;
    fresh.outcome = Err(ProbeFailure::TransferRefused {
        reply: "522 SSL connection failed: session reuse required".into(),
    });
    let rounds = vec![Round {
        tls: true,
        logon_error: None,
        tls_offered: None,
        attempts: vec![resumed, fresh],
    }];
    let judgement = judge(&DataSettings::default(), &rounds);
    assert!(
        judgement
            .summary
            .contains(&"TLS data connections require session reuse: supported".to_owned()),
        "{:?}",
        judgement.summary
    );
    assert_eq!(judgement.rows[0].method, "EPSV, TLS");
    assert_eq!(judgement.rows[0].verdict, "works (TLS session resumed)");
    assert_eq!(judgement.rows[1].method, "EPSV, TLS, new session");
    assert!(
        judgement.rows[1]
            .verdict
            .ends_with("it requires session reuse")
    );
}

#[test]
fn a_failed_logon_is_a_summary_line_without_rows() {
    let rounds = vec![Round {
        tls: true,
        logon_error: Some("530 Login incorrect.".into()),
        tls_offered: None,
        attempts: Vec::new(),
    }];
    let judgement = judge(&DataSettings::default(), &rounds);
    assert!(judgement.rows.is_empty());
    assert_eq!(
        judgement.summary,
        ["Logging in over TLS failed: 530 Login incorrect."]
    );
    assert_eq!(judgement.recommendation, None);
    assert_eq!(
        judgement.failure.as_deref(),
        Some("Logging in over TLS failed: 530 Login incorrect.")
    );
}

#[test]
fn times_under_ten_milliseconds_keep_a_decimal() {
    assert_eq!(format_elapsed(Duration::from_micros(380)), "0.4 ms");
    assert_eq!(format_elapsed(Duration::from_micros(9_940)), "9.9 ms");
    assert_eq!(format_elapsed(Duration::from_millis(250)), "250 ms");
    assert_eq!(format_elapsed(Duration::from_secs(3)), "3000 ms");
}
