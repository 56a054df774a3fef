//! The transfer engine: a queue run by a background tokio task, N transfers at once, each on
//! its own session from a per-server pool that is reused file after file, and one browsing
//! session per server for listings and remote file operations.
//!
//! The engine knows nothing about its faces, and nothing about FTP: it drives servers only
//! through the protocol seam (`crate::remote`). Commands go in through [`EngineHandle`]
//! (never blocking); [`EngineEvent`]s come out, each with what a face needs to draw it, and
//! every event calls the `wake` function the face passed in (the window: `request_repaint`).
//! The engine's own loop never waits on the network: connecting, transferring, listing and
//! keeping idle sessions alive all run as tasks of their own. Transient failures (timeouts,
//! resets, 4xx) retry with backoff and resume; permanent ones fail the item with the
//! server's reply.

mod browse;
pub mod checksum;
mod core;
pub mod item;
mod job;
pub mod persist;
pub mod queue;
mod search;
pub mod sync;
pub mod tree;
pub mod walk;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use browse::{RemoteOp, RequestId};
pub use item::{
    Direction, ExistsPolicy, Expected, Item, ItemId, ItemKind, ItemState, Priority, TransferMode,
    TransferSpec, TreeFilters,
};
pub use queue::Counts;

pub use crate::transfer::ExistingTarget;

use crate::log::{ConnId, LogLine};
use crate::remote::{Capabilities, RemoteError, Server, ServerKey, StoredServer};

/// What a face asks of the engine.
#[derive(Debug)]
pub enum EngineCommand {
    Enqueue(Vec<TransferSpec>),
    /// Start or stop taking new items from the queue (running ones finish).
    ProcessQueue(bool),
    /// New settings (Edit > Settings, a site's own limits): parallel transfers, attempts,
    /// speed limits, keep-alive, transfer mode. Running transfers finish as they started.
    Configure(EngineSettings),
    /// How the files that start from now on travel (binary, ASCII, or by extension).
    SetTransferMode(TransferMode),
    /// Stop an item: a queued one leaves the queue, a running one is interrupted. It goes to
    /// the Failed list as cancelled. A transfer whose data is flowing is stopped cleanly
    /// where the protocol can (FTP: ABOR) and its session goes back to the pool; one that
    /// is not (connecting, listing, or a server that leaves ABOR unanswered) loses its
    /// session, and the next item opens a new one.
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
    /// The answer "rename" with the name the user typed: the item's target gets that file
    /// name (in the same folder) and the item runs again, asking again if that exists too.
    AnswerRename {
        item: ItemId,
        name: String,
    },
    /// A listing or a remote file operation on the server's browsing session; answered by
    /// `EngineEvent::Listing`, `EngineEvent::Checksums` (`RemoteOp::Checksums`),
    /// `EngineEvent::RawReply` (`RemoteOp::Raw`) or
    /// `EngineEvent::RemoteDone` with the same request id.
    Remote {
        request: RequestId,
        server: Arc<Server>,
        op: RemoteOp,
    },
    /// A fresh logon to a server (the password, the certificates trusted): items of that
    /// server still in the queue, such as those restored from the queue file (which holds
    /// no passwords), use these settings from now on.
    UpdateServer(Arc<Server>),
    /// Forget a server the face disconnected from: its browsing session and its idle pooled
    /// sessions close. Running transfers go on.
    Disconnect(Arc<Server>),
    /// Diagnose the data connections to a server (`crate::diagnose`) on connections of its
    /// own; the report comes back through `reply` (`None`: the protocol has no such
    /// choices), the attempts' lines going to the log meanwhile.
    Diagnose {
        server: Arc<Server>,
        options: crate::diagnose::DiagnoseOptions,
        reply: oneshot::Sender<Option<Arc<crate::diagnose::Diagnosis>>>,
    },
    /// The queue's unfinished items (queued, running, failed) as the queue file keeps them,
    /// without passwords, through `reply`: a face writes them where the user chose
    /// (`persist::export`), off the engine.
    ExportQueue {
        reply: oneshot::Sender<Vec<persist::StoredItem>>,
    },
    /// Items read from an exported queue file (`persist::load`), added as queued. Their
    /// servers get their passwords as a restored queue's do: from a server of the same login
    /// already in the queue (one the face logged on to), else `EngineConfig::password_lookup`
    /// (the saved sites), else none, and then the logon asks (or fails) until the face sends
    /// `UpdateServer`. The number added comes back through `reply`.
    ImportQueue {
        items: Vec<persist::StoredItem>,
        reply: oneshot::Sender<usize>,
    },
    /// Close idle sessions and end the engine task.
    Shutdown,
}

/// What a session of the engine is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRole {
    /// The one session per server that lists and runs remote operations for a face.
    Browsing,
    /// One of the queue's sessions.
    Transfer,
}

/// Where a session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    /// Logged on; what the server offers (security, features, its home folder).
    LoggedOn(Arc<Capabilities>),
    /// Closed: `None` when asked to (Disconnect, Shutdown), else why.
    Disconnected {
        reason: Option<RemoteError>,
    },
}

