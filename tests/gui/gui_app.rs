//! The real window, driven through egui_kittest (no display: the accessibility tree is
//! queried by role and label, clicks and drags are pointer events), over the real engine,
//! against a real server on loopback. Every wait is bounded in frames and in time.

use std::path::Path;
use std::sync::Arc;

use crate::common::{FtpServer, ServerKind, ServerOptions, ServerTls};
use crate::gui_common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use skiff::gui::SkiffApp;
use skiff::gui::queue_view::QueueTab;
use skiff::sites::trust::TrustStore;

#[test]
fn quickconnect_lists_the_server_and_the_log_shows_the_dialogue_with_pass_masked() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("docs/readme.txt", b"hello");
    server.write_file("top.bin", &[7; 1500]);
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    assert!(has_label(&harness, "Not connected to any server"));
    quickconnect(&mut harness, &server);

    assert!(has_label(&harness, "docs"), "the folder is listed");
    assert!(has_label(&harness, "top.bin"), "the file is listed");
    assert!(has_label(&harness, "1.5 KiB"), "sizes are human-readable");
    let model = harness.state().model();
    let log: Vec<String> = model.log.iter().map(|l| l.to_string()).collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("Command:") && l.contains("USER")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l == "Command:  PASS ****"), "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with("Response: 230")),
        "{log:?}"
    );
    // (vsftpd's test user is called like its password: USER may carry it, nothing else.)
    assert!(
        !log.iter()
            .filter(|l| !l.starts_with("Command:  USER "))
            .any(|l| l.contains(server.password())),
        "the password never reaches the log: {log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("Status:") && l.contains("Data connections: passive")),
        "the log says how data connections are made: {log:?}"
    );
    // The password field does not show the password either.
    let password_field = harness.get_by_label("Password:");
    assert_ne!(password_field.value().as_deref(), Some(server.password()));

    // Double-click a folder to open it.
    let docs = table_row(&harness, "🗀 docs");
    double_click_at(&mut harness, docs);
    step_until(&mut harness, "the docs folder", |h| {
        h.state().model().remote.files.path == b"/docs" && has_label(h, "readme.txt")
    });
    assert!(!has_label(&harness, "top.bin"));
}

#[test]
fn the_title_names_the_server_and_the_panes_count_entries_in_words() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("one.txt", b"1");
    server.write_file("two.txt", b"2");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("only.txt"), b"alone").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    step_until(&mut harness, "the local listing", |h| {
        has_label(h, "only.txt")
    });
    assert_eq!(harness.state().title(), "Skiff");
    // The light theme's fields have an outline (egui's has none).
    assert_eq!(
        harness
            .ctx
            .style_of(egui::Theme::Light)
            .visuals
            .widgets
            .inactive
            .bg_stroke,
        skiff::gui::theme::light_visuals()
            .widgets
            .inactive
            .bg_stroke
    );
    assert!(has_label(&harness, "1 entry"), "one local file");
    assert!(!has_label(&harness, "1 entries"));
    quickconnect(&mut harness, &server);
    step_until(&mut harness, "the title to follow the connection", |h| {
        h.state().title() != "Skiff"
    });
    assert_eq!(
        harness.state().title(),
        format!("{}@127.0.0.1:{} - Skiff", server.user(), server.port())
    );
    assert!(has_label(&harness, "2 entries"), "two remote files");
    let row = harness.get_by_label_contains("one.txt").rect().center();
    click_at(&mut harness, row, egui::PointerButton::Primary);
    step_until(&mut harness, "the selection count", |h| {
        has_label(h, "1 of 2 selected")
    });
}

/// As in every desktop menu bar: with one menu open, pointing at another menu's title opens
/// that one, without a second click.
#[test]
fn with_a_menu_open_pointing_at_another_title_opens_it() {
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    harness.get_by_label("File").click();
    harness.run();
    assert!(has_label(&harness, "Quit"), "the File menu opened");
    assert!(!has_label(&harness, "Settings…"));
    let edit = harness.get_by_label("Edit").rect().center();
    harness.hover_at(edit);
    harness.run();
    assert!(has_label(&harness, "Settings…"), "the Edit menu opened");
    assert!(!has_label(&harness, "Quit"), "the File menu closed");
}

#[test]
fn help_lists_the_shortcuts_and_opens_the_settings_folder() {
    use std::os::unix::fs::PermissionsExt as _;
    let local = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    // A stand-in for the desktop's file manager: it writes down the folder it was given.
    let said = tools.path().join("opened");
    let opener = tools.path().join("opener.sh");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", said.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut window = window_with_opener(&rt, local.path(), &opener);
    let config_dir = window.config_dir().display().to_string();
    let harness = &mut window.harness;

    harness.get_by_label("Help").click();
    harness.run();
    harness.get_by_label("Keyboard shortcuts").click();
    harness.run();
    assert!(has_label(harness, "Refresh the active pane"));
    assert!(has_label(harness, "Ctrl+S") && has_label(harness, "F2"));
    harness.get_by_label("OK").click();
    harness.run();
    assert!(
        !has_label(harness, "Refresh the active pane"),
        "OK closes it"
    );

    harness.get_by_label("Help").click();
    harness.run();
    harness.get_by_label("Open the settings folder").click();
    step_until(harness, "the file manager to be given the folder", |_| {
        std::fs::read_to_string(&said).is_ok_and(|s| s == config_dir)
    });
    assert!(
        harness
            .state()
            .model()
            .log
            .iter()
            .any(|l| l.text.starts_with("Opened the settings folder")),
        "the log says so"
    );

    // No file manager: one Error line in words.
    let mut window = window_with_opener(&rt, local.path(), &tools.path().join("missing"));
    let harness = &mut window.harness;
    harness.get_by_label("Help").click();
    harness.run();
    harness.get_by_label("Open the settings folder").click();
    harness.run();
    let errors = error_lines(harness);
    assert!(
        errors.len() == 1 && errors[0].contains("the program was not found"),
        "{errors:?}"
    );
}

