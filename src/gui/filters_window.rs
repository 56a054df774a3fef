//! View > Filename filters…: the rules with a tick per pane, "apply to transfers,
//! comparison and sync", New / Edit / Copy / Delete, and a rule's editor with its
//! conditions. Edits a copy of the rule book; OK hands it back, Cancel drops it. A rule
//! that does not compile (a bad regex, glob or date) is an error in the editor, which
//! then cannot be saved.

use eframe::egui;

use crate::folder_sync::rules::{
    Attribute, Combine, Condition, DateOp, PaneSide, Rule, RuleBook, SizeOp, SizeUnit, TextOp,
};

pub enum Outcome {
    Open,
    Cancelled,
    Ok(Box<RuleBook>),
    /// "Import from FileZilla…": the app asks for the file and hands back what it held
    /// (`imported`); the window stays open.
    Import,
}

pub struct FiltersWindow {
    book: RuleBook,
    selected: Option<usize>,
    editor: Option<RuleEditor>,
    /// What the last import brought, or why it failed.
    note: Option<(bool, String)>,
}

/// A rule being edited: a new one, a copy, or the rule at `index`.
struct RuleEditor {
    index: Option<usize>,
    rule: Rule,
}

impl RuleEditor {
    /// Why the rule cannot be saved, if it cannot.
    fn problem(&self, book: &RuleBook) -> Option<String> {
        let name = self.rule.name.trim();
        if name.is_empty() {
            return Some("Give the rule a name.".to_owned());
        }
        let clash = book
            .rules
            .iter()
            .enumerate()
            .any(|(i, r)| r.name == name && Some(i) != self.index);
        if clash {
            return Some(format!("Another rule is named {name:?}."));
        }
        self.rule.compile().err().map(|err| err.to_string())
    }
}

impl FiltersWindow {
    pub fn new(book: RuleBook) -> Self {
        Self {
            book,
            selected: None,
            editor: None,
            note: None,
        }
    }

    /// A FileZilla `filters.xml` read (or why not): its rules join the list, with their
    /// ticks, and a note says what came in and what did not.
    pub fn imported(
        &mut self,
        result: Result<crate::sites::filezilla::filters::ImportedFilters, String>,
    ) {
        self.note = Some(match result {
            Ok(imported) => {
                let rules = imported
                    .rules
                    .into_iter()
                    .map(|r| (r.rule, r.local, r.remote))
                    .collect();
                let names = self.book.add_imported(rules);
                let mut text = match names.len() {
                    0 => "No filters were imported.".to_owned(),
                    n => format!("Imported {n} filters: {}.", names.join(", ")),
                };
                for warning in imported.warnings {
                    text.push('\n');
                    text.push_str(&warning);
                }
                (true, text)
            }
            Err(err) => (false, err),
        });
    }

