//! What every subcommand shares: a URL or a saved site → the server to reach (the site's and
//! the global settings, the flags over both), saved passwords, the message log on stderr,
//! errors in the CLI's words.

use crate::visible::visible;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::{ActiveArgs, CommonArgs, DataArgs, UsageError};
use crate::log::{ConnId, LogSink};
use crate::net::tls::{
    TlsMode, TlsSettings, TlsVersions, load_pem_certificates, normalize_fingerprint,
};
use crate::proto::charset::Charset;
use crate::remote::Server;
use crate::secret::Secret;
use crate::sites::config_file::ConfigProblem;
use crate::sites::credentials::{CredentialError, MasterVault, PasswordStore, StoreKind};
use crate::sites::settings::Settings;
use crate::sites::site::{LogonType, Site, SiteList};
use crate::sites::trust::TrustStore;
use crate::url::FtpUrl;

/// Where a command goes: a URL's server, or a saved site's, with everything needed to connect.
pub(crate) struct Target {
    /// The server and the remote path (percent-decoded bytes, before the charset conversion).
    pub url: FtpUrl,
    /// How the target is named in messages: a URL without its password, or the site's path.
    pub shown: String,
    /// The server's charset for names (the site's, or `--encoding`).
    pub charset: Charset,
    pub server: Server,
    /// The saved site, with `--site`.
    pub site: Option<Site>,
    pub settings: Settings,
    /// The trust store (TLS only), to remember certificates the user vouches for.
    pub trust_store: Option<TrustStore>,
    /// `--log`: the message log goes to stderr (and progress bars would garble it).
    pub log: bool,
}

impl Target {
    /// The remote path as the server's bytes: typed text converted to the charset, raw
    /// percent-encoded bytes kept as they are.
    pub(crate) fn remote_path(&self) -> anyhow::Result<Vec<u8>> {
        Ok(self.charset.encode_user_bytes(&self.url.path)?)
    }

    /// Transfers at once for `get -r` / `put -r` without `--parallel`: the site's own maximum,
    /// or the global setting.
    pub(crate) fn default_parallel(&self) -> usize {
        self.site
            .as_ref()
            .and_then(|s| s.max_connections)
            .map_or(self.settings.parallel, usize::from)
            .clamp(1, 10)
    }
}

