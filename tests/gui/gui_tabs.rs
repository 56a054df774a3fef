//! Tabs against two real servers on loopback, vsftpd and in-process libunftp: each tab its
//! own remote pane and folder, an answer for a hidden tab landing in it, one queue naming
//! both servers, Ctrl+W, and the tabs reopened by the next start.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;

/// The names the remote pane of tab `slot` shows (wherever that tab's state is kept).
fn tab_names(h: &Harness<'_, SkiffApp>, slot: usize) -> Vec<String> {
    let pane = h.state().tab_remote_pane(slot).unwrap();
    let mut names: Vec<String> = (pane.files.entries().iter())
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    names.sort();
    names
}

fn tab_path(h: &Harness<'_, SkiffApp>, slot: usize) -> Vec<u8> {
    h.state().tab_remote_pane(slot).unwrap().files.path.clone()
}

/// Right-click on a remote file, Download; waits until `done` successful transfers.
fn download(h: &mut Harness<'_, SkiffApp>, name: &str, done: usize) {
    let at = remote_table_row(h, name);
    click_at(h, at, egui::PointerButton::Secondary);
    h.get_by_label("Download").click();
    step_until(h, "the download", |h| {
        has_label(h, &format!("Successful transfers ({done})"))
    });
}

/// `user@host:port`, as the tab bar and the queue name a server.
fn label(server: &FtpServer) -> String {
    format!("{}@{}:{}", server.user(), server.host(), server.port())
}

/// Answers the password dialog of a restored tab, for `server`.
fn give_password(h: &mut Harness<'_, SkiffApp>, server: &FtpServer) {
    let prompt = format!("Password for {} on ftp://{}", server.user(), label(server));
    step_until(h, "the password asked for", |h| has_label(h, &prompt));
    for _ in 0..3 {
        h.step();
    }
    h.event(egui::Event::Text(server.password().to_owned()));
    h.step();
    h.get_by_label("Connect").click();
    settle(h);
}

