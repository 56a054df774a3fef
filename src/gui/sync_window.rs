//! Transfer > Synchronize's window: the choices (direction, folders, how files are compared,
//! whether to delete), then the plan as a preview with a tick box per action, then the run's
//! progress and its outcome. The plan is `folder_sync::plan`'s, the one `skiff sync
//! --dry-run` prints; `app/synchronize.rs` walks the folders and runs what stays ticked.
//! Also here, pure: `QueueWatch`, which follows the sync's items through the queue.

use std::collections::HashMap;
use std::path::PathBuf;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::engine::{Direction, ItemId, ItemState, TransferSpec};
use crate::folder_sync::{Criterion, Plan, PlanOptions, Selection, What};
use crate::gui::queue_view::QueueView;
use crate::proto::charset::Charset;
use crate::units::human_size;

/// The choices, as the first page of the window shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncForm {
    pub direction: Direction,
    pub local: String,
    /// The server's folder, as text (decoded from the site's charset).
    pub remote: String,
    pub criterion: Criterion,
    pub tolerance_secs: i64,
    pub only_newer: bool,
    pub delete: bool,
    /// Local deletions go to the desktop's trash (else they are permanent).
    pub to_trash: bool,
}

impl SyncForm {
    pub fn new(local: String, remote: String) -> Self {
        let defaults = PlanOptions::default();
        Self {
            direction: Direction::Download,
            local,
            remote,
            criterion: defaults.criterion,
            tolerance_secs: defaults.tolerance_secs,
            only_newer: false,
            delete: false,
            to_trash: true,
        }
    }

    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            criterion: self.criterion,
            tolerance_secs: self.tolerance_secs.max(0),
            delete: self.delete,
            only_newer: self.only_newer,
        }
    }
}

/// Where the window is.
pub enum Stage {
    Setup,
    /// Walking both folders and making the plan.
    Planning(String),
    Preview {
        plan: Plan,
        selection: Selection,
    },
    /// Running: what is being done.
    Running(String),
    Done(String),
}

pub struct SyncWindow {
    pub form: SyncForm,
    pub stage: Stage,
    /// Why the last step failed, shown above the buttons.
    pub error: Option<String>,
    /// The server's charset, to show its names.
    pub charset: Charset,
    /// The server, as the window names it.
    pub server: String,
    /// Whether filename filters apply to a sync from the local side, and from the server's
    /// (View > Filename filters: ticked rules, "Apply to transfers, comparison and sync").
    pub filtered: [bool; 2],
    /// The checksum the server computes, if any (the checksum criterion needs one).
    pub checksum: Option<crate::proto::hash::Algorithm>,
    /// The local folder picked with Browse…, once the native dialog closes.
    pub picked: Option<poll_promise::Promise<Option<PathBuf>>>,
}

/// What the user did in the window this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    /// Closed (a run already started goes on; its outcome is in the message log).
    Closed,
    /// Walk both folders and show the plan.
    Compare,
    /// Back to the choices.
    Back,
    /// Run the ticked actions.
    Run,
    /// Pick the local folder in the desktop's folder dialog.
    BrowseLocal,
}

impl SyncWindow {
    pub fn new(form: SyncForm, charset: Charset, server: String) -> Self {
        Self {
            form,
            stage: Stage::Setup,
            error: None,
            charset,
            server,
            picked: None,
            checksum: None,
            filtered: [false; 2],
        }
    }

    pub fn show(&mut self, ctx: &egui::Context) -> Outcome {
        let mut open = true;
        let mut outcome = Outcome::Open;
        egui::Window::new("Synchronize")
            .open(&mut open)
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .default_size([1120.0, 520.0])
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| {
                if let Some(Some(folder)) = crate::gui::jobs::take_ready(&mut self.picked) {
                    self.form.local = folder.display().to_string();
                }
                outcome = match &mut self.stage {
                    Stage::Setup => setup_ui(
                        ui,
                        &mut self.form,
                        &self.server,
                        self.checksum,
                        self.filtered,
                    ),
                    Stage::Planning(what) => busy_ui(ui, what),
                    Stage::Preview { plan, selection } => {
                        preview_ui(ui, &self.form, plan, selection, self.charset)
                    }
                    Stage::Running(what) => busy_ui(ui, what),
                    Stage::Done(text) => done_ui(ui, text),
                };
                if let Some(error) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            });
        if open { outcome } else { Outcome::Closed }
    }
}

