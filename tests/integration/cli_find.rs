//! `skiff find` against real servers: a nested tree with Korean names searched by glob,
//! regex, case, size and depth; paths printed as found, or one JSON object per line; a bad
//! pattern is a usage error and a missing folder a failure.

use std::collections::BTreeSet;

use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::skiff;

fn make_tree(server: &FtpServer) {
    server.write_file("src/top.TXT", b"top");
    server.write_file("src/docs/readme.txt", &[b'r'; 10]);
    server.write_file("src/docs/deep/a/notes.txt", &[b'n'; 2000]);
    server.write_file("src/docs/deep/a/b/c/far.txt", b"far");
    server.write_file("src/한국어/보고서 2024.txt", "보고서".as_bytes());
    server.write_file("src/한국어/사진.jpg", &[b'j'; 5000]);
    server.mkdir("src/empty.txt.d");
}

/// The paths printed, below the folder searched.
fn found(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .map(|line| match line.split_once("/src/") {
            Some((_, below)) => below.to_owned(),
            None => panic!("{line:?} is not below the folder searched"),
        })
        .collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

fn search_a_tree(kind: ServerKind) {
    let server = FtpServer::start(kind);
    make_tree(&server);
    let work = tempfile::tempdir().unwrap();
    let url = server.url("src");
    let find = |args: &[&str]| {
        let mut all = vec!["find", url.as_str()];
        all.extend_from_slice(args);
        skiff(work.path(), &all)
    };

    // A glob on the name, case-sensitive by default: top.TXT is not found.
    let run = find(&["--name", "*.txt", "--type", "f"]);
    run.assert_ok();
    assert_eq!(
        found(&run.stdout),
        set(&[
            "docs/readme.txt",
            "docs/deep/a/notes.txt",
            "docs/deep/a/b/c/far.txt",
            "한국어/보고서 2024.txt",
        ]),
        "{}",
        run.stderr
    );

    // Without regard to case, and folders too.
    let run = find(&["--name", "*.txt", "--ignore-case", "--max-depth", "1"]);
    run.assert_ok();
    assert_eq!(found(&run.stdout), set(&["top.TXT"]), "{}", run.stderr);

    // The depth limit: two levels are the folder's entries and its folders' entries.
    let run = find(&["--name", "*.txt", "--max-depth", "2"]);
    run.assert_ok();
    assert_eq!(
        found(&run.stdout),
        set(&["docs/readme.txt", "한국어/보고서 2024.txt"]),
        "{}",
        run.stderr
    );

    // A size condition (files only: a folder has no size).
    let run = find(&["--min-size", "1K"]);
    run.assert_ok();
    assert_eq!(
        found(&run.stdout),
        set(&["docs/deep/a/notes.txt", "한국어/사진.jpg"]),
        "{}",
        run.stderr
    );
    let run = find(&["--max-size", "10", "--name", "*.txt"]);
    run.assert_ok();
    assert_eq!(
        found(&run.stdout),
        set(&[
            "docs/readme.txt",
            "docs/deep/a/b/c/far.txt",
            "한국어/보고서 2024.txt"
        ]),
        "{}",
        run.stderr
    );

    // A regex on a Korean name; a folder found by name.
    let run = find(&["--regex", "^보고서"]);
    run.assert_ok();
    assert_eq!(found(&run.stdout), set(&["한국어/보고서 2024.txt"]));
    let run = find(&["--name", "*.d", "--type", "d"]);
    run.assert_ok();
    assert_eq!(found(&run.stdout), set(&["empty.txt.d"]));

    // JSON: one object per line, with the path, kind and size as listed.
    let run = find(&["--name", "*.jpg", "--json"]);
    run.assert_ok();
    let rows: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{}", run.stdout);
    assert!(
        rows[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("/src/한국어/사진.jpg"),
        "{}",
        run.stdout
    );
    assert_eq!(rows[0]["kind"], "file");
    assert_eq!(rows[0]["size"], 5000);
    assert!(
        rows[0]["raw"].as_str().unwrap().contains("%ED%95%9C"),
        "{}",
        run.stdout
    );

    // A bad regex is the command line's fault (exit 2), said before connecting.
    let run = find(&["--regex", "(unclosed"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("(unclosed"), "{}", run.stderr);

    // A folder that is not there fails the search (exit 1).
    let missing = server.url("src/not-there");
    let run = skiff(work.path(), &["find", &missing, "--name", "*"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn find_searches_a_tree_on_vsftpd() {
    search_a_tree(ServerKind::Vsftpd);
}

#[test]
fn find_searches_a_tree_on_pure_ftpd() {
    search_a_tree(ServerKind::PureFtpd);
}
