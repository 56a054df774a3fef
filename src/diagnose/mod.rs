//! Connection diagnosis (`skiff diagnose URL`, Server > Diagnose connection): log on, then
//! list a directory once through each data-connection method (EPSV, PASV to the address as
//! sent and to the control peer, EPRT, PORT), plainly and under TLS when the server offers
//! it, and say in plain words which works and why the others do not.
//!
//! This file runs the attempts over the net layer, each bounded by a short timeout, one
//! failure never stopping the others (a new control connection when one is left unusable).
//! `verdict.rs` judges the records: a pure function, tested on addresses no test may reach.

pub mod sftp;
mod verdict;

use std::time::Duration;

pub use verdict::{Judgement, Recommendation, Round, Row, announced_differs, judge};

use crate::net::tls::TlsMode;
use crate::net::{
    ConnectOptions, Connection, DataSettings, ProbeFailure, ProbeMethod, ProbeRecord,
};

/// How the diagnosis runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagnoseOptions {
    /// Bounds every step of an attempt (connect, reply, accept, read).
    pub attempt_timeout: Duration,
}

impl Default for DiagnoseOptions {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

/// The report: what was tried, and the judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// `host:port` as given.
    pub server: String,
    /// The data settings the attempts used (port range, external IP).
    pub settings: DataSettings,
    pub rounds: Vec<Round>,
    pub judgement: Judgement,
}

/// The report's columns, in order: the CLI's table and the window's share them.
pub const COLUMNS: [&str; 6] = [
    "Method",
    "Sent",
    "Came back",
    "Data connection",
    "Time",
    "Verdict",
];

