//! The FTP protocol core as pure functions over bytes: no sockets, no clock reads.
//!
//! Everything here is deterministic and unit-tested (and fuzzable); `crate::net` is the tokio
//! shell that feeds it bytes and carries out its decisions.

pub mod ascii;
pub mod charset;
pub mod command;
pub mod feat;
pub mod hash;
pub mod listing;
pub mod pasv;
pub mod path;
pub mod reply;
