//! One side of the window, local or remote, as one type: the file list, its directory tree,
//! the path bar's text, and the requests whose answers it waits for. The window holds one
//! `PaneState` per side (`Model::pane(side)`), so what both sides do alike is written once.
//!
//! What differs is only where answers come from: the remote side's requests are the engine's
//! (`RemoteOp::List`, mkdir, ...) and answered by its events; the local side's run on the
//! blocking pool and are answered by promises. Both end in `answer()`, under request ids from
//! one counter, so an answer the pane no longer waits for (a slow read overtaken by a newer
//! one) is dropped the same way on both sides. Pure: no egui, no I/O.

use std::collections::HashSet;

use crate::engine::RequestId;
use crate::gui::listing::Listing;
use crate::gui::pane::FilePane;
use crate::gui::tree::DirTree;

/// What a pane asked for with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A folder for the file list (and the tree): a newer one replaces it.
    Listing,
    /// A folder for the tree alone: the file list stays where it is.
    TreeListing,
    /// A change in the folder shown (mkdir, rename, delete, chmod): listed again after.
    Operation,
}

/// How a request ended.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A folder's entries and their keys (`path` as the side names it: server bytes or OS
    /// bytes).
    Listing { path: Vec<u8>, listing: Listing },
    /// Ended without a listing: an operation's result, or why a listing failed.
    Done(Result<(), String>),
}

#[derive(Debug, Default)]
pub struct PaneState {
    pub files: FilePane,
    pub tree: DirTree,
    /// The path bar: the folder shown, unless the user is editing it.
    pub path_text: String,
    /// The listing the file list waits for; answers to older ones are dropped.
    pub listing: Option<RequestId>,
    /// Listings asked for by the tree alone.
    pub tree_listings: HashSet<RequestId>,
    /// Operations in flight; the folder is listed again after each.
    pub operations: HashSet<RequestId>,
    /// Something changed the folder shown: the window lists it again.
    pub dirty: bool,
    /// The charset of this side's names (the site's, for the server): names and the path
    /// are shown decoded, and a path typed in the bar is encoded back.
    pub charset: crate::proto::charset::Charset,
    /// For an "Auto" (UTF-8) server that does not announce UTF8: the charset names that are
    /// not UTF-8 are shown in (Edit > Settings > Interface), a guess the window marks.
    pub fallback: Option<crate::proto::charset::Charset>,
}

impl PaneState {
    /// Remembers that `request` was sent for `purpose`.
    pub fn sent(&mut self, request: RequestId, purpose: Purpose) {
        match purpose {
            Purpose::Listing => {
                self.listing = Some(request);
                self.files.loading = true;
            }
            Purpose::TreeListing => {
                self.tree_listings.insert(request);
            }
            Purpose::Operation => {
                self.operations.insert(request);
            }
        }
    }

    /// Whether the file list waits for `request`'s listing.
    pub fn awaits(&self, request: RequestId) -> bool {
        self.listing == Some(request)
    }

    /// Takes `request`'s answer: the awaited listing is shown (or its error), a tree listing
    /// teaches the tree, a finished operation marks the folder for listing again. Returns a
    /// failed operation's error, for the error dialog. Answers nobody waits for are dropped.
    pub fn answer(&mut self, request: RequestId, answer: Answer) -> Option<String> {
        if self.awaits(request) {
            self.listing = None;
            match answer {
                Answer::Listing { path, listing } => {
                    self.tree.learn(&path, &listing.entries);
                    self.files.show(path, listing);
                }
                Answer::Done(result) => {
                    self.files.loading = false;
                    self.files.error = result.err();
                }
            }
        } else if self.tree_listings.remove(&request) {
            // A failed one leaves the folder unopened; the log or the pane says why.
            if let Answer::Listing { path, listing } = answer {
                self.tree.learn(&path, &listing.entries);
            }
        } else if self.operations.remove(&request) {
            self.dirty = true;
            if let Answer::Done(Err(err)) = answer {
                return Some(err);
            }
        }
        None
    }

