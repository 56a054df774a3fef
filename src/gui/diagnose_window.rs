//! Server > Diagnose connection: asks the engine to diagnose the connected server's data
//! connections (`crate::diagnose`), shows the report as a table with verdicts, and applies
//! the recommendation in one click: to the saved site (its mode, EPSV and passive-address
//! choice, saved in `sites.toml`) and to this session's options, which then reconnects.

use std::sync::Arc;

use eframe::egui;

use crate::diagnose::{DiagnoseOptions, Diagnosis, Recommendation};
use crate::engine::EngineCommand;
use crate::gui::app::SkiffApp;
use crate::net::DataMode;
use crate::sites::site::SiteDataMode;

/// Where an applied recommendation goes besides this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyTarget {
    /// The saved site the session came from: its id and name.
    Site { id: String, name: String },
    /// A quickconnect session: its options only.
    Session,
}

pub struct DiagnoseWindow {
    /// The engine's report, once it comes (`None` in it: nothing to diagnose).
    pub pending: Option<poll_promise::Promise<Option<Arc<Diagnosis>>>>,
    /// What is diagnosed, as the window names it.
    pub target: String,
    pub applies_to: ApplyTarget,
    pub report: Option<Arc<Diagnosis>>,
    /// What applying did, once done.
    pub applied: Option<String>,
}

/// What the user did in the window this frame.
pub enum Outcome {
    Open,
    Closed,
    Apply(Recommendation),
    Again,
}

impl DiagnoseWindow {
    pub fn show(&mut self, ctx: &egui::Context) -> Outcome {
        let mut open = true;
        let mut outcome = Outcome::Open;
        egui::Window::new("Diagnose connection")
            .open(&mut open)
            .default_size([1150.0, 480.0])
            .resizable(true)
            .show(ctx, |ui| {
                ui.label(format!("Data connections to {}", self.target));
                let Some(report) = self.report.clone() else {
                    if self.pending.is_none() {
                        ui.label("This server's protocol has no data connections to diagnose.");
                        return;
                    }
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Trying EPSV, PASV, EPRT and PORT, each with a short timeout…");
                    });
                    return;
                };
                egui::ScrollArea::both()
                    .max_height(320.0)
                    .show(ui, |ui| table_ui(ui, &report));
                ui.separator();
                for line in &report.judgement.summary {
                    ui.label(line);
                }
                ui.separator();
                ui.horizontal(|ui| {
                    if let Some(rec) = &report.judgement.recommendation {
                        let label = match &self.applies_to {
                            ApplyTarget::Site { name, .. } => {
                                format!("Apply to the site \"{name}\"")
                            }
                            ApplyTarget::Session => "Apply to this session".to_owned(),
                        };
                        if ui
                            .add_enabled(self.applied.is_none(), egui::Button::new(label))
                            .on_hover_text(format!("Use {}", rec.text))
                            .clicked()
                        {
                            outcome = Outcome::Apply(rec.clone());
                        }
                    }
                    if ui.button("Run again").clicked() {
                        outcome = Outcome::Again;
                    }
                    if ui.button("Close").clicked() {
                        outcome = Outcome::Closed;
                    }
                });
                if let Some(applied) = &self.applied {
                    ui.label(applied);
                }
            });
        if open { outcome } else { Outcome::Closed }
    }
}

fn table_ui(ui: &mut egui::Ui, report: &Diagnosis) {
    egui::Grid::new("diagnose-table")
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for header in crate::diagnose::COLUMNS {
                ui.strong(header);
            }
            ui.end_row();
            for row in &report.judgement.rows {
                ui.label(&row.method);
                ui.label(&row.sent);
                wrapped_ui(ui, &row.came_back, 250.0, None);
                ui.label(&row.data);
                ui.label(&row.time);
                let color = if row.works {
                    egui::Color32::from_rgb(40, 150, 60)
                } else {
                    ui.visuals().error_fg_color
                };
                wrapped_ui(ui, &row.verdict, 330.0, Some(color));
                ui.end_row();
            }
        });
}

/// A cell whose text wraps at `width` instead of widening the table. The grid centres
/// each cell on its row, so the cell asks for exactly the wrapped text's size.
fn wrapped_ui(ui: &mut egui::Ui, text: &str, width: f32, color: Option<egui::Color32>) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text_color = color.unwrap_or_else(|| ui.visuals().text_color());
    let size = ui
        .painter()
        .layout(text.to_owned(), font, text_color, width)
        .size();
    ui.allocate_ui(egui::vec2(size.x + 1.0, size.y), |ui| {
        let mut rich = egui::RichText::new(text);
        if let Some(color) = color {
            rich = rich.color(color);
        }
        ui.add(egui::Label::new(rich).wrap());
    });
}

