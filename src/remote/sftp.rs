//! SFTP behind the seam: [`RemoteSession`] over one SSH connection and its SFTP channel.
//!
//! What is SFTP's own stays here: opening a file for a read or a write (truncating, or
//! continuing at an offset), closing its handle whatever happened, a cancel that gives up
//! the READs in flight and closes the handle, SETSTAT for chmod and times, and the
//! translation of `sftp::SftpError` into [`RemoteError`] kinds.

use std::sync::Arc;
use std::time::Duration;

use super::unless_cancelled;
use super::{
    Capabilities, ErrorKind, Facts, FileStat, HostKeyIssue, ReadRequest, RemoteError,
    RemoteSession, Security, Server, Sink, Source, WriteAt, WriteRequest,
};
use crate::log::LogSink;
use crate::proto::charset::Charset;
use crate::proto::listing::{Entry, EntryKind, Timestamp};
use crate::sftp::codec::{self, Attrs, FileType, NameEntry, StatusCode, open_flags};
use crate::sftp::{self, SftpClient, SftpError, SshSession, SshSettings};

/// Links whose targets a listing reads (one round trip each); a folder of more links shows
/// the rest without a target.
const MAX_LINKS_READ: usize = 256;

pub(super) async fn connect(
    server: &Server,
    settings: &SshSettings,
) -> Result<Box<dyn RemoteSession>, RemoteError> {
    let log = server.log.clone();
    let (ssh, mut client) = sftp::ssh::connect(
        &server.host,
        server.port,
        &server.credentials,
        settings,
        server.timeout,
        &log,
    )
    .await
    .map_err(remote_error)?;
    let home = client.realpath(b".").await.map_err(remote_error)?;
    let capabilities = Capabilities {
        protocol: "SFTP",
        security: Security::Ssh {
            host_key: ssh.host_key.clone(),
            known: matches!(ssh.verdict, sftp::Verdict::Known(_)),
            authentication: ssh.method.clone(),
        },
        system: None,
        home: Some(home),
        features: client.extension_names(),
        utf8: server.charset.is_utf8(),
        resume_upload: true,
        set_modified: true,
        // OpenSSH's sftp-server has no checksum extension (check-file is not in it).
        checksum: None,
        data_connections: None,
    };
    Ok(Box::new(SftpSession {
        _ssh: ssh,
        client,
        capabilities,
        charset: server.charset,
        max_entries: server.listing_limits.max_entries,
        usable: true,
    }))
}

struct SftpSession {
    /// The SSH connection the channel runs on, closed when the session is dropped.
    _ssh: SshSession,
    client: SftpClient,
    capabilities: Capabilities,
    charset: Charset,
    max_entries: usize,
    usable: bool,
}

/// A download's bytes handed to the transfer layer's sink.
struct ToSink<'a>(&'a mut dyn Sink);

#[async_trait::async_trait]
impl sftp::DataSink<RemoteError> for ToSink<'_> {
    async fn put(&mut self, chunk: &[u8]) -> Result<(), RemoteError> {
        self.0.write(chunk).await
    }
}

/// An upload's bytes taken from the transfer layer's source.
struct FromSource<'a>(&'a mut dyn Source);

#[async_trait::async_trait]
impl sftp::DataSource<RemoteError> for FromSource<'_> {
    async fn fill(&mut self, buf: &mut [u8]) -> Result<usize, RemoteError> {
        self.0.read(buf).await
    }
}

impl SftpSession {
    /// Notes whether the session survived `result`, and translates its error.
    fn checked<T>(&mut self, result: Result<T, SftpError>) -> Result<T, RemoteError> {
        result.map_err(|err| {
            self.usable &= err.leaves_session_usable();
            remote_error(err)
        })
    }

    fn transfer_result<T>(
        &mut self,
        result: Result<T, sftp::Failed<RemoteError>>,
    ) -> Result<T, RemoteError> {
        match result {
            Ok(value) => Ok(value),
            Err(sftp::Failed::Sftp(err)) => self.checked(Err(err)),
            // The sink or source failed (a local file): the answers still in flight are
            // skipped by the next request, so the session stays in step.
            Err(sftp::Failed::Caller(err)) => Err(err),
        }
    }

