//! The diagnosis's judgement, as a pure function: the attempts' records in, a table row and
//! a verdict in plain words per attempt, summary verdicts, and the recommended settings out.
//! No sockets and no clock: every wording is tested here, including addresses no test may
//! connect to (private 10.x and 192.168.x, public 203.0.113.5).

use std::net::{IpAddr, SocketAddr};

use crate::net::{DataMode, DataSettings, ProbeFailure, ProbeMethod, ProbeRecord};
use crate::proto::pasv::address_class;

/// The attempts made over one control connection kind (plain, or TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// The control connection ran over TLS (and data connections were protected).
    pub tls: bool,
    /// Logging on failed: why (and no attempts were made).
    pub logon_error: Option<String>,
    /// FEAT listed AUTH (only asked on plain rounds).
    pub tls_offered: Option<bool>,
    pub attempts: Vec<ProbeRecord>,
}

/// One line of the report's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub method: String,
    pub sent: String,
    pub came_back: String,
    pub data: String,
    pub time: String,
    pub verdict: String,
    pub works: bool,
}

/// Settings that make data connections work with this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// Passive or active (never auto: the diagnosis knows which works).
    pub mode: DataMode,
    pub prefer_epsv: bool,
    pub use_control_peer_for_pasv: bool,
    /// Only the TLS round could log on (the server refused a plain logon): the advice holds
    /// for explicit TLS (ftpes://), which the connection must switch to.
    pub requires_tls: bool,
    /// The advice in words.
    pub text: String,
}

impl Recommendation {
    /// The same advice as `skiff` flags.
    pub fn cli_flags(&self) -> String {
        let mut flags = vec![match self.mode {
            DataMode::Active => "--mode active",
            _ => "--mode passive",
        }];
        if self.mode != DataMode::Active {
            if !self.prefer_epsv {
                flags.push("--disable-epsv");
            }
            if !self.use_control_peer_for_pasv {
                flags.push("--use-pasv-address");
            }
        }
        flags.join(" ")
    }

    /// Changes `data` to follow the advice (port range and external IP stay as they are).
    pub fn apply_to(&self, data: &mut DataSettings) {
        data.mode = self.mode;
        data.prefer_epsv = self.prefer_epsv;
        data.use_control_peer_for_pasv = self.use_control_peer_for_pasv;
    }

    /// Whether `data` already follows the advice.
    pub fn is_followed_by(&self, data: &DataSettings) -> bool {
        let mut after = data.clone();
        self.apply_to(&mut after);
        after == *data
    }
}

/// Everything the report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub rows: Vec<Row>,
    /// Verdicts about the server as a whole, most important first.
    pub summary: Vec<String>,
    pub recommendation: Option<Recommendation>,
    /// The verdict in one line, when no method can be recommended: why (the logon failed,
    /// or nothing worked); the CLI's error.
    pub failure: Option<String>,
}

/// Judges the rounds of a diagnosis made with `settings`.
pub fn judge(settings: &DataSettings, rounds: &[Round]) -> Judgement {
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    let mut logon_failures = Vec::new();
    for round in rounds {
        let over = if round.tls { " over TLS" } else { "" };
        if let Some(err) = &round.logon_error {
            let line = format!("Logging in{over} failed: {err}");
            summary.push(line.clone());
            logon_failures.push(line);
            continue;
        }
        for record in &round.attempts {
            rows.push(row(record, &round.attempts, round.tls, settings));
        }
        summary.extend(address_summary(&round.attempts));
        if round.tls {
            summary.extend(reuse_summary(&round.attempts));
        }
        if round.tls_offered == Some(false) && !rounds.iter().any(|r| r.tls) {
            summary.push(
                "The server does not offer TLS (no AUTH in FEAT): passwords and files travel unencrypted"
                    .into(),
            );
        }
    }
    let primary = rounds.iter().find(|r| r.logon_error.is_none());
    let mut recommendation = primary.and_then(|r| recommend(&r.attempts));
    // A plain target whose plain logon failed and whose TLS round worked: say so, or the
    // advice would keep a connection that cannot log on.
    if let (Some(rec), Some(primary)) = (&mut recommendation, primary)
        && primary.tls
        && rounds.first().is_some_and(|r| !r.tls)
    {
        rec.requires_tls = true;
        rec.text
            .push_str(", over explicit TLS (ftpes://): the server refuses a plain logon");
    }
    let failure = match (&recommendation, primary) {
        (Some(rec), _) => {
            // In words for every face; the CLI adds its flags (`cli_flags`) on a line of
            // its own, and the window offers "Apply to this session".
            summary.push(format!("Recommended: {}", rec.text));
            None
        }
        (None, Some(_)) => {
            let line = "No data-connection method works with this server from here: neither \
                        passive nor active mode could list a directory";
            summary.push(line.to_owned());
            Some(line.to_owned())
        }
        (None, None) if logon_failures.is_empty() => Some("nothing could be tried".to_owned()),
        (None, None) => Some(logon_failures.join("; ")),
    };
    Judgement {
        rows,
        summary,
        recommendation,
        failure,
    }
}

