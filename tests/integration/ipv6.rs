//! IPv6: `ftp://[::1]:PORT/` URLs, EPSV and EPRT over ::1 against real servers.

use crate::common::{FtpServer, ServerKind, ServerOptions, free_port_range};
use crate::skiff_cmd::{pseudo_random_bytes, sha256, skiff};

/// A round trip (ls, get, put) over ::1. A machine without an IPv6 loopback fails here, in
/// `FtpServer::start_with` (`common::require_ipv6_loopback`): never a silent pass.
fn round_trip_over_ipv6(kind: ServerKind, active: bool) {
    let server = FtpServer::start_with(
        kind,
        ServerOptions {
            bind_v6: true,
            ..ServerOptions::default()
        },
    );
    assert!(server.url("").contains("@[::1]:"), "{}", server.url(""));
    let content = pseudo_random_bytes(512 * 1024 + 3, 99);
    server.write_file("v6/data.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let mut mode: Vec<String> = vec!["--log".into()];
    if active {
        let (lo, hi) = free_port_range(10);
        mode.extend([
            "--mode".into(),
            "active".into(),
            "--port-range".into(),
            format!("{lo}-{hi}"),
        ]);
    }
    let with_mode = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| a.to_string())
            .chain(mode.iter().cloned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        skiff(work.path(), &refs)
    };

    let listing = run(with_mode(&["ls", &server.url("v6/"), "--json"]));
    listing.assert_ok();
    assert!(
        listing.stdout.contains("\"data.bin\""),
        "{}",
        listing.stdout
    );
    let commands = listing.log_lines("Command:");
    if active {
        assert!(
            commands.iter().any(|c| c.starts_with("EPRT |2|::1|")),
            "{commands:?}"
        );
    } else {
        assert!(commands.iter().any(|c| c == "EPSV"), "{commands:?}");
        assert!(commands.iter().all(|c| c != "PASV"), "{commands:?}");
    }
    run(with_mode(&["get", &server.url("v6/data.bin"), "data.bin"])).assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("data.bin")).unwrap()),
        sha256(&content)
    );
    run(with_mode(&["put", "data.bin", &server.url("v6/copy.bin")])).assert_ok();
    assert_eq!(
        sha256(&server.read_file("v6/copy.bin").unwrap()),
        sha256(&content)
    );
}

#[test]
fn vsftpd_over_ipv6_passive() {
    round_trip_over_ipv6(ServerKind::Vsftpd, false);
}

#[test]
fn vsftpd_over_ipv6_active() {
    round_trip_over_ipv6(ServerKind::Vsftpd, true);
}

#[test]
fn pure_ftpd_over_ipv6_passive() {
    round_trip_over_ipv6(ServerKind::PureFtpd, false);
}

#[test]
fn proftpd_over_ipv6_active() {
    round_trip_over_ipv6(ServerKind::Proftpd, true);
}
