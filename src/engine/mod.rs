//! The transfer engine: a queue run by a background tokio task, N transfers at once, each on
//! its own control connection from a per-server pool that is reused file after file.
//!
//! The engine knows nothing about its faces. Commands go in through [`EngineHandle`]
//! (never blocking); [`EngineEvent`]s come out, each with what a UI needs to draw it, and
//! every event calls the `wake` function the face passed in (the GUI: `request_repaint`).
//! Transient failures (timeouts, resets, 4xx) retry with backoff and resume; permanent
//! ones fail the item with the server's text.

mod browse;
pub mod item;
mod job;
pub mod persist;
pub mod queue;
pub mod tree;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use browse::{RemoteOp, RequestId};
pub use item::{
    Direction, ExistsPolicy, Item, ItemId, ItemKind, ItemState, Priority, TransferMode,
    TransferSpec,
};
pub use job::ExistingTarget;
pub use queue::Counts;

use crate::log::LogLine;
use crate::net::{ConnectOptions, Connection, FtpError, RetryClass};
use crate::rate::RateLimiter;
use queue::Queue;

/// What a face asks of the engine.
#[derive(Debug)]
pub enum EngineCommand {
    Enqueue(Vec<TransferSpec>),
    /// Start or stop taking new items from the queue (running ones finish).
    ProcessQueue(bool),
    SetParallel(usize),
    /// How the files that start from now on travel (binary, ASCII, or by extension).
    SetTransferMode(TransferMode),
    /// Stop an item: a queued one leaves the queue, a running one is interrupted. It goes to
    /// the Failed list as cancelled. A transfer whose data is flowing is stopped with ABOR
    /// and its connection goes back to the pool once the server has confirmed it; one that
    /// is not (connecting, listing, or a server that leaves ABOR unanswered) loses its
    /// connection, and the next item opens a new one.
    Cancel(ItemId),
    /// Put a failed or cancelled item back in the queue, attempts counted afresh.
    Retry(ItemId),
    SetPriority(ItemId, Priority),
    /// The user's answer to a "file exists" question; with `apply_to_all`, also the answer
    /// to every other such question of the same direction, now and for the rest of the queue.
    Answer {
        item: ItemId,
        policy: ExistsPolicy,
        apply_to_all: bool,
    },
    /// Global speed limits in bytes per second (`None`: unlimited).
    SetLimits {
        download: Option<u64>,
        upload: Option<u64>,
    },
    /// A listing or a remote file operation on the server's browsing connection; answered
    /// by `EngineEvent::Listing` or `EngineEvent::RemoteDone` with the same request id.
    Remote {
        request: RequestId,
        server: Arc<ConnectOptions>,
        op: RemoteOp,
    },
    /// A fresh logon to a server (the password, the certificates trusted): items of that
    /// server still in the queue, such as those restored from the queue file (which holds
    /// no passwords), use these options from now on.
    UpdateServer(Arc<ConnectOptions>),
    /// Forget a server the face disconnected from: its browsing connection and its idle
    /// pooled connections close. Running transfers go on.
    Disconnect(Arc<ConnectOptions>),
    /// Diagnose the data connections to a server (`crate::diagnose`) on connections of
    /// its own; answered by `EngineEvent::Diagnosis` with the same request id, the attempts'
    /// lines going to the log meanwhile.
    Diagnose {
        request: RequestId,
        server: Arc<ConnectOptions>,
        options: crate::diagnose::DiagnoseOptions,
    },
    /// Close idle connections and end the engine task.
    Shutdown,
}

