//! SSH for SFTP through russh: the TCP connection, the handshake, the host key checked
//! against the known keys (`host_keys`), authentication in OpenSSH's order, and the `sftp`
//! subsystem, whose channel carries an [`SftpClient`].
//!
//! Every step is logged as the FTP side logs its commands, so a user sees which host key
//! the server showed, which methods it offered, and which one worked.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};

use super::client::{BYTES_IN_FLIGHT, SftpClient, SftpError};
use super::host_keys::{self, HostKeyInfo, Verdict};
use crate::log::{LogKind, LogSink};
use crate::secret::{Credentials, Secret};

/// A keyboard-interactive logon's questions, for a face to put to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Questions {
    /// `[host]:port`, and the user logging on.
    pub host: String,
    pub user: String,
    /// The server's title and instructions (either may be empty).
    pub name: String,
    pub instructions: String,
    /// Each prompt, and whether its answer may show as it is typed.
    pub prompts: Vec<(String, bool)>,
}

/// What a face's prompter answers: the answers in order, or `None` when the user declined.
pub type Answers = std::pin::Pin<Box<dyn Future<Output = Option<Vec<Secret>>> + Send>>;

/// Puts a server's keyboard-interactive questions to the user (the window's dialog, a
/// terminal): one-time codes and anything else a server asks besides the password.
pub trait Prompter: Send + Sync {
    fn ask(&self, questions: Questions) -> Answers;
}

/// A face's prompter, as a site's settings carry it.
#[derive(Clone)]
pub struct PrompterHandle(pub Arc<dyn Prompter>);

impl std::fmt::Debug for PrompterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prompter")
    }
}

/// How an SFTP site's SSH connection is checked and authenticated.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// `known_hosts` files the host key is looked up in: the user's own
    /// (`~/.ssh/known_hosts`) and Skiff's, added by the caller.
    pub known_hosts_files: Vec<PathBuf>,
    /// Fingerprints (`SHA256:...`) the user trusts for this connection: `--trust-host-key`,
    /// or the answer to the window's question.
    pub trusted_host_keys: Vec<String>,
    /// Private key files to try first (the site's key file).
    pub key_files: Vec<PathBuf>,
    /// The passphrase of an encrypted key file.
    pub key_passphrase: Option<Secret>,
    /// Without a password: try the agent (`SSH_AUTH_SOCK`) and `~/.ssh/id_ed25519`,
    /// `id_ecdsa`, `id_rsa`, as OpenSSH does.
    pub try_default_keys: bool,
    /// Who answers keyboard-interactive questions the password does not answer.
    pub prompter: Option<PrompterHandle>,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            known_hosts_files: user_ssh_dir()
                .map(|dir| vec![dir.join("known_hosts")])
                .unwrap_or_default(),
            trusted_host_keys: Vec::new(),
            key_files: Vec::new(),
            key_passphrase: None,
            try_default_keys: true,
            prompter: None,
        }
    }
}

/// `~/.ssh`, when there is a home folder.
pub fn user_ssh_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".ssh"))
}

/// The key files OpenSSH tries when none is named.
fn default_key_files() -> Vec<PathBuf> {
    user_ssh_dir()
        .map(|dir| {
            ["id_ed25519", "id_ecdsa", "id_rsa"]
                .iter()
                .map(|name| dir.join(name))
                .collect()
        })
        .unwrap_or_default()
}

/// What a logged-on SSH connection is.
pub struct SshSession {
    /// Kept for the connection's life: dropping it disconnects.
    _handle: client::Handle<HostKeyCheck>,
    pub host_key: HostKeyInfo,
    /// How the key was accepted (known, or trusted by the user).
    pub verdict: Verdict,
    /// The authentication method that worked ("publickey (ssh-agent)", "password", ...).
    pub method: String,
}

