//! RFC 959 replies and an incremental parser over raw control-connection bytes.
//!
//! A reply is one line `DDD text` or a multi-line block that opens with `DDD-` and ends with
//! the first line that starts with the same code followed by a space (RFC 959 section 4.2).
//! Lines in between may start with anything, including other codes.
//!
//! The parser is sans-IO: [`ReplyParser::push`] takes whatever bytes the socket gave and
//! [`ReplyParser::next_reply`] yields complete replies. Memory is bounded: a line over
//! [`MAX_LINE_BYTES`] or a reply over [`MAX_REPLY_BYTES`] is an error, never a growing buffer.

use std::fmt;

/// Longest reply line accepted, as FileZilla ("Received too long response line").
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Largest multi-line reply accepted (a FEAT or STAT answer is a few KiB in practice).
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// A three-digit reply code. Unknown codes are kept as they came, never mapped to a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(pub u16);

impl ReplyCode {
    /// 1yz: positive preliminary (the data transfer is starting).
    pub fn is_preliminary(self) -> bool {
        (100..200).contains(&self.0)
    }
    /// 2yz: positive completion.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    /// 3yz: positive intermediate (send the next command of the sequence).
    pub fn is_intermediate(self) -> bool {
        (300..400).contains(&self.0)
    }
    /// 4yz: transient negative completion; the same command may work later.
    pub fn is_transient_failure(self) -> bool {
        (400..500).contains(&self.0)
    }
    /// 5yz: permanent negative completion.
    pub fn is_permanent_failure(self) -> bool {
        (500..600).contains(&self.0)
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A complete reply: its code and every line as received (without CRLF).
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    /// Raw lines, the first and last included (`"211-Features:"`, ..., `"211 End"`).
    pub lines: Vec<Vec<u8>>,
}

impl Reply {
    /// A reply from text, for tests and for synthesized replies.
    pub fn new(code: u16, text: &str) -> Self {
        Self {
            code: ReplyCode(code),
            lines: vec![format!("{code:03} {text}").into_bytes()],
        }
    }

    /// The human text: every line with the leading `DDD-`/`DDD ` stripped, joined by newlines.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&String::from_utf8_lossy(strip_code(line)));
        }
        out
    }

    /// The last line's text, where most servers put the verdict.
    pub fn last_text(&self) -> String {
        self.lines
            .last()
            .map(|line| String::from_utf8_lossy(strip_code(line)).into_owned())
            .unwrap_or_default()
    }

    /// The lines between the first and the last of a multi-line reply (FEAT, MLST, STAT bodies).
    pub fn body_lines(&self) -> &[Vec<u8>] {
        if self.lines.len() <= 2 {
            &[]
        } else {
            &self.lines[1..self.lines.len() - 1]
        }
    }

    /// The first line's bytes after the code (e.g. the quoted path of a 257).
    pub fn first_line_text(&self) -> &[u8] {
        self.lines
            .first()
            .map(|l| strip_code(l))
            .unwrap_or_default()
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shortened, as libunftp does: a 1 MiB reply must not flood a log.
        let text = self.text();
        let shown: String = text.chars().take(200).collect();
        let more = if shown.len() < text.len() { "…" } else { "" };
        write!(f, "Reply({} {shown:?}{more})", self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.last_text())
    }
}

fn strip_code(line: &[u8]) -> &[u8] {
    if line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit) {
        &line[4..]
    } else if line.len() == 3 && line.iter().all(u8::is_ascii_digit) {
        &[]
    } else {
        line
    }
}

/// Why the control connection's bytes could not be read as replies. Each is fatal for the
/// connection: the stream can no longer be trusted to be in step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the server sent a reply line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    #[error("the server sent a reply longer than {limit} bytes")]
    ReplyTooLong { limit: usize },
    #[error("the server sent a malformed reply line: {line:?}")]
    Malformed { line: String },
}

/// Incremental reply parser: push bytes in any chunking, pull complete replies out.
#[derive(Debug)]
pub struct ReplyParser {
    max_line_bytes: usize,
    max_reply_bytes: usize,
    /// Bytes of the current, not yet terminated line.
    partial: Vec<u8>,
    /// Complete lines waiting to be assembled into replies.
    lines: std::collections::VecDeque<Vec<u8>>,
    /// The multi-line reply being assembled, if any.
    open: Option<Reply>,
    open_bytes: usize,
    failed: Option<ReplyError>,
}

