//! Checksums a server computes of its files: which commands it offers (from FEAT), the
//! command lines, and their replies. Pure.
//!
//! Two families exist:
//! - `HASH` (draft-bryan-ftpext-hash): FEAT lists `HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512;`,
//!   the `*` marking the algorithm in use; `OPTS HASH SHA-256` changes it, and `HASH path`
//!   answers `213 SHA-256 0-1234 <hex> path` (the range's end is the file's size);
//! - the older one-command-per-algorithm `XSHA512`, `XSHA256`, `XSHA1`, `XSHA`, `XMD5`,
//!   `XCRC`, each announced by its own FEAT line; proftpd's mod_digest answers them with
//!   `250-Computing SHA256 digest` and then `250 <HEX>` (upper case), other servers with
//!   `213 <hex>`.
//!
//! A reply is checked before it is believed: the algorithm named must be the one asked
//! for, the range must be the whole file, and the digest must have its algorithm's length.

use std::fmt;

use crate::proto::feat::Features;
use crate::proto::reply::Reply;

/// A checksum algorithm, weakest first (the derived order is their strength).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// Detects accidents only: chosen when nothing else is offered.
    Crc32,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The name as the HASH command and FEAT spell it (IANA's hash function names).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Md5 => "MD5",
            Algorithm::Sha1 => "SHA-1",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512 => "SHA-512",
        }
    }

    /// Its digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 => 4,
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Algorithm::Crc32,
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha512,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A file's checksum.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    pub algorithm: Algorithm,
    pub bytes: Vec<u8>,
}

impl Digest {
    /// Lower-case hex, as `sha256sum` prints it.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm, self.to_hex())
    }
}

/// One of the older per-algorithm commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XCommand {
    Xsha512,
    Xsha256,
    Xsha1,
    /// SHA-1 under its older name (proftpd offers both).
    Xsha,
    Xmd5,
    Xcrc,
}

impl XCommand {
    const ALL: [XCommand; 6] = [
        XCommand::Xsha512,
        XCommand::Xsha256,
        XCommand::Xsha1,
        XCommand::Xsha,
        XCommand::Xmd5,
        XCommand::Xcrc,
    ];

    pub fn verb(self) -> &'static str {
        match self {
            XCommand::Xsha512 => "XSHA512",
            XCommand::Xsha256 => "XSHA256",
            XCommand::Xsha1 => "XSHA1",
            XCommand::Xsha => "XSHA",
            XCommand::Xmd5 => "XMD5",
            XCommand::Xcrc => "XCRC",
        }
    }

    pub fn algorithm(self) -> Algorithm {
        match self {
            XCommand::Xsha512 => Algorithm::Sha512,
            XCommand::Xsha256 => Algorithm::Sha256,
            XCommand::Xsha1 | XCommand::Xsha => Algorithm::Sha1,
            XCommand::Xmd5 => Algorithm::Md5,
            XCommand::Xcrc => Algorithm::Crc32,
        }
    }
}

/// How to ask the server for a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashMethod {
    /// `HASH path`, the algorithm chosen with `OPTS HASH` first where it is not the current one.
    Hash(Algorithm),
    X(XCommand),
}

impl HashMethod {
    pub fn algorithm(self) -> Algorithm {
        match self {
            HashMethod::Hash(algorithm) => algorithm,
            HashMethod::X(command) => command.algorithm(),
        }
    }

    /// The command's name, for the log and for messages ("HASH", "XSHA256").
    pub fn verb(self) -> &'static str {
        match self {
            HashMethod::Hash(_) => "HASH",
            HashMethod::X(command) => command.verb(),
        }
    }
}

/// The FEAT lines looked for, for a message that says none was there.
pub const LOOKED_FOR: &str = "HASH, XSHA512, XSHA256, XSHA1, XSHA, XMD5 or XCRC";

