//! The window's layout, drawn from `SkiffApp`'s state, laid out like FileZilla: menu bar,
//! toolbar, quickconnect bar, message log, the local and the remote pane side by side, the
//! transfer queue, the status bar; then the keys, the windows and the dialogs. Drawing only
//! collects `UiAction`s; `commands.rs` carries them out once the frame is drawn.

use std::path::PathBuf;

use eframe::egui;

use super::SkiffApp;
use crate::gui::actions::{Side, UiAction};
use crate::gui::dialogs::{self, Dialog, Outcome};
use crate::gui::file_table::{ROW_HEIGHT, TableContext, file_table_ui};
use crate::gui::queue_view::QueueTab;
use crate::gui::{human_size, log_pane, queue_pane, tree_ui};
use crate::remote::Server;
use crate::visible::visible;

impl SkiffApp {
    /// Draws the whole window and carries out what the user asked for, after drawing.
    pub(super) fn window_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.styled {
            crate::gui::theme::install(&ctx);
            self.styled = true;
        }
        ctx.set_theme(match self.cfg.settings.theme {
            crate::sites::settings::Theme::System => egui::ThemePreference::System,
            crate::sites::settings::Theme::Light => egui::ThemePreference::Light,
            crate::sites::settings::Theme::Dark => egui::ThemePreference::Dark,
        });
        let mut actions = Vec::new();
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui, &mut actions));
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut actions));
        egui::Panel::top("quickconnect").show(ui, |ui| self.quickconnect_ui(ui, &mut actions));
        // The log and the queue start at a share of the window's height and never take
        // more than a third each, so the file lists keep their rows in a small window
        // (eight at 900×600); within that, each keeps the height the user drags it to.
        let height = ui.available_height();
        let share = |part: f32, least: f32, most: f32| (height * part).clamp(least, most);
        if self.prefs.show_log {
            egui::Panel::top("log")
                .resizable(true)
                .default_size(share(0.13, 60.0, 160.0))
                .min_size(60.0)
                .max_size(share(0.34, 60.0, f32::INFINITY))
                .show(ui, |ui| {
                    log_pane::log_ui(
                        ui,
                        &self.model,
                        &mut self.log_view,
                        &mut self.prefs.log_kinds,
                        self.cfg.settings.log_timestamps,
                        &mut actions,
                    )
                });
        }
        if self.prefs.compare && self.server.is_some() {
            egui::Panel::top("comparison-legend").show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    comparison_legend_ui(ui, &mut self.prefs.hide_identical)
                });
            });
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.prefs.show_queue {
            egui::Panel::bottom("queue")
                .resizable(true)
                .default_size(share(0.16, 80.0, 220.0))
                .min_size(80.0)
                .max_size(share(0.34, 80.0, f32::INFINITY))
                .show(ui, |ui| {
                    queue_pane::queue_ui(
                        ui,
                        &self.model.queue,
                        &mut self.queue_tab,
                        self.processing,
                        &mut actions,
                    );
                });
        }
        egui::Panel::top("tabs").show(ui, |ui| self.tab_bar_ui(ui, &mut actions));
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                // The same margins on both sides, so the two path bars line up.
                let frame = egui::Frame::new()
                    .inner_margin(6)
                    .fill(ui.visuals().panel_fill);
                // The split between the panes is a share of the width (half, until the
                // user drags it): when the window changes size, both panes change with it.
                let width = ui.available_width();
                let resized = (self.split_width - width).abs() > 0.5;
                let least = 200.0_f32.min(width / 2.0);
                let panel = egui::Panel::left("local-pane").resizable(true).frame(frame);
                let panel = match resized {
                    true => {
                        let share = self.prefs.local_share.clamp(0.1, 0.9);
                        panel.exact_size((width * share).clamp(least, width - least).round())
                    }
                    false => panel.size_range(least..=(width - least)),
                };
                let shown = panel.show(ui, |ui| self.pane_ui(ui, Side::Local, &mut actions));
                if !resized && width > 0.0 {
                    self.prefs.local_share = shown.response.rect.width() / width;
                }
                self.split_width = width;
                egui::CentralPanel::default()
                    .frame(frame)
                    .show(ui, |ui| self.pane_ui(ui, Side::Remote, &mut actions));
            });
        // Files dropped from the desktop's file manager upload to the remote folder shown.
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() {
            actions.push(UiAction::UploadDropped(dropped));
        }
        self.keys(&ctx, &mut actions);
        self.windows_ui(&ctx);
        self.filters_ui(&ctx);
        self.bookmarks_ui(&ctx);
        self.diagnose_ui(&ctx);
        self.custom_command_ui(&ctx);
        self.synchronize_ui(&ctx);
        self.search_ui(&ctx);
        self.dialogs_ui(&ctx, &mut actions);
        self.run_actions(&ctx, actions);
    }

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Site Manager…").shortcut_text("Ctrl+S"))
                    .clicked()
                {
                    actions.push(UiAction::OpenSiteManager);
                }
                ui.separator();
                if ui
                    .add(egui::Button::new("New tab").shortcut_text("Ctrl+T"))
                    .clicked()
                {
                    actions.push(UiAction::NewTab);
                }
                if ui
                    .add(egui::Button::new("Close tab").shortcut_text("Ctrl+W"))
                    .clicked()
                {
                    actions.push(UiAction::CloseTab(self.tabs.active));
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.server.is_some(),
                        egui::Button::new("Copy current connection to Site Manager…"),
                    )
                    .clicked()
                {
                    actions.push(UiAction::CopyToSiteManager);
                }
                ui.add_enabled_ui(!self.prefs.recent.is_empty(), |ui| {
                    ui.menu_button("Recent servers", |ui| {
                        for recent in &self.prefs.recent {
                            if ui.button(recent).clicked() {
                                actions.push(UiAction::OpenRecent(recent.clone()));
                                ui.close();
                            }
                        }
                    });
                });
                ui.separator();
                // The Site Manager edits a copy of the sites: an import waits until it closes.
                let manager_closed = self.cfg.manager.is_none();
                if ui
                    .add_enabled(manager_closed, egui::Button::new("Import…"))
                    .on_hover_text("Sites from FileZilla's sitemanager.xml (or an export), or its bookmarks.xml")
                    .on_disabled_hover_text("Close the Site Manager first")
                    .clicked()
                {
                    actions.push(UiAction::ImportSites);
                }
                if ui
                    .button("Export…")
                    .on_hover_text("The Site Manager's sites as a file FileZilla imports")
                    .clicked()
                {
                    actions.push(UiAction::ExportSites);
                }
                ui.separator();
                if ui.button("Choose local folder…").clicked() {
                    actions.push(UiAction::ChooseLocalFolder);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    actions.push(UiAction::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui.button("Settings…").clicked() {
                    actions.push(UiAction::OpenSettings);
                }
            });
            ui.menu_button("View", |ui| {
                let mut log = self.prefs.show_log;
                if ui.checkbox(&mut log, "Message log").clicked() {
                    actions.push(UiAction::ToggleLog);
                }
                let mut queue = self.prefs.show_queue;
                if ui.checkbox(&mut queue, "Transfer queue").clicked() {
                    actions.push(UiAction::ToggleQueue);
                }
                let mut trees = self.prefs.show_trees;
                if ui.checkbox(&mut trees, "Directory trees").clicked() {
                    actions.push(UiAction::ToggleTrees);
                }
                ui.separator();
                ui.add_enabled(
                    self.server.is_some(),
                    egui::Checkbox::new(&mut self.prefs.compare, "Directory comparison"),
                )
                .on_hover_text("Mark each row by how it compares with the other side's folder");
                ui.add_enabled(
                    self.prefs.compare,
                    egui::Checkbox::new(&mut self.prefs.hide_identical, "Hide identical files"),
                );
                let mut synced = self.sync_browsing();
                if ui
                    .add_enabled(
                        self.server.is_some(),
                        egui::Checkbox::new(&mut synced, "Synchronized browsing"),
                    )
                    .clicked()
                {
                    actions.push(UiAction::SetSyncBrowsing(synced));
                }
                ui.separator();
                if ui.button("Filename filters…").clicked() {
                    actions.push(UiAction::OpenFilters);
                    ui.close();
                }
                let mut filters_on = self.filters_on();
                if ui
                    .checkbox(&mut filters_on, "Filename filters on")
                    .on_hover_text("Toggle filename filters: all off, or on again as ticked")
                    .clicked()
                {
                    actions.push(UiAction::SetFiltersOn(filters_on));
                }
                ui.separator();
                let mut stamps = self.cfg.settings.log_timestamps;
                if ui.checkbox(&mut stamps, "Timestamps in the log").clicked() {
                    actions.push(UiAction::SetLogTimestamps(stamps));
                }
                ui.menu_button("Theme", |ui| {
                    use crate::sites::settings::Theme;
                    for (theme, name) in [
                        (Theme::System, "Follow the desktop"),
                        (Theme::Light, "Light"),
                        (Theme::Dark, "Dark"),
                    ] {
                        if ui.radio(self.cfg.settings.theme == theme, name).clicked() {
                            actions.push(UiAction::SetTheme(theme));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                if ui.button("Refresh (F5)").clicked() {
                    actions.push(UiAction::Refresh(self.active));
                }
            });
            ui.menu_button("Transfer", |ui| {
                let label = if self.processing {
                    "Stop processing the queue"
                } else {
                    "Process the queue"
                };
                if ui.button(label).clicked() {
                    actions.push(UiAction::ProcessQueue(!self.processing));
                }
                ui.separator();
                if ui
                    .add_enabled(self.server.is_some(), egui::Button::new("Synchronize…"))
                    .on_hover_text(
                        "Make a local folder a copy of a server folder, or the other way round, \
                         after a preview of every change",
                    )
                    .clicked()
                {
                    actions.push(UiAction::Synchronize);
                }
                ui.separator();
                if ui.button("Export queue…").clicked() {
                    actions.push(UiAction::ExportQueue);
                }
                if ui.button("Import queue…").clicked() {
                    actions.push(UiAction::ImportQueue);
                }
                ui.menu_button("Action after queue completes", |ui| {
                    for after in crate::gui::notification::AfterQueue::ALL {
                        if ui
                            .radio(self.queue_tools.after == after, after.label())
                            .clicked()
                        {
                            actions.push(UiAction::SetAfterQueue(after));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                ui.menu_button("Transfer type", |ui| {
                    use crate::engine::TransferMode;
                    for (mode, name) in [
                        (TransferMode::Binary, "Binary"),
                        (TransferMode::Ascii, "ASCII"),
                        (TransferMode::Auto, "Auto (text files as ASCII)"),
                    ] {
                        if ui.radio(self.prefs.transfer_mode == mode, name).clicked() {
                            actions.push(UiAction::SetTransferMode(mode));
                            ui.close();
                        }
                    }
                });
                ui.menu_button("Default mode", |ui| {
                    use crate::net::DataMode;
                    ui.weak("For the next connection");
                    for (mode, name) in [
                        (DataMode::Passive, "Passive (recommended)"),
                        (DataMode::Active, "Active"),
                        (DataMode::Auto, "Passive, falling back to active"),
                    ] {
                        let current = match self.cfg.settings.data_mode {
                            DataMode::Passive if self.cfg.settings.passive_fallback => {
                                DataMode::Auto
                            }
                            mode => mode,
                        };
                        if ui.radio(current == mode, name).clicked() {
                            actions.push(UiAction::SetDataMode(mode));
                            ui.close();
                        }
                    }
                });
            });
            ui.menu_button("Server", |ui| {
                let connected = self.server.is_some();
                if ui
                    .add_enabled(connected, egui::Button::new("Disconnect"))
                    .clicked()
                {
                    actions.push(UiAction::Disconnect);
                }
                if ui
                    .add_enabled(self.server_url.is_some(), egui::Button::new("Reconnect"))
                    .clicked()
                {
                    actions.push(UiAction::Reconnect);
                }
                ui.separator();
                if ui
                    .add_enabled(connected, egui::Button::new("Diagnose connection…"))
                    .on_hover_text(
                        "Try every data-connection method with this server and say which works",
                    )
                    .clicked()
                {
                    actions.push(UiAction::Diagnose);
                }
                // After Diagnose, whose place the screenshot scripts click.
                if ui
                    .add_enabled(
                        connected,
                        egui::Button::new("Search remote files…").shortcut_text("F3"),
                    )
                    .clicked()
                {
                    actions.push(UiAction::SearchRemote);
                }
                if ui
                    .add_enabled(connected, egui::Button::new("Enter custom command…"))
                    .on_hover_text("Send a command as typed; the reply is in the message log")
                    .clicked()
                {
                    actions.push(UiAction::EnterCustomCommand);
                }
            });
            ui.menu_button("Bookmarks", |ui| self.bookmarks_menu_ui(ui, actions));
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    actions.push(UiAction::Shortcuts);
                }
                if ui.button("Open the settings folder").clicked() {
                    actions.push(UiAction::OpenConfigFolder);
                }
                ui.separator();
                if ui.button("About Skiff").clicked() {
                    actions.push(UiAction::About);
                }
            });
        });
    }

    /// Bookmarks: add and manage, then the connected site's own, then the global ones,
    /// as FileZilla's menu.
    fn bookmarks_menu_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
        if ui
            .add(egui::Button::new("Add bookmark…").shortcut_text("Ctrl+B"))
            .clicked()
        {
            actions.push(UiAction::AddBookmark);
            ui.close();
        }
        if ui.button("Manage bookmarks…").clicked() {
            actions.push(UiAction::ManageBookmarks);
            ui.close();
        }
        for list in [self.site_bookmarks(), self.global_bookmarks()] {
            if list.is_empty() {
                continue;
            }
            ui.separator();
            for bookmark in list {
                if ui
                    .button(format!("🔖 {}", bookmark.name))
                    .on_hover_text(bookmark_places(bookmark))
                    .clicked()
                {
                    actions.push(UiAction::OpenBookmark(Box::new(bookmark.clone())));
                    ui.close();
                }
            }
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            if ui
                .button("🗄 Site Manager")
                .on_hover_text("Open the Site Manager (Ctrl+S)")
                .clicked()
            {
                actions.push(UiAction::OpenSiteManager);
            }
            ui.separator();
            if ui
                .button("⟳ Refresh")
                .on_hover_text("Refresh both folders (F5)")
                .clicked()
            {
                actions.push(UiAction::Refresh(Side::Local));
                actions.push(UiAction::Refresh(Side::Remote));
            }
            let (label, hint) = if self.processing {
                ("⏹ Stop queue", "Stop taking new items from the queue")
            } else {
                ("▶ Process queue", "Start transferring the queued files")
            };
            if ui.button(label).on_hover_text(hint).clicked() {
                actions.push(UiAction::ProcessQueue(!self.processing));
            }
            if ui
                .button("✖ Cancel all")
                .on_hover_text("Cancel every queued and running transfer")
                .clicked()
            {
                actions.push(UiAction::CancelAll);
            }
            ui.separator();
            if ui
                .add_enabled(self.server.is_some(), egui::Button::new("⏏ Disconnect"))
                .clicked()
            {
                actions.push(UiAction::Disconnect);
            }
            if ui
                .add_enabled(self.server_url.is_some(), egui::Button::new("↺ Reconnect"))
                .clicked()
            {
                actions.push(UiAction::Reconnect);
            }
            ui.separator();
            ui.toggle_value(&mut self.prefs.show_log, "Log");
            ui.toggle_value(&mut self.prefs.show_queue, "Queue");
            ui.separator();
            ui.add_enabled_ui(self.server.is_some(), |ui| {
                let mut synced = self.sync_browsing();
                if ui
                    .toggle_value(&mut synced, "⇅ Sync browse")
                    .on_hover_text(
                        "Synchronized browsing: entering a folder on one side enters the same \
                         folder on the other (View > Synchronized browsing)",
                    )
                    .clicked()
                {
                    actions.push(UiAction::SetSyncBrowsing(synced));
                }
                ui.toggle_value(&mut self.prefs.compare, "⇆ Compare")
                    .on_hover_text(
                        "Directory comparison: mark each row by how it compares with the \
                         other side's folder (View > Directory comparison)",
                    );
            });
            ui.separator();
            let mut filters_on = self.filters_on();
            if ui
                .toggle_value(&mut filters_on, "Filters")
                .on_hover_text(
                    "Toggle filename filters: all off, or on again as ticked \
                     (View > Filename filters…)",
                )
                .clicked()
            {
                actions.push(UiAction::SetFiltersOn(filters_on));
            }
        });
    }

    fn quickconnect_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            let label = ui.label("Host:");
            let host = ui
                .add(
                    egui::TextEdit::singleline(&mut self.quick.host)
                        .hint_text("ftp.example.com or ftpes://…")
                        .desired_width(190.0),
                )
                .labelled_by(label.id);
            let label = ui.label("Username:");
            let user = ui
                .add(egui::TextEdit::singleline(&mut self.quick.user).desired_width(110.0))
                .labelled_by(label.id);
            let label = ui.label("Password:");
            let pass = ui
                .add(
                    egui::TextEdit::singleline(&mut self.quick.password)
                        .password(true)
                        .desired_width(110.0),
                )
                .labelled_by(label.id);
            let label = ui.label("Port:");
            let port = ui
                .add(egui::TextEdit::singleline(&mut self.quick.port).desired_width(45.0))
                .labelled_by(label.id);
            let enter = [host, user, pass, port].iter().any(|r| r.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Quickconnect").clicked() || enter {
                actions.push(UiAction::Quickconnect);
            }
            ui.add_enabled_ui(!self.prefs.recent.is_empty(), |ui| {
                ui.menu_button("⏷", |ui| {
                    ui.label("Recent servers");
                    for recent in &self.prefs.recent {
                        if ui.button(recent).clicked() {
                            actions.push(UiAction::OpenRecent(recent.clone()));
                            ui.close();
                        }
                    }
                })
                .response
                .on_hover_text("Recent servers");
            });
            if let Some(err) = &self.quick_error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
        });
    }

    fn pane_ui(&mut self, ui: &mut egui::Ui, side: Side, actions: &mut Vec<UiAction>) {
        let browsable = self.browsable(side);
        // Where this pane's files go: the other side's folder, while it can take them.
        let other_dir = self
            .browsable(side.other())
            .then(|| self.pane(side.other()).files.path.clone());
        let show_trees = self.prefs.show_trees;
        let edits = side == Side::Remote && self.model.connected;
        let places: &[crate::gui::places::Place] = match side {
            Side::Local => &self.places,
            Side::Remote => &[],
        };
        let pane = self.model.pane_mut(side);
        ui.horizontal(|ui| {
            let label = ui.label(side.path_label());
            if ui
                .add_enabled(pane.files.has_back(), egui::Button::new("⬅"))
                .on_hover_text("Back")
                .clicked()
            {
                actions.push(UiAction::Back(side));
            }
            if ui
                .button("⬆")
                .on_hover_text("Parent folder (Backspace)")
                .clicked()
            {
                actions.push(UiAction::Up(side));
            }
            let text = &mut pane.path_text;
            let edit = ui
                .add_enabled(
                    browsable,
                    egui::TextEdit::singleline(text).desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                // Typed text, in the bytes of this side's charset.
                match pane.charset.encode(text) {
                    Ok(path) => actions.push(UiAction::Open(side, path)),
                    Err(err) => pane.files.error = Some(err.to_string()),
                }
            }
        });
        let files = &mut pane.files;
        ui.horizontal(|ui| {
            let mut filter = files.filter().to_owned();
            let label = ui.label("🔎");
            ui.add(
                egui::TextEdit::singleline(&mut filter)
                    .hint_text("Filter names")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            files.set_filter(&filter);
            if files.loading {
                ui.spinner();
            }
            let selected = files.selection_len();
            let summary = match (selected, files.len()) {
                (0, 1) => "1 entry".to_owned(),
                (0, shown) => format!("{shown} entries"),
                (selected, shown) => format!("{selected} of {shown} selected"),
            };
            ui.weak(summary);
            let hidden = files.hidden_by_filters();
            if hidden > 0 {
                ui.weak(format!("{hidden} hidden by filters"))
                    .on_hover_text("View > Filename filters… says which rules hide them");
            }
        });
        if let Some(err) = &files.error {
            ui.colored_label(ui.visuals().error_fg_color, visible(err));
        }
        if !browsable {
            welcome_ui(ui, actions);
            return;
        }
        if show_trees {
            let current = pane.files.path.clone();
            // A third of the pane at first; never so much that the file list loses its rows.
            let height = ui.available_height();
            egui::Panel::top(("tree-panel", side))
                .resizable(true)
                .default_size((height * 0.35).clamp(40.0, 220.0))
                .min_size(40.0)
                // Eight rows and the header, each a row's height plus the spacing.
                .max_size(
                    (height - 9.0 * (ROW_HEIGHT + ui.spacing().item_spacing.y) - 12.0).max(40.0),
                )
                .show(ui, |ui| {
                    let decoder = pane.decoder();
                    tree_ui::tree_ui(ui, &mut pane.tree, &current, side, places, decoder, actions);
                });
        }
        let files = &mut pane.files;
        if files.is_empty() && !files.loading && files.error.is_none() {
            ui.weak(if !files.filter().is_empty() {
                "No names match the filter."
            } else if files.hidden_by_filters() > 0 {
                "Every entry is hidden by filename filters."
            } else {
                "This folder is empty."
            });
        }
        let cx = TableContext {
            side,
            other_dir: other_dir.as_deref(),
            edits,
            double_click_edits: self.cfg.settings.remote_double_click
                == crate::sites::settings::DoubleClick::ViewEdit,
        };
        if file_table_ui(ui, files, &cx, actions) {
            self.active = side;
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match (&self.server, &self.server_url) {
                (Some(server), Some(url)) => {
                    // A dialog that must be answered before the logon goes on.
                    let asking = matches!(
                        self.dialog,
                        Some(
                            Dialog::TrustHostKey { .. }
                                | Dialog::HostKeyChanged { .. }
                                | Dialog::TrustCertificate { .. }
                                | Dialog::CertificateChanged { .. }
                                | Dialog::Questions { .. }
                                | Dialog::SftpPassword { .. }
                        )
                    );
                    let state = if self.model.connected {
                        "Connected to"
                    } else if asking {
                        "Waiting for your answer to connect to"
                    } else if self.model.remote.files.error.is_some() {
                        "Could not connect to"
                    } else {
                        "Connecting to"
                    };
                    ui.label(format!("{state} {}", url.host_port()));
                    ui.separator();
                    ui.label(security_text(server, self.model.capabilities.as_deref()));
                    if let Some(ftp) = server.ftp_settings() {
                        ui.separator();
                        ui.label(match ftp.data.mode {
                            crate::net::DataMode::Passive => "Passive mode",
                            crate::net::DataMode::Active => "Active mode",
                            crate::net::DataMode::Auto => "Passive mode, active as fallback",
                        });
                    }
                }
                _ => {
                    ui.label("Not connected");
                }
            }
            ui.separator();
            let queue = &self.model.queue;
            ui.label(format!(
                "Queue: {} ({})",
                queue.count(QueueTab::Queued),
                human_size(queue.bytes_left())
            ));
            let rate = queue.total_rate();
            if rate > 0.0 {
                ui.separator();
                ui.label(format!("{}/s", human_size(rate as u64)));
            }
        });
    }

    fn keys(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        // A text field with the focus keeps its keys (Backspace edits, Enter submits).
        if ctx.egui_wants_keyboard_input()
            || self.dialog.is_some()
            || self.cfg.manager.is_some()
            || self.cfg.settings_window.is_some()
            || self.filters_window.is_some()
            || self.diagnose.is_some()
            || self.search.window.is_some()
            || self.custom_command.is_some()
            || self.bookmark_dialog_open()
        {
            return;
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F3)) {
            actions.push(UiAction::SearchRemote);
            return;
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            actions.push(UiAction::OpenSiteManager);
            return;
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::B)) {
            actions.push(UiAction::AddBookmark);
            return;
        }
        if let Some(action) = ctx.input_mut(|i| tab_key(i, self.tabs.active)) {
            actions.push(action);
            return;
        }
        let side = self.active;
        let pane = &mut self.model.pane_mut(side).files;
        ctx.input_mut(|i| {
            if i.consume_key(egui::Modifiers::NONE, egui::Key::F5) {
                actions.push(UiAction::Refresh(side));
            }
            if i.consume_key(egui::Modifiers::COMMAND, egui::Key::A) {
                pane.select_all();
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown) {
                pane.move_cursor(1, false);
            }
            if i.consume_key(egui::Modifiers::SHIFT, egui::Key::ArrowDown) {
                pane.move_cursor(1, true);
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp) {
                pane.move_cursor(-1, false);
            }
            if i.consume_key(egui::Modifiers::SHIFT, egui::Key::ArrowUp) {
                pane.move_cursor(-1, true);
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Backspace) {
                actions.push(UiAction::Up(side));
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Enter)
                && let Some(entry) = pane.cursor_row().and_then(|r| pane.row(r))
                && entry.is_dir()
            {
                actions.push(UiAction::Open(
                    side,
                    crate::proto::path::join(&pane.path, &entry.name),
                ));
            }
            let selection: Vec<_> = pane.selected_entries().cloned().collect();
            if i.consume_key(egui::Modifiers::NONE, egui::Key::Delete) && !selection.is_empty() {
                actions.push(UiAction::AskDelete(side, selection.clone()));
            }
            if i.consume_key(egui::Modifiers::NONE, egui::Key::F2)
                && let [one] = selection.as_slice()
            {
                actions.push(UiAction::AskRename(side, one.clone()));
            }
        });
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        if self.dialog.is_none()
            && let Some(info) = self.model.untrusted_certificate.take()
        {
            self.dialog = Some(Dialog::TrustCertificate {
                info,
                can_save: self.trust_store.is_some(),
            });
        }
        if self.dialog.is_none()
            && let Some(key) = self.model.unknown_host_key.take()
        {
            self.dialog = Some(Dialog::TrustHostKey {
                key,
                can_save: self.known_hosts_file().is_some(),
            });
        }
        if self.dialog.is_none()
            && let Some((key, known_fingerprint)) = self.model.changed_host_key.take()
        {
            self.dialog = Some(Dialog::HostKeyChanged {
                key,
                known_fingerprint,
                checked: false,
            });
        }
        if self.dialog.is_none()
            && let Some(questions) = self.questions.next()
        {
            let answers = vec![String::new(); questions.prompts.len()];
            self.dialog = Some(Dialog::Questions { questions, answers });
        }
        if self.dialog.is_none() {
            self.dialog = self.next_dialog.take();
        }
        if self.dialog.is_none()
            && let Some((info, trusted_sha256)) = self.model.changed_certificate.take()
        {
            self.dialog = Some(Dialog::CertificateChanged {
                info,
                trusted_sha256,
                checked: false,
            });
        }
        if std::mem::take(&mut self.model.tls_refused) {
            self.ask_plain_ftp();
        }
        if self.dialog.is_none() && self.model.login_refused.take().is_some() {
            self.ask_sftp_password();
        }
        if let Some(err) = self.model.op_error.take() {
            self.dialog = Some(Dialog::Error {
                title: "The operation failed".into(),
                text: err,
            });
        }
        if let Some(dialog) = &mut self.dialog {
            match dialogs::dialog_ui(ctx, dialog) {
                Outcome::Open => {}
                Outcome::Closed => self.dialog = None,
                Outcome::Done(action) => {
                    self.dialog = None;
                    actions.push(action);
                }
            }
        } else if let Some(question) = self.model.questions.front() {
            let waiting = self.model.questions.len() - 1;
            if let Some(answer) =
                dialogs::exists_ui(ctx, question, &mut self.exists_choice, waiting)
            {
                self.model.questions.pop_front();
                actions.push(answer);
            }
        }
    }
}

