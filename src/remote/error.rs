//! The one error type above the protocol seam: what failed, in a class a face can act on
//! (retry, ask to trust a certificate, offer "overwrite"), the server's reply when there was
//! one, and the sentence to show. Protocols convert their own errors into it
//! (`remote::ftp` from `net::FtpError`); the transfer layer adds the local ones.

use std::fmt;

use crate::net::tls::{CertInfo, CertProblem};

/// Whether trying the same operation again may succeed (FileZilla's `FZ_REPLY_CRITICALERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Timeouts, resets, a server's "try later" (4xx): retry with backoff, resuming what arrived.
    Transient,
    /// A refusal (5xx), a login failure, bad input, local errors: retrying cannot help.
    Permanent,
}

/// What kind of failure it is, independent of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// The host name does not resolve.
    UnknownHost,
    /// Nothing accepted the connection (refused, unreachable).
    ConnectFailed,
    /// A step took longer than the timeout.
    Timeout,
    /// The server closed the connection, or it broke.
    ConnectionLost,
    /// The server refused the user name or the password.
    LoginRefused,
    /// The server asks for an account that is not configured.
    AccountRequired,
    /// Encryption is required and the server does not offer it: nothing secret was sent.
    TlsRequired,
    /// The TLS handshake or session failed.
    Tls,
    /// The server's certificate is not trusted (unknown, or changed since it was trusted).
    Certificate,
    /// The SSH server's host key is not known yet, or changed.
    HostKey,
    /// A data connection could not be made, or broke.
    DataConnection,
    /// The server refused the operation (a 5xx reply: no such file, no permission, ...).
    Refused,
    /// The server refused for now (a 4xx reply): worth trying again.
    TryLater,
    /// The server's reply could not be understood, or was too long.
    BadReply,
    /// The server's replies no longer match the commands sent.
    OutOfStep,
    /// The server or protocol does not offer this operation.
    Unsupported,
    /// A name or argument that cannot be sent (CR, LF or NUL in it).
    BadInput,
    /// A listing or reply past its cap.
    TooLarge,
    /// The target exists, and the file-exists action is not to replace it.
    TargetExists,
    /// No free numbered name for the target (999 tried).
    NoFreeName,
    /// The target cannot be continued: it is larger than the source, or has no size.
    CannotResume,
    /// The transfer ended with another size than announced.
    SizeMismatch,
    /// A folder seen before in this tree (a link loop), or one too deep.
    Loop,
    /// A local file or folder could not be read or written.
    Local,
    /// A sync's file changed on either side since its plan was made: left alone.
    Changed,
    /// Cancelled by the user.
    Cancelled,
}

impl ErrorKind {
    /// The retry class a failure of this kind has.
    pub fn retry_class(self) -> RetryClass {
        match self {
            ErrorKind::ConnectFailed
            | ErrorKind::Timeout
            | ErrorKind::ConnectionLost
            | ErrorKind::Tls
            | ErrorKind::DataConnection
            | ErrorKind::TryLater
            | ErrorKind::SizeMismatch => RetryClass::Transient,
            _ => RetryClass::Permanent,
        }
    }
}

/// A server's reply, kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    pub code: u16,
    /// The reply's text, lines joined with newlines.
    pub text: String,
}

/// A certificate the connection refused, with what a face needs to show it and ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIssue {
    pub problem: CertProblem,
    pub info: Option<CertInfo>,
}

/// An SSH host key the connection refused, with what a face needs to show it and ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyIssue {
    pub key: crate::sftp::HostKeyInfo,
    pub verdict: crate::sftp::Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    kind: ErrorKind,
    retry: RetryClass,
    reply: Option<ServerReply>,
    message: String,
    certificate: Option<Box<CertificateIssue>>,
    host_key: Option<Box<HostKeyIssue>>,
}

impl RemoteError {
    /// A failure of `kind`, told by `message` (a sentence fragment: "could not connect to
    /// 127.0.0.1:21: connection refused").
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            retry: kind.retry_class(),
            reply: None,
            message: message.into(),
            certificate: None,
            host_key: None,
        }
    }

    /// A local file error: what could not be done, where, and why.
    pub fn local(what: &str, path: &std::path::Path, source: &std::io::Error) -> Self {
        Self::new(
            ErrorKind::Local,
            format!(
                "{what}: {}: {}",
                crate::net::io_reason(source),
                path.display()
            ),
        )
    }

    /// The same error with the server's reply as evidence.
    pub fn with_reply(mut self, code: u16, text: impl Into<String>) -> Self {
        self.reply = Some(ServerReply {
            code,
            text: text.into(),
        });
        self
    }

    /// The same error, retried (or not) as `retry` says rather than as its kind does.
    pub fn with_retry(mut self, retry: RetryClass) -> Self {
        self.retry = retry;
        self
    }

    pub(crate) fn with_certificate(mut self, issue: CertificateIssue) -> Self {
        self.certificate = Some(Box::new(issue));
        self
    }

    pub(crate) fn with_host_key(mut self, issue: HostKeyIssue) -> Self {
        self.host_key = Some(Box::new(issue));
        self
    }

    /// The refused SSH host key, for a face to show and ask about.
    pub fn host_key(&self) -> Option<&HostKeyIssue> {
        self.host_key.as_deref()
    }

    /// The host key is not known yet (neither recorded nor changed): a face may ask.
    pub fn unknown_host_key(&self) -> Option<&crate::sftp::HostKeyInfo> {
        self.host_key()
            .filter(|issue| issue.verdict == crate::sftp::Verdict::Unknown)
            .map(|issue| &issue.key)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn retry_class(&self) -> RetryClass {
        self.retry
    }

    /// The server's reply, when the failure is one.
    pub fn reply(&self) -> Option<&ServerReply> {
        self.reply.as_ref()
    }

    /// The refused certificate, for a face to show and ask about.
    pub fn certificate(&self) -> Option<&CertificateIssue> {
        self.certificate.as_deref()
    }

    /// The certificate is unknown (not verifiable, not trusted yet): a face may ask.
    pub fn untrusted_certificate(&self) -> Option<&CertInfo> {
        self.certificate()
            .filter(|c| matches!(c.problem, CertProblem::Untrusted { .. }))
            .and_then(|c| c.info.as_ref())
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }

    /// The sentence, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_decides_the_retry_class_unless_told_otherwise() {
        let lost = RemoteError::new(
            ErrorKind::ConnectionLost,
            "the server closed the connection",
        );
        assert_eq!(lost.retry_class(), RetryClass::Transient);
        let refused = RemoteError::new(ErrorKind::Refused, "deleting a file: 550 No such file")
            .with_reply(550, "No such file");
        assert_eq!(refused.retry_class(), RetryClass::Permanent);
        assert_eq!(refused.reply().map(|r| r.code), Some(550));
        assert_eq!(refused.to_string(), "deleting a file: 550 No such file");
        let abort = RemoteError::new(ErrorKind::Cancelled, "x").with_retry(RetryClass::Transient);
        assert_eq!(abort.retry_class(), RetryClass::Transient);
    }
}