#[test]
fn two_tabs_on_two_servers_keep_their_panes_share_the_queue_and_come_back_at_the_next_start() {
    let a = FtpServer::start(ServerKind::Vsftpd);
    a.mkdir("a-folder");
    a.write_file("a-folder/inside-a.txt", b"deep");
    a.write_file("from-a.txt", b"served by vsftpd");
    let b = FtpServer::start(ServerKind::Libunftp);
    b.write_file("from-b.txt", b"served by libunftp");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);

    // Tab 1 on vsftpd.
    quickconnect(&mut harness, &a);
    assert_eq!(tab_names(&harness, 0), ["a-folder", "from-a.txt"]);
    assert!(
        has_label(&harness, &label(&a)),
        "the tab is named user@host"
    );

    // Ctrl+T: a blank tab, active; it connects to libunftp.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::T);
    settle(&mut harness);
    assert_eq!(harness.state().tab_count(), 2);
    assert_eq!(harness.state().active_tab(), 1);
    assert_eq!(harness.state().tab_label(1), "Not connected");
    assert!(
        !harness.state().model().connected,
        "the new tab is not connected"
    );
    quickconnect(&mut harness, &b);
    assert_eq!(tab_names(&harness, 1), ["from-b.txt"]);
    assert_eq!(
        tab_names(&harness, 0),
        ["a-folder", "from-a.txt"],
        "the first tab's pane is kept aside, intact"
    );

    // Ctrl+Tab: back to the first tab, its pane and folder as they were.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Tab);
    settle(&mut harness);
    assert_eq!(harness.state().active_tab(), 0);
    assert!(harness.state().model().connected);
    assert_eq!(tab_path(&harness, 0), b"/");
    assert!(has_label(&harness, "from-a.txt"));
    assert!(!has_label(&harness, "from-b.txt"));

    // A folder opened in the first tab, and Ctrl+Tab in the same frame: the listing is
    // answered while the second tab is active, and lands in the first.
    let at = remote_table_row(&harness, "a-folder");
    harness.hover_at(at);
    for _ in 0..8 {
        harness.step();
    }
    for click in 0..2 {
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        if click == 1 {
            harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Tab);
        }
        harness.step();
    }
    assert_eq!(
        harness.state().active_tab(),
        1,
        "switched in the same frame"
    );
    step_until(&mut harness, "the first tab's listing of a-folder", |h| {
        tab_path(h, 0) == b"/a-folder"
    });
    assert_eq!(tab_names(&harness, 0), ["inside-a.txt"]);
    assert_eq!(tab_names(&harness, 1), ["from-b.txt"], "the active pane");
    assert_eq!(harness.state().model().remote.files.path, b"/");

    // A download from each tab: one queue, each row naming its server.
    download(&mut harness, "from-b.txt", 1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Tab);
    settle(&mut harness);
    download(&mut harness, "inside-a.txt", 2);
    assert_eq!(
        std::fs::read(local.path().join("from-b.txt")).unwrap(),
        b"served by libunftp"
    );
    assert_eq!(
        std::fs::read(local.path().join("inside-a.txt")).unwrap(),
        b"deep"
    );
    let mut servers: Vec<(String, String)> = (harness.state().model().queue)
        .added_after(None)
        .map(|row| (row.remote.clone(), row.server.clone()))
        .collect();
    servers.sort();
    let mut expected = vec![
        ("/a-folder/inside-a.txt".to_owned(), label(&a)),
        ("/from-b.txt".to_owned(), label(&b)),
    ];
    expected.sort();
    assert_eq!(servers, expected);

    // "This tab only": the log shows the first tab's server's lines, not the second's.
    harness.get_by_label("This tab only").click();
    settle(&mut harness);
    let (own, others) = {
        let model = harness.state().model();
        let of = |l: &skiff::log::LogLine, server: &FtpServer| {
            (model.conn_servers.get(&l.conn))
                .is_some_and(|k| k.to_string().ends_with(&label(server)))
        };
        let own = (model.log.iter())
            .filter(|l| of(l, &a) && model.is_tab_line(l))
            .count();
        let others = (model.log.iter())
            .filter(|l| of(l, &b) && model.is_tab_line(l))
            .count();
        let b_lines = (model.log.iter()).filter(|l| of(l, &b)).count();
        assert!(b_lines > 0, "the second tab's server logged");
        (own, others)
    };
    assert!(own > 0, "the tab's own lines are shown");
    assert_eq!(others, 0, "no line of the other tab's server");

    // What the window saves at exit: both tabs, no password; the first one active.
    let prefs = harness.state_mut().prefs_to_save();
    assert_eq!(prefs.tabs.len(), 2);
    assert_eq!(prefs.active_tab, 0);
    let saved = format!("{:?}", prefs.tabs);
    // (vsftpd's test user's password is its name: no `user:password@` either.)
    assert!(!saved.contains(b.password()), "{saved}");
    assert!(!saved.contains(&format!(":{}@", a.password())), "{saved}");
    assert_eq!(prefs.tabs[0].remote_path, b"/a-folder");

    // Ctrl+W closes the active tab (vsftpd's): the libunftp tab is left, active.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::W);
    settle(&mut harness);
    assert_eq!(harness.state().tab_count(), 1);
    assert_eq!(tab_names(&harness, 0), ["from-b.txt"]);
    assert_eq!(harness.state().tab_label(0), label(&b));
    drop(harness);

    // The next start: both tabs come back, each asking its password (never saved), each
    // connected in its folder; the tab active at exit is active again.
    let mut harness = window_with_prefs(&rt, local.path(), config.path(), prefs);
    give_password(&mut harness, &a);
    give_password(&mut harness, &b);
    step_until(&mut harness, "both tabs listed", |h| {
        h.state().tab_count() == 2
            && tab_names(h, 0) == ["inside-a.txt"]
            && tab_names(h, 1) == ["from-b.txt"]
    });
    assert_eq!(harness.state().active_tab(), 0);
    assert_eq!(tab_path(&harness, 0), b"/a-folder");
    assert!(harness.state().model().connected);
    assert!(has_label(&harness, &label(&a)) && has_label(&harness, &label(&b)));
}

