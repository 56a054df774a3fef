//! Unix `ls -l` style lines and their many relatives:
//!
//! ```text
//! drwxr-xr-x   2 root     other        512 Apr  8  1994 dir name
//! lrwxrwxrwx   1 0        0              7 Jan 25 00:17 link -> usr/bin
//! -rw-r--r--   1 root     other        531 2005-06-07 21:22 iso date
//! d [R----F--] supervisor            512       Jan 16 18:53    netware dir
//! 0100644   500  101   12345    123456789       numerical unix
//! ```
//! Columns between the permissions and the date vary (no group, numeric ids, domain
//! groups, a group glued to the size), so the parser anchors on the date, takes the token
//! before it as the size, and the bytes after it as the name.

use super::entry::{Entry, EntryKind, TimePrecision, Timestamp};
use super::tokens::{
    Line, expand_year, infer_year, make_time, month, number, number_with_suffix, size, time,
    unix_time, year4,
};

pub(crate) fn parse(line: &Line<'_>, now: Timestamp) -> Option<Entry> {
    let first = line.tok(0)?;
    if first.len() == 7 && first.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return parse_numerical(line);
    }
    let netware =
        (first == b"d" || first == b"-") && line.tok(1).is_some_and(|t| t.starts_with(b"["));
    if !netware && !is_permissions(first) {
        return None;
    }
    let kind = match first[0] {
        b'd' => EntryKind::Dir,
        b'l' => EntryKind::Link,
        _ => EntryKind::File,
    };
    let perm_tokens = if netware { 2 } else { 1 };
    let (mut entry, name) = match find_date(line, perm_tokens + 1, now) {
        Some((date_at, parsed, size)) => {
            let keep_padding = parsed.ls_style && !netware;
            let name = line.after(parsed.last, keep_padding)?;
            let mut entry = Entry::new(Vec::new(), kind);
            entry.modified = parsed.time;
            let size_tok = line.tok(date_at - 1)?;
            let mut owners_end = date_at - 1;
            let mut glued_group = None;
            if b"bc".contains(&first[0]) {
                // Devices list `major, minor` where the size would be: not a size.
                if line.tok(date_at - 2).is_some_and(|t| t.ends_with(b",")) {
                    owners_end = date_at - 2;
                }
            } else {
                entry.size = Some(size);
                if super::tokens::size(size_tok).is_none() {
                    // `longgroup123456`: the group ran into the size.
                    let digits = size_tok
                        .iter()
                        .rev()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    glued_group = Some(&size_tok[..size_tok.len() - digits]);
                }
            }
            entry.owner_group =
                owner_group(line, perm_tokens, owners_end, glued_group).map(Into::into);
            (entry, name)
        }
        // No date at all: perms, links, owner, group, size, name.
        None if line.len() >= 6 && number(line.tok(1)?).is_some() => {
            let size = number(line.tok(4)?)?;
            let mut entry = Entry::new(Vec::new(), kind);
            entry.size = Some(size);
            entry.owner_group = owner_group(line, 1, 4, None).map(Into::into);
            (entry, line.after(4, false)?)
        }
        None => return None,
    };
    entry.permissions = Some(
        match netware {
            true => format!("{} {}", lossy(first), lossy(line.tok(1)?)),
            false => lossy(first),
        }
        .into(),
    );
    let (name, target) = match kind {
        EntryKind::Link => split_link(name),
        _ => (name, None),
    };
    // `ls -F` marks directories with a `/`, which no Unix name can contain.
    let name = match name.strip_suffix(b"/") {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => name,
    };
    if name.is_empty() {
        return None;
    }
    entry.name = name.to_vec();
    entry.link_target = target.map(<[u8]>::to_vec);
    Some(entry)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `drwxr-xr-x`, `-rw-r--r--+`, `lrwxrwxrwx`, `-C--E-----FTP`, ...: a type letter and at least
/// nine more characters, no digits.
fn is_permissions(tok: &[u8]) -> bool {
    tok.len() >= 10
        && b"-dlbcpsD".contains(&tok[0])
        && tok[1..]
            .iter()
            .all(|b| b.is_ascii_alphabetic() || b"-+.@".contains(b))
}

