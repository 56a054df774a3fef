//! Browsing and remote file operations (list, mkdir, rename, delete, chmod) for a face, on
//! one session per server kept apart from the transfer pool, as FileZilla does: a listing
//! never waits behind a queue of transfers. Requests to one server run in order, in a task
//! of their own; the session's state goes out as `EngineEvent::Connection`.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::core::{Emitter, connect};
use super::item::TreeFilters;
use super::{ConnectionState, EngineEvent, SessionRole};
use crate::folder_sync::Node;
use crate::proto::listing::Entry;
use crate::remote::{Facts, RemoteError, RemoteSession, RetryClass, Server};

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
            let mut result = run(&mut session, &server, &emitter, &op).await;
            // A session the server dropped while idle: connect again, once.
            if reused
                && session.is_none()
                && matches!(&result, Err(e) if e.retry_class() == RetryClass::Transient)
            {
                result = run(&mut session, &server, &emitter, &op).await;
            }
            let event = match result {
                Ok(Some((path, entries))) => EngineEvent::Listing {
                    request,
                    path,
                    entries: entries.into(),
                },
                Ok(None) => EngineEvent::RemoteDone {
                    request,
                    result: Ok(()),
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

type Listed = Option<(Vec<u8>, Vec<Entry>)>;

/// Runs `op` on the session, logging on first if there is none; a session left unusable
/// by the failure is dropped (and the face told why).
async fn run(
    session: &mut Option<Box<dyn RemoteSession>>,
    server: &Server,
    emitter: &Emitter,
    op: &RemoteOp,
) -> Result<Listed, RemoteError> {
    let s = match session {
        Some(s) => s,
        None => session.insert(connect(server, SessionRole::Browsing, emitter).await?),
    };
    let result = match op {
        RemoteOp::List(path) => match s.list(path).await {
            // Where the listing really is (the login directory, a symlinked path, ...).
            Ok(entries) => s.real_path(path).await.map(|real| Some((real, entries))),
            Err(err) => Err(err),
        },
        RemoteOp::Mkdir(path) => s.mkdir(path).await.map(|()| None),
        RemoteOp::Rmdir(path) => s.rmdir(path).await.map(|()| None),
        RemoteOp::Delete(path) => s.delete(path).await.map(|()| None),
        RemoteOp::Rename { from, to } => s.rename(from, to).await.map(|()| None),
        RemoteOp::Chmod { path, mode } => s.chmod(path, *mode).await.map(|()| None),
        RemoteOp::Walk { root, filters } => {
            match super::walk::remote_tree(s.as_mut(), root, filters.as_deref()).await {
                Ok(entries) => s.real_path(root).await.map(|real| Some((real, entries))),
                Err(err) => Err(err),
            }
        }
        RemoteOp::DeleteUnchanged { path, seen } => delete_unchanged(s.as_mut(), path, seen)
            .await
            .map(|()| None),
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