fn setup_ui(
    ui: &mut egui::Ui,
    form: &mut SyncForm,
    server: &str,
    checksum: Option<crate::proto::hash::Algorithm>,
    filtered: [bool; 2],
) -> Outcome {
    ui.label(format!(
        "Make one folder's contents the other's (a one-way mirror) with {server}. Nothing is \
         changed before you have seen the plan."
    ));
    ui.add_space(4.0);
    let mut browse = false;
    egui::Grid::new("sync-form")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label("Direction:");
            ui.vertical(|ui| {
                ui.radio_value(
                    &mut form.direction,
                    Direction::Download,
                    "Download: the server's folder → the local folder",
                );
                ui.radio_value(
                    &mut form.direction,
                    Direction::Upload,
                    "Upload: the local folder → the server's folder",
                );
            });
            ui.end_row();
            ui.label("Local folder:");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut form.local).desired_width(520.0));
                if ui.button("Browse…").clicked() {
                    browse = true;
                }
            });
            ui.end_row();
            ui.label("Server folder:");
            ui.add(egui::TextEdit::singleline(&mut form.remote).desired_width(520.0));
            ui.end_row();
            ui.label("Compare by:");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.criterion, Criterion::Time, "Modification time");
                ui.radio_value(&mut form.criterion, Criterion::Size, "Size only");
                let label = match checksum {
                    Some(algorithm) => format!("Checksum ({algorithm}, computed by the server)"),
                    None => "Checksum".to_owned(),
                };
                ui.add_enabled_ui(checksum.is_some(), |ui| {
                    ui.radio_value(&mut form.criterion, Criterion::Checksum, label)
                        .on_hover_text(
                            "Files of equal size are compared by their contents: slower, \
                             since both sides read every such file",
                        )
                        .on_disabled_hover_text(
                            "This server offers no checksum command (HASH, XSHA256, XSHA1, \
                             XMD5, XCRC)",
                        );
                });
            });
            ui.end_row();
            if form.criterion == Criterion::Time {
                ui.label("Tolerance:");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::DragValue::new(&mut form.tolerance_secs)
                            .range(0..=86_400)
                            .suffix(" s"),
                    );
                    ui.weak("times this close count as equal");
                });
                ui.end_row();
            }
            ui.label("Filters:");
            let source_filtered = match form.direction {
                Direction::Upload => filtered[0],
                Direction::Download => filtered[1],
            };
            match source_filtered {
                true => ui.label(
                    "The source pane's filename filters apply: what they hide is neither \
                     copied nor deleted",
                ),
                false => ui.weak("None (View > Filename filters…)"),
            };
            ui.end_row();
            ui.label("");
            ui.checkbox(
                &mut form.only_newer,
                "Never replace a file that is newer in the target",
            );
            ui.end_row();
            ui.label("");
            ui.vertical(|ui| {
                ui.checkbox(
                    &mut form.delete,
                    "Delete what is only in the target (each deletion is listed in the plan)",
                );
                if form.delete && form.direction == Direction::Download {
                    ui.checkbox(&mut form.to_trash, "Move deleted local files to the trash");
                }
            });
            ui.end_row();
        });
    ui.separator();
    let mut outcome = match browse {
        true => Outcome::BrowseLocal,
        false => Outcome::Open,
    };
    ui.horizontal(|ui| {
        if ui.button("Compare…").clicked() {
            outcome = Outcome::Compare;
        }
        if ui.button("Cancel").clicked() {
            outcome = Outcome::Closed;
        }
    });
    outcome
}

fn busy_ui(ui: &mut egui::Ui, what: &str) -> Outcome {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
    ui.separator();
    match ui.button("Close").clicked() {
        true => Outcome::Closed,
        false => Outcome::Open,
    }
}

fn done_ui(ui: &mut egui::Ui, text: &str) -> Outcome {
    ui.label(text);
    ui.separator();
    let mut outcome = Outcome::Open;
    ui.horizontal(|ui| {
        if ui.button("Synchronize again…").clicked() {
            outcome = Outcome::Back;
        }
        if ui.button("Close").clicked() {
            outcome = Outcome::Closed;
        }
    });
    outcome
}

