//! Server > Search remote files' window (F3): the criteria (a name pattern as a glob, a regex
//! or a part of the name, with or without case; sizes; dates; a depth limit; files and
//! folders), Search and Stop, the results as they stream in, and what to do with those
//! selected: download them, delete them (after a confirmation) or show one in the remote
//! pane. `app/search.rs` runs the search on the engine and carries out what is chosen.

use std::collections::BTreeSet;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::folder_sync::rules::{Condition, DateOp, TextOp};
use crate::proto::listing::Entry;
use crate::search::{Criteria, at_least, at_most, parse_size};
use crate::units::human_size;

/// How the name pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Glob,
    Regex,
    Contains,
}

impl PatternKind {
    pub const ALL: [PatternKind; 3] =
        [PatternKind::Glob, PatternKind::Regex, PatternKind::Contains];

    fn words(self) -> &'static str {
        match self {
            PatternKind::Glob => "matches the glob",
            PatternKind::Regex => "matches the regex",
            PatternKind::Contains => "contains",
        }
    }

    fn op(self) -> TextOp {
        match self {
            PatternKind::Glob => TextOp::Glob,
            PatternKind::Regex => TextOp::Regex,
            PatternKind::Contains => TextOp::Contains,
        }
    }
}

/// The criteria as the form holds them: text as typed, checked when the search starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchForm {
    /// The server's folder searched, as text (decoded from the site's charset).
    pub folder: String,
    /// The name pattern; empty: any name.
    pub pattern: String,
    pub kind: PatternKind,
    pub case_sensitive: bool,
    /// Sizes as typed (`10K`, `5M`); empty: no bound.
    pub min_size: String,
    pub max_size: String,
    /// Dates as typed (`2024-05-31`, `2024-05-31 14:30`); empty: no bound.
    pub newer: String,
    pub older: String,
    /// Folder levels looked at (1: the folder's own entries), when `limit_depth`.
    pub limit_depth: bool,
    pub max_depth: u32,
    pub files: bool,
    pub folders: bool,
}

impl SearchForm {
    pub fn new(folder: String) -> Self {
        Self {
            folder,
            pattern: String::new(),
            kind: PatternKind::Glob,
            case_sensitive: false,
            min_size: String::new(),
            max_size: String::new(),
            newer: String::new(),
            older: String::new(),
            limit_depth: false,
            max_depth: 3,
            files: true,
            folders: true,
        }
    }

    /// The search's criteria, or what is wrong with the form, in words.
    pub fn criteria(&self) -> Result<Criteria, String> {
        let mut conditions = Vec::new();
        if !self.pattern.is_empty() {
            conditions.push(Condition::name(self.kind.op(), &self.pattern));
        }
        let size = |text: &str, what: &str| -> Result<Option<u64>, String> {
            let text = text.trim();
            match text.is_empty() {
                true => Ok(None),
                false => parse_size(text)
                    .map(Some)
                    .map_err(|err| format!("{what}: {err}")),
            }
        };
        conditions.extend(size(&self.min_size, "At least")?.and_then(at_least));
        conditions.extend(size(&self.max_size, "At most")?.map(at_most));
        for (text, op) in [(&self.newer, DateOp::After), (&self.older, DateOp::Before)] {
            let text = text.trim();
            if !text.is_empty() {
                conditions.push(Condition::Modified {
                    op,
                    value: text.to_owned(),
                });
            }
        }
        if !self.files && !self.folders {
            return Err("Tick files, folders or both.".to_owned());
        }
        let criteria = Criteria {
            conditions,
            case_sensitive: self.case_sensitive,
            files: self.files,
            folders: self.folders,
            max_depth: self.limit_depth.then_some(self.max_depth.max(1)),
        };
        criteria
            .compile()
            .map_err(|bad| format!("{:?}: {}", bad.pattern, bad.reason))?;
        Ok(criteria)
    }
}

/// One entry found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Named by its full path on the server (its bytes).
    pub entry: Entry,
    /// The path as shown (decoded).
    pub shown: String,
}

/// Where a search stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchState {
    /// Nothing run yet.
    Idle,
    /// Running: the folder listed last (as shown).
    Running { folder: String },
    /// Ended: what happened, in words.
    Ended(String),
}

