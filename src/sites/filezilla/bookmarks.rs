//! FileZilla's bookmarks, both kinds, as its own reader and writer have them
//! (`CSiteManager::Load` and `AddBookmark` in `commonui/site_manager.cpp`,
//! `CBookmarksDialog::LoadGlobalBookmarks` and `SaveGlobalBookmarks` in
//! `interface/bookmarks_dialog.cpp`): a `<Bookmark>` holds `Name`, `LocalDir`, `RemoteDir` (a
//! serialized server path, `CServerPath::GetSafePath`), and `SyncBrowsing` and
//! `DirectoryComparison` written as `1` only when on. A site's are children of its `<Server>`
//! in `sitemanager.xml`; the global ones are the children of `<FileZilla3>` in
//! `bookmarks.xml`. As FileZilla does, a bookmark without a name or without any folder is
//! left out, and synchronized browsing counts only with both folders.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Element, decode_remote_dir, encode_remote_dir, escape, tabs};
use crate::sites::bookmark::{self, Bookmark};

/// The `<Bookmark>` children of `el`, for the list `whose` names in warnings ("site
/// \"Work/web\"", "the global bookmarks"). A taken name becomes `name (2)`.
pub(super) fn read_bookmarks(
    el: &Element,
    whose: &str,
    warnings: &mut Vec<String>,
) -> Vec<Bookmark> {
    let mut list = Vec::new();
    for (n, node) in el.children_named("Bookmark").enumerate() {
        let name = node.child_text("Name").trim().to_owned();
        if name.is_empty() {
            warnings.push(format!("{whose}: bookmark {} has no name: skipped", n + 1));
            continue;
        }
        let local = node.child_text("LocalDir");
        let remote_text = node.child_text("RemoteDir");
        let remote = match remote_text.trim() {
            "" => None,
            safe => match decode_remote_dir(safe) {
                Some(path) => Some(path),
                None => {
                    warnings.push(format!(
                        "{whose}: the remote folder {remote_text:?} of bookmark {name:?} could not be read; not used"
                    ));
                    None
                }
            },
        };
        let local = (!local.is_empty()).then(|| PathBuf::from(local));
        if local.is_none() && remote.is_none() {
            warnings.push(format!("{whose}: bookmark {name:?} has no folder: skipped"));
            continue;
        }
        let both = local.is_some() && remote.is_some();
        let found = Bookmark {
            name,
            sync_browsing: both && flag(node, "SyncBrowsing"),
            directory_comparison: flag(node, "DirectoryComparison"),
            local_dir: local,
            remote_dir: remote,
        };
        warnings.extend(bookmark::merge(&mut list, vec![found], whose));
    }
    list
}

/// FileZilla's `GetTextElementBool`: `1` (or `true`) is on.
fn flag(el: &Element, name: &str) -> bool {
    matches!(el.child_text(name).trim(), "1" | "true")
}

/// One `<Bookmark>` at `depth` tabs, as FileZilla writes it.
pub(super) fn write_bookmark(out: &mut String, bookmark: &Bookmark, depth: usize) {
    let pad = tabs(depth + 1);
    let field = |out: &mut String, name: &str, value: &str| {
        writeln!(out, "{pad}<{name}>{}</{name}>", escape(value)).ok();
    };
    writeln!(out, "{}<Bookmark>", tabs(depth)).ok();
    field(out, "Name", &bookmark.name);
    if let Some(dir) = &bookmark.local_dir {
        field(out, "LocalDir", &dir.to_string_lossy());
    }
    if let Some(dir) = bookmark.remote_dir.as_deref().filter(|d| !d.is_empty()) {
        field(out, "RemoteDir", &encode_remote_dir(dir));
    }
    if bookmark.sync_browsing {
        field(out, "SyncBrowsing", "1");
    }
    if bookmark.directory_comparison {
        field(out, "DirectoryComparison", "1");
    }
    writeln!(out, "{}</Bookmark>", tabs(depth)).ok();
}

/// Global bookmarks as FileZilla's `bookmarks.xml` (its settings folder), which `import`
/// reads back.
pub fn export_bookmarks(bookmarks: &[Bookmark]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FileZilla3>\n");
    for bookmark in bookmarks {
        write_bookmark(&mut out, bookmark, 1);
    }
    out.push_str("</FileZilla3>\n");
    out
}
