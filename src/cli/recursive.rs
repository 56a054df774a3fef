//! `skiff get -r URL LOCAL_DIR` and `skiff put -r LOCAL_DIR URL`: a directory's contents,
//! through the transfer engine (N connections, reused file after file; retries).

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::cli::common::{Target, printable, resolve};
use crate::cli::{CommonArgs, TransferArgs};
use crate::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemId, ItemKind,
    ItemProgress, ItemState, Priority, TransferSpec,
};

fn exists_policy(tree: &TransferArgs, common: &CommonArgs) -> anyhow::Result<ExistsPolicy> {
    let chosen: Vec<ExistsPolicy> = [
        (common.overwrite, ExistsPolicy::Overwrite),
        (common.resume, ExistsPolicy::Resume),
        (tree.skip_existing, ExistsPolicy::Skip),
        (tree.newer, ExistsPolicy::OverwriteIfNewer),
    ]
    .into_iter()
    .filter_map(|(on, policy)| on.then_some(policy))
    .collect();
    match chosen.as_slice() {
        [] => Ok(ExistsPolicy::Refuse),
        [one] => Ok(*one),
        _ => anyhow::bail!("choose one of --overwrite, --resume, --skip-existing and --newer"),
    }
}

pub(crate) async fn get(
    url: &str,
    local: Option<&Path>,
    tree: &TransferArgs,
    common: &CommonArgs,
) -> anyhow::Result<()> {
    let target = resolve(Some(url), common)?;
    let mut remote = target.remote_path()?;
    if remote.is_empty() {
        remote = b"/".to_vec();
    }
    let local = local.unwrap_or(Path::new(".")).to_path_buf();
    let spec = TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::DirectoryContents,
        local,
        remote,
        server: Arc::new(target.options.clone()),
        size: None,
        priority: Priority::Normal,
        exists: exists_policy(tree, common)?,
    };
    run(spec, &target, tree, common).await
}

pub(crate) async fn put(
    local: &Path,
    url: &str,
    tree: &TransferArgs,
    common: &CommonArgs,
) -> anyhow::Result<()> {
    let target = resolve(Some(url), common)?;
    if !local.is_dir() {
        anyhow::bail!(
            "{} is not a directory (put -r uploads a directory's contents)",
            local.display()
        );
    }
    let mut remote = target.remote_path()?;
    while remote.len() > 1 && remote.ends_with(b"/") {
        remote.pop();
    }
    if remote.is_empty() {
        remote = b"/".to_vec();
    }
    let spec = TransferSpec {
        direction: Direction::Upload,
        kind: ItemKind::DirectoryContents,
        local: local.to_path_buf(),
        remote,
        server: Arc::new(target.options.clone()),
        size: None,
        priority: Priority::Normal,
        exists: exists_policy(tree, common)?,
    };
    run(spec, &target, tree, common).await
}

/// Runs the engine until the queue is done: progress bars on a terminal (one per running
/// file and one overall), plain lines otherwise; one line per failed item; a summary.
async fn run(
    root: TransferSpec,
    target: &Target,
    tree: &TransferArgs,
    common: &CommonArgs,
) -> anyhow::Result<()> {
    let settings = &target.settings;
    let config = EngineConfig {
        parallel: tree
            .parallel
            .map_or_else(|| target.default_parallel(), usize::from),
        max_attempts: settings.attempts.clamp(1, 100),
        download_limit: tree
            .limit_rate
            .or(settings.download_limit)
            .filter(|_| root.direction == Direction::Download),
        upload_limit: tree
            .limit_rate
            .or(settings.upload_limit)
            .filter(|_| root.direction == Direction::Upload),
        ..EngineConfig::default()
    };
    let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
    handle.send(EngineCommand::Enqueue(vec![root]));
    let mut view = ProgressView::new(std::io::stderr().is_terminal() && !common.log);
    let mut counts = None;
    while let Some(event) = events.recv().await {
        match event {
            EngineEvent::ItemAdded {
                id,
                kind,
                remote,
                local,
                size,
                ..
            } => view.added(id, kind, remote, local, size),
            EngineEvent::ItemChanged {
                id,
                state,
                error,
                bytes_done,
                ..
            } => {
                view.changed(id, &state, error.as_deref(), bytes_done, target.charset);
            }
            EngineEvent::Progress(items) => view.progress(&items),
            EngineEvent::Idle(done) => {
                counts = Some(done);
                break;
            }
            // The connections' own sinks print the log with --log; the CLI never asks (its
            // file-exists policy comes from the flags, certificate trust from its options)
            // and never browses.
            EngineEvent::Log(_)
            | EngineEvent::Question { .. }
            | EngineEvent::Listing { .. }
            | EngineEvent::CertificateUntrusted { .. }
            | EngineEvent::RemoteDone { .. }
            | EngineEvent::Diagnosis { .. } => {}
        }
    }
    view.finish();
    handle.send(EngineCommand::Shutdown);
    let Some(counts) = counts else {
        anyhow::bail!("the transfer engine stopped unexpectedly");
    };
    if counts.failed > 0 {
        anyhow::bail!(
            "{} of {} items failed ({} transferred, {} skipped)",
            counts.failed,
            counts.failed + counts.successful + counts.skipped,
            counts.successful,
            counts.skipped
        );
    }
    Ok(())
}