pub struct SearchWindow {
    pub form: SearchForm,
    pub results: Vec<Found>,
    /// Indices of the results selected.
    pub selected: BTreeSet<usize>,
    pub state: SearchState,
    pub folders_searched: usize,
    /// Folders that could not be listed (the search went on), with why.
    pub unlisted: Vec<String>,
    /// What is wrong with the form, or why an action could not run.
    pub problem: Option<String>,
    /// Delete… was clicked: the selection waits for a confirmation.
    pub confirm_delete: bool,
}

/// What the user did in the window this frame.
#[derive(Debug, Clone)]
pub enum SearchOutcome {
    Open,
    Closed,
    Start(Criteria),
    Stop,
    Download(Vec<Entry>),
    Delete(Vec<Entry>),
    ShowInPane(Entry),
}

impl SearchWindow {
    pub fn new(folder: String) -> Self {
        Self {
            form: SearchForm::new(folder),
            results: Vec::new(),
            selected: BTreeSet::new(),
            state: SearchState::Idle,
            folders_searched: 0,
            unlisted: Vec::new(),
            problem: None,
            confirm_delete: false,
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.state, SearchState::Running { .. })
    }

    /// A new search starts: the last one's results go.
    pub fn started(&mut self) {
        self.results.clear();
        self.selected.clear();
        self.unlisted.clear();
        self.folders_searched = 0;
        self.confirm_delete = false;
        self.problem = None;
        self.state = SearchState::Running {
            folder: self.form.folder.clone(),
        };
    }

    /// A folder listed: what was found in it.
    pub fn found(&mut self, folder: String, found: impl IntoIterator<Item = Found>) {
        self.folders_searched += 1;
        self.results.extend(found);
        if self.running() {
            self.state = SearchState::Running { folder };
        }
    }

    /// The search ended: `Ok` done, else stopped or failed, in words.
    pub fn ended(&mut self, result: Result<(), String>) {
        let count = match self.results.len() {
            1 => "1 entry found".to_owned(),
            n => format!("{n} entries found"),
        };
        let folders = match self.folders_searched {
            1 => "1 folder".to_owned(),
            n => format!("{n} folders"),
        };
        self.state = SearchState::Ended(match result {
            Ok(()) => format!("Done: {count} in {folders}."),
            Err(why) => format!("{why} {count} in {folders}."),
        });
    }

    /// A result deleted on the server: it leaves the table.
    pub fn deleted(&mut self, path: &[u8]) {
        if let Some(at) = self.results.iter().position(|f| f.entry.name == path) {
            self.results.remove(at);
            self.selected = self
                .selected
                .iter()
                .filter(|&&i| i != at)
                .map(|&i| if i > at { i - 1 } else { i })
                .collect();
        }
    }

    fn selected_entries(&self) -> Vec<Entry> {
        self.selected
            .iter()
            .filter_map(|&i| self.results.get(i))
            .map(|f| f.entry.clone())
            .collect()
    }

