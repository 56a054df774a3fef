//! Issue 21 in the window: Transfer > Synchronize against real servers. The plan is shown
//! with a tick box per action; what is unticked is not run; a file changed between the
//! preview and its turn is left alone and counted as such; deletions are only those listed;
//! a second comparison finds the copies identical. Both directions: a download over LIST
//! (vsftpd) and an upload over MLSD (pure-ftpd), which creates the server's folders before
//! anything goes into them. And the checksum criterion over proftpd with mod_digest, and the
//! source pane's filename filters, which keep what they hide out of both sides of the plan.

use std::path::Path;

use crate::common::{FtpServer, ServerKind, ServerOptions};
use crate::gui_common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::folder_sync::What;
use skiff::gui::SkiffApp;
use skiff::gui::sync_window::Stage;

/// The plan's actions as (what, path), while the preview is shown.
fn preview(h: &Harness<'_, SkiffApp>) -> Option<Vec<(What, String)>> {
    match &h.state().sync_window()?.stage {
        Stage::Preview { plan, .. } => Some(
            plan.actions
                .iter()
                .map(|a| (a.what, String::from_utf8_lossy(&a.path).into_owned()))
                .collect(),
        ),
        _ => None,
    }
}

fn done_text(h: &Harness<'_, SkiffApp>) -> Option<String> {
    match &h.state().sync_window()?.stage {
        Stage::Done(text) => Some(text.clone()),
        _ => None,
    }
}

/// Transfer > Synchronize…, with the folders the panes show.
fn open_synchronize(h: &mut Harness<'_, SkiffApp>) {
    h.get_by_label("Transfer").click();
    settle(h);
    h.get_by_label("Synchronize…").click();
    // The window sizes itself, then centres itself on its size: five frames.
    for _ in 0..2 {
        settle(h);
    }
    assert!(h.state().sync_window().is_some());
}

/// Ticks "Delete what is only in the target"; `for_good`: a download's local deletions skip
/// the trash (this machine's own).
fn choose_delete(h: &mut Harness<'_, SkiffApp>, for_good: bool) {
    h.get_by_label("Delete what is only in the target (each deletion is listed in the plan)")
        .click();
    settle(h);
    if for_good {
        h.get_by_label("Move deleted local files to the trash")
            .click();
        settle(h);
    }
}

fn compare(h: &mut Harness<'_, SkiffApp>) -> Vec<(What, String)> {
    h.get_by_label("Compare…").click();
    step_until(h, "the plan", |h| {
        preview(h).is_some() || done_text(h).is_some()
    });
    // Once the window has found its size for the new page.
    settle(h);
    preview(h).unwrap_or_default()
}

