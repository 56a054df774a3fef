//! Directory listings: MLSD facts and the many LIST formats, parsed from raw bytes.
//!
//! [`ListingParser`] frames lines incrementally (any chunking, CRLF or LF, lines over
//! 64 KiB dropped), joins VMS entries that span two lines, and tries each format on each
//! line as FileZilla does: MLSD facts, EPLF, Unix `ls -l` (and its relatives), DOS/IIS,
//! VMS, a few rarer ones, and the mainframe formats (some only with a server-type hint).
//! Lines that are not entries (`total 12`, banners, blank lines) produce nothing.
//! `.` and `..` entries are kept here; a browsing client drops them (see `net`).

mod dos;
mod entry;
mod eplf;
mod mainframe;
mod misc;
mod mlsd;
mod tokens;
mod unix;
mod vms;

pub use entry::*;
pub use mlsd::parse_mlsx_line;

use tokens::Line;

/// The longest listing line kept; longer ones are dropped without buffering them.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Server-type hint (from SYST or the site settings); `Auto` detects per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerType {
    #[default]
    Auto,
    Mvs,
    Zvm,
    HpNonStop,
}

impl ServerType {
    /// The hint a SYST reply gives (`215 MVS is the operating system of this server`).
    pub fn from_syst(text: &str) -> Self {
        let upper = text.to_ascii_uppercase();
        if upper.starts_with("MVS") {
            ServerType::Mvs
        } else if upper.starts_with("Z/VM") || upper.starts_with("VM/") {
            ServerType::Zvm
        } else if upper.starts_with("NONSTOP") || upper.contains("HP NONSTOP") {
            ServerType::HpNonStop
        } else {
            ServerType::Auto
        }
    }
}

/// What the data connection carries: an MLSD stream or a LIST stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingFormat {
    List,
    Mlsd,
}

/// Incremental listing parser: push bytes as they arrive, take the entries at the end.
pub struct ListingParser {
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
    partial: Vec<u8>,
    /// The current line grew past the limit: skip until its end.
    overlong: bool,
    /// A VMS name alone on its line, waiting for its details on the next one.
    pending_vms_name: Option<Vec<u8>>,
    entries: Vec<Entry>,
}

impl ListingParser {
    /// `now` is used only to infer the year of dates listed without one.
    pub fn new(format: ListingFormat, server: ServerType, now: Timestamp) -> Self {
        Self {
            format,
            server,
            now,
            partial: Vec::new(),
            overlong: false,
            pending_vms_name: None,
            entries: Vec::new(),
        }
    }

