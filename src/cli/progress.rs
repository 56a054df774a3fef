//! What a terminal shows of a running queue: indicatif bars (one per running file and one
//! overall) on a terminal, plain lines otherwise.

use crate::visible::visible;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::engine::{ItemId, ItemKind, ItemProgress, ItemState};

/// What the terminal shows of the queue.
pub(crate) struct ProgressView {
    bars: Option<(MultiProgress, ProgressBar)>,
    running: HashMap<ItemId, ProgressBar>,
    items: HashMap<ItemId, (ItemKind, Vec<u8>, PathBuf, Option<u64>)>,
    files_total: u64,
    /// Lines for finished items (a tree: failures, and without bars every file), or none
    /// (one file: the exit code says it, and an error is the command's one line).
    lines: bool,
}

impl ProgressView {
    /// Bars on a terminal; with `lines`, also a line per failed item (and without bars one
    /// per finished file).
    pub(crate) fn new(terminal: bool, lines: bool) -> Self {
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
            lines,
        }
    }

    pub(crate) fn added(
        &mut self,
        id: ItemId,
        kind: ItemKind,
        remote: Vec<u8>,
        local: PathBuf,
        size: Option<u64>,
    ) {
        self.items.insert(id, (kind, remote, local, size));
    }

    pub(crate) fn changed(
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
        let name = visible(&charset.decode(&remote)).into_owned();
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
                    _ if !self.lines => None,
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

    pub(crate) fn progress(&mut self, items: &[ItemProgress]) {
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
        let line = visible(line);
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

    pub(crate) fn finish(&mut self) {
        if let Some((_, overall)) = &self.bars {
            overall.finish_and_clear();
        }
    }
}
