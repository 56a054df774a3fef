//! Recursive downloads from a server whose listings attack the local disk: names with `/`,
//! `..` as a file, Windows-hostile names, control characters, case and NFC/NFD twins, a link
//! out, a folder that lists itself (`self -> .`) and an endless chain of folders. Through
//! the engine and through `skiff get -r`, against the scripted tree server (what no real
//! server can send); `hostile_real.rs` does the same with real servers.
//!
//! Each test asserts: nothing appears outside the target folder (a sibling folder and the
//! parent are watched), no symlink in the result, the recursion ends, and every refused
//! entry has a log line naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::local_tree::{Found, walk_tree};
use crate::scripted::tree::{Tree, TreeServer, list_line, mlsd_line};
use skiff::engine::{
    self, Counts, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind,
    Priority, TransferSpec,
};
use skiff::log::LogKind;
use skiff::remote::Server;

const NFC: &str = "caf\u{e9}.txt";
const NFD: &str = "cafe\u{301}.txt";

/// Names the server lists in /src that must never be used as they are: refused.
const REFUSED: &[&[u8]] = &[
    b".",
    b"..",
    b"../x",
    b"/abs",
    b"a/b",
    b"../../etc/cron.d/evil",
    b"nul\0byte",
];

/// Names listed in /src: (remote name, local name it must become).
fn made_safe() -> Vec<(&'static [u8], &'static [u8])> {
    vec![
        (b"ok.txt", b"ok.txt"),
        (b"a\\b", b"a_b"),
        (b"C:x", b"C_x"),
        (b"CON", b"CON_"),
        (b"nul.txt", b"nul_.txt"),
        (b"x.", b"x_"),
        (b"tab\there", b"tab_here"),
        (b"esc\x1b[31m", b"esc_[31m"),
        (b"README", b"README"),
        (b"readme", b"readme (1)"),
        (NFC.as_bytes(), NFC.as_bytes()),
        (NFD.as_bytes(), "cafe\u{301} (1).txt".as_bytes()),
        // `data`'s download is written to `data.part` first: the listed one moves aside.
        (b"data", b"data"),
        (b"data.part", b"data (1).part"),
    ]
}

/// The same bytes for every file: the file's own path, so a mix-up shows.
fn content(path: &[u8]) -> Vec<u8> {
    let mut out = b"contents of ".to_vec();
    out.extend_from_slice(path);
    out
}

/// /src: the hostile names, a link out, `self` (PWD says /src again: a loop), `sub` with a
/// file and a folder `up` that PWD says is `/` (a link out of the tree), and `deep`: a
/// folder `d` inside every `d`, forever, each with a file.
fn hostile_tree(outside: &Path, mlsd: bool) -> Tree {
    let outside = outside.as_os_str().as_bytes().to_vec();
    let list = move |dir: &[u8]| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let line = if mlsd { mlsd_line } else { list_line };
        match dir {
            b"/src" => {
                for (name, _) in made_safe() {
                    out.extend(line(
                        "file",
                        name,
                        content(&[b"/src/", name].concat()).len(),
                    ));
                }
                for name in REFUSED {
                    out.extend(line("file", name, 4));
                }
                if mlsd {
                    out.extend(b"type=cdir; /src\r\ntype=pdir; /\r\n");
                    let mut link = b"type=OS.unix=slink:".to_vec();
                    link.extend_from_slice(&outside);
                    link.extend_from_slice(b"; outside\r\n");
                    out.extend(link);
                } else {
                    out.extend(list_line("dir", b".", 0));
                    out.extend(list_line("dir", b"..", 0));
                    let link = [&b"outside -> "[..], &outside].concat();
                    out.extend(list_line("link", &link, 9));
                }
                out.extend(line("dir", b"self", 0));
                out.extend(line("dir", b"sub", 0));
                out.extend(line("dir", b"deep", 0));
            }
            b"/src/self" => out.extend(line("file", b"ok.txt", 2)),
            b"/src/sub" => {
                out.extend(line(
                    "file",
                    b"inner.txt",
                    content(b"/src/sub/inner.txt").len(),
                ));
                out.extend(line("dir", b"up", 0));
            }
            b"/src/sub/up" => {
                out.extend(line("file", b"../../escaped.txt", 4));
                out.extend(line("file", b"/tmp/escaped.txt", 4));
                out.extend(line(
                    "file",
                    b"up.txt",
                    content(b"/src/sub/up/up.txt").len(),
                ));
            }
            d if d.starts_with(b"/src/deep") => {
                out.extend(line("dir", b"d", 0));
            }
            b"/" => out.extend(line("dir", b"src", 0)),
            _ => return None,
        }
        Some(out)
    };
    Tree {
        list: Arc::new(list),
        // Hostile: any path at all is a file, so a client that asked would get one.
        file: Arc::new(|path: &[u8]| Some(content(path))),
        real: Arc::new(|dir: &[u8]| match dir {
            b"/src/self" => b"/src".to_vec(),
            b"/src/sub/up" => b"/".to_vec(),
            other => other.to_vec(),
        }),
        mlsd,
    }
}

