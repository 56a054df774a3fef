//! The message log: every Status, Command, Response and Error line of a connection, typed.
//!
//! This is a product feature, not diagnostics: the GUI's log pane, `skiff --log` and the
//! tests all read this one stream. Diagnostics go through `tracing` instead.

pub mod file;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// Which connection a line belongs to (the GUI shows several at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ConnId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// What Skiff is doing and why ("Connecting to 127.0.0.1:21...").
    Status,
    /// A line sent to the server (passwords masked).
    Command,
    /// A line received from the server.
    Response,
    /// A failure the user should see.
    Error,
}

impl LogKind {
    pub fn label(self) -> &'static str {
        match self {
            LogKind::Status => "Status",
            LogKind::Command => "Command",
            LogKind::Response => "Response",
            LogKind::Error => "Error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: SystemTime,
    pub conn: ConnId,
    pub kind: LogKind,
    pub text: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9} {}", format!("{}:", self.kind.label()), self.text)
    }
}

/// Where log lines go. Cheap to clone; called from the connection's task.
#[derive(Clone)]
pub struct LogSink {
    conn: ConnId,
    write: Arc<dyn Fn(LogLine) + Send + Sync>,
}

impl LogSink {
    pub fn new(conn: ConnId, write: impl Fn(LogLine) + Send + Sync + 'static) -> Self {
        Self {
            conn,
            write: Arc::new(write),
        }
    }

    /// A sink that drops everything.
    pub fn discard() -> Self {
        Self::new(ConnId(0), |_| {})
    }

    /// The same destination, labelled with another connection id.
    pub fn for_conn(&self, conn: ConnId) -> Self {
        Self {
            conn,
            write: Arc::clone(&self.write),
        }
    }

    /// The same destination, and also `also` (the engine forwards lines as events).
    pub fn tee(&self, also: impl Fn(LogLine) + Send + Sync + 'static) -> Self {
        let first = Arc::clone(&self.write);
        Self {
            conn: self.conn,
            write: Arc::new(move |line: LogLine| {
                first(line.clone());
                also(line);
            }),
        }
    }

    pub fn conn(&self) -> ConnId {
        self.conn
    }

    pub fn line(&self, kind: LogKind, text: impl Into<String>) {
        (self.write)(LogLine {
            time: SystemTime::now(),
            conn: self.conn,
            kind,
            text: text.into(),
        });
    }

    pub fn status(&self, text: impl Into<String>) {
        self.line(LogKind::Status, text);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.line(LogKind::Error, text);
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogSink({:?})", self.conn)
    }
}
