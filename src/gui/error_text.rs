//! Errors as the window says them: what happened, as a sentence, then what to try. The
//! engine's messages are fragments for any face ("could not connect to 127.0.0.1:21:
//! Connection refused"); the window capitalises them, ends them, and adds the advice a user
//! of a desktop client can act on (the CLI's own advice names its flags instead). Pure.

use crate::net::tls::CertProblem;
use crate::remote::{ErrorKind, RemoteError};

/// `err` as one or two sentences for the log's Error line and the pane.
pub fn sentence(err: &RemoteError) -> String {
    let said = whole_sentence(err.message());
    let advice = match err.kind() {
        ErrorKind::UnknownHost => {
            "Check the spelling of the host name, and the network connection."
        }
        ErrorKind::ConnectFailed => {
            "Check the host and the port, and that the server is running and no firewall is in \
             the way."
        }
        ErrorKind::Timeout => {
            "Check the host and the port, and that no firewall drops the connection; the \
             timeout is set in Edit > Settings > Connection."
        }
        ErrorKind::LoginRefused => {
            let reply = err
                .reply()
                .map(|r| {
                    format!(
                        " ({} {})",
                        r.code,
                        r.text.lines().next().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            return format!(
                "The server refused the login{reply}. Check the user name and the password."
            );
        }
        ErrorKind::AccountRequired => "Enter the account in the Site Manager (logon type Account).",
        ErrorKind::Certificate => match err.certificate().map(|c| &c.problem) {
            Some(CertProblem::Changed { .. }) => {
                return "The server's certificate has changed since you trusted it: this may be \
                        an attack, and nothing was sent. Compare the new fingerprint with the one \
                        the server's administrator gives you before you trust it."
                    .into();
            }
            Some(CertProblem::Untrusted { .. }) => {
                "Check the certificate in the dialog, and trust it only if its fingerprint is \
                 the server's."
            }
            _ => "",
        },
        ErrorKind::HostKey => match err.host_key().map(|issue| &issue.verdict) {
            Some(crate::sftp::Verdict::Unknown) => {
                "Check the host key in the dialog, and trust it only if its fingerprint is the \
                 server's."
            }
            _ => "",
        },
        ErrorKind::Tls => "Try again; if it keeps failing, Server > Diagnose connection tells why.",
        ErrorKind::DataConnection => {
            "Try the other transfer mode (Transfer > Default mode), or Server > Diagnose \
             connection."
        }
        ErrorKind::ConnectionLost => "Reconnect (Server > Reconnect) to go on.",
        _ => "",
    };
    if advice.is_empty() {
        said
    } else {
        format!("{said} {advice}")
    }
}

/// A fragment as a sentence: capital first letter, a full stop at the end.
fn whole_sentence(fragment: &str) -> String {
    let fragment = fragment.trim();
    let mut chars = fragment.chars();
    let mut text: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return "Something failed.".into(),
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_says_what_happened_and_what_to_try_without_rust_or_os_numbers() {
        let refused = RemoteError::new(
            ErrorKind::ConnectFailed,
            "could not connect to 127.0.0.1:21: Connection refused",
        );
        assert_eq!(
            sentence(&refused),
            "Could not connect to 127.0.0.1:21: Connection refused. Check the host and the \
             port, and that the server is running and no firewall is in the way."
        );
        let unknown = RemoteError::new(
            ErrorKind::UnknownHost,
            "could not resolve host \"ftp.invalid\": failed to lookup address information",
        );
        assert!(sentence(&unknown).starts_with("Could not resolve host \"ftp.invalid\""));
        assert!(
            sentence(&unknown)
                .ends_with("Check the spelling of the host name, and the network connection.")
        );
        let login = RemoteError::new(
            ErrorKind::LoginRefused,
            "logging in: the server replied 530 Login incorrect.",
        )
        .with_reply(530, "Login incorrect.");
        assert_eq!(
            sentence(&login),
            "The server refused the login (530 Login incorrect.). Check the user name and the \
             password."
        );
        let slow = RemoteError::new(ErrorKind::Timeout, "timed out after 20 s while connecting");
        assert!(sentence(&slow).starts_with("Timed out after 20 s while connecting. Check"));
        assert!(sentence(&slow).contains("Edit > Settings > Connection"));
        // A message that is a sentence already keeps its own end.
        let done = RemoteError::new(ErrorKind::Refused, "Deleting: 550 Permission denied.");
        assert_eq!(sentence(&done), "Deleting: 550 Permission denied.");
        for err in [&refused, &unknown, &login, &slow, &done] {
            let text = sentence(err);
            assert!(!text.contains("os error") && !text.contains("--"), "{text}");
        }
    }
}
