//! Browsing and remote file operations (list, mkdir, rename, delete) for a face, on one
//! connection per server kept apart from the transfer pool, as FileZilla does: a listing
//! never waits behind a queue of transfers. Requests to one server run in order.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::EngineEvent;
use crate::net::tls::CertProblem;
use crate::net::{ConnectOptions, Connection, FtpError, RetryClass};
use crate::proto::listing::Entry;

/// Which request an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOp {
    /// A directory listing; an empty path is the login directory.
    List(Vec<u8>),
    Mkdir(Vec<u8>),
    Rmdir(Vec<u8>),
    Delete(Vec<u8>),
    Rename {
        from: Vec<u8>,
        to: Vec<u8>,
    },
    /// `SITE CHMOD`: the Unix permission bits (e.g. `0o644`).
    Chmod {
        path: Vec<u8>,
        mode: u32,
    },
}

/// Starts the worker for one server: it owns the browsing connection and runs requests in
/// the order they come.
pub(crate) fn start_worker(
    server: Arc<ConnectOptions>,
    events: mpsc::UnboundedSender<EngineEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> mpsc::UnboundedSender<(RequestId, RemoteOp)> {
    // Requests come at the user's pace.
    let (tx, mut rx) = mpsc::unbounded_channel::<(RequestId, RemoteOp)>();
    tokio::spawn(async move {
        let mut conn: Option<Connection> = None;
        while let Some((request, op)) = rx.recv().await {
            let mut result = run(&mut conn, &server, &op).await;
            // A connection the server dropped while idle: connect again, once.
            if matches!(&result, Err(e) if e.retry_class() == RetryClass::Transient) {
                conn = None;
                result = run(&mut conn, &server, &op).await;
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
                Err(err) => {
                    // A certificate nobody vouched for: the face may show it and ask.
                    if let FtpError::Certificate {
                        problem: CertProblem::Untrusted { .. },
                        info: Some(info),
                    } = &err
                        && events
                            .send(EngineEvent::CertificateUntrusted {
                                request,
                                info: (**info).clone(),
                            })
                            .is_err()
                    {
                        break;
                    }
                    EngineEvent::RemoteDone {
                        request,
                        result: Err(err.to_string()),
                    }
                }
            };
            if events.send(event).is_ok() {
                wake();
            }
        }
        if let Some(conn) = conn {
            conn.quit().await;
        }
    });
    tx
}

type Listed = Option<(Vec<u8>, Vec<Entry>)>;

async fn run(
    conn: &mut Option<Connection>,
    server: &ConnectOptions,
    op: &RemoteOp,
) -> Result<Listed, FtpError> {
    if conn.is_none() {
        *conn = Some(Connection::connect(server.clone()).await?);
    }
    let Some(c) = conn.as_mut() else {
        return Err(FtpError::Refused("no connection".into()));
    };
    let result = match op {
        RemoteOp::List(path) => {
            let entries = c.list(path).await?;
            // Where the listing really is (the login directory, a symlinked path, ...).
            let cwd = c.pwd().await?;
            Ok(Some((cwd, entries)))
        }
        RemoteOp::Mkdir(path) => c.mkdir(path).await.map(|()| None),
        RemoteOp::Rmdir(path) => c.rmdir(path).await.map(|()| None),
        RemoteOp::Delete(path) => c.delete(path).await.map(|()| None),
        RemoteOp::Rename { from, to } => c.rename(from, to).await.map(|()| None),
        RemoteOp::Chmod { path, mode } => c.chmod(path, *mode).await.map(|()| None),
    };
    if matches!(&result, Err(e) if e.retry_class() == RetryClass::Transient) {
        *conn = None;
    }
    result
}