    pub fn show(&mut self, ctx: &egui::Context) -> Outcome {
        let mut open = true;
        let mut outcome = Outcome::Open;
        egui::Window::new("Filename filters")
            .id(egui::Id::unique("filters-window"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_size([560.0, 380.0])
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| {
                if self.editor.is_some() {
                    self.editor_ui(ui);
                } else {
                    outcome = self.list_ui(ui);
                }
            });
        if !open {
            return Outcome::Cancelled;
        }
        outcome
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) -> Outcome {
        ui.label(
            "Entries a ticked rule matches are hidden in that pane. Rules are for files, \
             folders or both.",
        );
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .max_height(220.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("filter-rules")
                    .num_columns(3)
                    .striped(true)
                    .show(ui, |ui| {
                        ui.strong("Rule");
                        ui.strong("Local pane");
                        ui.strong("Remote pane");
                        ui.end_row();
                        let names: Vec<String> =
                            self.book.rules.iter().map(|r| r.name.clone()).collect();
                        for (i, name) in names.iter().enumerate() {
                            let chosen = self.selected == Some(i);
                            let label = ui.selectable_label(chosen, name);
                            if label.clicked() {
                                self.selected = Some(i);
                            }
                            if label.double_clicked() {
                                self.edit(i);
                            }
                            for (side, text) in
                                [(PaneSide::Local, "Local"), (PaneSide::Remote, "Remote")]
                            {
                                let mut on = self.book.is_on(side, name);
                                if ui.checkbox(&mut on, text).changed() {
                                    self.book.set_on(side, name, on);
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
        ui.horizontal(|ui| {
            if ui.button("New…").clicked() {
                let name = self.book.free_name("New rule");
                self.editor = Some(RuleEditor {
                    index: None,
                    rule: Rule::new(&name),
                });
            }
            let one = self.selected.filter(|&i| i < self.book.rules.len());
            if ui
                .add_enabled(one.is_some(), egui::Button::new("Edit…"))
                .clicked()
                && let Some(i) = one
            {
                self.edit(i);
            }
            if ui
                .add_enabled(one.is_some(), egui::Button::new("Copy…"))
                .clicked()
                && let Some(i) = one
            {
                let mut rule = self.book.rules[i].clone();
                rule.name = self.book.free_name(&rule.name);
                self.editor = Some(RuleEditor { index: None, rule });
            }
            if ui
                .add_enabled(one.is_some(), egui::Button::new("Delete"))
                .clicked()
                && let Some(i) = one
            {
                let name = self.book.rules[i].name.clone();
                self.book.delete(&name);
                self.selected = None;
            }
        });
        ui.separator();
        ui.checkbox(
            &mut self.book.apply_to_transfers,
            "Apply to transfers, comparison and sync",
        )
        .on_hover_text(
            "A folder uploaded or downloaded from a pane skips what that pane's rules hide",
        );
        ui.checkbox(&mut self.book.enabled, "Filename filters on")
            .on_hover_text("Off: every filter is off, the ticks are kept");
        let mut outcome = Outcome::Open;
        if ui
            .button("Import from FileZilla…")
            .on_hover_text("Add the filters of FileZilla's filters.xml")
            .clicked()
        {
            outcome = Outcome::Import;
        }
        if let Some((fine, note)) = &self.note {
            match fine {
                true => ui.label(note.as_str()),
                false => ui.colored_label(ui.visuals().error_fg_color, note.as_str()),
            };
        }
        ui.horizontal(|ui| {
            if ui.button("OK").clicked() {
                outcome = Outcome::Ok(Box::new(self.book.clone()));
            }
            if ui.button("Cancel").clicked() {
                outcome = Outcome::Cancelled;
            }
        });
        outcome
    }

    fn edit(&mut self, index: usize) {
        self.editor = Some(RuleEditor {
            index: Some(index),
            rule: self.book.rules[index].clone(),
        });
    }

    fn editor_ui(&mut self, ui: &mut egui::Ui) {
        let Some(editor) = &mut self.editor else {
            return;
        };
        let rule = &mut editor.rule;
        ui.horizontal(|ui| {
            let label = ui.label("Rule name:");
            ui.text_edit_singleline(&mut rule.name)
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            ui.label("Filter out entries when");
            egui::ComboBox::from_id_salt("rule-combine")
                .selected_text(rule.combine.words())
                .show_ui(ui, |ui| {
                    for combine in Combine::ALL {
                        ui.selectable_value(&mut rule.combine, combine, combine.words());
                    }
                });
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut rule.files, "Files");
            ui.checkbox(&mut rule.folders, "Folders");
            ui.checkbox(&mut rule.case_sensitive, "Case sensitive");
        });
        ui.separator();
        let mut remove = None;
        egui::ScrollArea::vertical()
            .max_height(200.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for (i, condition) in rule.conditions.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        condition_ui(ui, i, condition);
                        if ui
                            .button("−")
                            .on_hover_text("Remove this condition")
                            .clicked()
                        {
                            remove = Some(i);
                        }
                    });
                }
            });
        if let Some(i) = remove {
            rule.conditions.remove(i);
        }
        if ui.button("+ Add condition").clicked() {
            rule.conditions.push(Condition::name(TextOp::Contains, ""));
        }
        ui.separator();
        let problem = editor.problem(&self.book);
        if let Some(problem) = &problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        let mut done = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(problem.is_none(), egui::Button::new("Save rule"))
                .clicked()
            {
                done = Some(true);
            }
            if ui.button("Discard").clicked() {
                done = Some(false);
            }
        });
        match done {
            Some(true) => self.save_edited(),
            Some(false) => self.editor = None,
            None => {}
        }
    }

    fn save_edited(&mut self) {
        let Some(mut editor) = self.editor.take() else {
            return;
        };
        editor.rule.name = editor.rule.name.trim().to_owned();
        match editor.index {
            Some(i) if i < self.book.rules.len() => {
                let old = self.book.rules[i].name.clone();
                self.book.rename(&old, &editor.rule.name);
                self.book.rules[i] = editor.rule;
                self.selected = Some(i);
            }
            _ => {
                self.book.rules.push(editor.rule);
                self.selected = Some(self.book.rules.len() - 1);
            }
        }
    }
}

