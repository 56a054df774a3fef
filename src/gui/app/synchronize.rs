//! Transfer > Synchronize, glued to the window: the same one-way sync as `skiff sync`, on the
//! same engine. Both folders are walked (the server's on the browsing session, the local one
//! on the blocking pool), the plan made off the UI thread and shown with a tick box per
//! action (`gui::sync_window`); what stays ticked runs as the CLI runs it: folders first,
//! then the copies through the shared queue, then the deletions, each checked again
//! against what the plan saw.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use poll_promise::Promise;

use super::SkiffApp;
use crate::engine::checksum::RemoteChecksums;
use crate::engine::sync::{Deletion, Sides, SyncSetup, create_local_folders, delete_local};
use crate::engine::walk::{LocalTree, local_tree};
use crate::engine::{Direction, EngineCommand, EngineEvent, RemoteOp, RequestId, TransferSpec};
use crate::folder_sync::{Criterion, Plan, PlanOptions, Selection};
use crate::gui::actions::Side;
use crate::gui::jobs;
use crate::gui::sync_window::{Outcome, QueueWatch, RunCounts, Stage, SyncForm, SyncWindow};
use crate::proto::listing::Entry;
use crate::remote::{ErrorKind, RemoteError};

/// A job's result: `Err` when the job itself stopped.
type Job<T> = Promise<Result<T, String>>;

/// What the planning job made: the plan, or, under the checksum criterion, the files whose
/// checksums decide it.
enum Planned {
    Plan(Sides, Plan),
    NeedsChecksums(Sides, Vec<Vec<u8>>),
}

/// The sync being planned or run.
pub(super) struct SyncTask {
    setup: SyncSetup,
    options: PlanOptions,
    /// Local deletions go to the trash.
    to_trash: bool,
    phase: Phase,
    counts: RunCounts,
    /// Why steps failed, for the window's last page (each is in the log too).
    problems: Vec<String>,
    /// Why the sync cannot go on (the server's folder could not be listed).
    failure: Option<String>,
}

enum Phase {
    /// Both folders being walked.
    Walking {
        walk: RequestId,
        /// The server's tree, once listed, and whether its folder is missing.
        remote: Option<(Arc<[Entry]>, bool)>,
        local: Option<Job<Result<LocalTree, String>>>,
        local_tree: Option<LocalTree>,
    },
    Planning {
        job: Job<Planned>,
    },
    /// The server hashing the files of equal size (the checksum criterion).
    Hashing {
        request: RequestId,
        sides: Sides,
        paths: Vec<Vec<u8>>,
        answer: Option<Result<Arc<RemoteChecksums>, RemoteError>>,
    },
    /// The preview is shown.
    Preview {
        sides: Sides,
    },
    /// Creating the folders; the transfers and deletions wait.
    Folders {
        local: Option<Job<Result<(), String>>>,
        remote: HashSet<RequestId>,
        transfers: Vec<TransferSpec>,
        deletions: Vec<Deletion>,
    },
    /// The copies in the queue; the deletions wait.
    Transfers {
        watch: QueueWatch,
        deletions: Vec<Deletion>,
    },
    Deleting {
        local: Option<Job<Vec<Result<(), RemoteError>>>>,
        remote: HashSet<RequestId>,
    },
    Done,
}

impl SkiffApp {
    /// Transfer > Synchronize…: the window, filled with the two folders shown.
    pub(super) fn open_synchronize(&mut self) {
        let Some(server) = &self.server else {
            return;
        };
        if self.sync_task.as_ref().is_some_and(SyncTask::running) {
            // A run goes on: the window shows it again.
            if let Some(window) = &mut self.sync_window {
                window.error = None;
            }
            return;
        }
        let charset = server.charset;
        let remote = charset.decode(&self.model.remote.files.path).into_owned();
        let local = self.local_dir().display().to_string();
        let shown = self
            .server_url
            .as_ref()
            .map_or_else(|| "the server".to_owned(), |u| u.host_port());
        let mut window = SyncWindow::new(SyncForm::new(local, remote), charset, shown);
        window.checksum = self.model.capabilities.as_ref().and_then(|c| c.checksum);
        window.filtered =
            [Side::Local, Side::Remote].map(|side| self.transfer_filters(side).is_some());
        self.sync_window = Some(window);
    }

