//! `get -r` and `put -r` through the transfer engine against real servers: a tree with nested
//! and empty folders, 0-byte files, a 50 MiB file, spaces and non-ASCII names; byte-identical,
//! passive and active, with connections reused file after file.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
mod skiff_cmd;

use std::collections::BTreeMap;
use std::path::Path;

use common::{FtpServer, ServerKind, free_port_range};
use skiff_cmd::{pseudo_random_bytes, sha256, skiff};

/// Relative path → sha256 of every file, and every folder (as "dir").
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if entry.file_type().unwrap().is_dir() {
                out.insert(rel, "dir".into());
                stack.push(entry.path());
            } else {
                out.insert(rel, sha256(&std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    out
}

fn make_tree(write: &dyn Fn(&str, &[u8]), mkdir: &dyn Fn(&str)) {
    write("top.txt", b"top");
    write("empty-file.dat", b"");
    write("dir with spaces/file with spaces.txt", b"spaces");
    write("ünïcödé/名前.txt", "名前".as_bytes());
    write("a/b/c/deep.bin", &pseudo_random_bytes(70_000, 3));
    write("big/fifty.bin", &pseudo_random_bytes(50 * 1024 * 1024, 50));
    for i in 0..12 {
        write(&format!("many/f{i:02}.txt"), format!("file {i}").as_bytes());
    }
    mkdir("empty-dir");
    mkdir("a/empty-inside");
}

fn mode_flags(active: bool) -> Vec<String> {
    if active {
        let (lo, hi) = free_port_range(30);
        vec![
            "--mode".into(),
            "active".into(),
            "--port-range".into(),
            format!("{lo}-{hi}"),
        ]
    } else {
        vec![]
    }
}

fn round_trip(kind: ServerKind, active: bool) {
    let server = FtpServer::start(kind);
    make_tree(
        &|rel, bytes| server.write_file(&format!("src/{rel}"), bytes),
        &|rel| server.mkdir(&format!("src/{rel}")),
    );
    let work = tempfile::tempdir().unwrap();
    let flags = mode_flags(active);
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|s| s.to_string())
            .chain(flags.iter().cloned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        skiff(work.path(), &refs)
    };

    // Download: the contents of src/ into down/ (created).
    let got = run(with(&[
        "get",
        "-r",
        &server.url("src"),
        "down",
        "--parallel",
        "3",
        "--log",
    ]));
    got.assert_ok();
    let remote_tree = snapshot(&server.root().join("src"));
    assert_eq!(snapshot(&work.path().join("down")), remote_tree);
    // Three connections at most, each reused: not one logon per file.
    let logons = got.stderr.matches("Status:   Logged in").count();
    assert!((1..=3).contains(&logons), "{logons} logons");

    // Upload the downloaded tree into a new remote folder, and compare again.
    run(with(&[
        "put",
        "-r",
        "down",
        &server.url("copy/"),
        "--parallel",
        "2",
    ]))
    .assert_ok();
    assert_eq!(snapshot(&server.root().join("copy")), remote_tree);
}

#[test]
fn vsftpd_tree_passive() {
    round_trip(ServerKind::Vsftpd, false);
}

#[test]
fn vsftpd_tree_active() {
    round_trip(ServerKind::Vsftpd, true);
}

#[test]
fn pure_ftpd_tree_passive() {
    round_trip(ServerKind::PureFtpd, false);
}

#[test]
fn pure_ftpd_tree_active() {
    round_trip(ServerKind::PureFtpd, true);
}

#[test]
fn existing_files_follow_the_chosen_policy() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("src/one.txt", b"remote one");
    server.write_file("src/two.txt", b"remote two");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("down")).unwrap();
    std::fs::write(work.path().join("down/one.txt"), b"local one").unwrap();

    // No policy: the existing file fails (and is untouched), the other one arrives.
    let run = skiff(work.path(), &["get", "-r", &server.url("src"), "down"]);
    run.assert_fails_with("1 of 3 items failed");
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(work.path().join("down/one.txt")).unwrap(),
        b"local one"
    );
    assert_eq!(
        std::fs::read(work.path().join("down/two.txt")).unwrap(),
        b"remote two"
    );

    // --skip-existing: still untouched, and a success.
    skiff(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--skip-existing"],
    )
    .assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("down/one.txt")).unwrap(),
        b"local one"
    );

    // --overwrite: replaced.
    skiff(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--overwrite"],
    )
    .assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("down/one.txt")).unwrap(),
        b"remote one"
    );

    // Two policies at once are refused before anything happens.
    skiff(
        work.path(),
        &[
            "get",
            "-r",
            &server.url("src"),
            "down",
            "--overwrite",
            "--newer",
        ],
    )
    .assert_fails_with("choose one of");
}

#[test]
fn a_wrong_password_fails_the_tree_with_the_servers_reply() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let url = format!(
        "ftp://{}:wrong@{}:{}/",
        server.user(),
        server.host(),
        server.port()
    );
    let work = tempfile::tempdir().unwrap();
    let run = skiff(work.path(), &["get", "-r", &url, "down"]);
    run.assert_fails_with("530");
}

#[test]
fn resume_and_newer_policies_on_a_tree() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(400_000, 12);
    server.write_file("src/big.bin", &content);
    server.write_file("src/old.txt", b"server copy");
    let work = tempfile::tempdir().unwrap();
    let down = work.path().join("down");
    std::fs::create_dir(&down).unwrap();
    // A partial local copy of big.bin, and a local old.txt newer than the server's.
    std::fs::write(down.join("big.bin"), &content[..150_000]).unwrap();
    std::fs::write(down.join("old.txt"), b"my newer edit").unwrap();
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(down.join("old.txt"))
        .unwrap()
        .set_modified(future)
        .unwrap();

    // --resume continues big.bin; old.txt is larger than the server's, so it cannot be a
    // beginning of it: refused, and left as it is.
    let run = skiff(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--resume", "--log"],
    );
    run.assert_fails_with("1 of 3 items failed");
    assert!(
        run.stderr.contains("larger than the remote file"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(down.join("old.txt")).unwrap(),
        b"my newer edit"
    );
    assert!(
        run.log_lines("Command:").iter().any(|c| c == "REST 150000"),
        "{}",
        run.stderr
    );
    assert_eq!(
        sha256(&std::fs::read(down.join("big.bin")).unwrap()),
        sha256(&content)
    );

    // --newer: the local old.txt is newer than the server's, so it stays.
    skiff(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--newer"],
    )
    .assert_ok();
    assert_eq!(
        std::fs::read(down.join("old.txt")).unwrap(),
        b"my newer edit"
    );
    // Made older than the server's copy, it is replaced.
    std::fs::File::options()
        .write(true)
        .open(down.join("old.txt"))
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
        .unwrap();
    skiff(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--newer"],
    )
    .assert_ok();
    assert_eq!(std::fs::read(down.join("old.txt")).unwrap(), b"server copy");
}