fn row(record: &ProbeRecord, round: &[ProbeRecord], tls: bool, settings: &DataSettings) -> Row {
    let mut method = record.method.label().to_owned();
    if tls {
        method.push_str(if record.fresh_tls_session {
            ", TLS, new session"
        } else {
            ", TLS"
        });
    }
    let mut came_back = record.replies.first().cloned().unwrap_or_default();
    if record.method.is_passive()
        && let Some(addr) = record.announced
    {
        came_back.push_str(&format!(" -> {addr}"));
    }
    for reply in record.replies.iter().skip(1) {
        came_back.push_str(" / ");
        came_back.push_str(reply);
    }
    let data = match (&record.outcome, record.data_opened) {
        (Err(ProbeFailure::NotApplicable(_)), _) => "not tried".to_owned(),
        (_, true) => {
            let tls = match record.tls_resumed {
                Some(true) => ", TLS resumed",
                Some(false) => ", TLS new session",
                None => "",
            };
            format!("opened ({} bytes{tls})", record.listing_bytes)
        }
        (_, false) => "not opened".to_owned(),
    };
    Row {
        method,
        sent: record.sent.join(", "),
        came_back,
        data,
        time: format_elapsed(record.elapsed),
        verdict: attempt_verdict(record, round, settings),
        works: record.succeeded(),
    }
}

/// "the server announces a private address (192.168.0.222) although you reached it at
/// 203.0.113.5"; `None` when the addresses are the same.
pub fn announced_differs(announced: IpAddr, peer: IpAddr) -> Option<String> {
    if announced.to_canonical() == peer.to_canonical() {
        return None;
    }
    Some(match address_class(announced) {
        "public" => format!(
            "the server announces another public address ({announced}) than the one you reached \
             it at ({peer})"
        ),
        class => {
            let article = if class.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!(
                "the server announces {article} {class} address ({announced}) although you \
                 reached it at {peer}"
            )
        }
    })
}

/// The ports active mode needs open: the configured range, else the one port used.
fn active_ports(settings: &DataSettings, listen: Option<SocketAddr>) -> String {
    match (settings.active_port_range, listen) {
        (Some(range), _) => range.to_string(),
        (None, Some(addr)) => addr.port().to_string(),
        (None, None) => "the active-mode port range".to_owned(),
    }
}