/// A colour per action, from the comparison's colour-blind-safe palette.
fn colour(what: What, ui: &egui::Ui) -> egui::Color32 {
    use crate::gui::comparison::Mark;
    let mark = match what {
        What::Mkdir | What::Copy => Mark::OnlyHere,
        What::Update => Mark::NewerHere,
        What::Delete | What::Conflict => return ui.visuals().error_fg_color,
        What::Skip => return ui.visuals().weak_text_color(),
    };
    let [r, g, b] = mark.rgb();
    egui::Color32::from_rgb(r, g, b)
}

fn summary_text(summary: &crate::folder_sync::Summary) -> String {
    format!(
        "{} to copy, {} to update, {} folders to create, {} to delete; {} to transfer. \
         {} skipped, {} conflicts, {} identical.",
        summary.copy,
        summary.update,
        summary.mkdir,
        summary.delete,
        human_size(summary.bytes),
        summary.skip,
        summary.conflict,
        summary.identical
    )
}

fn preview_ui(
    ui: &mut egui::Ui,
    form: &SyncForm,
    plan: &Plan,
    selection: &mut Selection,
    charset: Charset,
) -> Outcome {
    let (from, to) = match form.direction {
        Direction::Download => (&form.remote, &form.local),
        Direction::Upload => (&form.local, &form.remote),
    };
    ui.label(format!("From {from} to {to}"));
    ui.strong(summary_text(&selection.summary(plan)));
    if plan.summary().conflict > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Conflicts are left alone: a file on one side is a folder on the other.",
        );
    }
    let mut outcome = Outcome::Open;
    ui.horizontal(|ui| {
        if ui.button("Tick all").clicked() {
            selection.set_all(plan, true);
        }
        if ui.button("Untick all").clicked() {
            selection.set_all(plan, false);
        }
    });
    // The rows scroll inside a fixed height, so the buttons below stay on screen.
    let height = (ui.ctx().content_rect().height() * 0.5).clamp(120.0, 560.0);
    let mut toggled = None;
    TableBuilder::new(ui)
        .id_salt("sync-preview")
        .auto_shrink(false)
        .min_scrolled_height(0.0)
        .max_scroll_height(height)
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(300.0).at_least(100.0).clip(true))
        .column(Column::initial(64.0))
        .column(Column::initial(76.0))
        .column(Column::initial(136.0))
        .column(Column::initial(76.0))
        .column(Column::initial(136.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(20.0, |mut header| {
            for title in [
                "Path (ticked: run)",
                "Action",
                "Source size",
                "Source modified",
                "Target size",
                "Target modified",
                "Why",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, plan.actions.len(), |mut row| {
                let index = row.index();
                let action = &plan.actions[index];
                let is_dir = action.source.or(action.target).is_some_and(|n| n.is_dir());
                let path = charset.decode(&action.path);
                let path = match is_dir {
                    true => format!("🗀 {path}"),
                    false => path.into_owned(),
                };
                row.col(|ui| {
                    // The path is the tick box's label: a click on the name ticks it.
                    let mut ticked = selection.is_ticked(index);
                    let tick =
                        ui.add_enabled(action.changes(), egui::Checkbox::new(&mut ticked, path));
                    if tick.changed() {
                        toggled = Some((index, ticked));
                    }
                });
                row.col(|ui| {
                    ui.colored_label(colour(action.what, ui), action.what.word());
                });
                for node in [action.source, action.target] {
                    let node = node.filter(|n| !n.is_dir());
                    row.col(|ui| {
                        if let Some(size) = node.and_then(|n| n.size) {
                            ui.label(human_size(size));
                        }
                    });
                    row.col(|ui| {
                        if let Some(time) = node.and_then(|n| n.modified) {
                            ui.label(time.to_string());
                        }
                    });
                }
                row.col(|ui| {
                    ui.add(egui::Label::new(egui::RichText::new(action.reason).weak()).truncate());
                });
            });
        });
    if let Some((index, on)) = toggled {
        selection.set(plan, index, on);
    }
    ui.separator();
    ui.horizontal(|ui| {
        let ticked = selection.count();
        let label = match ticked {
            1 => "Synchronize (1 action)".to_owned(),
            n => format!("Synchronize ({n} actions)"),
        };
        if ui
            .add_enabled(ticked > 0, egui::Button::new(label))
            .clicked()
        {
            outcome = Outcome::Run;
        }
        if ui.button("Back").clicked() {
            outcome = Outcome::Back;
        }
        if ui.button("Cancel").clicked() {
            outcome = Outcome::Closed;
        }
    });
    outcome
}

/// How a run went, counted as its items and deletions end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub transferred: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Files that changed since the plan was made: left alone.
    pub changed: usize,
    pub deleted: usize,
}