/// A bookmark's folders, for its menu item's hover text.
fn bookmark_places(bookmark: &crate::sites::bookmark::Bookmark) -> String {
    let local = bookmark
        .local_dir
        .as_ref()
        .map(|d| format!("Local: {}", d.display()));
    let remote = bookmark.remote_dir.as_ref().map(|d| format!("Remote: {d}"));
    local
        .into_iter()
        .chain(remote)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The remote pane before any connection (and on first run): the two ways in.
/// What the comparison's marks mean, and its "hide identical" switch.
fn comparison_legend_ui(ui: &mut egui::Ui, hide_identical: &mut bool) {
    use crate::gui::comparison::Mark;
    ui.strong("Directory comparison:");
    for mark in Mark::ALL {
        crate::gui::file_table::mark_ui(ui, mark);
        ui.weak(mark.words());
    }
    ui.checkbox(hide_identical, "Hide identical");
}

fn welcome_ui(ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading("Not connected to any server");
        ui.add_space(8.0);
        ui.label("Quickconnect: type a host (or an ftp://, ftps:// or sftp:// URL), your user");
        ui.label("name and password in the bar above and press Quickconnect.");
        ui.add_space(8.0);
        ui.label("Servers you use often: save them in the Site Manager (Ctrl+S), with their");
        ui.label("own protocol, transfer mode, port range and charset; passwords are kept");
        ui.label("in the system keyring or an encrypted file, never in plain text.");
        ui.add_space(6.0);
        if ui.button("Open the Site Manager…").clicked() {
            actions.push(UiAction::OpenSiteManager);
        }
        ui.add_space(8.0);
        ui.weak("Then drag files between the two sides to upload or download them,");
        ui.weak("or drop files from your desktop here.");
    });
}

