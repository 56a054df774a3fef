//! FTP and FTPS behind the seam: [`RemoteSession`] over one `net::Connection`.
//!
//! What is FTP's own stays here: TYPE A/I for text and binary, REST+STOR or APPE to continue
//! an upload, ASCII line-ending conversion on the wire, ABOR for a cancel while data flows,
//! the CWD+PWD way to a folder's real path, and the translation of `net::FtpError` into
//! [`RemoteError`] kinds (530 while logging in is a refused login, 4xx "try later", a
//! 1xx-3xx where a command failed means the replies are out of step).

use std::time::Duration;

use super::unless_cancelled;
use super::{
    Capabilities, CertificateIssue, DataType, ErrorKind, Facts, FileStat, RawReply, ReadRequest,
    RemoteError, RemoteSession, RetryClass, Security, Server, Sink, Source, WriteAt, WriteRequest,
};
use crate::log::LogSink;
use crate::net::{self, Connection, DataStream, FtpError, StoreMode};
use crate::proto::ascii::{AsciiDecoder, AsciiEncoder};
use crate::proto::charset::Charset;
use crate::proto::command::{Command, TransferType};
use crate::proto::hash::Digest;
use crate::proto::listing::{Entry, Timestamp};

/// Bytes moved per read: large enough that per-chunk costs vanish at loopback speed.
const CHUNK_BYTES: usize = 1024 * 1024;
/// The smallest buffer: a small file's whole content in one read.
const MIN_CHUNK_BYTES: usize = 16 * 1024;

/// A buffer for a transfer of `size` bytes. A small file gets a small one: zeroing and
/// faulting in a fresh megabyte per file cost more CPU than a 4 KiB transfer itself
/// (a third of Skiff's time in bench/mirror.sh). One byte more than the size lets a single
/// read take the whole file.
fn buffer_for(size: Option<u64>) -> Vec<u8> {
    let len = size
        .and_then(|s| usize::try_from(s).ok())
        .map_or(CHUNK_BYTES, |s| {
            s.saturating_add(1).clamp(MIN_CHUNK_BYTES, CHUNK_BYTES)
        });
    vec![0u8; len]
}

pub(super) async fn connect(server: &Server) -> Result<Box<dyn RemoteSession>, RemoteError> {
    let Some(options) = server.connect_options() else {
        return Err(RemoteError::new(
            ErrorKind::Unsupported,
            "not an FTP server",
        ));
    };
    let conn = Connection::connect(options).await.map_err(remote_error)?;
    let capabilities = capabilities(&conn);
    let mut session = FtpSession {
        conn,
        capabilities,
        usable: true,
    };
    if let Some(ftp) = server.ftp_settings() {
        session.post_logon(&ftp.post_logon_commands).await?;
    }
    Ok(Box::new(session))
}

fn capabilities(conn: &Connection) -> Capabilities {
    let security = match conn.tls_description() {
        Some(description) => Security::Tls {
            description: description.to_owned(),
            data: conn.protects_data(),
            certificate: conn.certificate().cloned(),
        },
        None => Security::None,
    };
    let features = conn.features();
    Capabilities {
        protocol: if conn.is_secure() { "FTPS" } else { "FTP" },
        security,
        system: conn.system().map(str::to_owned),
        home: conn.home_dir().map(<[u8]>::to_vec),
        features: features.names().map(str::to_owned).collect(),
        utf8: features.has("UTF8"),
        // REST STREAM continues a STOR; APPE is the fallback every server has.
        resume_upload: true,
        set_modified: features.has("MFMT"),
        checksum: crate::proto::hash::strongest(features).map(|m| m.algorithm()),
        data_connections: Some(conn.data_settings().describe()),
    }
}

struct FtpSession {
    conn: Connection,
    capabilities: Capabilities,
    /// False once a failure left the connection broken or out of step.
    usable: bool,
}

