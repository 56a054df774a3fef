//! Carrying out what the user asked for (`UiAction`), after a frame is drawn: remote work
//! becomes engine commands, local folder work runs on tokio's blocking pool and reports
//! back through `LocalDone`. Nothing here blocks the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

use crate::engine::{
    Direction, EngineCommand, ExistsPolicy, ItemKind, Priority, RemoteOp, RequestId, TransferSpec,
};
use crate::gui::actions::{DraggedFiles, Side, UiAction};
use crate::gui::app::{LocalDone, Quickconnect, SkiffApp};
use crate::gui::dialogs::Dialog;
use crate::local::{bytes_os, os_bytes};
use crate::proto::listing::Entry;
use crate::proto::path;
use crate::remote::Server;
use crate::secret::Secret;
use crate::url::FtpUrl;

/// What the quickconnect fields say, as a server to connect to. The host field may hold a
/// whole URL; the other fields fill in what it lacks.
pub fn quickconnect_target(quick: &Quickconnect) -> Result<(FtpUrl, Server), String> {
    let host = quick.host.trim();
    if host.is_empty() {
        return Err("Enter a host name or an ftp:// URL".to_owned());
    }
    let text = if host.contains("://") {
        host.to_owned()
    } else {
        format!("ftp://{host}")
    };
    let mut url = FtpUrl::parse(&text).map_err(|e| e.to_string())?;
    if !quick.port.trim().is_empty() {
        url.port = match quick.port.trim().parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("{:?} is not a port number", quick.port.trim())),
        };
    }
    if url.user.is_none() && !quick.user.trim().is_empty() {
        url.user = Some(quick.user.trim().to_owned());
    }
    if url.password.is_none() && !quick.password.is_empty() {
        url.password = Some(Secret::new(quick.password.clone()));
    }
    let server = crate::sites::settings::Settings::default().url_server(&url, false);
    Ok((url, server))
}

/// What the Host and Port fields show once connected: the scheme and host, and the port
/// when it is not the scheme's default (FileZilla's way; the port no longer hides in Host).
pub fn host_and_port_fields(url: &FtpUrl) -> (String, String) {
    let port = if url.port == url.scheme.default_port() {
        String::new()
    } else {
        url.port.to_string()
    };
    (
        format!("{}://{}", url.scheme.as_str(), url.url_host()),
        port,
    )
}

/// `ftp://user@host:port/path` for the clipboard: no password, the path percent-encoded.
pub fn url_for(url: &FtpUrl, remote_path: &[u8]) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let user = url
        .user
        .as_deref()
        .map(|u| format!("{}@", percent_encoding::utf8_percent_encode(u, KEEP)))
        .unwrap_or_default();
    format!(
        "{}://{user}{}{}",
        url.scheme.as_str(),
        url.host_port(),
        percent_encoding::percent_encode(remote_path, KEEP)
    )
}

