//! What the queue holds: one transfer item, FileZilla's way (direction, local and remote
//! path, server, size, priority, state, attempts, last error, bytes done).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::net::ConnectOptions;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ItemId(pub u64);

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    Download,
    Upload,
}

/// Five levels, as FileZilla: the queue runs higher priorities first, FIFO within one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Priority {
    Lowest,
    Low,
    #[default]
    Normal,
    High,
    Highest,
}

/// What to do when the target of a transfer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ExistsPolicy {
    /// Fail the item with a clear error (the CLI's default; the GUI asks instead).
    #[default]
    Refuse,
    Overwrite,
    /// Overwrite only when the source is newer than the target.
    OverwriteIfNewer,
    /// Continue from the target's size.
    Resume,
    Skip,
}

/// A file, or a directory whose contents are transferred (expanded when it runs, so a huge
/// tree starts at once and only the frontier is in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemKind {
    File,
    DirectoryContents,
}

/// Everything needed to run one transfer.
#[derive(Debug, Clone)]
pub struct TransferSpec {
    pub direction: Direction,
    pub kind: ItemKind,
    pub local: PathBuf,
    /// Server bytes.
    pub remote: Vec<u8>,
    pub server: Arc<ConnectOptions>,
    pub size: Option<u64>,
    pub priority: Priority,
    pub exists: ExistsPolicy,
}

/// FileZilla's three lists, plus the states an item passes through on the way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemState {
    Queued,
    Running,
    /// Waiting out a backoff before the next attempt.
    Retrying,
    Failed,
    Successful,
    Skipped,
}

impl ItemState {
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            ItemState::Failed | ItemState::Successful | ItemState::Skipped
        )
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: ItemId,
    pub spec: TransferSpec,
    pub state: ItemState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub bytes_done: u64,
}
