//! The 227 (PASV) and 229 (EPSV) reply parsers, and the decision where a passive data
//! connection goes.
//!
//! Input: `[peer a, b, c, d, stream...]`: four bytes of control-peer address, then the reply
//! text (decoded lossily, as `Reply::text` does).
//!
//! Properties: a parsed port is never 0; what PASV parsed survives PORT formatting and a
//! reparse; an EPSV port is written in the text; errors quote at most 200 characters; and
//! with the default "use the control peer" setting the data connection goes to the control
//! peer, whatever the server announced (no FTP bounce).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use skiff::proto::pasv::{
    PasvError, format_port, parse_epsv_reply, parse_pasv_reply, plan_passive_target,
};

fn error_is_bounded(err: &PasvError) {
    let quoted = match err {
        PasvError::MissingNumbers { text }
        | PasvError::OctetOutOfRange { text, .. }
        | PasvError::PortZero { text }
        | PasvError::MalformedEpsv { text } => text,
    };
    assert!(quoted.chars().count() <= 200, "an unbounded error text");
    let _ = err.to_string();
}

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b, c, d], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let peer = IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    let text = String::from_utf8_lossy(rest);

    match parse_pasv_reply(&text) {
        Ok(announced) => {
            assert_ne!(announced.port(), 0);
            let wire = format!("Entering Passive Mode ({}).", format_port(announced));
            assert_eq!(parse_pasv_reply(&wire), Ok(announced), "{wire:?}");

            let safe = plan_passive_target(announced, peer, true);
            assert_eq!(safe.addr, SocketAddr::new(peer, announced.port()));
            assert_eq!(safe.note.is_some(), IpAddr::V4(*announced.ip()) != peer);

            let trusting = plan_passive_target(announced, peer, false);
            assert_eq!(trusting.addr.port(), announced.port());
            assert!(
                trusting.addr.ip() == peer || trusting.addr == SocketAddr::V4(announced),
                "a third address: {trusting:?}"
            );
            assert!(!trusting.addr.ip().is_unspecified() || peer.is_unspecified());
        }
        Err(err) => error_is_bounded(&err),
    }

    match parse_epsv_reply(&text) {
        Ok(port) => {
            assert_ne!(port, 0);
            assert!(text.contains(&port.to_string()), "{port} not in {text:?}");
            let wire = format!("Entering Extended Passive Mode (|||{port}|)");
            assert_eq!(parse_epsv_reply(&wire), Ok(port));
        }
        Err(err) => error_is_bounded(&err),
    }
});
