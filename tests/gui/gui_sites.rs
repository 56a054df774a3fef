//! The Site Manager and Edit > Settings in the real window (egui_kittest), over the real
//! engine, against servers on loopback, each test with its own config folder. Every wait is
//! bounded in frames and in time; nothing asserts on durations.

use std::path::Path;

use crate::common::secrets::{assert_no_file_holds, files_under};
use crate::common::{FtpServer, ServerKind};
use crate::gui_common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use skiff::engine::ItemState;
use skiff::gui::SkiffApp;
use skiff::gui::queue_view::QueueTab;
use skiff::sites::credentials::StoreKind;
use skiff::sites::settings::Settings;

const MASTER: &str = "correct horse battery staple";

/// The Site Manager window's subtree, where its Host:, Port:, Password: and buttons are
/// (the quickconnect bar has fields of the same names).
fn site_manager<'a>(h: &'a Harness<'_, SkiffApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(Role::Window, "Site Manager")
}

/// The node labelled `label` that is not inside the Site Manager window: the prompts'
/// buttons (Save, Discard, Cancel) sit above it, in a modal of their own.
fn outside_site_manager<'a>(
    h: &'a Harness<'_, SkiffApp>,
    label: &'a str,
) -> egui_kittest::Node<'a> {
    let inside: Vec<_> = site_manager(h)
        .query_all_by_label(label)
        .map(|n| n.accesskit_node().id())
        .collect();
    h.get_all_by_label(label)
        .find(|n| !inside.contains(&n.accesskit_node().id()))
        .unwrap_or_else(|| panic!("no {label:?} outside the Site Manager"))
}

/// Clicks the Site Manager's field `label` and types `text` into it.
fn fill(h: &mut Harness<'_, SkiffApp>, label: &str, text: &str) {
    site_manager(h).get_by_label(label).click();
    settle(h);
    site_manager(h).get_by_label(label).type_text(text);
    settle(h);
}

fn open_site_manager(h: &mut Harness<'_, SkiffApp>) {
    h.get_by_label("🗄 Site Manager").click();
    step_until(h, "the Site Manager", |h| {
        h.query_by_role_and_label(Role::Window, "Site Manager")
            .is_some()
    });
}

fn settings_with_store(config: &Path, store: StoreKind) {
    Settings {
        password_store: store,
        ..Settings::default()
    }
    .save(&config.join("settings.toml"))
    .unwrap();
}

/// New site, renamed "Loopback", plain FTP to `server`, normal logon with its password;
/// then OK, and the master password chosen (entered twice) when the vault is created.
fn create_site(h: &mut Harness<'_, SkiffApp>, server: &FtpServer) {
    open_site_manager(h);
    site_manager(h).get_by_label("New site").click();
    settle(h);
    // The new site's name is being edited, as in FileZilla: type a name over it.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    h.event(egui::Event::Text("Loopback".into()));
    h.step();
    h.key_press(egui::Key::Enter);
    settle(h);
    assert!(site_manager(h).query_by_label("🖥 Loopback").is_some());

    site_manager(h).get_by_label("Protocol:").click();
    settle(h);
    h.get_by_label("FTP - plain, insecure").click();
    settle(h);
    fill(h, "Host:", &server.host());
    fill(h, "Port:", &server.port().to_string());
    fill(h, "User:", server.user());
    fill(h, "Password:", server.password());
    assert!(
        site_manager(h)
            .query_by_label_contains("Saved in: Master password (encrypted file)")
            .is_some(),
        "the store in use is named"
    );
    site_manager(h).get_by_label("OK").click();
    create_vault(h);
}

/// Answers the master password dialog of a vault's first use: MASTER, twice, then Create;
/// waits until the vault is open.
fn create_vault(h: &mut Harness<'_, SkiffApp>) {
    step_until(h, "the master password dialog", |h| {
        h.query_by_label("Choose a master password").is_some()
    });
    for label in ["Master password:", "Repeat it:"] {
        h.get_by_label(label).click();
        settle(h);
        h.get_by_label(label).type_text(MASTER);
        settle(h);
    }
    h.get_by_label("Create").click();
    step_until(h, "the vault to be created and the password saved", |h| {
        h.state()
            .model()
            .log
            .iter()
            .any(|l| l.text.starts_with("Password store opened"))
            && h.query_by_label("Opening the password vault…").is_none()
    });
    settle(h);
}

