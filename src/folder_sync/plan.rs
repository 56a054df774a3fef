//! A one-way sync's plan: what makes the target folder's contents the source folder's, as a
//! list of actions a person can read (and a window can show with a tick box each) before
//! anything is touched. Pure: two trees in, a plan out.
//!
//! The rules, as `lftp mirror` (the source wins) but never silent about what it replaces:
//! - only in the source: copy (a folder: create it, then its contents);
//! - in both, sizes differ: update (noted when the target is the newer one);
//! - in both, same size, the source newer: update; the target newer: skip (a copy made
//!   where the time could not be kept, such as an upload to a server without MFMT);
//! - only in the target: kept, unless deleting was chosen (then every file and folder of it
//!   is its own action, so nothing unlisted is ever removed);
//! - a file on one side and a folder on the other: a conflict, left for the user.
//!
//! Under the checksum criterion, files of equal size are judged by their contents'
//! checksums (found by the engine for the paths [`needs_checksum`] names): equal, identical
//! whatever the times say; different, an update. One without a checksum is judged by time.

use std::collections::BTreeMap;

use super::compare::{Criterion, Newer, Node, newer};

/// A folder tree below the chosen folder: relative paths (`/`-separated, the server's
/// bytes) to what is there. Sorted, so a folder comes before its contents.
pub type Tree = BTreeMap<Vec<u8>, Node>;

/// For the checksum criterion: by relative path, whether the two sides' contents have
/// equal checksums. A path not in it had none (it is judged by time).
pub type SameContent = BTreeMap<Vec<u8>, bool>;

/// The files whose contents a checksum plan compares: on both sides, with equal known
/// sizes (other sizes already mean an update), in path order.
pub fn needs_checksum(source: &Tree, target: &Tree) -> Vec<Vec<u8>> {
    source
        .iter()
        .filter(|(path, s)| {
            target
                .get(*path)
                .is_some_and(|t| !s.is_dir() && !t.is_dir() && s.size.is_some() && s.size == t.size)
        })
        .map(|(path, _)| path.clone())
        .collect()
}

/// What to do with one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum What {
    /// Create a folder that is only in the source.
    Mkdir,
    Copy,
    Update,
    Delete,
    Skip,
    Conflict,
}

impl What {
    /// The action in one word, as the window's preview and `skiff sync` show it.
    pub fn word(self) -> &'static str {
        match self {
            What::Mkdir => "mkdir",
            What::Copy => "copy",
            What::Update => "update",
            What::Delete => "delete",
            What::Skip => "skip",
            What::Conflict => "conflict",
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Below the chosen folders, `/`-separated, the server's bytes.
    pub path: Vec<u8>,
    pub what: What,
    pub source: Option<Node>,
    pub target: Option<Node>,
    /// Why, in words.
    pub reason: &'static str,
}

impl Action {
    /// Bytes this action moves.
    pub fn bytes(&self) -> u64 {
        match self.what {
            What::Copy | What::Update => self.source.and_then(|s| s.size).unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether the action changes anything when run.
    pub fn changes(&self) -> bool {
        !matches!(self.what, What::Skip | What::Conflict)
    }
}

/// How the plan is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    pub criterion: Criterion,
    pub tolerance_secs: i64,
    /// Remove what is only in the target.
    pub delete: bool,
    /// Never replace a newer target file (`lftp mirror --only-newer`).
    pub only_newer: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            criterion: Criterion::Time,
            tolerance_secs: super::compare::DEFAULT_TOLERANCE_SECS,
            delete: false,
            only_newer: false,
        }
    }
}

/// The plan: its actions in the order they run (folders before their contents; deletions
/// listed where found and run contents first), and how many files were already identical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub identical: usize,
}

/// Counts by kind of action, and the bytes to move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub mkdir: usize,
    pub copy: usize,
    pub update: usize,
    pub delete: usize,
    pub skip: usize,
    pub conflict: usize,
    pub identical: usize,
    pub bytes: u64,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            identical: self.identical,
            ..Summary::default()
        };
        for action in &self.actions {
            s.bytes += action.bytes();
            *match action.what {
                What::Mkdir => &mut s.mkdir,
                What::Copy => &mut s.copy,
                What::Update => &mut s.update,
                What::Delete => &mut s.delete,
                What::Skip => &mut s.skip,
                What::Conflict => &mut s.conflict,
            } += 1;
        }
        s
    }

    /// Whether running it would change nothing.
    pub fn is_noop(&self) -> bool {
        !self.actions.iter().any(Action::changes)
    }
}