/// Checks the server's host key for russh, and keeps what it saw for the error.
struct HostKeyCheck {
    host: String,
    port: u16,
    known: Vec<(String, String)>,
    trusted: Vec<String>,
    seen: Arc<Mutex<Option<(HostKeyInfo, Verdict)>>>,
    log: LogSink,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            self.log
                .error("The server proved itself with a certificate, which Skiff does not check");
            return Ok(false);
        };
        let openssh = key.to_openssh()?;
        let mut fields = openssh.split_ascii_whitespace();
        let (Some(algorithm), Some(base64)) = (fields.next(), fields.next()) else {
            return Ok(false);
        };
        let Some(info) = HostKeyInfo::new(&self.host, self.port, algorithm, base64) else {
            return Ok(false);
        };
        self.log
            .status(format!("Host key: {} {}", info.algorithm, info.fingerprint));
        let verdict = host_keys::check(&info, &self.known, &self.trusted);
        let accepted = verdict.is_accepted();
        match &verdict {
            Verdict::Known(at) => self.log.status(format!(
                "The host key is the one known for {} ({} line {})",
                host_keys::host_pattern(&self.host, self.port),
                at.file,
                at.line
            )),
            Verdict::Trusted => self
                .log
                .status("The host key is trusted by the user for this connection"),
            _ => {}
        }
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((info, verdict));
        }
        Ok(accepted)
    }

    async fn auth_banner(
        &mut self,
        banner: &str,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        for line in banner.lines() {
            self.log.line(LogKind::Response, line.to_owned());
        }
        Ok(())
    }
}

/// russh's settings for Skiff: a window as large as a transfer keeps in flight, AES-GCM
/// first (hardware AES outruns ChaCha20 where there is one, as on every x86-64 and
/// ARMv8 machine that matters), the session's timeout.
fn config(timeout: Duration) -> client::Config {
    use russh::cipher;
    let preferred = russh::Preferred {
        cipher: std::borrow::Cow::Borrowed(&[
            cipher::AES_256_GCM,
            cipher::CHACHA20_POLY1305,
            cipher::AES_256_CTR,
            cipher::AES_192_CTR,
            cipher::AES_128_CTR,
        ]),
        ..russh::Preferred::default()
    };
    client::Config {
        window_size: 2 * BYTES_IN_FLIGHT,
        preferred,
        inactivity_timeout: None,
        keepalive_interval: Some(timeout.max(Duration::from_secs(15))),
        nodelay: true,
        ..client::Config::default()
    }
}

fn ssh_error(during: &'static str, err: russh::Error) -> SftpError {
    let message = match &err {
        russh::Error::Disconnect | russh::Error::HUP => {
            return SftpError::Closed { during };
        }
        russh::Error::IO(source) => crate::net::io_reason(source),
        russh::Error::NoCommonAlgo { kind, theirs, .. } => format!(
            "the server offers no {kind:?} algorithm Skiff speaks (it offers {})",
            theirs.join(", ")
        ),
        russh::Error::Version => "the server does not speak SSH".to_owned(),
        other => other.to_string(),
    };
    SftpError::Ssh { during, message }
}

/// Connects, checks the host key, logs on and starts SFTP.
pub async fn connect(
    host: &str,
    port: u16,
    credentials: &Credentials,
    settings: &SshSettings,
    timeout: Duration,
    log: &LogSink,
) -> Result<(SshSession, SftpClient), SftpError> {
    let tcp = crate::net::connect_tcp(host, port, timeout, log)
        .await
        .map_err(SftpError::Connect)?;
    let shaken = handshake(tcp, host, port, settings, timeout, log).await?;
    let logged_on = shaken.log_on(credentials, settings, timeout, log).await?;
    logged_on.start_sftp(timeout, log).await
}

/// An SSH connection whose host key was accepted, before logging on.
pub struct Handshaken {
    handle: client::Handle<HostKeyCheck>,
    pub host_key: HostKeyInfo,
    pub verdict: Verdict,
}

/// A logged-on SSH connection, before the SFTP channel.
pub struct LoggedOn {
    handle: client::Handle<HostKeyCheck>,
    host_key: HostKeyInfo,
    verdict: Verdict,
    /// The methods the server offered.
    pub offered: Vec<String>,
    /// The one that worked.
    pub method: String,
}

