//! Errors of the network layer, keeping the evidence (the server's reply, the address, the
//! phase), and the retry class the transfer queue acts on.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::proto::command::CommandError;
use crate::proto::pasv::PasvError;
use crate::proto::reply::{Reply, ReplyError};

/// An I/O error as words: what the OS says, without Rust's " (os error 111)" (a number
/// that tells a user nothing the words do not), and a TLS alert or certificate failure in
/// words too (`tls::describe_tls_error`).
pub fn io_reason(err: &io::Error) -> String {
    if let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return crate::net::tls::describe_tls_error(tls);
    }
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    }
}

/// Whether trying the same operation again may succeed (FileZilla's `FZ_REPLY_CRITICALERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Timeouts, resets, 421/425/426: retry with backoff, resuming what arrived.
    Transient,
    /// 530, 550, 553, bad input, local errors: retrying cannot help.
    Permanent,
}

#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error("could not resolve host {host:?}: {}", io_reason(source))]
    Resolve { host: String, source: io::Error },
    #[error("could not connect to {addr}: {}", io_reason(source))]
    Connect { addr: String, source: io::Error },
    #[error("timed out after {secs} s while {phase}")]
    Timeout { phase: &'static str, secs: u64 },
    /// Bytes of the reply came, but not all of it within the timeout.
    #[error(
        "the server's reply was still incomplete after {secs} s while {phase} (it sends too \
         slowly, or its reply never ends)"
    )]
    ReplyTooSlow { phase: &'static str, secs: u64 },
    /// Every reply came in time, but logging on as a whole took too long.
    #[error(
        "logging on took longer than {secs} s (twice the timeout): the server answers too slowly"
    )]
    LogonTooSlow { secs: u64 },
    #[error("the server closed the connection while {during}")]
    Closed { during: &'static str },
    #[error("control connection failed while {during}: {}", io_reason(source))]
    ControlIo {
        during: &'static str,
        source: io::Error,
    },
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("{during}: the server replied {reply}")]
    UnexpectedReply { during: &'static str, reply: Reply },
    #[error(transparent)]
    Pasv(#[from] PasvError),
    #[error(
        "could not open the {mode} data connection to {addr}: {}",
        io_reason(source)
    )]
    DataConnect {
        mode: &'static str,
        addr: SocketAddr,
        source: io::Error,
    },
    #[error("active mode: no free local port in the range {min}-{max}")]
    NoFreePort { min: u16, max: u16 },
    #[error("active mode: could not listen on {addr}: {}", io_reason(source))]
    Listen { addr: SocketAddr, source: io::Error },
    #[error(
        "active mode: the server did not connect back to {addr} within {secs} s \
         (a firewall or NAT may block incoming connections; try passive mode)"
    )]
    ActiveAcceptTimeout { addr: SocketAddr, secs: u64 },
    #[error("data connection failed: {}", io_reason(source))]
    DataIo { source: io::Error },
    #[error("{0}")]
    Command(#[from] CommandError),
    #[error("{what}: {}: {}", io_reason(source), path.display())]
    LocalIo {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("transfer incomplete: expected {expected} bytes, got {received}")]
    SizeMismatch { expected: u64, received: u64 },
    /// TLS is required and the server refused AUTH TLS: nothing more was sent.
    #[error(
        "TLS is required, but the server answered AUTH TLS with {reply}; stopped before \
         sending the user name or password"
    )]
    TlsRefused { reply: Reply },
    /// REST was refused for good (502 not implemented, 504, 550): the transfer can only
    /// start from the beginning.
    #[error("the server cannot resume a transfer: it answered REST with {reply}")]
    RestartRefused { reply: Reply },
    /// The server asks for an account (332) and none is configured.
    #[error("logging in: the server asks for an account (ACCT), but none is configured: {reply}")]
    AccountRequired { reply: Reply },
    /// The server's replies no longer match the commands sent.
    #[error("{during}: the server's replies did not end in step")]
    OutOfStep { during: &'static str },
    /// Active mode has no command for this address (PORT is IPv4 only, and EPRT was refused).
    #[error("active mode: the server refused EPRT, and PORT cannot announce {addr}")]
    CannotAnnounce { addr: SocketAddr },
    #[error(
        "the listing came slower than {min_rate} bytes/s ({received} bytes in {secs} s); \
         stopped (listing_min_rate in settings.toml)"
    )]
    ListingTooSlow {
        min_rate: u64,
        received: u64,
        secs: u64,
    },
    /// A checksum reply that cannot be believed (another algorithm, part of the file, a
    /// digest of the wrong length).
    #[error("{during}: {problem} (the server replied {reply})")]
    BadChecksum {
        during: &'static str,
        problem: crate::proto::hash::BadHashReply,
        reply: Reply,
    },
    #[error(transparent)]
    ListingTooLarge(#[from] crate::proto::listing::ListingTooLarge),
    /// The user cancelled a running transfer and the server confirmed the ABOR: the
    /// control connection is in step and may carry the next transfer.
    #[error("Cancelled by the user")]
    Cancelled,
    /// The user cancelled a running transfer, but the ABOR went unanswered or wrong: the
    /// connection cannot be trusted to be in step and is closed.
    #[error("cancelled by the user; the server did not confirm the ABOR ({source})")]
    AbortFailed { source: Box<FtpError> },
    /// rustls uses each TLS 1.3 ticket once; a server that issues none on upload data
    /// connections (proftpd) runs the session out of tickets. A new session has new ones.
    #[error(
        "the data connection's TLS session was not resumed although earlier ones were; \
         aborted (a data connection must continue the control connection's session)"
    )]
    TlsNotResumed,
    #[error("TLS failed while {during}: {}", io_reason(source))]
    Tls {
        during: &'static str,
        source: std::io::Error,
    },
    #[error("{problem}: {}", info.as_ref().map(ToString::to_string).unwrap_or_else(|| "no certificate details".into()))]
    Certificate {
        problem: crate::net::tls::CertProblem,
        info: Option<Box<crate::net::tls::CertInfo>>,
    },
}

