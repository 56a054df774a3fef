//! EPLF, the Easily Parsed LIST Format (D. J. Bernstein):
//!
//! ```text
//! +i8388621.48594,m825718503,r,s280,up755\tfile name
//! ```
//! Comma-separated facts after `+`, then a TAB, then the name.

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::number;

pub(crate) fn parse(line: &[u8]) -> Option<Entry> {
    let facts_and_name = line.strip_prefix(b"+")?;
    let tab = facts_and_name.iter().position(|&b| b == b'\t')?;
    let (facts, name) = (&facts_and_name[..tab], &facts_and_name[tab + 1..]);
    if name.is_empty() {
        return None;
    }
    let mut entry = Entry::new(name, EntryKind::File);
    let mut known_kind = false;
    for fact in facts.split(|&b| b == b',') {
        match fact.first() {
            Some(b'/') => {
                entry.kind = EntryKind::Dir;
                known_kind = true;
            }
            Some(b'r') => known_kind = true,
            Some(b's') => entry.size = number(&fact[1..]),
            Some(b'm') => {
                entry.modified = number(&fact[1..])
                    .and_then(|secs| i64::try_from(secs).ok())
                    .map(Timestamp::from_unix_secs);
            }
            Some(b'u') if fact.get(1) == Some(&b'p') => {
                entry.permissions = Some(String::from_utf8_lossy(&fact[2..]).into_owned());
            }
            _ => {}
        }
    }
    known_kind.then_some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eplf_file_with_size_time_and_mode() {
        let e = parse(b"+i8388621.48594,m825718503,r,s280,up755\tf x").unwrap();
        assert_eq!(e.name, b"f x");
        assert_eq!(e.size, Some(280));
        assert_eq!(e.modified.unwrap().to_string(), "1996-03-01 22:15:03");
        assert_eq!(e.permissions.as_deref(), Some("755"));
    }
}
