//! Server > Enter custom command…, glued to the window: the dialog (`gui::custom_command`)
//! and the line it sends on the browsing session (`RemoteOp::Raw`), whose reply the
//! connection writes to the message log. The pane is listed again after, since a command
//! may have changed the folder.

use eframe::egui;

use super::SkiffApp;
use crate::engine::RemoteOp;
use crate::gui::custom_command::{CustomCommandWindow, Outcome};
use crate::remote::Protocol;

impl SkiffApp {
    /// Opens the dialog for the server connected to (it says so when that is SFTP).
    pub(super) fn open_custom_command(&mut self) {
        let Some(server) = &self.server else {
            return;
        };
        let sftp = matches!(server.protocol, Protocol::Sftp(_));
        self.custom_command = Some(CustomCommandWindow::new(sftp));
    }

    /// The dialog, if open; a line it lets through goes to the server.
    pub(super) fn custom_command_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.custom_command else {
            return;
        };
        match window.show(ctx) {
            Outcome::Open => {}
            Outcome::Closed => self.custom_command = None,
            Outcome::Send(line) => {
                self.custom_command = None;
                self.send_custom_command(line);
            }
        }
    }

    /// Sends `line` as typed on the browsing session (the dialog checked it).
    pub fn send_custom_command(&mut self, line: String) {
        self.remote_op(|_, _| Ok(RemoteOp::Raw(line)));
    }

    /// Server > Enter custom command…'s dialog, while open: what it holds and refused.
    pub fn custom_command_window(&self) -> Option<&CustomCommandWindow> {
        self.custom_command.as_ref()
    }
}
