//! IBM mainframe and Tandem listings. MVS datasets are recognized on their own; PDS members,
//! tapes, z/VM and HP NonStop lines are too ambiguous and need the server type (SYST).
//!
//! ```text
//! WYOSPT 3420   2003/05/21  1  200  FB      80  8053  PS  MVS.FILE      MVS dataset
//! MEMBER 01.01 2004/06/22 2004/06/22 16:32   128   128    0 BOBY12      MVS PDS member
//! ZVMFILE  TRACE   V        65      107        2 2005-10-04 15:28:42 0601   z/VM
//! NAME 101 528 6-Apr-07 14:21:18 255, 0 "oooo"                           HP NonStop
//! ```

use super::entry::{Entry, EntryKind, Timestamp};
use super::tokens::{Line, expand_year, make_time, month, number, time};
use super::unix::split_date;

/// An MVS dataset line (`Volume Unit Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname`).
pub(crate) fn mvs_dataset(line: &Line<'_>) -> Option<Entry> {
    let volume = line.tok(0)?;
    if volume.len() > 6 || !volume.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    number(line.tok(1)?)?;
    let third = line.tok(2)?;
    let name = line.tok(line.len() - 1)?;
    if third == b"VSAM" && line.len() == 4 {
        return Some(Entry::new(name, EntryKind::File));
    }
    if line.len() < 6 {
        return None;
    }
    let date = if third == b"**NONE**" {
        None
    } else {
        let (Some(year), m, d) = split_date(third)? else {
            return None;
        };
        Some(Timestamp::date(year, m, d)?)
    };
    let dsorg = line.tok(line.len() - 2)?;
    let mut entry = if dsorg.starts_with(b"PO") {
        Entry::new(name, EntryKind::Dir)
    } else if dsorg == b"PS" {
        let mut e = Entry::new(name, EntryKind::File);
        // MVS does not list byte sizes; FileZilla shows 100 for sequential datasets.
        e.size = Some(100);
        e
    } else {
        return None;
    };
    entry.modified = date;
    Some(entry)
}

/// PDS members, migrated datasets and tapes, valid only when SYST said MVS.
pub(crate) fn mvs_hinted(line: &Line<'_>) -> Option<Entry> {
    let name = line.tok(0)?;
    match line.len() {
        1 => return Some(Entry::new(name, EntryKind::File)),
        2 if name == b"Migrated" => return Some(Entry::new(line.tok(1)?, EntryKind::File)),
        _ => {}
    }
    if line.tok(1) == Some(b"Tape") {
        return Some(Entry::new(line.tok(line.len() - 1)?, EntryKind::File));
    }
    // Member with ISPF statistics: name vv.mm created changed time size init mod id.
    if let (Some(_), Some((Some(year), m, d)), Some(clock)) = (
        line.tok(1).filter(|t| t.contains(&b'.')),
        line.tok(3).and_then(split_date),
        line.tok(4).and_then(time),
    ) {
        let mut entry = Entry::new(name, EntryKind::File);
        entry.size = number(line.tok(5)?);
        entry.modified = make_time(year, m, d, Some(clock));
        return Some(entry);
    }
    // Load module: name hex-size ...
    let hex = line.tok(1)?;
    if hex.len() == 6 && hex.iter().all(u8::is_ascii_hexdigit) {
        let mut entry = Entry::new(name, EntryKind::File);
        entry.size = u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok();
        return Some(entry);
    }
    None
}

/// z/VM: `name type recfm lrecl records blocks date time owner`; size = lrecl * records.
pub(crate) fn zvm(line: &Line<'_>) -> Option<Entry> {
    let lrecl = number(line.tok(3)?)?;
    let records = number(line.tok(4)?)?;
    let (Some(year), m, d) = split_date(line.tok(6)?)? else {
        return None;
    };
    let clock = time(line.tok(7)?)?;
    let mut name = line.tok(0)?.to_vec();
    name.push(b'.');
    name.extend_from_slice(line.tok(1)?);
    let mut entry = Entry::new(name, EntryKind::File);
    entry.size = lrecl.checked_mul(records);
    entry.modified = make_time(year, m, d, Some(clock));
    entry.owner_group = line.tok(8).map(|t| String::from_utf8_lossy(t).into());
    Some(entry)
}

