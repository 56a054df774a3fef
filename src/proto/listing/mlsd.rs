//! MLSD/MLST fact lines (RFC 3659 section 7):
//!
//! ```text
//! type=file;size=1234;modify=20081105165215;UNIX.mode=0644; name with spaces
//! ```
//! Fact names are case-insensitive; the name is everything after the first space that
//! follows the facts (some servers use a TAB). Old drafts omit the last `;`.

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::number;

/// One fact line; `None` if it is not one.
pub fn parse_mlsx_line(line: &[u8]) -> Option<Entry> {
    // MLST reply bodies start with a space (RFC 3659 7.2).
    let line = line.strip_prefix(b" ").unwrap_or(line);
    let split = line.iter().position(|&b| b == b' ' || b == b'\t')?;
    let (facts, name) = (&line[..split], &line[split + 1..]);
    if name.is_empty() || !facts.contains(&b'=') {
        return None;
    }
    let mut entry = Entry::new(name, EntryKind::File);
    let mut kind_seen = false;
    let mut mode = None;
    let mut perm = None;
    let (mut owner, mut group) = (None, None);
    for fact in facts.split(|&b| b == b';').filter(|f| !f.is_empty()) {
        let eq = fact.iter().position(|&b| b == b'=')?;
        let key = String::from_utf8_lossy(&fact[..eq]).to_ascii_lowercase();
        let value = &fact[eq + 1..];
        match key.as_str() {
            "type" => {
                kind_seen = true;
                let lower = value.to_ascii_lowercase();
                entry.kind = match lower.as_slice() {
                    b"dir" | b"cdir" | b"pdir" => EntryKind::Dir,
                    v if v.starts_with(b"os.unix=slink") || v.starts_with(b"os.unix=symlink") => {
                        // `OS.unix=slink:/target`: the target keeps its original case.
                        if let Some(colon) = value.iter().position(|&b| b == b':') {
                            let target = &value[colon + 1..];
                            entry.link_target = (!target.is_empty()).then(|| target.to_vec());
                        }
                        EntryKind::Link
                    }
                    _ => EntryKind::File,
                };
            }
            "size" | "sizd" => entry.size = number(value),
            "modify" => entry.modified = Timestamp::parse_rfc3659(value),
            "perm" if !value.is_empty() => perm = Some(String::from_utf8_lossy(value).into_owned()),
            "unix.mode" => mode = Some(String::from_utf8_lossy(value).into_owned()),
            "unix.owner" | "unix.ownername" => {
                owner = Some(String::from_utf8_lossy(value).into_owned())
            }
            "unix.group" | "unix.groupname" => {
                group = Some(String::from_utf8_lossy(value).into_owned())
            }
            _ => {}
        }
    }
    if !kind_seen {
        return None;
    }
    // No mode fact means "unknown", never mode 0 (lftp's pyftpdlib bug in peers/README).
    entry.permissions = mode.or(perm);
    entry.owner_group = match (owner, group) {
        (Some(o), Some(g)) => Some(format!("{o} {g}")),
        (o, g) => o.or(g),
    };
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proftpd_mlsd_line_with_unix_facts() {
        let e = parse_mlsx_line(
            b"modify=20260101120000;perm=adfr;size=21;type=file;unique=FD01U2;UNIX.group=999;UNIX.groupname=ftptest;UNIX.mode=0644;UNIX.owner=999;UNIX.ownername=ftptest; readme.txt",
        )
        .unwrap();
        assert_eq!(e.name, b"readme.txt");
        assert_eq!(e.size, Some(21));
        assert_eq!(e.permissions.as_deref(), Some("0644"));
        assert_eq!(e.owner_group.as_deref(), Some("ftptest ftptest"));
    }

    #[test]
    fn pure_ftpd_dirs_have_sizd_and_slink_targets() {
        let d = parse_mlsx_line(b"type=dir;sizd=4096;modify=20260101120000;UNIX.mode=0755; sub")
            .unwrap();
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.size, Some(4096));
        let l =
            parse_mlsx_line(b"type=OS.unix=slink:readme.txt;modify=20260101120000; link-to-readme")
                .unwrap();
        assert_eq!(l.kind, EntryKind::Link);
        assert_eq!(l.link_target.as_deref(), Some(&b"readme.txt"[..]));
    }

    #[test]
    fn mlst_body_line_with_leading_space() {
        let e = parse_mlsx_line(b" type=file;size=3; /abs/path.txt").unwrap();
        assert_eq!(e.name, b"/abs/path.txt");
    }

    #[test]
    fn missing_mode_is_unknown_not_zero() {
        let e = parse_mlsx_line(b"type=file;size=21; f").unwrap();
        assert_eq!(e.permissions, None);
    }
}
