//! Comparing what two sides hold under one name: which is newer, whether the sizes differ,
//! and the state a directory comparison shows for it. Pure; the times are UTC (a site's
//! time-zone offset applied before).
//!
//! Listings are not equally exact: MLSD and local files give seconds, LIST gives minutes
//! for recent files and only the date for older ones. Two times are compared at the
//! coarser of their precisions, then within a tolerance, so a file copied with its time kept
//! reads as identical on a LIST server too.

use crate::proto::listing::{EntryKind, TimePrecision, Timestamp};

/// The default tolerance: 2 s, the resolution of FAT file systems.
pub const DEFAULT_TOLERANCE_SECS: i64 = 2;

/// What a comparison knows of one side's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    pub kind: EntryKind,
    /// A file's size.
    pub size: Option<u64>,
    /// UTC.
    pub modified: Option<Timestamp>,
}

impl Node {
    pub fn from_entry(entry: &crate::proto::listing::Entry) -> Self {
        Self {
            kind: entry.kind,
            size: entry.size,
            modified: entry.modified,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

/// Which of two times is later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newer {
    Left,
    Right,
    /// Equal at the coarser precision, within the tolerance.
    Same,
    /// A side has no time.
    Unknown,
}

/// Compares two times at the coarser of their precisions, within `tolerance_secs`.
pub fn newer(left: Option<Timestamp>, right: Option<Timestamp>, tolerance_secs: i64) -> Newer {
    let (Some(left), Some(right)) = (left, right) else {
        return Newer::Unknown;
    };
    let coarsest = left.precision.min(right.precision);
    let truncate = |time: Timestamp| {
        let secs = time.to_unix_secs();
        match coarsest {
            TimePrecision::Second => secs,
            TimePrecision::Minute => secs - secs.rem_euclid(60),
            TimePrecision::Day => secs - secs.rem_euclid(86_400),
        }
    };
    let delta = truncate(left) - truncate(right);
    if delta.abs() <= tolerance_secs {
        Newer::Same
    } else if delta > 0 {
        Newer::Left
    } else {
        Newer::Right
    }
}

/// How files are judged different.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Size and modification time (the default, as `lftp mirror`).
    #[default]
    Time,
    /// Size only (for servers whose times cannot be trusted).
    Size,
    /// Size, then the contents' checksums where the sizes are equal (the server computes
    /// its side's: HASH, XSHA256, ...). Times are not looked at; a directory comparison,
    /// which hashes nothing, compares sizes only.
    Checksum,
}

impl Criterion {
    /// The name the CLI and the settings use.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Time => "time",
            Criterion::Size => "size",
            Criterion::Checksum => "checksum",
        }
    }
}

/// What a directory comparison shows for one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    OnlyLeft,
    OnlyRight,
    NewerLeft,
    NewerRight,
    SizeDiffers,
    /// A file on one side, a folder on the other.
    KindDiffers,
    Identical,
}

/// The state of one name in a directory comparison. Under [`Criterion::Time`], a newer side
/// is shown before a size difference (as FileZilla does); two folders are identical.
pub fn state(
    left: Option<&Node>,
    right: Option<&Node>,
    criterion: Criterion,
    tolerance_secs: i64,
) -> Option<State> {
    Some(match (left, right) {
        (None, None) => return None,
        (Some(_), None) => State::OnlyLeft,
        (None, Some(_)) => State::OnlyRight,
        (Some(l), Some(r)) if l.is_dir() != r.is_dir() => State::KindDiffers,
        (Some(l), Some(_)) if l.is_dir() => State::Identical,
        (Some(l), Some(r)) => {
            let when = match criterion {
                Criterion::Time => newer(l.modified, r.modified, tolerance_secs),
                Criterion::Size | Criterion::Checksum => Newer::Unknown,
            };
            match when {
                Newer::Left => State::NewerLeft,
                Newer::Right => State::NewerRight,
                Newer::Same | Newer::Unknown if l.size != r.size => State::SizeDiffers,
                Newer::Same | Newer::Unknown => State::Identical,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, precision: TimePrecision) -> Option<Timestamp> {
        let mut t = Timestamp::from_unix_secs(secs);
        t.precision = precision;
        // A listing with minutes or a date gives no seconds (or time of day).
        match precision {
            TimePrecision::Minute => t.second = 0,
            TimePrecision::Day => (t.hour, t.minute, t.second) = (0, 0, 0),
            TimePrecision::Second => {}
        }
        Some(t)
    }

    const T: i64 = 1_764_930_000; // 2025-12-05 10:20:00 UTC
    use TimePrecision::{Day, Minute, Second};

    #[test]
    fn times_compare_at_the_coarser_precision_within_the_tolerance() {
        assert_eq!(newer(at(T, Second), at(T + 1, Second), 2), Newer::Same);
        assert_eq!(newer(at(T, Second), at(T + 3, Second), 2), Newer::Right);
        assert_eq!(newer(at(T + 3, Second), at(T, Second), 0), Newer::Left);
        // LIST's minutes: 10:20:45 locally is 10:20 there.
        assert_eq!(newer(at(T + 45, Second), at(T, Minute), 2), Newer::Same);
        assert_eq!(newer(at(T + 65, Second), at(T, Minute), 2), Newer::Left);
        // An old file's date only.
        assert_eq!(newer(at(T + 3600, Second), at(T, Day), 2), Newer::Same);
        assert_eq!(newer(at(T + 86_400, Second), at(T, Day), 2), Newer::Left);
        assert_eq!(newer(None, at(T, Second), 2), Newer::Unknown);
    }

    fn file(size: u64, secs: i64) -> Node {
        Node {
            kind: EntryKind::File,
            size: Some(size),
            modified: at(secs, Second),
        }
    }

    #[test]
    fn each_state_of_a_comparison() {
        let dir = Node {
            kind: EntryKind::Dir,
            size: None,
            modified: at(T, Second),
        };
        let s = |l: Option<&Node>, r: Option<&Node>| state(l, r, Criterion::Time, 2).unwrap();
        assert_eq!(s(Some(&file(1, T)), None), State::OnlyLeft);
        assert_eq!(s(None, Some(&dir)), State::OnlyRight);
        assert_eq!(
            s(Some(&file(1, T + 60)), Some(&file(1, T))),
            State::NewerLeft
        );
        assert_eq!(
            s(Some(&file(1, T)), Some(&file(2, T + 60))),
            State::NewerRight
        );
        assert_eq!(
            s(Some(&file(1, T)), Some(&file(2, T + 1))),
            State::SizeDiffers
        );
        assert_eq!(
            s(Some(&file(7, T)), Some(&file(7, T + 1))),
            State::Identical
        );
        assert_eq!(s(Some(&file(7, T)), Some(&dir)), State::KindDiffers);
        let by_size = |l: &Node, r: &Node| state(Some(l), Some(r), Criterion::Size, 2).unwrap();
        assert_eq!(by_size(&file(7, T), &file(7, T + 999)), State::Identical);
        assert_eq!(by_size(&file(7, T), &file(8, T)), State::SizeDiffers);
        assert_eq!(state(None, None, Criterion::Time, 2), None);
    }
}