    /// Ends a transfer on `handle` as its copy ended: the handle is closed in every case
    /// (a cancel gives up the requests in flight first).
    async fn finish<T>(
        &mut self,
        handle: &[u8],
        copied: Option<Result<T, sftp::Failed<RemoteError>>>,
    ) -> Result<T, RemoteError> {
        let Some(copied) = copied else {
            self.client
                .log()
                .status("Transfer cancelled by the user; closing the file");
            // The READs or WRITEs still in flight are answered before the CLOSE; `call`
            // skips their answers.
            let closed = self.client.close(handle).await;
            self.usable &= closed.is_ok();
            return Err(RemoteError::new(
                ErrorKind::Cancelled,
                "Cancelled by the user",
            ));
        };
        let copied = self.transfer_result(copied);
        if self.usable {
            let closed = self.client.close(handle).await;
            // A failed CLOSE after a write may mean the data did not all land.
            let closed = self.checked(closed);
            if copied.is_ok() {
                closed?;
            }
        }
        copied
    }

    fn entry(&self, name: NameEntry) -> Entry {
        let kind = match name.attrs.file_type() {
            Some(FileType::Dir) => EntryKind::Dir,
            Some(FileType::Link) => EntryKind::Link,
            Some(_) => EntryKind::File,
            // No mode: the longname's first letter, as `ls -l` writes it.
            None => match name.longname.first() {
                Some(b'd') => EntryKind::Dir,
                Some(b'l') => EntryKind::Link,
                _ => EntryKind::File,
            },
        };
        let mut entry = Entry::new(name.filename, kind);
        entry.size = name.attrs.size.filter(|_| kind != EntryKind::Dir);
        entry.modified = name
            .attrs
            .modified()
            .map(|secs| Timestamp::from_unix_secs(i64::from(secs)));
        entry.permissions = name
            .attrs
            .permissions
            .map(|mode| Arc::from(codec::mode_string(mode)));
        entry.owner_group = owner_group(&name.longname, &name.attrs).map(Arc::from);
        entry
    }
}

/// Owner and group as `ls -l` names them in the longname (OpenSSH), else the numbers.
fn owner_group(longname: &[u8], attrs: &Attrs) -> Option<String> {
    let text = std::str::from_utf8(longname).ok()?;
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    if fields.len() >= 8 && fields[0].len() == 10 {
        return Some(format!("{} {}", fields[2], fields[3]));
    }
    attrs.uid_gid.map(|(uid, gid)| format!("{uid} {gid}"))
}

#[async_trait::async_trait]
impl RemoteSession for SftpSession {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn log(&self) -> &LogSink {
        self.client.log()
    }

    fn charset(&self) -> Charset {
        self.charset
    }

    fn timeout(&self) -> Duration {
        self.client.timeout()
    }

    fn is_usable(&self) -> bool {
        self.usable
    }

    async fn real_path(&mut self, dir: &[u8]) -> Result<Vec<u8>, RemoteError> {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let resolved = self.client.realpath(dir).await;
        let resolved = self.checked(resolved)?;
        // REALPATH of a file or a missing path succeeds on some servers: a folder is one.
        let attrs = self.client.stat(&resolved).await;
        match self.checked(attrs)? {
            Some(attrs) if attrs.file_type() != Some(FileType::Dir) => Err(RemoteError::new(
                ErrorKind::Refused,
                format!("{} is not a folder", String::from_utf8_lossy(&resolved)),
            )),
            None => Err(RemoteError::new(
                ErrorKind::Refused,
                format!("no such folder: {}", String::from_utf8_lossy(&resolved)),
            )),
            Some(_) => Ok(resolved),
        }
    }

