//! Issue 22, point 1 in the window: View/Edit downloads a remote file to a private folder,
//! opens it with the editor (here a script that appends a line, as a save would), and when
//! the copy changes asks whether to upload it: Yes uploads it. When the server's file
//! changed between opening and saving, the upload is refused and the window asks again;
//! No keeps the server's file, and the edited copy stays (kept at close).

use std::path::{Path, PathBuf};

use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use eframe::App as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::gui::SkiffApp;
use skiff::sites::settings::{DoubleClick, EditorRule, Settings};

/// An editor script: waits (bounded) until `go` exists when given, then appends a line to
/// the file it is given, as a user saving in an editor would.
fn editor_script(dir: &Path, go: Option<&Path>, line: &str) -> PathBuf {
    let wait = go
        .map(|go| {
            format!(
                "i=0; while [ ! -e '{}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n",
                go.display()
            )
        })
        .unwrap_or_default();
    let script = dir.join("editor.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n{wait}printf '{line}\\n' >> \"$1\"\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

/// Right-click on the remote row of `name`, then View/Edit.
fn view_edit(harness: &mut Harness<'_, SkiffApp>, name: &str) {
    let at = remote_table_row(harness, name);
    click_at(harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("View/Edit").click();
    settle(harness);
}

/// Answers the dialog shown with the button `label`, once the dialog has settled.
fn answer(harness: &mut Harness<'_, SkiffApp>, heading: &str, label: &str) {
    step_until(harness, heading, |h| has_label(h, heading));
    settle(harness);
    harness.get_by_label(label).click();
    settle(harness);
}

#[test]
fn an_edited_file_saved_in_its_editor_is_uploaded_after_yes() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("www/notes.txt", b"first line\n");
    let local = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let editor = editor_script(scripts.path(), None, "added by the editor");
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_editor(&rt, local.path(), &editor);
    quickconnect(&mut harness, &server);
    let www = remote_table_row(&harness, "www");
    double_click_at(&mut harness, www);
    step_until(&mut harness, "the folder www", |h| {
        h.state().model().remote.files.path.ends_with(b"/www")
            && !h.state().model().remote.files.loading
    });

    view_edit(&mut harness, "notes.txt");
    answer(&mut harness, "File changed", "Yes");
    step_until(&mut harness, "the upload of the edited file", |_| {
        server.read_file("www/notes.txt").as_deref() == Some(b"first line\nadded by the editor\n")
    });
    step_until(&mut harness, "the copy in step with the server", |h| {
        h.state().edited_copies().iter().all(|(_, keep)| !keep)
    });
    let copies = harness.state().edited_copies();
    assert_eq!(copies.len(), 1);
    let copy = &copies[0].0;
    assert_eq!(
        std::fs::read(copy).unwrap(),
        b"first line\nadded by the editor\n"
    );
    assert!(
        !copy.starts_with(local.path()),
        "the copy is in the private folder, not the local pane's"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = copy.parent().unwrap();
        let mode = std::fs::metadata(folder).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", folder.display());
    }
    // Closing the window removes the copy the server has.
    harness.state_mut().on_exit();
    assert!(!copy.exists(), "{}", copy.display());
    assert!(!copy.parent().unwrap().exists());
    // (The quickconnect's first try with TLS leaves an error line of its own.)
    let errors = error_lines(&harness);
    assert!(
        !errors
            .iter()
            .any(|e| e.contains("edit") || e.contains("Could not")),
        "{errors:?}"
    );
}

#[test]
fn a_server_file_changed_since_opening_is_asked_about_and_no_keeps_it() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("page.html", b"<p>v1</p>\n");
    let local = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let go = scripts.path().join("go");
    let editor = editor_script(scripts.path(), Some(&go), "<p>mine</p>");
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_editor(&rt, local.path(), &editor);
    quickconnect(&mut harness, &server);

    view_edit(&mut harness, "page.html");
    step_until(&mut harness, "the file opened for editing", |h| {
        h.state()
            .model()
            .log
            .iter()
            .any(|l| l.text.contains("Opened page.html for editing"))
    });
    // Someone else changes the server's file while the editor is open; then the user saves.
    server.write_file("page.html", b"<p>v2 from someone else</p>\n");
    std::fs::write(&go, b"").unwrap();

    answer(&mut harness, "File changed", "Yes");
    answer(&mut harness, "The server's file changed", "No");
    // The refused upload says why in the queue, in an editor's words.
    let failed = harness
        .state()
        .model()
        .queue
        .tab(skiff::gui::queue_view::QueueTab::Failed)
        .iter()
        .filter_map(|row| row.error.clone())
        .collect::<Vec<_>>();
    assert!(
        failed
            .iter()
            .any(|e| e.contains("changed since it was opened for editing")),
        "{failed:?}"
    );
    assert_eq!(
        server.read_file("page.html").unwrap(),
        b"<p>v2 from someone else</p>\n",
        "No keeps the server's file"
    );
    let copies = harness.state().edited_copies();
    assert_eq!(copies.len(), 1);
    assert_eq!(
        std::fs::read(&copies[0].0).unwrap(),
        b"<p>v1</p>\n<p>mine</p>\n"
    );
    assert!(copies[0].1, "the edit not uploaded is kept at close");

    // Closing the window keeps the copy and names it, with where it came from.
    harness.state_mut().on_exit();
    assert!(copies[0].0.is_file(), "the edit not uploaded is gone");
    let session = copies[0].0.parent().unwrap().parent().unwrap();
    let note = std::fs::read_to_string(session.join("NOT-UPLOADED.txt")).unwrap();
    assert!(
        note.contains(&copies[0].0.display().to_string()) && note.contains("/page.html"),
        "{note}"
    );
}

#[test]
fn with_settings_a_double_click_opens_the_extensions_editor_and_a_save_uploads_without_asking() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("site.txt", b"a\n");
    let local = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let editor = editor_script(scripts.path(), None, "b");
    let config = tempfile::tempdir().unwrap();
    // Saved earlier in Edit > Settings > File editing. The window's own opener is
    // /bin/false: only the rule for .txt can edit the file.
    Settings {
        remote_double_click: DoubleClick::ViewEdit,
        upload_edits_without_asking: true,
        editors: vec![EditorRule {
            extension: "TXT".into(),
            command: editor.display().to_string(),
        }],
        ..Settings::default()
    }
    .save(&config.path().join("settings.toml"))
    .unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    quickconnect(&mut harness, &server);

    let row = remote_table_row(&harness, "site.txt");
    double_click_at(&mut harness, row);
    step_until(&mut harness, "the upload without a question", |_| {
        server.read_file("site.txt").as_deref() == Some(b"a\nb\n")
    });
    assert!(!has_label(&harness, "File changed"), "nothing was asked");
    assert!(
        !local.path().join("site.txt").exists(),
        "the double-click edited the file instead of downloading it"
    );
    step_until(&mut harness, "the copy in step with the server", |h| {
        h.state().edited_copies().iter().all(|(_, keep)| !keep)
    });
}

