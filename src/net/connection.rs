//! One logged-in FTP session: connect, log on, and run commands and data transfers.
//!
//! The sequence of a data transfer (FileZilla `rawtransfer.cpp`): TYPE, then EPSV/PASV (or
//! EPRT/PORT), REST when resuming, then the command; a 1xx reply opens the transfer, and the
//! 226 and the end of the data stream may arrive in either order.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::log::LogSink;
use crate::net::AsyncStream;
use crate::net::control::{ControlChannel, ControlStream};
use crate::net::data::{self, DataMode, DataSettings};
use crate::net::error::FtpError;
use crate::net::tls::{self, CertInfo, TlsMode, TlsSettings};
use crate::net::tls_data::{self, TlsData};
use crate::proto::charset::Charset;
use crate::proto::command::{Command, TransferType};
use crate::proto::feat::{Features, Support};
use crate::proto::listing::{
    Entry, ListingFormat, ListingLimits, ListingParser, ServerType, Timestamp, parse_mlsx_line,
};
use crate::proto::pasv;
use crate::proto::path::parse_pwd;
use crate::proto::reply::Reply;
use crate::secret::{Credentials, Secret};

mod checksum;
mod probe;
pub use probe::{LIST_PHASE, ProbeFailure, ProbeMethod, ProbeRecord};

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub credentials: Credentials,
    /// Applies to every read, write, connect and accept.
    pub timeout: Duration,
    pub data: DataSettings,
    /// The server's charset for paths and names (UTF-8 unless the site says otherwise).
    pub charset: Charset,
    /// FTPS: mode, certificate trust.
    pub tls: TlsSettings,
    pub log: LogSink,
    /// The most a listing may hold before it fails (a hostile server's endless listing).
    pub listing_limits: ListingLimits,
    /// List with `LIST -a`: servers like vsftpd leave files whose names start with a dot
    /// (`.htaccess`) out of a bare LIST. MLSD lists them anyway.
    pub list_hidden: bool,
}

impl ConnectOptions {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            credentials: Credentials::default(),
            timeout: Duration::from_secs(20),
            data: DataSettings::default(),
            charset: Charset::UTF8,
            tls: TlsSettings::default(),
            log: LogSink::discard(),
            listing_limits: ListingLimits::default(),
            list_hidden: false,
        }
    }
}

/// How STOR-like uploads start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// STOR: create or replace.
    Replace,
    /// REST offset + STOR: continue an upload (needs REST STREAM).
    RestartAt(u64),
    /// APPE: append to what is there.
    Append,
}

/// An open data connection; read or write it, then hand it back to `finish_transfer`.
pub type DataStream = Box<dyn AsyncStream>;

/// A data connection set up but not yet opened (active mode waits for the server).
enum PendingData {
    Connected(TcpStream),
    Listening(TcpListener),
}

pub struct Connection {
    control: ControlChannel,
    peer: SocketAddr,
    local: SocketAddr,
    settings: DataSettings,
    features: Features,
    epsv: Support,
    eprt: Support,
    current_type: Option<TransferType>,
    system: Option<String>,
    home: Option<Vec<u8>>,
    /// The transfer's final reply came before its data (some servers, empty listings).
    final_reply_early: bool,
    /// Set once the control connection runs over TLS.
    tls: Option<SessionTls>,
    control_tls13: bool,
    /// "TLSv1_3, TLS13_AES_256_GCM_SHA384, new session", once the control connection is secured.
    tls_description: Option<String>,
    /// The absolute folder the last successful CWD entered: a listing of it needs no CWD.
    cwd: Option<Vec<u8>>,
    /// How this session was made, to make it again when TLS 1.3 tickets run out.
    options: ConnectOptions,
    /// The byte count in the reply that started the latest transfer ("150 ... (1234 bytes)").
    announced_size: Option<u64>,
    /// The algorithm HASH uses on this connection (FEAT's `*`, then what OPTS HASH chose).
    hash_algorithm: Option<crate::proto::hash::Algorithm>,
}

/// The TLS state a session shares with its data connections.
struct SessionTls {
    config: Arc<rustls::ClientConfig>,
    verifier: Arc<tls::Verifier>,
    tickets: Arc<tls::TicketCountingStore>,
    /// The control connection negotiated TLS 1.3 (tickets are single-use).
    tls13: bool,
    server_name: ServerName<'static>,
    host: String,
    port: u16,
    /// PROT P is in force: data connections are encrypted too.
    protect_data: bool,
    /// An earlier data connection resumed the session; a later full handshake is suspicious.
    data_resumed_before: bool,
    /// The most recent data connection resumed the session (for the diagnosis).
    last_data_resumed: bool,
    certificate: Option<CertInfo>,
}

