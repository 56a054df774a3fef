//! FTPS data connections that misbehave on cue, which no real server does: a scripted
//! explicit-TLS server (tokio-rustls, server side) whose data connections stop resuming the
//! control connection's TLS session after the first one did, or present another certificate
//! than the control connection. Skiff must abort both, and keep nothing as a success.
//!
//! Loopback only; every wait is bounded, every loop counted.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::seam;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{HandshakeKind, ServerConfig};
use skiff::log::{ConnId, LogKind, LogLine, LogSink};
use skiff::net::tls::{CertProblem, TlsMode, TlsSettings, TlsVersions, fingerprint};
use skiff::net::{ConnectOptions, Credentials, DataMode};
use skiff::remote::{ErrorKind, RemoteError, RemoteSession, Security};
use skiff::secret::Secret;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

/// Every read, accept and handshake of the scripted server gives up after this.
const WAIT: Duration = Duration::from_secs(10);
/// The server stops after this many commands on its one control connection.
const MAX_COMMANDS: usize = 200;

/// The file every RETR sends.
const CONTENT: &[u8] = b"scripted FTPS content\n";

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A self-signed EC certificate for 127.0.0.1 made with openssl, as the server harness does.
struct TestCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TestCert {
    fn generate(dir: &Path, name: &str) -> Self {
        let key = dir.join(format!("{name}-key.pem"));
        let cert = dir.join(format!("{name}.pem"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"])
            .args(["-subj", &format!("/CN={name}")])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl (needed to make test certificates)");
        assert!(
            out.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            chain: vec![CertificateDer::from_pem_file(&cert).unwrap()],
            key: PrivateKeyDer::from_pem_file(&key).unwrap(),
        }
    }

    fn sha256(&self) -> String {
        fingerprint(&self.chain[0])
    }
}

type Versions = &'static [&'static rustls::SupportedProtocolVersion];
static TLS12: Versions = &[&rustls::version::TLS12];
static TLS13: Versions = &[&rustls::version::TLS13];
static BOTH: Versions = &[&rustls::version::TLS13, &rustls::version::TLS12];

fn versions(v: TlsVersions) -> Versions {
    match v {
        TlsVersions::Tls12Only => TLS12,
        TlsVersions::Tls13Only => TLS13,
        TlsVersions::Tls12AndTls13 => BOTH,
    }
}

/// A server config with rustls's defaults: a session cache (TLS 1.2 session IDs) and
/// stateful TLS 1.3 tickets from it. Data connections that use this very config resume the
/// control connection's session.
fn resuming_config(cert: &TestCert, v: TlsVersions) -> Arc<ServerConfig> {
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions(v))
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(cert.chain.clone(), cert.key.clone_key())
            .unwrap();
    Arc::new(config)
}

/// A server config that cannot resume anything: no session cache, no TLS 1.3 tickets, so
/// every handshake is a full one.
fn non_resuming_config(cert: &TestCert, v: TlsVersions) -> Arc<ServerConfig> {
    let mut config = Arc::unwrap_or_clone(resuming_config(cert, v));
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Arc::new(config)
}

/// What the server saw on one data connection.
#[derive(Debug, Clone, PartialEq)]
struct DataRecord {
    /// The handshake's kind on the server's side; `None` when it failed.
    handshake: Option<HandshakeKind>,
    /// The final reply the server sent for it.
    final_reply: u16,
}

#[derive(Default)]
struct Seen {
    commands: Vec<String>,
    data: Vec<DataRecord>,
    control_connections: usize,
}

