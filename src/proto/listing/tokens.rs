//! Shared pieces of the LIST parsers: a line split into tokens (keeping byte offsets, so a
//! name is cut from the raw line with its inner spaces intact), numbers, month names, times
//! and FileZilla's year inference.

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

/// A month from its name in English, German, French or Hungarian abbreviations (`Jan`,
/// `Okt.`, `Juli,`, `szept`, `JUI`), case-insensitive, trailing `.` or `,` ignored.
pub(crate) fn month(tok: &[u8]) -> Option<u8> {
    let trimmed: Vec<u8> = tok
        .iter()
        .copied()
        .filter(|&b| b != b'.' && b != b',')
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if trimmed.len() < 3 || !trimmed.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let month = match &trimmed[..3] {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" | b"mrz" => 3,
        b"apr" => 4,
        b"may" | b"mai" => 5,
        b"jun" => 6,
        b"jul" | b"jui" => 7,
        b"aug" => 8,
        b"sep" | b"sze" => 9,
        b"oct" | b"okt" => 10,
        b"nov" => 11,
        b"dec" | b"dez" => 12,
        _ => return None,
    };
    // "juin" is June in French, "jui" alone (VMS) is July.
    if trimmed.starts_with(b"juin") {
        return Some(6);
    }
    (trimmed.len() <= 9).then_some(month)
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

/// FileZilla's rule for a date without a year: this year, unless that puts it more than a
/// day in the future, then last year.
pub(crate) fn infer_year(month: u8, day: u8, now: Timestamp) -> i32 {
    let this_year = Timestamp::date(now.year, month, day);
    match this_year {
        Some(t) if t.to_unix_secs() <= now.to_unix_secs() + 86_400 => now.year,
        _ => now.year - 1,
    }
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
    fn year_inference_follows_filezilla() {
        let now = Timestamp::new(2026, 11, 25, 12, 0, 0, TimePrecision::Second).unwrap();
        assert_eq!(infer_year(11, 26, now), 2026);
        assert_eq!(infer_year(11, 27, now), 2025);
        assert_eq!(infer_year(1, 5, now), 2026);
    }
}
