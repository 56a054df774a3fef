//! Directory listings: MLSD facts and the many LIST formats, parsed from raw bytes.
//!
//! [`ListingParser`] frames lines incrementally (any chunking, CRLF or LF, lines over
//! 64 KiB dropped), joins VMS entries that span two lines, and tries each format on each
//! line as FileZilla does: MLSD facts, EPLF, Unix `ls -l` (and its relatives), DOS/IIS,
//! VMS, a few rarer ones, and the mainframe formats (some only with a server-type hint).
//! Lines that are not entries (`total 12`, banners, blank lines) produce nothing.
//!
//! `.` and `..` are reported as listed (LIST -a lines; MLSD `cdir`/`pdir` come out named
//! `.` and `..` whatever name the server gave them), because the conformance data expects
//! them; a browsing client drops them by name (see `net`). [`parse_mlsx_line`], meant for
//! MLST replies, returns `None` for `cdir`/`pdir`.
//!
//! ```text
//! drwxr-xr-x    2 999      995          4096 Nov 24 21:11 dir with spaces
//! type=file;size=21;modify=20261124211120;UNIX.mode=0644; readme.txt
//! ```

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

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokens::Line;

/// The longest listing line kept (without its line end); longer ones are dropped without
/// buffering them.
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

/// The most one listing may hold. The defaults take a real folder of 1,000,000 entries
/// (about 100 MB of LIST lines); past either cap the listing fails, so a hostile server's
/// endless listing ends with an error instead of taking all memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ListingLimits {
    /// Bytes of listing data.
    pub max_bytes: u64,
    /// Entries parsed.
    pub max_entries: usize,
    /// The slowest a listing may come, in bytes per second, after a first timeout's grace:
    /// a listing dripped a few bytes a second would otherwise never end. 0: no floor.
    pub min_rate: u64,
}

impl ListingLimits {
    pub const DEFAULT: ListingLimits = ListingLimits {
        max_bytes: 512 * 1024 * 1024,
        max_entries: 1_000_000,
        min_rate: 1024,
    };
    /// No cap: for parsing data already in memory (tests, conformance, fuzzing).
    pub const UNLIMITED: ListingLimits = ListingLimits {
        max_bytes: u64::MAX,
        max_entries: usize::MAX,
        min_rate: 0,
    };

    /// How long a listing that has brought `received` bytes may have taken so far: the
    /// timeout, plus what those bytes take at the floor rate. `None`: no floor.
    pub fn allowed_time(&self, received: u64, timeout: Duration) -> Option<Duration> {
        (self.min_rate > 0).then(|| {
            timeout.saturating_add(Duration::from_secs_f64(
                received as f64 / self.min_rate as f64,
            ))
        })
    }
}

impl Default for ListingLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A listing that went past one of its caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ListingTooLarge {
    #[error(
        "the listing is larger than the limit of {limit} bytes (listing_max_bytes in settings.toml)"
    )]
    Bytes { limit: u64 },
    #[error(
        "the listing has more than the limit of {limit} entries (listing_max_entries in settings.toml)"
    )]
    Entries { limit: usize },
}

/// Incremental listing parser: push bytes as they arrive, take the entries at the end.
pub struct ListingParser {
    format: ListingFormat,
    server: ServerType,
    now: Timestamp,
    limits: ListingLimits,
    bytes: u64,
    /// A cap was passed: everything after is ignored (sticky).
    too_large: Option<ListingTooLarge>,
    partial: Vec<u8>,
    /// The current line grew past the limit: skip until its end.
    overlong: bool,
    /// A VMS name alone on its line, waiting for its details on the next one.
    pending_vms_name: Option<Vec<u8>>,
    entries: Vec<Entry>,
    /// Permissions and owners seen, shared by the entries that repeat them.
    texts: HashSet<Arc<str>>,
}

/// The most distinct permission and owner texts shared: past it (a server that makes each
/// one unique), entries keep their own.
const MAX_SHARED_TEXTS: usize = 4096;

impl ListingParser {
    /// `now` is used only to infer the year of dates listed without one.
    pub fn new(format: ListingFormat, server: ServerType, now: Timestamp) -> Self {
        Self {
            format,
            server,
            now,
            limits: ListingLimits::UNLIMITED,
            bytes: 0,
            too_large: None,
            partial: Vec::new(),
            overlong: false,
            pending_vms_name: None,
            entries: Vec::new(),
            texts: HashSet::new(),
        }
    }