impl SkiffApp {
    pub(crate) fn act(&mut self, ctx: &egui::Context, action: UiAction) {
        match action {
            UiAction::Quickconnect => self.quickconnect(),
            UiAction::Disconnect => self.disconnect(),
            UiAction::Reconnect => {
                if let Some(site) = self.cfg.current_site.clone() {
                    self.connect_site(&site, None);
                } else if let Some(url) = self.server_url.clone() {
                    self.disconnect();
                    self.quick.host = url.redacted();
                    self.quickconnect();
                }
            }
            UiAction::Diagnose => self.start_diagnosis(),
            UiAction::Refresh(side) => self.refresh(side),
            UiAction::Open(side, dir) => self.open(side, dir),
            UiAction::Up(side) => {
                let current = self.pane_path(side).to_vec();
                let parent = path::parent(&current).to_vec();
                if parent != current {
                    self.open(side, parent);
                }
            }
            UiAction::Back(side) => {
                let previous = match side {
                    Side::Local => self.local.pop_back(),
                    Side::Remote => self.model.remote.pop_back(),
                };
                if let Some(dir) = previous {
                    self.open(side, dir);
                }
            }
            UiAction::Transfer {
                files,
                to_dir,
                start,
            } => self.transfer(files, to_dir, start),
            UiAction::UploadDropped(paths) => self.look_at_dropped(paths),
            UiAction::AskMkdir(side) => {
                self.dialog = Some(Dialog::Mkdir {
                    side,
                    name: String::new(),
                });
            }
            UiAction::AskRename(side, entry) => {
                self.dialog = Some(Dialog::Rename {
                    side,
                    name: entry.name_lossy(),
                    entry,
                });
            }
            UiAction::AskDelete(side, entries) => {
                self.dialog = Some(Dialog::ConfirmDelete { side, entries });
            }
            UiAction::AskPermissions(entries) => {
                // Start from the first entry's bits when the listing gave Unix ones.
                let mode = entries
                    .first()
                    .and_then(|e| e.permissions.as_deref())
                    .and_then(crate::gui::dialogs::unix_mode)
                    .unwrap_or(0o644);
                self.dialog = Some(Dialog::Permissions {
                    entries,
                    mode,
                    text: format!("{mode:03o}"),
                });
            }
            UiAction::Chmod(entries, mode) => {
                for entry in entries {
                    self.remote_op(|cwd, _| {
                        Ok(RemoteOp::Chmod {
                            path: path::join(cwd, &entry.name),
                            mode,
                        })
                    });
                }
            }
            UiAction::Mkdir(side, name) => self.mkdir(side, &name),
            UiAction::Rename(side, entry, name) => self.rename(side, &entry, &name),
            UiAction::Delete(side, entries) => self.delete(side, &entries),
            UiAction::OpenLocalFile(entry) => {
                let file = self.local_dir().join(bytes_os(&entry.name));
                open_with_desktop(&file);
            }
            UiAction::CopyUrl(entry) => {
                if let Some(url) = &self.server_url {
                    ctx.copy_text(url_for(
                        url,
                        &path::join(&self.model.remote.path, &entry.name),
                    ));
                }
            }
            UiAction::ProcessQueue(on) => {
                self.processing = on;
                self.engine.send(EngineCommand::ProcessQueue(on));
            }
            UiAction::SetTransferMode(mode) => {
                self.prefs.transfer_mode = mode;
                self.engine.send(EngineCommand::SetTransferMode(mode));
            }
            UiAction::SetDataMode(mode) => {
                let settings = &mut self.cfg.settings;
                match mode {
                    crate::net::DataMode::Auto => {
                        settings.data_mode = crate::net::DataMode::Passive;
                        settings.passive_fallback = true;
                    }
                    crate::net::DataMode::Passive => {
                        settings.data_mode = mode;
                        settings.passive_fallback = false;
                    }
                    crate::net::DataMode::Active => settings.data_mode = mode,
                }
                self.save_settings();
            }
            UiAction::Cancel(id) => {
                self.engine.send(EngineCommand::Cancel(id));
            }
            UiAction::CancelAll => {
                for row in self
                    .model
                    .queue
                    .tab(crate::gui::queue_view::QueueTab::Queued)
                {
                    self.engine.send(EngineCommand::Cancel(row.id));
                }
            }
            UiAction::Retry(id) => {
                self.engine.send(EngineCommand::Retry(id));
            }
            UiAction::RetryFailed => {
                for id in self.model.queue.failed_ids() {
                    self.engine.send(EngineCommand::Retry(id));
                }
            }
            UiAction::ClearSuccessful => self.model.queue.clear_successful(),
            UiAction::SetPriority(id, priority) => {
                self.model.queue.set_priority(id, priority);
                self.engine.send(EngineCommand::SetPriority(id, priority));
            }
            UiAction::Answer {
                id,
                policy,
                apply_to_all,
            } => {
                self.engine.send(EngineCommand::Answer {
                    item: id,
                    policy,
                    apply_to_all,
                });
                if apply_to_all {
                    // The engine answers the others of that direction itself.
                    let direction = self.model.queue.get(id).map(|r| r.direction);
                    self.model
                        .questions
                        .retain(|q| Some(q.direction) != direction);
                }
            }
            UiAction::TrustCertificate { info, always } => self.trust_certificate(info, always),
            UiAction::ChooseLocalFolder => self.choose_local_folder(),
            UiAction::ToggleLog => self.prefs.show_log = !self.prefs.show_log,
            UiAction::ToggleQueue => self.prefs.show_queue = !self.prefs.show_queue,
            UiAction::ToggleTrees => self.prefs.show_trees = !self.prefs.show_trees,
            UiAction::ListForTree(side, dir) => self.list_for_tree(side, dir),
            UiAction::SetTheme(theme) => {
                self.cfg.settings.theme = theme;
                self.save_settings();
            }
            UiAction::SetLogTimestamps(on) => {
                self.cfg.settings.log_timestamps = on;
                self.save_settings();
            }
            UiAction::About => self.dialog = Some(Dialog::About),
            UiAction::Quit => self.quit = true,
            UiAction::OpenSiteManager => self.open_site_manager(),
            UiAction::CopyToSiteManager => self.copy_connection_to_site_manager(),
            UiAction::OpenSettings => {
                if self.cfg.settings_window.is_none() {
                    self.cfg.settings_window = Some(
                        crate::gui::settings_window::SettingsWindow::new(self.cfg.settings.clone()),
                    );
                }
            }
            UiAction::OpenRecent(entry) => self.open_recent(entry),
            UiAction::ConnectSiteWith(site, password) => {
                self.connect_with_password(*site, password);
            }
            UiAction::UnlockStore(master, create) => self.unlock_store(master, create),
            UiAction::CancelStore => self.store_failed("cancelled".into()),
            UiAction::SwitchStore(kind) => self.switch_store(kind),
        }
    }