/// The algorithms `HASH` offers, and the one in use (marked `*`).
fn hash_feature(features: &Features) -> (Vec<Algorithm>, Option<Algorithm>) {
    let Some(params) = features.params("HASH").filter(|_| features.has("HASH")) else {
        return (Vec::new(), None);
    };
    let mut offered = Vec::new();
    let mut current = None;
    for name in params.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        let (name, marked) = match name.strip_suffix('*') {
            Some(name) => (name, true),
            None => (name, false),
        };
        if let Some(algorithm) = Algorithm::from_name(name) {
            offered.push(algorithm);
            if marked {
                current = Some(algorithm);
            }
        }
    }
    (offered, current)
}

/// The algorithm `HASH` uses until `OPTS HASH` changes it.
pub fn current_hash_algorithm(features: &Features) -> Option<Algorithm> {
    hash_feature(features).1
}

/// Every way the server offers to compute a checksum, the strongest algorithm first; for
/// one algorithm, HASH (whose reply names the algorithm and the range) before an X command.
pub fn offered(features: &Features) -> Vec<HashMethod> {
    let mut methods: Vec<HashMethod> = hash_feature(features)
        .0
        .into_iter()
        .map(HashMethod::Hash)
        .collect();
    methods.extend(
        XCommand::ALL
            .into_iter()
            .filter(|x| features.has(x.verb()))
            .map(HashMethod::X),
    );
    methods.sort_by_key(|m| {
        (
            std::cmp::Reverse(m.algorithm()),
            !matches!(m, HashMethod::Hash(_)),
        )
    });
    methods
}

/// The strongest method offered, if any.
pub fn strongest(features: &Features) -> Option<HashMethod> {
    offered(features).into_iter().next()
}

/// A checksum reply that cannot be believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadHashReply {
    #[error("the checksum reply is not \"ALGORITHM START-END DIGEST NAME\": {0:?}")]
    Malformed(String),
    #[error("asked for {asked}, the server answered with {answered:?}")]
    OtherAlgorithm { asked: Algorithm, answered: String },
    #[error(
        "the checksum covers bytes {start}-{end}, not the whole file ({size} bytes): it cannot \
         be compared"
    )]
    PartialRange { start: u64, end: u64, size: u64 },
    #[error("a {algorithm} digest is {} hex digits; the server sent {sent:?}", .algorithm.digest_len() * 2)]
    BadDigest { algorithm: Algorithm, sent: String },
}

/// The digest from its hex text, which must be exactly the algorithm's length.
fn digest_of(algorithm: Algorithm, text: &str) -> Result<Digest, BadHashReply> {
    let bad = || BadHashReply::BadDigest {
        algorithm,
        sent: text.chars().take(200).collect(),
    };
    if text.len() != algorithm.digest_len() * 2 {
        return Err(bad());
    }
    let bytes = hex::decode(text).map_err(|_| bad())?;
    Ok(Digest { algorithm, bytes })
}

/// A `213` reply to `HASH`: `SHA-256 0-1234 <hex> name`. With the file's `size` known, the
/// range must be all of it (`0-size`).
pub fn parse_hash_reply(
    reply: &Reply,
    asked: Algorithm,
    size: Option<u64>,
) -> Result<Digest, BadHashReply> {
    let text = reply.last_text();
    let malformed = || BadHashReply::Malformed(text.chars().take(200).collect());
    // The name may hold spaces: only the first three words are read.
    let mut words = text.trim_start().splitn(4, ' ');
    let (Some(name), Some(range), Some(hex)) = (words.next(), words.next(), words.next()) else {
        return Err(malformed());
    };
    if Algorithm::from_name(name) != Some(asked) {
        return Err(BadHashReply::OtherAlgorithm {
            asked,
            answered: name.chars().take(40).collect(),
        });
    }
    let (start, end) = range
        .split_once('-')
        .and_then(|(s, e)| Some((s.parse::<u64>().ok()?, e.parse::<u64>().ok()?)))
        .ok_or_else(malformed)?;
    let whole = start == 0 && size.is_none_or(|size| end == size);
    if !whole {
        return Err(BadHashReply::PartialRange {
            start,
            end,
            size: size.unwrap_or(end),
        });
    }
    digest_of(asked, hex.trim())
}

