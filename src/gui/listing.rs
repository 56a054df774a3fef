//! A listing as a pane shows it: the entries and their sort and filter keys, made once per
//! listing, so that sorting 100,000 rows by a column and filtering them fit in a frame.
//!
//! Every column becomes an integer per entry: a name's place among the names (case-
//! insensitive, then by bytes), a size, a packed time, or the place of a type, permissions or
//! owner among the few different ones the folder has. A column's order is then one
//! `sort_unstable` of 128-bit keys (folder or not, the column, the name's place), with no
//! string compared, made once per column and kept: a click on a header copies it (reversed
//! for descending). The filter looks for its text in the lowercased names, kept end to end
//! in one string, with one substring search over that string. Making the keys costs a name
//! sort with string comparisons, so the window makes them, and every column's order, off
//! the UI thread for a big listing (`Listing::OFF_THREAD`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::proto::charset::Charset;
use crate::proto::listing::{Entry, EntryKind, TimePrecision, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortColumn {
    Name,
    Size,
    Type,
    Modified,
    Permissions,
    Owner,
}

impl SortColumn {
    pub const ALL: [Self; 6] = [
        Self::Name,
        Self::Size,
        Self::Type,
        Self::Modified,
        Self::Permissions,
        Self::Owner,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// The Type column's text: "Folder", "Link", or the extension as FileZilla shows it.
pub fn type_label(entry: &Entry) -> String {
    match entry.kind {
        EntryKind::Dir => "Folder".to_owned(),
        EntryKind::Link => "Link".to_owned(),
        EntryKind::File => {
            let name = entry.name_lossy();
            match name
                .rfind('.')
                .filter(|&dot| dot > 0 && dot + 1 < name.len())
            {
                Some(dot) => format!("{}-file", name[dot + 1..].to_uppercase()),
                None => "File".to_owned(),
            }
        }
    }
}

/// How one side's names become text: its charset, and for a UTF-8 ("Auto") server that
/// does not announce UTF8, a fallback charset for the names that are not UTF-8 (a guess,
/// which the window marks). Names stay bytes for every operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameDecoder {
    pub charset: Charset,
    pub fallback: Option<Charset>,
}

impl NameDecoder {
    pub fn new(charset: Charset) -> Self {
        Self {
            charset,
            fallback: None,
        }
    }

    /// The name as text (U+FFFD where its bytes mean nothing in the charset).
    pub fn decode<'a>(&self, name: &'a [u8]) -> Cow<'a, str> {
        match self.guess(name) {
            Some(fallback) => fallback.decode(name),
            None => self.charset.decode(name),
        }
    }

    /// The fallback charset `name` is shown in, when it is shown in one (a guess).
    pub fn guess(&self, name: &[u8]) -> Option<Charset> {
        self.fallback
            .filter(|_| self.charset.is_utf8() && std::str::from_utf8(name).is_err())
    }
}

/// A folder's entries, in the order they were listed, with their keys.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Arc<[Entry]>,
    pub keys: Arc<ListingKeys>,
    /// How the names are shown and filtered (a site's charset, for the server's names).
    pub decoder: NameDecoder,
}

impl Listing {
    /// From this many entries on, the window makes the keys on the blocking pool rather
    /// than in a frame (about 2 ms of keys per 10,000 entries).
    pub const OFF_THREAD: usize = 10_000;

    /// Names in UTF-8 (the local disk's, or a UTF-8 server's).
    pub fn new(entries: Arc<[Entry]>) -> Self {
        Self::decoded(entries, NameDecoder::default())
    }

    /// Names shown as `decoder` decodes them; the filter matches the decoded text.
    pub fn decoded(entries: Arc<[Entry]>, decoder: NameDecoder) -> Self {
        let keys = ListingKeys::new(&entries, decoder);
        if entries.len() >= Self::OFF_THREAD {
            // Made here, off the UI thread, so that no header click sorts 100,000 rows in a
            // frame (about 8 ms each on the 2-core test machine).
            for column in SortColumn::ALL {
                keys.order(&entries, column);
            }
        }
        Self {
            entries,
            keys: Arc::new(keys),
            decoder,
        }
    }

    /// An entry's name as the window shows it: decoded in the listing's charset, control
    /// and bidi characters as escapes.
    pub fn display_name<'a>(&self, name: &'a [u8]) -> Cow<'a, str> {
        match self.decoder.decode(name) {
            Cow::Borrowed(text) => crate::visible::visible(text),
            Cow::Owned(text) => Cow::Owned(crate::visible::visible(&text).into_owned()),
        }
    }
}

impl From<Arc<[Entry]>> for Listing {
    fn from(entries: Arc<[Entry]>) -> Self {
        Self::new(entries)
    }
}

