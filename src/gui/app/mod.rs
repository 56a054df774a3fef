//! The window: `SkiffApp`'s state and its frame. `logic()` folds the engine's events and the
//! finished one-shot jobs into the state; `ui()` draws it (`layout.rs`), collecting
//! `UiAction`s, and carries them out after drawing (`commands.rs`). Nothing here waits on
//! the network or the disk.
//!
//! The rest of `impl SkiffApp` is split by concern into child modules, which reach the
//! state through `super::`; the modules beside `app` never import it back:
//!
//! | file | what |
//! |---|---|
//! | `layout.rs` | drawing the window: menus, toolbar, quickconnect bar, panes, status bar, keys, dialogs |
//! | `commands.rs` | carrying out `UiAction`s: transfers, drops, queue, view and settings toggles |
//! | `panes.rs` | both panes: opening and listing folders, mkdir/rename/delete, the local side's jobs |
//! | `connect.rs` | connecting (quickconnect, a saved site, a recent server), trusting a certificate |
//! | `sites.rs` | the Site Manager and Settings windows, saving the config files, the password store |
//! | `diagnose.rs` | Server > Diagnose connection: starting it, its window, applying its advice |
//! | `sync_browse.rs` | synchronized browsing: the other side follows, a missing folder is asked about |
//! | `synchronize.rs` | Transfer > Synchronize: walking both folders, the plan's preview, running what stays ticked |
//! | `filters.rs` | View > Filename filters: the dialog, the toggle, saving the rules, the transfers' filters |
//! | `edit.rs` | View/Edit: the copy downloaded, opened, watched, asked about and uploaded |
//! | `bookmarks.rs` | the Bookmarks menu's dialogs, saving bookmarks, going to one |
//! | `search.rs` | Server > Search remote files: the search on the engine, its results streamed into its window, their download, deletion, or showing in the pane |
//! | `custom.rs` | Server > Enter custom command: the dialog and the line sent |
//! | `queue_tools.rs` | exporting and importing the queue, the action after the queue completes |
//! | `tabs.rs` | tabs: each connection's state swapped in and out, answers routed to their tab, tabs restored at the start |

mod bookmarks;
mod commands;
mod connect;
mod custom;
mod diagnose;
mod edit;
mod filters;
mod layout;
mod panes;
mod queue_tools;
mod search;
mod sites;
mod sync_browse;
mod synchronize;
mod tabs;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;
use poll_promise::Promise;

use crate::engine::{EngineEvent, EngineEvents, EngineHandle, RequestId};
use crate::gui::actions::{Side, UiAction};
use crate::gui::config::AppConfig;
use crate::gui::diagnose_window::DiagnoseWindow;
use crate::gui::dialogs::{Dialog, ExistsChoice};
use crate::gui::jobs::{self, Wake};
use crate::gui::listing::Listing;
use crate::gui::model::Model;
use crate::gui::pane_state::{Answer, PaneState};
use crate::gui::prefs::Prefs;
use crate::gui::queue_view::QueueTab;
use crate::gui::quickconnect::Quickconnect;
use crate::gui::sites_state::SitesState;
use crate::remote::Server;
use crate::sites::trust::TrustStore;
use crate::url::FtpUrl;

/// Events handled per frame, so a burst cannot stall drawing; the rest wait a frame.
const EVENTS_PER_FRAME: usize = 2_000;