/// Resolves the URL argument (or, with `--site`, the remote path) and the flags: the site's
/// or the URL's server, the global settings for the rest, and the flags over both. `data`
/// and `active`: the data-connection flags, for commands that have them.
pub(crate) fn resolve(
    arg: Option<&str>,
    args: &CommonArgs,
    data: Option<&DataArgs>,
    active: Option<&ActiveArgs>,
) -> anyhow::Result<Target> {
    let settings = load_settings();
    let (url, shown, mut server, site) = match &args.site {
        Some(name) => {
            let (list, _) = load_sites();
            let site = list.find(name)?.clone();
            let path = site_path(&site, arg)?;
            let password = password_for_site(&site, &settings)?;
            let server = settings
                .site_server(&site, password)
                .with_context(|| format!("site {:?}", site.path()))?;
            let url = FtpUrl {
                scheme: site.protocol.scheme(),
                host: server.host.clone(),
                port: server.port,
                user: server.credentials.user.clone(),
                password: None,
                path,
            };
            let shown = format!(
                "site {:?}, {}{}",
                site.path(),
                site.display_url(),
                shown_path(&url.path)
            );
            (url, shown, server, Some(site))
        }
        None => {
            let text =
                arg.context("give an ftp://, ftpes://, ftps:// or sftp:// URL, or --site NAME")?;
            let url = FtpUrl::parse(text)?;
            let mut server = settings.url_server(&url, args.tls_if_available);
            if server.credentials.password.is_none() {
                server.credentials.password = env_secret("SKIFF_PASSWORD");
            }
            (url.clone(), url.redacted(), server, None)
        }
    };
    if let Some(secs) = args.timeout {
        server.timeout = Duration::from_secs(secs.max(1));
    }
    if let Some(charset) = args.encoding {
        server.charset = charset;
    }
    let mut trust_store = None;
    let (host, port) = (server.host.clone(), server.port);
    if let Some(ftp) = server.ftp_settings_mut() {
        if let Some(data) = data {
            if let Some(mode) = data.mode {
                ftp.data.mode = mode;
            }
            if data.disable_epsv {
                ftp.data.prefer_epsv = false;
            }
            if data.use_pasv_address {
                ftp.data.use_control_peer_for_pasv = false;
            }
        }
        if let Some(active) = active {
            if let Some(range) = active.port_range {
                ftp.data.active_port_range = Some(range);
            }
            if let Some(ip) = active.external_ip {
                ftp.data.external_ip = Some(ip);
            }
        }
        if args.list_hidden {
            ftp.list_hidden = true;
        }
        if args.tls_if_available {
            match ftp.tls.mode {
                TlsMode::None => ftp.tls.mode = TlsMode::ExplicitIfAvailable,
                TlsMode::ExplicitIfAvailable if args.site.is_none() => {}
                _ => {
                    return Err(UsageError(
                        "--tls-if-available applies to plain FTP (an ftp:// URL or site): this \
                         connection is set to TLS already"
                            .into(),
                    )
                    .into());
                }
            }
        }
        if ftp.tls.mode == TlsMode::None
            && (!args.trust_fingerprint.is_empty() || args.ca_file.is_some())
        {
            return Err(UsageError(
                "--trust-fingerprint and --ca-file apply to TLS connections (ftpes://, ftps://, \
                 or --tls-if-available): this connection is plain FTP"
                    .into(),
            )
            .into());
        }
        let (tls, store) = tls_settings(ftp.tls.mode, args, &host, port)?;
        ftp.tls = tls;
        trust_store = store;
    }
    if let Some(ssh) = server.ssh_settings_mut() {
        for key in &args.trust_host_key {
            if !key.trim().starts_with("SHA256:") {
                return Err(UsageError(format!(
                    "--trust-host-key {key:?} is not an SSH fingerprint: give it as \
                     `ssh-keygen -lf` prints it, SHA256:..."
                ))
                .into());
            }
        }
        ssh.trusted_host_keys
            .extend(args.trust_host_key.iter().cloned());
        ssh.key_files.extend(args.key_file.iter().cloned());
        ssh.known_hosts_files
            .extend(crate::sites::known_hosts::default_path());
        if let Some(passphrase) = env_secret("SKIFF_KEY_PASSPHRASE") {
            ssh.key_passphrase = Some(passphrase);
        }
        // A server's questions besides the password (a one-time code) are asked on the
        // terminal, when there is one.
        if std::io::stdin().is_terminal() {
            ssh.prompter = Some(crate::sftp::ssh::PrompterHandle(std::sync::Arc::new(
                TerminalPrompter,
            )));
        }
    } else if !args.trust_host_key.is_empty() || !args.key_file.is_empty() {
        return Err(UsageError(
            "--trust-host-key and --key-file apply to SFTP (sftp:// URLs and SFTP sites)".into(),
        )
        .into());
    }
    server.log = if args.log {
        LogSink::new(ConnId(1), |line| {
            let mut err = std::io::stderr().lock();
            writeln!(err, "{}", visible(&line.to_string())).ok();
        })
    } else {
        LogSink::discard()
    };
    Ok(Target {
        charset: server.charset,
        url,
        shown,
        server,
        site,
        settings,
        trust_store,
        log: args.log,
    })
}

fn shown_path(path: &[u8]) -> String {
    match path {
        [] => String::new(),
        [b'/', ..] => String::from_utf8_lossy(path).into_owned(),
        _ => format!(" {}", String::from_utf8_lossy(path)),
    }
}

/// With `--site`, the argument is a remote path (percent-decoded like a URL's); a relative
/// one starts in the site's default remote folder; none at all is that folder.
fn site_path(site: &Site, arg: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let base = site.remote_dir.clone().unwrap_or_default();
    let Some(arg) = arg else {
        return Ok(base.into_bytes());
    };
    if arg.contains("://") {
        anyhow::bail!(
            "with --site, give a remote path, not a URL (the site names the server): {arg:?}"
        );
    }
    let path: Vec<u8> = percent_encoding::percent_decode_str(arg).collect();
    if path.starts_with(b"/") || base.is_empty() {
        return Ok(path);
    }
    Ok(crate::proto::path::join(base.as_bytes(), &path))
}

/// TLS settings from the flags, with the fingerprint trusted earlier for this host (from
/// the trust store, returned too so that a newly trusted certificate can be saved).
fn tls_settings(
    mode: TlsMode,
    args: &CommonArgs,
    host: &str,
    port: u16,
) -> anyhow::Result<(TlsSettings, Option<TrustStore>)> {
    for fp in &args.trust_fingerprint {
        if normalize_fingerprint(fp).is_none() {
            anyhow::bail!(
                "--trust-fingerprint {fp:?} is not a SHA-256 fingerprint (64 hex digits)"
            );
        }
    }
    let trust_store = match TrustStore::default_path() {
        Some(path) if mode != TlsMode::None => Some(TrustStore::load(&path)?),
        _ => None,
    };
    let extra_roots = match &args.ca_file {
        Some(path) => load_pem_certificates(path).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let settings = TlsSettings {
        mode,
        trusted_fingerprints: args.trust_fingerprint.clone(),
        stored_fingerprint: trust_store
            .as_ref()
            .and_then(|store| store.get(host, port))
            .map(|cert| cert.sha256.clone()),
        extra_roots,
        versions: TlsVersions::default(),
    };
    Ok((settings, trust_store))
}

// ---- Settings, sites and saved passwords ------------------------------------------------------

/// Prints a warning line on stderr.
pub(crate) fn warn(text: &str) {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "skiff: warning: {}",
        visible(&text.replace('\n', " / "))
    )
    .ok();
}

