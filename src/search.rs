//! Remote search (Server > Search remote files, `skiff find`): which entries of a folder
//! tree a search reports, and how deep it looks. The tests on an entry are the filename
//! filter rules' conditions (`folder_sync::rules`: name or path by glob, regex or text, with
//! or without case; size; modification date), all of which must hold; walking the tree is
//! the engine's (`engine::search`).
//!
//! Pure: criteria are compiled once (a bad glob, regex or date is an error in words) and
//! then evaluated per entry without allocating.

use crate::folder_sync::filter::BadPattern;
use crate::folder_sync::rules::{CompiledRule, Condition, EntryFacts, Rule, SizeOp, SizeUnit};
use crate::proto::listing::{Entry, EntryKind};

/// How deep a search looks at most, whatever it is asked: as deep as every other walk
/// (`engine::tree::MAX_DEPTH`, checked there), so a folder that is its own child on the
/// server cannot make it endless.
pub const DEEPEST: u32 = 64;

/// What a search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    /// Every one of these holds for an entry found; none: every entry is found. A `Path`
    /// condition looks at the path below the folder searched (`docs/a.txt`).
    pub conditions: Vec<Condition>,
    /// Names and paths compare case-sensitively.
    pub case_sensitive: bool,
    /// Files are found; folders are found. Folders are entered either way.
    pub files: bool,
    pub folders: bool,
    /// Folder levels looked at: 1 is the folder searched's own entries (as `find
    /// -maxdepth 1`); `None`: as deep as it goes ([`DEEPEST`]).
    pub max_depth: Option<u32>,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            conditions: Vec::new(),
            case_sensitive: true,
            files: true,
            folders: true,
            max_depth: None,
        }
    }
}

impl Criteria {
    /// The criteria ready to evaluate.
    pub fn compile(&self) -> Result<Matcher, BadPattern> {
        if self.max_depth == Some(0) {
            return Err(BadPattern {
                pattern: "0".to_owned(),
                reason: "the depth is at least 1 (the folder's own entries)".to_owned(),
            });
        }
        let rule = Rule {
            name: "search".to_owned(),
            combine: crate::folder_sync::rules::Combine::All,
            conditions: self.conditions.clone(),
            files: self.files,
            folders: self.folders,
            case_sensitive: self.case_sensitive,
        };
        let compiled = rule.compile().map_err(|mut err| {
            // The rule's name means nothing here.
            err.reason = err
                .reason
                .trim_start_matches("in the rule \"search\": ")
                .to_owned();
            err
        })?;
        Ok(Matcher {
            rule: compiled,
            any_condition: !self.conditions.is_empty(),
            files: self.files,
            folders: self.folders,
            max_depth: self.max_depth.unwrap_or(DEEPEST).min(DEEPEST),
        })
    }
}

/// At least `bytes` large: a condition for a search (`--min-size`).
pub fn at_least(bytes: u64) -> Option<Condition> {
    // "Greater than" is strict: one less, and nothing to test for 0.
    bytes.checked_sub(1).map(|value| Condition::Size {
        op: SizeOp::Greater,
        value,
        unit: SizeUnit::B,
    })
}

/// At most `bytes` large (`--max-size`).
pub fn at_most(bytes: u64) -> Condition {
    Condition::Size {
        op: SizeOp::Less,
        value: bytes.saturating_add(1),
        unit: SizeUnit::B,
    }
}

/// Criteria compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    rule: CompiledRule,
    any_condition: bool,
    files: bool,
    folders: bool,
    max_depth: u32,
}

impl Matcher {
    /// Whether `entry`, named `name` (decoded) at `path` below the folder searched, is found.
    pub fn finds(&self, entry: &Entry, name: &str, path: &str) -> bool {
        let is_dir = entry.kind == EntryKind::Dir;
        let kind_wanted = if is_dir { self.folders } else { self.files };
        if !kind_wanted {
            return false;
        }
        let mut facts = EntryFacts::of(entry, name, path);
        if is_dir {
            // What a listing gives as a folder's size is the server's block size: no
            // folder is "larger than 1K".
            facts.size = None;
        }
        !self.any_condition || self.rule.matches(&facts)
    }

    /// Whether the entries of a folder `depth` levels below the folder searched are looked
    /// at (the folder searched is at depth 0).
    pub fn looks_into(&self, depth: u32) -> bool {
        depth < self.max_depth
    }
}