/// How the window starts.
#[derive(Default)]
pub struct AppOptions {
    /// Connect at once (`skiff ftp://...`).
    pub url: Option<String>,
    /// The local folder shown first (else the last one, else the home folder).
    pub local_dir: Option<PathBuf>,
    pub prefs: Prefs,
    /// Certificates the user trusted (shared with the CLI), loaded before the window opens.
    pub trust_store: Option<TrustStore>,
    /// Where `sites.toml`, `settings.toml` and `passwords.vault` are; `None`: the OS config
    /// folder (`sites::config_dir()`). Tests give a temporary folder.
    pub config_dir: Option<PathBuf>,
    /// The config files, when already read (`run` reads them before the engine starts, to
    /// give it the settings); else they are read from `config_dir`.
    pub config: Option<AppConfig>,
    /// The program that opens a folder in the desktop's file manager, given the folder;
    /// `None`: the platform's (`xdg-open`, `open`, `explorer`). Tests give a script.
    pub opener: Option<PathBuf>,
    /// The program that opens a file for View/Edit when Settings names no editor for its
    /// extension, given the file; `None`: the desktop's default application. Tests give a
    /// script that edits it.
    pub editor: Option<PathBuf>,
    /// Where View/Edit's copies go (this window's folder is made in it); `None`: the cache
    /// folder's `edit` (`gui::edit::edit_root`). Tests give a temporary folder.
    pub edit_dir: Option<PathBuf>,
}

/// A file or folder dropped from the desktop, looked at on the blocking pool.
struct DroppedFile {
    path: PathBuf,
    is_dir: bool,
    /// A file's size (`None` for a folder).
    size: Option<u64>,
}

/// The window's own one-shot jobs, as promises polled in `logic()` (`gui::jobs`). The
/// password store's and the config files' are in `SitesState`, the diagnosis in its window.
/// A remote folder and its listing with the keys made (`Jobs::remote_listings`).
type MadeListing = (Vec<u8>, Listing);
/// FileZilla's filters.xml, read (or why not).
type FilezillaFilters = Result<crate::sites::filezilla::filters::ImportedFilters, String>;
/// A FileZilla file read for File > Import, and what it held.
type Imported = (PathBuf, crate::sites::filezilla::Imported);

#[derive(Default)]
struct Jobs {
    /// The local side's folder reads and operations, by request: their answers go to the
    /// local pane, which drops those it no longer waits for.
    local: Vec<(RequestId, Promise<Result<Answer, String>>)>,
    /// Big remote listings whose keys are being made on the blocking pool, by request: the
    /// folder and its listing once made.
    remote_listings: Vec<(RequestId, Promise<Result<MadeListing, String>>)>,
    /// File > Choose local folder…: the folder picked, if any (a newer dialog replaces it).
    choose_folder: Option<Promise<Option<PathBuf>>>,
    /// The local tree's places (home, the root, volumes), read once at the start.
    places: Option<Promise<Result<Vec<crate::gui::places::Place>, String>>>,
    /// File > Import…: the file picked, then what it held (or why it could not be read).
    import_from: Option<Promise<Option<PathBuf>>>,
    imported: Option<Promise<Result<Result<Imported, String>, String>>>,
    /// File > Export…: the file picked, then the file written (or why not).
    export_to: Option<Promise<Option<PathBuf>>>,
    exported: Option<Promise<Result<Result<PathBuf, String>, String>>>,
    /// The message log's Save…: the file picked, then the file written (or why not).
    save_log_to: Option<Promise<Option<PathBuf>>>,
    log_saved: Option<Promise<Result<Result<PathBuf, String>, String>>>,
    /// Files dropped from the desktop, looked at: uploaded once ready.
    dropped: Vec<Promise<Result<Vec<DroppedFile>, String>>>,
    /// The trust store with a certificate saved in it (or why it could not be).
    trust_saved: Option<Promise<Result<Result<TrustStore, String>, String>>>,
    /// Skiff's known_hosts with a host key saved in it (or why it could not be).
    host_key_saved: Option<Promise<Result<Result<PathBuf, String>, String>>>,
}

