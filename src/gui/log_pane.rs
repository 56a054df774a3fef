//! The message log pane: Status / Command / Response / Error lines coloured by kind, with
//! optional timestamps. Only the visible lines are laid out (`show_rows`), so the 10,000-line
//! ring costs the same to draw as ten lines; it follows new lines until the user scrolls up
//! to read, and follows again once they scroll back to the bottom.

use crate::visible::visible;
use std::time::{SystemTime, UNIX_EPOCH};

use eframe::egui;

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

pub fn log_ui(ui: &mut egui::Ui, model: &Model, timestamps: bool) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::ScrollArea::both()
        .id_salt("message-log")
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show_rows(ui, row_height, model.log.len(), |ui, range| {
            for line in model.log.range(range) {
                let label = ui.add(
                    egui::Label::new(
                        egui::RichText::new(line_text(line, timestamps))
                            .monospace()
                            .color(log_colour(line.kind, ui.visuals())),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
                label.context_menu(|ui| {
                    if ui.button("Copy line").clicked() {
                        ui.ctx().copy_text(line_text(line, timestamps));
                        ui.close();
                    }
                    if ui.button("Copy the whole log").clicked() {
                        let all: Vec<String> =
                            model.log.iter().map(|l| line_text(l, timestamps)).collect();
                        ui.ctx().copy_text(all.join("\n"));
                        ui.close();
                    }
                });
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
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
