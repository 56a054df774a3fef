//! Shared pieces of the LIST parsers: a line split into tokens (keeping byte offsets, so a
//! name is cut from the raw line with its inner spaces intact), numbers, sizes, month names,
//! times and FileZilla's year inference.
//!
//! ```text
//! -rw-r--r--   1 root  other  33.5k  26. Juli,  20:10  name with  spaces
//! ^perms         ^owner       ^size  ^day ^month ^time ^name = bytes after the time token
//! ```

use super::entry::{TimePrecision, Timestamp};

/// One line of a listing, split on spaces and tabs.
pub(crate) struct Line<'a> {
    pub bytes: &'a [u8],
    spans: Vec<(usize, usize)>,
}

impl<'a> Line<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, &b) in bytes.iter().enumerate() {
            let blank = b == b' ' || b == b'\t';
            match (blank, start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    spans.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            spans.push((s, bytes.len()));
        }
        Self { bytes, spans }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn tok(&self, i: usize) -> Option<&'a [u8]> {
        self.spans.get(i).map(|&(s, e)| &self.bytes[s..e])
    }

    /// The bytes after token `i`: with `keep_padding`, exactly one separator is skipped (so
    /// a name's own leading spaces survive, as `ls` prints them); otherwise all blanks are.
    pub fn after(&self, i: usize, keep_padding: bool) -> Option<&'a [u8]> {
        let &(_, end) = self.spans.get(i)?;
        let rest = &self.bytes[end..];
        let rest = if keep_padding {
            rest.get(1..).unwrap_or_default()
        } else {
            let skip = rest
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
            &rest[skip..]
        };
        (!rest.is_empty()).then_some(rest)
    }
}

/// All-digit bytes as a number (no sign, no separators).
pub(crate) fn number(tok: &[u8]) -> Option<u64> {
    if tok.is_empty() || tok.len() > 20 || !tok.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(tok).ok()?.parse().ok()
}

/// Digits followed only by non-ASCII bytes (`4月`, `2005년`): the number, and whether a
/// suffix was there.
pub(crate) fn number_with_suffix(tok: &[u8]) -> Option<(u64, bool)> {
    let digits = tok.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    // A CJK unit such as 年 or 월; in Shift_JIS its second byte may be ASCII (`\x94N`).
    let suffix = &tok[digits..];
    if suffix.first().is_some_and(|&b| b < 0x80) {
        return None;
    }
    Some((number(&tok[..digits])?, !suffix.is_empty()))
}