/// The SSH handshake over `tcp`, with the host key checked against `settings`' known
/// hosts and trusted fingerprints; an unknown or changed key is an error that names it.
pub async fn handshake(
    tcp: tokio::net::TcpStream,
    host: &str,
    port: u16,
    settings: &SshSettings,
    timeout: Duration,
    log: &LogSink,
) -> Result<Handshaken, SftpError> {
    log.status(format!(
        "Connected to {}; SSH handshake",
        tcp.peer_addr()
            .map_or_else(|_| format!("{host}:{port}"), |addr| addr.to_string())
    ));
    let known = settings
        .known_hosts_files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some((path.display().to_string(), text))
        })
        .collect();
    let seen = Arc::new(Mutex::new(None));
    let check = HostKeyCheck {
        host: host.to_owned(),
        port,
        known,
        trusted: settings.trusted_host_keys.clone(),
        seen: Arc::clone(&seen),
        log: log.clone(),
    };
    let handshake = client::connect_stream(Arc::new(config(timeout)), tcp, check);
    let handshake = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| SftpError::Timeout {
            during: "the SSH handshake",
            secs: timeout.as_secs(),
        })?;
    let seen_key = || seen.lock().ok().and_then(|seen| seen.clone());
    let handle = match handshake {
        Ok(handle) => handle,
        Err(russh::Error::UnknownKey) => {
            return Err(match seen_key() {
                Some((key, verdict)) => SftpError::HostKey { key, verdict },
                None => SftpError::Ssh {
                    during: "the SSH handshake",
                    message: "the server's host key could not be read".into(),
                },
            });
        }
        Err(err) => return Err(ssh_error("the SSH handshake", err)),
    };
    let Some((host_key, verdict)) = seen_key() else {
        return Err(SftpError::Ssh {
            during: "the SSH handshake",
            message: "the server showed no host key".into(),
        });
    };
    Ok(Handshaken {
        handle,
        host_key,
        verdict,
    })
}

impl Handshaken {
    /// Logs on (see `authenticate`), bounded by four timeouts: a server may ask in rounds.
    pub async fn log_on(
        mut self,
        credentials: &Credentials,
        settings: &SshSettings,
        timeout: Duration,
        log: &LogSink,
    ) -> Result<LoggedOn, SftpError> {
        let host = host_keys::host_pattern(&self.host_key.host, self.host_key.port);
        // A person answering a server's questions gets the time sshd gives (LoginGraceTime,
        // two minutes by default); a logon without one, four network timeouts.
        let bound = if settings.prompter.is_some() {
            timeout.saturating_mul(4).max(Duration::from_secs(180))
        } else {
            timeout.saturating_mul(4)
        };
        let (offered, method) = tokio::time::timeout(
            bound,
            authenticate(&mut self.handle, &host, credentials, settings, log),
        )
        .await
        .map_err(|_| SftpError::Timeout {
            during: "logging in",
            secs: bound.as_secs(),
        })??;
        log.status(format!("Logged in ({method})"));
        Ok(LoggedOn {
            handle: self.handle,
            host_key: self.host_key,
            verdict: self.verdict,
            offered,
            method,
        })
    }
}

impl LoggedOn {
    /// Opens the `sftp` subsystem and starts the SFTP session on it.
    pub async fn start_sftp(
        self,
        timeout: Duration,
        log: &LogSink,
    ) -> Result<(SshSession, SftpClient), SftpError> {
        let stream = tokio::time::timeout(timeout, open_sftp(&self.handle, log))
            .await
            .map_err(|_| SftpError::Timeout {
                during: "starting SFTP",
                secs: timeout.as_secs(),
            })??;
        let (reader, writer) = tokio::io::split(stream);
        let sftp = SftpClient::start(reader, writer, log.clone(), timeout).await?;
        Ok((
            SshSession {
                _handle: self.handle,
                host_key: self.host_key,
                verdict: self.verdict,
                method: self.method,
            },
            sftp,
        ))
    }
}

