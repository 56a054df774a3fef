//! One data-connection attempt with the method forced (EPSV, PASV to the address as sent or
//! to the control peer, EPRT, PORT), recorded as plain data for the connection diagnosis
//! (`crate::diagnose`): what was sent, what came back, whether the data connection opened,
//! how long it took, and how it failed. Normal transfers never come here: they choose the
//! method themselves (`Connection::open_transfer`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::{Connection, DataStream, PendingData};
use crate::net::data;
use crate::net::error::FtpError;
use crate::net::{AsyncStream, PortRange};
use crate::proto::command::{Command, TransferType};
use crate::proto::pasv;

/// A listing this long is cut off (ABOR): a few lines prove the data connection works.
const LISTING_LIMIT_BYTES: u64 = 256 * 1024;

/// Which way the data connection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeMethod {
    /// EPSV (RFC 2428): the port only; Skiff connects to the control peer.
    Epsv,
    /// PASV, connecting to the address the 227 reply names.
    PasvAnnounced,
    /// PASV, connecting to the control connection's peer with the 227 reply's port.
    PasvPeer,
    /// EPRT: the server connects back to Skiff.
    Eprt,
    /// PORT: the same, IPv4 only.
    Port,
}

impl ProbeMethod {
    pub const ALL: [ProbeMethod; 5] = [
        ProbeMethod::Epsv,
        ProbeMethod::PasvAnnounced,
        ProbeMethod::PasvPeer,
        ProbeMethod::Eprt,
        ProbeMethod::Port,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ProbeMethod::Epsv => "EPSV",
            ProbeMethod::PasvAnnounced => "PASV (address as sent)",
            ProbeMethod::PasvPeer => "PASV (control peer)",
            ProbeMethod::Eprt => "EPRT",
            ProbeMethod::Port => "PORT",
        }
    }

    pub fn is_passive(self) -> bool {
        matches!(
            self,
            ProbeMethod::Epsv | ProbeMethod::PasvAnnounced | ProbeMethod::PasvPeer
        )
    }
}

/// What a probe's wait for the LIST reply is called in `ProbeFailure::Timeout`.
pub const LIST_PHASE: &str = "starting the listing";

/// Why an attempt failed, as plain data (the verdict is a pure function of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeFailure {
    /// The method cannot work on this connection (PASV or PORT over IPv6).
    NotApplicable(String),
    /// The server refused the EPSV/PASV/EPRT/PORT command: its reply.
    Refused {
        reply: String,
    },
    /// The 227/229 reply could not be read.
    BadReply {
        text: String,
    },
    /// Passive: the TCP connection to `addr` failed.
    Connect {
        addr: SocketAddr,
        reason: String,
        timed_out: bool,
    },
    /// Active: no local port to listen on.
    NoLocalPort {
        range: Option<PortRange>,
        reason: String,
    },
    /// Active: the server said it would send the listing but never connected to `listen`.
    NoConnectBack {
        listen: SocketAddr,
        secs: u64,
    },
    /// The server answered LIST with a failure (425: it could not open the data connection).
    TransferRefused {
        reply: String,
    },
    /// TLS on the data connection failed.
    Tls {
        reason: String,
    },
    Timeout {
        phase: String,
        secs: u64,
    },
    Other(String),
}