    pub(super) fn synchronize_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.sync_window else {
            return;
        };
        match window.show(ctx) {
            Outcome::Open => {}
            Outcome::Closed => {
                self.sync_window = None;
                // A plan not run is dropped; a run goes on, and says in the log how it went.
                if !self.sync_task.as_ref().is_some_and(SyncTask::running) {
                    self.sync_task = None;
                }
            }
            Outcome::Back => {
                window.stage = Stage::Setup;
                window.error = None;
                if !self.sync_task.as_ref().is_some_and(SyncTask::running) {
                    self.sync_task = None;
                }
            }
            Outcome::Compare => self.plan_sync(),
            Outcome::Run => self.run_sync(),
            Outcome::BrowseLocal => {
                let start = PathBuf::from(window.form.local.trim());
                let picked = rfd::AsyncFileDialog::new()
                    .set_directory(start)
                    .pick_folder();
                window.picked = Some(jobs::spawn_async(&self.wake, async move {
                    picked.await.map(|folder| folder.path().to_path_buf())
                }));
            }
        }
    }

    /// Walks both folders, for the plan.
    fn plan_sync(&mut self) {
        let (Some(server), Some(window)) = (self.server.clone(), &mut self.sync_window) else {
            return;
        };
        window.error = None;
        let form = window.form.clone();
        let local_root = PathBuf::from(form.local.trim());
        let problem = if form.local.trim().is_empty() {
            Some("Choose the local folder.".to_owned())
        } else if local_root.exists() && !local_root.is_dir() {
            Some(format!("{} is not a folder.", local_root.display()))
        } else if form.direction == Direction::Upload && !local_root.is_dir() {
            Some(format!(
                "There is no folder {} to upload.",
                local_root.display()
            ))
        } else {
            None
        };
        let remote_root = match server.charset.encode(form.remote.trim()) {
            Ok(root) => crate::proto::path::folder(&root),
            Err(err) => {
                window.error = Some(format!("The server's folder: {err}"));
                return;
            }
        };
        if let Some(problem) = problem {
            window.error = Some(problem);
            return;
        }
        if remote_root.first() != Some(&b'/') {
            window.error = Some("Give the server's folder as a full path (/www).".into());
            return;
        }
        window.stage = Stage::Planning("Listing both folders, every level…".into());
        // A sync keeps times, as `lftp mirror` does, so the next comparison finds the copies
        // equal.
        let mut syncing = (*server).clone();
        syncing.preserve_times = true;
        let time_offset_minutes = self
            .cfg
            .current_site
            .as_ref()
            .and_then(|id| self.cfg.sites.get(id))
            .map_or(0, |site| site.timezone_offset_minutes);
        // The source pane's rules (when they apply to transfers, comparison and sync), on
        // both walks: what they hide in the source is neither copied nor, hidden in the
        // target, deleted.
        let source = match form.direction {
            Direction::Download => Side::Remote,
            Direction::Upload => Side::Local,
        };
        let filters = self.transfer_filters(source);
        let tree_filters = filters.clone().map(|filters| {
            Arc::new(crate::engine::TreeFilters {
                filters,
                root: remote_root.clone(),
            })
        });
        let setup = SyncSetup {
            direction: form.direction,
            local_root: local_root.clone(),
            remote_root: remote_root.clone(),
            server: Arc::new(syncing),
            filters: tree_filters.clone(),
            time_offset_minutes,
        };
        let walk = self.next_request();
        self.engine.send(EngineCommand::Remote {
            request: walk,
            server: Arc::clone(&server),
            op: RemoteOp::Walk {
                root: remote_root,
                filters: tree_filters,
            },
        });
        let charset = server.charset;
        let local = jobs::spawn_blocking(&self.wake, move || {
            if !local_root.exists() {
                return Ok(LocalTree::default());
            }
            local_tree(&local_root, charset, filters.as_ref())
                .map_err(|e| format!("cannot read {}: {e}", local_root.display()))
        });
        self.model.push_status(format!(
            "Synchronize: comparing {} and {}",
            form.local.trim(),
            form.remote.trim()
        ));
        self.sync_task = Some(SyncTask {
            setup,
            options: form.options(),
            to_trash: form.to_trash,
            phase: Phase::Walking {
                walk,
                remote: None,
                local: Some(local),
                local_tree: None,
            },
            counts: RunCounts::default(),
            problems: Vec::new(),
            failure: None,
        });
    }

    /// Takes the engine's answers meant for the sync: `true` when `event` was the walk's
    /// listing (which no pane waits for). Other answers are also the model's, so a failure
    /// is an Error line in the log as any other.
    pub(super) fn sync_takes(&mut self, event: &EngineEvent) -> bool {
        let Some(task) = &mut self.sync_task else {
            return false;
        };
        match (event, &mut task.phase) {
            (
                EngineEvent::Listing {
                    request, entries, ..
                },
                Phase::Walking { walk, remote, .. },
            ) if request == walk => {
                *remote = Some((Arc::clone(entries), false));
                true
            }
            (EngineEvent::RemoteDone { request, result }, Phase::Walking { walk, remote, .. })
                if request == walk =>
            {
                match result {
                    // An upload into a folder not there yet: it is created first.
                    Err(err)
                        if task.setup.direction == Direction::Upload
                            && err.kind() == ErrorKind::Refused =>
                    {
                        *remote = Some((Arc::new([]), true));
                    }
                    Err(err) => {
                        let text = crate::gui::error_text::sentence(err);
                        task.failure =
                            Some(format!("The server's folder could not be listed: {text}"));
                    }
                    Ok(()) => *remote = Some((Arc::new([]), false)),
                }
                false
            }
            (
                EngineEvent::Checksums { request, result },
                Phase::Hashing {
                    request: asked,
                    answer,
                    ..
                },
            ) if request == asked => {
                *answer = Some(result.clone());
                false
            }
            (EngineEvent::RemoteDone { request, result }, Phase::Folders { remote, .. })
                if remote.contains(request) =>
            {
                remote.remove(request);
                if let Err(err) = result {
                    task.problems.push(crate::gui::error_text::sentence(err));
                }
                false
            }
            (EngineEvent::RemoteDone { request, result }, Phase::Deleting { remote, .. })
                if remote.contains(request) =>
            {
                remote.remove(request);
                match result {
                    Ok(()) => task.counts.deleted += 1,
                    Err(err) if err.kind() == ErrorKind::Changed => task.counts.changed += 1,
                    Err(err) => {
                        task.counts.failed += 1;
                        task.problems.push(crate::gui::error_text::sentence(err));
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// Moves the sync on, once per frame.
    pub(super) fn poll_sync(&mut self) {
        let Some(mut task) = self.sync_task.take() else {
            return;
        };
        let phase = std::mem::replace(&mut task.phase, Phase::Done);
        task.phase = match task.failure.take() {
            Some(why) => {
                self.sync_failed(why);
                Phase::Done
            }
            None => self.advance(&mut task, phase),
        };
        if !matches!(task.phase, Phase::Done) {
            self.sync_task = Some(task);
        }
    }

    fn advance(&mut self, task: &mut SyncTask, phase: Phase) -> Phase {
        match phase {
            Phase::Walking {
                walk,
                remote,
                mut local,
                mut local_tree,
            } => {
                match jobs::take_ready(&mut local).map(|r| r.and_then(|r| r)) {
                    Some(Ok(tree)) => local_tree = Some(tree),
                    Some(Err(err)) => {
                        self.sync_failed(format!("The local folder could not be read: {err}"));
                        return Phase::Done;
                    }
                    None => {}
                }
                let (entries, remote_missing, tree) = match (remote, local_tree) {
                    (Some((entries, missing)), Some(tree)) => (entries, missing, tree),
                    (remote, local_tree) => {
                        return Phase::Walking {
                            walk,
                            remote,
                            local,
                            local_tree,
                        };
                    }
                };
                for why in &tree.refused {
                    self.model
                        .push_error(format!("Synchronize: left out: {why}"));
                }
                let setup = task.setup.clone();
                let options = task.options;
                if let Some(window) = &mut self.sync_window {
                    window.stage = Stage::Planning("Comparing the two trees…".into());
                }
                let job = jobs::spawn_blocking(&self.wake, move || {
                    let mut sides = setup.sides(&entries, tree);
                    sides.remote_missing = remote_missing;
                    if options.criterion == Criterion::Checksum {
                        let paths =
                            crate::folder_sync::needs_checksum(&sides.source, &sides.target);
                        if !paths.is_empty() {
                            return Planned::NeedsChecksums(sides, paths);
                        }
                    }
                    let plan = crate::folder_sync::plan(&sides.source, &sides.target, &options);
                    Planned::Plan(sides, plan)
                });
                Phase::Planning { job }
            }
            Phase::Planning { job } => match job.try_take() {
                Err(job) => Phase::Planning { job },
                Ok(Err(err)) => {
                    self.sync_failed(err);
                    Phase::Done
                }
                Ok(Ok(Planned::NeedsChecksums(sides, paths))) => {
                    let request = self.next_request();
                    let op = task.setup.checksum_request(&sides, &paths);
                    if let Some(server) = self.server.clone() {
                        self.engine.send(EngineCommand::Remote {
                            request,
                            server,
                            op,
                        });
                    }
                    if let Some(window) = &mut self.sync_window {
                        window.stage = Stage::Planning(format!(
                            "The server computes the checksums of {} files of equal size…",
                            paths.len()
                        ));
                    }
                    Phase::Hashing {
                        request,
                        sides,
                        paths,
                        answer: None,
                    }
                }
                Ok(Ok(Planned::Plan(sides, plan))) => {
                    for why in &sides.refused {
                        self.model.push_error(format!("Synchronize: {why}"));
                    }
                    let summary = plan.summary();
                    self.model.push_status(format!(
                        "Synchronize: the plan has {} to copy, {} to update, {} to delete, \
                         {} conflicts; {} identical",
                        summary.copy,
                        summary.update,
                        summary.delete,
                        summary.conflict,
                        summary.identical
                    ));
                    if let Some(window) = &mut self.sync_window {
                        window.stage = match plan.is_noop() {
                            true => Stage::Done(format!(
                                "Nothing to do: {} files are identical{}.",
                                summary.identical,
                                match summary.conflict + summary.skip {
                                    0 => String::new(),
                                    n => format!(", {n} skipped or in conflict"),
                                }
                            )),
                            false => Stage::Preview {
                                selection: Selection::all(&plan),
                                plan,
                            },
                        };
                    }
                    Phase::Preview { sides }
                }
            },
            Phase::Folders {
                mut local,
                remote,
                transfers,
                deletions,
            } => {
                if let Some(Err(err)) =
                    jobs::take_ready(&mut local).map(|made| made.and_then(|r| r))
                {
                    task.problems.push(err);
                }
                if local.is_some() || !remote.is_empty() {
                    return Phase::Folders {
                        local,
                        remote,
                        transfers,
                        deletions,
                    };
                }
                if !task.problems.is_empty() {
                    // Nothing goes into folders that could not be made.
                    self.sync_failed(format!(
                        "Folders could not be created, so nothing was transferred or \
                         deleted: {}",
                        task.problems.join("; ")
                    ));
                    return Phase::Done;
                }
                if transfers.is_empty() {
                    return self.start_deletions(task, deletions);
                }
                let watch = QueueWatch::new(self.model.queue.last_id(), &transfers);
                self.set_running(format!(
                    "Transferring {} files (see the queue)…",
                    transfers.len()
                ));
                self.enqueue(transfers, true);
                Phase::Transfers { watch, deletions }
            }
            Phase::Transfers {
                mut watch,
                deletions,
            } => {
                if !watch.observe(&self.model.queue, &mut task.counts) {
                    return Phase::Transfers { watch, deletions };
                }
                self.start_deletions(task, deletions)
            }
            Phase::Deleting { mut local, remote } => {
                if let Some(results) = jobs::take_ready(&mut local) {
                    match results {
                        Ok(results) => {
                            for result in results {
                                match result {
                                    Ok(()) => task.counts.deleted += 1,
                                    Err(err) if err.kind() == ErrorKind::Changed => {
                                        task.counts.changed += 1;
                                        self.model.push_error(err.to_string());
                                    }
                                    Err(err) => {
                                        task.counts.failed += 1;
                                        self.model.push_error(err.to_string());
                                        task.problems.push(err.to_string());
                                    }
                                }
                            }
                        }
                        Err(err) => task.problems.push(err),
                    }
                }
                if local.is_some() || !remote.is_empty() {
                    return Phase::Deleting { local, remote };
                }
                self.sync_finished(task);
                Phase::Done
            }
            Phase::Hashing {
                request,
                sides,
                paths,
                answer,
            } => match answer {
                None => Phase::Hashing {
                    request,
                    sides,
                    paths,
                    answer,
                },
                Some(Err(err)) => {
                    let text = crate::gui::error_text::sentence(&err);
                    self.sync_failed(format!("The server's checksums: {text}"));
                    Phase::Done
                }
                Some(Ok(theirs)) => {
                    if let Some(window) = &mut self.sync_window {
                        window.stage =
                            Stage::Planning("Computing the local files' checksums…".into());
                    }
                    let setup = task.setup.clone();
                    let options = task.options;
                    let job = jobs::spawn_blocking(&self.wake, move || {
                        let check = setup.compare_checksums(&sides, &paths, &theirs);
                        let plan = crate::folder_sync::plan_with_checksums(
                            &sides.source,
                            &sides.target,
                            &options,
                            &check.same,
                        );
                        // Files left without a checksum are judged by time, and said.
                        let mut sides = sides;
                        sides.refused.extend(
                            check
                                .unchecked
                                .into_iter()
                                .map(|why| format!("compared by time, no checksum: {why}")),
                        );
                        Planned::Plan(sides, plan)
                    });
                    Phase::Planning { job }
                }
            },
            phase @ (Phase::Preview { .. } | Phase::Done) => phase,
        }
    }

    /// The preview's ticked actions, run: the folders first.
    fn run_sync(&mut self) {
        let Some(window) = &mut self.sync_window else {
            return;
        };
        let Stage::Preview { plan, selection } = std::mem::replace(
            &mut window.stage,
            Stage::Running("Creating folders…".into()),
        ) else {
            return;
        };
        let Some(task) = &mut self.sync_task else {
            return;
        };
        let Phase::Preview { sides } = std::mem::replace(&mut task.phase, Phase::Done) else {
            return;
        };
        let steps = task.setup.steps(&plan, &sides, Some(selection.ticks()));
        self.model.push_status(format!(
            "Synchronize: running {} of the plan's actions",
            selection.count()
        ));
        let mut remote = HashSet::new();
        for folder in steps.mkdir_remote {
            let request = self.next_request();
            if let Some(server) = self.server.clone() {
                self.engine.send(EngineCommand::Remote {
                    request,
                    server,
                    op: RemoteOp::Mkdir(folder),
                });
                remote.insert(request);
            }
        }
        let folders = steps.mkdir_local;
        let local = (!folders.is_empty())
            .then(|| jobs::spawn_blocking(&self.wake, move || create_local_folders(&folders)));
        if let Some(task) = &mut self.sync_task {
            task.phase = Phase::Folders {
                local,
                remote,
                transfers: steps.transfers,
                deletions: steps.deletions,
            };
        }
    }

    fn start_deletions(&mut self, task: &SyncTask, deletions: Vec<Deletion>) -> Phase {
        if deletions.is_empty() {
            self.sync_finished(task);
            return Phase::Done;
        }
        self.set_running(format!("Deleting {} files and folders…", deletions.len()));
        let mut local_deletions = Vec::new();
        let mut remote = HashSet::new();
        for deletion in deletions {
            match deletion {
                Deletion::Local { path, seen } => local_deletions.push((path, seen)),
                Deletion::Remote { path, seen } => {
                    let op = Deletion::remote_op(path, seen);
                    let request = self.next_request();
                    if let Some(server) = self.server.clone() {
                        self.engine.send(EngineCommand::Remote {
                            request,
                            server,
                            op,
                        });
                        remote.insert(request);
                    }
                }
            }
        }
        let permanently = !task.to_trash;
        let local = (!local_deletions.is_empty()).then(|| {
            jobs::spawn_blocking(&self.wake, move || {
                local_deletions
                    .iter()
                    .map(|(path, seen)| delete_local(path, seen, permanently))
                    .collect()
            })
        });
        Phase::Deleting { local, remote }
    }

    fn set_running(&mut self, what: String) {
        if let Some(window) = &mut self.sync_window {
            window.stage = Stage::Running(what);
        }
    }

    /// The outcome, in the window and the log; both panes show what changed.
    fn sync_finished(&mut self, task: &SyncTask) {
        let mut text = task.counts.text();
        if !task.problems.is_empty() {
            text.push_str(&format!("\n{}", task.problems.join("\n")));
        }
        if task.counts.changed > 0 || task.counts.failed > 0 {
            text.push_str("\nSee the queue's Failed tab and the message log.");
        }
        self.model
            .push_status(format!("Synchronize: {}", task.counts.text()));
        if let Some(window) = &mut self.sync_window {
            window.stage = Stage::Done(text);
        }
        for side in Side::BOTH {
            self.pane_mut(side).dirty = true;
        }
    }

    /// A sync that cannot go on: back to the choices, saying why.
    fn sync_failed(&mut self, why: String) {
        self.model.push_error(format!("Synchronize: {why}"));
        if let Some(window) = &mut self.sync_window {
            window.stage = Stage::Setup;
            window.error = Some(why);
        }
    }
}

impl SyncTask {
    /// Whether the plan is being run (the window may be closed meanwhile).
    fn running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Folders { .. } | Phase::Transfers { .. } | Phase::Deleting { .. }
        )
    }
}
