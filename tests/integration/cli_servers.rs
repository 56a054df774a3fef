//! The CLI against real FTP servers on loopback: every command, in passive and in active
//! mode (with a fixed local port range), with byte-identical content.

use std::path::Path;

use crate::common::{FtpServer, ServerKind, free_port_range};
use crate::skiff_cmd::{Run, announced_port, pseudo_random_bytes, sha256, skiff};

/// The data-connection flags of one mode, and the port range used in active mode.
fn mode_args(active: bool) -> (Vec<String>, Option<(u16, u16)>) {
    if active {
        let (lo, hi) = free_port_range(20);
        (
            vec![
                "--mode".into(),
                "active".into(),
                "--port-range".into(),
                format!("{lo}-{hi}"),
            ],
            Some((lo, hi)),
        )
    } else {
        (vec!["--mode".into(), "passive".into()], None)
    }
}

struct Scenario<'a> {
    server: &'a FtpServer,
    work: &'a Path,
    flags: Vec<String>,
    range: Option<(u16, u16)>,
    announced: Vec<u16>,
}

impl Scenario<'_> {
    /// Runs skiff with `--log` and, for the commands that open data connections, the mode
    /// flags (the others refuse them: they would have no effect), and records every
    /// announced active port.
    fn run(&mut self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        if matches!(args.first(), Some(&("ls" | "get" | "put"))) {
            all.extend(self.flags.iter().map(String::as_str));
        }
        all.push("--log");
        let run = skiff(self.work, &all);
        for command in run.log_lines("Command:") {
            if let Some(port) = announced_port(&command) {
                self.announced.push(port);
            }
        }
        run
    }
}

