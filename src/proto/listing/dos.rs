//! Windows/IIS "DOS style" lines:
//!
//! ```text
//! 04-27-00  12:09PM       <DIR>          dir name
//! 2002-09-02  19:06                9,730 file name
//! ```

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::{Line, expand_year, make_time, number, size, time};

pub(crate) fn parse(line: &Line<'_>) -> Option<Entry> {
    let date = dos_date(line.tok(0)?)?;
    let clock = time(line.tok(1)?)?;
    let third = line.tok(2)?;
    let (kind, size) = if third.eq_ignore_ascii_case(b"<DIR>") {
        (EntryKind::Dir, None)
    } else {
        (EntryKind::File, Some(size(third)?))
    };
    let name = line.after(2, false)?;
    let mut entry = Entry::new(name, kind);
    entry.size = size;
    entry.modified = make_time(date.0, date.1, date.2, Some(clock));
    Some(entry)
}

/// `MM-DD-YY`, `MM-DD-YYYY` or `YYYY-MM-DD` (also with `/`).
fn dos_date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let sep = if tok.contains(&b'-') { b'-' } else { b'/' };
    let parts: Vec<&[u8]> = tok.split(|&b| b == sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (x, y, z) = (number(a)?, number(b)?, number(c)?);
    let (year, month, day) = if a.len() == 4 {
        (x as i32, y, z)
    } else if a.len() <= 2 && b.len() <= 2 && (c.len() == 2 || c.len() == 4) {
        (expand_year(z)?, x, y)
    } else {
        return None;
    };
    // Validates month and day.
    Timestamp::date(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?)?;
    Some((year, month as u8, day as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iis_directory_and_file() {
        let d = parse(&Line::new(
            b"08-10-15  02:04PM       <DIR>          Billing",
        ))
        .unwrap();
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.modified.unwrap().to_string(), "2015-08-10 14:04");
        let f = parse(&Line::new(
            b"2002-09-02  19:06                9,730 a b.txt",
        ))
        .unwrap();
        assert_eq!(f.size, Some(9730));
        assert_eq!(f.name, b"a b.txt");
    }

    #[test]
    fn four_digit_year_and_midnight_pm_rules() {
        let f = parse(&Line::new(
            b"08-07-2015  12:50AM                  718 x.dat",
        ))
        .unwrap();
        assert_eq!(f.modified.unwrap().to_string(), "2015-08-07 00:50");
        let g = parse(&Line::new(
            b"08-07-2015  12:50PM                  718 x.dat",
        ))
        .unwrap();
        assert_eq!(g.modified.unwrap().hour, 12);
    }

    #[test]
    fn two_digit_years_pivot_at_1970() {
        let old = parse(&Line::new(b"04-27-99  12:09PM  5 a")).unwrap();
        assert_eq!(old.modified.unwrap().year, 1999);
        let new = parse(&Line::new(b"04-27-00  12:09PM  5 a")).unwrap();
        assert_eq!(new.modified.unwrap().year, 2000);
    }

    #[test]
    fn impossible_dates_and_missing_names_are_rejected() {
        assert!(parse(&Line::new(b"13-40-00  12:09PM  5 a")).is_none());
        assert!(parse(&Line::new(b"04-27-00  12:09PM  <DIR>")).is_none());
        assert!(parse(&Line::new(b"04-27-00  12:09PM  lots a")).is_none());
    }

    #[test]
    fn non_utf8_name_survives_byte_exact() {
        let f = parse(&Line::new(b"2002-09-02  19:06  1 \x93\xfa\x96{.txt")).unwrap();
        assert_eq!(f.name, b"\x93\xfa\x96{.txt");
    }
}