/// The verdict on one attempt; `round` (all attempts of its round) says whether a
/// fallback (PASV for EPSV, PORT for EPRT) works.
fn attempt_verdict(record: &ProbeRecord, round: &[ProbeRecord], settings: &DataSettings) -> String {
    let works = |method| round.iter().any(|r| r.method == method && r.succeeded());
    let peer = record.peer.ip();
    let differs = record
        .announced
        .filter(|_| record.method.is_passive())
        .and_then(|a| announced_differs(a.ip(), peer));
    let failure = match &record.outcome {
        Ok(()) => {
            return match (record.method, differs, record.fresh_tls_session) {
                (_, _, true) => {
                    "works: the server accepts TLS data connections without session reuse".into()
                }
                (ProbeMethod::PasvPeer, Some(differs), _) => {
                    format!("works: {differs}: Skiff connects to {peer} instead")
                }
                (ProbeMethod::PasvAnnounced, Some(differs), _) => {
                    format!("works: {differs}, and that address is reachable from here too")
                }
                _ if record.tls_resumed == Some(true) => "works (TLS session resumed)".into(),
                _ => "works".into(),
            };
        }
        Err(failure) => failure,
    };
    let active_blocked = |what: String| {
        let ports = active_ports(settings, record.data_addr);
        format!(
            "active mode: {what} — a firewall or NAT in front of this machine blocks incoming \
             connections; use passive mode or open ports {ports}"
        )
    };
    match failure {
        ProbeFailure::NotApplicable(why) => why.clone(),
        ProbeFailure::Refused { reply } => match record.method {
            ProbeMethod::Epsv
                if works(ProbeMethod::PasvPeer) || works(ProbeMethod::PasvAnnounced) =>
            {
                format!("the server does not support EPSV ({reply}); Skiff uses PASV instead")
            }
            ProbeMethod::Epsv => format!("the server refuses EPSV ({reply})"),
            ProbeMethod::Eprt if works(ProbeMethod::Port) => {
                format!("the server does not support EPRT ({reply}); Skiff uses PORT instead")
            }
            ProbeMethod::Eprt => format!("the server refuses active mode ({reply})"),
            ProbeMethod::Port => format!("the server refuses active mode ({reply})"),
            _ => format!("the server refuses passive mode ({reply})"),
        },
        ProbeFailure::BadReply { text } => format!("the server's reply is unusable: {text}"),
        ProbeFailure::Connect { addr, reason, .. } => match (record.method, differs) {
            (ProbeMethod::PasvAnnounced, Some(differs)) => {
                let instead = if settings.use_control_peer_for_pasv {
                    format!("Skiff connects to {peer} instead")
                } else {
                    format!(
                        "connect to {peer} instead (not to the address in the reply: the \
                         setting \"connect to the server's address\")"
                    )
                };
                format!("{differs}, and {addr} cannot be reached ({reason}): {instead}")
            }
            _ => format!(
                "the data connection to {addr} failed ({reason}): a firewall in front of the \
                 server or this machine blocks the server's passive ports; use active mode, or \
                 ask the server's admin to open them"
            ),
        },
        ProbeFailure::NoLocalPort { range, reason } => match range {
            Some(range) => format!(
                "no local port to listen on: every port in {range} is in use; widen the range"
            ),
            None => format!("no local port to listen on: {reason}"),
        },
        ProbeFailure::NoConnectBack { listen, .. } => active_blocked(format!(
            "the server never connected back to port {}",
            listen.port()
        )),
        ProbeFailure::TransferRefused { reply } if record.fresh_tls_session => format!(
            "the server refused a data connection with a new TLS session ({reply}): it requires \
             session reuse"
        ),
        ProbeFailure::TransferRefused { reply } if !record.method.is_passive() => {
            let to = record
                .announced
                .map(|a| a.to_string())
                .unwrap_or_else(|| "this machine".into());
            let mut text = active_blocked(format!(
                "the server could not connect back to {to} ({reply})"
            ));
            if settings.external_ip.is_none()
                && let Some(announced) = record.announced
                && address_class(announced.ip()) == "private"
            {
                text.push_str(&format!(
                    "; {} is a private address: behind NAT, set the external IP",
                    announced.ip()
                ));
            }
            text
        }
        ProbeFailure::TransferRefused { reply } => {
            format!("the server could not start the listing ({reply})")
        }
        ProbeFailure::Tls { reason } if record.fresh_tls_session => format!(
            "the server refused a data connection with a new TLS session ({reason}): it requires \
             session reuse"
        ),
        ProbeFailure::Tls { reason } => {
            format!("the data connection's TLS handshake failed: {reason}")
        }
        // vsftpd and others send 150 only once their connection back has succeeded, so a
        // connect-back that a firewall drops shows as a LIST that is never answered.
        ProbeFailure::Timeout { phase, secs }
            if !record.method.is_passive() && phase == crate::net::LIST_PHASE =>
        {
            let port = record
                .announced
                .map(|a| format!("port {}", a.port()))
                .unwrap_or_else(|| "the port announced".into());
            active_blocked(format!(
                "no answer within {secs} s to LIST: the server is most likely still trying to \
                 connect back to {port}"
            ))
        }
        ProbeFailure::Timeout { phase, secs } => {
            format!("no answer within {secs} s while {phase}")
        }
        ProbeFailure::Other(text) => text.clone(),
    }
}

