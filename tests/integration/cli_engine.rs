//! The CLI is a face of the engine: a single file gets what a tree gets (retries that
//! resume, every file-exists policy), the remote operations are the window's, and a flag that
//! would do nothing is refused with a usage error (exit 2) that says why.

use std::time::{Duration, SystemTime};

use crate::common::{FtpServer, ServerKind};
use crate::cut_proxy::CutProxy;
use crate::skiff_cmd::{pseudo_random_bytes, set_mtime, sha256, skiff};

#[test]
fn a_single_file_download_retries_cut_connections_and_resumes_them() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(3 * 1024 * 1024 + 11, 5);
    server.write_file("file.bin", &content);
    // The data connection is cut twice after 256 KiB.
    let proxy = CutProxy::start(
        format!("127.0.0.1:{}", server.port()).parse().unwrap(),
        256 * 1024,
        2,
    );
    let work = tempfile::tempdir().unwrap();
    let url = format!(
        "ftp://{}:{}@127.0.0.1:{}/file.bin",
        server.user(),
        server.password(),
        proxy.addr.port()
    );
    let run = skiff(work.path(), &["get", &url, "file.bin", "--log"]);
    run.assert_ok();
    assert_eq!(proxy.cuts_done(), 2);
    assert_eq!(
        sha256(&std::fs::read(work.path().join("file.bin")).unwrap()),
        sha256(&content)
    );
    let rests = run
        .log_lines("Command:")
        .into_iter()
        .filter(|c| c.starts_with("REST "))
        .count();
    assert_eq!(rests, 2, "each retry resumed with REST:\n{}", run.stderr);
    assert!(!work.path().join("file.bin.part").exists());
}

#[test]
fn a_single_file_takes_every_file_exists_policy() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("new.txt", b"from the server\n");
    let url = server.url("new.txt");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("new.txt");
    let read = || std::fs::read(&local).unwrap();

    std::fs::write(&local, b"mine").unwrap();
    skiff(work.path(), &["get", &url]).assert_fails_with("already exists: use --overwrite");
    skiff(work.path(), &["get", &url, "--skip-existing"]).assert_ok();
    assert_eq!(read(), b"mine", "skipped");
    // Newer here than there: --newer leaves it; older: --newer replaces it.
    set_mtime(&local, SystemTime::now() + Duration::from_secs(3600));
    skiff(work.path(), &["get", &url, "--newer"]).assert_ok();
    assert_eq!(read(), b"mine", "the local file is newer");
    set_mtime(
        &local,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000),
    );
    skiff(work.path(), &["get", &url, "--newer"]).assert_ok();
    assert_eq!(read(), b"from the server\n", "the local file was older");

    // Uploads too: skipped while the remote file exists, replaced with --overwrite.
    std::fs::write(&local, b"changed here\n").unwrap();
    skiff(work.path(), &["put", "new.txt", &url, "--skip-existing"]).assert_ok();
    assert_eq!(server.read_file("new.txt").unwrap(), b"from the server\n");
    skiff(work.path(), &["put", "new.txt", &url, "--overwrite"]).assert_ok();
    assert_eq!(server.read_file("new.txt").unwrap(), b"changed here\n");
}

#[test]
fn chmod_sets_a_remote_files_permissions() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("script.sh", b"#!/bin/sh\n");
    let work = tempfile::tempdir().unwrap();
    skiff(work.path(), &["chmod", "750", &server.url("script.sh")]).assert_ok();
    let run = skiff(work.path(), &["ls", &server.url("/"), "--json"]);
    run.assert_ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "script.sh")
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(row["permissions"], "-rwxr-x---");
    skiff(work.path(), &["chmod", "9", &server.url("script.sh")])
        .assert_fails_with("is not a permission mode");
}

#[test]
fn flags_that_would_do_nothing_are_usage_errors_that_say_why() {
    // No server is reached: each is refused before connecting.
    let work = tempfile::tempdir().unwrap();
    let url = "ftp://user@127.0.0.1:1/f.bin";
    let fingerprint = "AB".repeat(32);
    let refused = [
        (
            vec!["get", url, "--parallel", "3"],
            "--parallel needs -r: a single file travels on one connection",
        ),
        (
            vec!["get", url, "--overwrite", "--newer"],
            "choose one of --overwrite, --resume, --skip-existing, --newer and --newer-or-size",
        ),
        (
            vec!["ls", url, "--trust-fingerprint", &fingerprint],
            "apply to TLS connections",
        ),
        (
            vec!["ls", "ftpes://user@127.0.0.1:1/", "--tls-if-available"],
            "--tls-if-available applies to plain FTP",
        ),
        // Flags a command does not take at all: clap's own usage error.
        (
            vec!["mkdir", url, "--mode", "active"],
            "unexpected argument '--mode'",
        ),
        (
            vec!["ls", url, "--overwrite"],
            "unexpected argument '--overwrite'",
        ),
        (
            vec!["rm", url, "--limit-rate", "1M"],
            "unexpected argument '--limit-rate'",
        ),
    ];
    for (args, why) in refused {
        let run = skiff(work.path(), &args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    }
}