/// Opens a session channel and asks for the `sftp` subsystem, waiting for the answer.
async fn open_sftp(
    handle: &client::Handle<HostKeyCheck>,
    log: &LogSink,
) -> Result<russh::ChannelStream<client::Msg>, SftpError> {
    let mut channel = handle
        .channel_open_session()
        .await
        .map_err(|err| ssh_error("opening a channel", err))?;
    log.line(LogKind::Command, "subsystem sftp");
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|err| ssh_error("starting SFTP", err))?;
    loop {
        match channel.wait().await {
            Some(russh::ChannelMsg::Success) => break,
            Some(russh::ChannelMsg::Failure) => return Err(SftpError::NoSftp),
            Some(russh::ChannelMsg::Close | russh::ChannelMsg::Eof) | None => {
                return Err(SftpError::NoSftp);
            }
            Some(_) => {}
        }
    }
    Ok(channel.into_stream())
}

/// Authentication methods by their protocol names.
fn method_names(methods: &russh::MethodSet) -> Vec<String> {
    methods
        .iter()
        .map(|m| String::from(<&str>::from(m)))
        .collect()
}

/// The SHA-2 hash an RSA signature uses with this server (`server-sig-algs`); `None`: the
/// server did not say, and russh's default applies.
async fn rsa_hash(handle: &client::Handle<HostKeyCheck>) -> Option<russh::keys::HashAlg> {
    handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten()
}

/// Logs on as OpenSSH would: the named key files, then (without a password) the agent
/// and the default key files, then the password, then keyboard-interactive answered with
/// the password. The methods the server offered, and the one that worked.
async fn authenticate(
    handle: &mut client::Handle<HostKeyCheck>,
    host: &str,
    credentials: &Credentials,
    settings: &SshSettings,
    log: &LogSink,
) -> Result<(Vec<String>, String), SftpError> {
    let mut offered = Vec::new();
    let method = authenticate_with(handle, host, credentials, settings, log, &mut offered).await?;
    Ok((offered, method))
}

async fn authenticate_with(
    handle: &mut client::Handle<HostKeyCheck>,
    host: &str,
    credentials: &Credentials,
    settings: &SshSettings,
    log: &LogSink,
    offered_out: &mut Vec<String>,
) -> Result<String, SftpError> {
    let during = "logging in";
    let user = credentials
        .user
        .clone()
        .unwrap_or_else(|| "anonymous".into());
    let wrap = |err| ssh_error(during, err);
    log.line(LogKind::Command, format!("USERAUTH none for {user}"));
    let offered = match handle.authenticate_none(&user).await.map_err(wrap)? {
        client::AuthResult::Success => return Ok("none".into()),
        client::AuthResult::Failure {
            remaining_methods, ..
        } => method_names(&remaining_methods),
    };
    log.line(
        LogKind::Response,
        format!("The server offers: {}", offered.join(", ")),
    );
    offered_out.clone_from(&offered);
    let offers = |name: &str| offered.iter().any(|m| m == name);
    let mut tried = Vec::new();
    let password = credentials.password.as_ref().filter(|p| !p.is_empty());

    if offers("publickey") {
        let mut files = settings.key_files.clone();
        let defaults = password.is_none() && settings.try_default_keys;
        if defaults && let Some(method) = try_agent(handle, &user, log, &mut tried).await? {
            return Ok(method);
        }
        if defaults {
            files.extend(default_key_files().into_iter().filter(|p| p.is_file()));
        }
        let rsa_hash = rsa_hash(handle).await;
        for path in files {
            let key = match russh::keys::load_secret_key(
                &path,
                settings.key_passphrase.as_ref().map(Secret::expose),
            ) {
                Ok(key) => key,
                Err(russh::keys::Error::KeyIsEncrypted) => {
                    match unlock_key(&path, host, &user, settings, log).await {
                        Some(key) => key,
                        None => {
                            log.status(format!(
                                "The key {} needs its passphrase; skipped",
                                path.display()
                            ));
                            tried.push(format!("publickey ({}: no passphrase)", path.display()));
                            continue;
                        }
                    }
                }
                Err(err) => {
                    log.status(format!("Cannot read the key {}: {err}", path.display()));
                    continue;
                }
            };
            log.line(
                LogKind::Command,
                format!(
                    "USERAUTH publickey {} ({})",
                    path.display(),
                    key.algorithm()
                ),
            );
            let with_hash = PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash);
            match handle
                .authenticate_publickey(&user, with_hash)
                .await
                .map_err(wrap)?
            {
                client::AuthResult::Success => {
                    return Ok(format!("publickey, {}", path.display()));
                }
                client::AuthResult::Failure { .. } => {
                    log.line(LogKind::Response, "The server refused the key");
                    tried.push(format!("publickey ({})", path.display()));
                }
            }
        }
    }
    if let Some(password) = password
        && offers("password")
    {
        log.line(LogKind::Command, "USERAUTH password ****");
        match handle
            .authenticate_password(&user, password.expose())
            .await
            .map_err(wrap)?
        {
            client::AuthResult::Success => return Ok("password".into()),
            client::AuthResult::Failure { .. } => {
                log.line(LogKind::Response, "The server refused the password");
                tried.push("password".into());
            }
        }
    }
    let prompter = settings.prompter.as_ref().map(|p| p.0.as_ref());
    if offers("keyboard-interactive") && (password.is_some() || prompter.is_some()) {
        let asking = Asking {
            host,
            user: &user,
            password,
            prompter,
            log,
        };
        if let Some(method) = keyboard_interactive(handle, &asking, &mut tried).await? {
            return Ok(method);
        }
    }
    Err(SftpError::Auth { offered, tried })
}

