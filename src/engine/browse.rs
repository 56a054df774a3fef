//! Browsing and remote file operations (list, mkdir, rename, delete, chmod) for a face, on
//! one session per server kept apart from the transfer pool, as FileZilla does: a listing
//! never waits behind a queue of transfers. Requests to one server run in order, in a task
//! of their own; the session's state goes out as `EngineEvent::Connection`.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::checksum::RemoteChecksums;
use super::core::{Emitter, connect};
use super::item::TreeFilters;
use super::{ConnectionState, EngineEvent, SessionRole};
use crate::folder_sync::Node;
use crate::proto::listing::Entry;
use crate::remote::{ErrorKind, Facts, RemoteError, RemoteSession, RetryClass, Server};

/// Which request an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOp {
    /// A directory listing; an empty path is the current (at first: the login) directory.
    List(Vec<u8>),
    Mkdir(Vec<u8>),
    Rmdir(Vec<u8>),
    Delete(Vec<u8>),
    Rename {
        from: Vec<u8>,
        to: Vec<u8>,
    },
    /// The Unix permission bits (e.g. `0o644`).
    Chmod {
        path: Vec<u8>,
        mode: u32,
    },
    /// The whole tree below a folder (`engine::walk`), answered as a listing whose entries
    /// are named by their paths below it (`docs/a.txt`).
    Walk {
        root: Vec<u8>,
        filters: Option<Arc<TreeFilters>>,
    },
    /// Deletes a file only if it is still what a sync's plan saw (size and time), else
    /// fails as `ErrorKind::Changed`.
    DeleteUnchanged {
        path: Vec<u8>,
        seen: Node,
    },
    /// The server's checksums of files (path, size seen), one after the other, answered by
    /// `EngineEvent::Checksums`; none named: only whether it offers checksums, and which.
    /// A file the server refuses to hash gets its error; the rest go on.
    Checksums {
        files: Vec<(Vec<u8>, Option<u64>)>,
    },
    /// Searches the tree below `root` (empty: the current folder) for what `criteria` find
    /// (`engine::search`): each folder listed is an `EngineEvent::SearchFound` as the walk
    /// goes, and `EngineEvent::RemoteDone` ends it (`ErrorKind::Cancelled` once `cancel`
    /// stopped it). Requests to the server behind it wait until it ends.
    Search {
        root: Vec<u8>,
        criteria: Arc<crate::search::Criteria>,
        cancel: crate::cancel::Cancel,
    },
    /// A command line as the user typed it (Server > Enter custom command, `skiff quote`),
    /// answered by `EngineEvent::RawReply`: the reply, whatever its code (in the log too).
    /// SFTP has no such commands: `ErrorKind::Unsupported`.
    Raw(String),
}

/// Starts the worker for one server: it owns the browsing session and runs requests in
/// the order they come. Dropping the sender ends it, and the session logs out.
pub(crate) fn start_worker(
    server: Arc<Server>,
    emitter: Emitter,
) -> mpsc::UnboundedSender<(RequestId, RemoteOp)> {
    // Requests come at the user's pace.
    let (tx, mut rx) = mpsc::unbounded_channel::<(RequestId, RemoteOp)>();
    tokio::spawn(async move {
        let key = server.key();
        let conn = server.log.conn();
        let mut session: Option<Box<dyn RemoteSession>> = None;
        while let Some((request, op)) = rx.recv().await {
            let reused = session.is_some();
            let mut result = run(&mut session, &server, &emitter, request, &op).await;
            // A session the server dropped while idle: connect again, once.
            if reused
                && session.is_none()
                && matches!(&result, Err(e) if e.retry_class() == RetryClass::Transient)
            {
                result = run(&mut session, &server, &emitter, request, &op).await;
            }
            let event = match result {
                Ok(Answer::Listed(path, entries)) => EngineEvent::Listing {
                    request,
                    path,
                    entries: entries.into(),
                },
                Ok(Answer::Checksums(checksums)) => EngineEvent::Checksums {
                    request,
                    result: Ok(Arc::new(checksums)),
                },
                Ok(Answer::Raw(reply)) => EngineEvent::RawReply {
                    request,
                    result: Ok(reply),
                },
                Ok(Answer::Done) => EngineEvent::RemoteDone {
                    request,
                    result: Ok(()),
                },
                Err(err) if matches!(op, RemoteOp::Checksums { .. }) => EngineEvent::Checksums {
                    request,
                    result: Err(err),
                },
                Err(err) if matches!(op, RemoteOp::Raw(_)) => EngineEvent::RawReply {
                    request,
                    result: Err(err),
                },
                Err(err) => EngineEvent::RemoteDone {
                    request,
                    result: Err(err),
                },
            };
            if !emitter.emit(event) {
                break;
            }
        }
        if let Some(session) = session {
            session.quit().await;
            emitter.connection(
                &key,
                conn,
                SessionRole::Browsing,
                ConnectionState::Disconnected { reason: None },
            );
        }
    });
    tx
}

