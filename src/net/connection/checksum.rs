//! A file's checksum computed by the server (`proto::hash`): HASH after OPTS HASH where the
//! algorithm is not the current one, or an X command (XSHA256, ...).

use std::time::Duration;

use super::Connection;
use crate::net::FtpError;
use crate::proto::command::Command;
use crate::proto::hash::{self, Digest, HashMethod};

/// The slowest a server is assumed to read and hash a file. The reply comes only when the
/// whole file is hashed, so a large file gets this much more time than other replies.
const HASH_BYTES_PER_SEC: u64 = 20_000_000;

impl Connection {
    /// The checksum of the file at `path` by `method`; `size`, when known, is what the
    /// reply's range must cover (HASH).
    pub async fn checksum(
        &mut self,
        method: HashMethod,
        path: &[u8],
        size: Option<u64>,
    ) -> Result<Digest, FtpError> {
        let during = "asking for a checksum";
        let command = match method {
            HashMethod::Hash(algorithm) => {
                if self.hash_algorithm != Some(algorithm) {
                    let opts = Command::Opts(format!("HASH {}", algorithm.name()));
                    self.simple(opts, "choosing the checksum algorithm").await?;
                    self.hash_algorithm = Some(algorithm);
                }
                Command::Hash(path.to_vec())
            }
            HashMethod::X(x) => Command::XHash(x, path.to_vec()),
        };
        let usual = self.control.timeout;
        let hashing = Duration::from_secs(size.unwrap_or(0) / HASH_BYTES_PER_SEC);
        self.control.timeout = usual.saturating_add(hashing);
        let reply = self.control.command(&command, during).await;
        self.control.timeout = usual;
        let reply = reply?;
        let parsed = match method {
            HashMethod::Hash(algorithm) if reply.code.0 == 213 => {
                hash::parse_hash_reply(&reply, algorithm, size)
            }
            HashMethod::X(x) if hash::x_reply_succeeded(&reply) => hash::parse_x_reply(&reply, x),
            _ => return Err(FtpError::unexpected(during, reply)),
        };
        parsed.map_err(|problem| FtpError::BadChecksum {
            during,
            problem,
            reply,
        })
    }
}
