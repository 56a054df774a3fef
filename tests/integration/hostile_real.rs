//! Hostile names as real servers serve them (vsftpd over LIST, pure-ftpd over MLSD): files
//! named `x.`, `CON`, `a\b`, `a:b`, control characters, case and NFC/NFD twins, a link
//! `outside -> (a folder of this test)` and a loop `self -> .` in the served folder, fetched
//! with `skiff get -r`. And uploads: local names with CR or LF are refused before anything is
//! sent for them, while the rest goes up (`skiff put -r`).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::time::Duration;

use crate::common::local_tree::{Found, walk_tree};
use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::skiff_in;

const NFC: &str = "caf\u{e9}.txt";
const NFD: &str = "cafe\u{301}.txt";

fn hostile_download(kind: ServerKind) {
    let server = FtpServer::start(kind);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"secret outside").unwrap();
    let names: &[&[u8]] = &[
        b"ok.txt",
        b"x.",
        b"CON",
        b"a\\b",
        b"a:b",
        b"ctl\x01char",
        b"tab\tname",
        NFC.as_bytes(),
        NFD.as_bytes(),
        b"README",
        b"readme",
    ];
    for name in names {
        let mut body = b"contents of ".to_vec();
        body.extend_from_slice(name);
        server.write_file_raw_name("src", name, &body);
    }
    let src = server.root().join("src");
    std::os::unix::fs::symlink(outside.path(), src.join("outside")).unwrap();
    std::os::unix::fs::symlink(".", src.join("self")).unwrap();

    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("sibling")).unwrap();
    let before = walk_tree(work.path());
    let outside_before = walk_tree(outside.path());
    let run = skiff_in(
        work.path(),
        &["get", "-r", &server.url("src"), "down", "--log"],
        Duration::from_secs(180),
    );
    let down = work.path().join("down");
    assert!(down.is_dir(), "{}\n{}", run.stderr, server.log_tail());

    // Nothing outside the target changed; nothing in it is a link or came through one.
    let mut after = walk_tree(work.path());
    after.retain(|rel, _| !rel.starts_with(b"down"));
    assert_eq!(after, before, "outside the target folder");
    assert_eq!(
        walk_tree(outside.path()),
        outside_before,
        "the link's target"
    );
    let got = walk_tree(&down);
    for (rel, value) in &got {
        assert_ne!(
            *value,
            Found::Symlink,
            "{:?} is a symlink",
            String::from_utf8_lossy(rel)
        );
        assert_ne!(
            *value,
            Found::File(b"secret outside".to_vec()),
            "came through the link"
        );
    }

    // Top level: every file arrived once under a name Windows can hold too, twins numbered.
    let top: BTreeMap<Vec<u8>, Found> = got
        .iter()
        .filter(|(rel, _)| !rel.contains(&b'/'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let contents = |name: &[u8]| [b"contents of ".as_slice(), name].concat();
    let expect_one = |local: &str, remote: &[u8]| {
        assert_eq!(
            top.get(local.as_bytes()),
            Some(&Found::File(contents(remote))),
            "{local:?} on {kind:?}: {:?}\n{}",
            top.keys()
                .map(|k| String::from_utf8_lossy(k))
                .collect::<Vec<_>>(),
            run.stderr
        );
    };
    expect_one("ok.txt", b"ok.txt");
    expect_one("x_", b"x.");
    expect_one("CON_", b"CON");
    // pure-ftpd lists no name with control characters and refuses RETR of `a\b` (553);
    // vsftpd serves them all, and the links as links.
    let pure = kind == ServerKind::PureFtpd;
    if pure {
        run.assert_fails_with("553");
        assert!(!top.contains_key(&b"ctl_char"[..]) && !top.contains_key(&b"tab_name"[..]));
    } else {
        run.assert_ok();
        expect_one("ctl_char", b"ctl\x01char");
        expect_one("tab_name", b"tab\tname");
    }
    // Twins: the one listed first keeps its name, the later one is numbered; both kept
    // (the `a_b` made from `a\b` only where the server let it be downloaded).
    let slashes: &[&[u8]] = if pure { &[b"a:b"] } else { &[b"a\\b", b"a:b"] };
    for (plain, numbered, remotes) in [
        ("a_b", "a_b (1)", slashes),
        (
            NFC,
            "caf\u{e9} (1).txt",
            &[NFC.as_bytes(), NFD.as_bytes()][..],
        ),
        ("README", "README (1)", &[&b"README"[..], b"readme"][..]),
    ] {
        let pair: BTreeSet<Found> = top
            .iter()
            .filter(|(k, _)| {
                let key = skiff::local::fold_key(k);
                key == skiff::local::fold_key(plain.as_bytes())
                    || key == skiff::local::fold_key(numbered.as_bytes())
            })
            .map(|(_, v)| v.clone())
            .collect();
        let wanted: BTreeSet<Found> = remotes.iter().map(|r| Found::File(contents(r))).collect();
        assert_eq!(pair, wanted, "{plain:?} twins on {kind:?}\n{}", run.stderr);
    }
    assert!(
        top.keys()
            .all(|k| skiff::local::safe_name(k, Default::default())
                .unwrap()
                .as_ref()
                == &k[..]),
        "a name the rules would change: {:?}",
        top.keys()
            .map(|k| String::from_utf8_lossy(k))
            .collect::<Vec<_>>()
    );
    // The link out and the loop: never a folder of the result (or only the loop, once,
    // refused by the tree's memory of /src), and each has a log line.
    assert!(!top.contains_key(&b"outside"[..]), "{}", run.stderr);
    for link in ["outside", "self"] {
        let logged = run.stderr.lines().any(|l| {
            l.contains(&format!("\"{link}\""))
                && (l.contains("links are not followed") || l.contains("link loop"))
        });
        assert!(
            logged,
            "no log line for {link:?} on {kind:?}:\n{}",
            run.stderr
        );
    }
    let in_self = got.keys().filter(|rel| rel.starts_with(b"self/")).count();
    assert_eq!(in_self, 0, "the loop was entered on {kind:?}");
}

#[test]
fn vsftpd_hostile_names_stay_inside_and_are_made_safe() {
    hostile_download(ServerKind::Vsftpd);
}

#[test]
fn pure_ftpd_hostile_names_stay_inside_and_are_made_safe() {
    hostile_download(ServerKind::PureFtpd);
}

fn upload_refuses_line_breaks(kind: ServerKind) {
    let server = FtpServer::start(kind);
    server.mkdir("dest");
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("ok.txt"), b"fine").unwrap();
    std::fs::write(up.join("sub/inner.txt"), b"inner").unwrap();
    std::fs::write(up.join(OsStr::from_bytes(b"bad\nname.txt")), b"LF").unwrap();
    std::fs::write(up.join(OsStr::from_bytes(b"carriage\rreturn.txt")), b"CR").unwrap();
    let dir = up.join(OsStr::from_bytes(b"dir\r\nDELE ok.txt"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("hidden.txt"), b"in a bad folder").unwrap();

    let run = skiff_in(
        work.path(),
        &["put", "-r", "up", &server.url("dest/"), "--log"],
        Duration::from_secs(60),
    );
    // The refused names fail their folder, so the run says so; the rest went up.
    run.assert_fails_with("entries refused");
    let dest = server.root().join("dest");
    let mut on_server: Vec<String> = walk_tree(&dest)
        .keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    on_server.sort();
    assert_eq!(
        on_server,
        ["ok.txt", "sub", "sub/inner.txt"],
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(dest.join("ok.txt")).unwrap(), b"fine");
    // Each refused name has an error line, and no command carried any of them.
    let errors = run.log_lines("Error:");
    for shown in [
        "bad\\nname.txt",
        "carriage\\rreturn.txt",
        "dir\\r\\nDELE ok.txt",
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(shown) && e.contains("line break")),
            "no error line for {shown:?}: {errors:#?}"
        );
    }
    for command in run.log_lines("Command:") {
        for part in ["bad", "carriage", "return", "DELE", "hidden"] {
            assert!(!command.contains(part), "sent {command:?}");
        }
    }
}

