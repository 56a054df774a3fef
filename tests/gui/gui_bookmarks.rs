//! Bookmarks in the window (issue 21, point 3), against in-process libunftp on loopback: a
//! site-specific bookmark made in the Add bookmark dialog (Ctrl+B) survives a restart, and
//! chosen from the Bookmarks menu opens both folders and turns synchronized browsing on; a
//! global bookmark whose local folder is gone says so in words; Manage bookmarks renames
//! and deletes. Every wait is bounded in frames and in time.

use std::path::Path;

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use skiff::gui::SkiffApp;
use skiff::local::os_bytes;
use skiff::sites::bookmark::{Bookmark, GlobalBookmarks};

/// A config folder with the site "Loopback" (its password asked at connect, never saved)
/// and one global bookmark, "Gone", whose local folder does not exist.
fn config_with_site(config: &Path, server: &FtpServer, gone: &Path) {
    config_with_loopback_site(config, server);
    GlobalBookmarks {
        bookmarks: vec![Bookmark {
            name: "Gone".into(),
            local_dir: Some(gone.to_path_buf()),
            ..Bookmark::default()
        }],
    }
    .save(&config.join("bookmarks.toml"))
    .unwrap();
}

/// Connects with "Loopback" from the Site Manager, typing its password when asked.
fn connect_with_site(h: &mut Harness<'_, SkiffApp>, server: &FtpServer) {
    h.get_by_label("🗄 Site Manager").click();
    step_until(h, "the Site Manager", |h| {
        h.query_by_role_and_label(Role::Window, "Site Manager")
            .is_some()
    });
    let manager = || Role::Window;
    h.get_by_role_and_label(manager(), "Site Manager")
        .get_by_label("🖥 Loopback")
        .click();
    settle(h);
    h.get_by_role_and_label(manager(), "Site Manager")
        .get_by_label("Connect")
        .click();
    step_until(h, "the password question", |h| {
        h.query_by_label("Enter password").is_some()
    });
    settle(h);
    h.event(egui::Event::Text(server.password().to_owned()));
    settle(h);
    h.get_by_label("Connect").click();
    step_until(h, "the remote listing", |h| {
        let model = h.state().model();
        model.connected && !model.remote.files.loading && has_label(h, "🗀 www")
    });
}

/// Opens the Bookmarks menu and clicks `item` in it.
fn bookmarks_menu(h: &mut Harness<'_, SkiffApp>, item: &str) {
    h.get_by_label("Bookmarks").click();
    settle(h);
    h.get_by_label(item).click();
    settle(h);
}

