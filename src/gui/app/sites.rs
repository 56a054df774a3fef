//! Saved sites and settings: the Site Manager and Settings windows, saving `sites.toml`
//! and `settings.toml` off the UI thread, applying the settings to the engine, and the
//! password store (opened on the blocking pool, asking for the master password or another
//! store where needed). The state is `SitesState` (`gui::sites_state`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::SkiffApp;
use crate::engine::EngineCommand;
use crate::gui::config::{SETTINGS_FILE, SITES_FILE};
use crate::gui::dialogs::Dialog;
use crate::gui::jobs;
use crate::gui::settings_window;
use crate::gui::site_manager::{self, SiteManager};
use crate::gui::sites_state::{Opened, StoreDone, StoreState, StoreWork, run_store_work};
use crate::secret::Secret;
use crate::sites::credentials::{CredentialError, MasterVault, PasswordStore, StoreKind};
use crate::sites::settings::Settings;

impl SkiffApp {
    /// The password store's and the config files' jobs that are done.
    pub(super) fn poll_sites(&mut self) {
        if let Some(opened) = jobs::take_ready(&mut self.cfg.opening) {
            // The master-password dialog waited for this (or it asks again).
            if matches!(self.dialog, Some(Dialog::MasterPassword { .. })) {
                self.dialog = None;
            }
            match opened {
                Ok(opened) => self.store_opened(opened),
                Err(err) => self.store_failed(err),
            }
        }
        for done in jobs::take_all_ready(&mut self.cfg.store_jobs) {
            match done {
                Ok(done) => self.store_done(done),
                Err(err) => self.model.push_error(format!("Password store: {err}")),
            }
        }
        if let Some(Some((site, dir))) = jobs::take_ready(&mut self.cfg.site_folder_dialog)
            && let Some(manager) = &mut self.cfg.manager
        {
            manager.set_local_dir(&site, dir);
        }
        for saved in self.cfg.sites_writer.finished() {
            match saved {
                Ok(()) => self.model.push_status("Sites saved".into()),
                Err(err) => {
                    self.model.push_error(err.clone());
                    self.model.op_error = Some(err);
                }
            }
        }
        for saved in self.cfg.settings_writer.finished() {
            if let Err(err) = saved {
                self.model.push_error(err.clone());
                self.model.op_error = Some(err);
            }
        }
    }

    /// Transfers at once (a site's own maximum travels with its `Server`).
    pub(super) fn effective_parallel(&self) -> usize {
        self.cfg.settings.parallel.clamp(1, 10)
    }

    pub(super) fn open_site_manager(&mut self) {
        if self.cfg.manager.is_none() {
            self.cfg.manager = Some(SiteManager::new(self.cfg.sites.clone()));
        }
    }

    /// Draws the Site Manager and the Settings window, if open, and acts on how they end.
    pub(super) fn windows_ui(&mut self, ctx: &eframe::egui::Context) {
        if let Some(manager) = &mut self.cfg.manager {
            let cx = site_manager::Context {
                store: self.cfg.settings.password_store,
                keyring_problem: match &self.cfg.store {
                    StoreState::KeyringUnavailable(reason) => Some(reason.as_str()),
                    _ => None,
                },
                global_parallel: self.cfg.settings.parallel,
            };
            let outcome = manager.show(ctx, &cx);
            self.site_manager_done(outcome);
        }
        if let Some(window) = &mut self.cfg.settings_window {
            match window.show(ctx) {
                settings_window::Outcome::Open => {}
                settings_window::Outcome::Cancelled => self.cfg.settings_window = None,
                settings_window::Outcome::Ok(settings) => {
                    self.cfg.settings_window = None;
                    self.apply_settings(*settings);
                }
            }
        }
    }

