//! Carrying out what the user asked for (`UiAction`), after a frame is drawn: remote work
//! becomes engine commands, local work a one-shot job on the blocking pool. Transfers
//! (dragged rows, the context menu, files dropped from the desktop) become queue items here.
//! Nothing here blocks the UI thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

use super::{DroppedFile, SkiffApp};
use crate::engine::{
    Direction, EngineCommand, ExistsPolicy, ItemKind, Priority, RemoteOp, TransferSpec,
};
use crate::gui::actions::{DraggedFiles, Side, UiAction};
use crate::gui::dialogs::{self, Dialog};
use crate::gui::jobs;
use crate::gui::queue_view::QueueTab;
use crate::gui::quickconnect::url_for;
use crate::gui::settings_window::SettingsWindow;
use crate::local::{bytes_os, os_bytes};
use crate::proto::path;
use crate::remote::Server;

impl SkiffApp {
    pub(super) fn act(&mut self, ctx: &egui::Context, action: UiAction) {
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
            UiAction::SearchRemote => self.open_search(),
            UiAction::EnterCustomCommand => self.open_custom_command(),
            UiAction::ExportQueue => self.ask_where_to_export_queue(),
            UiAction::ImportQueue => self.ask_what_queue_to_import(),
            UiAction::SetAfterQueue(after) => self.set_after_queue(after),
            UiAction::Synchronize => self.open_synchronize(),
            UiAction::Refresh(side) => self.refresh(side),
            UiAction::Open(side, dir) => self.enter(side, dir),
            UiAction::Up(side) => {
                let current = self.pane(side).files.path.clone();
                let parent = path::parent(&current).to_vec();
                if parent != current {
                    self.enter(side, parent);
                }
            }
            UiAction::Back(side) => {
                if let Some(dir) = self.pane_mut(side).files.pop_back() {
                    self.enter(side, dir);
                }
            }
            UiAction::SetSyncBrowsing(on) => self.set_sync_browsing(on),
            UiAction::CreateFolderAndOpen(side, dir) => self.create_and_open(side, dir),
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
                // Prefilled as the pane shows the name (decoded in the side's charset).
                let name = self.pane(side).decoder().decode(&entry.name).into_owned();
                let shown = self.shown_name(side, &entry);
                self.dialog = Some(Dialog::Rename {
                    side,
                    name,
                    entry,
                    shown,
                });
            }
            UiAction::AskDelete(side, entries) => {
                let shown = entries
                    .first()
                    .map(|e| self.shown_name(side, e))
                    .unwrap_or_default();
                self.dialog = Some(Dialog::ConfirmDelete {
                    side,
                    entries,
                    shown,
                });
            }
            UiAction::AskPermissions(entries) => {
                // Start from the first entry's bits when the listing gave Unix ones.
                let mode = entries
                    .first()
                    .and_then(|e| e.permissions.as_deref())
                    .and_then(dialogs::unix_mode)
                    .unwrap_or(0o644);
                let shown = entries
                    .first()
                    .map(|e| self.shown_name(Side::Remote, e))
                    .unwrap_or_default();
                self.dialog = Some(Dialog::Permissions {
                    entries,
                    mode,
                    text: format!("{mode:03o}"),
                    shown,
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
            UiAction::ViewEdit(entry) => self.view_edit(entry),
            UiAction::UploadEdit { edit, anyway } => self.upload_edit(edit, anyway),
            UiAction::KeepEditLocal(edit) => self.keep_edit_local(edit),
            UiAction::CopyUrl(entry) => {
                if let Some(url) = &self.server_url {
                    ctx.copy_text(url_for(
                        url,
                        &path::join(&self.model.remote.files.path, &entry.name),
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
                for row in self.model.queue.tab(QueueTab::Queued) {
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
                rename_to,
            } => {
                // The typed name goes first: the item is then no longer waiting, so an
                // "always" below answers only the others (with numbered names).
                if let Some(name) = rename_to {
                    self.engine
                        .send(EngineCommand::AnswerRename { item: id, name });
                }
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
            UiAction::TrustHostKey { key, always } => self.trust_host_key(key, always),
            UiAction::AnswerQuestions(answers) => self.questions.answer(answers),
            UiAction::SftpPassword(password) => self.give_sftp_password(password),
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
            UiAction::ConnectWithoutTls { remember } => self.connect_without_tls(remember),
            UiAction::ImportSites => self.ask_which_file_to_import(),
            UiAction::ExportSites => self.ask_where_to_export(),
            UiAction::ClearLog => {
                self.model.log.clear();
                self.log_view.clear_selection();
            }
            UiAction::SaveLog => self.ask_where_to_save_log(),
            UiAction::AddBookmark => self.ask_new_bookmark(),
            UiAction::ManageBookmarks => self.manage_bookmarks(),
            UiAction::OpenBookmark(bookmark) => self.open_bookmark(*bookmark),
            UiAction::About => self.dialog = Some(Dialog::About),
            UiAction::Shortcuts => self.dialog = Some(Dialog::Shortcuts),
            UiAction::ConnectRecent { entry, password } => self.quickconnect_to(entry, password),
            UiAction::OpenConfigFolder => self.open_config_folder(),
            UiAction::Quit => self.quit = true,
            UiAction::NewTab => self.new_tab(),
            UiAction::CloseTab(slot) => self.close_tab(slot),
            UiAction::SwitchTab(slot) => self.switch_tab(slot),
            UiAction::CycleTab { back } => self.cycle_tab(back),
            UiAction::OpenSiteManager => self.open_site_manager(),
            UiAction::CopyToSiteManager => self.copy_connection_to_site_manager(),
            UiAction::OpenFilters => self.open_filters(),
            UiAction::SetFiltersOn(on) => self.set_filters_on(on),
            UiAction::OpenSettings => {
                if self.cfg.settings_window.is_none() {
                    self.cfg.settings_window = Some(SettingsWindow::new(self.cfg.settings.clone()));
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

    /// Help > Open the settings folder: the desktop's file manager shows where sites.toml,
    /// settings.toml and the password vault are (made first, if nothing was saved yet).
    fn open_config_folder(&mut self) {
        let Some(dir) = self.cfg.config_dir.clone() else {
            self.model
                .push_error("This system has no folder for settings (no home folder).".into());
            return;
        };
        let opener = self.opener.clone().unwrap_or_else(|| {
            PathBuf::from(match std::env::consts::OS {
                "macos" => "open",
                "windows" => "explorer",
                _ => "xdg-open",
            })
        });
        // Starting a program is quick; waiting for it is not, so a thread reaps it.
        let started = std::fs::create_dir_all(&dir)
            .and_then(|()| std::process::Command::new(&opener).arg(&dir).spawn());
        match started {
            Ok(mut child) => {
                let reaper = std::thread::Builder::new().name("opener-wait".into());
                // Without the thread the child stays a zombie until the window closes.
                reaper.spawn(move || child.wait()).ok();
                self.model
                    .push_status(format!("Opened the settings folder {}", dir.display()));
            }
            Err(err) => {
                let why = match err.kind() {
                    std::io::ErrorKind::NotFound => "the program was not found".to_owned(),
                    std::io::ErrorKind::PermissionDenied => "it may not be run".to_owned(),
                    _ => err.to_string(),
                };
                self.model.push_error(format!(
                    "Could not open the settings folder {} with {}: {why}. It holds \
                     sites.toml and settings.toml; open it in your file manager.",
                    dir.display(),
                    opener.display()
                ));
            }
        }
    }

    pub(super) fn enqueue(&mut self, specs: Vec<TransferSpec>, start: bool) {
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
    pub(super) fn transfer(&mut self, files: DraggedFiles, to_dir: Vec<u8>, start: bool) {
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
                        Ok(name) => specs.push(self.with_filters(
                            Side::Local,
                            self.spec(
                                Direction::Upload,
                                entry.is_dir(),
                                local,
                                path::join(&to_dir, &name),
                                &server,
                                entry.size,
                            ),
                        )),
                        Err(err) => self.model.op_error = Some(err.to_string()),
                    }
                }
                Side::Remote => {
                    let named = crate::local::local_name(
                        &entry.name,
                        server.charset_for(&entry.name),
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
                        Ok(Some(name)) => specs.push(self.with_filters(
                            Side::Remote,
                            self.spec(
                                Direction::Download,
                                entry.is_dir(),
                                PathBuf::from(bytes_os(&to_dir)).join(bytes_os(&name)),
                                path::join(&files.dir, &entry.name),
                                &server,
                                entry.size,
                            ),
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

    /// Looks at desktop drops on the blocking pool (file or folder, size), then uploads
    /// them (`upload_dropped`).
    fn look_at_dropped(&mut self, paths: Vec<PathBuf>) {
        let promise = jobs::spawn_blocking(&self.wake, move || {
            paths
                .into_iter()
                .filter_map(|path| {
                    let meta = std::fs::metadata(&path).ok()?;
                    Some(DroppedFile {
                        is_dir: meta.is_dir(),
                        size: meta.is_file().then_some(meta.len()),
                        path,
                    })
                })
                .collect()
        });
        self.jobs.dropped.push(promise);
    }

    /// Desktop files, looked at: uploaded to the remote folder shown.
    pub(super) fn upload_dropped(&mut self, files: Vec<DroppedFile>) {
        let to_dir = self.model.remote.files.path.clone();
        let Some(server) = self.server.clone() else {
            self.model.op_error =
                Some("Connect to a server first: dropped files upload to it.".into());
            return;
        };
        let mut specs = Vec::new();
        for file in files {
            let Some(name) = file.path.file_name() else {
                continue;
            };
            match crate::local::remote_name(name, server.charset) {
                Ok(remote_name) => specs.push(self.with_filters(
                    Side::Local,
                    self.spec(
                        Direction::Upload,
                        file.is_dir,
                        file.path.clone(),
                        path::join(&to_dir, &remote_name),
                        &server,
                        file.size,
                    ),
                )),
                Err(err) => self.model.op_error = Some(err.to_string()),
            }
        }
        self.enqueue(specs, true);
    }

    /// An entry's name as `side`'s pane shows it: decoded in its charset, escapes visible.
    pub(super) fn shown_name(&self, side: Side, entry: &crate::proto::listing::Entry) -> String {
        let decoded = self.pane(side).decoder().decode(&entry.name);
        crate::visible::visible(&decoded).into_owned()
    }

    /// The message log's Save…: the native dialog, then `save_log_to` the file picked.
    fn ask_where_to_save_log(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_directory(self.local_dir())
            .set_file_name("skiff-log.txt")
            .save_file();
        self.jobs.save_log_to = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Writes the message log's lines that the filter shows, each with its date and time, to
    /// `path` (off the UI thread); the log then says where, or why not.
    pub fn save_log_to(&mut self, path: PathBuf) {
        let text = crate::gui::log_pane::saved_text(&self.model, self.prefs.log_kinds);
        self.jobs.log_saved = Some(jobs::spawn_blocking(&self.wake, move || {
            crate::local::write_atomically(&path, text.as_bytes())
                .map(|()| path.clone())
                .map_err(|err| format!("cannot save the message log to {}: {err}", path.display()))
        }));
    }

    /// File > Choose local folder…: the native dialog, built here on the UI thread and
    /// awaited on the runtime (`poll_jobs` opens the folder picked).
    fn choose_local_folder(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_directory(self.local_dir())
            .pick_folder();
        self.jobs.choose_folder = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|folder| folder.path().to_path_buf())
        }));
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
        target_absent: false,
        filters: None,
        expect: None,
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
