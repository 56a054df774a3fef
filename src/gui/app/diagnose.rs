//! Server > Diagnose connection, glued to the window: asks the engine to diagnose the
//! connected server's data connections, shows the report in its window
//! (`gui::diagnose_window`), and applies the recommendation in one click: to the saved site
//! (saved in `sites.toml`) and to this session's options, which then reconnects.

use std::sync::Arc;

use eframe::egui;

use super::SkiffApp;
use crate::diagnose::{DiagnoseOptions, Recommendation};
use crate::engine::EngineCommand;
use crate::gui::diagnose_window::{ApplyTarget, DiagnoseWindow, Outcome, apply_to_site};
use crate::gui::jobs;
use crate::gui::quickconnect::host_and_port_fields;

impl SkiffApp {
    /// Server > Diagnose connection: the connected server, diagnosed on the engine.
    pub(super) fn start_diagnosis(&mut self) {
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
        let pending = jobs::spawn_async(&self.wake, async move { report.await.ok().flatten() });
        let site = self
            .cfg
            .current_site
            .as_ref()
            .and_then(|id| self.cfg.sites.get(id));
        // A window run again drops the old promise, and with it a report not wanted now.
        let window = DiagnoseWindow::new(pending, &server, site);
        self.model.push_status(format!(
            "Diagnosing the data connections to {}…",
            window.target
        ));
        self.diagnose = Some(window);
    }

    /// Draws the window, if open (`logic()` polls for its report).
    pub(super) fn diagnose_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.diagnose else {
            return;
        };
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
            apply_to_site(rec, site, &self.cfg.settings);
            done = format!("Applied to the site \"{name}\": {}", rec.text);
            self.save_sites();
        }
        if rec.requires_tls && matches!(applies_to, ApplyTarget::Session) {
            // The quickconnect bar shows the session: a later Quickconnect stays on TLS.
            (self.quick.host, self.quick.port) = host_and_port_fields(&url);
        }
        done.push_str("; reconnected with the new settings");
        let site = self.cfg.current_site.clone();
        // Back to the folder shown, over a connection with the new settings.
        let url = crate::url::FtpUrl {
            path: self.model.remote.files.path.clone(),
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
