//! One side of the window as data: the folder shown, its entries, the sort order, the quick
//! filter, the selection and the back history. Pure (no egui), so it is tested the way a
//! file manager is used: click, Ctrl+click, Shift+click, Ctrl+A, arrows, sort, filter.
//!
//! Entries stay in the order they were listed; `sorted` holds all their indices, folders
//! first, sorted by the chosen column, and `view` the visible ones in that order. The
//! selection holds entry indices, so it survives re-sorting and filtering.
//!
//! Sorting and filtering use the listing's keys (`Listing`), made once per listing: a sort is
//! one `sort_unstable` of integers, the filter a search in lowercased names kept end to end,
//! and a filter that contains the previous one only narrows the rows already shown.

use std::collections::BTreeSet;
use std::sync::Arc;

pub use crate::gui::listing::{SortColumn, type_label};

use crate::gui::comparison::Mark;
use crate::gui::listing::Listing;
use crate::proto::listing::Entry;

/// How many folders the back history remembers.
const HISTORY_LIMIT: usize = 50;

/// The keyboard modifiers that change what a click on a row does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClickMods {
    /// Ctrl (Cmd on macOS): toggle this row, keep the rest.
    pub toggle: bool,
    /// Shift: select the range from the anchor to this row.
    pub range: bool,
}

#[derive(Debug, Clone)]
pub struct FilePane {
    /// The folder shown: server bytes (remote) or OS bytes (local).
    pub path: Vec<u8>,
    listing: Listing,
    /// Every entry, folders first, in the chosen order.
    sorted: Vec<u32>,
    /// The visible entries (those the filter keeps), in that order.
    view: Vec<usize>,
    sort: SortColumn,
    ascending: bool,
    filter: String,
    selected: BTreeSet<usize>,
    /// Where the last plain or Ctrl click was: one end of a Shift range.
    anchor: Option<usize>,
    /// The keyboard cursor (an entry index).
    cursor: Option<usize>,
    back: Vec<Vec<u8>>,
    /// Directory comparison: a mark per entry (in the listing's order), when on.
    marks: Option<Vec<Mark>>,
    /// Directory comparison hides the rows it finds identical.
    hide_identical: bool,
    /// Filename filter rules: which entries they hide (in the listing's order), when any.
    filtered: Option<Vec<bool>>,
    /// Counts the listings shown, so a comparison knows when to be made again.
    generation: u64,
    /// A listing is on its way.
    pub loading: bool,
    /// Why the last listing or operation failed.
    pub error: Option<String>,
}

impl Default for FilePane {
    fn default() -> Self {
        Self {
            path: Vec::new(),
            listing: Listing::default(),
            sorted: Vec::new(),
            view: Vec::new(),
            sort: SortColumn::Name,
            ascending: true,
            filter: String::new(),
            selected: BTreeSet::new(),
            anchor: None,
            cursor: None,
            back: Vec::new(),
            marks: None,
            hide_identical: false,
            filtered: None,
            generation: 0,
            loading: false,
            error: None,
        }
    }
}

impl FilePane {
    /// Shows a new listing of `path`. Going to another folder records the old one in the
    /// history and clears the selection; a refresh of the same folder keeps the selected
    /// names selected. (Makes the listing's keys; `show` takes a listing whose keys are made.)
    pub fn set_listing(&mut self, path: Vec<u8>, entries: Arc<[Entry]>) {
        self.show(path, Listing::new(entries));
    }