/// HP NonStop (Tandem Guardian): `name code size D-Mon-YY HH:MM:SS owner "rwep"`.
pub(crate) fn hp_nonstop(line: &Line<'_>) -> Option<Entry> {
    number(line.tok(1)?)?;
    let size = number(line.tok(2)?)?;
    let parts: Vec<&[u8]> = line.tok(3)?.split(|&b| b == b'-').collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    let clock = time(line.tok(4)?)?;
    let mut entry = Entry::new(line.tok(0)?, EntryKind::File);
    entry.size = Some(size);
    entry.modified = make_time(
        expand_year(number(y)?)?,
        month(m)?,
        u8::try_from(number(d)?).ok()?,
        Some(clock),
    );
    entry.modified?;
    // Then the owner as `group, user` numbers (`255, 0` or `255,255`) and the quoted
    // security string.
    let rest = line.after(4, false)?;
    let (owner, security) = match rest.iter().position(|&b| b == b'"') {
        Some(quote) => (&rest[..quote], Some(&rest[quote..])),
        None => (rest, None),
    };
    let owner = owner.trim_ascii();
    entry.owner_group = (!owner.is_empty()).then(|| String::from_utf8_lossy(owner).into());
    entry.permissions = security.map(|s| String::from_utf8_lossy(s.trim_ascii()).into());
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mvs_sequential_dataset_gets_filezillas_placeholder_size() {
        let e = mvs_dataset(&Line::new(
            b"WYOSPT 3420   2003/05/21  1  200  FB      80  8053  PS  USER.DATA",
        ))
        .unwrap();
        assert_eq!(e.name, b"USER.DATA");
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, Some(100));
        assert_eq!(e.modified.unwrap().to_string(), "2003-05-21");
    }

    #[test]
    fn mvs_partitioned_dataset_is_a_directory() {
        for line in [
            &b"WPTA01 3290   2004/03/04  1    3  FB      80  3125  PO  USER.PDS"[..],
            b"NRP004 3390   **NONE**    1   15  NONE     0     0  PO  USER.PDS",
            b"WYOSPT 3420   2003/05/21  1 3 U 6447    6447  PO-E USER.PDS",
        ] {
            let e = mvs_dataset(&Line::new(line)).unwrap();
            assert_eq!(e.kind, EntryKind::Dir);
            assert_eq!(e.name, b"USER.PDS");
        }
    }

    #[test]
    fn pds_members_need_the_mvs_hint_forms() {
        let stats = mvs_hinted(&Line::new(
            b"MEMBER 01.01 2004/06/22 2004/06/22 16:32   128   128    0 BOBY12",
        ))
        .unwrap();
        assert_eq!(stats.size, Some(128));
        assert_eq!(stats.modified.unwrap().to_string(), "2004-06-22 16:32");
        let load = mvs_hinted(&Line::new(b"LOADMOD 00B308 000411  00 FO   31    ANY")).unwrap();
        assert_eq!(load.size, Some(0xB308));
        let migrated = mvs_hinted(&Line::new(b"Migrated\t\t\t\tSOME.FILE")).unwrap();
        assert_eq!(migrated.name, b"SOME.FILE");
        let tape = mvs_hinted(&Line::new(b"V43525 Tape      TAPE.FILE")).unwrap();
        assert_eq!(tape.name, b"TAPE.FILE");
    }

    #[test]
    fn zvm_size_is_record_length_times_records() {
        let e = zvm(&Line::new(
            b"PROFILE  EXEC    V        65      107        2 2005-10-04 15:28:42 060191",
        ))
        .unwrap();
        assert_eq!(e.name, b"PROFILE.EXEC");
        assert_eq!(e.size, Some(65 * 107));
        assert_eq!(e.owner_group.as_deref(), Some("060191"));
    }

    #[test]
    fn hp_nonstop_owner_and_security_string() {
        let e = hp_nonstop(&Line::new(
            b"FILE 101 528 6-Apr-07 14:21:18 255, 0 \"oooo\"",
        ))
        .unwrap();
        assert_eq!(e.size, Some(528));
        assert_eq!(e.owner_group.as_deref(), Some("255, 0"));
        assert_eq!(e.permissions.as_deref(), Some("\"oooo\""));
        assert_eq!(e.modified.unwrap().to_string(), "2007-04-06 14:21:18");
    }

    #[test]
    fn unix_lines_are_not_mvs_datasets() {
        let line = Line::new(b"drwxr-xr-x 3 110 1002 3 Dec 02 2009 pub");
        assert!(mvs_dataset(&line).is_none());
        assert!(zvm(&line).is_none());
        assert!(hp_nonstop(&line).is_none());
    }
}