#[test]
fn the_tab_bar_and_the_file_menu_open_switch_and_close_tabs() {
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    assert_eq!(harness.state().tab_count(), 1);
    // The tab bar's "+".
    harness.get_by_label("+").click();
    settle(&mut harness);
    assert_eq!(
        (harness.state().tab_count(), harness.state().active_tab()),
        (2, 1)
    );
    // File > New tab.
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label_contains("New tab").click();
    settle(&mut harness);
    assert_eq!(
        (harness.state().tab_count(), harness.state().active_tab()),
        (3, 2)
    );
    // A click on the first tab shows it.
    let first = blank_tabs(&harness)[0];
    click_at(&mut harness, first.center(), egui::PointerButton::Primary);
    assert_eq!(harness.state().active_tab(), 0);
    // Ctrl+Shift+Tab goes round to the last one.
    harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::Tab,
    );
    settle(&mut harness);
    assert_eq!(harness.state().active_tab(), 2);
    // A middle click closes a tab; its ✖ too; File > Close tab the active one.
    let second = blank_tabs(&harness)[1];
    click_at(&mut harness, second.center(), egui::PointerButton::Middle);
    assert_eq!(harness.state().tab_count(), 2);
    harness.get_all_by_label("✖").next().unwrap().click();
    settle(&mut harness);
    assert_eq!(harness.state().tab_count(), 1);
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label_contains("Close tab").click();
    settle(&mut harness);
    assert_eq!(harness.state().tab_count(), 1, "the last tab stays, blank");
    assert_eq!(blank_tabs(&harness).len(), 1);
}

/// The tab bar's blank tabs, left to right (the status bar, at the bottom, says "Not
/// connected" too).
fn blank_tabs(h: &Harness<'_, SkiffApp>) -> Vec<egui::Rect> {
    let mut tabs: Vec<egui::Rect> = (h.get_all_by_label("Not connected"))
        .map(|n| n.rect())
        .filter(|r| r.top() < 400.0)
        .collect();
    tabs.sort_by(|a, b| a.left().total_cmp(&b.left()));
    tabs
}

#[test]
fn a_saved_sites_tab_reopens_with_the_sites_password_asked_in_the_folder_it_showed() {
    use skiff::gui::tabs::SavedTab;
    use skiff::sites::site::{LogonType, Protocol, Site, SiteList};
    let a = FtpServer::start(ServerKind::Vsftpd);
    a.mkdir("deep");
    a.write_file("deep/in-site-folder.txt", b"x");
    a.write_file("at-login.txt", b"y");
    let b = FtpServer::start(ServerKind::Libunftp);
    b.write_file("from-b.txt", b"z");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let site = Site {
        name: "Loopback".into(),
        protocol: Protocol::Ftp,
        host: a.host(),
        port: Some(a.port()),
        logon: LogonType::AskForPassword,
        user: a.user().into(),
        ..Site::default()
    };
    let id = site.id.clone();
    SiteList {
        folders: Vec::new(),
        sites: vec![site],
    }
    .save(&config.path().join("sites.toml"))
    .unwrap();
    // As the last run saved them: the site's tab, and a quickconnect tab, active.
    let mut prefs = skiff::gui::prefs::Prefs {
        tabs: vec![
            SavedTab {
                url: format!("ftp://{}", label(&a)),
                site: Some(id),
                remote_path: b"/deep".to_vec(),
                local_path: None,
            },
            SavedTab {
                url: format!("ftp://{}", label(&b)),
                site: None,
                remote_path: Vec::new(),
                local_path: None,
            },
        ],
        active_tab: 1,
        ..Default::default()
    };
    prefs.allow_plain_ftp(format!("{}:{}", b.host(), b.port()));
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_prefs(&rt, local.path(), config.path(), prefs);
    // The site's own password dialog ("Ask for password": kept for the session only).
    step_until(&mut harness, "the site's password dialog", |h| {
        has_label(h, "Kept until Skiff closes; never saved.")
    });
    give_password(&mut harness, &a);
    give_password(&mut harness, &b);
    step_until(&mut harness, "both tabs listed", |h| {
        h.state().tab_count() == 2
            && tab_names(h, 0) == ["in-site-folder.txt"]
            && tab_names(h, 1) == ["from-b.txt"]
    });
    assert_eq!(tab_path(&harness, 0), b"/deep", "the folder shown at exit");
    assert_eq!(harness.state().active_tab(), 1);
    assert_eq!(harness.state().tab_label(0), label(&a));
    // The site is the first tab's: its saved record names it again.
    let prefs = harness.state_mut().prefs_to_save();
    assert!(prefs.tabs[0].site.is_some() && prefs.tabs[1].site.is_none());
}