/// A non-empty environment variable as a secret.
pub(crate) fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// `settings.toml`, or the defaults (a damaged file is reported; the loader kept a backup).
pub(crate) fn load_settings() -> Settings {
    let Some(path) = Settings::default_path() else {
        return Settings::default();
    };
    let loaded = Settings::load(&path);
    if let Some(problem) = &loaded.problem {
        warn(&problem.to_string());
    }
    loaded.value
}

/// `sites.toml` and the problem found reading it, if any (already reported on stderr).
pub(crate) fn load_sites() -> (SiteList, Option<ConfigProblem>) {
    let Some(path) = SiteList::default_path() else {
        return (SiteList::default(), None);
    };
    let loaded = SiteList::load(&path);
    if let Some(problem) = &loaded.problem {
        warn(&problem.to_string());
    }
    (loaded.value, loaded.problem)
}

pub(crate) fn config_dir() -> anyhow::Result<PathBuf> {
    crate::sites::config_dir().context("no configuration folder (is HOME set?)")
}

/// What a password store is opened for, to say what to do when it cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StorePurpose {
    Save,
    Read,
}

/// Opens the password store `kind`. The master password comes from `SKIFF_MASTER_PASSWORD`,
/// or is asked on a terminal (twice when the vault is being created).
pub(crate) fn open_store(kind: StoreKind, purpose: StorePurpose) -> anyhow::Result<PasswordStore> {
    let dir = config_dir()?;
    let master = match kind {
        StoreKind::MasterPassword => Some(master_password(&dir)?),
        StoreKind::Keyring | StoreKind::DontSave => None,
    };
    PasswordStore::open(kind, &dir, master.as_ref()).map_err(|err| match err {
        CredentialError::KeyringUnavailable { reason } => {
            let alternative = match purpose {
                StorePurpose::Save => {
                    "save passwords with a master password instead: add \
                    `--password-store master-password` (the master password comes from \
                    SKIFF_MASTER_PASSWORD, or is asked on a terminal), or set \
                    password_store = \"master-password\" in settings.toml; \
                    `--password-store dont-save` saves none (asked at connect)"
                }
                StorePurpose::Read => {
                    "set SKIFF_PASSWORD for this run, or keep passwords \
                    with a master password: password_store = \"master-password\" in settings.toml \
                    (see `skiff sites add --help`)"
                }
            };
            anyhow::anyhow!("the OS keyring is not reachable ({reason}); {alternative}")
        }
        CredentialError::WrongMasterPassword => anyhow::anyhow!(
            "the master password is wrong{}; nothing was changed",
            if env_secret("SKIFF_MASTER_PASSWORD").is_some() {
                " (SKIFF_MASTER_PASSWORD)"
            } else {
                ""
            }
        ),
        other => anyhow::Error::new(other),
    })
}

fn master_password(dir: &std::path::Path) -> anyhow::Result<Secret> {
    if let Some(master) = env_secret("SKIFF_MASTER_PASSWORD") {
        return Ok(master);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the password vault needs its master password: set SKIFF_MASTER_PASSWORD (there is no terminal to ask on)"
        );
    }
    if MasterVault::exists(dir) {
        return read_secret("Master password: ");
    }
    let first = read_secret("Choose a master password for Skiff's password vault: ")?;
    let again = read_secret("The same master password again: ")?;
    if first != again {
        anyhow::bail!("the two master passwords differ; nothing was saved");
    }
    Ok(first)
}

/// The password to log on to `site` with: `SKIFF_PASSWORD` for this run, else the saved one,
/// else asked on a terminal. Anonymous sites need none.
pub(crate) fn password_for_site(
    site: &Site,
    settings: &Settings,
) -> anyhow::Result<Option<Secret>> {
    if site.logon == LogonType::Anonymous {
        return Ok(None);
    }
    if let Some(password) = env_secret("SKIFF_PASSWORD") {
        return Ok(Some(password));
    }
    if site.logon.saves_password() && settings.password_store != StoreKind::DontSave {
        let vault_missing = settings.password_store == StoreKind::MasterPassword
            && !MasterVault::exists(&config_dir()?);
        if !vault_missing {
            let store = open_store(settings.password_store, StorePurpose::Read)?;
            if let Some(password) = store.get(&site.id)? {
                return Ok(Some(password));
            }
        }
    }
    if std::io::stdin().is_terminal() {
        let prompt = format!("Password for {}: ", site.display_url());
        return read_secret(&prompt).map(Some);
    }
    if site.logon.asks_password() {
        anyhow::bail!(
            "site {:?} asks for its password: set SKIFF_PASSWORD (there is no terminal to ask on)",
            site.path()
        );
    }
    Ok(None)
}

