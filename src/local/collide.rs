//! Names that differ only in case or in Unicode normalisation (`é` as one code point or as
//! `e` + accent) are one file on Windows and macOS. Within one downloaded folder the first
//! keeps its name and each later one becomes `name (1).ext`, `name (2).ext`, ... with a log
//! line, on every platform (the tree stays copyable), so none silently overwrites another.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization as _;

use super::names::numbered_name;

/// Tries per name before giving up (as the file-exists "rename" policy).
const MAX_NUMBER: u32 = 999;

/// The key two names share when a case-insensitive, normalising file system sees one
/// file: NFC of the lowercase text (ASCII lowercase for names that are not UTF-8).
pub fn fold_key(name: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(name) {
        Ok(text) => text
            .nfd()
            .collect::<String>()
            .to_lowercase()
            .nfc()
            .collect::<String>()
            .into_bytes(),
        Err(_) => name.to_ascii_lowercase(),
    }
}

/// The names given out so far in one local folder.
#[derive(Debug, Default)]
pub struct FolderNames {
    taken: HashSet<Vec<u8>>,
}

impl FolderNames {
    /// A folder: `name` if no earlier name folds to the same key, else the first free
    /// `name (n).ext`; `None` when even `name (999)` is taken.
    pub fn claim(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        self.claim_keys(name, false)
    }

    /// A file: as `claim`, and its download's `NAME.part` must be free too, so a listed
    /// `x.part` can neither be replaced by the temporary file of `x` nor replace it.
    pub fn claim_file(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        self.claim_keys(name, true)
    }

    fn claim_keys(&mut self, name: &[u8], with_part: bool) -> Option<Vec<u8>> {
        let mut try_take = |candidate: &[u8]| {
            let key = fold_key(candidate);
            let part = with_part.then(|| fold_key(&super::names::part_name(candidate)));
            let free =
                !self.taken.contains(&key) && part.as_ref().is_none_or(|p| !self.taken.contains(p));
            if free {
                self.taken.insert(key);
                self.taken.extend(part);
            }
            free
        };
        if try_take(name) {
            return Some(name.to_vec());
        }
        (1..=MAX_NUMBER)
            .map(|n| numbered_name(name, n))
            .find(|candidate| try_take(candidate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_normalisation_twins_share_a_key() {
        assert_eq!(fold_key(b"README.txt"), fold_key(b"readme.TXT"));
        assert_eq!(
            fold_key("caf\u{e9}".as_bytes()),
            fold_key("cafe\u{301}".as_bytes())
        );
        assert_eq!(
            fold_key("CAF\u{c9}".as_bytes()),
            fold_key("cafe\u{301}".as_bytes())
        );
        assert_ne!(fold_key(b"a.txt"), fold_key(b"b.txt"));
        assert_eq!(fold_key(b"\xc7\xd1A"), b"\xc7\xd1a");
    }

    #[test]
    fn the_later_twin_is_numbered_and_the_first_keeps_its_name() {
        let mut names = FolderNames::default();
        assert_eq!(names.claim(b"Report.pdf").unwrap(), b"Report.pdf");
        assert_eq!(names.claim(b"report.PDF").unwrap(), b"report (1).PDF");
        assert_eq!(names.claim(b"REPORT.pdf").unwrap(), b"REPORT (2).pdf");
        let nfc = "caf\u{e9}".as_bytes();
        let nfd = "cafe\u{301}".as_bytes();
        assert_eq!(names.claim(nfc).unwrap(), nfc);
        let mut expected = nfd.to_vec();
        expected.extend_from_slice(b" (1)");
        assert_eq!(names.claim(nfd).unwrap(), expected);
        // A listed name that is already someone's number moves on as well.
        assert_eq!(
            names.claim(b"report (1).pdf").unwrap(),
            b"report (1) (1).pdf"
        );
        // Exact duplicates (a server listing one name twice) too.
        assert_eq!(names.claim(b"x").unwrap(), b"x");
        assert_eq!(names.claim(b"x").unwrap(), b"x (1)");
    }

    #[test]
    fn a_listed_dot_part_file_never_meets_another_files_temporary_name() {
        let mut names = FolderNames::default();
        assert_eq!(names.claim_file(b"x").unwrap(), b"x");
        assert_eq!(names.claim_file(b"x.part").unwrap(), b"x (1).part");
        let mut reversed = FolderNames::default();
        assert_eq!(reversed.claim_file(b"y.part").unwrap(), b"y.part");
        assert_eq!(reversed.claim_file(b"y").unwrap(), b"y (1)");
        // A folder cannot take a file's temporary name either.
        assert_eq!(reversed.claim(b"Y.PART.part").unwrap(), b"Y (1).PART.part");
    }

    #[test]
    fn numbering_ends() {
        let mut full = FolderNames::default();
        assert!(full.claim(b"n").is_some());
        for n in 1..=MAX_NUMBER {
            assert_eq!(
                full.claim(&numbered_name(b"n", n)),
                Some(numbered_name(b"n", n))
            );
        }
        // "n" and every "n (1)".."n (999)" are taken: a further "n" has nowhere to go.
        assert_eq!(full.claim(b"n"), None);
    }
}