/// The sort and filter keys of a listing's entries (indices as in the listing; a listing
/// has fewer than 2^32 entries).
#[derive(Debug, Default)]
pub struct ListingKeys {
    /// The names as the filter compares them (decoded, lowercased), end to end.
    lower: String,
    /// Where each entry's lowercased name ends in `lower`.
    ends: Vec<usize>,
    /// Each entry's place in name order (case-insensitively, then by bytes): all different.
    name_rank: Vec<u32>,
    /// The entries in name order (`name_rank`'s inverse).
    by_name: Vec<u32>,
    /// Each entry's place among the folder's different type labels, permissions, owners.
    type_rank: Vec<u32>,
    permissions_rank: Vec<u32>,
    owner_rank: Vec<u32>,
    /// Each column's ascending order, made when first asked for (`SortColumn::index`).
    orders: [OnceLock<ColumnOrder>; SortColumn::ALL.len()],
}

/// The entries in one column's ascending order: the folders first, each part by the
/// column, ties by name. Every key differs (the name's place is in it), so the descending
/// order is each part reversed.
#[derive(Debug)]
struct ColumnOrder {
    order: Vec<u32>,
    folders: usize,
}

impl ListingKeys {
    pub fn new(entries: &[Entry], decoder: NameDecoder) -> Self {
        let mut lower = String::new();
        let mut ends = Vec::with_capacity(entries.len());
        for entry in entries {
            match std::str::from_utf8(&entry.name) {
                Ok(name) if name.is_ascii() => {
                    lower.extend(name.chars().map(|c| c.to_ascii_lowercase()));
                }
                _ => lower.push_str(&decoder.decode(&entry.name).to_lowercase()),
            }
            ends.push(lower.len());
        }
        let by_name = name_order(entries);
        let mut name_rank = vec![0; entries.len()];
        for (rank, &i) in by_name.iter().enumerate() {
            name_rank[i as usize] = rank as u32;
        }
        Self {
            lower,
            ends,
            name_rank,
            by_name,
            type_rank: ranks(entries, type_label),
            permissions_rank: ranks(entries, |e| e.permissions.clone()),
            owner_rank: ranks(entries, |e| e.owner_group.clone()),
            orders: Default::default(),
        }
    }

    /// Entry `i`'s name, lowercased, as the filter sees it.
    pub fn lower_name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.lower[start..self.ends[i]]
    }

    /// Which entries' lowercased names contain `needle` (lowercased), by index: one search
    /// through all the names end to end, a match that runs from one name into the next
    /// not counted.
    pub fn matching(&self, needle: &str) -> Vec<bool> {
        let mut found = vec![needle.is_empty(); self.ends.len()];
        if needle.is_empty() {
            return found;
        }
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let names = self.lower.as_bytes();
        let (mut from, mut i) = (0, 0);
        while let Some(at) = finder.find(&names[from..]).map(|at| from + at) {
            // The name the match starts in (matches come in order), and where it ends.
            while self.ends.get(i).is_some_and(|&end| end <= at) {
                i += 1;
            }
            let Some(&end) = self.ends.get(i) else { break };
            found[i] |= at + needle.len() <= end;
            // The next name may hold a match this one's overlap hid: search again from it.
            from = end;
        }
        found
    }

    /// Every entry, folders first, then by `column` (ties by name), reversed when not
    /// `ascending` (folders still first).
    pub fn sorted(&self, entries: &[Entry], column: SortColumn, ascending: bool) -> Vec<u32> {
        let ColumnOrder { order, folders } = self.order(entries, column);
        if ascending {
            order.clone()
        } else {
            let (dirs, files) = order.split_at(*folders);
            dirs.iter()
                .rev()
                .chain(files.iter().rev())
                .copied()
                .collect()
        }
    }

    /// `column`'s ascending order, made the first time it is asked for.
    fn order(&self, entries: &[Entry], column: SortColumn) -> &ColumnOrder {
        self.orders[column.index()].get_or_init(|| {
            let order = self.ascending(entries, column);
            let folders = order
                .iter()
                .take_while(|&&i| entries[i as usize].is_dir())
                .count();
            ColumnOrder { order, folders }
        })
    }

    fn ascending(&self, entries: &[Entry], column: SortColumn) -> Vec<u32> {
        if column == SortColumn::Name {
            // Already in order: the folders, then the rest, each in name order.
            let names = |dirs: bool| {
                self.by_name
                    .iter()
                    .filter(move |&&i| entries[i as usize].is_dir() == dirs)
            };
            return names(true).chain(names(false)).copied().collect();
        }
        let mut keys: Vec<u128> = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let by_column = u128::from(self.column_key(entry, i, column)) << 32
                    | u128::from(self.name_rank[i]);
                u128::from(!entry.is_dir()) << 96 | by_column
            })
            .collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|key| self.by_name[key as u32 as usize])
            .collect()
    }

    /// An integer in the order of `column` (never `Name`, which is `name_rank`).
    fn column_key(&self, entry: &Entry, i: usize, column: SortColumn) -> u64 {
        match column {
            SortColumn::Name => 0,
            // No size sorts before any size.
            SortColumn::Size => entry.size.map_or(0, |s| s.saturating_add(1)),
            SortColumn::Type => u64::from(self.type_rank[i]),
            SortColumn::Modified => entry.modified.map_or(0, |t| time_key(&t) + 1),
            SortColumn::Permissions => u64::from(self.permissions_rank[i]),
            SortColumn::Owner => u64::from(self.owner_rank[i]),
        }
    }
}

