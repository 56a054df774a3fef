//! FileZilla's directory-listing conformance cases (`tests/data/listings.tsv`, 118 rows from
//! FileZilla's dirparsertest.cpp and jlaffaye/ftp's parse_test.go), in FileZilla's three
//! passes: every row alone; all rows through one parser in random chunk sizes; random
//! CR/LF/space/TAB/NUL bytes injected everywhere without a panic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use skiff::proto::listing::{
    Entry, EntryKind, ListingFormat, ListingParser, ServerType, TimePrecision, Timestamp,
};

/// Rows that fail, each with the reason. The test fails if one of these starts passing, so
/// the list stays honest.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

struct Row {
    id: String,
    hint: ServerType,
    line: Vec<u8>,
    name: Vec<u8>,
    size: i128,
    kind: Option<EntryKind>,
    target: Vec<u8>,
    time: String,
}

fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn rows() -> Vec<Row> {
    let text = include_str!("data/listings.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                id: f[0].to_owned(),
                hint: match f[1] {
                    "" => ServerType::Auto,
                    "MVS" => ServerType::Mvs,
                    "ZVM" => ServerType::Zvm,
                    "HPNONSTOP" => ServerType::HpNonStop,
                    other => panic!("unknown hint {other}"),
                },
                line: unescape(f[3]),
                name: unescape(f[4]),
                size: f[5].parse().unwrap(),
                kind: match f[6] {
                    "file" => Some(EntryKind::File),
                    "dir" => Some(EntryKind::Dir),
                    "link" => Some(EntryKind::Link),
                    "none" => None,
                    other => panic!("unknown type {other}"),
                },
                target: unescape(f[7]),
                time: f[8].to_owned(),
            }
        })
        .collect()
}

fn now() -> Timestamp {
    Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second).unwrap()
}

fn parse(bytes: &[u8], hint: ServerType) -> Vec<Entry> {
    let mut parser = ListingParser::new(ListingFormat::List, hint, now());
    parser.push(bytes);
    parser.finish()
}

/// `YYYY-MM-DD[ HH:MM[:SS]]` as the entry shows it; `Y*` rows compare without the year.
fn time_matches(expected: &str, got: Option<Timestamp>) -> bool {
    if expected.is_empty() {
        return true;
    }
    let Some(got) = got else {
        return false;
    };
    let shown = got.to_string();
    match expected.strip_prefix("Y*") {
        Some(rest) => shown.get(4..) == Some(rest),
        None => shown == expected,
    }
}

fn check(row: &Row, entries: &[Entry]) -> Result<(), String> {
    let Some(kind) = row.kind else {
        return match entries.len() {
            0 => Ok(()),
            n => Err(format!("expected no entry, got {n}: {entries:?}")),
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
            String::from_utf8_lossy(&entry.name),
            String::from_utf8_lossy(&row.name)
        ));
    }
    if entry.kind != kind {
        problems.push(format!("kind {:?} != {kind:?}", entry.kind));
    }
    if row.size != -1 && entry.size.map(i128::from) != Some(row.size) {
        problems.push(format!("size {:?} != {}", entry.size, row.size));
    }
    let target = entry.link_target.clone().unwrap_or_default();
    if target != row.target {
        problems.push(format!(
            "target {:?} != {:?}",
            String::from_utf8_lossy(&target),
            String::from_utf8_lossy(&row.target)
        ));
    }
    if !time_matches(&row.time, entry.modified) {
        problems.push(format!(
            "time {:?} != {}",
            entry.modified.map(|t| t.to_string()),
            row.time
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_row_parses_on_its_own() {
    let rows = rows();
    assert_eq!(rows.len(), 118);
    let mut passed = 0;
    let mut unexpected = Vec::new();
    for row in &rows {
        let mut bytes = row.line.clone();
        bytes.extend_from_slice(b"\r\n");
        let result = check(row, &parse(&bytes, row.hint));
        let known = KNOWN_FAILURES.iter().find(|(id, _)| *id == row.id);
        match (result, known) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some(_)) => {
                unexpected.push(format!("{}: listed as a known failure but passes", row.id))
            }
            (Err(_), Some(_)) => {}
            (Err(why), None) => unexpected.push(format!("{}: {why}", row.id)),
        }
    }
    println!("conformance: {passed}/{} rows pass", rows.len());
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
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
}

#[test]
fn all_rows_in_one_stream_and_random_chunks_give_the_same_entries() {
    let rows: Vec<Row> = rows()
        .into_iter()
        .filter(|r| r.hint == ServerType::Auto && !KNOWN_FAILURES.iter().any(|(id, _)| *id == r.id))
        .collect();
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for row in &rows {
        stream.extend_from_slice(&row.line);
        stream.extend_from_slice(b"\r\n");
        expected.extend(parse(
            &[row.line.as_slice(), b"\r\n"].concat(),
            ServerType::Auto,
        ));
    }
    assert!(expected.len() > 100);
    let whole = parse(&stream, ServerType::Auto);
    assert_eq!(whole, expected);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..50 {
        let mut parser = ListingParser::new(ListingFormat::List, ServerType::Auto, now());
        let mut rest = stream.as_slice();
        while !rest.is_empty() {
            let n = (rng.next() % 40 + 1) as usize;
            let n = n.min(rest.len());
            parser.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(parser.finish(), expected);
    }
}

#[test]
fn random_noise_at_every_position_never_panics() {
    const NOISE: &[u8] = b"\r\n \t\0";
    let mut rng = Rng(0x0dd_ba11_c0ff_ee00);
    for row in rows() {
        for pos in 0..=row.line.len() {
            let mut bytes = row.line[..pos].to_vec();
            for _ in 0..(rng.next() % 5 + 1) {
                bytes.push(NOISE[(rng.next() % NOISE.len() as u64) as usize]);
            }
            bytes.extend_from_slice(&row.line[pos..]);
            bytes.extend_from_slice(b"\r\n");
            for hint in [ServerType::Auto, row.hint] {
                parse(&bytes, hint);
                let mut mlsd = ListingParser::new(ListingFormat::Mlsd, hint, now());
                mlsd.push(&bytes);
                mlsd.finish();
            }
        }
    }
}

#[test]
fn a_hundred_thousand_line_listing_gives_a_hundred_thousand_entries() {
    let mut listing = Vec::with_capacity(100_000 * 64);
    for i in 0..100_000 {
        listing.extend_from_slice(
            format!("-rw-r--r--    1 1000     1000        {i:>8} Nov 25 09:58 file-{i:06}.dat\r\n")
                .as_bytes(),
        );
    }
    let entries = parse(&listing, ServerType::Auto);
    assert_eq!(entries.len(), 100_000);
    assert_eq!(entries[99_999].name, b"file-099999.dat");
    assert_eq!(entries[99_999].size, Some(99_999));
}
