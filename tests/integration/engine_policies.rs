//! Existing-file policies through the engine against vsftpd, on the sides the CLI tests do
//! not reach: "overwrite if the size differs" when it does differ (both directions), and the
//! upload side of rename and ask, with answers that apply to one direction only.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::engine::{
    self, Counts, Direction, EngineCommand, EngineConfig, EngineEvent, EngineEvents, EngineHandle,
    ExistingTarget, ExistsPolicy, ItemId, ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::remote::Server;

fn spec(
    server: &FtpServer,
    direction: Direction,
    local: &Path,
    remote: &str,
    exists: ExistsPolicy,
) -> TransferSpec {
    let (options, _) = server.connect_options();
    TransferSpec {
        direction,
        kind: ItemKind::File,
        local: local.to_path_buf(),
        remote: remote.as_bytes().to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists,
        target_absent: false,
        filters: None,
        expect: None,
    }
}

struct Question {
    id: ItemId,
    direction: Direction,
    existing: ExistingTarget,
}

/// An engine and what it reported so far.
struct Driver {
    handle: EngineHandle,
    events: EngineEvents,
    /// Item id → its local path, from ItemAdded.
    local: HashMap<ItemId, std::path::PathBuf>,
    /// Item id → its last state and error.
    state: HashMap<ItemId, (ItemState, Option<String>)>,
    questions: Vec<Question>,
}

impl Driver {
    fn start() -> Self {
        let (handle, events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        Self {
            handle,
            events,
            local: HashMap::new(),
            state: HashMap::new(),
            questions: Vec::new(),
        }
    }

    /// Records events until one satisfies `stop` (at most 30 s).
    async fn until(&mut self, mut stop: impl FnMut(&EngineEvent) -> bool) -> EngineEvent {
        let result = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = self.events.recv().await {
                match &event {
                    EngineEvent::ItemAdded { id, local, .. } => {
                        self.local.insert(*id, local.clone());
                    }
                    EngineEvent::ItemChanged {
                        id, state, error, ..
                    } => {
                        self.state.insert(
                            *id,
                            (state.clone(), error.as_ref().map(ToString::to_string)),
                        );
                    }
                    EngineEvent::Question {
                        id,
                        direction,
                        existing,
                        ..
                    } => self.questions.push(Question {
                        id: *id,
                        direction: *direction,
                        existing: existing.clone(),
                    }),
                    _ => {}
                }
                if stop(&event) {
                    return event;
                }
            }
            panic!("the engine ended");
        })
        .await;
        result.expect("the engine did not get there within 30 s")
    }

    async fn idle(&mut self) -> Counts {
        match self.until(|e| matches!(e, EngineEvent::Idle(_))).await {
            EngineEvent::Idle(counts) => counts,
            _ => unreachable!(),
        }
    }

    /// The final state of the item whose local path ends in `name`.
    fn state_of(&self, name: &str) -> (ItemState, Option<String>) {
        let id = self
            .local
            .iter()
            .find(|(_, local)| local.ends_with(name))
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("no item for {name}"));
        self.state[&id].clone()
    }
}

