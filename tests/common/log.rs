//! A message log a test can read: the lines a connection or engine wrote, by kind.
//! The scripted servers (tests/integration/scripted) hand out the same kind of log.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use skiff::log::{ConnId, LogKind, LogLine, LogSink};

/// Message-log lines a test collects.
pub type LogLines = Arc<Mutex<Vec<LogLine>>>;

/// A log sink that keeps every line, and the lines it keeps.
pub fn capture_log() -> (LogSink, LogLines) {
    let lines: LogLines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let log = LogSink::new(ConnId(1), move |line| sink.lock().unwrap().push(line));
    (log, lines)
}

/// The texts of the collected lines of one kind.
pub fn log_texts(lines: &LogLines, kind: LogKind) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.text.clone())
        .collect()
}
