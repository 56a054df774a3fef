//! Edit > Settings, as FileZilla's: pages on the left (Connection, FTP data connections,
//! Transfers, File exists action, Interface, Passwords), the page on the right, OK and
//! Cancel below. Edits a copy; OK hands it back once every field parses.

use eframe::egui;

use crate::engine::ExistsPolicy;
use crate::gui::form::{error_row, grid, labelled, parse_ip, parse_kib, parse_range};
use crate::local::Replacement;
use crate::net::DataMode;
use crate::sites::credentials::StoreKind;
use crate::sites::settings::{DoubleClick, EditorRule, Settings, Theme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Connection,
    Ftp,
    Transfers,
    FileExists,
    Interface,
    FileEditing,
    Logging,
    Passwords,
}

const PAGES: [(Page, &str); 8] = [
    (Page::Connection, "Connection"),
    (Page::Ftp, "FTP: active and passive mode"),
    (Page::Transfers, "Transfers"),
    (Page::FileExists, "File exists action"),
    (Page::Interface, "Interface"),
    (Page::FileEditing, "File editing"),
    (Page::Logging, "Logging"),
    (Page::Passwords, "Passwords"),
];

/// The choices for a target that exists, as the settings offer them.
pub const EXISTS_POLICIES: [(ExistsPolicy, &str); 8] = [
    (ExistsPolicy::Ask, "Ask for action"),
    (ExistsPolicy::Overwrite, "Overwrite file"),
    (
        ExistsPolicy::OverwriteIfNewer,
        "Overwrite file if source file newer",
    ),
    (
        ExistsPolicy::OverwriteIfSizeDiffers,
        "Overwrite file if size differs",
    ),
    (
        ExistsPolicy::OverwriteIfNewerOrSizeDiffers,
        "Overwrite file if source file newer or size differs",
    ),
    (ExistsPolicy::Resume, "Resume file transfer"),
    (ExistsPolicy::Rename, "Rename file (name (1).ext)"),
    (ExistsPolicy::Skip, "Skip file"),
];

pub enum Outcome {
    Open,
    Cancelled,
    Ok(Box<Settings>),
}

/// Text fields that must parse, kept as typed.
struct Texts {
    range: String,
    ip: String,
    download_kib: String,
    upload_kib: String,
    /// The character that replaces what a local file system cannot hold in a name.
    replacement: String,
    /// The log file's path; empty: the default one.
    log_path: String,
}

pub struct SettingsWindow {
    pub settings: Settings,
    pub page: Page,
    texts: Texts,
}

impl SettingsWindow {
    pub fn new(settings: Settings) -> Self {
        let kib = |limit: Option<u64>| limit.map(|b| (b / 1024).to_string()).unwrap_or_default();
        let texts = Texts {
            range: settings
                .active_port_range
                .map(|r| r.to_string())
                .unwrap_or_default(),
            ip: settings
                .external_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            download_kib: kib(settings.download_limit),
            upload_kib: kib(settings.upload_limit),
            replacement: settings.invalid_char_replacement.get().to_string(),
            log_path: settings
                .log_file_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        };
        Self {
            settings,
            page: Page::Connection,
            texts,
        }
    }

    fn errors(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Err(e) = parse_range(&self.texts.range) {
            errors.push(e);
        }
        if let Err(e) = parse_ip(&self.texts.ip) {
            errors.push(e);
        }
        for text in [&self.texts.download_kib, &self.texts.upload_kib] {
            if let Err(e) = parse_kib(text) {
                errors.push(e);
            }
        }
        if let Err(e) = Replacement::parse(&self.texts.replacement) {
            errors.push(e);
        }
        errors
    }

