//! What the queue holds: one transfer item, FileZilla's way (direction, local and remote
//! path, server, size, priority, state, attempts, last error, bytes done).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::local::MAX_NAME_BYTES;
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

/// What to do when the target of a transfer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ExistsPolicy {
    /// Fail the item with a clear error (the CLI's default; the GUI asks instead).
    #[default]
    Refuse,
    /// Park the item and send a question; other items go on.
    Ask,
    Overwrite,
    /// Overwrite only when the source is newer than the target.
    OverwriteIfNewer,
    /// Overwrite only when the sizes differ.
    OverwriteIfSizeDiffers,
    /// Continue from the target's size.
    Resume,
    /// Transfer under a free name: `name (1).ext`.
    Rename,
    Skip,
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
    /// The FTP transfer type for a file named `name` (server bytes).
    pub fn for_file(self, name: &[u8]) -> crate::proto::command::TransferType {
        use crate::proto::command::TransferType;
        match self {
            TransferMode::Binary => TransferType::Binary,
            TransferMode::Ascii => TransferType::Ascii,
            TransferMode::Auto => {
                let name = crate::proto::path::file_name(name);
                let ext = name
                    .iter()
                    .rposition(|&b| b == b'.')
                    .filter(|&dot| dot > 0)
                    .map(|dot| name[dot + 1..].to_ascii_lowercase());
                match ext {
                    Some(ext) if TEXT_EXTENSIONS.iter().any(|t| t.as_bytes() == ext) => {
                        TransferType::Ascii
                    }
                    _ => TransferType::Binary,
                }
            }
        }
    }
}

/// `name (n).ext` for the n-th alternative to a taken name (`archive.tar.gz` keeps its
/// whole extension after the first dot of a non-leading part: `archive (1).tar.gz`). A name
/// near the 255-byte limit loses the end of its stem so that the result still fits.
pub fn numbered_name(name: &[u8], n: u32) -> Vec<u8> {
    let number = format!(" ({n})");
    let dot = name.iter().skip(1).position(|&b| b == b'.').map(|p| p + 1);
    let (stem, ext) = match dot {
        // An "extension" that leaves no room for a stem is part of the stem.
        Some(at) if name.len() - at + number.len() < MAX_NAME_BYTES => name.split_at(at),
        _ => (name, &[][..]),
    };
    crate::local::fit_name(stem, &[number.as_bytes(), ext].concat(), MAX_NAME_BYTES)
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
    pub last_error: Option<String>,
    pub bytes_done: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_mode_sends_text_formats_as_ascii_and_the_rest_as_binary() {
        use crate::proto::command::TransferType;
        let auto = TransferMode::Auto;
        assert_eq!(auto.for_file(b"/www/index.HTML"), TransferType::Ascii);
        assert_eq!(auto.for_file(b"notes.txt"), TransferType::Ascii);
        assert_eq!(auto.for_file(b"/pub/photo.jpg"), TransferType::Binary);
        assert_eq!(
            auto.for_file(b"/etc/.txt"),
            TransferType::Binary,
            "a dotfile"
        );
        assert_eq!(auto.for_file(b"Makefile"), TransferType::Binary);
        assert_eq!(TransferMode::Ascii.for_file(b"x.jpg"), TransferType::Ascii);
        assert_eq!(
            TransferMode::default().for_file(b"x.txt"),
            TransferType::Binary
        );
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name(b"report.pdf", 1), b"report (1).pdf");
        assert_eq!(numbered_name(b"archive.tar.gz", 2), b"archive (2).tar.gz");
        assert_eq!(numbered_name(b"README", 1), b"README (1)");
        assert_eq!(numbered_name(b".bashrc", 1), b".bashrc (1)");
        // At the limit the stem gives way, the number and extension stay.
        let long = [vec![b'n'; 251], b".txt".to_vec()].concat();
        let numbered = numbered_name(&long, 12);
        assert_eq!(numbered.len(), 255);
        assert!(numbered.ends_with(b"n (12).txt"));
        let dotted = [b"a.".to_vec(), vec![b'e'; 253]].concat();
        assert_eq!(numbered_name(&dotted, 1).len(), 255);
        assert!(numbered_name(&dotted, 1).ends_with(b" (1)"));
    }
}
