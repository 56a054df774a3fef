//! View/Edit (a remote file's context menu, or a double-click when Settings says so): the
//! file is downloaded through the queue into the window's private folder (`gui::edit`),
//! opened in the editor Settings names for its extension or the desktop's default
//! application, and watched. When it is saved there, the window asks whether to upload it
//! (or uploads at once, if chosen). The upload carries what the server's file was when it
//! was opened (`transfer::Expected`): if it changed since, the engine refuses
//! (`ErrorKind::Changed`) and the window asks again, "Upload anyway" or keep the server's.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use poll_promise::Promise;

use super::SkiffApp;
use crate::engine::{
    Direction, EngineCommand, EngineEvent, ExistsPolicy, Expected, ItemId, ItemKind, ItemState,
    Priority, RemoteOp, RequestId, TransferSpec,
};
use crate::folder_sync::Node;
use crate::gui::dialogs::Dialog;
use crate::gui::edit::{self, CopyState, CopyWatcher, LocalFacts, Touched};
use crate::gui::jobs;
use crate::proto::listing::{Entry, EntryKind};
use crate::proto::path;
use crate::remote::{ErrorKind, Server};

/// Where an opened file is in its round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Its folder is being made.
    Preparing,
    /// Being downloaded (the queue item, once the engine named it).
    Downloading(Option<ItemId>),
    /// In its editor, watched.
    Open,
    /// Being uploaded.
    Uploading(Option<ItemId>),
}

/// One file opened with View/Edit.
struct Edit {
    id: u64,
    server: Arc<Server>,
    /// The server's path (its bytes).
    remote: Vec<u8>,
    /// The file's name as the remote pane shows it.
    shown: String,
    /// Its URL (without a password), for the note of copies kept at close.
    url: String,
    /// The local copy, in its own folder of the window's.
    copy: PathBuf,
    /// What the server's file was when the copy was last in step with it (from a listing).
    remote_seen: Node,
    stage: Stage,
    watcher: Option<CopyWatcher>,
    /// The copy when it last matched the server's file (downloaded or uploaded).
    in_step: Option<LocalFacts>,
    /// The copy as last seen.
    latest: Option<LocalFacts>,
    /// The copy as it was when the running upload was queued.
    sending: Option<LocalFacts>,
    /// The copy as it was when the user was last asked about it (a "No" is not asked again
    /// until the next save).
    asked: Option<LocalFacts>,
}

impl Edit {
    fn changed(&self) -> bool {
        self.latest.is_some() && self.latest != self.in_step
    }

    fn copy_state(&self) -> CopyState {
        CopyState {
            changed: self.changed(),
            uploading: matches!(self.stage, Stage::Uploading(_)),
        }
    }
}

/// What the copy's folder being made, or its watcher and editor being started, ended with.
type FolderMade = Promise<Result<Result<(), String>, String>>;
type Opened =
    Promise<Result<Result<(CopyWatcher, Option<LocalFacts>, Option<String>), String>, String>>;

/// A question waiting for the dialog to be free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Upload(u64),
    RemoteChanged(u64),
}

/// Every file opened with View/Edit, and the jobs and watchers that serve them.
pub(super) struct Edits {
    /// This window's private folder (`gui::edit::session_dir`).
    session: PathBuf,
    next: u64,
    list: Vec<Edit>,
    touched_tx: Sender<Touched>,
    touched: Receiver<Touched>,
    folders: Vec<(u64, FolderMade)>,
    opened: Vec<(u64, Opened)>,
    /// Editors started again for copies already open (a second View/Edit).
    reopened: Vec<Promise<Result<Result<(), String>, String>>>,
    asks: VecDeque<Ask>,
    /// Listings asked for to learn the server's file after an upload.
    listings: Vec<(RequestId, u64)>,
    /// The program that opens files without an editor in Settings (`AppOptions::editor`).
    opener: Option<PathBuf>,
}

impl Edits {
    /// Copies under `root` (else `gui::edit::edit_root`), opened with `opener` where
    /// Settings names no editor (else the desktop's).
    pub(super) fn new(root: Option<PathBuf>, opener: Option<PathBuf>) -> Self {
        let (touched_tx, touched) = edit::touch_channel();
        Self {
            session: edit::session_dir(
                &root.unwrap_or_else(edit::edit_root),
                std::process::id(),
                std::time::SystemTime::now(),
            ),
            next: 0,
            list: Vec::new(),
            touched_tx,
            touched,
            folders: Vec::new(),
            opened: Vec::new(),
            reopened: Vec::new(),
            asks: VecDeque::new(),
            listings: Vec::new(),
            opener,
        }
    }

