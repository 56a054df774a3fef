//! Data-connection addresses: parsing 227/229 replies, formatting PORT/EPRT, and the pure
//! decision of where a passive data connection goes.
//!
//! RFC 959: "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)"; the port is p1*256+p2.
//! Servers put the six numbers anywhere in the text, with or without parentheses, so the
//! parser looks for them rather than for a fixed shape (FileZilla's `ParsePasvResponse`).
//! RFC 2428: "229 Entering Extended Passive Mode (|||port|)", any delimiter in 33..=126.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

/// Why a 227/229 reply cannot be used. No connection is attempted after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasvError {
    #[error("the passive reply has no h1,h2,h3,h4,p1,p2 numbers: {text:?}")]
    MissingNumbers { text: String },
    #[error("the passive reply has a number over 255 ({value}): {text:?}")]
    OctetOutOfRange { value: u32, text: String },
    #[error("the passive reply announces port 0: {text:?}")]
    PortZero { text: String },
    #[error("the extended passive reply has no (|||port|) part: {text:?}")]
    MalformedEpsv { text: String },
}

/// The address in a 227 reply's text (the text after the code).
pub fn parse_pasv_reply(text: &str) -> Result<SocketAddrV4, PasvError> {
    let error_text = || text.chars().take(200).collect::<String>();
    let mut first_short: Option<()> = None;
    for run in text.split(|c: char| !(c.is_ascii_digit() || c == ',')) {
        if !run.contains(',') || !run.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let fields: Vec<&str> = run.split(',').collect();
        if fields.len() != 6 || fields.iter().any(|f| f.is_empty()) {
            first_short.get_or_insert(());
            continue;
        }
        let mut numbers = [0u8; 6];
        for (slot, field) in numbers.iter_mut().zip(&fields) {
            // More than 3 digits is out of range whatever the digits; avoid u32 overflow.
            let value: u32 = if field.len() > 3 {
                u32::MAX
            } else {
                field.parse().unwrap_or(u32::MAX)
            };
            *slot = u8::try_from(value).map_err(|_| PasvError::OctetOutOfRange {
                value,
                text: error_text(),
            })?;
        }
        let [h1, h2, h3, h4, p1, p2] = numbers;
        let port = u16::from(p1) * 256 + u16::from(p2);
        if port == 0 {
            return Err(PasvError::PortZero { text: error_text() });
        }
        return Ok(SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port));
    }
    Err(PasvError::MissingNumbers { text: error_text() })
}

/// The port in a 229 reply's text: `(<d><d><d>port<d>)`.
pub fn parse_epsv_reply(text: &str) -> Result<u16, PasvError> {
    let malformed = || PasvError::MalformedEpsv {
        text: text.chars().take(200).collect(),
    };
    let open = text.find('(').ok_or_else(malformed)?;
    let inner = &text[open + 1..];
    let close = inner.find(')').ok_or_else(malformed)?;
    let inner = &inner[..close];
    let mut chars = inner.chars();
    let delim = chars.next().ok_or_else(malformed)?;
    if !(33..=126).contains(&(delim as u32)) || delim.is_ascii_digit() {
        return Err(malformed());
    }
    let parts: Vec<&str> = inner.split(delim).collect();
    // "|||6446|" splits into ["", "", "", "6446", ""].
    if parts.len() != 5 || parts[..3].iter().any(|p| !p.is_empty()) || !parts[4].is_empty() {
        return Err(malformed());
    }
    let port_text = parts[3];
    if port_text.is_empty() || port_text.len() > 5 || !port_text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed());
    }
    match port_text.parse::<u32>() {
        Ok(0) => Err(PasvError::PortZero {
            text: text.chars().take(200).collect(),
        }),
        Ok(port) => u16::try_from(port).map_err(|_| malformed()),
        Err(_) => Err(malformed()),
    }
}

/// `h1,h2,h3,h4,p1,p2` for a PORT command.
pub fn format_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let port = addr.port();
    format!("{h1},{h2},{h3},{h4},{},{}", port >> 8, port & 0xff)
}

