//! The queue as a pure model: which item runs next, and the Queued / Failed / Successful
//! lists. No I/O, no clock: the scheduler passes `now` in.

use std::collections::{BTreeMap, VecDeque};

use tokio::time::Instant;

use std::collections::HashMap;

use super::item::{Item, ItemId, ItemState, Priority, TransferSpec};
use crate::remote::{ErrorKind, RemoteError, ServerKey};

/// How deep `start_next_where` looks into each priority's line.
const START_SCAN_LIMIT: usize = 1000;

#[derive(Debug, Default)]
pub struct Queue {
    next_id: u64,
    items: BTreeMap<ItemId, Item>,
    /// Runnable items per priority, FIFO.
    waiting: BTreeMap<Priority, VecDeque<ItemId>>,
    /// Items waiting out a retry backoff.
    backoff: Vec<(Instant, ItemId)>,
    /// Items per list, kept as states change: the engine asks after every event, and
    /// counting a 100,000-item queue each time made a big queue quadratic.
    counts: Counts,
}

/// How many items are in each list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: usize,
    pub running: usize,
    pub failed: usize,
    pub successful: usize,
    pub skipped: usize,
}

impl Counts {
    fn slot(&mut self, state: &ItemState) -> &mut usize {
        match state {
            ItemState::Queued | ItemState::Retrying | ItemState::AwaitingAnswer => &mut self.queued,
            ItemState::Running => &mut self.running,
            ItemState::Failed => &mut self.failed,
            ItemState::Successful => &mut self.successful,
            ItemState::Skipped => &mut self.skipped,
        }
    }
}

/// Changes an item's state and the counts with it (every state change goes through here).
fn set_state(counts: &mut Counts, item: &mut Item, state: ItemState) {
    let old = counts.slot(&item.state);
    *old = old.saturating_sub(1);
    *counts.slot(&state) += 1;
    item.state = state;
}

impl Queue {
    pub fn add(&mut self, spec: TransferSpec) -> ItemId {
        self.restore(spec, ItemState::Queued, 0, None)
    }

    /// An item read back from the queue file, in its saved list.
    pub fn restore(
        &mut self,
        spec: TransferSpec,
        state: ItemState,
        attempts: u32,
        error: Option<RemoteError>,
    ) -> ItemId {
        self.next_id += 1;
        let id = ItemId(self.next_id);
        if state == ItemState::Queued {
            self.waiting.entry(spec.priority).or_default().push_back(id);
        }
        *self.counts.slot(&state) += 1;
        self.items.insert(
            id,
            Item {
                id,
                spec,
                state,
                attempts,
                last_error: error,
                bytes_done: 0,
            },
        );
        id
    }

    pub fn get(&self, id: ItemId) -> Option<&Item> {
        self.items.get(&id)
    }

    /// The next item to start (highest priority, oldest first), marked running.
    pub fn start_next(&mut self, now: Instant) -> Option<&Item> {
        self.start_next_where(now, |_| true)
    }

    /// The next item to start whose server is below its own connection limit (a site's
    /// "maximum simultaneous connections"), given the connections each server has in use
    /// (`busy`: running items, and cancelled ones still finishing their ABOR); items of a
    /// server at its limit keep their place while others start.
    pub fn start_next_within_limits(
        &mut self,
        now: Instant,
        busy: &HashMap<ServerKey, usize>,
    ) -> Option<&Item> {
        self.start_next_where(now, |item| {
            item.spec.server.max_transfers.is_none_or(|max| {
                let in_use = busy.get(&item.spec.server.key()).copied().unwrap_or(0);
                in_use < max.max(1)
            })
        })
    }

