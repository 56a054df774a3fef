//! Server > Search remote files (F3), glued to the window: the search runs on the engine's
//! browsing session (`RemoteOp::Search`), its findings stream into the window
//! (`gui::search_window`) folder by folder, Stop cancels it between two listings, and what
//! the user chooses for the results selected is carried out here: downloads through the
//! queue into the local folder shown, deletions on the server, or the remote pane opened
//! at a result's folder with it selected.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use eframe::egui;

use super::SkiffApp;
use crate::cancel::Cancel;
use crate::engine::{EngineCommand, EngineEvent, RemoteOp, RequestId};
use crate::gui::actions::{DraggedFiles, Side};
use crate::gui::pane::ClickMods;
use crate::gui::search_window::{Found, SearchOutcome, SearchWindow};
use crate::proto::listing::Entry;
use crate::proto::path;
use crate::search::Criteria;

/// The search window and what it started.
#[derive(Default)]
pub(super) struct Searching {
    pub window: Option<SearchWindow>,
    /// The search under way: its request and its stop signal.
    running: Option<(RequestId, Cancel)>,
    /// Deletions asked from the window, by request: the path deleted.
    deletes: HashMap<RequestId, Vec<u8>>,
    /// "Show in pane": the folder entered and the name to select once it is shown.
    select: Option<(Vec<u8>, Vec<u8>)>,
}

impl SkiffApp {
    /// Server > Search remote files: the window, searching in the remote folder shown.
    pub(super) fn open_search(&mut self) {
        if self.server.is_none() || self.search.window.is_some() {
            return;
        }
        let folder = self
            .model
            .remote
            .decoder()
            .decode(&self.model.remote.files.path);
        self.search.window = Some(SearchWindow::new(folder.into_owned()));
    }

    /// The search window, for tests: its results and state.
    pub fn search_window(&self) -> Option<&SearchWindow> {
        self.search.window.as_ref()
    }