/// What the engine tells its face.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    Log(LogLine),
    ItemAdded {
        id: ItemId,
        direction: Direction,
        kind: ItemKind,
        local: std::path::PathBuf,
        remote: Vec<u8>,
        size: Option<u64>,
    },
    ItemChanged {
        id: ItemId,
        state: ItemState,
        attempts: u32,
        error: Option<String>,
        bytes_done: u64,
    },
    /// The target of an item exists and its policy is to ask: the item waits for
    /// `EngineCommand::Answer`, other items go on.
    Question {
        id: ItemId,
        direction: Direction,
        local: std::path::PathBuf,
        remote: Vec<u8>,
        existing: ExistingTarget,
    },
    /// Bytes done of every running item, at most four times a second in one event.
    Progress(Vec<ItemProgress>),
    /// Nothing queued or running any more.
    Idle(Counts),
    /// A directory listing: the directory's real path (after CWD and PWD) and its entries.
    Listing {
        request: RequestId,
        path: Vec<u8>,
        entries: Arc<[crate::proto::listing::Entry]>,
    },
    /// The browsing connection met a certificate that is not verifiable and not trusted
    /// (self-signed, unknown issuer, expired, wrong host): everything a face needs to show
    /// it and ask. A `RemoteDone` with the error follows. To go on, connect again with the
    /// fingerprint in `TlsSettings::trusted_fingerprints` (after `Disconnect`).
    CertificateUntrusted {
        request: RequestId,
        info: crate::net::tls::CertInfo,
    },
    /// A remote operation finished; the error carries the server's reply text.
    RemoteDone {
        request: RequestId,
        result: Result<(), String>,
    },
    /// The report of `EngineCommand::Diagnose`.
    Diagnosis {
        request: RequestId,
        report: Arc<crate::diagnose::Diagnosis>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemProgress {
    pub id: ItemId,
    pub bytes_done: u64,
    pub size: Option<u64>,
}

/// How often progress is reported while anything runs.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Finds the password of a server restored from the queue file (which holds none).
pub type PasswordLookup =
    Arc<dyn Fn(&persist::StoredServer) -> Option<crate::secret::Secret> + Send + Sync>;

/// Engine settings.
#[derive(Clone)]
pub struct EngineConfig {
    /// Transfers at once (1 to 10, as FileZilla).
    pub parallel: usize,
    /// Attempts per item before it fails (transient errors only).
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long (at most 30 s).
    pub first_backoff: Duration,
    /// Speed limits, bytes per second, shared by all transfers of a direction.
    pub download_limit: Option<u64>,
    pub upload_limit: Option<u64>,
    /// How long a pooled connection may idle before a NOOP keeps it alive.
    pub keep_alive: Duration,
    /// Binary (the default), ASCII, or by the file's extension.
    pub transfer_mode: TransferMode,
    /// Where the queue is kept between runs (`None`: not kept).
    pub queue_file: Option<std::path::PathBuf>,
    /// Passwords for restored items.
    pub password_lookup: Option<PasswordLookup>,
    /// Take items from the queue at once (the CLI); the window starts stopped, so a queue
    /// restored from the last run waits for "Process queue", as in FileZilla.
    pub start_processing: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            parallel: 2,
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
            download_limit: None,
            upload_limit: None,
            keep_alive: Duration::from_secs(30),
            transfer_mode: TransferMode::default(),
            queue_file: None,
            password_lookup: None,
            start_processing: true,
        }
    }
}

/// The command side, cheap to clone.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<EngineCommand>,
}

