//! Less common server formats, one small function each:
//!
//! ```text
//! 206876  Apr 04, 2000 21:06 name                           VShell (old)
//! 36611      A    04-23-103  10:57  name                     OS/2
//! QSYS            77824 02/23/00 15:09:55 *DIR name/         IBM AS/400
//! name       1014196  06/03/04  Thur.   10:20:03             Nortel wfFtp
//! 2048    Feb-28-1998  05:23:30   name <DIR>                 VxWorks
//! 20.20 07/03/29 1026 d-ewrewr 2650 85920 name               Microware OS-9
//! ```

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::{Line, expand_year, make_time, month, number, size, time};

pub(crate) fn parse(line: &Line<'_>) -> Option<Entry> {
    vshell_old(line)
        .or_else(|| os2(line))
        .or_else(|| as400(line))
        .or_else(|| wfftp(line))
        .or_else(|| vxworks(line))
        .or_else(|| os9(line))
}

/// A name ending in `/` is a directory; the slash is not part of the name.
fn name_and_kind(name: &[u8]) -> (&[u8], EntryKind) {
    match name.strip_suffix(b"/") {
        Some(stripped) if !stripped.is_empty() => (stripped, EntryKind::Dir),
        _ => (name, EntryKind::File),
    }
}

/// `size Mon DD, YYYY HH:MM name`
fn vshell_old(line: &Line<'_>) -> Option<Entry> {
    let size = number(line.tok(0)?)?;
    let m = month(line.tok(1)?)?;
    let day = number(line.tok(2)?.strip_suffix(b",")?)?;
    let year = i32::try_from(number(line.tok(3)?)?).ok()?;
    let clock = time(line.tok(4)?)?;
    let (name, kind) = name_and_kind(line.after(4, false)?);
    let mut entry = Entry::new(name, kind);
    entry.size = Some(size);
    entry.modified = make_time(year, m, u8::try_from(day).ok()?, Some(clock));
    Some(entry)
}

/// `size [DIR] [attrs] MM-DD-YY(Y) HH:MM name`; OS/2 writes 2003 as 103.
fn os2(line: &Line<'_>) -> Option<Entry> {
    let size = number(line.tok(0)?)?;
    let mut i = 1;
    let mut kind = EntryKind::File;
    // Attribute columns: DIR and/or letters such as A, R, H, S.
    while let Some(tok) = line.tok(i) {
        if tok == b"DIR" {
            kind = EntryKind::Dir;
        } else if !(tok.len() <= 4 && tok.iter().all(|b| b"ARHS".contains(b))) {
            break;
        }
        i += 1;
    }
    let parts: Vec<&[u8]> = line.tok(i)?.split(|&b| b == b'-').collect();
    let [m, d, y] = parts.as_slice() else {
        return None;
    };
    let year = expand_year(number(y)?)?;
    let clock = time(line.tok(i + 1)?)?;
    let name = line.after(i + 1, false)?;
    let mut entry = Entry::new(name, kind);
    entry.size = Some(size);
    entry.modified = make_time(
        year,
        u8::try_from(number(m)?).ok()?,
        u8::try_from(number(d)?).ok()?,
        Some(clock),
    );
    entry.modified?;
    Some(entry)
}

/// `owner size date time *TYPE name`; the date is MM/DD/YY, DD/MM/YY or DD.MM.YY.
fn as400(line: &Line<'_>) -> Option<Entry> {
    let owner = line.tok(0)?;
    let size = number(line.tok(1)?)?;
    let date = line.tok(2)?;
    let clock = time(line.tok(3)?)?;
    let object = line.tok(4)?;
    if !object.starts_with(b"*") {
        return None;
    }
    let sep = if date.contains(&b'/') { b'/' } else { b'.' };
    let parts: Vec<u64> = date
        .split(|&b| b == sep)
        .map(number)
        .collect::<Option<_>>()?;
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    let year = expand_year(*y)?;
    // MM/DD unless the first number cannot be a month.
    let (m, d) = if sep == b'.' || *a > 12 {
        (*b, *a)
    } else {
        (*a, *b)
    };
    let (name, _) = name_and_kind(line.after(4, false)?);
    let kind = if object.eq_ignore_ascii_case(b"*DIR") {
        EntryKind::Dir
    } else {
        EntryKind::File
    };
    let mut entry = Entry::new(name, kind);
    entry.size = Some(size);
    entry.modified = make_time(
        year,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
        Some(clock),
    );
    entry.modified?;
    entry.owner_group = Some(String::from_utf8_lossy(owner).into());
    Some(entry)
}

/// `name size MM/DD/YY weekday HH:MM:SS`
fn wfftp(line: &Line<'_>) -> Option<Entry> {
    if line.len() != 5 {
        return None;
    }
    let size = number(line.tok(1)?)?;
    let parts: Vec<u64> = line
        .tok(2)?
        .split(|&b| b == b'/')
        .map(number)
        .collect::<Option<_>>()?;
    let [m, d, y] = parts.as_slice() else {
        return None;
    };
    if !line
        .tok(3)?
        .iter()
        .all(|b| b.is_ascii_alphabetic() || *b == b'.')
    {
        return None;
    }
    let clock = time(line.tok(4)?)?;
    let mut entry = Entry::new(line.tok(0)?, EntryKind::File);
    entry.size = Some(size);
    entry.modified = make_time(
        expand_year(*y)?,
        u8::try_from(*m).ok()?,
        u8::try_from(*d).ok()?,
        Some(clock),
    );
    entry.modified?;
    Some(entry)
}

