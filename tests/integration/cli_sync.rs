//! `skiff sync` (issue 21) against real servers: a LIST server (vsftpd) and an MLSD one
//! (pure-ftpd), both directions, nested folders, filters, `--delete`, `--dry-run` and
//! `--json`; a sync killed with SIGKILL converges when run again; a file changed between
//! the plan and its turn is a conflict and keeps its content; nothing outside the two
//! chosen folders is touched. Also `get -r`/`put -r` with filters and `--preserve-times`,
//! and `--compare checksum` over proftpd with mod_digest (and its refusal over vsftpd).

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::common::{FtpServer, ServerKind, ServerOptions};
use crate::skiff_cmd::{
    kill_9_once_grown, pseudo_random_bytes, set_mtime, sha256, skiff, skiff_with_env, snapshot,
    spawn_skiff,
};

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A small site: nested folders, an empty one, a binary file, a non-ASCII name.
fn make_site(write: &dyn Fn(&str, &[u8]), mkdir: &dyn Fn(&str)) {
    write("index.html", b"<p>home</p>\n");
    write("css/site.css", b"body{}\n");
    write("img/photos/large.bin", &pseudo_random_bytes(300_000, 21));
    write("docs/안내.txt", "안내".as_bytes());
    mkdir("empty");
}

/// The small site in the server's folder `site` (owned by the server's user).
fn make_server_site(server: &FtpServer) {
    make_site(
        &|rel, bytes| server.write_file(&format!("site/{rel}"), bytes),
        &|rel| server.mkdir(&format!("site/{rel}")),
    );
}

/// The small site in a local folder.
fn make_local_site(root: &Path) {
    make_site(&|rel, bytes| write(root, rel, bytes), &|rel| {
        std::fs::create_dir_all(root.join(rel)).unwrap();
    });
}

/// The line of the plan's summary.
fn plan_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .unwrap_or_else(|| panic!("no plan in:\n{stdout}"))
}

fn a_download_and_an_upload_sync_converge(kind: ServerKind) {
    let server = FtpServer::start(kind);
    let site = server.root().join("site");
    make_server_site(&server);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    let url = server.url("site");

    // Down: the server's tree becomes the local one.
    let down = skiff(work.path(), &["sync", &url, local.to_str().unwrap()]);
    down.assert_ok();
    assert!(
        plan_line(&down.stdout).contains("4 to copy"),
        "{}",
        down.stdout
    );
    assert_eq!(snapshot(&local), snapshot(&site), "{kind:?}");
    // Times were kept: a second run finds everything identical.
    let again = skiff(work.path(), &["sync", &url, local.to_str().unwrap()]);
    again.assert_ok();
    let line = plan_line(&again.stdout);
    assert!(
        line.contains("0 to copy, 0 to update") && line.contains("4 identical"),
        "{kind:?}: {}",
        again.stdout
    );
    // A file changed on the server is updated, and only it.
    server.write_file("site/css/site.css", b"body{color:red}\n");
    let update = skiff(work.path(), &["sync", &url, local.to_str().unwrap()]);
    update.assert_ok();
    assert!(
        plan_line(&update.stdout).contains("0 to copy, 1 to update"),
        "{}",
        update.stdout
    );
    assert_eq!(snapshot(&local), snapshot(&site));

    // Up: a local tree becomes a new remote folder's contents.
    let source = work.path().join("source");
    make_local_site(&source);
    write(&source, "new/deeper/more.txt", b"more");
    let up_url = server.url("up");
    let up = skiff(work.path(), &["sync", source.to_str().unwrap(), &up_url]);
    up.assert_ok();
    assert_eq!(snapshot(&server.root().join("up")), snapshot(&source));
    // Again: nothing to transfer (identical where MFMT kept the times; where the server
    // cannot set them, the same sizes with newer server times are skipped).
    let again = skiff(
        work.path(),
        &["sync", "--log", source.to_str().unwrap(), &up_url],
    );
    again.assert_ok();
    assert!(
        plan_line(&again.stdout).contains("0 to copy, 0 to update"),
        "{kind:?}: {}",
        again.stdout
    );
    assert!(
        !again
            .log_lines("Command:")
            .iter()
            .any(|c| c.starts_with("STOR")),
        "{}",
        again.stderr
    );
}

