//! The window's filename filters as state: the rule book (`folder_sync::rules::RuleBook`),
//! each pane's ticked rules compiled, and which entries of a pane they hide. Pure: the
//! dialog (`filters_window`) edits a copy of the book, the app saves it (`filters.toml`).

use crate::folder_sync::rules::{
    CompiledRule, EntryFacts, PaneSide, RULES_VERSION, RuleBook, filtered_out,
};
use crate::gui::actions::Side;
use crate::gui::pane::FilePane;
use crate::sites::config_file::{self, Loaded, SaveError};

impl From<Side> for PaneSide {
    fn from(side: Side) -> Self {
        match side {
            Side::Local => PaneSide::Local,
            Side::Remote => PaneSide::Remote,
        }
    }
}

/// Reads `filters.toml` as the other config files are read: missing gives the built-in
/// rules, a damaged or newer one is kept aside and reported.
pub fn load_book(path: &std::path::Path) -> Loaded<RuleBook> {
    config_file::load(path, RULES_VERSION, |_, _| {})
}

/// Writes `filters.toml` atomically, mode 0600, with its schema version.
pub fn save_book(book: &RuleBook, path: &std::path::Path) -> Result<(), SaveError> {
    config_file::save(path, RULES_VERSION, book)
}

#[derive(Debug, Default)]
pub struct FilterState {
    book: RuleBook,
    /// Each pane's rules as they filter it now (none while filters are off), compiled.
    local: Vec<CompiledRule>,
    remote: Vec<CompiledRule>,
    /// Changes with every change of the book, so panes and the comparison know to look again.
    generation: u64,
    /// A ticked rule that does not compile (a hand-edited file): it filters nothing.
    pub problem: Option<String>,
}

impl FilterState {
    pub fn new(book: RuleBook) -> Self {
        let mut state = Self::default();
        state.set_book(book);
        state
    }

    pub fn book(&self) -> &RuleBook {
        &self.book
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Takes a new book (the dialog's OK, the toggle).
    pub fn set_book(&mut self, book: RuleBook) {
        self.problem = None;
        let mut compile = |side: PaneSide| {
            book.pane_rules(side)
                .iter()
                .filter_map(|rule| match rule.compile() {
                    Ok(compiled) => Some(compiled),
                    Err(err) => {
                        self.problem = Some(err.to_string());
                        None
                    }
                })
                .collect()
        };
        self.local = compile(PaneSide::Local);
        self.remote = compile(PaneSide::Remote);
        self.book = book;
        self.generation += 1;
    }

    /// View > "Filename filters on": every filter off, or on again as ticked.
    pub fn set_enabled(&mut self, on: bool) {
        let mut book = self.book.clone();
        book.enabled = on;
        self.set_book(book);
    }

    fn rules(&self, side: Side) -> &[CompiledRule] {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }

    /// Which of `pane`'s entries `side`'s rules hide (`None`: no rules on). Names and paths
    /// as the pane shows them; a path condition sees the entry's full path.
    pub fn hidden(&self, side: Side, pane: &FilePane) -> Option<Vec<bool>> {
        let rules = self.rules(side);
        if rules.is_empty() {
            return None;
        }
        let hidden = pane
            .entries()
            .iter()
            .map(|entry| {
                let name = pane.display_name(&entry.name);
                let full = crate::proto::path::join(&pane.path, &entry.name);
                let path = pane.display_name(&full);
                filtered_out(rules, &EntryFacts::of(entry, &name, &path))
            })
            .collect();
        Some(hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_sync::rules::*;
    use crate::proto::listing::{Entry, EntryKind};

    fn pane(entries: Vec<Entry>) -> FilePane {
        let mut pane = FilePane::default();
        pane.set_listing(b"/site".to_vec(), entries.into());
        pane
    }

    #[test]
    fn a_pane_hides_what_its_ticked_rules_match_until_filters_are_switched_off() {
        let mut big = Entry::new("big.iso", EntryKind::File);
        big.size = Some(5 << 20);
        let p = pane(vec![
            Entry::new("index.html", EntryKind::File),
            Entry::new("index.html~", EntryKind::File),
            Entry::new(".git", EntryKind::Dir),
            big,
        ]);
        let mut book = RuleBook::default();
        book.rules.push(Rule {
            name: "Big".into(),
            conditions: vec![Condition::Size {
                op: SizeOp::Greater,
                value: 1,
                unit: SizeUnit::MiB,
            }],
            ..Rule::new("Big")
        });
        book.set_on(PaneSide::Remote, "Editor temporary files", true);
        book.set_on(PaneSide::Remote, "Version-control folders", true);
        book.set_on(PaneSide::Remote, "Big", true);
        let mut state = FilterState::new(book);
        assert_eq!(state.hidden(Side::Local, &p), None);
        assert_eq!(
            state.hidden(Side::Remote, &p),
            Some(vec![false, true, true, true])
        );
        let before = state.generation();
        state.set_enabled(false);
        assert!(state.generation() > before);
        assert_eq!(state.hidden(Side::Remote, &p), None);
    }

    #[test]
    fn the_rule_book_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RULES_FILE);
        let mut book = RuleBook {
            apply_to_transfers: true,
            ..RuleBook::default()
        };
        book.rules.push(Rule {
            name: "Everything".into(),
            combine: Combine::NotAll,
            conditions: vec![
                Condition::name(TextOp::Regex, r"^\.(env|secret)"),
                Condition::Path {
                    op: TextOp::Glob,
                    value: "**/tmp/*".into(),
                },
                Condition::Size {
                    op: SizeOp::Less,
                    value: 5,
                    unit: SizeUnit::MiB,
                },
                Condition::Modified {
                    op: DateOp::After,
                    value: "2024-01-01 08:00".into(),
                },
                Condition::Attribute {
                    attribute: Attribute::ReadOnly,
                    is: false,
                },
            ],
            files: true,
            folders: false,
            case_sensitive: true,
        });
        book.set_on(PaneSide::Local, "Everything", true);
        save_book(&book, &path).unwrap();
        let loaded = load_book(&path);
        assert!(loaded.problem.is_none(), "{:?}", loaded.problem);
        assert_eq!(loaded.value, book);
        let missing = load_book(&dir.path().join("none.toml"));
        assert_eq!(missing.value, RuleBook::default());
    }

    #[test]
    fn a_damaged_rules_file_is_kept_aside_and_the_built_ins_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RULES_FILE);
        std::fs::write(&path, "version = 1\n[[rules]\n").unwrap();
        let loaded = load_book(&path);
        assert_eq!(loaded.value, RuleBook::default());
        let problem = loaded.problem.unwrap().to_string();
        assert!(problem.contains("filters.toml.damaged-1.bak"), "{problem}");
    }

    #[test]
    fn a_rule_that_does_not_compile_is_a_problem_not_a_panic() {
        let mut book = RuleBook::default();
        book.rules.push(Rule {
            conditions: vec![Condition::name(
                crate::folder_sync::rules::TextOp::Regex,
                "(",
            )],
            ..Rule::new("Broken")
        });
        book.set_on(PaneSide::Local, "Broken", true);
        let state = FilterState::new(book);
        assert!(state.problem.as_deref().unwrap().contains("Broken"));
        assert_eq!(state.hidden(Side::Local, &pane(vec![])), None);
    }
}
