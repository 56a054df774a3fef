//! The window's side of saved sites: the password store (opened off the UI thread, asking
//! for the master password or another store where needed), saving the Site Manager's list
//! and the settings, connecting with a site, and applying the settings to the engine.
//!
//! The password store lives behind a mutex that only jobs on the blocking pool lock: the
//! keyring answers over D-Bus and the vault writes a file, so the UI thread never waits.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::engine::EngineCommand;
use crate::gui::app::{LocalDone, SkiffApp};
use crate::gui::dialogs::Dialog;
use crate::gui::site_manager::{self, PasswordOp, SiteManager};
use crate::net::tls::TlsMode;
use crate::net::{DataMode, DataSettings};
use crate::remote::Server;
use crate::secret::Secret;
use crate::sites::credentials::{CredentialError, MasterVault, PasswordStore, StoreKind};
use crate::sites::settings::Settings;
use crate::sites::site::{LogonType, Protocol, Site, SiteList};
use crate::url::FtpUrl;

/// The password store the settings name, as far as the window got opening it.
#[derive(Default)]
pub(crate) enum StoreState {
    #[default]
    Closed,
    /// Being opened (or the master password is being asked for).
    Opening,
    Open(Arc<Mutex<PasswordStore>>),
    /// The OS keyring is not reachable, and why.
    KeyringUnavailable(String),
}

/// Work that needs the password store.
#[derive(Debug, Clone)]
pub(crate) enum StoreWork {
    Apply(Vec<PasswordOp>),
    /// Read the site's saved password, then connect.
    Connect(Box<Site>),
}

/// What a store job reports.
pub(crate) struct StoreDone {
    pub errors: Vec<String>,
    pub connects: Vec<(Site, Result<Option<Secret>, String>)>,
}

/// The window's sites, settings and password store.
#[derive(Default)]
pub(crate) struct SitesState {
    pub config_dir: Option<PathBuf>,
    pub settings: Settings,
    pub sites: SiteList,
    pub sites_writer: crate::gui::config::FileWriter,
    pub settings_writer: crate::gui::config::FileWriter,
    pub store: StoreState,
    /// Work waiting for the store to open.
    pub waiting: Vec<StoreWork>,
    /// "Ask for password" sites' passwords, for this session only.
    pub session_passwords: HashMap<String, Secret>,
    pub manager: Option<SiteManager>,
    pub settings_window: Option<crate::gui::settings_window::SettingsWindow>,
    /// The site connected to, if the connection came from one.
    pub current_site: Option<String>,
}

/// A Status line for the log: how a server is reached (for FTP: which data-connection
/// mode, port range and address).
pub fn describe_server(server: &Server) -> String {
    match server.ftp_settings() {
        Some(ftp) => describe_data(&ftp.data),
        None => String::new(),
    }
}

/// Which data-connection mode, port range and address a connection uses.
pub fn describe_data(data: &DataSettings) -> String {
    let mode = match data.mode {
        DataMode::Passive => "passive mode",
        DataMode::Active => "active mode",
        DataMode::Auto => "passive mode, active as fallback",
    };
    let range = data.active_port_range.map_or_else(
        || "any local port".to_owned(),
        |r| format!("local ports {r}"),
    );
    let address = data.external_ip.map_or_else(
        || "the local address".to_owned(),
        |ip| format!("external address {ip}"),
    );
    if data.mode == DataMode::Passive {
        mode.to_owned()
    } else {
        format!("{mode}; active connections on {range}, announcing {address}")
    }
}

/// A site for the connection the window has now (File > Copy current connection to Site
/// Manager), with the password that logged on, if any.
pub fn site_from_connection(options: &Server, remote_dir: &[u8]) -> (Site, Option<String>) {
    let tls = options
        .ftp_settings()
        .map(|ftp| ftp.tls.mode)
        .unwrap_or_default();
    let protocol = match tls {
        TlsMode::None => Protocol::Ftp,
        TlsMode::ExplicitIfAvailable => Protocol::FtpTlsIfAvailable,
        TlsMode::Explicit => Protocol::FtpExplicitTls,
        TlsMode::Implicit => Protocol::FtpImplicitTls,
    };
    let user = options.credentials.user.clone().unwrap_or_default();
    let anonymous = user.is_empty() || user.eq_ignore_ascii_case("anonymous");
    let site = Site {
        name: options.host.clone(),
        protocol,
        host: options.host.clone(),
        port: (options.port != protocol.default_port()).then_some(options.port),
        logon: if anonymous {
            LogonType::Anonymous
        } else {
            LogonType::Normal
        },
        user: if anonymous { String::new() } else { user },
        remote_dir: (!remote_dir.is_empty() && remote_dir != b"/")
            .then(|| String::from_utf8_lossy(remote_dir).into_owned()),
        ..Site::default()
    };
    let password = options
        .credentials
        .password
        .as_ref()
        .filter(|_| !anonymous)
        .map(|p| p.expose().to_owned());
    (site, password)
}

impl SkiffApp {
    /// Transfers at once (a site's own maximum travels with its `Server`).
    pub(crate) fn effective_parallel(&self) -> usize {
        self.cfg.settings.parallel.clamp(1, 10)
    }