fn full_scenario(kind: ServerKind, active: bool) {
    let server = FtpServer::start(kind);
    let work = tempfile::tempdir().unwrap();
    let (flags, range) = mode_args(active);
    let mut s = Scenario {
        server: &server,
        work: work.path(),
        flags,
        range,
        announced: Vec::new(),
    };
    let big = pseudo_random_bytes(3 * 1024 * 1024 + 17, 7);
    s.server.write_file("data/big.bin", &big);
    s.server.write_file("data/small.txt", b"hello\n");
    s.server
        .write_file("data/name with spaces.txt", b"spaced\n");
    s.server.mkdir("data/sub");

    // ls --json: names, kinds and sizes as the server has them.
    let run = s.run(&["ls", &server.url("data/"), "--json"]);
    run.assert_ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("ls --json output");
    let rows = rows.as_array().expect("a JSON array");
    let find = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {rows:?}"))
    };
    assert_eq!(find("big.bin")["kind"], "file");
    assert_eq!(find("big.bin")["size"], big.len() as u64);
    assert_eq!(find("name with spaces.txt")["size"], 7);
    assert_eq!(find("sub")["kind"], "dir");
    assert!(find("small.txt")["modified"].is_string());
    assert_eq!(rows.len(), 4, "no . or .. entries: {rows:?}");

    // get: byte-identical, into a named file and into a directory.
    s.run(&["get", &server.url("data/big.bin"), "big.bin"])
        .assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("big.bin")).unwrap()),
        sha256(&big)
    );
    std::fs::create_dir(work.path().join("into")).unwrap();
    s.run(&["get", &server.url("data/name with spaces.txt"), "into"])
        .assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("into/name with spaces.txt")).unwrap(),
        b"spaced\n"
    );

    // An existing local file is not overwritten without --overwrite.
    s.run(&["get", &server.url("data/small.txt"), "big.bin"])
        .assert_fails_with("already exists");
    assert_eq!(
        sha256(&std::fs::read(work.path().join("big.bin")).unwrap()),
        sha256(&big)
    );
    s.run(&[
        "get",
        &server.url("data/small.txt"),
        "big.bin",
        "--overwrite",
    ])
    .assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("big.bin")).unwrap(),
        b"hello\n"
    );

    // put: into a directory URL, byte-identical on the server.
    let upload = pseudo_random_bytes(2 * 1024 * 1024 + 5, 11);
    std::fs::write(work.path().join("upload.bin"), &upload).unwrap();
    s.run(&["put", "upload.bin", &server.url("data/")])
        .assert_ok();
    assert_eq!(
        sha256(&server.read_file("data/upload.bin").expect("uploaded")),
        sha256(&upload)
    );
    // ... and an existing remote file is not replaced without --overwrite.
    s.run(&["put", "upload.bin", &server.url("data/small.txt")])
        .assert_fails_with("already exists");
    assert_eq!(server.read_file("data/small.txt").unwrap(), b"hello\n");

    // mkdir, mv, rm, rmdir.
    s.run(&["mkdir", &server.url("data/newdir")]).assert_ok();
    assert!(server.root().join("data/newdir").is_dir());
    s.run(&["mv", &server.url("data/upload.bin"), "renamed.bin"])
        .assert_ok();
    assert!(server.read_file("data/upload.bin").is_none());
    assert_eq!(
        sha256(&server.read_file("data/renamed.bin").expect("renamed")),
        sha256(&upload)
    );
    s.run(&["rm", &server.url("data/renamed.bin")]).assert_ok();
    assert!(server.read_file("data/renamed.bin").is_none());
    s.run(&["rmdir", &server.url("data/newdir")]).assert_ok();
    assert!(!server.root().join("data/newdir").exists());

    // Resumed download: a .part holding the first MiB is continued with REST.
    std::fs::write(work.path().join("resume.bin.part"), &big[..1024 * 1024]).unwrap();
    let run = s.run(&["get", "--resume", &server.url("data/big.bin"), "resume.bin"]);
    run.assert_ok();
    assert!(
        run.log_lines("Command:")
            .iter()
            .any(|c| c == "REST 1048576"),
        "no REST in the log:\n{}",
        run.stderr
    );
    assert_eq!(
        sha256(&std::fs::read(work.path().join("resume.bin")).unwrap()),
        sha256(&big)
    );
    assert!(!work.path().join("resume.bin.part").exists());

    // Resumed upload: the server holds the first MiB; the rest is sent with REST+STOR or APPE.
    server.write_file("data/partial-up.bin", &big[..1024 * 1024]);
    std::fs::write(work.path().join("full.bin"), &big).unwrap();
    let run = s.run(&[
        "put",
        "--resume",
        "full.bin",
        &server.url("data/partial-up.bin"),
    ]);
    run.assert_ok();
    let commands = run.log_lines("Command:");
    assert!(
        commands
            .iter()
            .any(|c| c == "REST 1048576" || c.starts_with("APPE ")),
        "upload was not resumed:\n{}",
        run.stderr
    );
    assert_eq!(
        sha256(&server.read_file("data/partial-up.bin").unwrap()),
        sha256(&big)
    );

    // Active mode: every announced port lies inside the configured range.
    if let Some((lo, hi)) = s.range {
        assert!(!s.announced.is_empty(), "active mode announced no port");
        for port in &s.announced {
            assert!((lo..=hi).contains(port), "port {port} outside {lo}-{hi}");
        }
    } else {
        assert!(s.announced.is_empty(), "passive mode sent PORT/EPRT");
    }
}

#[test]
fn vsftpd_passive() {
    full_scenario(ServerKind::Vsftpd, false);
}

#[test]
fn vsftpd_active_in_port_range() {
    full_scenario(ServerKind::Vsftpd, true);
}

#[test]
fn pure_ftpd_passive() {
    full_scenario(ServerKind::PureFtpd, false);
}

#[test]
fn pure_ftpd_active_in_port_range() {
    full_scenario(ServerKind::PureFtpd, true);
}

#[test]
fn proftpd_passive() {
    full_scenario(ServerKind::Proftpd, false);
}

#[test]
fn proftpd_active_in_port_range() {
    full_scenario(ServerKind::Proftpd, true);
}

#[test]
fn libunftp_passive() {
    full_scenario(ServerKind::Libunftp, false);
}

#[test]
fn announced_port_is_read_from_port_and_eprt() {
    assert_eq!(announced_port("PORT 127,0,0,1,195,80"), Some(50000));
    assert_eq!(announced_port("EPRT |1|127.0.0.1|50010|"), Some(50010));
    assert_eq!(announced_port("EPSV"), None);
}

#[test]
fn libunftp_active_in_port_range() {
    full_scenario(ServerKind::Libunftp, true);
}