#[test]
fn settings_file_editing_chooses_the_double_click_the_upload_and_an_editor_per_extension() {
    let local = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window(&rt, local.path());
    harness.get_by_label("Edit").click();
    settle(&mut harness);
    harness.get_by_label("Settings…").click();
    step_until(&mut harness, "the Settings window", |h| {
        has_label(h, "File editing")
    });
    settle(&mut harness);
    harness.get_by_label("File editing").click();
    settle(&mut harness);
    harness.get_by_label("Opens it with View/Edit").click();
    settle(&mut harness);
    harness
        .get_by_label("Upload edited files when saved, without asking")
        .click();
    settle(&mut harness);
    harness.get_by_label("Add an editor").click();
    settle(&mut harness);
    for (field, text) in [
        ("Extension", "html"),
        ("Command (the file is added last)", "code --wait"),
    ] {
        harness.get_by_label(field).click();
        settle(&mut harness);
        harness.get_by_label(field).type_text(text);
        settle(&mut harness);
    }
    harness.get_by_label("OK").click();
    let saved = harness.config_dir().join("settings.toml");
    step_until(&mut harness, "settings.toml", |_| saved.exists());
    let settings = harness.state().settings();
    assert_eq!(settings.remote_double_click, DoubleClick::ViewEdit);
    assert!(settings.upload_edits_without_asking);
    assert_eq!(settings.editor_for("index.HTML"), Some("code --wait"));
    assert_eq!(settings.editor_for("notes.txt"), None);
    let loaded = Settings::load(&saved).value;
    assert_eq!(loaded.editors, settings.editors);
}