/// Whether `path` lies inside the folder `folder` (both relative).
pub(super) fn inside(path: &[u8], folder: &[u8]) -> bool {
    path.len() > folder.len() && path.starts_with(folder) && path[folder.len()] == b'/'
}

/// Plans the sync that makes `target` hold what `source` holds.
pub fn plan(source: &Tree, target: &Tree, options: &PlanOptions) -> Plan {
    plan_with_checksums(source, target, options, &SameContent::new())
}

/// [`plan`], with what checksums said of files of equal size (the checksum criterion).
pub fn plan_with_checksums(
    source: &Tree,
    target: &Tree,
    options: &PlanOptions,
    same: &SameContent,
) -> Plan {
    let mut plan = Plan::default();
    // A folder whose contents need no action of their own: only in the target and kept,
    // or in a conflict.
    let mut settled: Option<Vec<u8>> = None;
    // By components: a folder's contents come right after it ("old", "old/a", "old-2"),
    // so a settled folder's contents are the paths that follow it.
    let mut paths: Vec<&Vec<u8>> = source.keys().chain(target.keys()).collect();
    let components = |p: &Vec<u8>| {
        p.split(|&b| b == b'/')
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>()
    };
    paths.sort_by_cached_key(|p| components(p));
    paths.dedup();
    for path in paths {
        if settled.as_deref().is_some_and(|f| inside(path, f)) {
            continue;
        }
        let (s, t) = (source.get(path), target.get(path));
        let action = |what, reason| Action {
            path: path.clone(),
            what,
            source: s.copied(),
            target: t.copied(),
            reason,
        };
        let step = match (s, t) {
            (None, None) => continue,
            (Some(s), None) if s.is_dir() => action(What::Mkdir, "only in the source"),
            (Some(_), None) => action(What::Copy, "only in the source"),
            (None, Some(_)) if options.delete => action(What::Delete, "only in the target"),
            (None, Some(t)) => {
                if t.is_dir() {
                    settled = Some(path.clone());
                }
                action(
                    What::Skip,
                    "only in the target (kept: deleting was not chosen)",
                )
            }
            (Some(s), Some(t)) if s.is_dir() != t.is_dir() => {
                settled = Some(path.clone());
                action(
                    What::Conflict,
                    "a file on one side and a folder on the other",
                )
            }
            (Some(s), Some(_)) if s.is_dir() => continue,
            (Some(s), Some(t)) => match file_step(s, t, options, same.get(path).copied()) {
                Some((what, reason)) => action(what, reason),
                None => {
                    plan.identical += 1;
                    continue;
                }
            },
        };
        plan.actions.push(step);
    }
    plan
}

