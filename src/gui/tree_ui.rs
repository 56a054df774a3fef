//! Draws a pane's directory tree: one row per visible folder, indented by depth, with an
//! expander; a click opens the folder in the pane, the expander opens it in the tree.

use crate::visible::visible;
use eframe::egui;

use crate::gui::actions::{Side, UiAction};
use crate::gui::places::Place;
use crate::gui::tree::DirTree;

/// The tree of one side, below that side's `places` (the local side's home, root and
/// volumes; none for the server). When the pane shows another folder, the tree scrolls to
/// its row.
pub fn tree_ui(
    ui: &mut egui::Ui,
    tree: &mut DirTree,
    current: &[u8],
    side: Side,
    places: &[Place],
    decoder: crate::gui::listing::NameDecoder,
    actions: &mut Vec<UiAction>,
) {
    if !places.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for place in places {
                let path = crate::local::os_bytes(place.path.as_os_str());
                let button = ui
                    .selectable_label(path == current, visible(&place.label))
                    .on_hover_text(place.path.display().to_string());
                if button.clicked() && path != current {
                    actions.push(UiAction::Open(side, path));
                }
            }
        });
    }
    let row_height = ui.spacing().interact_size.y;
    let mut area = egui::ScrollArea::both()
        .id_salt(("tree", side))
        .auto_shrink([false, false]);
    if let Some(row) = tree.scroll_target(current) {
        // show_rows spaces rows by their height and the item spacing; the row goes to the
        // middle of the view.
        let pitch = row_height + ui.spacing().item_spacing.y;
        let middle = (ui.available_height() - row_height) / 2.0;
        area = area.vertical_scroll_offset((row as f32 * pitch - middle).max(0.0));
    }
    let rows = tree.rows();
    area.show_rows(ui, row_height, rows.len(), |ui, range| {
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
                let name = decoder.decode(&row.name);
                let name = visible(&name);
                let label = ui.selectable_label(row.path == current, format!("🗀 {name}"));
                if label.clicked() && row.path != current {
                    actions.push(UiAction::Open(side, row.path.clone()));
                }
            });
        }
    });
}
