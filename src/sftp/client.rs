//! An SFTP session over any byte stream (an SSH channel's `sftp` subsystem in Skiff, a
//! scripted peer in tests): request ids, the message log, and pipelined reads and writes.
//!
//! A task reads the server's packets as they come, so the SSH connection never stalls
//! waiting for Skiff to read while Skiff waits to write (russh hands a channel's data to a
//! bounded queue). Requests go out in batches; a download keeps many READs in flight
//! (`pipeline::ReadPipeline`), an upload many WRITEs.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::codec::{self, Attrs, CodecError, Limits, NameEntry, Request, Response, StatusCode};
use super::host_keys::{self, HostKeyInfo, Verdict};
use super::pipeline::{PipelineError, ReadPipeline};
use crate::log::{LogKind, LogSink};

/// Bytes per READ or WRITE when the server does not say what it takes: the draft requires
/// servers to take packets of 34,000 bytes.
const DEFAULT_CHUNK: u32 = 32 * 1024;
/// The most per READ or WRITE even when a server takes more: OpenSSH's own limit.
const MAX_CHUNK: u32 = 255 * 1024;
/// Bytes in flight in a transfer: enough to fill a fast link's round trip, and the SSH
/// window Skiff opens (see `ssh`).
pub const BYTES_IN_FLIGHT: u32 = 8 * 1024 * 1024;
/// The most requests in flight (OpenSSH's `sftp` keeps 64).
const MAX_REQUESTS_IN_FLIGHT: usize = 64;
/// Packets read ahead of Skiff; never reached, since no more requests are in flight.
const READ_AHEAD_PACKETS: usize = 4 * MAX_REQUESTS_IN_FLIGHT;

/// What went wrong in an SFTP session.
#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("{during}: {code}{}", message_suffix(message))]
    Status {
        during: &'static str,
        code: StatusCode,
        message: String,
    },
    #[error("{during}: the server closed the connection")]
    Closed { during: &'static str },
    #[error("{during}: no answer from the server in {secs} s")]
    Timeout { during: &'static str, secs: u64 },
    #[error("{during}: {source}")]
    Io {
        during: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("{during}: the server answered out of step ({detail})")]
    OutOfStep {
        during: &'static str,
        detail: String,
    },
    #[error("the server speaks SFTP version {0}; Skiff speaks version 3")]
    Version(u32),
    #[error("{during}: {source}")]
    Pipeline {
        during: &'static str,
        source: PipelineError,
    },
    #[error("the folder has more than {0} entries, the most Skiff lists")]
    ListingTooLarge(usize),
    /// Resolving the host or connecting to it (the same steps as FTP's).
    #[error(transparent)]
    Connect(crate::net::FtpError),
    #[error("{during}: {message}")]
    Ssh {
        during: &'static str,
        message: String,
    },
    #[error("{}", host_key_message(key, verdict))]
    HostKey { key: HostKeyInfo, verdict: Verdict },
    #[error(
        "the server refused the login (it offers {}; tried: {})",
        list_or_none(offered),
        list_or_none(tried)
    )]
    Auth {
        offered: Vec<String>,
        tried: Vec<String>,
    },
    #[error("the server does not offer SFTP (the sftp subsystem was refused)")]
    NoSftp,
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

fn host_key_message(key: &HostKeyInfo, verdict: &Verdict) -> String {
    let host = host_keys::host_pattern(&key.host, key.port);
    match verdict {
        Verdict::Changed {
            known_fingerprint,
            at,
        } => format!(
            "WARNING: THE HOST KEY OF {host} HAS CHANGED: it is now {} {}, and {} line {} \
             records {known_fingerprint}. Someone may be listening in (a man-in-the-middle \
             attack), or the server's key was replaced; Skiff refused to connect",
            key.algorithm, key.fingerprint, at.file, at.line
        ),
        Verdict::Revoked(at) => format!(
            "the host key of {host} ({} {}) is marked revoked in {} line {}; Skiff refused \
             to connect",
            key.algorithm, key.fingerprint, at.file, at.line
        ),
        _ => format!(
            "the host key of {host} is not known yet: {} {}",
            key.algorithm, key.fingerprint
        ),
    }
}

fn message_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

impl SftpError {
    /// The connection is still in step after this error (a refusal), not broken.
    pub fn leaves_session_usable(&self) -> bool {
        matches!(
            self,
            SftpError::Status { .. } | SftpError::ListingTooLarge(_)
        )
    }
}

