//! The engine's task: one loop that takes commands, starts jobs, and folds their results
//! into the queue. It never waits on the network itself: each job, each keep-alive, each
//! browsing session and each diagnosis runs as a task of its own, so a Cancel, an Enqueue,
//! a Pause or a Disconnect is taken at once even while a server stalls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::item::{Direction, ExistsPolicy, ItemId, ItemKind, ItemState, TransferSpec};
use super::job::{self, JobDone};
use super::queue::Queue;
use super::{
    ConnectionState, EngineCommand, EngineConfig, EngineEvent, ItemProgress, SessionRole, browse,
    persist, tree,
};
use crate::cancel::Cancel;
use crate::log::{ConnId, LogKind, LogLine};
use crate::rate::RateLimiter;
use crate::remote::{self, ErrorKind, RemoteError, RemoteSession, RetryClass, Server, ServerKey};
use crate::transfer::Outcome;

/// How often progress is reported while anything runs.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Saves are batched: at most one per this interval, and one when the queue goes idle.
const SAVE_INTERVAL: Duration = Duration::from_millis(500);

/// Sends events to the face and wakes it; cheap to clone into tasks.
#[derive(Clone)]
pub(super) struct Emitter {
    events: mpsc::UnboundedSender<EngineEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// `EngineConfig::log_events`.
    log_events: bool,
}

impl Emitter {
    pub(super) fn new(
        events: mpsc::UnboundedSender<EngineEvent>,
        wake: Arc<dyn Fn() + Send + Sync>,
        log_events: bool,
    ) -> Self {
        Self {
            events,
            wake,
            log_events,
        }
    }

    /// `false` when the face is gone.
    pub(super) fn emit(&self, event: EngineEvent) -> bool {
        let sent = self.events.send(event).is_ok();
        if sent {
            (self.wake)();
        }
        sent
    }

    pub(super) fn connection(
        &self,
        server: &ServerKey,
        conn: ConnId,
        role: SessionRole,
        state: ConnectionState,
    ) {
        self.emit(EngineEvent::Connection {
            server: server.clone(),
            conn,
            role,
            state,
        });
    }

    /// A copy of `server` whose log lines (labelled `conn`) also go out as events.
    pub(super) fn logging(&self, server: &Server, conn: ConnId) -> Server {
        let mut server = server.clone();
        server.log = server.log.for_conn(conn);
        if self.log_events {
            let events = self.clone();
            server.log = server.log.tee(move |line| {
                events.emit(EngineEvent::Log(line));
            });
        }
        server
    }
}