impl Connection {
    /// Resolves, connects, reads the welcome, logs on and learns the server's features.
    pub async fn connect(options: ConnectOptions) -> Result<Self, FtpError> {
        let log = options.log.clone();
        let stream = connect_tcp(&options.host, options.port, options.timeout, &log).await?;
        let peer = stream.peer_addr().map_err(|source| FtpError::ControlIo {
            during: "connecting",
            source,
        })?;
        let local = stream.local_addr().map_err(|source| FtpError::ControlIo {
            during: "connecting",
            source,
        })?;
        stream.set_nodelay(true).ok();
        log.status("Connection established, waiting for welcome message...");
        let mut conn = Connection {
            control: ControlChannel::new(
                ControlStream::Plain(stream),
                log,
                options.timeout,
                options.charset,
            ),
            peer,
            local,
            settings: options.data.clone(),
            features: Features::unknown(),
            epsv: Support::Unknown,
            eprt: Support::Unknown,
            current_type: None,
            system: None,
            home: None,
            final_reply_early: false,
            announced_size: None,
            hash_algorithm: None,
            tls: None,
            control_tls13: false,
            tls_description: None,
            cwd: None,
            options: options.clone(),
        };
        // Each reply has its deadline (the timeout); the logon as a whole gets twice that, so
        // a server answering every step just in time cannot hold the connection for long.
        let limit = options.timeout.saturating_mul(2);
        match tokio::time::timeout(limit, conn.set_up(&options)).await {
            Ok(result) => result.map(|()| conn),
            Err(_) => Err(FtpError::LogonTooSlow {
                secs: limit.as_secs(),
            }),
        }
    }

    /// TLS, the welcome, AUTH TLS, the logon, PBSZ/PROT and what the server offers.
    async fn set_up(&mut self, options: &ConnectOptions) -> Result<(), FtpError> {
        let mode = options.tls.mode;
        let session = match mode {
            TlsMode::None => None,
            _ => Some(SessionTls::new(&options.tls, &options.host, options.port)?),
        };
        if mode == TlsMode::Implicit
            && let Some(session) = session.as_ref()
        {
            self.secure_control(session).await?;
        }
        self.read_welcome().await?;
        if matches!(mode, TlsMode::Explicit | TlsMode::ExplicitIfAvailable)
            && let Some(session) = session.as_ref()
        {
            let reply = self
                .control
                .command(&Command::Auth("TLS".into()), "asking for TLS")
                .await?;
            if reply.code.0 == 234 {
                self.secure_control(session).await?;
            } else if mode == TlsMode::Explicit {
                // Never a silent downgrade: nothing more is sent, the password least of all.
                return Err(FtpError::TlsRefused { reply });
            } else {
                self.control.log.status(format!(
                    "The server does not offer TLS ({reply}); continuing without encryption as configured"
                ));
            }
        }
        if self.control.is_secure() {
            self.tls = session.map(|mut s| {
                s.tls13 = self.control_tls13;
                s
            });
            if let Some(tls) = self.tls.as_mut() {
                tls.certificate = tls
                    .verifier
                    .control_certificate()
                    .map(|der| CertInfo::from_der(&der, &tls.host, tls.port));
            }
        }
        self.logon(&options.credentials).await?;
        if self.tls.is_some() {
            self.protect_data().await?;
        }
        self.learn_server().await?;
        // Which mode, ports and address this connection's transfers use, so a user reading
        // the log after a failed transfer sees what Skiff tried.
        let mut planned = options.data.clone();
        // A server whose FEAT lacks EPSV gets PASV straight away: say so, not "EPSV first".
        planned.prefer_epsv &= self.epsv.worth_trying() || self.peer.ip().is_ipv6();
        self.control.log.status(planned.describe());
        Ok(())
    }

