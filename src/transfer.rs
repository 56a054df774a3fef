//! One file, either way, under the user's file-exists policy, with local-file safety, over
//! any protocol behind the seam (`crate::remote`).
//!
//! Downloads are written to `NAME.part` beside the target and renamed only after the
//! transfer completed and the size checks out, so an interruption never leaves a truncated
//! file under the final name, and an existing file is replaced only when the policy says so.
//! Resuming continues the `.part` from its size; uploads continue from the remote size.
//! [`ExistsPolicy`] is the one model of "the target exists" for the window, the CLI and the
//! queue; how a face words it ("use --overwrite") is the face's business.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cancel::Cancel;
use crate::folder_sync::Node;
use crate::folder_sync::compare::{Newer, newer};
use crate::local::{numbered_name, part_path};
use crate::proto::listing::{TimePrecision, Timestamp};
use crate::proto::path;
use crate::rate::RateLimiter;
use crate::remote::{
    DataType, ErrorKind, Facts, ReadRequest, RemoteError, RemoteSession, Sink, Source, WriteAt,
    WriteRequest,
};

/// What to do when the target of a transfer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ExistsPolicy {
    /// Fail with a clear error (the CLI's default; the window asks instead).
    #[default]
    Refuse,
    /// Ask the user: the transfer ends with [`Outcome::NeedsAnswer`].
    Ask,
    Overwrite,
    /// Overwrite only when the source is newer than the target.
    OverwriteIfNewer,
    /// Overwrite only when the sizes differ.
    OverwriteIfSizeDiffers,
    /// Overwrite when the source is newer or the sizes differ (FileZilla's eighth action):
    /// what an update of a folder copied before wants.
    OverwriteIfNewerOrSizeDiffers,
    /// Continue from the target's size.
    Resume,
    /// Transfer under a free name: `name (1).ext`.
    Rename,
    Skip,
}

/// What a "file exists" question shows: both sides, to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingTarget {
    pub source_size: Option<u64>,
    pub target_size: Option<u64>,
    /// Unix seconds, when known.
    pub source_modified: Option<i64>,
    pub target_modified: Option<i64>,
}

/// What was seen of one file's source and target (by a sync's plan, or when a file was
/// opened for editing). The transfer runs only if both are still so (same size, same time
/// at the coarser precision): a file that changed on either side in between is a conflict,
/// never overwritten silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expected {
    pub source: Node,
    /// `None`: the target was not there.
    pub target: Option<Node>,
    /// When it was seen, for the error's words.
    #[serde(default, skip_serializing_if = "Since::is_plan")]
    pub since: Since,
}

/// When an `Expected` was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Since {
    /// A sync's plan.
    #[default]
    Plan,
    /// A remote file opened with View/Edit.
    Opened,
}

impl Since {
    fn is_plan(&self) -> bool {
        *self == Since::Plan
    }

    fn words(self) -> &'static str {
        match self {
            Since::Plan => CHANGED_SINCE_PLAN,
            Since::Opened => "changed since it was opened for editing",
        }
    }
}

/// How a transfer ended (errors are returned separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The bytes moved in this run (0 for a file already complete).
    Transferred {
        bytes: u64,
    },
    Skipped {
        why: String,
    },
    /// The target exists and the policy is to ask.
    NeedsAnswer(ExistingTarget),
}

/// One file to move.
#[derive(Debug, Clone, Copy)]
pub struct FileTransfer<'a> {
    pub local: &'a Path,
    /// The server's bytes.
    pub remote: &'a [u8],
    /// The source's size when a listing gave it (saves asking again).
    pub size: Option<u64>,
    pub policy: ExistsPolicy,
    /// An earlier attempt may have left data to continue from.
    pub retrying: bool,
    pub data_type: DataType,
    /// The local name came from a folder's listing, not from the user: an upload does not
    /// follow a symbolic link found there.
    pub from_listing: bool,
    /// The remote target did not exist when the tree was expanded (an upload's folder was
    /// just created, or listed without it): no policy needs to ask the server about it.
    pub target_absent: bool,
    /// A sync's step: checked before anything moves ([`Expected`]).
    pub expect: Option<&'a Expected>,
    /// Give the copy the source's modification time (downloads: from the server; uploads:
    /// on the server, where it can set one).
    pub preserve_times: bool,
}