    /// Shows `listing` of `path`, as `set_listing`.
    /// A name of this listing as the window shows it (`Listing::display_name`).
    pub fn display_name<'a>(&self, name: &'a [u8]) -> std::borrow::Cow<'a, str> {
        self.listing.display_name(name)
    }

    /// The fallback charset a name is shown in, when that is a guess (`NameDecoder::guess`).
    pub fn guessed_charset(&self, name: &[u8]) -> Option<crate::proto::charset::Charset> {
        self.listing.decoder.guess(name)
    }

    pub fn show(&mut self, path: Vec<u8>, listing: Listing) {
        let same_folder = path == self.path;
        let keep: BTreeSet<Vec<u8>> = if same_folder {
            self.selected_entries().map(|e| e.name.clone()).collect()
        } else {
            BTreeSet::new()
        };
        if !same_folder && !self.path.is_empty() {
            self.back.push(std::mem::take(&mut self.path));
            if self.back.len() > HISTORY_LIMIT {
                self.back.remove(0);
            }
        }
        self.path = path;
        self.listing = listing;
        self.selected = if keep.is_empty() {
            BTreeSet::new()
        } else {
            self.listing
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| keep.contains(&e.name))
                .map(|(i, _)| i)
                .collect()
        };
        self.anchor = None;
        self.cursor = None;
        self.loading = false;
        self.error = None;
        // The old marks and filter results belong to the old listing.
        self.marks = None;
        self.filtered = None;
        self.generation += 1;
        self.resort();
    }

    /// Which listing this is: it changes with every listing shown.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Sets the comparison's marks (one per entry, in the listing's order; `None`: off),
    /// and whether identical rows are hidden.
    pub fn set_marks(&mut self, marks: Option<Vec<Mark>>, hide_identical: bool) {
        let marks = marks.filter(|m| m.len() == self.listing.entries.len());
        if marks == self.marks && hide_identical == self.hide_identical {
            return;
        }
        self.marks = marks;
        self.hide_identical = hide_identical;
        self.refilter();
    }

    /// Hides the entries the filename filter rules match (one flag per entry, in the
    /// listing's order; `None`: none hidden). Hidden rows leave the selection.
    pub fn set_filtered(&mut self, filtered: Option<Vec<bool>>) {
        let filtered =
            filtered.filter(|f| f.len() == self.listing.entries.len() && f.contains(&true));
        if filtered == self.filtered {
            return;
        }
        self.filtered = filtered;
        self.refilter();
        if let Some(hidden) = &self.filtered {
            self.selected.retain(|&i| !hidden[i]);
        }
    }

    /// How many entries the filename filter rules hide.
    pub fn hidden_by_filters(&self) -> usize {
        self.filtered
            .as_ref()
            .map_or(0, |f| f.iter().filter(|&&h| h).count())
    }

    /// Whether the filename filter rules hide entry `index` (in the listing's order).
    pub fn is_filtered(&self, index: usize) -> bool {
        self.filtered
            .as_ref()
            .is_some_and(|f| f.get(index) == Some(&true))
    }

    pub fn has_marks(&self) -> bool {
        self.marks.is_some()
    }

    /// The comparison's mark of a visible row.
    pub fn mark(&self, row: usize) -> Option<Mark> {
        let index = *self.view.get(row)?;
        self.marks.as_ref()?.get(index).copied()
    }

    /// The folder to return to with "back", taken off the history.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let previous = self.back.pop()?;
        // Arriving there must not push the folder we leave back onto the history.
        self.path.clear();
        Some(previous)
    }

    pub fn has_back(&self) -> bool {
        !self.back.is_empty()
    }

    pub fn entries(&self) -> &Arc<[Entry]> {
        &self.listing.entries
    }

    /// Visible rows, after the filter.
    pub fn len(&self) -> usize {
        self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// The entry shown in visible row `row`.
    pub fn row(&self, row: usize) -> Option<&Entry> {
        self.view.get(row).map(|&i| &self.listing.entries[i])
    }

    pub fn sort(&self) -> (SortColumn, bool) {
        (self.sort, self.ascending)
    }

    /// Sorts by `column`; choosing the current column again reverses the order.
    pub fn sort_by(&mut self, column: SortColumn) {
        if self.sort == column {
            self.ascending = !self.ascending;
        } else {
            self.sort = column;
            self.ascending = true;
        }
        self.resort();
    }

    pub fn set_sort(&mut self, column: SortColumn, ascending: bool) {
        self.sort = column;
        self.ascending = ascending;
        self.resort();
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Shows only names containing `text` (case-insensitive). Hidden rows leave the
    /// selection, so an action never touches what the user cannot see.
    pub fn set_filter(&mut self, text: &str) {
        if text == self.filter {
            return;
        }
        self.filter = text.to_owned();
        self.refilter();
        if !self.selected.is_empty() {
            let mut visible = vec![false; self.listing.entries.len()];
            for &i in &self.view {
                visible[i] = true;
            }
            self.selected.retain(|&i| visible[i]);
        }
    }

    pub fn is_selected(&self, row: usize) -> bool {
        self.view
            .get(row)
            .is_some_and(|i| self.selected.contains(i))
    }

    pub fn cursor_row(&self) -> Option<usize> {
        let cursor = self.cursor?;
        self.view.iter().position(|&i| i == cursor)
    }

    pub fn selected_entries(&self) -> impl Iterator<Item = &Entry> {
        self.selected.iter().map(|&i| &self.listing.entries[i])
    }

    pub fn selection_len(&self) -> usize {
        self.selected.len()
    }

    /// A click on visible row `row`, as a file manager takes it.
    pub fn click(&mut self, row: usize, mods: ClickMods) {
        let Some(&index) = self.view.get(row) else {
            return;
        };
        if mods.range {
            let anchor_row = self
                .anchor
                .and_then(|a| self.view.iter().position(|&i| i == a))
                .unwrap_or(row);
            let (from, to) = (anchor_row.min(row), anchor_row.max(row));
            if !mods.toggle {
                self.selected.clear();
            }
            self.selected.extend(self.view[from..=to].iter().copied());
        } else if mods.toggle {
            if !self.selected.remove(&index) {
                self.selected.insert(index);
            }
            self.anchor = Some(index);
        } else {
            self.selected.clear();
            self.selected.insert(index);
            self.anchor = Some(index);
        }
        self.cursor = Some(index);
    }

    /// A right-click: a row outside the selection becomes the selection (the context menu
    /// acts on what is selected); inside it, the selection stays.
    pub fn secondary_click(&mut self, row: usize) {
        if !self.is_selected(row) {
            self.click(row, ClickMods::default());
        }
    }

    /// Ctrl+A: every visible row.
    pub fn select_all(&mut self) {
        self.selected = self.view.iter().copied().collect();
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
    }

    /// Arrow keys: move the cursor `delta` rows (clamped); with Shift, extend the selection.
    pub fn move_cursor(&mut self, delta: isize, extend: bool) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        let row = match self.cursor_row() {
            Some(row) => row.saturating_add_signed(delta).min(last),
            None if delta < 0 => last,
            None => 0,
        };
        self.click(
            row,
            ClickMods {
                toggle: false,
                range: extend,
            },
        );
    }

    /// Sorts every entry by the chosen column, then filters.
    fn resort(&mut self) {
        let listing = &self.listing;
        self.sorted = listing
            .keys
            .sorted(&listing.entries, self.sort, self.ascending);
        self.refilter();
    }

    /// The rows the filter keeps, in the sorted order.
    fn refilter(&mut self) {
        let needle = self.filter.to_lowercase();
        let keys = &self.listing.keys;
        let hidden = match (&self.marks, self.hide_identical) {
            (Some(marks), true) => Some(marks),
            _ => None,
        };
        let filtered = self.filtered.as_deref();
        let shown = |i: &usize| {
            hidden.is_none_or(|m| m.get(*i) != Some(&Mark::Identical))
                && filtered.is_none_or(|f| !f[*i])
        };
        let sorted = self.sorted.iter().map(|&i| i as usize).filter(shown);
        self.view = if needle.is_empty() {
            sorted.collect()
        } else {
            let matching = keys.matching(&needle);
            sorted.filter(|&i| matching[i]).collect()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::EntryKind;

    fn file(name: &str, size: u64) -> Entry {
        let mut e = Entry::new(name, EntryKind::File);
        e.size = Some(size);
        e
    }

    fn dir(name: &str) -> Entry {
        Entry::new(name, EntryKind::Dir)
    }

    fn pane(entries: Vec<Entry>) -> FilePane {
        let mut pane = FilePane::default();
        pane.set_listing(b"/".to_vec(), entries.into());
        pane
    }

    fn names(pane: &FilePane) -> Vec<String> {
        (0..pane.len())
            .map(|r| pane.row(r).unwrap().name_lossy())
            .collect()
    }

    fn selected(pane: &FilePane) -> Vec<String> {
        let mut v: Vec<String> = pane.selected_entries().map(Entry::name_lossy).collect();
        v.sort();
        v
    }

    #[test]
    fn folders_come_first_then_names_case_insensitively() {
        let p = pane(vec![
            file("b.txt", 1),
            dir("Zeta"),
            file("A.txt", 2),
            dir("alpha"),
        ]);
        assert_eq!(names(&p), ["alpha", "Zeta", "A.txt", "b.txt"]);
    }

    #[test]
    fn sorting_by_a_column_twice_reverses_it_but_folders_stay_first() {
        let mut p = pane(vec![file("small", 1), file("big", 100), dir("d")]);
        p.sort_by(SortColumn::Size);
        assert_eq!(names(&p), ["d", "small", "big"]);
        p.sort_by(SortColumn::Size);
        assert_eq!(names(&p), ["d", "big", "small"]);
        assert_eq!(p.sort(), (SortColumn::Size, false));
    }

    #[test]
    fn click_ctrl_click_and_shift_click_select_like_a_file_manager() {
        let mut p = pane((0..6).map(|i| file(&format!("f{i}"), i)).collect());
        p.click(1, ClickMods::default());
        assert_eq!(selected(&p), ["f1"]);
        p.click(
            3,
            ClickMods {
                toggle: true,
                range: false,
            },
        );
        assert_eq!(selected(&p), ["f1", "f3"]);
        p.click(
            5,
            ClickMods {
                toggle: false,
                range: true,
            },
        );
        assert_eq!(selected(&p), ["f3", "f4", "f5"], "range from the anchor f3");
        p.click(
            4,
            ClickMods {
                toggle: true,
                range: false,
            },
        );
        assert_eq!(selected(&p), ["f3", "f5"], "ctrl toggles one off");
        p.click(0, ClickMods::default());
        assert_eq!(selected(&p), ["f0"]);
        p.select_all();
        assert_eq!(p.selection_len(), 6);
    }

    #[test]
    fn right_click_keeps_a_selection_it_falls_inside() {
        let mut p = pane((0..4).map(|i| file(&format!("f{i}"), i)).collect());
        p.click(0, ClickMods::default());
        p.click(
            2,
            ClickMods {
                toggle: false,
                range: true,
            },
        );
        p.secondary_click(1);
        assert_eq!(selected(&p), ["f0", "f1", "f2"]);
        p.secondary_click(3);
        assert_eq!(selected(&p), ["f3"]);
    }

    #[test]
    fn the_selection_survives_sorting_and_a_refresh_but_not_a_folder_change() {
        let mut p = pane(vec![file("a", 3), file("b", 1), file("c", 2)]);
        p.click(0, ClickMods::default());
        p.sort_by(SortColumn::Size);
        assert_eq!(selected(&p), ["a"]);
        assert!(p.is_selected(2), "a is now the last row");
        p.set_listing(b"/".to_vec(), vec![file("c", 2), file("a", 3)].into());
        assert_eq!(selected(&p), ["a"], "a refresh keeps the selected name");
        p.set_listing(b"/sub".to_vec(), vec![file("a", 3)].into());
        assert!(selected(&p).is_empty());
    }

    #[test]
    fn the_filter_hides_rows_and_drops_them_from_the_selection() {
        let mut p = pane(vec![
            file("Report.pdf", 1),
            file("notes.txt", 2),
            file("report.txt", 3),
        ]);
        p.select_all();
        p.set_filter("REPORT");
        assert_eq!(names(&p), ["Report.pdf", "report.txt"]);
        assert_eq!(selected(&p), ["Report.pdf", "report.txt"]);
        p.set_filter("");
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn filter_rules_hide_entries_count_them_and_drop_them_from_the_selection() {
        let mut p = pane(vec![file("a.txt", 1), file("a.txt~", 2), dir(".git")]);
        p.select_all();
        p.set_filtered(Some(vec![false, true, true]));
        assert_eq!(names(&p), ["a.txt"]);
        assert_eq!(p.hidden_by_filters(), 2);
        assert_eq!(selected(&p), ["a.txt"]);
        assert!(p.is_filtered(1) && !p.is_filtered(0));
        p.set_filtered(Some(vec![false; 3]));
        assert_eq!(p.len(), 3, "nothing matched: all shown");
        assert_eq!(p.hidden_by_filters(), 0);
        p.set_filtered(Some(vec![true, false, false]));
        p.set_listing(b"/".to_vec(), vec![file("a.txt", 1)].into());
        assert_eq!(p.len(), 1, "a new listing is filtered anew");
    }

    #[test]
    fn arrows_move_the_cursor_and_shift_extends() {
        let mut p = pane((0..4).map(|i| file(&format!("f{i}"), i)).collect());
        p.move_cursor(1, false);
        assert_eq!(
            selected(&p),
            ["f0"],
            "the first arrow lands on the first row"
        );
        p.move_cursor(1, false);
        p.move_cursor(1, true);
        assert_eq!(selected(&p), ["f1", "f2"]);
        p.move_cursor(10, false);
        assert_eq!(p.cursor_row(), Some(3), "clamped to the last row");
        p.move_cursor(-10, false);
        assert_eq!(p.cursor_row(), Some(0));
    }

    #[test]
    fn back_returns_to_the_previous_folder() {
        let mut p = pane(vec![]);
        p.set_listing(b"/a".to_vec(), Arc::from(Vec::new()));
        p.set_listing(b"/a/b".to_vec(), Arc::from(Vec::new()));
        assert_eq!(p.pop_back().as_deref(), Some(&b"/a"[..]));
        p.set_listing(b"/a".to_vec(), Arc::from(Vec::new()));
        assert_eq!(p.pop_back().as_deref(), Some(&b"/"[..]));
        p.set_listing(b"/".to_vec(), Arc::from(Vec::new()));
        assert!(!p.has_back());
    }

    #[test]
    fn type_labels_name_the_extension() {
        assert_eq!(type_label(&file("x.tar.gz", 1)), "GZ-file");
        assert_eq!(type_label(&file(".bashrc", 1)), "File");
        assert_eq!(type_label(&file("README", 1)), "File");
        assert_eq!(type_label(&dir("d.d")), "Folder");
    }
}