    /// The path bar shows the folder shown (called while the user is not typing in it).
    /// How this side's names are shown.
    pub fn decoder(&self) -> crate::gui::listing::NameDecoder {
        crate::gui::listing::NameDecoder {
            charset: self.charset,
            fallback: self.fallback,
        }
    }

    pub fn sync_path_text(&mut self) {
        let shown = self.decoder().decode(&self.files.path);
        if self.path_text != shown {
            self.path_text = shown.into_owned();
        }
    }

    /// Forgets the folder shown and the tree (a new connection); requests in flight stay
    /// awaited.
    pub fn clear(&mut self) {
        self.files = FilePane::default();
        self.tree = DirTree::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::{Entry, EntryKind};

    fn listing(path: &str, names: &[&str]) -> Answer {
        Answer::Listing {
            path: path.as_bytes().to_vec(),
            listing: Listing::new(
                names
                    .iter()
                    .map(|n| Entry::new(*n, EntryKind::Dir))
                    .collect::<Vec<_>>()
                    .into(),
            ),
        }
    }

    #[test]
    fn only_the_newest_listing_is_shown() {
        let mut pane = PaneState::default();
        pane.sent(RequestId(1), Purpose::Listing);
        pane.sent(RequestId(2), Purpose::Listing);
        assert!(pane.files.loading);
        pane.answer(RequestId(2), listing("/new", &["b"]));
        assert_eq!(pane.files.path, b"/new");
        assert!(!pane.files.loading && pane.listing.is_none());
        // The slow older one arrives last and changes nothing.
        pane.answer(RequestId(1), listing("/old", &["a"]));
        assert_eq!(pane.files.path, b"/new");
        assert!(!pane.tree.is_expanded(b"/old"));
        assert!(
            pane.tree.is_expanded(b"/new"),
            "the tree follows the file list"
        );
    }

    #[test]
    fn a_failed_listing_shows_its_error_and_stops_loading() {
        let mut pane = PaneState::default();
        pane.sent(RequestId(7), Purpose::Listing);
        let op_error = pane.answer(RequestId(7), Answer::Done(Err("550 No".into())));
        assert_eq!(op_error, None, "a listing's error stays in the pane");
        assert_eq!(pane.files.error.as_deref(), Some("550 No"));
        assert!(!pane.files.loading);
    }

    #[test]
    fn a_tree_listing_teaches_the_tree_and_leaves_the_file_list() {
        let mut pane = PaneState::default();
        pane.sent(RequestId(1), Purpose::Listing);
        pane.answer(RequestId(1), listing("/", &["music", "video"]));
        pane.tree.toggle(b"/video");
        pane.sent(RequestId(2), Purpose::TreeListing);
        pane.answer(RequestId(2), listing("/video", &["clips"]));
        assert_eq!(pane.files.path, b"/");
        assert!(pane.tree_listings.is_empty());
        assert!(pane.tree.rows().iter().any(|r| r.path == b"/video/clips"));
    }

    #[test]
    fn a_finished_operation_marks_the_folder_and_hands_back_its_error() {
        let mut pane = PaneState::default();
        pane.sent(RequestId(3), Purpose::Operation);
        pane.sent(RequestId(4), Purpose::Operation);
        assert_eq!(pane.answer(RequestId(3), Answer::Done(Ok(()))), None);
        assert!(std::mem::take(&mut pane.dirty));
        assert_eq!(
            pane.answer(RequestId(4), Answer::Done(Err("553 Not allowed".into()))),
            Some("553 Not allowed".to_owned())
        );
        assert!(pane.dirty);
        assert!(
            pane.files.error.is_none(),
            "an operation's error is not the folder's"
        );
        // Unknown requests are dropped.
        assert_eq!(
            pane.answer(RequestId(9), Answer::Done(Err("x".into()))),
            None
        );
    }

    #[test]
    fn the_path_bar_follows_the_folder_shown() {
        let mut pane = PaneState::default();
        pane.sent(RequestId(1), Purpose::Listing);
        pane.answer(RequestId(1), listing("/pub/한", &[]));
        pane.sync_path_text();
        assert_eq!(pane.path_text, "/pub/한");
    }
}
