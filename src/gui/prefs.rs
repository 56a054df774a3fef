//! What the window remembers between runs (eframe's storage, under the OS data folder):
//! panes shown, the transfer type, the last local folder and the recent servers. Window size
//! and pane splits are remembered by eframe and egui themselves. Never a password. The theme,
//! log timestamps and data mode live in `settings.toml` now; older prefs still hold them
//! and are read once to move them there (`gui::config`).

use std::path::PathBuf;

/// Recent servers kept for the quickconnect history.
pub const RECENT_LIMIT: usize = 10;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub show_log: bool,
    pub show_queue: bool,
    pub show_trees: bool,
    /// The local pane's share of the width the two panes have (the split dragged to).
    pub local_share: f32,
    /// The kinds of line the message log shows.
    pub log_kinds: crate::gui::log_pane::LogKinds,
    /// Transfer > Transfer type.
    pub transfer_mode: crate::engine::TransferMode,
    /// What older Skiffs kept here; read once to fill a new `settings.toml`, never written.
    #[serde(rename = "data_mode", skip_serializing)]
    pub legacy_data_mode: Option<crate::net::DataMode>,
    #[serde(rename = "dark", skip_serializing)]
    pub legacy_dark: Option<bool>,
    #[serde(rename = "log_timestamps", skip_serializing)]
    pub legacy_log_timestamps: Option<bool>,
    pub last_local_dir: Option<PathBuf>,
    /// `scheme://user@host:port`, newest first; no passwords.
    pub recent: Vec<String>,
    /// `host:port`s the user allowed plain FTP for (Quickconnect tries TLS first).
    pub plain_ftp_hosts: Vec<String>,
    /// View > Directory comparison, and whether it hides identical rows.
    pub compare: bool,
    pub hide_identical: bool,
    /// The tabs open at the last exit (without passwords), and the active one.
    pub tabs: Vec<crate::gui::tabs::SavedTab>,
    pub active_tab: usize,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            show_log: true,
            show_queue: true,
            show_trees: true,
            log_kinds: Default::default(),
            local_share: 0.5,
            transfer_mode: crate::engine::TransferMode::default(),
            legacy_data_mode: None,
            legacy_dark: None,
            legacy_log_timestamps: None,
            last_local_dir: None,
            recent: Vec::new(),
            plain_ftp_hosts: Vec::new(),
            compare: false,
            hide_identical: false,
            tabs: Vec::new(),
            active_tab: 0,
        }
    }
}

impl Prefs {
    pub fn allows_plain_ftp(&self, host_port: &str) -> bool {
        self.plain_ftp_hosts.iter().any(|h| h == host_port)
    }

    pub fn allow_plain_ftp(&mut self, host_port: String) {
        if !self.allows_plain_ftp(&host_port) {
            self.plain_ftp_hosts.push(host_port);
        }
    }

    /// Puts `server` first in the recent list, once, keeping at most `RECENT_LIMIT`.
    pub fn remember_server(&mut self, server: String) {
        self.recent.retain(|s| *s != server);
        self.recent.insert(0, server);
        self.recent.truncate(RECENT_LIMIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_servers_are_unique_newest_first_and_capped() {
        let mut prefs = Prefs::default();
        for i in 0..12 {
            prefs.remember_server(format!("ftp://u@h{i}:21"));
        }
        prefs.remember_server("ftp://u@h5:21".into());
        assert_eq!(prefs.recent.len(), RECENT_LIMIT);
        assert_eq!(prefs.recent[0], "ftp://u@h5:21");
        assert_eq!(
            prefs
                .recent
                .iter()
                .filter(|s| *s == "ftp://u@h5:21")
                .count(),
            1
        );
    }

    #[test]
    fn old_or_partial_prefs_fill_in_defaults() {
        let prefs: Prefs = serde_json::from_str(r#"{"dark": true}"#).unwrap();
        assert_eq!(prefs.legacy_dark, Some(true));
        assert!(prefs.show_log && prefs.show_queue);
        let saved = serde_json::to_string(&prefs).unwrap();
        assert!(!saved.contains("dark"), "moved to settings.toml: {saved}");
    }
}