pub struct SkiffApp {
    engine: EngineHandle,
    events: EngineEvents,
    model: Model,
    quick: Quickconnect,
    quick_error: Option<String>,
    /// The server connected to: what every remote command and transfer goes to.
    server: Option<Arc<Server>>,
    server_url: Option<FtpUrl>,
    /// Wakes the UI when a job is done.
    wake: Wake,
    jobs: Jobs,
    /// The last request id given out, to the engine (remote side) or a job (local side).
    next_request: u64,
    /// The pane keys go to.
    active: Side,
    queue_tab: QueueTab,
    processing: bool,
    dialog: Option<Dialog>,
    exists_choice: ExistsChoice,
    prefs: Prefs,
    trust_store: Option<TrustStore>,
    quit: bool,
    /// Sites, settings, the password store and their windows.
    cfg: SitesState,
    /// Server > Diagnose connection, while open.
    diagnose: Option<DiagnoseWindow>,
    /// Synchronized browsing, while on: the folders that correspond.
    sync_browse: Option<crate::gui::sync_browse::SyncBrowse>,
    /// Transfer > Synchronize's window, while open.
    sync_window: Option<crate::gui::sync_window::SyncWindow>,
    /// The sync being planned or run (a run goes on with the window closed).
    sync_task: Option<synchronize::SyncTask>,
    /// The folder synchronized browsing entered on a side, until it is shown (or fails).
    sync_pending: Option<(Side, Vec<u8>)>,
    /// A site with synchronized browsing: it starts once both its folders are shown.
    sync_after_logon: bool,
    /// The message log's selection.
    log_view: crate::gui::log_pane::LogView,
    /// The local tree's places, once read.
    places: Vec<crate::gui::places::Place>,
    /// The width the two panes shared in the last frame: when it changes, the split is set
    /// again from `Prefs::local_share`.
    split_width: f32,
    /// A dialog that waits for the one shown to close (an import's summary behind the
    /// master password).
    next_dialog: Option<Dialog>,
    /// The browsing connection is a quickconnect that tries TLS first: a server without
    /// TLS leads to the question whether to go on in clear text.
    tls_first: bool,
    /// Where to write when the first frame was presented (`report_first_frame_to`).
    report_first_frame: Option<PathBuf>,
    /// `AppOptions::opener`.
    opener: Option<PathBuf>,
    /// The window's visuals are installed (`theme::install`, in the first frame).
    styled: bool,
    /// The window title last sent to the viewport (`window_title`).
    title: String,
    /// SFTP servers' keyboard-interactive questions, put to the user in a dialog.
    questions: crate::gui::prompter::QuestionsInbox,
    /// View > Filename filters…, while open.
    filters_window: Option<crate::gui::filters_window::FiltersWindow>,
    /// Writes `filters.toml`.
    filters_writer: crate::gui::config::FileWriter,
    /// The filters dialog's "Import from FileZilla…": the file picked, then what it held.
    filters_import_from: Option<Promise<Option<PathBuf>>>,
    filters_imported: Option<Promise<Result<FilezillaFilters, String>>>,
    /// Bookmarks > Add bookmark… and Manage bookmarks…, while open.
    bookmark_windows: bookmarks::BookmarkWindows,
    /// A bookmark chosen, until its folders are shown.
    bookmark_pending: Option<bookmarks::PendingBookmark>,
    /// Server > Search remote files: its window and the search it runs.
    search: search::Searching,
    /// Server > Enter custom command…, while open.
    custom_command: Option<crate::gui::custom_command::CustomCommandWindow>,
    /// Queue export and import, and the action after the queue completes.
    queue_tools: queue_tools::QueueTools,
    /// Files opened with View/Edit.
    edits: edit::Edits,
    /// The other tabs' connections, and which tab sent each request.
    tabs: tabs::Tabs,
}