/// What the transfer's data passes through on our side.
pub struct Flow<'a> {
    /// A speed limit shared with other transfers in the same direction.
    pub limit: Option<Arc<RateLimiter>>,
    /// Watched while data flows: a cancel stops the transfer.
    pub cancel: Option<&'a Cancel>,
    /// Bytes of the file done so far (resumed bytes included).
    pub on_progress: &'a mut (dyn FnMut(u64) + Send),
}

fn unix_secs(time: std::time::SystemTime) -> Option<i64> {
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

fn local_mtime(meta: &std::fs::Metadata) -> Option<i64> {
    meta.modified().ok().and_then(unix_secs)
}

fn skipped(why: &str) -> Outcome {
    Outcome::Skipped {
        why: why.to_owned(),
    }
}

fn local_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> RemoteError + 'a {
    move |source| RemoteError::local(what, path, &source)
}

/// The size of a remote file; `None` when there is no such file (or it has no size).
async fn remote_size(
    session: &mut dyn RemoteSession,
    path: &[u8],
) -> Result<Option<u64>, RemoteError> {
    Ok(session.stat(path, Facts::SIZE).await?.and_then(|s| s.size))
}

fn target_exists(target: &str) -> RemoteError {
    RemoteError::new(ErrorKind::TargetExists, format!("{target} already exists"))
}

/// Downloads `file.remote` to `file.local` under `file.policy`.
pub async fn download(
    session: &mut dyn RemoteSession,
    file: FileTransfer<'_>,
    flow: Flow<'_>,
) -> Result<Outcome, RemoteError> {
    let source_time = match file.expect {
        Some(expect) => check_download(session, &file, expect).await?,
        None => None,
    };
    let mut target = file.local.to_path_buf();
    let mut overwrite = false;
    // A retry, or the user's "resume", continues a `.part` an earlier run left.
    let mut resume = file.retrying || file.policy == ExistsPolicy::Resume;
    if let Ok(meta) = std::fs::metadata(file.local) {
        match file.policy {
            ExistsPolicy::Refuse => {
                return Err(target_exists(&file.local.display().to_string()));
            }
            ExistsPolicy::Skip => return Ok(skipped("the local file exists")),
            ExistsPolicy::Overwrite => overwrite = true,
            ExistsPolicy::Ask => {
                let stat = session
                    .stat(file.remote, Facts::ALL)
                    .await?
                    .unwrap_or_default();
                return Ok(Outcome::NeedsAnswer(ExistingTarget {
                    source_size: file.size.or(stat.size),
                    target_size: Some(meta.len()),
                    source_modified: stat.modified.map(|t| t.to_unix_secs()),
                    target_modified: local_mtime(&meta),
                }));
            }
            ExistsPolicy::OverwriteIfSizeDiffers => {
                let size = match file.size {
                    Some(size) => Some(size),
                    None => remote_size(session, file.remote).await?,
                };
                if size == Some(meta.len()) {
                    return Ok(skipped("the local file has the same size"));
                }
                overwrite = true;
            }
            ExistsPolicy::Rename => {
                let name = file
                    .local
                    .file_name()
                    .map(crate::local::os_bytes)
                    .unwrap_or_default();
                target = (1..=999)
                    .map(|n| {
                        file.local
                            .with_file_name(crate::local::bytes_os(&numbered_name(&name, n)))
                    })
                    .find(|candidate| !candidate.exists() && !part_path(candidate).exists())
                    .ok_or_else(|| {
                        RemoteError::new(
                            ErrorKind::NoFreeName,
                            format!("no free name for {} (999 tried)", file.local.display()),
                        )
                    })?;
            }
            ExistsPolicy::Resume => {
                // Continue the existing file: it becomes the .part that is resumed.
                let size = remote_size(session, file.remote).await?;
                if size == Some(meta.len()) {
                    return Ok(skipped("the local file is already complete"));
                }
                // A larger local file is not a beginning of this one: resuming would replace it.
                if size.is_none_or(|size| meta.len() > size) {
                    return Err(RemoteError::new(
                        ErrorKind::CannotResume,
                        format!(
                            "cannot resume {}: it is larger than the remote file (or that has no size)",
                            file.local.display()
                        ),
                    ));
                }
                tokio::fs::rename(file.local, part_path(file.local))
                    .await
                    .map_err(local_err(
                        "cannot prepare the file for resuming",
                        file.local,
                    ))?;
                resume = true;
            }
            ExistsPolicy::OverwriteIfNewerOrSizeDiffers => {
                let stat = session
                    .stat(file.remote, Facts::ALL)
                    .await?
                    .unwrap_or_default();
                let newer = match (stat.modified, local_mtime(&meta)) {
                    (Some(remote), Some(local)) => remote.to_unix_secs() > local,
                    _ => false,
                };
                if !newer && file.size.or(stat.size) == Some(meta.len()) {
                    return Ok(skipped("the local file is not older and has the same size"));
                }
                overwrite = true;
            }
            ExistsPolicy::OverwriteIfNewer => {
                let remote_time = session
                    .stat(file.remote, Facts::MODIFIED)
                    .await?
                    .and_then(|s| s.modified);
                match (remote_time, local_mtime(&meta)) {
                    (Some(remote), Some(local)) if remote.to_unix_secs() > local => {
                        overwrite = true;
                    }
                    _ => return Ok(skipped("the local file is not older")),
                }
            }
        }
    }
    // A listing's size is current enough to check the download against; a retry asks
    // again in case the file changed meanwhile.
    let known_size = file.size.filter(|_| !file.retrying);
    let bytes = fetch(session, &file, &target, known_size, overwrite, resume, flow).await?;
    if file.preserve_times {
        keep_remote_time(session, &file, &target, source_time).await?;
    }
    Ok(Outcome::Transferred { bytes })
}

