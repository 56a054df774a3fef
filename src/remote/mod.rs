//! The protocol seam: the one way the engine reaches a server.
//!
//! The engine, the transfer layer, the CLI and the window drive a server only through
//! [`RemoteSession`]: connect and log on ([`connect`]), list, stat, read a file from an
//! offset, write one from an offset or append to it, mkdir, rmdir, delete, rename, chmod,
//! set a modified time, a raw command where the protocol has one, and what the server offers
//! ([`Capabilities`]). Errors are [`RemoteError`]s: a kind, the server's reply, a sentence.
//!
//! FTP and FTPS implement it in `remote::ftp` over `crate::net`; SFTP in `remote::sftp` over
//! `crate::sftp`, without touching the engine, the queue or the window. No FTP
//! type is seen above this module: data-connection mode, port range, external IP, EPSV and
//! TLS travel inside [`Protocol::Ftp`] as settings of the site, read only by `remote::ftp`.
//!
//! Bulk data does not pass through the caller's hands chunk by chunk as return values: a
//! read pushes into a [`Sink`] and a write pulls from a [`Source`], so each protocol moves
//! bytes its own best way (FTP: one data connection and large reads; SFTP: many requests in
//! flight) while `.part` files, resume, speed limits and progress stay above the seam.

mod error;
mod ftp;
mod server;
mod sftp;

use std::time::Duration;

pub use error::{CertificateIssue, ErrorKind, HostKeyIssue, RemoteError, RetryClass, ServerReply};
pub use server::{FtpSettings, Protocol, Server, ServerKey, StoredServer};

use crate::cancel::Cancel;
use crate::log::LogSink;
use crate::net::tls::CertInfo;
use crate::proto::charset::Charset;
use crate::proto::hash::{Algorithm, Digest};
use crate::proto::listing::{Entry, Timestamp};

/// How file contents travel: as they are, or as text whose line endings the protocol
/// converts (FTP's TYPE A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataType {
    #[default]
    Binary,
    Text,
}

/// Where a write starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAt {
    /// Create the file, or replace it.
    Start,
    /// Continue an existing file from this offset (its current size).
    Offset(u64),
    /// Add to the end of what is there.
    Append,
}

/// Which facts a [`RemoteSession::stat`] is asked for (each may cost a round trip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub size: bool,
    pub modified: bool,
}

impl Facts {
    pub const SIZE: Facts = Facts {
        size: true,
        modified: false,
    };
    pub const MODIFIED: Facts = Facts {
        size: false,
        modified: true,
    };
    pub const ALL: Facts = Facts {
        size: true,
        modified: true,
    };
}

/// What a stat found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStat {
    pub size: Option<u64>,
    /// UTC.
    pub modified: Option<Timestamp>,
}

/// How the connection is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// Nothing is encrypted: names, data and the password travel in the clear.
    None,
    /// TLS on the control connection (and, when `data` is set, on data connections).
    Tls {
        /// "TLSv1_3, TLS13_AES_256_GCM_SHA384".
        description: String,
        data: bool,
        /// The server's certificate.
        certificate: Option<CertInfo>,
    },
    /// SSH (SFTP): everything is encrypted.
    Ssh {
        /// The server's host key.
        host_key: crate::sftp::HostKeyInfo,
        /// It was recorded in a `known_hosts` file (not only trusted for this connection).
        known: bool,
        /// How the login was made ("password", "publickey, ~/.ssh/id_ed25519", ...).
        authentication: String,
    },
}

/// What the server offers, learned at logon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// "FTP", "FTPS".
    pub protocol: &'static str,
    pub security: Security,
    /// The server's own word for its system (FTP's SYST).
    pub system: Option<String>,
    /// The folder the server put the session in.
    pub home: Option<Vec<u8>>,
    /// Extensions the server announced (FTP's FEAT lines), for a face to show.
    pub features: Vec<String>,
    /// Names travel as UTF-8.
    pub utf8: bool,
    /// A write can continue a file from an offset.
    pub resume_upload: bool,
    /// Modification times can be set.
    pub set_modified: bool,
    /// The checksum the server computes of a file ([`RemoteSession::checksum`]), the
    /// strongest it offers; `None`: it offers none.
    pub checksum: Option<Algorithm>,
    /// How data connections are made (FTP: "passive (EPSV, then PASV)..."), for the log.
    pub data_connections: Option<String>,
}

/// Where a read's bytes go (the transfer layer: a `.part` file, a speed limit, progress).
#[async_trait::async_trait]
pub trait Sink: Send {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), RemoteError>;
}

/// Where a write's bytes come from (the transfer layer: a local file, a speed limit,
/// progress). `Ok(0)` is the end.
#[async_trait::async_trait]
pub trait Source: Send {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, RemoteError>;
}

/// A file to read.
pub struct ReadRequest<'a> {
    pub path: &'a [u8],
    /// Skip this many bytes (resuming).
    pub offset: u64,
    pub data_type: DataType,
    /// The bytes expected from `offset`, when known: sizes the buffers, and is the most the
    /// session takes: a server that sends more is stopped with `ErrorKind::SizeMismatch`.
    pub expected: Option<u64>,
    /// A cancel stops the transfer; the session stays usable when the protocol can stop a
    /// transfer cleanly (FTP: ABOR).
    pub cancel: Option<&'a Cancel>,
}

