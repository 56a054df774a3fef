//! The queue on disk: it survives a restart or a crash. Written atomically (temp file, fsync,
//! rename) after every batch of changes; no password is ever in it. On load, items that were
//! running or waiting to retry come back queued, and their `.part` files let them resume.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::item::{
    Direction, ExistsPolicy, Expected, ItemKind, ItemState, Priority, TransferSpec, TreeFilters,
};
use crate::folder_sync::{Filters, Patterns};
use crate::remote::{ErrorKind, RemoteError, Server, StoredServer};

const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredItem {
    pub direction: Direction,
    pub kind: ItemKind,
    pub local: PathBuf,
    /// Server bytes, hex-encoded (names need not be UTF-8).
    pub remote_hex: String,
    pub server: StoredServer,
    pub size: Option<u64>,
    pub priority: Priority,
    pub exists: ExistsPolicy,
    pub state: ItemState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The kind of `last_error` (files from before it was kept have none).
    #[serde(default)]
    pub last_error_kind: Option<ErrorKind>,
    /// A recursive transfer's filters (absent: none, as in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<StoredFilters>,
    /// A sync step's expectations, so a restart does not turn it into a blind overwrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Box<Expected>>,
}

/// `TreeFilters` as kept: the patterns, and the root folder's bytes hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFilters {
    pub patterns: Patterns,
    pub root_hex: String,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct QueueFile {
    pub version: u32,
    pub items: Vec<StoredItem>,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read the queue file: {source}: {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the queue file is damaged or from a newer Skiff ({reason}); it was left alone: {}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("cannot save the queue: {source}: {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoredItem {
    pub fn new(
        spec: &TransferSpec,
        state: &ItemState,
        attempts: u32,
        last_error: Option<&RemoteError>,
    ) -> Self {
        Self {
            direction: spec.direction,
            kind: spec.kind,
            local: spec.local.clone(),
            remote_hex: hex::encode(&spec.remote),
            server: StoredServer::new(&spec.server),
            size: spec.size,
            priority: spec.priority,
            exists: spec.exists,
            state: state.clone(),
            attempts,
            last_error: last_error.map(|e| e.message().to_owned()),
            last_error_kind: last_error.map(RemoteError::kind),
            filters: spec.filters.as_ref().map(|f| StoredFilters {
                patterns: f.filters.patterns().clone(),
                root_hex: hex::encode(&f.root),
            }),
            expect: spec.expect.clone(),
        }
    }

    /// The item as a spec again, with `server` built by the caller (it adds the password
    /// and the log sink).
    pub fn to_spec(&self, server: Arc<Server>) -> Option<TransferSpec> {
        let filters = match &self.filters {
            None => None,
            Some(stored) => Some(Arc::new(TreeFilters {
                filters: Filters::new(stored.patterns.clone()).ok()?,
                root: hex::decode(&stored.root_hex).ok()?,
            })),
        };
        Some(TransferSpec {
            direction: self.direction,
            kind: self.kind,
            local: self.local.clone(),
            remote: hex::decode(&self.remote_hex).ok()?,
            server,
            size: self.size,
            priority: self.priority,
            exists: self.exists,
            target_absent: false,
            filters,
            expect: self.expect.clone(),
        })
    }

    /// The last error as it was kept.
    pub fn last_error(&self) -> Option<RemoteError> {
        let text = self.last_error.as_ref()?;
        Some(RemoteError::new(
            self.last_error_kind.unwrap_or(ErrorKind::Refused),
            text.clone(),
        ))
    }

    /// Interrupted work goes back to the queue (and resumes from its `.part`).
    pub fn state_after_restart(&self) -> ItemState {
        match self.state {
            ItemState::Running | ItemState::Retrying => ItemState::Queued,
            ref other => other.clone(),
        }
    }
}

/// Reads the queue file; a missing file is an empty queue.
pub fn load(path: &Path) -> Result<QueueFile, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(QueueFile::default()),
        Err(source) => {
            return Err(PersistError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let file: QueueFile = serde_json::from_slice(&bytes).map_err(|e| PersistError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if file.version > VERSION {
        return Err(PersistError::Unreadable {
            path: path.to_path_buf(),
            reason: format!("version {}", file.version),
        });
    }
    Ok(file)
}

pub fn save(path: &Path, items: Vec<StoredItem>) -> Result<(), PersistError> {
    let file = QueueFile {
        version: VERSION,
        items,
    };
    let bytes = serde_json::to_vec(&file).unwrap_or_default();
    crate::local::write_atomically(path, &bytes).map_err(|source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes exported items (`EngineCommand::ExportQueue`) where the user chose: the queue
/// file's own format, so no password is in it either.
pub fn export(path: &Path, items: Vec<StoredItem>) -> Result<usize, PersistError> {
    let count = items.len();
    save(path, items)?;
    Ok(count)
}

/// The default queue file under the data dir from `directories`.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "skiff").map(|d| d.data_dir().join("queue.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_sync::Node;
    use crate::proto::listing::{EntryKind, Timestamp};

    #[test]
    fn a_sync_step_keeps_its_filters_and_expectations_across_a_restart() {
        let filters = Filters::new(Patterns {
            exclude: vec!["*.log".into()],
            include: vec!["*.php".into()],
            ignore_case: true,
            rules: vec![],
        })
        .unwrap();
        let seen = Node {
            kind: EntryKind::File,
            size: Some(42),
            modified: Some(Timestamp::from_unix_secs(1_764_930_000)),
        };
        let spec = TransferSpec {
            direction: Direction::Upload,
            kind: ItemKind::File,
            local: "/home/me/site/a.php".into(),
            remote: b"/www/a.php".to_vec(),
            server: Arc::new(Server::ftp("127.0.0.1", 21)),
            size: Some(42),
            priority: Priority::Normal,
            exists: ExistsPolicy::Overwrite,
            target_absent: false,
            filters: Some(Arc::new(TreeFilters {
                filters,
                root: b"/www".to_vec(),
            })),
            expect: Some(Box::new(Expected {
                source: seen,
                target: None,
                since: crate::transfer::Since::Opened,
            })),
        };
        let stored = StoredItem::new(&spec, &ItemState::Queued, 0, None);
        let text = serde_json::to_string(&stored).unwrap();
        let back: StoredItem = serde_json::from_str(&text).unwrap();
        let restored = back.to_spec(Arc::clone(&spec.server)).unwrap();
        assert_eq!(restored.filters, spec.filters);
        assert_eq!(restored.expect, spec.expect);
        // An item from before filters and expectations has neither.
        let old = text
            .replace(
                &format!(
                    ",\"filters\":{}",
                    serde_json::to_string(&stored.filters).unwrap()
                ),
                "",
            )
            .replace(
                &format!(
                    ",\"expect\":{}",
                    serde_json::to_string(&stored.expect).unwrap()
                ),
                "",
            );
        assert!(!old.contains("filters") && !old.contains("expect"), "{old}");
        let older: StoredItem = serde_json::from_str(&old).unwrap();
        assert_eq!(
            older.to_spec(Arc::clone(&spec.server)).unwrap().expect,
            None
        );
    }

    /// An upload with a password on its server, for the export round trip.
    fn upload_with_password(name: &str) -> TransferSpec {
        let mut server = Server::ftp("127.0.0.1", 2121);
        server.credentials.user = Some("bob".into());
        server.credentials.password = Some(crate::secret::Secret::new("hunter2-secret"));
        if let Some(ftp) = server.ftp_settings_mut() {
            ftp.post_logon_commands = vec!["SITE UMASK 002".into()];
        }
        TransferSpec {
            direction: Direction::Upload,
            kind: ItemKind::File,
            local: format!("/home/bob/{name}").into(),
            remote: format!("/www/{name}").into_bytes(),
            server: Arc::new(server),
            size: Some(3),
            priority: Priority::High,
            exists: ExistsPolicy::Overwrite,
            target_absent: false,
            filters: None,
            expect: None,
        }
    }

    #[tokio::test]
    async fn an_exported_queue_imports_its_items_with_no_password_in_the_file() {
        use crate::engine::{EngineCommand, EngineConfig, EngineEvent, spawn};
        let idle = EngineConfig {
            start_processing: false,
            ..EngineConfig::default()
        };
        let (engine, _events) = spawn(idle.clone(), Arc::new(|| {}));
        let specs = vec![
            upload_with_password("a.txt"),
            upload_with_password("b c.txt"),
        ];
        engine.send(EngineCommand::Enqueue(specs));
        let (reply, exported) = tokio::sync::oneshot::channel();
        engine.send(EngineCommand::ExportQueue { reply });
        let exported = exported.await.unwrap();
        assert_eq!(exported.len(), 2);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("queue-export.json");
        assert_eq!(export(&file, exported).unwrap(), 2);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("SITE UMASK 002"), "{text}");

        // Another engine, whose saved sites know the password.
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&asked);
        let lookup: crate::engine::PasswordLookup = Arc::new(move |stored: &StoredServer| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (stored.user.as_deref() == Some("bob"))
                .then(|| crate::secret::Secret::new("from the password store"))
        });
        let (other, mut events) = spawn(
            EngineConfig {
                password_lookup: Some(lookup),
                ..idle
            },
            Arc::new(|| {}),
        );
        let (reply, added) = tokio::sync::oneshot::channel();
        other.send(EngineCommand::ImportQueue {
            items: load(&file).unwrap().items,
            reply,
        });
        assert_eq!(added.await.unwrap(), 2);
        // Once for the one server both items share.
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        let mut remotes = Vec::new();
        while remotes.len() < 2 {
            if let Some(EngineEvent::ItemAdded { remote, local, .. }) = events.recv().await {
                remotes.push((String::from_utf8(remote).unwrap(), local));
            }
        }
        assert_eq!(
            remotes,
            [
                ("/www/a.txt".to_owned(), PathBuf::from("/home/bob/a.txt")),
                (
                    "/www/b c.txt".to_owned(),
                    PathBuf::from("/home/bob/b c.txt")
                ),
            ]
        );
        let (reply, again) = tokio::sync::oneshot::channel();
        other.send(EngineCommand::ExportQueue { reply });
        let again = again.await.unwrap();
        assert!(again.iter().all(|i| i.state == ItemState::Queued));
        assert_eq!(
            again[0].server,
            StoredServer::new(&upload_with_password("a").server)
        );
    }
}