impl RunCounts {
    pub fn text(&self) -> String {
        format!(
            "Synchronized: {} transferred, {} skipped, {} deleted; {} changed since the plan \
             (left alone), {} failed.",
            self.transferred, self.skipped, self.deleted, self.changed, self.failed
        )
    }
}

/// Follows the sync's items through the queue: they are found by direction and local path
/// among the items added after the sync enqueued them, and counted as they finish.
#[derive(Debug)]
pub struct QueueWatch {
    /// The last item in the queue before the sync's were sent.
    after: Option<ItemId>,
    /// The items not finished yet: their id, once seen.
    waiting: HashMap<(Direction, PathBuf), Option<ItemId>>,
}

impl QueueWatch {
    pub fn new(after: Option<ItemId>, specs: &[TransferSpec]) -> Self {
        Self {
            after,
            waiting: specs
                .iter()
                .map(|s| ((s.direction, s.local.clone()), None))
                .collect(),
        }
    }

    /// Counts the items that finished since the last look; `true` once all have.
    pub fn observe(&mut self, queue: &QueueView, counts: &mut RunCounts) -> bool {
        for row in queue.added_after(self.after) {
            if let Some(slot @ None) = self.waiting.get_mut(&(row.direction, row.local.clone())) {
                *slot = Some(row.id);
            }
        }
        self.waiting.retain(|_, id| {
            let Some(id) = id else {
                return true;
            };
            let Some(row) = queue.get(*id) else {
                // Cleared from the Successful tab before this look.
                counts.transferred += 1;
                return false;
            };
            match row.state {
                ItemState::Successful => counts.transferred += 1,
                ItemState::Skipped => counts.skipped += 1,
                ItemState::Failed => {
                    let changed = row
                        .error
                        .as_deref()
                        .is_some_and(|e| e.contains(crate::transfer::CHANGED_SINCE_PLAN));
                    match changed {
                        true => counts.changed += 1,
                        false => counts.failed += 1,
                    }
                }
                _ => return true,
            }
            false
        });
        self.waiting.is_empty()
    }

    /// Items not finished yet.
    pub fn left(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ItemKind;

    fn spec(local: &str) -> TransferSpec {
        use crate::engine::{ExistsPolicy, Priority};
        TransferSpec {
            direction: Direction::Download,
            kind: ItemKind::File,
            local: PathBuf::from(local),
            remote: format!("/www/{local}").into_bytes(),
            server: std::sync::Arc::new(crate::remote::Server::ftp("127.0.0.1", 21)),
            size: Some(1),
            priority: Priority::Normal,
            exists: ExistsPolicy::Overwrite,
            target_absent: false,
            filters: None,
            expect: None,
        }
    }

    #[test]
    fn the_watch_counts_only_the_syncs_items_as_they_finish() {
        let mut queue = QueueView::default();
        let add = |queue: &mut QueueView, id: u64, local: &str| {
            queue.added(
                ItemId(id),
                Direction::Download,
                ItemKind::File,
                PathBuf::from(local),
                String::new(),
                Some(1),
            )
        };
        // An older item with the same local path, before the sync's.
        add(&mut queue, 1, "a.txt");
        let specs = [spec("a.txt"), spec("b.txt"), spec("c.txt")];
        let mut watch = QueueWatch::new(Some(ItemId(1)), &specs);
        let mut counts = RunCounts::default();
        assert!(!watch.observe(&queue, &mut counts));
        add(&mut queue, 2, "a.txt");
        add(&mut queue, 3, "b.txt");
        add(&mut queue, 4, "c.txt");
        queue.changed(ItemId(1), ItemState::Failed, 1, Some("x".into()), 0);
        queue.changed(ItemId(2), ItemState::Successful, 1, None, 1);
        let changed = format!("a.txt {} (size)", crate::transfer::CHANGED_SINCE_PLAN);
        queue.changed(ItemId(3), ItemState::Failed, 1, Some(changed), 0);
        assert!(!watch.observe(&queue, &mut counts));
        assert_eq!(watch.left(), 1);
        queue.changed(ItemId(4), ItemState::Skipped, 1, None, 0);
        assert!(watch.observe(&queue, &mut counts));
        assert_eq!(
            counts,
            RunCounts {
                transferred: 1,
                skipped: 1,
                changed: 1,
                ..RunCounts::default()
            },
            "the older item's failure is not the sync's"
        );
    }
}
