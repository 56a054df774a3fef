//! The control connection: writes commands, reads replies through the pure `ReplyParser`,
//! logs both, and puts a timeout on every read and write.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::log::{LogKind, LogSink};
use crate::net::AsyncStream;
use crate::net::error::FtpError;
use crate::proto::charset::Charset;
use crate::proto::command::Command;
use crate::proto::reply::{Reply, ReplyParser};

pub(crate) struct ControlChannel {
    stream: Box<dyn AsyncStream>,
    parser: ReplyParser,
    read_buf: Box<[u8]>,
    pub(crate) log: LogSink,
    pub(crate) timeout: Duration,
    /// How path bytes are shown in the message log.
    pub(crate) charset: Charset,
}

impl ControlChannel {
    pub(crate) fn new(
        stream: Box<dyn AsyncStream>,
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
    pub(crate) async fn read_reply(&mut self, during: &'static str) -> Result<Reply, FtpError> {
        loop {
            if let Some(reply) = self.parser.next_reply()? {
                for line in &reply.lines {
                    self.log
                        .line(LogKind::Response, self.charset.decode(line).into_owned());
                }
                return Ok(reply);
            }
            let read = tokio::time::timeout(self.timeout, self.stream.read(&mut self.read_buf));
            let n = match read.await {
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

    /// Sends a command and returns its reply, skipping informational 1xx replies.
    pub(crate) async fn command(
        &mut self,
        command: &Command,
        during: &'static str,
    ) -> Result<Reply, FtpError> {
        self.send(command).await?;
        loop {
            let reply = self.read_reply(during).await?;
            if !reply.code.is_preliminary() {
                return Ok(reply);
            }
        }
    }

    /// Closes the write side politely; errors are irrelevant at that point.
    pub(crate) async fn shutdown(&mut self) {
        tokio::time::timeout(Duration::from_secs(2), self.stream.shutdown())
            .await
            .ok();
    }
}