    pub fn show(&mut self, ctx: &egui::Context) -> Outcome {
        let mut open = true;
        let mut outcome = Outcome::Open;
        egui::Window::new("Settings")
            .id(egui::Id::unique("settings-window"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_size([720.0, 460.0])
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .min_size([560.0, 360.0])
            .show(ctx, |ui| {
                let errors = self.errors();
                egui::Panel::bottom("settings-buttons").show(ui, |ui| {
                    ui.add_space(4.0);
                    ui.horizontal(|ui| {
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            if ui.button("Cancel").clicked() {
                                outcome = Outcome::Cancelled;
                            }
                            if ui
                                .add_enabled(errors.is_empty(), egui::Button::new("OK"))
                                .clicked()
                            {
                                outcome = Outcome::Ok(Box::new(self.settings.clone()));
                            }
                            if let Some(first) = errors.first() {
                                ui.colored_label(ui.visuals().error_fg_color, first);
                            }
                        });
                    });
                });
                egui::Panel::left("settings-pages")
                    .resizable(false)
                    .default_size(200.0)
                    .show(ui, |ui| {
                        ui.label("Select page:");
                        for (page, name) in PAGES {
                            ui.selectable_value(&mut self.page, page, name);
                        }
                    });
                egui::CentralPanel::default().show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .auto_shrink([false, false])
                        .show(ui, |ui| self.page_ui(ui));
                });
            });
        if !open || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            outcome = Outcome::Cancelled;
        }
        outcome
    }

    fn page_ui(&mut self, ui: &mut egui::Ui) {
        let s = &mut self.settings;
        match self.page {
            Page::Connection => {
                ui.heading("Connection");
                grid(ui, "settings-connection", |ui| {
                    labelled(ui, "Timeout in seconds:", |ui| {
                        ui.add(egui::DragValue::new(&mut s.timeout_secs).range(1..=3600))
                    });
                    labelled(ui, "Attempts per transfer:", |ui| {
                        ui.add(egui::DragValue::new(&mut s.attempts).range(1..=99))
                    });
                    labelled(ui, "Largest listing, entries:", |ui| {
                        ui.add(
                            egui::DragValue::new(&mut s.listing_max_entries)
                                .range(1_000..=100_000_000)
                                .speed(1000),
                        )
                    });
                    labelled(ui, "Slowest listing, bytes/s (0: none):", |ui| {
                        ui.add(
                            egui::DragValue::new(&mut s.listing_min_rate)
                                .range(0..=1_048_576)
                                .speed(64),
                        )
                    });
                    let mut mib = s.listing_max_bytes / (1024 * 1024);
                    labelled(ui, "Largest listing, MiB:", |ui| {
                        let changed = ui.add(egui::DragValue::new(&mut mib).range(1..=65_536));
                        if changed.changed() {
                            s.listing_max_bytes = mib * 1024 * 1024;
                        }
                        changed
                    });
                });
                ui.weak(
                    "A network step that takes longer than the timeout fails; transient \
                     failures are retried with backoff up to the number of attempts. A folder \
                     listing larger than its limits fails with an error naming the limit, so \
                     a server that lists forever cannot fill the memory (a million entries \
                     take about 150 MB).",
                );
            }
            Page::Ftp => {
                ui.heading("Data connections");
                ui.label("Transfer mode:");
                ui.radio_value(&mut s.data_mode, DataMode::Passive, "Passive (recommended)");
                ui.radio_value(&mut s.data_mode, DataMode::Active, "Active");
                ui.checkbox(
                    &mut s.passive_fallback,
                    "Fall back to the other mode when passive data connections fail",
                );
                ui.add_space(8.0);
                ui.strong("Passive mode");
                ui.checkbox(
                    &mut s.use_control_peer_for_pasv,
                    "Connect to the server's address instead of the one in the passive reply",
                )
                .on_hover_text(
                    "A server behind NAT often announces a private address; a hostile one \
                     could announce a third party's.",
                );
                ui.checkbox(&mut s.prefer_epsv, "Try EPSV before PASV");
                ui.add_space(8.0);
                ui.strong("Active mode");
                grid(ui, "settings-active", |ui| {
                    let range = labelled(ui, "Local port range:", |ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.texts.range)
                                .hint_text("MIN-MAX, e.g. 50000-50100; empty: any")
                                .desired_width(280.0),
                        )
                    });
                    let parsed = parse_range(&self.texts.range);
                    if range.changed()
                        && let Ok(value) = parsed
                    {
                        s.active_port_range = value;
                    }
                    error_row(ui, parsed.err());
                    let ip = labelled(ui, "External IP address:", |ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.texts.ip)
                                .hint_text("announced behind NAT; empty: local")
                                .desired_width(280.0),
                        )
                    });
                    let parsed = parse_ip(&self.texts.ip);
                    if ip.changed()
                        && let Ok(value) = parsed
                    {
                        s.external_ip = value;
                    }
                    error_row(ui, parsed.err());
                });
                ui.weak("A site's own transfer settings win over these (Site Manager).");
            }
            Page::Transfers => {
                ui.heading("Transfers");
                grid(ui, "settings-transfers", |ui| {
                    labelled(ui, "Maximum simultaneous transfers:", |ui| {
                        ui.add(egui::DragValue::new(&mut s.parallel).range(1..=10))
                    });
                    for (label, text, limit) in [
                        (
                            "Download limit (KiB/s):",
                            &mut self.texts.download_kib,
                            &mut s.download_limit,
                        ),
                        (
                            "Upload limit (KiB/s):",
                            &mut self.texts.upload_kib,
                            &mut s.upload_limit,
                        ),
                    ] {
                        let edit = labelled(ui, label, |ui| {
                            ui.add(
                                egui::TextEdit::singleline(text)
                                    .hint_text("unlimited")
                                    .desired_width(100.0),
                            )
                        });
                        let parsed = parse_kib(text);
                        if edit.changed()
                            && let Ok(value) = parsed
                        {
                            *limit = value;
                        }
                        error_row(ui, parsed.err());
                    }
                });
                ui.weak("Empty or 0: unlimited. The limits are shared by all transfers.");
                ui.add_space(6.0);
                ui.checkbox(
                    &mut s.preserve_timestamps,
                    "Preserve timestamps of transferred files",
                )
                .on_hover_text(
                    "A download gets the server's modification time; an upload gets the local                      file's, where the server can set it (MFMT, SFTP). A site may choose its own.",
                );
                ui.add_space(8.0);
                ui.strong("Local file names");
                grid(ui, "settings-names", |ui| {
                    let edit = labelled(ui, "Replace invalid characters with:", |ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.texts.replacement)
                                .char_limit(4)
                                .desired_width(40.0),
                        )
                    });
                    let parsed = Replacement::parse(&self.texts.replacement);
                    if edit.changed()
                        && let Ok(value) = parsed
                    {
                        s.invalid_char_replacement = value;
                    }
                    error_row(ui, parsed.err());
                });
                ui.weak(
                    "Downloaded names are made safe for every system: \\ : * ? \" < > | and \
                     control characters, trailing dots and spaces, and device names such as \
                     CON or NUL.txt get this character. Names with / or a line break are \
                     refused. Applies to connections made from now on.",
                );
            }
            Page::FileExists => {
                ui.heading("File exists action");
                ui.label("When the target of a transfer exists:");
                grid(ui, "settings-exists", |ui| {
                    for (label, policy, salt) in [
                        ("Downloads:", &mut s.download_exists, "dl-exists"),
                        ("Uploads:", &mut s.upload_exists, "ul-exists"),
                    ] {
                        labelled(ui, label, |ui| {
                            egui::ComboBox::from_id_salt(salt)
                                .width(280.0)
                                .selected_text(exists_label(*policy))
                                .show_ui(ui, |ui| {
                                    for (value, name) in EXISTS_POLICIES {
                                        ui.selectable_value(policy, value, name);
                                    }
                                })
                                .response
                        });
                    }
                });
            }
            Page::Interface => {
                ui.heading("Interface");
                ui.label("Theme:");
                ui.radio_value(&mut s.theme, Theme::System, "Follow the desktop");
                ui.radio_value(&mut s.theme, Theme::Light, "Light");
                ui.radio_value(&mut s.theme, Theme::Dark, "Dark");
                ui.add_space(8.0);
                ui.strong("File names that are not UTF-8");
                let locale = Settings {
                    fallback_charset: None,
                    ..Settings::default()
                }
                .fallback_charset();
                let from_locale = format!("From the desktop's language ({})", locale.name());
                grid(ui, "settings-fallback-charset", |ui| {
                    labelled(ui, "Show them as:", |ui| {
                        egui::ComboBox::from_id_salt("fallback-charset")
                            .width(260.0)
                            .selected_text(
                                s.fallback_charset.clone().unwrap_or(from_locale.clone()),
                            )
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut s.fallback_charset, None, from_locale);
                                for name in crate::gui::site_manager::CHARSETS {
                                    ui.selectable_value(
                                        &mut s.fallback_charset,
                                        Some(name.to_owned()),
                                        name,
                                    );
                                }
                            })
                            .response
                    });
                });
                ui.weak(
                    "For a server whose site says \"Autodetect\" and that does not announce \
                     UTF-8: names that are not UTF-8 are shown in this charset, marked as a \
                     guess. Their bytes are kept for every transfer; a site can set its own \
                     charset in the Site Manager.",
                );
            }
            Page::FileEditing => {
                ui.heading("File editing");
                ui.label("Double-clicking a remote file:");
                ui.radio_value(
                    &mut s.remote_double_click,
                    DoubleClick::Transfer,
                    "Downloads it",
                );
                ui.radio_value(
                    &mut s.remote_double_click,
                    DoubleClick::ViewEdit,
                    "Opens it with View/Edit",
                );
                ui.add_space(8.0);
                ui.checkbox(
                    &mut s.upload_edits_without_asking,
                    "Upload edited files when saved, without asking",
                );
                ui.add_space(8.0);
                ui.strong("Editors by extension");
                let mut remove = None;
                egui::Grid::new("settings-editors")
                    .num_columns(3)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        let extension = ui.label("Extension").id;
                        let command = ui.label("Command (the file is added last)").id;
                        ui.end_row();
                        for (at, rule) in s.editors.iter_mut().enumerate() {
                            ui.add(
                                egui::TextEdit::singleline(&mut rule.extension)
                                    .hint_text("html")
                                    .desired_width(80.0),
                            )
                            .labelled_by(extension);
                            ui.add(
                                egui::TextEdit::singleline(&mut rule.command)
                                    .hint_text("code --wait")
                                    .desired_width(300.0),
                            )
                            .labelled_by(command);
                            if ui.button("Remove").clicked() {
                                remove = Some(at);
                            }
                            ui.end_row();
                        }
                    });
                if let Some(at) = remove {
                    s.editors.remove(at);
                }
                if ui.button("Add an editor").clicked() {
                    s.editors.push(EditorRule::default());
                }
                ui.weak(
                    "View/Edit downloads a copy to a private folder and opens it in the editor \
                     for its extension, or in the desktop's default application. When it is \
                     saved, the window offers to upload it, and asks again if the server's file \
                     changed since it was opened. Copies are removed when Skiff closes, except \
                     edits not uploaded yet.",
                );
            }
            Page::Logging => {
                ui.heading("Logging");
                ui.checkbox(&mut s.log_timestamps, "Show timestamps in the message log");
                ui.add_space(8.0);
                ui.checkbox(&mut s.log_to_file, "Log to file");
                ui.add_enabled_ui(s.log_to_file, |ui| {
                    grid(ui, "settings-log-file", |ui| {
                        let path = labelled(ui, "Filename:", |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut self.texts.log_path)
                                    .hint_text("skiff.log in the settings folder")
                                    .desired_width(320.0),
                            )
                        });
                        if path.changed() {
                            let text = self.texts.log_path.trim();
                            s.log_file_path =
                                (!text.is_empty()).then(|| std::path::PathBuf::from(text));
                        }
                        labelled(ui, "Limit size of the log file (MiB):", |ui| {
                            ui.add(egui::DragValue::new(&mut s.log_file_max_mib).range(1..=1024))
                        });
                    });
                });
                ui.weak(
                    "Every line of the message log, with its date and time (UTC); passwords \
                     are masked as in the pane. When the file reaches the limit it is renamed \
                     by adding \".1\" to its name (replacing an older one) and a new file is \
                     started.",
                );
            }
            Page::Passwords => {
                ui.heading("Passwords");
                ui.label("Saved passwords of the Site Manager are kept in:");
                for kind in StoreKind::ALL {
                    ui.radio_value(&mut s.password_store, kind, kind.to_string());
                }
                ui.add_space(6.0);
                ui.weak(
                    "Never in a config file in plaintext. The master-password store is \
                     an encrypted file (Argon2id, XChaCha20-Poly1305) beside sites.toml; \
                     its password is asked once per session. Passwords already saved \
                     stay in the store they were saved in.",
                );
            }
        }
    }
}

pub fn exists_label(policy: ExistsPolicy) -> &'static str {
    EXISTS_POLICIES
        .iter()
        .find(|(p, _)| *p == policy)
        .map_or("Refuse (fail the transfer)", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_are_kib_per_second_and_zero_is_unlimited() {
        assert_eq!(parse_kib(""), Ok(None));
        assert_eq!(parse_kib("0"), Ok(None));
        assert_eq!(parse_kib("500"), Ok(Some(512_000)));
        assert!(parse_kib("fast").is_err());
    }

    #[test]
    fn a_bad_port_range_blocks_ok() {
        let mut window = SettingsWindow::new(Settings::default());
        assert!(window.errors().is_empty());
        window.texts.range = "60000-50000".into();
        assert_eq!(window.errors().len(), 1);
    }

    #[test]
    fn a_replacement_that_is_itself_invalid_blocks_ok() {
        let mut window = SettingsWindow::new(Settings::default());
        assert_eq!(window.texts.replacement, "_");
        for bad in ["/", ":", "", "ab", "."] {
            window.texts.replacement = bad.into();
            let errors = window.errors();
            assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
        }
        window.texts.replacement = "-".into();
        assert!(window.errors().is_empty());
    }
}
