//! MLSD/MLST fact lines (RFC 3659 section 7):
//!
//! ```text
//! type=file;size=1234;modify=20081105165215;UNIX.mode=0644; name with spaces
//! ```
//! Fact names are case-insensitive; the name is everything after the blank that ends the
//! facts (usually a space, some servers use a TAB). Old drafts omit the last `;`.

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::number;

/// What a fact line describes: a directory member, or the listed directory itself (`cdir`)
/// or its parent (`pdir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Member,
    Current,
    Parent,
}

/// One MLSD/MLST fact line as an entry; `None` for `cdir`/`pdir` lines and for lines
/// that are not fact lines. MLST reply body lines (which start with a space) are accepted.
pub fn parse_mlsx_line(line: &[u8]) -> Option<Entry> {
    match parse_facts(line)? {
        (entry, Role::Member) => Some(entry),
        _ => None,
    }
}

/// The facts and name of one line, with the role its `type` fact gives it.
pub(crate) fn parse_facts(line: &[u8]) -> Option<(Entry, Role)> {
    // MLST reply bodies start with a space (RFC 3659 7.2).
    let line = line.strip_prefix(b" ").unwrap_or(line);
    let (facts, name) = split_facts(line)?;
    if name.is_empty() {
        return None;
    }
    let mut entry = Entry::new(name, EntryKind::File);
    let mut role = Role::Member;
    let mut any_fact = false;
    let (mut size, mut sizd) = (None, None);
    let mut mode = None;
    // Names win over numeric ids, whatever order the server sends them in.
    let (mut owner_name, mut owner_id) = (None, None);
    let (mut group_name, mut group_id) = (None, None);
    for fact in facts.split(|&b| b == b';') {
        // Tolerate junk between facts rather than rejecting the whole entry.
        let Some(eq) = fact.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (key, value) = (&fact[..eq], &fact[eq + 1..]);
        if key.is_empty() {
            continue;
        }
        any_fact = true;
        let text = || String::from_utf8_lossy(value).into_owned();
        match key.to_ascii_lowercase().as_slice() {
            b"type" => (entry.kind, role, entry.link_target) = entry_type(value),
            b"size" => size = number(value),
            // pure-ftpd gives directories `sizd` instead of `size`.
            b"sizd" => sizd = number(value),
            b"modify" => entry.modified = Timestamp::parse_rfc3659(value),
            // `perm` (`adfrw`) says what *we* may do, not a mode: it is not shown as one.
            b"unix.mode" if !value.is_empty() => mode = Some(text()),
            b"unix.ownername" => owner_name = Some(text()),
            b"unix.owner" | b"unix.uid" => owner_id = Some(text()),
            b"unix.groupname" => group_name = Some(text()),
            b"unix.group" | b"unix.gid" => group_id = Some(text()),
            _ => {}
        }
    }
    if !any_fact {
        return None;
    }
    entry.size = size.or(sizd);
    // No mode fact means "unknown", never mode 0 (lftp turns a missing mode into 000).
    entry.permissions = mode.map(Into::into);
    entry.owner_group = match (owner_name.or(owner_id), group_name.or(group_id)) {
        (Some(o), Some(g)) => Some(format!("{o} {g}").into()),
        (o, g) => o.or(g).map(Into::into),
    };
    Some((entry, role))
}

/// Splits `facts; name`. The facts end at the first `;` followed by a blank (so a link
/// target or owner with a space stays in the facts); old drafts without the final `;` end
/// at the first blank.
fn split_facts(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let end = line
        .windows(2)
        .position(|w| w[0] == b';' && is_blank(&w[1]))
        .map(|semi| semi + 1)
        .or_else(|| line.iter().position(is_blank))?;
    let facts = &line[..end];
    // A blank before the first `=` means this is prose, not facts (`250 End of list`).
    if !facts.contains(&b'=') || facts.iter().take_while(|&&b| b != b'=').any(is_blank) {
        return None;
    }
    Some((facts, &line[end + 1..]))
}

