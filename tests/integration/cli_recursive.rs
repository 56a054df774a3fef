//! `get -r` and `put -r` through the transfer engine against real servers: a tree with nested
//! and empty folders, 0-byte files, a 50 MiB file, spaces and non-ASCII names; byte-identical,
//! passive and active, with connections reused file after file.

use crate::common::{FtpServer, ServerKind, free_port_range};
use crate::skiff_cmd::{
    pseudo_random_bytes, set_mtime, sha256, skiff, skiff_on_terminal, snapshot,
};

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

/// `put -r` into a remote folder that already holds some of the files: refused by default,
/// then --skip-existing, --overwrite, each with the remote side checked byte for byte.
#[test]
fn upload_existing_files_follow_the_chosen_policy() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("dst/one.txt", b"remote one");
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("up");
    std::fs::create_dir(&up).unwrap();
    std::fs::write(up.join("one.txt"), b"local one").unwrap();
    std::fs::write(up.join("two.txt"), b"local two").unwrap();
    let put = |extra: &[&str]| {
        let url = server.url("dst");
        let mut args = vec!["put", "-r", "up", url.as_str()];
        args.extend_from_slice(extra);
        skiff(work.path(), &args)
    };

    // No policy: the existing remote file fails (and is untouched), the other one arrives.
    let run = put(&[]);
    run.assert_fails_with("1 of 3 items failed");
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(server.read_file("dst/one.txt").unwrap(), b"remote one");
    assert_eq!(server.read_file("dst/two.txt").unwrap(), b"local two");

    // --skip-existing: both exist now; nothing is sent, and that is a success.
    server.write_file("dst/two.txt", b"remote two");
    let run = put(&["--skip-existing"]);
    run.assert_ok();
    assert_eq!(run.stderr.matches("skipped: ").count(), 2, "{}", run.stderr);
    assert_eq!(server.read_file("dst/one.txt").unwrap(), b"remote one");
    assert_eq!(server.read_file("dst/two.txt").unwrap(), b"remote two");

    // --overwrite: both replaced.
    let run = put(&["--overwrite"]);
    run.assert_ok();
    assert_eq!(server.read_file("dst/one.txt").unwrap(), b"local one");
    assert_eq!(server.read_file("dst/two.txt").unwrap(), b"local two");
}

/// A tree upload asks the server nothing the tree's expansion already knows: into a folder
/// it just created, each file costs EPSV and STOR alone (no SIZE before, to see whether it
/// exists, nor after, over plain FTP); into an existing folder, one listing says which names
/// are free, and only a name the listing has, or has in another case (one file on a
/// case-insensitive server), is asked about.
#[test]
fn a_tree_upload_asks_only_what_it_does_not_know() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    for name in ["one.txt", "two.txt", "sub/three.txt"] {
        std::fs::write(up.join(name), name.as_bytes()).unwrap();
    }
    let run = skiff(
        work.path(),
        &["put", "-r", "up", &server.url("fresh"), "--log"],
    );
    run.assert_ok();
    let commands = run.log_lines("Command:");
    let count = |verb: &str| commands.iter().filter(|c| c.starts_with(verb)).count();
    assert_eq!(count("STOR "), 3, "{}", run.stderr);
    assert_eq!(count("EPSV") + count("PASV"), 3, "{}", run.stderr);
    assert_eq!(count("SIZE "), 0, "{}", run.stderr);
    assert_eq!(count("LIST") + count("MLSD"), 0, "{}", run.stderr);
    assert_eq!(
        server.read_file("fresh/sub/three.txt").unwrap(),
        b"sub/three.txt"
    );

    // An existing folder: listed once. ONE.TXT there may be one.txt on another server.
    server.write_file("dst/ONE.TXT", b"remote");
    server.write_file("dst/two.txt", b"remote two");
    std::fs::remove_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("new.txt"), b"new").unwrap();
    let run = skiff(
        work.path(),
        &[
            "put",
            "-r",
            "up",
            &server.url("dst"),
            "--skip-existing",
            "--log",
        ],
    );
    run.assert_ok();
    let commands = run.log_lines("Command:");
    let has = |c: &str| commands.iter().any(|x| x == c);
    assert!(has("SIZE /dst/one.txt"), "{}", run.stderr);
    assert!(has("SIZE /dst/two.txt"), "{}", run.stderr);
    assert!(!has("SIZE /dst/new.txt"), "{}", run.stderr);
    assert!(
        has("STOR /dst/one.txt") && has("STOR /dst/new.txt"),
        "{}",
        run.stderr
    );
    assert!(!has("STOR /dst/two.txt"), "{}", run.stderr);
    assert_eq!(server.read_file("dst/two.txt").unwrap(), b"remote two");
    assert_eq!(server.read_file("dst/ONE.TXT").unwrap(), b"remote");
}

/// A tree upload sends regular files and folders only: a symbolic link (here to a file
/// outside the folder) and a FIFO (which would never end) are skipped and said so.
#[test]
fn a_tree_upload_skips_links_and_fifos_and_says_so() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), b"a").unwrap();
    std::fs::write(up.join("sub/b.txt"), b"b").unwrap();
    std::fs::write(work.path().join("secret.txt"), b"not for the server").unwrap();
    std::os::unix::fs::symlink(work.path().join("secret.txt"), up.join("link.txt")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(up.join("pipe"))
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let run = skiff(work.path(), &["put", "-r", "up", &server.url("t"), "--log"]);
    run.assert_ok();
    assert_eq!(server.read_file("t/a.txt").unwrap(), b"a");
    assert_eq!(server.read_file("t/sub/b.txt").unwrap(), b"b");
    assert!(
        server.read_file("t/link.txt").is_none(),
        "the link was followed"
    );
    assert!(server.read_file("t/pipe").is_none(), "the FIFO was sent");
    let status = run.log_lines("Status:");
    for name in ["link.txt", "pipe"] {
        assert!(
            status
                .iter()
                .any(|l| l.starts_with("Skipped") && l.contains(name)),
            "no word about {name}: {status:?}"
        );
    }
}