#[test]
fn overwrite_if_size_differs_replaces_files_of_another_size_in_both_directions() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("d-diff.txt", b"remote, longer");
    server.write_file("d-same.txt", b"same");
    server.write_file("u-diff.txt", b"tiny");
    server.write_file("u-same.txt", b"local");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("d-diff.txt"), b"short").unwrap();
    std::fs::write(w.join("d-same.txt"), b"SAME").unwrap();
    std::fs::write(w.join("u-diff.txt"), b"local, longer text").unwrap();
    std::fs::write(w.join("u-same.txt"), b"LOCAL").unwrap();
    let policy = ExistsPolicy::OverwriteIfSizeDiffers;
    let specs = vec![
        spec(
            &server,
            Direction::Download,
            &w.join("d-diff.txt"),
            "/d-diff.txt",
            policy,
        ),
        spec(
            &server,
            Direction::Download,
            &w.join("d-same.txt"),
            "/d-same.txt",
            policy,
        ),
        spec(
            &server,
            Direction::Upload,
            &w.join("u-diff.txt"),
            "/u-diff.txt",
            policy,
        ),
        spec(
            &server,
            Direction::Upload,
            &w.join("u-same.txt"),
            "/u-same.txt",
            policy,
        ),
    ];
    let driver = engine_runtime().block_on(async {
        let mut driver = Driver::start();
        driver.handle.send(EngineCommand::Enqueue(specs));
        let counts = driver.idle().await;
        assert_eq!(
            (counts.successful, counts.skipped, counts.failed),
            (2, 2, 0)
        );
        driver.handle.send(EngineCommand::Shutdown);
        driver
    });
    assert_eq!(driver.state_of("d-diff.txt").0, ItemState::Successful);
    assert_eq!(driver.state_of("u-diff.txt").0, ItemState::Successful);
    assert_eq!(
        driver.state_of("d-same.txt"),
        (
            ItemState::Skipped,
            Some("the local file has the same size".into())
        )
    );
    assert_eq!(
        driver.state_of("u-same.txt"),
        (
            ItemState::Skipped,
            Some("the remote file has the same size".into())
        )
    );
    // Sizes differ: replaced. Same size: left alone, whatever the content.
    assert_eq!(
        std::fs::read(w.join("d-diff.txt")).unwrap(),
        b"remote, longer"
    );
    assert!(!w.join("d-diff.txt.part").exists());
    assert_eq!(
        server.read_file("u-diff.txt").unwrap(),
        b"local, longer text"
    );
    assert_eq!(std::fs::read(w.join("d-same.txt")).unwrap(), b"SAME");
    assert_eq!(server.read_file("u-same.txt").unwrap(), b"local");
}

#[test]
fn uploads_under_rename_take_the_next_free_remote_name() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("r.txt", b"remote r");
    server.write_file("r (1).txt", b"taken too");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("r.txt"), b"local r").unwrap();
    std::fs::write(w.join("fresh.txt"), b"nothing in the way").unwrap();
    let specs = vec![
        spec(
            &server,
            Direction::Upload,
            &w.join("r.txt"),
            "/r.txt",
            ExistsPolicy::Rename,
        ),
        spec(
            &server,
            Direction::Upload,
            &w.join("fresh.txt"),
            "/fresh.txt",
            ExistsPolicy::Rename,
        ),
    ];
    let counts = engine_runtime().block_on(async {
        let mut driver = Driver::start();
        driver.handle.send(EngineCommand::Enqueue(specs));
        let counts = driver.idle().await;
        driver.handle.send(EngineCommand::Shutdown);
        counts
    });
    assert_eq!((counts.successful, counts.failed), (2, 0));
    assert_eq!(server.read_file("r.txt").unwrap(), b"remote r");
    assert_eq!(server.read_file("r (1).txt").unwrap(), b"taken too");
    assert_eq!(server.read_file("r (2).txt").unwrap(), b"local r");
    assert_eq!(
        server.read_file("fresh.txt").unwrap(),
        b"nothing in the way"
    );
    assert!(server.read_file("fresh (1).txt").is_none());
}

