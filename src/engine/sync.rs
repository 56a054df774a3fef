//! A one-way folder sync as the engine runs it, for both faces: the two walked trees become
//! the plan's inputs (`folder_sync::plan`), and the plan's actions become steps: folders
//! to create, queue items (each carrying what the plan saw, so a file that changed since is
//! a conflict), and deletions, run last, contents before their folder, each checked again.
//! Nothing outside the two chosen folders is named by any step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::browse::RemoteOp;
use super::checksum::RemoteChecksums;
use super::item::{Direction, ExistsPolicy, ItemKind, Priority, TransferSpec, TreeFilters};
use super::walk::LocalTree;
use crate::folder_sync::{Node, Plan, SameContent, Tree, What};
use crate::proto::listing::Entry;
use crate::proto::path;
use crate::remote::{ErrorKind, RemoteError, Server};
use crate::transfer::Expected;

/// What a sync is between.
#[derive(Debug, Clone)]
pub struct SyncSetup {
    /// Download: the server's folder is the source; upload: the local one.
    pub direction: Direction,
    pub local_root: PathBuf,
    pub remote_root: Vec<u8>,
    /// With `preserve_times` on (a sync keeps times, as `lftp mirror` does).
    pub server: Arc<Server>,
    pub filters: Option<Arc<TreeFilters>>,
    /// The site's server time-zone offset, added to the server's listed times.
    pub time_offset_minutes: i32,
}

/// The two trees, and where each local entry is on disk.
#[derive(Debug, Default)]
pub struct Sides {
    pub source: Tree,
    pub target: Tree,
    /// Path below the local root of each entry walked locally (by its server name).
    local_paths: HashMap<Vec<u8>, PathBuf>,
    /// Server entries left out: no safe local name.
    pub refused: Vec<String>,
    /// The server's folder is not there yet (an upload into a new folder): the steps create
    /// it first. Set by the caller, which saw its walk refused.
    pub remote_missing: bool,
}

impl SyncSetup {
    /// The trees a plan compares, from the server's walk and the local one. A server name
    /// that cannot be a local name (`..`, a name the local file system would change) is
    /// left out of both, so nothing is planned for it.
    pub fn sides(&self, remote: &[Entry], local: LocalTree) -> Sides {
        let mut sides = Sides::default();
        let mut remote_tree = Tree::new();
        for entry in remote {
            if let Err(why) = self.local_path_of(&entry.name) {
                sides.refused.push(why);
                continue;
            }
            let mut node = Node::from_entry(entry);
            node.modified = node.modified.map(|t| t.shifted(self.time_offset_minutes));
            remote_tree.insert(entry.name.clone(), node);
        }
        let mut local_tree = Tree::new();
        for (entry, path) in local.entries.iter().zip(local.paths) {
            local_tree.insert(entry.name.clone(), Node::from_entry(entry));
            sides.local_paths.insert(entry.name.clone(), path);
        }
        (sides.source, sides.target) = match self.direction {
            Direction::Download => (remote_tree, local_tree),
            Direction::Upload => (local_tree, remote_tree),
        };
        sides
    }

    /// The local path below the root for a server path below the root: each component
    /// through the same checks a download's names pass (`local::local_name`), unchanged.
    fn local_path_of(&self, relative: &[u8]) -> Result<PathBuf, String> {
        let charset = self.server.charset;
        let mut local = PathBuf::new();
        for component in relative.split(|&b| b == b'/') {
            let name = crate::local::local_name(component, charset, self.server.name_replacement)
                .map_err(|unsafe_name| format!("Skipped: {unsafe_name}"))?;
            if name.changed {
                return Err(format!(
                    "Skipped {:?}: the local file system cannot hold the name as it is, and a sync \
                     needs the same name on both sides",
                    charset.decode(relative)
                ));
            }
            local.push(name.name);
        }
        Ok(local)
    }

    fn local_path(&self, sides: &Sides, relative: &[u8]) -> Option<PathBuf> {
        let below = match sides.local_paths.get(relative) {
            Some(path) => path.clone(),
            None => self.local_path_of(relative).ok()?,
        };
        Some(self.local_root.join(below))
    }

    fn remote_path(&self, relative: &[u8]) -> Vec<u8> {
        path::join(&self.remote_root, relative)
    }

    /// The checksum criterion's question to the server (`EngineCommand::Remote`, answered
    /// by `EngineEvent::Checksums`): its side of each file in `paths`, the relative paths
    /// `folder_sync::needs_checksum` gives, with the size it listed.
    pub fn checksum_request(&self, sides: &Sides, paths: &[Vec<u8>]) -> RemoteOp {
        let remote_tree = match self.direction {
            Direction::Download => &sides.source,
            Direction::Upload => &sides.target,
        };
        let files = paths
            .iter()
            .map(|p| (self.remote_path(p), remote_tree.get(p).and_then(|n| n.size)))
            .collect();
        RemoteOp::Checksums { files }
    }

