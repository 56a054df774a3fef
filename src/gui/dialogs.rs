//! The window's dialogs: create directory, rename, confirm delete, error details, about, and
//! the engine's "target file exists" question. Each is modal, draws itself and returns
//! the `UiAction` it ends with; Escape or a click outside cancels.

use crate::visible::visible;
use eframe::egui;

use crate::engine::{Direction, ExistsPolicy};
use crate::gui::actions::{Side, UiAction};
use crate::gui::human_size;
use crate::gui::model::PendingQuestion;
use crate::proto::listing::{Entry, Timestamp};

/// The window's keyboard shortcuts, as Help > Keyboard shortcuts lists them (the keys are
/// handled in `app::layout`'s `keys`, and by the dialogs and windows themselves).
pub const SHORTCUTS: [(&str, &str); 16] = [
    ("Ctrl+S", "Open the Site Manager"),
    ("Ctrl+T", "Open a new tab (another connection)"),
    ("Ctrl+W", "Close the tab shown (disconnects it)"),
    (
        "Ctrl+Tab, Ctrl+Shift+Tab",
        "Show the next or the previous tab",
    ),
    ("F3", "Search remote files below the remote folder shown"),
    ("Ctrl+B", "Add a bookmark of the folders shown"),
    ("F5", "Refresh the active pane"),
    ("Ctrl+A", "Select every entry of the active pane"),
    ("Up, Down", "Move the cursor in the file list"),
    ("Shift+Up, Shift+Down", "Extend the selection"),
    ("Enter", "Open the folder under the cursor"),
    ("Backspace", "Go up to the parent folder"),
    ("Delete", "Delete the selected entries (asks first)"),
    ("F2", "Rename the selected entry"),
    ("Enter in the path bar", "Go to the folder typed"),
    ("Escape", "Close the Site Manager, Settings or a dialog"),
];

#[derive(Debug, Clone)]
pub enum Dialog {
    Mkdir {
        side: Side,
        name: String,
    },
    Rename {
        side: Side,
        entry: Entry,
        name: String,
        /// The entry's name as the pane shows it (decoded in the side's charset).
        shown: String,
    },
    ConfirmDelete {
        side: Side,
        entries: Vec<Entry>,
        /// The first entry's name as the pane shows it.
        shown: String,
    },
    Error {
        title: String,
        text: String,
    },
    /// What happened, when it was not a failure (an import's summary).
    Notice {
        title: String,
        text: String,
    },
    /// File permissions (SITE CHMOD) of remote entries, as Unix bits.
    Permissions {
        entries: Vec<Entry>,
        mode: u32,
        text: String,
        /// The first entry's name as the pane shows it.
        shown: String,
    },
    /// The server's certificate could not be verified: show it, and ask.
    TrustCertificate {
        info: crate::net::tls::CertInfo,
        /// "Always trust" needs a trust store to save into.
        can_save: bool,
    },
    /// The certificate of a trusted host has changed: both fingerprints, and trust only by
    /// an explicit choice (the box ticked, then the button).
    CertificateChanged {
        info: crate::net::tls::CertInfo,
        trusted_sha256: String,
        checked: bool,
    },
    /// An SFTP server's host key is not known yet: show it, and ask (as `ssh` does).
    TrustHostKey {
        key: crate::sftp::HostKeyInfo,
        /// "Always trust" needs a config folder to save into.
        can_save: bool,
    },
    /// A known SFTP host showed another key: both fingerprints, and trust only by an
    /// explicit choice (the box ticked, then the button).
    HostKeyChanged {
        key: crate::sftp::HostKeyInfo,
        known_fingerprint: String,
        checked: bool,
    },
    About,
    /// A recent server with a user name and no saved site: its password, asked before
    /// connecting (a recent entry never keeps one).
    RecentPassword {
        entry: String,
        user: String,
        password: String,
    },
    /// Help > Keyboard shortcuts: `SHORTCUTS`.
    Shortcuts,
    /// Quickconnect tried TLS and the server has none: go on in clear text?
    AllowPlainFtp {
        host: String,
        remember: bool,
    },
    /// The master password of the password vault: asked once per session (twice, to
    /// create the vault on first use).
    MasterPassword {
        create: bool,
        password: String,
        confirm: String,
        error: Option<String>,
        /// The vault is being opened (Argon2 takes a moment).
        busy: bool,
    },
    /// The password to log on to a site with, for sites that do not save theirs.
    AskPassword {
        site: Box<crate::sites::site::Site>,
        password: String,
        /// Why it is asked, when that is not plain from the site's logon type.
        note: Option<String>,
    },
    /// An SFTP server's keyboard-interactive questions (a one-time code, ...), and the
    /// answers typed so far.
    Questions {
        questions: crate::sftp::ssh::Questions,
        answers: Vec<String>,
    },
    /// An SFTP server refused a logon without a password: the password, for this session.
    SftpPassword {
        prompt: String,
        password: String,
    },
    /// Synchronized browsing entered a folder that is not there on `side`.
    SyncFolderMissing {
        side: Side,
        path: Vec<u8>,
        /// The path as the pane shows it.
        shown: String,
    },
    /// View/Edit: a copy was saved in its editor; upload it?
    UploadEdit {
        edit: u64,
        /// The file's name as the remote pane shows it.
        shown: String,
    },
    /// View/Edit: the server's file changed since the copy was opened; upload over it?
    EditRemoteChanged {
        edit: u64,
        shown: String,
    },
    /// The OS keyring is not reachable: offer the other stores.
    KeyringUnavailable {
        reason: String,
    },
}

