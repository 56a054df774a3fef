//! What one recursive transfer remembers across its lazily expanded folders, so that a
//! server's links cannot make it endless: how deep each folder is (at most [`MAX_DEPTH`]
//! below the one the user chose) and which remote folders were listed already (by the
//! server's own name for them, PWD after CWD, which resolves `self -> .`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::item::ItemId;

/// Folders below the chosen one that a download goes into; deeper ones are refused with
/// an error line (a real tree this deep is rare; a link loop reaches it quickly).
pub const MAX_DEPTH: u32 = 64;

/// One folder item's place in its tree.
#[derive(Debug, Clone)]
pub struct TreeSlot {
    /// 0 for the folder the user chose.
    pub depth: u32,
    /// Remote folder (as the server names it) → the item that listed it.
    visited: Arc<Mutex<HashMap<Vec<u8>, ItemId>>>,
}

impl TreeSlot {
    /// The folder the user chose: a new tree.
    pub fn root() -> Self {
        Self {
            depth: 0,
            visited: Arc::default(),
        }
    }

    /// A folder found inside this one.
    pub fn child(&self) -> Self {
        Self {
            depth: self.depth.saturating_add(1),
            visited: Arc::clone(&self.visited),
        }
    }

    /// Whether folders inside this one may still be entered.
    pub fn may_descend(&self) -> bool {
        self.depth < MAX_DEPTH
    }

    /// Records that `item` lists `real_path`; false when another item of the tree listed it
    /// already (a loop). The same item may list it again (a retry).
    pub fn visit(&self, real_path: &[u8], item: ItemId) -> bool {
        let mut visited = self
            .visited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *visited.entry(real_path.to_vec()).or_insert(item) == item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_listed_by_another_item_of_the_tree_is_a_loop() {
        let root = TreeSlot::root();
        assert!(root.visit(b"/pub", ItemId(1)));
        assert!(root.visit(b"/pub", ItemId(1)), "a retry of the same item");
        let child = root.child();
        assert!(child.visit(b"/pub/a", ItemId(2)));
        assert!(
            !child.visit(b"/pub", ItemId(3)),
            "self -> . resolves to /pub"
        );
        // Another tree (a second download of the same folder) is not a loop.
        assert!(TreeSlot::root().visit(b"/pub", ItemId(4)));
    }

    #[test]
    fn depth_ends_at_the_limit() {
        let mut slot = TreeSlot::root();
        let mut levels = 0;
        while slot.may_descend() && levels < 1000 {
            slot = slot.child();
            levels += 1;
        }
        assert_eq!(levels, MAX_DEPTH);
        assert_eq!(slot.depth, MAX_DEPTH);
    }
}
