//! The control-connection reply parser over arbitrary bytes in arbitrary chunks.
//!
//! Input: `[limits, seed_hi, seed_lo, stream...]`. `limits` 0xFF means the real caps
//! (64 KiB lines, 1 MiB replies); any other value small ones, so that inputs of a few KiB
//! reach them. The rest is `skiff_fuzz::Chunked` (without repeats).
//!
//! Properties: the same bytes give the same replies whether pushed whole or in chunks
//! (draining after every push or only at the end); every reply is well formed (a 1yz-5yz
//! code matching its first line, a multi-line block closed by `DDD `, no line over the
//! line cap, no reply over the reply cap with each line's CRLF counted); errors are sticky;
//! rendering a reply never panics and is bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff::proto::feat::Features;
use skiff::proto::reply::{
    MAX_LINE_BYTES, MAX_REPLY_BYTES, Reply, ReplyError, ReplyParser, announced_size, wire_len,
};
use skiff_fuzz::Chunked;

/// Replies drained until the first error, the error, and whether bytes were left over.
#[derive(Debug, PartialEq)]
struct Outcome {
    replies: Vec<Reply>,
    error: Option<ReplyError>,
    partial: bool,
}

fn drain(parser: &mut ReplyParser, out: &mut Vec<Reply>) -> Result<(), ReplyError> {
    // Each reply consumes at least one line, so this ends; the bound is for certainty.
    for _ in 0..=MAX_EXPANDED_LINES {
        match parser.next_reply()? {
            Some(reply) => out.push(reply),
            None => return Ok(()),
        }
    }
    panic!("next_reply kept yielding replies past the number of lines pushed");
}

const MAX_EXPANDED_LINES: usize = skiff_fuzz::MAX_EXPANDED_BYTES + 1;

#[derive(Clone, Copy)]
struct Limits {
    line: usize,
    reply: usize,
}

fn run(chunks: &[&[u8]], drain_each: bool, limits: Limits) -> Outcome {
    let mut parser = ReplyParser::with_limits(limits.line, limits.reply);
    let mut replies = Vec::new();
    let mut error = None;
    for chunk in chunks {
        let step = parser.push(chunk).and_then(|()| {
            if drain_each {
                drain(&mut parser, &mut replies)
            } else {
                Ok(())
            }
        });
        if let Err(err) = step {
            error = Some(err);
            break;
        }
    }
    if error.is_none()
        && let Err(err) = drain(&mut parser, &mut replies)
    {
        error = Some(err);
    }
    if let Some(err) = &error {
        // Errors are sticky: the stream is never trusted again.
        assert_eq!(parser.push(b"200 ok\r\n").as_ref(), Err(err));
        assert_eq!(parser.next_reply().as_ref(), Err(err));
    }
    Outcome {
        replies,
        error,
        partial: parser.has_partial(),
    }
}

fn code_of(line: &[u8]) -> Option<(u16, u8)> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((code, line.get(3).copied().unwrap_or(b' ')))
}

fn check_reply(reply: &Reply, limits: Limits) {
    assert!((100..600).contains(&reply.code.0), "{reply:?}");
    let first = reply.lines.first().expect("a reply has a first line");
    let (code, sep) = code_of(first).expect("the first line starts with the code");
    assert_eq!(code, reply.code.0);
    let mut total = 0;
    for line in &reply.lines {
        assert!(!line.contains(&b'\n'), "a line holds a line feed");
        assert!(
            line.len() <= limits.line,
            "a {} byte line passed the {} byte cap",
            line.len(),
            limits.line
        );
        total += wire_len(line);
    }
    if sep == b'-' {
        assert!(
            reply.lines.len() >= 2,
            "an open block was returned: {reply:?}"
        );
        let last = reply.lines.last().expect("checked above");
        assert_eq!(code_of(last), Some((code, b' ')), "closed by another line");
        assert!(total <= limits.reply, "a {total} byte reply passed the cap");
    } else {
        assert_eq!(sep, b' ');
        assert_eq!(reply.lines.len(), 1);
    }
    // Rendering is bounded and never panics.
    let _ = reply.text();
    let _ = reply.last_text();
    let _ = reply.first_line_text();
    let _ = reply.body_lines();
    // 200 characters shown, each escaped to at most 10 (`\u{10ffff}`).
    assert!(format!("{reply:?}").chars().count() <= 200 * 10 + 32);
    let _ = reply.to_string();
    let _ = Features::parse(reply);
    // A size is announced only by an "(N bytes)" the reply holds.
    if announced_size(reply).is_some() {
        let lower: Vec<Vec<u8>> = reply.lines.iter().map(|l| l.to_ascii_lowercase()).collect();
        assert!(lower.iter().any(|l| l.windows(7).any(|w| w == b" bytes)")));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let limits = if selector == 0xff {
        Limits {
            line: MAX_LINE_BYTES,
            reply: MAX_REPLY_BYTES,
        }
    } else {
        let line = 1 + usize::from(selector & 0x3f) * 4;
        Limits {
            line,
            reply: 8 + usize::from(selector >> 6) * line * 3,
        }
    };
    // The small caps make repeated chunks unneeded (and they would slow every run).
    let Some(input) = Chunked::without_repeats(rest) else {
        return;
    };
    let whole_bytes = input.joined();
    let whole = run(&[whole_bytes.as_slice()], false, limits);
    let chunked_at_end = run(&input.chunks, false, limits);
    let chunked_each = run(&input.chunks, true, limits);

    // Pushing everything before draining sees the same lines in the same order.
    assert_eq!(whole, chunked_at_end);
    for reply in &chunked_each.replies {
        check_reply(reply, limits);
    }
    match (&whole.error, &chunked_each.error) {
        (None, None) => assert_eq!(whole, chunked_each),
        (None, Some(err)) | (Some(err), None) => {
            panic!("only one way of pushing failed: {err}")
        }
        // Draining as bytes arrive may yield replies before an overlong line that a single
        // push rejects at once; never other replies.
        (Some(_), Some(_)) => assert!(
            chunked_each.replies.starts_with(&whole.replies),
            "chunking changed the replies before the error"
        ),
    }
    if let Some(ReplyError::Malformed { line }) = &chunked_each.error {
        assert!(line.chars().count() <= 80, "an unbounded error text");
    }
});