/// A time as an integer in `Timestamp`'s order: its fields, then its precision.
fn time_key(t: &Timestamp) -> u64 {
    let precision = match t.precision {
        TimePrecision::Day => 0,
        TimePrecision::Minute => 1,
        TimePrecision::Second => 2,
    };
    // The year made positive in 32 bits, then each field in the bits it needs: 60 in all.
    let year = (i64::from(t.year) - i64::from(i32::MIN)) as u64;
    let fields = [
        (t.month, 4),
        (t.day, 5),
        (t.hour, 5),
        (t.minute, 6),
        (t.second, 6),
        (precision, 2),
    ];
    fields.into_iter().fold(year, |key, (field, bits)| {
        key << bits | u64::from(field.min((1 << bits) - 1))
    })
}

/// The entries' indices in name order: case-insensitively (ASCII), then by bytes.
fn name_order(entries: &[Entry]) -> Vec<u32> {
    let mut folded = Vec::new();
    let mut ends = Vec::with_capacity(entries.len());
    for entry in entries {
        folded.extend(entry.name.iter().map(u8::to_ascii_lowercase));
        ends.push(folded.len());
    }
    let folded_name = |i: u32| {
        let i = i as usize;
        let start = if i == 0 { 0 } else { ends[i - 1] };
        &folded[start..ends[i]]
    };
    let mut order: Vec<u32> = (0..entries.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        folded_name(a)
            .cmp(folded_name(b))
            .then_with(|| entries[a as usize].name.cmp(&entries[b as usize].name))
            .then(a.cmp(&b))
    });
    order
}