    fn start_search(&mut self, criteria: Criteria) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let Some(window) = &mut self.search.window else {
            return;
        };
        let root = match server
            .charset
            .encode_user_bytes(window.form.folder.trim().as_bytes())
        {
            Ok(root) => root,
            Err(err) => {
                window.problem = Some(format!("The folder cannot be named on this server: {err}"));
                return;
            }
        };
        window.started();
        let cancel = Cancel::new();
        self.next_request += 1;
        let request = RequestId(self.next_request);
        self.tabs.sent(request);
        self.engine.send(EngineCommand::Remote {
            request,
            server,
            op: RemoteOp::Search {
                root,
                criteria: Arc::new(criteria),
                cancel: cancel.clone(),
            },
        });
        self.search.running = Some((request, cancel));
    }

    /// Stops the search, if one runs, and closes its window (a disconnection).
    pub(super) fn close_search(&mut self) {
        self.stop_search();
        self.search.window = None;
        self.search.select = None;
    }

    fn stop_search(&mut self) {
        if let Some((_, cancel)) = &self.search.running {
            cancel.cancel();
        }
    }

    /// Takes the events of the search and of the deletions it asked for; `true` when taken.
    pub(super) fn search_takes(&mut self, event: &EngineEvent) -> bool {
        let decoder = self.model.remote.decoder();
        let running = self.search.running.as_ref().map(|(r, _)| *r);
        match event {
            EngineEvent::SearchFound {
                request,
                folder,
                result,
            } if Some(*request) == running => {
                let shown = decoder.decode(folder).into_owned();
                let Some(window) = &mut self.search.window else {
                    return true;
                };
                match result {
                    Ok(entries) => {
                        let found = entries.iter().map(|entry| Found {
                            shown: decoder.decode(&entry.name).into_owned(),
                            entry: entry.clone(),
                        });
                        window.found(shown, found);
                    }
                    Err(err) => {
                        let why = crate::gui::error_text::sentence(err);
                        window.unlisted.push(format!("{shown}: {why}"));
                        window.found(shown.clone(), []);
                        self.model
                            .push_error(format!("Search: {shown} could not be listed: {why}"));
                    }
                }
                true
            }
            EngineEvent::RemoteDone { request, result } if Some(*request) == running => {
                self.search.running = None;
                let ended = match result {
                    Ok(()) => Ok(()),
                    Err(err) if err.is_cancelled() => Err("Stopped.".to_owned()),
                    Err(err) => {
                        let why = crate::gui::error_text::sentence(err);
                        self.model.push_error(format!("Search failed: {why}"));
                        Err(format!("Failed: {why}"))
                    }
                };
                if let Some(window) = &mut self.search.window {
                    window.ended(ended);
                }
                true
            }
            EngineEvent::RemoteDone { request, result } => {
                let Some(deleted) = self.search.deletes.remove(request) else {
                    return false;
                };
                match result {
                    Ok(()) => {
                        if let Some(window) = &mut self.search.window {
                            window.deleted(&deleted);
                        }
                        self.model
                            .push_status(format!("Deleted {}", decoder.decode(&deleted)));
                        if path::parent(&deleted) == self.model.remote.files.path.as_slice() {
                            self.model.remote.dirty = true;
                        }
                    }
                    Err(err) => {
                        let why = crate::gui::error_text::sentence(err);
                        self.model.push_error(why.clone());
                        if let Some(window) = &mut self.search.window {
                            window.problem = Some(why);
                        }
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Draws the window, if open, and carries out what was chosen in it.
    pub(super) fn search_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.search.window else {
            return;
        };
        match window.show(ctx) {
            SearchOutcome::Open => {}
            SearchOutcome::Closed => self.close_search(),
            SearchOutcome::Start(criteria) => self.start_search(criteria),
            SearchOutcome::Stop => self.stop_search(),
            SearchOutcome::Download(entries) => self.download_found(entries),
            SearchOutcome::Delete(entries) => self.delete_found(entries),
            SearchOutcome::ShowInPane(entry) => {
                let folder = path::parent(&entry.name).to_vec();
                let name = path::file_name(&entry.name).to_vec();
                self.enter(Side::Remote, folder.clone());
                self.search.select = Some((folder, name));
            }
        }
    }

    /// Results into the local folder shown, through the queue, each from its own folder.
    fn download_found(&mut self, entries: Vec<Entry>) {
        let mut by_folder: BTreeMap<Vec<u8>, Vec<Entry>> = BTreeMap::new();
        for mut entry in entries {
            let folder = path::parent(&entry.name).to_vec();
            entry.name = path::file_name(&entry.name).to_vec();
            by_folder.entry(folder).or_default().push(entry);
        }
        let to_dir = self.model.local.files.path.clone();
        for (dir, entries) in by_folder {
            let files = DraggedFiles {
                from: Side::Remote,
                dir,
                entries,
            };
            self.transfer(files, to_dir.clone(), true);
        }
    }

    /// The files among the results deleted on the server (folders are left to the pane,
    /// where their contents are seen).
    fn delete_found(&mut self, entries: Vec<Entry>) {
        let Some(server) = self.server.clone() else {
            return;
        };
        for entry in entries.into_iter().filter(|e| !e.is_dir()) {
            self.next_request += 1;
            let request = RequestId(self.next_request);
            self.tabs.sent(request);
            self.engine.send(EngineCommand::Remote {
                request,
                server: Arc::clone(&server),
                op: RemoteOp::Delete(entry.name.clone()),
            });
            self.search.deletes.insert(request, entry.name);
        }
    }

    /// "Show in pane": once the remote pane shows the result's folder, the result is
    /// selected (the name gone meanwhile: nothing is).
    pub(super) fn check_search_select(&mut self) {
        let Some((folder, name)) = &self.search.select else {
            return;
        };
        let pane = &mut self.model.remote.files;
        if pane.loading {
            return;
        }
        if pane.path == *folder {
            let row = (0..).map_while(|r| pane.row(r).map(|e| (r, e)));
            if let Some((row, _)) = row.into_iter().find(|(_, e)| e.name == *name) {
                pane.click(row, ClickMods::default());
            }
            self.search.select = None;
        } else if pane.error.is_some() {
            self.search.select = None;
        }
    }
}