/// The words of `ErrorKind::Changed`, by which the window's queue (which keeps an error's
/// text) tells a sync's conflicts from its failures.
pub const CHANGED_SINCE_PLAN: &str = "changed since the sync's plan was made";

/// A changed file's error: the sync leaves it alone (`what` names the file, `why` says what
/// changed, as `moved_on` does).
pub fn changed(what: &str, why: &str) -> RemoteError {
    changed_since(what, Since::Plan, why)
}

fn changed_since(what: &str, since: Since, why: &str) -> RemoteError {
    RemoteError::new(
        ErrorKind::Changed,
        format!("{what} {} ({why}): left alone", since.words()),
    )
}

/// Why what is there now (size and time; `None`: nothing) is not what a sync's plan saw
/// (`None`: nothing); `None` when it is.
pub fn moved_on(
    seen: Option<&Node>,
    now: Option<(Option<u64>, Option<Timestamp>)>,
) -> Option<&'static str> {
    match (seen, now) {
        (None, None) => None,
        (None, Some(_)) => Some("it appeared"),
        (Some(_), None) => Some("it is gone"),
        (Some(seen), Some((size, modified))) => {
            if seen.size.is_some() && size.is_some() && seen.size != size {
                Some("its size changed")
            } else if matches!(
                newer(seen.modified, modified, 0),
                Newer::Left | Newer::Right
            ) {
                Some("its modification time changed")
            } else {
                None
            }
        }
    }
}

/// A local file's size and time, `None` when there is none.
fn local_facts(path: &Path) -> Option<(Option<u64>, Option<Timestamp>)> {
    std::fs::symlink_metadata(path).ok().as_ref().map(facts_of)
}