/// An error of a transfer: the session's, or the caller's own sink or source.
#[derive(Debug)]
pub enum Failed<E> {
    Sftp(SftpError),
    Caller(E),
}

impl<E> From<SftpError> for Failed<E> {
    fn from(err: SftpError) -> Self {
        Failed::Sftp(err)
    }
}

impl<E> From<CodecError> for Failed<E> {
    fn from(err: CodecError) -> Self {
        Failed::Sftp(SftpError::Codec(err))
    }
}

/// Where a download's bytes go, in file order.
#[async_trait::async_trait]
pub trait DataSink<E>: Send {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), E>;
}

/// Where an upload's bytes come from; `Ok(0)` is the end.
#[async_trait::async_trait]
pub trait DataSource<E>: Send {
    async fn fill(&mut self, buf: &mut [u8]) -> Result<usize, E>;
}

type Writer = Box<dyn AsyncWrite + Send + Unpin>;

pub struct SftpClient {
    writer: Writer,
    packets: mpsc::Receiver<Result<Vec<u8>, SftpError>>,
    reader: tokio::task::JoinHandle<()>,
    next_id: u32,
    extensions: Vec<(Vec<u8>, Vec<u8>)>,
    chunk: u32,
    /// Requests encoded and not yet written.
    out: Vec<u8>,
    log: LogSink,
    timeout: Duration,
}

impl Drop for SftpClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Reads packets off `reader` until it ends or a packet is malformed.
async fn read_packets(
    mut reader: impl AsyncRead + Send + Unpin,
    packets: mpsc::Sender<Result<Vec<u8>, SftpError>>,
) {
    loop {
        let mut prefix = [0u8; 4];
        let packet = match reader.read_exact(&mut prefix).await {
            Ok(_) => match codec::packet_len(prefix) {
                Ok(len) => {
                    let mut body = vec![0u8; len];
                    match reader.read_exact(&mut body).await {
                        Ok(_) => Ok(body),
                        Err(source) => Err(read_error(source)),
                    }
                }
                Err(err) => Err(SftpError::Codec(err)),
            },
            Err(source) => Err(read_error(source)),
        };
        let last = packet.is_err();
        if packets.send(packet).await.is_err() || last {
            return;
        }
    }
}

fn read_error(source: std::io::Error) -> SftpError {
    if source.kind() == std::io::ErrorKind::UnexpectedEof {
        SftpError::Closed {
            during: "reading a reply",
        }
    } else {
        SftpError::Io {
            during: "reading a reply",
            source,
        }
    }
}

/// `path` for the log: UTF-8 where it is, escaped where not.
fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

impl SftpClient {
    /// Starts the SFTP session (INIT, VERSION) over `reader` and `writer`, and asks for the
    /// server's limits where it offers them.
    pub async fn start(
        reader: impl AsyncRead + Send + Unpin + 'static,
        writer: impl AsyncWrite + Send + Unpin + 'static,
        log: LogSink,
        timeout: Duration,
    ) -> Result<Self, SftpError> {
        let (sender, packets) = mpsc::channel(READ_AHEAD_PACKETS);
        let reader = tokio::spawn(read_packets(reader, sender));
        let mut client = Self {
            writer: Box::new(writer),
            packets,
            reader,
            next_id: 0,
            extensions: Vec::new(),
            chunk: DEFAULT_CHUNK,
            out: Vec::with_capacity(64 * 1024),
            log,
            timeout,
        };
        codec::encode_init(&mut client.out);
        client.log.line(LogKind::Command, "INIT version 3");
        client.flush("starting SFTP").await?;
        let packet = client.recv("starting SFTP").await?;
        match codec::decode(&packet)? {
            Response::Version {
                version,
                extensions,
            } => {
                let names: Vec<String> = extensions.iter().map(|(name, _)| shown(name)).collect();
                client.log.line(
                    LogKind::Response,
                    format!("VERSION {version}; extensions: {}", names.join(", ")),
                );
                if version < codec::VERSION {
                    return Err(SftpError::Version(version));
                }
                client.extensions = extensions;
            }
            other => {
                return Err(SftpError::OutOfStep {
                    during: "starting SFTP",
                    detail: format!("{other:?} instead of VERSION"),
                });
            }
        }
        if client.has_extension("limits@openssh.com") {
            let data = client
                .extended(&Request::Limits, "asking the limits")
                .await?;
            let limits = codec::decode_limits(&data)?;
            client.chunk = chunk_for(&limits);
        }
        Ok(client)
    }

