//! Draws a pane's directory tree: one row per visible folder, indented by depth, with an
//! expander; a click opens the folder in the pane, the expander opens it in the tree.

use crate::visible::visible;
use eframe::egui;

use crate::gui::actions::{Side, UiAction};
use crate::gui::tree::DirTree;

pub fn tree_ui(
    ui: &mut egui::Ui,
    tree: &mut DirTree,
    current: &[u8],
    side: Side,
    actions: &mut Vec<UiAction>,
) {
    let rows = tree.rows();
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::both()
        .id_salt(("tree", side))
        .auto_shrink([false, false])
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for row in &rows[range] {
                ui.horizontal(|ui| {
                    ui.add_space(row.depth as f32 * 14.0);
                    if row.may_have_children {
                        let arrow = if row.expanded { "⏷" } else { "⏵" };
                        let toggle = ui.add(egui::Button::new(arrow).frame(false).small());
                        if toggle.clicked() && tree.toggle(&row.path) {
                            actions.push(UiAction::ListForTree(side, row.path.clone()));
                        }
                    } else {
                        ui.add_space(14.0);
                    }
                    let name = String::from_utf8_lossy(&row.name);
                    let name = visible(&name);
                    let label = ui.selectable_label(row.path == current, format!("🗀 {name}"));
                    if label.clicked() && row.path != current {
                        actions.push(UiAction::Open(side, row.path.clone()));
                    }
                });
            }
        });
}