/// What `moved_on` compares of a local file: its size (a file's) and its time.
pub fn facts_of(meta: &std::fs::Metadata) -> (Option<u64>, Option<Timestamp>) {
    (
        Some(meta.len()).filter(|_| meta.is_file()),
        meta.modified().ok().and_then(Timestamp::from_system_time),
    )
}

/// Checks a sync download's source and target against the plan; returns the source's
/// time as the server gave it now.
async fn check_download(
    session: &mut dyn RemoteSession,
    file: &FileTransfer<'_>,
    expect: &Expected,
) -> Result<Option<Timestamp>, RemoteError> {
    let stat = session.stat(file.remote, Facts::ALL).await?;
    let now = stat.map(|s| (s.size, s.modified));
    if let Some(why) = moved_on(Some(&expect.source), now) {
        return Err(changed_since(
            &session.charset().decode(file.remote),
            expect.since,
            why,
        ));
    }
    // A retry finds its own partial work; the final name is what matters, and only the
    // first attempt compares it.
    if !file.retrying
        && let Some(why) = moved_on(expect.target.as_ref(), local_facts(file.local))
    {
        return Err(changed_since(
            &file.local.display().to_string(),
            expect.since,
            why,
        ));
    }
    Ok(stat.and_then(|s| s.modified))
}

/// Checks a sync upload's source and target against the plan.
async fn check_upload(
    session: &mut dyn RemoteSession,
    file: &FileTransfer<'_>,
    expect: &Expected,
) -> Result<(), RemoteError> {
    if let Some(why) = moved_on(Some(&expect.source), local_facts(file.local)) {
        return Err(changed_since(
            &file.local.display().to_string(),
            expect.since,
            why,
        ));
    }
    if !file.retrying {
        let now = session
            .stat(file.remote, Facts::ALL)
            .await?
            .map(|s| (s.size, s.modified));
        if let Some(why) = moved_on(expect.target.as_ref(), now) {
            return Err(changed_since(
                &session.charset().decode(file.remote),
                expect.since,
                why,
            ));
        }
    }
    Ok(())
}

/// Gives a downloaded file the server's modification time: the one just read, one to the
/// second from the plan, or the server's (MDTM) asked now. A server that gives none leaves
/// the file's own time, with a log line.
async fn keep_remote_time(
    session: &mut dyn RemoteSession,
    file: &FileTransfer<'_>,
    target: &Path,
    known: Option<Timestamp>,
) -> Result<(), RemoteError> {
    let exact = |t: &Timestamp| t.precision == TimePrecision::Second;
    let planned = file.expect.and_then(|e| e.source.modified);
    let time = match known.filter(exact).or(planned.filter(exact)) {
        Some(time) => Some(time),
        None => session
            .stat(file.remote, Facts::MODIFIED)
            .await?
            .and_then(|s| s.modified),
    };
    let Some(time) = time else {
        session.log().status(format!(
            "{}: the server gives no modification time to keep",
            target.display()
        ));
        return Ok(());
    };
    let when = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(time.to_unix_secs()).unwrap_or(0));
    std::fs::File::open(target)
        .and_then(|f| f.set_modified(when))
        .map_err(local_err("cannot set the modification time of", target))
}

/// Gives an uploaded file the local file's modification time on the server (FTP's MFMT,
/// SFTP's SETSTAT). A server that cannot, or refuses, keeps its own, with a log line: the
/// file itself arrived.
async fn keep_local_time(session: &mut dyn RemoteSession, file: &FileTransfer<'_>, target: &[u8]) {
    let Some(secs) = std::fs::metadata(file.local)
        .ok()
        .as_ref()
        .and_then(local_mtime)
    else {
        return;
    };
    let shown = session.charset().decode(target).into_owned();
    match session
        .set_modified(target, Timestamp::from_unix_secs(secs))
        .await
    {
        Ok(true) => {}
        Ok(false) => session.log().status(format!(
            "{shown}: the server cannot set modification times (no MFMT); it keeps the upload's time"
        )),
        Err(err) => session
            .log()
            .error(format!("{shown}: the modification time was not kept: {err}")),
    }
}