    /// The server announced `name` (e.g. `posix-rename@openssh.com`).
    pub fn has_extension(&self, name: &str) -> bool {
        self.extensions.iter().any(|(n, _)| n == name.as_bytes())
    }

    pub fn extension_names(&self) -> Vec<String> {
        self.extensions.iter().map(|(n, _)| shown(n)).collect()
    }

    /// Bytes per READ or WRITE.
    pub fn chunk(&self) -> u32 {
        self.chunk
    }

    pub fn log(&self) -> &LogSink {
        &self.log
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Queues `request` (written at the next flush); its id.
    fn queue(&mut self, request: &Request<'_>) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        codec::encode(id, request, &mut self.out);
        id
    }

    async fn flush(&mut self, during: &'static str) -> Result<(), SftpError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let write = async {
            self.writer.write_all(&self.out).await?;
            self.writer.flush().await
        };
        match tokio::time::timeout(self.timeout, write).await {
            Ok(Ok(())) => {
                self.out.clear();
                Ok(())
            }
            Ok(Err(source)) if source.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(SftpError::Closed { during })
            }
            Ok(Err(source)) => Err(SftpError::Io { during, source }),
            Err(_) => Err(self.timed_out(during)),
        }
    }

    fn timed_out(&self, during: &'static str) -> SftpError {
        SftpError::Timeout {
            during,
            secs: self.timeout.as_secs(),
        }
    }

    /// The next packet from the server.
    async fn recv(&mut self, during: &'static str) -> Result<Vec<u8>, SftpError> {
        match tokio::time::timeout(self.timeout, self.packets.recv()).await {
            Ok(Some(Ok(packet))) => Ok(packet),
            Ok(Some(Err(SftpError::Closed { .. }))) | Ok(None) => Err(SftpError::Closed { during }),
            Ok(Some(Err(err))) => Err(err),
            Err(_) => Err(self.timed_out(during)),
        }
    }

    /// Sends `request` and waits for its answer; answers to requests given up earlier (a
    /// cancelled transfer's) are skipped.
    async fn call(
        &mut self,
        request: &Request<'_>,
        during: &'static str,
    ) -> Result<Vec<u8>, SftpError> {
        let id = self.queue(request);
        self.flush(during).await?;
        loop {
            let packet = self.recv(during).await?;
            let answered = codec::decode(&packet)?.id();
            match answered {
                Some(answered) if answered == id => return Ok(packet),
                // An earlier request's late answer (ids grow, wrapping far away).
                Some(answered) if id.wrapping_sub(answered) < 1 << 20 => continue,
                other => {
                    return Err(SftpError::OutOfStep {
                        during,
                        detail: format!("an answer to {other:?} while waiting for {id}"),
                    });
                }
            }
        }
    }

    /// Sends a request answered by STATUS; OK is success.
    async fn call_status(
        &mut self,
        request: &Request<'_>,
        during: &'static str,
    ) -> Result<(), SftpError> {
        self.log_command(request, None);
        let packet = self.call(request, during).await?;
        match codec::decode(&packet)? {
            Response::Status {
                code: StatusCode::Ok,
                ..
            } => {
                self.log.line(LogKind::Response, "STATUS OK");
                Ok(())
            }
            other => Err(self.failure(other, during)),
        }
    }

    fn log_command(&self, request: &Request<'_>, path: Option<&[u8]>) {
        let text = match (request, path) {
            (_, Some(path)) => format!("{} {}", request.name(), shown(path)),
            (
                Request::Stat { path }
                | Request::Lstat { path }
                | Request::Opendir { path }
                | Request::Remove { path }
                | Request::Rmdir { path }
                | Request::Realpath { path }
                | Request::Readlink { path }
                | Request::Mkdir { path, .. }
                | Request::Setstat { path, .. }
                | Request::Open { path, .. },
                None,
            ) => format!("{} {}", request.name(), shown(path)),
            (Request::Rename { from, to } | Request::PosixRename { from, to }, None) => {
                format!("{} {} {}", request.name(), shown(from), shown(to))
            }
            (_, None) => request.name().to_owned(),
        };
        self.log.line(LogKind::Command, text);
    }

    /// The error for an answer that is not the one hoped for: a STATUS is the server's
    /// refusal, logged as its Response; anything else is out of step.
    fn failure(&self, answer: Response<'_>, during: &'static str) -> SftpError {
        match answer {
            Response::Status { code, message, .. } => {
                self.log.line(
                    LogKind::Response,
                    format!("STATUS {code}{}", message_suffix(&message)),
                );
                SftpError::Status {
                    during,
                    code,
                    message,
                }
            }
            other => SftpError::OutOfStep {
                during,
                detail: format!("unexpected {}", answer_name(&other)),
            },
        }
    }

    async fn extended(
        &mut self,
        request: &Request<'_>,
        during: &'static str,
    ) -> Result<Vec<u8>, SftpError> {
        self.log_command(request, None);
        let packet = self.call(request, during).await?;
        match codec::decode(&packet)? {
            Response::ExtendedReply { data, .. } => {
                self.log.line(LogKind::Response, "EXTENDED_REPLY");
                Ok(data.to_vec())
            }
            other => Err(self.failure(other, during)),
        }
    }

    /// The file system `path` is on (`statvfs@openssh.com`), when the server offers it.
    pub async fn fs_stats(&mut self, path: &[u8]) -> Result<Option<codec::FsStats>, SftpError> {
        if !self.has_extension("statvfs@openssh.com") {
            return Ok(None);
        }
        let data = self
            .extended(&Request::Statvfs { path }, "asking the free space")
            .await?;
        Ok(Some(codec::decode_statvfs(&data)?))
    }

    /// The server's canonical absolute path for `path` (`.`: the session's home).
    pub async fn realpath(&mut self, path: &[u8]) -> Result<Vec<u8>, SftpError> {
        self.one_name(&Request::Realpath { path }, "resolving a path")
            .await
    }

    /// Sends a request answered by a NAME of one entry (REALPATH, READLINK): that name.
    async fn one_name(
        &mut self,
        request: &Request<'_>,
        during: &'static str,
    ) -> Result<Vec<u8>, SftpError> {
        self.log_command(request, None);
        let packet = self.call(request, during).await?;
        match codec::decode(&packet)? {
            Response::Name { mut entries, .. } if entries.len() == 1 => {
                let entry = entries.remove(0);
                self.log.line(
                    LogKind::Response,
                    format!("NAME {}", shown(&entry.filename)),
                );
                Ok(entry.filename)
            }
            other => Err(self.failure(other, during)),
        }
    }

    /// The attributes of `path` (links followed); `None` when there is no such file.
    pub async fn stat(&mut self, path: &[u8]) -> Result<Option<Attrs>, SftpError> {
        self.attrs(&Request::Stat { path }).await
    }

    /// The attributes of `path` itself (a link not followed).
    pub async fn lstat(&mut self, path: &[u8]) -> Result<Option<Attrs>, SftpError> {
        self.attrs(&Request::Lstat { path }).await
    }

    async fn attrs(&mut self, request: &Request<'_>) -> Result<Option<Attrs>, SftpError> {
        self.log_command(request, None);
        let packet = self.call(request, "reading a file's attributes").await?;
        match codec::decode(&packet)? {
            Response::Attrs { attrs, .. } => {
                self.log.line(LogKind::Response, describe_attrs(&attrs));
                Ok(Some(attrs))
            }
            Response::Status {
                code: StatusCode::NoSuchFile,
                message,
                ..
            } => {
                self.log.line(
                    LogKind::Response,
                    format!("STATUS no such file{}", message_suffix(&message)),
                );
                Ok(None)
            }
            other => Err(self.failure(other, "reading a file's attributes")),
        }
    }

    /// Where the link `path` points.
    pub async fn readlink(&mut self, path: &[u8]) -> Result<Vec<u8>, SftpError> {
        self.one_name(&Request::Readlink { path }, "reading a link")
            .await
    }

    /// A folder's entries, `.` and `..` included as the server sends them; at most
    /// `max_entries`.
    pub async fn read_dir(
        &mut self,
        path: &[u8],
        max_entries: usize,
    ) -> Result<Vec<NameEntry>, SftpError> {
        let during = "listing a folder";
        let request = Request::Opendir { path };
        self.log_command(&request, None);
        let packet = self.call(&request, during).await?;
        let handle = match codec::decode(&packet)? {
            Response::Handle { handle, .. } => handle.to_vec(),
            other => return Err(self.failure(other, during)),
        };
        let mut entries = Vec::new();
        let mut batches = 0usize;
        let listed = loop {
            let packet = match self
                .call(&Request::Readdir { handle: &handle }, during)
                .await
            {
                Ok(packet) => packet,
                Err(err) => break Err(err),
            };
            match codec::decode(&packet)? {
                Response::Name { entries: batch, .. } => {
                    batches += 1;
                    if entries.len() + batch.len() > max_entries.saturating_add(2) {
                        break Err(SftpError::ListingTooLarge(max_entries));
                    }
                    entries.extend(batch);
                }
                Response::Status {
                    code: StatusCode::Eof,
                    ..
                } => break Ok(()),
                other => break Err(self.failure(other, during)),
            }
        };
        self.log.line(
            LogKind::Response,
            format!("READDIR: {} entries in {batches} replies", entries.len()),
        );
        // The handle is closed whatever happened, unless the connection is gone.
        match &listed {
            Err(SftpError::Closed { .. } | SftpError::Timeout { .. } | SftpError::Io { .. }) => {}
            _ => self.close(&handle).await?,
        }
        listed.map(|()| entries)
    }

    /// Opens `path` with `flags` (`codec::open_flags`); the handle.
    pub async fn open(
        &mut self,
        path: &[u8],
        flags: u32,
        attrs: &Attrs,
    ) -> Result<Vec<u8>, SftpError> {
        let during = "opening a file";
        let request = Request::Open { path, flags, attrs };
        self.log_command(&request, None);
        let packet = self.call(&request, during).await?;
        match codec::decode(&packet)? {
            Response::Handle { handle, .. } => {
                self.log.line(LogKind::Response, "HANDLE");
                Ok(handle.to_vec())
            }
            other => Err(self.failure(other, during)),
        }
    }

    pub async fn close(&mut self, handle: &[u8]) -> Result<(), SftpError> {
        self.call_status(&Request::Close { handle }, "closing a file")
            .await
    }

    /// The attributes of an open file.
    pub async fn fstat(&mut self, handle: &[u8]) -> Result<Attrs, SftpError> {
        let request = Request::Fstat { handle };
        self.log_command(&request, None);
        let packet = self.call(&request, "reading a file's attributes").await?;
        match codec::decode(&packet)? {
            Response::Attrs { attrs, .. } => {
                self.log.line(LogKind::Response, describe_attrs(&attrs));
                Ok(attrs)
            }
            other => Err(self.failure(other, "reading a file's attributes")),
        }
    }

    pub async fn mkdir(&mut self, path: &[u8]) -> Result<(), SftpError> {
        self.call_status(
            &Request::Mkdir {
                path,
                attrs: &Attrs::default(),
            },
            "creating a folder",
        )
        .await
    }

    pub async fn rmdir(&mut self, path: &[u8]) -> Result<(), SftpError> {
        self.call_status(&Request::Rmdir { path }, "removing a folder")
            .await
    }

    pub async fn remove(&mut self, path: &[u8]) -> Result<(), SftpError> {
        self.call_status(&Request::Remove { path }, "deleting a file")
            .await
    }

    /// Renames `from` to `to`; with OpenSSH's `posix-rename` an existing `to` is replaced,
    /// as FTP's RNTO does.
    pub async fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), SftpError> {
        let request = if self.has_extension("posix-rename@openssh.com") {
            Request::PosixRename { from, to }
        } else {
            Request::Rename { from, to }
        };
        self.call_status(&request, "renaming").await
    }

    pub async fn setstat(&mut self, path: &[u8], attrs: &Attrs) -> Result<(), SftpError> {
        self.call_status(&Request::Setstat { path, attrs }, "setting attributes")
            .await
    }

    /// Downloads the open file `handle` from `offset` into `sink`, with many READs in
    /// flight; `limit` is the size known before (the most taken). The bytes handed on.
    pub async fn read_to<E>(
        &mut self,
        handle: &[u8],
        offset: u64,
        limit: Option<u64>,
        sink: &mut dyn DataSink<E>,
    ) -> Result<u64, Failed<E>> {
        let during = "downloading";
        let depth = (BYTES_IN_FLIGHT / self.chunk).clamp(1, MAX_REQUESTS_IN_FLIGHT as u32);
        let mut pipeline = ReadPipeline::new(offset, limit, self.chunk, depth as usize);
        let first_id = self.next_id;
        self.log.line(
            LogKind::Command,
            format!(
                "READ from offset {offset}, {} bytes per request, up to {depth} in flight",
                self.chunk
            ),
        );
        let mut replies = 0u64;
        while !pipeline.is_done() {
            while let Some(ask) = pipeline.next_ask() {
                let id = self.queue(&Request::Read {
                    handle,
                    offset: ask.offset,
                    len: ask.len,
                });
                pipeline.sent(id, ask);
            }
            self.flush(during).await?;
            if pipeline.in_flight() == 0 {
                // Nothing asked and not done: a remainder past the end was dropped.
                break;
            }
            let packet = self.recv(during).await?;
            let answer = codec::decode(&packet)?;
            if self.is_stale(&answer, first_id) {
                continue;
            }
            let step = match answer {
                Response::Data { id, data } => pipeline.on_data(id, data.to_vec()),
                Response::Status {
                    id,
                    code: StatusCode::Eof,
                    ..
                } => pipeline.on_eof(id),
                other => return Err(self.failure(other, during).into()),
            };
            step.map_err(|source| SftpError::Pipeline { during, source })?;
            replies += 1;
            while let Some(data) = pipeline.take_ready() {
                sink.put(&data).await.map_err(Failed::Caller)?;
            }
        }
        let got = pipeline.delivered() - offset;
        self.log.line(
            LogKind::Response,
            format!("DATA: {got} bytes in {replies} replies, then end of file"),
        );
        Ok(got)
    }

    /// Uploads from `source` into the open file `handle` from `offset`, with many WRITEs
    /// in flight. The bytes sent.
    pub async fn write_from<E>(
        &mut self,
        handle: &[u8],
        offset: u64,
        source: &mut dyn DataSource<E>,
    ) -> Result<u64, Failed<E>> {
        let during = "uploading";
        let chunk = self.chunk as usize;
        let depth = (BYTES_IN_FLIGHT as usize / chunk).clamp(1, MAX_REQUESTS_IN_FLIGHT);
        self.log.line(
            LogKind::Command,
            format!(
                "WRITE from offset {offset}, {chunk} bytes per request, up to {depth} in flight"
            ),
        );
        let mut buf = vec![0u8; chunk];
        let first_id = self.next_id;
        let mut in_flight = std::collections::HashSet::new();
        let mut at = offset;
        let mut ended = false;
        loop {
            while !ended && in_flight.len() < depth {
                // A full chunk per WRITE: a source that returns little at a time is
                // gathered until the chunk is full or the file ends.
                let mut filled = 0;
                while filled < chunk {
                    let n = source
                        .fill(&mut buf[filled..])
                        .await
                        .map_err(Failed::Caller)?;
                    if n == 0 {
                        ended = true;
                        break;
                    }
                    filled += n;
                }
                if filled > 0 {
                    let id = self.queue(&Request::Write {
                        handle,
                        offset: at,
                        data: &buf[..filled],
                    });
                    in_flight.insert(id);
                    at += filled as u64;
                }
                // Large writes go out at once rather than batched.
                if self.out.len() >= chunk {
                    self.flush(during).await?;
                }
            }
            self.flush(during).await?;
            if in_flight.is_empty() {
                break;
            }
            let packet = self.recv(during).await?;
            let answer = codec::decode(&packet)?;
            if self.is_stale(&answer, first_id) {
                continue;
            }
            match answer {
                Response::Status {
                    id,
                    code: StatusCode::Ok,
                    ..
                } if in_flight.remove(&id) => {}
                other => return Err(self.failure(other, during).into()),
            }
        }
        let sent = at - offset;
        self.log
            .line(LogKind::Response, format!("STATUS OK for {sent} bytes"));
        Ok(sent)
    }

    /// An answer to a request sent before `first_id` (a CLOSE not waited for, a cancelled
    /// transfer's READs): skipped.
    fn is_stale(&self, answer: &Response<'_>, first_id: u32) -> bool {
        answer
            .id()
            .is_some_and(|id| id != first_id && first_id.wrapping_sub(id) < 1 << 20)
    }

    /// Closes a file read to its end without waiting for the answer: the CLOSE goes out with
    /// the next request, and its answer is skipped. A download loses nothing if a CLOSE
    /// fails, and a tree of small files saves a round trip per file.
    pub fn close_unanswered(&mut self, handle: &[u8]) {
        self.queue(&Request::Close { handle });
        self.log
            .line(LogKind::Command, "CLOSE (sent with the next request)");
    }
}