    /// The same parser, failing past `limits` (see [`ListingParser::too_large`]).
    pub fn with_limits(mut self, limits: ListingLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The cap the listing went past, if it did: the caller stops reading and fails.
    pub fn too_large(&self) -> Option<ListingTooLarge> {
        self.too_large
    }

    pub fn push(&mut self, mut chunk: &[u8]) {
        if self.too_large.is_some() {
            return;
        }
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
        if self.bytes > self.limits.max_bytes {
            self.too_large = Some(ListingTooLarge::Bytes {
                limit: self.limits.max_bytes,
            });
            return;
        }
        while let Some(newline) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(newline);
            self.extend_partial(head);
            let line = std::mem::take(&mut self.partial);
            if !std::mem::take(&mut self.overlong) {
                self.line(&line);
            }
            if self.too_large.is_some() {
                return;
            }
            chunk = &rest[1..];
        }
        self.extend_partial(chunk);
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        // One byte of slack for the CR of a CRLF that a chunk boundary split off.
        if self.partial.len() + bytes.len() > MAX_LINE_BYTES + 1 {
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
        if line.len() > MAX_LINE_BYTES {
            return;
        }
        if let Some(mut name) = self.pending_vms_name.take() {
            // The details of a VMS entry whose name filled the previous line.
            name.push(b' ');
            name.extend_from_slice(line);
            if let Some(entry) = vms::parse(&Line::new(&name)) {
                self.add(entry);
                return;
            }
            self.single(&name[..name.len() - line.len() - 1]);
        }
        // Whatever the hint: a `;version` cannot be an MVS member name, and SYST may not
        // say VMS.
        if self.format == ListingFormat::List {
            let tokens = Line::new(line);
            if tokens.len() == 1 && tokens.tok(0).is_some_and(vms::is_versioned_name) {
                self.pending_vms_name = Some(line.trim_ascii().to_vec());
                return;
            }
        }
        self.single(line);
    }

    fn single(&mut self, line: &[u8]) {
        if let Some(entry) = parse_line(line, self.format, self.server, self.now)
            // No format may yield a nameless entry: it could not be addressed.
            && !entry.name.is_empty()
        {
            self.add(entry);
        }
    }

    fn add(&mut self, mut entry: Entry) {
        if self.entries.len() >= self.limits.max_entries {
            self.too_large = Some(ListingTooLarge::Entries {
                limit: self.limits.max_entries,
            });
            return;
        }
        self.share(&mut entry.permissions);
        self.share(&mut entry.owner_group);
        self.entries.push(entry);
    }

    /// The copy of `text` the parser has already, if any: a million entries with the same
    /// permissions hold them once.
    fn share(&mut self, text: &mut Option<Arc<str>>) {
        let Some(own) = text else {
            return;
        };
        match self.texts.get(&**own) {
            Some(shared) => *own = Arc::clone(shared),
            None if self.texts.len() < MAX_SHARED_TEXTS => {
                self.texts.insert(Arc::clone(own));
            }
            None => {}
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
        return facts_entry(line);
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
        && let Some(entry) = facts_entry(line)
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

/// A fact line as a listing entry: the listed directory and its parent become `.` and `..`
/// (servers may name them by path, which would otherwise look like a subdirectory).
fn facts_entry(line: &[u8]) -> Option<Entry> {
    let (mut entry, role) = mlsd::parse_facts(line)?;
    match role {
        mlsd::Role::Member => {}
        mlsd::Role::Current => entry.name = b".".to_vec(),
        mlsd::Role::Parent => entry.name = b"..".to_vec(),
    }
    Some(entry)
}

/// MLSD-style facts in a LIST stream: `name=value;` before the first blank, or an old
/// draft's lone `type=` fact.
fn looks_like_facts(tokens: &Line<'_>) -> bool {
    tokens.tok(0).is_some_and(|t| {
        t.contains(&b'=')
            && (t.contains(&b';') || t.get(..5).is_some_and(|k| k.eq_ignore_ascii_case(b"type=")))
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

    fn list(bytes: &[u8]) -> Vec<Entry> {
        parse_listing(bytes, ListingFormat::List, ServerType::Auto, now())
    }

    fn names(entries: &[Entry]) -> Vec<&[u8]> {
        entries.iter().map(|e| e.name.as_slice()).collect()
    }

    /// vsftpd 3.0.3 `LIST -a`, verbatim (peers/captures/vsftpd-LIST-a.txt, abridged).
    const VSFTPD_LIST_A: &[u8] = b"drwxr-xr-x    5 999      995          4096 Nov 24 22:02 .\r\n\
drwxr-xr-x    5 999      995          4096 Nov 24 22:02 ..\r\n\
-rw-r--r--    1 999      995             4 Nov 24 21:11 .hidden\r\n\
drwxr-xr-x    2 999      995          4096 Nov 24 21:11 dir with spaces\r\n\
lrwxrwxrwx    1 999      995            10 Nov 24 21:11 link-to-readme -> readme.txt\r\n\
-rw-r--r--    1 999      995             4 Feb 03  2001 old-2001.txt\r\n\
-rw-r--r--    1 999      995             5 Nov 24 21:11 \xc3\xbcn\xc3\xaf\xc3\xa7\xc3\xb6d\xc3\xa9-\xe5\x90\x8d\xe5\x89\x8d.txt\r\n";

    #[test]
    fn vsftpd_capture_parses_every_line_and_keeps_dot_entries() {
        let entries = list(VSFTPD_LIST_A);
        assert_eq!(
            names(&entries),
            [
                &b"."[..],
                b"..",
                b".hidden",
                b"dir with spaces",
                b"link-to-readme",
                b"old-2001.txt",
                "ünïçödé-名前.txt".as_bytes(),
            ]
        );
        assert_eq!(entries[4].link_target.as_deref(), Some(&b"readme.txt"[..]));
        assert_eq!(entries[5].modified.unwrap().to_string(), "2001-02-03");
        assert_eq!(entries[2].modified.unwrap().to_string(), "2026-11-24 21:11");
    }

    #[test]
    fn pure_ftpd_mlsd_capture_names_cdir_and_pdir_dot_and_dotdot() {
        let listing = b"type=cdir;sizd=4096;modify=20261124214233;UNIX.mode=0755;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b3; .\r\n\
type=file;size=21;modify=20261124211120;UNIX.mode=0644;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b4; readme.txt\r\n\
type=pdir;sizd=4096;modify=20261124214233;UNIX.mode=0755;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b3; ..\r\n";
        let entries = parse_listing(listing, ListingFormat::Mlsd, ServerType::Auto, now());
        assert_eq!(names(&entries), [&b"."[..], b"readme.txt", b".."]);
        assert_eq!(entries[1].size, Some(21));
        assert_eq!(entries[1].permissions.as_deref(), Some("0644"));
    }

    #[test]
    fn cdir_named_by_path_does_not_look_like_a_subdirectory() {
        // RFC 3659's own example names the listed directory `tmp` or `/tmp`.
        let listing = b"Type=cdir;Modify=19981107085215;Perm=el; /tmp\r\n\
Type=pdir;Modify=19990112030508;Perm=el; ..\r\n\
Type=file;Size=25730;Modify=19940728095854;Perm=; capmux.tar.z\r\n";
        let entries = parse_listing(listing, ListingFormat::Mlsd, ServerType::Auto, now());
        assert_eq!(names(&entries), [&b"."[..], b"..", b"capmux.tar.z"]);
    }

    #[test]
    fn mlsd_stream_skips_lines_that_are_not_facts() {
        let listing = b"type=file;size=1; a\r\n\r\ngarbage without facts\r\ntype=dir; b\r\n";
        let entries = parse_listing(listing, ListingFormat::Mlsd, ServerType::Auto, now());
        assert_eq!(names(&entries), [&b"a"[..], b"b"]);
    }

    #[test]
    fn bare_lf_and_missing_final_newline_are_fine() {
        let entries =
            list(b"total 8\n-rw-r--r-- 1 u g 5 Jan 01 2020 a\n-rw-r--r-- 1 u g 6 Jan 01 2020 b");
        assert_eq!(names(&entries), [&b"a"[..], b"b"]);
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_entries() {
        let listing: &[u8] = b"-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n04-27-00  12:09PM       <DIR>          d\r\nx.DIR;1\r\n 1 19-NOV-2001 21:41\r\ntype=file;size=3; m\r\n";
        let whole = list(listing);
        assert_eq!(names(&whole), [&b"a.txt"[..], b"d", b"x", b"m"]);
        for size in 1..listing.len() {
            let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
            for chunk in listing.chunks(size) {
                parser.push(chunk);
            }
            assert_eq!(parser.finish(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn vms_name_line_without_details_is_not_lost() {
        // The joined line fails, so the name-only line is parsed alone (no entry for a
        // VMS name without a date) and the next line still counts.
        let entries = list(b"LONG-NAME.TXT;1\r\n-rw-r--r-- 1 u g 5 Jan 01 2020 a\r\n");
        assert_eq!(names(&entries), [&b"a"[..]]);
    }

    #[test]
    fn vms_two_line_entry_is_joined_even_with_a_hint() {
        let listing = b"40-vms-multiline-file;1\r\n170774/170775     24-APR-2003 08:16:15  [FTP_CLIENT,SCOT]      (RWED,RWED,RE,)\r\n";
        let entries = parse_listing(listing, ListingFormat::List, ServerType::Mvs, now());
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].size, Some(170_774 * 512));
    }

    #[test]
    fn overlong_line_is_dropped_and_parsing_goes_on() {
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
        for _ in 0..3 {
            parser.push(&vec![b'x'; MAX_LINE_BYTES]);
            assert!(parser.partial.len() <= MAX_LINE_BYTES + 1);
        }
        parser.push(b"\r\n-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n");
        assert_eq!(names(&parser.finish()), [&b"a.txt"[..]]);
    }

    #[test]
    fn line_of_exactly_the_limit_is_kept_even_when_its_cr_comes_separately() {
        let mut line = b"-rw-r--r-- 1 u g 5 Jan 01 2020 ".to_vec();
        line.resize(MAX_LINE_BYTES, b'n');
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
        parser.push(&line);
        parser.push(b"\r");
        parser.push(b"\n");
        let entries = parser.finish();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name.len(), MAX_LINE_BYTES - 31);
        line.push(b'n');
        assert!(list(&[line.as_slice(), b"\r\n"].concat()).is_empty());
    }

    #[test]
    fn unterminated_overlong_tail_is_dropped_at_finish() {
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
        parser.push(b"-rw-r--r-- 1 u g 5 Jan 01 2020 a\r\n");
        parser.push(&vec![b'y'; MAX_LINE_BYTES + 10]);
        assert_eq!(parser.finish().len(), 1);
    }

    #[test]
    fn extreme_now_does_not_overflow() {
        let edge = Timestamp {
            year: i32::MIN,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            precision: TimePrecision::Second,
        };
        for now in [
            edge,
            Timestamp {
                year: i32::MAX,
                ..edge
            },
        ] {
            let entries = parse_listing(
                b"-rw-r--r-- 1 u g 5 Dec 31 10:00 a\r\n",
                ListingFormat::List,
                ServerType::Auto,
                now,
            );
            assert_eq!(entries.len(), 1);
        }
    }

    /// Lines glued from pieces of every format, with random bytes: nothing may panic,
    /// whatever the format and hint.
    #[test]
    fn random_lines_from_format_pieces_never_panic() {
        const PIECES: &[&[u8]] = &[
            b"-rw-r--r--",
            b"drwxr-xr-x",
            b"lrwxrwxrwx",
            b"crw-rw-rw-",
            b"d",
            b"[R----F--]",
            b"1",
            b"0",
            b"999",
            b"18446744073709551615",
            b"99999999999999999999999",
            b"1,",
            b"33.5k",
            b"9,730",
            b"Jan",
            b"Okt.",
            b"26.",
            b"Juli,",
            b"4\x8c\x8e",
            b"2003\x94N",
            b"\xeb\x85\x84",
            b"Feb",
            b"29",
            b"31",
            b"24:00",
            b"12:09PM",
            b"10:30:13.64",
            b"1994",
            b"2005-06-07",
            b"09-26",
            b"04-27-00",
            b"<DIR>",
            b"->",
            b"x;1",
            b".DIR;1",
            b"19-NOV-2001",
            b"2/8",
            b"[root,root]",
            b"(RWE,RWE,RE,RE)",
            b"*DIR",
            b"*FILE",
            b"02/23/00",
            b"18.09.06",
            b"PS",
            b"PO",
            b"PO-E",
            b"VSAM",
            b"**NONE**",
            b"2003/05/21",
            b"00B308",
            b"Tape",
            b"Migrated",
            b"type=file;",
            b"type=cdir;",
            b"size=3;",
            b"modify=20081105165215;",
            b"type=OS.unix=slink:/a;",
            b"+i1,m825718503,/,\t",
            b"+",
            b"=",
            b";",
            b"0100644",
            b"123456789",
            b"Thur.",
            b"Feb-28-1998",
            b"20.20",
            b"07/03/29",
            b"d-ewrewr",
            b"6-Apr-07",
            b"\"oooo\"",
            b"255,",
            b"A",
            b"DIR",
            b"04-23-103",
            b"\xff",
            b"\0",
            b"\r",
            b"\t",
            b" ",
            b"",
            b"/",
            b"-",
            b".",
            b"..",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut listing = Vec::new();
        for _ in 0..20_000 {
            for _ in 0..next(12) + 1 {
                listing.extend_from_slice(PIECES[next(PIECES.len())]);
                listing.push(if next(8) == 0 { b'\t' } else { b' ' });
            }
            listing.extend_from_slice(if next(3) == 0 { b"\n" } else { b"\r\n" });
        }
        for server in [
            ServerType::Auto,
            ServerType::Mvs,
            ServerType::Zvm,
            ServerType::HpNonStop,
        ] {
            for format in [ListingFormat::List, ListingFormat::Mlsd] {
                let entries = parse_listing(&listing, format, server, now());
                assert!(entries.iter().all(|e| !e.name.is_empty()));
            }
        }
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

    #[test]
    fn a_listing_may_take_the_timeout_plus_its_bytes_at_the_floor_rate() {
        let timeout = Duration::from_secs(20);
        let limits = ListingLimits::DEFAULT;
        assert_eq!(limits.allowed_time(0, timeout), Some(timeout));
        // A drip of 2 bytes a second has 40 bytes after 20 s: it is out of time.
        assert!(limits.allowed_time(40, timeout).unwrap() < Duration::from_secs(21));
        // 100 MiB at the floor of 1 KiB/s: over a day, so any real link is fine.
        let big = limits.allowed_time(100 << 20, timeout).unwrap();
        assert_eq!(big, timeout + Duration::from_secs(102_400));
        assert_eq!(ListingLimits::UNLIMITED.allowed_time(1, timeout), None);
    }

    #[test]
    fn a_listing_past_its_caps_stops_growing_and_says_which_cap() {
        let now = Timestamp::from_unix_secs(1_700_000_000);
        let line = b"-rw-r--r-- 1 u g 5 Jan 01 2020 a\r\n";
        let limits = ListingLimits {
            max_bytes: 1 << 20,
            max_entries: 3,
            min_rate: 0,
        };
        let mut parser =
            ListingParser::new(ListingFormat::List, ServerType::Auto, now).with_limits(limits);
        for _ in 0..3 {
            parser.push(line);
        }
        assert_eq!(parser.too_large(), None, "three entries fit");
        parser.push(&line.repeat(10));
        assert_eq!(
            parser.too_large(),
            Some(ListingTooLarge::Entries { limit: 3 })
        );
        assert_eq!(parser.finish().len(), 3);

        let limits = ListingLimits {
            max_bytes: 100,
            max_entries: 1_000,
            min_rate: 0,
        };
        let mut parser =
            ListingParser::new(ListingFormat::List, ServerType::Auto, now).with_limits(limits);
        parser.push(&[b'x'; 100]);
        assert_eq!(parser.too_large(), None, "exactly the cap is allowed");
        parser.push(b"y");
        let too_large = parser.too_large().unwrap();
        assert_eq!(too_large, ListingTooLarge::Bytes { limit: 100 });
        assert!(too_large.to_string().contains("100 bytes"), "{too_large}");
        // Nothing more is taken once a cap is passed.
        parser.push(line);
        assert!(parser.finish().is_empty());
    }

    #[test]
    fn the_default_caps_take_a_folder_of_a_million_entries() {
        let limits = ListingLimits::default();
        assert!(limits.max_entries >= 1_000_000);
        // A million LIST lines of a typical length (`ls -l` with 30-byte names).
        assert!(limits.max_bytes >= 1_000_000 * 100);
    }
}