/// The download itself: into `target`'s `.part`, from its size when resuming, renamed when
/// complete. Returns the bytes that came over the wire.
async fn fetch(
    session: &mut dyn RemoteSession,
    file: &FileTransfer<'_>,
    target: &Path,
    known_size: Option<u64>,
    overwrite: bool,
    resume: bool,
    flow: Flow<'_>,
) -> Result<u64, RemoteError> {
    if target.exists() && !overwrite {
        return Err(target_exists(&target.display().to_string()));
    }
    let binary = file.data_type == DataType::Binary;
    // Text changes size on the way: only a binary download can be checked against it.
    let expected = match (binary, known_size) {
        (false, _) => None,
        (true, Some(size)) => Some(size),
        (true, None) => remote_size(session, file.remote).await?,
    };
    let part = part_path(target);
    // Only a resume looks at an earlier .part; otherwise it is truncated unread.
    // A link (or anything but a regular file) under the partial file's name is not
    // something an earlier run left: resuming into it is refused.
    let mut offset = match resume && binary {
        true => crate::local::partial_len(&part)
            .map_err(local_err("cannot resume the partial file", &part))?,
        false => 0,
    };
    if expected.is_some_and(|size| offset > size) {
        session.log().status(format!(
            "The partial file is larger than the remote file; starting over: {}",
            part.display()
        ));
        offset = 0;
    }
    if offset > 0 {
        session
            .log()
            .status(format!("Resuming download at byte {offset}"));
    }
    let (read, closed) = loop {
        let mut sink = PartFile::open(&part, offset, flow.limit.clone(), &mut *flow.on_progress);
        let request = ReadRequest {
            path: file.remote,
            offset,
            data_type: file.data_type,
            expected: expected.map(|size| size.saturating_sub(offset)),
            cancel: flow.cancel,
        };
        let read = session.read(request, &mut sink).await;
        // The file is complete on disk (or the reason it is not) before anything else.
        let closed = sink.close().await;
        match read {
            // A server that cannot resume (REST refused) still has the whole file: the
            // partial one is replaced by a download from the start, and the log says so.
            Err(err) if offset > 0 && err.kind() == ErrorKind::CannotResume => {
                session
                    .log()
                    .status(format!("{err}; downloading the whole file again"));
                offset = 0;
            }
            read => break (read, closed),
        }
    };
    let received = match (read, closed) {
        (Ok(received), Ok(())) => received,
        (Err(err), _) | (Ok(_), Err(err)) => {
            // An empty .part that this run created holds nothing worth resuming; nor does
            // one from a server that sent more than it announced (the session stopped it):
            // a retry starts over.
            let overran = err.kind() == ErrorKind::SizeMismatch;
            let empty = offset == 0 && tokio::fs::metadata(&part).await.is_ok_and(|m| m.len() == 0);
            if overran || empty {
                tokio::fs::remove_file(&part).await.ok();
            }
            return Err(err);
        }
    };
    let total = offset + received;
    if let Some(expected) = expected
        && total != expected
    {
        // Keep the .part: a later resume continues from what arrived.
        return Err(size_mismatch(expected, total));
    }
    // Checked again right before the rename: the target may have appeared meanwhile.
    if target.exists() && !overwrite {
        return Err(RemoteError::new(
            ErrorKind::TargetExists,
            format!(
                "{} appeared during the download; the data is kept in {}",
                target.display(),
                part.display()
            ),
        ));
    }
    std::fs::rename(&part, target)
        .map_err(local_err("cannot rename the finished download", target))?;
    Ok(received)
}

fn size_mismatch(expected: u64, received: u64) -> RemoteError {
    RemoteError::new(
        ErrorKind::SizeMismatch,
        format!("transfer incomplete: expected {expected} bytes, got {received}"),
    )
}