/// Each entry's place among the different values `key` takes in the folder (equal values,
/// equal places), in the values' order.
fn ranks<K: Ord + std::hash::Hash>(entries: &[Entry], key: impl Fn(&Entry) -> K) -> Vec<u32> {
    let mut ids: HashMap<K, u32> = HashMap::new();
    let per_entry: Vec<u32> = entries
        .iter()
        .map(|e| {
            let next = ids.len() as u32;
            *ids.entry(key(e)).or_insert(next)
        })
        .collect();
    let mut values: Vec<(K, u32)> = ids.into_iter().collect();
    values.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut place = vec![0; values.len()];
    for (rank, (_, id)) in values.iter().enumerate() {
        place[*id as usize] = rank as u32;
    }
    per_entry.into_iter().map(|id| place[id as usize]).collect()
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    /// The order the keys stand for, written with comparisons.
    fn compare(a: &Entry, b: &Entry, column: SortColumn) -> Ordering {
        let names = |a: &Entry, b: &Entry| {
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase())
                .then_with(|| a.name.cmp(&b.name))
        };
        let by_column = match column {
            SortColumn::Name => Ordering::Equal,
            SortColumn::Size => a.size.cmp(&b.size),
            SortColumn::Type => type_label(a).cmp(&type_label(b)),
            SortColumn::Modified => a.modified.cmp(&b.modified),
            SortColumn::Permissions => a.permissions.cmp(&b.permissions),
            SortColumn::Owner => a.owner_group.cmp(&b.owner_group),
        };
        by_column.then_with(|| names(a, b))
    }

    /// Varied entries with different names: some folders, links, sizes, times (or none).
    fn entries(n: u64) -> Vec<Entry> {
        let perms: [Option<Arc<str>>; 3] =
            [None, Some("rw-r--r--".into()), Some("rwx------".into())];
        let owners: [Option<Arc<str>>; 3] = [Some("b b".into()), None, Some("a a".into())];
        (0..n)
            .map(|i| {
                let r = i.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
                let kind = match r % 7 {
                    0 => EntryKind::Dir,
                    1 => EntryKind::Link,
                    _ => EntryKind::File,
                };
                let ext = ["", ".txt", ".TXT", ".tar.gz", ".é"][(r >> 3) as usize % 5];
                let case = if r >> 9 & 1 == 0 { "Name" } else { "name" };
                let mut e = Entry::new(format!("{case}{}{ext}", (r >> 11) % 50 * 1000 + i), kind);
                e.size = (r >> 20 & 3 != 0).then_some((r >> 24) % 100);
                e.modified = (r >> 30 & 3 != 0)
                    .then(|| {
                        Timestamp::new(
                            1990 + (r >> 32) as i32 % 40,
                            1 + (r >> 40) as u8 % 12,
                            1 + (r >> 44) as u8 % 28,
                            (r >> 50) as u8 % 24,
                            (r >> 52) as u8 % 60,
                            (r >> 56) as u8 % 60,
                            [
                                TimePrecision::Day,
                                TimePrecision::Minute,
                                TimePrecision::Second,
                            ][(r >> 60) as usize % 3],
                        )
                    })
                    .flatten();
                e.permissions = perms[(r >> 5) as usize % 3].clone();
                e.owner_group = owners[(r >> 7) as usize % 3].clone();
                e
            })
            .collect()
    }

    #[test]
    fn the_keys_sort_as_the_comparisons_do_for_every_column_both_ways() {
        let entries = entries(2_000);
        let keys = ListingKeys::new(&entries, NameDecoder::default());
        for column in SortColumn::ALL {
            // Descending first for half the columns: either direction may make the order.
            let directions = if column.index() % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for ascending in directions {
                let mut expected: Vec<u32> = (0..entries.len() as u32).collect();
                expected.sort_by(|&a, &b| {
                    let (a, b) = (&entries[a as usize], &entries[b as usize]);
                    b.is_dir().cmp(&a.is_dir()).then_with(|| {
                        let order = compare(a, b, column);
                        if ascending { order } else { order.reverse() }
                    })
                });
                assert_eq!(
                    keys.sorted(&entries, column, ascending),
                    expected,
                    "{column:?}, ascending {ascending}"
                );
            }
        }
    }

    #[test]
    fn a_big_listing_has_every_order_made_before_it_is_shown() {
        let small = Listing::new(entries(100).into());
        assert!(small.keys.orders.iter().all(|o| o.get().is_none()));
        let big = Listing::new(entries(Listing::OFF_THREAD as u64).into());
        assert!(big.keys.orders.iter().all(|o| o.get().is_some()));
        let by_size = big.keys.sorted(&big.entries, SortColumn::Size, false);
        assert_eq!(by_size.len(), big.entries.len());
    }

    #[test]
    fn times_keep_their_order_as_keys() {
        let t = |y, mo, d, h, mi, s, p| time_key(&Timestamp::new(y, mo, d, h, mi, s, p).unwrap());
        use TimePrecision::{Day, Minute, Second};
        let ordered = [
            t(-5, 12, 31, 23, 59, 59, Second),
            t(1970, 1, 1, 0, 0, 0, Day),
            t(1970, 1, 1, 0, 0, 0, Minute),
            t(1970, 1, 1, 0, 0, 1, Day),
            t(1970, 1, 2, 0, 0, 0, Day),
            t(2024, 12, 31, 23, 59, 59, Second),
            t(2025, 1, 1, 0, 0, 0, Day),
        ];
        assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
    }

    #[test]
    fn the_filter_sees_names_lowercased() {
        let entries = [
            Entry::new("ÉTÉ.TXT", EntryKind::File),
            Entry::new(b"bad\xffNAME".to_vec(), EntryKind::File),
            Entry::new("", EntryKind::File),
            Entry::new("Plain", EntryKind::Dir),
        ];
        let keys = ListingKeys::new(&entries, NameDecoder::default());
        assert_eq!(keys.lower_name(0), "été.txt");
        assert_eq!(keys.lower_name(1), "bad\u{fffd}name");
        assert_eq!(keys.lower_name(2), "");
        assert_eq!(keys.lower_name(3), "plain");
    }

    #[test]
    fn matching_is_str_contains_per_name() {
        // Neighbours whose ends and starts make the needle together ("ca" "aab", "a" "a"):
        // such a match counts for neither, and must not hide one inside the next name.
        let names = [
            "",
            "a",
            "abc",
            "ca",
            "aab",
            "a",
            "a",
            "report_0042.txt",
            "été",
            "ééé",
            "é",
            "",
        ];
        let entries: Vec<Entry> = names
            .iter()
            .map(|n| Entry::new(*n, EntryKind::File))
            .collect();
        let keys = ListingKeys::new(&entries, NameDecoder::default());
        for needle in [
            "", "a", "aa", "ab", "b", "abc", "abcd", "0042.", "txt", "é", "té", "éé", "x", "aé",
        ] {
            let expected: Vec<bool> = names.iter().map(|name| name.contains(needle)).collect();
            assert_eq!(
                keys.matching(needle),
                expected,
                "names containing {needle:?}"
            );
        }
    }
}