/// A file to write.
pub struct WriteRequest<'a> {
    pub path: &'a [u8],
    pub at: WriteAt,
    pub data_type: DataType,
    /// The bytes the source will give, when known: sizes the buffers.
    pub expected: Option<u64>,
    pub cancel: Option<&'a Cancel>,
}

/// A raw command's final reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub code: u16,
    pub text: String,
}

/// One logged-on session with a server. Each operation runs to its end before the next
/// starts (one at a time per session, as FileZilla does); the engine runs many sessions.
#[async_trait::async_trait]
pub trait RemoteSession: Send {
    /// What the server offers.
    fn capabilities(&self) -> &Capabilities;

    /// Where this session's message-log lines go.
    fn log(&self) -> &LogSink;

    /// The server's charset for names.
    fn charset(&self) -> Charset;

    /// The bound on each network step of this session.
    fn timeout(&self) -> Duration;

    /// Still worth keeping after the last operation: the connection is up and in step with
    /// the server. A session that is not is dropped, not pooled.
    fn is_usable(&self) -> bool;

    /// The server's own path for a folder (links resolved); `dir` empty: the current one.
    async fn real_path(&mut self, dir: &[u8]) -> Result<Vec<u8>, RemoteError>;

    /// A folder's entries (`dir` empty: the current one); `.` and `..` left out.
    async fn list(&mut self, dir: &[u8]) -> Result<Vec<Entry>, RemoteError>;

    /// Facts about a file; `None` when the server says there is no such file.
    async fn stat(&mut self, path: &[u8], facts: Facts) -> Result<Option<FileStat>, RemoteError>;

    /// Reads a file from an offset into `into`; the bytes that came over the wire.
    async fn read(
        &mut self,
        request: ReadRequest<'_>,
        into: &mut dyn Sink,
    ) -> Result<u64, RemoteError>;

    /// Writes a file from `from`; the bytes sent.
    async fn write(
        &mut self,
        request: WriteRequest<'_>,
        from: &mut dyn Source,
    ) -> Result<u64, RemoteError>;

    async fn mkdir(&mut self, path: &[u8]) -> Result<(), RemoteError>;

    async fn rmdir(&mut self, path: &[u8]) -> Result<(), RemoteError>;

    async fn delete(&mut self, path: &[u8]) -> Result<(), RemoteError>;

    async fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), RemoteError>;

    /// Sets the Unix permission bits (e.g. `0o644`).
    async fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), RemoteError>;

    /// Sets the modification time (UTC); `Ok(false)` when the server cannot.
    async fn set_modified(&mut self, path: &[u8], time: Timestamp) -> Result<bool, RemoteError>;

    /// The checksum of a whole file as the server computes it, in the algorithm
    /// `capabilities().checksum` names; `size` (when known) is the size it must cover. A
    /// server that offers none: `ErrorKind::Unsupported` ([`checksums_not_offered`]).
    async fn checksum(&mut self, path: &[u8], size: Option<u64>) -> Result<Digest, RemoteError> {
        let _ = (path, size);
        Err(checksums_not_offered(self.capabilities()))
    }

    /// A command as the user typed it, where the protocol has such commands.
    async fn raw(&mut self, command: &str) -> Result<RawReply, RemoteError> {
        let _ = command;
        Err(RemoteError::new(
            ErrorKind::Unsupported,
            format!(
                "{} has no raw commands: custom and post-logon commands are FTP's",
                self.capabilities().protocol
            ),
        ))
    }

    /// Keeps an idle session from being dropped by the server.
    async fn keep_alive(&mut self) -> Result<(), RemoteError>;

    /// Logs out and closes. Errors are ignored: the session is over either way.
    async fn quit(self: Box<Self>);
}

/// The error for a server that computes no checksums, naming what was looked for.
pub fn checksums_not_offered(capabilities: &Capabilities) -> RemoteError {
    let why = match capabilities.protocol {
        "SFTP" => "SFTP servers (OpenSSH's among them) compute no checksums".to_owned(),
        _ => format!(
            "the server offers no checksum command (its FEAT reply lists none of {})",
            crate::proto::hash::LOOKED_FOR
        ),
    };
    RemoteError::new(ErrorKind::Unsupported, why)
}

/// Runs a transfer's copy to its end, or stops it (`None`) as soon as the transfer is
/// cancelled: each protocol then stops the transfer its own way (FTP's ABOR, SFTP's CLOSE).
async fn unless_cancelled<T>(
    cancel: Option<&Cancel>,
    copy: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(cancel) = cancel else {
        return Some(copy.await);
    };
    tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        out = copy => Some(out),
    }
}

/// Connects to `server` and logs on.
pub async fn connect(server: &Server) -> Result<Box<dyn RemoteSession>, RemoteError> {
    match &server.protocol {
        Protocol::Ftp(_) => ftp::connect(server).await,
        Protocol::Sftp(ssh) => sftp::connect(server, ssh).await,
    }
}

/// Diagnoses `server`: FTP's data connections (`crate::diagnose`), or each step of an SFTP
/// logon (`crate::diagnose::sftp`).
pub async fn diagnose(
    server: &Server,
    options: crate::diagnose::DiagnoseOptions,
) -> Option<crate::diagnose::Diagnosis> {
    if let Some(ssh) = server.ssh_settings() {
        let report = crate::diagnose::sftp::run(
            &server.host,
            server.port,
            &server.credentials,
            ssh,
            options.attempt_timeout,
            &server.log,
        )
        .await;
        return Some(report);
    }
    let options_ftp = server.connect_options()?;
    Some(crate::diagnose::run(options_ftp, options).await)
}