    /// TLS on the control connection, with the certificate checked and remembered.
    async fn secure_control(&mut self, session: &SessionTls) -> Result<(), FtpError> {
        self.control.log.status("Initializing TLS...");
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&session.config));
        let result = self
            .control
            .start_tls(connector, session.server_name.clone())
            .await
            .map(|conn| {
                let tls13 = conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
                (describe_tls(conn), tls13)
            });
        match result {
            Ok((description, tls13)) => {
                self.control_tls13 = tls13;
                session.verifier.pin_control_certificate();
                self.control
                    .log
                    .status(format!("TLS connection established: {description}"));
                self.tls_description = Some(description);
                Ok(())
            }
            Err(source) => Err(session.handshake_error("securing the control connection", source)),
        }
    }

    /// PBSZ 0 and PROT P (RFC 4217): data connections are encrypted too, or nothing goes.
    async fn protect_data(&mut self) -> Result<(), FtpError> {
        let during = "protecting data connections";
        self.simple(Command::Pbsz(0), during).await?;
        self.simple(Command::Prot('P'), during).await?;
        if let Some(tls) = self.tls.as_mut() {
            tls.protect_data = true;
        }
        Ok(())
    }

    /// The server certificate of this TLS session, if it is one.
    pub fn certificate(&self) -> Option<&CertInfo> {
        self.tls.as_ref().and_then(|t| t.certificate.as_ref())
    }

    /// Under TLS 1.3 each resumption uses up a ticket, and some servers (proftpd) issue none
    /// on upload data connections. With none left, the next data connection could not resume
    /// and the server would refuse it: make the session again first, which brings new tickets.
    async fn refresh_if_out_of_tickets(&mut self) -> Result<(), FtpError> {
        let out = self
            .tls
            .as_ref()
            .is_some_and(|t| t.protect_data && t.tls13 && t.tickets.tls13_tickets() == 0);
        if !out {
            return Ok(());
        }
        self.control.log.status(
            "The TLS 1.3 session has no resumption tickets left; reconnecting to continue the session",
        );
        let fresh = Box::pin(Connection::connect(self.options.clone())).await?;
        let old = std::mem::replace(self, fresh);
        old.quit().await;
        Ok(())
    }

    /// TLS on a data connection: same session cache and server name as the control
    /// connection (so it resumes), same certificate, and no full handshake after a resumed one.
    async fn secure_data(&mut self, tcp: TcpStream) -> Result<DataStream, FtpError> {
        let Some(session) = self.tls.as_mut().filter(|t| t.protect_data) else {
            return Ok(Box::new(tcp));
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&session.config));
        let handshake = tokio::time::timeout(
            self.control.timeout,
            connector.connect(session.server_name.clone(), tls_data::buffered(tcp)),
        );
        let stream = match handshake.await {
            Err(_) => {
                return Err(FtpError::Timeout {
                    phase: "securing the data connection",
                    secs: self.control.timeout.as_secs(),
                });
            }
            Ok(Err(source)) => {
                return Err(session.handshake_error("securing the data connection", source));
            }
            Ok(Ok(stream)) => stream,
        };
        let resumed = stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        session.last_data_resumed = resumed;
        if resumed {
            session.data_resumed_before = true;
        } else if session.data_resumed_before {
            return Err(FtpError::TlsNotResumed);
        }
        Ok(Box::new(TlsData::new(stream)))
    }

    async fn read_welcome(&mut self) -> Result<(), FtpError> {
        loop {
            let reply = self
                .control
                .read_reply("waiting for the welcome message")
                .await?;
            match reply.code.0 {
                // 120: "service ready in nnn minutes"; the real 220 follows.
                120 => continue,
                220 => return Ok(()),
                _ => return Err(FtpError::unexpected("connecting", reply)),
            }
        }
    }

    async fn logon(&mut self, credentials: &Credentials) -> Result<(), FtpError> {
        let user = credentials
            .user
            .clone()
            .unwrap_or_else(|| "anonymous".to_owned());
        let password = match (&credentials.password, &credentials.user) {
            (Some(password), _) => password.clone(),
            // RFC 1635: anonymous users give an e-mail-like password.
            (None, None) => Secret::new("anonymous@"),
            (None, Some(_)) => Secret::default(),
        };
        let during = "logging in";
        let mut reply = self.control.command(&Command::User(user), during).await?;
        if reply.code.0 == 331 {
            reply = self
                .control
                .command(&Command::Pass(password), during)
                .await?;
        }
        if reply.code.0 == 332 {
            let Some(account) = credentials.account.clone() else {
                return Err(FtpError::AccountRequired { reply });
            };
            reply = self
                .control
                .command(&Command::Acct(account), during)
                .await?;
        }
        if reply.code.is_success() {
            self.control.log.status("Logged in");
            Ok(())
        } else {
            Err(FtpError::unexpected(during, reply))
        }
    }

    async fn learn_server(&mut self) -> Result<(), FtpError> {
        let reply = self
            .control
            .command(&Command::Syst, "asking the system type")
            .await?;
        if reply.code.is_success() {
            self.system = Some(reply.last_text());
        }
        let reply = self
            .control
            .command(&Command::Feat, "asking for features")
            .await?;
        self.features = Features::parse(&reply);
        self.hash_algorithm = crate::proto::hash::current_hash_algorithm(&self.features);
        if self.features.answered() {
            self.epsv = self.features.support("EPSV");
            self.eprt = self.features.support("EPRT");
        }
        // pure-ftpd lists UTF8 but answers 504: harmless, the names are raw bytes anyway.
        // With a legacy charset configured, the server must stay in it.
        if self.features.has("UTF8") && self.control.charset.is_utf8() {
            self.control
                .command(&Command::Opts("UTF8 ON".into()), "enabling UTF-8")
                .await?;
        }
        let reply = self
            .control
            .command(&Command::Pwd, "asking for the current directory")
            .await?;
        if reply.code.0 == 257 {
            self.home = parse_pwd(reply.first_line_text());
        }
        Ok(())
    }

    /// The control connection runs over TLS.
    pub fn is_secure(&self) -> bool {
        self.control.is_secure()
    }

    /// The absolute folder the session is in, when the last CWD named one.
    pub fn current_dir(&self) -> Option<&[u8]> {
        self.cwd.as_deref()
    }

    /// How the control connection's TLS was negotiated, when it was.
    pub fn tls_description(&self) -> Option<&str> {
        self.tls_description.as_deref()
    }

    /// Data connections are encrypted too (PROT P).
    pub fn protects_data(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.protect_data)
    }

    pub fn features(&self) -> &Features {
        &self.features
    }

    pub fn system(&self) -> Option<&str> {
        self.system.as_deref()
    }

    /// The directory the server put us in after logon.
    pub fn home_dir(&self) -> Option<&[u8]> {
        self.home.as_deref()
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn charset(&self) -> Charset {
        self.control.charset
    }

    pub fn log(&self) -> &LogSink {
        &self.control.log
    }

    /// The timeout every read, write, connect and accept of this session gets.
    pub fn timeout(&self) -> Duration {
        self.control.timeout
    }

    /// The size the server announced when the latest transfer started ("150 Opening BINARY
    /// mode data connection for f (1234 bytes)"), where it did.
    pub fn announced_size(&self) -> Option<u64> {
        self.announced_size
    }

    pub fn data_settings(&self) -> &DataSettings {
        &self.settings
    }

    /// Sends any command and returns the final reply, whatever its code.
    pub async fn raw(&mut self, command: &Command) -> Result<Reply, FtpError> {
        self.control.command(command, "running a command").await
    }

    /// Sends a command whose success is a 2xx reply (or `ok` codes).
    async fn simple(&mut self, command: Command, during: &'static str) -> Result<Reply, FtpError> {
        let reply = self.control.command(&command, during).await?;
        if reply.code.is_success() {
            Ok(reply)
        } else {
            Err(FtpError::unexpected(during, reply))
        }
    }

    pub async fn pwd(&mut self) -> Result<Vec<u8>, FtpError> {
        let during = "asking for the current directory";
        let reply = self.simple(Command::Pwd, during).await?;
        parse_pwd(reply.first_line_text()).ok_or_else(|| FtpError::unexpected(during, reply))
    }

    pub async fn cwd(&mut self, path: &[u8]) -> Result<(), FtpError> {
        self.cwd = None;
        self.simple(Command::Cwd(path.to_vec()), "changing directory")
            .await?;
        // Only an absolute path names the same folder again later.
        if path.starts_with(b"/") {
            self.cwd = Some(path.to_vec());
        }
        Ok(())
    }

    pub async fn cdup(&mut self) -> Result<(), FtpError> {
        self.cwd = None;
        self.simple(Command::Cdup, "changing to the parent directory")
            .await
            .map(drop)
    }

    pub async fn mkdir(&mut self, path: &[u8]) -> Result<(), FtpError> {
        self.simple(Command::Mkd(path.to_vec()), "creating a directory")
            .await
            .map(drop)
    }

    pub async fn rmdir(&mut self, path: &[u8]) -> Result<(), FtpError> {
        self.simple(Command::Rmd(path.to_vec()), "removing a directory")
            .await
            .map(drop)
    }

    pub async fn delete(&mut self, path: &[u8]) -> Result<(), FtpError> {
        self.simple(Command::Dele(path.to_vec()), "deleting a file")
            .await
            .map(drop)
    }

    /// `SITE CHMOD`: sets the permission bits where the server supports it (a 500 or 502
    /// reply says it does not).
    pub async fn chmod(&mut self, path: &[u8], mode: u32) -> Result<(), FtpError> {
        self.simple(
            Command::SiteChmod(mode, path.to_vec()),
            "changing the permissions",
        )
        .await
        .map(drop)
    }

    pub async fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), FtpError> {
        let during = "renaming";
        let reply = self
            .control
            .command(&Command::Rnfr(from.to_vec()), during)
            .await?;
        if reply.code.0 != 350 {
            return Err(FtpError::unexpected(during, reply));
        }
        self.simple(Command::Rnto(to.to_vec()), during)
            .await
            .map(drop)
    }

    /// SIZE in the current TYPE. `Ok(None)` when the server says the file does not exist or
    /// has no size (550), an error for anything else unexpected.
    pub async fn size(&mut self, path: &[u8]) -> Result<Option<u64>, FtpError> {
        // SIZE answers in the current TYPE; binary is what byte counts mean.
        self.set_type(TransferType::Binary).await?;
        let during = "asking for the file size";
        let reply = self
            .control
            .command(&Command::Size(path.to_vec()), during)
            .await?;
        match reply.code.0 {
            213 => reply
                .last_text()
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| FtpError::unexpected(during, reply)),
            550 => Ok(None),
            _ => Err(FtpError::unexpected(during, reply)),
        }
    }

    /// MDTM: the modification time (UTC), `None` when the server has none to give.
    pub async fn mdtm(&mut self, path: &[u8]) -> Result<Option<Timestamp>, FtpError> {
        let reply = self
            .control
            .command(
                &Command::Mdtm(path.to_vec()),
                "asking for the modification time",
            )
            .await?;
        if reply.code.0 != 213 {
            return Ok(None);
        }
        Ok(Timestamp::parse_rfc3659(
            reply.last_text().trim().as_bytes(),
        ))
    }

    /// MFMT when the server supports it; `Ok(false)` when it does not.
    pub async fn set_modified(&mut self, path: &[u8], time: Timestamp) -> Result<bool, FtpError> {
        if !self.features.has("MFMT") {
            return Ok(false);
        }
        self.simple(
            Command::Mfmt(time, path.to_vec()),
            "setting the modification time",
        )
        .await
        .map(|_| true)
    }

    pub async fn noop(&mut self) -> Result<(), FtpError> {
        self.simple(Command::Noop, "keeping the connection alive")
            .await
            .map(drop)
    }

    /// MLST for one path (RFC 3659 7.2): the facts come in the reply body.
    pub async fn mlst(&mut self, path: &[u8]) -> Result<Option<Entry>, FtpError> {
        let reply = self
            .simple(Command::Mlst(Some(path.to_vec())), "asking for file facts")
            .await?;
        Ok(reply
            .body_lines()
            .iter()
            .find_map(|line| parse_mlsx_line(line)))
    }

    /// QUIT and close. Errors are ignored: the session is over either way.
    pub async fn quit(mut self) {
        if self
            .control
            .command(&Command::Quit, "logging out")
            .await
            .is_ok()
        {
            self.control.shutdown().await;
        }
    }

    pub async fn set_type(&mut self, transfer_type: TransferType) -> Result<(), FtpError> {
        if self.current_type == Some(transfer_type) {
            return Ok(());
        }
        self.simple(Command::Type(transfer_type), "setting the transfer type")
            .await?;
        self.current_type = Some(transfer_type);
        Ok(())
    }

    /// Lists a directory: CWD into it (FileZilla does the same: LIST arguments are not
    /// portable; a folder just entered is not entered again), then MLSD when the server has
    /// it, else LIST. The data is parsed as it arrives, under the listing caps.
    pub async fn list(&mut self, dir: &[u8]) -> Result<Vec<Entry>, FtpError> {
        if !dir.is_empty() && self.cwd.as_deref() != Some(dir) {
            self.cwd(dir).await?;
        }
        let (command, format) = if self.features.mlsd() {
            (Command::Mlsd(None), ListingFormat::Mlsd)
        } else {
            let all = self.options.list_hidden.then(|| b"-a".to_vec());
            (Command::List(all), ListingFormat::List)
        };
        let now = Timestamp::from_unix_secs(unix_now());
        let server = self
            .system
            .as_deref()
            .map(ServerType::from_syst)
            .unwrap_or_default();
        let mut parser =
            ListingParser::new(format, server, now).with_limits(self.options.listing_limits);
        self.read_data_into(command, TransferType::Ascii, |chunk| {
            parser.push(chunk);
            parser.too_large().map_or(Ok(()), |cap| Err(cap.into()))
        })
        .await?;
        let mut entries = parser.finish();
        // `.` and `..` folders (LIST -a, MLSD cdir/pdir) are not entries a user browses. A
        // file or link by that name is bogus: it stays, for the caller to refuse visibly.
        entries.retain(|e| !(e.is_dir() && (e.name == b"." || e.name == b"..")));
        Ok(entries)
    }

    /// NLST: bare names.
    pub async fn nlst(&mut self, dir: &[u8]) -> Result<Vec<Vec<u8>>, FtpError> {
        let arg = (!dir.is_empty()).then(|| dir.to_vec());
        let max = self.options.listing_limits.max_bytes;
        let bytes = self
            .read_all(Command::Nlst(arg), TransferType::Ascii, max)
            .await?;
        Ok(bytes
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
            .filter(|line| !line.is_empty())
            .collect())
    }

    /// Runs a data command and collects its whole output, at most `max` bytes.
    async fn read_all(
        &mut self,
        command: Command,
        transfer_type: TransferType,
        max: u64,
    ) -> Result<Vec<u8>, FtpError> {
        let mut out = Vec::new();
        self.read_data_into(command, transfer_type, |chunk| {
            if out.len() as u64 + chunk.len() as u64 > max {
                return Err(crate::proto::listing::ListingTooLarge::Bytes { limit: max }.into());
            }
            out.extend_from_slice(chunk);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Runs a data command and hands its output to `take` as it arrives; an error from
    /// `take` ends the transfer (the data connection is closed, the owed reply read).
    async fn read_data_into(
        &mut self,
        command: Command,
        transfer_type: TransferType,
        mut take: impl FnMut(&[u8]) -> Result<(), FtpError>,
    ) -> Result<(), FtpError> {
        let mut stream = self.open_transfer(command, transfer_type, None).await?;
        let mut buf = vec![0u8; 64 * 1024];
        let limits = self.options.listing_limits;
        let started = tokio::time::Instant::now();
        let mut received = 0u64;
        let result = loop {
            // Each read has the timeout; the listing as a whole may not fall below the
            // floor rate, so a drip of a few bytes a second ends too.
            let read = self.read_data(&mut stream, &mut buf);
            let read = match limits.allowed_time(received, self.control.timeout) {
                None => read.await,
                Some(allowed) => match tokio::time::timeout_at(started + allowed, read).await {
                    Ok(read) => read,
                    Err(_) => {
                        break Err(FtpError::ListingTooSlow {
                            min_rate: limits.min_rate,
                            received,
                            secs: started.elapsed().as_secs(),
                        });
                    }
                },
            };
            match read {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    received += n as u64;
                    if let Err(err) = take(&buf[..n]) {
                        break Err(err);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.finish_transfer(stream, result).await
    }

    /// One read from a data connection, bounded by the timeout.
    pub async fn read_data(
        &self,
        stream: &mut DataStream,
        buf: &mut [u8],
    ) -> Result<usize, FtpError> {
        match tokio::time::timeout(self.control.timeout, stream.read(buf)).await {
            Err(_) => Err(FtpError::Timeout {
                phase: "receiving data",
                secs: self.control.timeout.as_secs(),
            }),
            Ok(Err(source)) => Err(FtpError::DataIo { source }),
            Ok(Ok(n)) => Ok(n),
        }
    }

    /// One read as `read_data`, then whatever else has already arrived, without waiting, until
    /// `buf` is half full: a TLS stream hands out one record (16 KiB) per read, and writing
    /// each record to the disk on its own cost a system call per record.
    pub async fn read_data_gathered(
        &self,
        stream: &mut DataStream,
        buf: &mut [u8],
    ) -> Result<usize, FtpError> {
        use std::task::{Context, Poll, Waker};
        let mut n = self.read_data(stream, buf).await?;
        let enough = buf.len() / 2;
        while n > 0 && n < enough {
            // Polled once with a waker that does nothing: `Pending` means nothing more has
            // arrived yet (and reading is cancel-safe, so dropping the future loses nothing).
            let mut more = std::pin::pin!(stream.read(&mut buf[n..]));
            match more.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(Ok(0)) | Poll::Pending => break,
                Poll::Ready(Ok(m)) => n += m,
                Poll::Ready(Err(source)) => return Err(FtpError::DataIo { source }),
            }
        }
        Ok(n)
    }

    /// One write to a data connection, bounded by the timeout.
    pub async fn write_data(&self, stream: &mut DataStream, buf: &[u8]) -> Result<(), FtpError> {
        match tokio::time::timeout(self.control.timeout, stream.write_all(buf)).await {
            Err(_) => Err(FtpError::Timeout {
                phase: "sending data",
                secs: self.control.timeout.as_secs(),
            }),
            Ok(Err(source)) => Err(FtpError::DataIo { source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Starts a download: RETR, from `offset` when resuming.
    pub async fn retrieve(
        &mut self,
        path: &[u8],
        transfer_type: TransferType,
        offset: u64,
    ) -> Result<DataStream, FtpError> {
        let rest = (offset > 0).then_some(offset);
        self.open_transfer(Command::Retr(path.to_vec()), transfer_type, rest)
            .await
    }

    /// Starts an upload as `mode` says.
    pub async fn store(
        &mut self,
        path: &[u8],
        transfer_type: TransferType,
        mode: StoreMode,
    ) -> Result<DataStream, FtpError> {
        let (command, rest) = match mode {
            StoreMode::Replace => (Command::Stor(path.to_vec()), None),
            StoreMode::RestartAt(offset) => (Command::Stor(path.to_vec()), Some(offset)),
            StoreMode::Append => (Command::Appe(path.to_vec()), None),
        };
        self.open_transfer(command, transfer_type, rest).await
    }

    /// Ends a transfer: closes the data connection (flushing an upload) and reads the final
    /// reply. `result` is how the data side went; a failure there is reported even if the
    /// server says 226, and a server failure even if the data looked complete.
    pub async fn finish_transfer(
        &mut self,
        stream: DataStream,
        result: Result<(), FtpError>,
    ) -> Result<(), FtpError> {
        self.finish_transfer_reply(stream, result).await.map(drop)
    }

    /// Ends a transfer that failed on our side (the local file, a cancel by the caller):
    /// closes the data connection and reads the reply the server still owes.
    pub async fn fail_transfer(&mut self, stream: DataStream) {
        let final_reply_early = std::mem::take(&mut self.final_reply_early);
        drop(stream);
        if !final_reply_early {
            self.abort_after_failure().await;
        }
    }

    /// `finish_transfer`, returning the final reply (`None` when it came before the data).
    async fn finish_transfer_reply(
        &mut self,
        mut stream: DataStream,
        result: Result<(), FtpError>,
    ) -> Result<Option<Reply>, FtpError> {
        let during = "finishing the transfer";
        let final_reply_early = std::mem::take(&mut self.final_reply_early);
        if let Err(err) = result {
            drop(stream);
            if !final_reply_early {
                self.abort_after_failure().await;
            }
            return Err(err);
        }
        // Closing our side tells the server an upload is complete; for a download the
        // stream is already at EOF.
        tokio::time::timeout(self.control.timeout, stream.shutdown())
            .await
            .ok();
        // Read to the end before closing: with TLS this completes the close_notify exchange,
        // so the kernel does not answer unread bytes with a reset that loses the upload's
        // tail on the server (seen with vsftpd and pyftpdlib under TLS 1.3).
        let mut sink = [0u8; 4096];
        let drain = async {
            let mut drained = 0usize;
            while drained < 1 << 20 {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        };
        tokio::time::timeout(self.control.timeout, drain).await.ok();
        drop(stream);
        if final_reply_early {
            return Ok(None);
        }
        let reply = self.control.read_final_reply(during).await?;
        if reply.code.is_success() {
            Ok(Some(reply))
        } else {
            Err(FtpError::unexpected(during, reply))
        }
    }

    /// Cancels a running transfer (RFC 959 ABOR): closes the data connection, sends ABOR and
    /// reads what the server owes, so the connection stays usable for the next command.
    ///
    /// Servers differ in what they owe: "426 aborted" then "226 ABOR ok"; the transfer's
    /// "226" (it saw the data connection close) then "225 no transfer to abort"; or a single
    /// reply. So after the first 2xx a PWD follows: no transfer or ABOR reply is a 257, so
    /// whatever else was still owed arrives before it, and the connection is in step again.
    pub async fn abort_transfer(&mut self, stream: DataStream) -> Result<(), FtpError> {
        drop(stream);
        let during = "aborting the transfer";
        // ABOR is answered by one reply or two (426 for the transfer, then 226; or 226 then
        // 225 when the transfer had ended), depending on the server and the moment. PWD right
        // behind it marks the end: everything before its 257 belongs to the abort, however
        // many replies that is, and no count of them is waited out.
        self.control.send(&Command::Abor).await?;
        self.final_reply_early = false;
        self.control.send(&Command::Pwd).await?;
        // At most: the transfer's reply, the ABOR's, then the 257 (1xx replies not counted).
        for _ in 0..4 {
            let reply = self.control.read_final_reply(during).await?;
            if reply.code.0 == 257 {
                return Ok(());
            }
        }
        Err(FtpError::OutOfStep { during })
    }

    /// After a failed data transfer the control connection may still owe us a reply (426,
    /// or a late 226). Read it briefly so the next command is not answered by a stale reply.
    async fn abort_after_failure(&mut self) {
        let short = Duration::from_secs(2).min(self.control.timeout);
        let saved = std::mem::replace(&mut self.control.timeout, short);
        self.control
            .read_final_reply("cleaning up after a failed transfer")
            .await
            .ok();
        self.control.timeout = saved;
    }

    /// TYPE, data connection setup (with passive → active fallback in auto mode), REST, the
    /// command, its 1xx, and, in active mode, the server's connection.
    async fn open_transfer(
        &mut self,
        command: Command,
        transfer_type: TransferType,
        rest: Option<u64>,
    ) -> Result<DataStream, FtpError> {
        // Refuse a bad argument before anything is sent, data connection included.
        command.to_wire()?;
        self.refresh_if_out_of_tickets().await?;
        self.set_type(transfer_type).await?;
        let pending = match self.settings.mode {
            DataMode::Passive => self.prepare_passive().await?,
            DataMode::Active => self.prepare_active().await?,
            DataMode::Auto => match self.prepare_passive().await {
                Ok(pending) => pending,
                Err(err) => {
                    self.control.log.status(format!(
                        "Passive mode failed ({err}); falling back to active mode"
                    ));
                    self.prepare_active().await?
                }
            },
        };
        if let Some(offset) = rest {
            let reply = self
                .control
                .command(&Command::Rest(offset), "restarting the transfer")
                .await?;
            if reply.code.is_permanent_failure() {
                return Err(FtpError::RestartRefused { reply });
            }
            if reply.code.0 != 350 {
                return Err(FtpError::unexpected("restarting the transfer", reply));
            }
        }
        let during = "starting the transfer";
        self.control.send(&command).await?;
        let reply = self.control.read_reply(during).await?;
        self.announced_size = crate::proto::reply::announced_size(&reply);
        if !reply.code.is_preliminary() {
            // Some servers answer an empty listing with 226 at once; anything else is a refusal.
            if !(reply.code.is_success() && matches!(pending, PendingData::Connected(_))) {
                return Err(FtpError::unexpected(during, reply));
            }
            self.final_reply_early = true;
            return match pending {
                PendingData::Connected(stream) => self.secure_data(stream).await,
                PendingData::Listening(_) => Err(FtpError::unexpected(during, reply)),
            };
        }
        // The server starts its TLS accept only after this 1xx, so the handshake goes here.
        let tcp = match pending {
            PendingData::Connected(stream) => stream,
            PendingData::Listening(listener) => {
                let stream = data::accept_active(
                    &listener,
                    self.peer.ip(),
                    self.control.timeout,
                    &self.control.log,
                )
                .await;
                match stream {
                    Ok(stream) => stream,
                    Err(err) => {
                        self.abort_after_failure().await;
                        return Err(err);
                    }
                }
            }
        };
        match self.secure_data(tcp).await {
            Ok(stream) => Ok(stream),
            Err(err) => {
                self.abort_after_failure().await;
                Err(err)
            }
        }
    }

    /// EPSV (or PASV) and the connection to the announced port.
    async fn prepare_passive(&mut self) -> Result<PendingData, FtpError> {
        let peer_ip = self.peer.ip();
        let timeout = self.control.timeout;
        // PASV has no way to express IPv6: only EPSV works there.
        if (self.settings.prefer_epsv && self.epsv.worth_trying()) || peer_ip.is_ipv6() {
            let reply = self
                .control
                .command(&Command::Epsv, "entering passive mode")
                .await?;
            if reply.code.0 == 229 {
                self.epsv = Support::Yes;
                let port = pasv::parse_epsv_reply(&reply.last_text())?;
                let addr = SocketAddr::new(peer_ip, port);
                let stream = data::connect_passive(addr, timeout, &self.control.log).await?;
                return Ok(PendingData::Connected(stream));
            }
            if peer_ip.is_ipv6() {
                return Err(FtpError::unexpected(
                    "entering extended passive mode",
                    reply,
                ));
            }
            self.epsv = Support::No;
            self.control.log.status("EPSV refused; trying PASV");
        }
        let reply = self
            .control
            .command(&Command::Pasv, "entering passive mode")
            .await?;
        if reply.code.0 != 227 {
            return Err(FtpError::unexpected("entering passive mode", reply));
        }
        let target = pasv::plan_pasv_reply(
            &reply.text(),
            peer_ip,
            self.settings.use_control_peer_for_pasv,
        )?;
        if let Some(note) = &target.note {
            self.control.log.status(note.clone());
        }
        let stream = data::connect_passive(target.addr, timeout, &self.control.log).await?;
        Ok(PendingData::Connected(stream))
    }

    /// Listen in the configured range and announce with EPRT or PORT.
    async fn prepare_active(&mut self) -> Result<PendingData, FtpError> {
        let listener =
            data::listen_active(self.local.ip(), self.settings.active_port_range).await?;
        let port = listener
            .local_addr()
            .map_err(|source| FtpError::DataIo { source })?
            .port();
        let listen = SocketAddr::new(self.local.ip(), port);
        let commands = pasv::active_announcements(listen, self.settings.external_ip, self.eprt);
        let range_note = match self.settings.active_port_range {
            Some(range) => format!(" (port range {range})"),
            None => String::new(),
        };
        let external_note = match self.settings.external_ip {
            Some(ip) => format!(", announcing the configured external address {ip}"),
            None => String::new(),
        };
        self.control.log.status(format!(
            "Active mode: listening on {listen}{range_note}{external_note}"
        ));
        let during = "entering active mode";
        let count = commands.len();
        for (i, command) in commands.into_iter().enumerate() {
            let is_eprt = matches!(command, Command::Eprt(_));
            let reply = self.control.command(&command, during).await?;
            if reply.code.is_success() {
                return Ok(PendingData::Listening(listener));
            }
            if is_eprt {
                self.eprt = Support::No;
            }
            if i + 1 == count {
                return Err(FtpError::unexpected(during, reply));
            }
        }
        Err(FtpError::CannotAnnounce { addr: listen })
    }
}

impl SessionTls {
    fn new(settings: &TlsSettings, host: &str, port: u16) -> Result<Self, FtpError> {
        let tls::TlsClient {
            config,
            verifier,
            tickets,
        } = tls::client_config(settings).map_err(|e| FtpError::Tls {
            during: "preparing TLS",
            source: std::io::Error::other(e),
        })?;
        let server_name = ServerName::try_from(host.to_owned()).map_err(|e| FtpError::Tls {
            during: "preparing TLS",
            source: std::io::Error::other(e),
        })?;
        Ok(Self {
            config,
            verifier,
            tickets,
            tls13: false,
            server_name,
            host: host.to_owned(),
            port,
            protect_data: false,
            data_resumed_before: false,
            last_data_resumed: false,
            certificate: None,
        })
    }

    /// A failed handshake: a refused certificate with everything the user needs to judge
    /// it, or the TLS error as it came.
    fn handshake_error(&self, during: &'static str, source: std::io::Error) -> FtpError {
        match self.verifier.take_rejection() {
            Some((problem, cert)) => FtpError::Certificate {
                problem,
                info: cert.map(|der| Box::new(CertInfo::from_der(&der, &self.host, self.port))),
            },
            None => FtpError::Tls { during, source },
        }
    }
}

/// "TLSv1_3, TLS13_AES_256_GCM_SHA384, new session" for the Status line.
fn describe_tls(conn: &rustls::ClientConnection) -> String {
    let version = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    let kind = match conn.handshake_kind() {
        Some(rustls::HandshakeKind::Resumed) => "resumed session",
        _ => "new session",
    };
    format!("{version}, {suite}, {kind}")
}

/// Resolves `host` and connects to the first address that answers, each try bounded.
pub(crate) async fn connect_tcp(
    host: &str,
    port: u16,
    timeout: Duration,
    log: &LogSink,
) -> Result<TcpStream, FtpError> {
    log.status(format!("Resolving address of {host}"));
    let resolve_error = |source| FtpError::Resolve {
        host: host.to_owned(),
        source,
    };
    if !crate::url::is_host(host) {
        return Err(resolve_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a host name or IP address; nothing was looked up",
        )));
    }
    if is_reserved_invalid_name(host) {
        // RFC 6761 6.4: resolvers should answer names under .invalid negatively at once,
        // without asking a DNS server.
        return Err(resolve_error(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such host (names under .invalid never exist)",
        )));
    }
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
            Err(_) => {
                return Err(FtpError::Timeout {
                    phase: "resolving the host name",
                    secs: timeout.as_secs(),
                });
            }
            Ok(Err(source)) => return Err(resolve_error(source)),
            Ok(Ok(addrs)) => addrs.collect(),
        };
    let mut last_error = None;
    for addr in addrs {
        log.status(format!("Connecting to {addr}..."));
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(source)) => {
                // Not yet the failure: another address may answer. The face says the last word.
                log.status(format!(
                    "Could not connect to {addr}: {}",
                    crate::net::io_reason(&source)
                ));
                last_error = Some(FtpError::Connect {
                    addr: addr.to_string(),
                    source,
                });
            }
            Err(_) => {
                log.status(format!("Connection to {addr} timed out"));
                last_error = Some(FtpError::Timeout {
                    phase: "connecting",
                    secs: timeout.as_secs(),
                });
            }
        }
    }
    Err(last_error.unwrap_or_else(|| {
        resolve_error(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the name has no addresses",
        ))
    }))
}

/// `*.invalid` (RFC 6761): a name that by definition does not resolve.
fn is_reserved_invalid_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_tld_is_recognized_without_dns() {
        assert!(is_reserved_invalid_name("nosuchhost.invalid"));
        assert!(is_reserved_invalid_name("x.INVALID."));
        assert!(!is_reserved_invalid_name("invalid.example.com"));
    }

    #[tokio::test]
    async fn a_host_that_is_no_host_is_refused_before_any_lookup() {
        let log = LogSink::discard();
        for host in ["%zz%", "a b", "x/y", "a..b"] {
            let err = connect_tcp(host, 21, Duration::from_secs(5), &log)
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "could not resolve host {host:?}: not a host name or IP address; nothing \
                     was looked up"
                )
            );
        }
    }
}
