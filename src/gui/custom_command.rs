//! Server > Enter custom command…: one command line, sent as typed on the browsing session;
//! its reply, whatever its code, is in the message log. A line with CR, LF or NUL is refused
//! here, before anything is sent (`proto::command::check_raw_line`). SFTP has no such
//! commands, and the window says so instead of offering to send.

use eframe::egui;

/// How a frame of the window ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Closed,
    /// Send this line (already checked).
    Send(String),
}

#[derive(Debug, Default)]
pub struct CustomCommandWindow {
    pub text: String,
    /// Why the last line typed was not sent.
    pub refused: Option<String>,
    /// The server speaks SFTP: nothing can be sent.
    pub sftp: bool,
}

impl CustomCommandWindow {
    pub fn new(sftp: bool) -> Self {
        Self {
            sftp,
            ..Self::default()
        }
    }

    /// The line to send, or why not (kept to be shown).
    fn submit(&mut self) -> Outcome {
        match crate::proto::command::check_raw_line(self.text.as_bytes()) {
            Ok(()) => {
                self.refused = None;
                Outcome::Send(self.text.trim().to_owned())
            }
            Err(err) => {
                self.refused = Some(format!("Not sent: {err}."));
                Outcome::Open
            }
        }
    }

    pub fn show(&mut self, ctx: &egui::Context) -> Outcome {
        let mut outcome = Outcome::Open;
        let mut open = true;
        // Centred, so the message log above, where the reply appears, stays in view.
        egui::Window::new("Enter custom command")
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .show(ctx, |ui| {
                if self.sftp {
                    ui.label(
                        "SFTP has no raw commands: custom commands are FTP's. \
                         Connect over FTP or FTPS to send one.",
                    );
                    if ui.button("Close").clicked() {
                        outcome = Outcome::Closed;
                    }
                    return;
                }
                ui.label(
                    "The command is sent as typed; the server's reply is in the message log. \
                     Use with care: a command can change the session's state.",
                );
                let label = ui.label("Command:");
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.text)
                            .hint_text("SITE HELP")
                            .desired_width(360.0),
                    )
                    .labelled_by(label.id);
                let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if let Some(refused) = &self.refused {
                    ui.colored_label(ui.visuals().error_fg_color, refused);
                }
                ui.horizontal(|ui| {
                    if ui.button("Send").clicked() || entered {
                        outcome = self.submit();
                    }
                    if ui.button("Cancel").clicked() {
                        outcome = Outcome::Closed;
                    }
                });
            });
        if !open {
            outcome = Outcome::Closed;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_a_line_break_is_refused_and_a_good_one_is_sent_trimmed() {
        let mut window = CustomCommandWindow::new(false);
        window.text = "SITE HELP\nDELE x".into();
        assert_eq!(window.submit(), Outcome::Open);
        assert!(window.refused.as_deref().unwrap().contains("one line"));
        window.text = "  STAT ".into();
        assert_eq!(window.submit(), Outcome::Send("STAT".into()));
        assert_eq!(window.refused, None);
    }
}