/// What a condition looks at, for its first box.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Path,
    Size,
    Modified,
    Attribute,
}

impl Field {
    const ALL: [Field; 5] = [
        Field::Name,
        Field::Path,
        Field::Size,
        Field::Modified,
        Field::Attribute,
    ];

    fn of(condition: &Condition) -> Self {
        match condition {
            Condition::Name { .. } => Field::Name,
            Condition::Path { .. } => Field::Path,
            Condition::Size { .. } => Field::Size,
            Condition::Modified { .. } => Field::Modified,
            Condition::Attribute { .. } => Field::Attribute,
        }
    }

    fn words(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Path => "Path",
            Field::Size => "Size",
            Field::Modified => "Modified",
            Field::Attribute => "Attribute",
        }
    }

    /// A fresh condition on this field.
    fn condition(self) -> Condition {
        match self {
            Field::Name => Condition::name(TextOp::Contains, ""),
            Field::Path => Condition::Path {
                op: TextOp::Contains,
                value: String::new(),
            },
            Field::Size => Condition::Size {
                op: SizeOp::Greater,
                value: 0,
                unit: SizeUnit::MiB,
            },
            Field::Modified => Condition::Modified {
                op: DateOp::Before,
                value: String::new(),
            },
            Field::Attribute => Condition::Attribute {
                attribute: Attribute::Hidden,
                is: true,
            },
        }
    }
}

fn condition_ui(ui: &mut egui::Ui, i: usize, condition: &mut Condition) {
    let field = Field::of(condition);
    let mut chosen = field;
    egui::ComboBox::from_id_salt(("condition-field", i))
        .selected_text(field.words())
        .width(90.0)
        .show_ui(ui, |ui| {
            for f in Field::ALL {
                ui.selectable_value(&mut chosen, f, f.words());
            }
        });
    if chosen != field {
        *condition = chosen.condition();
    }
    match condition {
        Condition::Name { op, value } | Condition::Path { op, value } => {
            egui::ComboBox::from_id_salt(("condition-op", i))
                .selected_text(op.words())
                .show_ui(ui, |ui| {
                    for o in TextOp::ALL {
                        ui.selectable_value(op, o, o.words());
                    }
                });
            let hint = match op {
                TextOp::Glob => "*.log",
                TextOp::Regex => r"^\d+\.tmp$",
                _ => "text",
            };
            ui.add(egui::TextEdit::singleline(value).hint_text(hint));
        }
        Condition::Size { op, value, unit } => {
            egui::ComboBox::from_id_salt(("condition-op", i))
                .selected_text(op.words())
                .show_ui(ui, |ui| {
                    for o in SizeOp::ALL {
                        ui.selectable_value(op, o, o.words());
                    }
                });
            ui.add(egui::DragValue::new(value).range(0..=u64::MAX >> 30));
            egui::ComboBox::from_id_salt(("condition-unit", i))
                .selected_text(unit.words())
                .width(70.0)
                .show_ui(ui, |ui| {
                    for u in SizeUnit::ALL {
                        ui.selectable_value(unit, u, u.words());
                    }
                });
        }
        Condition::Modified { op, value } => {
            egui::ComboBox::from_id_salt(("condition-op", i))
                .selected_text(match op {
                    DateOp::Before => "is before",
                    DateOp::After => "is after",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(op, DateOp::Before, "is before");
                    ui.selectable_value(op, DateOp::After, "is after");
                });
            ui.add(egui::TextEdit::singleline(value).hint_text("2024-05-31 or 2024-05-31 14:30"));
        }
        Condition::Attribute { attribute, is } => {
            egui::ComboBox::from_id_salt(("condition-attribute", i))
                .selected_text(attribute.words())
                .show_ui(ui, |ui| {
                    for a in Attribute::ALL {
                        ui.selectable_value(attribute, a, a.words());
                    }
                });
            egui::ComboBox::from_id_salt(("condition-is", i))
                .selected_text(if *is { "is set" } else { "is not set" })
                .show_ui(ui, |ui| {
                    ui.selectable_value(is, true, "is set");
                    ui.selectable_value(is, false, "is not set");
                });
        }
    }
}
