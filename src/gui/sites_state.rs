//! The window's sites, settings and password store as state: the lists in use, their
//! writers, the store as far as it is open and the work waiting for it, the Site Manager and
//! Settings windows while open; and the Status lines that describe a server. No `SkiffApp`
//! in here: `app/sites.rs` and `app/connect.rs` act on this state.
//!
//! The password store lives behind a mutex that only jobs on the blocking pool lock: the
//! keyring answers over D-Bus and the vault writes a file, so the UI thread never waits.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use poll_promise::Promise;

use crate::gui::config::FileWriter;
use crate::gui::settings_window::SettingsWindow;
use crate::gui::site_manager::{PasswordOp, SiteManager};
use crate::net::tls::TlsMode;
use crate::net::{DataMode, DataSettings};
use crate::remote::Server;
use crate::secret::Secret;
use crate::sites::credentials::{CredentialError, PasswordStore};
use crate::sites::settings::Settings;
use crate::sites::site::{LogonType, Protocol, Site, SiteList};

/// The password store the settings name, as far as the window got opening it.
#[derive(Default)]
pub enum StoreState {
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
pub enum StoreWork {
    Apply(Vec<PasswordOp>),
    /// Read the site's saved password, then connect.
    Connect(Box<Site>),
}

/// The password store, opened, or why not.
pub type Opened = Result<PasswordStore, CredentialError>;

/// What a store job reports.
pub struct StoreDone {
    pub errors: Vec<String>,
    pub connects: Vec<(Site, Result<Option<Secret>, String>)>,
}

/// The window's sites, settings and password store.
#[derive(Default)]
pub struct SitesState {
    pub config_dir: Option<PathBuf>,
    pub settings: Settings,
    pub sites: SiteList,
    /// The global bookmarks (`bookmarks.toml`); a site's own are in its `Site`.
    pub bookmarks: Vec<crate::sites::bookmark::Bookmark>,
    pub bookmarks_writer: FileWriter,
    pub sites_writer: FileWriter,
    pub settings_writer: FileWriter,
    pub store: StoreState,
    /// The store being opened on the blocking pool (the vault's Argon2id takes 0.2 s and
    /// more); a newer opening replaces it.
    pub opening: Option<Promise<Result<Opened, String>>>,
    /// Store work running on the blocking pool (`run_store_work`).
    pub store_jobs: Vec<Promise<Result<StoreDone, String>>>,
    /// Work waiting for the store to open.
    pub waiting: Vec<StoreWork>,
    /// "Ask for password" sites' passwords, for this session only.
    pub session_passwords: HashMap<String, Secret>,
    pub manager: Option<SiteManager>,
    pub settings_window: Option<SettingsWindow>,
    /// The Site Manager's Browse… for a site's local folder: the site and the folder picked.
    pub site_folder_dialog: Option<Promise<Option<(String, PathBuf)>>>,
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

/// Does `works` with the store (on the blocking pool: the keyring and the vault are slow).
pub fn run_store_work(store: &Mutex<PasswordStore>, works: Vec<StoreWork>) -> StoreDone {
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
    done
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
