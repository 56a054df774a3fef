//! What a test finds on the local disk after a transfer: every path below a folder, without
//! following links, so a test can see a symlink or an escape as what it is.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// What is at one path: a folder, a symlink (never followed), or a file and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    Dir,
    Symlink,
    File(Vec<u8>),
}

/// Every path below `root` (relative, as bytes) and what is there. Panics if the walk does
/// not end within 10,000 folders (a loop through something it should not follow).
pub fn walk_tree(root: &Path) -> BTreeMap<Vec<u8>, Found> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    let mut folders = 0;
    while let Some(dir) = stack.pop() {
        folders += 1;
        assert!(
            folders < 10_000,
            "the tree under {} does not end",
            root.display()
        );
        for entry in std::fs::read_dir(&dir).expect("read a folder") {
            let path = entry.expect("a folder entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("below the root")
                .as_os_str()
                .as_bytes()
                .to_vec();
            let meta = std::fs::symlink_metadata(&path).expect("stat an entry");
            let found = if meta.file_type().is_symlink() {
                Found::Symlink
            } else if meta.is_dir() {
                stack.push(path);
                Found::Dir
            } else {
                Found::File(std::fs::read(&path).expect("read a file"))
            };
            out.insert(rel, found);
        }
    }
    out
}