/// `|1|ip|port|` or `|2|ip|port|` for an EPRT command.
pub fn format_eprt(addr: SocketAddr) -> String {
    let family = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{family}|{}|{}|", addr.ip(), addr.port())
}

/// A short word for an address's reachability class, for log lines and diagnosis verdicts.
pub fn address_class(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => "unspecified",
        IpAddr::V4(v4) if v4.is_loopback() => "loopback",
        IpAddr::V4(v4) if v4.is_private() || is_shared_cgnat(v4) => "private",
        IpAddr::V4(v4) if v4.is_link_local() => "link-local",
        IpAddr::V6(v6) if v6.is_unspecified() => "unspecified",
        IpAddr::V6(v6) if v6.is_loopback() => "loopback",
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "private",
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        _ => "public",
    }
}

fn is_shared_cgnat(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (64..128).contains(&b)
}

/// Where a passive data connection should go, and why, as one Status line when it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveTarget {
    pub addr: SocketAddr,
    pub note: Option<String>,
}

/// Decides the target of a 227 reply's data connection.
///
/// By default Skiff connects to the control connection's peer with the announced port: a
/// server behind NAT often announces its private address, and a hostile one could announce a
/// third party's (FTP bounce). Only when the user turned that off is the announced address
/// used, and even then `0.0.0.0` means "the same host".
pub fn plan_passive_target(
    announced: SocketAddrV4,
    control_peer: IpAddr,
    use_control_peer: bool,
) -> PassiveTarget {
    let announced_ip = IpAddr::V4(*announced.ip());
    let port = announced.port();
    if announced_ip == control_peer {
        return PassiveTarget {
            addr: SocketAddr::new(control_peer, port),
            note: None,
        };
    }
    if use_control_peer || announced.ip().is_unspecified() {
        let note = format!(
            "Server sent passive reply with {} address {}, not the address {} this connection \
             reached; connecting to {control_peer}:{port} instead",
            address_class(announced_ip),
            announced.ip(),
            control_peer,
        );
        return PassiveTarget {
            addr: SocketAddr::new(control_peer, port),
            note: Some(note),
        };
    }
    PassiveTarget {
        addr: SocketAddr::V4(announced),
        note: Some(format!(
            "Server sent passive reply with address {} that differs from {control_peer}; \
             connecting to it as configured",
            announced.ip()
        )),
    }
}

/// The whole decision for a 227 reply: its address parsed, then planned as
/// [`plan_passive_target`] says. Pure: the connection calls this, and tests assert on it for
/// addresses no test may connect to.
pub fn plan_pasv_reply(
    text: &str,
    control_peer: IpAddr,
    use_control_peer: bool,
) -> Result<PassiveTarget, PasvError> {
    let announced = parse_pasv_reply(text)?;
    Ok(plan_passive_target(
        announced,
        control_peer,
        use_control_peer,
    ))
}