struct ScriptedFtps {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedFtps {
    /// Serves one control connection: AUTH TLS with `control`, then data connection `i`
    /// secured with `data[i]` (the last one for all later connections).
    async fn start(control: Arc<ServerConfig>, data: Vec<Arc<ServerConfig>>) -> Self {
        assert!(!data.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let Ok(Ok((tcp, _))) = tokio::time::timeout(WAIT, listener.accept()).await else {
                return;
            };
            record.lock().unwrap().control_connections += 1;
            serve(Box::new(tcp), control, data, &record).await;
            // A second control connection would be a renewed session: count it, serve none.
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(200), listener.accept()).await
            {
                record.lock().unwrap().control_connections += 1;
            }
        });
        Self { port, seen, task }
    }

    async fn finish(self) -> Seen {
        tokio::time::timeout(WAIT * 2, self.task)
            .await
            .expect("the scripted server did not stop")
            .unwrap();
        Arc::try_unwrap(self.seen)
            .ok()
            .expect("server still holds its record")
            .into_inner()
            .unwrap()
    }
}

async fn reply(stream: &mut BufReader<Box<dyn Io>>, text: &str) -> bool {
    let line = format!("{text}\r\n");
    stream.get_mut().write_all(line.as_bytes()).await.is_ok()
        && stream.get_mut().flush().await.is_ok()
}

async fn serve(
    tcp: Box<dyn Io>,
    control: Arc<ServerConfig>,
    data: Vec<Arc<ServerConfig>>,
    seen: &Mutex<Seen>,
) {
    let mut stream = BufReader::new(tcp);
    if !reply(&mut stream, "220 scripted FTPS").await {
        return;
    }
    let mut listener: Option<TcpListener> = None;
    for _ in 0..MAX_COMMANDS {
        let mut line = String::new();
        match tokio::time::timeout(WAIT, stream.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
        let line = line.trim_end().to_owned();
        seen.lock().unwrap().commands.push(line.clone());
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let ok = match verb.to_ascii_uppercase().as_str() {
            "AUTH" => {
                if !reply(&mut stream, "234 AUTH TLS OK.").await {
                    return;
                }
                // The client waits for 234 before its ClientHello: nothing is buffered.
                let tcp = stream.into_inner();
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&control));
                match tokio::time::timeout(WAIT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => stream = BufReader::new(Box::new(tls)),
                    _ => return,
                }
                true
            }
            "USER" => reply(&mut stream, "331 Password please.").await,
            "PASS" => reply(&mut stream, "230 Logged in.").await,
            "PBSZ" => reply(&mut stream, "200 PBSZ=0").await,
            "PROT" => reply(&mut stream, "200 Data protection set to Private.").await,
            "SYST" => reply(&mut stream, "215 UNIX Type: L8").await,
            "FEAT" => {
                reply(
                    &mut stream,
                    "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n SIZE\r\n EPSV\r\n211 End",
                )
                .await
            }
            "PWD" => reply(&mut stream, "257 \"/\" is the current directory").await,
            "TYPE" => reply(&mut stream, "200 Type set.").await,
            "NOOP" => reply(&mut stream, "200 NOOP ok.").await,
            "SIZE" => reply(&mut stream, &format!("213 {}", CONTENT.len())).await,
            "EPSV" | "PASV" => {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let p = l.local_addr().unwrap().port();
                listener = Some(l);
                let text = if verb.eq_ignore_ascii_case("EPSV") {
                    format!("229 Entering Extended Passive Mode (|||{p}|)")
                } else {
                    format!(
                        "227 Entering Passive Mode (127,0,0,1,{},{})",
                        p >> 8,
                        p & 0xff
                    )
                };
                reply(&mut stream, &text).await
            }
            "RETR" | "LIST" => {
                let Some(l) = listener.take() else {
                    reply(&mut stream, "425 Use PASV first.").await;
                    continue;
                };
                let body: Vec<u8> = if verb.eq_ignore_ascii_case("RETR") {
                    CONTENT.to_vec()
                } else {
                    format!(
                        "-rw-r--r-- 1 ftp ftp {} Jan 01 2026 file.txt\r\n",
                        CONTENT.len()
                    )
                    .into_bytes()
                };
                if !reply(
                    &mut stream,
                    &format!("150 Opening data connection for {arg}."),
                )
                .await
                {
                    return;
                }
                let index = seen.lock().unwrap().data.len();
                let config = Arc::clone(&data[index.min(data.len() - 1)]);
                let (handshake, sent) = send_data(l, config, &body).await;
                let code = if sent { 226 } else { 426 };
                seen.lock().unwrap().data.push(DataRecord {
                    handshake,
                    final_reply: code,
                });
                let text = if sent {
                    "226 Transfer complete."
                } else {
                    "426 Connection closed; transfer aborted."
                };
                reply(&mut stream, text).await
            }
            "QUIT" => {
                reply(&mut stream, "221 Goodbye.").await;
                return;
            }
            _ => reply(&mut stream, "502 Not implemented here.").await,
        };
        if !ok {
            return;
        }
    }
}