/// A size that may carry thousands separators (`9,730`) or a unit (`33.5k`, `2KB`).
pub(crate) fn size(tok: &[u8]) -> Option<u64> {
    if let Some(n) = number(tok) {
        return Some(n);
    }
    if tok.contains(&b',') && tok.iter().all(|&b| b.is_ascii_digit() || b == b',') {
        let digits: Vec<u8> = tok.iter().copied().filter(|&b| b != b',').collect();
        return number(&digits);
    }
    let text = std::str::from_utf8(tok).ok()?.to_ascii_lowercase();
    let text = text.strip_suffix('b').unwrap_or(&text);
    let (value, unit) = text.split_at(text.find(|c: char| c.is_ascii_alphabetic())?);
    let multiplier: u64 = match unit {
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    // 33.5k = 335 * 1024 / 10 = 34304, in integers as FileZilla does.
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 3
    {
        return None;
    }
    let scale = 10u64.pow(frac.len() as u32);
    let digits: u64 = format!("{whole}{frac}").parse().ok()?;
    digits.checked_mul(multiplier).map(|v| v / scale)
}

/// Month names and abbreviations as `ls` prints them in various locales, lowercase.
/// Exact matches only: a prefix match would read owners such as `market` as March.
#[rustfmt::skip]
const MONTH_NAMES: &[(&str, u8)] = &[
    // English (also VMS, MVS and Windows), with full names some servers print.
    ("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("may", 5), ("jun", 6),
    ("jul", 7), ("aug", 8), ("sep", 9), ("oct", 10), ("nov", 11), ("dec", 12),
    ("january", 1), ("february", 2), ("march", 3), ("april", 4), ("june", 6),
    ("july", 7), ("august", 8), ("sept", 9), ("september", 9), ("october", 10),
    ("november", 11), ("december", 12),
    // German and Austrian.
    ("jän", 1), ("jänner", 1), ("mrz", 3), ("mär", 3), ("märz", 3), ("mai", 5),
    ("juni", 6), ("juli", 7), ("okt", 10), ("dez", 12),
    // French.
    ("janv", 1), ("fév", 2), ("févr", 2), ("fev", 2), ("fevr", 2), ("mars", 3),
    ("avr", 4), ("juin", 6), ("juil", 7), ("aoû", 8), ("août", 8), ("aout", 8),
    ("déc", 12),
    // VMS's `JUI` (fz-040) is July, as FileZilla reads it.
    ("jui", 7),
    // Italian, Spanish, Portuguese, Dutch.
    ("gen", 1), ("mag", 5), ("giu", 6), ("lug", 7), ("ago", 8), ("set", 9),
    ("ott", 10), ("dic", 12), ("ene", 1), ("abr", 4), ("out", 10), ("mrt", 3),
    ("mei", 5), ("fbro", 2), ("mzo", 3), ("agto", 8), ("sbre", 9), ("obre", 10),
    ("nbre", 11), ("dbre", 12), ("avril", 4),
    // Hungarian.
    ("febr", 2), ("márc", 3), ("ápr", 4), ("máj", 5), ("jún", 6), ("júl", 7),
    ("szept", 9),
    // Polish, Finnish, Slovenian.
    ("sty", 1), ("lut", 2), ("kwi", 4), ("maj", 5), ("cze", 6), ("lip", 7),
    ("sie", 8), ("wrz", 9), ("paź", 10), ("paz", 10), ("lis", 11), ("gru", 12),
    ("tammi", 1), ("helmi", 2), ("maalis", 3), ("huhti", 4), ("touko", 5),
    ("kesä", 6), ("heinä", 7), ("elo", 8), ("syys", 9), ("loka", 10),
    ("marras", 11), ("joulu", 12), ("avg", 8),
    // Russian (UTF-8).
    ("янв", 1), ("фев", 2), ("мар", 3), ("апр", 4), ("мая", 5), ("май", 5),
    ("июн", 6), ("июл", 7), ("авг", 8), ("сен", 9), ("окт", 10), ("ноя", 11),
    ("дек", 12),
];

/// Names in legacy 8-bit charsets, which servers send undecoded: Latin-1/Latin-2
/// (`f\xe9v`, `m\xe4rz`, `pa\xbc`), CP1250 and Russian CP1251.
#[rustfmt::skip]
const MONTH_NAMES_8BIT: &[(&[u8], u8)] = &[
    (b"j\xe4n", 1), (b"f\xe9v", 2), (b"f\xe9vr", 2), (b"m\xe4r", 3), (b"m\xe4rz", 3),
    (b"m\xe1rc", 3), (b"\xe1pr", 4), (b"m\xe1j", 5), (b"j\xfan", 6), (b"j\xfal", 7),
    (b"ao\xfb", 8), (b"ao\xfbt", 8), (b"pa\xbc", 10), (b"pa\x9f", 10), (b"d\xe9c", 12),
    (b"\xff\xed\xe2", 1), (b"\xf4\xe5\xe2", 2), (b"\xec\xe0\xf0", 3),
    (b"\xe0\xef\xf0", 4), (b"\xec\xe0\xe9", 5), (b"\xe8\xfe\xed", 6),
    (b"\xe8\xfe\xeb", 7), (b"\xe0\xe2\xe3", 8), (b"\xf1\xe5\xed", 9),
    (b"\xee\xea\xf2", 10), (b"\xed\xee\xff", 11), (b"\xe4\xe5\xea", 12),
];

/// A month from its name (`Jan`, `Okt.`, `Juli,`, `szept`, `JUI`, `ноя`), ASCII
/// case-insensitive, trailing `.` and `,` ignored.
pub(crate) fn month(tok: &[u8]) -> Option<u8> {
    let end = tok
        .iter()
        .rposition(|&b| b != b'.' && b != b',')
        .map_or(0, |last| last + 1);
    let word = &tok[..end];
    if word.len() < 3 || word.len() > 12 {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    MONTH_NAMES
        .iter()
        .find(|(name, _)| name.as_bytes() == lower.as_slice())
        .map(|&(_, m)| m)
        .or_else(|| {
            MONTH_NAMES_8BIT
                .iter()
                .find(|(name, _)| *name == lower.as_slice())
                .map(|&(_, m)| m)
        })
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ff`, optionally with `AM`/`PM`. Returns (h, m, s,
/// precision); 24:00 is returned as hour 24 for the caller to roll over.
pub(crate) fn time(tok: &[u8]) -> Option<(u8, u8, u8, TimePrecision)> {
    let text = std::str::from_utf8(tok).ok()?.to_ascii_uppercase();
    let (text, pm) = if let Some(t) = text.strip_suffix("PM") {
        (t.to_owned(), Some(true))
    } else if let Some(t) = text.strip_suffix("AM") {
        (t.to_owned(), Some(false))
    } else {
        (text, None)
    };
    let mut parts = text.split(':');
    let hour: u8 = parse_small(parts.next()?)?;
    let minute: u8 = parse_small(parts.next()?)?;
    let (second, precision) = match parts.next() {
        Some(sec) => {
            let whole = sec.split('.').next()?;
            (parse_small(whole)?, TimePrecision::Second)
        }
        None => (0, TimePrecision::Minute),
    };
    if parts.next().is_some() || minute > 59 || second > 60 {
        return None;
    }
    let hour = match pm {
        Some(true) if hour < 12 => hour + 12,
        Some(false) if hour == 12 => 0,
        _ => hour,
    };
    if hour > 24 || (hour == 24 && (minute > 0 || second > 0)) {
        return None;
    }
    Some((hour, minute, second, precision))
}

fn parse_small(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A 4-digit year token (optionally with a non-ASCII suffix such as 年).
pub(crate) fn year4(tok: &[u8]) -> Option<i32> {
    let (n, _) = number_with_suffix(tok)?;
    let digits = tok.iter().take_while(|b| b.is_ascii_digit()).count();
    (digits == 4 && (1900..=2200).contains(&n)).then_some(n as i32)
}

/// Two-digit years: 70-99 are 19xx, 00-69 are 20xx; three digits (OS/2's 103) are 1900+.
pub(crate) fn expand_year(y: u64) -> Option<i32> {
    match y {
        0..=69 => Some(2000 + y as i32),
        70..=99 => Some(1900 + y as i32),
        100..=999 => Some(1900 + y as i32),
        1000..=9999 => Some(y as i32),
        _ => None,
    }
}

/// FileZilla's rule for a date without a year: this year, unless the date is more than a
/// day after `now`'s date (the server's clock may run up to a day ahead of ours), then last
/// year. FileZilla approximates days of the year as `31 * month + day`; this counts real
/// calendar days, so month ends are not off by up to three days. A Feb 29 that this year
/// lacks is taken as last year's (and gives no time unless that was a leap year).
pub(crate) fn infer_year(month: u8, day: u8, now: Timestamp) -> i32 {
    let this_year = Timestamp::date(now.year, month, day);
    match this_year {
        Some(t) if t.to_unix_secs() <= now.to_unix_secs().saturating_add(86_400) => now.year,
        _ => now.year.saturating_sub(1),
    }
}

/// A Unix time (EPLF, numerical listings) as UTC, if it lies within years 0..=9999.
pub(crate) fn unix_time(secs: u64) -> Option<Timestamp> {
    // 9999-12-31 23:59:59 UTC; later values would not fit the civil fields sensibly.
    const MAX_SECS: u64 = 253_402_300_799;
    (secs <= MAX_SECS).then(|| Timestamp::from_unix_secs(secs as i64))
}

/// Builds a timestamp, rolling `24:00` over to the next day's midnight.
pub(crate) fn make_time(
    year: i32,
    month: u8,
    day: u8,
    clock: Option<(u8, u8, u8, TimePrecision)>,
) -> Option<Timestamp> {
    match clock {
        None => Timestamp::date(year, month, day),
        Some((24, _, _, precision)) => {
            let midnight = Timestamp::date(year, month, day)?;
            let next = Timestamp::from_unix_secs(midnight.to_unix_secs() + 86_400);
            Timestamp::new(next.year, next.month, next.day, 0, 0, 0, precision)
        }
        Some((h, m, s, precision)) => Timestamp::new(year, month, day, h, m, s, precision),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_offsets_for_names_with_spaces() {
        let line = Line::new(b"a  bb\tc   d e ");
        assert_eq!(line.len(), 5);
        assert_eq!(line.tok(1), Some(&b"bb"[..]));
        assert_eq!(line.after(2, true), Some(&b"  d e "[..]));
        assert_eq!(line.after(2, false), Some(&b"d e "[..]));
    }

    #[test]
    fn sizes_with_units_and_separators() {
        assert_eq!(size(b"33.5k"), Some(34304));
        assert_eq!(size(b"2KB"), Some(2048));
        assert_eq!(size(b"9,730"), Some(9730));
        assert_eq!(size(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(size(b"abc"), None);
    }

    #[test]
    fn localized_months_are_recognized() {
        for (tok, m) in [
            (&b"Okt."[..], 10),
            (b"Juli,", 7),
            (b"szept", 9),
            (b"JUI", 7),
            (b"Jan.,", 1),
            (b"juin", 6),
        ] {
            assert_eq!(month(tok), Some(m), "{tok:?}");
        }
        assert_eq!(month(b"root"), None);
    }

    #[test]
    fn times_in_all_forms() {
        assert_eq!(time(b"12:09PM"), Some((12, 9, 0, TimePrecision::Minute)));
        assert_eq!(time(b"03:47PM"), Some((15, 47, 0, TimePrecision::Minute)));
        assert_eq!(time(b"12:01AM"), Some((0, 1, 0, TimePrecision::Minute)));
        assert_eq!(
            time(b"10:30:13.64"),
            Some((10, 30, 13, TimePrecision::Second))
        );
        assert_eq!(time(b"24:00").map(|t| t.0), Some(24));
        assert_eq!(time(b"1994"), None);
    }

    #[test]
    fn months_match_whole_words_only() {
        assert_eq!(month(b"market"), None);
        assert_eq!(month(b"decoder"), None);
        assert_eq!(month(b"September"), Some(9));
        assert_eq!(month("ноя".as_bytes()), Some(11));
        assert_eq!(month(b"f\xe9vr."), Some(2));
        assert_eq!(month(b".."), None);
    }

    #[test]
    fn year_inference_at_the_turn_of_the_year() {
        let new_year = Timestamp::new(2027, 1, 1, 0, 30, 0, TimePrecision::Second).unwrap();
        assert_eq!(infer_year(1, 2, new_year), 2027);
        assert_eq!(infer_year(1, 3, new_year), 2026);
        assert_eq!(infer_year(12, 31, new_year), 2026);
        let leap = Timestamp::new(2025, 3, 1, 0, 0, 0, TimePrecision::Second).unwrap();
        assert_eq!(infer_year(2, 29, leap), 2024);
    }

    #[test]
    fn midnight_written_as_24_rolls_over_to_the_next_day() {
        let t = make_time(2026, 12, 31, time(b"24:00")).unwrap();
        assert_eq!(t.to_string(), "2027-01-01 00:00");
    }

    #[test]
    fn unix_times_past_year_9999_are_refused() {
        assert_eq!(unix_time(0).unwrap().to_string(), "1970-01-01 00:00:00");
        assert!(unix_time(253_402_300_799).is_some());
        assert!(unix_time(253_402_300_800).is_none());
        assert!(unix_time(u64::MAX).is_none());
    }

    #[test]
    fn year_inference_follows_filezilla() {
        let now = Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second).unwrap();
        assert_eq!(infer_year(11, 26, now), 2026);
        assert_eq!(infer_year(11, 27, now), 2025);
        assert_eq!(infer_year(1, 5, now), 2026);
    }
}
