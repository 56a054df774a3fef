//! Both panes' folders: opening, refreshing, the tree's own listings, and mkdir, rename and
//! delete: local ones on the blocking pool (reporting back through `LocalDone`), remote ones
//! as engine requests.

use std::path::PathBuf;
use std::sync::Arc;

use super::{LocalDone, SkiffApp};
use crate::engine::{EngineCommand, RemoteOp, RequestId};
use crate::gui::actions::Side;
use crate::local::bytes_os;
use crate::proto::charset::{Charset, CharsetError};
use crate::proto::listing::Entry;
use crate::proto::path;

impl SkiffApp {
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

    pub(super) fn list(&mut self, dir: Vec<u8>) {
        if let Some(request) = self.remote(RemoteOp::List(dir)) {
            self.model.remote_listing = Some(request);
            self.model.remote.loading = true;
        }
    }

    pub(super) fn pane_path(&self, side: Side) -> &[u8] {
        match side {
            Side::Local => &self.local.path,
            Side::Remote => &self.model.remote.path,
        }
    }

    pub(super) fn local_dir(&self) -> PathBuf {
        PathBuf::from(bytes_os(&self.local.path))
    }

    pub(super) fn refresh(&mut self, side: Side) {
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

    pub(super) fn open(&mut self, side: Side, dir: Vec<u8>) {
        match side {
            Side::Local => self.open_local(PathBuf::from(bytes_os(&dir))),
            Side::Remote => self.list(dir),
        }
    }

    /// Lists a local folder on the blocking pool.
    pub(super) fn open_local(&mut self, dir: PathBuf) {
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

    /// Lists a folder for the tree alone: the file list stays where it is.
    pub(super) fn list_for_tree(&mut self, side: Side, dir: Vec<u8>) {
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

    pub(super) fn mkdir(&mut self, side: Side, name: &str) {
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

    pub(super) fn rename(&mut self, side: Side, entry: &Entry, name: &str) {
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

    pub(super) fn delete(&mut self, side: Side, entries: &[Entry]) {
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
    pub(super) fn remote_op(
        &mut self,
        make: impl FnOnce(&[u8], Charset) -> Result<RemoteOp, CharsetError>,
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
}
