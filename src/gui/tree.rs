//! A pane's directory tree, as data: the folders learned so far from listings, which are
//! expanded, and which still need listing before they can open. Every listing a pane shows
//! teaches the tree that folder's subfolders and opens the way down to it, as FileZilla's
//! trees follow the file list. Pure: no egui, no I/O.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::proto::listing::Entry;
use crate::proto::path;

#[derive(Debug, Default, Clone)]
struct Node {
    /// Subfolder names known so far: all of them once `listed`, else only those the way
    /// down to a listed folder passed through.
    children: BTreeSet<Vec<u8>>,
    listed: bool,
    expanded: bool,
}

/// One visible row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub path: Vec<u8>,
    pub name: Vec<u8>,
    pub depth: usize,
    pub expanded: bool,
    /// `false` once listed and found to have no subfolders (no expander is drawn).
    pub may_have_children: bool,
}

#[derive(Debug, Default, Clone)]
pub struct DirTree {
    nodes: BTreeMap<Vec<u8>, Node>,
    /// The visible rows, made when first drawn after a change (a folder with thousands of
    /// subfolders made them anew every frame: a quarter of a frame's time).
    rows: OnceCell<Arc<[TreeRow]>>,
    /// The folder the tree last scrolled to: it scrolls again when the pane shows another.
    scrolled_to: Option<Vec<u8>>,
}

/// The folder and its ancestors, root first: `/a/b` → `/`, `/a`, `/a/b`.
fn lineage(dir: &[u8]) -> Vec<Vec<u8>> {
    let mut chain = vec![dir.to_vec()];
    let mut current = dir.to_vec();
    loop {
        let parent = path::parent(&current).to_vec();
        if parent == current || parent.is_empty() {
            break;
        }
        chain.push(parent.clone());
        current = parent;
    }
    chain.reverse();
    chain
}

impl DirTree {
    /// A listing of `dir` arrived: remember its subfolders, and open it and every ancestor so
    /// the folder and its subfolders are visible.
    pub fn learn(&mut self, dir: &[u8], entries: &[Entry]) {
        if dir.is_empty() {
            return;
        }
        self.rows.take();
        let children: BTreeSet<Vec<u8>> = entries
            .iter()
            .filter(|e| e.is_dir() && e.name != b"." && e.name != b"..")
            .map(|e| e.name.clone())
            .collect();
        let chain = lineage(dir);
        for (i, ancestor) in chain.iter().enumerate() {
            let node = self.nodes.entry(ancestor.clone()).or_default();
            if let Some(next) = chain.get(i + 1) {
                node.expanded = true;
                // The child we came through exists even if the parent was never listed.
                node.children.insert(path::file_name(next).to_vec());
            }
        }
        let node = self.nodes.entry(dir.to_vec()).or_default();
        node.children = children;
        node.listed = true;
        // The folder listed is open, as the file list shows its contents.
        node.expanded = true;
    }

    /// Opens or closes `dir`; returns `true` when it must be listed first.
    pub fn toggle(&mut self, dir: &[u8]) -> bool {
        self.rows.take();
        let node = self.nodes.entry(dir.to_vec()).or_default();
        node.expanded = !node.expanded;
        node.expanded && !node.listed
    }

    /// The row to scroll to, when `current` is not the folder the tree scrolled to last
    /// and has a row (it is noted as scrolled to once it does).
    pub fn scroll_target(&mut self, current: &[u8]) -> Option<usize> {
        if self.scrolled_to.as_deref() == Some(current) {
            return None;
        }
        let row = self.rows().iter().position(|r| r.path == current)?;
        self.scrolled_to = Some(current.to_vec());
        Some(row)
    }

    pub fn is_expanded(&self, dir: &[u8]) -> bool {
        self.nodes.get(dir).is_some_and(|n| n.expanded)
    }

    /// The visible rows, depth first, folders in name order (case-insensitive).
    pub fn rows(&self) -> Arc<[TreeRow]> {
        Arc::clone(self.rows.get_or_init(|| {
            let mut rows = Vec::new();
            if let Some(root) = self.nodes.keys().find(|p| path::parent(p) == p.as_slice()) {
                self.push_rows(root.clone(), root.clone(), 0, &mut rows);
            }
            rows.into()
        }))
    }