/// A recent server keeps no password: choosing it asks for one (FileZilla's "Enter
/// password"), instead of a logon without one failing with 530.
#[test]
fn a_recent_server_asks_for_its_password() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("hello.txt", b"hi");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    harness.get_by_label_contains("Disconnect").click();
    step_until(&mut harness, "the disconnection", |h| {
        !h.state().model().connected
    });
    let logons = |h: &Harness<'_, SkiffApp>| {
        h.state()
            .model()
            .log
            .iter()
            .filter(|l| l.text.starts_with("PASS"))
            .count()
    };
    let before = logons(&harness);

    harness.get_by_label("File").click();
    harness.run();
    harness.get_by_label("Recent servers").click();
    harness.run();
    let entry = format!("ftp://{}@127.0.0.1:{}", server.user(), server.port());
    harness.get_by_label(&entry).click();
    harness.run();
    assert!(has_label(&harness, "Enter password"), "no password asked");
    assert_eq!(
        logons(&harness),
        before,
        "a logon was tried without a password"
    );
    // The field has the focus: type into it, then Connect.
    harness.event(egui::Event::Text(server.password().to_owned()));
    harness.run();
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the listing", |h| {
        h.state().model().connected && has_label(h, "hello.txt")
    });
    assert!(!has_label(&harness, "Enter password"));
}

#[test]
fn dragging_a_local_row_onto_the_remote_table_uploads_it() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("existing.txt", b"already there");
    let local = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(local.path().join("upload me.dat"), &content).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    step_until(&mut harness, "the local listing", |h| {
        has_label(h, "upload me.dat")
    });
    quickconnect(&mut harness, &server);

    let from = harness
        .get_by_label_contains("upload me.dat")
        .rect()
        .center();
    let to = harness
        .get_by_label_contains("existing.txt")
        .rect()
        .center();
    drag(&mut harness, from, to);
    step_until(&mut harness, "the upload to succeed", |h| {
        has_label(h, "Successful transfers (1)")
    });
    assert_eq!(
        server.read_file("upload me.dat").as_deref(),
        Some(&content[..])
    );
    // The remote pane refreshes and shows the new file.
    step_until(&mut harness, "the remote pane to show the upload", |h| {
        h.state()
            .model()
            .remote
            .files
            .entries()
            .iter()
            .any(|e| e.name == b"upload me.dat")
    });
}

#[test]
fn download_by_context_menu_and_answer_the_file_exists_question() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("report.txt", b"the server's version");
    server.write_file("fresh.txt", b"new file");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("report.txt"), b"mine").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);

    // A file that is not there yet: right-click, Download.
    let remote_row = |h: &Harness<'_, SkiffApp>, name: &str| {
        h.get_all_by_label_contains(name)
            .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
            .unwrap()
            .rect()
            .center()
    };
    let at = remote_row(&harness, "fresh.txt");
    click_at(&mut harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("Download").click();
    step_until(&mut harness, "the download", |h| {
        has_label(h, "Successful transfers (1)")
    });
    assert_eq!(
        std::fs::read(local.path().join("fresh.txt")).unwrap(),
        b"new file"
    );
    step_until(&mut harness, "the local pane to show it", |h| {
        h.state()
            .model()
            .local
            .files
            .entries()
            .iter()
            .any(|e| e.name == b"fresh.txt")
    });

    // One that exists locally: the window asks; Overwrite replaces it.
    let at = remote_row(&harness, "report.txt");
    double_click_at(&mut harness, at);
    step_until(&mut harness, "the file-exists question", |h| {
        has_label(h, "Target file already exists")
    });
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"mine",
        "nothing is overwritten before the answer"
    );
    harness.get_by_label("Overwrite").click();
    harness.step();
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the second download", |h| {
        has_label(h, "Successful transfers (2)")
    });
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"the server's version"
    );
    assert!(!has_label(&harness, "Target file already exists"));

    // Again, answered Skip: the file stays, and the tab counts it as skipped, not copied.
    std::fs::write(local.path().join("report.txt"), b"mine again").unwrap();
    let at = remote_row(&harness, "report.txt");
    double_click_at(&mut harness, at);
    step_until(&mut harness, "the file-exists question", |h| {
        has_label(h, "Target file already exists")
    });
    harness.get_by_label("Skip").click();
    harness.step();
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the skip to be counted", |h| {
        has_label(h, "Successful transfers (2, 1 skipped)")
    });
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"mine again"
    );

    // Rename: a name field prefilled `report (1).txt`; a path is refused, a name is taken.
    let at = remote_row(&harness, "report.txt");
    double_click_at(&mut harness, at);
    step_until(&mut harness, "the file-exists question", |h| {
        has_label(h, "Target file already exists")
    });
    harness
        .get_by_label("Rename (keep both, under a new name)")
        .click();
    harness.step();
    let field = harness.get_by_label("New name:");
    assert_eq!(field.value().as_deref(), Some("report (1).txt"));
    let retype = |h: &mut Harness<'_, SkiffApp>, text: &str| {
        // (The field appeared with the radio button: the modal takes a frame to grow.)
        settle(h);
        h.get_by_label("New name:").click();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.step();
        h.get_by_label("New name:").type_text(text);
        h.step();
        h.step();
    };
    retype(&mut harness, "../escape.txt");
    assert!(
        has_label(&harness, "Not a name:"),
        "{:?}",
        harness.get_by_label("New name:").value()
    );
    assert!(
        harness.get_by_label("OK").accesskit_node().is_disabled(),
        "OK waits for a name"
    );
    retype(&mut harness, "report from the server.txt");
    assert!(!has_label(&harness, "Not a name:"));
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the renamed download", |h| {
        has_label(h, "Successful transfers (3, 1 skipped)")
    });
    assert_eq!(
        std::fs::read(local.path().join("report from the server.txt")).unwrap(),
        b"the server's version"
    );
    assert_eq!(
        std::fs::read(local.path().join("report.txt")).unwrap(),
        b"mine again",
        "the existing file is kept"
    );
    assert!(!local.path().join("report (1).txt").exists());
    assert!(!local.path().parent().unwrap().join("escape.txt").exists());
}

#[test]
fn korean_japanese_chinese_and_emoji_names_render_and_filter() {
    // vsftpd passes the names' UTF-8 bytes through; the window must draw every glyph
    // (a missing one panics in kittest) and sort and filter them.
    let server = FtpServer::start(ServerKind::Vsftpd);
    let names = [
        "한글 문서.txt",
        "日本語のファイル.pdf",
        "中文资料.zip",
        "rocket 🚀.txt",
    ];
    for name in names {
        server.write_file(name, name.as_bytes());
    }
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("로컬 파일.txt"), b"x").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    for name in names {
        assert!(has_label(&harness, name), "{name} is shown");
    }
    assert!(has_label(&harness, "로컬 파일.txt"), "local CJK names too");
    // The quick filter takes CJK text.
    let filters = harness.get_all_by_label("🔎").count();
    assert_eq!(filters, 2, "one filter per pane");
    filter_remote(&mut harness, "日本");
    let remote = &harness.state().model().remote.files;
    assert_eq!(remote.len(), 1, "only the Japanese name passes the filter");
    assert_eq!(remote.row(0).unwrap().name_lossy(), "日本語のファイル.pdf");
}

