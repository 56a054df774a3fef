//! Diagnosing an SFTP server (`skiff diagnose sftp://...`, Server > Diagnose connection):
//! each step of getting to a listing, timed, in the order they happen (the TCP connection,
//! the SSH handshake and host key, the authentication methods offered and the one that
//! worked, the `sftp` subsystem, a listing of the home folder), stopping at the first that
//! fails, with what it means and what to do in words.
//!
//! As with `ssh`, nothing is sent to a server whose host key is not accepted: the report
//! then shows the key and stops. `judge` turns the steps into the report: pure, tested on
//! its own.

use std::time::{Duration, Instant};

use super::{Diagnosis, Judgement, Row};
use crate::log::LogSink;
use crate::secret::Credentials;
use crate::sftp::host_keys::host_pattern;
use crate::sftp::{HostKeyInfo, SftpError, SshSettings, Verdict};

/// What one step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The TCP connection: the address that answered, or why none did.
    Connect(Result<String, String>),
    /// The handshake, when it failed other than on the host key.
    Handshake(String),
    /// The host key the server showed, and what the known hosts say of it.
    HostKey { key: HostKeyInfo, verdict: Verdict },
    /// Logging on: the methods offered; the one that worked, or those tried.
    LogOn {
        offered: Vec<String>,
        result: Result<String, Vec<String>>,
    },
    /// The `sftp` subsystem: the extensions announced, or why it did not start.
    Sftp(Result<Vec<String>, String>),
    /// A listing of the home folder: its path, its number of entries and the space free
    /// there (when the server says), or why not.
    Listing(Result<(String, usize, Option<u64>), String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedStep {
    pub step: Step,
    pub time: Duration,
}

/// Runs the steps against `host:port`, each bounded by `timeout`.
pub async fn run(
    host: &str,
    port: u16,
    credentials: &Credentials,
    settings: &SshSettings,
    timeout: Duration,
    log: &LogSink,
) -> Diagnosis {
    let steps = run_steps(host, port, credentials, settings, timeout, log).await;
    let judgement = judge(&steps);
    for row in &judgement.rows {
        let line = format!("Diagnosis: {}: {} ({})", row.method, row.verdict, row.time);
        if row.works {
            log.status(line);
        } else {
            log.error(line);
        }
    }
    Diagnosis {
        server: format!("{}:{}", crate::url::url_host(host), port),
        settings: crate::net::DataSettings::default(),
        rounds: Vec::new(),
        judgement,
    }
}

async fn run_steps(
    host: &str,
    port: u16,
    credentials: &Credentials,
    settings: &SshSettings,
    timeout: Duration,
    log: &LogSink,
) -> Vec<TimedStep> {
    let mut steps = Vec::new();
    let mut started = Instant::now();
    let push = |steps: &mut Vec<TimedStep>, step: Step, started: &mut Instant| {
        steps.push(TimedStep {
            step,
            time: started.elapsed(),
        });
        *started = Instant::now();
    };
    let tcp = match crate::net::connect_tcp(host, port, timeout, log).await {
        Ok(tcp) => tcp,
        Err(err) => {
            push(
                &mut steps,
                Step::Connect(Err(err.to_string())),
                &mut started,
            );
            return steps;
        }
    };
    let addr = tcp
        .peer_addr()
        .map_or_else(|_| format!("{host}:{port}"), |a| a.to_string());
    push(&mut steps, Step::Connect(Ok(addr)), &mut started);

    let shaken = match crate::sftp::ssh::handshake(tcp, host, port, settings, timeout, log).await {
        Ok(shaken) => shaken,
        Err(SftpError::HostKey { key, verdict }) => {
            push(&mut steps, Step::HostKey { key, verdict }, &mut started);
            return steps;
        }
        Err(err) => {
            push(&mut steps, Step::Handshake(err.to_string()), &mut started);
            return steps;
        }
    };
    let key_step = Step::HostKey {
        key: shaken.host_key.clone(),
        verdict: shaken.verdict.clone(),
    };
    push(&mut steps, key_step, &mut started);

    let logged_on = match shaken.log_on(credentials, settings, timeout, log).await {
        Ok(logged_on) => logged_on,
        Err(SftpError::Auth { offered, tried }) => {
            let step = Step::LogOn {
                offered,
                result: Err(tried),
            };
            push(&mut steps, step, &mut started);
            return steps;
        }
        Err(err) => {
            let step = Step::LogOn {
                offered: Vec::new(),
                result: Err(vec![err.to_string()]),
            };
            push(&mut steps, step, &mut started);
            return steps;
        }
    };
    let step = Step::LogOn {
        offered: logged_on.offered.clone(),
        result: Ok(logged_on.method.clone()),
    };
    push(&mut steps, step, &mut started);

    let (_ssh, mut client) = match logged_on.start_sftp(timeout, log).await {
        Ok(started_sftp) => started_sftp,
        Err(err) => {
            push(&mut steps, Step::Sftp(Err(err.to_string())), &mut started);
            return steps;
        }
    };
    push(
        &mut steps,
        Step::Sftp(Ok(client.extension_names())),
        &mut started,
    );
    let listing = async {
        let home = client.realpath(b".").await?;
        let entries = client.read_dir(&home, 1_000_000).await?;
        let shown = String::from_utf8_lossy(&home).into_owned();
        // `.` and `..` are the server's, not the folder's.
        let count = entries
            .iter()
            .filter(|e| e.filename != b"." && e.filename != b"..")
            .count();
        // A full disk is a common reason uploads fail: worth a line, never a failure.
        let free = client
            .fs_stats(&home)
            .await
            .ok()
            .flatten()
            .map(|stats| stats.available_bytes());
        Ok::<_, SftpError>((shown, count, free))
    };
    let listed = listing.await.map_err(|err| err.to_string());
    push(&mut steps, Step::Listing(listed), &mut started);
    steps
}

/// The report's rows and verdicts for the steps.
pub fn judge(steps: &[TimedStep]) -> Judgement {
    let mut rows = Vec::new();
    let mut failure = None;
    for TimedStep { step, time } in steps {
        let time = format!("{:.3} s", time.as_secs_f64());
        let (method, sent, came_back, verdict, works) = describe(step);
        if !works && failure.is_none() {
            failure = Some(format!("{method}: {verdict}"));
        }
        rows.push(Row {
            method: method.to_owned(),
            sent,
            came_back,
            data: "-".to_owned(),
            time,
            verdict,
            works,
        });
    }
    let summary = match &failure {
        Some(why) => vec![why.clone()],
        None if rows.is_empty() => vec!["Nothing could be tried.".to_owned()],
        None => vec![
            "SFTP works with this server: the host key is accepted, the login and a listing \
             succeeded."
                .to_owned(),
        ],
    };
    let failure = failure.or_else(|| rows.is_empty().then(|| "nothing could be tried".into()));
    Judgement {
        rows,
        summary,
        recommendation: None,
        failure,
    }
}

/// A step's row: its name, what was sent, what came back, the verdict, whether it worked.
fn describe(step: &Step) -> (&'static str, String, String, String, bool) {
    match step {
        Step::Connect(Ok(addr)) => (
            "TCP connection",
            format!("connect to {addr}"),
            "accepted".into(),
            "something listens on the port".into(),
            true,
        ),
        Step::Connect(Err(why)) => (
            "TCP connection",
            "connect".into(),
            why.clone(),
            "nothing answered: check the host and the port (SFTP's is usually 22), that the \
             SSH server runs, and that no firewall is in the way"
                .into(),
            false,
        ),
        Step::Handshake(why) => (
            "SSH handshake",
            "SSH version and key exchange".into(),
            why.clone(),
            "the server did not complete an SSH handshake: it may not be an SSH server, or \
             offer no algorithm Skiff speaks"
                .into(),
            false,
        ),
        Step::HostKey { key, verdict } => {
            let shown = format!("{} {}", key.algorithm, key.fingerprint);
            let host = host_pattern(&key.host, key.port);
            let (text, works) = match verdict {
                Verdict::Known(at) => (
                    format!("the key known for {host} ({} line {})", at.file, at.line),
                    true,
                ),
                Verdict::Trusted => ("trusted by you for this connection".into(), true),
                Verdict::Unknown => (
                    "not known yet: compare its fingerprint with the one the server's \
                     administrator gives, and trust it only if they are the same; nothing was \
                     sent before that"
                        .into(),
                    false,
                ),
                Verdict::Changed {
                    known_fingerprint,
                    at,
                } => (
                    format!(
                        "CHANGED: {} line {} records {known_fingerprint} for {host}. Someone may \
                         be listening in, or the server was reinstalled; ask its administrator \
                         before trusting the new key",
                        at.file, at.line
                    ),
                    false,
                ),
                Verdict::Revoked(at) => (format!("revoked in {} line {}", at.file, at.line), false),
            };
            ("Host key", "SSH handshake".into(), shown, text, works)
        }
        Step::LogOn { offered, result } => {
            let sent = match result {
                Ok(method) => method.clone(),
                Err(tried) if tried.is_empty() => "nothing".into(),
                Err(tried) => tried.join(", "),
            };
            let came_back = if offered.is_empty() {
                "-".into()
            } else {
                format!("offers {}", offered.join(", "))
            };
            let offers = |name: &str| offered.iter().any(|m| m == name);
            let (verdict, works) = match result {
                Ok(method) => (format!("logged in with {method}"), true),
                Err(_) if offered.is_empty() => (
                    "the login did not complete (see the message log)".into(),
                    false,
                ),
                Err(tried) if tried.is_empty() && offers("publickey") && !offers("password") => (
                    "the server takes only keys, and none was offered: choose a key file, or \
                     load the key into the SSH agent"
                        .into(),
                    false,
                ),
                Err(tried) if tried.is_empty() => (
                    "no credentials to offer: enter the password, or choose a key file".into(),
                    false,
                ),
                Err(_)
                    if offers("publickey")
                        && !offers("password")
                        && !offers("keyboard-interactive") =>
                {
                    (
                        "the server refused the keys offered, and takes nothing else: check that \
                     the public key is in the server's authorized_keys for this user"
                            .into(),
                        false,
                    )
                }
                Err(_) => (
                    "the server refused the login: check the user name and the password (or \
                     the key)"
                        .into(),
                    false,
                ),
            };
            ("Authentication", sent, came_back, verdict, works)
        }
        Step::Sftp(Ok(extensions)) => (
            "SFTP subsystem",
            "subsystem sftp, INIT 3".into(),
            if extensions.is_empty() {
                "VERSION 3".into()
            } else {
                format!("VERSION 3; {}", extensions.join(", "))
            },
            "SFTP started".into(),
            true,
        ),
        Step::Sftp(Err(why)) => (
            "SFTP subsystem",
            "subsystem sftp, INIT 3".into(),
            why.clone(),
            "the server logs you in but offers no SFTP for this user: the account may be \
             limited to a shell or to scp, or SFTP is switched off in its configuration"
                .into(),
            false,
        ),
        Step::Listing(Ok((home, count, free))) => (
            "Listing",
            format!("REALPATH ., READDIR {home}"),
            match free {
                Some(free) => format!("{count} entries; {} free", crate::units::human_size(*free)),
                None => format!("{count} entries"),
            },
            "the home folder lists".into(),
            true,
        ),
        Step::Listing(Err(why)) => (
            "Listing",
            "REALPATH ., READDIR".into(),
            why.clone(),
            "the home folder does not list: it may not exist or not be readable for this user"
                .into(),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(step: Step) -> TimedStep {
        TimedStep {
            step,
            time: Duration::from_millis(5),
        }
    }

    fn key() -> HostKeyInfo {
        HostKeyInfo::new(
            "sftp.example.org",
            22,
            "ssh-ed25519",
            "AAAAC3NzaC1lZDI1NTE5AAAAIOhTJ9yVdtS9Oqnk7hGuZ0GfM7KBtWzIv0fqaz1BHbJH",
        )
        .unwrap()
    }

    #[test]
    fn a_working_server_gets_a_row_per_step_and_a_summary_that_says_so() {
        let steps = [
            timed(Step::Connect(Ok("192.0.2.7:22".into()))),
            timed(Step::HostKey {
                key: key(),
                verdict: Verdict::Trusted,
            }),
            timed(Step::LogOn {
                offered: vec!["publickey".into(), "password".into()],
                result: Ok("password".into()),
            }),
            timed(Step::Sftp(Ok(vec!["posix-rename@openssh.com".into()]))),
            timed(Step::Listing(Ok(("/home/kim".into(), 12, Some(3 << 30))))),
        ];
        let judgement = judge(&steps);
        assert_eq!(judgement.rows.len(), 5);
        assert!(judgement.rows.iter().all(|r| r.works));
        assert_eq!(judgement.failure, None);
        assert!(judgement.summary[0].starts_with("SFTP works"));
        assert_eq!(judgement.rows[2].came_back, "offers publickey, password");
        assert_eq!(judgement.rows[4].came_back, "12 entries; 3.0 GiB free");
        assert_eq!(
            judgement.rows[1].came_back,
            format!("ssh-ed25519 {}", key().fingerprint)
        );
    }

    #[test]
    fn each_failure_says_what_it_means_and_stops_the_report() {
        let refused = judge(&[timed(Step::Connect(Err("connection refused".into())))]);
        assert!(
            refused
                .failure
                .as_deref()
                .unwrap()
                .contains("check the host and the port")
        );

        let unknown = judge(&[
            timed(Step::Connect(Ok("192.0.2.7:22".into()))),
            timed(Step::HostKey {
                key: key(),
                verdict: Verdict::Unknown,
            }),
        ]);
        let why = unknown.failure.unwrap();
        assert!(why.starts_with("Host key: not known yet"), "{why}");
        assert!(why.contains("nothing was sent"), "{why}");

        let keys_only = judge(&[timed(Step::LogOn {
            offered: vec!["publickey".into()],
            result: Err(vec![]),
        })]);
        assert!(keys_only.failure.unwrap().contains("takes only keys"));
        let refused_key = judge(&[timed(Step::LogOn {
            offered: vec!["publickey".into()],
            result: Err(vec!["publickey (agent: kim@laptop)".into()]),
        })]);
        assert!(refused_key.failure.unwrap().contains("authorized_keys"));
        let wrong_password = judge(&[timed(Step::LogOn {
            offered: vec!["publickey".into(), "password".into()],
            result: Err(vec!["password".into()]),
        })]);
        assert!(
            wrong_password
                .failure
                .unwrap()
                .contains("check the user name and the password")
        );
        let no_sftp = judge(&[timed(Step::Sftp(Err("refused".into())))]);
        assert!(no_sftp.failure.unwrap().contains("offers no SFTP"));
        assert_eq!(
            judge(&[]).failure.as_deref(),
            Some("nothing could be tried")
        );
    }
}