    async fn list(&mut self, dir: &[u8]) -> Result<Vec<Entry>, RemoteError> {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let names = self.client.read_dir(dir, self.max_entries).await;
        let names = self.checked(names)?;
        let mut entries: Vec<Entry> = names
            .into_iter()
            .filter(|name| name.filename != b"." && name.filename != b"..")
            .map(|name| self.entry(name))
            .collect();
        let links = entries
            .iter_mut()
            .filter(|e| e.kind == EntryKind::Link)
            .take(MAX_LINKS_READ);
        for entry in links {
            let path = crate::proto::path::join(dir, &entry.name);
            match self.client.readlink(&path).await {
                Ok(target) => entry.link_target = Some(target),
                Err(err) if err.leaves_session_usable() => {}
                Err(err) => {
                    self.usable = false;
                    return Err(remote_error(err));
                }
            }
        }
        Ok(entries)
    }

    async fn stat(&mut self, path: &[u8], facts: Facts) -> Result<Option<FileStat>, RemoteError> {
        let attrs = self.client.stat(path).await;
        let Some(attrs) = self.checked(attrs)? else {
            return Ok(None);
        };
        // As FTP's SIZE: a folder has no size, so asking for one finds no file.
        if facts.size && attrs.file_type() == Some(FileType::Dir) {
            return Ok(None);
        }
        Ok(Some(FileStat {
            size: attrs.size.filter(|_| facts.size),
            modified: attrs
                .modified()
                .filter(|_| facts.modified)
                .map(|secs| Timestamp::from_unix_secs(i64::from(secs))),
        }))
    }

    async fn read(
        &mut self,
        request: ReadRequest<'_>,
        into: &mut dyn Sink,
    ) -> Result<u64, RemoteError> {
        // SFTP moves bytes as they are: a text transfer is a binary one.
        let opened = self
            .client
            .open(request.path, open_flags::READ, &Attrs::default())
            .await;
        let handle = self.checked(opened)?;
        if let Some(cancel) = request.cancel {
            cancel.set_transferring();
        }
        let limit = request.expected.map(|e| request.offset.saturating_add(e));
        let mut sink = ToSink(into);
        let copied = unless_cancelled(
            request.cancel,
            self.client
                .read_to(&handle, request.offset, limit, &mut sink),
        )
        .await;
        if let Some(Ok(received)) = copied {
            // Everything arrived: the CLOSE's answer cannot change that.
            self.client.close_unanswered(&handle);
            return Ok(received);
        }
        self.finish(&handle, copied).await
    }

    async fn write(
        &mut self,
        request: WriteRequest<'_>,
        from: &mut dyn Source,
    ) -> Result<u64, RemoteError> {
        let (flags, offset) = match request.at {
            WriteAt::Start | WriteAt::Offset(0) => (
                open_flags::WRITE | open_flags::CREATE | open_flags::TRUNCATE,
                Some(0),
            ),
            WriteAt::Offset(offset) => (open_flags::WRITE | open_flags::CREATE, Some(offset)),
            // The end, as the server sees it once the file is open.
            WriteAt::Append => (open_flags::WRITE | open_flags::CREATE, None),
        };
        let opened = self
            .client
            .open(request.path, flags, &Attrs::default())
            .await;
        let handle = self.checked(opened)?;
        let offset = match offset {
            Some(offset) => offset,
            None => {
                let attrs = self.client.fstat(&handle).await;
                let size = self.checked(attrs).map(|a| a.size.unwrap_or(0));
                match size {
                    Ok(size) => size,
                    Err(err) => {
                        let _ = self.client.close(&handle).await;
                        return Err(err);
                    }
                }
            }
        };
        if let Some(cancel) = request.cancel {
            cancel.set_transferring();
        }
        let mut source = FromSource(from);
        let copied = unless_cancelled(
            request.cancel,
            self.client.write_from(&handle, offset, &mut source),
        )
        .await;
        self.finish(&handle, copied).await
    }

    async fn mkdir(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.client.mkdir(path).await;
        self.checked(done)
    }

    async fn rmdir(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.client.rmdir(path).await;
        self.checked(done)
    }

    async fn delete(&mut self, path: &[u8]) -> Result<(), RemoteError> {
        let done = self.client.remove(path).await;
        self.checked(done)
    }