impl Default for ReplyParser {
    fn default() -> Self {
        Self::with_limits(MAX_LINE_BYTES, MAX_REPLY_BYTES)
    }
}

impl ReplyParser {
    /// A parser with the standard limits ([`MAX_LINE_BYTES`], [`MAX_REPLY_BYTES`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with other limits: the fuzz target uses small ones, so that its few-KiB
    /// inputs reach them at full speed.
    pub fn with_limits(max_line_bytes: usize, max_reply_bytes: usize) -> Self {
        Self {
            max_line_bytes,
            max_reply_bytes,
            partial: Vec::new(),
            lines: std::collections::VecDeque::new(),
            open: None,
            open_bytes: 0,
            failed: None,
        }
    }

    /// Adds bytes from the socket. Errors are sticky: after one, every call reports it.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), ReplyError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
            let (head, rest) = bytes.split_at(newline);
            self.extend_partial(head)?;
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            // The slack byte is only for a CR: a line of MAX + 1 bytes before LF is too long.
            if line.len() > self.max_line_bytes {
                return Err(self.fail(ReplyError::LineTooLong {
                    limit: self.max_line_bytes,
                }));
            }
            self.lines.push_back(line);
            bytes = &rest[1..];
        }
        self.extend_partial(bytes)
    }

    fn extend_partial(&mut self, bytes: &[u8]) -> Result<(), ReplyError> {
        // +1 leaves room for the CR of a CRLF that is split across pushes.
        if self.partial.len() + bytes.len() > self.max_line_bytes + 1 {
            return Err(self.fail(ReplyError::LineTooLong {
                limit: self.max_line_bytes,
            }));
        }
        self.partial.extend_from_slice(bytes);
        Ok(())
    }

    fn fail(&mut self, err: ReplyError) -> ReplyError {
        self.failed = Some(err.clone());
        self.partial = Vec::new();
        self.lines.clear();
        self.open = None;
        err
    }

    /// The next complete reply, if the pushed bytes hold one.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        while let Some(line) = self.lines.pop_front() {
            match self.open.take() {
                None => {
                    let Some((code, sep)) = parse_code(&line) else {
                        // Some servers send a stray empty line between replies; tolerate that.
                        if line.iter().all(u8::is_ascii_whitespace) {
                            continue;
                        }
                        let shown =
                            String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                        return Err(self.fail(ReplyError::Malformed { line: shown }));
                    };
                    if sep == b'-' {
                        self.open_bytes = wire_len(&line);
                        self.open = Some(Reply {
                            code,
                            lines: vec![line],
                        });
                    } else {
                        return Ok(Some(Reply {
                            code,
                            lines: vec![line],
                        }));
                    }
                }
                Some(mut reply) => {
                    self.open_bytes += wire_len(&line);
                    if self.open_bytes > self.max_reply_bytes {
                        return Err(self.fail(ReplyError::ReplyTooLong {
                            limit: self.max_reply_bytes,
                        }));
                    }
                    // Only the same code followed by a space closes the block.
                    let closes =
                        matches!(parse_code(&line), Some((code, b' ')) if code == reply.code);
                    reply.lines.push(line);
                    if closes {
                        return Ok(Some(reply));
                    }
                    self.open = Some(reply);
                }
            }
        }
        Ok(None)
    }

    /// True when bytes of an unfinished reply are buffered (a server that closes now cut it off).
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty() || self.open.is_some() || !self.lines.is_empty()
    }
}

/// The bytes a line took on the wire, its CRLF counted. Counting only its text let a
/// multi-line reply of empty lines grow without bound: each costs a `Vec` but added 0.
pub fn wire_len(line: &[u8]) -> usize {
    line.len() + 2
}

/// `DDD ` / `DDD-` / bare `DDD` at the start of a line; the code's first digit must be 1-5.
fn parse_code(line: &[u8]) -> Option<(ReplyCode, u8)> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(&digits[0]) {
        return None;
    }
    let sep = match line.get(3) {
        None => b' ',
        Some(&b) if b == b' ' || b == b'-' => b,
        Some(_) => return None,
    };
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((ReplyCode(code), sep))
}