/// The `.part` file a download is written to. It is created on the blocking pool while the
/// server sets up the transfer: creating a file took a third of a millisecond here when
/// other builds kept ext4 busy, and inline it would stall every other transfer on this
/// thread. The writes stay inline: each lands in the page cache in microseconds, while a hop
/// per write cost more than the transfer itself for small files (bench/mirror.sh).
struct PartFile<'a> {
    opening: Option<tokio::task::JoinHandle<Result<std::fs::File, RemoteError>>>,
    file: Option<std::fs::File>,
    part: &'a Path,
    done: u64,
    limit: Option<Arc<RateLimiter>>,
    on_progress: &'a mut (dyn FnMut(u64) + Send),
}

impl<'a> PartFile<'a> {
    fn open(
        part: &'a Path,
        offset: u64,
        limit: Option<Arc<RateLimiter>>,
        on_progress: &'a mut (dyn FnMut(u64) + Send),
    ) -> Self {
        let path = part.to_path_buf();
        Self {
            opening: Some(tokio::task::spawn_blocking(move || {
                open_part(&path, offset)
            })),
            file: None,
            part,
            done: offset,
            limit,
            on_progress,
        }
    }

    async fn file(&mut self) -> Result<&mut std::fs::File, RemoteError> {
        if let Some(opening) = self.opening.take() {
            let file = opening.await.unwrap_or_else(|join| {
                Err(RemoteError::new(
                    ErrorKind::Local,
                    format!(
                        "cannot create the partial file: {join}: {}",
                        self.part.display()
                    ),
                ))
            })?;
            self.file = Some(file);
        }
        self.file.as_mut().ok_or_else(|| {
            RemoteError::new(
                ErrorKind::Local,
                format!("the partial file is closed: {}", self.part.display()),
            )
        })
    }

    /// Flushes the file (creating it, for an empty download), once the data is in.
    async fn close(&mut self) -> Result<(), RemoteError> {
        let part = self.part;
        let file = self.file().await?;
        std::io::Write::flush(file).map_err(local_err("cannot write the partial file", part))?;
        self.file = None;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Sink for PartFile<'_> {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), RemoteError> {
        if let Some(limit) = &self.limit {
            limit.consume(chunk.len()).await;
        }
        let part = self.part;
        let file = self.file().await?;
        std::io::Write::write_all(file, chunk)
            .map_err(local_err("cannot write the partial file", part))?;
        self.done += chunk.len() as u64;
        (self.on_progress)(self.done);
        Ok(())
    }
}

/// Opens (or creates) the partial file, at `offset`, never through a planted link.
fn open_part(part: &Path, offset: u64) -> Result<std::fs::File, RemoteError> {
    crate::local::open_partial(part, offset)
        .map_err(local_err("cannot open the partial file", part))
}