impl EngineHandle {
    /// Sends a command; `false` when the engine has ended.
    pub fn send(&self, command: EngineCommand) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// The event side.
pub type EngineEvents = mpsc::UnboundedReceiver<EngineEvent>;

/// Starts the engine on the current tokio runtime.
pub fn spawn(
    config: EngineConfig,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> (EngineHandle, EngineEvents) {
    // Commands come at the user's pace; events are bounded by the engine (one per state
    // change, no per-chunk events), so neither channel needs backpressure.
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let limits = Limits::new(config.download_limit, config.upload_limit);
    let processing = config.start_processing;
    let mut engine = Engine {
        limits,
        config,
        queue: Queue::default(),
        pools: HashMap::new(),
        running: JoinSet::new(),
        processing,
        events: event_tx,
        wake,
        next_conn: 0,
        progress: Arc::default(),
        tasks: HashMap::new(),
        aborts: HashMap::new(),
        cancels: HashMap::new(),
        cancelling: HashMap::new(),
        pool_used: HashMap::new(),
        default_answer: HashMap::new(),
        browsers: HashMap::new(),
        trees: HashMap::new(),
        dirty: false,
        last_save: None,
    };
    engine.restore();
    tokio::spawn(engine.run(command_rx));
    (
        EngineHandle {
            commands: command_tx,
        },
        event_rx,
    )
}

/// Connections are pooled per server and login.
fn server_key(options: &ConnectOptions) -> String {
    let user = options.credentials.user.as_deref().unwrap_or("anonymous");
    format!("{user}@{}:{}", options.host, options.port)
}

struct JobResult {
    id: ItemId,
    /// The pool the connection goes back to.
    key: String,
    result: Result<job::JobDone, FtpError>,
    /// Handed back for reuse unless the failure broke it.
    connection: Option<Connection>,
}

/// One limiter per direction, shared by every running transfer.
#[derive(Default)]
struct Limits {
    download: Option<Arc<RateLimiter>>,
    upload: Option<Arc<RateLimiter>>,
}

impl Limits {
    fn new(download: Option<u64>, upload: Option<u64>) -> Self {
        Self {
            download: download.map(|r| Arc::new(RateLimiter::new(r))),
            upload: upload.map(|r| Arc::new(RateLimiter::new(r))),
        }
    }

    fn for_direction(&self, direction: Direction) -> Option<Arc<RateLimiter>> {
        match direction {
            Direction::Download => self.download.clone(),
            Direction::Upload => self.upload.clone(),
        }
    }
}

struct Engine {
    config: EngineConfig,
    limits: Limits,
    queue: Queue,
    pools: HashMap<String, Vec<Connection>>,
    running: JoinSet<JobResult>,
    processing: bool,
    events: mpsc::UnboundedSender<EngineEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// Each new connection's id in the message log.
    next_conn: u64,
    /// Bytes done per running item, written by the jobs, read by the progress tick.
    progress: Arc<std::sync::Mutex<HashMap<ItemId, u64>>>,
    /// Running items' tasks, to cancel them.
    tasks: HashMap<tokio::task::Id, ItemId>,
    aborts: HashMap<ItemId, tokio::task::AbortHandle>,
    /// Running items' cancel signals, watched by their copy loops.
    cancels: HashMap<ItemId, crate::cancel::Cancel>,
    /// Tasks of cancelled items still finishing their ABOR, with their server's key: only
    /// their connection counts (against the server's connection limit too).
    cancelling: HashMap<tokio::task::Id, String>,
    /// One browsing worker per server.
    browsers: HashMap<String, mpsc::UnboundedSender<(RequestId, RemoteOp)>>,
    /// "Apply to all" answers, per direction.
    default_answer: HashMap<Direction, ExistsPolicy>,
    /// When each pooled connection was last used.
    pool_used: HashMap<String, Instant>,
    /// Folder items' places in their trees (depth, folders listed), for recursion that ends.
    trees: HashMap<ItemId, tree::TreeSlot>,
    /// The queue changed since it was last saved.
    dirty: bool,
    last_save: Option<Instant>,
}

/// Saves are batched: at most one per this interval, and one when the queue goes idle.
const SAVE_INTERVAL: Duration = Duration::from_millis(500);

impl Engine {
    fn emit(&self, event: EngineEvent) {
        if self.events.send(event).is_ok() {
            (self.wake)();
        }
    }

    /// Announces an item the queue now holds.
    fn emit_added(&self, id: ItemId) {
        if let Some(item) = self.queue.get(id) {
            self.emit(EngineEvent::ItemAdded {
                id,
                direction: item.spec.direction,
                kind: item.spec.kind,
                local: item.spec.local.clone(),
                remote: item.spec.remote.clone(),
                size: item.spec.size,
            });
        }
    }

    /// A copy of `server` whose log lines also come out as `EngineEvent::Log`.
    fn forwarding_log(
        &self,
        server: &ConnectOptions,
        conn: Option<crate::log::ConnId>,
    ) -> ConnectOptions {
        forwarding_log(server, conn, self.events.clone(), Arc::clone(&self.wake))
    }

    fn emit_item(&self, id: ItemId) {
        if let Some(item) = self.queue.get(id) {
            self.emit(EngineEvent::ItemChanged {
                id,
                state: item.state.clone(),
                attempts: item.attempts,
                error: item.last_error.clone(),
                bytes_done: item.bytes_done,
            });
        }
    }

    /// Reads the queue file back: finished items into their lists, interrupted ones queued.
    fn restore(&mut self) {
        let Some(path) = self.config.queue_file.clone() else {
            return;
        };
        let file = match persist::load(&path) {
            Ok(file) => file,
            Err(err) => {
                // Reported, and the file is not overwritten: saving stays off.
                self.config.queue_file = None;
                self.emit(EngineEvent::Log(crate::log::LogLine {
                    time: std::time::SystemTime::now(),
                    conn: crate::log::ConnId(0),
                    kind: crate::log::LogKind::Error,
                    text: err.to_string(),
                }));
                return;
            }
        };
        let mut servers: HashMap<persist::StoredServer, Arc<ConnectOptions>> = HashMap::new();
        for stored in file.items {
            let server = servers
                .entry(stored.server.clone())
                .or_insert_with(|| {
                    let password = self
                        .config
                        .password_lookup
                        .as_ref()
                        .and_then(|f| f(&stored.server));
                    Arc::new(stored.server.to_options(password))
                })
                .clone();
            let Some(spec) = stored.to_spec(server) else {
                continue;
            };
            let id = self.queue.restore(
                spec,
                stored.state_after_restart(),
                stored.attempts,
                stored.last_error.clone(),
            );
            self.emit_added(id);
            self.emit_item(id);
        }
    }

    /// Writes the queue file if it changed, at most every `SAVE_INTERVAL` unless `now`.
    fn save(&mut self, force: bool) {
        let Some(path) = self.config.queue_file.clone() else {
            return;
        };
        if !self.dirty {
            return;
        }
        let due = self
            .last_save
            .is_none_or(|at| at.elapsed() >= SAVE_INTERVAL);
        if !force && !due {
            return;
        }
        let items = self
            .queue
            .items()
            .map(|i| {
                persist::StoredItem::new(&i.spec, &i.state, i.attempts, i.last_error.as_deref())
            })
            .collect();
        if let Err(err) = persist::save(&path, items) {
            tracing::warn!("{err:#}");
        }
        self.dirty = false;
        self.last_save = Some(Instant::now());
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<EngineCommand>) {
        let mut was_idle = true;
        let mut progress_tick = tokio::time::interval(PROGRESS_INTERVAL);
        progress_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut keep_alive_tick = tokio::time::interval(self.config.keep_alive);
        keep_alive_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            self.start_jobs();
            let idle = self.queue.is_idle() && self.running.is_empty();
            self.save(idle);
            if idle && !was_idle {
                self.emit(EngineEvent::Idle(self.queue.counts()));
            }
            was_idle = idle;
            let save_at = (self.dirty && self.config.queue_file.is_some()).then(|| {
                self.last_save
                    .map_or_else(Instant::now, |at| at + SAVE_INTERVAL)
            });
            let retry_at = [self.queue.next_retry_at(), save_at]
                .into_iter()
                .flatten()
                .min();
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(EngineCommand::Shutdown) => break,
                    Some(command) => self.handle(command),
                },
                Some(joined) = self.running.join_next_with_id(), if !self.running.is_empty() => {
                    match joined {
                        Ok((task, result)) => {
                            self.tasks.remove(&task);
                            if self.cancelling.remove(&task).is_some() {
                                // The item's state was set by the canceller.
                                self.progress_remove(result.id);
                                self.recycle(result.key, result.connection);
                            } else {
                                self.finish(result);
                            }
                        }
                        Err(err) => {
                            // Panicked (or aborted at shutdown).
                            let cancelled = self.cancelling.remove(&err.id()).is_some();
                            if let Some(id) = self.tasks.remove(&err.id())
                                && !cancelled
                            {
                                self.aborts.remove(&id);
                                self.cancels.remove(&id);
                                self.progress_remove(id);
                            }
                        }
                    }
                }
                _ = progress_tick.tick(), if !self.running.is_empty() => {
                    self.report_progress();
                }
                _ = keep_alive_tick.tick(), if self.running.is_empty() && !self.pools.is_empty() => {
                    self.keep_alive().await;
                }
                () = sleep_until_or_forever(retry_at) => {}
            }
        }
        self.running.shutdown().await;
        self.save(true);
        for (_, pool) in self.pools.drain() {
            for conn in pool {
                conn.quit().await;
            }
        }
    }

    fn handle(&mut self, command: EngineCommand) {
        match command {
            EngineCommand::Enqueue(specs) => self.enqueue(specs),
            EngineCommand::ProcessQueue(on) => self.processing = on,
            EngineCommand::SetParallel(n) => self.config.parallel = n.clamp(1, 10),
            EngineCommand::SetTransferMode(mode) => self.config.transfer_mode = mode,
            EngineCommand::Cancel(id) => self.cancel(id),
            EngineCommand::Remote {
                request,
                server,
                op,
            } => {
                let key = server_key(&server);
                let server = Arc::new(self.forwarding_log(&server, None));
                let events = self.events.clone();
                let wake = Arc::clone(&self.wake);
                let worker = self
                    .browsers
                    .entry(key)
                    .or_insert_with(|| browse::start_worker(server, events, wake));
                worker.send((request, op)).ok();
            }
            EngineCommand::Answer {
                item,
                policy,
                apply_to_all,
            } => self.answer(item, policy, apply_to_all),
            EngineCommand::Retry(id) => {
                if self.queue.requeue(id) {
                    self.dirty = true;
                    self.emit_item(id);
                }
            }
            EngineCommand::SetPriority(id, priority) => {
                self.queue.set_priority(id, priority);
                self.dirty = true;
            }
            EngineCommand::SetLimits { download, upload } => {
                self.limits = Limits::new(download, upload);
            }
            EngineCommand::UpdateServer(server) => {
                let key = server_key(&server);
                let changed = self
                    .queue
                    .update_server(&server, |other| server_key(other) == key);
                if changed > 0 {
                    // Idle connections logged on with the old options go.
                    self.pools.remove(&key);
                    self.pool_used.remove(&key);
                }
            }
            EngineCommand::Disconnect(server) => {
                let key = server_key(&server);
                // Dropping the sender ends the worker, which drops its connection.
                self.browsers.remove(&key);
                self.pools.remove(&key);
                self.pool_used.remove(&key);
            }
            EngineCommand::Diagnose {
                request,
                server,
                options,
            } => {
                self.next_conn += 1;
                let conn = crate::log::ConnId(self.next_conn);
                let server = self.forwarding_log(&server, Some(conn));
                let events = self.events.clone();
                let wake = Arc::clone(&self.wake);
                // Its own task and connections: browsing and transfers go on meanwhile.
                tokio::spawn(async move {
                    let report = Arc::new(crate::diagnose::run(server, options).await);
                    if events
                        .send(EngineEvent::Diagnosis { request, report })
                        .is_ok()
                    {
                        wake();
                    }
                });
            }
            EngineCommand::Shutdown => {}
        }
    }

    fn enqueue(&mut self, specs: Vec<TransferSpec>) {
        self.dirty |= !specs.is_empty();
        for spec in specs {
            let id = self.queue.add(spec);
            self.emit_added(id);
        }
    }

    fn start_jobs(&mut self) {
        while self.processing && self.running.len() < self.config.parallel.clamp(1, 10) {
            // A site's own limit ("maximum simultaneous connections") holds its items back
            // while others' go on.
            // A cancelled item's connection stays open while its ABOR finishes: it counts.
            let mut running_per_server: HashMap<String, usize> = HashMap::new();
            let running_keys = self
                .aborts
                .keys()
                .filter_map(|id| self.queue.get(*id))
                .map(|item| server_key(&item.spec.server))
                .chain(self.cancelling.values().cloned());
            for key in running_keys {
                *running_per_server.entry(key).or_default() += 1;
            }
            let may_start = |item: &Item| {
                item.spec.server.max_transfers.is_none_or(|max| {
                    let running = running_per_server
                        .get(&server_key(&item.spec.server))
                        .copied()
                        .unwrap_or(0);
                    running < max.max(1)
                })
            };
            let Some(item) = self.queue.start_next_where(Instant::now(), may_start) else {
                return;
            };
            let (id, spec, retrying) = (item.id, item.spec.clone(), item.attempts > 1);
            // A folder the face queued (or one restored from the queue file) starts a tree.
            let tree = match spec.kind {
                ItemKind::DirectoryContents => self
                    .trees
                    .entry(id)
                    .or_insert_with(tree::TreeSlot::root)
                    .clone(),
                ItemKind::File => tree::TreeSlot::root(),
            };
            self.dirty = true;
            self.emit_item(id);
            let pooled = self
                .pools
                .get_mut(&server_key(&spec.server))
                .and_then(Vec::pop);
            let events = self.events.clone();
            let wake = Arc::clone(&self.wake);
            let limit = self.limits.for_direction(spec.direction);
            let transfer_type = self.config.transfer_mode.for_file(&spec.remote);
            self.next_conn += 1;
            let conn_id = crate::log::ConnId(self.next_conn);
            let board = Arc::clone(&self.progress);
            let cancel = crate::cancel::Cancel::new();
            let watched = cancel.clone();
            let key = server_key(&spec.server);
            // Time for ABOR and its replies (bounded by one timeout) before the job is dropped.
            let grace = spec.server.timeout.saturating_mul(2) + Duration::from_secs(1);
            let work = async move {
                let mut conn = match pooled {
                    Some(conn) => conn,
                    None => {
                        let options = forwarding_log(&spec.server, Some(conn_id), events, wake);
                        match Connection::connect(options).await {
                            Ok(conn) => conn,
                            Err(err) => return (Err(err), None),
                        }
                    }
                };
                let mut on_progress = |bytes: u64| {
                    if let Ok(mut board) = board.lock() {
                        board.insert(id, bytes);
                    }
                };
                let context = job::JobContext {
                    id,
                    tree: &tree,
                    retrying,
                    limit,
                    transfer_type,
                    cancel: &watched,
                };
                let result = job::run(&mut conn, &spec, context, &mut on_progress).await;
                // A failed control connection is not worth keeping, nor one whose
                // replies are out of step with its commands (a 1xx-3xx where a command
                // failed: the reply belonged to an earlier command).
                let keep = match &result {
                    Ok(_) => true,
                    Err(err) => {
                        let out_of_step = err.reply().is_some_and(|reply| {
                            !reply.code.is_transient_failure() && !reply.code.is_permanent_failure()
                        });
                        err.retry_class() == RetryClass::Permanent
                            && !matches!(err, FtpError::Closed { .. })
                            && !out_of_step
                    }
                };
                (result, keep.then_some(conn))
            };
            let abandon = cancel.clone();
            let abort = self.running.spawn(async move {
                let (result, connection) = tokio::select! {
                    biased;
                    done = work => done,
                    // Cancelled while nothing is owed to the server (or ABOR took too long):
                    // the job and its connection go.
                    () = abandon.abandoned(grace) => (Err(FtpError::Cancelled), None),
                };
                JobResult {
                    id,
                    key,
                    result,
                    connection,
                }
            });
            self.tasks.insert(abort.id(), id);
            self.aborts.insert(id, abort);
            self.cancels.insert(id, cancel);
        }
    }

    fn progress_remove(&self, id: ItemId) {
        if let Ok(mut board) = self.progress.lock() {
            board.remove(&id);
        }
    }

    /// One coalesced event for all running items.
    fn report_progress(&self) {
        let snapshot: Vec<ItemProgress> = match self.progress.lock() {
            Ok(board) => board
                .iter()
                .map(|(&id, &bytes_done)| ItemProgress {
                    id,
                    bytes_done,
                    size: self.queue.get(id).and_then(|i| i.spec.size),
                })
                .collect(),
            Err(_) => return,
        };
        if !snapshot.is_empty() {
            self.emit(EngineEvent::Progress(snapshot));
        }
    }

    fn answer(&mut self, id: ItemId, policy: ExistsPolicy, apply_to_all: bool) {
        // "Ask" is not an answer.
        if policy == ExistsPolicy::Ask {
            return;
        }
        let direction = self.queue.get(id).map(|i| i.spec.direction);
        let mut answered = vec![id];
        if apply_to_all && let Some(direction) = direction {
            self.default_answer.insert(direction, policy);
            answered.extend(self.queue.awaiting(direction));
        }
        for id in answered {
            if self.queue.answer(id, policy) {
                self.dirty = true;
                self.emit_item(id);
            }
        }
    }

    fn cancel(&mut self, id: ItemId) {
        self.trees.remove(&id);
        if let Some(abort) = self.aborts.remove(&id) {
            // The job stops itself (ABOR when data flows) and hands its connection back.
            if let Some(cancel) = self.cancels.remove(&id) {
                cancel.cancel();
            }
            let key = self
                .queue
                .get(id)
                .map(|item| server_key(&item.spec.server))
                .unwrap_or_default();
            self.cancelling.insert(abort.id(), key);
            self.progress_remove(id);
        }
        if self.queue.cancel(id) {
            self.dirty = true;
            self.emit_item(id);
        }
    }

    /// NOOP on idle pooled connections, so servers do not drop them; dead ones are closed.
    async fn keep_alive(&mut self) {
        let now = Instant::now();
        for (key, pool) in &mut self.pools {
            let idle_since = self.pool_used.get(key).copied().unwrap_or(now);
            if now.duration_since(idle_since) < self.config.keep_alive {
                continue;
            }
            let mut alive = Vec::with_capacity(pool.len());
            for mut conn in pool.drain(..) {
                if conn.noop().await.is_ok() {
                    alive.push(conn);
                }
            }
            *pool = alive;
            self.pool_used.insert(key.clone(), now);
        }
    }

    /// A connection a job handed back goes into its server's pool for the next item.
    fn recycle(&mut self, key: String, connection: Option<Connection>) {
        if let Some(conn) = connection {
            self.pool_used.insert(key.clone(), Instant::now());
            self.pools.entry(key).or_default().push(conn);
        }
    }

    fn finish(&mut self, done: JobResult) {
        let JobResult {
            id,
            key,
            result,
            connection,
        } = done;
        self.dirty = true;
        self.aborts.remove(&id);
        self.cancels.remove(&id);
        self.progress_remove(id);
        self.recycle(key, connection);
        let attempts = self.queue.get(id).map(|i| i.attempts).unwrap_or(0);
        match result {
            Ok(job::JobDone::Transferred { bytes }) => {
                self.queue.set_bytes_done(id, bytes);
                self.queue.finish(id, ItemState::Successful, None);
            }
            Ok(job::JobDone::NeedsAnswer(existing)) => {
                self.queue.park(id);
                let Some(item) = self.queue.get(id) else {
                    return;
                };
                let direction = item.spec.direction;
                if let Some(policy) = self.default_answer.get(&direction).copied() {
                    self.queue.answer(id, policy);
                } else {
                    let (local, remote) = (item.spec.local.clone(), item.spec.remote.clone());
                    self.emit_item(id);
                    self.emit(EngineEvent::Question {
                        id,
                        direction,
                        local,
                        remote,
                        existing,
                    });
                    return;
                }
            }
            Ok(job::JobDone::Skipped { why }) => {
                self.queue.finish(id, ItemState::Skipped, Some(why))
            }
            Ok(job::JobDone::Expanded { children, refused }) => {
                // Refused entries were not transferred: the folder is not complete, and says
                // which (the log has one line each).
                let (state, error) = if refused.is_empty() {
                    (ItemState::Successful, None)
                } else {
                    (ItemState::Failed, Some(refused_summary(&refused)))
                };
                self.queue.finish(id, state, error);
                self.emit_item(id);
                let slot = self.trees.remove(&id).unwrap_or_else(tree::TreeSlot::root);
                self.dirty |= !children.is_empty();
                for child in children {
                    let is_dir = child.kind == ItemKind::DirectoryContents;
                    let child_id = self.queue.add(child);
                    if is_dir {
                        self.trees.insert(child_id, slot.child());
                    }
                    self.emit_added(child_id);
                }
                return;
            }
            Err(err)
                if err.retry_class() == RetryClass::Transient
                    && attempts < self.config.max_attempts =>
            {
                let backoff = self
                    .config
                    .first_backoff
                    .saturating_mul(1 << (attempts.saturating_sub(1)).min(5))
                    .min(Duration::from_secs(30));
                self.queue
                    .retry_at(id, Instant::now() + backoff, err.to_string());
            }
            Err(err) => {
                self.trees.remove(&id);
                self.queue
                    .finish(id, ItemState::Failed, Some(err.to_string()))
            }
        }
        self.emit_item(id);
    }
}

/// A folder's error when some of its entries were refused: how many, the first few names.
fn refused_summary(refused: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut names = refused[..refused.len().min(SHOWN)].join(", ");
    if refused.len() > SHOWN {
        names.push_str(&format!(" and {} more", refused.len() - SHOWN));
    }
    let entries = if refused.len() == 1 {
        "entry"
    } else {
        "entries"
    };
    format!(
        "{} {entries} refused (see the message log): {names}",
        refused.len()
    )
}

/// A copy of `server` whose log lines (labelled `conn` when given) also go out as events.
fn forwarding_log(
    server: &ConnectOptions,
    conn: Option<crate::log::ConnId>,
    events: mpsc::UnboundedSender<EngineEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> ConnectOptions {
    let mut options = server.clone();
    let sink = match conn {
        Some(conn) => options.log.for_conn(conn),
        None => options.log.clone(),
    };
    options.log = sink.tee(move |line| {
        if events.send(EngineEvent::Log(line)).is_ok() {
            wake();
        }
    });
    options
}

async fn sleep_until_or_forever(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