#[test]
fn sync_over_list_vsftpd_both_ways_converges_and_updates_only_what_changed() {
    a_download_and_an_upload_sync_converge(ServerKind::Vsftpd);
}

#[test]
fn sync_over_mlsd_pure_ftpd_both_ways_converges_and_updates_only_what_changed() {
    a_download_and_an_upload_sync_converge(ServerKind::PureFtpd);
}

#[test]
fn dry_run_prints_the_plan_as_text_and_json_and_touches_nothing() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    make_server_site(&server);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    write(&local, "index.html", b"<p>an older, different home</p>\n");
    set_mtime(
        &local.join("index.html"),
        SystemTime::now() - Duration::from_secs(86_400),
    );
    write(&local, "stale.txt", b"only here");
    let before = snapshot(&local);
    let url = server.url("site");

    let text = skiff(
        work.path(),
        &[
            "sync",
            "--dry-run",
            "--delete",
            &url,
            local.to_str().unwrap(),
        ],
    );
    text.assert_ok();
    let out = &text.stdout;
    assert!(out.contains("update   index.html"), "{out}");
    assert!(
        out.contains("copy     img/photos/large.bin  293.0 KiB"),
        "{out}"
    );
    assert!(out.contains("mkdir    empty"), "{out}");
    assert!(out.contains("delete   stale.txt"), "{out}");
    assert!(
        plan_line(out).contains("3 to copy, 1 to update, 5 folders to create, 1 to delete"),
        "{out}"
    );

    let json = skiff(
        work.path(),
        &["sync", "--dry-run", "--json", &url, local.to_str().unwrap()],
    );
    json.assert_ok();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["direction"], "download");
    let actions = plan["actions"].as_array().unwrap();
    let find = |path: &str| {
        actions
            .iter()
            .find(|a| a["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in {actions:?}"))
    };
    assert_eq!(find("docs/안내.txt")["action"], "copy");
    assert_eq!(find("img/photos/large.bin")["source"]["size"], 300_000);
    let update = find("index.html");
    assert_eq!(update["action"], "update");
    assert!(
        update["target"]["modified"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // Without --delete, what is only here is kept, and says so.
    assert_eq!(find("stale.txt")["action"], "skip");
    assert_eq!(plan["summary"]["delete"], 0);

    assert_eq!(snapshot(&local), before, "a dry run changes nothing");
}

#[test]
fn delete_and_filters_change_only_the_chosen_folders_and_local_deletions_go_to_the_trash() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let site = server.root().join("site");
    make_server_site(&server);
    server.write_file("site/debug.log", b"server log");
    server.write_file("site/.git/HEAD", b"ref: refs/heads/main");
    // A sibling on each side, with the chosen folder's name as a prefix.
    server.write_file("site-old/keep.txt", b"keep");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    let sibling = work.path().join("mirror-2");
    write(&sibling, "keep.txt", b"keep");
    write(&local, "stale/old.txt", b"old");
    write(&local, "stale.txt", b"stale");
    write(&local, "local.log", b"excluded: never deleted");
    let data_home = tempfile::tempdir().unwrap();
    let url = server.url("site");

    let run = skiff_with_env(
        work.path(),
        &[
            "sync",
            "--delete",
            "--exclude",
            "*.log",
            "--exclude-vcs",
            "--list-hidden",
            &url,
            local.to_str().unwrap(),
        ],
        &[("XDG_DATA_HOME", data_home.path().to_str().unwrap())],
        Duration::from_secs(60),
    );
    run.assert_ok();
    let mut expected = snapshot(&site);
    expected.retain(|path, _| !path.ends_with(".log") && !path.starts_with(".git"));
    expected.insert("local.log".into(), sha256(b"excluded: never deleted"));
    assert_eq!(snapshot(&local), expected);
    // The deleted files are in the desktop's trash, not gone.
    let trashed = snapshot(&data_home.path().join("Trash/files"));
    assert!(trashed.contains_key("stale.txt"), "{trashed:?}");
    assert!(trashed.contains_key("old.txt"), "{trashed:?}");
    assert_eq!(
        snapshot(&sibling).len(),
        1,
        "the sibling folder is untouched"
    );

    // Up, with --delete: the server's extra files go, its sibling folder stays.
    server.write_file("site/only-on-server.txt", b"x");
    server.write_file("site/gone/inside.txt", b"x");
    let up = skiff(
        work.path(),
        &[
            "sync",
            "--delete",
            "--exclude",
            "*.log",
            local.to_str().unwrap(),
            &url,
        ],
    );
    up.assert_ok();
    assert!(!site.join("only-on-server.txt").exists());
    assert!(!site.join("gone").exists());
    assert!(site.join("debug.log").exists(), "excluded: kept");
    assert!(
        site.join(".git/HEAD").exists(),
        "hidden from LIST, never planned"
    );
    assert_eq!(
        std::fs::read(server.root().join("site-old/keep.txt")).unwrap(),
        b"keep"
    );
}

