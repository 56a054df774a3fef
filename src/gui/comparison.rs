//! Directory comparison (View > Directory comparison): each row of both panes marked by how
//! its name compares with the other pane's folder. Pure: two listings in, one mark per
//! entry of each out (`folder_sync::compare` judges each pair). Names are matched as the
//! window shows them (a legacy-charset server's names decoded), times as shown (the site's
//! offset applied), at the coarser precision of the two sides.

use std::collections::HashMap;

use crate::folder_sync::compare::{Criterion, DEFAULT_TOLERANCE_SECS, Node, State, state};
use crate::proto::listing::Entry;

/// How one row compares, from its own pane's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    OnlyHere,
    NewerHere,
    NewerThere,
    SizeDiffers,
    /// A file here, a folder there (or the other way).
    KindDiffers,
    Identical,
}

impl Mark {
    pub const ALL: [Mark; 6] = [
        Mark::OnlyHere,
        Mark::NewerHere,
        Mark::NewerThere,
        Mark::SizeDiffers,
        Mark::KindDiffers,
        Mark::Identical,
    ];

    fn from_state(state: State) -> Self {
        match state {
            State::OnlyLeft | State::OnlyRight => Mark::OnlyHere,
            State::NewerLeft => Mark::NewerHere,
            State::NewerRight => Mark::NewerThere,
            State::SizeDiffers => Mark::SizeDiffers,
            State::KindDiffers => Mark::KindDiffers,
            State::Identical => Mark::Identical,
        }
    }

    /// A glyph that tells the marks apart without their colours.
    pub fn glyph(self) -> &'static str {
        match self {
            Mark::OnlyHere => "+",
            Mark::NewerHere => "⏶",
            Mark::NewerThere => "⏷",
            Mark::SizeDiffers => "≠",
            Mark::KindDiffers => "!",
            Mark::Identical => "=",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Mark::OnlyHere => "only here",
            Mark::NewerHere => "newer here",
            Mark::NewerThere => "newer there",
            Mark::SizeDiffers => "size differs",
            Mark::KindDiffers => "file here, folder there",
            Mark::Identical => "identical",
        }
    }

    /// Okabe and Ito's palette, which colour-blind eyes tell apart too: blue, bluish
    /// green, vermillion, orange, reddish purple, grey.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Mark::OnlyHere => [0x00, 0x72, 0xB2],
            Mark::NewerHere => [0x00, 0x9E, 0x73],
            Mark::NewerThere => [0xD5, 0x5E, 0x00],
            Mark::SizeDiffers => [0xE6, 0x9F, 0x00],
            Mark::KindDiffers => [0xCC, 0x79, 0xA7],
            Mark::Identical => [0x99, 0x99, 0x99],
        }
    }
}

/// Marks for every entry of both listings, in the listings' order. `local_name` and
/// `remote_name` give each side's names as the window shows them.
pub fn compare(
    local: &[Entry],
    local_name: &dyn Fn(&[u8]) -> String,
    remote: &[Entry],
    remote_name: &dyn Fn(&[u8]) -> String,
    criterion: Criterion,
) -> (Vec<Mark>, Vec<Mark>) {
    let index = |entries: &[Entry], name: &dyn Fn(&[u8]) -> String| {
        entries
            .iter()
            .map(|e| (name(&e.name), Node::from_entry(e)))
            .collect::<HashMap<String, Node>>()
    };
    let local_nodes = index(local, local_name);
    let remote_nodes = index(remote, remote_name);
    let marks =
        |entries: &[Entry], name: &dyn Fn(&[u8]) -> String, other: &HashMap<String, Node>| {
            entries
                .iter()
                .map(|e| {
                    let here = Node::from_entry(e);
                    let there = other.get(&name(&e.name));
                    state(Some(&here), there, criterion, DEFAULT_TOLERANCE_SECS)
                        .map_or(Mark::OnlyHere, Mark::from_state)
                })
                .collect()
        };
    (
        marks(local, local_name, &remote_nodes),
        marks(remote, remote_name, &local_nodes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::{EntryKind, TimePrecision, Timestamp};

    fn file(name: &str, size: u64, secs: i64, precision: TimePrecision) -> Entry {
        let mut e = Entry::new(name.as_bytes().to_vec(), EntryKind::File);
        e.size = Some(size);
        let mut t = Timestamp::from_unix_secs(secs);
        if precision == TimePrecision::Minute {
            t.second = 0;
        }
        t.precision = precision;
        e.modified = Some(t);
        e
    }

    #[test]
    fn each_side_is_marked_from_its_own_point_of_view() {
        use TimePrecision::{Minute, Second};
        const T: i64 = 1_764_930_000;
        let local = [
            file("same.txt", 5, T + 30, Second),
            file("mine.txt", 1, T, Second),
            file("edited.txt", 9, T + 600, Second),
            file("grown.txt", 7, T, Second),
            file("x", 1, T, Second),
        ];
        let mut folder = Entry::new(b"x".to_vec(), EntryKind::Dir);
        folder.modified = None;
        let remote = [
            // LIST's minutes: 10:20 there is 10:20:30 here.
            file("same.txt", 5, T, Minute),
            file("edited.txt", 9, T, Minute),
            file("grown.txt", 8, T, Minute),
            file("theirs.txt", 1, T, Minute),
            folder,
        ];
        let name = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
        let (here, there) = compare(&local, &name, &remote, &name, Criterion::Time);
        assert_eq!(
            here,
            [
                Mark::Identical,
                Mark::OnlyHere,
                Mark::NewerHere,
                Mark::SizeDiffers,
                Mark::KindDiffers
            ]
        );
        assert_eq!(
            there,
            [
                Mark::Identical,
                Mark::NewerThere,
                Mark::SizeDiffers,
                Mark::OnlyHere,
                Mark::KindDiffers
            ]
        );
    }

    #[test]
    fn every_mark_has_its_own_glyph_and_colour() {
        let glyphs: std::collections::HashSet<_> = Mark::ALL.iter().map(|m| m.glyph()).collect();
        let colours: std::collections::HashSet<_> = Mark::ALL.iter().map(|m| m.rgb()).collect();
        assert_eq!(glyphs.len(), Mark::ALL.len());
        assert_eq!(colours.len(), Mark::ALL.len());
    }
}