/// The byte count a reply that starts a transfer announces, as vsftpd, proftpd and
/// FileZilla Server write it: "150 Opening BINARY mode data connection for f (1234 bytes)".
/// The last "(N bytes)" of the reply counts; anything else ("kbytes", no number) is none.
pub fn announced_size(reply: &Reply) -> Option<u64> {
    reply.lines.iter().rev().find_map(|line| {
        let end = find_last(line, b" bytes)")?;
        let open = line[..end].iter().rposition(|&b| b == b'(')?;
        let digits = &line[open + 1..end];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    })
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Result<Vec<Reply>, ReplyError> {
        let mut parser = ReplyParser::new();
        parser.push(bytes)?;
        let mut out = Vec::new();
        while let Some(reply) = parser.next_reply()? {
            out.push(reply);
        }
        Ok(out)
    }

    #[test]
    fn single_line_reply_is_parsed() {
        let replies = parse_all(b"220 (vsFTPd 3.0.3)\r\n").unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].code, ReplyCode(220));
        assert_eq!(replies[0].text(), "(vsFTPd 3.0.3)");
    }

    #[test]
    fn multi_line_reply_runs_until_same_code_and_space() {
        let bytes = b"211-Features:\r\n EPRT\r\n 211 looks like an end but is indented\r\n\
                      211-still going\r\n226 another code inside\r\n211 End\r\n200 next\r\n";
        let replies = parse_all(bytes).unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].code, ReplyCode(211));
        assert_eq!(replies[0].lines.len(), 6);
        assert_eq!(replies[0].body_lines().len(), 4);
        assert_eq!(replies[0].last_text(), "End");
        assert_eq!(replies[1].code, ReplyCode(200));
    }

    #[test]
    fn pure_ftpd_multi_line_banner_is_one_reply() {
        let bytes = b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n\
                      220-You are user number 1 of 5 allowed.\r\n\
                      220-Local time is now 10:00. Server port: 2131.\r\n\
                      220 You will be disconnected after 15 minutes of inactivity.\r\n";
        let replies = parse_all(bytes).unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].lines.len(), 4);
    }

    #[test]
    fn bytes_split_anywhere_give_the_same_replies() {
        let bytes: &[u8] = b"230-Welcome\r\n text\r\n230 Login ok\r\n257 \"/a\"\"b\" is cwd\n";
        let whole = parse_all(bytes).unwrap();
        for chunk in 1..bytes.len() {
            let mut parser = ReplyParser::new();
            let mut got = Vec::new();
            for piece in bytes.chunks(chunk) {
                parser.push(piece).unwrap();
                while let Some(reply) = parser.next_reply().unwrap() {
                    got.push(reply);
                }
            }
            assert_eq!(got, whole, "chunk size {chunk}");
            assert!(!parser.has_partial());
        }
    }

    #[test]
    fn bare_lf_line_endings_are_accepted() {
        let replies = parse_all(b"200 ok\n331 need password\n").unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[1].code, ReplyCode(331));
    }

    #[test]
    fn overlong_line_is_an_error_without_unbounded_buffering() {
        let mut parser = ReplyParser::new();
        let chunk = vec![b'x'; 8192];
        let mut result = Ok(());
        for _ in 0..20 {
            result = parser.push(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(
            result,
            Err(ReplyError::LineTooLong {
                limit: MAX_LINE_BYTES
            })
        );
        assert!(parser.partial.capacity() <= 2 * MAX_LINE_BYTES);
        // Sticky: the connection is not trusted afterwards.
        assert!(parser.push(b"200 ok\r\n").is_err());
    }

    /// Found while writing the fuzz property "no line over the cap": the byte of slack
    /// kept for a CR split off by a chunk boundary let a 64 KiB + 1 byte line through.
    #[test]
    fn line_one_byte_over_the_cap_is_refused_and_a_line_at_the_cap_is_kept() {
        let mut at_cap = b"200 ".to_vec();
        at_cap.resize(MAX_LINE_BYTES, b'k');
        let mut parser = ReplyParser::new();
        parser.push(&at_cap).unwrap();
        parser.push(b"\r").unwrap();
        parser.push(b"\n").unwrap();
        assert_eq!(parser.next_reply().unwrap().unwrap().lines[0], at_cap);

        let mut over = at_cap.clone();
        over.push(b'k');
        for pieces in [vec![&over[..], b"\n"], vec![&over[..], b"\r\n"]] {
            let mut parser = ReplyParser::new();
            let result = pieces.iter().try_for_each(|p| parser.push(p));
            assert_eq!(
                result,
                Err(ReplyError::LineTooLong {
                    limit: MAX_LINE_BYTES
                })
            );
        }
    }

    #[test]
    fn overlong_multi_line_reply_is_an_error() {
        let mut parser = ReplyParser::new();
        parser.push(b"211-start\r\n").unwrap();
        let line = [b'y'; 1000];
        let mut err = None;
        for _ in 0..2000 {
            parser.push(&line).unwrap();
            parser.push(b"\r\n").unwrap();
            match parser.next_reply() {
                Ok(None) => {}
                Ok(Some(_)) => panic!("the reply never ended"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(
            err,
            Some(ReplyError::ReplyTooLong {
                limit: MAX_REPLY_BYTES
            })
        );
    }

    /// Found while writing fuzz/reply's property "no reply over the cap, CRLFs counted":
    /// empty lines inside a multi-line reply were counted as 0 bytes, so `211-` followed by
    /// endless CRLFs grew the reply (a `Vec` per line) without ever reaching the cap.
    #[test]
    fn endless_empty_lines_inside_a_reply_reach_the_cap() {
        let mut parser = ReplyParser::with_limits(64, 1000);
        parser.push(b"211-start\r\n").unwrap();
        let mut err = None;
        for _ in 0..1000 {
            parser.push(b"\r\n").unwrap();
            match parser.next_reply() {
                Ok(None) => {}
                Ok(Some(reply)) => panic!("the reply never ended: {reply:?}"),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(err, Some(ReplyError::ReplyTooLong { limit: 1000 }));
    }

    #[test]
    fn custom_limits_apply_to_lines() {
        let mut parser = ReplyParser::with_limits(8, 100);
        parser.push(b"200 1234\r\n").unwrap();
        assert_eq!(parser.next_reply().unwrap().unwrap().lines[0], b"200 1234");
        assert_eq!(
            parser.push(b"200 12345\r\n"),
            Err(ReplyError::LineTooLong { limit: 8 })
        );
    }

    #[test]
    fn garbage_line_is_malformed() {
        assert!(matches!(
            parse_all(b"hello there\r\n"),
            Err(ReplyError::Malformed { .. })
        ));
        assert!(matches!(
            parse_all(b"99 short\r\n"),
            Err(ReplyError::Malformed { .. })
        ));
        assert!(matches!(
            parse_all(b"200x\r\n"),
            Err(ReplyError::Malformed { .. })
        ));
    }

    #[test]
    fn unknown_codes_are_kept() {
        let replies = parse_all(b"599 custom\r\n").unwrap();
        assert_eq!(replies[0].code, ReplyCode(599));
        assert!(replies[0].code.is_permanent_failure());
    }

    #[test]
    fn unfinished_reply_is_reported_as_partial() {
        let mut parser = ReplyParser::new();
        parser.push(b"211-Features:\r\n MDTM\r\n").unwrap();
        assert_eq!(parser.next_reply().unwrap(), None);
        assert!(parser.has_partial());
    }

    #[test]
    fn a_transfer_reply_announces_its_size_or_none() {
        let size = |text: &str| announced_size(&Reply::new(150, text));
        assert_eq!(
            size("Opening BINARY mode data connection for big.bin (1073741824 bytes)."),
            Some(1_073_741_824)
        );
        assert_eq!(size("Opening data connection for a (b) (0 bytes)"), Some(0));
        assert_eq!(
            size("Opening data connection for (12 bytes) (34 bytes)"),
            Some(34)
        );
        assert_eq!(size("Accepted data connection"), None);
        assert_eq!(size("1000.0 kbytes to download"), None);
        assert_eq!(size("for x ( bytes)"), None);
        assert_eq!(size("for x (-5 bytes)"), None);
        assert_eq!(size("for x (99999999999999999999999 bytes)"), None);
    }
}