/// The tokens between the link count and the size, plus a group glued to the size.
fn owner_group(line: &Line<'_>, from: usize, to: usize, glued: Option<&[u8]>) -> Option<String> {
    // Skip a numeric link count right after the permissions.
    let from = if line.tok(from).and_then(number).is_some() {
        from + 1
    } else {
        from
    };
    let parts: Vec<String> = (from..to)
        .filter_map(|i| line.tok(i))
        .chain(glued.filter(|g| !g.is_empty()))
        .map(lossy)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The size is the token before the date; a group glued to it (`longgroup123456`) gives its
/// trailing digits.
fn size_before(line: &Line<'_>, date_at: usize) -> Option<u64> {
    let tok = line.tok(date_at.checked_sub(1)?)?;
    if let Some(n) = size(tok) {
        return Some(n);
    }
    let digits = tok.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    (digits > 0)
        .then(|| number(&tok[tok.len() - digits..]))
        .flatten()
}

fn split_link(name: &[u8]) -> (&[u8], Option<&[u8]>) {
    match name.windows(4).position(|w| w == b" -> ") {
        Some(at) => (&name[..at], Some(&name[at + 4..])),
        None => (name, None),
    }
}

struct ParsedDate {
    time: Option<Timestamp>,
    /// Index of the date's last token.
    last: usize,
    /// `Mon DD YYYY|HH:MM` as ls prints it: the name starts after exactly one space.
    ls_style: bool,
}

/// The first token position at or after `from` where a date starts right after a size
/// (a size of 2096 next to `8월` could be read as a year: the size check rules that out).
fn find_date(line: &Line<'_>, from: usize, now: Timestamp) -> Option<(usize, ParsedDate, u64)> {
    (from..line.len()).find_map(|i| {
        let date = date_at(line, i, now)?;
        let size = size_before(line, i)?;
        Some((i, date, size))
    })
}

fn clock_or_year(tok: &[u8]) -> Option<ClockOrYear> {
    if let Some(t) = time(tok) {
        return Some(ClockOrYear::Clock(t));
    }
    year4(tok).map(ClockOrYear::Year)
}

enum ClockOrYear {
    Clock((u8, u8, u8, TimePrecision)),
    Year(i32),
}

fn with_clock_or_year(month: u8, day: u8, what: ClockOrYear, now: Timestamp) -> Option<Timestamp> {
    match what {
        ClockOrYear::Year(year) => make_time(year, month, day, None),
        ClockOrYear::Clock(clock) => {
            make_time(infer_year(month, day, now), month, day, Some(clock))
        }
    }
}

fn day_number(tok: &[u8]) -> Option<u8> {
    let trimmed = tok
        .strip_suffix(b",")
        .or_else(|| tok.strip_suffix(b"."))
        .unwrap_or(tok);
    let day = number(trimmed)?;
    (1..=31).contains(&day).then_some(day as u8)
}

fn date_at(line: &Line<'_>, i: usize, now: Timestamp) -> Option<ParsedDate> {
    let t0 = line.tok(i)?;
    let t1 = line.tok(i + 1);
    let t2 = line.tok(i + 2);

    // Mon DD (YYYY | HH:MM), and vshell's `Oct 08, 2002 09:47`.
    if let (Some(m), Some(day)) = (month(t0), t1.and_then(day_number)) {
        let t1 = t1?;
        if t1.ends_with(b",")
            && let (Some(year), Some(clock)) = (t2.and_then(year4), line.tok(i + 3).and_then(time))
        {
            return Some(ParsedDate {
                time: make_time(year, m, day, Some(clock)),
                last: i + 3,
                ls_style: true,
            });
        }
        let what = clock_or_year(t2?)?;
        return Some(ParsedDate {
            time: with_clock_or_year(m, day, what, now),
            last: i + 2,
            ls_style: true,
        });
    }
    // DD[.] Mon[.,] (YYYY | HH:MM): `01 oct 2004`, `26. Juli, 20:10`.
    if let (Some(day), Some(m)) = (day_number(t0), t1.and_then(month)) {
        let what = clock_or_year(t2?)?;
        return Some(ParsedDate {
            time: with_clock_or_year(m, day, what, now),
            last: i + 2,
            ls_style: false,
        });
    }
    // M D (HH:MM | YYYY), digits possibly with CJK suffixes: `3 29 03:26`, `4月 18日 2003年`.
    if let (Some((m, _)), Some((day, _))) =
        (number_with_suffix(t0), t1.and_then(number_with_suffix))
        && (1..=12).contains(&m)
        && (1..=31).contains(&day)
        && let Some(what) = t2.and_then(clock_or_year)
    {
        return Some(ParsedDate {
            time: with_clock_or_year(m as u8, day as u8, what, now),
            last: i + 2,
            ls_style: false,
        });
    }
    // YYYY M D with CJK suffixes: `2003 3月 20`, `2005년 1월 6일`.
    if let (Some(year), Some((m, true)), Some((day, _))) = (
        year4(t0),
        t1.and_then(number_with_suffix),
        t2.and_then(number_with_suffix),
    ) && (1..=12).contains(&m)
    {
        return Some(ParsedDate {
            time: make_time(year, m as u8, day as u8, None),
            last: i + 2,
            ls_style: false,
        });
    }
    // One-token dates, maybe followed by a time or year.
    let (year, m, day) = match split_date(t0)? {
        (Some(year), m, day) => (year, m, day),
        (None, m, day) => {
            // `09-26 2000` / `09-26 13:45`
            let what = clock_or_year(t1?)?;
            return Some(ParsedDate {
                time: with_clock_or_year(m, day, what, now),
                last: i + 1,
                ls_style: false,
            });
        }
    };
    match t1.and_then(time) {
        Some(clock) => Some(ParsedDate {
            time: make_time(year, m, day, Some(clock)),
            last: i + 1,
            ls_style: false,
        }),
        None => Some(ParsedDate {
            time: make_time(year, m, day, None),
            last: i,
            ls_style: false,
        }),
    }
}

/// `2005-06-07`, `1999/10/12`, `24-04-2003`, `2004.07.15`, `01-jun-99`, `09-26`.
pub(crate) fn split_date(tok: &[u8]) -> Option<(Option<i32>, u8, u8)> {
    let sep = *tok.iter().find(|b| b"-/.".contains(b))?;
    let parts: Vec<&[u8]> = tok.split(|&b| b == sep).collect();
    let valid_md = |m: u64, d: u64| (1..=12).contains(&m) && (1..=31).contains(&d);
    match parts.as_slice() {
        [a, b] => {
            let (m, d) = (number(a)?, number(b)?);
            (a.len() <= 2 && b.len() <= 2 && valid_md(m, d)).then_some((None, m as u8, d as u8))
        }
        [a, b, c] => {
            if let Some(m) = month(b) {
                let (d, y) = (number(a)?, number(c)?);
                return (1..=31)
                    .contains(&d)
                    .then_some((Some(expand_year(y)?), m, d as u8));
            }
            let (x, y, z) = (number(a)?, number(b)?, number(c)?);
            if a.len() == 4 {
                valid_md(y, z).then_some((Some(x as i32), y as u8, z as u8))
            } else if c.len() == 4 {
                // D-M-Y unless that is impossible and M-D-Y is not.
                if valid_md(y, x) {
                    Some((Some(z as i32), y as u8, x as u8))
                } else {
                    valid_md(x, y).then_some((Some(z as i32), x as u8, y as u8))
                }
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `0100644 500 101 12345 123456789 name`: octal mode, uid, gid, size, Unix time.
fn parse_numerical(line: &Line<'_>) -> Option<Entry> {
    let mode = u32::from_str_radix(std::str::from_utf8(line.tok(0)?).ok()?, 8).ok()?;
    let kind = match mode & 0o170000 {
        0o040000 => EntryKind::Dir,
        0o120000 => EntryKind::Link,
        _ => EntryKind::File,
    };
    let size = number(line.tok(3)?)?;
    let mtime = number(line.tok(4)?)?;
    let name = line.after(4, false)?;
    let mut entry = Entry::new(name, kind);
    entry.size = Some(size);
    entry.modified = unix_time(mtime);
    entry.permissions = Some(lossy(line.tok(0)?).into());
    entry.owner_group = Some(format!("{} {}", lossy(line.tok(1)?), lossy(line.tok(2)?)).into());
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second).unwrap()
    }

    fn parse_line(text: &[u8]) -> Option<Entry> {
        parse(&Line::new(text), now())
    }

    #[test]
    fn vsftpd_numeric_ids_and_zero_padded_day() {
        let e = parse_line(b"-rw-r--r--    1 999      995             4 Feb 03  2001 old-2001.txt")
            .unwrap();
        assert_eq!(e.name, b"old-2001.txt");
        assert_eq!(e.size, Some(4));
        assert_eq!(e.modified.unwrap().to_string(), "2001-02-03");
        assert_eq!(e.owner_group.as_deref(), Some("999 995"));
    }

    #[test]
    fn unix_symlink_keeps_target() {
        let e = parse_line(
            b"lrwxrwxrwx    1 0        0              10 Nov 25 10:00 link-to-readme -> readme.txt",
        )
        .unwrap();
        assert_eq!(e.kind, EntryKind::Link);
        assert_eq!(e.name, b"link-to-readme");
        assert_eq!(e.link_target.as_deref(), Some(&b"readme.txt"[..]));
    }

    #[test]
    fn names_keep_inner_and_leading_spaces() {
        let e = parse_line(b"-rw-r--r--    1 0 0    7 Nov 25 10:00  two  spaces ").unwrap();
        assert_eq!(e.name, b" two  spaces ");
    }

    #[test]
    fn non_utf8_names_survive_byte_exact() {
        let e = parse_line(b"-rw-r--r--    1 0 0    7 Nov 25 10:00 \xc7\xd1\xb1\xdb.txt").unwrap();
        assert_eq!(e.name, b"\xc7\xd1\xb1\xdb.txt");
    }

    #[test]
    fn total_line_is_not_an_entry() {
        assert!(parse_line(b"total 12").is_none());
    }

    #[test]
    fn proftpd_capture_names_and_padded_day() {
        let e = parse_line(b"-rw-r--r--   1 ftptest  ftptest         4 Feb  3  2001 old-2001.txt")
            .unwrap();
        assert_eq!(e.modified.unwrap().to_string(), "2001-02-03");
        assert_eq!(e.owner_group.as_deref(), Some("ftptest ftptest"));
        assert_eq!(e.permissions.as_deref(), Some("-rw-r--r--"));
        let d =
            parse_line(b"dr-xr-xr-x   2 ftptest  ftptest      4096 Nov 24 21:11 readonly").unwrap();
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.modified.unwrap().to_string(), "2026-11-24 21:11");
    }

    #[test]
    fn pure_ftpd_capture_mixes_numeric_owner_and_named_group() {
        let e = parse_line(
            b"-rw-r--r--    1 999        ftptest       1048576 Nov 24 21:11 random-1M.bin",
        )
        .unwrap();
        assert_eq!(e.size, Some(1_048_576));
        assert_eq!(e.owner_group.as_deref(), Some("999 ftptest"));
    }

    #[test]
    fn pyftpdlib_capture_utf8_name_survives_byte_exact() {
        let line = "-rw-r--r--   1 ftptest  ftptest         5 Nov 24 21:11 ünïçödé-名前.txt";
        let e = parse_line(line.as_bytes()).unwrap();
        assert_eq!(e.name, "ünïçödé-名前.txt".as_bytes());
    }

    #[test]
    fn year_is_inferred_from_now() {
        let past = parse_line(b"-rw-r--r-- 1 u g 1 Nov 26 23:59 a").unwrap();
        assert_eq!(past.modified.unwrap().year, 2026);
        let future = parse_line(b"-rw-r--r-- 1 u g 1 Nov 27 00:00 a").unwrap();
        assert_eq!(future.modified.unwrap().year, 2025);
    }

    #[test]
    fn device_files_have_no_size() {
        let e = parse_line(b"crw-rw-rw-   1 root     root       1,   3 Jan  1  2020 null").unwrap();
        assert_eq!(e.name, b"null");
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, None);
        assert_eq!(e.owner_group.as_deref(), Some("root root"));
        let glued = parse_line(b"brw-rw----   1 root     disk     8,0 Jan  1  2020 sda").unwrap();
        assert_eq!(glued.size, None);
    }

    #[test]
    fn ls_f_directory_slash_is_not_part_of_the_name() {
        let e = parse_line(b"drwxr-xr-x   2 u g 512 Jan  1  2020 sub/").unwrap();
        assert_eq!(e.name, b"sub");
    }

    #[test]
    fn owner_that_looks_like_a_month_is_not_a_date() {
        let e = parse_line(b"-rw-r--r--   1 mar      dec          12 Jan  2 10:00 f").unwrap();
        assert_eq!(e.owner_group.as_deref(), Some("mar dec"));
        assert_eq!(e.size, Some(12));
        assert_eq!(e.modified.unwrap().to_string(), "2026-01-02 10:00");
    }

    #[test]
    fn localized_month_names_parse() {
        for (line, date) in [
            (&b"-rw-r--r-- 1 u g 7 17. Mai 2005 f"[..], "2005-05-17"),
            (b"-rw-r--r-- 1 u g 7 mars 3 2004 f", "2004-03-03"),
            ("-rw-r--r-- 1 u g 7 ноя 3 2004 f".as_bytes(), "2004-11-03"),
            (b"-rw-r--r-- 1 u g 7 f\xe9v 3 2004 f", "2004-02-03"),
        ] {
            let e = parse_line(line).unwrap_or_else(|| panic!("{line:?}"));
            assert_eq!(e.modified.unwrap().to_string(), date);
            assert_eq!(e.name, b"f");
        }
    }

    #[test]
    fn acl_and_selinux_markers_are_permissions() {
        for perms in ["-rwxrw-r--+", "-rw-r--r--.", "-rw-r--r--@"] {
            let line = format!("{perms}  1 521 101 2080 May 21 10:53 data.csv");
            let e = parse_line(line.as_bytes()).unwrap();
            assert_eq!(e.permissions.as_deref(), Some(perms));
        }
    }

    #[test]
    fn numerical_listing_keeps_mode_as_listed() {
        let e = parse_line(b"0100644   500  101   12345    123456789       n f").unwrap();
        assert_eq!(e.name, b"n f");
        assert_eq!(e.permissions.as_deref(), Some("0100644"));
        assert_eq!(e.modified.unwrap().to_string(), "1973-11-29 21:33:09");
        let far = parse_line(b"0100644 500 101 1 99999999999999 f")
            .unwrap_or_else(|| panic!("a time past year 9999 makes no entry"));
        assert_eq!(far.modified, None);
    }
}
