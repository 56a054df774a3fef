//! Skiff: a desktop FTP/FTPS client and its headless command line.
//!
//! ```text
//! proto  (pure FTP: reply parser, commands, FEAT, PASV/EPSV, listings; bytes in, values out)
//!   → net       (tokio: FTP control connection, data connections in both modes, timeouts, log)
//!   → remote    (the protocol seam: trait RemoteSession, Server, RemoteError; FTP implements it)
//!   → transfer  (one file under the file-exists policy: .part files, resume; over the seam)
//!   → engine    (the queue, pooled sessions, browsing, retries; commands in, events out)
//!   → cli | gui (skiff ls|get|put|... and the desktop window, two faces of one engine)
//! ```
//! Beside them: `folder_sync` (filename filters, comparison, a sync's plan: pure functions
//! over listings), `local` (safe local names, atomic writes), `sites` (saved sites, settings,
//! passwords, trust), `setup` (settings → engine settings), `log` (the message log, a typed
//! stream every layer writes to and every face reads).

pub mod cancel;
pub mod cli;
pub mod diagnose;
pub mod engine;
pub mod folder_sync;
#[cfg(feature = "gui")]
pub mod gui;
#[cfg(test)]
mod layering;
pub mod local;
pub mod local_dir;
pub mod log;
pub mod net;
pub mod proto;
pub mod rate;
pub mod remote;
pub mod search;
pub mod secret;
pub mod setup;
pub mod sftp;
pub mod sites;
pub mod transfer;
pub mod units;
pub mod url;
pub mod visible;
