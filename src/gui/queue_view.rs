//! The transfer queue as the queue pane draws it: FileZilla's three tabs (Queued, Failed,
//! Successful), rebuilt from the engine's item events, with a transfer rate per running item
//! from its progress samples. Pure: `now` is passed in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::{Direction, ItemId, ItemKind, ItemState, Priority};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueTab {
    #[default]
    Queued,
    Failed,
    Successful,
}

impl QueueTab {
    pub fn holds(self, state: &ItemState) -> bool {
        match self {
            QueueTab::Queued => !state.is_finished(),
            QueueTab::Failed => *state == ItemState::Failed,
            QueueTab::Successful => matches!(state, ItemState::Successful | ItemState::Skipped),
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: ItemId,
    pub direction: Direction,
    pub kind: ItemKind,
    pub local: PathBuf,
    pub remote: String,
    /// The item's server (`user@host:port`): one queue serves every tab.
    pub server: String,
    pub size: Option<u64>,
    pub priority: Priority,
    pub state: ItemState,
    pub attempts: u32,
    pub error: Option<String>,
    pub bytes_done: u64,
    /// Bytes per second, smoothed; `None` until two samples are in.
    pub rate: Option<f64>,
    sample: Option<(Instant, u64)>,
}

impl QueueRow {
    /// Seconds left at the current rate, when both are known.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate.filter(|r| *r > 0.0)?;
        let left = self.size?.saturating_sub(self.bytes_done);
        Some(Duration::from_secs_f64(left as f64 / rate))
    }

    /// Done as a fraction of the size (0.0 to 1.0), when the size is known.
    pub fn fraction(&self) -> Option<f32> {
        let size = self.size?;
        if size == 0 {
            return Some(if self.state == ItemState::Successful {
                1.0
            } else {
                0.0
            });
        }
        Some((self.bytes_done as f64 / size as f64).min(1.0) as f32)
    }
}

#[derive(Debug, Default)]
pub struct QueueView {
    rows: BTreeMap<ItemId, QueueRow>,
}

impl QueueView {
    pub fn added(
        &mut self,
        id: ItemId,
        direction: Direction,
        kind: ItemKind,
        local: PathBuf,
        remote: String,
        size: Option<u64>,
    ) {
        self.rows.insert(
            id,
            QueueRow {
                id,
                direction,
                kind,
                local,
                remote,
                server: String::new(),
                size,
                priority: Priority::Normal,
                state: ItemState::Queued,
                attempts: 0,
                error: None,
                bytes_done: 0,
                rate: None,
                sample: None,
            },
        );
    }

    pub fn changed(
        &mut self,
        id: ItemId,
        state: ItemState,
        attempts: u32,
        error: Option<String>,
        bytes_done: u64,
    ) {
        let Some(row) = self.rows.get_mut(&id) else {
            return;
        };
        if state != ItemState::Running {
            row.rate = None;
            row.sample = None;
        }
        row.state = state;
        row.attempts = attempts;
        row.error = error;
        row.bytes_done = bytes_done;
    }

