//! The queue on disk: it survives a restart or a crash. Written atomically (temp file, fsync,
//! rename) after every batch of changes; no password is ever in it. On load, items that were
//! running or waiting to retry come back queued, and their `.part` files let them resume.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::item::{Direction, ExistsPolicy, ItemKind, ItemState, Priority, TransferSpec};
use crate::net::tls::TlsMode;
use crate::net::{ConnectOptions, Credentials, DataMode, DataSettings, PortRange};
use crate::proto::charset::Charset;

const VERSION: u32 = 1;

/// A server as stored: everything but secrets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StoredServer {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub tls: String,
    pub mode: DataMode,
    pub port_range: Option<PortRange>,
    pub external_ip: Option<std::net::IpAddr>,
    pub charset: String,
}

impl StoredServer {
    pub fn from_options(options: &ConnectOptions) -> Self {
        Self {
            host: options.host.clone(),
            port: options.port,
            user: options.credentials.user.clone(),
            tls: match options.tls.mode {
                TlsMode::None => "none",
                TlsMode::Explicit => "explicit",
                TlsMode::Implicit => "implicit",
                TlsMode::ExplicitIfAvailable => "explicit-if-available",
            }
            .to_owned(),
            mode: options.data.mode,
            port_range: options.data.active_port_range,
            external_ip: options.data.external_ip,
            charset: options.charset.name().to_owned(),
        }
    }

    /// Options to connect with again; the password comes from the caller (keyring, prompt).
    pub fn to_options(&self, password: Option<crate::secret::Secret>) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.host.clone(), self.port);
        options.credentials = Credentials {
            user: self.user.clone(),
            password,
            account: None,
        };
        options.tls.mode = match self.tls.as_str() {
            "explicit" => TlsMode::Explicit,
            "implicit" => TlsMode::Implicit,
            "explicit-if-available" => TlsMode::ExplicitIfAvailable,
            _ => TlsMode::None,
        };
        options.data = DataSettings {
            mode: self.mode,
            active_port_range: self.port_range,
            external_ip: self.external_ip,
            ..DataSettings::default()
        };
        options.charset = Charset::from_name(&self.charset).unwrap_or_default();
        options
    }
}

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
        last_error: Option<&str>,
    ) -> Self {
        Self {
            direction: spec.direction,
            kind: spec.kind,
            local: spec.local.clone(),
            remote_hex: hex::encode(&spec.remote),
            server: StoredServer::from_options(&spec.server),
            size: spec.size,
            priority: spec.priority,
            exists: spec.exists,
            state: state.clone(),
            attempts,
            last_error: last_error.map(str::to_owned),
        }
    }

    /// The item as a spec again, with `server` built by the caller (it adds the password
    /// and the log sink).
    pub fn to_spec(&self, server: Arc<ConnectOptions>) -> Option<TransferSpec> {
        Some(TransferSpec {
            direction: self.direction,
            kind: self.kind,
            local: self.local.clone(),
            remote: hex::decode(&self.remote_hex).ok()?,
            server,
            size: self.size,
            priority: self.priority,
            exists: self.exists,
        })
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
    crate::sites::write_atomically(path, &bytes).map_err(|source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The default queue file under the data dir from `directories`.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "skiff").map(|d| d.data_dir().join("queue.json"))
}