/// Quickconnect, then into the server's folder `/name`.
fn connect_at(h: &mut Harness<'_, SkiffApp>, server: &FtpServer, name: &str) {
    quickconnect(h, server);
    let row = table_row(h, &format!("🗀 {name}"));
    double_click_at(h, row);
    let path = format!("/{name}").into_bytes();
    step_until(h, "the server's folder", |h| {
        let m = h.state().model();
        !m.remote.files.loading && m.remote.files.path == path
    });
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_download_sync_runs_only_the_ticked_actions_and_leaves_a_file_changed_since_the_preview() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("www/a.txt", b"aaa");
    server.write_file("www/docs/b.txt", b"bbbb");
    server.write_file("www/docs/deep/c.txt", b"c");
    server.write_file("www/changed.txt", b"the server's newer text");
    server.write_file("www/edited.txt", b"server text");
    let parent = tempfile::tempdir().unwrap();
    let mirror = parent.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::write(mirror.join("changed.txt"), b"old").unwrap();
    std::fs::write(mirror.join("edited.txt"), b"old text").unwrap();
    std::fs::write(mirror.join("stale.txt"), b"only here").unwrap();
    // A sibling whose name starts with the chosen folder's: never touched.
    let sibling = parent.path().join("mirror-old");
    std::fs::create_dir_all(&sibling).unwrap();
    std::fs::write(sibling.join("stale.txt"), b"keep").unwrap();

    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, &mirror);
    connect_at(&mut harness, &server, "www");
    open_synchronize(&mut harness);
    choose_delete(&mut harness, true);
    let plan = compare(&mut harness);
    assert_eq!(
        plan,
        [
            (What::Copy, "a.txt".to_owned()),
            (What::Update, "changed.txt".to_owned()),
            (What::Mkdir, "docs".to_owned()),
            (What::Copy, "docs/b.txt".to_owned()),
            (What::Mkdir, "docs/deep".to_owned()),
            (What::Copy, "docs/deep/c.txt".to_owned()),
            (What::Update, "edited.txt".to_owned()),
            (What::Delete, "stale.txt".to_owned()),
        ]
    );
    assert!(has_label(&harness, "Synchronize (8 actions)"));

    // Untick one copy: the rest still runs.
    harness.get_by_label("docs/deep/c.txt").click();
    settle(&mut harness);
    assert!(has_label(&harness, "Synchronize (7 actions)"));
    // The local file is edited while the preview is shown: its update must not replace it.
    std::fs::write(mirror.join("edited.txt"), b"my newer edit, longer").unwrap();
    harness.get_by_label("Synchronize (7 actions)").click();
    step_until(&mut harness, "the sync's end", |h| done_text(h).is_some());
    let done = done_text(&harness).unwrap();
    assert!(
        done.contains("3 transferred") && done.contains("1 deleted"),
        "{done}"
    );
    assert!(done.contains("1 changed since the plan"), "{done}");

    assert_eq!(read(&mirror.join("a.txt")), "aaa");
    assert_eq!(read(&mirror.join("docs/b.txt")), "bbbb");
    assert_eq!(read(&mirror.join("changed.txt")), "the server's newer text");
    assert_eq!(read(&mirror.join("edited.txt")), "my newer edit, longer");
    assert!(mirror.join("docs/deep").is_dir());
    assert!(!mirror.join("docs/deep/c.txt").exists(), "it was unticked");
    assert!(!mirror.join("stale.txt").exists());
    assert_eq!(read(&sibling.join("stale.txt")), "keep");
    assert!(
        harness
            .state()
            .model()
            .queue
            .tab(skiff::gui::queue_view::QueueTab::Failed)
            .iter()
            .any(|row| row
                .error
                .as_deref()
                .is_some_and(|e| e.contains("changed since"))),
        "the changed file is in the Failed tab, saying why"
    );

    // Again: the copies kept the server's times, so only what was left remains.
    harness.get_by_label("Synchronize again…").click();
    settle(&mut harness);
    let again = compare(&mut harness);
    assert_eq!(
        again,
        [
            (What::Copy, "docs/deep/c.txt".to_owned()),
            (What::Update, "edited.txt".to_owned()),
        ],
        "the copies are identical now"
    );
    harness.get_by_label("Cancel").click();
    settle(&mut harness);
    assert!(harness.state().sync_window().is_none());
}

#[test]
fn an_upload_sync_creates_the_servers_folders_first_and_deletes_only_what_it_listed() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("site/old.txt", b"old");
    server.write_file("site/old-dir/inner.txt", b"inner");
    server.write_file("site-backup/old.txt", b"keep");
    let local = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(local.path().join("new/deeper")).unwrap();
    std::fs::write(local.path().join("new/deeper/x.txt"), b"x").unwrap();
    std::fs::write(local.path().join("index.html"), "<p>안녕</p>").unwrap();
    std::fs::write(local.path().join("사진.txt"), b"photo").unwrap();

    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    connect_at(&mut harness, &server, "site");
    open_synchronize(&mut harness);
    harness
        .get_by_label("Upload: the local folder → the server's folder")
        .click();
    choose_delete(&mut harness, false);
    let plan = compare(&mut harness);
    assert_eq!(
        plan,
        [
            (What::Copy, "index.html".to_owned()),
            (What::Mkdir, "new".to_owned()),
            (What::Mkdir, "new/deeper".to_owned()),
            (What::Copy, "new/deeper/x.txt".to_owned()),
            (What::Delete, "old-dir".to_owned()),
            (What::Delete, "old-dir/inner.txt".to_owned()),
            (What::Delete, "old.txt".to_owned()),
            (What::Copy, "사진.txt".to_owned()),
        ]
    );
    harness.get_by_label("Synchronize (8 actions)").click();
    step_until(&mut harness, "the sync's end", |h| done_text(h).is_some());
    let done = done_text(&harness).unwrap();
    assert!(
        done.contains("3 transferred") && done.contains("3 deleted") && done.contains("0 failed"),
        "{done}"
    );
    let root = server.root();
    assert_eq!(read(&root.join("site/new/deeper/x.txt")), "x");
    assert_eq!(read(&root.join("site/index.html")), "<p>안녕</p>");
    assert_eq!(read(&root.join("site/사진.txt")), "photo");
    assert!(!root.join("site/old.txt").exists());
    assert!(!root.join("site/old-dir").exists());
    assert_eq!(read(&root.join("site-backup/old.txt")), "keep");
    // The pane shows the result.
    step_until(&mut harness, "the refreshed listing", |h| {
        let files = &h.state().model().remote.files;
        (0..files.len()).any(|row| files.row(row).is_some_and(|e| e.name_lossy() == "new"))
    });
}