/// A reply to an X command (`250 <HEX>` or `213 <hex>`): its last line's first word.
pub fn parse_x_reply(reply: &Reply, command: XCommand) -> Result<Digest, BadHashReply> {
    let text = reply.last_text();
    let hex = text.split_whitespace().next().unwrap_or_default();
    digest_of(command.algorithm(), hex)
}

/// Whether an X command's reply code is a success: 250 (proftpd) or 213 (others).
pub fn x_reply_succeeded(reply: &Reply) -> bool {
    matches!(reply.code.0, 213 | 250)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::ReplyParser;

    fn reply(bytes: &[u8]) -> Reply {
        let mut parser = ReplyParser::new();
        parser.push(bytes).unwrap();
        parser.next_reply().unwrap().unwrap()
    }

    /// FEAT as proftpd 1.3.8 with mod_digest sends it (shortened).
    const PROFTPD_FEAT: &[u8] = b"211-Features:\r\n EPSV\r\n HASH CRC32;MD5;SHA-1*;SHA-256;SHA-512;\r\n MDTM\r\n XCRC\r\n XMD5\r\n XSHA\r\n XSHA1\r\n XSHA256\r\n XSHA512\r\n211 End\r\n";

    #[test]
    fn proftpd_offers_hash_and_x_commands_and_sha512_by_hash_is_the_strongest() {
        let features = Features::parse(&reply(PROFTPD_FEAT));
        assert_eq!(current_hash_algorithm(&features), Some(Algorithm::Sha1));
        let methods = offered(&features);
        assert_eq!(methods[0], HashMethod::Hash(Algorithm::Sha512));
        assert_eq!(methods[1], HashMethod::X(XCommand::Xsha512));
        assert_eq!(methods[2], HashMethod::Hash(Algorithm::Sha256));
        assert_eq!(methods.last(), Some(&HashMethod::X(XCommand::Xcrc)));
        assert_eq!(methods.len(), 11);
        assert_eq!(
            strongest(&features),
            Some(HashMethod::Hash(Algorithm::Sha512))
        );
    }

    #[test]
    fn the_draft_s_example_and_x_commands_alone_are_understood() {
        let draft = Features::parse(&reply(
            b"211-Features:\r\n HASH SHA-256*;SHA-1;MD5\r\n211 End\r\n",
        ));
        assert_eq!(current_hash_algorithm(&draft), Some(Algorithm::Sha256));
        assert_eq!(strongest(&draft), Some(HashMethod::Hash(Algorithm::Sha256)));
        let older = Features::parse(&reply(
            b"211-Features:\r\n XMD5\r\n XSHA1\r\n XCRC\r\n211 End\r\n",
        ));
        assert_eq!(strongest(&older), Some(HashMethod::X(XCommand::Xsha1)));
        assert_eq!(strongest(&older).unwrap().verb(), "XSHA1");
        // Unknown names (a server's own BLAKE3) are passed over, the rest kept.
        let odd = Features::parse(&reply(b"211-Features:\r\n HASH BLAKE3*;md5\r\n211 End\r\n"));
        assert_eq!(strongest(&odd), Some(HashMethod::Hash(Algorithm::Md5)));
        assert_eq!(current_hash_algorithm(&odd), None);
    }

    #[test]
    fn nothing_is_offered_by_vsftpd_or_a_server_that_refused_feat() {
        let vsftpd = Features::parse(&reply(
            b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n",
        ));
        assert!(offered(&vsftpd).is_empty());
        assert_eq!(strongest(&Features::unknown()), None);
        let bare_hash = Features::parse(&reply(b"211-Features:\r\n HASH\r\n211 End\r\n"));
        assert_eq!(strongest(&bare_hash), None, "HASH naming no algorithm");
    }

    #[test]
    fn a_hash_reply_gives_the_digest_of_the_whole_file() {
        let r = reply(
            b"213-Computing SHA-256 digest\r\n213 SHA-256 0-12 a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447 a b.txt\r\n",
        );
        let digest = parse_hash_reply(&r, Algorithm::Sha256, Some(12)).unwrap();
        assert_eq!(digest.algorithm, Algorithm::Sha256);
        assert_eq!(
            digest.to_hex(),
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
        );
        assert!(parse_hash_reply(&r, Algorithm::Sha256, None).is_ok());
        let empty = Reply::new(213, "MD5 0-0 d41d8cd98f00b204e9800998ecf8427e empty");
        assert!(parse_hash_reply(&empty, Algorithm::Md5, Some(0)).is_ok());
    }

    #[test]
    fn hostile_hash_replies_are_refused_with_the_reason() {
        let sha1 = "22596363b3de40b06f981fb85d82312e8c0ed511";
        let partial = Reply::new(213, &format!("SHA-1 0-6 {sha1} a.txt"));
        assert_eq!(
            parse_hash_reply(&partial, Algorithm::Sha1, Some(12)),
            Err(BadHashReply::PartialRange {
                start: 0,
                end: 6,
                size: 12
            })
        );
        let offset = Reply::new(213, &format!("SHA-1 6-12 {sha1} a.txt"));
        let err = parse_hash_reply(&offset, Algorithm::Sha1, None).unwrap_err();
        assert!(err.to_string().contains("not the whole file"), "{err}");
        let short = Reply::new(213, "SHA-1 0-12 22596363b3de40b0 a.txt");
        let err = parse_hash_reply(&short, Algorithm::Sha1, Some(12)).unwrap_err();
        assert!(matches!(err, BadHashReply::BadDigest { .. }));
        assert!(err.to_string().contains("40 hex digits"), "{err}");
        let not_hex = Reply::new(213, &format!("SHA-1 0-12 {} a.txt", "zz".repeat(20)));
        assert!(matches!(
            parse_hash_reply(&not_hex, Algorithm::Sha1, Some(12)),
            Err(BadHashReply::BadDigest { .. })
        ));
        let other = Reply::new(213, &format!("MD5 0-12 {sha1} a.txt"));
        assert!(matches!(
            parse_hash_reply(&other, Algorithm::Sha1, Some(12)),
            Err(BadHashReply::OtherAlgorithm { .. })
        ));
        for garbage in ["", "SHA-1", "SHA-1 twelve abc x", "SHA-1 0-x abc"] {
            assert!(
                matches!(
                    parse_hash_reply(&Reply::new(213, garbage), Algorithm::Sha1, Some(12)),
                    Err(BadHashReply::Malformed(_))
                ),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn x_replies_in_proftpd_s_upper_case_and_others_lower_case() {
        let proftpd = reply(
            b"250-Computing SHA256 digest\r\n250 A948904F2F0F479B8F8197694B30184B0D2ED1C1CD2A1EC0FB85D299A192A447\r\n",
        );
        assert!(x_reply_succeeded(&proftpd));
        let digest = parse_x_reply(&proftpd, XCommand::Xsha256).unwrap();
        assert_eq!(
            digest.to_hex(),
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
        );
        let other = Reply::new(213, "6f5902ac237024bdd0c176cb93063dc4 a.txt");
        assert!(x_reply_succeeded(&other));
        assert_eq!(
            parse_x_reply(&other, XCommand::Xmd5).unwrap().bytes.len(),
            16
        );
        assert_eq!(
            parse_x_reply(&Reply::new(250, "AF083B2D"), XCommand::Xcrc)
                .unwrap()
                .algorithm,
            Algorithm::Crc32
        );
        // An MD5 where a SHA-1 was asked for: the length gives it away.
        assert!(matches!(
            parse_x_reply(&other, XCommand::Xsha1),
            Err(BadHashReply::BadDigest { .. })
        ));
        assert!(parse_x_reply(&Reply::new(250, ""), XCommand::Xmd5).is_err());
        assert!(!x_reply_succeeded(&Reply::new(550, "a.txt: No such file")));
    }
}