    fn get(&mut self, id: u64) -> Option<&mut Edit> {
        self.list.iter_mut().find(|e| e.id == id)
    }
}

impl SkiffApp {
    /// The copies opened with View/Edit: the local path and whether it was changed and not
    /// uploaded yet, for tests.
    pub fn edited_copies(&self) -> Vec<(PathBuf, bool)> {
        self.edits
            .list
            .iter()
            .map(|e| (e.copy.clone(), e.copy_state().keep_at_close()))
            .collect()
    }

    /// View/Edit of a remote file of the folder shown.
    pub(super) fn view_edit(&mut self, entry: Entry) {
        let Some(server) = self.server.clone() else {
            self.model.op_error = Some("Connect to a server first.".into());
            return;
        };
        if entry.is_dir() {
            return;
        }
        let remote = path::join(&self.model.remote.files.path, &entry.name);
        let shown = self.shown_name(crate::gui::actions::Side::Remote, &entry);
        if let Some(open) = self
            .edits
            .list
            .iter()
            .find(|e| e.remote == remote && e.server.key() == server.key())
        {
            // One copy per file: a second View/Edit opens the same copy again.
            if open.stage == Stage::Open {
                let copy = open.copy.clone();
                self.start_editor_again(copy);
            }
            return;
        }
        let named = crate::local::local_name(
            &entry.name,
            server.charset_for(&entry.name),
            server.name_replacement,
        );
        let name = match named {
            Ok(named) => named.name,
            Err(err) => {
                self.model.op_error = Some(err.to_string());
                return;
            }
        };
        self.edits.next += 1;
        let id = self.edits.next;
        let copy = edit::copy_path(&self.edits.session, id, &name);
        let url = self
            .server_url
            .as_ref()
            .map(|url| crate::gui::url_for(url, &remote))
            .unwrap_or_else(|| shown.clone());
        let folder = copy.parent().map(PathBuf::from).unwrap_or_default();
        let made = jobs::spawn_blocking(&self.wake, move || {
            edit::make_private_dir(&folder)
                .map_err(|err| format!("cannot make the folder {}: {err}", folder.display()))
        });
        self.edits.folders.push((id, made));
        self.edits.list.push(Edit {
            id,
            server,
            remote,
            shown,
            url,
            copy,
            remote_seen: Node::from_entry(&entry),
            stage: Stage::Preparing,
            watcher: None,
            in_step: None,
            latest: None,
            sending: None,
            asked: None,
        });
    }

    /// The program and arguments that open `copy`: the editor for its extension, else the
    /// opener the window was given, else the desktop's.
    fn editor_command(&self, copy: &std::path::Path) -> (PathBuf, Vec<std::ffi::OsString>) {
        let name = copy
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.cfg
            .settings
            .editor_for(&name)
            .and_then(|command| edit::command_line(command, copy))
            .unwrap_or_else(|| {
                let program = self
                    .edits
                    .opener
                    .clone()
                    .unwrap_or_else(edit::desktop_opener);
                (program, vec![copy.as_os_str().to_owned()])
            })
    }

    fn start_editor_again(&mut self, copy: PathBuf) {
        let (program, args) = self.editor_command(&copy);
        let started = jobs::spawn_blocking(&self.wake, move || {
            edit::start(&program, &args).map_err(|err| edit::start_failure(&program, &err))
        });
        self.edits.reopened.push(started);
    }

    /// Takes the edits' finished jobs and the watchers' news; puts a waiting question up
    /// when no dialog is shown.
    pub(super) fn poll_edits(&mut self) {
        for started in jobs::take_all_ready(&mut self.edits.reopened) {
            if let Err(err) = started.and_then(|r| r) {
                self.model.push_error(err);
            }
        }
        for (key, made) in jobs::take_all_ready_keyed(&mut self.edits.folders) {
            match made.and_then(|r| r) {
                Ok(()) => self.download_copy(key),
                Err(err) => self.edit_failed(key, err),
            }
        }
        for (id, opened) in jobs::take_all_ready_keyed(&mut self.edits.opened) {
            match opened.and_then(|r| r) {
                Ok((watcher, facts, problem)) => {
                    if let Some(problem) = problem {
                        self.model.push_error(problem);
                    }
                    if let Some(edit) = self.edits.get(id) {
                        edit.watcher = Some(watcher);
                        edit.in_step = facts;
                        // A save the watcher reported before this is not lost.
                        edit.latest = edit.latest.or(facts);
                        edit.stage = Stage::Open;
                        let shown = edit.shown.clone();
                        self.model.push_status(format!(
                            "Opened {shown} for editing: saving it offers to upload it"
                        ));
                        self.edit_saved(id);
                    }
                }
                Err(err) => self.edit_failed(id, err),
            }
        }
        while let Ok(touched) = self.edits.touched.try_recv() {
            if let Some(edit) = self.edits.get(touched.edit) {
                // A file gone for a moment (an editor saving by rename) is not a save.
                if touched.facts.is_some() {
                    edit.latest = touched.facts;
                    self.edit_saved(touched.edit);
                }
            }
        }
        while self.dialog.is_none()
            && let Some(ask) = self.edits.asks.pop_front()
        {
            self.dialog = match ask {
                // A question answered meanwhile (an upload already on its way) is dropped.
                Ask::Upload(id) => self
                    .edits
                    .get(id)
                    .filter(|e| e.stage == Stage::Open && e.changed())
                    .map(|e| Dialog::UploadEdit {
                        edit: id,
                        shown: e.shown.clone(),
                    }),
                Ask::RemoteChanged(id) => self.edits.get(id).map(|e| Dialog::EditRemoteChanged {
                    edit: id,
                    shown: e.shown.clone(),
                }),
            };
        }
    }

