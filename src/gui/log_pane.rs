//! The message log pane: Status / Command / Response / Error lines coloured by kind, with
//! optional timestamps. Only the visible lines are laid out (`show_rows`), so the 10,000-line
//! ring costs the same to draw as ten lines; it follows new lines until the user scrolls up
//! to read, and follows again once they scroll back to the bottom.

use crate::visible::visible;
use std::time::{SystemTime, UNIX_EPOCH};

use eframe::egui;

use crate::gui::actions::UiAction;
use crate::gui::model::Model;
use crate::log::{LogKind, LogLine};

pub fn log_colour(kind: LogKind, visuals: &egui::Visuals) -> egui::Color32 {
    match (kind, visuals.dark_mode) {
        (LogKind::Status, _) => visuals.text_color(),
        (LogKind::Command, true) => egui::Color32::from_rgb(0x7a, 0xb4, 0xff),
        (LogKind::Command, false) => egui::Color32::from_rgb(0x1f, 0x4f, 0xb8),
        (LogKind::Response, true) => egui::Color32::from_rgb(0x6c, 0xd4, 0x84),
        (LogKind::Response, false) => egui::Color32::from_rgb(0x1b, 0x7a, 0x36),
        (LogKind::Error, _) => visuals.error_fg_color,
    }
}

/// `HH:MM:SS` of a log line (UTC: the window has no time-zone database).
pub fn clock(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

/// One line as the pane shows it and as "Copy" puts it on the clipboard.
pub fn line_text(line: &LogLine, timestamps: bool) -> String {
    let kind = format!("{}:", line.kind.label());
    if timestamps {
        format!("{} {kind:<9} {}", clock(line.time), visible(&line.text))
    } else {
        format!("{kind:<9} {}", visible(&line.text))
    }
}

/// Which kinds of line the pane shows (the buttons above it); kept with the window's prefs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LogKinds {
    pub status: bool,
    pub command: bool,
    pub response: bool,
    pub error: bool,
    /// "This tab only": the lines of the active tab's server's connections.
    pub tab_only: bool,
}

impl Default for LogKinds {
    fn default() -> Self {
        Self {
            status: true,
            command: true,
            response: true,
            error: true,
            tab_only: false,
        }
    }
}

impl LogKinds {
    pub fn shows(&self, kind: LogKind) -> bool {
        match kind {
            LogKind::Status => self.status,
            LogKind::Command => self.command,
            LogKind::Response => self.response,
            LogKind::Error => self.error,
        }
    }

    /// The switches let `line` through: its kind, and with "This tab only" its
    /// connection's server being the active tab's.
    pub fn shows_line(&self, line: &LogLine, model: &Model) -> bool {
        self.shows(line.kind) && (!self.tab_only || model.is_tab_line(line))
    }

    fn toggles(&mut self) -> [(&mut bool, LogKind); 4] {
        [
            (&mut self.status, LogKind::Status),
            (&mut self.command, LogKind::Command),
            (&mut self.response, LogKind::Response),
            (&mut self.error, LogKind::Error),
        ]
    }
}

/// The pane's selection: lines by their number since the window started (`Model::log_pushed`
/// counts them), so a selection stays on its lines while older ones drop off the ring.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LogView {
    /// Where the selection started (the line clicked) and where it ends (shift-click).
    selection: Option<(u64, u64)>,
}

impl LogView {
    pub fn clear_selection(&mut self) {
        self.selection = None;
    }

    fn selects(&self, number: u64) -> bool {
        self.selection
            .is_some_and(|(a, b)| (a.min(b)..=a.max(b)).contains(&number))
    }