/// Ask on uploads: a question with both sizes when the remote file exists, none when it does
/// not. An "apply to all" answer for downloads answers later downloads, never uploads.
#[test]
fn uploads_ask_and_apply_to_all_stays_within_its_direction() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("dl1.txt", b"new dl1");
    server.write_file("dl2.txt", b"new dl2");
    server.write_file("q.txt", b"remote q!");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("dl1.txt"), b"old dl1").unwrap();
    std::fs::write(w.join("dl2.txt"), b"old dl2").unwrap();
    std::fs::write(w.join("q.txt"), b"local q").unwrap();
    std::fs::write(w.join("n.txt"), b"new upload").unwrap();
    let ask = ExistsPolicy::Ask;
    let driver = engine_runtime().block_on(async {
        let mut driver = Driver::start();
        let is_question = |e: &EngineEvent| matches!(e, EngineEvent::Question { .. });

        // A download asks; the answer applies to all downloads.
        driver.handle.send(EngineCommand::Enqueue(vec![spec(
            &server,
            Direction::Download,
            &w.join("dl1.txt"),
            "/dl1.txt",
            ask,
        )]));
        driver.until(is_question).await;
        let first = &driver.questions[0];
        assert_eq!(first.direction, Direction::Download);
        driver.handle.send(EngineCommand::Answer {
            item: first.id,
            policy: ExistsPolicy::Overwrite,
            apply_to_all: true,
        });
        assert_eq!(driver.idle().await.successful, 1);

        // The next download is answered without a question.
        driver.handle.send(EngineCommand::Enqueue(vec![spec(
            &server,
            Direction::Download,
            &w.join("dl2.txt"),
            "/dl2.txt",
            ask,
        )]));
        assert_eq!(driver.idle().await.successful, 2);
        assert_eq!(driver.questions.len(), 1);

        // Uploads still ask: q.txt exists on the server; n.txt does not, so it just goes.
        driver.handle.send(EngineCommand::Enqueue(vec![
            spec(&server, Direction::Upload, &w.join("q.txt"), "/q.txt", ask),
            spec(&server, Direction::Upload, &w.join("n.txt"), "/n.txt", ask),
        ]));
        driver.until(is_question).await;
        let upload = &driver.questions[1];
        assert_eq!(upload.direction, Direction::Upload);
        assert_eq!(upload.existing.source_size, Some(7));
        assert_eq!(upload.existing.target_size, Some(9));
        assert!(upload.existing.target_modified.is_some());
        assert!(upload.existing.source_modified.is_some());
        assert_eq!(server.read_file("q.txt").unwrap(), b"remote q!");
        driver.handle.send(EngineCommand::Answer {
            item: upload.id,
            policy: ExistsPolicy::Overwrite,
            apply_to_all: false,
        });
        let counts = driver.idle().await;
        assert_eq!((counts.successful, counts.failed), (4, 0));
        driver.handle.send(EngineCommand::Shutdown);
        driver
    });
    assert_eq!(driver.questions.len(), 2, "n.txt must not ask");
    assert_eq!(driver.state_of("n.txt").0, ItemState::Successful);
    assert_eq!(std::fs::read(w.join("dl1.txt")).unwrap(), b"new dl1");
    assert_eq!(std::fs::read(w.join("dl2.txt")).unwrap(), b"new dl2");
    assert_eq!(server.read_file("q.txt").unwrap(), b"local q");
    assert_eq!(server.read_file("n.txt").unwrap(), b"new upload");
}

#[test]
fn overwrite_if_newer_or_size_differs_updates_changed_files_and_skips_the_rest_both_ways() {
    use crate::skiff_cmd::set_mtime;
    let old = std::time::UNIX_EPOCH + Duration::from_secs(946_684_800); // 2000-01-01
    let new = std::time::SystemTime::now() - Duration::from_secs(60);
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // (name, server's content and time, local content and time): newer with the same size,
    // older with the same size, older with another size.
    let cases: [(&str, &[u8], _, &[u8], _); 6] = [
        ("d-newer.txt", b"remote", new, b"LOCAL!", old),
        ("d-same.txt", b"remote", old, b"LOCAL!", new),
        ("d-size.txt", b"remote, longer", old, b"local", new),
        ("u-newer.txt", b"remote", old, b"LOCAL!", new),
        ("u-same.txt", b"remote", new, b"LOCAL!", old),
        ("u-size.txt", b"remote", new, b"local, longer", old),
    ];
    let mut specs = Vec::new();
    for (name, remote, remote_time, local, local_time) in cases {
        server.write_file(name, remote);
        set_mtime(&server.root().join(name), remote_time);
        std::fs::write(w.join(name), local).unwrap();
        set_mtime(&w.join(name), local_time);
        let direction = match name.starts_with("d-") {
            true => Direction::Download,
            false => Direction::Upload,
        };
        specs.push(spec(
            &server,
            direction,
            &w.join(name),
            &format!("/{name}"),
            ExistsPolicy::OverwriteIfNewerOrSizeDiffers,
        ));
    }
    let driver = engine_runtime().block_on(async {
        let mut driver = Driver::start();
        driver.handle.send(EngineCommand::Enqueue(specs));
        let counts = driver.idle().await;
        assert_eq!(
            (counts.successful, counts.skipped, counts.failed),
            (4, 2, 0)
        );
        driver.handle.send(EngineCommand::Shutdown);
        driver
    });
    // Newer, or another size: replaced.
    assert_eq!(std::fs::read(w.join("d-newer.txt")).unwrap(), b"remote");
    assert_eq!(
        std::fs::read(w.join("d-size.txt")).unwrap(),
        b"remote, longer"
    );
    assert_eq!(server.read_file("u-newer.txt").unwrap(), b"LOCAL!");
    assert_eq!(server.read_file("u-size.txt").unwrap(), b"local, longer");
    // Not newer and the same size: left alone, whatever the content.
    assert_eq!(
        driver.state_of("d-same.txt"),
        (
            ItemState::Skipped,
            Some("the local file is not older and has the same size".into())
        )
    );
    assert_eq!(std::fs::read(w.join("d-same.txt")).unwrap(), b"LOCAL!");
    assert_eq!(
        driver.state_of("u-same.txt"),
        (
            ItemState::Skipped,
            Some("the remote file is not older and has the same size".into())
        )
    );
    assert_eq!(server.read_file("u-same.txt").unwrap(), b"remote");
}