impl FtpSession {
    /// A site's post-logon commands, in order, as typed: their replies are in the log (as
    /// every reply is); a refusal (4xx, 5xx) or a line that cannot be sent is an error line
    /// there and the next command goes on. Only a connection that broke ends the logon.
    async fn post_logon(&mut self, commands: &[String]) -> Result<(), RemoteError> {
        for command in commands.iter().filter(|c| !c.trim().is_empty()) {
            match self.raw(command).await {
                Ok(reply) if reply.code < 400 => {}
                Ok(reply) => self.conn.log().error(format!(
                    "The post-logon command {command:?} was refused ({} {}); going on",
                    reply.code, reply.text
                )),
                Err(err) if self.usable => self.conn.log().error(format!(
                    "The post-logon command {command:?} was not sent: {}; going on",
                    err.message()
                )),
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Notes whether the connection survived `result`, and translates its error.
    fn checked<T>(&mut self, result: Result<T, FtpError>) -> Result<T, RemoteError> {
        result.map_err(|err| {
            self.usable &= survives(&err);
            remote_error(err)
        })
    }

    async fn read_file(
        &mut self,
        request: &ReadRequest<'_>,
        into: &mut dyn Sink,
    ) -> Result<u64, RemoteError> {
        let transfer_type = transfer_type(request.data_type);
        if let Some(cancel) = request.cancel {
            cancel.set_transferring();
        }
        let started = self
            .conn
            .retrieve(request.path, transfer_type, request.offset)
            .await;
        let mut stream = self.checked(started)?;
        let mut buf = buffer_for(request.expected);
        let binary = transfer_type == TransferType::Binary;
        let mut ascii = (!binary).then(AsciiDecoder::default);
        // No more than the size known before (SIZE, the listing) or the one the 150 reply
        // announces (a total, so never less than what is owed from the offset): a server
        // that keeps sending past it is stopped, not allowed to fill the disk. Text changes
        // size on the way, so only a binary transfer is held to it.
        let most = match (
            request.expected,
            self.conn.announced_size().filter(|_| binary),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut converted = Vec::new();
        let mut received = 0u64;
        let conn = &self.conn;
        let copy = async {
            loop {
                let n = conn
                    .read_data_gathered(&mut stream, &mut buf)
                    .await
                    .map_err(|e| (survives(&e), remote_error(e)))?;
                if n == 0 {
                    break;
                }
                received += n as u64;
                if let Some(most) = most.filter(|&most| received > most) {
                    // The connection stays in step: closing the data connection ends it.
                    return Err((true, overran(most)));
                }
                let chunk = match ascii.as_mut() {
                    Some(decoder) => {
                        converted.clear();
                        decoder.decode(&buf[..n], &mut converted);
                        &converted[..]
                    }
                    None => &buf[..n],
                };
                into.write(chunk).await.map_err(|e| (true, e))?;
            }
            if let Some(decoder) = ascii.as_mut() {
                converted.clear();
                decoder.finish(&mut converted);
                into.write(&converted).await.map_err(|e| (true, e))?;
            }
            Ok::<(), (bool, RemoteError)>(())
        };
        let copied = unless_cancelled(request.cancel, copy).await;
        self.end_transfer(stream, copied).await?;
        Ok(received)
    }

    async fn write_file(
        &mut self,
        request: &WriteRequest<'_>,
        from: &mut dyn Source,
    ) -> Result<u64, RemoteError> {
        let transfer_type = transfer_type(request.data_type);
        let mode = match request.at {
            WriteAt::Start | WriteAt::Offset(0) => StoreMode::Replace,
            WriteAt::Offset(offset) if self.conn.features().rest_stream() => {
                StoreMode::RestartAt(offset)
            }
            // Without REST STREAM, APPE continues the file from its end: the same thing
            // when the offset is the remote size, which is how the transfer layer picks it.
            WriteAt::Offset(_) | WriteAt::Append => StoreMode::Append,
        };
        if let Some(cancel) = request.cancel {
            cancel.set_transferring();
        }
        let started = self.conn.store(request.path, transfer_type, mode).await;
        let mut stream = self.checked(started)?;
        let mut buf = buffer_for(request.expected);
        let mut ascii = (transfer_type == TransferType::Ascii).then(AsciiEncoder::default);
        let mut converted = Vec::new();
        let mut sent = 0u64;
        let conn = &self.conn;
        let copy = async {
            loop {
                let n = from.read(&mut buf).await.map_err(|e| (true, e))?;
                if n == 0 {
                    return Ok::<(), (bool, RemoteError)>(());
                }
                sent += n as u64;
                let chunk = match ascii.as_mut() {
                    Some(encoder) => {
                        converted.clear();
                        encoder.encode(&buf[..n], &mut converted);
                        &converted[..]
                    }
                    None => &buf[..n],
                };
                conn.write_data(&mut stream, chunk)
                    .await
                    .map_err(|e| (survives(&e), remote_error(e)))?;
            }
        };
        let copied = unless_cancelled(request.cancel, copy).await;
        self.end_transfer(stream, copied).await?;
        Ok(sent)
    }

    /// Ends a transfer as its copy loop ended: cancelled (ABOR), complete (the final
    /// reply), or failed (the data connection closed, the owed reply read; the session
    /// stays usable when the failure left the connection in step).
    async fn end_transfer(
        &mut self,
        stream: DataStream,
        copied: Option<Result<(), (bool, RemoteError)>>,
    ) -> Result<(), RemoteError> {
        match copied {
            None => Err(self.abort_cancelled(stream).await),
            Some(Ok(())) => {
                let finished = self.conn.finish_transfer(stream, Ok(())).await;
                self.checked(finished)
            }
            Some(Err((survived, err))) => {
                self.conn.fail_transfer(stream).await;
                self.usable &= survived;
                Err(err)
            }
        }
    }

    /// Stops a cancelled transfer with ABOR, bounded by the session's timeout. The session
    /// stays usable when the server confirmed the abort.
    async fn abort_cancelled(&mut self, stream: DataStream) -> RemoteError {
        self.conn
            .log()
            .status("Transfer cancelled by the user; aborting it (ABOR)");
        let timeout = self.conn.timeout();
        let failure = match tokio::time::timeout(timeout, self.conn.abort_transfer(stream)).await {
            Ok(Ok(())) => return RemoteError::new(ErrorKind::Cancelled, "Cancelled by the user"),
            Ok(Err(source)) => source,
            Err(_) => FtpError::Timeout {
                phase: "aborting the transfer",
                secs: timeout.as_secs(),
            },
        };
        self.usable = false;
        let err = RemoteError::new(
            ErrorKind::Cancelled,
            format!("cancelled by the user; the server did not confirm the ABOR ({failure})"),
        );
        self.conn
            .log()
            .error(format!("{err}; closing the connection"));
        err
    }
}

fn overran(announced: u64) -> RemoteError {
    RemoteError::new(
        ErrorKind::SizeMismatch,
        format!(
            "the server sent more than the {announced} bytes it announced; the download was \
             stopped (if the file is growing, download it again)"
        ),
    )
}

fn transfer_type(data_type: DataType) -> TransferType {
    match data_type {
        DataType::Binary => TransferType::Binary,
        DataType::Text => TransferType::Ascii,
    }
}

#[async_trait::async_trait]
impl RemoteSession for FtpSession {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn log(&self) -> &LogSink {
        self.conn.log()
    }

    fn charset(&self) -> Charset {
        self.conn.charset()
    }

    fn timeout(&self) -> Duration {
        self.conn.timeout()
    }

    fn is_usable(&self) -> bool {
        self.usable
    }

    async fn real_path(&mut self, dir: &[u8]) -> Result<Vec<u8>, RemoteError> {
        // A folder just entered (a listing of it, say) is not entered again.
        if !dir.is_empty() && self.conn.current_dir() != Some(dir) {
            let entered = self.conn.cwd(dir).await;
            self.checked(entered)?;
        }
        // A server that refuses PWD (a 4xx or 5xx) leaves the path as asked; a PWD that
        // timed out, lost the connection or got a reply out of step is a failure, or its
        // late reply would answer the next command.
        match self.conn.pwd().await {
            Ok(path) => Ok(path),
            Err(err)
                if !dir.is_empty()
                    && err.reply().is_some_and(|r| {
                        r.code.is_transient_failure() || r.code.is_permanent_failure()
                    }) =>
            {
                Ok(dir.to_vec())
            }
            Err(err) => self.checked(Err(err)),
        }
    }

    async fn list(&mut self, dir: &[u8]) -> Result<Vec<Entry>, RemoteError> {
        let listed = self.conn.list(dir).await;
        self.checked(listed)
    }

    async fn stat(&mut self, path: &[u8], facts: Facts) -> Result<Option<FileStat>, RemoteError> {
        let size = if facts.size {
            let size = self.conn.size(path).await;
            match self.checked(size)? {
                // 550: no such file (or no size, which a folder has): nothing more to ask.
                None => return Ok(None),
                size => size,
            }
        } else {
            None
        };
        let modified = if facts.modified {
            let mdtm = self.conn.mdtm(path).await;
            self.checked(mdtm)?
        } else {
            None
        };
        Ok(Some(FileStat { size, modified }))
    }

    async fn read(
        &mut self,
        request: ReadRequest<'_>,
        into: &mut dyn Sink,
    ) -> Result<u64, RemoteError> {
        self.read_file(&request, into).await
    }

    async fn write(
        &mut self,
        request: WriteRequest<'_>,
        from: &mut dyn Source,
    ) -> Result<u64, RemoteError> {
        self.write_file(&request, from).await
    }

    async fn mkdir(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.conn.mkdir(path).await;
        self.checked(done)
    }

    async fn rmdir(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.conn.rmdir(path).await;
        self.checked(done)
    }

    async fn delete(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.conn.delete(path).await;
        self.checked(done)
    }

    async fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), RemoteError> {
        let done = self.conn.rename(from, to).await;
        self.checked(done)
    }

    async fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), RemoteError> {
        let done = self.conn.chmod(path, mode).await;
        self.checked(done)
    }

    async fn set_modified(&mut self, path: &[u8], time: Timestamp) -> Result<bool, RemoteError> {
        let done = self.conn.set_modified(path, time).await;
        self.checked(done)
    }

    async fn checksum(&mut self, path: &[u8], size: Option<u64>) -> Result<Digest, RemoteError> {
        let Some(method) = crate::proto::hash::strongest(self.conn.features()) else {
            return Err(super::checksums_not_offered(&self.capabilities));
        };
        let digest = self.conn.checksum(method, path, size).await;
        self.checked(digest)
    }

    async fn raw(&mut self, command: &str) -> Result<RawReply, RemoteError> {
        let line = self
            .conn
            .charset()
            .encode(command)
            .map_err(|e| RemoteError::new(ErrorKind::BadInput, e.to_string()))?;
        let command = Command::raw(&line)
            .map_err(|e| RemoteError::new(ErrorKind::BadInput, e.to_string()))?;
        let reply = self.conn.raw(&command).await;
        let reply = self.checked(reply)?;
        Ok(RawReply {
            code: reply.code.0,
            text: reply.text(),
        })
    }

    async fn keep_alive(&mut self) -> Result<(), RemoteError> {
        let done = self.conn.noop().await;
        self.checked(done)
    }

    async fn quit(self: Box<Self>) {
        self.conn.quit().await;
    }
}

/// Whether the connection is still worth using after `err`: not when it broke, timed out,
/// or got a reply that belonged to another command (a 1xx-3xx where a command failed).
fn survives(err: &FtpError) -> bool {
    let out_of_step = err.reply().is_some_and(|reply| {
        !reply.code.is_transient_failure() && !reply.code.is_permanent_failure()
    });
    err.retry_class() == net::RetryClass::Permanent
        && !matches!(
            err,
            FtpError::Closed { .. } | FtpError::OutOfStep { .. } | FtpError::AbortFailed { .. }
        )
        && !out_of_step
}

/// `net`'s error in the seam's terms, with the server's reply as evidence.
pub(crate) fn remote_error(err: FtpError) -> RemoteError {
    let message = err.to_string();
    let retry = match err.retry_class() {
        net::RetryClass::Transient => RetryClass::Transient,
        net::RetryClass::Permanent => RetryClass::Permanent,
    };
    let kind = match &err {
        FtpError::Resolve { .. } => ErrorKind::UnknownHost,
        FtpError::Connect { .. } => ErrorKind::ConnectFailed,
        FtpError::Timeout { .. }
        | FtpError::ReplyTooSlow { .. }
        | FtpError::LogonTooSlow { .. }
        | FtpError::ListingTooSlow { .. } => ErrorKind::Timeout,
        FtpError::Closed { .. } | FtpError::ControlIo { .. } => ErrorKind::ConnectionLost,
        FtpError::Reply(_) | FtpError::Pasv(_) | FtpError::BadChecksum { .. } => {
            ErrorKind::BadReply
        }
        FtpError::UnexpectedReply { during, reply } => {
            let code = reply.code;
            if code.0 == 530 && *during == "logging in" {
                ErrorKind::LoginRefused
            } else if code.is_transient_failure() {
                ErrorKind::TryLater
            } else if code.is_permanent_failure() {
                ErrorKind::Refused
            } else {
                ErrorKind::OutOfStep
            }
        }
        FtpError::DataConnect { .. }
        | FtpError::NoFreePort { .. }
        | FtpError::Listen { .. }
        | FtpError::ActiveAcceptTimeout { .. }
        | FtpError::DataIo { .. }
        | FtpError::CannotAnnounce { .. } => ErrorKind::DataConnection,
        FtpError::Command(_) => ErrorKind::BadInput,
        FtpError::LocalIo { .. } => ErrorKind::Local,
        FtpError::SizeMismatch { .. } => ErrorKind::SizeMismatch,
        FtpError::Cancelled | FtpError::AbortFailed { .. } => ErrorKind::Cancelled,
        FtpError::TlsNotResumed | FtpError::Tls { .. } => ErrorKind::Tls,
        FtpError::Certificate { .. } => ErrorKind::Certificate,
        FtpError::TlsRefused { .. } => ErrorKind::TlsRequired,
        FtpError::AccountRequired { .. } => ErrorKind::AccountRequired,
        FtpError::RestartRefused { .. } => ErrorKind::CannotResume,
        FtpError::OutOfStep { .. } => ErrorKind::OutOfStep,
        FtpError::ListingTooLarge(_) => ErrorKind::TooLarge,
    };
    let mut remote = RemoteError::new(kind, message).with_retry(retry);
    let reply = match &err {
        FtpError::UnexpectedReply { reply, .. }
        | FtpError::TlsRefused { reply }
        | FtpError::AccountRequired { reply }
        | FtpError::RestartRefused { reply }
        | FtpError::BadChecksum { reply, .. } => Some(reply),
        _ => None,
    };
    if let Some(reply) = reply {
        remote = remote.with_reply(reply.code.0, reply.text());
    }
    if let FtpError::Certificate { problem, info } = err {
        remote = remote.with_certificate(CertificateIssue {
            problem,
            info: info.map(|info| *info),
        });
    }
    remote
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::Reply;

    #[test]
    fn ftp_failures_become_kinds_with_the_reply_kept() {
        let login = remote_error(FtpError::UnexpectedReply {
            during: "logging in",
            reply: Reply::new(530, "Login incorrect."),
        });
        assert_eq!(login.kind(), ErrorKind::LoginRefused);
        assert_eq!(login.reply().unwrap().code, 530);
        assert_eq!(login.reply().unwrap().text, "Login incorrect.");
        assert_eq!(login.retry_class(), RetryClass::Permanent);

        let busy = remote_error(FtpError::UnexpectedReply {
            during: "starting the transfer",
            reply: Reply::new(421, "Too many users"),
        });
        assert_eq!(busy.kind(), ErrorKind::TryLater);
        assert_eq!(busy.retry_class(), RetryClass::Transient);

        let stray = FtpError::UnexpectedReply {
            during: "deleting a file",
            reply: Reply::new(226, "Transfer complete"),
        };
        assert!(!survives(&stray), "a reply out of step breaks the session");
        assert_eq!(remote_error(stray).kind(), ErrorKind::OutOfStep);

        let missing = FtpError::UnexpectedReply {
            during: "deleting a file",
            reply: Reply::new(550, "No such file"),
        };
        assert!(survives(&missing), "a refusal leaves the session in step");
        assert_eq!(remote_error(missing).kind(), ErrorKind::Refused);

        let tls = remote_error(FtpError::TlsRefused {
            reply: Reply::new(530, "Please login with USER and PASS."),
        });
        assert_eq!(tls.kind(), ErrorKind::TlsRequired);
        assert!(tls.to_string().contains("stopped before sending"));
        assert!(!survives(&FtpError::Closed { during: "x" }));
    }

    #[test]
    fn buffers_fit_small_files_and_cap_large_ones() {
        assert_eq!(buffer_for(Some(4096)).len(), MIN_CHUNK_BYTES);
        assert_eq!(buffer_for(Some(100_000)).len(), 100_001);
        assert_eq!(buffer_for(None).len(), CHUNK_BYTES);
        assert_eq!(buffer_for(Some(u64::MAX)).len(), CHUNK_BYTES);
    }
}