#[test]
fn control_and_bidi_characters_in_names_show_as_escapes() {
    // A name can hold ESC sequences or a right-to-left override ("rtl-\u{202e}txt.exe"
    // would read as "rtl-exe.txt"): the window shows them as escapes, as the CLI does.
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("remote-\u{202e}txt.exe", b"x");
    server.write_file("remote-\x1b]0;owned\x07.txt", b"x");
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("local-\x1b[31m.txt"), b"x").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    step_until(&mut harness, "the local listing", |h| {
        has_label(h, "local-\\u{1b}[31m.txt")
    });
    quickconnect(&mut harness, &server);
    assert!(has_label(&harness, "remote-\\u{202e}txt.exe"));
    assert!(has_label(&harness, "remote-\\u{1b}]0;owned\\u{7}.txt"));
    for raw in ["\u{202e}", "\x1b", "\x07"] {
        assert!(!has_label(&harness, raw), "{raw:?} is shown raw");
    }
}

#[test]
fn the_directory_trees_follow_the_panes_and_open_folders() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("music/jazz/take5.flac", b"x");
    server.write_file("music/rock/song.ogg", b"y");
    server.write_file("video/clip.mp4", b"z");
    let local = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(local.path().join("sub/deeper")).unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    // The remote tree learned the root's folders from the listing: each shows twice, in
    // the tree and in the file table.
    let shown = |h: &Harness<'_, SkiffApp>, label: &str| h.get_all_by_label(label).count();
    assert_eq!(shown(&harness, "🗀 music"), 2);
    assert_eq!(shown(&harness, "🗀 video"), 2);
    // The local tree shows the way down to the local folder, and its subfolder.
    assert_eq!(shown(&harness, "🗀 sub"), 2);

    // A click on a tree folder opens it in the file list.
    let music = tree_row(&harness, "🗀 music").center();
    click_at(&mut harness, music, egui::PointerButton::Primary);
    step_until(&mut harness, "music in the file list", |h| {
        h.state().model().remote.files.path == b"/music" && has_label(h, "🗀 jazz")
    });
    assert_eq!(
        shown(&harness, "🗀 jazz"),
        2,
        "the tree learned its subfolders"
    );

    // The expander of a folder never listed lists it for the tree alone.
    let expanders = harness.get_all_by_label("⏵").count();
    assert!(expanders >= 2, "jazz and rock can open");
    let video_row = tree_row(&harness, "🗀 video");
    let expander = harness
        .get_all_by_label("⏵")
        .min_by(|a, b| {
            let d = |n: &egui_kittest::Node<'_>| (n.rect().center().y - video_row.center().y).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap()
        .rect()
        .center();
    click_at(&mut harness, expander, egui::PointerButton::Primary);
    step_until(&mut harness, "video's contents in the tree", |h| {
        h.state().model().remote.tree.is_expanded(b"/video")
            && h.state().model().remote.tree_listings.is_empty()
    });
    assert_eq!(
        harness.state().model().remote.files.path,
        b"/music",
        "the file list stayed where it was"
    );
}

#[test]
fn an_unknown_certificate_is_shown_and_trusted_always_then_silently_accepted() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ..ServerOptions::default()
        },
    );
    server.write_file("secret-plans.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let store_path = config.path().join("trusted-certificates.json");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_trusting(
        &rt,
        local.path(),
        Some(TrustStore::load(&store_path).unwrap()),
    );
    connect_to_url(&mut harness, &server.url("/"));
    step_until(&mut harness, "the certificate dialog", |h| {
        has_label(h, "Unknown certificate")
    });
    // The fingerprint shown is the server's (both as hex, compared without separators).
    let hex = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let expected = hex(&server.cert_sha256());
    assert_eq!(expected.len(), 64);
    let shown = harness
        .query_all_by(|n| n.value().is_some_and(|l| hex(&l) == expected))
        .next()
        .is_some();
    assert!(shown, "the dialog shows the SHA-256 fingerprint {expected}");
    assert!(
        !has_label(&harness, "secret-plans.txt"),
        "nothing listed before trust"
    );
    assert!(has_label(&harness, "127.0.0.1"), "the host is shown");
    // The log says it in words too, once, with what to do.
    let errors = errors_in_words(&harness);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("The server's certificate is not trusted (the certificate ")
            && errors[0].ends_with("trust it only if its fingerprint is the server's."),
        "{errors:?}"
    );

    // A modal lays itself out on its first frame before it takes clicks.
    for _ in 0..3 {
        harness.step();
    }
    harness
        .get_by_label("Always trust this certificate")
        .click();
    step_until(&mut harness, "the listing over TLS", |h| {
        has_label(h, "secret-plans.txt")
    });
    // Logged on, the status bar says what the session has, with the TLS version
    // negotiated (before, what is asked for).
    assert!(
        has_label(&harness, "🔒 FTP over explicit TLS (TLS 1."),
        "the status bar says so"
    );
    step_until(&mut harness, "the trust store to be saved", |_| {
        std::fs::read_to_string(&store_path).is_ok_and(|t| hex(&t).contains(&expected))
    });

    // A new window with that store connects without asking.
    drop(harness);
    let mut again = window_trusting(
        &rt,
        local.path(),
        Some(TrustStore::load(&store_path).unwrap()),
    );
    // Given as ftp:// (as a bare host would be), Quickconnect tries TLS first: the session
    // is encrypted without asking.
    let plain_url = server.url("/").replace("ftpes://", "ftp://");
    connect_to_url(&mut again, &plain_url);
    step_until(&mut again, "the silent listing", |h| {
        has_label(h, "secret-plans.txt")
    });
    assert!(!has_label(&again, "Unknown certificate"));
    assert!(!has_label(&again, "Insecure FTP connection"));
    assert!(has_label(&again, "🔒 FTP over explicit TLS (TLS 1."));
}