impl SkiffApp {
    pub fn new(
        engine: EngineHandle,
        events: EngineEvents,
        wake: Wake,
        options: AppOptions,
    ) -> Self {
        let config = options.config.unwrap_or_else(|| {
            let dir = options.config_dir.clone().or_else(crate::sites::config_dir);
            AppConfig::load(dir, &options.prefs)
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
            title: "Skiff".to_owned(),
            questions: crate::gui::prompter::QuestionsInbox::new(Arc::clone(&wake)),
            wake,
            jobs: Jobs::default(),
            next_request: 0,
            active: Side::Local,
            queue_tab: QueueTab::Queued,
            // As the engine starts: stopped until a transfer or "Process queue" starts it.
            processing: false,
            dialog: None,
            exists_choice: ExistsChoice::default(),
            prefs: options.prefs,
            trust_store: options.trust_store,
            quit: false,
            cfg: SitesState {
                config_dir: config.dir.clone(),
                settings: config.settings.clone(),
                sites: config.sites.clone(),
                bookmarks: config.bookmarks.bookmarks.clone(),
                ..Default::default()
            },
            diagnose: None,
            sync_browse: None,
            sync_window: None,
            sync_task: None,
            sync_pending: None,
            sync_after_logon: false,
            log_view: Default::default(),
            next_dialog: None,
            split_width: 0.0,
            places: Vec::new(),
            tls_first: false,
            report_first_frame: None,
            opener: options.opener,
            styled: false,
            filters_window: None,
            filters_writer: Default::default(),
            filters_import_from: None,
            filters_imported: None,
            bookmark_windows: Default::default(),
            bookmark_pending: None,
            search: Default::default(),
            custom_command: None,
            queue_tools: Default::default(),
            edits: edit::Edits::new(options.edit_dir, options.editor),
            tabs: tabs::Tabs::new(),
        };
        app.model.filters = crate::gui::filters::FilterState::new(config.filters.clone());
        if let Some(problem) = app.model.filters.problem.clone() {
            app.model
                .push_error(format!("A filename filter rule is not used: {problem}"));
        }
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
        app.apply_log_file();
        app.jobs.places = Some(jobs::spawn_blocking(&app.wake, crate::gui::places::read));
        // The local tree shows the whole file system: the root's folders, not only the
        // way down to the folder shown.
        if let Some(root) = start_dir.ancestors().last() {
            app.list_for_tree(Side::Local, crate::local::os_bytes(root.as_os_str()));
        }
        app.open_local(start_dir);
        app.engine
            .send(crate::engine::EngineCommand::ProcessQueue(false));
        match options.url {
            Some(url) => {
                app.quick.host = url;
                app.quickconnect();
            }
            // The tabs of the last run come back (a URL to open replaces them).
            None => {
                let (saved, active) = (app.prefs.tabs.clone(), app.prefs.active_tab);
                app.restore_tabs(saved, active);
            }
        }
        app
    }

    /// Writes to `path`, once the first frame is on screen, the wall-clock time then
    /// (seconds since the Unix epoch): how bench/window.sh times the window's start
    /// (`SKIFF_REPORT_FIRST_FRAME`, read by `gui::run`).
    pub fn report_first_frame_to(&mut self, path: PathBuf) {
        self.report_first_frame = Some(path);
    }

    /// The model, for tests that look at what the window knows.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// One side's pane: its file list, tree, path bar and requests in flight.
    pub fn pane(&self, side: Side) -> &PaneState {
        self.model.pane(side)
    }

    fn pane_mut(&mut self, side: Side) -> &mut PaneState {
        self.model.pane_mut(side)
    }

    /// What the window remembers between runs; tests set what a user would have chosen.
    pub fn prefs_mut(&mut self) -> &mut Prefs {
        &mut self.prefs
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

    /// Transfer > Synchronize's window, while open: its page and plan, for tests.
    pub fn sync_window(&self) -> Option<&crate::gui::sync_window::SyncWindow> {
        self.sync_window.as_ref()
    }

    pub fn site_manager_open(&self) -> bool {
        self.cfg.manager.is_some()
    }

    /// Folds the engine's events into the model; `true` when more are waiting.
    fn drain(&mut self) -> bool {
        let now = Instant::now();
        for _ in 0..EVENTS_PER_FRAME {
            let Ok(event) = self.events.try_recv() else {
                return false;
            };
            // An answer for another tab is taken with that tab swapped in; one for a tab
            // closed since is dropped.
            match self.event_tab(&event) {
                Some(tab) => {
                    self.with_tab(tab, |app| app.take_event(event, now));
                }
                None => self.take_event(event, now),
            }
        }
        true
    }

    /// Folds one engine event into the active tab's state and the window's.
    fn take_event(&mut self, event: EngineEvent, now: Instant) {
        match event {
            event if self.sync_takes(&event) => {}
            event if self.edit_takes(&event) => {}
            event if self.search_takes(&event) => {}
            // A big listing's keys (a sort of its names) would take more than a frame:
            // they are made on the blocking pool, and the listing shown when they are.
            EngineEvent::Listing {
                request,
                path,
                entries,
            } if entries.len() >= Listing::OFF_THREAD => {
                let make = self.model.listing_maker(request);
                let job = jobs::spawn_blocking(&self.wake, move || (path, make(entries)));
                self.jobs.remote_listings.push((request, job));
            }
            event => self.model.apply(event, now),
        }
    }

    /// Takes the results of the one-shot jobs that are done.
    fn poll_jobs(&mut self) {
        self.poll_local_jobs();
        for (request, made) in jobs::take_all_ready_keyed(&mut self.jobs.remote_listings) {
            let tab = self.tabs.sender(request).unwrap_or(self.tabs.active_id());
            self.with_tab(tab, |app| match made {
                Ok((path, listing)) => app.model.remote_listed(request, path, listing),
                Err(err) => app
                    .model
                    .answer(Side::Remote, request, Answer::Done(Err(err))),
            });
        }
        if let Some(Some(dir)) = jobs::take_ready(&mut self.jobs.choose_folder) {
            self.open_local(dir);
        }
        if let Some(places) = jobs::take_ready(&mut self.jobs.places) {
            match places {
                Ok(places) => self.places = places,
                Err(err) => self
                    .model
                    .push_error(format!("cannot list the places: {err}")),
            }
        }
        if let Some(Some(path)) = jobs::take_ready(&mut self.jobs.import_from) {
            self.import_sites_from(path);
        }
        if let Some(imported) = jobs::take_ready(&mut self.jobs.imported) {
            self.sites_imported(imported.and_then(|r| r));
        }
        if let Some(Some(path)) = jobs::take_ready(&mut self.jobs.export_to) {
            self.export_sites_to(path);
        }
        match jobs::take_ready(&mut self.jobs.exported).map(|done| done.and_then(|r| r)) {
            Some(Ok(path)) => self.model.push_status(format!(
                "Exported {} sites to {}, without passwords (they stay in the password store)",
                self.cfg.sites.sites.len(),
                path.display()
            )),
            Some(Err(err)) => self.model.op_error = Some(err),
            None => {}
        }
        if let Some(Some(path)) = jobs::take_ready(&mut self.jobs.save_log_to) {
            self.save_log_to(path);
        }
        match jobs::take_ready(&mut self.jobs.log_saved).map(|saved| saved.and_then(|r| r)) {
            Some(Ok(path)) => self
                .model
                .push_status(format!("Saved the message log to {}", path.display())),
            Some(Err(err)) => self.model.push_error(err),
            None => {}
        }
        for dropped in jobs::take_all_ready(&mut self.jobs.dropped) {
            match dropped {
                Ok(files) => self.upload_dropped(files),
                Err(err) => self.model.op_error = Some(err),
            }
        }
        if let Some(saved) = jobs::take_ready(&mut self.jobs.trust_saved) {
            self.trust_saved(saved.and_then(|result| result));
        }
        if let Some(saved) = jobs::take_ready(&mut self.jobs.host_key_saved) {
            match saved.and_then(|result| result) {
                Ok(file) => self
                    .model
                    .push_status(format!("Host key saved in {}", file.display())),
                Err(err) => self.model.op_error = Some(err),
            }
        }
        self.poll_sites();
        self.poll_filters();
        self.poll_bookmark_saves();
        self.poll_queue_tools();
        if let Some(window) = &mut self.diagnose {
            window.poll();
        }
    }

    fn run_actions(&mut self, ctx: &egui::Context, actions: Vec<UiAction>) {
        for action in actions {
            self.act(ctx, action);
        }
    }
}

impl SkiffApp {
    /// The title the window should have: the server connected to, as in FileZilla's
    /// "user@host - FileZilla", so a window among many says where it is.
    pub fn window_title(&self) -> String {
        match &self.server_url {
            Some(url) if self.model.connected => {
                let user = url.user.as_deref().map(|u| format!("{u}@"));
                format!("{}{} - Skiff", user.unwrap_or_default(), url.host_port())
            }
            _ => "Skiff".to_owned(),
        }
    }

    /// Once the browsing session knows whether the server's names are UTF-8: the server's
    /// fallback charset as the pane's (`PaneState::fallback`), for the engine to name the
    /// local files of names that are not.
    fn follow_name_fallback(&mut self) {
        let fallback = self.model.remote.fallback;
        let Some(server) = self.server.as_ref().filter(|s| s.name_fallback != fallback) else {
            return;
        };
        if !self.model.connected {
            return;
        }
        let mut updated = (**server).clone();
        updated.name_fallback = fallback;
        let updated = Arc::new(updated);
        self.engine
            .send(crate::engine::EngineCommand::UpdateServer(Arc::clone(
                &updated,
            )));
        self.server = Some(updated);
    }

    /// What the window saves at exit: its prefs with the local folder and the tabs of now
    /// (tests start a second window with them).
    pub fn prefs_to_save(&mut self) -> Prefs {
        self.prefs.last_local_dir = Some(self.local_dir());
        (self.prefs.tabs, self.prefs.active_tab) = self.saved_tabs();
        self.prefs.clone()
    }

    /// The title last given to the window.
    pub fn title(&self) -> &str {
        &self.title
    }
}

impl eframe::App for SkiffApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.report_first_frame.is_some() {
            // The second frame begins once the first has been presented.
            if ctx.cumulative_frame_nr() == 0 {
                ctx.request_repaint();
            } else if let Some(path) = self.report_first_frame.take() {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                if let Err(err) = std::fs::write(&path, format!("{:.6}\n", now.as_secs_f64())) {
                    tracing::warn!("SKIFF_REPORT_FIRST_FRAME {}: {err}", path.display());
                }
            }
        }
        let more = self.drain();
        self.poll_jobs();
        self.poll_sync();
        // A sync planned or run from another tab goes on while that tab is hidden.
        for tab in self.tabs.with_sync() {
            self.with_tab(tab, Self::poll_sync);
        }
        self.advance_restore();
        self.poll_edits();
        self.check_sync_pending();
        self.model.update_filters();
        self.check_bookmark_pending();
        self.check_search_select();
        self.model
            .update_comparison(self.prefs.compare, self.prefs.hide_identical);
        self.follow_name_fallback();
        self.follow_queue(ctx);
        if let Some(failure) = self.model.log_file.as_ref().and_then(|f| f.take_failure()) {
            self.model.log_file = None;
            self.model.push_error(failure);
        }
        for side in Side::BOTH {
            let pane = self.pane_mut(side);
            if std::mem::take(&mut pane.dirty) {
                self.refresh(side);
            }
        }
        // Keep the path bars in step with the folders shown, unless being edited.
        if !ctx.egui_wants_keyboard_input() {
            for side in Side::BOTH {
                self.pane_mut(side).sync_path_text();
            }
        }
        if more {
            ctx.request_repaint();
        }
        // Progress bars and rates move while anything runs.
        if self.model.queue.total_rate() > 0.0 {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        if self.quit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.window_ui(ui);
    }

    fn on_exit(&mut self) {
        self.close_edits();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs_to_save());
    }
}
