//! Running one queue item on a connection: a file under the existing-file policy, or a
//! directory, which is expanded into items for its entries (lazily: when it runs).

use std::path::Path;
use std::sync::Arc;

use super::item::{Direction, ExistsPolicy, ItemId, ItemKind, TransferSpec, numbered_name};
use super::tree::{MAX_DEPTH, TreeSlot};
use crate::net::{Connection, FtpError};
use crate::proto::listing::EntryKind;
use crate::proto::path;
use crate::rate::RateLimiter;
use crate::transfer::{TransferOptions, download, upload};

/// How a job ended (errors are returned separately).
#[derive(Debug)]
pub enum JobDone {
    Transferred {
        bytes: u64,
    },
    Skipped {
        why: String,
    },
    /// A directory: its entries, to be queued, and the entries that were refused (each
    /// with a log line already), as the user sees them.
    Expanded {
        children: Vec<TransferSpec>,
        refused: Vec<String>,
    },
    /// The target exists and the policy is to ask.
    NeedsAnswer(ExistingTarget),
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

fn local_mtime(meta: &std::fs::Metadata) -> Option<i64> {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

/// What a job needs besides its connection and its item.
pub struct JobContext<'a> {
    /// The item, and its place in its tree (for loops and the depth limit).
    pub id: ItemId,
    pub tree: &'a TreeSlot,
    /// Earlier attempts may have left data to resume from.
    pub retrying: bool,
    pub limit: Option<Arc<RateLimiter>>,
    pub transfer_type: crate::proto::command::TransferType,
    pub cancel: &'a crate::cancel::Cancel,
}

/// Runs `spec` on `conn`.
pub async fn run(
    conn: &mut Connection,
    spec: &TransferSpec,
    context: JobContext<'_>,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<JobDone, FtpError> {
    let JobContext {
        id,
        tree,
        retrying,
        limit,
        transfer_type,
        cancel,
    } = context;
    let options = TransferOptions {
        transfer_type,
        resume: retrying,
        limit,
        cancel: Some(cancel.clone()),
        // A listing's size is current enough to check the download against; a retry asks
        // again in case the file changed meanwhile.
        expected_size: spec
            .size
            .filter(|_| !retrying && spec.direction == Direction::Download),
        ..TransferOptions::default()
    };
    match (spec.kind, spec.direction) {
        (ItemKind::File, Direction::Download) => {
            download_file(conn, spec, options, on_progress).await
        }
        (ItemKind::File, Direction::Upload) => {
            upload_file(conn, spec, retrying, options, on_progress).await
        }
        (ItemKind::DirectoryContents, Direction::Download) => {
            expand_remote(conn, spec, id, tree).await
        }
        (ItemKind::DirectoryContents, Direction::Upload) => expand_local(conn, spec).await,
    }
}

async fn download_file(
    conn: &mut Connection,
    spec: &TransferSpec,
    mut options: TransferOptions,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<JobDone, FtpError> {
    if let Ok(meta) = std::fs::metadata(&spec.local) {
        match spec.exists {
            ExistsPolicy::Refuse => {
                return Err(FtpError::Refused(format!(
                    "{} already exists (choose overwrite, resume, newer or skip)",
                    spec.local.display()
                )));
            }
            ExistsPolicy::Skip => return Ok(skipped("the local file exists")),
            ExistsPolicy::Overwrite => options.overwrite = true,
            ExistsPolicy::Ask => {
                let source_size = match spec.size {
                    Some(size) => Some(size),
                    None => conn.size(&spec.remote).await?,
                };
                let source_modified = conn.mdtm(&spec.remote).await?.map(|t| t.to_unix_secs());
                return Ok(JobDone::NeedsAnswer(ExistingTarget {
                    source_size,
                    target_size: Some(meta.len()),
                    source_modified,
                    target_modified: local_mtime(&meta),
                }));
            }
            ExistsPolicy::OverwriteIfSizeDiffers => {
                let remote_size = match spec.size {
                    Some(size) => Some(size),
                    None => conn.size(&spec.remote).await?,
                };
                if remote_size == Some(meta.len()) {
                    return Ok(skipped("the local file has the same size"));
                }
                options.overwrite = true;
            }
            ExistsPolicy::Rename => {
                let name = spec
                    .local
                    .file_name()
                    .map(crate::local::os_bytes)
                    .unwrap_or_default();
                let free = (1..=999)
                    .map(|n| {
                        spec.local
                            .with_file_name(crate::local::bytes_os(&numbered_name(&name, n)))
                    })
                    .find(|candidate| {
                        !candidate.exists() && !crate::transfer::part_path(candidate).exists()
                    })
                    .ok_or_else(|| {
                        FtpError::Refused(format!("no free name for {}", spec.local.display()))
                    })?;
                let outcome = download(conn, &spec.remote, &free, options, on_progress).await?;
                return Ok(JobDone::Transferred {
                    bytes: outcome.transferred,
                });
            }
            ExistsPolicy::Resume => {
                // Continue the existing file: it becomes the .part that is resumed.
                let remote_size = conn.size(&spec.remote).await?;
                if remote_size == Some(meta.len()) {
                    return Ok(skipped("the local file is already complete"));
                }
                // A larger local file is not a beginning of this one: resuming would replace it.
                if remote_size.is_none_or(|size| meta.len() > size) {
                    return Err(FtpError::Refused(format!(
                        "cannot resume {}: it is larger than the remote file (or that has no size)",
                        spec.local.display()
                    )));
                }
                tokio::fs::rename(&spec.local, crate::transfer::part_path(&spec.local))
                    .await
                    .map_err(|source| FtpError::LocalIo {
                        what: "cannot prepare the file for resuming",
                        path: spec.local.clone(),
                        source,
                    })?;
                options.resume = true;
            }
            ExistsPolicy::OverwriteIfNewer => {
                let remote_time = conn.mdtm(&spec.remote).await?;
                let local_secs = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs() as i64);
                match (remote_time, local_secs) {
                    (Some(remote), Some(local)) if remote.to_unix_secs() > local => {
                        options.overwrite = true;
                    }
                    _ => return Ok(skipped("the local file is not older")),
                }
            }
        }
    }
    let outcome = download(conn, &spec.remote, &spec.local, options, on_progress).await?;
    Ok(JobDone::Transferred {
        bytes: outcome.transferred,
    })
}

async fn upload_file(
    conn: &mut Connection,
    spec: &TransferSpec,
    retrying: bool,
    mut options: TransferOptions,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<JobDone, FtpError> {
    if !retrying {
        match spec.exists {
            ExistsPolicy::Refuse => {}
            ExistsPolicy::Overwrite => options.overwrite = true,
            ExistsPolicy::Resume => options.resume = true,
            ExistsPolicy::Ask => {
                if let Some(target_size) = conn.size(&spec.remote).await? {
                    let meta = tokio::fs::metadata(&spec.local).await.ok();
                    return Ok(JobDone::NeedsAnswer(ExistingTarget {
                        source_size: meta.as_ref().map(std::fs::Metadata::len),
                        target_size: Some(target_size),
                        source_modified: meta.as_ref().and_then(local_mtime),
                        target_modified: conn.mdtm(&spec.remote).await?.map(|t| t.to_unix_secs()),
                    }));
                }
            }
            ExistsPolicy::OverwriteIfSizeDiffers => {
                let local_size = tokio::fs::metadata(&spec.local).await.ok().map(|m| m.len());
                match conn.size(&spec.remote).await? {
                    Some(remote) if Some(remote) == local_size => {
                        return Ok(skipped("the remote file has the same size"));
                    }
                    _ => options.overwrite = true,
                }
            }
            ExistsPolicy::Rename => {
                let mut target = spec.remote.clone();
                if conn.size(&spec.remote).await?.is_some() {
                    let dir = path::parent(&spec.remote).to_vec();
                    let name = path::file_name(&spec.remote).to_vec();
                    let mut found = None;
                    for n in 1..=999 {
                        let candidate = path::join(&dir, &numbered_name(&name, n));
                        if conn.size(&candidate).await?.is_none() {
                            found = Some(candidate);
                            break;
                        }
                    }
                    target = found.ok_or_else(|| {
                        FtpError::Refused("no free name on the server for the upload".into())
                    })?;
                }
                let outcome = upload(conn, &spec.local, &target, options, on_progress).await?;
                return Ok(JobDone::Transferred {
                    bytes: outcome.transferred,
                });
            }
            ExistsPolicy::Skip => {
                if conn.size(&spec.remote).await?.is_some() {
                    return Ok(skipped("the remote file exists"));
                }
            }
            ExistsPolicy::OverwriteIfNewer => {
                if let Some(remote) = conn.mdtm(&spec.remote).await? {
                    let local_secs = tokio::fs::metadata(&spec.local)
                        .await
                        .ok()
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(0);
                    if local_secs <= remote.to_unix_secs() {
                        return Ok(skipped("the remote file is not older"));
                    }
                }
                options.overwrite = true;
            }
        }
    }
    let outcome = upload(conn, &spec.local, &spec.remote, options, on_progress).await?;
    Ok(JobDone::Transferred {
        bytes: outcome.transferred,
    })
}

fn skipped(why: &str) -> JobDone {
    JobDone::Skipped {
        why: why.to_owned(),
    }
}

fn child(
    spec: &TransferSpec,
    kind: ItemKind,
    local: &Path,
    remote: Vec<u8>,
    size: Option<u64>,
) -> TransferSpec {
    TransferSpec {
        kind,
        local: local.to_path_buf(),
        remote,
        size,
        ..spec.clone()
    }
}

/// A remote directory: list it, create the local one, queue its entries. Nothing can be
/// written outside the chosen folder: every local name is one checked component
/// (`local::local_name`), links are not followed, case/NFC-NFD twins get numbered names,
/// a folder the tree listed already (a loop) or one too deep is refused; each refused or
/// renamed entry gets a log line.
async fn expand_remote(
    conn: &mut Connection,
    spec: &TransferSpec,
    id: ItemId,
    tree: &TreeSlot,
) -> Result<JobDone, FtpError> {
    let charset = conn.charset();
    let shown = |name: &[u8]| format!("{:?}", charset.decode(name));
    if !spec.remote.is_empty() {
        conn.cwd(&spec.remote).await?;
    }
    // The server's own name for the folder: `self -> .` listed as a folder is the parent
    // again. A server that refuses PWD falls back to the path asked for (the depth limit
    // holds); a PWD that timed out or lost the connection is a failure like any other, or
    // its late reply would answer the next command.
    let real = match conn.pwd().await {
        Ok(path) => path,
        Err(err) if err.reply().is_some() => spec.remote.clone(),
        Err(err) => return Err(err),
    };
    if !tree.visit(&real, id) {
        let text = format!(
            "Skipped the folder {}: the server listed it before as {} (a link loop, or a second link to one folder)",
            shown(&spec.remote),
            shown(&real)
        );
        conn.log().error(text.clone());
        return Err(FtpError::Refused(text));
    }
    let entries = conn.list(b"").await?;
    tokio::fs::create_dir_all(&spec.local)
        .await
        .map_err(|source| FtpError::LocalIo {
            what: "cannot create the folder",
            path: spec.local.clone(),
            source,
        })?;
    let mut children = Vec::with_capacity(entries.len());
    let mut refused = Vec::new();
    let mut taken = crate::local::FolderNames::default();
    for entry in entries {
        let mut refuse = |text: String| {
            conn.log().error(text);
            refused.push(shown(&entry.name));
        };
        let name =
            match crate::local::local_name(&entry.name, charset, spec.server.name_replacement) {
                Ok(name) => name,
                Err(unsafe_name) => {
                    refuse(format!("Skipped: {unsafe_name}"));
                    continue;
                }
            };
        let kind = match entry.kind {
            EntryKind::File => ItemKind::File,
            EntryKind::Dir if !tree.may_descend() => {
                refuse(format!(
                    "Skipped the folder {}: it is more than {MAX_DEPTH} folders deep (a link loop?)",
                    shown(&entry.name)
                ));
                continue;
            }
            EntryKind::Dir => ItemKind::DirectoryContents,
            EntryKind::Link => {
                // Never followed, never created locally: the target could be anywhere.
                conn.log().status(format!(
                    "Skipped the symbolic link {}: links are not followed",
                    shown(&entry.name)
                ));
                continue;
            }
        };
        let wanted = crate::local::os_bytes(&name.name);
        let claimed = match kind {
            ItemKind::File => taken.claim_file(&wanted),
            ItemKind::DirectoryContents => taken.claim(&wanted),
        };
        let Some(local) = claimed else {
            refuse(format!(
                "Skipped {}: no free local name (up to 999 tried)",
                shown(&entry.name)
            ));
            continue;
        };
        if local != wanted {
            conn.log().status(format!(
                "{} is saved as {}: another entry of the folder has its local name (or one that \
                 differs only in case or Unicode form, the same file on Windows and macOS)",
                shown(&entry.name),
                shown(&local)
            ));
        } else if name.changed {
            conn.log().status(format!(
                "{} is saved as {}: the local file system cannot hold the name as it is",
                shown(&entry.name),
                shown(&local)
            ));
        }
        let remote = path::join(&spec.remote, &entry.name);
        children.push(child(
            spec,
            kind,
            &spec.local.join(crate::local::bytes_os(&local)),
            remote,
            entry.size,
        ));
    }
    Ok(JobDone::Expanded { children, refused })
}

/// A local directory: create the remote one (if missing), queue its entries.
async fn expand_local(conn: &mut Connection, spec: &TransferSpec) -> Result<JobDone, FtpError> {
    if !spec.remote.is_empty() && spec.remote != b"/" && conn.mkdir(&spec.remote).await.is_err() {
        // 550 for an existing directory is fine; anything else shows on CWD.
        conn.cwd(&spec.remote).await?;
    }
    let mut dir = tokio::fs::read_dir(&spec.local)
        .await
        .map_err(|source| FtpError::LocalIo {
            what: "cannot read the folder",
            path: spec.local.clone(),
            source,
        })?;
    let charset = conn.charset();
    let mut children = Vec::new();
    let mut refused = Vec::new();
    loop {
        let entry = match dir.next_entry().await {
            Ok(Some(entry)) => entry,
            Ok(None) => break,
            Err(source) => {
                return Err(FtpError::LocalIo {
                    what: "cannot read the folder",
                    path: spec.local.clone(),
                    source,
                });
            }
        };
        let file_type = match entry.file_type().await {
            Ok(t) => t,
            Err(_) => continue,
        };
        let kind = if file_type.is_dir() {
            ItemKind::DirectoryContents
        } else if file_type.is_file() {
            ItemKind::File
        } else {
            conn.log().status(format!(
                "Skipped {}: not a regular file",
                entry.path().display()
            ));
            continue;
        };
        // Checked before anything is sent for it: CR/LF would end the command early.
        let name = match crate::local::remote_name(&entry.file_name(), charset) {
            Ok(name) => name,
            Err(err) => {
                conn.log()
                    .error(format!("Skipped {:?}: {err}", entry.path()));
                refused.push(format!("{:?}", entry.file_name()));
                continue;
            }
        };
        let size = entry.metadata().await.ok().map(|m| m.len());
        children.push(child(
            spec,
            kind,
            &entry.path(),
            path::join(&spec.remote, &name),
            size,
        ));
    }
    Ok(JobDone::Expanded { children, refused })
}