/// Connects a session for `role`, telling the face how it goes.
pub(super) async fn connect(
    server: &Server,
    role: SessionRole,
    emitter: &Emitter,
) -> Result<Box<dyn RemoteSession>, RemoteError> {
    let key = server.key();
    let conn = server.log.conn();
    emitter.connection(&key, conn, role, ConnectionState::Connecting);
    match remote::connect(server).await {
        Ok(session) => {
            let capabilities = Arc::new(session.capabilities().clone());
            emitter.connection(&key, conn, role, ConnectionState::LoggedOn(capabilities));
            Ok(session)
        }
        Err(err) => {
            emitter.connection(
                &key,
                conn,
                role,
                ConnectionState::Disconnected {
                    reason: Some(err.clone()),
                },
            );
            Err(err)
        }
    }
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

/// One running job: everything the engine keeps about it, in one place.
struct RunningJob {
    item: ItemId,
    server: ServerKey,
    cancel: Cancel,
    /// Cancelled by the user: its item is already in the Failed list, and the job only
    /// finishes stopping (FTP: its ABOR). Its session still counts against the server's limit.
    cancelled: bool,
}

/// What a job's task hands back.
struct JobResult {
    item: ItemId,
    server: ServerKey,
    result: Result<JobDone, RemoteError>,
    /// Handed back for reuse unless the failure broke it.
    session: Option<Box<dyn RemoteSession>>,
}

/// An idle session waiting in its server's pool.
struct Idle {
    session: Box<dyn RemoteSession>,
    since: Instant,
}

/// Bytes done per running item, written by the jobs, read by the progress tick.
type ProgressBoard = Arc<Mutex<HashMap<ItemId, u64>>>;

struct Engine {
    config: EngineConfig,
    limits: Limits,
    queue: Queue,
    /// Idle sessions per server, the most recently used last.
    pools: HashMap<ServerKey, Vec<Idle>>,
    jobs: JoinSet<JobResult>,
    running: HashMap<tokio::task::Id, RunningJob>,
    /// Idle sessions out for a keep-alive, coming back to their pool (or not, if dead).
    keepalives: JoinSet<(ServerKey, Option<Box<dyn RemoteSession>>)>,
    processing: bool,
    emitter: Emitter,
    /// Each new session's id in the message log.
    next_conn: u64,
    progress: ProgressBoard,
    /// One browsing worker per server.
    browsers: HashMap<ServerKey, mpsc::UnboundedSender<(browse::RequestId, browse::RemoteOp)>>,
    /// "Apply to all" answers, per direction.
    default_answer: HashMap<Direction, ExistsPolicy>,
    /// Folder items' places in their trees (depth, folders listed), for recursion that ends.
    trees: HashMap<ItemId, tree::TreeSlot>,
    /// The queue changed since it was last saved.
    dirty: bool,
    last_save: Option<Instant>,
}

pub(super) fn start(
    config: EngineConfig,
    emitter: Emitter,
    commands: mpsc::UnboundedReceiver<EngineCommand>,
) {
    let limits = Limits::new(config.settings.download_limit, config.settings.upload_limit);
    let processing = config.start_processing;
    let mut engine = Engine {
        limits,
        config,
        queue: Queue::default(),
        pools: HashMap::new(),
        jobs: JoinSet::new(),
        running: HashMap::new(),
        keepalives: JoinSet::new(),
        processing,
        emitter,
        next_conn: 0,
        progress: Arc::default(),
        browsers: HashMap::new(),
        default_answer: HashMap::new(),
        trees: HashMap::new(),
        dirty: false,
        last_save: None,
    };
    engine.restore();
    tokio::spawn(engine.run(commands));
}

impl Engine {
    fn emit(&self, event: EngineEvent) {
        self.emitter.emit(event);
    }

    fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        ConnId(self.next_conn)
    }

    /// Announces an item the queue now holds.
    fn emit_added(&self, id: ItemId) {
        if let Some(item) = self.queue.get(id) {
            self.emit(EngineEvent::ItemAdded {
                id,
                server: Arc::clone(&item.spec.server),
                direction: item.spec.direction,
                kind: item.spec.kind,
                local: item.spec.local.clone(),
                remote: item.spec.remote.clone(),
                size: item.spec.size,
            });
        }
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
                self.emit(EngineEvent::Log(LogLine {
                    time: std::time::SystemTime::now(),
                    conn: ConnId(0),
                    kind: LogKind::Error,
                    text: err.to_string(),
                }));
                return;
            }
        };
        let mut servers: HashMap<remote::StoredServer, Arc<Server>> = HashMap::new();
        for stored in file.items {
            let server = servers
                .entry(stored.server.clone())
                .or_insert_with(|| {
                    let password = self
                        .config
                        .password_lookup
                        .as_ref()
                        .and_then(|f| f(&stored.server));
                    Arc::new(stored.server.to_server(password))
                })
                .clone();
            let Some(spec) = stored.to_spec(server) else {
                continue;
            };
            let id = self.queue.restore(
                spec,
                stored.state_after_restart(),
                stored.attempts,
                stored.last_error(),
            );
            self.emit_added(id);
            self.emit_item(id);
        }
    }

    /// Writes the queue file if it changed, at most every `SAVE_INTERVAL` unless `force`.
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
            .map(|i| persist::StoredItem::new(&i.spec, &i.state, i.attempts, i.last_error.as_ref()))
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
        let mut keep_alive_tick = tokio::time::interval(self.keep_alive_check());
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
            let wake_at = [self.queue.next_retry_at(), save_at]
                .into_iter()
                .flatten()
                .min();
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(EngineCommand::Shutdown) => break,
                    Some(EngineCommand::Configure(settings)) => {
                        let check = settings.keep_alive;
                        self.configure(settings);
                        if check != keep_alive_tick.period() {
                            keep_alive_tick = tokio::time::interval(self.keep_alive_check());
                            keep_alive_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                        }
                    }
                    Some(command) => self.handle(command),
                },
                Some(joined) = self.jobs.join_next_with_id(), if !self.jobs.is_empty() => {
                    match joined {
                        Ok((task, result)) => self.job_ended(task, result),
                        Err(err) => self.job_panicked(err.id()),
                    }
                }
                Some(joined) = self.keepalives.join_next(), if !self.keepalives.is_empty() => {
                    if let Ok((key, Some(session))) = joined {
                        self.pools.entry(key).or_default().push(Idle {
                            session,
                            since: Instant::now(),
                        });
                    }
                }
                _ = progress_tick.tick(), if !self.running.is_empty() => {
                    self.report_progress();
                }
                _ = keep_alive_tick.tick(), if !self.pools.is_empty() => {
                    self.keep_alive();
                }
                () = sleep_until_or_forever(wake_at) => {}
            }
        }
        self.jobs.shutdown().await;
        self.keepalives.shutdown().await;
        self.save(true);
        // Dropping the senders ends the browsing workers, which log out.
        self.browsers.clear();
        let mut quits = JoinSet::new();
        for (_, pool) in self.pools.drain() {
            for idle in pool {
                quits.spawn(idle.session.quit());
            }
        }
        // A quit that fails or is cut short by the runtime's end changes nothing.
        while quits.join_next().await.is_some() {}
    }

    /// How often idle sessions are looked at for a keep-alive.
    fn keep_alive_check(&self) -> Duration {
        self.config
            .settings
            .keep_alive
            .max(Duration::from_millis(10))
    }

    fn configure(&mut self, settings: super::EngineSettings) {
        self.limits = Limits::new(settings.download_limit, settings.upload_limit);
        self.config.settings = settings;
    }

    fn handle(&mut self, command: EngineCommand) {
        match command {
            EngineCommand::Enqueue(specs) => self.enqueue(specs),
            EngineCommand::ProcessQueue(on) => self.processing = on,
            EngineCommand::Configure(settings) => self.configure(settings),
            EngineCommand::SetTransferMode(mode) => self.config.settings.transfer_mode = mode,
            EngineCommand::Cancel(id) => self.cancel(id),
            EngineCommand::Remote {
                request,
                server,
                op,
            } => {
                let key = server.key();
                if !self.browsers.contains_key(&key) {
                    let conn = self.new_conn();
                    let server = Arc::new(self.emitter.logging(&server, conn));
                    let worker = browse::start_worker(server, self.emitter.clone());
                    self.browsers.insert(key.clone(), worker);
                }
                if let Some(worker) = self.browsers.get(&key) {
                    worker.send((request, op)).ok();
                }
            }
            EngineCommand::Answer {
                item,
                policy,
                apply_to_all,
            } => self.answer(item, policy, apply_to_all),
            EngineCommand::AnswerRename { item, name } => self.answer_rename(item, &name),
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
            EngineCommand::UpdateServer(server) => {
                if self.queue.update_server(&server) > 0 {
                    // Idle sessions logged on with the old settings go.
                    self.close_pool(&server.key());
                }
            }
            EngineCommand::Disconnect(server) => {
                let key = server.key();
                // Dropping the sender ends the worker, which logs out.
                self.browsers.remove(&key);
                self.close_pool(&key);
            }
            EngineCommand::Diagnose {
                server,
                options,
                reply,
            } => {
                let conn = self.new_conn();
                let server = self.emitter.logging(&server, conn);
                // Its own task and connections: browsing and transfers go on meanwhile.
                tokio::spawn(async move {
                    let report = remote::diagnose(&server, options).await.map(Arc::new);
                    reply.send(report).ok();
                });
            }
            EngineCommand::ExportQueue { reply } => {
                reply.send(self.unfinished_items()).ok();
            }
            EngineCommand::ImportQueue { items, reply } => {
                reply.send(self.import(items)).ok();
            }
            EngineCommand::Shutdown => {}
        }
    }

    /// What an export holds: every item not done yet, in queue order.
    fn unfinished_items(&self) -> Vec<persist::StoredItem> {
        self.queue
            .items()
            .filter(|i| !matches!(i.state, ItemState::Successful | ItemState::Skipped))
            .map(|i| persist::StoredItem::new(&i.spec, &i.state, i.attempts, i.last_error.as_ref()))
            .collect()
    }

    /// Adds exported items as queued, each server with the password the engine can find.
    fn import(&mut self, items: Vec<persist::StoredItem>) -> usize {
        let mut servers: HashMap<remote::StoredServer, Arc<Server>> = HashMap::new();
        let mut specs = Vec::with_capacity(items.len());
        for stored in items {
            let server = match servers.get(&stored.server) {
                Some(server) => Arc::clone(server),
                None => {
                    let server = self.server_for(&stored.server);
                    servers.insert(stored.server.clone(), Arc::clone(&server));
                    server
                }
            };
            specs.extend(stored.to_spec(server));
        }
        let added = specs.len();
        self.enqueue(specs);
        added
    }

    /// A stored server with a password: the queue's own server of that login if it has one
    /// (logged on to with the password), else the lookup's.
    fn server_for(&self, stored: &remote::StoredServer) -> Arc<Server> {
        let key = stored.to_server(None).key();
        if let Some(item) = self
            .queue
            .items()
            .find(|i| i.spec.server.key() == key && i.spec.server.credentials.password.is_some())
        {
            return Arc::clone(&item.spec.server);
        }
        let password = self.config.password_lookup.as_ref().and_then(|f| f(stored));
        Arc::new(stored.to_server(password))
    }

    /// Logs out of a server's idle sessions, in the background.
    fn close_pool(&mut self, key: &ServerKey) {
        for idle in self.pools.remove(key).unwrap_or_default() {
            tokio::spawn(idle.session.quit());
        }
    }

    fn enqueue(&mut self, specs: Vec<TransferSpec>) {
        self.dirty |= !specs.is_empty();
        for spec in specs {
            let id = self.queue.add(spec);
            self.emit_added(id);
        }
    }

    /// Sessions in use per server: running jobs, cancelled ones still stopping included.
    fn busy_per_server(&self) -> HashMap<ServerKey, usize> {
        let mut busy: HashMap<ServerKey, usize> = HashMap::new();
        for job in self.running.values() {
            *busy.entry(job.server.clone()).or_default() += 1;
        }
        busy
    }

    fn start_jobs(&mut self) {
        while self.processing && self.running.len() < self.config.settings.parallel.clamp(1, 10) {
            let busy = self.busy_per_server();
            let Some(item) = self.queue.start_next_within_limits(Instant::now(), &busy) else {
                return;
            };
            let (id, spec, retrying) = (item.id, item.spec.clone(), item.attempts > 1);
            self.dirty = true;
            self.emit_item(id);
            self.spawn_job(id, spec, retrying);
        }
    }

    fn spawn_job(&mut self, id: ItemId, spec: TransferSpec, retrying: bool) {
        // A folder the face queued (or one restored from the queue file) starts a tree.
        let tree = match spec.kind {
            ItemKind::DirectoryContents => self
                .trees
                .entry(id)
                .or_insert_with(tree::TreeSlot::root)
                .clone(),
            // A file from a folder's listing has its parent's child slot; one the face
            // queued is a tree of its own.
            ItemKind::File => self
                .trees
                .get(&id)
                .cloned()
                .unwrap_or_else(tree::TreeSlot::root),
        };
        let key = spec.server.key();
        let pooled = self.pools.get_mut(&key).and_then(Vec::pop);
        let conn = self.new_conn();
        let server = self.emitter.logging(&spec.server, conn);
        let emitter = self.emitter.clone();
        let limit = self.limits.for_direction(spec.direction);
        let data_type = self.config.settings.transfer_mode.for_file(&spec.remote);
        let board = Arc::clone(&self.progress);
        let cancel = Cancel::new();
        let watched = cancel.clone();
        let item_server = key.clone();
        // Time for stopping cleanly (ABOR and its replies, bounded by one timeout) before
        // the job is dropped.
        let grace = spec.server.timeout.saturating_mul(2) + Duration::from_secs(1);
        let work = async move {
            let mut session = match pooled {
                Some(idle) => idle.session,
                None => match connect(&server, SessionRole::Transfer, &emitter).await {
                    Ok(session) => session,
                    Err(err) => return (Err(err), None),
                },
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
                data_type,
                cancel: &watched,
            };
            let result = job::run(session.as_mut(), &spec, context, &mut on_progress).await;
            // A transient failure (a short transfer, a reset) is retried on a fresh session,
            // as it is after a reconnect by hand.
            let transient = matches!(&result, Err(e) if e.retry_class() == RetryClass::Transient);
            if session.is_usable() && !transient {
                return (result, Some(session));
            }
            // Not worth keeping: it broke, its replies are out of step, or it failed in a way
            // a new session may not.
            emitter.connection(
                &item_server,
                session.log().conn(),
                SessionRole::Transfer,
                ConnectionState::Disconnected {
                    reason: result.as_ref().err().cloned(),
                },
            );
            (result, None)
        };
        let abandon = cancel.clone();
        let server_key = key.clone();
        let task = self.jobs.spawn(async move {
            let (result, session) = tokio::select! {
                biased;
                done = work => done,
                // Cancelled while nothing is owed to the server (or stopping took too long):
                // the job and its session go.
                () = abandon.abandoned(grace) => (
                    Err(RemoteError::new(ErrorKind::Cancelled, "Cancelled by the user")),
                    None,
                ),
            };
            JobResult {
                item: id,
                server: server_key,
                result,
                session,
            }
        });
        self.running.insert(
            task.id(),
            RunningJob {
                item: id,
                server: key,
                cancel,
                cancelled: false,
            },
        );
    }

    fn job_ended(&mut self, task: tokio::task::Id, done: JobResult) {
        let cancelled = self.running.remove(&task).is_some_and(|job| job.cancelled);
        self.progress_remove(done.item);
        if let Some(session) = done.session {
            self.pools.entry(done.server).or_default().push(Idle {
                session,
                since: Instant::now(),
            });
        }
        if !cancelled {
            // A cancelled item's state was set by the canceller.
            self.finish(done.item, done.result);
        }
    }

    /// A job that panicked (a bug) fails its item instead of leaving it running forever.
    fn job_panicked(&mut self, task: tokio::task::Id) {
        let Some(job) = self.running.remove(&task) else {
            return;
        };
        self.progress_remove(job.item);
        if !job.cancelled {
            self.dirty = true;
            self.queue.finish(
                job.item,
                ItemState::Failed,
                Some(RemoteError::new(
                    ErrorKind::Local,
                    "the transfer stopped unexpectedly (an internal error)",
                )),
            );
            self.emit_item(job.item);
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

    fn answer_rename(&mut self, id: ItemId, name: &str) {
        let Some(item) = self.queue.get(id) else {
            return;
        };
        if item.state != ItemState::AwaitingAnswer {
            return;
        }
        match item.spec.renamed(name) {
            Ok((local, remote)) => {
                self.queue.retarget(id, local.clone(), remote.clone());
                self.emit(EngineEvent::ItemRenamed { id, local, remote });
                // The new name may exist too: then the user is asked again.
                if self.queue.answer(id, ExistsPolicy::Ask) {
                    self.dirty = true;
                    self.emit_item(id);
                }
            }
            // The window checks the name before sending it; this is the last guard.
            Err(why) => self.emit(EngineEvent::Log(LogLine {
                time: std::time::SystemTime::now(),
                conn: ConnId(0),
                kind: LogKind::Error,
                text: format!("cannot rename the target to {name:?}: {why}"),
            })),
        }
    }

    fn cancel(&mut self, id: ItemId) {
        self.trees.remove(&id);
        if let Some(job) = self
            .running
            .values_mut()
            .find(|job| job.item == id && !job.cancelled)
        {
            // The job stops itself (cleanly when data flows) and hands its session back.
            job.cancel.cancel();
            job.cancelled = true;
            self.progress_remove(id);
        }
        if self.queue.cancel(id) {
            self.dirty = true;
            self.emit_item(id);
        }
    }

    /// Sends each session that idled for the keep-alive interval to keep itself alive, as
    /// a task of its own: a server that does not answer stalls only that task.
    fn keep_alive(&mut self) {
        let now = Instant::now();
        let every = self.config.settings.keep_alive;
        for (key, pool) in &mut self.pools {
            let (due, fresh): (Vec<Idle>, Vec<Idle>) = pool
                .drain(..)
                .partition(|idle| now.duration_since(idle.since) >= every);
            *pool = fresh;
            for idle in due {
                let key = key.clone();
                let mut session = idle.session;
                let emitter = self.emitter.clone();
                self.keepalives.spawn(async move {
                    match session.keep_alive().await {
                        Ok(()) if session.is_usable() => (key, Some(session)),
                        result => {
                            // Dead or out of step: closed, and the face told why.
                            emitter.connection(
                                &key,
                                session.log().conn(),
                                SessionRole::Transfer,
                                ConnectionState::Disconnected {
                                    reason: result.err(),
                                },
                            );
                            (key, None)
                        }
                    }
                });
            }
        }
        self.pools.retain(|_, pool| !pool.is_empty());
    }

    fn finish(&mut self, id: ItemId, result: Result<JobDone, RemoteError>) {
        self.dirty = true;
        let attempts = self.queue.get(id).map(|i| i.attempts).unwrap_or(0);
        match result {
            Ok(JobDone::File(Outcome::Transferred { bytes })) => {
                self.queue.set_bytes_done(id, bytes);
                self.queue.finish(id, ItemState::Successful, None);
            }
            Ok(JobDone::File(Outcome::NeedsAnswer(existing))) => {
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
            Ok(JobDone::File(Outcome::Skipped { why })) => self.queue.finish(
                id,
                ItemState::Skipped,
                Some(RemoteError::new(ErrorKind::TargetExists, why)),
            ),
            Ok(JobDone::Expanded { children, refused }) => {
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
                    // A folder carries its place in the tree; so does an uploaded file,
                    // which then reads no link (its name came from the folder's listing).
                    let slotted = child.kind == ItemKind::DirectoryContents
                        || child.direction == Direction::Upload;
                    let child_id = self.queue.add(child);
                    if slotted {
                        self.trees.insert(child_id, slot.child());
                    }
                    self.emit_added(child_id);
                }
                return;
            }
            Err(err)
                if err.retry_class() == RetryClass::Transient
                    && !err.is_cancelled()
                    && attempts < self.config.settings.max_attempts =>
            {
                let backoff = self
                    .config
                    .settings
                    .first_backoff
                    .saturating_mul(1 << (attempts.saturating_sub(1)).min(5))
                    .min(Duration::from_secs(30));
                self.queue.retry_at(id, Instant::now() + backoff, err);
            }
            Err(err) => self.queue.finish(id, ItemState::Failed, Some(err)),
        }
        if self
            .queue
            .get(id)
            .is_none_or(|item| item.state.is_finished())
        {
            self.trees.remove(&id);
        }
        self.emit_item(id);
    }
}

/// A folder's error when some of its entries were refused: how many, the first few names.
fn refused_summary(refused: &[String]) -> RemoteError {
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
    RemoteError::new(
        ErrorKind::BadInput,
        format!(
            "{} {entries} refused (see the message log): {names}",
            refused.len()
        ),
    )
}

async fn sleep_until_or_forever(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