    pub fn push(&mut self, mut chunk: &[u8]) {
        while let Some(newline) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(newline);
            self.extend_partial(head);
            let line = std::mem::take(&mut self.partial);
            if !std::mem::take(&mut self.overlong) {
                self.line(&line);
            }
            chunk = &rest[1..];
        }
        self.extend_partial(chunk);
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE_BYTES {
            self.partial = Vec::new();
            self.overlong = true;
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    pub fn finish(mut self) -> Vec<Entry> {
        let line = std::mem::take(&mut self.partial);
        if !self.overlong && !line.is_empty() {
            self.line(&line);
        }
        if let Some(name) = self.pending_vms_name.take() {
            self.single(&name);
        }
        self.entries
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(mut name) = self.pending_vms_name.take() {
            // The details of a VMS entry whose name filled the previous line.
            name.push(b' ');
            name.extend_from_slice(line);
            if let Some(entry) = vms::parse(&Line::new(&name)) {
                self.entries.push(entry);
                return;
            }
            self.single(&name[..name.len() - line.len() - 1]);
        }
        if self.format == ListingFormat::List && self.server == ServerType::Auto {
            let tokens = Line::new(line);
            if tokens.len() == 1 && tokens.tok(0).is_some_and(vms::is_versioned_name) {
                self.pending_vms_name = Some(line.trim_ascii().to_vec());
                return;
            }
        }
        self.single(line);
    }

    fn single(&mut self, line: &[u8]) {
        if let Some(entry) = parse_line(line, self.format, self.server, self.now) {
            self.entries.push(entry);
        }
    }
}

/// One line in any format; `None` when it is not an entry.
fn parse_line(
    line: &[u8],
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
) -> Option<Entry> {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    if format == ListingFormat::Mlsd {
        return parse_mlsx_line(line);
    }
    let tokens = Line::new(line);
    let hinted = match server {
        ServerType::Auto => None,
        ServerType::Mvs => {
            mainframe::mvs_dataset(&tokens).or_else(|| mainframe::mvs_hinted(&tokens))
        }
        ServerType::Zvm => mainframe::zvm(&tokens),
        ServerType::HpNonStop => mainframe::hp_nonstop(&tokens),
    };
    if hinted.is_some() {
        return hinted;
    }
    if looks_like_facts(&tokens)
        && let Some(entry) = parse_mlsx_line(line)
    {
        return Some(entry);
    }
    if line.starts_with(b"+") {
        return eplf::parse(line);
    }
    unix::parse(&tokens, now)
        .or_else(|| dos::parse(&tokens))
        .or_else(|| vms::parse(&tokens))
        .or_else(|| misc::parse(&tokens))
        .or_else(|| mainframe::mvs_dataset(&tokens))
}

/// MLSD-style facts in a LIST stream: `name=value;` before the first blank.
fn looks_like_facts(tokens: &Line<'_>) -> bool {
    tokens.tok(0).is_some_and(|t| {
        t.contains(&b'=')
            && (t.contains(&b';') || t.starts_with(b"type=") || t.starts_with(b"Type="))
    })
}

/// A whole listing at once.
pub fn parse_listing(
    bytes: &[u8],
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
) -> Vec<Entry> {
    let mut parser = ListingParser::new(format, server, now);
    parser.push(bytes);
    parser.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second).unwrap()
    }

    #[test]
    fn vsftpd_capture_parses_every_line() {
        let listing =
            b"drwxr-xr-x    2 999      995          4096 Nov 25 09:58 dir with spaces\r\n\
-rw-r--r--    1 999      995             0 Nov 25 09:58 empty.dat\r\n\
lrwxrwxrwx    1 0        0              10 Nov 25 09:58 link-to-readme -> readme.txt\r\n\
-rw-r--r--    1 999      995             4 Feb 03  2001 old-2001.txt\r\n";
        let entries = parse_listing(listing, ListingFormat::List, ServerType::Auto, now());
        let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
        assert_eq!(
            names,
            [
                &b"dir with spaces"[..],
                b"empty.dat",
                b"link-to-readme",
                b"old-2001.txt"
            ]
        );
    }

    #[test]
    fn pure_ftpd_mlsd_keeps_cdir_for_the_caller_to_drop() {
        let listing = b"type=cdir;sizd=4096;modify=20261125095800;UNIX.mode=0755; .\r\n\
type=file;size=21;modify=20261125095800;UNIX.mode=0644; readme.txt\r\n";
        let entries = parse_listing(listing, ListingFormat::Mlsd, ServerType::Auto, now());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, b".");
        assert_eq!(entries[1].size, Some(21));
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_entries() {
        let listing: &[u8] = b"-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n04-27-00  12:09PM       <DIR>          d\r\nx.DIR;1\r\n 1 19-NOV-2001 21:41\r\n";
        let whole = parse_listing(listing, ListingFormat::List, ServerType::Auto, now());
        assert_eq!(whole.len(), 3);
        for size in 1..listing.len() {
            let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
            for chunk in listing.chunks(size) {
                parser.push(chunk);
            }
            assert_eq!(parser.finish(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn overlong_line_is_dropped_and_parsing_goes_on() {
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
        parser.push(&vec![b'x'; 3 * MAX_LINE_BYTES]);
        assert!(parser.partial.len() <= MAX_LINE_BYTES);
        parser.push(b"\r\n-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n");
        let entries = parser.finish();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn syst_reply_gives_the_hint() {
        assert_eq!(
            ServerType::from_syst(
                "MVS is the operating system of this server. FTP Server is running on z/OS."
            ),
            ServerType::Mvs
        );
        assert_eq!(ServerType::from_syst("UNIX Type: L8"), ServerType::Auto);
    }
}