    pub(crate) fn quickconnect(&mut self) {
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
        let server = self.trusting(self.cfg.settings.url_server(&url, false));
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
            crate::gui::site_connect::describe_server(&server)
        ));
        self.start_connection(url, server);
    }

    /// `server` with the fingerprint trusted earlier for its host (the trust store), so a
    /// changed certificate is refused loudly.
    pub(crate) fn trusting(&self, mut server: Server) -> Server {
        let stored = self
            .trust_store
            .as_ref()
            .and_then(|store| store.get(&server.host, server.port))
            .map(|cert| cert.sha256.clone());
        if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.stored_fingerprint = stored;
        }
        server
    }

    /// Connects the browsing connection to a server (quickconnect or a site) and lists
    /// `url.path` (the login folder when empty).
    pub(crate) fn start_connection(&mut self, url: FtpUrl, options: Server) {
        self.cfg.current_site = None;
        self.model.remote_time_offset_minutes = 0;
        if self.server.is_some() {
            self.disconnect();
        }
        let options = Arc::new(options);
        // Queued items of this server (restored from the last run) take this logon.
        self.engine
            .send(EngineCommand::UpdateServer(Arc::clone(&options)));
        self.model.server_key = Some(options.key());
        self.server = Some(options);
        self.model.connected = false;
        self.model.capabilities = None;
        self.model.remote = Default::default();
        self.model.remote_tree = Default::default();
        self.list(url.path.clone());
        self.server_url = Some(url);
    }

    fn disconnect(&mut self) {
        if let Some(server) = self.server.take() {
            self.engine.send(EngineCommand::Disconnect(server));
        }
        self.model.connected = false;
        self.model.capabilities = None;
        self.model.server_key = None;
        self.model.remote_listing = None;
        self.model.remote = Default::default();
        self.model.remote_tree = Default::default();
    }

    fn next_request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    fn remote(&mut self, op: RemoteOp) -> Option<RequestId> {
        let server = self.server.clone()?;
        let request = self.next_request();
        self.engine.send(EngineCommand::Remote {
            request,
            server,
            op,
        });
        Some(request)
    }

    fn list(&mut self, dir: Vec<u8>) {
        if let Some(request) = self.remote(RemoteOp::List(dir)) {
            self.model.remote_listing = Some(request);
            self.model.remote.loading = true;
        }
    }

    fn pane_path(&self, side: Side) -> &[u8] {
        match side {
            Side::Local => &self.local.path,
            Side::Remote => &self.model.remote.path,
        }
    }

    pub(crate) fn local_dir(&self) -> PathBuf {
        PathBuf::from(bytes_os(&self.local.path))
    }

    pub(crate) fn refresh(&mut self, side: Side) {
        match side {
            Side::Local => self.open_local(self.local_dir()),
            Side::Remote => {
                if self.server.is_some() {
                    let dir = self.model.remote.path.clone();
                    self.list(dir);
                }
            }
        }
    }

    fn open(&mut self, side: Side, dir: Vec<u8>) {
        match side {
            Side::Local => self.open_local(PathBuf::from(bytes_os(&dir))),
            Side::Remote => self.list(dir),
        }
    }

    /// Lists a local folder on the blocking pool.
    pub(crate) fn open_local(&mut self, dir: PathBuf) {
        self.local_request += 1;
        let request = self.local_request;
        self.local.loading = true;
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        tokio::task::spawn_blocking(move || {
            // The folder as the OS names it, so `..` and links resolve before display.
            let path = std::fs::canonicalize(&dir).unwrap_or(dir);
            let result = crate::local_dir::list(&path);
            tx.send(LocalDone::Listing {
                request,
                path,
                result,
            })
            .ok();
            wake();
        });
    }

    /// The user checked the certificate and trusts it: connect again with its fingerprint
    /// (every transfer connection gets it too), and with `always`, save it on the blocking
    /// pool so the next connection is silent.
    fn trust_certificate(&mut self, info: crate::net::tls::CertInfo, always: bool) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let mut options = (*server).clone();
        if let Some(ftp) = options.ftp_settings_mut() {
            ftp.tls.trusted_fingerprints.push(info.sha256.clone());
        }
        // The old browsing connection keeps its options: close it first.
        self.engine.send(EngineCommand::Disconnect(server));
        let options = Arc::new(options);
        self.engine
            .send(EngineCommand::UpdateServer(Arc::clone(&options)));
        self.server = Some(options);
        let dir = self
            .server_url
            .as_ref()
            .map(|u| u.path.clone())
            .unwrap_or_default();
        self.list(dir);
        if always && let Some(mut store) = self.trust_store.clone() {
            let tx = self.local_tx.clone();
            let wake = Arc::clone(&self.wake);
            tokio::task::spawn_blocking(move || {
                let result = store
                    .trust(crate::sites::trust::TrustedCert::from_cert(&info))
                    .map(|()| store)
                    .map_err(|e| e.to_string());
                tx.send(LocalDone::TrustSaved(result)).ok();
                wake();
            });
        }
    }

    /// Lists a folder for the tree alone: the file list stays where it is.
    fn list_for_tree(&mut self, side: Side, dir: Vec<u8>) {
        match side {
            Side::Remote => {
                if let Some(request) = self.remote(RemoteOp::List(dir)) {
                    self.model.remote_tree_requests.insert(request);
                }
            }
            Side::Local => {
                let tx = self.local_tx.clone();
                let wake = Arc::clone(&self.wake);
                let path = PathBuf::from(bytes_os(&dir));
                tokio::task::spawn_blocking(move || {
                    let result = crate::local_dir::list(&path);
                    tx.send(LocalDone::TreeListing { path, result }).ok();
                    wake();
                });
            }
        }
    }

    fn local_job(&self, job: impl FnOnce() -> std::io::Result<()> + Send + 'static) {
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        tokio::task::spawn_blocking(move || {
            let result = job().map_err(|e| e.to_string());
            tx.send(LocalDone::Operation(result)).ok();
            wake();
        });
    }

    pub(crate) fn local_done(&mut self, done: LocalDone) {
        match done {
            LocalDone::Listing {
                request,
                path,
                result,
            } if request == self.local_request => match result {
                Ok(entries) => {
                    self.local_tree.learn(&os_bytes(path.as_os_str()), &entries);
                    self.model.local_path = path.clone();
                    self.local
                        .set_listing(os_bytes(path.as_os_str()), entries.into());
                }
                Err(err) => {
                    self.local.loading = false;
                    self.local.error = Some(format!("{}: {err}", path.display()));
                }
            },
            LocalDone::Listing { .. } => {}
            LocalDone::Operation(result) => {
                if let Err(err) = result {
                    self.model.op_error = Some(err);
                }
                self.refresh(Side::Local);
            }
            LocalDone::Chosen(dir) => self.open_local(dir),
            LocalDone::TrustSaved(result) => match result {
                Ok(store) => {
                    self.model.push_status(format!(
                        "Certificate saved in the trust store ({})",
                        store.path().display()
                    ));
                    self.trust_store = Some(store);
                }
                Err(err) => self.model.op_error = Some(err),
            },
            LocalDone::SitesSaved(result) => match result {
                Ok(()) => self.model.push_status("Sites saved".into()),
                Err(err) => {
                    self.model.push_error(err.clone());
                    self.model.op_error = Some(err);
                }
            },
            LocalDone::SettingsSaved(result) => {
                if let Err(err) = result {
                    self.model.push_error(err.clone());
                    self.model.op_error = Some(err);
                }
            }
            LocalDone::StoreOpened(result) => self.store_opened(result),
            LocalDone::StoreDone(done) => self.store_done(done),
            LocalDone::SiteFolderChosen { site, dir } => {
                if let Some(manager) = &mut self.cfg.manager {
                    manager.set_local_dir(&site, dir);
                }
            }
            LocalDone::TreeListing { path, result } => {
                if let Ok(entries) = result {
                    self.local_tree.learn(&os_bytes(path.as_os_str()), &entries);
                }
            }
            LocalDone::Dropped(files) => {
                let to_dir = self.model.remote.path.clone();
                let Some(server) = self.server.clone() else {
                    self.model.op_error =
                        Some("Connect to a server first: dropped files upload to it.".into());
                    return;
                };
                let mut specs = Vec::new();
                for (local, is_dir, size) in files {
                    let Some(name) = local.file_name() else {
                        continue;
                    };
                    match crate::local::remote_name(name, server.charset) {
                        Ok(remote_name) => specs.push(self.spec(
                            Direction::Upload,
                            is_dir,
                            local.clone(),
                            path::join(&to_dir, &remote_name),
                            &server,
                            size,
                        )),
                        Err(err) => self.model.op_error = Some(err.to_string()),
                    }
                }
                self.enqueue(specs, true);
            }
        }
    }

    fn enqueue(&mut self, specs: Vec<TransferSpec>, start: bool) {
        if specs.is_empty() {
            return;
        }
        if !start {
            // "Add to queue": queued, not started, until the user processes the queue.
            self.processing = false;
            self.engine.send(EngineCommand::ProcessQueue(false));
        }
        self.engine.send(EngineCommand::Enqueue(specs));
        if start {
            self.processing = true;
            self.engine.send(EngineCommand::ProcessQueue(true));
        }
    }

    /// Entries of one side's folder into the other side's folder `to_dir`.
    fn transfer(&mut self, files: DraggedFiles, to_dir: Vec<u8>, start: bool) {
        let Some(server) = self.server.clone() else {
            self.model.op_error = Some("Connect to a server first.".into());
            return;
        };
        let mut specs = Vec::new();
        // Case-only and NFC/NFD twins among the selection get `name (1).ext` locally.
        let mut local_names = crate::local::FolderNames::default();
        for entry in &files.entries {
            match files.from {
                Side::Local => {
                    let local = PathBuf::from(bytes_os(&files.dir)).join(bytes_os(&entry.name));
                    match crate::local::remote_name(&bytes_os(&entry.name), server.charset) {
                        Ok(name) => specs.push(self.spec(
                            Direction::Upload,
                            entry.is_dir(),
                            local,
                            path::join(&to_dir, &name),
                            &server,
                            entry.size,
                        )),
                        Err(err) => self.model.op_error = Some(err.to_string()),
                    }
                }
                Side::Remote => {
                    let named = crate::local::local_name(
                        &entry.name,
                        server.charset,
                        server.name_replacement,
                    );
                    let claim = |n: crate::local::LocalName| {
                        let bytes = os_bytes(&n.name);
                        if entry.is_dir() {
                            local_names.claim(&bytes)
                        } else {
                            local_names.claim_file(&bytes)
                        }
                    };
                    match named.map(claim) {
                        Ok(Some(name)) => specs.push(self.spec(
                            Direction::Download,
                            entry.is_dir(),
                            PathBuf::from(bytes_os(&to_dir)).join(bytes_os(&name)),
                            path::join(&files.dir, &entry.name),
                            &server,
                            entry.size,
                        )),
                        Ok(None) => {
                            self.model.op_error = Some(format!(
                                "no free local name for {:?}",
                                String::from_utf8_lossy(&entry.name)
                            ));
                        }
                        // A name that would leave the folder is refused, visibly.
                        Err(err) => self.model.op_error = Some(err.to_string()),
                    }
                }
            }
        }
        self.enqueue(specs, start);
    }

    /// Looks at desktop drops on the blocking pool (file or folder, size), then uploads.
    fn look_at_dropped(&self, paths: Vec<PathBuf>) {
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        tokio::task::spawn_blocking(move || {
            let files = paths
                .into_iter()
                .filter_map(|p| {
                    let meta = std::fs::metadata(&p).ok()?;
                    Some((p, meta.is_dir(), meta.is_file().then_some(meta.len())))
                })
                .collect();
            tx.send(LocalDone::Dropped(files)).ok();
            wake();
        });
    }

    fn mkdir(&mut self, side: Side, name: &str) {
        match side {
            Side::Local => {
                let dir = self.local_dir().join(name);
                self.local_job(move || std::fs::create_dir(&dir));
            }
            Side::Remote => self.remote_op(|cwd, charset| {
                Ok(RemoteOp::Mkdir(path::join(cwd, &charset.encode(name)?)))
            }),
        }
    }

    fn rename(&mut self, side: Side, entry: &Entry, name: &str) {
        match side {
            Side::Local => {
                let dir = self.local_dir();
                let (from, to) = (dir.join(bytes_os(&entry.name)), dir.join(name));
                self.local_job(move || crate::local_dir::rename(&from, &to));
            }
            Side::Remote => self.remote_op(|cwd, charset| {
                Ok(RemoteOp::Rename {
                    from: path::join(cwd, &entry.name),
                    to: path::join(cwd, &charset.encode(name)?),
                })
            }),
        }
    }

    fn delete(&mut self, side: Side, entries: &[Entry]) {
        match side {
            Side::Local => {
                let targets: Vec<PathBuf> = entries
                    .iter()
                    .map(|e| self.local_dir().join(bytes_os(&e.name)))
                    .collect();
                self.local_job(move || {
                    targets.iter().try_for_each(|t| crate::local_dir::delete(t))
                });
            }
            Side::Remote => {
                for entry in entries {
                    self.remote_op(|cwd, _| {
                        let target = path::join(cwd, &entry.name);
                        Ok(if entry.is_dir() {
                            RemoteOp::Rmdir(target)
                        } else {
                            RemoteOp::Delete(target)
                        })
                    });
                }
            }
        }
    }

    /// A remote operation in the folder shown; the pane refreshes when it is done.
    fn remote_op(
        &mut self,
        make: impl FnOnce(
            &[u8],
            crate::proto::charset::Charset,
        ) -> Result<RemoteOp, crate::proto::charset::CharsetError>,
    ) {
        let Some(server) = &self.server else {
            return;
        };
        match make(&self.model.remote.path, server.charset) {
            Ok(op) => {
                if let Some(request) = self.remote(op) {
                    self.model.remote_ops.insert(request);
                }
            }
            Err(err) => self.model.op_error = Some(err.to_string()),
        }
    }

    fn choose_local_folder(&self) {
        let tx = self.local_tx.clone();
        let wake = Arc::clone(&self.wake);
        let start = self.local_dir();
        // rfd's portal dialog is async: awaited on the runtime, never on the UI thread.
        tokio::spawn(async move {
            let picked = rfd::AsyncFileDialog::new()
                .set_directory(&start)
                .pick_folder()
                .await;
            if let Some(folder) = picked {
                tx.send(LocalDone::Chosen(folder.path().to_path_buf())).ok();
                wake();
            }
        });
    }
}