#[test]
fn an_upload_answered_with_a_typed_name_goes_there_and_asks_again_if_that_exists_too() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.mkdir("site");
    server.write_file("site/index.html", b"remote index");
    server.write_file("site/taken.html", b"taken");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("index.html"), b"local index").unwrap();
    let renamed_to = engine_runtime().block_on(async {
        let mut driver = Driver::start();
        let is_question = |e: &EngineEvent| matches!(e, EngineEvent::Question { .. });
        driver.handle.send(EngineCommand::Enqueue(vec![spec(
            &server,
            Direction::Upload,
            &w.join("index.html"),
            "/site/index.html",
            ExistsPolicy::Ask,
        )]));
        driver.until(is_question).await;
        let id = driver.questions[0].id;
        // A path is not a name: refused with an Error line, the item still waiting.
        driver.handle.send(EngineCommand::AnswerRename {
            item: id,
            name: "../index.html".into(),
        });
        let refused = driver
            .until(|e| matches!(e, EngineEvent::Log(l) if l.kind == skiff::log::LogKind::Error))
            .await;
        let EngineEvent::Log(line) = refused else {
            unreachable!()
        };
        assert!(
            line.text.contains("cannot rename the target"),
            "{}",
            line.text
        );
        // A name that exists too: the question comes again, for the new target.
        driver.handle.send(EngineCommand::AnswerRename {
            item: id,
            name: "taken.html".into(),
        });
        let renamed = driver
            .until(|e| matches!(e, EngineEvent::ItemRenamed { .. }))
            .await;
        let EngineEvent::ItemRenamed { remote, .. } = renamed else {
            unreachable!()
        };
        assert_eq!(remote, b"/site/taken.html");
        driver.until(is_question).await;
        assert_eq!(driver.questions.len(), 2);
        assert_eq!(driver.questions[1].id, id);
        driver.handle.send(EngineCommand::AnswerRename {
            item: id,
            name: "index (old site).html".into(),
        });
        let renamed = driver
            .until(|e| matches!(e, EngineEvent::ItemRenamed { .. }))
            .await;
        let counts = driver.idle().await;
        assert_eq!((counts.successful, counts.failed), (1, 0));
        driver.handle.send(EngineCommand::Shutdown);
        renamed
    });
    let EngineEvent::ItemRenamed { remote, .. } = renamed_to else {
        unreachable!()
    };
    assert_eq!(remote, b"/site/index (old site).html");
    assert_eq!(
        server.read_file("site/index (old site).html").unwrap(),
        b"local index"
    );
    assert_eq!(
        server.read_file("site/index.html").unwrap(),
        b"remote index"
    );
    assert_eq!(server.read_file("site/taken.html").unwrap(), b"taken");
    assert!(
        server.read_file("index.html").is_none(),
        "nothing outside the folder"
    );
}