/// The chunk a server's limits allow.
fn chunk_for(limits: &Limits) -> u32 {
    // What fits a packet besides the headers, when only the packet size is given.
    let from_packet = limits.max_packet.saturating_sub(1024);
    let cap = [limits.max_read, limits.max_write, from_packet]
        .into_iter()
        .filter(|&n| n > 0)
        .min()
        .unwrap_or(u64::from(DEFAULT_CHUNK));
    u32::try_from(cap)
        .unwrap_or(MAX_CHUNK)
        .clamp(DEFAULT_CHUNK, MAX_CHUNK)
}

fn answer_name(answer: &Response<'_>) -> &'static str {
    match answer {
        Response::Version { .. } => "VERSION",
        Response::Status { .. } => "STATUS",
        Response::Handle { .. } => "HANDLE",
        Response::Data { .. } => "DATA",
        Response::Name { .. } => "NAME",
        Response::Attrs { .. } => "ATTRS",
        Response::ExtendedReply { .. } => "EXTENDED_REPLY",
    }
}

fn describe_attrs(attrs: &Attrs) -> String {
    let mut text = String::from("ATTRS");
    if let Some(size) = attrs.size {
        text.push_str(&format!(" size {size}"));
    }
    if let Some(mode) = attrs.permissions {
        text.push_str(&format!(" {}", codec::mode_string(mode)));
    }
    if let Some(mtime) = attrs.modified() {
        text.push_str(&format!(" mtime {mtime}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunk_follows_the_servers_limits_within_bounds() {
        let openssh = Limits {
            max_packet: 262_144,
            max_read: 261_120,
            max_write: 261_120,
            max_open_handles: 0,
        };
        assert_eq!(chunk_for(&openssh), 255 * 1024);
        assert_eq!(chunk_for(&Limits::default()), DEFAULT_CHUNK);
        let tiny = Limits {
            max_read: 100,
            ..Limits::default()
        };
        assert_eq!(
            chunk_for(&tiny),
            DEFAULT_CHUNK,
            "never below the draft's minimum"
        );
        let huge = Limits {
            max_read: u64::MAX,
            ..Limits::default()
        };
        assert_eq!(chunk_for(&huge), MAX_CHUNK);
    }

    // ---- A scripted server: for what real servers never do on cue ----------------------

    fn string(bytes: &[u8]) -> Vec<u8> {
        let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        out
    }

    fn packet(kind: u8, id: Option<u32>, body: &[u8]) -> Vec<u8> {
        let mut inner = vec![kind];
        if let Some(id) = id {
            inner.extend_from_slice(&id.to_be_bytes());
        }
        inner.extend_from_slice(body);
        let mut out = (inner.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&inner);
        out
    }

    /// A server that answers VERSION, then each request with what `answer` returns for
    /// its type and id (raw bytes, so it may lie); `None` leaves it unanswered.
    async fn scripted(
        answer: impl Fn(u8, u32) -> Option<Vec<u8>> + Send + 'static,
    ) -> Result<SftpClient, SftpError> {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (mut from_client, mut to_client) = tokio::io::split(server_side);
        tokio::spawn(async move {
            // Bounded: a test's client sends few requests.
            for _ in 0..10_000 {
                let mut len = [0u8; 4];
                if from_client.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
                if from_client.read_exact(&mut body).await.is_err() {
                    return;
                }
                let reply = if body[0] == kind::INIT {
                    Some(packet(kind::VERSION, None, &3u32.to_be_bytes()))
                } else {
                    let id = u32::from_be_bytes([body[1], body[2], body[3], body[4]]);
                    answer(body[0], id)
                };
                if let Some(reply) = reply
                    && to_client.write_all(&reply).await.is_err()
                {
                    return;
                }
            }
        });
        let (reader, writer) = tokio::io::split(client_side);
        SftpClient::start(reader, writer, LogSink::discard(), Duration::from_secs(2)).await
    }

    use super::codec::kind;

    #[tokio::test]
    async fn a_lying_length_is_an_error_before_any_allocation() {
        let mut client = scripted(|_, _| Some(vec![0xff, 0xff, 0xff, 0xff, 104]))
            .await
            .unwrap();
        let err = client.realpath(b".").await.unwrap_err();
        assert!(
            matches!(err, SftpError::Codec(CodecError::TooLong(_))),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_endless_listing_stops_at_the_cap() {
        let entry: Vec<u8> = [string(b"f"), string(b""), 0u32.to_be_bytes().to_vec()].concat();
        let mut client = scripted(move |request, id| match request {
            kind::OPENDIR => Some(packet(kind::HANDLE, Some(id), &string(b"h"))),
            kind::READDIR => {
                let mut body = 100u32.to_be_bytes().to_vec();
                for _ in 0..100 {
                    body.extend_from_slice(&entry);
                }
                Some(packet(kind::NAME, Some(id), &body))
            }
            kind::CLOSE => Some(packet(kind::STATUS, Some(id), &0u32.to_be_bytes())),
            _ => None,
        })
        .await
        .unwrap();
        let err = client.read_dir(b"/", 1000).await.unwrap_err();
        assert!(matches!(err, SftpError::ListingTooLarge(1000)), "{err}");
        assert!(err.leaves_session_usable(), "the handle was closed");
    }

    #[tokio::test]
    async fn answers_out_of_step_or_past_what_was_asked_are_refused() {
        // An answer to a request that was never made.
        let mut client =
            scripted(|_, id| Some(packet(kind::STATUS, Some(id + 1000), &0u32.to_be_bytes())))
                .await
                .unwrap();
        let err = client.mkdir(b"/x").await.unwrap_err();
        assert!(matches!(err, SftpError::OutOfStep { .. }), "{err}");

        // More bytes than a READ asked for.
        let mut client = scripted(|request, id| match request {
            kind::READ => Some(packet(kind::DATA, Some(id), &string(&vec![0; 70_000]))),
            _ => Some(packet(kind::STATUS, Some(id), &0u32.to_be_bytes())),
        })
        .await
        .unwrap();
        struct Discard;
        #[async_trait::async_trait]
        impl DataSink<()> for Discard {
            async fn put(&mut self, _: &[u8]) -> Result<(), ()> {
                Ok(())
            }
        }
        let err = client
            .read_to(b"h", 0, None, &mut Discard)
            .await
            .unwrap_err();
        let Failed::Sftp(SftpError::Pipeline { source, .. }) = err else {
            panic!("a pipeline error")
        };
        assert!(matches!(source, PipelineError::TooMuch { .. }), "{source}");
    }

    #[tokio::test]
    async fn a_server_that_stops_answering_times_out_and_one_that_closes_is_closed() {
        let mut client = scripted(|_, _| None).await.unwrap();
        let err = client.stat(b"/x").await.unwrap_err();
        assert!(matches!(err, SftpError::Timeout { secs: 2, .. }), "{err}");

        let mut client = scripted(|_, _| Some(vec![0, 0, 0])).await.unwrap();
        // Three bytes of a length prefix, then nothing: the script keeps the stream open
        // until the client gives up.
        let err = client.stat(b"/x").await.unwrap_err();
        assert!(matches!(err, SftpError::Timeout { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_close_not_waited_for_goes_out_with_the_next_request_and_its_answer_is_skipped() {
        let (closes_tx, mut closes) = tokio::sync::mpsc::unbounded_channel();
        let mut client = scripted(move |request, id| match request {
            kind::READ if id == 0 => Some(packet(kind::DATA, Some(id), &string(b"abc"))),
            kind::READ => Some(packet(kind::STATUS, Some(id), &1u32.to_be_bytes())),
            kind::CLOSE => {
                closes_tx.send(id).ok();
                Some(packet(kind::STATUS, Some(id), &0u32.to_be_bytes()))
            }
            kind::REALPATH => {
                let body = [
                    1u32.to_be_bytes().to_vec(),
                    string(b"/home"),
                    string(b""),
                    0u32.to_be_bytes().to_vec(),
                ]
                .concat();
                Some(packet(kind::NAME, Some(id), &body))
            }
            _ => None,
        })
        .await
        .unwrap();
        struct Keep(Vec<u8>);
        #[async_trait::async_trait]
        impl DataSink<()> for Keep {
            async fn put(&mut self, chunk: &[u8]) -> Result<(), ()> {
                self.0.extend_from_slice(chunk);
                Ok(())
            }
        }
        let mut kept = Keep(Vec::new());
        assert_eq!(
            client.read_to(b"h", 0, Some(3), &mut kept).await.unwrap(),
            3
        );
        assert_eq!(kept.0, b"abc");
        client.close_unanswered(b"h");
        assert!(closes.try_recv().is_err(), "not sent on its own");
        assert_eq!(client.realpath(b".").await.unwrap(), b"/home");
        assert!(closes.try_recv().is_ok(), "sent with the next request");
        // And a transfer after it skips the CLOSE's answer too.
        client.close_unanswered(b"h");
        let mut kept = Keep(Vec::new());
        assert_eq!(client.read_to(b"h", 0, None, &mut kept).await.unwrap(), 0);
    }
}