impl SkiffApp {
    /// A queue item; an existing target is handled as Edit > Settings > File exists action
    /// says (by default the window asks, as FileZilla does; the answer can apply to the rest).
    fn spec(
        &self,
        direction: Direction,
        is_dir: bool,
        local: PathBuf,
        remote: Vec<u8>,
        server: &Arc<Server>,
        size: Option<u64>,
    ) -> TransferSpec {
        let exists = match direction {
            Direction::Download => self.cfg.settings.download_exists,
            Direction::Upload => self.cfg.settings.upload_exists,
        };
        spec(direction, is_dir, local, remote, server, size, exists)
    }
}

fn spec(
    direction: Direction,
    is_dir: bool,
    local: PathBuf,
    remote: Vec<u8>,
    server: &Arc<Server>,
    size: Option<u64>,
    exists: ExistsPolicy,
) -> TransferSpec {
    TransferSpec {
        direction,
        kind: if is_dir {
            ItemKind::DirectoryContents
        } else {
            ItemKind::File
        },
        local,
        remote,
        server: Arc::clone(server),
        size: if is_dir { None } else { size },
        priority: Priority::Normal,
        exists,
    }
}

/// Opens a local file with the desktop's default program (xdg-open and friends), without
/// waiting for it.
fn open_with_desktop(file: &Path) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(err) = std::process::Command::new(program).arg(file).spawn() {
        tracing::warn!("cannot open {}: {err:#}", file.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tls::TlsMode;

    fn quick(host: &str, user: &str, password: &str, port: &str) -> Quickconnect {
        Quickconnect {
            host: host.into(),
            user: user.into(),
            password: password.into(),
            port: port.into(),
        }
    }

    #[test]
    fn quickconnect_takes_a_host_or_a_url_and_fills_in_the_rest() {
        let (url, options) =
            quickconnect_target(&quick("example.org", "me", "pw", "2121")).unwrap();
        assert_eq!((url.host.as_str(), url.port), ("example.org", 2121));
        assert_eq!(options.credentials.user.as_deref(), Some("me"));
        assert_eq!(
            options.credentials.password.as_ref().unwrap().expose(),
            "pw"
        );
        assert_eq!(options.ftp_settings().unwrap().tls.mode, TlsMode::None);

        let (url, options) =
            quickconnect_target(&quick("ftpes://bob:s%40crt@host/pub", "", "", "")).unwrap();
        assert_eq!(url.port, 21);
        assert_eq!(url.path, b"/pub");
        assert_eq!(
            options.credentials.password.as_ref().unwrap().expose(),
            "s@crt"
        );
        assert_eq!(options.ftp_settings().unwrap().tls.mode, TlsMode::Explicit);

        let (_, options) = quickconnect_target(&quick("ftps://host", "", "", "")).unwrap();
        assert_eq!(
            (options.port, options.ftp_settings().unwrap().tls.mode),
            (990, TlsMode::Implicit)
        );
    }

    #[test]
    fn after_connecting_the_port_shows_in_its_own_field_and_reconnects_the_same() {
        for (typed, host, port) in [
            ("ftp://me@127.0.0.1:2121/pub", "ftp://127.0.0.1", "2121"),
            ("ftpes://example.org", "ftpes://example.org", ""),
            ("ftps://example.org:990", "ftps://example.org", ""),
            ("ftp://[::1]:2121", "ftp://[::1]", "2121"),
        ] {
            let (url, _) = quickconnect_target(&quick(typed, "", "", "")).unwrap();
            let fields = host_and_port_fields(&url);
            assert_eq!(fields, (host.to_owned(), port.to_owned()), "{typed}");
            let (again, _) = quickconnect_target(&quick(&fields.0, "", "", &fields.1)).unwrap();
            assert_eq!((again.host, again.port), (url.host, url.port), "{typed}");
        }
    }

    #[test]
    fn quickconnect_errors_are_plain_words() {
        assert!(quickconnect_target(&quick("  ", "", "", "")).is_err());
        assert!(
            quickconnect_target(&quick("host", "", "", "http"))
                .unwrap_err()
                .contains("port")
        );
        assert!(quickconnect_target(&quick("sftp://host", "", "", "")).is_err());
    }

    #[test]
    fn copied_urls_carry_no_password_and_encode_the_path() {
        let url = FtpUrl::parse("ftp://me:secret@host:2121/").unwrap();
        let text = url_for(&url, "/pub/a b/한.txt".as_bytes());
        assert_eq!(text, "ftp://me@host:2121/pub/a%20b/%ED%95%9C.txt");
        assert!(!text.contains("secret"));
    }
}