/// The commands that announce an active-mode listener, in the order to try them.
///
/// The address is the configured external IP (behind NAT) or else the listener's own; the
/// port is always the listener's. IPv6 needs EPRT (RFC 2428); for IPv4, EPRT is tried first
/// only when FEAT listed it, with PORT as the fallback, since PORT is what every server knows.
pub fn active_announcements(
    listen: SocketAddr,
    external_ip: Option<IpAddr>,
    eprt: crate::proto::feat::Support,
) -> Vec<crate::proto::command::Command> {
    use crate::proto::command::Command;
    let announce = SocketAddr::new(external_ip.unwrap_or(listen.ip()), listen.port());
    match announce {
        SocketAddr::V6(_) => vec![Command::Eprt(announce)],
        SocketAddr::V4(v4) if eprt == crate::proto::feat::Support::Yes => {
            vec![Command::Eprt(announce), Command::Port(v4)]
        }
        SocketAddr::V4(v4) => vec![Command::Port(v4)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddrV4 {
        s.parse().unwrap()
    }

    #[test]
    fn pasv_reply_in_parentheses_is_parsed() {
        assert_eq!(
            parse_pasv_reply("Entering Passive Mode (127,0,0,1,195,80).").unwrap(),
            addr("127.0.0.1:50000")
        );
    }

    #[test]
    fn pasv_without_parentheses_is_accepted() {
        assert_eq!(
            parse_pasv_reply("Entering Passive Mode 192,168,0,222,195,80").unwrap(),
            addr("192.168.0.222:50000")
        );
        assert_eq!(
            parse_pasv_reply("=127,0,0,1,4,1 ok").unwrap(),
            addr("127.0.0.1:1025")
        );
    }

    #[test]
    fn pasv_numbers_after_other_commas_are_found() {
        assert_eq!(
            parse_pasv_reply("Passive, mode on (10,0,0,5,0,21)").unwrap(),
            addr("10.0.0.5:21")
        );
    }

    #[test]
    fn pasv_octet_over_255_is_an_error() {
        assert!(matches!(
            parse_pasv_reply("Entering Passive Mode (256,0,0,1,195,80)"),
            Err(PasvError::OctetOutOfRange { value: 256, .. })
        ));
        assert!(matches!(
            parse_pasv_reply("(127,0,0,1,99999999999999,1)"),
            Err(PasvError::OctetOutOfRange { .. })
        ));
    }

    #[test]
    fn pasv_port_zero_is_an_error() {
        assert!(matches!(
            parse_pasv_reply("(127,0,0,1,0,0)"),
            Err(PasvError::PortZero { .. })
        ));
    }

    #[test]
    fn pasv_missing_numbers_is_an_error() {
        for text in [
            "Entering Passive Mode (1,196,67).",
            "Entering passive mode (::1,196,79).",
            "Entering Passive Mode",
            "Entering Passive Mode (127,0,0,1,,80)",
            "",
        ] {
            assert!(
                matches!(
                    parse_pasv_reply(text),
                    Err(PasvError::MissingNumbers { .. })
                ),
                "{text:?}"
            );
        }
    }

    #[test]
    fn epsv_reply_gives_the_port() {
        assert_eq!(
            parse_epsv_reply("Entering Extended Passive Mode (|||50003|)").unwrap(),
            50003
        );
        assert_eq!(parse_epsv_reply("ok (!!!6446!)").unwrap(), 6446);
    }

    #[test]
    fn malformed_epsv_replies_are_errors() {
        for text in [
            "Entering Extended Passive Mode",
            "(|||99999|)",
            "(||1|50003|)",
            "(|||abc|)",
            "(|||50003)",
            "(1112221)",
        ] {
            assert!(parse_epsv_reply(text).is_err(), "{text:?}");
        }
        assert!(matches!(
            parse_epsv_reply("(|||0|)"),
            Err(PasvError::PortZero { .. })
        ));
    }

    #[test]
    fn port_argument_splits_the_port_into_two_bytes() {
        assert_eq!(
            format_port(addr("192.168.0.222:50000")),
            "192,168,0,222,195,80"
        );
        assert_eq!(
            format_eprt("10.1.2.3:21".parse().unwrap()),
            "|1|10.1.2.3|21|"
        );
    }

    #[test]
    fn private_announced_address_is_replaced_by_the_control_peer() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        let target = plan_passive_target(addr("192.168.0.222:50000"), peer, true);
        assert_eq!(target.addr, "203.0.113.5:50000".parse().unwrap());
        let note = target.note.unwrap();
        assert!(note.contains("private address 192.168.0.222"), "{note}");
        assert!(note.contains("203.0.113.5:50000"), "{note}");
    }

    #[test]
    fn foreign_public_address_is_replaced_too() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        let target = plan_passive_target(addr("8.8.8.8:2000"), peer, true);
        assert_eq!(target.addr, "203.0.113.5:2000".parse().unwrap());
        assert!(target.note.unwrap().contains("public address 8.8.8.8"));
    }

    /// A hostile or misconfigured 227: private, shared, public and unspecified addresses
    /// all lead to the control peer, whichever peer that is. Nothing here opens a socket.
    #[test]
    fn a_227_announcing_any_foreign_address_is_planned_for_the_control_peer() {
        for peer in ["127.0.0.1", "203.0.113.5", "192.168.7.7"] {
            let peer: IpAddr = peer.parse().unwrap();
            for (announced, class) in [
                ("10,0,0,5", "private"),
                ("10,255,1,2", "private"),
                ("172,16,0,9", "private"),
                ("192,168,1,10", "private"),
                ("100,64,0,1", "private"),
                ("169,254,1,1", "link-local"),
                ("8,8,8,8", "public"),
                ("1,1,1,1", "public"),
                ("127,0,0,2", "loopback"),
                ("0,0,0,0", "unspecified"),
            ] {
                let text = format!("Entering Passive Mode ({announced},195,80).");
                let target = plan_pasv_reply(&text, peer, true).unwrap();
                if announced.replace(',', ".") == peer.to_string() {
                    continue;
                }
                assert_eq!(
                    target.addr,
                    SocketAddr::new(peer, 50000),
                    "{text} via {peer}"
                );
                let note = target.note.unwrap();
                assert!(
                    note.contains(&format!("{class} address {}", announced.replace(',', "."))),
                    "{note}"
                );
                assert!(
                    note.contains(&format!("connecting to {peer}:50000")),
                    "{note}"
                );
            }
        }
        // Only the user's explicit choice sends it where the reply says.
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let target = plan_pasv_reply("(8,8,8,8,4,1)", peer, false).unwrap();
        assert_eq!(target.addr, "8.8.8.8:1025".parse().unwrap());
        assert!(plan_pasv_reply("(8,8,8,8,4)", peer, true).is_err());
    }

    #[test]
    fn same_address_needs_no_note() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let target = plan_passive_target(addr("127.0.0.1:50001"), peer, true);
        assert_eq!(target.note, None);
    }

    #[test]
    fn announced_address_is_used_only_when_the_user_says_so() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        let target = plan_passive_target(addr("10.0.0.7:4000"), peer, false);
        assert_eq!(target.addr, "10.0.0.7:4000".parse().unwrap());
        // 0.0.0.0 can never be connected to: it means the server itself.
        let target = plan_passive_target(addr("0.0.0.0:4000"), peer, false);
        assert_eq!(target.addr, "203.0.113.5:4000".parse().unwrap());
    }

    #[test]
    fn external_ip_is_announced_with_the_listeners_port() {
        use crate::proto::command::Command;
        use crate::proto::feat::Support;
        let listen: SocketAddr = "192.168.1.20:50010".parse().unwrap();
        let external: IpAddr = "203.0.113.7".parse().unwrap();
        let commands = active_announcements(listen, Some(external), Support::No);
        assert_eq!(commands, vec![Command::Port(addr("203.0.113.7:50010"))]);
        assert_eq!(
            commands[0].to_wire().unwrap(),
            b"PORT 203,0,113,7,195,90\r\n"
        );
        let commands = active_announcements(listen, Some(external), Support::Yes);
        assert_eq!(commands[0].log_text(), "EPRT |1|203.0.113.7|50010|");
        assert_eq!(commands.len(), 2, "PORT stays as the fallback");
        let local_only = active_announcements(listen, None, Support::Unknown);
        assert_eq!(local_only, vec![Command::Port(addr("192.168.1.20:50010"))]);
    }

    #[test]
    fn ipv6_is_announced_with_eprt_only() {
        use crate::proto::command::Command;
        use crate::proto::feat::Support;
        let listen: SocketAddr = "[::1]:50010".parse().unwrap();
        assert_eq!(
            active_announcements(listen, None, Support::No),
            vec![Command::Eprt(listen)]
        );
    }

    #[test]
    fn address_classes_are_named() {
        for (ip, class) in [
            ("10.0.0.1", "private"),
            ("172.16.5.4", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("127.0.0.2", "loopback"),
            ("8.8.8.8", "public"),
            ("fd00::1", "private"),
            ("::1", "loopback"),
            ("2001:db8::1", "public"),
        ] {
            assert_eq!(address_class(ip.parse().unwrap()), class, "{ip}");
        }
    }
}