/// Waits until the background saves landed (sites.toml and the vault).
fn wait_for_files(h: &mut Harness<'_, SkiffApp>, config: &Path) {
    let sites = config.join("sites.toml");
    let vault = config.join("passwords.vault");
    step_until(h, "sites.toml and passwords.vault", |_| {
        std::fs::read_to_string(&sites).is_ok_and(|t| t.contains("Loopback"))
            && std::fs::read(&vault).is_ok_and(|v| v.len() > 200)
    });
}

#[test]
fn a_site_made_in_the_site_manager_is_saved_reopened_and_connects() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("hello-from-site.txt", b"hi");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    settings_with_store(config.path(), StoreKind::MasterPassword);
    let rt = runtime();
    let _enter = rt.enter();
    {
        let mut harness = window_with_config(&rt, local.path(), config.path(), None);
        create_site(&mut harness, &server);
        assert!(!harness.state().site_manager_open(), "OK closes it");
        wait_for_files(&mut harness, config.path());
        assert_eq!(harness.state().sites().sites.len(), 1);
    }

    // A new window (a new session) reads the site back.
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    open_site_manager(&mut harness);
    assert!(
        site_manager(&harness)
            .query_by_label("🖥 Loopback")
            .is_some()
    );
    let value = |h: &Harness<'_, SkiffApp>, label: &str| {
        site_manager(h)
            .get_by_label(label)
            .value()
            .unwrap_or_default()
    };
    assert_eq!(value(&harness, "Host:"), server.host());
    assert_eq!(value(&harness, "Port:"), server.port().to_string());
    assert_eq!(value(&harness, "User:"), server.user());
    assert!(value(&harness, "Password:").is_empty(), "never shown");
    assert_eq!(
        harness.state().sites().sites[0].protocol,
        skiff::sites::site::Protocol::Ftp
    );

    site_manager(&harness).get_by_label("Connect").click();
    // The vault exists now: its master password is asked once, to unlock it.
    step_until(&mut harness, "the unlock dialog", |h| {
        h.query_by_label("Enter the master password").is_some()
    });
    harness.get_by_label("Master password:").click();
    settle(&mut harness);
    harness.get_by_label("Master password:").type_text(MASTER);
    settle(&mut harness);
    harness.get_by_label("Unlock").click();
    step_until(&mut harness, "the site's listing", |h| {
        h.state()
            .model()
            .remote
            .files
            .entries()
            .iter()
            .any(|e| e.name == b"hello-from-site.txt")
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
            .any(|l| l.contains("Connecting with the site \"Loopback\"")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l == "Command:  PASS ****"), "{log:?}");
    // The recent servers name the site without a password.
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label("Recent servers").hover();
    settle(&mut harness);
    let recent = format!(
        "ftp://{}@{}:{}",
        server.user(),
        server.host(),
        server.port()
    );
    assert!(
        harness.query_by_label(&recent).is_some(),
        "File > Recent servers lists {recent}"
    );
}

#[test]
fn the_saved_password_is_in_no_config_file_in_plain_base64_or_hex() {
    let server = FtpServer::start(ServerKind::Libunftp);
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    settings_with_store(config.path(), StoreKind::MasterPassword);
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    create_site(&mut harness, &server);
    wait_for_files(&mut harness, config.path());
    drop(harness);

    let files = files_under(config.path());
    assert!(files.len() >= 3, "settings, sites and the vault: {files:?}");
    for secret in [server.password(), MASTER] {
        assert_no_file_holds(&files, secret);
    }
}