impl ProbeFailure {
    fn from_error(err: &FtpError) -> Self {
        match err {
            FtpError::UnexpectedReply { reply, .. } => ProbeFailure::Refused {
                reply: reply.to_string(),
            },
            FtpError::Pasv(e) => ProbeFailure::BadReply {
                text: e.to_string(),
            },
            FtpError::DataConnect { addr, source, .. } => ProbeFailure::Connect {
                addr: *addr,
                reason: crate::net::io_reason(source),
                timed_out: source.kind() == std::io::ErrorKind::TimedOut,
            },
            FtpError::NoFreePort { min, max } => ProbeFailure::NoLocalPort {
                range: Some(PortRange {
                    min: *min,
                    max: *max,
                }),
                reason: err.to_string(),
            },
            FtpError::Listen { .. } => ProbeFailure::NoLocalPort {
                range: None,
                reason: err.to_string(),
            },
            FtpError::ActiveAcceptTimeout { addr, secs } => ProbeFailure::NoConnectBack {
                listen: *addr,
                secs: *secs,
            },
            FtpError::Tls { .. } | FtpError::TlsNotResumed | FtpError::Certificate { .. } => {
                ProbeFailure::Tls {
                    reason: err.to_string(),
                }
            }
            FtpError::Timeout { phase, secs } => ProbeFailure::Timeout {
                phase: (*phase).to_owned(),
                secs: *secs,
            },
            other => ProbeFailure::Other(other.to_string()),
        }
    }
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRecord {
    pub method: ProbeMethod,
    /// Under TLS: the data connection was made with a fresh TLS session on purpose (to learn
    /// whether the server requires session reuse).
    pub fresh_tls_session: bool,
    /// The control connection's peer.
    pub peer: SocketAddr,
    /// Command lines sent, as in the message log.
    pub sent: Vec<String>,
    /// Replies received (code and last line), in order.
    pub replies: Vec<String>,
    /// Passive: the address the 227/229 reply gave (229: the peer with its port). Active:
    /// the address Skiff announced.
    pub announced: Option<SocketAddr>,
    /// Passive: where Skiff connected. Active: where Skiff listened.
    pub data_addr: Option<SocketAddr>,
    /// The data connection's TCP connection was made.
    pub data_opened: bool,
    pub listing_bytes: u64,
    /// Under TLS: whether the data connection resumed the control connection's session.
    pub tls_resumed: Option<bool>,
    pub outcome: Result<(), ProbeFailure>,
    pub elapsed: Duration,
    /// The control connection is still in step (no reply owed); else open a new one.
    pub control_usable: bool,
}

impl ProbeRecord {
    pub fn new(method: ProbeMethod, peer: SocketAddr) -> Self {
        Self {
            method,
            fresh_tls_session: false,
            peer,
            sent: Vec::new(),
            replies: Vec::new(),
            announced: None,
            data_addr: None,
            data_opened: false,
            listing_bytes: 0,
            tls_resumed: None,
            outcome: Ok(()),
            elapsed: Duration::ZERO,
            control_usable: true,
        }
    }

    pub fn succeeded(&self) -> bool {
        self.outcome.is_ok()
    }
}

impl Connection {
    /// Lists the current directory once through `method`, every step bounded by `timeout`,
    /// and records how it went. `fresh_tls_session`: under TLS, make the data connection's
    /// handshake without resuming the control connection's session.
    pub async fn probe_list(
        &mut self,
        method: ProbeMethod,
        fresh_tls_session: bool,
        timeout: Duration,
    ) -> ProbeRecord {
        let started = Instant::now();
        let saved = std::mem::replace(&mut self.control.timeout, timeout);
        let mut record = ProbeRecord::new(method, self.peer);
        record.fresh_tls_session = fresh_tls_session;
        let outcome = self.probe_steps(&mut record, fresh_tls_session).await;
        // A reply that never came (or a broken control connection) may still arrive and
        // answer the next command: this connection is done.
        if matches!(
            outcome,
            Err(ProbeFailure::Timeout { .. } | ProbeFailure::Other(_))
        ) {
            record.control_usable = false;
        }
        self.control.timeout = saved;
        record.outcome = outcome;
        record.elapsed = started.elapsed();
        record
    }

    async fn probe_steps(
        &mut self,
        record: &mut ProbeRecord,
        fresh_tls_session: bool,
    ) -> Result<(), ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        self.refresh_if_out_of_tickets().await.map_err(fail)?;
        record.peer = self.peer;
        self.set_type(TransferType::Ascii).await.map_err(fail)?;
        let pending = if record.method.is_passive() {
            self.probe_passive(record).await?
        } else {
            self.probe_active(record).await?
        };
        let final_reply_early = self.probe_start_list(record, &pending).await?;
        let stream = self
            .probe_open_data(record, pending, fresh_tls_session, final_reply_early)
            .await?;
        self.probe_read_listing(record, stream, final_reply_early)
            .await
    }