/// Reads `stdout` lines on a thread until one starts with `prefix`.
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => {}
            Err(_) => panic!("no line starting {prefix:?} within 30 s"),
        }
    }
}

#[test]
fn a_file_changed_between_the_plan_and_its_turn_is_a_conflict_and_keeps_its_content() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("site/page.html", b"<p>new version from the server</p>");
    server.write_file("site/fresh.txt", b"fresh");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    write(&local, "page.html", b"<p>old</p>");
    set_mtime(
        &local.join("page.html"),
        SystemTime::now() - Duration::from_secs(3600),
    );
    let config = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args([
            "sync",
            "--confirm",
            &server.url("site"),
            local.to_str().unwrap(),
        ])
        .current_dir(work.path())
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("SKIFF_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    let plan = wait_for_line(&lines, "Plan:");
    assert!(plan.contains("1 to copy, 1 to update"), "{plan}");
    // The user edits the local copy while looking at the plan.
    write(&local, "page.html", b"<p>my edit, not uploaded yet</p>");
    child.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "sync did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "a conflict is not a success: {stderr}");
    assert!(
        stderr.contains("changed since the sync's plan was made"),
        "{stderr}"
    );
    assert!(stderr.contains("conflicts were left alone"), "{stderr}");
    assert_eq!(
        std::fs::read(local.join("page.html")).unwrap(),
        b"<p>my edit, not uploaded yet</p>",
        "the edit made after the plan is kept"
    );
    assert_eq!(std::fs::read(local.join("fresh.txt")).unwrap(), b"fresh");
}

#[test]
fn a_sync_killed_with_kill_9_converges_to_identical_trees_when_run_again() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let site = server.root().join("site");
    make_server_site(&server);
    server.write_file(
        "site/video/big.bin",
        &pseudo_random_bytes(12 * 1024 * 1024, 77),
    );
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    let url = server.url("site");
    let local_arg = local.to_str().unwrap();
    // 2 MiB/s, one file at a time: killed during the big file.
    let slowly = ["sync", "--parallel", "1", "--limit-rate", "2M"];
    let (mut child, _config) =
        spawn_skiff(work.path(), &[&slowly[..], &[&url, local_arg]].concat());
    kill_9_once_grown(
        &mut child,
        &local.join("video/big.bin.part"),
        1024 * 1024,
        Duration::from_secs(30),
    );
    assert!(
        !local.join("video/big.bin").exists(),
        "no file under its final name"
    );
    skiff(work.path(), &["sync", &url, local.to_str().unwrap()]).assert_ok();
    let mut got = snapshot(&local);
    got.retain(|path, _| !path.ends_with(".part"));
    assert_eq!(got, snapshot(&site));

    // Up: killed mid-upload, the server holds a partial file; the next run replaces it.
    let up_url = server.url("up");
    let (mut child, _config) =
        spawn_skiff(work.path(), &[&slowly[..], &[local_arg, &up_url]].concat());
    kill_9_once_grown(
        &mut child,
        &server.root().join("up/video/big.bin"),
        1024 * 1024,
        Duration::from_secs(30),
    );
    skiff(work.path(), &["sync", local.to_str().unwrap(), &up_url]).assert_ok();
    assert_eq!(snapshot(&server.root().join("up")), got);
}

