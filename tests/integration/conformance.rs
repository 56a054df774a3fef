//! Directory-listing conformance: the 118 rows of `tests/data/listings.tsv` (FileZilla's
//! dirparsertest.cpp and jlaffaye/ftp's parse_test.go; columns, escapes and conventions in
//! `tests/data/listings-README.md`), in FileZilla's three passes:
//!
//! 1. every row on its own, as a whole LIST response with its server-type hint;
//! 2. all rows without a hint in one stream, pushed in random chunk sizes;
//! 3. random CR/LF/space/TAB/NUL bytes inserted at every position: no panic, no hang.
//!
//! Year inference is made deterministic by fixing "now": `Y*` rows are checked with the
//! year FileZilla's rule gives for two different clocks.

use skiff::proto::listing::{
    Entry, EntryKind, ListingFormat, ListingParser, ServerType, TimePrecision, Timestamp,
    parse_listing,
};

/// Rows the parser gets wrong, each with the reason. The first test fails if a row outside
/// this list fails, and also if a row in it passes, so the list stays honest.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

const ROW_COUNT: usize = 118;

struct Row {
    id: String,
    hint: ServerType,
    format: String,
    line: Vec<u8>,
    name: Vec<u8>,
    /// `None` for the data's `-1` (unknown or not asserted).
    size: Option<u64>,
    /// `None` for `none`: the line must give no entry.
    kind: Option<EntryKind>,
    target: Vec<u8>,
    time: String,
    permissions: Vec<u8>,
    owner_group: Vec<u8>,
}

/// The README's escapes: `\t`, `\r`, `\n`, `\\` and `\xNN` (a raw byte).
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            other => panic!("unknown escape {other:?} in {text:?}"),
        }
        i += 2;
    }
    out
}

fn rows() -> Vec<Row> {
    let text = include_str!("../data/listings.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header[..11],
        [
            "case_id",
            "system_hint",
            "format",
            "listing_line",
            "expected_name",
            "expected_size",
            "expected_type",
            "expected_link_target",
            "expected_time",
            "expected_permissions",
            "expected_owner_group",
        ],
        "listings.tsv columns changed"
    );
    let rows: Vec<Row> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 11, "short row: {l}");
            Row {
                id: f[0].to_owned(),
                hint: match f[1] {
                    "" => ServerType::Auto,
                    "MVS" => ServerType::Mvs,
                    "ZVM" => ServerType::Zvm,
                    "HPNONSTOP" => ServerType::HpNonStop,
                    other => panic!("unknown hint {other}"),
                },
                format: f[2].to_owned(),
                line: unescape(f[3]),
                name: unescape(f[4]),
                size: match f[5] {
                    "-1" => None,
                    n => Some(n.parse().unwrap()),
                },
                kind: match f[6] {
                    "file" => Some(EntryKind::File),
                    "dir" => Some(EntryKind::Dir),
                    "link" => Some(EntryKind::Link),
                    "none" => None,
                    other => panic!("unknown type {other}"),
                },
                target: unescape(f[7]),
                time: f[8].to_owned(),
                permissions: unescape(f[9]),
                owner_group: unescape(f[10]),
            }
        })
        .collect();
    assert_eq!(rows.len(), ROW_COUNT);
    rows
}

fn clock(year: i32, month: u8, day: u8, hour: u8) -> Timestamp {
    Timestamp::new(year, month, day, hour, 0, 0, TimePrecision::Second).unwrap()
}

/// Late in the year most `Y*` dates are this year's; early in the year most are last
/// year's (this one is jlaffaye's fixed "now").
fn clocks() -> [Timestamp; 2] {
    [clock(2026, 11, 25, 12), clock(2017, 3, 10, 23)]
}

/// The README's year rule (FileZilla's): this year, unless the month and day would be more
/// than a day in the future, then last year.
fn expected_year(month: u8, day: u8, now: Timestamp) -> i32 {
    let tomorrow = Timestamp::from_unix_secs(now.to_unix_secs() + 86_400);
    if (month, day) > (tomorrow.month, tomorrow.day) && tomorrow.year == now.year {
        now.year - 1
    } else {
        now.year
    }
}

