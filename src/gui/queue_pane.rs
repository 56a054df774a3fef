//! The transfer queue pane: FileZilla's tabs "Queued files (N)", "Failed transfers (N)" and
//! "Successful transfers (N)", each item with direction, local and remote path, size, a
//! progress bar, rate and ETA, and a context menu (cancel, retry, priority).

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::engine::{Direction, ItemState, Priority};
use crate::gui::actions::UiAction;
use crate::gui::human_size;
use crate::gui::queue_view::{QueueRow, QueueTab, QueueView};

const PRIORITIES: [(Priority, &str); 5] = [
    (Priority::Highest, "Highest"),
    (Priority::High, "High"),
    (Priority::Normal, "Normal"),
    (Priority::Low, "Low"),
    (Priority::Lowest, "Lowest"),
];

/// A tab's title with its count. The Successful tab also holds the items skipped under the
/// file-exists policy, but counts them apart: a skipped file was not transferred.
pub fn tab_title(tab: QueueTab, count: usize, skipped: usize) -> String {
    match tab {
        QueueTab::Queued => format!("Queued files ({count})"),
        QueueTab::Failed => format!("Failed transfers ({count})"),
        QueueTab::Successful if skipped > 0 => {
            let transferred = count.saturating_sub(skipped);
            format!("Successful transfers ({transferred}, {skipped} skipped)")
        }
        QueueTab::Successful => format!("Successful transfers ({count})"),
    }
}

/// `90 s` → `1:30`; an hour or more → `1:02:03`.
pub fn eta_text(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub fn queue_ui(
    ui: &mut egui::Ui,
    queue: &QueueView,
    tab: &mut QueueTab,
    processing: bool,
    actions: &mut Vec<UiAction>,
) {
    ui.horizontal(|ui| {
        let skipped = queue.skipped();
        for t in [QueueTab::Queued, QueueTab::Failed, QueueTab::Successful] {
            let count = queue.count(t);
            let mut title = egui::RichText::new(tab_title(t, count, skipped));
            if t == QueueTab::Failed && count > 0 {
                // A failure must be seen without opening its tab.
                title = title.color(ui.visuals().error_fg_color).strong();
            }
            ui.selectable_value(tab, t, title);
        }
        ui.separator();
        match *tab {
            QueueTab::Queued => {
                let label = if processing {
                    "Stop queue"
                } else {
                    "Process queue"
                };
                if ui.button(label).clicked() {
                    actions.push(UiAction::ProcessQueue(!processing));
                }
                if ui.button("Cancel all").clicked() {
                    actions.push(UiAction::CancelAll);
                }
            }
            QueueTab::Failed => {
                if ui.button("Retry all").clicked() {
                    actions.push(UiAction::RetryFailed);
                }
            }
            QueueTab::Successful => {
                if ui.button("Clear").clicked() {
                    actions.push(UiAction::ClearSuccessful);
                }
            }
        }
    });
    let rows = queue.tab(*tab);
    if rows.is_empty() {
        ui.weak(match *tab {
            QueueTab::Queued => "Nothing queued. Drag files between the panes, or right-click them and choose Upload or Download.",
            QueueTab::Failed => "No failed transfers.",
            QueueTab::Successful => "No finished transfers yet.",
        });
        return;
    }
    TableBuilder::new(ui)
        .id_salt(("queue", *tab as u8))
        // The table fills the pane and scrolls inside it: rows arriving never make the
        // pane (and the layout around it) grow.
        .auto_shrink(false)
        .min_scrolled_height(0.0)
        .max_scroll_height(f32::INFINITY)
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(260.0).at_least(80.0).clip(true))
        .column(Column::exact(24.0))
        .column(Column::initial(260.0).at_least(80.0).clip(true))
        .column(Column::initial(150.0).at_least(60.0).clip(true))
        .column(Column::initial(80.0))
        .column(Column::initial(70.0))
        .column(Column::initial(160.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(80.0).clip(true))
        .header(20.0, |mut header| {
            for title in [
                "Local file",
                "",
                "Remote file",
                "Server",
                "Size",
                "Priority",
                "Progress",
                "Status",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let item = rows[row.index()];
                row.col(|ui| {
                    ui.add(egui::Label::new(item.local.display().to_string()).truncate());
                });
                row.col(|ui| {
                    ui.label(match item.direction {
                        Direction::Upload => "➡",
                        Direction::Download => "⬅",
                    })
                    .on_hover_text(match item.direction {
                        Direction::Upload => "Upload",
                        Direction::Download => "Download",
                    });
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(&item.remote).truncate());
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(&item.server).truncate());
                });
                row.col(|ui| {
                    if let Some(size) = item.size {
                        ui.label(human_size(size));
                    }
                });
                row.col(|ui| {
                    ui.label(priority_name(item.priority));
                });
                row.col(|ui| progress_cell_ui(ui, item));
                row.col(|ui| {
                    ui.add(egui::Label::new(status_text(item)).truncate());
                });
                row.response()
                    .context_menu(|ui| item_menu_ui(ui, item, actions));
            });
        });
}