#[test]
fn get_and_put_recursive_take_exclude_and_include_and_keep_times_when_asked() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    let site = server.root().join("site");
    make_server_site(&server);
    server.write_file("site/notes.txt~", b"backup");
    server.write_file("site/build/out.o", b"object");
    let old = SystemTime::now() - Duration::from_secs(30 * 86_400);
    set_mtime(&site.join("index.html"), old);
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("copy");
    skiff(
        work.path(),
        &[
            "get",
            "-r",
            "--exclude-temp",
            "--exclude",
            "/build",
            "--include",
            "*.html",
            "--include",
            "*.css",
            "--preserve-times",
            &server.url("site"),
            copy.to_str().unwrap(),
        ],
    )
    .assert_ok();
    let files: Vec<String> = snapshot(&copy)
        .into_iter()
        .filter(|(_, v)| v != "dir")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(files, ["css/site.css", "index.html"]);
    assert!(
        !copy.join("build").exists(),
        "an excluded folder is not entered"
    );
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(mtime(&copy.join("index.html"))), secs(old));

    // Up, with the time set on the server (pure-ftpd offers MFMT).
    let upload = work.path().join("upload");
    write(&upload, "a.txt", b"a");
    write(&upload, "skip.swp", b"swap");
    set_mtime(&upload.join("a.txt"), old);
    let put = skiff(
        work.path(),
        &[
            "put",
            "-r",
            "--exclude-temp",
            "--preserve-times",
            "--log",
            upload.to_str().unwrap(),
            &server.url("in"),
        ],
    );
    put.assert_ok();
    assert!(
        put.log_lines("Command:")
            .iter()
            .any(|c| c.starts_with("MFMT ")),
        "{}",
        put.stderr
    );
    assert!(!server.root().join("in/skip.swp").exists());
    assert_eq!(secs(mtime(&server.root().join("in/a.txt"))), secs(old));

    let bad = skiff(
        work.path(),
        &["get", "--exclude", "*.o", &server.url("site/index.html")],
    );
    bad.assert_fails_with("need -r");
}

/// 2025-12-05 10:20:00 UTC: one time for files on both sides, so only contents tell them apart.
fn fixed_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_930_000)
}

