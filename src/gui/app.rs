//! The window, laid out like FileZilla: menu bar, toolbar, quickconnect bar, message log,
//! the local and the remote pane side by side, the transfer queue, the status bar.
//!
//! `logic()` drains the engine's events (and the local folder jobs) into the model; `ui()`
//! draws and collects `UiAction`s; `commands.rs` carries them out after drawing. Nothing
//! here waits on the network or the disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use eframe::egui;

use crate::engine::{EngineEvents, EngineHandle};
use crate::gui::actions::{Side, UiAction};
use crate::gui::dialogs::{self, Dialog, ExistsChoice, Outcome};
use crate::gui::file_table::{TableContext, file_table_ui};
use crate::gui::model::Model;
use crate::gui::pane::FilePane;
use crate::gui::prefs::Prefs;
use crate::gui::queue_view::QueueTab;
use crate::gui::tree::DirTree;
use crate::gui::{human_size, log_pane, queue_pane};
use crate::remote::Server;
use crate::url::FtpUrl;

/// Events handled per frame, so a burst cannot stall drawing; the rest wait a frame.
const EVENTS_PER_FRAME: usize = 2_000;

#[derive(Debug, Default, Clone)]
pub struct Quickconnect {
    pub host: String,
    pub user: String,
    pub password: String,
    pub port: String,
}

/// What a local job (run on the blocking pool) sends back.
pub(crate) enum LocalDone {
    Listing {
        request: u64,
        path: PathBuf,
        result: std::io::Result<Vec<crate::proto::listing::Entry>>,
    },
    /// A create/rename/delete finished: refresh, and show the error if any.
    Operation(Result<(), String>),
    /// Desktop files dropped onto the window, looked at: (path, is a folder, size).
    Dropped(Vec<(PathBuf, bool, Option<u64>)>),
    /// A folder picked in the native dialog.
    Chosen(PathBuf),
    /// The trust store after a certificate was saved in it (or why it could not be).
    TrustSaved(Result<crate::sites::trust::TrustStore, String>),
    /// A folder listed for the local tree only.
    TreeListing {
        path: PathBuf,
        result: std::io::Result<Vec<crate::proto::listing::Entry>>,
    },
    SitesSaved(Result<(), String>),
    SettingsSaved(Result<(), String>),
    /// The password store, opened (or why not).
    StoreOpened(
        Result<
            crate::sites::credentials::PasswordStore,
            crate::sites::credentials::CredentialError,
        >,
    ),
    StoreDone(crate::gui::site_connect::StoreDone),
    /// A folder picked with Browse… for a site's default local folder.
    SiteFolderChosen {
        site: String,
        dir: PathBuf,
    },
}

/// How the window starts.
#[derive(Default)]
pub struct AppOptions {
    /// Connect at once (`skiff ftp://...`).
    pub url: Option<String>,
    /// The local folder shown first (else the last one, else the home folder).
    pub local_dir: Option<PathBuf>,
    pub prefs: Prefs,
    /// Certificates the user trusted (shared with the CLI), loaded before the window opens.
    pub trust_store: Option<crate::sites::trust::TrustStore>,
    /// Where `sites.toml`, `settings.toml` and `passwords.vault` are; `None`: the OS config
    /// folder (`sites::config_dir()`). Tests give a temporary folder.
    pub config_dir: Option<PathBuf>,
    /// The config files, when already read (`run` reads them before the engine starts, to
    /// give it the settings); else they are read from `config_dir`.
    pub config: Option<crate::gui::config::AppConfig>,
}

pub struct SkiffApp {
    pub(crate) engine: EngineHandle,
    events: EngineEvents,
    pub(crate) model: Model,
    pub(crate) quick: Quickconnect,
    pub(crate) quick_error: Option<String>,
    /// The server connected to: what every remote command and transfer goes to.
    pub(crate) server: Option<Arc<Server>>,
    pub(crate) server_url: Option<FtpUrl>,
    pub(crate) local: FilePane,
    pub(crate) local_tree: DirTree,
    pub(crate) local_request: u64,
    pub(crate) local_tx: mpsc::Sender<LocalDone>,
    local_rx: mpsc::Receiver<LocalDone>,
    /// Wakes the UI when a local job is done.
    pub(crate) wake: Arc<dyn Fn() + Send + Sync>,
    pub(crate) next_request: u64,
    /// The pane keys go to.
    active: Side,
    pub(crate) local_path_text: String,
    pub(crate) remote_path_text: String,
    queue_tab: QueueTab,
    pub(crate) processing: bool,
    pub(crate) dialog: Option<Dialog>,
    exists_choice: ExistsChoice,
    pub(crate) prefs: Prefs,
    pub(crate) trust_store: Option<crate::sites::trust::TrustStore>,
    pub(crate) quit: bool,
    /// Sites, settings, the password store and their windows.
    pub(crate) cfg: crate::gui::site_connect::SitesState,
    /// Server > Diagnose connection, while open.
    pub(crate) diagnose: Option<crate::gui::diagnose_window::DiagnoseWindow>,
}

