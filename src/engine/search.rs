//! Remote search on the browsing session (`RemoteOp::Search`): the folder tree below a
//! folder listed breadth first, as `walk::remote_tree` lists it, but what the criteria find
//! goes out folder by folder while the walk goes on, and a cancel stops it between two
//! listings (a listing under way is let finish: the session stays usable).

use std::collections::VecDeque;

use crate::cancel::Cancel;
use crate::proto::listing::{Entry, EntryKind};
use crate::proto::path;
use crate::remote::{ErrorKind, RemoteError, RemoteSession, RetryClass};
use crate::search::Matcher;

// A search goes as deep as every other walk.
const _: () = assert!(crate::search::DEEPEST == super::tree::MAX_DEPTH);

/// What one folder's listing gave: the entries found in it (named by their full paths), or
/// why it could not be listed.
pub(super) type FolderResult = Result<Vec<Entry>, RemoteError>;

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Searched {
    pub folders: usize,
    pub found: usize,
}

/// Searches the tree below `root`, calling `report` with each folder listed (its full
/// path) and what was found in it; `report` answers `false` when nobody listens any more.
/// The root failing to list fails the search; a folder below it failing is reported and
/// the walk goes on, unless the session is lost.
pub(super) async fn search(
    session: &mut dyn RemoteSession,
    root: &[u8],
    matcher: &Matcher,
    cancel: &Cancel,
    report: &mut (dyn FnMut(Vec<u8>, FolderResult) -> bool + Send),
) -> Result<Searched, RemoteError> {
    let charset = session.charset();
    let mut searched = Searched {
        folders: 0,
        found: 0,
    };
    let mut folders = VecDeque::from([(root.to_vec(), 0u32)]);
    while let Some((folder, depth)) = folders.pop_front() {
        if cancel.is_cancelled() {
            return Err(RemoteError::new(ErrorKind::Cancelled, "Search stopped"));
        }
        let listed = session.list(&folder).await;
        searched.folders += 1;
        let entries = match listed {
            Ok(entries) => entries,
            Err(err) if depth == 0 => return Err(err),
            // Found entries went out already: running it again would repeat them.
            Err(err) if !session.is_usable() => return Err(err.with_retry(RetryClass::Permanent)),
            Err(err) => {
                if !report(folder, Err(err)) {
                    break;
                }
                continue;
            }
        };
        let mut found = Vec::new();
        for mut entry in entries {
            if entry.name.is_empty()
                || entry.name == b"."
                || entry.name == b".."
                || entry.name.iter().any(|&b| b == b'/' || b == 0)
            {
                continue;
            }
            let full = path::join(&folder, &entry.name);
            let name = charset.decode(&entry.name);
            let below = full
                .strip_prefix(root)
                .map(|rest| rest.strip_prefix(b"/").unwrap_or(rest))
                .unwrap_or(&full);
            let below = charset.decode(below);
            let hit = matcher.finds(&entry, &name, &below);
            // Links are not followed: a loop on the server cannot make the search endless.
            if entry.kind == EntryKind::Dir && matcher.looks_into(depth + 1) {
                folders.push_back((full.clone(), depth + 1));
            }
            if hit {
                entry.name = full;
                found.push(entry);
            }
        }
        searched.found += found.len();
        if !report(folder, Ok(found)) {
            break;
        }
        if folders.len() > super::walk::MAX_ENTRIES {
            return Err(RemoteError::new(
                ErrorKind::TooLarge,
                format!(
                    "more than {} folders below the folder: choose a smaller one",
                    super::walk::MAX_ENTRIES
                ),
            ));
        }
    }
    Ok(searched)
}