#[test]
fn unsaved_changes_are_asked_about_on_escape_and_another_entry_and_cancel_discards_them() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    settings_with_store(config.path(), StoreKind::DontSave);
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    let sites_file = config.path().join("sites.toml");
    open_site_manager(&mut harness);
    site_manager(&harness).get_by_label("New site").click();
    settle(&mut harness);
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    fill(&mut harness, "Host:", "ftp.example.org");

    // Escape with changes: asked. "Cancel" in the prompt keeps the window and the edit.
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.query_by_label("Unsaved changes").is_some());
    outside_site_manager(&harness, "Cancel").click();
    settle(&mut harness);
    assert!(harness.state().site_manager_open());
    assert_eq!(
        site_manager(&harness)
            .get_by_label("Host:")
            .value()
            .as_deref(),
        Some("ftp.example.org")
    );

    // Choosing another entry with the site changed: asked; Save writes sites.toml.
    site_manager(&harness).get_by_label("🗀 My Sites").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Unsaved changes").is_some());
    outside_site_manager(&harness, "Save").click();
    step_until(&mut harness, "sites.toml", |_| {
        std::fs::read_to_string(&sites_file).is_ok_and(|t| t.contains("ftp.example.org"))
    });
    assert!(harness.state().site_manager_open(), "Save keeps it open");

    // A change, Escape, Discard: closed, the change gone.
    site_manager(&harness).get_by_label("🖥 New site").click();
    settle(&mut harness);
    fill(&mut harness, "Host:", ".escaped");
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    outside_site_manager(&harness, "Discard").click();
    settle(&mut harness);
    assert!(!harness.state().site_manager_open());
    assert_eq!(harness.state().sites().sites[0].host, "ftp.example.org");

    // Another change, then the Cancel button: closed at once, nothing asked, the file as
    // saved.
    open_site_manager(&mut harness);
    site_manager(&harness).get_by_label("🖥 New site").click();
    settle(&mut harness);
    fill(&mut harness, "Host:", ".test");
    site_manager(&harness).get_by_label("Cancel").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Unsaved changes").is_none());
    assert!(!harness.state().site_manager_open());
    assert_eq!(harness.state().sites().sites[0].host, "ftp.example.org");
    let text = std::fs::read_to_string(&sites_file).unwrap();
    assert!(!text.contains("ftp.example.org.test"), "{text}");

    // Nothing changed: Cancel closes at once.
    open_site_manager(&mut harness);
    site_manager(&harness).get_by_label("Cancel").click();
    settle(&mut harness);
    assert!(!harness.state().site_manager_open());
    assert!(harness.query_by_label("Unsaved changes").is_none());
}

#[test]
fn settings_ok_saves_settings_toml_and_the_engine_runs_one_transfer_at_a_time() {
    let server = FtpServer::start(ServerKind::Libunftp);
    for i in 0..4 {
        server.write_file(&format!("batch/file-{i}.bin"), &vec![i as u8; 300_000]);
    }
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    assert_eq!(harness.state().parallel(), 2);

    harness.get_by_label("Edit").click();
    settle(&mut harness);
    harness.get_by_label("Settings…").click();
    step_until(&mut harness, "the Settings window", |h| {
        h.query_by_role_and_label(Role::Window, "Settings")
            .is_some()
    });
    harness.get_by_label("Transfers").click();
    settle(&mut harness);
    harness
        .get_by_label("Maximum simultaneous transfers:")
        .set_value_accesskit(1.0);
    settle(&mut harness);
    harness.get_by_label("Upload limit (KiB/s):").click();
    settle(&mut harness);
    harness
        .get_by_label("Upload limit (KiB/s):")
        .type_text("500");
    settle(&mut harness);
    harness.get_by_label("FTP: active and passive mode").click();
    settle(&mut harness);
    assert!(
        harness
            .get_by_label("Connect to the server's address instead of the one in the passive reply")
            .accesskit_node()
            .toggled()
            .is_some_and(|t| t == egui::accesskit::Toggled::True),
        "on by default"
    );
    harness.get_by_label("OK").click();
    let path = config.path().join("settings.toml");
    step_until(&mut harness, "settings.toml", |_| path.exists());
    let saved = Settings::load(&path);
    assert!(saved.problem.is_none());
    assert_eq!(saved.value.parallel, 1);
    assert_eq!(saved.value.upload_limit, Some(500 * 1024));
    assert_eq!(harness.state().parallel(), 1);

    // Four downloads: never more than one running at once.
    quickconnect(&mut harness, &server);
    let folder = remote_table_row(&harness, "batch");
    click_at(&mut harness, folder, egui::PointerButton::Secondary);
    harness.get_by_label("Download").click();
    let mut most_running = 0;
    let local_dir = local.path().to_path_buf();
    let arrived = |i: usize| {
        std::fs::metadata(local_dir.join(format!("batch/file-{i}.bin")))
            .is_ok_and(|m| m.len() == 300_000)
    };
    step_until(&mut harness, "four downloads", |h| {
        let queue = &h.state().model().queue;
        let running = queue
            .tab(QueueTab::Queued)
            .iter()
            .filter(|r| r.state == ItemState::Running)
            .count();
        most_running = most_running.max(running);
        queue.count(QueueTab::Queued) == 0 && (0..4).all(arrived)
    });
    assert_eq!(most_running, 1);
    assert_eq!(harness.state().model().queue.count(QueueTab::Failed), 0);
}