/// The `type` fact: kind, role and, for `OS.unix=slink:/target`, the link target (which
/// keeps its original case).
fn entry_type(value: &[u8]) -> (EntryKind, Role, Option<Vec<u8>>) {
    let lower = value.to_ascii_lowercase();
    match lower.as_slice() {
        b"dir" => (EntryKind::Dir, Role::Member, None),
        b"cdir" => (EntryKind::Dir, Role::Current, None),
        b"pdir" => (EntryKind::Dir, Role::Parent, None),
        v if v.starts_with(b"os.unix=slink") || v.starts_with(b"os.unix=symlink") => {
            let target = value
                .iter()
                .position(|&b| b == b':')
                .map(|colon| &value[colon + 1..])
                .filter(|target| !target.is_empty())
                .map(<[u8]>::to_vec);
            (EntryKind::Link, Role::Member, target)
        }
        // `file`, device types (`OS.unix=chr-1/3`) and anything unknown.
        _ => (EntryKind::File, Role::Member, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proftpd_capture_line_prefers_names_over_ids() {
        let e = parse_mlsx_line(
            b"modify=20010203040506;perm=adfrw;size=4;type=file;unique=FE00U51219B;UNIX.group=995;UNIX.groupname=ftptest;UNIX.mode=0644;UNIX.owner=999;UNIX.ownername=ftptest; old-2001.txt",
        )
        .unwrap();
        assert_eq!(e.name, b"old-2001.txt");
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, Some(4));
        assert_eq!(e.modified.unwrap().to_string(), "2001-02-03 04:05:06");
        assert_eq!(e.permissions.as_deref(), Some("0644"));
        assert_eq!(e.owner_group.as_deref(), Some("ftptest ftptest"));
    }

    #[test]
    fn proftpd_symlink_without_target_is_a_link() {
        let e = parse_mlsx_line(
            b"modify=20261124211127;perm=adfrw;size=10;type=OS.unix=symlink;unique=FE00U51218F;UNIX.group=995;UNIX.groupname=ftptest;UNIX.mode=0777;UNIX.owner=999;UNIX.ownername=ftptest; link-to-readme",
        )
        .unwrap();
        assert_eq!(e.kind, EntryKind::Link);
        assert_eq!(e.link_target, None);
    }

    #[test]
    fn pure_ftpd_dirs_use_sizd_and_numeric_ids() {
        let d = parse_mlsx_line(
            b"type=dir;sizd=4096;modify=20261124211120;UNIX.mode=0755;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120b5; dir with spaces",
        )
        .unwrap();
        assert_eq!(d.kind, EntryKind::Dir);
        assert_eq!(d.name, b"dir with spaces");
        assert_eq!(d.size, Some(4096));
        assert_eq!(d.owner_group.as_deref(), Some("999 995"));
    }

    #[test]
    fn pure_ftpd_slink_with_empty_target_has_no_target() {
        let l = parse_mlsx_line(
            b"type=OS.unix=slink:;size=10;modify=20261124211120;UNIX.mode=0777;UNIX.uid=999;UNIX.gid=995;unique=fe00g5120c2; link-to-readme",
        )
        .unwrap();
        assert_eq!(l.kind, EntryKind::Link);
        assert_eq!(l.link_target, None);
    }

    #[test]
    fn slink_target_keeps_its_case_and_spaces() {
        let l = parse_mlsx_line(b"type=OS.unix=slink:/Some Dir/X;size=3; link").unwrap();
        assert_eq!(l.name, b"link");
        assert_eq!(l.link_target.as_deref(), Some(&b"/Some Dir/X"[..]));
    }

    #[test]
    fn pyftpdlib_line_without_mode_has_unknown_permissions() {
        let e = parse_mlsx_line(
            b"modify=20261124211129;perm=radfwMT;size=21;type=file;unique=fe00g5121f9; readme.txt",
        )
        .unwrap();
        assert_eq!(e.size, Some(21));
        assert_eq!(e.permissions, None);
        assert_eq!(e.owner_group, None);
    }

    #[test]
    fn mlst_body_lines_start_with_a_space() {
        let e = parse_mlsx_line(
            b" modify=20261124211129;perm=eldfmMTcp;size=4096;type=dir;unique=fe00g5121fa; /sub",
        )
        .unwrap();
        assert_eq!(e.name, b"/sub");
        assert_eq!(e.kind, EntryKind::Dir);
    }

    #[test]
    fn reply_prose_is_not_a_fact_line() {
        assert!(parse_mlsx_line(b"250-Listing \"/readme.txt\":").is_none());
        assert!(parse_mlsx_line(b"250 End of list").is_none());
        assert!(parse_mlsx_line(b"Start of list for a=b; x").is_none());
    }

    #[test]
    fn cdir_and_pdir_are_not_members() {
        let cdir = b"type=cdir;sizd=4096;modify=20261124214233;UNIX.mode=0755; .";
        assert!(parse_mlsx_line(cdir).is_none());
        assert_eq!(parse_facts(cdir).unwrap().1, Role::Current);
        let pdir = b"Type=PDir;modify=20261124214233; /tmp";
        assert_eq!(parse_facts(pdir).unwrap().1, Role::Parent);
    }

    #[test]
    fn fact_names_are_case_insensitive() {
        let e = parse_mlsx_line(b"Type=file;mOdIfY=20081105165215;SIZE=1234; x").unwrap();
        assert_eq!(e.size, Some(1234));
        assert_eq!(e.modified.unwrap().to_string(), "2008-11-05 16:52:15");
    }

    #[test]
    fn name_keeps_leading_and_trailing_blanks() {
        let e = parse_mlsx_line(b"type=file; \t lead and trail \t").unwrap();
        assert_eq!(e.name, b"\t lead and trail \t");
        let e = parse_mlsx_line(b"size=1;type=file;\tafter a tab").unwrap();
        assert_eq!(e.name, b"after a tab");
    }

    #[test]
    fn old_drafts_without_final_semicolon() {
        let e = parse_mlsx_line(b"type=file;size=9 old style name").unwrap();
        assert_eq!(e.name, b"old style name");
        assert_eq!(e.size, Some(9));
    }

    #[test]
    fn facts_without_value_or_junk_are_skipped() {
        let e = parse_mlsx_line(b"type=file;junk;=x;size=5;UNIX.mode=; f").unwrap();
        assert_eq!(e.size, Some(5));
        assert_eq!(e.permissions, None);
    }

    #[test]
    fn non_utf8_names_survive_byte_exact() {
        let e = parse_mlsx_line(b"type=file;size=1; \x82\xa0\x82\xa2.txt").unwrap();
        assert_eq!(e.name, b"\x82\xa0\x82\xa2.txt");
    }

    #[test]
    fn missing_type_fact_means_a_file() {
        let e = parse_mlsx_line(b"size=7;modify=20200101000000; f").unwrap();
        assert_eq!(e.kind, EntryKind::File);
    }
}