#[test]
fn an_sftp_host_key_is_shown_as_ssh_keygen_prints_it_and_trusted_always_then_silently() {
    let server = crate::common::sshd::SshServer::start();
    server.write_file("notes 한글.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let known_hosts = config.path().join("known_hosts");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    connect_to_url(&mut harness, &server.url(""));
    step_until(&mut harness, "the host key dialog", |h| {
        has_label(h, "Unknown host key")
    });
    assert!(
        has_label(&harness, &server.fingerprint()),
        "the fingerprint as ssh-keygen -lf prints it"
    );
    assert!(has_label(&harness, "ssh-ed25519"));
    assert!(
        !has_label(&harness, "notes 한글.txt"),
        "nothing listed before trust"
    );
    let sent_password = |h: &Harness<'_, SkiffApp>| {
        (h.state().model().log.iter()).any(|l| l.text.starts_with("USERAUTH password"))
    };
    assert!(
        !sent_password(&harness),
        "no password before the key is trusted"
    );
    let errors = errors_in_words(&harness);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("The host key of [127.0.0.1]:")
            && errors[0].ends_with("trust it only if its fingerprint is the server's."),
        "{errors:?}"
    );

    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("Always trust this host key").click();
    step_until(&mut harness, "the listing over SFTP", |h| {
        has_label(h, "notes 한글.txt")
    });
    assert!(
        has_label(&harness, "🔒 SFTP (SSH)"),
        "the status bar says so"
    );
    step_until(&mut harness, "the host key to be saved", |_| {
        std::fs::read_to_string(&known_hosts).is_ok_and(|t| t.contains(&server.host_key()))
    });

    // A new window with that file connects without asking.
    drop(harness);
    let mut again = window_with_config(&rt, local.path(), config.path(), None);
    connect_to_url(&mut again, &server.url(""));
    step_until(&mut again, "the silent listing", |h| {
        has_label(h, "notes 한글.txt")
    });
    assert!(!has_label(&again, "Unknown host key"));
}

#[test]
fn a_changed_sftp_host_key_shows_both_fingerprints_and_is_trusted_only_when_ticked() {
    use crate::common::sshd::{SshServer, make_key, ssh_keygen};
    let server = SshServer::start();
    server.write_file("after.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let known_hosts = config.path().join("known_hosts");
    // Skiff's known_hosts records another key for this host and port.
    let old_key = make_key(config.path(), "old", "ed25519", "");
    let old_blob = old_key.split_ascii_whitespace().nth(1).unwrap().to_owned();
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} ssh-ed25519 {old_blob}\n", server.port()),
    )
    .unwrap();
    let old_fingerprint = ssh_keygen(&["-lf", config.path().join("old.pub").to_str().unwrap()]);
    let old_fingerprint = old_fingerprint.split_ascii_whitespace().nth(1).unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    connect_to_url(&mut harness, &server.url(""));
    step_until(&mut harness, "the changed-host-key dialog", |h| {
        has_label(h, "⚠ The server's host key has changed")
    });
    settle(&mut harness);
    assert!(
        has_label(&harness, old_fingerprint),
        "the fingerprint known before"
    );
    assert!(
        has_label(&harness, &server.fingerprint()),
        "the one shown now"
    );
    assert!(!has_label(&harness, "after.txt"), "nothing listed");
    assert!(
        !(harness.state().model().log.iter()).any(|l| l.text.starts_with("USERAUTH")),
        "nothing sent to the server"
    );
    assert!(
        harness
            .get_by_label("Trust the new host key")
            .accesskit_node()
            .is_disabled()
    );
    harness
        .get_by_label("I have checked the new fingerprint with the server's administrator")
        .click();
    settle(&mut harness);
    harness.get_by_label("Trust the new host key").click();
    step_until(&mut harness, "the listing with the new key", |h| {
        has_label(h, "after.txt")
    });
    step_until(
        &mut harness,
        "known_hosts to hold the new key alone",
        |_| {
            std::fs::read_to_string(&known_hosts)
                .is_ok_and(|t| t.contains(&server.host_key()) && !t.contains(&old_blob))
        },
    );
}

/// A window connecting to `server` without a password, its unknown host key trusted once.
fn sftp_window_with_the_key_trusted_once(
    rt: &tokio::runtime::Runtime,
    server: &crate::common::sshd::SshServer,
    local: &Path,
    config: &Path,
) -> Harness<'static, SkiffApp> {
    let mut harness = window_with_config(rt, local, config, None);
    connect_to_url(&mut harness, &server.url_without_password(""));
    step_until(&mut harness, "the host key dialog", |h| {
        has_label(h, "Unknown host key")
    });
    settle(&mut harness);
    harness.get_by_label("Trust once").click();
    harness
}

#[test]
fn an_sftp_servers_keyboard_interactive_questions_are_put_in_a_dialog() {
    // Only keyboard-interactive: PAM asks "Password: ", as a two-factor server asks a code.
    let server = crate::common::sshd::SshServer::start_with(crate::common::sshd::SshOptions {
        password: false,
        ..crate::common::sshd::SshOptions::default()
    });
    server.write_file("answered.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness =
        sftp_window_with_the_key_trusted_once(&rt, &server, local.path(), config.path());
    step_until(&mut harness, "the server's questions", |h| {
        has_label(h, "The server asks")
    });
    settle(&mut harness);
    // The server's own prompt, beside the Quickconnect bar's field of the same name.
    assert_eq!(
        harness.query_all_by_label("Password:").count(),
        2,
        "the server's prompt in the dialog"
    );
    let asked = (harness.state().model().log.iter()).any(|l| l.text.trim() == "Password:");
    assert!(asked, "the log shows what the server asked");
    // The dialog's first field has the focus: type into it.
    harness.event(egui::Event::Text(server.password().to_owned()));
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the listing", |h| {
        has_label(h, "answered.txt")
    });
    let logged =
        (harness.state().model().log.iter()).any(|l| l.text == "Logged in (keyboard-interactive)");
    assert!(logged, "logged on by answering the server's question");
}

