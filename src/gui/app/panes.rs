//! Both panes' folders: opening, refreshing, the tree's own listings, and mkdir, rename and
//! delete. Written once for both sides; the one difference is where the work runs, named
//! here: the local side's on the blocking pool (`local_job`, answered by a promise), the
//! remote side's on the engine (`remote_request`, answered by its events). Either way the
//! pane remembers the request (`PaneState::sent`) and takes its answer
//! (`PaneState::answer`), so a newer listing supersedes an older one on both sides alike.

use std::path::PathBuf;

use super::SkiffApp;
use crate::engine::{EngineCommand, RemoteOp, RequestId};
use crate::gui::actions::Side;
use crate::gui::jobs;
use crate::gui::listing::Listing;
use crate::gui::pane_state::{Answer, Purpose};
use crate::local::{bytes_os, os_bytes};
use crate::proto::charset::{Charset, CharsetError};
use crate::proto::listing::Entry;
use crate::proto::path;

impl SkiffApp {
    /// Whether a side can be browsed: the local disk always, the server once connected.
    pub(super) fn browsable(&self, side: Side) -> bool {
        side == Side::Local || self.server.is_some()
    }

    /// The local folder shown.
    pub(super) fn local_dir(&self) -> PathBuf {
        PathBuf::from(bytes_os(&self.model.local.files.path))
    }

    /// Shows the folder `dir` (in that side's bytes) in the pane.
    pub(super) fn open(&mut self, side: Side, dir: Vec<u8>) {
        self.list(side, dir, Purpose::Listing);
    }

    /// Shows a local folder (at start, File > Choose local folder, a site's local folder).
    pub(super) fn open_local(&mut self, dir: PathBuf) {
        self.open(Side::Local, os_bytes(dir.as_os_str()));
    }

    /// Lists the folder shown again.
    pub(super) fn refresh(&mut self, side: Side) {
        let dir = self.pane(side).files.path.clone();
        self.open(side, dir);
    }

    /// Lists a folder for the tree alone: the file list stays where it is.
    pub(super) fn list_for_tree(&mut self, side: Side, dir: Vec<u8>) {
        self.list(side, dir, Purpose::TreeListing);
    }

    fn list(&mut self, side: Side, dir: Vec<u8>, purpose: Purpose) {
        match side {
            Side::Local => {
                let dir = PathBuf::from(bytes_os(&dir));
                // The file list shows the folder as the OS names it (`..` and links
                // resolved); the tree reads the folder it names.
                let resolve = purpose == Purpose::Listing;
                self.local_job(purpose, move || read_folder(dir, resolve));
            }
            Side::Remote => self.remote_request(RemoteOp::List(dir), purpose),
        }
    }

    pub(super) fn mkdir(&mut self, side: Side, name: &str) {
        match side {
            Side::Local => {
                let dir = self.local_dir().join(name);
                self.local_operation(move || std::fs::create_dir(&dir));
            }
            Side::Remote => self.remote_op(|cwd, charset| {
                Ok(RemoteOp::Mkdir(path::join(cwd, &charset.encode(name)?)))
            }),
        }
    }

    pub(super) fn rename(&mut self, side: Side, entry: &Entry, name: &str) {
        match side {
            Side::Local => {
                let dir = self.local_dir();
                let (from, to) = (dir.join(bytes_os(&entry.name)), dir.join(name));
                self.local_operation(move || crate::local_dir::rename(&from, &to));
            }
            Side::Remote => self.remote_op(|cwd, charset| {
                Ok(RemoteOp::Rename {
                    from: path::join(cwd, &entry.name),
                    to: path::join(cwd, &charset.encode(name)?),
                })
            }),
        }
    }

    pub(super) fn delete(&mut self, side: Side, entries: &[Entry]) {
        match side {
            Side::Local => {
                let dir = self.local_dir();
                let targets: Vec<PathBuf> = entries
                    .iter()
                    .map(|e| dir.join(bytes_os(&e.name)))
                    .collect();
                self.local_operation(move || {
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

    pub(super) fn next_request(&mut self) -> RequestId {
        self.next_request += 1;
        let request = RequestId(self.next_request);
        // Its answer goes to the tab that asked, even if another is active by then.
        self.tabs.sent(request);
        request
    }

    /// The local side's work for `purpose`, on the blocking pool; its answer comes back
    /// through a promise (`poll_local_jobs`).
    pub(super) fn local_job(
        &mut self,
        purpose: Purpose,
        job: impl FnOnce() -> Answer + Send + 'static,
    ) {
        let request = self.next_request();
        self.model.local.sent(request, purpose);
        let promise = jobs::spawn_blocking(&self.wake, job);
        self.jobs.local.push((request, promise));
    }

    /// A change in the local folder shown; it is listed again when done.
    fn local_operation(&mut self, job: impl FnOnce() -> std::io::Result<()> + Send + 'static) {
        self.local_job(Purpose::Operation, move || {
            Answer::Done(job().map_err(|e| e.to_string()))
        });
    }

    /// The remote side's work for `purpose`, on the engine (nothing without a connection);
    /// its answer comes back as an engine event (`Model::apply`).
    fn remote_request(&mut self, op: RemoteOp, purpose: Purpose) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let request = self.next_request();
        self.engine.send(EngineCommand::Remote {
            request,
            server,
            op,
        });
        self.model.remote.sent(request, purpose);
    }

    /// A remote operation in the folder shown; the pane refreshes when it is done.
    pub(super) fn remote_op(
        &mut self,
        make: impl FnOnce(&[u8], Charset) -> Result<RemoteOp, CharsetError>,
    ) {
        let Some(server) = &self.server else {
            return;
        };
        match make(&self.model.remote.files.path, server.charset) {
            Ok(op) => self.remote_request(op, Purpose::Operation),
            Err(err) => self.model.op_error = Some(err.to_string()),
        }
    }

    /// The local side's finished jobs, answered into the local pane.
    pub(super) fn poll_local_jobs(&mut self) {
        for (request, result) in jobs::take_all_ready_keyed(&mut self.jobs.local) {
            let answer = result.unwrap_or_else(|err| Answer::Done(Err(err)));
            self.model.answer(Side::Local, request, answer);
        }
    }
}

/// Reads a local folder (on the blocking pool); with `resolve`, as the OS names it first.
pub(super) fn read_folder(dir: PathBuf, resolve: bool) -> Answer {
    let path = if resolve {
        std::fs::canonicalize(&dir).unwrap_or(dir)
    } else {
        dir
    };
    match crate::local_dir::list(&path) {
        // The keys made here, on the blocking pool, not in a frame.
        Ok(entries) => Answer::Listing {
            path: os_bytes(path.as_os_str()),
            listing: Listing::new(entries.into()),
        },
        Err(err) => Answer::Done(Err(format!("{}: {err}", path.display()))),
    }
}
