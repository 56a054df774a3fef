//! The tokio shell around `proto`: sockets, timeouts, data connections.
//!
//! `Connection` owns one control connection and opens data connections as `DataSettings`
//! say; every line in or out, and every data-connection decision, goes to the message log.

mod connection;
mod control;
mod data;
mod error;
pub mod tls;
mod tls_data;

pub use crate::secret::Credentials;
pub(crate) use connection::connect_tcp;
pub use connection::{
    ConnectOptions, Connection, DataStream, LIST_PHASE, ProbeFailure, ProbeMethod, ProbeRecord,
    StoreMode,
};
pub use data::{DataMode, DataSettings, PortRange, PortRangeError, active_port_candidates};
pub use error::{FtpError, RetryClass, io_reason};

/// Anything the control or data connection can run over: TCP now, TLS later.
pub trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncStream for T {}