    /// The selected lines that the filter shows, as the pane shows them; `None` without any.
    pub fn selected_text(
        &self,
        model: &Model,
        kinds: LogKinds,
        timestamps: bool,
    ) -> Option<String> {
        let first = first_number(model);
        let lines: Vec<String> = (model.log.iter().zip(first..))
            .filter(|(line, number)| kinds.shows_line(line, model) && self.selects(*number))
            .map(|(line, _)| line_text(line, timestamps))
            .collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    /// Click selects one line; shift-click extends from the line clicked before.
    fn click(&mut self, number: u64, extend: bool) {
        self.selection = match (self.selection, extend) {
            (Some((anchor, _)), true) => Some((anchor, number)),
            _ => Some((number, number)),
        };
    }
}

/// The number of the oldest line still in the ring.
fn first_number(model: &Model) -> u64 {
    model.log_pushed - model.log.len() as u64
}

/// The lines the filter shows, as "Save to file…" writes them: each with its date and time.
pub fn saved_text(model: &Model, kinds: LogKinds) -> String {
    model
        .log
        .iter()
        .filter(|line| kinds.shows_line(line, model))
        .map(crate::log::file::file_line)
        .collect()
}

/// The pane: a row of tools (a switch per kind of line, copy, clear, save), then the lines.
pub fn log_ui(
    ui: &mut egui::Ui,
    model: &Model,
    view: &mut LogView,
    kinds: &mut LogKinds,
    timestamps: bool,
    actions: &mut Vec<UiAction>,
) {
    let mut copy = false;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (shown, kind) in kinds.toggles() {
            let text = egui::RichText::new(kind.label()).color(log_colour(kind, ui.visuals()));
            ui.toggle_value(shown, text)
                .on_hover_text(format!("Show {} lines", kind.label()));
        }
        ui.toggle_value(&mut kinds.tab_only, "This tab only")
            .on_hover_text("Show only the lines of the active tab's server");
        ui.separator();
        copy |= ui
            .add_enabled(view.selection.is_some(), egui::Button::new("Copy"))
            .on_hover_text("Copy the selected lines (Ctrl+C); shift-click extends a selection")
            .clicked();
        if ui.button("Clear").clicked() {
            actions.push(UiAction::ClearLog);
        }
        if ui
            .button("Save…")
            .on_hover_text("Save the lines shown to a file")
            .clicked()
        {
            actions.push(UiAction::SaveLog);
        }
    });
    let shown: Vec<usize> = (0..model.log.len())
        .filter(|&i| kinds.shows_line(&model.log[i], model))
        .collect();
    let first = first_number(model);
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    let mut whole_log = false;
    egui::ScrollArea::both()
        .id_salt("message-log")
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show_rows(ui, row_height, shown.len(), |ui, range| {
            for &index in &shown[range] {
                let line = &model.log[index];
                let number = first + index as u64;
                // The highlight goes under the text: its place is kept, then filled once the
                // label's rectangle is known.
                let highlight = ui.painter().add(egui::Shape::Noop);
                let label = ui.add(
                    egui::Label::new(
                        egui::RichText::new(line_text(line, timestamps))
                            .monospace()
                            .color(log_colour(line.kind, ui.visuals())),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend)
                    .sense(egui::Sense::click()),
                );
                if label.clicked() || (label.secondary_clicked() && !view.selects(number)) {
                    view.click(number, ui.input(|i| i.modifiers.shift));
                }
                if view.selects(number) {
                    let rect = egui::Rect::from_min_max(
                        label.rect.min,
                        egui::pos2(
                            ui.max_rect().right().max(label.rect.right()),
                            label.rect.max.y,
                        ),
                    );
                    ui.painter().set(
                        highlight,
                        egui::Shape::rect_filled(rect, 0.0, ui.visuals().selection.bg_fill),
                    );
                }
                label.context_menu(|ui| {
                    if ui.button("Copy").clicked() {
                        copy = true;
                        ui.close();
                    }
                    if ui.button("Copy the whole log").clicked() {
                        whole_log = true;
                        ui.close();
                    }
                    if ui.button("Clear").clicked() {
                        actions.push(UiAction::ClearLog);
                        ui.close();
                    }
                    if ui.button("Save to file…").clicked() {
                        actions.push(UiAction::SaveLog);
                        ui.close();
                    }
                });
            }
        });
    // Ctrl+C copies the selected lines, unless a text field has the keys.
    if view.selection.is_some() && !ui.ctx().egui_wants_keyboard_input() {
        copy |= ui.input(|i| {
            i.events.iter().any(|e| match e {
                egui::Event::Copy => true,
                egui::Event::Key {
                    key: egui::Key::C,
                    pressed: true,
                    modifiers,
                    ..
                } => modifiers.command,
                _ => false,
            })
        });
    }
    if copy && let Some(text) = view.selected_text(model, *kinds, timestamps) {
        ui.ctx().copy_text(text);
    }
    if whole_log {
        let all: Vec<String> = (model.log.iter())
            .filter(|line| kinds.shows_line(line, model))
            .map(|line| line_text(line, timestamps))
            .collect();
        ui.ctx().copy_text(all.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::model::LOG_CAPACITY;
    use std::time::Duration;

    #[test]
    fn lines_read_like_filezillas_log() {
        let line = LogLine {
            time: UNIX_EPOCH + Duration::from_secs(86_400 + 3 * 3600 + 4 * 60 + 5),
            conn: crate::log::ConnId(1),
            kind: LogKind::Command,
            text: "PASS ****".into(),
        };
        assert_eq!(line_text(&line, false), "Command:  PASS ****");
        assert_eq!(line_text(&line, true), "03:04:05 Command:  PASS ****");
    }

    fn model_with(lines: &[(LogKind, &str)]) -> Model {
        let mut model = Model::default();
        for (kind, text) in lines {
            model.push_log(LogLine {
                time: UNIX_EPOCH,
                conn: crate::log::ConnId(1),
                kind: *kind,
                text: (*text).into(),
            });
        }
        model
    }

    #[test]
    fn this_tab_only_shows_the_lines_of_the_tabs_server() {
        use crate::engine::{ConnectionState, EngineEvent, SessionRole};
        let mut model = model_with(&[(LogKind::Status, "one")]);
        model.push_log(LogLine {
            time: UNIX_EPOCH,
            conn: crate::log::ConnId(2),
            kind: LogKind::Status,
            text: "two".into(),
        });
        let servers = [("a.example", 1), ("b.example", 2)];
        for (host, conn) in servers {
            model.apply(
                EngineEvent::Connection {
                    server: crate::remote::Server::ftp(host, 21).key(),
                    conn: crate::log::ConnId(conn),
                    role: SessionRole::Transfer,
                    state: ConnectionState::Connecting,
                },
                std::time::Instant::now(),
            );
        }
        model.server_key = Some(crate::remote::Server::ftp("b.example", 21).key());
        let tab_only = LogKinds {
            tab_only: true,
            ..Default::default()
        };
        assert_eq!(saved_text(&model, tab_only).lines().count(), 1);
        assert!(saved_text(&model, tab_only).contains("two"));
        assert_eq!(saved_text(&model, LogKinds::default()).lines().count(), 2);
    }

    #[test]
    fn a_selection_spans_shift_clicks_and_copies_only_the_kinds_shown() {
        let mut model = model_with(&[
            (LogKind::Status, "Connecting"),
            (LogKind::Command, "USER a"),
            (LogKind::Response, "331 Password"),
            (LogKind::Command, "PASS ****"),
            (LogKind::Response, "230 In"),
        ]);
        let mut view = LogView::default();
        let all = LogKinds::default();
        assert_eq!(view.selected_text(&model, all, false), None);
        view.click(3, false);
        view.click(1, true);
        assert_eq!(
            view.selected_text(&model, all, false).unwrap(),
            "Command:  USER a\nResponse: 331 Password\nCommand:  PASS ****"
        );
        let commands_only = LogKinds {
            response: false,
            ..all
        };
        assert_eq!(
            view.selected_text(&model, commands_only, false).unwrap(),
            "Command:  USER a\nCommand:  PASS ****"
        );
        // A plain click starts over.
        view.click(4, false);
        assert_eq!(
            view.selected_text(&model, all, false).unwrap(),
            "Response: 230 In"
        );
        // The selection stays on its line when older lines drop off the ring.
        for _ in 0..LOG_CAPACITY {
            model.push_log(LogLine {
                time: UNIX_EPOCH,
                conn: crate::log::ConnId(1),
                kind: LogKind::Status,
                text: "later".into(),
            });
        }
        assert_eq!(view.selected_text(&model, all, false), None);
    }

    #[test]
    fn saving_writes_the_lines_shown_with_date_and_time() {
        let model = model_with(&[
            (LogKind::Status, "Connecting"),
            (LogKind::Error, "Connection refused"),
        ]);
        let errors = LogKinds {
            status: false,
            command: false,
            response: false,
            error: true,
            tab_only: false,
        };
        assert_eq!(
            saved_text(&model, errors),
            "1970-01-01 00:00:00 Error:    Connection refused\n"
        );
        assert_eq!(saved_text(&model, LogKinds::default()).lines().count(), 2);
    }

    #[test]
    fn a_servers_control_characters_show_as_escapes() {
        let line = LogLine {
            time: UNIX_EPOCH,
            conn: crate::log::ConnId(1),
            kind: LogKind::Response,
            text: "550 \x1b]0;owned\x07 rtl-\u{202e}txt.exe".into(),
        };
        assert_eq!(
            line_text(&line, false),
            "Response: 550 \\u{1b}]0;owned\\u{7} rtl-\\u{202e}txt.exe"
        );
    }
}
