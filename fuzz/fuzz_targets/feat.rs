//! The FEAT reply parser (RFC 2389), over arbitrary reply lines.
//!
//! Input: `[code selector, body...]`; the body's lines (split at LF) become the lines of a
//! reply between `211-Features:` and `211 End` (the selector picks another code now and
//! then). The same bytes also go through the reply parser, so real framing is covered too.
//!
//! Properties: a reply other than 211 leaves every feature unknown; after a 211, every
//! listed name is supported under any ASCII case, has parameters, and nothing unlisted is;
//! MLSD support follows MLST; there are never more features than body lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff::proto::feat::{Features, Support};
use skiff::proto::reply::{Reply, ReplyCode, ReplyParser};

fn check(reply: &Reply) {
    let features = Features::parse(reply);
    if reply.code.0 != 211 {
        assert_eq!(features, Features::unknown());
        assert_eq!(features.support("EPSV"), Support::Unknown);
        return;
    }
    assert!(features.answered());
    let names: Vec<String> = features.names().map(str::to_owned).collect();
    assert!(names.len() <= reply.body_lines().len());
    for name in &names {
        assert_eq!(features.support(name), Support::Yes, "{name:?}");
        assert!(features.has(&name.to_ascii_lowercase()), "{name:?}");
        assert!(features.params(name).is_some());
        assert_eq!(*name, name.to_ascii_uppercase());
        assert!(!name.is_empty() && !name.contains(' '), "{name:?}");
    }
    // A name no line could produce (feature names never contain a space).
    assert_eq!(features.support("NO SUCH"), Support::No);
    assert_eq!(
        features.mlsd(),
        features.has("MLST") || features.has("MLSD")
    );
    if features.rest_stream() {
        assert!(features.has("REST"));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let code = match selector {
        0 => 500,
        1 => 502,
        2 => 202,
        3 => 214,
        _ => 211,
    };
    let mut lines = vec![format!("{code}-Features:").into_bytes()];
    lines.extend(
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec()),
    );
    lines.push(format!("{code} End").into_bytes());
    check(&Reply {
        code: ReplyCode(code),
        lines,
    });

    // The same bytes framed by the real reply parser: whatever replies come out.
    let mut parser = ReplyParser::new();
    if parser.push(b"211-Features:\r\n").is_err() || parser.push(body).is_err() {
        return;
    }
    for _ in 0..=body.len() + 1 {
        match parser.next_reply() {
            Ok(Some(reply)) => check(&reply),
            Ok(None) | Err(_) => break,
        }
    }
});