#[test]
fn a_damaged_sites_file_is_reported_in_the_log_and_kept_as_a_backup() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let sites = config.path().join("sites.toml");
    std::fs::write(&sites, "version = 1\n[[site]\nname = \"broken").unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    settle(&mut harness);
    let errors = error_lines(&harness);
    let backup = config.path().join("sites.toml.damaged-1.bak");
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&backup.display().to_string())),
        "{errors:?}"
    );
    assert!(backup.exists());
    assert!(
        harness
            .query_by_label("A configuration file could not be read")
            .is_some()
    );
    harness.get_by_label("OK").click();
    settle(&mut harness);
    assert!(
        harness
            .query_by_label("A configuration file could not be read")
            .is_none()
    );
    assert!(
        has_label(&harness, "sites.toml.damaged-1.bak"),
        "the log pane shows it"
    );
}

/// Replaces the text of the Settings field `label` with `text`.
fn retype(h: &mut Harness<'_, SkiffApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    settle(h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.key_press(egui::Key::Backspace);
    h.step();
    h.event(egui::Event::Text(text.into()));
    settle(h);
}

#[test]
fn the_invalid_character_replacement_is_checked_saved_and_used_for_downloads() {
    let server = FtpServer::start(ServerKind::Libunftp);
    server.write_file("names/a:b.txt", b"colon");
    server.write_file("names/CON", b"device");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);

    harness.get_by_label("Edit").click();
    settle(&mut harness);
    harness.get_by_label("Settings…").click();
    step_until(&mut harness, "the Settings window", |h| {
        h.query_by_role_and_label(Role::Window, "Settings")
            .is_some()
    });
    harness.get_by_label("Transfers").click();
    settle(&mut harness);
    let field = "Replace invalid characters with:";
    // A character that is itself invalid is refused: an error, and OK does nothing.
    retype(&mut harness, field, ":");
    // Beside the field and beside OK.
    let shown = |h: &Harness<'_, SkiffApp>| {
        h.query_all_by_label_contains("cannot replace invalid characters")
            .count()
    };
    assert_eq!(shown(&harness), 2);
    harness.get_by_label("OK").click();
    settle(&mut harness);
    let path = config.path().join("settings.toml");
    assert!(!path.exists(), "saved with an invalid replacement");
    retype(&mut harness, field, "+");
    assert_eq!(shown(&harness), 0);
    harness.get_by_label("OK").click();
    step_until(&mut harness, "settings.toml", |_| path.exists());
    let saved = Settings::load(&path);
    assert!(saved.problem.is_none());
    assert_eq!(saved.value.invalid_char_replacement.get(), '+');

    // Connections made from now on use it: the folder's names arrive made safe with `+`.
    quickconnect(&mut harness, &server);
    let folder = remote_table_row(&harness, "names");
    click_at(&mut harness, folder, egui::PointerButton::Secondary);
    harness.get_by_label("Download").click();
    let names = local.path().join("names");
    step_until(&mut harness, "the folder's two files", |_| {
        std::fs::read(names.join("a+b.txt")).is_ok_and(|b| b == b"colon")
            && std::fs::read(names.join("CON+")).is_ok_and(|b| b == b"device")
    });
    let mut listed: Vec<String> = std::fs::read_dir(&names)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, ["CON+", "a+b.txt"]);
}