/// `put -r --newer` replaces a remote file only when the local one is newer (MDTM), and
/// `put -r --resume` continues a shorter remote file with REST, leaves a complete one alone
/// and refuses a larger one.
#[test]
fn upload_newer_and_resume_policies_on_a_tree() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let put = |local: &str, remote: &str, extra: &[&str]| {
        let url = server.url(remote);
        let mut args = vec!["put", "-r", local, url.as_str(), "--log"];
        args.extend_from_slice(extra);
        skiff(work.path(), &args)
    };

    // --newer. The server's copy was written just now.
    server.write_file("news/edit.txt", b"server copy");
    let news = work.path().join("news");
    std::fs::create_dir(&news).unwrap();
    std::fs::write(news.join("edit.txt"), b"my local edit").unwrap();
    // Not on the server at all: --newer uploads it.
    std::fs::write(news.join("brand-new.txt"), b"first copy").unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    set_mtime(&news.join("edit.txt"), old);
    let run = put("news", "news", &["--newer"]);
    run.assert_ok();
    assert!(
        run.log_lines("Command:")
            .iter()
            .any(|c| c == "MDTM /news/edit.txt"),
        "{}",
        run.stderr
    );
    assert!(
        !run.log_lines("Command:")
            .iter()
            .any(|c| c == "STOR /news/edit.txt"),
        "an older local file was uploaded:\n{}",
        run.stderr
    );
    assert_eq!(server.read_file("news/edit.txt").unwrap(), b"server copy");
    assert_eq!(
        server.read_file("news/brand-new.txt").unwrap(),
        b"first copy"
    );
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    set_mtime(&news.join("edit.txt"), future);
    put("news", "news", &["--newer"]).assert_ok();
    assert_eq!(server.read_file("news/edit.txt").unwrap(), b"my local edit");

    // --resume.
    let big = pseudo_random_bytes(400_000, 13);
    let same = pseudo_random_bytes(20_000, 14);
    server.write_file("res/big.bin", &big[..150_000]);
    server.write_file("res/same.bin", &same);
    server.write_file("res/larger.txt", b"a remote file longer than the local one");
    let res = work.path().join("res");
    std::fs::create_dir(&res).unwrap();
    std::fs::write(res.join("big.bin"), &big).unwrap();
    std::fs::write(res.join("same.bin"), &same).unwrap();
    std::fs::write(res.join("larger.txt"), b"short").unwrap();
    let run = put("res", "res", &["--resume"]);
    run.assert_fails_with("1 of 4 items failed");
    assert!(
        run.stderr.contains("cannot resume: the remote file"),
        "{}",
        run.stderr
    );
    assert_eq!(
        server.read_file("res/larger.txt").unwrap(),
        b"a remote file longer than the local one"
    );
    let commands = run.log_lines("Command:");
    assert!(
        commands
            .iter()
            .any(|c| c == "REST 150000" || c == "APPE /res/big.bin"),
        "big.bin was not resumed:\n{}",
        run.stderr
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.ends_with("/res/same.bin")
                && (c.starts_with("STOR") || c.starts_with("APPE"))),
        "the complete same.bin was sent again:\n{}",
        run.stderr
    );
    assert_eq!(
        sha256(&server.read_file("res/big.bin").unwrap()),
        sha256(&big)
    );
    assert_eq!(server.read_file("res/same.bin").unwrap(), same);
}

/// On a terminal `get -r` draws indicatif bars: an overall one counting files and one per
/// running file with its name; piped, it prints one plain line per file and no escape codes.
#[test]
fn progress_bars_on_a_terminal_and_plain_lines_otherwise() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    // Three files, rate-limited to ~3 s, so the bars are drawn many times (indicatif: 20/s).
    for i in 0..3 {
        server.write_file(
            &format!("slow/part{i}.bin"),
            &pseudo_random_bytes(200_000, i),
        );
    }
    let work = tempfile::tempdir().unwrap();
    let url = server.url("slow");
    let shown = skiff_on_terminal(
        work.path(),
        &[
            "get",
            "-r",
            &url,
            "tty",
            "--parallel",
            "1",
            "--limit-rate",
            "200K",
        ],
        b"",
        &[],
        std::time::Duration::from_secs(60),
    );
    assert!(shown.ok(), "{}", shown.stdout);
    let drawn = &shown.stdout;
    assert!(
        drawn.contains('\u{1b}'),
        "no terminal control codes:\n{drawn}"
    );
    assert!(
        drawn.contains("total [") && drawn.contains("/3 files"),
        "no overall bar:\n{drawn}"
    );
    assert!(
        drawn.contains("file [") && drawn.contains("part1.bin") && drawn.contains("KiB"),
        "no per-file bar:\n{drawn}"
    );
    assert!(
        !drawn.contains("done: "),
        "plain lines on a terminal:\n{drawn}"
    );
    assert_eq!(
        snapshot(&work.path().join("tty")),
        snapshot(&server.root().join("slow"))
    );

    let piped = skiff(work.path(), &["get", "-r", &url, "piped"]);
    piped.assert_ok();
    let mut lines: Vec<&str> = piped.stderr.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "done: /slow/part0.bin (200000 bytes)",
            "done: /slow/part1.bin (200000 bytes)",
            "done: /slow/part2.bin (200000 bytes)"
        ],
        "{}",
        piped.stderr
    );
    assert_eq!(
        snapshot(&work.path().join("piped")),
        snapshot(&server.root().join("slow"))
    );
}