/// What an operation gives back.
enum Answer {
    Done,
    /// A folder's real path and its entries.
    Listed(Vec<u8>, Vec<Entry>),
    Checksums(RemoteChecksums),
    Raw(crate::remote::RawReply),
}

/// Runs `op` on the session, logging on first if there is none; a session left unusable
/// by the failure is dropped (and the face told why).
async fn run(
    session: &mut Option<Box<dyn RemoteSession>>,
    server: &Server,
    emitter: &Emitter,
    request: RequestId,
    op: &RemoteOp,
) -> Result<Answer, RemoteError> {
    let s = match session {
        Some(s) => s,
        None => session.insert(connect(server, SessionRole::Browsing, emitter).await?),
    };
    let done = |r: Result<(), RemoteError>| r.map(|()| Answer::Done);
    let result = match op {
        RemoteOp::List(path) => match s.list(path).await {
            // Where the listing really is (the login directory, a symlinked path, ...).
            Ok(entries) => s
                .real_path(path)
                .await
                .map(|real| Answer::Listed(real, entries)),
            Err(err) => Err(err),
        },
        RemoteOp::Mkdir(path) => done(s.mkdir(path).await),
        RemoteOp::Rmdir(path) => done(s.rmdir(path).await),
        RemoteOp::Delete(path) => done(s.delete(path).await),
        RemoteOp::Rename { from, to } => done(s.rename(from, to).await),
        RemoteOp::Chmod { path, mode } => done(s.chmod(path, *mode).await),
        RemoteOp::Walk { root, filters } => {
            match super::walk::remote_tree(s.as_mut(), root, filters.as_deref()).await {
                Ok(entries) => s
                    .real_path(root)
                    .await
                    .map(|real| Answer::Listed(real, entries)),
                Err(err) => Err(err),
            }
        }
        RemoteOp::DeleteUnchanged { path, seen } => {
            done(delete_unchanged(s.as_mut(), path, seen).await)
        }
        RemoteOp::Checksums { files } => checksums(s.as_mut(), files).await.map(Answer::Checksums),
        RemoteOp::Search {
            root,
            criteria,
            cancel,
        } => done(search(s.as_mut(), emitter, request, root, criteria, cancel).await),
        RemoteOp::Raw(command) => s.raw(command).await.map(Answer::Raw),
    };
    if !s.is_usable() {
        let conn = s.log().conn();
        *session = None;
        emitter.connection(
            &server.key(),
            conn,
            SessionRole::Browsing,
            ConnectionState::Disconnected {
                reason: result.as_ref().err().cloned(),
            },
        );
    }
    result
}

/// `RemoteOp::Search`: the criteria compiled (a bad one fails the request), the root made
/// a real path, and each folder's findings sent as they come.
async fn search(
    session: &mut dyn RemoteSession,
    emitter: &Emitter,
    request: RequestId,
    root: &[u8],
    criteria: &crate::search::Criteria,
    cancel: &crate::cancel::Cancel,
) -> Result<(), RemoteError> {
    let matcher = criteria.compile().map_err(|bad| {
        RemoteError::new(
            ErrorKind::BadInput,
            format!("{:?}: {}", bad.pattern, bad.reason),
        )
    })?;
    let root = if root.is_empty() {
        session.real_path(root).await?
    } else {
        root.to_vec()
    };
    let mut report = |folder: Vec<u8>, result: super::search::FolderResult| {
        emitter.emit(EngineEvent::SearchFound {
            request,
            folder,
            result: result.map(Into::into),
        })
    };
    let searched = super::search::search(session, &root, &matcher, cancel, &mut report).await?;
    session.log().status(format!(
        "Search done: {} found in {} folders",
        searched.found, searched.folders
    ));
    Ok(())
}

/// `RemoteOp::Checksums`: each file's checksum in turn. A refusal for one file (no such
/// file, no permission, a reply that cannot be believed) is that file's answer; a failure
/// that leaves the session unusable ends it all.
async fn checksums(
    session: &mut dyn RemoteSession,
    files: &[(Vec<u8>, Option<u64>)],
) -> Result<RemoteChecksums, RemoteError> {
    let Some(algorithm) = session.capabilities().checksum else {
        return Err(crate::remote::checksums_not_offered(session.capabilities()));
    };
    let mut digests = Vec::with_capacity(files.len());
    for (path, size) in files {
        let digest = session.checksum(path, *size).await;
        match digest {
            Err(err) if !session.is_usable() => return Err(err),
            digest => digests.push(digest),
        }
    }
    Ok(RemoteChecksums { algorithm, digests })
}

/// `RemoteOp::DeleteUnchanged`: a stat (FTP: SIZE and MDTM), then the deletion.
async fn delete_unchanged(
    session: &mut dyn RemoteSession,
    path: &[u8],
    seen: &Node,
) -> Result<(), RemoteError> {
    let now = session
        .stat(path, Facts::ALL)
        .await?
        .map(|s| (s.size, s.modified));
    if let Some(why) = crate::transfer::moved_on(Some(seen), now) {
        let shown = session.charset().decode(path).into_owned();
        return Err(crate::transfer::changed(&shown, why));
    }
    session.delete(path).await
}
