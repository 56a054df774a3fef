//! SFTP, the second protocol behind the seam: SSH through russh, and the SFTP version 3
//! protocol as Skiff's own code, pipelined.
//!
//! - [`codec`]: packets as bytes and meaning, pure (fuzzed in `fuzz/`);
//! - [`pipeline`]: which READs of a download are in flight, pure;
//! - [`host_keys`]: `known_hosts` and fingerprints, pure;
//! - [`client`]: an SFTP session over a byte stream: ids, the log, pipelined transfers;
//! - [`ssh`]: the SSH connection: host key, authentication, the `sftp` subsystem.
//!
//! `remote::sftp` puts it behind [`crate::remote::RemoteSession`].

pub mod client;
pub mod codec;
pub mod host_keys;
pub mod pipeline;
pub mod ssh;

pub use client::{DataSink, DataSource, Failed, SftpClient, SftpError};
pub use host_keys::{HostKeyInfo, Verdict};
pub use ssh::{SshSession, SshSettings};