    /// The copy's folder is there: the download goes through the queue, first in line.
    fn download_copy(&mut self, id: u64) {
        let Some(edit) = self.edits.get(id) else {
            return;
        };
        edit.stage = Stage::Downloading(None);
        let spec = TransferSpec {
            direction: Direction::Download,
            kind: ItemKind::File,
            local: edit.copy.clone(),
            remote: edit.remote.clone(),
            server: Arc::clone(&edit.server),
            size: edit.remote_seen.size,
            priority: Priority::Highest,
            exists: ExistsPolicy::Overwrite,
            target_absent: false,
            filters: None,
            expect: None,
        };
        self.enqueue(vec![spec], true);
    }

    /// The copy is downloaded: watched first, then opened, off the UI thread.
    fn open_copy(&mut self, id: u64) {
        let Some(edit) = self.edits.list.iter().find(|e| e.id == id) else {
            return;
        };
        let copy = edit.copy.clone();
        let (program, args) = self.editor_command(&copy);
        let sender = self.edits.touched_tx.clone();
        let wake = Arc::clone(&self.wake);
        let opened = jobs::spawn_blocking(&self.wake, move || {
            // Watched before the editor starts, so no save can come first.
            let watcher = CopyWatcher::start(id, copy.clone(), sender, wake)
                .map_err(|err| format!("cannot watch {} for changes: {err}", copy.display()))?;
            let facts = LocalFacts::of(&copy);
            let problem = edit::start(&program, &args)
                .err()
                .map(|err| edit::start_failure(&program, &err));
            Ok((watcher, facts, problem))
        });
        self.edits.opened.push((id, opened));
    }

    /// The copy may have been saved: asked about, or uploaded at once if so chosen.
    fn edit_saved(&mut self, id: u64) {
        let without_asking = self.cfg.settings.upload_edits_without_asking;
        let Some(edit) = self.edits.get(id) else {
            return;
        };
        if edit.stage != Stage::Open || !edit.changed() || edit.asked == edit.latest {
            return;
        }
        edit.asked = edit.latest;
        if without_asking {
            self.upload_edit(id, false);
        } else if !self.edits.asks.contains(&Ask::Upload(id)) {
            self.edits.asks.push_back(Ask::Upload(id));
        }
    }

    /// Uploads the copy over the server's file; unless `anyway`, only if the server's file
    /// is still what it was when opened (else the engine fails it as `ErrorKind::Changed`).
    pub(super) fn upload_edit(&mut self, id: u64, anyway: bool) {
        let Some(edit) = self.edits.get(id) else {
            return;
        };
        if edit.stage != Stage::Open {
            return;
        }
        edit.stage = Stage::Uploading(None);
        edit.sending = edit.latest;
        // The local side is the user's own copy: only the server's file is checked (a
        // source without size or time never counts as changed).
        let any_local = Node {
            kind: EntryKind::File,
            size: None,
            modified: None,
        };
        let spec = TransferSpec {
            direction: Direction::Upload,
            kind: ItemKind::File,
            local: edit.copy.clone(),
            remote: edit.remote.clone(),
            server: Arc::clone(&edit.server),
            size: edit.latest.map(|f| f.size),
            priority: Priority::Highest,
            exists: ExistsPolicy::Overwrite,
            target_absent: false,
            filters: None,
            expect: (!anyway).then(|| {
                Box::new(Expected {
                    source: any_local,
                    target: Some(edit.remote_seen),
                    since: crate::transfer::Since::Opened,
                })
            }),
        };
        self.enqueue(vec![spec], true);
    }