/// The expected time as the entry displays it; `Y*` gets the inferred year. fz-088's
/// `Apr  4 24:00` is expected as `Y*-04-05 00:00`: inferring from Apr 5 instead of Apr 4
/// changes nothing for these clocks.
fn expected_time(row: &Row, now: Timestamp) -> String {
    match row.time.strip_prefix("Y*") {
        Some(rest) => {
            let month: u8 = rest[1..3].parse().unwrap();
            let day: u8 = rest[4..6].parse().unwrap();
            format!("{}{rest}", expected_year(month, day, now))
        }
        None => row.time.clone(),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn check(row: &Row, entries: &[Entry], now: Timestamp) -> Result<(), String> {
    let Some(kind) = row.kind else {
        return match entries {
            [] => Ok(()),
            _ => Err(format!("expected no entry, got {entries:?}")),
        };
    };
    let [entry] = entries else {
        return Err(format!(
            "expected one entry, got {}: {entries:?}",
            entries.len()
        ));
    };
    let mut problems = Vec::new();
    if entry.name != row.name {
        problems.push(format!(
            "name {:?} != {:?}",
            lossy(&entry.name),
            lossy(&row.name)
        ));
    }
    if entry.kind != kind {
        problems.push(format!("kind {:?} != {kind:?}", entry.kind));
    }
    if row.size.is_some() && entry.size != row.size {
        problems.push(format!("size {:?} != {:?}", entry.size, row.size));
    }
    let target = entry.link_target.as_deref().unwrap_or_default();
    if target != row.target {
        problems.push(format!(
            "target {:?} != {:?}",
            lossy(target),
            lossy(&row.target)
        ));
    }
    if !row.time.is_empty() {
        let want = expected_time(row, now);
        let got = entry.modified.map(|t| t.to_string());
        if got.as_deref() != Some(want.as_str()) {
            problems.push(format!("time {got:?} != {want} (now {now})"));
        }
    }
    // Permission and owner strings are FileZilla's, so only fz rows carry them.
    if row.id.starts_with("fz-") {
        let perms = entry.permissions.as_deref().unwrap_or_default();
        if perms.as_bytes() != row.permissions {
            problems.push(format!(
                "permissions {perms:?} != {:?}",
                lossy(&row.permissions)
            ));
        }
        let owner = entry.owner_group.as_deref().unwrap_or_default();
        if owner.as_bytes() != row.owner_group {
            problems.push(format!(
                "owner/group {owner:?} != {:?}",
                lossy(&row.owner_group)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn with_crlf(line: &[u8]) -> Vec<u8> {
    [line, b"\r\n"].concat()
}

fn parse(bytes: &[u8], format: ListingFormat, hint: ServerType, now: Timestamp) -> Vec<Entry> {
    parse_listing(bytes, format, hint, now)
}

fn is_known_failure(id: &str) -> bool {
    KNOWN_FAILURES.iter().any(|(known, _)| *known == id)
}

#[test]
fn every_row_on_its_own_gives_the_expected_entry() {
    let rows = rows();
    for (id, reason) in KNOWN_FAILURES {
        assert!(rows.iter().any(|r| r.id == *id), "{id} is not a row");
        assert!(!reason.trim().is_empty(), "{id} needs a reason");
    }
    let mut passed = 0;
    let mut problems = Vec::new();
    for row in &rows {
        let bytes = with_crlf(&row.line);
        let mut result = Ok(());
        for now in clocks() {
            let mut formats = vec![ListingFormat::List];
            // Fact lines must also parse the same on an MLSD data connection.
            if row.format == "mlsd" {
                formats.push(ListingFormat::Mlsd);
            }
            for format in formats {
                let entries = parse(&bytes, format, row.hint, now);
                if let Err(why) = check(row, &entries, now) {
                    result = Err(format!("{format:?}: {why}"));
                }
            }
        }
        match (result, is_known_failure(&row.id)) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => {
                passed += 1;
                problems.push(format!(
                    "{}: passes but is listed in KNOWN_FAILURES; remove it",
                    row.id
                ));
            }
            (Err(_), true) => {}
            (Err(why), false) => problems.push(format!("{} ({}): {why}", row.id, row.format)),
        }
    }
    println!("conformance: {passed}/{} rows pass", rows.len());
    for (id, reason) in KNOWN_FAILURES {
        println!("  known failure {id}: {reason}");
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn unhinted_rows_parse_the_same_whatever_the_hint() {
    // SYST can say MVS while the directory is listed Unix-style (z/OS UNIX System
    // Services), so a hint must only add formats, never lose or change others. (Under MVS
    // a lone word is a member name, so `none` rows such as `000000000x` may become one.)
    let now = clocks()[0];
    let entry_rows = rows().into_iter().filter(|r| r.kind.is_some());
    for row in entry_rows.filter(|r| r.hint == ServerType::Auto) {
        let bytes = with_crlf(&row.line);
        let auto = parse(&bytes, ListingFormat::List, ServerType::Auto, now);
        for hint in [ServerType::Mvs, ServerType::Zvm, ServerType::HpNonStop] {
            let hinted = parse(&bytes, ListingFormat::List, hint, now);
            assert_eq!(hinted, auto, "{} with {hint:?}", row.id);
        }
    }
}

/// A tiny deterministic PRNG (xorshift64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn all_rows_in_one_stream_and_random_chunks_give_the_same_entries() {
    let now = clocks()[0];
    let rows: Vec<Row> = rows()
        .into_iter()
        .filter(|r| r.hint == ServerType::Auto && !is_known_failure(&r.id))
        .collect();
    let mut crlf_stream = Vec::new();
    let mut lf_stream = Vec::new();
    let mut expected = Vec::new();
    for row in &rows {
        crlf_stream.extend_from_slice(&with_crlf(&row.line));
        lf_stream.extend_from_slice(&row.line);
        lf_stream.push(b'\n');
        expected.extend(parse(
            &with_crlf(&row.line),
            ListingFormat::List,
            ServerType::Auto,
            now,
        ));
    }
    let entry_rows = rows.iter().filter(|r| r.kind.is_some()).count();
    assert_eq!(expected.len(), entry_rows);
    for stream in [&crlf_stream, &lf_stream] {
        assert_eq!(
            parse(stream, ListingFormat::List, ServerType::Auto, now),
            expected
        );
    }
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for round in 0..200 {
        let stream = if round % 2 == 0 {
            &crlf_stream
        } else {
            &lf_stream
        };
        // Small chunks often split a CRLF; large ones cover several lines.
        let max_chunk = [2, 7, 64, 600][round % 4];
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now);
        let mut rest = stream.as_slice();
        while !rest.is_empty() {
            let n = (rng.below(max_chunk) + 1).min(rest.len());
            parser.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(parser.finish(), expected, "round {round}");
    }
}

#[test]
fn random_noise_at_every_position_never_panics() {
    const NOISE: &[u8] = b"\r\n \t\0";
    let now = clocks()[0];
    let mut rng = Rng(0x0dd_ba11_c0ff_ee00);
    for row in rows() {
        for pos in 0..=row.line.len() {
            let mut bytes = row.line[..pos].to_vec();
            for _ in 0..rng.below(5) + 1 {
                bytes.push(NOISE[rng.below(NOISE.len())]);
            }
            bytes.extend_from_slice(&row.line[pos..]);
            bytes.extend_from_slice(b"\r\n");
            let hints = [
                ServerType::Auto,
                ServerType::Mvs,
                ServerType::Zvm,
                ServerType::HpNonStop,
            ];
            for hint in hints {
                for format in [ListingFormat::List, ListingFormat::Mlsd] {
                    let entries = parse(&bytes, format, hint, now);
                    // Noise can split a line, never multiply it beyond its pieces.
                    assert!(entries.len() <= 7, "{}: {entries:?}", row.id);
                }
            }
        }
    }
}

#[test]
fn a_hundred_thousand_line_listing_gives_a_hundred_thousand_entries() {
    let now = clocks()[0];
    let mut listing = Vec::with_capacity(100_000 * 72);
    for i in 0..100_000 {
        listing.extend_from_slice(
            format!("-rw-r--r--    1 1000     1000     {i:>8} Nov 25 09:58 file {i:06}.dat\r\n")
                .as_bytes(),
        );
    }
    let entries = parse(&listing, ListingFormat::List, ServerType::Auto, now);
    assert_eq!(entries.len(), 100_000);
    assert_eq!(entries[99_999].name, b"file 099999.dat");
    assert_eq!(entries[99_999].size, Some(99_999));

    let mut mlsd = Vec::with_capacity(100_000 * 64);
    for i in 0..100_000 {
        mlsd.extend_from_slice(
            format!("type=file;size={i};modify=20261125095800;UNIX.mode=0644; f{i}\r\n").as_bytes(),
        );
    }
    let entries = parse(&mlsd, ListingFormat::Mlsd, ServerType::Auto, now);
    assert_eq!(entries.len(), 100_000);
    assert_eq!(entries[12_345].size, Some(12_345));
}
