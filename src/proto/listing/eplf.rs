//! EPLF, the Easily Parsed LIST Format (D. J. Bernstein):
//!
//! ```text
//! +i8388621.48594,m825718503,r,s280,up755\tfile name
//! ```
//! Comma-separated facts after `+`, then a TAB, then the name.

use super::entry::{Entry, EntryKind};
use super::tokens::{number, unix_time};

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
                entry.modified = number(&fact[1..]).and_then(unix_time);
            }
            Some(b'u') if fact.get(1) == Some(&b'p') => {
                entry.permissions = Some(String::from_utf8_lossy(&fact[2..]).into());
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

    #[test]
    fn eplf_directory_has_no_size() {
        let d = parse(b"+i8388621.50690,m824255907,/,\tpub").unwrap();
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.size, None);
        assert_eq!(d.modified.unwrap().to_string(), "1996-02-13 23:58:27");
    }

    #[test]
    fn eplf_without_kind_or_name_is_not_an_entry() {
        assert!(parse(b"+i1,m1,s5,\tname").is_none());
        assert!(parse(b"+i1,r,s5,\t").is_none());
        assert!(parse(b"+i1,r,s5, no tab").is_none());
    }

    #[test]
    fn absurd_time_is_dropped_not_wrapped() {
        let e = parse(b"+m99999999999999999,r,\tf").unwrap();
        assert_eq!(e.modified, None);
    }
}
