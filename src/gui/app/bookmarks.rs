//! Bookmarks, glued to the window: the Add and Manage dialogs (`gui::bookmark_dialogs`),
//! saving a site's bookmarks with the sites and the global ones in `bookmarks.toml` (off the
//! UI thread), and going to a bookmark: its local folder in the local pane, its remote
//! folder in the remote pane when connected, then synchronized browsing and directory
//! comparison when it says so, once both folders are shown.

use std::path::PathBuf;

use super::SkiffApp;
use super::panes::read_folder;
use crate::engine::RequestId;
use crate::gui::actions::Side;
use crate::gui::bookmark_dialogs::{
    AddBookmark, AddOutcome, ConnectedSite, ManageBookmarks, ManageOutcome,
};
use crate::gui::dialogs::Dialog;
use crate::gui::pane_state::{Answer, Purpose};
use crate::sites::bookmark::{self, BOOKMARKS_FILE, Bookmark};

/// The Bookmarks menu's dialogs, while open.
#[derive(Default)]
pub(super) struct BookmarkWindows {
    add: Option<AddBookmark>,
    manage: Option<ManageBookmarks>,
}

impl BookmarkWindows {
    pub(super) fn open(&self) -> bool {
        self.add.is_some() || self.manage.is_some()
    }
}

/// A bookmark being opened: the listings it asked for, and what to turn on once both are
/// shown.
pub(super) struct PendingBookmark {
    name: String,
    local: Option<RequestId>,
    remote: Option<RequestId>,
    sync: bool,
    compare: bool,
}

impl SkiffApp {
    /// The saved site the window is connected with, if any.
    fn connected_site(&self) -> Option<&crate::sites::site::Site> {
        self.server.as_ref()?;
        self.cfg.sites.get(self.cfg.current_site.as_deref()?)
    }

    /// The global bookmarks (`bookmarks.toml`), as the Bookmarks menu lists them.
    pub fn global_bookmarks(&self) -> &[Bookmark] {
        &self.cfg.bookmarks
    }

    /// The connected site's bookmarks (none without a saved site).
    pub fn site_bookmarks(&self) -> &[Bookmark] {
        self.connected_site().map_or(&[], |s| &s.bookmarks)
    }

    /// Whether synchronized browsing is on.
    pub fn sync_browsing_on(&self) -> bool {
        self.sync_browse.is_some()
    }

    /// Whether a Bookmarks dialog is open (the window's keys wait).
    pub(super) fn bookmark_dialog_open(&self) -> bool {
        self.bookmark_windows.open()
    }

    /// The connected saved site as the dialogs name it.
    fn connected_site_named(&self) -> Option<ConnectedSite> {
        self.connected_site().map(|s| ConnectedSite {
            id: s.id.clone(),
            name: s.path(),
        })
    }

    /// Bookmarks > Add bookmark…: prefilled with the folders shown (the remote one as the
    /// pane shows it, in the site's charset).
    pub(super) fn ask_new_bookmark(&mut self) {
        let local = self.local_dir().display().to_string();
        let remote = match self.server {
            Some(_) => {
                let pane = &self.model.remote;
                pane.decoder().decode(&pane.files.path).into_owned()
            }
            None => String::new(),
        };
        let site = self.connected_site_named();
        self.bookmark_windows.add = Some(AddBookmark::new(local, remote, site));
    }

    /// Bookmarks > Manage bookmarks…
    pub(super) fn manage_bookmarks(&mut self) {
        let site = self
            .connected_site()
            .map(|s| (s.id.clone(), s.path(), s.bookmarks.clone()));
        let site = site.as_ref().map(|(id, name, list)| {
            let site = ConnectedSite {
                id: id.clone(),
                name: name.clone(),
            };
            (site, list.as_slice())
        });
        self.bookmark_windows.manage = Some(ManageBookmarks::new(&self.cfg.bookmarks, site));
    }

    /// Draws the open Bookmarks dialog and saves what it ends with.
    pub(super) fn bookmarks_ui(&mut self, ctx: &eframe::egui::Context) {
        if let Some(dialog) = &mut self.bookmark_windows.add {
            match dialog.ui(ctx) {
                AddOutcome::Open => {}
                AddOutcome::Cancelled => self.bookmark_windows.add = None,
                AddOutcome::Add { bookmark, site } => match self.add_bookmark(bookmark, site) {
                    Ok(()) => self.bookmark_windows.add = None,
                    Err(err) => {
                        if let Some(dialog) = &mut self.bookmark_windows.add {
                            dialog.error = Some(err);
                        }
                    }
                },
            }
        }
        if let Some(manager) = &mut self.bookmark_windows.manage {
            match manager.ui(ctx) {
                ManageOutcome::Open => {}
                ManageOutcome::Cancelled => self.bookmark_windows.manage = None,
                ManageOutcome::Save { global, site } => {
                    self.bookmark_windows.manage = None;
                    self.cfg.bookmarks = global;
                    self.save_global_bookmarks();
                    if let Some((id, list)) = site
                        && let Some(site) = self.cfg.sites.get_mut(&id)
                    {
                        site.bookmarks = list;
                        self.save_sites();
                    }
                    self.model.push_status("Bookmarks saved".to_owned());
                }
            }
        }
    }