/// What the terminal shows of the queue.
struct ProgressView {
    bars: Option<(MultiProgress, ProgressBar)>,
    running: HashMap<ItemId, ProgressBar>,
    items: HashMap<ItemId, (ItemKind, Vec<u8>, PathBuf, Option<u64>)>,
    files_total: u64,
}

impl ProgressView {
    fn new(terminal: bool) -> Self {
        let bars = terminal.then(|| {
            let multi = MultiProgress::new();
            let overall = multi.add(ProgressBar::new(0));
            overall.set_style(
                ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} files {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            overall.set_prefix("total");
            (multi, overall)
        });
        Self {
            bars,
            running: HashMap::new(),
            items: HashMap::new(),
            files_total: 0,
        }
    }

    fn added(
        &mut self,
        id: ItemId,
        kind: ItemKind,
        remote: Vec<u8>,
        local: PathBuf,
        size: Option<u64>,
    ) {
        self.items.insert(id, (kind, remote, local, size));
    }

    fn changed(
        &mut self,
        id: ItemId,
        state: &ItemState,
        error: Option<&str>,
        bytes: u64,
        charset: crate::proto::charset::Charset,
    ) {
        let Some((kind, remote, local, size)) = self.items.get(&id).cloned() else {
            return;
        };
        let name = printable(&charset.decode(&remote));
        let is_dir = kind == ItemKind::DirectoryContents;
        match state {
            ItemState::Running if !is_dir => {
                self.files_total += 1;
                if let Some((multi, overall)) = &self.bars {
                    overall.set_length(self.files_total);
                    let bar = multi.add(ProgressBar::new(size.unwrap_or(0)));
                    bar.set_style(
                        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    bar.set_prefix("file");
                    bar.set_message(name);
                    self.running.insert(id, bar);
                }
            }
            ItemState::Successful | ItemState::Skipped | ItemState::Failed => {
                if let Some(bar) = self.running.remove(&id) {
                    bar.finish_and_clear();
                }
                if let Some((_, overall)) = &self.bars
                    && !is_dir
                {
                    overall.inc(1);
                }
                let line = match state {
                    ItemState::Failed => Some(format!(
                        "skiff: failed: {name} <-> {}: {}",
                        local.display(),
                        error.unwrap_or_default()
                    )),
                    _ if self.bars.is_some() || is_dir => None,
                    ItemState::Skipped => {
                        Some(format!("skipped: {name} ({})", error.unwrap_or_default()))
                    }
                    _ => Some(format!("done: {name} ({bytes} bytes)")),
                };
                if let Some(line) = line {
                    self.print(&line);
                }
            }
            _ => {}
        }
    }

    fn progress(&mut self, items: &[ItemProgress]) {
        for p in items {
            if let Some(bar) = self.running.get(&p.id) {
                if let Some(size) = p.size {
                    bar.set_length(size);
                }
                bar.set_position(p.bytes_done);
            }
        }
    }

    fn print(&self, line: &str) {
        let line = printable(line);
        match &self.bars {
            Some((multi, _)) => {
                multi.println(&line).ok();
            }
            None => {
                let mut err = std::io::stderr().lock();
                writeln!(err, "{line}").ok();
            }
        }
    }

    fn finish(&mut self) {
        if let Some((_, overall)) = &self.bars {
            overall.finish_and_clear();
        }
    }
}
