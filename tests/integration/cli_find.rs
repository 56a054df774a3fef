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

mod scripted_trees {
    //! What no real server does on cue: a folder refused, an endless chain of folders.

    use std::sync::Arc;
    use std::time::Duration;

    use crate::scripted::tree::{Tree, TreeServer, list_line};
    use crate::skiff_cmd::skiff_in;

    const LIMIT: Duration = Duration::from_secs(60);

    fn listing(lines: &[(&str, &str)]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|(kind, name)| list_line(kind, name.as_bytes(), 5))
            .collect()
    }

    #[test]
    fn find_reports_a_folder_it_cannot_list_and_searches_the_rest() {
        let tree = Tree {
            list: Arc::new(|dir: &[u8]| match dir {
                b"/" => Some(listing(&[
                    ("dir", "locked"),
                    ("dir", "open"),
                    ("file", "top.txt"),
                ])),
                b"/open" => Some(listing(&[("file", "inner.txt"), ("file", "x.bin")])),
                _ => None,
            }),
            file: Arc::new(|_: &[u8]| None),
            real: Arc::new(|dir: &[u8]| dir.to_vec()),
            mlsd: false,
        };
        let server = TreeServer::start(tree);
        let work = tempfile::tempdir().unwrap();
        let run = skiff_in(
            work.path(),
            &["find", &server.url("/"), "--name", "*.txt"],
            LIMIT,
        );
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let mut paths: Vec<&str> = run.stdout.lines().collect();
        paths.sort_unstable();
        assert_eq!(paths, ["/open/inner.txt", "/top.txt"], "{}", run.stderr);
        assert!(
            run.stderr.contains("/locked") && run.stderr.contains("1 folder could not be listed"),
            "{}",
            run.stderr
        );
    }

    /// `/d/d/d/...` for ever, with `hit.txt` in each.
    fn endless() -> Tree {
        Tree {
            list: Arc::new(|dir: &[u8]| match dir {
                b"/" => Some(listing(&[("dir", "d")])),
                d if d.starts_with(b"/d") => Some(listing(&[("dir", "d"), ("file", "hit.txt")])),
                _ => None,
            }),
            file: Arc::new(|_: &[u8]| None),
            real: Arc::new(|dir: &[u8]| dir.to_vec()),
            mlsd: false,
        }
    }

    fn listings(server: &TreeServer) -> usize {
        server
            .received()
            .iter()
            .filter(|line| line.starts_with(b"LIST"))
            .count()
    }

    #[test]
    fn find_ends_an_endless_chain_of_folders_at_the_depth_asked_or_the_bound() {
        let work = tempfile::tempdir().unwrap();
        let server = TreeServer::start(endless());
        let run = skiff_in(
            work.path(),
            &[
                "find",
                &server.url("/"),
                "--name",
                "hit.txt",
                "--max-depth",
                "3",
            ],
            LIMIT,
        );
        run.assert_ok();
        assert_eq!(
            run.stdout.lines().collect::<Vec<_>>(),
            ["/d/hit.txt", "/d/d/hit.txt"]
        );
        assert_eq!(listings(&server), 3, "the folders at depths 0, 1 and 2");

        // Unbounded as asked, bounded all the same: 64 levels, as every walk.
        let server = TreeServer::start(endless());
        let run = skiff_in(
            work.path(),
            &["find", &server.url("/"), "--name", "hit.txt"],
            LIMIT,
        );
        run.assert_ok();
        let deepest = run.stdout.lines().map(|l| l.matches('/').count()).max();
        assert_eq!(deepest, Some(skiff::engine::tree::MAX_DEPTH as usize));
        assert_eq!(listings(&server), skiff::engine::tree::MAX_DEPTH as usize);
    }
}
