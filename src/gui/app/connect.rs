//! Connecting the browsing session: quickconnect, a saved site (its password from the store,
//! the session or a dialog), a recent server; reconnecting with a certificate the user
//! trusts; disconnecting. Each connection starts by listing its folder in the remote pane.

use std::sync::Arc;

use super::SkiffApp;
use crate::engine::EngineCommand;
use crate::gui::actions::Side;
use crate::gui::dialogs::Dialog;
use crate::gui::jobs;
use crate::gui::quickconnect::{Quickconnect, host_and_port_fields, quickconnect_target};
use crate::gui::site_manager::SiteManager;
use crate::gui::sites_state::{StoreWork, describe_server, site_from_connection};
use crate::remote::Server;
use crate::secret::Secret;
use crate::sites::site::{LogonType, Site};
use crate::sites::trust::{TrustStore, TrustedCert};
use crate::url::FtpUrl;

impl SkiffApp {
    pub(super) fn quickconnect(&mut self) {
        let (url, _) = match quickconnect_target(&self.quick) {
            Ok(target) => target,
            Err(err) => {
                self.quick_error = Some(err);
                return;
            }
        };
        // A URL's credentials move into their fields: the password never stays visible.
        if let Some(user) = &url.user {
            self.quick.user = user.clone();
        }
        if let Some(password) = &url.password {
            self.quick.password = password.expose().to_owned();
        }
        (self.quick.host, self.quick.port) = host_and_port_fields(&url);
        let mut server = self.trusting(self.cfg.settings.url_server(&url, false));
        // A bare host or ftp:// tries explicit TLS first, as FileZilla does: a server that
        // offers none stops the logon before the password, and the window asks
        // (`ask_plain_ftp`), unless the user allowed plain FTP for this host before.
        self.tls_first =
            url.scheme == crate::url::Scheme::Ftp && !self.prefs.allows_plain_ftp(&url.host_port());
        if self.tls_first
            && let Some(ftp) = server.ftp_settings_mut()
        {
            ftp.tls.mode = crate::net::tls::TlsMode::Explicit;
        }
        self.quick_error = None;
        let remembered = FtpUrl {
            password: None,
            path: Vec::new(),
            ..url.clone()
        };
        self.prefs.remember_server(remembered.redacted());
        self.model.push_status(format!(
            "Connecting to {}: {}",
            url.host_port(),
            describe_server(&server)
        ));
        self.start_connection(url, server);
    }

