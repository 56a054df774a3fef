//! Synchronized browsing, glued to the window: a folder entered on one side is entered on
//! the other (`gui::sync_browse` finds it); where it does not exist, the user is asked to
//! create it or to stop synchronizing.

use std::path::PathBuf;
use std::sync::Arc;

use super::SkiffApp;
use super::panes::read_folder;
use crate::engine::{EngineCommand, RemoteOp};
use crate::gui::actions::Side;
use crate::gui::dialogs::Dialog;
use crate::gui::pane_state::Purpose;
use crate::gui::sync_browse::SyncBrowse;
use crate::local::bytes_os;

impl SkiffApp {
    /// The user enters `dir` on `side`; with synchronized browsing, the other side follows.
    pub(super) fn enter(&mut self, side: Side, dir: Vec<u8>) {
        self.open(side, dir.clone());
        let Some(pair) = &self.sync_browse else {
            return;
        };
        let charset = self
            .server
            .as_ref()
            .map_or_else(Default::default, |s| s.charset);
        match pair.follow(side, &dir, charset) {
            Some(there) => {
                self.open(side.other(), there.clone());
                self.sync_pending = Some((side.other(), there));
            }
            None => {
                self.sync_browse = None;
                self.model.push_status(
                    "Synchronized browsing stopped: the other side has no folder that corresponds"
                        .to_owned(),
                );
            }
        }
    }

    /// View > Synchronized browsing: on, the folders shown now correspond.
    pub(super) fn set_sync_browsing(&mut self, on: bool) {
        self.sync_pending = None;
        self.sync_browse = match on && self.server.is_some() {
            true => Some(SyncBrowse {
                local_base: self.model.local.files.path.clone(),
                remote_base: self.model.remote.files.path.clone(),
            }),
            false => None,
        };
        self.model.push_status(match self.sync_browse {
            Some(_) => "Synchronized browsing on".to_owned(),
            None => "Synchronized browsing off".to_owned(),
        });
    }

    pub(super) fn sync_browsing(&self) -> bool {
        self.sync_browse.is_some()
    }

    /// The folder synchronized browsing entered: shown (done), or missing (ask).
    pub(super) fn check_sync_pending(&mut self) {
        if self.sync_after_logon
            && self.model.connected
            && !self.model.remote.files.path.is_empty()
            && !self.model.remote.files.loading
            && !self.model.local.files.loading
        {
            self.sync_after_logon = false;
            self.set_sync_browsing(true);
        }
        let Some((side, dir)) = &self.sync_pending else {
            return;
        };
        let files = &self.model.pane(*side).files;
        if files.loading {
            return;
        }
        if files.path == *dir {
            self.sync_pending = None;
        } else if files.error.is_some() && self.dialog.is_none() {
            let (side, dir) = (*side, dir.clone());
            let shown = self.model.pane(side).decoder().decode(&dir).into_owned();
            self.sync_pending = None;
            self.dialog = Some(Dialog::SyncFolderMissing {
                side,
                path: dir,
                shown,
            });
        }
    }

    /// Creates the folder synchronized browsing did not find, then enters it.
    pub(super) fn create_and_open(&mut self, side: Side, dir: Vec<u8>) {
        match side {
            Side::Local => {
                let folder = PathBuf::from(bytes_os(&dir));
                self.local_job(Purpose::Listing, move || {
                    if let Err(err) = std::fs::create_dir_all(&folder) {
                        return crate::gui::pane_state::Answer::Done(Err(format!(
                            "{}: {err}",
                            folder.display()
                        )));
                    }
                    read_folder(folder, true)
                });
            }
            Side::Remote => {
                let Some(server) = self.server.clone() else {
                    return;
                };
                // Not the pane's request: the listing after it (same session, in order)
                // shows the folder, or why it could not be made.
                let request = self.next_request();
                self.engine.send(EngineCommand::Remote {
                    request,
                    server: Arc::clone(&server),
                    op: RemoteOp::Mkdir(dir.clone()),
                });
                self.open(side, dir.clone());
            }
        }
        self.sync_pending = Some((side, dir));
    }
}
