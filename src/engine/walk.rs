//! Folder trees for a comparison or a sync: every file and folder below a chosen folder,
//! named by its path below it (`docs/a.txt`), on the server and on the local disk alike.
//! Links are not followed, excluded folders are not entered, and the depth is bounded
//! (`tree::MAX_DEPTH`), so a link loop cannot make a walk endless.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::item::TreeFilters;
use super::tree::MAX_DEPTH;
use crate::folder_sync::Filters;
use crate::proto::charset::Charset;
use crate::proto::listing::{Entry, EntryKind};
use crate::proto::path;
use crate::remote::{ErrorKind, RemoteError, RemoteSession};

/// The most entries one walk gathers (each is a few dozen bytes: 100 MB at most).
pub const MAX_ENTRIES: usize = 2_000_000;

/// Whether `name` can be a path component: not empty, not `.` or `..`, no `/` or NUL.
fn plain_component(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.iter().any(|&b| b == b'/' || b == 0)
}

fn below(relative: &[u8], name: &[u8]) -> Vec<u8> {
    if relative.is_empty() {
        name.to_vec()
    } else {
        path::join(relative, name)
    }
}

/// The tree below the remote folder `root`, listed breadth first on `session`: entries
/// whose names are their paths below `root` (`/`-separated, the server's bytes). Links are
/// left out, with a log line.
pub async fn remote_tree(
    session: &mut dyn RemoteSession,
    root: &[u8],
    filters: Option<&TreeFilters>,
) -> Result<Vec<Entry>, RemoteError> {
    let charset = session.charset();
    let mut found = Vec::new();
    let mut folders = VecDeque::from([(Vec::new(), 0u32)]);
    while let Some((relative, depth)) = folders.pop_front() {
        let folder = if relative.is_empty() {
            root.to_vec()
        } else {
            path::join(root, &relative)
        };
        for mut entry in session.list(&folder).await? {
            let full = below(&relative, &entry.name);
            let shown = || charset.decode(&full).into_owned();
            if !plain_component(&entry.name) {
                session
                    .log()
                    .error(format!("Skipped {:?}: not a usable name", shown()));
                continue;
            }
            let is_dir = entry.kind == EntryKind::Dir;
            let known = crate::folder_sync::Known::of(&entry);
            if filters.is_some_and(|f| !f.takes(&folder, &entry.name, &known, charset)) {
                continue;
            }
            if entry.kind == EntryKind::Link {
                session.log().status(format!(
                    "Skipped the symbolic link {:?}: links are not followed",
                    shown()
                ));
                continue;
            }
            entry.name = full;
            if is_dir {
                if depth + 1 >= MAX_DEPTH {
                    session.log().error(format!(
                        "Skipped the folder {:?}: it is more than {MAX_DEPTH} folders deep",
                        charset.decode(&entry.name)
                    ));
                    continue;
                }
                folders.push_back((entry.name.clone(), depth + 1));
            }
            found.push(entry);
            if found.len() > MAX_ENTRIES {
                return Err(RemoteError::new(
                    ErrorKind::TooLarge,
                    format!(
                        "more than {MAX_ENTRIES} entries below the folder: choose a smaller one"
                    ),
                ));
            }
        }
    }
    Ok(found)
}

/// A local folder tree, named as the server names it.
#[derive(Debug, Default)]
pub struct LocalTree {
    /// Entries named by their path below the root in the server's bytes (its charset).
    pub entries: Vec<Entry>,
    /// Each entry's path below the root on the local disk, in the same order.
    pub paths: Vec<PathBuf>,
    /// What was left out, and why (a name the server's charset cannot spell, a link, a
    /// special file), for the face to show.
    pub refused: Vec<String>,
}