    /// "No" to uploading a saved copy: it stays changed (and kept at close) until the next
    /// save asks again.
    pub(super) fn keep_edit_local(&mut self, id: u64) {
        if let Some(edit) = self.edits.get(id) {
            let shown = edit.shown.clone();
            self.model.push_status(format!(
                "{shown}: the changes were not uploaded; the edited copy stays until they are"
            ));
        }
    }

    fn edit_failed(&mut self, id: u64, why: String) {
        if let Some(at) = self.edits.list.iter().position(|e| e.id == id) {
            let edit = self.edits.list.remove(at);
            self.model
                .push_error(format!("Could not open {} for editing: {why}", edit.shown));
        }
    }

    /// Follows the queue items of the edits; takes the listings asked for after an upload
    /// (`true`: the event was the edits' own).
    pub(super) fn edit_takes(&mut self, event: &EngineEvent) -> bool {
        match event {
            EngineEvent::ItemAdded {
                id,
                direction,
                local,
                ..
            } => {
                if let Some(edit) = self.edits.list.iter_mut().find(|e| e.copy == *local) {
                    match (&mut edit.stage, direction) {
                        (Stage::Downloading(item @ None), Direction::Download)
                        | (Stage::Uploading(item @ None), Direction::Upload) => *item = Some(*id),
                        _ => {}
                    }
                }
                false
            }
            EngineEvent::ItemChanged {
                id, state, error, ..
            } if state.is_finished() => {
                let found = self.edits.list.iter().find(|e| {
                    matches!(e.stage, Stage::Downloading(Some(item)) | Stage::Uploading(Some(item)) if item == *id)
                });
                if let Some(edit) = found {
                    let (edit_id, stage) = (edit.id, edit.stage);
                    let why = error.as_ref().map(|e| e.to_string()).unwrap_or_default();
                    let changed = error.as_ref().map(|e| e.kind()) == Some(ErrorKind::Changed);
                    match stage {
                        Stage::Downloading(_) if *state == ItemState::Successful => {
                            self.open_copy(edit_id);
                        }
                        Stage::Downloading(_) => self.edit_failed(edit_id, why),
                        _ => self.upload_ended(edit_id, *state == ItemState::Successful, changed),
                    }
                }
                false
            }
            EngineEvent::Listing {
                request, entries, ..
            } => {
                let Some(at) = self.edits.listings.iter().position(|(r, _)| r == request) else {
                    return false;
                };
                let (_, id) = self.edits.listings.remove(at);
                if let Some(edit) = self.edits.get(id) {
                    let name = path::file_name(&edit.remote);
                    if let Some(entry) = entries.iter().find(|e| e.name == name) {
                        edit.remote_seen = Node::from_entry(entry);
                    }
                }
                true
            }
            EngineEvent::RemoteDone { request, .. } => {
                let Some(at) = self.edits.listings.iter().position(|(r, _)| r == request) else {
                    return false;
                };
                // The server's file stays as last seen; the next upload checks against it.
                self.edits.listings.remove(at);
                true
            }
            _ => false,
        }
    }

    fn upload_ended(&mut self, id: u64, uploaded: bool, remote_changed: bool) {
        let request = self.next_request();
        let Some(edit) = self.edits.get(id) else {
            return;
        };
        edit.stage = Stage::Open;
        let sending = edit.sending.take();
        if uploaded {
            edit.in_step = sending;
            // What the server has now, for the next upload's check.
            let server = Arc::clone(&edit.server);
            let folder = path::parent(&edit.remote).to_vec();
            let shown = edit.shown.clone();
            self.edits.listings.push((request, id));
            self.engine.send(EngineCommand::Remote {
                request,
                server,
                op: RemoteOp::List(folder),
            });
            self.model
                .push_status(format!("Uploaded the edited {shown}"));
            // Saved again while it was uploading.
            self.edit_saved(id);
        } else if remote_changed {
            edit.asked = edit.latest;
            self.edits.asks.push_back(Ask::RemoteChanged(id));
        } else {
            // Failed or cancelled: the queue says why; the next save asks again.
            edit.asked = None;
        }
    }

    /// Closing the window: copies the server has are removed, the others kept and named
    /// (`gui::edit::clean_up`).
    pub(super) fn close_edits(&mut self) {
        let kept = edit::kept_at_close(
            self.edits
                .list
                .iter()
                .map(|e| (e.copy.as_path(), e.copy_state())),
        );
        let kept: Vec<(PathBuf, String)> = kept
            .into_iter()
            .filter_map(|copy| {
                let edit = self.edits.list.iter().find(|e| e.copy == copy)?;
                Some((copy, edit.url.clone()))
            })
            .collect();
        // The watchers stop before their folders go.
        self.edits.list.clear();
        edit::clean_up(&self.edits.session, &kept);
    }
}
