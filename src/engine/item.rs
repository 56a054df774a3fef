//! What the queue holds: one transfer item, FileZilla's way (direction, local and remote
//! path, server, size, priority, state, attempts, last error, bytes done).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::proto::charset::Charset;
use crate::remote::{DataType, RemoteError, Server};
pub use crate::transfer::{ExistsPolicy, Expected};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ItemId(pub u64);

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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

/// How file contents travel, as FileZilla's Transfer > Transfer type: as they are (binary,
/// TYPE I: the default, byte-identical), as text with line endings converted (ASCII,
/// TYPE A), or chosen by the file's extension (auto: text formats in ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TransferMode {
    #[default]
    Binary,
    Ascii,
    Auto,
}

/// Extensions that "auto" sends as text (FileZilla's default list, abridged).
const TEXT_EXTENSIONS: &[&str] = &[
    "asp", "bat", "c", "cfg", "cgi", "conf", "cpp", "css", "csv", "h", "hpp", "htm", "html", "ini",
    "java", "js", "json", "jsp", "md", "nfo", "php", "pl", "py", "sh", "sql", "svg", "tcl", "txt",
    "xhtml", "xml", "yaml", "yml",
];

impl TransferMode {
    /// How a file named `name` (server bytes) travels.
    pub fn for_file(self, name: &[u8]) -> DataType {
        match self {
            TransferMode::Binary => DataType::Binary,
            TransferMode::Ascii => DataType::Text,
            TransferMode::Auto => {
                let name = crate::proto::path::file_name(name);
                let ext = name
                    .iter()
                    .rposition(|&b| b == b'.')
                    .filter(|&dot| dot > 0)
                    .map(|dot| name[dot + 1..].to_ascii_lowercase());
                match ext {
                    Some(ext) if TEXT_EXTENSIONS.iter().any(|t| t.as_bytes() == ext) => {
                        DataType::Text
                    }
                    _ => DataType::Binary,
                }
            }
        }
    }
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
    pub server: Arc<Server>,
    pub size: Option<u64>,
    pub priority: Priority,
    pub exists: ExistsPolicy,
    /// The target did not exist when the tree was expanded: its folder was just created,
    /// or listed without it. The upload then skips asking the server about it (a SIZE per
    /// file). Only a tree's expansion knows this; everything else says `false`.
    pub target_absent: bool,
    /// A recursive transfer's filename filters, with the folder they are relative to (the
    /// tree's root); `None`: every entry.
    pub filters: Option<Arc<TreeFilters>>,
    /// A sync's step (or a View/Edit upload): what the source and the target were when its
    /// plan was made. The transfer checks both first, and fails as `ErrorKind::Changed` if
    /// either moved on. Boxed: most items have none, and a queue holds 100,000 items.
    pub expect: Option<Box<Expected>>,
}

/// Filters of one recursive transfer (`--exclude`, `--include`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFilters {
    pub filters: crate::folder_sync::Filters,
    /// The remote folder the user chose: patterns are matched below it.
    pub root: Vec<u8>,
}

impl TreeFilters {
    /// Whether the entry `name` of the folder at remote path `folder` is taken; `known`:
    /// what its listing says of it (rules on sizes, times and attributes look there).
    pub fn takes(
        &self,
        folder: &[u8],
        name: &[u8],
        known: &crate::folder_sync::Known,
        charset: Charset,
    ) -> bool {
        let below = folder.strip_prefix(self.root.as_slice()).unwrap_or(folder);
        let below = charset.decode(below);
        let name = charset.decode(name);
        let relative = format!("{}/{name}", below.trim_matches('/'));
        self.filters.takes_known(&relative, known)
    }
}

impl TransferSpec {
    /// The local and remote paths with the target's file name replaced by `name`, as the
    /// user typed it (the file-exists dialog's Rename); the source stays. Refused when
    /// `name` is not one safe name (`local::typed_name_problem`) or the server's charset
    /// cannot spell it.
    pub fn renamed(&self, name: &str) -> Result<(PathBuf, Vec<u8>), String> {
        let download = self.direction == Direction::Download;
        if let Some(why) = crate::local::typed_name_problem(name, download) {
            return Err(why.to_owned());
        }
        if download {
            return Ok((self.local.with_file_name(name), self.remote.clone()));
        }
        let bytes = crate::local::remote_name(std::ffi::OsStr::new(name), self.server.charset)
            .map_err(|e| e.to_string())?;
        let dir = crate::proto::path::parent(&self.remote);
        Ok((self.local.clone(), crate::proto::path::join(dir, &bytes)))
    }
}

/// FileZilla's three lists, plus the states an item passes through on the way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemState {
    Queued,
    Running,
    /// Parked until the user answers a question (the target exists).
    AwaitingAnswer,
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
    pub last_error: Option<RemoteError>,
    pub bytes_done: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_mode_sends_text_formats_as_ascii_and_the_rest_as_binary() {
        use DataType as D;
        let auto = TransferMode::Auto;
        assert_eq!(auto.for_file(b"/www/index.HTML"), D::Text);
        assert_eq!(auto.for_file(b"notes.txt"), D::Text);
        assert_eq!(auto.for_file(b"/pub/photo.jpg"), D::Binary);
        assert_eq!(auto.for_file(b"/etc/.txt"), D::Binary, "a dotfile");
        assert_eq!(auto.for_file(b"Makefile"), D::Binary);
        assert_eq!(TransferMode::Ascii.for_file(b"x.jpg"), D::Text);
        assert_eq!(TransferMode::default().for_file(b"x.txt"), D::Binary);
    }
}