    /// Hashes the local side of each file in `paths` in the server's algorithm and compares
    /// it with the server's answer to [`SyncSetup::checksum_request`] for the same `paths`:
    /// what `folder_sync::plan_with_checksums` takes. Blocking (it reads every file): run
    /// it on the blocking pool.
    pub fn compare_checksums(
        &self,
        sides: &Sides,
        paths: &[Vec<u8>],
        remote: &RemoteChecksums,
    ) -> ContentCheck {
        let mut check = ContentCheck::default();
        let charset = self.server.charset;
        for (index, path) in paths.iter().enumerate() {
            let shown = || charset.decode(path).into_owned();
            let theirs = match remote.digests.get(index) {
                Some(Ok(digest)) => digest,
                Some(Err(err)) => {
                    check.unchecked.push(format!("{}: {err}", shown()));
                    continue;
                }
                None => {
                    check
                        .unchecked
                        .push(format!("{}: no checksum came", shown()));
                    continue;
                }
            };
            let Some(local) = self.local_path(sides, path) else {
                continue;
            };
            match super::checksum::hash_file(&local, remote.algorithm) {
                Ok(ours) => {
                    check.same.insert(path.clone(), ours == *theirs);
                }
                Err(err) => check
                    .unchecked
                    .push(format!("{}: cannot read it: {err}", local.display())),
            }
        }
        check
    }

    /// The plan's actions as steps to run; `selected` says which actions the user kept
    /// (the window's tick boxes; `None`: all). Skips and conflicts are never steps.
    pub fn steps(&self, plan: &Plan, sides: &Sides, selected: Option<&[bool]>) -> Steps {
        let mut steps = Steps::default();
        // The roots first: a download's local folder, an upload's missing server folder.
        match self.direction {
            Direction::Download => steps.mkdir_local.push(self.local_root.clone()),
            Direction::Upload if sides.remote_missing => {
                steps.mkdir_remote.push(self.remote_root.clone())
            }
            Direction::Upload => {}
        }
        for (index, action) in plan.actions.iter().enumerate() {
            if selected.is_some_and(|s| !s.get(index).copied().unwrap_or(false)) {
                continue;
            }
            let Some(local) = self.local_path(sides, &action.path) else {
                continue;
            };
            let remote = self.remote_path(&action.path);
            match (action.what, self.direction) {
                (What::Mkdir, Direction::Download) => steps.mkdir_local.push(local),
                (What::Mkdir, Direction::Upload) => steps.mkdir_remote.push(remote),
                (What::Copy | What::Update, _) => {
                    let Some(source) = action.source else {
                        continue;
                    };
                    let copy = action.what == What::Copy;
                    steps.transfers.push(TransferSpec {
                        direction: self.direction,
                        kind: ItemKind::File,
                        local,
                        remote,
                        server: Arc::clone(&self.server),
                        size: source.size,
                        priority: Priority::Normal,
                        // A copy's target was not there: if one appeared, it is refused.
                        exists: if copy {
                            ExistsPolicy::Refuse
                        } else {
                            ExistsPolicy::Overwrite
                        },
                        target_absent: false,
                        filters: None,
                        expect: Some(Box::new(Expected {
                            source,
                            target: action.target,
                            since: crate::transfer::Since::Plan,
                        })),
                    });
                }
                (What::Delete, _) => {
                    let Some(target) = action.target else {
                        continue;
                    };
                    let deletion = match self.direction {
                        Direction::Download => Deletion::Local {
                            path: local,
                            seen: target,
                        },
                        Direction::Upload => Deletion::Remote {
                            path: remote,
                            seen: target,
                        },
                    };
                    steps.deletions.push(deletion);
                }
                (What::Skip | What::Conflict, _) => {}
            }
        }
        // Contents before their folder: the plan lists a folder first.
        steps.deletions.reverse();
        steps
    }
}

/// What checksums said of files of equal size.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContentCheck {
    /// For `folder_sync::plan_with_checksums`.
    pub same: SameContent,
    /// Files left without a checksum, and why, for the face to show (the plan judges them
    /// by time).
    pub unchecked: Vec<String>,
}

/// A deletion, with what the plan saw there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Local { path: PathBuf, seen: Node },
    Remote { path: Vec<u8>, seen: Node },
}