    pub(crate) fn open_site_manager(&mut self) {
        if self.cfg.manager.is_none() {
            self.cfg.manager = Some(SiteManager::new(self.cfg.sites.clone()));
        }
    }

    pub(crate) fn copy_connection_to_site_manager(&mut self) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let (site, password) = site_from_connection(&server, &self.model.remote.path);
        self.cfg.manager = Some(SiteManager::with_new_site(
            self.cfg.sites.clone(),
            site,
            password,
        ));
    }

    /// Draws the Site Manager and the Settings window, if open, and acts on how they end.
    pub(crate) fn windows_ui(&mut self, ctx: &eframe::egui::Context) {
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
                crate::gui::settings_window::Outcome::Open => {}
                crate::gui::settings_window::Outcome::Cancelled => self.cfg.settings_window = None,
                crate::gui::settings_window::Outcome::Ok(settings) => {
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
                let tx = self.local_tx.clone();
                let wake = Arc::clone(&self.wake);
                let start = start.unwrap_or_else(|| self.local_dir());
                // rfd's portal dialog is async: awaited on the runtime, never here.
                tokio::spawn(async move {
                    let picked = rfd::AsyncFileDialog::new()
                        .set_directory(&start)
                        .pick_folder()
                        .await;
                    if let Some(folder) = picked {
                        tx.send(LocalDone::SiteFolderChosen {
                            site,
                            dir: folder.path().to_path_buf(),
                        })
                        .ok();
                        wake();
                    }
                });
            }
        }
    }

    pub(crate) fn save_sites(&mut self) {
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        let path = dir.join(crate::gui::config::SITES_FILE);
        let sites = self.cfg.sites.clone();
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        self.cfg.sites_writer.write(
            path,
            move |path| sites.save(path).map_err(|e| e.to_string()),
            move |result| {
                tx.send(LocalDone::SitesSaved(result)).ok();
                wake();
            },
        );
    }

    pub(crate) fn save_settings(&mut self) {
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        let path = dir.join(crate::gui::config::SETTINGS_FILE);
        let settings = self.cfg.settings.clone();
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        self.cfg.settings_writer.write(
            path,
            move |path| settings.save(path).map_err(|e| e.to_string()),
            move |result| {
                tx.send(LocalDone::SettingsSaved(result)).ok();
                wake();
            },
        );
    }

    /// Edit > Settings' OK: saved, and applied to the engine and the window at once; new
    /// connections use the new data-connection settings.
    pub(crate) fn apply_settings(&mut self, settings: Settings) {
        let store_changed = settings.password_store != self.cfg.settings.password_store;
        self.cfg.settings = settings;
        if store_changed {
            self.cfg.store = StoreState::Closed;
        }
        self.send_engine_settings();
        self.save_settings();
    }

    /// The engine's settings from Edit > Settings (`setup::engine_settings`, as the CLI's),
    /// with the transfer type chosen in the Transfer menu.
    pub(crate) fn send_engine_settings(&mut self) {
        let mut settings = crate::setup::engine_settings(&self.cfg.settings);
        settings.transfer_mode = self.prefs.transfer_mode;
        self.engine.send(EngineCommand::Configure(settings));
    }

    /// The keyring cannot be used: the user picked the master password or no saving.
    pub(crate) fn switch_store(&mut self, kind: StoreKind) {
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
    pub(crate) fn with_store(&mut self, work: StoreWork) {
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
    pub(crate) fn open_store(&mut self, kind: StoreKind, master: Option<Secret>) {
        let Some(dir) = self.cfg.config_dir.clone() else {
            self.store_failed("there is no config folder to keep passwords in".into());
            return;
        };
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        tokio::task::spawn_blocking(move || {
            let result = PasswordStore::open(kind, &dir, master.as_ref());
            tx.send(LocalDone::StoreOpened(result)).ok();
            wake();
        });
    }

    /// The master-password dialog's answer.
    pub(crate) fn unlock_store(&mut self, master: Secret, create: bool) {
        self.dialog = Some(Dialog::MasterPassword {
            create,
            password: String::new(),
            confirm: String::new(),
            error: None,
            busy: true,
        });
        self.open_store(StoreKind::MasterPassword, Some(master));
    }

    pub(crate) fn store_opened(&mut self, result: Result<PasswordStore, CredentialError>) {
        if matches!(self.dialog, Some(Dialog::MasterPassword { .. })) {
            self.dialog = None;
        }
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
    pub(crate) fn store_failed(&mut self, reason: String) {
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
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        tokio::task::spawn_blocking(move || {
            let mut done = StoreDone {
                errors: Vec::new(),
                connects: Vec::new(),
            };
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            for work in works {
                match work {
                    StoreWork::Apply(ops) => {
                        for op in ops {
                            let result = match &op {
                                PasswordOp::Set(id, password) => store.set(id, password),
                                PasswordOp::Remove(id) => store.remove(id),
                                PasswordOp::Copy { from, to } => match store.get(from) {
                                    Ok(Some(password)) => store.set(to, &password),
                                    Ok(None) => Ok(()),
                                    Err(e) => Err(e),
                                },
                            };
                            if let Err(err) = result {
                                done.errors.push(err.to_string());
                            }
                        }
                    }
                    StoreWork::Connect(site) => {
                        let result = store.get(&site.id).map_err(|e| e.to_string());
                        done.connects.push((*site, result));
                    }
                }
            }
            drop(store);
            tx.send(LocalDone::StoreDone(done)).ok();
            wake();
        });
    }

    pub(crate) fn store_done(&mut self, done: StoreDone) {
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

    fn ask_password(&mut self, site: Site, note: Option<String>) {
        self.dialog = Some(Dialog::AskPassword {
            site: Box::new(site),
            password: String::new(),
            note,
        });
    }

    /// Connects with a saved site; `typed` is a password just typed in the Site Manager.
    pub(crate) fn connect_site(&mut self, id: &str, typed: Option<Secret>) {
        let Some(site) = self.cfg.sites.get(id).cloned() else {
            self.model.op_error = Some("That site is not in the Site Manager any more.".into());
            return;
        };
        if let Some(password) = typed {
            self.connect_with_site(site, Some(password));
            return;
        }
        match site.logon {
            LogonType::Anonymous => self.connect_with_site(site, None),
            LogonType::AskForPassword => match self.cfg.session_passwords.get(id).cloned() {
                Some(password) => self.connect_with_site(site, Some(password)),
                None => self.ask_password(site, None),
            },
            LogonType::Interactive => self.ask_password(site, None),
            LogonType::Normal | LogonType::Account => {
                self.with_store(StoreWork::Connect(Box::new(site)))
            }
        }
    }

    /// The password dialog's answer for `site`.
    pub(crate) fn connect_with_password(&mut self, site: Site, password: Secret) {
        if site.logon == LogonType::AskForPassword {
            self.cfg
                .session_passwords
                .insert(site.id.clone(), password.clone());
        }
        self.connect_with_site(site, Some(password));
    }

    pub(crate) fn connect_with_site(&mut self, site: Site, password: Option<Secret>) {
        let options = match self.cfg.settings.site_server(&site, password) {
            Ok(server) => self.trusting(server),
            Err(err) => {
                self.model.op_error = Some(format!("{}: {err}", site.name));
                return;
            }
        };
        let remote_dir = site
            .remote_dir
            .as_deref()
            .map(|dir| {
                options
                    .charset
                    .encode(dir)
                    .unwrap_or_else(|_| dir.as_bytes().to_vec())
            })
            .unwrap_or_default();
        let url = FtpUrl {
            scheme: site.protocol.scheme(),
            host: options.host.clone(),
            port: options.port,
            user: options.credentials.user.clone(),
            password: None,
            path: remote_dir,
        };
        self.model.push_status(format!(
            "Connecting with the site {:?}: {}",
            site.path(),
            describe_server(&options)
        ));
        self.prefs.remember_server(site.display_url());
        if let Some(dir) = site.local_dir.clone() {
            self.open_local(dir);
        }
        self.start_connection(url, options);
        self.model.remote_time_offset_minutes = site.timezone_offset_minutes;
        self.cfg.current_site = Some(site.id);
    }

    /// A recent server (File menu, quickconnect history): the saved site with that address
    /// if there is one (it knows the password), else quickconnect.
    pub(crate) fn open_recent(&mut self, entry: String) {
        if let Some(id) = self
            .cfg
            .sites
            .sites
            .iter()
            .find(|s| s.display_url() == entry)
            .map(|s| s.id.clone())
        {
            self.connect_site(&id, None);
        } else {
            self.quick = crate::gui::app::Quickconnect {
                host: entry,
                ..Default::default()
            };
            self.quickconnect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_connection_becomes_a_site_without_its_default_port() {
        let mut options = Server::ftp("ftp.example.org", 21);
        options.ftp_settings_mut().unwrap().tls.mode = TlsMode::Explicit;
        options.credentials.user = Some("kim".into());
        options.credentials.password = Some(Secret::new("pw"));
        let (site, password) = site_from_connection(&options, b"/pub");
        assert_eq!(site.protocol, Protocol::FtpExplicitTls);
        assert_eq!((site.port, site.logon), (None, LogonType::Normal));
        assert_eq!(site.remote_dir.as_deref(), Some("/pub"));
        assert_eq!(password.as_deref(), Some("pw"));

        let anonymous = Server::ftp("::1", 2121);
        let (site, password) = site_from_connection(&anonymous, b"/");
        assert_eq!((site.port, site.logon), (Some(2121), LogonType::Anonymous));
        assert!(password.is_none() && site.remote_dir.is_none());
    }

    #[test]
    fn the_log_line_names_mode_range_and_address() {
        let data = DataSettings {
            mode: DataMode::Active,
            active_port_range: Some("50200-50210".parse().unwrap()),
            external_ip: Some("203.0.113.5".parse().unwrap()),
            ..DataSettings::default()
        };
        assert_eq!(
            describe_data(&data),
            "active mode; active connections on local ports 50200-50210, announcing external address 203.0.113.5"
        );
    }
}