#[test]
fn compare_checksum_updates_an_edit_times_miss_and_leaves_equal_contents_alone() {
    let server = FtpServer::start_with(
        ServerKind::Proftpd,
        ServerOptions {
            digest: true,
            ..ServerOptions::default()
        },
    );
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    let on_server = |rel: &str, bytes: &[u8], time: SystemTime| {
        server.write_file(&format!("site/{rel}"), bytes);
        set_mtime(&server.root().join("site").join(rel), time);
    };
    let here = |rel: &str, bytes: &[u8], time: SystemTime| {
        write(&local, rel, bytes);
        set_mtime(&local.join(rel), time);
    };
    let older = fixed_time() - Duration::from_secs(5 * 3600);
    // Same size and time, other contents: only a checksum sees it.
    on_server("edited.txt", b"server's text", fixed_time());
    here("edited.txt", b"a local edit.", fixed_time());
    // Same contents, other times: a checksum leaves it alone.
    on_server("same.bin", &pseudo_random_bytes(70_000, 7), fixed_time());
    here("same.bin", &pseudo_random_bytes(70_000, 7), older);
    let url = server.url("site");
    let mirror = local.to_str().unwrap();

    let dry = skiff(
        work.path(),
        &["sync", "--dry-run", "--compare", "checksum", &url, mirror],
    );
    dry.assert_ok();
    assert!(
        dry.stdout.contains("Compared by checksum (SHA-512"),
        "the strongest offered: {}",
        dry.stdout
    );
    assert!(dry.stdout.contains("update   edited.txt"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("same.bin"), "{}", dry.stdout);
    assert!(
        plan_line(&dry.stdout).contains("0 to copy, 1 to update")
            && plan_line(&dry.stdout).contains("1 identical"),
        "{}",
        dry.stdout
    );
    let json = skiff(
        work.path(),
        &[
            "sync",
            "--dry-run",
            "--json",
            "--compare",
            "checksum",
            &url,
            mirror,
        ],
    );
    json.assert_ok();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["criterion"], "checksum");
    assert_eq!(plan["checksum"], "SHA-512");

    // By time the edit goes unseen (same size, same time) and the copy with another time
    // is updated.
    let by_time = skiff(
        work.path(),
        &["sync", "--dry-run", "--compare", "time", &url, mirror],
    );
    by_time.assert_ok();
    assert!(!by_time.stdout.contains("edited.txt"), "{}", by_time.stdout);
    assert!(
        by_time.stdout.contains("update   same.bin"),
        "{}",
        by_time.stdout
    );

    let run = skiff(
        work.path(),
        &["sync", "--log", "--compare", "checksum", &url, mirror],
    );
    run.assert_ok();
    assert_eq!(
        std::fs::read(local.join("edited.txt")).unwrap(),
        b"server's text"
    );
    let commands = run.log_lines("Command:");
    assert!(
        commands.iter().any(|c| c == "OPTS HASH SHA-512"),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("HASH ") && c.ends_with("same.bin")),
        "{commands:?}"
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with("RETR") && c.ends_with("same.bin")),
        "equal contents are not copied: {commands:?}"
    );
    assert_eq!(
        std::fs::metadata(local.join("same.bin"))
            .unwrap()
            .modified()
            .unwrap(),
        older,
        "left alone, its time too"
    );

    // Not under --compare time: another edit of the same size and time stays as it is.
    here("edited.txt", b"second edit..", fixed_time());
    set_mtime(&server.root().join("site/edited.txt"), fixed_time());
    skiff(work.path(), &["sync", "--compare", "time", &url, mirror]).assert_ok();
    assert_eq!(
        std::fs::read(local.join("edited.txt")).unwrap(),
        b"second edit.."
    );

    // Upwards too: the server's copy of the same size and time is replaced.
    let source = work.path().join("source");
    write(&source, "a.txt", b"local 1");
    set_mtime(&source.join("a.txt"), fixed_time());
    server.write_file("up/a.txt", b"remote1");
    set_mtime(&server.root().join("up/a.txt"), fixed_time());
    skiff(
        work.path(),
        &[
            "sync",
            "--compare",
            "checksum",
            source.to_str().unwrap(),
            &server.url("up"),
        ],
    )
    .assert_ok();
    assert_eq!(server.read_file("up/a.txt").unwrap(), b"local 1");
}

#[test]
fn compare_checksum_on_a_server_that_offers_none_says_what_it_looked_for() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("site/a.txt", b"abc");
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mirror");
    let run = skiff(
        work.path(),
        &[
            "sync",
            "--compare",
            "checksum",
            &server.url("site"),
            local.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(2), "a usage error: {}", run.stderr);
    for words in [
        "--compare checksum",
        "HASH",
        "XSHA256",
        "XMD5",
        "--compare time",
    ] {
        assert!(run.stderr.contains(words), "{words}: {}", run.stderr);
    }
    assert!(!local.exists(), "nothing was synced");
}