/// Accepts the client's data connection, secures it with `config`, sends `body` and closes
/// with close_notify. Returns the handshake kind and whether everything went out.
async fn send_data(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    body: &[u8],
) -> (Option<HandshakeKind>, bool) {
    let Ok(Ok((tcp, _))) = tokio::time::timeout(WAIT, listener.accept()).await else {
        return (None, false);
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut tls = match tokio::time::timeout(WAIT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        _ => return (None, false),
    };
    let kind = tls.get_ref().1.handshake_kind();
    let sent = tokio::time::timeout(WAIT, async {
        tls.write_all(body).await?;
        tls.shutdown().await
    })
    .await
    .is_ok_and(|r| r.is_ok());
    (kind, sent)
}

type Lines = Arc<Mutex<Vec<LogLine>>>;

fn options(port: u16, trusted: &TestCert, v: TlsVersions) -> (ConnectOptions, Lines) {
    let lines: Lines = Arc::default();
    let sink = Arc::clone(&lines);
    let mut options = ConnectOptions::new("127.0.0.1", port);
    options.credentials = Credentials {
        user: Some("user".into()),
        password: Some(Secret::new("pass")),
        account: None,
    };
    options.timeout = WAIT;
    options.data.mode = DataMode::Passive;
    options.tls = TlsSettings {
        mode: TlsMode::Explicit,
        trusted_fingerprints: vec![trusted.sha256()],
        versions: v,
        ..TlsSettings::default()
    };
    options.log = LogSink::new(ConnId(1), move |line| sink.lock().unwrap().push(line));
    (options, lines)
}

fn status_lines(lines: &Lines) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.kind == LogKind::Status)
        .map(|l| l.text.clone())
        .collect()
}

async fn get(session: &mut dyn RemoteSession, target: &Path) -> Result<(), RemoteError> {
    seam::get(session, b"/file.txt", target).await.map(drop)
}

fn part_of(target: &Path) -> std::path::PathBuf {
    let mut name = target.file_name().unwrap().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// The first data connection resumes the control connection's session; the second is a full
/// handshake (same certificate): it is aborted with `TlsNotResumed`, nothing is written under
/// the target name, and the control connection stays usable.
async fn second_data_connection_not_resumed(v: TlsVersions) {
    let work = tempfile::tempdir().unwrap();
    let cert = TestCert::generate(work.path(), "control");
    let resuming = resuming_config(&cert, v);
    let server = ScriptedFtps::start(
        Arc::clone(&resuming),
        vec![resuming, non_resuming_config(&cert, v)],
    )
    .await;
    let (options, lines) = options(server.port, &cert, v);
    let first = work.path().join("first.txt");
    let second = work.path().join("second.txt");
    let mut conn = seam::connect(options).await.unwrap();

    get(conn.as_mut(), &first).await.unwrap();
    assert_eq!(std::fs::read(&first).unwrap(), CONTENT);

    let err = get(conn.as_mut(), &second).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("not resumed") && message.contains("aborted"),
        "{message}"
    );
    assert!(!second.exists(), "the aborted download has a final file");
    let part = part_of(&second);
    assert!(
        std::fs::metadata(&part).map_or(true, |m| m.len() == 0),
        "bytes of the refused connection were kept in {}",
        part.display()
    );
    // The control connection is still in step with the server.
    conn.keep_alive().await.unwrap();
    conn.quit().await;

    let seen = server.finish().await;
    let kinds: Vec<Option<HandshakeKind>> = seen.data.iter().map(|d| d.handshake).collect();
    assert_eq!(
        kinds,
        [Some(HandshakeKind::Resumed), Some(HandshakeKind::Full)],
        "the server's view of the data handshakes; commands {:?}",
        seen.commands
    );
    assert_eq!(seen.control_connections, 1, "the session was made again");
    let retrs = seen
        .commands
        .iter()
        .filter(|c| c.starts_with("RETR"))
        .count();
    assert_eq!(retrs, 2, "{:?}", seen.commands);
    let status = status_lines(&lines);
    assert!(
        !status.iter().any(|l| l.contains("reconnecting")),
        "{status:?}"
    );
}

