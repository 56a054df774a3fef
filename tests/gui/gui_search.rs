//! Issue 22, point 2 in the window: Server > Search remote files against vsftpd on loopback.
//! A tree of many folders is searched; results show while the search still runs; Stop ends
//! it early; a result is downloaded through the queue (checked on disk), one deleted on the
//! server (asked first), and one shown in the remote pane, selected. Waits are bounded.

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::gui::search_window::SearchState;

/// Folders in the tree: so many listings that the search is still running when Stop is
/// clicked, a few frames after the first results.
const FOLDERS: usize = 1500;

fn search_window<'a>(h: &'a Harness<'_, SkiffApp>) -> &'a skiff::gui::search_window::SearchWindow {
    h.state()
        .search_window()
        .expect("the search window is open")
}

/// The search window's own node (its buttons, its rows).
fn in_window<'a>(h: &'a Harness<'_, SkiffApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(Role::Window, "Search remote files")
}

/// Clicks the results row showing `shown`.
fn click_result(h: &mut Harness<'_, SkiffApp>, shown: &str) {
    in_window(h).get_by_label(shown).click();
    settle(h);
}

#[test]
fn a_search_streams_results_stops_and_its_results_are_downloaded_deleted_and_shown() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    for i in 0..FOLDERS {
        server.write_file(
            &format!("d{i:04}/f{i:04}.txt"),
            format!("file {i}").as_bytes(),
        );
    }
    server.write_file("d0000/skip.bin", b"not a text file");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window(&rt, local.path());
    quickconnect(&mut h, &server);
    let home = h.state().model().remote.files.path.clone();

    h.get_by_label("Server").click();
    settle(&mut h);
    assert!(has_label(&h, "Search remote files…"), "in the Server menu");
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    // F3, as in the menu.
    h.key_press(egui::Key::F3);
    settle(&mut h);
    assert_eq!(
        search_window(&h).form.folder.as_bytes(),
        home.as_slice(),
        "it searches in the remote folder shown"
    );
    h.get_by_label("Name:").click();
    h.step();
    h.get_by_label("Name:").type_text("*.txt");
    settle(&mut h);
    in_window(&h).get_by_label("🔍 Search").click();

    // Results show while the search still runs: streamed, not at the end.
    step_until(&mut h, "the first results while searching", |h| {
        let w = search_window(h);
        w.running() && !w.results.is_empty()
    });
    in_window(&h).get_by_label("⏹ Stop").click();
    step_until(&mut h, "the search to stop", |h| {
        !search_window(h).running()
    });
    let w = search_window(&h);
    match &w.state {
        SearchState::Ended(words) => assert!(words.starts_with("Stopped."), "{words}"),
        other => panic!("{other:?}"),
    }
    let found = w.results.len();
    assert!(
        (1..FOLDERS).contains(&found),
        "{found} found before the stop"
    );
    assert!(w.results.iter().all(|f| f.shown.ends_with(".txt")));
    assert!(w.folders_searched < FOLDERS + 1);

    // Download the first result: through the queue, into the local folder shown.
    let first = w.results[0].clone();
    let name = String::from_utf8(
        first
            .entry
            .name
            .rsplit(|&b| b == b'/')
            .next()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let expected =
        std::fs::read(server.root().join(format!("d{}", &name[1..5])).join(&name)).unwrap();
    click_result(&mut h, &first.shown);
    assert_eq!(search_window(&h).selected.len(), 1);
    in_window(&h).get_by_label("⬇ Download").click();
    let downloaded = local.path().join(&name);
    step_until(&mut h, "the download", |_| {
        std::fs::read(&downloaded).is_ok_and(|bytes| bytes == expected)
    });

    // Delete another: asked first, then gone from the server and from the results.
    let second = search_window(&h).results[1].clone();
    let second_name = String::from_utf8(
        second
            .entry
            .name
            .rsplit(|&b| b == b'/')
            .next()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let on_disk = server
        .root()
        .join(format!("d{}", &second_name[1..5]))
        .join(&second_name);
    assert!(on_disk.exists());
    click_result(&mut h, &second.shown);
    in_window(&h).get_by_label("🗑 Delete…").click();
    settle(&mut h);
    assert!(on_disk.exists(), "nothing is deleted before the answer");
    in_window(&h).get_by_label("Yes, delete").click();
    step_until(&mut h, "the deletion", |h| {
        !on_disk.exists() && search_window(h).results.len() == found - 1
    });

    // Show the first result in the pane: its folder opens, the file selected.
    click_result(&mut h, &first.shown);
    in_window(&h).get_by_label("Show in pane").click();
    let folder = first.entry.name[..first.entry.name.len() - name.len() - 1].to_vec();
    step_until(
        &mut h,
        "the result's folder in the pane, the file selected",
        |h| {
            let pane = &h.state().model().remote.files;
            pane.path == folder
                && pane
                    .selected_entries()
                    .map(|e| e.name.clone())
                    .eq([name.clone().into_bytes()])
        },
    );
}