impl FtpError {
    pub fn retry_class(&self) -> RetryClass {
        match self {
            FtpError::Connect { .. }
            | FtpError::Timeout { .. }
            | FtpError::ReplyTooSlow { .. }
            | FtpError::ListingTooSlow { .. }
            | FtpError::LogonTooSlow { .. }
            | FtpError::Closed { .. }
            | FtpError::ControlIo { .. }
            | FtpError::DataConnect { .. }
            | FtpError::NoFreePort { .. }
            | FtpError::ActiveAcceptTimeout { .. }
            | FtpError::DataIo { .. }
            | FtpError::Tls { .. }
            | FtpError::TlsNotResumed
            | FtpError::AbortFailed { .. }
            | FtpError::SizeMismatch { .. } => RetryClass::Transient,
            FtpError::UnexpectedReply { reply, .. } if reply.code.is_transient_failure() => {
                RetryClass::Transient
            }
            _ => RetryClass::Permanent,
        }
    }

    /// The server's reply, when the failure is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            FtpError::UnexpectedReply { reply, .. } => Some(reply),
            _ => None,
        }
    }

    pub(crate) fn unexpected(during: &'static str, reply: Reply) -> Self {
        FtpError::UnexpectedReply { during, reply }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_classes_decide_retries() {
        let transient = FtpError::unexpected("retrieving", Reply::new(421, "Timeout."));
        let permanent = FtpError::unexpected("logging in", Reply::new(530, "Login incorrect."));
        assert_eq!(transient.retry_class(), RetryClass::Transient);
        assert_eq!(permanent.retry_class(), RetryClass::Permanent);
        assert_eq!(
            permanent.to_string(),
            "logging in: the server replied 530 Login incorrect."
        );
    }
}