/// Uploads `file.local` to `file.remote` under `file.policy`.
pub async fn upload(
    session: &mut dyn RemoteSession,
    file: FileTransfer<'_>,
    flow: Flow<'_>,
) -> Result<Outcome, RemoteError> {
    if let Some(expect) = file.expect {
        check_upload(session, &file, expect).await?;
    }
    let mut target = file.remote.to_vec();
    let mut overwrite = false;
    // A retry continues what the last attempt sent.
    let mut resume = file.retrying;
    // The remote size, once asked: `Some(None)` means there is no such file.
    let mut known_size: Option<Option<u64>> = None;
    if file.target_absent && !file.retrying {
        known_size = Some(None);
    } else if !file.retrying {
        match file.policy {
            ExistsPolicy::Refuse => {}
            ExistsPolicy::Overwrite => overwrite = true,
            ExistsPolicy::Resume => resume = true,
            ExistsPolicy::Ask => {
                if let Some(stat) = session.stat(file.remote, Facts::ALL).await? {
                    let meta = tokio::fs::metadata(file.local).await.ok();
                    return Ok(Outcome::NeedsAnswer(ExistingTarget {
                        source_size: meta.as_ref().map(std::fs::Metadata::len),
                        target_size: stat.size,
                        source_modified: meta.as_ref().and_then(local_mtime),
                        target_modified: stat.modified.map(|t| t.to_unix_secs()),
                    }));
                }
                known_size = Some(None);
            }
            ExistsPolicy::OverwriteIfSizeDiffers => {
                let local_size = tokio::fs::metadata(file.local).await.ok().map(|m| m.len());
                let size = remote_size(session, file.remote).await?;
                if size.is_some() && size == local_size {
                    return Ok(skipped("the remote file has the same size"));
                }
                overwrite = true;
            }
            ExistsPolicy::Rename => {
                let size = remote_size(session, file.remote).await?;
                if size.is_some() {
                    let dir = path::parent(file.remote).to_vec();
                    let name = path::file_name(file.remote).to_vec();
                    let mut found = None;
                    for n in 1..=999 {
                        let candidate = path::join(&dir, &numbered_name(&name, n));
                        if remote_size(session, &candidate).await?.is_none() {
                            found = Some(candidate);
                            break;
                        }
                    }
                    target = found.ok_or_else(|| {
                        RemoteError::new(
                            ErrorKind::NoFreeName,
                            "no free name on the server for the upload (999 tried)",
                        )
                    })?;
                }
                known_size = Some(None);
            }
            ExistsPolicy::Skip => {
                let size = remote_size(session, file.remote).await?;
                if size.is_some() {
                    return Ok(skipped("the remote file exists"));
                }
                known_size = Some(size);
            }
            ExistsPolicy::OverwriteIfNewerOrSizeDiffers => {
                match session.stat(file.remote, Facts::ALL).await? {
                    Some(stat) => {
                        let meta = tokio::fs::metadata(file.local).await.ok();
                        let newer = match (meta.as_ref().and_then(local_mtime), stat.modified) {
                            (Some(local), Some(remote)) => local > remote.to_unix_secs(),
                            _ => false,
                        };
                        if !newer && stat.size.is_some() && stat.size == meta.map(|m| m.len()) {
                            return Ok(skipped(
                                "the remote file is not older and has the same size",
                            ));
                        }
                        overwrite = true;
                    }
                    None => known_size = Some(None),
                }
            }
            ExistsPolicy::OverwriteIfNewer => {
                let remote = session
                    .stat(file.remote, Facts::MODIFIED)
                    .await?
                    .and_then(|s| s.modified);
                if let Some(remote) = remote {
                    let local_secs = tokio::fs::metadata(file.local)
                        .await
                        .ok()
                        .and_then(|m| m.modified().ok())
                        .and_then(unix_secs)
                        .unwrap_or(0);
                    if local_secs <= remote.to_unix_secs() {
                        return Ok(skipped("the remote file is not older"));
                    }
                }
                overwrite = true;
            }
        }
    }
    let bytes = send(session, &file, &target, known_size, overwrite, resume, flow).await?;
    if file.preserve_times {
        keep_local_time(session, &file, &target).await;
    }
    Ok(Outcome::Transferred { bytes })
}

