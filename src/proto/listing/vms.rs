//! OpenVMS directory listings:
//!
//! ```text
//! 36-vms-dir.DIR;1  1 19-NOV-2001 21:41 [root,root] (RWE,RWE,RE,RE)
//! 37-vms-file;1       155   2-JUL-2003 10:30:13.64
//! 42-file;1   [SUMMARY]    1/3     2-AUG-2006 13:05  (RWE,RWE,RE,)
//! ```
//! The name carries a `;version`; sizes are 512-byte blocks (`used/allocated`, or with a
//! unit like `2KB`); owner `[..]` and protection `(..)` may stand in any order. A long name
//! can put the details on the next physical line (the listing parser joins them).

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::{Line, make_time, month, number, size, time};

/// True for a token that looks like a VMS file name with a version: `NAME;1`.
pub(crate) fn is_versioned_name(tok: &[u8]) -> bool {
    match tok.iter().rposition(|&b| b == b';') {
        Some(semi) => semi > 0 && number(&tok[semi + 1..]).is_some(),
        None => false,
    }
}

pub(crate) fn parse(line: &Line<'_>) -> Option<Entry> {
    let name_tok = line.tok(0)?;
    if !is_versioned_name(name_tok) || line.len() < 2 {
        return None;
    }
    let mut size_bytes = None;
    let mut date = None;
    let mut clock = None;
    let mut owner = None;
    let mut protection = None;
    for i in 1..line.len() {
        let tok = line.tok(i)?;
        if let Some(inner) = tok.strip_prefix(b"[") {
            owner = Some(lossy(inner.strip_suffix(b"]").unwrap_or(inner)));
        } else if let Some(inner) = tok.strip_prefix(b"(") {
            protection = Some(lossy(inner.strip_suffix(b")").unwrap_or(inner)));
        } else if let Some(d) = vms_date(tok) {
            date = Some(d);
        } else if let Some(t) = time(tok) {
            clock = Some(t);
        } else if let Some(bytes) = vms_size(tok) {
            size_bytes = Some(bytes);
        } else if owner.is_none() && tok.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            // A bare owner name (`PRONAS`) without brackets.
            owner = Some(lossy(tok));
        } else {
            return None;
        }
    }
    let (year, m, day) = date?;
    let semi = name_tok.iter().rposition(|&b| b == b';')?;
    let stem = &name_tok[..semi];
    let (name, kind) = match stem.len().checked_sub(4) {
        Some(dot) if stem[dot..].eq_ignore_ascii_case(b".DIR") => (&stem[..dot], EntryKind::Dir),
        _ => (name_tok, EntryKind::File),
    };
    if name.is_empty() {
        return None;
    }
    let mut entry = Entry::new(name, kind);
    entry.size = size_bytes;
    entry.modified = make_time(year, m, day, clock);
    entry.owner_group = owner.map(Into::into);
    entry.permissions = protection.map(Into::into);
    Some(entry)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `19-NOV-2001`
fn vms_date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let parts: Vec<&[u8]> = tok.split(|&b| b == b'-').collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    let day = u8::try_from(number(d)?).ok()?;
    let year = i32::try_from(number(y)?).ok()?;
    let m = month(m)?;
    Timestamp::date(year, m, day)?;
    Some((year, m, day))
}

/// Blocks (`155`), used/allocated blocks (`2/8`), or a size with a unit (`2KB`).
fn vms_size(tok: &[u8]) -> Option<u64> {
    if let Some(slash) = tok.iter().position(|&b| b == b'/') {
        number(&tok[slash + 1..])?;
        return number(&tok[..slash])?.checked_mul(512);
    }
    if let Some(blocks) = number(tok) {
        return blocks.checked_mul(512);
    }
    if tok.last().is_some_and(u8::is_ascii_alphabetic) {
        return size(tok);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vms_dir_is_stripped_of_its_suffix() {
        let e = parse(&Line::new(
            b"SUB.DIR;1  1 19-NOV-2001 21:41 [root,root] (RWE,RWE,RE,RE)",
        ))
        .unwrap();
        assert_eq!(e.name, b"SUB");
        assert_eq!(e.kind, EntryKind::Dir);
        assert_eq!(e.size, Some(512));
        assert_eq!(e.owner_group.as_deref(), Some("root,root"));
        assert_eq!(e.permissions.as_deref(), Some("RWE,RWE,RE,RE"));
    }

    #[test]
    fn vms_used_over_allocated_blocks_count_the_used_ones() {
        let e = parse(&Line::new(
            b"LOG.TXT;12    2/8    7-JAN-2000    [IV2_XXX]   (RWED,RWED,RE,)",
        ))
        .unwrap();
        assert_eq!(e.name, b"LOG.TXT;12");
        assert_eq!(e.size, Some(1024));
        assert_eq!(e.modified.unwrap().to_string(), "2000-01-07");
    }

    #[test]
    fn vms_fields_in_any_order_with_fractional_seconds() {
        let e = parse(&Line::new(
            b"A.B;1       17-JUN-1994 17:25:37.50     6308/13     (RWED,RWED,R,)",
        ))
        .unwrap();
        assert_eq!(e.size, Some(6308 * 512));
        assert_eq!(e.modified.unwrap().to_string(), "1994-06-17 17:25:37");
    }

    #[test]
    fn vms_needs_a_date_and_a_name() {
        assert!(parse(&Line::new(b"A.B;1 155")).is_none());
        assert!(parse(&Line::new(b".DIR;1 1 19-NOV-2001")).is_none());
        assert!(parse(&Line::new(b"A.B;x 1 19-NOV-2001")).is_none());
    }
}