    /// Adds a bookmark to the site's list (`Some(id)`) or the global one, and saves it.
    fn add_bookmark(&mut self, new: Bookmark, site: Option<String>) -> Result<(), String> {
        let name = new.name.clone();
        match site {
            Some(id) => {
                let Some(site) = self.cfg.sites.get_mut(&id) else {
                    return Err("That site is not in the Site Manager any more.".into());
                };
                bookmark::add(&mut site.bookmarks, new).map_err(|e| e.to_string())?;
                let path = site.path();
                self.save_sites();
                self.model
                    .push_status(format!("Bookmark {name:?} added to the site {path:?}"));
            }
            None => {
                bookmark::add(&mut self.cfg.bookmarks, new).map_err(|e| e.to_string())?;
                self.save_global_bookmarks();
                self.model
                    .push_status(format!("Global bookmark {name:?} added"));
            }
        }
        Ok(())
    }

    /// Writes `bookmarks.toml` on the blocking pool (atomically, mode 0600).
    pub(super) fn save_global_bookmarks(&mut self) {
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        let path = dir.join(BOOKMARKS_FILE);
        let list = crate::sites::bookmark::GlobalBookmarks {
            bookmarks: self.cfg.bookmarks.clone(),
        };
        self.cfg.bookmarks_writer.write(
            path,
            move |path| list.save(path).map_err(|e| e.to_string()),
            &self.wake,
        );
    }

    /// How the saves of `bookmarks.toml` went: a failure in the log and a dialog.
    pub(super) fn poll_bookmark_saves(&mut self) {
        for saved in self.cfg.bookmarks_writer.finished() {
            if let Err(err) = saved {
                self.model.push_error(err.clone());
                self.model.op_error = Some(err);
            }
        }
    }

    /// A bookmark chosen in the menu: its local folder (checked on the blocking pool, so a
    /// missing one is said plainly), its remote folder when connected; what it turns on
    /// waits until both are shown (`check_bookmark_pending`).
    pub(super) fn open_bookmark(&mut self, chosen: Bookmark) {
        if self.sync_browse.take().is_some() {
            self.model
                .push_status("Synchronized browsing off: a bookmark was chosen".to_owned());
        }
        self.sync_pending = None;
        let name = chosen.name.clone();
        let mut local = None;
        if let Some(dir) = chosen.local_dir.clone() {
            let words = name.clone();
            self.local_job(Purpose::Listing, move || local_folder(&words, dir));
            local = self.model.local.listing;
        }
        let mut remote = None;
        match (&chosen.remote_dir, self.server.clone()) {
            (Some(dir), Some(server)) => match server.charset.encode(dir) {
                Ok(path) => {
                    self.open(Side::Remote, path);
                    remote = self.model.remote.listing;
                }
                Err(err) => self.model.op_error = Some(format!("Bookmark {name:?}: {err}")),
            },
            (Some(_), None) => self.model.push_status(format!(
                "Bookmark {name:?}: its remote folder opens once connected to a server"
            )),
            (None, _) => {}
        }
        self.bookmark_pending = Some(PendingBookmark {
            name,
            local,
            remote,
            sync: chosen.sync_browsing,
            compare: chosen.directory_comparison,
        });
    }

    /// Once a chosen bookmark's folders are shown: synchronized browsing and directory
    /// comparison on, as it says; a local folder that is missing is said in a dialog.
    pub(super) fn check_bookmark_pending(&mut self) {
        let Some(pending) = &self.bookmark_pending else {
            return;
        };
        let answered = |asked: Option<RequestId>, side: Side| {
            asked.is_none_or(|request| !self.model.pane(side).awaits(request))
        };
        if !answered(pending.local, Side::Local) || !answered(pending.remote, Side::Remote) {
            return;
        }
        let Some(pending) = self.bookmark_pending.take() else {
            return;
        };
        let failed = |asked: Option<RequestId>, side: Side| {
            asked.and_then(|_| self.model.pane(side).files.error.clone())
        };
        let local_error = failed(pending.local, Side::Local);
        let remote_error = failed(pending.remote, Side::Remote);
        if let Some(err) = &local_error {
            self.model.push_error(err.clone());
            self.dialog = Some(Dialog::Error {
                title: "The bookmark's local folder cannot be opened".into(),
                text: err.clone(),
            });
        }
        let both_shown = pending.local.is_some()
            && pending.remote.is_some()
            && local_error.is_none()
            && remote_error.is_none();
        if pending.sync {
            if both_shown {
                self.set_sync_browsing(true);
            } else {
                self.model.push_status(format!(
                    "Bookmark {:?}: synchronized browsing needs both of its folders shown",
                    pending.name
                ));
            }
        }
        if pending.compare && self.server.is_some() {
            self.prefs.compare = true;
        }
    }
}

/// The bookmark's local folder read for the pane, or why it cannot be, in words.
fn local_folder(bookmark: &str, dir: PathBuf) -> Answer {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Answer::Done(Err(format!(
            "The local folder of the bookmark {bookmark:?} {what}: {}. Create it, or change \
             the bookmark in Bookmarks > Manage bookmarks.",
            dir.display()
        )));
    }
    read_folder(dir, true)
}