/// A size as people type it: bytes, or with `K`, `M`, `G` (powers of 1024): `10K`, `1.5M`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let at = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(at);
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write bytes, or 10K, 5M, 1G"))?;
    let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("{text:?}: the unit is K, M or G")),
    };
    let bytes = (value * multiplier as f64).round();
    if !(0.0..=1e18).contains(&bytes) {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_sync::rules::{DateOp, TextOp};
    use crate::proto::listing::{TimePrecision, Timestamp};

    fn file(name: &str, size: u64) -> Entry {
        let mut entry = Entry::new(name.as_bytes().to_vec(), EntryKind::File);
        entry.size = Some(size);
        entry
    }

    fn folder(name: &str) -> Entry {
        Entry::new(name.as_bytes().to_vec(), EntryKind::Dir)
    }

    fn finds(criteria: &Criteria, entry: &Entry) -> bool {
        let name = entry.name_lossy();
        criteria.compile().unwrap().finds(entry, &name, &name)
    }

    #[test]
    fn a_name_glob_finds_files_and_folders_by_name_with_or_without_case() {
        let mut criteria = Criteria {
            conditions: vec![Condition::name(TextOp::Glob, "*.TXT")],
            ..Criteria::default()
        };
        assert!(!finds(&criteria, &file("a.txt", 1)));
        criteria.case_sensitive = false;
        assert!(finds(&criteria, &file("a.txt", 1)));
        assert!(finds(&criteria, &folder("old.txt")));
        assert!(!finds(&criteria, &file("a.txt.bak", 1)));
        criteria.folders = false;
        assert!(!finds(&criteria, &folder("old.txt")));
    }

    #[test]
    fn a_regex_finds_korean_names() {
        let criteria = Criteria {
            conditions: vec![Condition::name(TextOp::Regex, "^보고서.*\\.pdf$")],
            ..Criteria::default()
        };
        assert!(finds(&criteria, &file("보고서 2024.pdf", 1)));
        assert!(!finds(&criteria, &file("요약 보고서.pdf", 1)));
    }

    #[test]
    fn sizes_are_inclusive_bounds_and_a_folder_has_none() {
        let criteria = Criteria {
            conditions: [at_least(100), Some(at_most(200))]
                .into_iter()
                .flatten()
                .collect(),
            ..Criteria::default()
        };
        assert!(!finds(&criteria, &file("a", 99)));
        assert!(finds(&criteria, &file("a", 100)));
        assert!(finds(&criteria, &file("a", 200)));
        assert!(!finds(&criteria, &file("a", 201)));
        assert!(!finds(&criteria, &folder("a")));
        let mut listed_with_a_size = folder("a");
        listed_with_a_size.size = Some(150);
        assert!(!finds(&criteria, &listed_with_a_size));
        assert_eq!(at_least(0), None, "at least nothing: no condition");
    }

    #[test]
    fn no_condition_finds_everything_and_a_date_condition_reads_the_listing() {
        assert!(finds(&Criteria::default(), &file("x", 0)));
        let criteria = Criteria {
            conditions: vec![Condition::Modified {
                op: DateOp::Before,
                value: "2024-01-01".to_owned(),
            }],
            ..Criteria::default()
        };
        let mut old = file("old", 1);
        old.modified = Timestamp::new(2023, 12, 31, 23, 0, 0, TimePrecision::Minute);
        assert!(finds(&criteria, &old));
        let mut new = file("new", 1);
        new.modified = Timestamp::new(2024, 1, 1, 0, 0, 0, TimePrecision::Minute);
        assert!(!finds(&criteria, &new));
        assert!(!finds(&criteria, &file("unknown", 1)), "no date: not found");
    }

    #[test]
    fn the_depth_counts_the_folders_own_entries_as_one_level() {
        let everything = Criteria::default().compile().unwrap();
        assert!(everything.looks_into(DEEPEST - 1));
        assert!(!everything.looks_into(DEEPEST));
        let one = Criteria {
            max_depth: Some(1),
            ..Criteria::default()
        }
        .compile()
        .unwrap();
        assert!(one.looks_into(0));
        assert!(!one.looks_into(1));
        let deeper_than_walks = Criteria {
            max_depth: Some(10_000),
            ..Criteria::default()
        };
        assert!(!deeper_than_walks.compile().unwrap().looks_into(DEEPEST));
        let zero = Criteria {
            max_depth: Some(0),
            ..Criteria::default()
        };
        assert!(zero.compile().is_err());
    }

    #[test]
    fn a_bad_pattern_is_an_error_in_words() {
        let criteria = Criteria {
            conditions: vec![Condition::name(TextOp::Regex, "(unclosed")],
            ..Criteria::default()
        };
        let err = criteria.compile().unwrap_err();
        assert!(!err.reason.contains("rule"), "{}", err.reason);
        assert_eq!(err.pattern, "(unclosed");
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_size("1.5m"), Ok(3 * 512 * 1024));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("").is_err());
    }
}