/// Every path under `root` (relative, bytes) → "dir", "file" or "symlink", never following.
fn walk(root: &Path) -> BTreeMap<Vec<u8>, &'static str> {
    walk_tree(root)
        .into_iter()
        .map(|(rel, found)| {
            let kind = match found {
                Found::Dir => "dir",
                Found::Symlink => "symlink",
                Found::File(_) => "file",
            };
            (rel, kind)
        })
        .collect()
}

/// The work folder around the target: `down/` (the target), `sibling/` with a file, and
/// `outside/` (the link's target); everything but `down/` must stay as it was.
struct Work {
    dir: tempfile::TempDir,
    before: BTreeMap<Vec<u8>, &'static str>,
}

impl Work {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sibling")).unwrap();
        std::fs::write(dir.path().join("sibling/keep.txt"), b"keep").unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        let before = walk(dir.path());
        Self { dir, before }
    }

    fn down(&self) -> std::path::PathBuf {
        self.dir.path().join("down")
    }

    /// The checks every hostile download must pass, whatever else happened.
    fn assert_contained(&self) {
        let mut after = walk(self.dir.path());
        after.retain(|rel, _| !rel.starts_with(b"down"));
        assert_eq!(
            after, self.before,
            "something changed outside the target folder"
        );
        assert!(!Path::new("/tmp/escaped.txt").exists());
        assert!(!self.dir.path().join("escaped.txt").exists());
        let down = walk(&self.down());
        let links: Vec<_> = down.iter().filter(|(_, k)| **k == "symlink").collect();
        assert!(links.is_empty(), "symlinks were created: {links:?}");
        let real_down = self.down().canonicalize().unwrap();
        for rel in down.keys() {
            let path = self.down().join(std::ffi::OsStr::from_bytes(rel));
            assert!(
                path.canonicalize().unwrap().starts_with(&real_down),
                "{path:?}"
            );
        }
    }

    /// What must be in `down/` after a download of /src.
    fn assert_result(&self) {
        let down = walk(&self.down());
        for (remote, local) in made_safe() {
            let path = self.down().join(std::ffi::OsStr::from_bytes(local));
            assert_eq!(
                std::fs::read(&path).unwrap_or_default(),
                content(&[b"/src/", remote].concat()),
                "{path:?} (from {:?})",
                String::from_utf8_lossy(remote)
            );
        }
        assert_eq!(
            std::fs::read(self.down().join("sub/inner.txt")).unwrap(),
            content(b"/src/sub/inner.txt")
        );
        // The folder that PWD says is `/` is still only a folder inside the target.
        assert_eq!(
            std::fs::read(self.down().join("sub/up/up.txt")).unwrap(),
            content(b"/src/sub/up/up.txt")
        );
        let top: BTreeSet<Vec<u8>> = down
            .keys()
            .filter(|rel| !rel.contains(&b'/'))
            .cloned()
            .collect();
        let mut expected: BTreeSet<Vec<u8>> = made_safe().iter().map(|(_, l)| l.to_vec()).collect();
        expected.extend([b"sub".to_vec(), b"deep".to_vec()]);
        assert_eq!(
            top, expected,
            "the loop `self`, the link and refused names are absent"
        );
        // The endless chain stopped at the depth limit: deep/d/d/... 64 folders below down/.
        let deepest = down
            .keys()
            .filter(|rel| rel.starts_with(b"deep"))
            .map(|rel| rel.split(|&b| b == b'/').count())
            .max()
            .unwrap();
        assert_eq!(deepest, skiff::engine::tree::MAX_DEPTH as usize);
    }
}