    /// `server` with the fingerprint trusted earlier for its host (the trust store), so a
    /// changed certificate is refused loudly.
    pub(super) fn trusting(&self, mut server: Server) -> Server {
        let stored = self
            .trust_store
            .as_ref()
            .and_then(|store| store.get(&server.host, server.port))
            .map(|cert| cert.sha256.clone());
        if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.stored_fingerprint = stored;
        }
        let known_hosts = self.known_hosts_file();
        if let Some(ssh) = server.ssh_settings_mut() {
            if let Some(file) = known_hosts
                && !ssh.known_hosts_files.contains(&file)
            {
                ssh.known_hosts_files.push(file);
            }
            // Questions besides the password (a one-time code) come to the window.
            ssh.prompter = Some(self.questions.prompter.clone());
        }
        server
    }

    /// Connects the browsing connection again with `options` (more trust, a password):
    /// the old one keeps its options, so it is closed first; the queue's items of this
    /// server take the new ones too.
    fn reconnect_as(&mut self, old: Arc<Server>, options: Server) {
        self.engine.send(EngineCommand::Disconnect(old));
        let options = Arc::new(options);
        self.engine
            .send(EngineCommand::UpdateServer(Arc::clone(&options)));
        self.server = Some(options);
        let dir = self
            .server_url
            .as_ref()
            .map(|u| u.path.clone())
            .unwrap_or_default();
        self.open(Side::Remote, dir);
    }

    /// An SFTP server refused the login and no password was given: asks for it (kept for
    /// this session only, never saved). A key's passphrase and a server's own questions
    /// are asked during the logon (`crate::gui::prompter`).
    pub(super) fn ask_sftp_password(&mut self) {
        let Some(server) = self.server.as_ref() else {
            return;
        };
        if server.ssh_settings().is_none() || server.credentials.password.is_some() {
            return;
        }
        let user = server.credentials.user.clone().unwrap_or_default();
        self.dialog = Some(Dialog::SftpPassword {
            prompt: format!("Password for {user} on {}:", server.host),
            password: String::new(),
        });
    }

    /// The answer to `ask_sftp_password`: log on again with it.
    pub(super) fn give_sftp_password(&mut self, password: String) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let mut options = (*server).clone();
        options.credentials.password = Some(crate::secret::Secret::new(password));
        self.reconnect_as(server, options);
    }

    /// Skiff's own known_hosts, in the config folder.
    pub(super) fn known_hosts_file(&self) -> Option<std::path::PathBuf> {
        self.cfg
            .config_dir
            .as_ref()
            .map(|dir| dir.join("known_hosts"))
    }

    /// The user compared the host key and trusts it: connect again with its fingerprint
    /// trusted (every transfer connection gets it too), and with `always`, save it in
    /// Skiff's known_hosts on the blocking pool so the next connection is silent.
    pub(super) fn trust_host_key(&mut self, key: crate::sftp::HostKeyInfo, always: bool) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let mut options = (*server).clone();
        if let Some(ssh) = options.ssh_settings_mut() {
            ssh.trusted_host_keys.push(key.fingerprint.clone());
        }
        self.reconnect_as(server, options);
        if always && let Some(file) = self.known_hosts_file() {
            self.jobs.host_key_saved = Some(jobs::spawn_blocking(&self.wake, move || {
                crate::sites::known_hosts::remember(&file, &key)
                    .map(|()| file)
                    .map_err(|e| format!("The host key could not be saved: {e}"))
            }));
        }
    }

    /// Connects the browsing connection to a server (quickconnect or a site) and lists
    /// `url.path` (the login folder when empty).
    pub(super) fn start_connection(&mut self, url: FtpUrl, options: Server) {
        self.cfg.current_site = None;
        self.sync_browse = None;
        self.sync_pending = None;
        self.sync_after_logon = false;
        self.model.remote_time_offset_minutes = 0;
        if self.server.is_some() {
            self.disconnect();
        }
        let options = Arc::new(options);
        // Queued items of this server (restored from the last run) take this logon.
        self.engine
            .send(EngineCommand::UpdateServer(Arc::clone(&options)));
        self.model.server_key = Some(options.key());
        self.model.connected = false;
        self.model.capabilities = None;
        self.model.remote.clear();
        // The site's charset: the server's names are shown in it, typed paths sent in it;
        // names that are not UTF-8 from an "Auto" server without UTF8 in the fallback one.
        self.model.remote.charset = options.charset;
        self.model.remote_fallback = Some(self.cfg.settings.fallback_charset());
        self.server = Some(options);
        self.open(Side::Remote, url.path.clone());
        self.server_url = Some(url);
    }

    pub(super) fn disconnect(&mut self) {
        self.sync_browse = None;
        // Its results are the old server's paths: no action of the window may reach another.
        self.close_search();
        if let Some(server) = self.server.take() {
            self.engine.send(EngineCommand::Disconnect(server));
        }
        self.model.connected = false;
        self.model.capabilities = None;
        self.model.server_key = None;
        self.model.remote.listing = None;
        self.model.remote.clear();
    }

    /// A TLS-first quickconnect found no TLS on the server: nothing secret was sent. Asks
    /// whether to log on without encryption (`connect_without_tls`).
    pub(super) fn ask_plain_ftp(&mut self) {
        let Some(url) = self.server_url.as_ref().filter(|_| self.tls_first) else {
            return;
        };
        self.tls_first = false;
        self.dialog = Some(Dialog::AllowPlainFtp {
            host: url.host_port(),
            remember: false,
        });
    }

    /// The answer to `ask_plain_ftp`: connect again without TLS; with `remember`, this host
    /// is not asked about again.
    pub(super) fn connect_without_tls(&mut self, remember: bool) {
        let (Some(server), Some(url)) = (self.server.clone(), self.server_url.clone()) else {
            return;
        };
        let host = url.host_port();
        if remember {
            self.prefs.allow_plain_ftp(host.clone());
        }
        let mut options = (*server).clone();
        if let Some(ftp) = options.ftp_settings_mut() {
            ftp.tls.mode = crate::net::tls::TlsMode::None;
        }
        self.model.push_status(format!(
            "Connecting to {host} without encryption, as you chose: the password and every \
             file travel in clear text"
        ));
        self.start_connection(url, options);
    }

    /// The user checked the certificate and trusts it: connect again with its fingerprint
    /// (every transfer connection gets it too), and with `always`, save it on the blocking
    /// pool so the next connection is silent.
    pub(super) fn trust_certificate(&mut self, info: crate::net::tls::CertInfo, always: bool) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let mut options = (*server).clone();
        if let Some(ftp) = options.ftp_settings_mut() {
            ftp.tls.trusted_fingerprints.push(info.sha256.clone());
        }
        self.reconnect_as(server, options);
        if always && let Some(mut store) = self.trust_store.clone() {
            self.jobs.trust_saved = Some(jobs::spawn_blocking(&self.wake, move || {
                store
                    .trust(TrustedCert::from_cert(&info))
                    .map(|()| store)
                    .map_err(|e| e.to_string())
            }));
        }
    }

    /// The trust store with the certificate saved in it (or why it could not be saved).
    pub(super) fn trust_saved(&mut self, result: Result<TrustStore, String>) {
        match result {
            Ok(store) => {
                self.model.push_status(format!(
                    "Certificate saved in the trust store ({})",
                    store.path().display()
                ));
                self.trust_store = Some(store);
            }
            Err(err) => self.model.op_error = Some(err),
        }
    }

    pub(super) fn copy_connection_to_site_manager(&mut self) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let (site, password) = site_from_connection(&server, &self.model.remote.files.path);
        self.cfg.manager = Some(SiteManager::with_new_site(
            self.cfg.sites.clone(),
            site,
            password,
        ));
    }

    pub(super) fn ask_password(&mut self, site: Site, note: Option<String>) {
        self.dialog = Some(Dialog::AskPassword {
            site: Box::new(site),
            password: String::new(),
            note,
        });
    }

    /// Connects with a saved site; `typed` is a password just typed in the Site Manager.
    pub(super) fn connect_site(&mut self, id: &str, typed: Option<Secret>) {
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
    pub(super) fn connect_with_password(&mut self, site: Site, password: Secret) {
        if site.logon == LogonType::AskForPassword {
            self.cfg
                .session_passwords
                .insert(site.id.clone(), password.clone());
        }
        self.connect_with_site(site, Some(password));
    }

    pub(super) fn connect_with_site(&mut self, site: Site, password: Option<Secret>) {
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
        // The site's own synchronized browsing starts from its two folders, once shown.
        self.sync_after_logon = site.synchronized_browsing;
        self.cfg.current_site = Some(site.id);
    }

    /// A recent server (File menu, quickconnect history): the saved site with that address
    /// if there is one (it knows the password); else quickconnect, asking first for the
    /// password of a named user (the list keeps none, and a logon without one fails).
    pub(super) fn open_recent(&mut self, entry: String) {
        if let Some(id) = self
            .cfg
            .sites
            .sites
            .iter()
            .find(|s| s.display_url() == entry)
            .map(|s| s.id.clone())
        {
            self.connect_site(&id, None);
            return;
        }
        let user = FtpUrl::parse(&entry).ok().and_then(|url| url.user);
        match user {
            Some(user) if !user.eq_ignore_ascii_case("anonymous") => {
                self.dialog = Some(Dialog::RecentPassword {
                    entry,
                    user,
                    password: String::new(),
                });
            }
            _ => self.quickconnect_to(entry, String::new()),
        }
    }

    /// Quickconnect to `entry` (a URL without a password) with `password`.
    pub(super) fn quickconnect_to(&mut self, entry: String, password: String) {
        self.quick = Quickconnect {
            host: entry,
            password,
            ..Default::default()
        };
        self.quickconnect();
    }
}