    /// The next waiting item, by priority then age, that `may_start` accepts. At most
    /// `START_SCAN_LIMIT` items per priority are looked at, so a long queue held back by one
    /// server's limit costs little each time; items further back wait their turn.
    pub fn start_next_where(
        &mut self,
        now: Instant,
        may_start: impl Fn(&Item) -> bool,
    ) -> Option<&Item> {
        self.release_due(now);
        let items = &self.items;
        let id = self.waiting.iter_mut().rev().find_map(|(_, ids)| {
            let at = ids
                .iter()
                .take(START_SCAN_LIMIT)
                .position(|id| items.get(id).is_none_or(&may_start))?;
            ids.remove(at)
        })?;
        let item = self.items.get_mut(&id)?;
        set_state(&mut self.counts, item, ItemState::Running);
        item.attempts += 1;
        Some(item)
    }

    fn release_due(&mut self, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) = self.backoff.drain(..).partition(|(at, _)| *at <= now);
        self.backoff = later;
        for (_, id) in due {
            if let Some(item) = self.items.get_mut(&id) {
                set_state(&mut self.counts, item, ItemState::Queued);
                self.waiting
                    .entry(item.spec.priority)
                    .or_default()
                    .push_back(id);
            }
        }
    }

    /// When the earliest backoff ends, if any item waits for one.
    pub fn next_retry_at(&self) -> Option<Instant> {
        self.backoff.iter().map(|(at, _)| *at).min()
    }

    pub fn finish(&mut self, id: ItemId, state: ItemState, error: Option<RemoteError>) {
        if let Some(item) = self.items.get_mut(&id) {
            set_state(&mut self.counts, item, state);
            item.last_error = error;
        }
    }

    /// Puts a failed attempt back, to start again at `at`.
    pub fn retry_at(&mut self, id: ItemId, at: Instant, error: RemoteError) {
        if let Some(item) = self.items.get_mut(&id) {
            set_state(&mut self.counts, item, ItemState::Retrying);
            item.last_error = Some(error);
            self.backoff.push((at, id));
        }
    }

    /// Takes an item out of the queue (or marks a running one) as cancelled by the user.
    pub fn cancel(&mut self, id: ItemId) -> bool {
        let Some(item) = self.items.get_mut(&id) else {
            return false;
        };
        if item.state.is_finished() {
            return false;
        }
        for ids in self.waiting.values_mut() {
            ids.retain(|&other| other != id);
        }
        self.backoff.retain(|&(_, other)| other != id);
        set_state(&mut self.counts, item, ItemState::Failed);
        item.last_error = Some(RemoteError::new(
            ErrorKind::Cancelled,
            "Cancelled by the user",
        ));
        true
    }

    /// Parks a running item until its question is answered.
    pub fn park(&mut self, id: ItemId) {
        if let Some(item) = self.items.get_mut(&id) {
            set_state(&mut self.counts, item, ItemState::AwaitingAnswer);
        }
    }

    /// The answer to a parked item's question: its policy, and back into the queue (the
    /// attempt that asked does not count).
    pub fn answer(&mut self, id: ItemId, policy: super::item::ExistsPolicy) -> bool {
        let Some(item) = self.items.get_mut(&id) else {
            return false;
        };
        if item.state != ItemState::AwaitingAnswer {
            return false;
        }
        item.spec.exists = policy;
        item.attempts = item.attempts.saturating_sub(1);
        set_state(&mut self.counts, item, ItemState::Queued);
        self.waiting
            .entry(item.spec.priority)
            .or_default()
            .push_back(id);
        true
    }

    /// A parked item's target under another name (`TransferSpec::renamed`).
    pub fn retarget(&mut self, id: ItemId, local: std::path::PathBuf, remote: Vec<u8>) {
        if let Some(item) = self.items.get_mut(&id)
            && item.state == ItemState::AwaitingAnswer
        {
            item.spec.local = local;
            item.spec.remote = remote;
        }
    }

    /// Parked items of one direction.
    pub fn awaiting(&self, direction: super::item::Direction) -> Vec<ItemId> {
        self.items
            .values()
            .filter(|i| i.state == ItemState::AwaitingAnswer && i.spec.direction == direction)
            .map(|i| i.id)
            .collect()
    }

    /// A failed (or cancelled) item goes back to the queue with its attempts reset.
    pub fn requeue(&mut self, id: ItemId) -> bool {
        let Some(item) = self.items.get_mut(&id) else {
            return false;
        };
        if item.state != ItemState::Failed {
            return false;
        }
        set_state(&mut self.counts, item, ItemState::Queued);
        item.attempts = 0;
        item.last_error = None;
        self.waiting
            .entry(item.spec.priority)
            .or_default()
            .push_back(id);
        true
    }

    /// Moves a queued item to another priority (at the end of that priority's line).
    pub fn set_priority(&mut self, id: ItemId, priority: Priority) {
        let Some(item) = self.items.get_mut(&id) else {
            return;
        };
        let was_waiting = self
            .waiting
            .get_mut(&item.spec.priority)
            .map(|ids| {
                let before = ids.len();
                ids.retain(|&other| other != id);
                ids.len() != before
            })
            .unwrap_or(false);
        item.spec.priority = priority;
        if was_waiting {
            self.waiting.entry(priority).or_default().push_back(id);
        }
    }

    pub fn set_bytes_done(&mut self, id: ItemId, bytes: u64) {
        if let Some(item) = self.items.get_mut(&id) {
            item.bytes_done = bytes;
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Nothing queued, waiting or running.
    pub fn is_idle(&self) -> bool {
        let c = self.counts();
        c.queued == 0 && c.running == 0
    }

    /// Gives every item of a server (the same key) new connection settings: the password
    /// and certificate trust of a fresh logon, for items restored from the queue file
    /// without them, and for failed ones a Retry will start again. Returns how many changed.
    pub fn update_server(&mut self, server: &std::sync::Arc<crate::remote::Server>) -> usize {
        let key = server.key();
        let mut changed = 0;
        for item in self.items.values_mut() {
            if item.spec.server.key() == key {
                item.spec.server = std::sync::Arc::clone(server);
                changed += 1;
            }
        }
        changed
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::item::{Direction, ExistsPolicy, ItemKind};
    use crate::remote::Server;
    use std::sync::Arc;
    use std::time::Duration;

    fn spec(priority: Priority) -> TransferSpec {
        TransferSpec {
            direction: Direction::Download,
            kind: ItemKind::File,
            local: "x".into(),
            remote: b"/x".to_vec(),
            server: Arc::new(Server::ftp("127.0.0.1", 21)),
            size: None,
            priority,
            exists: ExistsPolicy::Refuse,
            target_absent: false,
            filters: None,
            expect: None,
        }
    }

    fn err(text: &str) -> RemoteError {
        RemoteError::new(ErrorKind::TryLater, text)
    }

    fn limited(host: &str, max: Option<usize>) -> TransferSpec {
        let mut server = Server::ftp(host, 21);
        server.max_transfers = max;
        TransferSpec {
            server: Arc::new(server),
            ..spec(Priority::Normal)
        }
    }

    #[test]
    fn a_server_at_its_own_limit_holds_back_only_its_items() {
        let mut q = Queue::default();
        let now = Instant::now();
        let one_a = q.add(limited("one.example", Some(1)));
        let one_b = q.add(limited("one.example", Some(1)));
        let two = q.add(limited("two.example", Some(2)));
        let free = q.add(limited("free.example", None));
        let key_one = limited("one.example", None).server.key();
        let mut busy = HashMap::new();
        assert_eq!(q.start_next_within_limits(now, &busy).unwrap().id, one_a);
        busy.insert(key_one.clone(), 1);
        // one_b waits: its server has its one connection in use; the others go past it.
        assert_eq!(q.start_next_within_limits(now, &busy).unwrap().id, two);
        assert_eq!(q.start_next_within_limits(now, &busy).unwrap().id, free);
        assert!(q.start_next_within_limits(now, &busy).is_none());
        assert_eq!(q.get(one_b).unwrap().state, ItemState::Queued);
        // A limit of 0 means 1, never "never".
        let zero = q.add(limited("zero.example", Some(0)));
        assert_eq!(q.start_next_within_limits(now, &busy).unwrap().id, zero);
        busy.insert(key_one, 0);
        assert_eq!(q.start_next_within_limits(now, &busy).unwrap().id, one_b);
    }

    #[test]
    fn higher_priority_first_then_oldest_first() {
        let mut q = Queue::default();
        let now = Instant::now();
        let a = q.add(spec(Priority::Normal));
        let b = q.add(spec(Priority::Highest));
        let c = q.add(spec(Priority::Normal));
        assert_eq!(q.start_next(now).unwrap().id, b);
        assert_eq!(q.start_next(now).unwrap().id, a);
        assert_eq!(q.start_next(now).unwrap().id, c);
        assert!(q.start_next(now).is_none());
        assert_eq!(q.counts().running, 3);
    }

    #[test]
    fn items_held_back_keep_their_place_while_others_start() {
        let mut q = Queue::default();
        let now = Instant::now();
        let held = q.add(spec(Priority::Normal));
        let other = q.add(spec(Priority::Normal));
        let not_held = |item: &Item| item.id != held;
        assert_eq!(q.start_next_where(now, not_held).unwrap().id, other);
        assert!(q.start_next_where(now, not_held).is_none());
        assert_eq!(q.get(held).unwrap().state, ItemState::Queued);
        assert_eq!(q.start_next(now).unwrap().id, held);
    }

    #[test]
    fn cancel_retry_and_reprioritize() {
        let mut q = Queue::default();
        let now = Instant::now();
        let a = q.add(spec(Priority::Normal));
        let b = q.add(spec(Priority::Normal));
        assert!(q.cancel(a));
        assert_eq!(q.get(a).unwrap().state, ItemState::Failed);
        assert_eq!(q.start_next(now).unwrap().id, b);
        assert!(q.requeue(a));
        assert!(!q.requeue(b), "a running item cannot be requeued");
        let c = q.add(spec(Priority::Low));
        q.set_priority(c, Priority::Highest);
        assert_eq!(q.start_next(now).unwrap().id, c);
        assert_eq!(q.start_next(now).unwrap().id, a);
    }

    #[test]
    fn a_retry_waits_out_its_backoff() {
        let mut q = Queue::default();
        let now = Instant::now();
        let a = q.add(spec(Priority::Normal));
        q.start_next(now).unwrap();
        q.retry_at(a, now + Duration::from_secs(2), err("426 reset"));
        assert!(q.start_next(now).is_none());
        assert_eq!(q.next_retry_at(), Some(now + Duration::from_secs(2)));
        assert!(!q.is_idle());
        let again = q.start_next(now + Duration::from_secs(2)).unwrap();
        assert_eq!((again.id, again.attempts), (a, 2));
        q.finish(a, ItemState::Successful, None);
        assert!(q.is_idle());
        assert_eq!(q.counts().successful, 1);
    }

    /// The kept counts agree with counting the items, through every kind of state change.
    #[test]
    fn counts_follow_every_state_change() {
        fn recount(q: &Queue) -> Counts {
            let mut counts = Counts::default();
            for item in q.items() {
                *counts.slot(&item.state) += 1;
            }
            counts
        }
        let mut q = Queue::default();
        let now = Instant::now();
        let ids: Vec<ItemId> = (0..6).map(|_| q.add(spec(Priority::Normal))).collect();
        q.restore(spec(Priority::Normal), ItemState::Successful, 1, None);
        assert_eq!(q.counts(), recount(&q));
        for _ in 0..4 {
            q.start_next(now);
        }
        assert_eq!(q.counts().running, 4);
        q.finish(ids[0], ItemState::Successful, None);
        q.finish(ids[1], ItemState::Skipped, Some(err("exists")));
        q.retry_at(ids[2], now + Duration::from_secs(1), err("426"));
        q.park(ids[3]);
        assert_eq!(q.counts(), recount(&q));
        q.answer(ids[3], ExistsPolicy::Overwrite);
        q.cancel(ids[4]);
        q.requeue(ids[4]);
        q.start_next(now + Duration::from_secs(1));
        assert_eq!(q.counts(), recount(&q));
        assert_eq!(q.counts().successful, 2);
        assert!(!q.is_idle());
    }
}