/// `size Mon-DD-YYYY HH:MM:SS name [<DIR>]`
fn vxworks(line: &Line<'_>) -> Option<Entry> {
    let size = number(line.tok(0)?)?;
    let parts: Vec<&[u8]> = line.tok(1)?.split(|&b| b == b'-').collect();
    let [m, d, y] = parts.as_slice() else {
        return None;
    };
    let m = month(m)?;
    let clock = time(line.tok(2)?)?;
    let rest = line.after(2, false)?;
    let (name, kind) = match rest.strip_suffix(b" <DIR>") {
        Some(name) => (name, EntryKind::Dir),
        None => (rest, EntryKind::File),
    };
    let mut entry = Entry::new(name, kind);
    entry.size = Some(size);
    entry.modified = make_time(
        i32::try_from(number(y)?).ok()?,
        m,
        u8::try_from(number(d)?).ok()?,
        Some(clock),
    );
    entry.modified?;
    Some(entry)
}

/// `owner YY/MM/DD HHMM attrs sector size name`
fn os9(line: &Line<'_>) -> Option<Entry> {
    let owner = line.tok(0)?;
    if !owner.contains(&b'.') || !owner.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    let parts: Vec<u64> = line
        .tok(1)?
        .split(|&b| b == b'/')
        .map(number)
        .collect::<Option<_>>()?;
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    number(line.tok(2)?)?;
    let attrs = line.tok(3)?;
    let size = size(line.tok(5)?)?;
    let kind = if attrs.starts_with(b"d") {
        EntryKind::Dir
    } else {
        EntryKind::File
    };
    let mut entry = Entry::new(line.after(5, false)?, kind);
    entry.size = Some(size);
    entry.modified = Timestamp::date(
        expand_year(*y)?,
        u8::try_from(*m).ok()?,
        u8::try_from(*d).ok()?,
    );
    entry.modified?;
    entry.permissions = Some(String::from_utf8_lossy(attrs).into());
    entry.owner_group = Some(String::from_utf8_lossy(owner).into());
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &[u8]) -> Entry {
        parse(&Line::new(text)).unwrap_or_else(|| panic!("{:?}", String::from_utf8_lossy(text)))
    }

    #[test]
    fn vshell_old_dir_is_marked_by_a_slash() {
        let d = one(b"0  Dec 12, 2002 02:13 sub dir/");
        assert_eq!(d.name, b"sub dir");
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.modified.unwrap().to_string(), "2002-12-12 02:13");
    }

    #[test]
    fn os2_three_digit_years_count_from_1900() {
        let f = one(b"36611      A    04-23-103  10:57  readme.txt");
        assert_eq!(f.modified.unwrap().to_string(), "2003-04-23 10:57");
        let d = one(b" 1123 DIR  A    10-05-100  23:38  dir");
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.size, Some(1123));
    }

    #[test]
    fn as400_date_order_is_detected() {
        let mdy = one(b"QSYS            77824 02/23/00 15:09:55 *DIR lib/");
        assert_eq!(mdy.kind, EntryKind::Dir);
        assert_eq!(mdy.name, b"lib");
        assert_eq!(mdy.owner_group.as_deref(), Some("QSYS"));
        let dmy = one(b"QSYS            77824 23/02/00 15:09:55 *FILE f");
        assert_eq!(dmy.modified.unwrap().to_string(), "2000-02-23 15:09:55");
        let dotted = one(b"QPGMR           36864 18.09.06 14:21:26 *FILE      X.FILE");
        assert_eq!(dotted.modified.unwrap().to_string(), "2006-09-18 14:21:26");
    }

    #[test]
    fn nortel_wfftp_and_vxworks() {
        let w = one(b"boot.cfg       1014196  06/03/04  Thur.   10:20:03");
        assert_eq!(w.name, b"boot.cfg");
        assert_eq!(w.size, Some(1_014_196));
        let v = one(b"2048    Feb-28-1998  05:23:30   tmp dir <DIR>");
        assert_eq!(v.name, b"tmp dir");
        assert_eq!(v.kind, EntryKind::Dir);
    }

    #[test]
    fn os9_owner_and_attributes() {
        let d = one(b"20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS");
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.size, Some(85920));
        assert_eq!(d.owner_group.as_deref(), Some("20.20"));
        assert_eq!(d.permissions.as_deref(), Some("d-ewrewr"));
    }

    #[test]
    fn prose_is_not_mistaken_for_a_rare_format() {
        for line in [
            &b"226 Transfer complete"[..],
            b"12 files in 3 directories",
            b"total 1",
            b"000000000x ",
        ] {
            assert!(parse(&Line::new(line)).is_none(), "{line:?}");
        }
    }
}