    /// The item's target got another name (the file-exists dialog's Rename).
    pub fn renamed(&mut self, id: ItemId, local: PathBuf, remote: String) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.local = local;
            row.remote = remote;
        }
    }

    /// A progress sample: updates bytes done and the smoothed rate.
    pub fn progress(&mut self, id: ItemId, bytes_done: u64, size: Option<u64>, now: Instant) {
        let Some(row) = self.rows.get_mut(&id) else {
            return;
        };
        if size.is_some() {
            row.size = size;
        }
        if let Some((then, before)) = row.sample {
            let secs = now.duration_since(then).as_secs_f64();
            if secs > 0.0 && bytes_done >= before {
                let instant = (bytes_done - before) as f64 / secs;
                // Smooth over about a second of 4-per-second samples.
                row.rate = Some(match row.rate {
                    Some(rate) => rate * 0.6 + instant * 0.4,
                    None => instant,
                });
            }
        }
        row.sample = Some((now, bytes_done));
        row.bytes_done = bytes_done;
    }

    pub fn set_priority(&mut self, id: ItemId, priority: Priority) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.priority = priority;
        }
    }

    /// Rows of one tab, in the order they were queued.
    pub fn tab(&self, tab: QueueTab) -> Vec<&QueueRow> {
        self.rows.values().filter(|r| tab.holds(&r.state)).collect()
    }

    pub fn count(&self, tab: QueueTab) -> usize {
        self.rows.values().filter(|r| tab.holds(&r.state)).count()
    }

    /// Items skipped under the file-exists policy (shown in the Successful tab).
    pub fn skipped(&self) -> usize {
        self.rows
            .values()
            .filter(|r| r.state == ItemState::Skipped)
            .count()
    }

    /// The rows of the items added after `after` (all with `None`), in the order queued.
    pub fn added_after(&self, after: Option<ItemId>) -> impl Iterator<Item = &QueueRow> {
        let from = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        self.rows
            .range((from, std::ops::Bound::Unbounded))
            .map(|(_, row)| row)
    }

    /// The item queued last, if any.
    pub fn last_id(&self) -> Option<ItemId> {
        self.rows.keys().next_back().copied()
    }

    /// Names the server of an item added (`ItemAdded`'s key, shown as `user@host:port`).
    pub fn set_server(&mut self, id: ItemId, server: &crate::remote::ServerKey) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.server = server_label(server);
        }
    }

    pub fn get(&self, id: ItemId) -> Option<&QueueRow> {
        self.rows.get(&id)
    }

    /// Drops the Successful tab's rows (the engine keeps no memory of them either way).
    pub fn clear_successful(&mut self) {
        self.rows
            .retain(|_, r| !QueueTab::Successful.holds(&r.state));
    }

    /// The ids of the failed items, for "retry all".
    pub fn failed_ids(&self) -> Vec<ItemId> {
        self.rows
            .values()
            .filter(|r| r.state == ItemState::Failed)
            .map(|r| r.id)
            .collect()
    }

    /// Total speed of everything running, bytes per second.
    pub fn total_rate(&self) -> f64 {
        self.rows
            .values()
            .filter(|r| r.state == ItemState::Running)
            .filter_map(|r| r.rate)
            .sum()
    }

    /// Bytes still to transfer in the Queued tab, counting only known sizes.
    pub fn bytes_left(&self) -> u64 {
        self.rows
            .values()
            .filter(|r| QueueTab::Queued.holds(&r.state))
            .filter_map(|r| r.size.map(|s| s.saturating_sub(r.bytes_done)))
            .sum()
    }
}

/// A server key (`scheme://user@host:port`) as the queue shows it: `user@host:port`.
pub fn server_label(server: &crate::remote::ServerKey) -> String {
    let key = server.to_string();
    match key.split_once("://") {
        Some((_, rest)) => rest.to_owned(),
        None => key,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_queue_row_names_its_server_without_the_scheme() {
        let key = crate::remote::Server::ftp("127.0.0.1", 2121).key();
        assert_eq!(super::server_label(&key), "anonymous@127.0.0.1:2121");
    }

    use super::*;

    fn view_with(n: u64) -> QueueView {
        let mut view = QueueView::default();
        for i in 0..n {
            view.added(
                ItemId(i),
                Direction::Download,
                ItemKind::File,
                PathBuf::from(format!("/tmp/f{i}")),
                format!("/f{i}"),
                Some(1000),
            );
        }
        view
    }

    #[test]
    fn items_move_between_the_three_tabs_with_their_state() {
        let mut view = view_with(3);
        assert_eq!(view.count(QueueTab::Queued), 3);
        view.changed(ItemId(0), ItemState::Running, 1, None, 0);
        view.changed(ItemId(1), ItemState::Failed, 5, Some("550 No".into()), 0);
        view.changed(ItemId(2), ItemState::Successful, 1, None, 1000);
        assert_eq!(view.count(QueueTab::Queued), 1, "running stays in Queued");
        assert_eq!(
            view.tab(QueueTab::Failed)[0].error.as_deref(),
            Some("550 No")
        );
        assert_eq!(view.count(QueueTab::Successful), 1);
        assert_eq!(view.skipped(), 0);
        view.changed(ItemId(0), ItemState::Skipped, 1, None, 0);
        assert_eq!(
            view.count(QueueTab::Successful),
            2,
            "skipped ones are shown there"
        );
        assert_eq!(view.skipped(), 1);
        view.clear_successful();
        assert_eq!(view.count(QueueTab::Successful), 0);
        assert_eq!(view.failed_ids(), [ItemId(1)]);
    }

    #[test]
    fn the_rate_comes_from_progress_samples_and_gives_an_eta() {
        let mut view = view_with(1);
        let id = ItemId(0);
        view.changed(id, ItemState::Running, 1, None, 0);
        let t0 = Instant::now();
        view.progress(id, 0, Some(1000), t0);
        assert_eq!(view.get(id).unwrap().rate, None);
        view.progress(id, 250, None, t0 + Duration::from_millis(250));
        let row = view.get(id).unwrap();
        assert_eq!(row.rate, Some(1000.0));
        assert_eq!(row.eta(), Some(Duration::from_millis(750)));
        assert_eq!(row.fraction(), Some(0.25));
        assert_eq!(view.total_rate(), 1000.0);
        assert_eq!(view.bytes_left(), 750);
        view.changed(id, ItemState::Successful, 1, None, 1000);
        assert_eq!(view.total_rate(), 0.0, "finished items have no rate");
    }
}