    async fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), RemoteError> {
        let done = self.client.rename(from, to).await;
        self.checked(done)
    }

    async fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), RemoteError> {
        let attrs = Attrs {
            permissions: Some(mode & 0o7777),
            ..Attrs::default()
        };
        let done = self.client.setstat(path, &attrs).await;
        self.checked(done)
    }

    async fn set_modified(&mut self, path: &[u8], time: Timestamp) -> Result<bool, RemoteError> {
        let secs = u32::try_from(time.to_unix_secs().max(0)).unwrap_or(u32::MAX);
        let attrs = Attrs {
            times: Some((secs, secs)),
            ..Attrs::default()
        };
        let done = self.client.setstat(path, &attrs).await;
        self.checked(done).map(|()| true)
    }

    async fn keep_alive(&mut self) -> Result<(), RemoteError> {
        let done = self.client.realpath(b".").await;
        self.checked(done).map(drop)
    }

    async fn quit(self: Box<Self>) {
        // Dropping the SSH handle disconnects.
    }
}

/// `sftp`'s error in the seam's terms.
pub(crate) fn remote_error(err: SftpError) -> RemoteError {
    // Resolving and connecting are the same steps as FTP's, with the same words.
    let err = match err {
        SftpError::Connect(ftp) => return super::ftp::remote_error(ftp),
        other => other,
    };
    let message = err.to_string();
    let kind = match &err {
        SftpError::Status { code, .. } => match code {
            StatusCode::OpUnsupported => ErrorKind::Unsupported,
            StatusCode::NoConnection | StatusCode::ConnectionLost => ErrorKind::ConnectionLost,
            StatusCode::BadMessage => ErrorKind::BadReply,
            _ => ErrorKind::Refused,
        },
        SftpError::Closed { .. } | SftpError::Io { .. } | SftpError::Ssh { .. } => {
            ErrorKind::ConnectionLost
        }
        SftpError::Timeout { .. } => ErrorKind::Timeout,
        SftpError::Codec(_) | SftpError::Pipeline { .. } => ErrorKind::BadReply,
        SftpError::OutOfStep { .. } => ErrorKind::OutOfStep,
        SftpError::Version(_) | SftpError::NoSftp => ErrorKind::Unsupported,
        SftpError::ListingTooLarge(_) => ErrorKind::TooLarge,
        SftpError::Connect(_) => ErrorKind::ConnectFailed,
        SftpError::HostKey { .. } => ErrorKind::HostKey,
        SftpError::Auth { .. } => ErrorKind::LoginRefused,
    };
    let size_mismatch = matches!(
        &err,
        SftpError::Pipeline {
            source: sftp::pipeline::PipelineError::PastLimit { .. },
            ..
        }
    );
    let kind = if size_mismatch {
        ErrorKind::SizeMismatch
    } else {
        kind
    };
    let mut remote = RemoteError::new(kind, message);
    if let SftpError::HostKey { key, verdict } = err {
        remote = remote.with_host_key(HostKeyIssue { key, verdict });
    }
    remote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_and_group_come_from_the_longname_or_the_numbers() {
        let attrs = Attrs {
            uid_gid: Some((1000, 100)),
            ..Attrs::default()
        };
        assert_eq!(
            owner_group(
                b"-rw-r--r--    1 kim      staff        5 Jan  1 12:00 a.txt",
                &attrs
            )
            .as_deref(),
            Some("kim staff")
        );
        assert_eq!(owner_group(b"", &attrs).as_deref(), Some("1000 100"));
        assert_eq!(owner_group(b"", &Attrs::default()), None);
    }

    #[test]
    fn sftp_failures_become_kinds() {
        let missing = remote_error(SftpError::Status {
            during: "deleting a file",
            code: StatusCode::NoSuchFile,
            message: "No such file".into(),
        });
        assert_eq!(missing.kind(), ErrorKind::Refused);
        assert_eq!(
            missing.to_string(),
            "deleting a file: no such file (No such file)"
        );
        let auth = remote_error(SftpError::Auth {
            offered: vec!["publickey".into(), "password".into()],
            tried: vec!["password".into()],
        });
        assert_eq!(auth.kind(), ErrorKind::LoginRefused);
        assert!(auth.to_string().contains("offers publickey, password"));
        assert_eq!(
            remote_error(SftpError::Closed { during: "x" }).retry_class(),
            super::super::RetryClass::Transient
        );
    }
}