/// What a dialog's frame ended with.
pub enum Outcome {
    Open,
    Closed,
    Done(UiAction),
}

pub fn dialog_ui(ctx: &egui::Context, dialog: &mut Dialog) -> Outcome {
    let modal = egui::Modal::new(egui::Id::unique("skiff-dialog")).show(ctx, |ui| {
        ui.set_min_width(360.0);
        match dialog {
            Dialog::Mkdir { side, name } => {
                ui.heading("Create directory");
                let label = ui.label(format!(
                    "Name of the new directory in the {} folder:",
                    side.name()
                ));
                let edit = ui
                    .add(egui::TextEdit::singleline(name).desired_width(f32::INFINITY))
                    .labelled_by(label.id);
                edit.request_focus();
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let ok = buttons_ui(ui, "Create", !name.trim().is_empty());
                match ok {
                    Some(true) => Outcome::Done(UiAction::Mkdir(*side, name.trim().to_owned())),
                    _ if enter && !name.trim().is_empty() => {
                        Outcome::Done(UiAction::Mkdir(*side, name.trim().to_owned()))
                    }
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::Rename {
                side,
                entry,
                name,
                shown,
            } => {
                ui.heading("Rename");
                let label = ui.label(format!("New name for {shown}:"));
                let edit = ui
                    .add(egui::TextEdit::singleline(name).desired_width(f32::INFINITY))
                    .labelled_by(label.id);
                edit.request_focus();
                let valid = !name.trim().is_empty() && name.as_bytes() != entry.name.as_slice();
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                match buttons_ui(ui, "Rename", valid) {
                    Some(true) => {
                        Outcome::Done(UiAction::Rename(*side, entry.clone(), name.clone()))
                    }
                    _ if enter && valid => {
                        Outcome::Done(UiAction::Rename(*side, entry.clone(), name.clone()))
                    }
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::ConfirmDelete {
                side,
                entries,
                shown,
            } => {
                ui.heading("Confirm deletion");
                let what = match entries.as_slice() {
                    [one] if one.is_dir() => {
                        format!("Really delete the directory {shown} and everything in it?")
                    }
                    [_] => format!("Really delete {shown}?"),
                    many => format!("Really delete these {} items?", many.len()),
                };
                ui.label(what);
                ui.label(format!(
                    "They are deleted from the {} side for good.",
                    side.name()
                ));
                match buttons_ui(ui, "Delete", true) {
                    Some(true) => Outcome::Done(UiAction::Delete(*side, entries.clone())),
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::SyncFolderMissing { side, path, shown } => {
                ui.heading("Synchronized browsing");
                ui.add(
                    egui::Label::new(format!(
                        "The folder {} does not exist on the {} side.",
                        visible(shown),
                        side.name()
                    ))
                    .wrap(),
                );
                ui.horizontal(|ui| {
                    if ui.button("Create it").clicked() {
                        Outcome::Done(UiAction::CreateFolderAndOpen(*side, path.clone()))
                    } else if ui.button("Stop synchronized browsing").clicked() {
                        Outcome::Done(UiAction::SetSyncBrowsing(false))
                    } else {
                        Outcome::Open
                    }
                })
                .inner
            }
            Dialog::UploadEdit { edit, shown } => {
                ui.heading("File changed");
                ui.add(
                    egui::Label::new(format!(
                        "{} was changed in its editor. Upload the changed file to the server?",
                        visible(shown)
                    ))
                    .wrap(),
                );
                yes_no_ui(
                    ui,
                    "Yes",
                    "No",
                    UiAction::UploadEdit {
                        edit: *edit,
                        anyway: false,
                    },
                    UiAction::KeepEditLocal(*edit),
                )
            }
            Dialog::EditRemoteChanged { edit, shown } => {
                ui.heading("The server's file changed");
                ui.add(
                    egui::Label::new(format!(
                        "{} changed on the server since you opened it (its size or time is \
                         not what it was). Uploading replaces the server's version with yours.",
                        visible(shown)
                    ))
                    .wrap(),
                );
                yes_no_ui(
                    ui,
                    "Upload anyway",
                    "No",
                    UiAction::UploadEdit {
                        edit: *edit,
                        anyway: true,
                    },
                    UiAction::KeepEditLocal(*edit),
                )
            }
            Dialog::Error { title, text } | Dialog::Notice { title, text } => {
                ui.heading(title.as_str());
                ui.add(egui::Label::new(visible(text)).wrap());
                if ui.button("OK").clicked() {
                    Outcome::Closed
                } else {
                    Outcome::Open
                }
            }
            Dialog::Permissions {
                entries,
                mode,
                text,
                shown,
            } => {
                ui.heading("Change file attributes");
                let what = match entries.as_slice() {
                    [_] => shown.clone(),
                    many => format!("{} files", many.len()),
                };
                ui.label(format!("Permissions of {what} (sent as SITE CHMOD):"));
                egui::Grid::new("permission-bits").show(ui, |ui| {
                    for (row, who) in ["Owner", "Group", "Public"].iter().enumerate() {
                        ui.strong(*who);
                        for (col, name) in ["Read", "Write", "Execute"].iter().enumerate() {
                            let bit = 1 << (8 - (row * 3 + col));
                            let mut on = *mode & bit != 0;
                            let check = ui
                                .checkbox(&mut on, *name)
                                .on_hover_text(format!("{who}: {name}"));
                            if check.changed() {
                                *mode = if on { *mode | bit } else { *mode & !bit };
                                *text = format!("{:03o}", *mode);
                            }
                        }
                        ui.end_row();
                    }
                });
                let label = ui.label("Numeric value:");
                let edit = ui
                    .add(egui::TextEdit::singleline(text).desired_width(60.0))
                    .labelled_by(label.id);
                if edit.changed()
                    && let Some(parsed) = parse_octal_mode(text)
                {
                    *mode = parsed;
                }
                let valid = parse_octal_mode(text).is_some();
                match buttons_ui(ui, "OK", valid) {
                    Some(true) => Outcome::Done(UiAction::Chmod(entries.clone(), *mode)),
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::TrustCertificate { info, can_save } => {
                ui.heading("Unknown certificate");
                ui.label(
                    "The server's certificate could not be verified: it is self-signed, \
                     its issuer is unknown, it has expired, or it names another host. \
                     Check its fingerprint with the server's administrator before you trust it.",
                );
                ui.add_space(4.0);
                facts_grid(
                    ui,
                    "certificate",
                    vec![
                        ("Host", format!("{}:{}", info.host, info.port)),
                        ("Subject", info.subject.clone()),
                        ("Issuer", info.issuer.clone()),
                        ("Valid from", info.not_before.clone()),
                        ("Valid until", info.not_after.clone()),
                        ("SHA-256", info.sha256.clone()),
                    ],
                );
                match first_trust_ui(ui, *can_save, "Always trust this certificate") {
                    Some(Some(always)) => Outcome::Done(UiAction::TrustCertificate {
                        info: info.clone(),
                        always,
                    }),
                    Some(None) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::TrustHostKey { key, can_save } => {
                ui.heading("Unknown host key");
                ui.label(
                    "The server's host key is not known yet: this is the first connection to \
                     it, or its key is not in your known hosts. Compare the fingerprint with the \
                     one the server's administrator gives you (ssh-keygen -lf prints it the \
                     same way) before you trust it.",
                );
                ui.add_space(4.0);
                facts_grid(ui, "host-key", host_key_facts(key, None));
                match first_trust_ui(ui, *can_save, "Always trust this host key") {
                    Some(Some(always)) => Outcome::Done(UiAction::TrustHostKey {
                        key: key.clone(),
                        always,
                    }),
                    Some(None) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::HostKeyChanged {
                key,
                known_fingerprint,
                checked,
            } => {
                ui.heading("⚠ The server's host key has changed");
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "This server showed another host key before. This may be an attack \
                     (someone between you and the server); nothing has been sent. It may also \
                     be a reinstalled server: ask its administrator for the new fingerprint.",
                );
                ui.add_space(4.0);
                let facts = host_key_facts(key, Some(known_fingerprint));
                facts_grid(ui, "changed-host-key", facts);
                match changed_trust_ui(ui, checked, "Trust the new host key") {
                    Some(true) => Outcome::Done(UiAction::TrustHostKey {
                        key: key.clone(),
                        always: true,
                    }),
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::CertificateChanged {
                info,
                trusted_sha256,
                checked,
            } => {
                ui.heading("⚠ The server's certificate has changed");
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "This server showed another certificate when you trusted it. This may be an \
                     attack (someone between you and the server); nothing has been sent. It may \
                     also be a renewed certificate: ask the server's administrator for its \
                     fingerprint.",
                );
                ui.add_space(4.0);
                facts_grid(
                    ui,
                    "changed-certificate",
                    vec![
                        ("Host", format!("{}:{}", info.host, info.port)),
                        ("Trusted before", trusted_sha256.clone()),
                        ("Shown now", info.sha256.clone()),
                        ("Subject", info.subject.clone()),
                        ("Issuer", info.issuer.clone()),
                        ("Valid until", info.not_after.clone()),
                    ],
                );
                match changed_trust_ui(ui, checked, "Trust the new certificate") {
                    Some(true) => Outcome::Done(UiAction::TrustCertificate {
                        info: info.clone(),
                        always: true,
                    }),
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::MasterPassword {
                create,
                password,
                confirm,
                error,
                busy,
            } => master_password_ui(ui, *create, password, confirm, error.as_deref(), *busy),
            Dialog::AskPassword {
                site,
                password,
                note,
            } => {
                ui.heading("Enter password");
                ui.label(format!(
                    "Password for {} on {}:",
                    if site.user.is_empty() {
                        "anonymous"
                    } else {
                        &site.user
                    },
                    site.display_url()
                ));
                if let Some(note) = note {
                    ui.weak(note.as_str());
                }
                let enter = password_field_ui(ui, password);
                if site.logon == crate::sites::site::LogonType::AskForPassword {
                    ui.weak("Kept until Skiff closes; never saved.");
                }
                match buttons_ui(ui, "Connect", true) {
                    Some(false) => Outcome::Closed,
                    Some(true) => Outcome::Done(UiAction::ConnectSiteWith(
                        site.clone(),
                        crate::secret::Secret::new(password.clone()),
                    )),
                    None if enter => Outcome::Done(UiAction::ConnectSiteWith(
                        site.clone(),
                        crate::secret::Secret::new(password.clone()),
                    )),
                    None => Outcome::Open,
                }
            }
            Dialog::KeyringUnavailable { reason } => {
                use crate::sites::credentials::StoreKind;
                ui.heading("The OS keyring is not available");
                ui.add(
                    egui::Label::new(format!(
                        "Saved passwords cannot go to the OS keyring: {reason}. Keep them in \
                         a file encrypted with a master password instead, or do not save \
                         passwords and type them when connecting."
                    ))
                    .wrap(),
                );
                let mut outcome = Outcome::Open;
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if ui.button("Use a master password").clicked() {
                        outcome = Outcome::Done(UiAction::SwitchStore(StoreKind::MasterPassword));
                    }
                    if ui.button("Don't save passwords").clicked() {
                        outcome = Outcome::Done(UiAction::SwitchStore(StoreKind::DontSave));
                    }
                    if ui.button("Cancel").clicked() {
                        outcome = Outcome::Done(UiAction::CancelStore);
                    }
                });
                outcome
            }
            Dialog::RecentPassword {
                entry,
                user,
                password,
            } => {
                ui.heading("Enter password");
                ui.label(format!(
                    "Password for {} on {}:",
                    visible(user),
                    visible(entry)
                ));
                let enter = password_field_ui(ui, password);
                match buttons_ui(ui, "Connect", true) {
                    Some(false) => Outcome::Closed,
                    None if !enter => Outcome::Open,
                    // Connect, or Enter in the field.
                    _ => Outcome::Done(UiAction::ConnectRecent {
                        entry: entry.clone(),
                        password: std::mem::take(password),
                    }),
                }
            }
            Dialog::Questions { questions, answers } => {
                ui.heading("The server asks");
                ui.label(format!(
                    "{} asks {} to log on:",
                    visible(&questions.host),
                    visible(&questions.user)
                ));
                for text in [&questions.name, &questions.instructions] {
                    if !text.trim().is_empty() {
                        ui.label(visible(text.trim()));
                    }
                }
                egui::Grid::new("questions").num_columns(2).show(ui, |ui| {
                    for (i, ((prompt, echo), answer)) in
                        questions.prompts.iter().zip(answers.iter_mut()).enumerate()
                    {
                        let label = ui.label(visible(prompt.trim()));
                        let field = ui
                            .add(
                                egui::TextEdit::singleline(answer)
                                    .password(!echo)
                                    .desired_width(240.0),
                            )
                            .labelled_by(label.id);
                        if i == 0 && !field.has_focus() && !field.lost_focus() && answer.is_empty()
                        {
                            field.request_focus();
                        }
                        ui.end_row();
                    }
                });
                match buttons_ui(ui, "Connect", true) {
                    Some(true) => {
                        Outcome::Done(UiAction::AnswerQuestions(Some(std::mem::take(answers))))
                    }
                    Some(false) => Outcome::Done(UiAction::AnswerQuestions(None)),
                    None => Outcome::Open,
                }
            }
            Dialog::SftpPassword { prompt, password } => {
                ui.heading("Enter password");
                ui.label(visible(prompt));
                let enter = password_field_ui(ui, password);
                match buttons_ui(ui, "Connect", true) {
                    Some(false) => Outcome::Closed,
                    None if !enter => Outcome::Open,
                    _ => Outcome::Done(UiAction::SftpPassword(std::mem::take(password))),
                }
            }
            Dialog::AllowPlainFtp { host, remember } => {
                ui.heading("Insecure FTP connection");
                ui.label(format!(
                    "{} does not support FTP over TLS. Nothing secret has been sent yet.",
                    visible(host)
                ));
                ui.label(
                    "Without encryption, your password and every file travel in clear text: \
                     anyone on the way can read them.",
                );
                ui.checkbox(remember, "Always allow plain FTP for this server");
                match buttons_ui(ui, "Connect without encryption", true) {
                    Some(true) => Outcome::Done(UiAction::ConnectWithoutTls {
                        remember: *remember,
                    }),
                    Some(false) => Outcome::Closed,
                    None => Outcome::Open,
                }
            }
            Dialog::Shortcuts => {
                ui.heading("Keyboard shortcuts");
                egui::Grid::new("shortcuts")
                    .striped(true)
                    .spacing([16.0, 4.0])
                    .show(ui, |ui| {
                        for (keys, what) in SHORTCUTS {
                            ui.strong(keys);
                            ui.label(what);
                            ui.end_row();
                        }
                    });
                ui.add_space(6.0);
                if ui.button("OK").clicked() {
                    Outcome::Closed
                } else {
                    Outcome::Open
                }
            }
            Dialog::About => {
                ui.heading("Skiff");
                ui.label(format!("Version {}", env!("CARGO_PKG_VERSION")));
                ui.label("A fast, safe FTP/FTPS client with its own protocol core.");
                if ui.button("OK").clicked() {
                    Outcome::Closed
                } else {
                    Outcome::Open
                }
            }
        }
    });
    if modal.should_close() && matches!(modal.inner, Outcome::Open) {
        // Closing a question about the password store cancels what waited for it.
        return match dialog {
            Dialog::MasterPassword { busy: false, .. } | Dialog::KeyringUnavailable { .. } => {
                Outcome::Done(UiAction::CancelStore)
            }
            Dialog::MasterPassword { busy: true, .. } => Outcome::Open,
            Dialog::UploadEdit { edit, .. } | Dialog::EditRemoteChanged { edit, .. } => {
                Outcome::Done(UiAction::KeepEditLocal(*edit))
            }
            // The connection waits for the answers: closing declines them.
            Dialog::Questions { .. } => Outcome::Done(UiAction::AnswerQuestions(None)),
            _ => Outcome::Closed,
        };
    }
    modal.inner
}

fn master_password_ui(
    ui: &mut egui::Ui,
    create: bool,
    password: &mut String,
    confirm: &mut String,
    error: Option<&str>,
    busy: bool,
) -> Outcome {
    if create {
        ui.heading("Choose a master password");
        ui.label(
            "Saved passwords are kept in a file encrypted with this master password. \
             It is asked once each time Skiff starts; it cannot be recovered if forgotten.",
        );
    } else {
        ui.heading("Enter the master password");
        ui.label("The saved passwords are encrypted with your master password.");
    }
    ui.add_space(4.0);
    let mut enter = false;
    egui::Grid::new("master-password")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Master password:");
            let edit = ui
                .add_enabled(
                    !busy,
                    egui::TextEdit::singleline(password)
                        .password(true)
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            enter |= edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.end_row();
            if create {
                let label = ui.label("Repeat it:");
                let edit = ui
                    .add_enabled(
                        !busy,
                        egui::TextEdit::singleline(confirm)
                            .password(true)
                            .desired_width(220.0),
                    )
                    .labelled_by(label.id);
                enter |= edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
            }
        });
    let mismatch = create && !confirm.is_empty() && password != confirm;
    if mismatch {
        ui.colored_label(ui.visuals().error_fg_color, "The two passwords differ.");
    } else if let Some(error) = error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Opening the password vault…");
        });
    }
    let valid = !busy && !password.is_empty() && (!create || password == confirm);
    let ok = if create { "Create" } else { "Unlock" };
    match buttons_ui(ui, ok, valid) {
        Some(true) => Outcome::Done(UiAction::UnlockStore(
            crate::secret::Secret::new(password.clone()),
            create,
        )),
        _ if enter && valid => Outcome::Done(UiAction::UnlockStore(
            crate::secret::Secret::new(password.clone()),
            create,
        )),
        Some(false) if !busy => Outcome::Done(UiAction::CancelStore),
        _ => Outcome::Open,
    }
}

/// `-rw-r--r--` (a listing's permissions) as mode bits; `None` for anything else (MLSD
/// `perm` facts, Windows listings), where no dialog can start from the current value.
pub fn unix_mode(permissions: &str) -> Option<u32> {
    let bits = permissions.as_bytes();
    if bits.len() < 10 {
        return None;
    }
    let mut mode = 0;
    for (i, &c) in bits[1..10].iter().enumerate() {
        let expected = b"rwxrwxrwx"[i];
        let (set, special) = match (c, i % 3) {
            (b'-', _) => (false, false),
            (c, _) if c == expected => (true, false),
            (b's' | b't', 2) => (true, true),
            (b'S' | b'T', 2) => (false, true),
            _ => return None,
        };
        if set {
            mode |= 1 << (8 - i);
        }
        if special {
            // setuid, setgid, sticky: bits 11, 10, 9 for the three execute columns.
            mode |= 1 << (11 - i / 3);
        }
    }
    Some(mode)
}

/// `644` or `0755` as mode bits (at most four octal digits).
pub fn parse_octal_mode(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || text.len() > 4 {
        return None;
    }
    u32::from_str_radix(text, 8).ok()
}

/// A masked password field that keeps the focus; `true` when Enter was pressed in it.
fn password_field_ui(ui: &mut egui::Ui, password: &mut String) -> bool {
    let label = ui.label("Password:");
    let edit = ui
        .add(
            egui::TextEdit::singleline(password)
                .password(true)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    if !edit.has_focus() && !edit.lost_focus() {
        edit.request_focus();
    }
    edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// Two buttons, each ending the dialog with its action.
fn yes_no_ui(ui: &mut egui::Ui, yes: &str, no: &str, on_yes: UiAction, on_no: UiAction) -> Outcome {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.button(yes).clicked() {
            Outcome::Done(on_yes)
        } else if ui.button(no).clicked() {
            Outcome::Done(on_no)
        } else {
            Outcome::Open
        }
    })
    .inner
}

/// OK/Cancel: `Some(true)` for OK, `Some(false)` for Cancel.
fn buttons_ui(ui: &mut egui::Ui, ok: &str, ok_enabled: bool) -> Option<bool> {
    let mut result = None;
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui.add_enabled(ok_enabled, egui::Button::new(ok)).clicked() {
            result = Some(true);
        }
        if ui.button("Cancel").clicked() {
            result = Some(false);
        }
    });
    result
}

/// The choice in the file-exists dialog, kept between frames.
#[derive(Debug, Clone)]
pub struct ExistsChoice {
    pub policy: ExistsPolicy,
    pub always: bool,
    /// Rename's new name, as typed; prefilled `name (1).ext` for each new question.
    pub rename_to: String,
    prefilled_for: Option<crate::engine::ItemId>,
}

impl Default for ExistsChoice {
    fn default() -> Self {
        Self {
            policy: ExistsPolicy::Overwrite,
            always: false,
            rename_to: String::new(),
            prefilled_for: None,
        }
    }
}

impl ExistsChoice {
    /// Prefills the new name once per question: the target's name numbered, as Rename
    /// would pick it without asking.
    fn prefill(&mut self, question: &PendingQuestion) {
        if self.prefilled_for == Some(question.id) {
            return;
        }
        let name = match question.direction {
            Direction::Download => question
                .local
                .file_name()
                .map(crate::local::os_bytes)
                .unwrap_or_default(),
            Direction::Upload => crate::proto::path::file_name(question.remote.as_bytes()).to_vec(),
        };
        let numbered = crate::local::numbered_name(&name, 1);
        self.rename_to = String::from_utf8_lossy(&numbered).into_owned();
        self.prefilled_for = Some(question.id);
    }
}

const EXISTS_CHOICES: [(ExistsPolicy, &str); 7] = [
    (ExistsPolicy::Overwrite, "Overwrite"),
    (ExistsPolicy::OverwriteIfNewer, "Overwrite if source newer"),
    (
        ExistsPolicy::OverwriteIfSizeDiffers,
        "Overwrite if different size",
    ),
    (
        ExistsPolicy::OverwriteIfNewerOrSizeDiffers,
        "Overwrite if source newer or different size",
    ),
    (ExistsPolicy::Resume, "Resume"),
    (ExistsPolicy::Rename, "Rename (keep both, under a new name)"),
    (ExistsPolicy::Skip, "Skip"),
];

fn describe(size: Option<u64>, modified: Option<i64>) -> String {
    let size = size.map_or_else(|| "size unknown".to_owned(), human_size);
    match modified {
        Some(secs) => format!("{size}, modified {}", Timestamp::from_unix_secs(secs)),
        None => size,
    }
}

/// The engine's question: the target exists. Returns the answer once given.
pub fn exists_ui(
    ctx: &egui::Context,
    question: &PendingQuestion,
    choice: &mut ExistsChoice,
    more_waiting: usize,
) -> Option<UiAction> {
    let (source, target, target_name) = match question.direction {
        Direction::Download => (
            "Source (server)",
            "Target (local)",
            question.local.display().to_string(),
        ),
        Direction::Upload => ("Source (local)", "Target (server)", question.remote.clone()),
    };
    let modal = egui::Modal::new(egui::Id::unique("skiff-file-exists")).show(ctx, |ui| {
        ui.set_min_width(420.0);
        ui.heading("Target file already exists");
        ui.label(format!("The file {target_name} already exists."));
        ui.add_space(4.0);
        egui::Grid::new("exists-sides").show(ui, |ui| {
            ui.strong(source);
            ui.label(describe(
                question.existing.source_size,
                question.existing.source_modified,
            ));
            ui.end_row();
            ui.strong(target);
            ui.label(describe(
                question.existing.target_size,
                question.existing.target_modified,
            ));
            ui.end_row();
        });
        ui.add_space(4.0);
        ui.label("What do you want to do?");
        choice.prefill(question);
        let mut problem = None;
        for (policy, label) in EXISTS_CHOICES {
            ui.radio_value(&mut choice.policy, policy, label);
            if policy == ExistsPolicy::Rename && choice.policy == ExistsPolicy::Rename {
                ui.horizontal(|ui| {
                    ui.add_space(24.0);
                    let label = ui.label("New name:");
                    ui.add(egui::TextEdit::singleline(&mut choice.rename_to).desired_width(300.0))
                        .labelled_by(label.id);
                });
                let local = question.direction == Direction::Download;
                problem = crate::local::typed_name_problem(&choice.rename_to, local);
                if let Some(why) = problem {
                    ui.horizontal(|ui| {
                        ui.add_space(24.0);
                        ui.colored_label(ui.visuals().error_fg_color, format!("Not a name: {why}"));
                    });
                }
            }
        }
        ui.checkbox(&mut choice.always, "Always use this action")
            .on_hover_text("For the rest of the queue in this direction (Rename numbers them)");
        if more_waiting > 0 {
            ui.weak(format!("{more_waiting} more waiting for an answer"));
        }
        let mut answer = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(problem.is_none(), egui::Button::new("OK"))
                .clicked()
            {
                answer = Some(choice.policy);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(ExistsPolicy::Skip);
            }
        });
        answer
    });
    modal.inner.map(|policy| UiAction::Answer {
        id: question.id,
        policy,
        apply_to_all: choice.always,
        rename_to: (policy == ExistsPolicy::Rename).then(|| choice.rename_to.clone()),
    })
}

/// A certificate's or a host key's facts: names, and values in a monospace font (the
/// fingerprints a user compares character by character).
fn facts_grid(ui: &mut egui::Ui, id: &str, rows: Vec<(&str, String)>) {
    egui::Grid::new(id).num_columns(2).show(ui, |ui| {
        for (name, value) in rows {
            ui.strong(name);
            ui.add(egui::Label::new(egui::RichText::new(value).monospace()).wrap());
            ui.end_row();
        }
    });
}

/// A host key's facts, with the fingerprint known before when it changed.
fn host_key_facts(
    key: &crate::sftp::HostKeyInfo,
    known_before: Option<&String>,
) -> Vec<(&'static str, String)> {
    let host = crate::sftp::host_keys::host_pattern(&key.host, key.port);
    let mut rows = vec![("Host", host), ("Key type", key.algorithm.clone())];
    if let Some(known) = known_before {
        rows.push(("Known before", known.clone()));
        rows.push(("Shown now", key.fingerprint.clone()));
    } else {
        rows.push(("Fingerprint", key.fingerprint.clone()));
    }
    rows
}

/// Trust once, always (`always_label`, when there is somewhere to save it) or Cancel:
/// `Some(Some(always))` to trust, `Some(None)` to cancel.
fn first_trust_ui(ui: &mut egui::Ui, can_save: bool, always_label: &str) -> Option<Option<bool>> {
    ui.add_space(6.0);
    let mut choice = None;
    ui.horizontal(|ui| {
        if ui.button("Trust once").clicked() {
            choice = Some(Some(false));
        }
        if ui
            .add_enabled(can_save, egui::Button::new(always_label))
            .clicked()
        {
            choice = Some(Some(true));
        }
        if ui.button("Cancel").clicked() {
            choice = Some(None);
        }
    });
    choice
}

/// A changed key or certificate: trusted (`Some(true)`) only once the box saying it was
/// checked is ticked; `Some(false)`: Disconnect.
fn changed_trust_ui(ui: &mut egui::Ui, checked: &mut bool, trust_label: &str) -> Option<bool> {
    ui.add_space(6.0);
    ui.checkbox(
        checked,
        "I have checked the new fingerprint with the server's administrator",
    );
    let mut choice = None;
    ui.horizontal(|ui| {
        if ui.button("Disconnect").clicked() {
            choice = Some(false);
        }
        if ui
            .add_enabled(*checked, egui::Button::new(trust_label))
            .clicked()
        {
            choice = Some(true);
        }
    });
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_permissions_become_mode_bits() {
        assert_eq!(unix_mode("-rw-r--r--"), Some(0o644));
        assert_eq!(unix_mode("drwxr-x---"), Some(0o750));
        assert_eq!(unix_mode("-rwsr-xr-x"), Some(0o4755));
        assert_eq!(unix_mode("drwxrwxrwt"), Some(0o1777));
        assert_eq!(unix_mode("-rw-r-Sr--"), Some(0o2644));
        assert_eq!(unix_mode("adfrw"), None, "an MLSD perm fact is not a mode");
        assert_eq!(unix_mode("-rwzr--r--"), None);
    }

    #[test]
    fn numeric_modes_are_octal() {
        assert_eq!(parse_octal_mode("644"), Some(0o644));
        assert_eq!(parse_octal_mode(" 0755 "), Some(0o755));
        assert_eq!(parse_octal_mode("8"), None);
        assert_eq!(parse_octal_mode("77777"), None);
        assert_eq!(parse_octal_mode(""), None);
    }
}