#[test]
fn vsftpd_upload_refuses_local_names_with_line_breaks() {
    upload_refuses_line_breaks(ServerKind::Vsftpd);
}

#[test]
fn pure_ftpd_upload_refuses_local_names_with_line_breaks() {
    upload_refuses_line_breaks(ServerKind::PureFtpd);
}

#[test]
fn single_file_get_and_put_follow_the_same_rules() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("src/CON", b"device");
    server.write_file("src/a:b", b"colon");
    server.mkdir("dest");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("down")).unwrap();
    for (remote, local, body) in [
        ("src/CON", "CON_", &b"device"[..]),
        ("src/a:b", "a_b", b"colon"),
    ] {
        skiff_in(
            work.path(),
            &["get", &server.url(remote), "down"],
            Duration::from_secs(30),
        )
        .assert_ok();
        assert_eq!(
            std::fs::read(work.path().join("down").join(local)).unwrap(),
            body
        );
    }
    // A name with a line break is refused before Skiff even connects.
    let bad = work.path().join(OsStr::from_bytes(b"two\nlines.txt"));
    std::fs::write(&bad, b"x").unwrap();
    let run = skiff_in(
        work.path(),
        &["put", bad.to_str().unwrap(), &server.url("dest/"), "--log"],
        Duration::from_secs(30),
    );
    run.assert_fails_with("line break");
    assert!(run.log_lines("Command:").is_empty(), "{}", run.stderr);
    assert!(walk_tree(&server.root().join("dest")).is_empty());
}