#[test]
fn file_import_takes_filezillas_sites_with_a_summary_and_export_writes_them_back() {
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    settings_with_store(config.path(), StoreKind::MasterPassword);
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    harness.get_by_label("File").click();
    settle(&mut harness);
    assert!(has_label(&harness, "Import…") && has_label(&harness, "Export…"));
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);

    // (The file dialog is the desktop's; the window takes the file picked from here.)
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filezilla/sitemanager-3.66.xml");
    harness.state_mut().import_sites_from(file.clone());
    // The sites carry passwords: the vault is created for them first, then the summary.
    create_vault(&mut harness);
    step_until(&mut harness, "the import's summary", |h| {
        has_label(h, "Sites imported")
    });
    let summary = format!("Imported 7 sites in 3 folders from {}.", file.display());
    assert!(has_label(&harness, &summary));
    assert!(has_label(&harness, "passwords saved in: Master password"));
    // The SFTP site with its key file comes in too: nothing was left out.
    assert!(!has_label(&harness, "Not imported as it was:"));
    let names: Vec<String> = (harness.state().sites().sites.iter())
        .map(|s| s.path())
        .collect();
    for expected in [
        "Work/web",
        "Work/Clients/Acme uploads",
        "한국 서버/자료실",
        "Deploy over SFTP",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    harness.get_by_label("OK").click();
    settle(&mut harness);
    assert!(!has_label(&harness, "Sites imported"));
    let (sites, vault) = (
        config.path().join("sites.toml"),
        config.path().join("passwords.vault"),
    );
    step_until(&mut harness, "sites.toml and passwords.vault", |_| {
        std::fs::read_to_string(&sites).is_ok_and(|t| t.contains("Acme uploads"))
            && std::fs::read(&vault).is_ok_and(|v| v.len() > 200)
    });
    // The passwords went to the vault, never into a file in plaintext.
    assert_no_file_holds(&files_under(config.path()), "correct horse battery");

    // Export: a FileZilla file with the same sites, without passwords.
    let exported = local.path().join("for-filezilla.xml");
    harness.state_mut().export_sites_to(exported.clone());
    step_until(&mut harness, "the export", |h| {
        h.state()
            .model()
            .log
            .iter()
            .any(|l| l.text.starts_with("Exported 7 sites to"))
    });
    let xml = std::fs::read(&exported).unwrap();
    assert!(!String::from_utf8_lossy(&xml).contains("<Pass"));
    let back = skiff::sites::filezilla::import(&xml).unwrap();
    let mut again: Vec<String> = back.sites.iter().map(|s| s.path()).collect();
    let mut before = names.clone();
    again.sort();
    before.sort();
    assert_eq!(again, before);
}

/// A site in a legacy charset on vsftpd, as an old Korean, Japanese or Chinese server keeps
/// its names: a file, a folder, and the names an upload is renamed to.
struct LegacyNames {
    charset: &'static str,
    encoding: &'static encoding_rs::Encoding,
    file: &'static str,
    folder: &'static str,
    renamed: &'static str,
    filter: &'static str,
}

const LEGACY_SITES: [LegacyNames; 3] = [
    LegacyNames {
        charset: "cp949",
        encoding: encoding_rs::EUC_KR,
        file: "한글 보고서.txt",
        folder: "자료실",
        renamed: "올린 파일.txt",
        filter: "보고서",
    },
    LegacyNames {
        charset: "shift_jis",
        encoding: encoding_rs::SHIFT_JIS,
        file: "日本語の資料.txt",
        folder: "書類",
        renamed: "アップロード.txt",
        filter: "資料",
    },
    LegacyNames {
        charset: "gb18030",
        encoding: encoding_rs::GB18030,
        file: "中文说明.txt",
        folder: "资料",
        renamed: "上传文件.txt",
        filter: "说明",
    },
];