/// The log must name every refused entry in an error line, and the loop and the depth.
fn assert_logged(errors: &[String], statuses: &[String]) {
    for name in REFUSED {
        let shown = format!("{:?}", String::from_utf8_lossy(name));
        assert!(
            errors.iter().any(|e| e.contains(&shown)),
            "no error line names {shown}: {errors:#?}"
        );
    }
    for (name, shown) in [
        ("../../escaped.txt", "\"../../escaped.txt\""),
        ("/tmp/escaped.txt", "\"/tmp/escaped.txt\""),
    ] {
        assert!(
            errors.iter().any(|e| e.contains(shown)),
            "{name}: {errors:#?}"
        );
    }
    assert!(
        errors
            .iter()
            .any(|e| e.contains("\"/src/self\"") && e.contains("link loop")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("more than 64 folders deep")),
        "{errors:#?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| s.contains("\"outside\"") && s.contains("links are not followed")),
        "{statuses:#?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| s.contains("\"readme\" is saved as \"readme (1)\"")),
        "{statuses:#?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| s.contains("\"CON\" is saved as \"CON_\"")),
        "{statuses:#?}"
    );
}

/// No command asked the server for a refused name, a link, or anything inside the loop
/// (`CWD /src/self` itself is how the loop is found: PWD then names `/src`).
fn assert_never_requested(server: &TreeServer) {
    let received = server.received();
    assert!(received.iter().any(|l| l == b"CWD /src/self"));
    for line in received {
        let text = String::from_utf8_lossy(&line).into_owned();
        for bad in [
            "..",
            "/abs",
            "a/b",
            "escaped",
            "outside",
            "/src/self/",
            "nul",
        ] {
            let harmless = text.starts_with("PASS") || text.ends_with("/src/nul.txt");
            assert!(!text.contains(bad) || harmless, "sent {text:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_download_of_a_hostile_mlsd_tree_stays_inside_and_ends() {
    engine_download(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_download_of_a_hostile_list_tree_stays_inside_and_ends() {
    engine_download(false).await;
}

async fn engine_download(mlsd: bool) {
    let work = Work::new();
    let server = TreeServer::start(hostile_tree(&work.dir.path().join("outside"), mlsd));
    let (log, lines) = crate::common::capture_log();
    let mut options = skiff::net::ConnectOptions::new("127.0.0.1", server.addr.port());
    options.credentials.user = Some("user".into());
    options.credentials.password = Some(skiff::secret::Secret::new("pass"));
    options.timeout = Duration::from_secs(10);
    options.log = log;
    let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
    handle.send(EngineCommand::Enqueue(vec![TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::DirectoryContents,
        local: work.down(),
        remote: b"/src".to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    }]));
    let counts: Counts = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = events.recv().await {
            if let EngineEvent::Idle(counts) = event {
                return counts;
            }
        }
        panic!("the engine stopped");
    })
    .await
    .expect("the recursion did not end");
    handle.send(EngineCommand::Shutdown);

    work.assert_contained();
    work.assert_result();
    let errors = crate::common::log_texts(&lines, LogKind::Error);
    let statuses = crate::common::log_texts(&lines, LogKind::Status);
    assert_logged(&errors, &statuses);
    assert_never_requested(&server);
    // /src (refused names), /src/sub/up (refused names) and /src/self (a loop) failed;
    // the deepest `d` (depth limit) too.
    assert_eq!(counts.failed, 4, "{counts:?}");
    assert!(counts.successful >= made_safe().len() + 2, "{counts:?}");
}

#[test]
fn cli_get_r_of_a_hostile_tree_stays_inside_ends_and_fails_loudly() {
    let work = Work::new();
    let server = TreeServer::start(hostile_tree(&work.dir.path().join("outside"), true));
    let run = crate::skiff_cmd::skiff_in(
        work.dir.path(),
        &["get", "-r", &server.url("src"), "down", "--log"],
        Duration::from_secs(120),
    );
    // Refused entries fail their folder: a script sees it.
    run.assert_fails_with("4 of ");
    assert!(
        run.stderr.contains("entries refused (see the message log)"),
        "{}",
        run.stderr
    );
    // A name's escape sequence never reaches the terminal raw.
    assert!(!run.stderr.contains('\x1b'), "{}", run.stderr);
    assert!(
        run.stderr.contains("done: /src/esc\\u{1b}[31m"),
        "{}",
        run.stderr
    );
    work.assert_contained();
    work.assert_result();
    assert_logged(&run.log_lines("Error:"), &run.log_lines("Status:"));
    assert_never_requested(&server);
}
