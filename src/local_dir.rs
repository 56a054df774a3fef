//! Local folders as listings, for the local pane: the same `Entry` the servers' listings
//! give, so one table and one sort draw both sides. Blocking calls: the GUI runs them on
//! tokio's blocking pool, never on the UI thread.

use std::io;
use std::path::Path;

use crate::proto::listing::{Entry, EntryKind, Timestamp};

/// The entries of folder `dir`. An entry that vanishes or cannot be read while listing is
/// left out rather than failing the whole folder; symbolic links are shown as links, and as
/// folders when they point at one (as a file manager opens them).
pub fn list(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let Ok(item) = item else { continue };
        let Ok(meta) = item.metadata() else { continue };
        let name = crate::local::os_bytes(&item.file_name());
        let kind = if meta.file_type().is_symlink() {
            match std::fs::metadata(item.path()) {
                Ok(target) if target.is_dir() => EntryKind::Dir,
                _ => EntryKind::Link,
            }
        } else if meta.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        let mut entry = entry_of(name, kind, &meta);
        if kind == EntryKind::Link {
            entry.link_target = std::fs::read_link(item.path())
                .ok()
                .map(|t| crate::local::os_bytes(t.as_os_str()));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// An entry named `name` of `kind`, with what `meta` says: a file's size, the modification
/// time, the permission bits.
pub fn entry_of(name: Vec<u8>, kind: EntryKind, meta: &std::fs::Metadata) -> Entry {
    let mut entry = Entry::new(name, kind);
    if kind == EntryKind::File {
        entry.size = Some(meta.len());
    }
    entry.modified = meta.modified().ok().and_then(Timestamp::from_system_time);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        entry.permissions = Some(format!("{:o}", meta.permissions().mode() & 0o7777).into());
    }
    entry
}

/// Deletes a file, a link (never what it points at) or a whole folder tree.
pub fn delete(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Renames within the file system; refuses to replace an existing target.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    std::fs::rename(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_files_folders_and_links_with_sizes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("sub", dir.path().join("to-sub")).unwrap();
            std::os::unix::fs::symlink("missing", dir.path().join("dangling")).unwrap();
        }
        let mut entries = list(dir.path()).unwrap();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let a = entries.iter().find(|e| e.name == b"a.txt").unwrap();
        assert_eq!((a.kind, a.size), (EntryKind::File, Some(5)));
        assert!(a.modified.is_some());
        let sub = entries.iter().find(|e| e.name == b"sub").unwrap();
        assert_eq!((sub.kind, sub.size), (EntryKind::Dir, None));
        #[cfg(unix)]
        {
            let link = entries.iter().find(|e| e.name == b"to-sub").unwrap();
            assert_eq!(link.kind, EntryKind::Dir, "a link to a folder opens as one");
            let dangling = entries.iter().find(|e| e.name == b"dangling").unwrap();
            assert_eq!(dangling.kind, EntryKind::Link);
            assert_eq!(dangling.link_target.as_deref(), Some(&b"missing"[..]));
        }
    }

    #[test]
    fn rename_never_replaces_and_delete_removes_trees() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        assert_eq!(
            rename(&a, &b).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(std::fs::read(&b).unwrap(), b"b");
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("x/y")).unwrap();
        std::fs::write(tree.join("x/y/f"), b"f").unwrap();
        delete(&tree).unwrap();
        assert!(!tree.exists());
        delete(&a).unwrap();
        assert!(!a.exists());
    }
}