#[tokio::test]
async fn tls12_data_connection_not_resumed_after_a_resumed_one_aborts() {
    tokio::time::timeout(
        WAIT * 4,
        second_data_connection_not_resumed(TlsVersions::Tls12Only),
    )
    .await
    .expect("the test ran out of time");
}

#[tokio::test]
async fn tls13_data_connection_not_resumed_after_a_resumed_one_aborts() {
    tokio::time::timeout(
        WAIT * 4,
        second_data_connection_not_resumed(TlsVersions::Tls13Only),
    )
    .await
    .expect("the test ran out of time");
}

/// The data connection presents another certificate than the control connection, one the
/// user never trusted, from a server that cannot resume (so it is a full handshake and the
/// certificate is checked): aborted with `DataCertificateDiffers` and the other
/// certificate's details, and nothing written.
async fn data_certificate_differs(v: TlsVersions) {
    let work = tempfile::tempdir().unwrap();
    let control_cert = TestCert::generate(work.path(), "control");
    let other_cert = TestCert::generate(work.path(), "intruder");
    let server = ScriptedFtps::start(
        resuming_config(&control_cert, v),
        vec![non_resuming_config(&other_cert, v)],
    )
    .await;
    let (options, _lines) = options(server.port, &control_cert, v);
    let target = work.path().join("file.txt");
    let mut conn = seam::connect(options).await.unwrap();
    let Security::Tls { certificate, .. } = &conn.capabilities().security else {
        panic!("a TLS session without TLS");
    };
    assert_eq!(
        certificate.as_ref().map(|c| c.sha256.clone()),
        Some(control_cert.sha256())
    );

    let err = get(conn.as_mut(), &target).await.unwrap_err();
    let Some(issue) = err.certificate() else {
        panic!("expected a certificate error, got {err:?}");
    };
    assert_eq!(err.kind(), ErrorKind::Certificate);
    assert_eq!(issue.problem, CertProblem::DataCertificateDiffers, "{err}");
    let info = issue
        .info
        .as_ref()
        .expect("the other certificate's details");
    assert_eq!(info.sha256, other_cert.sha256());
    assert_eq!(info.subject, "CN=intruder");
    assert!(
        err.to_string()
            .contains("different certificate than the control connection"),
        "{err}"
    );
    assert!(!target.exists());
    assert!(std::fs::metadata(part_of(&target)).map_or(true, |m| m.len() == 0));
    conn.keep_alive().await.unwrap();
    conn.quit().await;

    let seen = server.finish().await;
    assert_eq!(seen.data.len(), 1, "{:?}", seen.commands);
    // The client refused the handshake: the server never got to send the file.
    assert_eq!(
        seen.data[0],
        DataRecord {
            handshake: None,
            final_reply: 426
        }
    );
}

#[tokio::test]
async fn tls12_data_connection_with_another_certificate_aborts() {
    tokio::time::timeout(WAIT * 4, data_certificate_differs(TlsVersions::Tls12Only))
        .await
        .expect("the test ran out of time");
}

#[tokio::test]
async fn tls13_data_connection_with_another_certificate_aborts() {
    tokio::time::timeout(WAIT * 4, data_certificate_differs(TlsVersions::Tls13Only))
        .await
        .expect("the test ran out of time");
}