#[test]
fn legacy_charset_sites_show_names_decoded_and_download_upload_rename_and_delete_them() {
    for names in &LEGACY_SITES {
        legacy_charset_site(names);
    }
}

fn legacy_charset_site(names: &LegacyNames) {
    use std::os::unix::ffi::OsStrExt as _;
    let bytes = |text: &str| names.encoding.encode(text).0.into_owned();
    let on_server = |server: &FtpServer, parts: &[&str]| {
        parts
            .iter()
            .fold(server.root().to_path_buf(), |path, part| {
                path.join(std::ffi::OsStr::from_bytes(&bytes(part)))
            })
    };
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file_raw_name("", &bytes(names.file), b"quarterly");
    server.write_file("plain.txt", b"p");
    std::fs::create_dir(on_server(&server, &[names.folder])).unwrap();
    // vsftpd's user writes into the folder.
    std::fs::set_permissions(
        on_server(&server, &[names.folder]),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("up.txt"), b"uploaded").unwrap();
    let config = tempfile::tempdir().unwrap();
    settings_with_store(config.path(), StoreKind::DontSave);
    skiff::sites::site::SiteList {
        folders: Vec::new(),
        sites: vec![skiff::sites::site::Site {
            name: "Legacy".into(),
            protocol: skiff::sites::site::Protocol::Ftp,
            host: server.host(),
            port: Some(server.port()),
            logon: skiff::sites::site::LogonType::AskForPassword,
            user: server.user().into(),
            charset: skiff::sites::site::CharsetChoice::Custom(names.charset.into()),
            ..Default::default()
        }],
    }
    .save(&config.path().join("sites.toml"))
    .unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    open_site_manager(&mut harness);
    site_manager(&harness).get_by_label("🖥 Legacy").click();
    settle(&mut harness);
    site_manager(&harness).get_by_label("Connect").click();
    step_until(&mut harness, "the password question", |h| {
        h.query_by_label("Enter password").is_some()
    });
    settle(&mut harness);
    harness.event(egui::Event::Text(server.password().to_owned()));
    settle(&mut harness);
    harness.get_by_label("Connect").click();
    step_until(&mut harness, "the listing", |h| has_label(h, "plain.txt"));
    settle(&mut harness);
    let charset = names.charset;

    // The names read right in the file list and the tree, not as "���".
    assert!(
        has_label(&harness, &format!("🗋 {}", names.file)),
        "{charset}"
    );
    let folder_row = format!("🗀 {}", names.folder);
    assert_eq!(
        harness.get_all_by_label(&folder_row).count(),
        2,
        "{charset}: list and tree"
    );
    assert!(!has_label(&harness, "\u{fffd}"), "{charset}");

    // The filter matches the decoded name.
    filter_remote(&mut harness, names.filter);
    let remote = &harness.state().model().remote.files;
    assert_eq!(
        remote.len(),
        1,
        "{charset}: only the file passes the filter"
    );
    assert_eq!(remote.row(0).unwrap().name, bytes(names.file), "{charset}");

    // A download names the local file in words, from the server's bytes.
    let at = table_row(&harness, &format!("🗋 {}", names.file));
    double_click_at(&mut harness, at);
    let downloaded = local.path().join(names.file);
    step_until(&mut harness, "the download", |h| {
        has_label(h, "Successful transfers (1)")
    });
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        b"quarterly",
        "{charset}"
    );
    // The queue names the file as the pane does.
    harness.get_by_label("Successful transfers (1)").click();
    settle(&mut harness);
    assert!(
        has_label(&harness, &format!("/{}", names.file)),
        "{charset}"
    );

    // Into the folder: the path bar shows its name decoded.
    filter_remote(&mut harness, "");
    let at = table_row(&harness, &folder_row);
    double_click_at(&mut harness, at);
    let folder_path = [b"/".as_slice(), &bytes(names.folder)].concat();
    step_until(&mut harness, "the folder", |h| {
        h.state().model().remote.files.path == folder_path
    });
    settle(&mut harness);
    assert_eq!(
        harness.get_by_label("Remote site:").value().as_deref(),
        Some(format!("/{}", names.folder).as_str()),
        "{charset}"
    );

    // An upload into it.
    let at = table_row(&harness, "🗋 up.txt");
    click_at(&mut harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("Upload").click();
    let uploaded = on_server(&server, &[names.folder, "up.txt"]);
    step_until(&mut harness, "the upload", |h| {
        uploaded.exists() && has_label(h, "🗋 up.txt") && h.get_all_by_label("🗋 up.txt").count() == 2
    });
    assert_eq!(std::fs::read(&uploaded).unwrap(), b"uploaded", "{charset}");

    // Renamed to a name in the script: the server gets it in its charset.
    let at = remote_table_row(&harness, "🗋 up.txt");
    click_at(&mut harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("Rename").click();
    settle(&mut harness);
    let field = harness.get_by_label("New name for up.txt:");
    field.click();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_label("New name for up.txt:")
        .type_text(names.renamed);
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Rename")
        .click();
    let renamed = on_server(&server, &[names.folder, names.renamed]);
    step_until(&mut harness, "the rename", |h| {
        renamed.exists() && has_label(h, &format!("🗋 {}", names.renamed))
    });
    assert!(!uploaded.exists(), "{charset}");

    // Deleted, after a question that names it in words.
    let at = remote_table_row(&harness, &format!("🗋 {}", names.renamed));
    click_at(&mut harness, at, egui::PointerButton::Secondary);
    harness.get_by_label("Delete").click();
    settle(&mut harness);
    assert!(
        has_label(&harness, &format!("Really delete {}?", names.renamed)),
        "{charset}"
    );
    harness
        .get_by_role_and_label(Role::Button, "Delete")
        .click();
    step_until(&mut harness, "the deletion", |h| {
        !renamed.exists() && !has_label(h, &format!("🗋 {}", names.renamed))
    });
}

#[test]
fn an_auto_server_without_utf8_shows_other_names_in_the_fallback_charset_marked_as_a_guess() {
    use std::os::unix::ffi::OsStrExt as _;
    let (report, _, _) = encoding_rs::EUC_KR.encode("한글 보고서.txt");
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file_raw_name("", &report, b"x");
    server.write_file("plain.txt", b"p");
    let local = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    skiff::sites::settings::Settings {
        fallback_charset: Some("cp949".into()),
        ..Default::default()
    }
    .save(&config.path().join("settings.toml"))
    .unwrap();
    let rt = runtime();
    let _enter = rt.enter();
    let mut harness = window_with_config(&rt, local.path(), config.path(), None);
    quickconnect(&mut harness, &server);
    settle(&mut harness);
    let capabilities = harness.state().model().capabilities.clone().unwrap();
    assert!(!capabilities.utf8, "vsftpd here does not announce UTF8");
    // Shown in the fallback (CP949), marked as a guess; the UTF-8 name is not marked.
    assert!(has_label(&harness, "🗋 한글 보고서.txt"));
    assert_eq!(harness.get_all_by_label("EUC-KR?").count(), 1);
    // Its bytes are kept: the row is the server's name.
    let files = &harness.state().model().remote.files;
    assert!(files.entries().iter().any(|e| e.name == report.as_ref()));
    assert!(std::ffi::OsStr::from_bytes(&report).to_str().is_none());

    // Downloaded, the local file is named as the name was shown (read in the fallback).
    let at = table_row(&harness, "🗋 한글 보고서.txt");
    double_click_at(&mut harness, at);
    step_until(&mut harness, "the download", |h| {
        has_label(h, "Successful transfers (1)")
    });
    assert_eq!(
        std::fs::read(local.path().join("한글 보고서.txt")).unwrap(),
        b"x"
    );
}