/// The upload itself: from the remote size when resuming; the stored size checked after.
async fn send(
    session: &mut dyn RemoteSession,
    file: &FileTransfer<'_>,
    target: &[u8],
    known_remote_size: Option<Option<u64>>,
    overwrite: bool,
    resume: bool,
    flow: Flow<'_>,
) -> Result<u64, RemoteError> {
    let source = file.local;
    // Opened and read inline, as downloads write inline: each step is a page-cache
    // operation of microseconds, while a hop to the blocking pool per step (and tokio's
    // copy through its own buffer per read) cost more than a small file's transfer.
    let opened = if file.from_listing {
        crate::local::open_listed_file(source)
    } else {
        std::fs::File::open(source).and_then(|f| f.metadata().map(|meta| (f, meta)))
    };
    let (mut local, meta) = opened.map_err(local_err("cannot open the file to upload", source))?;
    let local_size = meta.len();
    let binary = file.data_type == DataType::Binary;
    // Replacing needs no look at the target; anything else does.
    let existing = match known_remote_size {
        Some(known) => known,
        None if overwrite && !resume => None,
        None => remote_size(session, target).await?,
    };
    let mut at = WriteAt::Start;
    let mut offset = 0;
    match existing {
        Some(size) if resume && binary => {
            if size > local_size {
                return Err(RemoteError::new(
                    ErrorKind::CannotResume,
                    format!(
                        "cannot resume: the remote file ({size} bytes) is larger than {} ({local_size} bytes)",
                        source.display()
                    ),
                ));
            }
            if size == local_size {
                session.log().status("The remote file is already complete");
                return Ok(0);
            }
            offset = size;
            at = WriteAt::Offset(size);
            session
                .log()
                .status(format!("Resuming upload at byte {size}"));
        }
        Some(_) if !overwrite => {
            return Err(target_exists(&format!(
                "the remote file {}",
                session.charset().decode(target)
            )));
        }
        _ => {}
    }
    if offset > 0 {
        std::io::Seek::seek(&mut local, std::io::SeekFrom::Start(offset))
            .map_err(local_err("cannot seek in the file to upload", source))?;
    }
    let mut reader = LocalFile {
        file: local,
        path: source,
        done: offset,
        limit: flow.limit,
        on_progress: flow.on_progress,
    };
    let sent = loop {
        let request = WriteRequest {
            path: target,
            at,
            data_type: file.data_type,
            expected: Some(local_size.saturating_sub(offset)),
            cancel: flow.cancel,
        };
        match session.write(request, &mut reader).await {
            // The server cannot continue the file (REST refused): it is sent whole.
            Err(err) if offset > 0 && err.kind() == ErrorKind::CannotResume => {
                session
                    .log()
                    .status(format!("{err}; uploading the whole file again"));
                offset = 0;
                at = WriteAt::Start;
                reader.rewind().await?;
            }
            written => break written?,
        }
    };
    let total = offset + sent;
    // A server can store less than it was sent and still say 226 (a TLS close race seen
    // with pyftpdlib), and a continued upload is only right if the offsets were: check
    // those. A whole file over plain TCP reached the server before its end did, and the
    // 226 says it was stored: asking again would cost a round trip per file.
    let tls_data = matches!(
        session.capabilities().security,
        crate::remote::Security::Tls { data: true, .. }
    );
    if binary
        && (offset > 0 || tls_data)
        && let Some(stored) = remote_size(session, target).await?
        && stored != total
    {
        return Err(size_mismatch(total, stored));
    }
    Ok(sent)
}

/// The local file an upload reads, through the speed limit.
struct LocalFile<'a> {
    file: std::fs::File,
    path: &'a Path,
    done: u64,
    limit: Option<Arc<RateLimiter>>,
    on_progress: &'a mut (dyn FnMut(u64) + Send),
}

impl LocalFile<'_> {
    /// Back to the first byte, for a transfer that starts again from the beginning.
    async fn rewind(&mut self) -> Result<(), RemoteError> {
        std::io::Seek::seek(&mut self.file, std::io::SeekFrom::Start(0))
            .map_err(local_err("cannot seek in the file to upload", self.path))?;
        self.done = 0;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Source for LocalFile<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, RemoteError> {
        let n = std::io::Read::read(&mut self.file, buf)
            .map_err(local_err("cannot read the file to upload", self.path))?;
        if n > 0 {
            if let Some(limit) = &self.limit {
                limit.consume(n).await;
            }
            self.done += n as u64;
            (self.on_progress)(self.done);
        }
        Ok(n)
    }
}

/// Where a download of `remote` into the folder `dir` goes: its name made safe for the
/// local disk (`crate::local::local_name`).
pub fn local_target(
    dir: &Path,
    remote: &[u8],
    charset: crate::proto::charset::Charset,
    replacement: crate::local::Replacement,
) -> Result<PathBuf, crate::local::UnsafeName> {
    let name = crate::local::local_name(path::file_name(remote), charset, replacement)?;
    Ok(dir.join(name.name))
}
