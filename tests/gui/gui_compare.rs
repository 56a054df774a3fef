//! Issue 21 in the window: directory comparison marks both panes over LIST (vsftpd) and
//! MLSD (pure-ftpd), with a legend, and hides identical rows when asked; synchronized
//! browsing follows a folder entered on either side and offers to create a missing one.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::gui::comparison::Mark;

fn set_mtime(path: &std::path::Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// Name → mark of every visible row of one pane.
fn marks(harness: &Harness<'_, SkiffApp>, local: bool) -> BTreeMap<String, Option<Mark>> {
    let model = harness.state().model();
    let pane = if local {
        &model.local.files
    } else {
        &model.remote.files
    };
    (0..pane.len())
        .map(|row| (pane.row(row).unwrap().name_lossy(), pane.mark(row)))
        .collect()
}

fn comparison_over(kind: ServerKind) {
    let server = FtpServer::start(kind);
    server.write_file("same.txt", b"12345");
    server.write_file("grown.txt", b"12345678");
    server.write_file("newer-there.txt", b"abc");
    server.write_file("theirs.txt", b"x");
    let server_time = |name: &str| {
        std::fs::metadata(server.root().join(name))
            .unwrap()
            .modified()
            .unwrap()
    };
    let local = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8], time: SystemTime| {
        let path = local.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        set_mtime(&path, time);
    };
    put("same.txt", b"12345", server_time("same.txt"));
    put("grown.txt", b"1234567", server_time("grown.txt"));
    put(
        "newer-there.txt",
        b"abc",
        server_time("newer-there.txt") - Duration::from_secs(86_400),
    );
    put("mine.txt", b"m", SystemTime::now());
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    step_until(&mut harness, "the local listing", |h| {
        h.state().model().local.files.len() == 4
    });
    assert!(
        marks(&harness, true).values().all(Option::is_none),
        "off at first"
    );

    harness.get_by_label("⇆ Compare").click();
    step_until(&mut harness, "the marks", |h| {
        h.state().model().local.files.has_marks()
    });
    let expect = |pairs: &[(&str, Mark)]| {
        pairs
            .iter()
            .map(|(n, m)| ((*n).to_owned(), Some(*m)))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        marks(&harness, true),
        expect(&[
            ("grown.txt", Mark::SizeDiffers),
            ("mine.txt", Mark::OnlyHere),
            ("newer-there.txt", Mark::NewerThere),
            ("same.txt", Mark::Identical),
        ]),
        "{kind:?}"
    );
    assert_eq!(
        marks(&harness, false),
        expect(&[
            ("grown.txt", Mark::SizeDiffers),
            ("newer-there.txt", Mark::NewerHere),
            ("same.txt", Mark::Identical),
            ("theirs.txt", Mark::OnlyHere),
        ]),
        "{kind:?}"
    );
    // The legend says what each glyph means, in words.
    for mark in Mark::ALL {
        assert!(has_label(&harness, mark.words()), "{}", mark.words());
    }

    harness.get_by_label("Hide identical").click();
    settle(&mut harness);
    assert!(!marks(&harness, true).contains_key("same.txt"));
    assert!(!marks(&harness, false).contains_key("same.txt"));
    assert_eq!(marks(&harness, false).len(), 3);

    // Off again: every row back, unmarked.
    harness.get_by_label("⇆ Compare").click();
    settle(&mut harness);
    let local_rows = marks(&harness, true);
    assert_eq!(local_rows.len(), 4);
    assert!(local_rows.values().all(Option::is_none));
}

#[test]
fn directory_comparison_over_list_marks_both_panes_and_hides_identical_rows() {
    comparison_over(ServerKind::Vsftpd);
}

#[test]
fn directory_comparison_over_mlsd_marks_both_panes_and_hides_identical_rows() {
    comparison_over(ServerKind::PureFtpd);
}

#[test]
fn synchronized_browsing_follows_both_ways_and_creates_a_missing_folder_when_asked() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("www/css/site.css", b"body{}");
    server.write_file("www/img/logo.png", b"png");
    let local = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(local.path().join("css")).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    let www = table_row(&harness, "🗀 www");
    double_click_at(&mut harness, www);
    step_until(&mut harness, "/www", |h| {
        h.state().model().remote.files.path == b"/www" && has_label(h, "🗀 img")
    });
    let local_root = harness.state().model().local.files.path.clone();
    harness.get_by_label("⇅ Sync browse").click();
    settle(&mut harness);

    // Local css (the left pane's table: the lowest of the left labels): the server follows
    // into /www/css.
    let middle = harness.ctx.content_rect().center().x;
    let css = harness
        .get_all_by_label("🗀 css")
        .map(|n| n.rect().center())
        .filter(|p| p.x < middle)
        .max_by(|a, b| a.y.total_cmp(&b.y))
        .unwrap();
    double_click_at(&mut harness, css);
    step_until(&mut harness, "both sides in css", |h| {
        let m = h.state().model();
        m.remote.files.path == b"/www/css" && m.local.files.path.ends_with(b"/css")
    });
    // Up on the server: the local side goes up too.
    let remote_up = harness
        .get_all_by_label("⬆")
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap()
        .rect()
        .center();
    click_at(&mut harness, remote_up, egui::PointerButton::Primary);
    step_until(&mut harness, "both sides back up", |h| {
        let m = h.state().model();
        m.remote.files.path == b"/www" && m.local.files.path == local_root
    });
    // img is only on the server: asked, and created locally.
    let img = remote_table_row(&harness, "🗀 img");
    double_click_at(&mut harness, img);
    step_until(&mut harness, "the question", |h| {
        has_label(h, "does not exist on the local side")
    });
    // Once the dialog has found its place (a modal sizes itself in its first frame).
    settle(&mut harness);
    harness.get_by_label("Create it").click();
    step_until(&mut harness, "the local img folder", |h| {
        h.state().model().local.files.path.ends_with(b"/img")
    });
    assert!(local.path().join("img").is_dir());
    assert_eq!(harness.state().model().remote.files.path, b"/www/img");
}
