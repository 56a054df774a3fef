//! The window: `logic()` drains engine events into the model; `ui()` draws the quickconnect
//! bar, the message log, the remote file table and the status bar, and turns clicks into
//! engine commands.

use std::sync::Arc;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::engine::{EngineCommand, EngineEvents, EngineHandle, RemoteOp, RequestId};
use crate::gui::model::Model;
use crate::log::LogKind;
use crate::net::ConnectOptions;
use crate::proto::path;
use crate::secret::Secret;
use crate::url::FtpUrl;

/// Events handled per frame, so a burst cannot stall drawing; the rest wait a frame.
const EVENTS_PER_FRAME: usize = 2_000;

#[derive(Default)]
struct Quickconnect {
    host: String,
    user: String,
    password: String,
    port: String,
}

pub struct SkiffApp {
    engine: EngineHandle,
    events: EngineEvents,
    model: Model,
    quick: Quickconnect,
    server: Option<Arc<ConnectOptions>>,
    next_request: u64,
    error: Option<String>,
}

impl SkiffApp {
    pub fn new(engine: EngineHandle, events: EngineEvents, initial_url: Option<&str>) -> Self {
        let mut app = Self {
            engine,
            events,
            model: Model::default(),
            quick: Quickconnect::default(),
            server: None,
            next_request: 0,
            error: None,
        };
        if let Some(url) = initial_url {
            app.quick.host = url.to_owned();
            app.quickconnect();
        }
        app
    }

    /// Host may be a full `ftp://`, `ftpes://` or `ftps://` URL; the other fields fill in.
    fn quickconnect(&mut self) {
        let host = self.quick.host.trim();
        let text = if host.contains("://") {
            host.to_owned()
        } else {
            format!("ftp://{host}")
        };
        let url = match FtpUrl::parse(&text) {
            Ok(url) => url,
            Err(err) => {
                self.error = Some(err.to_string());
                return;
            }
        };
        // A URL's credentials move into their fields: the password never stays visible.
        if url.user.is_some() || url.password.is_some() {
            if let Some(user) = &url.user {
                self.quick.user = user.clone();
            }
            if let Some(password) = &url.password {
                self.quick.password = password.expose().to_owned();
            }
            self.quick.host = format!("{}://{}", url.scheme.as_str(), url.host_port());
        }
        let port = self.quick.port.trim().parse().unwrap_or(url.port);
        let mut options = ConnectOptions::new(url.host.clone(), port);
        options.credentials.user = url
            .user
            .clone()
            .or_else(|| (!self.quick.user.is_empty()).then(|| self.quick.user.clone()));
        options.credentials.password = url.password.clone().or_else(|| {
            (!self.quick.password.is_empty()).then(|| Secret::new(self.quick.password.clone()))
        });
        options.tls.mode = match url.scheme {
            crate::url::Scheme::Ftp => crate::net::tls::TlsMode::None,
            crate::url::Scheme::Ftpes => crate::net::tls::TlsMode::Explicit,
            crate::url::Scheme::Ftps => crate::net::tls::TlsMode::Implicit,
        };
        self.error = None;
        self.server = Some(Arc::new(options));
        self.list(url.path);
    }

    fn list(&mut self, dir: Vec<u8>) {
        let Some(server) = self.server.clone() else {
            return;
        };
        self.next_request += 1;
        let request = RequestId(self.next_request);
        self.model.remote.pending = Some(request);
        self.engine.send(EngineCommand::Remote {
            request,
            server,
            op: RemoteOp::List(dir),
        });
    }

