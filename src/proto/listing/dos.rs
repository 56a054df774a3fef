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
}
