//! Which of a plan's actions the user kept: the tick boxes of the window's preview. Pure.
//!
//! A tick never leaves the plan unable to run: ticking a file inside a new folder ticks the
//! folder's creation, and unticking the creation unticks everything inside it; unticking a
//! deletion inside a folder that is deleted too unticks the folder's deletion (a folder is
//! only removed once empty), and ticking the folder's deletion ticks its contents'. Skips and
//! conflicts have no tick: they are never run.

use std::collections::HashMap;

use super::plan::{Action, Plan, Summary, What, inside};

/// The ticks of one plan, by action index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    ticks: Vec<bool>,
    /// Action index by path, to find a path's parent folders.
    by_path: HashMap<Vec<u8>, usize>,
}

/// The folders `path` is in, nearest first (`a/b/c` → `a/b`, `a`).
fn parents(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = path;
    std::iter::from_fn(move || {
        let cut = rest.iter().rposition(|&b| b == b'/')?;
        rest = &rest[..cut];
        Some(rest)
    })
}

impl Selection {
    /// Every action that changes something ticked.
    pub fn all(plan: &Plan) -> Self {
        Self {
            ticks: plan.actions.iter().map(Action::changes).collect(),
            by_path: plan
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| (a.path.clone(), i))
                .collect(),
        }
    }

    /// The ticks, one per action, for `SyncSetup::steps`.
    pub fn ticks(&self) -> &[bool] {
        &self.ticks
    }

    pub fn is_ticked(&self, index: usize) -> bool {
        self.ticks.get(index).copied().unwrap_or(false)
    }

    /// Whether the action can be ticked at all (skips and conflicts cannot).
    pub fn tickable(plan: &Plan, index: usize) -> bool {
        plan.actions.get(index).is_some_and(Action::changes)
    }

    /// Ticks or unticks every action that can be.
    pub fn set_all(&mut self, plan: &Plan, on: bool) {
        for (tick, action) in self.ticks.iter_mut().zip(&plan.actions) {
            *tick = on && action.changes();
        }
    }

    /// Ticks or unticks one action, and what it depends on or what depends on it.
    pub fn set(&mut self, plan: &Plan, index: usize, on: bool) {
        let Some(action) = plan.actions.get(index).filter(|a| a.changes()) else {
            return;
        };
        self.ticks[index] = on;
        let path = action.path.as_slice();
        match (action.what, on) {
            // What goes into a new folder needs the folder.
            (What::Mkdir | What::Copy | What::Update, true) => {
                for parent in parents(path) {
                    if let Some(&i) = self.by_path.get(parent)
                        && plan.actions[i].what == What::Mkdir
                    {
                        self.ticks[i] = true;
                    }
                }
            }
            // Without the folder, nothing can go into it.
            (What::Mkdir, false) => self.set_inside(plan, path, false, |_| true),
            // A folder is removed only once empty: its contents go too.
            (What::Delete, true) => self.set_inside(plan, path, true, |w| w == What::Delete),
            // A file kept keeps the folders it is in.
            (What::Delete, false) => {
                for parent in parents(path) {
                    if let Some(&i) = self.by_path.get(parent)
                        && plan.actions[i].what == What::Delete
                    {
                        self.ticks[i] = false;
                    }
                }
            }
            (What::Copy | What::Update, false) | (What::Skip | What::Conflict, _) => {}
        }
    }

    fn set_inside(&mut self, plan: &Plan, folder: &[u8], on: bool, which: impl Fn(What) -> bool) {
        for (tick, action) in self.ticks.iter_mut().zip(&plan.actions) {
            if action.changes() && which(action.what) && inside(&action.path, folder) {
                *tick = on;
            }
        }
    }

    /// The counts and bytes of the ticked actions (skips, conflicts and identical files as
    /// in the plan, since they are shown either way).
    pub fn summary(&self, plan: &Plan) -> Summary {
        let mut kept = Plan {
            actions: Vec::new(),
            identical: plan.identical,
        };
        kept.actions = plan
            .actions
            .iter()
            .zip(&self.ticks)
            .filter(|(a, on)| **on || !a.changes())
            .map(|(a, _)| a.clone())
            .collect();
        kept.summary()
    }

    /// How many actions are ticked.
    pub fn count(&self) -> usize {
        self.ticks.iter().filter(|t| **t).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_sync::compare::Node;
    use crate::proto::listing::EntryKind;

    fn action(path: &str, what: What) -> Action {
        let node = Node {
            kind: if what == What::Mkdir || path.ends_with('/') {
                EntryKind::Dir
            } else {
                EntryKind::File
            },
            size: Some(10),
            modified: None,
        };
        Action {
            path: path.trim_end_matches('/').as_bytes().to_vec(),
            what,
            source: Some(node),
            target: (what != What::Copy && what != What::Mkdir).then_some(node),
            reason: "test",
        }
    }

    fn ticked(selection: &Selection, plan: &Plan) -> Vec<String> {
        plan.actions
            .iter()
            .enumerate()
            .filter(|(i, _)| selection.is_ticked(*i))
            .map(|(_, a)| String::from_utf8_lossy(&a.path).into_owned())
            .collect()
    }

    #[test]
    fn a_new_folder_and_what_goes_into_it_are_ticked_and_unticked_together() {
        let plan = Plan {
            actions: vec![
                action("new", What::Mkdir),
                action("new/deep", What::Mkdir),
                action("new/deep/a.txt", What::Copy),
                action("new/b.txt", What::Copy),
                action("newer.txt", What::Update),
                action("same.txt", What::Skip),
                action("clash", What::Conflict),
            ],
            identical: 3,
        };
        let mut s = Selection::all(&plan);
        assert_eq!(s.count(), 5, "skips and conflicts are never ticked");
        assert!(!Selection::tickable(&plan, 5) && !Selection::tickable(&plan, 6));
        s.set(&plan, 6, true);
        assert!(!s.is_ticked(6), "a conflict cannot be ticked");

        // Untick the folder: nothing can go into it.
        s.set(&plan, 0, false);
        assert_eq!(ticked(&s, &plan), ["newer.txt"]);
        // "newer.txt" is not inside "new", though its name starts with it.

        // Tick one file deep inside: its folders come back, its siblings do not.
        s.set(&plan, 2, true);
        assert_eq!(
            ticked(&s, &plan),
            ["new", "new/deep", "new/deep/a.txt", "newer.txt"]
        );
        let summary = s.summary(&plan);
        assert_eq!((summary.mkdir, summary.copy, summary.update), (2, 1, 1));
        assert_eq!(summary.bytes, 20);
        assert_eq!(
            (summary.skip, summary.conflict, summary.identical),
            (1, 1, 3)
        );

        s.set_all(&plan, false);
        assert_eq!(s.count(), 0);
        s.set_all(&plan, true);
        assert_eq!(s.count(), 5);
    }

    #[test]
    fn a_kept_file_keeps_the_folder_it_is_in_and_a_deleted_folder_takes_its_contents() {
        let plan = Plan {
            actions: vec![
                action("old/", What::Delete),
                action("old/a.txt", What::Delete),
                action("old/sub/", What::Delete),
                action("old/sub/b.txt", What::Delete),
                action("older.txt", What::Delete),
            ],
            identical: 0,
        };
        let mut s = Selection::all(&plan);
        s.set(&plan, 3, false);
        assert_eq!(ticked(&s, &plan), ["old/a.txt", "older.txt"]);
        s.set(&plan, 0, true);
        assert_eq!(s.count(), 5, "the folder's deletion takes everything in it");
        assert_eq!(s.ticks().len(), plan.actions.len());
    }
}