    fn site_manager_done(&mut self, outcome: site_manager::Outcome) {
        use site_manager::Outcome;
        match outcome {
            Outcome::Open => {}
            Outcome::Closed => self.cfg.manager = None,
            Outcome::Save {
                sites,
                passwords,
                connect,
                close,
            } => {
                if close {
                    self.cfg.manager = None;
                }
                let mut sites = sites;
                // The manager edits a copy made when it opened; bookmarks added since are
                // the current list's.
                for site in &mut sites.sites {
                    if let Some(current) = self.cfg.sites.get(&site.id) {
                        site.bookmarks = current.bookmarks.clone();
                    }
                }
                self.cfg.sites = sites;
                self.save_sites();
                if !passwords.is_empty() {
                    self.with_store(StoreWork::Apply(passwords));
                }
                if let Some((id, typed)) = connect {
                    self.connect_site(&id, typed);
                }
            }
            Outcome::Connect(id) => {
                self.cfg.manager = None;
                self.connect_site(&id, None);
            }
            Outcome::SwitchStore(kind) => self.switch_store(kind),
            Outcome::BrowseLocal { site, start } => {
                // rfd's dialog is built here, on the UI thread, and awaited on the runtime.
                let picked = rfd::AsyncFileDialog::new()
                    .set_directory(start.unwrap_or_else(|| self.local_dir()))
                    .pick_folder();
                self.cfg.site_folder_dialog = Some(jobs::spawn_async(&self.wake, async move {
                    let folder = picked.await?;
                    Some((site, folder.path().to_path_buf()))
                }));
            }
        }
    }