/// Asks an SFTP server's keyboard-interactive questions on the terminal, as `ssh` does:
/// the server's instructions, then each prompt (without echo unless the server allows it).
struct TerminalPrompter;

impl crate::sftp::ssh::Prompter for TerminalPrompter {
    fn ask(&self, questions: crate::sftp::ssh::Questions) -> crate::sftp::ssh::Answers {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || ask_on_terminal(&questions).ok())
                .await
                .ok()
                .flatten()
        })
    }
}

fn ask_on_terminal(questions: &crate::sftp::ssh::Questions) -> anyhow::Result<Vec<Secret>> {
    {
        let mut err = std::io::stderr().lock();
        for text in [&questions.name, &questions.instructions] {
            if !text.trim().is_empty() {
                writeln!(err, "{}", visible(text.trim()))?;
            }
        }
    }
    let mut answers = Vec::with_capacity(questions.prompts.len());
    for (prompt, echo) in &questions.prompts {
        let prompt = visible(prompt);
        if *echo {
            let mut err = std::io::stderr().lock();
            write!(err, "{prompt}")?;
            err.flush()?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            answers.push(Secret::new(line.trim_end_matches(['\r', '\n'])));
        } else {
            answers.push(read_secret(&prompt)?);
        }
    }
    Ok(answers)
}

/// Reads a line from the terminal without echoing it.
pub(crate) fn read_secret(prompt: &str) -> anyhow::Result<Secret> {
    let mut err = std::io::stderr().lock();
    write!(err, "{prompt}")?;
    err.flush()?;
    let echo_off = EchoOff::new()?;
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    drop(echo_off);
    writeln!(err).ok();
    read.context("cannot read from the terminal")?;
    let trimmed = line.trim_end_matches(['\r', '\n']);
    Ok(Secret::new(trimmed))
}

/// Terminal echo off while alive (through `stty`, on the terminal that is stdin).
struct EchoOff;

impl EchoOff {
    fn new() -> anyhow::Result<Self> {
        if stty("-echo") {
            Ok(Self)
        } else {
            anyhow::bail!(
                "cannot turn off echo on this terminal to ask for a password; set SKIFF_PASSWORD or SKIFF_MASTER_PASSWORD instead"
            )
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        stty("echo");
    }
}

fn stty(arg: &str) -> bool {
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Prints the one-line error scripts can show, and returns the failure exit code.
pub(crate) fn fail(err: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "skiff: error: {}", visible(&one_line(err))).ok();
    ExitCode::FAILURE
}

/// An error and its causes on one line (multi-line server replies joined by " / "). A
/// cause whose text the line already holds is not repeated: most errors quote their
/// source in their own message, and the chain would give it a second time.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " / ")
}

/// A remote name as a local file name in the given charset (see `crate::local`).
pub(crate) fn local_name_in(
    remote_name: &[u8],
    charset: Charset,
    replacement: crate::local::Replacement,
) -> anyhow::Result<std::ffi::OsString> {
    Ok(crate::local::local_name(remote_name, charset, replacement)?.name)
}

/// A local file name as the server's bytes in its charset.
pub(crate) fn remote_name_in(local: &std::ffi::OsStr, charset: Charset) -> anyhow::Result<Vec<u8>> {
    Ok(crate::local::remote_name(local, charset)?)
}

/// One line of text on stdout, with what a server (or an imported file) put in it made
/// visible: see `crate::visible`.
pub(crate) fn stdout_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", visible(text)).context("cannot write to stdout")
}

/// `value` as JSON on stdout: exact, as a program reading it needs (JSON escapes controls).
pub(crate) fn stdout_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out).context("cannot write to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As most errors are: the source quoted in the message, and the source of the chain.
    #[derive(Debug, thiserror::Error)]
    #[error("could not connect to 127.0.0.1:1: {source}")]
    struct Quoting {
        source: std::io::Error,
    }

    #[test]
    fn an_error_line_names_each_cause_once() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err =
            anyhow::Error::new(Quoting { source: refused }).context("listing ftp://127.0.0.1:1/");
        assert_eq!(
            one_line(&err),
            "listing ftp://127.0.0.1:1/: could not connect to 127.0.0.1:1: connection refused"
        );
        let err = anyhow::anyhow!("550 no\nsuch file").context("cannot list /x");
        assert_eq!(one_line(&err), "cannot list /x: 550 no / such file");
    }
}