impl Deletion {
    /// The server's side of a remote deletion: a folder is removed only when empty, a file
    /// only if it is still what the plan saw.
    pub fn remote_op(path: Vec<u8>, seen: Node) -> super::RemoteOp {
        match seen.is_dir() {
            true => super::RemoteOp::Rmdir(path),
            false => super::RemoteOp::DeleteUnchanged { path, seen },
        }
    }
}

/// Creates the local folders of a plan's steps, parents first (on the blocking pool).
pub fn create_local_folders(folders: &[PathBuf]) -> Result<(), String> {
    for folder in folders {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    Ok(())
}

/// What running a plan does, in this order.
#[derive(Debug, Default)]
pub struct Steps {
    /// Parents first, the root (a download's local folder, a missing server folder) first
    /// of all.
    pub mkdir_local: Vec<PathBuf>,
    pub mkdir_remote: Vec<Vec<u8>>,
    pub transfers: Vec<TransferSpec>,
    /// Contents before their folders.
    pub deletions: Vec<Deletion>,
}

/// Deletes a local file or an empty folder the plan listed, if it is still what the plan
/// saw. A file goes to the desktop's trash (`trash`: the freedesktop.org trash on Linux)
/// unless `permanently`; a folder is removed only when empty (what was in it was listed and
/// deleted before it, and anything new in it stays, with the folder).
pub fn delete_local(path: &Path, seen: &Node, permanently: bool) -> Result<(), RemoteError> {
    let shown = path.display();
    let left_alone =
        |why: &str| RemoteError::new(ErrorKind::Changed, format!("{shown}: {why}; left alone"));
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| RemoteError::local("cannot delete", path, &e))?;
    if seen.is_dir() {
        if !meta.is_dir() {
            return Err(left_alone("no longer a folder"));
        }
        return std::fs::remove_dir(path).map_err(|e| {
            left_alone(&format!(
                "not removed ({e}): something not in the plan is in it"
            ))
        });
    }
    if !meta.is_file() {
        return Err(left_alone("no longer a file"));
    }
    let now = crate::transfer::facts_of(&meta);
    if let Some(why) = crate::transfer::moved_on(Some(seen), Some(now)) {
        return Err(crate::transfer::changed(&shown.to_string(), why));
    }
    if permanently {
        std::fs::remove_file(path).map_err(|e| RemoteError::local("cannot delete", path, &e))
    } else {
        trash::delete(path).map_err(|e| {
            RemoteError::new(
                ErrorKind::Local,
                format!("{shown}: could not move it to the trash: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_sync::{PlanOptions, plan};
    use crate::proto::listing::{EntryKind, Timestamp};

    fn entry(name: &str, kind: EntryKind, size: Option<u64>) -> Entry {
        let mut e = Entry::new(name.as_bytes().to_vec(), kind);
        e.size = size;
        e.modified = Some(Timestamp::from_unix_secs(1_764_930_000));
        e
    }

    fn setup(direction: Direction) -> SyncSetup {
        SyncSetup {
            direction,
            local_root: PathBuf::from("/home/me/site"),
            remote_root: b"/www".to_vec(),
            server: Arc::new(Server::ftp("127.0.0.1", 21)),
            filters: None,
            time_offset_minutes: 0,
        }
    }

    #[test]
    fn a_download_plan_becomes_local_folders_queue_items_and_local_deletions_in_order() {
        let remote = [
            entry("new", EntryKind::Dir, None),
            entry("new/a.txt", EntryKind::File, Some(3)),
            entry("../evil", EntryKind::File, Some(1)),
        ];
        let local = LocalTree {
            entries: vec![
                entry("old", EntryKind::Dir, None),
                entry("old/b.txt", EntryKind::File, Some(1)),
            ],
            paths: vec!["old".into(), "old/b.txt".into()],
            refused: vec![],
        };
        let setup = setup(Direction::Download);
        let sides = setup.sides(&remote, local);
        assert_eq!(sides.refused.len(), 1, "{:?}", sides.refused);
        let options = PlanOptions {
            delete: true,
            ..PlanOptions::default()
        };
        let plan = plan(&sides.source, &sides.target, &options);
        let steps = setup.steps(&plan, &sides, None);
        assert_eq!(
            steps.mkdir_local,
            [
                PathBuf::from("/home/me/site"),
                PathBuf::from("/home/me/site/new")
            ]
        );
        assert_eq!(steps.transfers.len(), 1);
        let item = &steps.transfers[0];
        assert_eq!(item.local, Path::new("/home/me/site/new/a.txt"));
        assert_eq!(item.remote, b"/www/new/a.txt");
        assert_eq!(item.exists, ExistsPolicy::Refuse);
        assert_eq!(item.expect.as_deref().unwrap().target, None);
        let deleted: Vec<_> = steps
            .deletions
            .iter()
            .map(|d| match d {
                Deletion::Local { path, .. } => path.clone(),
                Deletion::Remote { .. } => panic!("a download deletes locally"),
            })
            .collect();
        assert_eq!(
            deleted,
            [
                PathBuf::from("/home/me/site/old/b.txt"),
                PathBuf::from("/home/me/site/old")
            ]
        );
        // Unticked in a preview: not a step.
        let none = setup.steps(&plan, &sides, Some(&[false; 4]));
        assert!(none.transfers.is_empty() && none.deletions.is_empty());
    }

    #[test]
    fn an_upload_plan_creates_remote_folders_and_updates_with_what_it_saw() {
        let local = LocalTree {
            entries: vec![entry("f.txt", EntryKind::File, Some(9))],
            paths: vec!["f.txt".into()],
            refused: vec![],
        };
        let remote = [entry("f.txt", EntryKind::File, Some(5))];
        let setup = setup(Direction::Upload);
        let sides = setup.sides(&remote, local);
        let plan = plan(&sides.source, &sides.target, &PlanOptions::default());
        let steps = setup.steps(&plan, &sides, None);
        let item = &steps.transfers[0];
        assert_eq!(item.direction, Direction::Upload);
        assert_eq!(item.exists, ExistsPolicy::Overwrite);
        assert_eq!(
            item.expect.as_deref().unwrap().target.unwrap().size,
            Some(5)
        );
        assert_eq!(item.expect.as_deref().unwrap().source.size, Some(9));
    }

    #[test]
    fn checksums_are_asked_for_the_server_side_and_compared_with_the_local_files() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("same", &b"abcd"[..]),
            ("edited", b"abcd"),
            ("refused", b"x"),
        ] {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let local = crate::engine::walk::local_tree(dir.path(), Server::ftp("h", 21).charset, None)
            .unwrap();
        let remote = [
            entry("same", EntryKind::File, Some(4)),
            entry("edited", EntryKind::File, Some(4)),
            entry("refused", EntryKind::File, Some(1)),
        ];
        let mut setup = setup(Direction::Upload);
        setup.local_root = dir.path().to_path_buf();
        let sides = setup.sides(&remote, local);
        let paths = crate::folder_sync::needs_checksum(&sides.source, &sides.target);
        assert_eq!(paths.len(), 3);
        let RemoteOp::Checksums { files } = setup.checksum_request(&sides, &paths) else {
            panic!("a checksum request");
        };
        assert!(
            files.contains(&(b"/www/edited".to_vec(), Some(4))),
            "{files:?}"
        );
        let algorithm = crate::proto::hash::Algorithm::Sha256;
        let hash = |bytes: &[u8]| crate::engine::checksum::hash_reader(bytes, algorithm).unwrap();
        let digests = paths
            .iter()
            .map(|p| match p.as_slice() {
                b"same" => Ok(hash(b"abcd")),
                b"edited" => Ok(hash(b"abce")),
                _ => Err(RemoteError::new(
                    ErrorKind::Refused,
                    "550 Permission denied",
                )),
            })
            .collect();
        let check =
            setup.compare_checksums(&sides, &paths, &RemoteChecksums { algorithm, digests });
        assert_eq!(check.same.get(&b"same"[..]), Some(&true));
        assert_eq!(check.same.get(&b"edited"[..]), Some(&false));
        assert_eq!(check.same.get(&b"refused"[..]), None);
        assert!(
            check.unchecked[0].contains("refused: 550"),
            "{:?}",
            check.unchecked
        );
    }

    #[test]
    fn a_local_deletion_checks_what_the_plan_saw_and_keeps_a_folder_with_new_things() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.txt");
        std::fs::write(&file, b"abc").unwrap();
        let entries = crate::local_dir::list(dir.path()).unwrap();
        let seen = Node::from_entry(&entries[0]);
        let mut grown = seen;
        grown.size = Some(2);
        let err = delete_local(&file, &grown, true).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Changed);
        assert!(err.to_string().contains("changed since"), "{err}");
        assert!(file.exists());
        delete_local(&file, &seen, true).unwrap();
        assert!(!file.exists());
        let folder = dir.path().join("d");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("new"), b"").unwrap();
        let folder_seen = Node {
            kind: EntryKind::Dir,
            size: None,
            modified: None,
        };
        assert!(delete_local(&folder, &folder_seen, true).is_err());
        assert!(folder.join("new").exists());
    }
}
