//! The control connection: writes commands, reads replies through the pure `ReplyParser`,
//! logs both, and puts a timeout on every read and write, and a deadline on every reply.

use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;

use crate::log::{LogKind, LogSink};
use crate::net::error::FtpError;
use crate::proto::charset::Charset;
use crate::proto::command::Command;
use crate::proto::reply::{Reply, ReplyParser};

/// More preliminary replies than this before a final one is a server out of step (or one
/// stalling with an endless stream of them).
const MAX_PRELIMINARY_REPLIES: usize = 16;

/// The control connection's transport: plain TCP, upgraded in place by AUTH TLS.
pub(crate) enum ControlStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// Only while an upgrade is under way (or after it failed).
    Gone,
}

impl AsyncRead for ControlStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ControlStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ControlStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            ControlStream::Gone => Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncWrite for ControlStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ControlStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ControlStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            ControlStream::Gone => Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ControlStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ControlStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            ControlStream::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ControlStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ControlStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            ControlStream::Gone => Poll::Ready(Ok(())),
        }
    }
}

pub(crate) struct ControlChannel {
    stream: ControlStream,
    parser: ReplyParser,
    read_buf: Box<[u8]>,
    pub(crate) log: LogSink,
    pub(crate) timeout: Duration,
    /// How path bytes are shown in the message log.
    pub(crate) charset: Charset,
}

impl ControlChannel {
    pub(crate) fn new(
        stream: ControlStream,
        log: LogSink,
        timeout: Duration,
        charset: Charset,
    ) -> Self {
        Self {
            stream,
            parser: ReplyParser::new(),
            read_buf: vec![0; 8192].into_boxed_slice(),
            log,
            timeout,
            charset,
        }
    }

    fn timeout_secs(&self) -> u64 {
        self.timeout.as_secs()
    }

    /// Sends one command line. Nothing is written if the command is refused.
    pub(crate) async fn send(&mut self, command: &Command) -> Result<(), FtpError> {
        let wire = command.to_wire()?;
        self.log
            .line(LogKind::Command, command.log_text_in(&self.charset));
        let during = "sending a command";
        match tokio::time::timeout(self.timeout, self.stream.write_all(&wire)).await {
            Err(_) => Err(FtpError::Timeout {
                phase: during,
                secs: self.timeout_secs(),
            }),
            Ok(Err(source)) => Err(FtpError::ControlIo { during, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads the next complete reply, logging each of its lines as it is returned.
    ///
    /// The whole reply must arrive within the timeout from when the wait began, not only
    /// each read: a server dripping a byte a second into a banner, or a multi-line reply
    /// that never ends, would otherwise hold the connection for hours before the size cap.
    pub(crate) async fn read_reply(&mut self, during: &'static str) -> Result<Reply, FtpError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            if let Some(reply) = self.parser.next_reply()? {
                for line in &reply.lines {
                    self.log
                        .line(LogKind::Response, self.charset.decode(line).into_owned());
                }
                return Ok(reply);
            }
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut self.read_buf));
            let n = match read.await {
                Err(_) if self.parser.has_partial() => {
                    return Err(FtpError::ReplyTooSlow {
                        phase: during,
                        secs: self.timeout_secs(),
                    });
                }
                Err(_) => {
                    return Err(FtpError::Timeout {
                        phase: during,
                        secs: self.timeout_secs(),
                    });
                }
                Ok(Err(source)) => return Err(FtpError::ControlIo { during, source }),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return Err(FtpError::Closed { during });
            }
            self.parser.push(&self.read_buf[..n])?;
        }
    }

    /// Reads replies up to the final one (2xx-5xx): RFC 959 allows several preliminary 1xx
    /// replies ("125" then "150", "110 MARK ..."), but not without end.
    pub(crate) async fn read_final_reply(
        &mut self,
        during: &'static str,
    ) -> Result<Reply, FtpError> {
        for _ in 0..MAX_PRELIMINARY_REPLIES {
            let reply = self.read_reply(during).await?;
            if !reply.code.is_preliminary() {
                return Ok(reply);
            }
        }
        Err(FtpError::OutOfStep { during })
    }

    /// Sends a command and returns its final reply, skipping informational 1xx replies.
    pub(crate) async fn command(
        &mut self,
        command: &Command,
        during: &'static str,
    ) -> Result<Reply, FtpError> {
        self.send(command).await?;
        self.read_final_reply(during).await
    }

    /// Replaces the plain stream with TLS over it (AUTH TLS accepted, or implicit FTPS).
    /// Bytes the server sent after its 234 and before the handshake would be plaintext
    /// injected into the secure session: they are refused.
    pub(crate) async fn start_tls(
        &mut self,
        connector: tokio_rustls::TlsConnector,
        server_name: rustls::pki_types::ServerName<'static>,
    ) -> Result<&rustls::ClientConnection, std::io::Error> {
        if self.parser.has_partial() {
            return Err(std::io::Error::other(
                "the server sent more data right after accepting AUTH TLS",
            ));
        }
        let ControlStream::Plain(tcp) = std::mem::replace(&mut self.stream, ControlStream::Gone)
        else {
            return Err(std::io::Error::other(
                "the control connection is already secured",
            ));
        };
        let handshake = tokio::time::timeout(self.timeout, connector.connect(server_name, tcp));
        let tls = match handshake.await {
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            Ok(result) => result?,
        };
        self.stream = ControlStream::Tls(Box::new(tls));
        match &self.stream {
            ControlStream::Tls(tls) => Ok(tls.get_ref().1),
            _ => Err(std::io::Error::other("unreachable: just secured")),
        }
    }

    pub(crate) fn is_secure(&self) -> bool {
        matches!(self.stream, ControlStream::Tls(_))
    }

    /// Closes the write side politely; errors are irrelevant at that point.
    pub(crate) async fn shutdown(&mut self) {
        tokio::time::timeout(Duration::from_secs(2), self.stream.shutdown())
            .await
            .ok();
    }
}