/// Each identity the agent holds, until the server takes one.
async fn try_agent(
    handle: &mut client::Handle<HostKeyCheck>,
    user: &str,
    log: &LogSink,
    tried: &mut Vec<String>,
) -> Result<Option<String>, SftpError> {
    // Unset or empty (a script's way of saying "no agent"): nothing to ask.
    if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|sock| sock.is_empty()) {
        return Ok(None);
    }
    let mut agent = match russh::keys::agent::client::AgentClient::connect_env().await {
        Ok(agent) => agent,
        Err(err) => {
            log.status(format!("Cannot reach the SSH agent: {err}"));
            return Ok(None);
        }
    };
    let identities = match agent.request_identities().await {
        Ok(identities) => identities,
        Err(err) => {
            log.status(format!("The SSH agent did not list its keys: {err}"));
            return Ok(None);
        }
    };
    let rsa_hash = rsa_hash(handle).await;
    for identity in identities {
        let russh::keys::agent::AgentIdentity::PublicKey { key, comment } = identity else {
            continue;
        };
        log.line(
            LogKind::Command,
            format!(
                "USERAUTH publickey from the agent: {} {comment}",
                key.algorithm()
            ),
        );
        let hash = key.algorithm().is_rsa().then_some(rsa_hash).flatten();
        match handle
            .authenticate_publickey_with(user, key, hash, &mut agent)
            .await
        {
            Ok(client::AuthResult::Success) => {
                return Ok(Some(format!("publickey from the SSH agent ({comment})")));
            }
            Ok(client::AuthResult::Failure { .. }) => {
                log.line(LogKind::Response, "The server refused the key");
                tried.push(format!("publickey (agent: {comment})"));
            }
            Err(err) => {
                log.status(format!("The SSH agent could not sign: {err}"));
                tried.push(format!("publickey (agent: {comment})"));
            }
        }
    }
    Ok(None)
}