/// The announced-address verdict of a round, once.
fn address_summary(attempts: &[ProbeRecord]) -> Option<String> {
    let pasv = attempts.iter().find(|r| {
        matches!(r.method, ProbeMethod::PasvAnnounced | ProbeMethod::PasvPeer)
            && r.announced.is_some()
    })?;
    let announced = pasv.announced?;
    let peer = pasv.peer.ip();
    let differs = announced_differs(announced.ip(), peer)?;
    let peer_works = attempts
        .iter()
        .any(|r| r.method == ProbeMethod::PasvPeer && r.succeeded());
    Some(if peer_works {
        format!("PASV: {differs}: Skiff connects to {peer} instead")
    } else {
        format!("PASV: {differs}")
    })
}

/// Whether the server insists that TLS data connections resume the control session.
fn reuse_summary(attempts: &[ProbeRecord]) -> Option<String> {
    let resumed_ok = attempts
        .iter()
        .any(|r| !r.fresh_tls_session && r.succeeded() && r.tls_resumed == Some(true));
    let fresh = attempts.iter().find(|r| r.fresh_tls_session);
    match (resumed_ok, fresh.map(ProbeRecord::succeeded)) {
        (true, Some(false)) => Some("TLS data connections require session reuse: supported".into()),
        (true, Some(true)) => Some(
            "TLS data connections do not require session reuse (Skiff resumes the session anyway)"
                .into(),
        ),
        (true, None) => Some("TLS data connections resume the control connection's session".into()),
        (false, _) if attempts.iter().any(|r| r.succeeded()) => {
            Some("TLS data connections work without resuming the session".into())
        }
        (false, _) => None,
    }
}

/// The mode that works, preferring passive (it needs nothing open on this side), EPSV first.
fn recommend(attempts: &[ProbeRecord]) -> Option<Recommendation> {
    let works = |method| {
        attempts
            .iter()
            .any(|r| r.method == method && !r.fresh_tls_session && r.succeeded())
    };
    let epsv = works(ProbeMethod::Epsv);
    let peer = works(ProbeMethod::PasvPeer);
    let announced = works(ProbeMethod::PasvAnnounced);
    let active = works(ProbeMethod::Eprt) || works(ProbeMethod::Port);
    if epsv || peer || announced {
        let use_control_peer = peer || !announced;
        let text = match (epsv, use_control_peer) {
            (true, _) => "passive mode (EPSV)".to_owned(),
            (false, true) => {
                "passive mode with PASV, connecting to the server's own address (the control \
                 peer); EPSV off"
                    .to_owned()
            }
            (false, false) => {
                "passive mode with PASV, connecting to the address the server announces; EPSV off"
                    .to_owned()
            }
        };
        return Some(Recommendation {
            mode: DataMode::Passive,
            prefer_epsv: epsv,
            use_control_peer_for_pasv: use_control_peer,
            requires_tls: false,
            text,
        });
    }
    active.then(|| Recommendation {
        mode: DataMode::Active,
        prefer_epsv: true,
        use_control_peer_for_pasv: true,
        requires_tls: false,
        text: "active mode (passive data connections fail)".to_owned(),
    })
}

/// An attempt's time as a person reads it: loopback attempts take well under a millisecond,
/// which "0 ms" would hide.
fn format_elapsed(elapsed: std::time::Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{} ms", elapsed.as_millis())
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