/// The tree below the local folder `root` (blocking: run it on the blocking pool).
pub fn local_tree(
    root: &Path,
    charset: Charset,
    filters: Option<&Filters>,
) -> std::io::Result<LocalTree> {
    let mut tree = LocalTree::default();
    let mut folders = VecDeque::from([(PathBuf::new(), Vec::new(), 0u32)]);
    while let Some((local, relative, depth)) = folders.pop_front() {
        for item in std::fs::read_dir(root.join(&local))? {
            let Ok(item) = item else { continue };
            let name = item.file_name();
            let local_path = local.join(&name);
            let refuse = |tree: &mut LocalTree, why: &str| {
                tree.refused
                    .push(format!("{}: {why}", local_path.display()));
            };
            let Ok(kind) = item.file_type() else { continue };
            let remote_name = match crate::local::remote_name(&name, charset) {
                Ok(bytes) => bytes,
                Err(err) => {
                    refuse(&mut tree, &err.to_string());
                    continue;
                }
            };
            let entry_kind = if kind.is_dir() {
                EntryKind::Dir
            } else if kind.is_file() {
                EntryKind::File
            } else {
                refuse(
                    &mut tree,
                    "not a regular file or folder (links are not followed)",
                );
                continue;
            };
            let Ok(meta) = item.metadata() else { continue };
            let entry =
                crate::local_dir::entry_of(below(&relative, &remote_name), entry_kind, &meta);
            if let Some(filters) = filters {
                let relative_text = charset.decode(&entry.name);
                let known = crate::folder_sync::Known::of(&entry);
                if !filters.takes_known(&relative_text, &known) {
                    continue;
                }
            }
            if entry_kind == EntryKind::Dir {
                if depth + 1 >= MAX_DEPTH {
                    refuse(&mut tree, "more than 64 folders deep");
                    continue;
                }
                folders.push_back((local_path.clone(), entry.name.clone(), depth + 1));
            }
            tree.entries.push(entry);
            tree.paths.push(local_path);
            if tree.entries.len() > MAX_ENTRIES {
                return Err(std::io::Error::other(format!(
                    "more than {MAX_ENTRIES} entries below {}: choose a smaller folder",
                    root.display()
                )));
            }
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_tree_names_entries_by_their_path_and_leaves_out_links_and_excluded_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("docs/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join("docs/deep/a.txt"), b"abc").unwrap();
        std::fs::write(root.join("top.txt"), b"x").unwrap();
        std::fs::write(root.join(".git/objects/o"), b"x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", root.join("outside")).unwrap();
        let filters = Filters::new(crate::folder_sync::Patterns {
            exclude: vec![".git".into()],
            ..Default::default()
        })
        .unwrap();
        let tree = local_tree(root, Charset::UTF8, Some(&filters)).unwrap();
        let mut names: Vec<String> = tree.entries.iter().map(Entry::name_lossy).collect();
        names.sort();
        assert_eq!(names, ["docs", "docs/deep", "docs/deep/a.txt", "top.txt"]);
        let a = tree
            .entries
            .iter()
            .position(|e| e.name == b"docs/deep/a.txt")
            .unwrap();
        assert_eq!(tree.entries[a].size, Some(3));
        assert_eq!(tree.paths[a], Path::new("docs/deep/a.txt"));
        #[cfg(unix)]
        assert!(
            tree.refused.iter().any(|r| r.contains("outside")),
            "{:?}",
            tree.refused
        );
    }

    #[test]
    fn a_local_tree_leaves_out_what_a_rule_on_size_matches() {
        use crate::folder_sync::rules::{Condition, Rule, SizeOp, SizeUnit};
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("media")).unwrap();
        std::fs::write(dir.path().join("media/big.mov"), vec![0u8; 3000]).unwrap();
        std::fs::write(dir.path().join("media/small.txt"), b"x").unwrap();
        let filters = Filters::new(crate::folder_sync::Patterns {
            rules: vec![Rule {
                conditions: vec![Condition::Size {
                    op: SizeOp::Greater,
                    value: 2,
                    unit: SizeUnit::KiB,
                }],
                ..Rule::new("Big")
            }],
            ..Default::default()
        })
        .unwrap();
        let tree = local_tree(dir.path(), Charset::UTF8, Some(&filters)).unwrap();
        let mut names: Vec<String> = tree.entries.iter().map(Entry::name_lossy).collect();
        names.sort();
        assert_eq!(names, ["media", "media/small.txt"]);
    }

    #[test]
    fn names_in_a_legacy_charset_are_the_servers_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("한글.txt"), b"x").unwrap();
        let cp949 = Charset::from_name("cp949").unwrap();
        let tree = local_tree(dir.path(), cp949, None).unwrap();
        assert_eq!(
            tree.entries[0].name,
            cp949.encode_user_bytes("한글.txt".as_bytes()).unwrap()
        );
        assert_eq!(tree.paths[0], Path::new("한글.txt"));
    }
}