    pub fn show(&mut self, ctx: &egui::Context) -> SearchOutcome {
        let mut open = true;
        let mut outcome = SearchOutcome::Open;
        egui::Window::new("Search remote files")
            .open(&mut open)
            .default_size([900.0, 560.0])
            .resizable(true)
            .show(ctx, |ui| {
                self.form_ui(ui, &mut outcome);
                ui.separator();
                self.status_ui(ui);
                self.results_ui(ui);
                ui.separator();
                self.actions_ui(ui, &mut outcome);
            });
        if open { outcome } else { SearchOutcome::Closed }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, outcome: &mut SearchOutcome) {
        let running = self.running();
        let form = &mut self.form;
        egui::Grid::new("search-form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Search in folder:");
                ui.add_enabled(
                    !running,
                    egui::TextEdit::singleline(&mut form.folder).desired_width(420.0),
                )
                .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Name:");
                ui.horizontal(|ui| {
                    egui::ComboBox::from_id_salt("search-kind")
                        .selected_text(form.kind.words())
                        .show_ui(ui, |ui| {
                            for kind in PatternKind::ALL {
                                ui.selectable_value(&mut form.kind, kind, kind.words());
                            }
                        });
                    ui.add(
                        egui::TextEdit::singleline(&mut form.pattern)
                            .hint_text("*.php (empty: any name)")
                            .desired_width(220.0),
                    )
                    .labelled_by(label.id);
                    ui.checkbox(&mut form.case_sensitive, "Case sensitive");
                });
                ui.end_row();
                ui.label("Size:");
                ui.horizontal(|ui| {
                    ui.label("at least");
                    ui.add(egui::TextEdit::singleline(&mut form.min_size).desired_width(70.0));
                    ui.label("at most");
                    ui.add(egui::TextEdit::singleline(&mut form.max_size).desired_width(70.0));
                    ui.weak("bytes, or 10K, 5M, 1G");
                });
                ui.end_row();
                ui.label("Modified:");
                ui.horizontal(|ui| {
                    ui.label("after");
                    ui.add(egui::TextEdit::singleline(&mut form.newer).desired_width(130.0));
                    ui.label("before");
                    ui.add(egui::TextEdit::singleline(&mut form.older).desired_width(130.0));
                    ui.weak("2024-05-31 or 2024-05-31 14:30 (UTC)");
                });
                ui.end_row();
                ui.label("Look at:");
                ui.horizontal(|ui| {
                    ui.checkbox(&mut form.files, "Files");
                    ui.checkbox(&mut form.folders, "Folders");
                    ui.checkbox(&mut form.limit_depth, "At most");
                    ui.add_enabled(
                        form.limit_depth,
                        egui::DragValue::new(&mut form.max_depth).range(1..=64),
                    );
                    ui.label("folder levels deep");
                });
                ui.end_row();
            });
        ui.horizontal(|ui| {
            if running {
                if ui.button("⏹ Stop").clicked() {
                    *outcome = SearchOutcome::Stop;
                }
            } else if ui.button("🔍 Search").clicked() {
                match self.form.criteria() {
                    Ok(criteria) => *outcome = SearchOutcome::Start(criteria),
                    Err(why) => self.problem = Some(why),
                }
            }
            if let Some(problem) = &self.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| match &self.state {
            SearchState::Idle => {
                ui.label("Choose what to look for, then Search.");
            }
            SearchState::Running { folder } => {
                ui.spinner();
                ui.label(format!(
                    "Searching… {} found in {} folders; now in {folder}",
                    self.results.len(),
                    self.folders_searched
                ));
            }
            SearchState::Ended(words) => {
                ui.label(words);
            }
        });
        if !self.unlisted.is_empty() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} folders could not be listed", self.unlisted.len()),
            )
            .on_hover_text(self.unlisted.join("\n"));
        }
    }

    fn results_ui(&mut self, ui: &mut egui::Ui) {
        // Room below for the actions' row.
        let height = (ui.available_height() - 70.0).max(120.0);
        let mut clicked = None;
        let results = &self.results;
        let selected = &self.selected;
        TableBuilder::new(ui)
            .id_salt("search-results")
            .auto_shrink(false)
            .min_scrolled_height(0.0)
            .max_scroll_height(height)
            .striped(true)
            // Not resizable: the path column takes the window's width, whatever it was at first.
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::remainder().at_least(200.0).clip(true))
            .column(Column::exact(90.0))
            .column(Column::exact(150.0))
            .header(20.0, |mut header| {
                for title in ["Path", "Size", "Modified"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, results.len(), |mut row| {
                    let index = row.index();
                    let found = &results[index];
                    row.set_selected(selected.contains(&index));
                    let name = match found.entry.is_dir() {
                        true => format!("🗀 {}", found.shown),
                        false => found.shown.clone(),
                    };
                    row.col(|ui| {
                        if ui
                            .add(
                                egui::Label::new(name)
                                    .truncate()
                                    .sense(egui::Sense::click()),
                            )
                            .clicked()
                        {
                            clicked = Some(index);
                        }
                    });
                    row.col(|ui| {
                        if let Some(size) = found.entry.size.filter(|_| !found.entry.is_dir()) {
                            ui.label(human_size(size));
                        }
                    });
                    row.col(|ui| {
                        if let Some(time) = found.entry.modified {
                            ui.label(time.to_string());
                        }
                    });
                    if row.response().clicked() {
                        clicked = Some(index);
                    }
                });
            });
        if let Some(index) = clicked {
            let toggle = ui.input(|i| i.modifiers.command);
            if toggle {
                if !self.selected.remove(&index) {
                    self.selected.insert(index);
                }
            } else {
                self.selected = BTreeSet::from([index]);
            }
            self.confirm_delete = false;
        }
    }

    fn actions_ui(&mut self, ui: &mut egui::Ui, outcome: &mut SearchOutcome) {
        let chosen = self.selected.len();
        if self.confirm_delete {
            ui.horizontal(|ui| {
                let files = self
                    .selected_entries()
                    .iter()
                    .filter(|e| !e.is_dir())
                    .count();
                ui.label(format!(
                    "Delete {files} file{} from the server? This cannot be undone.",
                    if files == 1 { "" } else { "s" }
                ));
                if ui.button("Yes, delete").clicked() {
                    *outcome = SearchOutcome::Delete(self.selected_entries());
                    self.confirm_delete = false;
                }
                if ui.button("Cancel").clicked() {
                    self.confirm_delete = false;
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            ui.label(format!("{chosen} selected"));
            if ui
                .add_enabled(chosen > 0, egui::Button::new("⬇ Download"))
                .on_hover_text("Into the local folder shown, through the queue")
                .clicked()
            {
                *outcome = SearchOutcome::Download(self.selected_entries());
            }
            let files = self.selected_entries().iter().any(|e| !e.is_dir());
            if ui
                .add_enabled(files, egui::Button::new("🗑 Delete…"))
                .on_hover_text("The selected files (folders are deleted from the pane)")
                .clicked()
            {
                self.confirm_delete = true;
            }
            if ui
                .add_enabled(chosen == 1, egui::Button::new("Show in pane"))
                .on_hover_text("Open its folder in the remote pane and select it")
                .clicked()
                && let Some(entry) = self.selected_entries().pop()
            {
                *outcome = SearchOutcome::ShowInPane(entry);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::listing::EntryKind;

    #[test]
    fn the_form_makes_criteria_from_what_was_typed() {
        let mut form = SearchForm::new("/www".into());
        form.pattern = "*.PHP".into();
        form.min_size = "1K".into();
        form.older = "2024-05-31".into();
        form.limit_depth = true;
        form.max_depth = 2;
        let criteria = form.criteria().unwrap();
        assert_eq!(criteria.conditions.len(), 3);
        assert!(!criteria.case_sensitive);
        assert_eq!(criteria.max_depth, Some(2));
        let matcher = criteria.compile().unwrap();
        let mut file = Entry::new(b"index.php".to_vec(), EntryKind::File);
        file.size = Some(4096);
        file.modified = crate::proto::listing::Timestamp::date(2023, 1, 1);
        assert!(matcher.finds(&file, "index.php", "index.php"));
        file.size = Some(10);
        assert!(!matcher.finds(&file, "index.php", "index.php"));
    }

    #[test]
    fn an_empty_form_finds_everything_and_bad_input_is_said() {
        let form = SearchForm::new("/".into());
        assert!(form.criteria().unwrap().conditions.is_empty());
        let bad = |change: fn(&mut SearchForm)| {
            let mut form = SearchForm::new("/".into());
            change(&mut form);
            form.criteria().unwrap_err()
        };
        assert!(bad(|f| f.min_size = "lots".into()).starts_with("At least"));
        assert!(bad(|f| f.newer = "yesterday".into()).contains("not a date"));
        assert!(
            bad(|f| {
                f.kind = PatternKind::Regex;
                f.pattern = "[".into();
            })
            .contains('[')
        );
        assert!(
            bad(|f| {
                f.files = false;
                f.folders = false;
            })
            .contains("Tick")
        );
    }

    #[test]
    fn results_stream_in_and_a_deleted_one_leaves_the_selection_in_step() {
        let mut window = SearchWindow::new("/".into());
        window.started();
        let found = |path: &str| Found {
            entry: Entry::new(path.as_bytes().to_vec(), EntryKind::File),
            shown: path.to_owned(),
        };
        window.found("/".into(), [found("/a"), found("/b")]);
        window.found("/d".into(), [found("/d/c")]);
        assert_eq!(window.results.len(), 3);
        assert_eq!(window.folders_searched, 2);
        assert_eq!(
            window.state,
            SearchState::Running {
                folder: "/d".into()
            }
        );
        window.selected = BTreeSet::from([0, 2]);
        window.deleted(b"/a");
        assert_eq!(window.selected, BTreeSet::from([1]));
        assert_eq!(window.results[1].shown, "/d/c");
        window.ended(Err("Stopped.".into()));
        assert_eq!(
            window.state,
            SearchState::Ended("Stopped. 2 entries found in 2 folders.".into())
        );
    }
}