fn text_of(h: &Harness<'_, SkiffApp>, label: &str) -> String {
    h.get_by_label(label)
        .accesskit_node()
        .value()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_bookmark_added_in_the_dialog_opens_both_folders_with_sync_browsing_after_a_restart() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("www/css/site.css", b"body{}");
    server.write_file("www/index.html", b"<p>hi</p>");
    let local = tempfile::tempdir().unwrap();
    let local_root = std::fs::canonicalize(local.path()).unwrap();
    let site_dir = local_root.join("site");
    std::fs::create_dir_all(site_dir.join("css")).unwrap();
    let gone = local_root.join("gone");
    let config = tempfile::tempdir().unwrap();
    config_with_site(config.path(), &server, &gone);
    let rt = runtime();
    let _enter = rt.enter();

    {
        let mut h = window_with_config(&rt, &site_dir, config.path(), None);
        connect_with_site(&mut h, &server);
        let www = table_row(&h, "🗀 www");
        double_click_at(&mut h, www);
        step_until(&mut h, "/www", |h| {
            let remote = &h.state().model().remote.files;
            remote.path == b"/www" && !remote.loading
        });
        h.get_by_label("Bookmarks").click();
        settle(&mut h);
        assert!(has_label(&h, "Add bookmark…") && has_label(&h, "Manage bookmarks…"));
        assert!(has_label(&h, "🔖 Gone"), "the global bookmark is listed");
        h.key_press(egui::Key::Escape);
        settle(&mut h);

        // Ctrl+B: the dialog, prefilled with the two folders shown.
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::B);
        step_until(&mut h, "the Add bookmark dialog", |h| {
            has_label(h, "Add bookmark")
        });
        settle(&mut h);
        assert_eq!(text_of(&h, "Local folder:"), site_dir.display().to_string());
        assert_eq!(text_of(&h, "Remote folder:"), "/www");
        assert!(has_label(&h, "Site-specific bookmark (Loopback)"));
        h.get_by_label("Name:").click();
        settle(&mut h);
        h.get_by_label("Name:").type_text("Web root");
        settle(&mut h);
        h.get_by_label("Use synchronized browsing").click();
        settle(&mut h);
        h.get_by_label("Directory comparison").click();
        settle(&mut h);
        h.get_by_label("Add").click();
        settle(&mut h);
        assert!(!has_label(&h, "Add bookmark"), "the dialog closed");
        let sites = config.path().join("sites.toml");
        step_until(&mut h, "sites.toml with the bookmark", |_| {
            std::fs::read_to_string(&sites).is_ok_and(|t| t.contains("Web root"))
        });
        assert_eq!(
            h.state().site_bookmarks(),
            [Bookmark {
                name: "Web root".into(),
                local_dir: Some(site_dir.clone()),
                remote_dir: Some("/www".into()),
                sync_browsing: true,
                directory_comparison: true,
            }]
        );
    }

    // A new window on the same config folder, starting elsewhere on both sides.
    let mut h = window_with_config(&rt, &local_root, config.path(), None);
    connect_with_site(&mut h, &server);
    assert_eq!(h.state().model().remote.files.path, b"/");
    assert!(!h.state().sync_browsing_on());
    assert!(!h.state_mut().prefs_mut().compare);
    bookmarks_menu(&mut h, "🔖 Web root");
    step_until(&mut h, "both folders of the bookmark, synchronized", |h| {
        let model = h.state().model();
        model.local.files.path == os_bytes(site_dir.as_os_str())
            && model.remote.files.path == b"/www"
            && h.state().sync_browsing_on()
    });
    assert!(h.state_mut().prefs_mut().compare, "directory comparison on");
    // Synchronized for real: entering css on the server enters the local css too.
    let css = remote_table_row(&h, "🗀 css");
    double_click_at(&mut h, css);
    step_until(&mut h, "both sides in css", |h| {
        let model = h.state().model();
        model.remote.files.path == b"/www/css"
            && model.local.files.path == os_bytes(site_dir.join("css").as_os_str())
    });

    // A bookmark whose local folder is gone: said in words, and the window goes on.
    bookmarks_menu(&mut h, "🔖 Gone");
    step_until(&mut h, "the message about the missing folder", |h| {
        has_label(h, "does not exist")
    });
    let message = format!(
        "The local folder of the bookmark \"Gone\" does not exist: {}.",
        gone.display()
    );
    assert!(has_label(&h, &message), "{message}");
    assert!(
        !h.state().sync_browsing_on(),
        "a bookmark without sync stops it"
    );
    settle(&mut h);
    h.get_by_label("OK").click();
    settle(&mut h);

    // Manage: rename the site's bookmark, delete the global one.
    bookmarks_menu(&mut h, "Manage bookmarks…");
    step_until(&mut h, "the Bookmarks window", |h| {
        has_label(h, "Site-specific bookmarks (Loopback)")
    });
    settle(&mut h);
    h.get_by_label("🔖 Gone").click();
    settle(&mut h);
    assert_eq!(text_of(&h, "Name:"), "Gone");
    h.get_by_label("Delete").click();
    settle(&mut h);
    assert!(!has_label(&h, "🔖 Gone"));
    h.get_by_label("🔖 Web root").click();
    settle(&mut h);
    h.get_by_label("Name:").click();
    settle(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label("Name:").type_text("Site root");
    settle(&mut h);
    h.get_by_label("OK").click();
    settle(&mut h);
    let (sites, bookmarks) = (
        config.path().join("sites.toml"),
        config.path().join("bookmarks.toml"),
    );
    step_until(&mut h, "both files saved", |_| {
        std::fs::read_to_string(&sites).is_ok_and(|t| t.contains("Site root"))
            && std::fs::read_to_string(&bookmarks).is_ok_and(|t| !t.contains("Gone"))
    });
    assert!(h.state().global_bookmarks().is_empty());
    let names: Vec<&str> = h
        .state()
        .site_bookmarks()
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(names, ["Site root"]);
}

#[test]
fn file_import_takes_filezillas_bookmarks_xml_into_the_bookmarks_menu() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut h = window_with_config(&rt, local.path(), config.path(), None);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filezilla/bookmarks.xml");
    h.state_mut().import_sites_from(file);
    step_until(&mut h, "the import's summary", |h| {
        has_label(h, "Bookmarks imported")
    });
    assert!(has_label(&h, "3 global bookmarks added (Bookmarks menu)."));
    assert!(has_label(&h, "Everything in the file came in."));
    h.get_by_label("OK").click();
    settle(&mut h);
    let saved = config.path().join("bookmarks.toml");
    step_until(&mut h, "bookmarks.toml", |_| {
        std::fs::read_to_string(&saved).is_ok_and(|t| t.contains("사진 백업"))
    });
    h.get_by_label("Bookmarks").click();
    settle(&mut h);
    for name in ["🔖 사진 백업", "🔖 Downloads", "🔖 Server logs"] {
        assert!(has_label(&h, name), "{name}");
    }
    let first = &h.state().global_bookmarks()[0];
    assert!(first.sync_browsing && first.directory_comparison);
    assert_eq!(first.remote_dir.as_deref(), Some("/backup/사진"));
}