#[test]
fn an_sftp_server_that_refuses_a_logon_without_a_password_gets_one_asked_for() {
    // A server that takes only a password (no keyboard-interactive questions to relay).
    let server = crate::common::sshd::SshServer::start_with(crate::common::sshd::SshOptions {
        keyboard_interactive: false,
        ..crate::common::sshd::SshOptions::default()
    });
    server.write_file("inside.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    // No password in the URL: the keys first, then the login is refused and asked for.
    let mut harness =
        sftp_window_with_the_key_trusted_once(&rt, &server, local.path(), config.path());
    step_until(&mut harness, "the password dialog", |h| {
        has_label(h, "Enter password")
    });
    assert!(has_label(&harness, "Password for skiffftp on 127.0.0.1:"));
    for _ in 0..3 {
        harness.step();
    }
    // The field has the focus: type into it, then Connect.
    harness.event(egui::Event::Text(server.password().to_owned()));
    harness.run();
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the listing", |h| has_label(h, "inside.txt"));
    let logged = (harness.state().model().log.iter()).any(|l| l.text == "Logged in (password)");
    assert!(logged, "logged on with the password typed");
    // (The test user's password is its name: the masked line is what shows it is not logged.)
    assert!(
        (harness.state().model().log.iter()).any(|l| l.text == "USERAUTH password ****"),
        "the password is masked in the log"
    );
}

#[test]
fn a_bare_host_tries_tls_first_and_asks_before_a_password_goes_in_clear_text() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("plain.txt", b"x");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    let passwords_sent = |h: &Harness<'_, SkiffApp>| {
        (h.state().model().log.iter())
            .filter(|l| l.text.starts_with("PASS") || l.text.starts_with("USER"))
            .count()
    };
    let connect = |h: &mut Harness<'_, SkiffApp>| {
        let url = format!(
            "{}:{}@127.0.0.1:{}",
            server.user(),
            server.password(),
            server.port()
        );
        connect_to_url(h, &url);
        step_until(h, "the question or the logon", |h| {
            has_label(h, "Insecure FTP connection") || h.state().model().connected
        });
    };

    // The server refuses AUTH TLS: the window asks, and nothing was sent in clear text.
    connect(&mut harness);
    assert!(has_label(&harness, "Insecure FTP connection"));
    let log = |h: &Harness<'_, SkiffApp>| -> Vec<String> {
        (h.state().model().log.iter())
            .map(|l| l.to_string())
            .collect()
    };
    assert!(
        log(&harness).iter().any(|l| l == "Command:  AUTH TLS"),
        "{:?}",
        log(&harness)
    );
    assert_eq!(passwords_sent(&harness), 0, "{:?}", log(&harness));
    // Cancel: still nothing sent, not connected.
    harness.get_by_label("Cancel").click();
    settle(&mut harness);
    assert!(!has_label(&harness, "Insecure FTP connection"));
    assert!(!harness.state().model().connected);
    assert_eq!(passwords_sent(&harness), 0);

    // Again: the same question (not remembered); this time go on, once.
    connect(&mut harness);
    assert!(has_label(&harness, "Insecure FTP connection"));
    allow_plain_ftp(&mut harness, false);
    step_until(&mut harness, "the plain listing", |h| {
        h.state().model().connected && has_label(h, "plain.txt")
    });
    assert!(
        has_label(&harness, "🔓 Not encrypted"),
        "the status bar says so"
    );
    assert!(
        log(&harness)
            .iter()
            .any(|l| l.starts_with("Status:") && l.contains("without encryption, as you chose")),
        "{:?}",
        log(&harness)
    );
    assert!(
        harness
            .state()
            .model()
            .log
            .iter()
            .any(|l| l.text == "PASS ****")
    );

    // Not remembered: asked again; remembered: the next connection goes straight on.
    connect(&mut harness);
    assert!(has_label(&harness, "Insecure FTP connection"));
    allow_plain_ftp(&mut harness, true);
    step_until(&mut harness, "the plain listing", |h| {
        h.state().model().connected && has_label(h, "plain.txt")
    });
    let questions_before = log(&harness)
        .iter()
        .filter(|l| l.contains("without encryption, as you chose"))
        .count();
    connect(&mut harness);
    step_until(&mut harness, "the listing without a question", |h| {
        h.state().model().connected && has_label(h, "plain.txt")
    });
    assert!(!has_label(&harness, "Insecure FTP connection"));
    assert_eq!(
        log(&harness)
            .iter()
            .filter(|l| l.contains("without encryption, as you chose"))
            .count(),
        questions_before,
        "no new question, no TLS attempt"
    );
}

/// A file dropped from the desktop's file manager, as eframe hands it over.
#[derive(Debug)]
struct DesktopFile(std::path::PathBuf);

impl egui::DroppedFile for DesktopFile {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn files_and_folders_dropped_from_the_desktop_upload_to_the_remote_folder() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.mkdir("incoming");
    let desktop = tempfile::tempdir().unwrap();
    std::fs::write(desktop.path().join("photo.jpg"), [0xff, 0xd8, 0, 1, 2]).unwrap();
    std::fs::create_dir_all(desktop.path().join("album/day 1")).unwrap();
    std::fs::write(desktop.path().join("album/day 1/beach.png"), b"png").unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    let incoming = table_row(&harness, "🗀 incoming");
    double_click_at(&mut harness, incoming);
    step_until(&mut harness, "the incoming folder", |h| {
        h.state().model().remote.files.path == b"/incoming"
    });

    for name in ["photo.jpg", "album"] {
        harness
            .input_mut()
            .dropped_files
            .push(Arc::new(DesktopFile(desktop.path().join(name))));
    }
    harness.step();
    step_until(&mut harness, "both uploads", |h| {
        let queue = &h.state().model().queue;
        queue.count(QueueTab::Queued) == 0
            && queue.count(QueueTab::Successful) >= 3
            && server.read_file("incoming/album/day 1/beach.png").is_some()
    });
    assert_eq!(harness.state().model().queue.count(QueueTab::Failed), 0);
    assert_eq!(
        server.read_file("incoming/photo.jpg").as_deref(),
        Some(&[0xff, 0xd8, 0, 1, 2][..])
    );
    assert_eq!(
        server
            .read_file("incoming/album/day 1/beach.png")
            .as_deref(),
        Some(&b"png"[..]),
        "a folder uploads with its contents"
    );
}