/// What the engine tells its face.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    Log(LogLine),
    /// A session's state changed.
    Connection {
        server: ServerKey,
        conn: ConnId,
        role: SessionRole,
        state: ConnectionState,
    },
    ItemAdded {
        id: ItemId,
        /// The item's server (shared, not copied): the window's queue names it (one queue,
        /// several tabs).
        server: Arc<Server>,
        direction: Direction,
        kind: ItemKind,
        local: PathBuf,
        remote: Vec<u8>,
        size: Option<u64>,
    },
    /// An item's target got another file name (`EngineCommand::AnswerRename`).
    ItemRenamed {
        id: ItemId,
        local: PathBuf,
        remote: Vec<u8>,
    },
    ItemChanged {
        id: ItemId,
        state: ItemState,
        attempts: u32,
        /// Why it failed, is retrying or was skipped.
        error: Option<RemoteError>,
        bytes_done: u64,
    },
    /// The target of an item exists and its policy is to ask: the item waits for
    /// `EngineCommand::Answer`, other items go on.
    Question {
        id: ItemId,
        direction: Direction,
        local: PathBuf,
        remote: Vec<u8>,
        existing: ExistingTarget,
    },
    /// Bytes done of every running item, at most four times a second in one event.
    Progress(Vec<ItemProgress>),
    /// Nothing queued or running any more.
    Idle(Counts),
    /// A directory listing: the directory's real path and its entries.
    Listing {
        request: RequestId,
        path: Vec<u8>,
        entries: Arc<[crate::proto::listing::Entry]>,
    },
    /// The answer to `RemoteOp::Checksums`: the server's checksums of the files named, or
    /// why it computes none (`ErrorKind::Unsupported`) or the session failed.
    Checksums {
        request: RequestId,
        result: Result<Arc<checksum::RemoteChecksums>, RemoteError>,
    },
    /// What a search (`RemoteOp::Search`) found in one folder, sent as soon as the folder
    /// was listed: its entries found, named by their full paths (none found: empty), or why
    /// the folder could not be listed (the search goes on). `RemoteDone` ends the search.
    SearchFound {
        request: RequestId,
        folder: Vec<u8>,
        result: Result<Arc<[crate::proto::listing::Entry]>, RemoteError>,
    },
    /// The answer to `RemoteOp::Raw`: the server's final reply, whatever its code (every
    /// line of it is in the log too), or why nothing was sent (SFTP, a line break in it).
    RawReply {
        request: RequestId,
        result: Result<crate::remote::RawReply, RemoteError>,
    },
    /// A remote operation finished (or failed to list). An untrusted certificate's details
    /// are in the error (`RemoteError::untrusted_certificate`), for a face to show and ask.
    RemoteDone {
        request: RequestId,
        result: Result<(), RemoteError>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemProgress {
    pub id: ItemId,
    pub bytes_done: u64,
    pub size: Option<u64>,
}

/// Finds the password of a server restored from the queue file (which holds none).
pub type PasswordLookup = Arc<dyn Fn(&StoredServer) -> Option<crate::secret::Secret> + Send + Sync>;

/// What the engine runs with; changed at run time with `EngineCommand::Configure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// Transfers at once (1 to 10, as FileZilla).
    pub parallel: usize,
    /// Attempts per item before it fails (transient errors only).
    pub max_attempts: u32,
    /// The first retry waits this long; each further one twice as long (at most 30 s).
    pub first_backoff: Duration,
    /// Speed limits, bytes per second, shared by all transfers of a direction.
    pub download_limit: Option<u64>,
    pub upload_limit: Option<u64>,
    /// How long a pooled session may idle before a keep-alive (FTP: NOOP).
    pub keep_alive: Duration,
    /// Binary (the default), ASCII, or by the file's extension.
    pub transfer_mode: TransferMode,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            parallel: 2,
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
            download_limit: None,
            upload_limit: None,
            keep_alive: Duration::from_secs(30),
            transfer_mode: TransferMode::default(),
        }
    }
}

/// How the engine starts.
#[derive(Clone)]
pub struct EngineConfig {
    pub settings: EngineSettings,
    /// Where the queue is kept between runs (`None`: not kept).
    pub queue_file: Option<PathBuf>,
    /// Passwords for restored items.
    pub password_lookup: Option<PasswordLookup>,
    /// Take items from the queue at once (the CLI); the window starts stopped, so a queue
    /// restored from the last run waits for "Process queue", as in FileZilla.
    pub start_processing: bool,
    /// Send every connection's log lines as `EngineEvent::Log` (the window's log pane). The
    /// CLI writes its log from the session's own sink and says no: a line per command and
    /// reply was most of the events it woke for, several per small file.
    pub log_events: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            settings: EngineSettings::default(),
            queue_file: None,
            password_lookup: None,
            start_processing: true,
            log_events: true,
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
    // change, no per-chunk events, progress coalesced), so neither channel needs backpressure.
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let emitter = core::Emitter::new(event_tx, wake, config.log_events);
    core::start(config, emitter, command_rx);
    (
        EngineHandle {
            commands: command_tx,
        },
        event_rx,
    )
}