impl SkiffApp {
    pub fn new(
        engine: EngineHandle,
        events: EngineEvents,
        wake: Arc<dyn Fn() + Send + Sync>,
        options: AppOptions,
    ) -> Self {
        let (local_tx, local_rx) = mpsc::channel();
        let config = options.config.unwrap_or_else(|| {
            let dir = options.config_dir.clone().or_else(crate::sites::config_dir);
            crate::gui::config::AppConfig::load(dir, &options.prefs)
        });
        let start_dir = options
            .local_dir
            .or_else(|| options.prefs.last_local_dir.clone().filter(|d| d.is_dir()))
            .or_else(|| directories::UserDirs::new().map(|u| u.home_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut app = Self {
            engine,
            events,
            model: Model::default(),
            quick: Quickconnect::default(),
            quick_error: None,
            server: None,
            server_url: None,
            local: FilePane::default(),
            local_tree: DirTree::default(),
            local_request: 0,
            local_tx,
            local_rx,
            wake,
            next_request: 0,
            active: Side::Local,
            local_path_text: String::new(),
            remote_path_text: String::new(),
            queue_tab: QueueTab::Queued,
            // As the engine starts: stopped until a transfer or "Process queue" starts it.
            processing: false,
            dialog: None,
            exists_choice: ExistsChoice::default(),
            prefs: options.prefs,
            trust_store: options.trust_store,
            quit: false,
            cfg: crate::gui::site_connect::SitesState {
                config_dir: config.dir.clone(),
                settings: config.settings.clone(),
                sites: config.sites.clone(),
                ..Default::default()
            },
            diagnose: None,
        };
        // Never silent: a file that could not be used is in the log and in a dialog, once.
        for problem in &config.problems {
            app.model.push_error(problem.clone());
        }
        if !config.problems.is_empty() {
            app.dialog = Some(Dialog::Error {
                title: "A configuration file could not be read".into(),
                text: config.problems.join("\n\n"),
            });
        }
        if config.migrated {
            app.save_settings();
        }
        app.send_engine_settings();
        app.open_local(start_dir);
        app.engine
            .send(crate::engine::EngineCommand::ProcessQueue(false));
        if let Some(url) = options.url {
            app.quick.host = url;
            app.quickconnect();
        }
        app
    }

    /// The model, for tests that look at what the window knows.
    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn local_pane(&self) -> &FilePane {
        &self.local
    }

    /// The settings in use (Edit > Settings), for tests.
    pub fn settings(&self) -> &crate::sites::settings::Settings {
        &self.cfg.settings
    }

    /// The saved sites, for tests.
    pub fn sites(&self) -> &crate::sites::site::SiteList {
        &self.cfg.sites
    }

    /// Transfers at once, as last sent to the engine.
    pub fn parallel(&self) -> usize {
        self.effective_parallel()
    }

    pub fn site_manager_open(&self) -> bool {
        self.cfg.manager.is_some()
    }

    fn drain(&mut self) -> bool {
        let now = Instant::now();
        for _ in 0..EVENTS_PER_FRAME {
            match self.events.try_recv() {
                Ok(event) => self.model.apply(event, now),
                Err(_) => return false,
            }
        }
        true
    }

    fn drain_local(&mut self) {
        while let Ok(done) = self.local_rx.try_recv() {
            self.local_done(done);
        }
    }

    fn run_actions(&mut self, ctx: &egui::Context, actions: Vec<UiAction>) {
        for action in actions {
            self.act(ctx, action);
        }
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
            });
            ui.menu_button("Help", |ui| {
                if ui.button("About Skiff").clicked() {
                    actions.push(UiAction::About);
                }
            });
        });
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
        let connected = self.server.is_some();
        ui.horizontal(|ui| {
            let (label, text) = match side {
                Side::Local => ("Local site:", &mut self.local_path_text),
                Side::Remote => ("Remote site:", &mut self.remote_path_text),
            };
            let label = ui.label(label);
            let back_enabled = match side {
                Side::Local => self.local.has_back(),
                Side::Remote => self.model.remote.has_back(),
            };
            if ui
                .add_enabled(back_enabled, egui::Button::new("⬅"))
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
            let edit = ui
                .add_enabled(
                    side == Side::Local || connected,
                    egui::TextEdit::singleline(text).desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                actions.push(UiAction::Open(side, text.as_bytes().to_vec()));
            }
        });
        let pane = match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.model.remote,
        };
        ui.horizontal(|ui| {
            let mut filter = pane.filter().to_owned();
            let label = ui.label("🔎");
            ui.add(
                egui::TextEdit::singleline(&mut filter)
                    .hint_text("Filter names")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            pane.set_filter(&filter);
            if pane.loading {
                ui.spinner();
            }
            let selected = pane.selection_len();
            let summary = if selected > 0 {
                format!("{selected} of {} selected", pane.len())
            } else {
                format!("{} entries", pane.len())
            };
            ui.weak(summary);
        });
        if let Some(err) = &pane.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
        }
        if side == Side::Remote && !connected {
            welcome_ui(ui, actions);
            return;
        }
        if self.prefs.show_trees {
            let (tree, current) = match side {
                Side::Local => (&mut self.local_tree, self.local.path.clone()),
                Side::Remote => (&mut self.model.remote_tree, self.model.remote.path.clone()),
            };
            egui::Panel::top(("tree-panel", side))
                .resizable(true)
                .default_size(150.0)
                .min_size(40.0)
                .show(ui, |ui| {
                    crate::gui::tree_ui::tree_ui(ui, tree, &current, side, actions);
                });
        }
        let other_dir = match side {
            Side::Local => connected.then(|| self.model.remote.path.clone()),
            Side::Remote => Some(self.local.path.clone()),
        };
        let pane = match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.model.remote,
        };
        if pane.is_empty() && !pane.loading && pane.error.is_none() {
            ui.weak(if pane.filter().is_empty() {
                "This folder is empty."
            } else {
                "No names match the filter."
            });
        }
        let cx = TableContext {
            side,
            other_dir: other_dir.as_deref(),
        };
        if file_table_ui(ui, pane, &cx, actions) {
            self.active = side;
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match (&self.server, &self.server_url) {
                (Some(server), Some(url)) => {
                    let state = if self.model.connected {
                        "Connected to"
                    } else if self.model.remote.error.is_some() {
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
            || self.diagnose.is_some()
        {
            return;
        }
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            actions.push(UiAction::OpenSiteManager);
            return;
        }
        let side = self.active;
        let pane = match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.model.remote,
        };
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

/// The remote pane before any connection (and on first run): the two ways in.
fn welcome_ui(ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading("Not connected to any server");
        ui.add_space(8.0);
        ui.label("Quickconnect: type a host (or an ftp://, ftpes:// or ftps:// URL), your user");
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

impl eframe::App for SkiffApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let more = self.drain();
        self.drain_local();
        if self.model.local_dirty {
            self.model.local_dirty = false;
            self.refresh(Side::Local);
        }
        if self.model.remote_dirty {
            self.model.remote_dirty = false;
            self.refresh(Side::Remote);
        }
        // Keep the path bars in step with the folders shown, unless being edited.
        if !ctx.egui_wants_keyboard_input() {
            self.local_path_text = String::from_utf8_lossy(&self.local.path).into_owned();
            self.remote_path_text = String::from_utf8_lossy(&self.model.remote.path).into_owned();
        }
        if more {
            ctx.request_repaint();
        }
        // Progress bars and rates move while anything runs.
        if self.model.queue.total_rate() > 0.0 {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        if self.quit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        ctx.set_theme(match self.cfg.settings.theme {
            crate::sites::settings::Theme::System => egui::ThemePreference::System,
            crate::sites::settings::Theme::Light => egui::ThemePreference::Light,
            crate::sites::settings::Theme::Dark => egui::ThemePreference::Dark,
        });
        let mut actions = Vec::new();
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui, &mut actions));
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut actions));
        egui::Panel::top("quickconnect").show(ui, |ui| self.quickconnect_ui(ui, &mut actions));
        if self.prefs.show_log {
            egui::Panel::top("log")
                .resizable(true)
                .default_size(150.0)
                .min_size(60.0)
                .show(ui, |ui| {
                    log_pane::log_ui(ui, &self.model, self.cfg.settings.log_timestamps)
                });
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.prefs.show_queue {
            egui::Panel::bottom("queue")
                .resizable(true)
                .default_size(190.0)
                .min_size(80.0)
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
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                // The same margins on both sides, so the two path bars line up.
                let frame = egui::Frame::new()
                    .inner_margin(6)
                    .fill(ui.visuals().panel_fill);
                let half = ui.available_width() / 2.0;
                egui::Panel::left("local-pane")
                    .resizable(true)
                    .default_size(half)
                    .min_size(200.0)
                    .frame(frame)
                    .show(ui, |ui| self.pane_ui(ui, Side::Local, &mut actions));
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
        self.diagnose_ui(&ctx);
        self.dialogs_ui(&ctx, &mut actions);
        self.run_actions(&ctx, actions);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs.last_local_dir = Some(crate::local::bytes_os(&self.local.path).into());
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
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
            let version = description.split(',').next().unwrap_or_default();
            let kind = match server.ftp_settings().map(|ftp| ftp.tls.mode) {
                Some(TlsMode::Implicit) => "FTP over implicit TLS",
                _ => "FTP over explicit TLS",
            };
            format!("🔒 {kind} ({version})")
        }
        Some(Security::None) => "🔓 Not encrypted".to_owned(),
        None if asked == "Not encrypted" => "🔓 Not encrypted".to_owned(),
        None if asked == "TLS if available" => asked.to_owned(),
        None => format!("🔒 {asked}"),
    }
}