#[test]
fn file_permissions_are_changed_with_site_chmod() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("script.sh", b"#!/bin/sh\n");
    let on_disk = server.root().join("script.sh");
    std::fs::set_permissions(&on_disk, std::fs::Permissions::from_mode(0o644)).unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    let at = harness.get_by_label("🗋 script.sh").rect().center();
    click_at(&mut harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("File permissions…").click();
    step_until(&mut harness, "the permissions dialog", |h| {
        has_label(h, "Change file attributes")
    });
    for _ in 0..3 {
        harness.step();
    }
    // It starts from the listing's bits.
    assert_eq!(
        harness.get_by_label("Numeric value:").value().as_deref(),
        Some("644")
    );
    harness.get_by_label("Numeric value:").click();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("Numeric value:").type_text("750");
    harness.step();
    harness.get_by_label("OK").click();
    step_until(&mut harness, "the new mode on the server", |_| {
        std::fs::metadata(&on_disk).is_ok_and(|m| m.permissions().mode() & 0o7777 == 0o750)
    });
    step_until(&mut harness, "the refreshed listing", |h| {
        has_label(h, "-rwxr-x---")
    });
    let log: Vec<String> = harness
        .state()
        .model()
        .log
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert!(
        log.iter()
            .any(|l| l == "Command:  SITE CHMOD 750 /script.sh"),
        "{log:?}"
    );
}

#[test]
fn a_multi_selection_dragged_to_the_local_side_downloads_every_selected_file() {
    let server = FtpServer::start(ServerKind::Libunftp);
    for (name, body) in [("a.txt", "alpha"), ("b.txt", "beta"), ("c.txt", "gamma")] {
        server.write_file(name, body.as_bytes());
    }
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("mine.txt"), b"local").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    quickconnect(&mut harness, &server);
    // Click a.txt, Ctrl+click c.txt: two of three selected.
    harness.get_by_label("🗋 a.txt").click();
    harness.step();
    harness.step();
    harness
        .get_by_label("🗋 c.txt")
        .click_modifiers(egui::Modifiers::COMMAND);
    harness.step();
    harness.step();
    assert_eq!(harness.state().model().remote.files.selection_len(), 2);
    let from = harness.get_by_label("🗋 c.txt").rect().center();
    let to = harness.get_by_label("🗋 mine.txt").rect().center();
    drag(&mut harness, from, to);
    step_until(&mut harness, "both downloads", |h| {
        has_label(h, "Successful transfers (2)")
    });
    assert_eq!(std::fs::read(local.path().join("a.txt")).unwrap(), b"alpha");
    assert_eq!(std::fs::read(local.path().join("c.txt")).unwrap(), b"gamma");
    assert!(
        !local.path().join("b.txt").exists(),
        "b.txt was not selected"
    );
}

/// First run (empty config folder): the remote pane explains Quickconnect and the Site
/// Manager, its button opens the Site Manager, and nothing went wrong in the log.
#[test]
fn the_first_run_welcomes_with_quickconnect_and_the_site_manager_and_no_errors() {
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    harness.run_steps(5);
    assert!(has_label(&harness, "Not connected to any server"));
    assert!(
        harness
            .query_all_by_label_contains("Quickconnect: type a host")
            .next()
            .is_some()
    );
    assert!(
        harness
            .query_all_by_label_contains("save them in the Site Manager")
            .next()
            .is_some()
    );
    let errors = error_lines(&harness);
    assert!(errors.is_empty(), "{errors:?}");
    harness.get_by_label("Open the Site Manager…").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_role_and_label(egui::accesskit::Role::Window, "Site Manager")
            .is_some(),
        "the button opens the Site Manager"
    );
}

#[test]
fn the_message_log_filters_copies_clears_saves_and_writes_a_file_with_passwords_masked() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("a.txt", b"a");
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());

    // Edit > Settings > Logging: log to a file of the user's choosing.
    let log_path = local.path().join("logs").join("skiff.log");
    harness.get_by_label("Edit").click();
    settle(&mut harness);
    harness.get_by_label("Settings…").click();
    settle(&mut harness);
    harness.get_by_label("Logging").click();
    settle(&mut harness);
    harness.get_by_label("Log to file").click();
    settle(&mut harness);
    harness.get_by_label("Filename:").click();
    settle(&mut harness);
    harness
        .get_by_label("Filename:")
        .type_text(&log_path.display().to_string());
    settle(&mut harness);
    harness.get_by_label("OK").click();
    settle(&mut harness);
    assert!(harness.state().settings().log_to_file);
    quickconnect(&mut harness, &server);

    // The file gets the same lines, each dated, the password masked.
    step_until(&mut harness, "the log file", |_| {
        std::fs::read_to_string(&log_path).is_ok_and(|t| t.contains("Response: 226"))
    });
    let written = std::fs::read_to_string(&log_path).unwrap();
    assert!(written.contains(" Command:  PASS ****\n"), "{written}");
    // (vsftpd's test user is called like its password: USER may carry it, nothing else.)
    assert!(
        !written
            .lines()
            .filter(|l| !l.contains("Command:  USER "))
            .any(|l| l.contains(server.password())),
        "{written}"
    );
    let first = written.lines().next().unwrap();
    assert!(
        first.len() > 20 && first.as_bytes()[4] == b'-' && first.as_bytes()[13] == b':',
        "each line starts with its date and time: {first}"
    );

    // Filter: with Response switched off, the pane shows no Response line.
    assert!(has_label(&harness, "Response: 226"));
    harness.get_by_label("Response").click();
    settle(&mut harness);
    assert!(
        !has_label(&harness, "Response: 226"),
        "Response lines hidden"
    );
    assert!(
        !harness.state().model().log.is_empty(),
        "hidden, not removed"
    );

    // Select two commands of the listing (in view at the bottom), the second by shift-click,
    // then Ctrl+C: the lines from one to the other go to the clipboard, without the Response
    // lines between them that the filter hides.
    let shown: Vec<String> = (harness.state().model().log.iter())
        .filter(|l| l.kind != skiff::log::LogKind::Response)
        .map(|l| l.to_string())
        .collect();
    // Two commands that occur once each (PWD may come twice), and what lies between them.
    let once = |line: &String| shown.iter().filter(|c| *c == line).count() == 1;
    let mut commands = (0..shown.len())
        .rev()
        .filter(|&i| shown[i].starts_with("Command:") && once(&shown[i]));
    let (last_at, before_at) = (commands.next().unwrap(), commands.next().unwrap());
    let (before, last) = (&shown[before_at], &shown[last_at]);
    let expected = shown[before_at..=last_at].join("\n");
    let hidden_between = (harness.state().model().log.iter())
        .skip_while(|l| l.to_string() != *before)
        .take_while(|l| l.to_string() != *last)
        .any(|l| l.kind == skiff::log::LogKind::Response);
    assert!(hidden_between, "a Response between {before} and {last}");
    assert!(has_label(&harness, last), "{shown:?}");
    harness.get_by_label(before).click();
    settle(&mut harness);
    harness
        .get_by_label(last)
        .click_modifiers(egui::Modifiers::SHIFT);
    settle(&mut harness);
    // Only the key's press: kittest runs a frame per event, and the copy is in that one.
    harness.event(egui::Event::Key {
        key: egui::Key::C,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::COMMAND,
    });
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        });
    assert_eq!(copied, Some(expected));

    // Save: the lines shown (no Response), each with its date and time.
    let saved = local.path().join("saved-log.txt");
    harness.state_mut().save_log_to(saved.clone());
    step_until(&mut harness, "the saved log", |h| {
        h.state()
            .model()
            .log
            .iter()
            .any(|l| l.text.starts_with("Saved the message log to"))
    });
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains(" Command:  PASS ****\n"), "{text}");
    assert!(text.contains(&format!(" {last}\n")), "{text}");
    assert!(!text.contains("Response:"), "{text}");

    // Clear empties the pane; the file keeps every line.
    harness.get_by_label("Clear").click();
    settle(&mut harness);
    assert!(harness.state().model().log.is_empty());
    assert!(!has_label(&harness, last));
    assert!(
        std::fs::read_to_string(&log_path)
            .unwrap()
            .contains(last.as_str())
    );
}

