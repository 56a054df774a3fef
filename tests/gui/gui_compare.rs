//! Issue 21 in the window: directory comparison marks both panes over LIST (vsftpd) and
//! MLSD (pure-ftpd), with a legend, and hides identical rows when asked.

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
