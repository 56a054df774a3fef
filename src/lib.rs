//! Skiff: a desktop FTP/FTPS client and its headless command line.
//!
//! ```text
//! proto  (pure FTP: reply parser, commands, FEAT, PASV/EPSV, listings; bytes in, values out)
//!   → net       (tokio: control connection, data connections in both modes, timeouts, logging)
//!   → transfer  (local-file safety: .part files, resume, overwrite policy)
//!   → engine    (the queue: N pooled connections, retries, persistence; commands in, events out)
//!   → cli | gui (skiff ls|get|put|... and the desktop window, two faces of one engine)
//! ```
//! The message log (`log`) is a typed stream every layer writes to and every face reads.

pub mod cancel;
pub mod cli;
pub mod diagnose;
pub mod engine;
#[cfg(feature = "gui")]
pub mod gui;
pub mod local;
pub mod local_dir;
pub mod log;
pub mod net;
pub mod proto;
pub mod rate;
pub mod secret;
pub mod sites;
pub mod transfer;
pub mod url;