/// The status bar's word on encryption: what the session has once logged on (with the TLS
/// version negotiated), what is asked for before.
fn security_text(server: &Server, capabilities: Option<&crate::remote::Capabilities>) -> String {
    use crate::net::tls::TlsMode;
    use crate::remote::Security;
    let asked = match server.ftp_settings().map(|ftp| ftp.tls.mode) {
        Some(TlsMode::Explicit) => "FTP over explicit TLS",
        Some(TlsMode::Implicit) => "FTP over implicit TLS",
        Some(TlsMode::ExplicitIfAvailable) => "TLS if available",
        Some(TlsMode::None) | None => "Not encrypted",
    };
    match capabilities.map(|c| &c.security) {
        Some(Security::Tls { description, .. }) => {
            // rustls names the version `TLSv1_3`; people read "TLS 1.3".
            let version = description.split(',').next().unwrap_or_default();
            let version = version.replace("TLSv1_", "TLS 1.");
            let kind = match server.ftp_settings().map(|ftp| ftp.tls.mode) {
                Some(TlsMode::Implicit) => "FTP over implicit TLS",
                _ => "FTP over explicit TLS",
            };
            format!("🔒 {kind} ({version})")
        }
        Some(Security::Ssh { .. }) => "🔒 SFTP (SSH)".to_owned(),
        Some(Security::None) => "🔓 Not encrypted".to_owned(),
        None if server.ssh_settings().is_some() => "🔒 SFTP (SSH)".to_owned(),
        None if asked == "Not encrypted" => "🔓 Not encrypted".to_owned(),
        None if asked == "TLS if available" => asked.to_owned(),
        None => format!("🔒 {asked}"),
    }
}

/// Ctrl+T, Ctrl+W, Ctrl+Tab and Ctrl+Shift+Tab: the tabs' keys.
fn tab_key(input: &mut egui::InputState, active: usize) -> Option<UiAction> {
    let command_shift = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
    // With Shift first: a plain Ctrl+Tab would match it too.
    if input.consume_key(command_shift, egui::Key::Tab) {
        Some(UiAction::CycleTab { back: true })
    } else if input.consume_key(egui::Modifiers::COMMAND, egui::Key::Tab) {
        Some(UiAction::CycleTab { back: false })
    } else if input.consume_key(egui::Modifiers::COMMAND, egui::Key::T) {
        Some(UiAction::NewTab)
    } else if input.consume_key(egui::Modifiers::COMMAND, egui::Key::W) {
        Some(UiAction::CloseTab(active))
    } else {
        None
    }
}