/// What to do with a file that is on both sides; `None` when they are the same.
/// `same_content`: what their checksums said, when they were compared.
fn file_step(
    s: &Node,
    t: &Node,
    options: &PlanOptions,
    same_content: Option<bool>,
) -> Option<(What, &'static str)> {
    let sizes_differ = s.size != t.size;
    let time = || newer(s.modified, t.modified, options.tolerance_secs);
    let when = match (options.criterion, same_content) {
        (Criterion::Checksum, Some(true)) if !sizes_differ => return None,
        (Criterion::Checksum, Some(false)) if !sizes_differ => {
            return Some(match time() {
                Newer::Right if options.only_newer => {
                    (What::Skip, "the target is newer (--only-newer)")
                }
                _ => (What::Update, "same size, but the checksums differ"),
            });
        }
        (Criterion::Time, _) | (Criterion::Checksum, None) => time(),
        (Criterion::Size, _) | (Criterion::Checksum, Some(_)) => Newer::Unknown,
    };
    match when {
        Newer::Right if options.only_newer => {
            Some((What::Skip, "the target is newer (--only-newer)"))
        }
        Newer::Right if sizes_differ => Some((
            What::Update,
            "the sizes differ, and the target is newer: it is replaced",
        )),
        Newer::Right => Some((
            What::Skip,
            "same size, the target is newer (a copy whose time was not kept)",
        )),
        Newer::Left => Some((What::Update, "the source is newer")),
        Newer::Same | Newer::Unknown if sizes_differ => Some((What::Update, "the sizes differ")),
        Newer::Same | Newer::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::{EntryKind, Timestamp};

    const T: i64 = 1_764_930_000;

    fn file(size: u64, secs: i64) -> Node {
        Node {
            kind: EntryKind::File,
            size: Some(size),
            modified: Some(Timestamp::from_unix_secs(secs)),
        }
    }

    fn dir() -> Node {
        Node {
            kind: EntryKind::Dir,
            size: None,
            modified: None,
        }
    }

    fn tree(entries: &[(&str, Node)]) -> Tree {
        entries
            .iter()
            .map(|(p, n)| (p.as_bytes().to_vec(), *n))
            .collect()
    }

    fn steps(plan: &Plan) -> Vec<(String, What)> {
        plan.actions
            .iter()
            .map(|a| (String::from_utf8_lossy(&a.path).into_owned(), a.what))
            .collect()
    }

    fn s(path: &str, what: What) -> (String, What) {
        (path.to_owned(), what)
    }

    #[test]
    fn a_mirror_copies_updates_and_keeps_what_is_only_in_the_target() {
        let source = tree(&[
            ("a.txt", file(10, T)),
            ("docs", dir()),
            ("docs/new.pdf", file(5, T)),
            ("same.txt", file(3, T)),
            ("grown.txt", file(9, T)),
            ("newer.txt", file(4, T + 600)),
            ("uploaded.txt", file(4, T)),
        ]);
        let target = tree(&[
            ("same.txt", file(3, T + 1)),
            ("grown.txt", file(8, T + 600)),
            ("newer.txt", file(4, T)),
            ("uploaded.txt", file(4, T + 600)),
            ("old", dir()),
            ("old/x", file(1, T)),
            ("stale.txt", file(1, T)),
        ]);
        let plan = plan(&source, &target, &PlanOptions::default());
        assert_eq!(
            steps(&plan),
            vec![
                s("a.txt", What::Copy),
                s("docs", What::Mkdir),
                s("docs/new.pdf", What::Copy),
                s("grown.txt", What::Update),
                s("newer.txt", What::Update),
                s("old", What::Skip),
                s("stale.txt", What::Skip),
                s("uploaded.txt", What::Skip),
            ]
        );
        assert_eq!(plan.identical, 1);
        assert!(plan.actions[3].reason.contains("target is newer"));
        let summary = plan.summary();
        assert_eq!((summary.copy, summary.update, summary.mkdir), (2, 2, 1));
        assert_eq!(summary.bytes, 10 + 5 + 9 + 4);
    }

    #[test]
    fn deleting_lists_every_file_and_folder_only_in_the_target() {
        let source = tree(&[("keep.txt", file(1, T))]);
        let target = tree(&[
            ("keep.txt", file(1, T)),
            ("old", dir()),
            ("old/a", file(1, T)),
            ("old/sub", dir()),
            ("old/sub/b", file(1, T)),
            ("stale.txt", file(1, T)),
        ]);
        let options = PlanOptions {
            delete: true,
            ..PlanOptions::default()
        };
        let plan = plan(&source, &target, &options);
        assert_eq!(
            steps(&plan),
            vec![
                s("old", What::Delete),
                s("old/a", What::Delete),
                s("old/sub", What::Delete),
                s("old/sub/b", What::Delete),
                s("stale.txt", What::Delete),
            ]
        );
    }

    #[test]
    fn a_file_against_a_folder_is_a_conflict_and_nothing_inside_is_touched() {
        let source = tree(&[("x", file(1, T)), ("y", dir()), ("y/inner", file(1, T))]);
        let target = tree(&[("x", dir()), ("x/kept", file(1, T)), ("y", file(1, T))]);
        let options = PlanOptions {
            delete: true,
            ..PlanOptions::default()
        };
        let plan = plan(&source, &target, &options);
        assert_eq!(
            steps(&plan),
            vec![s("x", What::Conflict), s("y", What::Conflict)]
        );
        assert!(plan.actions.iter().all(|a| !a.changes()));
    }

    #[test]
    fn only_newer_never_replaces_a_newer_target_and_size_ignores_times() {
        let source = tree(&[("a", file(1, T)), ("b", file(2, T + 600))]);
        let target = tree(&[("a", file(5, T + 600)), ("b", file(2, T))]);
        let only_newer = PlanOptions {
            only_newer: true,
            ..PlanOptions::default()
        };
        assert_eq!(
            steps(&plan(&source, &target, &only_newer)),
            vec![s("a", What::Skip), s("b", What::Update)]
        );
        let by_size = PlanOptions {
            criterion: Criterion::Size,
            ..PlanOptions::default()
        };
        let sized = plan(&source, &target, &by_size);
        assert_eq!(steps(&sized), vec![s("a", What::Update)]);
        assert_eq!(sized.identical, 1);
    }

    #[test]
    fn a_folder_and_a_sibling_with_a_longer_name_are_told_apart() {
        // "old" and "old-2" are kept whole; "old.txt" and "old-2" sort before "old/…" as
        // bytes, but a folder's contents follow it.
        let source = tree(&[("old.txt", file(1, T))]);
        let target = tree(&[
            ("old", dir()),
            ("old/a", file(1, T)),
            ("old-2", dir()),
            ("old-2/b", file(1, T)),
        ]);
        assert_eq!(
            steps(&plan(&source, &target, &PlanOptions::default())),
            vec![
                s("old", What::Skip),
                s("old-2", What::Skip),
                s("old.txt", What::Copy)
            ]
        );
    }

    #[test]
    fn checksums_judge_files_of_equal_size_whatever_their_times() {
        let source = tree(&[
            ("same-content-older.txt", file(4, T)),
            ("edited-same-time.txt", file(4, T)),
            ("grown.txt", file(9, T)),
            ("unhashed.txt", file(4, T + 600)),
            ("d", dir()),
        ]);
        let target = tree(&[
            ("same-content-older.txt", file(4, T + 600)),
            ("edited-same-time.txt", file(4, T)),
            ("grown.txt", file(8, T)),
            ("unhashed.txt", file(4, T)),
            ("d", dir()),
        ]);
        let asked = needs_checksum(&source, &target);
        let names: Vec<&[u8]> = asked.iter().map(Vec::as_slice).collect();
        assert_eq!(
            names,
            [
                &b"edited-same-time.txt"[..],
                b"same-content-older.txt",
                b"unhashed.txt"
            ],
            "equal sizes only, no folders"
        );
        let same: SameContent = [
            (b"same-content-older.txt".to_vec(), true),
            (b"edited-same-time.txt".to_vec(), false),
        ]
        .into_iter()
        .collect();
        let by_checksum = PlanOptions {
            criterion: Criterion::Checksum,
            ..PlanOptions::default()
        };
        let planned = plan_with_checksums(&source, &target, &by_checksum, &same);
        assert_eq!(
            steps(&planned),
            vec![
                s("edited-same-time.txt", What::Update),
                s("grown.txt", What::Update),
                s("unhashed.txt", What::Update),
            ]
        );
        assert_eq!(
            planned.identical, 1,
            "equal checksums, though the target is newer"
        );
        assert!(planned.actions[0].reason.contains("checksums differ"));
        assert!(
            planned.actions[2].reason.contains("source is newer"),
            "by time"
        );
        // The same trees by time: the edit with an equal time goes unseen.
        let by_time = plan(&source, &target, &PlanOptions::default());
        assert!(
            !steps(&by_time).contains(&s("edited-same-time.txt", What::Update)),
            "{:?}",
            steps(&by_time)
        );
        // --only-newer keeps a newer target even when its contents differ.
        let target_newer = tree(&[("a", file(4, T + 600))]);
        let only_newer = PlanOptions {
            only_newer: true,
            ..by_checksum
        };
        let differs: SameContent = [(b"a".to_vec(), false)].into_iter().collect();
        assert_eq!(
            steps(&plan_with_checksums(
                &tree(&[("a", file(4, T))]),
                &target_newer,
                &only_newer,
                &differs
            )),
            vec![s("a", What::Skip)]
        );
    }

    #[test]
    fn equal_trees_plan_nothing() {
        let t = tree(&[("d", dir()), ("d/f", file(3, T))]);
        let plan = plan(&t, &t, &PlanOptions::default());
        assert!(plan.is_noop());
        assert_eq!(plan.actions, vec![]);
        assert_eq!(plan.identical, 1);
    }
}
