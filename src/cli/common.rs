//! What every subcommand shares: URL → connection, the message log on stderr, errors.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::CommonArgs;
use crate::log::{ConnId, LogSink};
use crate::net::tls::{
    CertInfo, CertProblem, TlsMode, TlsSettings, TlsVersions, load_pem_certificates,
    normalize_fingerprint,
};
use crate::net::{ConnectOptions, Connection, Credentials, DataSettings, FtpError};
use crate::proto::charset::Charset;
use crate::secret::Secret;
use crate::sites::trust::TrustStore;
use crate::url::FtpUrl;

pub(crate) fn parse_url(text: &str) -> anyhow::Result<FtpUrl> {
    Ok(FtpUrl::parse(text)?)
}

fn tls_settings(url: &FtpUrl, args: &CommonArgs) -> anyhow::Result<TlsSettings> {
    let mode = url.scheme.tls_mode(args.tls_if_available);
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
    Ok(TlsSettings {
        mode,
        trusted_fingerprints: args.trust_fingerprint.clone(),
        trust_store,
        extra_roots,
        versions: TlsVersions::default(),
    })
}

/// Connects and logs on as the URL and the common flags say.
pub(crate) async fn connect(url: &FtpUrl, args: &CommonArgs) -> anyhow::Result<Connection> {
    let options = connect_options(url, args)?;
    connect_with(url, options).await
}

/// How to reach and log on to the URL's server, as the flags say.
pub(crate) fn connect_options(url: &FtpUrl, args: &CommonArgs) -> anyhow::Result<ConnectOptions> {
    let log = if args.log {
        LogSink::new(ConnId(1), |line| {
            let mut err = std::io::stderr().lock();
            writeln!(err, "{line}").ok();
        })
    } else {
        LogSink::discard()
    };
    let password = url.password.clone().or_else(|| {
        std::env::var("SKIFF_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new)
    });
    let options = ConnectOptions {
        host: url.host.clone(),
        port: url.port,
        credentials: Credentials {
            user: url.user.clone(),
            password,
            account: None,
        },
        timeout: Duration::from_secs(args.timeout.max(1)),
        data: DataSettings {
            mode: args.mode,
            prefer_epsv: !args.disable_epsv,
            use_control_peer_for_pasv: !args.use_pasv_address,
            active_port_range: args.port_range,
            external_ip: args.external_ip,
        },
        charset: args.encoding,
        tls: tls_settings(url, args)?,
        log,
    };
    Ok(options)
}

async fn connect_with(url: &FtpUrl, options: ConnectOptions) -> anyhow::Result<Connection> {
    let mut vouched: Vec<String> = options.tls.trusted_fingerprints.clone();
    let mut result = Connection::connect(options.clone()).await;
    // An unverifiable certificate on a terminal: show it and ask, as a browser would.
    if let Err(FtpError::Certificate {
        problem: CertProblem::Untrusted { .. },
        info: Some(info),
    }) = &result
        && std::io::stdin().is_terminal()
        && ask_to_trust(info)?
    {
        let mut retry = options.clone();
        retry.tls.trusted_fingerprints.push(info.sha256.clone());
        vouched.push(info.sha256.clone());
        result = Connection::connect(retry).await;
    }
    let conn = result
        .with_context(|| url.redacted())
        .map_err(flip_context)?;
    remember_trusted(&conn, options.tls.trust_store.as_ref(), &vouched)?;
    Ok(conn)
}

/// Saves a certificate the user vouched for (by fingerprint or at the prompt), so the next
/// connection proceeds silently. A certificate that verified against a CA is not pinned: its
/// renewal must not look like an attack.
fn remember_trusted(
    conn: &Connection,
    store: Option<&TrustStore>,
    vouched: &[String],
) -> anyhow::Result<()> {
    let (Some(cert), Some(store)) = (conn.certificate(), store) else {
        return Ok(());
    };
    let vouched = vouched
        .iter()
        .filter_map(|f| normalize_fingerprint(f))
        .any(|f| f == cert.sha256);
    let known = store
        .get(&cert.host, cert.port)
        .is_some_and(|c| c.sha256 == cert.sha256);
    if vouched && !known {
        let mut store = store.clone();
        store.trust(cert.to_trusted())?;
        conn.log().status(format!(
            "Trusted certificate saved for {}:{}",
            cert.host, cert.port
        ));
    }
    Ok(())
}

fn ask_to_trust(info: &CertInfo) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "The server's certificate could not be verified.")?;
    writeln!(err, "  Host:        {}:{}", info.host, info.port)?;
    writeln!(err, "  Subject:     {}", info.subject)?;
    writeln!(err, "  Issuer:      {}", info.issuer)?;
    writeln!(
        err,
        "  Valid:       {} to {}",
        info.not_before, info.not_after
    )?;
    writeln!(err, "  SHA-256:     {}", info.sha256)?;
    write!(err, "Trust this certificate and remember it? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `anyhow` puts context first; for a one-line error we want "what failed: where".
fn flip_context(err: anyhow::Error) -> anyhow::Error {
    let mut chain = err.chain();
    let outer = chain.next().map(ToString::to_string).unwrap_or_default();
    let inner: Vec<String> = chain.map(ToString::to_string).collect();
    if inner.is_empty() {
        anyhow::anyhow!(outer)
    } else {
        anyhow::anyhow!("{} ({outer})", inner.join(": "))
    }
}

/// Prints the one-line error scripts can show, and returns the failure exit code.
pub(crate) fn fail(err: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let text: Vec<String> = err.chain().map(ToString::to_string).collect();
    // One line: multi-line server replies are joined.
    writeln!(
        stderr,
        "skiff: error: {}",
        text.join(": ").replace('\n', " / ")
    )
    .ok();
    ExitCode::FAILURE
}

/// The URL's path as the server's bytes: typed text converted to the charset, raw
/// percent-encoded bytes kept as they are.
pub(crate) fn remote_path(url: &FtpUrl, args: &CommonArgs) -> anyhow::Result<Vec<u8>> {
    Ok(args.encoding.encode_user_bytes(&url.path)?)
}

/// A remote name as a local file name in the given charset (see `crate::local`).
pub(crate) fn local_name_in(
    remote_name: &[u8],
    charset: Charset,
) -> anyhow::Result<std::ffi::OsString> {
    Ok(crate::local::local_name(remote_name, charset)?)
}

/// A local file name as the server's bytes in its charset.
pub(crate) fn remote_name_in(local: &std::ffi::OsStr, charset: Charset) -> anyhow::Result<Vec<u8>> {
    Ok(crate::local::remote_name(local, charset)?)
}

pub(crate) fn stdout_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").context("cannot write to stdout")
}
