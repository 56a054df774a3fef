//! FEAT replies (RFC 2389) parsed into a feature set.
//!
//! ```text
//! 211-Features:
//!  EPRT
//!  MLST type*;size*;modify*;perm*;unix.mode;
//!  REST STREAM
//! 211 End
//! ```
//! Each body line is a feature name and optional parameters. A server that refuses FEAT
//! has *unknown* features, which is not the same as none (FileZilla's tri-state flags).

use std::collections::BTreeMap;

use crate::proto::reply::Reply;

/// Whether a server supports something: asked and answered, or not known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Support {
    #[default]
    Unknown,
    Yes,
    No,
}

impl Support {
    /// Try it unless we know it fails.
    pub fn worth_trying(self) -> bool {
        self != Support::No
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// Upper-cased feature name → its parameters as sent (may be empty).
    entries: BTreeMap<String, String>,
    /// False when FEAT was refused: every `support` answer is then Unknown.
    answered: bool,
}

impl Features {
    /// A server that refused FEAT (500/502): nothing is known.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// Parses a 211 reply. Any other code means the server gave no feature list.
    pub fn parse(reply: &Reply) -> Self {
        if reply.code.0 != 211 {
            return Self::unknown();
        }
        let mut entries = BTreeMap::new();
        for line in reply.body_lines() {
            let text = String::from_utf8_lossy(line);
            // RFC 2389 feature lines start with a space; some servers omit it.
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let (name, params) = text.split_once(' ').unwrap_or((text, ""));
            entries.insert(name.to_ascii_uppercase(), params.trim().to_owned());
        }
        Self {
            entries,
            answered: true,
        }
    }

    pub fn answered(&self) -> bool {
        self.answered
    }

    /// Tri-state support for one feature name (case-insensitive).
    pub fn support(&self, name: &str) -> Support {
        if !self.answered {
            Support::Unknown
        } else if self.entries.contains_key(&name.to_ascii_uppercase()) {
            Support::Yes
        } else {
            Support::No
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.support(name) == Support::Yes
    }

    /// The parameters of a feature (`MLST type*;size*;` → `type*;size*;`).
    pub fn params(&self, name: &str) -> Option<&str> {
        self.entries
            .get(&name.to_ascii_uppercase())
            .map(String::as_str)
    }

    /// MLSD is implied by MLST (RFC 3659 section 7.8): proftpd lists only MLST.
    pub fn mlsd(&self) -> bool {
        self.has("MLST") || self.has("MLSD")
    }

    /// `REST STREAM` restarts work for STOR as well as RETR.
    pub fn rest_stream(&self) -> bool {
        self.params("REST")
            .is_some_and(|p| p.eq_ignore_ascii_case("STREAM"))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
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

    #[test]
    fn vsftpd_feat_is_parsed() {
        let features = Features::parse(&reply(
            b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n",
        ));
        assert!(features.has("EPSV"));
        assert!(features.has("eprt"));
        assert!(features.rest_stream());
        assert!(!features.mlsd());
        assert_eq!(features.support("MFMT"), Support::No);
        assert_eq!(features.support("UTF8"), Support::No);
    }

    #[test]
    fn proftpd_mlst_implies_mlsd() {
        let features = Features::parse(&reply(
            b"211-Features:\r\n MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;\r\n UTF8\r\n MFMT\r\n211 End\r\n",
        ));
        assert!(features.mlsd());
        assert!(features.has("UTF8"));
        assert!(features.params("MLST").unwrap().contains("UNIX.mode*"));
    }

    #[test]
    fn refused_feat_leaves_everything_unknown() {
        let features = Features::parse(&Reply::new(500, "Unknown command."));
        assert!(!features.answered());
        assert_eq!(features.support("EPSV"), Support::Unknown);
        assert!(features.support("EPSV").worth_trying());
        assert!(!features.has("EPSV"));
    }
}