#[test]
fn the_layout_keeps_eight_rows_at_900x600_a_still_queue_and_a_split_that_follows_the_window() {
    let server = FtpServer::start(ServerKind::Libunftp);
    for i in 0..30 {
        server.write_file(&format!("batch/file-{i:02}.txt"), b"x");
    }
    let local = tempfile::tempdir().unwrap();
    for i in 0..30 {
        std::fs::write(local.path().join(format!("local-{i:02}.txt")), b"y").unwrap();
    }
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    harness.set_size(egui::vec2(900.0, 600.0));
    quickconnect(&mut harness, &server);
    let batch = table_row(&harness, "🗀 batch");
    double_click_at(&mut harness, batch);
    step_until(&mut harness, "the batch folder", |h| {
        has_label(h, "🗋 file-07.txt")
    });
    settle(&mut harness);
    let top = |h: &Harness<'_, SkiffApp>, label: &str| h.get_by_label_contains(label).rect().top();
    let bottom = |h: &Harness<'_, SkiffApp>, label: &str| h.get_by_label(label).rect().bottom();

    // 900×600: both file lists show at least eight whole rows above the queue (the parent
    // folder's "..", then seven files).
    let queue_top = top(&harness, "Queued files");
    for row in ["🗋 file-06.txt", "🗋 local-06.txt"] {
        assert!(
            bottom(&harness, row) <= queue_top,
            "{row} ends at {} under the queue's top {queue_top}",
            bottom(&harness, row)
        );
    }
    // The split is proportional: half of the width, and again after the window grows (the
    // two panes' filter fields are as far apart as the local pane is wide).
    let split = |h: &Harness<'_, SkiffApp>, width: f32| {
        let lefts: Vec<f32> = h.get_all_by_label("🔎").map(|n| n.rect().left()).collect();
        let (least, most) = lefts
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        (most - least) / width
    };
    assert!(
        (0.45..0.55).contains(&split(&harness, 900.0)),
        "{}",
        split(&harness, 900.0)
    );

    // A folder of 30 downloads: the queue pane keeps its height while items come and go.
    let first = table_row(&harness, "🗋 file-00.txt");
    click_at(&mut harness, first, egui::PointerButton::Primary);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    settle(&mut harness);
    click_at(&mut harness, first, egui::PointerButton::Secondary);
    harness.get_by_label("Download").click();
    let mut tops = Vec::new();
    step_until(&mut harness, "30 downloads", |h| {
        tops.push(top(h, "Queued files"));
        has_label(h, "Successful transfers (30)")
    });
    let (least, most) = tops
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &t| (a.min(t), b.max(t)));
    assert!(
        most - least < 1.0,
        "the queue's top moved from {least} to {most}"
    );

    // Every column is reachable: Owner/Group scrolls into view.
    harness.get_by_label("Owner/Group").scroll_to_me();
    settle(&mut harness);
    assert!(harness.get_by_label("Owner/Group").rect().right() <= 900.0);

    // 1920×1080: the panes share the width as before; the name column takes what is free.
    harness.set_size(egui::vec2(1920.0, 1080.0));
    settle(&mut harness);
    assert!(
        (0.45..0.55).contains(&split(&harness, 1920.0)),
        "{}",
        split(&harness, 1920.0)
    );
    let remote_header = |h: &Harness<'_, SkiffApp>, label: &str| {
        h.get_all_by_label_contains(label)
            .map(|n| n.rect().left())
            .fold(f32::MIN, f32::max)
    };
    let name_width = remote_header(&harness, "Filesize") - remote_header(&harness, "Filename");
    assert!(
        name_width > 350.0,
        "the remote name column is {name_width} wide"
    );
    assert!(has_label(&harness, "Owner/Group"));
    assert!(harness.get_by_label("Owner/Group").rect().right() <= 1920.0);
}

#[test]
fn the_local_tree_has_home_root_and_volumes_and_scrolls_to_the_folder_shown() {
    let local = tempfile::tempdir().unwrap();
    for i in 0..60 {
        std::fs::create_dir(local.path().join(format!("d{i:02}"))).unwrap();
    }
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    step_until(&mut harness, "the places and the root's folders", |h| {
        has_label(h, "🏠 Home")
            && has_label(h, "🖴 /")
            && h.state()
                .model()
                .local
                .tree
                .rows()
                .iter()
                .any(|r| r.path == b"/usr")
    });
    // The folder shown has its row in view, though the root's folders come before it.
    let name = local
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let row = |h: &Harness<'_, SkiffApp>, name: &str| {
        let rows = h.state().model().local.tree.rows();
        rows.iter().position(|r| r.name == name.as_bytes())
    };
    assert!(
        row(&harness, &name).unwrap() > 8,
        "the row is below the first view"
    );
    step_until(&mut harness, "the folder's row in view", |h| {
        has_label(h, &format!("🗀 {name}"))
    });

    // Deep down the list of its subfolders: the tree follows.
    let d59 = local.path().join("d59");
    harness.get_by_label("Local site:").click();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness
        .get_by_label("Local site:")
        .type_text(d59.to_str().unwrap());
    harness.step();
    harness.key_press(egui::Key::Enter);
    step_until(
        &mut harness,
        "d59 in the pane and its row in the tree",
        |h| {
            h.state().model().local.files.path == d59.to_str().unwrap().as_bytes()
                && has_label(h, "🗀 d59")
        },
    );
    assert!(
        !has_label(&harness, "🗀 d00"),
        "the tree scrolled away from the top"
    );

    // A place opens its folder.
    harness.get_by_label("🖴 /").click();
    step_until(&mut harness, "the root in the pane", |h| {
        h.state().model().local.files.path == b"/"
    });
}

