//! The file table both panes share: sortable columns, folders first, multi-select, a
//! context menu, drag and drop, rows drawn only while visible (egui_extras' virtualized
//! `body.rows`), so a 100,000-entry folder scrolls as smoothly as a 10-entry one.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::gui::actions::{DraggedFiles, Side, UiAction};
use crate::gui::human_size;
use crate::gui::pane::{ClickMods, FilePane, SortColumn, type_label};
use crate::proto::listing::{Entry, EntryKind};
use crate::proto::path;

pub const ROW_HEIGHT: f32 = 20.0;

/// What the table needs to know of the world around it.
pub struct TableContext<'a> {
    pub side: Side,
    /// The other pane's folder, where transfers from this one go; `None` while the other
    /// side cannot take files (not connected).
    pub other_dir: Option<&'a [u8]>,
    /// Its files can be opened with View/Edit (the remote side, connected).
    pub edits: bool,
    /// A double-click on a file is View/Edit, not a transfer (Settings > File editing).
    pub double_click_edits: bool,
}

/// Draws `pane` as a table; what the user did lands in `actions`. Returns whether the
/// user interacted with it (the app makes that pane the one keys go to).
pub fn file_table_ui(
    ui: &mut egui::Ui,
    pane: &mut FilePane,
    cx: &TableContext<'_>,
    actions: &mut Vec<UiAction>,
) -> bool {
    let side = cx.side;
    let remote = side == Side::Remote;
    let mut touched = false;
    let columns: &[(SortColumn, &str)] = if remote {
        &[
            (SortColumn::Name, "Filename"),
            (SortColumn::Size, "Filesize"),
            (SortColumn::Type, "Filetype"),
            (SortColumn::Modified, "Last modified"),
            (SortColumn::Permissions, "Permissions"),
            (SortColumn::Owner, "Owner/Group"),
        ]
    } else {
        &[
            (SortColumn::Name, "Filename"),
            (SortColumn::Size, "Filesize"),
            (SortColumn::Type, "Filetype"),
            (SortColumn::Modified, "Last modified"),
        ]
    };
    let has_parent = path::parent(&pane.path) != pane.path.as_slice();
    let drop_area = ui.available_rect_before_wrap();
    let mut clicked_row: Option<(usize, ClickMods)> = None;
    let mut secondary_row: Option<usize> = None;
    // The name takes the width the other columns leave; where even its least does not fit,
    // the table scrolls sideways, so every column stays reachable.
    egui::ScrollArea::horizontal()
        .id_salt(("file-table-scroll", side))
        .auto_shrink(false)
        .show(ui, |ui| {
            let mut table = TableBuilder::new(ui)
                .id_salt(side)
                // The table fills the pane and scrolls inside it, whatever the number of rows.
                .auto_shrink(false)
                .min_scrolled_height(0.0)
                .max_scroll_height(f32::INFINITY)
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click_and_drag())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                // Not resizable itself, so that it follows the pane's width; the others are.
                .column(
                    Column::remainder()
                        .at_least(140.0)
                        .resizable(false)
                        .clip(true),
                );
            // Size, type, modified (a whole "2024-01-31 12:34:56"), permissions, owner; every
            // column can be resized.
            for width in [70.0, 70.0, 125.0, 80.0, 90.0]
                .into_iter()
                .take(columns.len() - 1)
            {
                table = table.column(Column::initial(width).at_least(40.0).clip(true));
            }
            let (sorted_by, ascending) = pane.sort();
            let offset = usize::from(has_parent);
            let rows = pane.len() + offset;
            table
                .header(ROW_HEIGHT, |mut header| {
                    for &(column, title) in columns {
                        header.col(|ui| {
                            let arrow = match (sorted_by == column, ascending) {
                                (true, true) => " ⏶",
                                (true, false) => " ⏷",
                                (false, _) => "",
                            };
                            let label = ui.add(
                                egui::Button::new(
                                    egui::RichText::new(format!("{title}{arrow}")).strong(),
                                )
                                .frame(false),
                            );
                            if label.clicked() {
                                pane.sort_by(column);
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(ROW_HEIGHT, rows, |mut row| {
                        let index = row.index();
                        if has_parent && index == 0 {
                            row.col(|ui| {
                                ui.label("🗀 ..");
                            });
                            for _ in 1..columns.len() {
                                row.col(|_| {});
                            }
                            let response = row.response();
                            if response.double_clicked() {
                                actions.push(UiAction::Up(side));
                            }
                            drop_into(&response, side, path::parent(&pane.path).to_vec(), actions);
                            return;
                        }
                        let view_row = index - offset;
                        let Some(entry) = pane.row(view_row) else {
                            return;
                        };
                        row.set_selected(pane.is_selected(view_row));
                        row.col(|ui| {
                            // From egui's own icon font, as the tree's folders: these draw as
                            // pictures at table size, where the emoji font's 📁/📄 did not.
                            let icon = match entry.kind {
                                EntryKind::Dir => "🗀",
                                EntryKind::Link => "🔗",
                                EntryKind::File => "🗋",
                            };
                            if let Some(mark) = pane.mark(view_row) {
                                mark_ui(ui, mark);
                            }
                            // A name shown in the fallback charset is a guess: marked.
                            if let Some(guess) = pane.guessed_charset(&entry.name) {
                                ui.add(
                                    egui::Label::new(
                                        egui::RichText::new(format!("{}?", guess.name()))
                                            .small()
                                            .weak(),
                                    )
                                    .selectable(false),
                                )
                                .on_hover_text(format!(
                                    "This name is not UTF-8 and the server does not say \
                                     which charset it uses: it is shown as {}, a guess \
                                     (Edit > Settings > Interface; a site can set its \
                                     charset in the Site Manager).",
                                    guess.name()
                                ));
                            }
                            ui.add(
                                egui::Label::new(format!(
                                    "{icon} {}",
                                    pane.display_name(&entry.name)
                                ))
                                .selectable(false)
                                .truncate(),
                            );
                        });
                        row.col(|ui| {
                            if let Some(size) = entry.size.filter(|_| !entry.is_dir()) {
                                ui.add(egui::Label::new(human_size(size)).selectable(false));
                            }
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(type_label(entry)).selectable(false));
                        });
                        row.col(|ui| {
                            if let Some(t) = entry.modified {
                                ui.add(egui::Label::new(t.to_string()).selectable(false));
                            }
                        });
                        if remote {
                            row.col(|ui| {
                                ui.add(
                                    egui::Label::new(
                                        entry.permissions.as_deref().unwrap_or_default(),
                                    )
                                    .selectable(false),
                                );
                            });
                            row.col(|ui| {
                                ui.add(
                                    egui::Label::new(
                                        entry.owner_group.as_deref().unwrap_or_default(),
                                    )
                                    .selectable(false),
                                );
                            });
                        }
                        let response = row.response();
                        if response.clicked() {
                            let mods = response.ctx.input(|i| i.modifiers);
                            clicked_row = Some((
                                view_row,
                                ClickMods {
                                    toggle: mods.command,
                                    range: mods.shift,
                                },
                            ));
                        }
                        if response.secondary_clicked() {
                            secondary_row = Some(view_row);
                        }
                        if response.double_clicked() {
                            open_or_transfer(pane, entry, cx, actions);
                        }
                        if response.drag_started() {
                            // Dragging a row outside the selection drags just that row.
                            let entries: Vec<Entry> = if pane.is_selected(view_row) {
                                pane.selected_entries().cloned().collect()
                            } else {
                                vec![entry.clone()]
                            };
                            response.dnd_set_drag_payload(DraggedFiles {
                                from: side,
                                dir: pane.path.clone(),
                                entries,
                            });
                        }
                        if entry.is_dir() {
                            drop_into(
                                &response,
                                side,
                                path::join(&pane.path, &entry.name),
                                actions,
                            );
                        }
                        response.context_menu(|ui| context_menu_ui(ui, pane, cx, actions));
                        touched |= response.clicked() || response.secondary_clicked();
                    });
                });
        });
    if let Some((row, mods)) = clicked_row {
        pane.click(row, mods);
    }
    if let Some(row) = secondary_row {
        pane.secondary_click(row);
    }
    // Dropping anywhere on the table (not on a folder row) lands in the folder shown.
    let area = ui.interact(
        drop_area,
        egui::Id::unique(("drop-area", side)),
        egui::Sense::hover(),
    );
    if let Some(files) = area.dnd_hover_payload::<DraggedFiles>()
        && files.from != side
    {
        ui.painter().rect_stroke(
            drop_area,
            2.0,
            egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
            egui::StrokeKind::Inside,
        );
    }
    drop_into(&area, side, pane.path.clone(), actions);
    touched
}

/// A drop of rows from the other side onto `response` copies them into `dir`.
fn drop_into(response: &egui::Response, side: Side, dir: Vec<u8>, actions: &mut Vec<UiAction>) {
    let hovering = response
        .dnd_hover_payload::<DraggedFiles>()
        .is_some_and(|f| f.from != side);
    if !hovering {
        return;
    }
    if let Some(files) = response.dnd_release_payload::<DraggedFiles>() {
        actions.push(UiAction::Transfer {
            files: (*files).clone(),
            to_dir: dir,
            start: true,
        });
    }
}

/// Double-click: a folder opens; a file goes to the other side, as in FileZilla, or opens
/// with View/Edit if Settings says so.
fn open_or_transfer(
    pane: &FilePane,
    entry: &Entry,
    cx: &TableContext<'_>,
    actions: &mut Vec<UiAction>,
) {
    if entry.is_dir() {
        actions.push(UiAction::Open(cx.side, path::join(&pane.path, &entry.name)));
    } else if cx.edits && cx.double_click_edits {
        actions.push(UiAction::ViewEdit(entry.clone()));
    } else if let Some(to_dir) = cx.other_dir {
        actions.push(UiAction::Transfer {
            files: DraggedFiles {
                from: cx.side,
                dir: pane.path.clone(),
                entries: vec![entry.clone()],
            },
            to_dir: to_dir.to_vec(),
            start: true,
        });
    }
}

fn context_menu_ui(
    ui: &mut egui::Ui,
    pane: &FilePane,
    cx: &TableContext<'_>,
    actions: &mut Vec<UiAction>,
) {
    let side = cx.side;
    let selection: Vec<Entry> = pane.selected_entries().cloned().collect();
    let transfer = |start: bool| {
        cx.other_dir.map(|to_dir| UiAction::Transfer {
            files: DraggedFiles {
                from: side,
                dir: pane.path.clone(),
                entries: selection.clone(),
            },
            to_dir: to_dir.to_vec(),
            start,
        })
    };
    let verb = match side {
        Side::Local => "Upload",
        Side::Remote => "Download",
    };
    let can_transfer = cx.other_dir.is_some() && !selection.is_empty();
    if ui
        .add_enabled(can_transfer, egui::Button::new(verb))
        .clicked()
    {
        actions.extend(transfer(true));
        ui.close();
    }
    if ui
        .add_enabled(can_transfer, egui::Button::new("Add files to queue"))
        .clicked()
    {
        actions.extend(transfer(false));
        ui.close();
    }
    ui.separator();
    let single = (selection.len() == 1).then(|| selection[0].clone());
    if side == Side::Local
        && ui
            .add_enabled(
                single.as_ref().is_some_and(|e| !e.is_dir()),
                egui::Button::new("Open"),
            )
            .clicked()
    {
        actions.extend(single.clone().map(UiAction::OpenLocalFile));
        ui.close();
    }
    if cx.edits
        && ui
            .add_enabled(
                single.as_ref().is_some_and(|e| !e.is_dir()),
                egui::Button::new("View/Edit"),
            )
            .on_hover_text("Open a copy in an editor; saving it offers to upload it")
            .clicked()
    {
        actions.extend(single.clone().map(UiAction::ViewEdit));
        ui.close();
    }
    if ui.button("Create directory").clicked() {
        actions.push(UiAction::AskMkdir(side));
        ui.close();
    }
    if ui
        .add_enabled(single.is_some(), egui::Button::new("Rename"))
        .clicked()
    {
        actions.extend(single.clone().map(|e| UiAction::AskRename(side, e)));
        ui.close();
    }
    if ui
        .add_enabled(!selection.is_empty(), egui::Button::new("Delete"))
        .clicked()
    {
        actions.push(UiAction::AskDelete(side, selection.clone()));
        ui.close();
    }
    if side == Side::Remote
        && ui
            .add_enabled(
                !selection.is_empty(),
                egui::Button::new("File permissions…"),
            )
            .on_hover_text("SITE CHMOD, where the server supports it")
            .clicked()
    {
        actions.push(UiAction::AskPermissions(selection.clone()));
        ui.close();
    }
    if side == Side::Remote
        && ui
            .add_enabled(single.is_some(), egui::Button::new("Copy URL to clipboard"))
            .clicked()
    {
        actions.extend(single.map(UiAction::CopyUrl));
        ui.close();
    }
    ui.separator();
    if ui.button("Refresh").clicked() {
        actions.push(UiAction::Refresh(side));
        ui.close();
    }
}

/// A comparison mark: its glyph in its colour, its words on hover.
pub fn mark_ui(ui: &mut egui::Ui, mark: crate::gui::comparison::Mark) {
    let [r, g, b] = mark.rgb();
    ui.add(
        egui::Label::new(
            egui::RichText::new(mark.glyph())
                .strong()
                .color(egui::Color32::from_rgb(r, g, b)),
        )
        .selectable(false),
    )
    .on_hover_text(mark.words());
}