    fn push_rows(&self, dir: Vec<u8>, name: Vec<u8>, depth: usize, rows: &mut Vec<TreeRow>) {
        // A bound on depth, should a server's listing ever loop through odd paths.
        if depth > 64 {
            return;
        }
        let node = self.nodes.get(&dir);
        let expanded = node.is_some_and(|n| n.expanded);
        rows.push(TreeRow {
            path: dir.clone(),
            name,
            depth,
            expanded,
            may_have_children: node.is_none_or(|n| !n.listed || !n.children.is_empty()),
        });
        let Some(node) = node.filter(|_| expanded) else {
            return;
        };
        let children = &node.children;
        let mut sorted: Vec<&Vec<u8>> = children.iter().collect();
        sorted.sort_by_cached_key(|name| name.to_ascii_lowercase());
        for child in sorted {
            self.push_rows(path::join(&dir, child), child.clone(), depth + 1, rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::EntryKind;

    fn dirs(names: &[&str]) -> Vec<Entry> {
        let mut v: Vec<Entry> = names
            .iter()
            .map(|n| Entry::new(*n, EntryKind::Dir))
            .collect();
        v.push(Entry::new("file.txt", EntryKind::File));
        v
    }

    fn shown(tree: &DirTree) -> Vec<(usize, String)> {
        tree.rows()
            .iter()
            .map(|r| (r.depth, String::from_utf8_lossy(&r.path).into_owned()))
            .collect()
    }

    #[test]
    fn a_deep_listing_opens_the_way_down_to_it() {
        let mut tree = DirTree::default();
        tree.learn(b"/home/me", &dirs(&["b", "A"]));
        assert_eq!(
            shown(&tree),
            [
                (0, "/".to_owned()),
                (1, "/home".to_owned()),
                (2, "/home/me".to_owned()),
                (3, "/home/me/A".to_owned()),
                (3, "/home/me/b".to_owned()),
            ]
        );
        let rows = tree.rows();
        assert!(rows[3].may_have_children, "not listed yet: maybe");
        assert!(!rows[3].expanded);
    }

    #[test]
    fn learning_a_parent_later_keeps_the_child_and_adds_siblings() {
        let mut tree = DirTree::default();
        tree.learn(b"/home/me", &dirs(&[]));
        // The rows seen now are made and kept; learning more must make them anew.
        assert_eq!(shown(&tree).len(), 3);
        tree.learn(b"/home", &dirs(&["me", "you"]));
        let paths: Vec<String> = shown(&tree).into_iter().map(|(_, p)| p).collect();
        assert_eq!(paths, ["/", "/home", "/home/me", "/home/you"]);
        assert!(!tree.rows()[2].may_have_children, "me has no subfolders");
    }

    #[test]
    fn toggling_asks_for_a_listing_only_when_unknown() {
        let mut tree = DirTree::default();
        tree.learn(b"/", &dirs(&["pub"]));
        assert_eq!(shown(&tree).len(), 2);
        assert!(tree.toggle(b"/pub"), "never listed: list it");
        tree.learn(b"/pub", &dirs(&["x"]));
        assert!(tree.is_expanded(b"/pub"));
        assert!(!tree.toggle(b"/pub"), "closing needs nothing");
        assert!(
            !tree.toggle(b"/pub"),
            "reopening a known folder needs nothing"
        );
        tree.toggle(b"/");
        assert_eq!(
            shown(&tree),
            [(0, "/".to_owned())],
            "a closed root hides all"
        );
    }

    #[test]
    fn dot_entries_are_not_folders_of_the_tree() {
        let mut tree = DirTree::default();
        tree.learn(b"/", &dirs(&[".", "..", "real"]));
        let paths: Vec<String> = shown(&tree).into_iter().map(|(_, p)| p).collect();
        assert_eq!(paths, ["/", "/real"]);
    }
}