fn priority_name(priority: Priority) -> &'static str {
    PRIORITIES
        .iter()
        .find(|(p, _)| *p == priority)
        .map_or("Normal", |(_, n)| n)
}

fn progress_cell_ui(ui: &mut egui::Ui, item: &QueueRow) {
    if item.state != ItemState::Running {
        return;
    }
    let mut text = human_size(item.bytes_done);
    if let Some(rate) = item.rate {
        text.push_str(&format!(" at {}/s", human_size(rate as u64)));
    }
    match item.fraction() {
        Some(fraction) => {
            ui.add(egui::ProgressBar::new(fraction).text(text));
        }
        None => {
            ui.label(text);
        }
    }
}

/// The Status column: what the item is doing, or why it failed, with the ETA while running.
pub fn status_text(item: &QueueRow) -> String {
    match item.state {
        ItemState::Queued => "Queued".to_owned(),
        ItemState::Running => match item.eta() {
            Some(eta) => format!("Transferring, {} left", eta_text(eta.as_secs())),
            None => "Transferring".to_owned(),
        },
        ItemState::AwaitingAnswer => "The target exists: waiting for your answer".to_owned(),
        ItemState::Retrying => format!(
            "Retrying (attempt {}): {}",
            item.attempts + 1,
            item.error.as_deref().unwrap_or("")
        ),
        ItemState::Failed => item.error.clone().unwrap_or_else(|| "Failed".to_owned()),
        ItemState::Successful => "File transferred successfully".to_owned(),
        ItemState::Skipped => "Skipped: the target exists".to_owned(),
    }
}

fn item_menu_ui(ui: &mut egui::Ui, item: &QueueRow, actions: &mut Vec<UiAction>) {
    if !item.state.is_finished() && ui.button("Cancel").clicked() {
        actions.push(UiAction::Cancel(item.id));
        ui.close();
    }
    if item.state == ItemState::Failed && ui.button("Retry").clicked() {
        actions.push(UiAction::Retry(item.id));
        ui.close();
    }
    if !item.state.is_finished() {
        ui.menu_button("Set priority", |ui| {
            for (priority, name) in PRIORITIES {
                if ui.radio(item.priority == priority, name).clicked() {
                    actions.push(UiAction::SetPriority(item.id, priority));
                    ui.close();
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_titles_and_etas_read_like_filezilla() {
        assert_eq!(tab_title(QueueTab::Failed, 3, 0), "Failed transfers (3)");
        assert_eq!(
            tab_title(QueueTab::Successful, 3, 0),
            "Successful transfers (3)"
        );
        assert_eq!(
            tab_title(QueueTab::Successful, 3, 1),
            "Successful transfers (2, 1 skipped)"
        );
        assert_eq!(eta_text(90), "1:30");
        assert_eq!(eta_text(3723), "1:02:03");
    }
}