impl Diagnosis {
    /// The report as text: the table, then the summary verdicts.
    pub fn to_text(&self) -> String {
        let [method, sent, came_back, data, time, verdict] = COLUMNS.map(String::from);
        let header = Row {
            method,
            sent,
            came_back,
            data,
            time,
            verdict,
            works: true,
        };
        // A server's reply may be a line of 64 KiB: a cell shows its first characters, so
        // one reply cannot stretch every row of the table.
        let rows: Vec<Row> = std::iter::once(&header)
            .chain(&self.judgement.rows)
            .map(|row| Row {
                came_back: clip(&row.came_back, MAX_CELL_CHARS),
                sent: clip(&row.sent, MAX_CELL_CHARS),
                verdict: clip(&row.verdict, 2 * MAX_CELL_CHARS),
                ..row.clone()
            })
            .collect();
        let width = |f: fn(&Row) -> &str| rows.iter().map(|r| f(r).chars().count()).max();
        let widths = [
            width(|r| &r.method).unwrap_or(0),
            width(|r| &r.sent).unwrap_or(0),
            width(|r| &r.came_back).unwrap_or(0),
            width(|r| &r.data).unwrap_or(0),
            width(|r| &r.time).unwrap_or(0),
        ];
        let mut out = format!("Diagnosis of {}\n\n", self.server);
        for row in &rows {
            let cells = [&row.method, &row.sent, &row.came_back, &row.data, &row.time];
            for (cell, w) in cells.iter().zip(widths) {
                out.push_str(&format!("{cell:<w$}  "));
            }
            out.push_str(&row.verdict);
            out.push('\n');
        }
        out.push('\n');
        for line in &self.judgement.summary {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// The most characters a cell of the text table shows.
const MAX_CELL_CHARS: usize = 200;

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Runs the diagnosis against `options`' server. Never fails: a logon that fails is part
/// of the report. A plain target gets a TLS round too when the server offers TLS; a TLS
/// target never gets a plain one (its password must not travel unencrypted because of a
/// diagnosis).
pub async fn run(options: ConnectOptions, diagnose: DiagnoseOptions) -> Diagnosis {
    let log = options.log.clone();
    let server = format!("{}:{}", options.host, options.port);
    log.status(format!(
        "Diagnosing data connections to {server} (each attempt bounded by {} s)",
        diagnose.attempt_timeout.as_secs()
    ));
    let mut rounds = Vec::new();
    let (first, refused) = run_round(&options, options.tls.mode, diagnose).await;
    // A server that refused the plain logon may want TLS first; one that could not be
    // reached at all gets no second try.
    let try_tls = options.tls.mode == TlsMode::None && (first.tls_offered == Some(true) || refused);
    rounds.push(first);
    if try_tls {
        log.status("Diagnosis: the same again over explicit TLS (AUTH TLS)");
        rounds.push(run_round(&options, TlsMode::Explicit, diagnose).await.0);
    }
    let judgement = judge(&options.data, &rounds);
    for row in &judgement.rows {
        let line = format!(
            "Diagnosis: {}: {} ({}; {})",
            row.method, row.verdict, row.data, row.time
        );
        if row.works {
            log.status(line);
        } else {
            log.error(line);
        }
    }
    for line in &judgement.summary {
        log.status(format!("Diagnosis: {line}"));
    }
    Diagnosis {
        server,
        settings: options.data.clone(),
        rounds,
        judgement,
    }
}

/// One round of attempts; with `true` when the server itself refused the logon (a reply).
async fn run_round(
    options: &ConnectOptions,
    mode: TlsMode,
    diagnose: DiagnoseOptions,
) -> (Round, bool) {
    let mut options = options.clone();
    options.tls.mode = mode;
    let timeout = diagnose.attempt_timeout;
    let mut round = Round {
        tls: matches!(mode, TlsMode::Explicit | TlsMode::Implicit),
        logon_error: None,
        tls_offered: None,
        attempts: Vec::new(),
    };
    let mut conn: Option<Connection> = None;
    // The attempts, in order. Under TLS the plan grows by one while it runs: the first
    // method that works is tried once more with a fresh TLS session, to learn whether the
    // server requires session reuse. Hence a loop over an index, not an iterator.
    let mut plan: Vec<(ProbeMethod, bool)> = ProbeMethod::ALL.iter().map(|m| (*m, false)).collect();
    let mut index = 0;
    while index < plan.len() {
        let (method, fresh) = plan[index];
        index += 1;
        if conn.is_none() {
            match Connection::connect(options.clone()).await {
                Ok(c) => {
                    round.tls = c.is_secure();
                    if !round.tls {
                        round.tls_offered = Some(c.features().has("AUTH"));
                    }
                    conn = Some(c);
                }
                Err(err) if round.attempts.is_empty() => {
                    round.logon_error = Some(err.to_string());
                    let refused = err.reply().is_some();
                    return (round, refused);
                }
                Err(err) => {
                    let mut record = ProbeRecord::new(method, round_peer(&round));
                    record.fresh_tls_session = fresh;
                    record.outcome = Err(ProbeFailure::Other(format!(
                        "could not connect again for this attempt: {err}"
                    )));
                    round.attempts.push(record);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let peer = c.peer_addr();
        // Every step is bounded by `timeout`; the whole attempt by a few of them.
        let bounded = tokio::time::timeout(timeout * 4, c.probe_list(method, fresh, timeout)).await;
        let record = match bounded {
            Ok(record) => record,
            Err(_) => {
                let mut record = ProbeRecord::new(method, peer);
                record.fresh_tls_session = fresh;
                record.control_usable = false;
                record.elapsed = timeout * 4;
                record.outcome = Err(ProbeFailure::Timeout {
                    phase: "trying this method".into(),
                    secs: (timeout * 4).as_secs(),
                });
                record
            }
        };
        if !record.control_usable
            && let Some(c) = conn.take()
        {
            drop(c);
        }
        let first_success =
            round.tls && record.succeeded() && !fresh && !plan.iter().any(|(_, f)| *f);
        if first_success {
            plan.push((method, true));
        }
        round.attempts.push(record);
    }
    if let Some(c) = conn {
        c.quit().await;
    }
    (round, false)
}

fn round_peer(round: &Round) -> std::net::SocketAddr {
    round
        .attempts
        .first()
        .map(|r| r.peer)
        .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_reply_is_clipped_in_the_text_table() {
        let long = format!("227 {}", "x".repeat(70_000));
        let diagnosis = Diagnosis {
            server: "127.0.0.1:21".into(),
            settings: DataSettings::default(),
            rounds: Vec::new(),
            judgement: Judgement {
                rows: vec![Row {
                    method: "PASV".into(),
                    sent: "PASV".into(),
                    came_back: long,
                    data: "not opened".into(),
                    time: "0.2 ms".into(),
                    verdict: "the reply makes no sense".into(),
                    works: false,
                }],
                summary: Vec::new(),
                recommendation: None,
                failure: None,
            },
        };
        let text = diagnosis.to_text();
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest < 400, "a line of {longest} characters");
        assert!(text.contains("227 xxx") && text.contains("x…"), "{text}");
        assert_eq!(clip("한국어", 2), "한국…");
        assert_eq!(clip("short", 5), "short");
    }
}