    /// Sends LIST and reads its first reply. `Ok(true)` when that was already the final
    /// reply (a passive server that sent everything at once); an error reply ends the
    /// attempt with the control connection still in step.
    async fn probe_start_list(
        &mut self,
        record: &mut ProbeRecord,
        pending: &PendingData,
    ) -> Result<bool, ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        let list = Command::List(None);
        record.sent.push(list.log_text());
        // Until the LIST's replies are all read, the control connection is out of step.
        record.control_usable = false;
        self.control.send(&list).await.map_err(fail)?;
        let reply = self.control.read_reply(LIST_PHASE).await.map_err(fail)?;
        record.replies.push(reply.to_string());
        if reply.code.is_preliminary() {
            return Ok(false);
        }
        let passive = matches!(pending, PendingData::Connected(_));
        if !(reply.code.is_success() && passive) {
            // The LIST's answer is its final reply: nothing more is owed.
            record.control_usable = true;
            return Err(ProbeFailure::TransferRefused {
                reply: reply.to_string(),
            });
        }
        Ok(true)
    }

    /// The data connection: the passive one already made, or the server's connection to
    /// the active listener; then TLS on it when the session protects data (a fresh TLS
    /// session on purpose when `fresh_tls_session`).
    async fn probe_open_data(
        &mut self,
        record: &mut ProbeRecord,
        pending: PendingData,
        fresh_tls_session: bool,
        final_reply_early: bool,
    ) -> Result<DataStream, ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        let tcp = match pending {
            PendingData::Connected(stream) => stream,
            PendingData::Listening(listener) => {
                let accepted = data::accept_active(
                    &listener,
                    self.peer.ip(),
                    self.control.timeout,
                    &self.control.log,
                )
                .await;
                match accepted {
                    Ok(stream) => {
                        record.data_opened = true;
                        stream
                    }
                    Err(err) => {
                        self.probe_late_reply(record).await;
                        return Err(fail(err));
                    }
                }
            }
        };
        let secured = if fresh_tls_session {
            self.secure_data_fresh(tcp).await
        } else {
            self.secure_data(tcp).await
        };
        if secured.is_ok()
            && let Some(tls) = self.tls.as_ref().filter(|t| t.protect_data)
        {
            record.tls_resumed = Some(!fresh_tls_session && tls.last_data_resumed);
        }
        match secured {
            Ok(stream) => Ok(stream),
            Err(err) => {
                if !final_reply_early {
                    self.probe_late_reply(record).await;
                }
                Err(fail(err))
            }
        }
    }

    /// Reads the listing (at most `LISTING_LIMIT_BYTES`: enough to prove the method works;
    /// past that the transfer is aborted) and the final reply, leaving the control
    /// connection in step when it can.
    async fn probe_read_listing(
        &mut self,
        record: &mut ProbeRecord,
        mut stream: DataStream,
        final_reply_early: bool,
    ) -> Result<(), ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        let mut buf = vec![0u8; 16 * 1024];
        let read = loop {
            match self.read_data(&mut stream, &mut buf).await {
                Ok(0) => break Ok(false),
                Ok(n) => {
                    record.listing_bytes += n as u64;
                    if record.listing_bytes >= LISTING_LIMIT_BYTES {
                        break Ok(true);
                    }
                }
                Err(err) => break Err(err),
            }
        };
        self.final_reply_early = final_reply_early;
        match read {
            Ok(true) => {
                // Long enough to prove the point: stop the listing, keep the connection.
                self.abort_transfer(stream).await.map_err(fail)?;
                record.control_usable = true;
                Ok(())
            }
            Ok(false) => {
                let reply = self
                    .finish_transfer_reply(stream, Ok(()))
                    .await
                    .map_err(|err| {
                        if let Some(reply) = err.reply() {
                            record.replies.push(reply.to_string());
                            record.control_usable = true;
                            return ProbeFailure::TransferRefused {
                                reply: reply.to_string(),
                            };
                        }
                        fail(err)
                    })?;
                if let Some(reply) = reply {
                    record.replies.push(reply.to_string());
                }
                record.control_usable = true;
                Ok(())
            }
            Err(err) => {
                drop(stream);
                self.final_reply_early = false;
                if !final_reply_early {
                    self.probe_late_reply(record).await;
                }
                Err(fail(err))
            }
        }
    }

    /// After a failed data connection the server may still send its verdict (425, 426,
    /// 522 "session reuse required"): read it briefly, for the record.
    async fn probe_late_reply(&mut self, record: &mut ProbeRecord) {
        let short = Duration::from_secs(2).min(self.control.timeout);
        let saved = std::mem::replace(&mut self.control.timeout, short);
        if let Ok(reply) = self.control.read_reply("reading the late reply").await {
            record.replies.push(reply.to_string());
            record.control_usable = !reply.code.is_preliminary();
        }
        self.control.timeout = saved;
    }

    /// EPSV or PASV, then the TCP connection where the method says.
    async fn probe_passive(
        &mut self,
        record: &mut ProbeRecord,
    ) -> Result<PendingData, ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        let peer_ip = self.peer.ip();
        let timeout = self.control.timeout;
        let command = match record.method {
            ProbeMethod::Epsv => Command::Epsv,
            _ if peer_ip.is_ipv6() => {
                return Err(ProbeFailure::NotApplicable(
                    "PASV cannot carry an IPv6 address; EPSV is used instead".into(),
                ));
            }
            _ => Command::Pasv,
        };
        record.sent.push(command.log_text());
        let reply = self
            .control
            .command(&command, "entering passive mode")
            .await
            .map_err(fail)?;
        record.replies.push(reply.to_string());
        let target = if command == Command::Epsv {
            if reply.code.0 != 229 {
                return Err(ProbeFailure::Refused {
                    reply: reply.to_string(),
                });
            }
            let port = pasv::parse_epsv_reply(&reply.last_text()).map_err(|e| fail(e.into()))?;
            let addr = SocketAddr::new(peer_ip, port);
            record.announced = Some(addr);
            addr
        } else {
            if reply.code.0 != 227 {
                return Err(ProbeFailure::Refused {
                    reply: reply.to_string(),
                });
            }
            let announced = pasv::parse_pasv_reply(&reply.text()).map_err(|e| fail(e.into()))?;
            record.announced = Some(SocketAddr::V4(announced));
            // The same decision a transfer makes with the setting on (the peer) or off (the
            // address as sent, where 0.0.0.0 still means the peer).
            let use_peer = record.method == ProbeMethod::PasvPeer;
            pasv::plan_passive_target(announced, peer_ip, use_peer).addr
        };
        record.data_addr = Some(target);
        let stream: TcpStream = data::connect_passive(target, timeout, &self.control.log)
            .await
            .map_err(fail)?;
        record.data_opened = true;
        Ok(PendingData::Connected(stream))
    }

    /// Listens in the configured range and announces with the method's command only.
    async fn probe_active(
        &mut self,
        record: &mut ProbeRecord,
    ) -> Result<PendingData, ProbeFailure> {
        let fail = |e: FtpError| ProbeFailure::from_error(&e);
        let local_ip = self.local.ip();
        let range = self.settings.active_port_range;
        let announce_ip: IpAddr = self.settings.external_ip.unwrap_or(local_ip);
        if record.method == ProbeMethod::Port && announce_ip.is_ipv6() {
            return Err(ProbeFailure::NotApplicable(
                "PORT cannot carry an IPv6 address; EPRT is used instead".into(),
            ));
        }
        let listener = data::listen_active(local_ip, range).await.map_err(fail)?;
        let port = listener
            .local_addr()
            .map_err(|source| fail(FtpError::DataIo { source }))?
            .port();
        let announce = SocketAddr::new(announce_ip, port);
        record.announced = Some(announce);
        record.data_addr = Some(SocketAddr::new(local_ip, port));
        let command = match announce {
            SocketAddr::V4(v4) if record.method == ProbeMethod::Port => Command::Port(v4),
            _ => Command::Eprt(announce),
        };
        self.control.log.status(format!(
            "Diagnosis: listening on {local_ip}:{port}, announcing {announce}"
        ));
        record.sent.push(command.log_text());
        let reply = self
            .control
            .command(&command, "entering active mode")
            .await
            .map_err(fail)?;
        record.replies.push(reply.to_string());
        if !reply.code.is_success() {
            return Err(ProbeFailure::Refused {
                reply: reply.to_string(),
            });
        }
        Ok(PendingData::Listening(listener))
    }

    /// TLS on a data connection with a session of its own (no resumption), to see whether
    /// the server insists on reuse. The certificate is checked as on the control connection.
    async fn secure_data_fresh(&mut self, tcp: TcpStream) -> Result<DataStream, FtpError> {
        let Some(session) = self.tls.as_ref().filter(|t| t.protect_data) else {
            return Ok(Box::new(tcp));
        };
        let mut config = (*session.config).clone();
        config.resumption = rustls::client::Resumption::disabled();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let handshake = tokio::time::timeout(
            self.control.timeout,
            connector.connect(session.server_name.clone(), tcp),
        );
        match handshake.await {
            Err(_) => Err(FtpError::Timeout {
                phase: "securing the data connection",
                secs: self.control.timeout.as_secs(),
            }),
            Ok(Err(source)) => Err(session.handshake_error("securing the data connection", source)),
            Ok(Ok(stream)) => {
                let boxed: Box<dyn AsyncStream> = Box::new(stream);
                Ok(boxed)
            }
        }
    }
}