/// An encrypted key file, unlocked with the passphrase the prompter gets from the user (as
/// `ssh` asks for it), tried up to three times; `None` when there is no one to ask or the
/// user gave up.
async fn unlock_key(
    path: &std::path::Path,
    host: &str,
    user: &str,
    settings: &SshSettings,
    log: &LogSink,
) -> Option<russh::keys::PrivateKey> {
    let prompter = settings.prompter.as_ref()?;
    for _ in 0..3 {
        let questions = Questions {
            host: host.to_owned(),
            user: user.to_owned(),
            name: String::new(),
            instructions: String::new(),
            prompts: vec![(
                format!("Enter passphrase for key '{}': ", path.display()),
                false,
            )],
        };
        let answer = prompter.0.ask(questions).await?.into_iter().next()?;
        match russh::keys::load_secret_key(path, Some(answer.expose())) {
            Ok(key) => return Some(key),
            Err(err) => log.status(format!("The key {} did not open: {err}", path.display())),
        }
    }
    None
}

/// Who answers a keyboard-interactive logon: the password for a password prompt, the
/// face's prompter for anything else.
struct Asking<'a> {
    /// `[host]:port`, for the question.
    host: &'a str,
    user: &'a str,
    password: Option<&'a Secret>,
    prompter: Option<&'a dyn Prompter>,
    log: &'a LogSink,
}

fn is_password_prompt(prompt: &str) -> bool {
    prompt.to_ascii_lowercase().contains("password")
}

/// Keyboard-interactive: a round that asks only for the password is answered with it (as
/// FileZilla does); any other round goes to the prompter (the window's dialog, the
/// terminal), or, without one, is not answered.
async fn keyboard_interactive(
    handle: &mut client::Handle<HostKeyCheck>,
    asking: &Asking<'_>,
    tried: &mut Vec<String>,
) -> Result<Option<String>, SftpError> {
    let log = asking.log;
    let wrap = |err| ssh_error("logging in", err);
    log.line(LogKind::Command, "USERAUTH keyboard-interactive");
    let mut reply = handle
        .authenticate_keyboard_interactive_start(asking.user, None)
        .await
        .map_err(wrap)?;
    // A server may ask in several rounds (a password, then a code); a few are plenty.
    for _ in 0..8 {
        match reply {
            client::KeyboardInteractiveAuthResponse::Success => {
                return Ok(Some("keyboard-interactive".into()));
            }
            client::KeyboardInteractiveAuthResponse::Failure { .. } => break,
            client::KeyboardInteractiveAuthResponse::InfoRequest {
                name,
                instructions,
                prompts,
            } => {
                for text in [&name, &instructions] {
                    if !text.is_empty() {
                        log.line(LogKind::Response, text.clone());
                    }
                }
                for prompt in &prompts {
                    log.line(LogKind::Response, prompt.prompt.clone());
                }
                let answers = match (asking.password, asking.prompter) {
                    _ if prompts.is_empty() => Vec::new(),
                    (Some(password), _)
                        if prompts.iter().all(|p| is_password_prompt(&p.prompt)) =>
                    {
                        log.line(LogKind::Command, "(the password) ****");
                        prompts
                            .iter()
                            .map(|_| password.expose().to_owned())
                            .collect()
                    }
                    (_, Some(prompter)) => {
                        log.status("Asking you what the server asks");
                        let questions = Questions {
                            host: asking.host.to_owned(),
                            user: asking.user.to_owned(),
                            name,
                            instructions,
                            prompts: prompts.iter().map(|p| (p.prompt.clone(), p.echo)).collect(),
                        };
                        let Some(answers) = prompter.ask(questions).await else {
                            log.status("Not answered: the logon was cancelled");
                            tried.push("keyboard-interactive (cancelled)".into());
                            return Ok(None);
                        };
                        log.line(
                            LogKind::Command,
                            format!("({} answers) ****", answers.len()),
                        );
                        answers.iter().map(|a| a.expose().to_owned()).collect()
                    }
                    _ => {
                        log.status(
                            "The server asks something other than the password; not answered",
                        );
                        tried.push("keyboard-interactive (unanswered prompt)".into());
                        return Ok(None);
                    }
                };
                reply = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await
                    .map_err(wrap)?;
            }
        }
    }
    log.line(LogKind::Response, "The server refused the answers");
    tried.push("keyboard-interactive".into());
    Ok(None)
}