    /// File > Import…: the native dialog, then `import_sites_from` the file picked.
    pub(super) fn ask_which_file_to_import(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Import FileZilla's sitemanager.xml or bookmarks.xml")
            .add_filter("FileZilla Site Manager or bookmarks", &["xml"])
            .pick_file();
        self.jobs.import_from = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Reads a FileZilla Site Manager file off the UI thread; `sites_imported` takes it in.
    pub fn import_sites_from(&mut self, path: PathBuf) {
        self.jobs.imported = Some(jobs::spawn_blocking(&self.wake, move || {
            crate::sites::read_filezilla_file(&path)
                .map(|imported| (path, imported))
                .map_err(|err| format!("{err:#}"))
        }));
    }

    /// The sites of an import join the Site Manager's (a taken name gets `name (2)`), their
    /// passwords go to the password store, and a summary says what came in and what did not.
    pub(super) fn sites_imported(&mut self, imported: Result<super::Imported, String>) {
        let (path, imported) = match imported {
            Ok(done) => done,
            Err(err) => {
                self.model.push_error(format!("Import: {err}"));
                self.dialog = Some(Dialog::Error {
                    title: "Nothing was imported".into(),
                    text: err,
                });
                return;
            }
        };
        if self.cfg.manager.is_some() {
            self.model
                .push_error("Import: close the Site Manager first, then import again".into());
            return;
        }
        let count = imported.sites.len();
        let folders = imported.folders.len();
        let site_bookmarks: usize = imported.sites.iter().map(|s| s.bookmarks.len()).sum();
        let global_bookmarks = imported.bookmarks.len();
        let mut not_imported = imported.warnings;
        not_imported.extend(crate::sites::filezilla::merge_into(
            &mut self.cfg.sites,
            imported.sites,
            &imported.folders,
        ));
        self.save_sites();
        if global_bookmarks > 0 {
            // FileZilla's bookmarks.xml: its bookmarks join the global ones.
            not_imported.extend(crate::sites::bookmark::merge(
                &mut self.cfg.bookmarks,
                imported.bookmarks,
                "the global bookmarks",
            ));
            self.save_global_bookmarks();
        }
        let passwords = imported.passwords.len();
        let store = self.cfg.settings.password_store;
        if passwords > 0 && store != StoreKind::DontSave {
            let ops = imported.passwords.into_iter();
            let ops = ops.map(|(id, secret)| site_manager::PasswordOp::Set(id, secret));
            self.with_store(StoreWork::Apply(ops.collect()));
        }
        let mut text = format!(
            "Imported {count} site{} in {folders} folder{} from {}.",
            if count == 1 { "" } else { "s" },
            if folders == 1 { "" } else { "s" },
            path.display()
        );
        if site_bookmarks > 0 {
            text.push_str(&format!(
                "\n{site_bookmarks} bookmark{} came with the sites.",
                if site_bookmarks == 1 { "" } else { "s" }
            ));
        }
        if global_bookmarks > 0 {
            text.push_str(&format!(
                "\n{global_bookmarks} global bookmark{} added (Bookmarks menu).",
                if global_bookmarks == 1 { "" } else { "s" }
            ));
        }
        let plural = if passwords == 1 { "" } else { "s" };
        match store {
            _ if passwords == 0 => {}
            StoreKind::DontSave => text.push_str(&format!(
                "\n{passwords} password{plural} not saved: Settings > Passwords says not to save \
                 passwords; these sites ask for theirs."
            )),
            store => text.push_str(&format!(
                "\n{passwords} password{plural} saved in: {store}."
            )),
        }
        if not_imported.is_empty() {
            text.push_str("\nEverything in the file came in.");
        } else {
            text.push_str("\n\nNot imported as it was:");
            for note in &not_imported {
                text.push_str(&format!("\n• {note}"));
            }
        }
        for line in text.lines().filter(|l| !l.is_empty()) {
            self.model.push_status(format!("Import: {line}"));
        }
        let notice = Dialog::Notice {
            title: if count == 0 && global_bookmarks > 0 {
                "Bookmarks imported".into()
            } else {
                "Sites imported".into()
            },
            text,
        };
        // The password store may be asking for its master password first.
        match self.dialog {
            Some(_) => self.next_dialog = Some(notice),
            None => self.dialog = Some(notice),
        }
    }

    /// File > Export…: the native dialog (which asks before replacing a file), then
    /// `export_sites_to` the file picked.
    pub(super) fn ask_where_to_export(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Export the sites for FileZilla")
            .set_file_name("sitemanager.xml")
            .add_filter("FileZilla Site Manager", &["xml"])
            .save_file();
        self.jobs.export_to = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Writes the sites as a FileZilla file, without passwords, off the UI thread.
    pub fn export_sites_to(&mut self, path: PathBuf) {
        let sites = self.cfg.sites.clone();
        self.jobs.exported = Some(jobs::spawn_blocking(&self.wake, move || {
            let xml = crate::sites::filezilla::export(&sites, None);
            crate::sites::write_atomically(&path, xml.as_bytes())
                .map(|()| path.clone())
                .map_err(|err| format!("cannot export the sites to {}: {err}", path.display()))
        }));
    }

    pub(super) fn save_sites(&mut self) {
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        let path = dir.join(SITES_FILE);
        let sites = self.cfg.sites.clone();
        self.cfg.sites_writer.write(
            path,
            move |path| sites.save(path).map_err(|e| e.to_string()),
            &self.wake,
        );
    }

    pub(super) fn save_settings(&mut self) {
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        let path = dir.join(SETTINGS_FILE);
        let settings = self.cfg.settings.clone();
        self.cfg.settings_writer.write(
            path,
            move |path| settings.save(path).map_err(|e| e.to_string()),
            &self.wake,
        );
    }

    /// Edit > Settings' OK: saved, and applied to the engine and the window at once; new
    /// connections use the new data-connection settings.
    pub(super) fn apply_settings(&mut self, settings: Settings) {
        let store_changed = settings.password_store != self.cfg.settings.password_store;
        self.cfg.settings = settings;
        if store_changed {
            self.cfg.store = StoreState::Closed;
        }
        self.send_engine_settings();
        self.apply_log_file();
        self.save_settings();
    }

    /// Settings > Logging: starts, moves or stops the log file as the settings now say.
    pub(super) fn apply_log_file(&mut self) {
        let wanted = self.cfg.settings.log_file(self.cfg.config_dir.as_deref());
        let current = self.model.log_file.as_ref();
        match wanted {
            None => self.model.log_file = None,
            Some((path, cap)) if current.is_some_and(|f| f.writes_to(&path, cap)) => {}
            Some((path, cap)) => match crate::log::file::LogFile::start(path.clone(), cap) {
                Ok(file) => {
                    self.model.log_file = Some(file);
                    self.model
                        .push_status(format!("Writing the message log to {}", path.display()));
                }
                Err(err) => self
                    .model
                    .push_error(format!("cannot start writing the log file: {err}")),
            },
        }
    }

    /// The engine's settings from Edit > Settings (`setup::engine_settings`, as the CLI's),
    /// with the transfer type chosen in the Transfer menu.
    pub(super) fn send_engine_settings(&mut self) {
        let mut settings = crate::setup::engine_settings(&self.cfg.settings);
        settings.transfer_mode = self.prefs.transfer_mode;
        self.engine.send(EngineCommand::Configure(settings));
    }

    /// The keyring cannot be used: the user picked the master password or no saving.
    pub(super) fn switch_store(&mut self, kind: StoreKind) {
        self.cfg.settings.password_store = kind;
        self.cfg.store = StoreState::Closed;
        self.save_settings();
        self.model
            .push_status(format!("Saved passwords now go to: {kind}"));
        let waiting = std::mem::take(&mut self.cfg.waiting);
        for work in waiting {
            self.with_store(work);
        }
    }

    /// Runs `work` once the store is open: opens it first (the keyring off the UI thread,
    /// the vault after asking for its master password).
    pub(super) fn with_store(&mut self, work: StoreWork) {
        let kind = self.cfg.settings.password_store;
        if kind == StoreKind::DontSave {
            if let StoreWork::Connect(site) = work {
                self.ask_password(
                    *site,
                    Some("Passwords are not saved (Edit > Settings > Passwords).".into()),
                );
            }
            return;
        }
        match &self.cfg.store {
            StoreState::Open(store) if store.lock().map(|s| s.kind() == kind).unwrap_or(false) => {
                let store = Arc::clone(store);
                self.run_store_jobs(store, vec![work]);
                return;
            }
            StoreState::Opening => {
                self.cfg.waiting.push(work);
                return;
            }
            _ => {}
        }
        self.cfg.waiting.push(work);
        self.cfg.store = StoreState::Opening;
        match kind {
            StoreKind::MasterPassword => self.ask_master_password(None),
            _ => self.open_store(kind, None),
        }
    }

    fn ask_master_password(&mut self, error: Option<String>) {
        let create = self
            .cfg
            .config_dir
            .as_deref()
            .is_some_and(|dir| !MasterVault::exists(dir));
        self.dialog = Some(Dialog::MasterPassword {
            create,
            password: String::new(),
            confirm: String::new(),
            error,
            busy: false,
        });
    }

    /// Opens the store on the blocking pool (Argon2 takes a noticeable moment).
    pub(super) fn open_store(&mut self, kind: StoreKind, master: Option<Secret>) {
        let Some(dir) = self.cfg.config_dir.clone() else {
            self.store_failed("there is no config folder to keep passwords in".into());
            return;
        };
        self.cfg.opening = Some(jobs::spawn_blocking(&self.wake, move || {
            PasswordStore::open(kind, &dir, master.as_ref())
        }));
    }

    /// The master-password dialog's answer.
    pub(super) fn unlock_store(&mut self, master: Secret, create: bool) {
        self.dialog = Some(Dialog::MasterPassword {
            create,
            password: String::new(),
            confirm: String::new(),
            error: None,
            busy: true,
        });
        self.open_store(StoreKind::MasterPassword, Some(master));
    }

    fn store_opened(&mut self, result: Opened) {
        match result {
            Ok(store) => {
                self.model
                    .push_status(format!("Password store opened: {}", store.kind()));
                let store = Arc::new(Mutex::new(store));
                self.cfg.store = StoreState::Open(Arc::clone(&store));
                let waiting = std::mem::take(&mut self.cfg.waiting);
                if !waiting.is_empty() {
                    self.run_store_jobs(store, waiting);
                }
            }
            Err(CredentialError::WrongMasterPassword) => {
                self.ask_master_password(Some("The master password is wrong.".into()));
            }
            Err(CredentialError::KeyringUnavailable { reason }) => {
                self.cfg.store = StoreState::KeyringUnavailable(reason.clone());
                self.dialog = Some(Dialog::KeyringUnavailable { reason });
            }
            Err(err) => self.store_failed(err.to_string()),
        }
    }

    /// The store cannot be opened (or the user cancelled): connections ask for their
    /// password instead; passwords that were to be saved are not.
    pub(super) fn store_failed(&mut self, reason: String) {
        self.cfg.store = StoreState::Closed;
        self.model
            .push_error(format!("Saved passwords are not available: {reason}"));
        let waiting = std::mem::take(&mut self.cfg.waiting);
        let mut unsaved = false;
        for work in waiting {
            match work {
                StoreWork::Apply(_) => unsaved = true,
                StoreWork::Connect(site) => self.ask_password(*site, Some(reason.clone())),
            }
        }
        if unsaved {
            self.model
                .push_error("The passwords typed in the Site Manager were not saved.".into());
        }
    }

    fn run_store_jobs(&mut self, store: Arc<Mutex<PasswordStore>>, works: Vec<StoreWork>) {
        let promise = jobs::spawn_blocking(&self.wake, move || run_store_work(&store, works));
        self.cfg.store_jobs.push(promise);
    }

    fn store_done(&mut self, done: StoreDone) {
        for err in done.errors {
            self.model.push_error(format!("Password store: {err}"));
        }
        for (site, result) in done.connects {
            match result {
                Ok(Some(password)) => self.connect_with_site(site, Some(password)),
                Ok(None) => {
                    self.ask_password(site, Some("No password is saved for this site.".into()))
                }
                Err(err) => self.ask_password(site, Some(err)),
            }
        }
    }
}