impl SkiffApp {
    /// Server > Diagnose connection: the connected server, diagnosed on the engine.
    pub(crate) fn start_diagnosis(&mut self) {
        let Some(server) = self.server.clone() else {
            return;
        };
        let attempt_timeout = self
            .cfg
            .settings
            .timeout()
            .min(DiagnoseOptions::default().attempt_timeout);
        let (reply, report) = tokio::sync::oneshot::channel();
        self.engine.send(EngineCommand::Diagnose {
            server: Arc::clone(&server),
            options: DiagnoseOptions { attempt_timeout },
            reply,
        });
        let wake = Arc::clone(&self.wake);
        let pending = poll_promise::Promise::spawn_async(async move {
            let report = report.await.ok().flatten();
            wake();
            report
        });
        let site = self
            .cfg
            .current_site
            .as_ref()
            .and_then(|id| self.cfg.sites.get(id));
        let (target, applies_to) = match site {
            Some(site) => (
                format!("the site \"{}\" ({})", site.path(), site.display_url()),
                ApplyTarget::Site {
                    id: site.id.clone(),
                    name: site.path(),
                },
            ),
            None => (
                format!("{}:{}", server.host, server.port),
                ApplyTarget::Session,
            ),
        };
        self.model
            .push_status(format!("Diagnosing the data connections to {target}…"));
        // A window run again drops the old promise, and with it a report not wanted now.
        self.diagnose = Some(DiagnoseWindow {
            pending: Some(pending),
            target,
            applies_to,
            report: None,
            applied: None,
        });
    }

    /// Draws the window, if open, with the report once the engine sent it.
    pub(crate) fn diagnose_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.diagnose else {
            return;
        };
        if let Some(pending) = window.pending.take() {
            match pending.try_take() {
                Ok(report) => window.report = report,
                Err(pending) => window.pending = Some(pending),
            }
        }
        match window.show(ctx) {
            Outcome::Open => {}
            Outcome::Closed => self.diagnose = None,
            Outcome::Again => self.start_diagnosis(),
            Outcome::Apply(rec) => self.apply_recommendation(&rec),
        }
    }

    /// The recommendation into this session's options (reconnecting with them) and, for a
    /// saved site, into the site's mode, saved.
    fn apply_recommendation(&mut self, rec: &Recommendation) {
        let (Some(server), Some(url)) = (self.server.clone(), self.server_url.clone()) else {
            return;
        };
        let Some(window) = &self.diagnose else {
            return;
        };
        let applies_to = window.applies_to.clone();
        let mut options = (*server).clone();
        let mut url = url;
        if let Some(ftp) = options.ftp_settings_mut() {
            rec.apply_to(&mut ftp.data);
            if rec.requires_tls {
                ftp.tls.mode = crate::net::tls::TlsMode::Explicit;
                url.scheme = crate::url::Scheme::Ftpes;
            }
        }
        let mut done = format!("Applied: {}", rec.text);
        if let ApplyTarget::Site { id, name } = &applies_to
            && let Some(site) = self.cfg.sites.get_mut(id)
        {
            if rec.requires_tls {
                site.protocol = crate::sites::site::Protocol::FtpExplicitTls;
            }
            site.data_mode = match rec.mode {
                DataMode::Active => SiteDataMode::Active,
                _ => SiteDataMode::Passive,
            };
            // Only what differs from the global settings becomes the site's own.
            let global = &self.cfg.settings;
            site.prefer_epsv = (rec.prefer_epsv != global.prefer_epsv).then_some(rec.prefer_epsv);
            site.use_control_peer_for_pasv = (rec.use_control_peer_for_pasv
                != global.use_control_peer_for_pasv)
                .then_some(rec.use_control_peer_for_pasv);
            done = format!("Applied to the site \"{name}\": {}", rec.text);
            self.save_sites();
        }
        if rec.requires_tls && matches!(applies_to, ApplyTarget::Session) {
            // The quickconnect bar shows the session: a later Quickconnect stays on TLS.
            (self.quick.host, self.quick.port) = super::commands::host_and_port_fields(&url);
        }
        done.push_str("; reconnected with the new settings");
        let site = self.cfg.current_site.clone();
        // Back to the folder shown, over a connection with the new settings.
        let url = crate::url::FtpUrl {
            path: self.model.remote.path.clone(),
            ..url
        };
        self.start_connection(url, options);
        self.cfg.current_site = site;
        self.model.push_status(done.clone());
        if let Some(window) = &mut self.diagnose {
            window.applied = Some(done);
        }
    }
}