#[test]
fn the_checksum_criterion_finds_an_edit_that_times_miss_and_leaves_equal_contents_alone() {
    let server = FtpServer::start_with(
        ServerKind::Proftpd,
        ServerOptions {
            digest: true,
            ..ServerOptions::default()
        },
    );
    server.write_file("www/edited.txt", b"the server's text");
    server.write_file("www/equal.txt", b"the same text");
    let local = tempfile::tempdir().unwrap();
    let server_time = |name: &str| {
        std::fs::metadata(server.root().join("www").join(name))
            .unwrap()
            .modified()
            .unwrap()
    };
    let put = |name: &str, bytes: &[u8], time: std::time::SystemTime| {
        let path = local.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    };
    // Same size and time, other contents: a time comparison calls it identical.
    put(
        "edited.txt",
        b"the server's TEXT",
        server_time("edited.txt"),
    );
    // Same contents, a day older: a time comparison would copy it again.
    put(
        "equal.txt",
        b"the same text",
        server_time("equal.txt") - std::time::Duration::from_secs(86_400),
    );

    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    connect_at(&mut harness, &server, "www");
    open_synchronize(&mut harness);
    let checksum = harness
        .get_all_by_label_contains("Checksum (")
        .next()
        .expect("the server offers a checksum")
        .rect()
        .center();
    click_at(&mut harness, checksum, egui::PointerButton::Primary);
    settle(&mut harness);
    let plan = compare(&mut harness);
    assert_eq!(plan, [(What::Update, "edited.txt".to_owned())]);
    let log = log_text(&harness);
    assert!(
        log.contains("HASH") || log.contains("XSHA"),
        "the server's checksum commands are in the log:\n{log}"
    );
    harness.get_by_label("Synchronize (1 action)").click();
    step_until(&mut harness, "the sync's end", |h| done_text(h).is_some());
    assert_eq!(read(&local.path().join("edited.txt")), "the server's text");
}

fn log_text(h: &Harness<'_, SkiffApp>) -> String {
    h.state()
        .model()
        .log
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_source_panes_filters_keep_what_they_hide_out_of_the_copies_and_the_deletions() {
    use skiff::folder_sync::rules::{RULES_FILE, RuleBook};
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("www/page.html", b"<p>");
    server.write_file("www/page.html~", b"backup");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("notes.swp"), b"my editor's swap").unwrap();
    std::fs::write(local.path().join("gone.txt"), b"only here").unwrap();
    let config = tempfile::tempdir().unwrap();
    let book = RuleBook {
        apply_to_transfers: true,
        remote: vec!["Editor temporary files".into()],
        ..RuleBook::default()
    };
    skiff::gui::filters::save_book(&book, &config.path().join(RULES_FILE)).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    connect_at(&mut harness, &server, "www");
    open_synchronize(&mut harness);
    assert!(has_label(
        &harness,
        "The source pane's filename filters apply"
    ));
    choose_delete(&mut harness, true);
    let plan = compare(&mut harness);
    assert_eq!(
        plan,
        [
            (What::Delete, "gone.txt".to_owned()),
            (What::Copy, "page.html".to_owned()),
        ],
        "neither the server's backup nor the local swap file is in the plan"
    );
    harness.get_by_label("Synchronize (2 actions)").click();
    step_until(&mut harness, "the sync's end", |h| done_text(h).is_some());
    assert_eq!(read(&local.path().join("page.html")), "<p>");
    assert!(!local.path().join("page.html~").exists());
    assert!(!local.path().join("gone.txt").exists());
    assert_eq!(read(&local.path().join("notes.swp")), "my editor's swap");
}