/// The Error lines of the log, and that none reads like Rust or the OS's error numbers.
fn errors_in_words(h: &Harness<'_, SkiffApp>) -> Vec<String> {
    let errors = error_lines(h);
    for line in &errors {
        for raw in ["os error", "Other(", "Error(", "--"] {
            assert!(!line.contains(raw), "{raw:?} in {line:?}");
        }
    }
    errors
}

#[test]
fn a_wrong_password_a_refused_port_and_a_silent_server_each_log_one_sentence() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    harness
        .state_mut()
        .prefs_mut()
        .allow_plain_ftp(format!("127.0.0.1:{}", server.port()));
    let failed = |h: &mut Harness<'_, SkiffApp>, what: &str, count: usize| {
        step_until(h, what, |h| error_lines(h).len() == count);
        settle(h);
    };

    // A wrong password (vsftpd and PAM take a few seconds to refuse it).
    connect_to_url(
        &mut harness,
        &format!("ftp://{}:wrong@127.0.0.1:{}/", server.user(), server.port()),
    );
    failed(&mut harness, "the refused login", 1);
    let errors = errors_in_words(&harness);
    assert!(
        errors[0].starts_with("The server refused the login (530 ")
            && errors[0].ends_with("Check the user name and the password."),
        "{errors:?}"
    );
    assert_eq!(
        harness.state().model().remote.files.error.as_deref(),
        Some(errors[0].as_str()),
        "the pane says the same"
    );

    // A port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    harness
        .state_mut()
        .prefs_mut()
        .allow_plain_ftp(format!("127.0.0.1:{port}"));
    connect_to_url(&mut harness, &format!("ftp://u:p@127.0.0.1:{port}/"));
    failed(&mut harness, "the refused connection", 2);
    let errors = errors_in_words(&harness);
    assert!(
        errors[1].starts_with(&format!(
            "Could not connect to 127.0.0.1:{port}: Connection refused."
        )) && errors[1].contains("Check the host and the port"),
        "{errors:?}"
    );
    // The attempt itself is a Status line (another address might have answered).
    let tried = format!("Status:   Could not connect to 127.0.0.1:{port}: Connection refused");
    assert!(
        harness
            .state()
            .model()
            .log
            .iter()
            .any(|l| l.to_string() == tried)
    );

    // A server that accepts and never says a word: the timeout (1 s in this window).
    let config = tempfile::tempdir().unwrap();
    skiff::sites::settings::Settings {
        timeout_secs: 1,
        ..Default::default()
    }
    .save(&config.path().join("settings.toml"))
    .unwrap();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::Builder::new()
        .name("silent-server".into())
        .spawn(move || {
            let connection = silent.accept().map(|(c, _)| c);
            std::thread::sleep(std::time::Duration::from_secs(3));
            drop(connection);
        })
        .unwrap();
    harness
        .state_mut()
        .prefs_mut()
        .allow_plain_ftp(format!("127.0.0.1:{port}"));
    connect_to_url(&mut harness, &format!("ftp://u:p@127.0.0.1:{port}/"));
    failed(&mut harness, "the timeout", 1);
    let errors = errors_in_words(&harness);
    assert!(
        errors[0].starts_with("Timed out after 1 s")
            && errors[0].contains("Edit > Settings > Connection"),
        "{errors:?}"
    );
    held.join().unwrap();
}

#[test]
fn a_changed_certificate_shows_both_fingerprints_and_is_trusted_only_when_ticked() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ..ServerOptions::default()
        },
    );
    server.write_file("after.txt", b"x");
    let config = tempfile::tempdir().unwrap();
    let store_path = config.path().join("trusted-certificates.json");
    let old = "AA:".repeat(31) + "AA";
    let mut store = TrustStore::load(&store_path).unwrap();
    store
        .trust(skiff::sites::trust::TrustedCert {
            host: server.host(),
            port: server.port(),
            sha256: old.clone(),
            subject: "CN=localhost".into(),
            not_after: String::new(),
        })
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_trusting(
        &rt,
        local.path(),
        Some(TrustStore::load(&store_path).unwrap()),
    );
    connect_to_url(&mut harness, &server.url("/"));
    step_until(&mut harness, "the changed-certificate dialog", |h| {
        has_label(h, "⚠ The server's certificate has changed")
    });
    settle(&mut harness);
    let errors = errors_in_words(&harness);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("The server's certificate has changed"),
        "{errors:?}"
    );
    // Both fingerprints are shown.
    let shows = |h: &Harness<'_, SkiffApp>, text: &str| {
        h.query_all_by(|n| {
            n.value().is_some_and(|v| v == text) || n.label().is_some_and(|l| l == text)
        })
        .next()
        .is_some()
    };
    let new = server.cert_sha256();
    assert!(shows(&harness, &old), "the old fingerprint");
    assert!(shows(&harness, &new), "the new fingerprint {new}");
    assert!(!has_label(&harness, "after.txt"), "nothing listed");
    // Trusting needs the box ticked first.
    assert!(
        harness
            .get_by_label("Trust the new certificate")
            .accesskit_node()
            .is_disabled()
    );
    harness
        .get_by_label("I have checked the new fingerprint with the server's administrator")
        .click();
    settle(&mut harness);
    harness.get_by_label("Trust the new certificate").click();
    step_until(&mut harness, "the listing with the new certificate", |h| {
        has_label(h, "after.txt")
    });
    step_until(
        &mut harness,
        "the trust store to hold the new fingerprint",
        |_| {
            std::fs::read_to_string(&store_path)
                .is_ok_and(|t| t.contains(&new) && !t.contains(&old))
        },
    );
}
