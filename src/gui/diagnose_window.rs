//! Server > Diagnose connection's window: the report the engine sends (`crate::diagnose`)
//! as a table with verdicts, and the button that applies the recommendation; what applying
//! changes in a saved site. `app/diagnose.rs` starts the diagnosis and acts on the outcome
//! (this session's options, a reconnection).

use std::sync::Arc;

use eframe::egui;
use poll_promise::Promise;

use crate::diagnose::{Diagnosis, Recommendation};
use crate::gui::jobs;
use crate::net::DataMode;
use crate::remote::Server;
use crate::sites::settings::Settings;
use crate::sites::site::{Protocol, Site, SiteDataMode};

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
    pub pending: Option<Promise<Option<Arc<Diagnosis>>>>,
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
    /// The window for a diagnosis of `server` (from the saved `site`, if it came from one),
    /// whose report `pending` brings.
    pub fn new(
        pending: Promise<Option<Arc<Diagnosis>>>,
        server: &Server,
        site: Option<&Site>,
    ) -> Self {
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
        Self {
            pending: Some(pending),
            target,
            applies_to,
            report: None,
            applied: None,
        }
    }

    /// Takes the report once the engine sent it.
    pub fn poll(&mut self) {
        if let Some(report) = jobs::take_ready(&mut self.pending) {
            self.report = report;
        }
    }

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

/// The recommendation into a saved site: its protocol when TLS is needed, its mode, and its
/// EPSV and passive-address choices where they differ from the global settings.
pub fn apply_to_site(rec: &Recommendation, site: &mut Site, global: &Settings) {
    if rec.requires_tls {
        site.protocol = Protocol::FtpExplicitTls;
    }
    site.data_mode = match rec.mode {
        DataMode::Active => SiteDataMode::Active,
        _ => SiteDataMode::Passive,
    };
    // Only what differs from the global settings becomes the site's own.
    site.prefer_epsv = (rec.prefer_epsv != global.prefer_epsv).then_some(rec.prefer_epsv);
    site.use_control_peer_for_pasv = (rec.use_control_peer_for_pasv
        != global.use_control_peer_for_pasv)
        .then_some(rec.use_control_peer_for_pasv);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice(mode: DataMode, prefer_epsv: bool, requires_tls: bool) -> Recommendation {
        Recommendation {
            mode,
            prefer_epsv,
            use_control_peer_for_pasv: Settings::default().use_control_peer_for_pasv,
            requires_tls,
            text: "passive mode".into(),
        }
    }

    #[test]
    fn a_site_takes_the_mode_and_only_the_choices_that_differ_from_the_settings() {
        let global = Settings::default();
        let mut site = Site::default();
        apply_to_site(
            &advice(DataMode::Active, global.prefer_epsv, false),
            &mut site,
            &global,
        );
        assert_eq!(site.data_mode, SiteDataMode::Active);
        assert_eq!(
            site.prefer_epsv, None,
            "the same as the settings: not the site's own"
        );
        assert_eq!(site.use_control_peer_for_pasv, None);
        assert_eq!(site.protocol, Site::default().protocol);

        apply_to_site(
            &advice(DataMode::Auto, !global.prefer_epsv, true),
            &mut site,
            &global,
        );
        assert_eq!(site.data_mode, SiteDataMode::Passive);
        assert_eq!(site.prefer_epsv, Some(!global.prefer_epsv));
        assert_eq!(site.protocol, Protocol::FtpExplicitTls);
    }

    #[test]
    fn the_window_names_the_site_or_the_session() {
        let server = Server::ftp("ftp.example.org", 2121);
        let window = DiagnoseWindow::new(Promise::from_ready(None), &server, None);
        assert_eq!(window.target, "ftp.example.org:2121");
        assert_eq!(window.applies_to, ApplyTarget::Session);

        let site = Site {
            id: "s1".into(),
            name: "Work".into(),
            host: "ftp.example.org".into(),
            ..Site::default()
        };
        let mut window = DiagnoseWindow::new(Promise::from_ready(None), &server, Some(&site));
        assert!(matches!(&window.applies_to, ApplyTarget::Site { id, .. } if id == "s1"));
        assert!(
            window.target.starts_with("the site \"Work\""),
            "{}",
            window.target
        );
        window.poll();
        assert!(window.pending.is_none() && window.report.is_none());
    }
}