    fn quickconnect_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Host:");
            let host =
                ui.add(egui::TextEdit::singleline(&mut self.quick.host).desired_width(180.0));
            ui.label("Username:");
            ui.add(egui::TextEdit::singleline(&mut self.quick.user).desired_width(110.0));
            ui.label("Password:");
            ui.add(
                egui::TextEdit::singleline(&mut self.quick.password)
                    .password(true)
                    .desired_width(110.0),
            );
            ui.label("Port:");
            ui.add(egui::TextEdit::singleline(&mut self.quick.port).desired_width(50.0));
            let enter = host.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Quickconnect").clicked() || enter {
                self.quickconnect();
            }
            if let Some(err) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
        });
    }

    fn log_ui(&self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for line in &self.model.log {
                    let color = match line.kind {
                        LogKind::Status => ui.visuals().text_color(),
                        LogKind::Command => egui::Color32::from_rgb(0x3b, 0x7d, 0xd8),
                        LogKind::Response => egui::Color32::from_rgb(0x2e, 0x9a, 0x4e),
                        LogKind::Error => ui.visuals().error_fg_color,
                    };
                    ui.label(
                        egui::RichText::new(format!(
                            "{:<9} {}",
                            format!("{}:", line.kind.label()),
                            line.text
                        ))
                        .monospace()
                        .color(color),
                    );
                }
            });
    }

    fn remote_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Remote site:");
            ui.monospace(String::from_utf8_lossy(&self.model.remote.path));
            if self.model.remote.pending.is_some() {
                ui.spinner();
            }
        });
        if self.server.is_none() {
            ui.centered_and_justified(|ui| {
                ui.label("Not connected. Enter a host above and press Quickconnect (or Enter).");
            });
            return;
        }
        if let Some(err) = &self.model.remote.error {
            ui.colored_label(ui.visuals().error_fg_color, err);
        }
        let mut open: Option<Vec<u8>> = None;
        let current = self.model.remote.path.clone();
        let entries = Arc::clone(&self.model.remote.entries);
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::remainder().at_least(160.0))
            .column(Column::initial(90.0))
            .column(Column::initial(150.0))
            .column(Column::initial(100.0))
            .header(20.0, |mut header| {
                for title in ["Filename", "Filesize", "Last modified", "Permissions"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                // One row per entry, drawn only when visible: 100,000 entries scroll smoothly.
                body.rows(18.0, entries.len() + 1, |mut row| {
                    let index = row.index();
                    if index == 0 {
                        row.col(|ui| {
                            ui.label("..");
                        });
                        for _ in 0..3 {
                            row.col(|_| {});
                        }
                        if row.response().double_clicked() {
                            open = Some(path::parent(&current).to_vec());
                        }
                        return;
                    }
                    let entry = &entries[index - 1];
                    row.col(|ui| {
                        // Folders read as folders without an icon font: bold, with a slash.
                        if entry.is_dir() {
                            ui.label(
                                egui::RichText::new(format!("{}/", entry.name_lossy())).strong(),
                            );
                        } else {
                            ui.label(entry.name_lossy());
                        }
                    });
                    row.col(|ui| {
                        if let Some(size) = entry.size.filter(|_| !entry.is_dir()) {
                            ui.label(human_size(size));
                        }
                    });
                    row.col(|ui| {
                        if let Some(t) = entry.modified {
                            ui.label(t.to_string());
                        }
                    });
                    row.col(|ui| {
                        ui.label(entry.permissions.clone().unwrap_or_default());
                    });
                    if entry.is_dir() && row.response().double_clicked() {
                        open = Some(path::join(&current, &entry.name));
                    }
                });
            });
        if let Some(dir) = open {
            self.list(dir);
        }
    }
}

/// 1,234,567 bytes → "1.2 MiB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl eframe::App for SkiffApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for _ in 0..EVENTS_PER_FRAME {
            match self.events.try_recv() {
                Ok(event) => self.model.apply(event),
                Err(_) => return,
            }
        }
        // More waiting: come back next frame.
        ctx.request_repaint();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::top("quickconnect").show(ui, |ui| self.quickconnect_ui(ui));
        egui::Panel::top("log")
            .resizable(true)
            .default_size(160.0)
            .show(ui, |ui| self.log_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let state = if self.model.connected {
                    "Connected"
                } else {
                    "Not connected"
                };
                ui.label(state);
                ui.separator();
                ui.label(format!(
                    "Queue: {} queued, {} failed, {} successful",
                    self.model.counts.queued,
                    self.model.counts.failed,
                    self.model.counts.successful
                ));
            });
        });
        egui::CentralPanel::default().show(ui, |ui| self.remote_ui(ui));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1_234_567), "1.2 MiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
