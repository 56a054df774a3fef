//! Tabs: several connections in one window (File > New tab, Ctrl+T, Ctrl+W, Ctrl+Tab).
//!
//! The active tab's state lives where it always did (the window's and the model's
//! per-connection fields); each other tab keeps the same fields in a `Tab`, and switching
//! swaps them (`swap_tab`, the one list of every per-connection field). The local pane,
//! the queue, the log and the dialogs are the window's, shared by all tabs.
//!
//! The engine's answers go to the tab that asked: each request id remembers its tab, and a
//! connection's events name their server. An answer for another tab is taken with that tab
//! swapped in for the moment (`with_tab`), by the same code as the active tab's.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use eframe::egui;

use super::SkiffApp;
use crate::engine::{EngineEvent, RequestId};
use crate::gui::actions::{Side, UiAction};
use crate::gui::pane_state::PaneState;
use crate::gui::quickconnect::Quickconnect;
use crate::gui::tabs::SavedTab;
use crate::remote::{Server, ServerKey};
use crate::url::FtpUrl;

/// Requests remembered with their tab; older ones are forgotten (their answers came long
/// ago, or go to the active tab).
const REMEMBERED_REQUESTS: usize = 10_000;

/// One tab's connection state while another tab is active: the same fields as the window's
/// and the model's, swapped in and out by `swap_tab`. The active tab's slot holds a blank
/// one.
#[derive(Default)]
pub(super) struct Tab {
    /// Stays with its slot (never swapped): how requests and the tab bar name the tab.
    pub id: u64,
    server: Option<Arc<Server>>,
    server_url: Option<FtpUrl>,
    quick: Quickconnect,
    quick_error: Option<String>,
    tls_first: bool,
    current_site: Option<String>,
    remote: PaneState,
    connected: bool,
    server_key: Option<ServerKey>,
    capabilities: Option<Arc<crate::remote::Capabilities>>,
    remote_fallback: Option<crate::proto::charset::Charset>,
    remote_time_offset_minutes: i32,
    login_refused: Option<String>,
    tls_refused: bool,
    untrusted_certificate: Option<crate::net::tls::CertInfo>,
    unknown_host_key: Option<crate::sftp::HostKeyInfo>,
    changed_host_key: Option<(crate::sftp::HostKeyInfo, String)>,
    changed_certificate: Option<(crate::net::tls::CertInfo, String)>,
    diagnose: Option<crate::gui::diagnose_window::DiagnoseWindow>,
    sync_browse: Option<crate::gui::sync_browse::SyncBrowse>,
    sync_window: Option<crate::gui::sync_window::SyncWindow>,
    sync_task: Option<super::synchronize::SyncTask>,
    sync_pending: Option<(Side, Vec<u8>)>,
    sync_after_logon: bool,
    bookmark_pending: Option<super::bookmarks::PendingBookmark>,
    search: super::search::Searching,
    custom_command: Option<crate::gui::custom_command::CustomCommandWindow>,
}

impl Tab {
    fn blank(id: u64) -> Self {
        Self {
            id,
            ..Default::default()
        }
    }
}

/// Exchanges the window's per-connection fields with `tab`'s: every field a connection
/// owns, once (the unit test checks each goes both ways).
fn swap_tab(app: &mut SkiffApp, tab: &mut Tab) {
    use std::mem::swap;
    swap(&mut app.server, &mut tab.server);
    swap(&mut app.server_url, &mut tab.server_url);
    swap(&mut app.quick, &mut tab.quick);
    swap(&mut app.quick_error, &mut tab.quick_error);
    swap(&mut app.tls_first, &mut tab.tls_first);
    swap(&mut app.cfg.current_site, &mut tab.current_site);
    let model = &mut app.model;
    swap(&mut model.remote, &mut tab.remote);
    swap(&mut model.connected, &mut tab.connected);
    swap(&mut model.server_key, &mut tab.server_key);
    swap(&mut model.capabilities, &mut tab.capabilities);
    swap(&mut model.remote_fallback, &mut tab.remote_fallback);
    swap(
        &mut model.remote_time_offset_minutes,
        &mut tab.remote_time_offset_minutes,
    );
    swap(&mut model.login_refused, &mut tab.login_refused);
    swap(&mut model.tls_refused, &mut tab.tls_refused);
    swap(
        &mut model.untrusted_certificate,
        &mut tab.untrusted_certificate,
    );
    swap(&mut model.unknown_host_key, &mut tab.unknown_host_key);
    swap(&mut model.changed_host_key, &mut tab.changed_host_key);
    swap(&mut model.changed_certificate, &mut tab.changed_certificate);
    swap(&mut app.diagnose, &mut tab.diagnose);
    swap(&mut app.sync_browse, &mut tab.sync_browse);
    swap(&mut app.sync_window, &mut tab.sync_window);
    swap(&mut app.sync_task, &mut tab.sync_task);
    swap(&mut app.sync_pending, &mut tab.sync_pending);
    swap(&mut app.sync_after_logon, &mut tab.sync_after_logon);
    swap(&mut app.bookmark_pending, &mut tab.bookmark_pending);
    swap(&mut app.search, &mut tab.search);
    swap(&mut app.custom_command, &mut tab.custom_command);
}

/// The window's tabs: their slots in the tab bar's order, which one is active, and which
/// tab sent each request.
#[derive(Default)]
pub(super) struct Tabs {
    pub slots: Vec<Tab>,
    pub active: usize,
    next_id: u64,
    requests: BTreeMap<u64, u64>,
    /// Tabs saved at the last exit, reopened one after another (`advance_restore`).
    restoring: Option<Restoring>,
}

struct Restoring {
    waiting: VecDeque<SavedTab>,
    /// The tab being reopened: its saved remote folder is entered once it connects.
    current: Option<SavedTab>,
    /// The tab to make active at the end.
    active: usize,
}

impl Tabs {
    /// One blank tab, active.
    pub fn new() -> Self {
        let mut tabs = Self::default();
        tabs.push_blank();
        tabs
    }

    fn push_blank(&mut self) -> usize {
        self.next_id += 1;
        self.slots.push(Tab::blank(self.next_id));
        self.slots.len() - 1
    }

    pub fn active_id(&self) -> u64 {
        self.slots[self.active].id
    }

    /// Remembers that the active tab sent `request`.
    pub fn sent(&mut self, request: RequestId) {
        let id = self.active_id();
        self.requests.insert(request.0, id);
        if self.requests.len() > REMEMBERED_REQUESTS
            && let Some(oldest) = self.requests.keys().next().copied()
        {
            self.requests.remove(&oldest);
        }
    }

    /// The inactive tabs with a sync planned or running.
    pub fn with_sync(&self) -> Vec<u64> {
        (self.slots.iter().enumerate())
            .filter(|(slot, tab)| *slot != self.active && tab.sync_task.is_some())
            .map(|(_, tab)| tab.id)
            .collect()
    }

    /// The tab that sent `request`, if remembered.
    pub fn sender(&self, request: RequestId) -> Option<u64> {
        self.requests.get(&request.0).copied()
    }
}

/// The request an engine event answers, if any.
fn request_of(event: &EngineEvent) -> Option<RequestId> {
    match event {
        EngineEvent::Listing { request, .. }
        | EngineEvent::RemoteDone { request, .. }
        | EngineEvent::RawReply { request, .. }
        | EngineEvent::SearchFound { request, .. }
        | EngineEvent::Checksums { request, .. } => Some(*request),
        _ => None,
    }
}

impl SkiffApp {
    /// The tab an event belongs to: the one that sent its request, or the one browsing
    /// the server it names (the active tab first); `None`: the active tab's, or the window's.
    pub(super) fn event_tab(&self, event: &EngineEvent) -> Option<u64> {
        if let Some(request) = request_of(event) {
            return self.tabs.sender(request);
        }
        let (server, names_only) = match event {
            EngineEvent::Connection { server, .. } => (server.clone(), false),
            // A queue item only needs its tab for the charset its path is shown in.
            EngineEvent::ItemAdded { server, .. } if self.tabs.slots.len() > 1 => {
                (server.key(), true)
            }
            _ => return None,
        };
        let server = &server;
        if self.model.server_key.as_ref() == Some(server) {
            return None;
        }
        let shown = &self.model.remote;
        self.tabs
            .slots
            .iter()
            .find(|tab| tab.server_key.as_ref() == Some(server))
            .filter(|tab| {
                !names_only
                    || tab.remote.charset != shown.charset
                    || tab.remote.fallback != shown.fallback
            })
            .map(|tab| tab.id)
    }

    /// Runs `f` with tab `id` active (swapped in for the moment), `None` when that tab is
    /// gone. The active tab's slot stays blank meanwhile, so `f` must not add, close or
    /// switch tabs.
    pub(super) fn with_tab<R>(&mut self, id: u64, f: impl FnOnce(&mut Self) -> R) -> Option<R> {
        if id == self.tabs.active_id() {
            return Some(f(self));
        }
        let slot = self.tabs.slots.iter().position(|tab| tab.id == id)?;
        let mut stored = std::mem::replace(&mut self.tabs.slots[slot], Tab::blank(id));
        let active = std::mem::replace(&mut self.tabs.active, slot);
        swap_tab(self, &mut stored);
        let result = f(self);
        swap_tab(self, &mut stored);
        self.tabs.active = active;
        self.tabs.slots[slot] = stored;
        Some(result)
    }

    /// Makes tab `slot` the active one.
    pub(super) fn switch_tab(&mut self, slot: usize) {
        let from = self.tabs.active;
        if slot == from || slot >= self.tabs.slots.len() {
            return;
        }
        // The active fields go into the active slot (blank until now)...
        let mut left = std::mem::take(&mut self.tabs.slots[from]);
        swap_tab(self, &mut left);
        self.tabs.slots[from] = left;
        // ...and the chosen tab's come out of its slot, which is left blank.
        let mut chosen = std::mem::take(&mut self.tabs.slots[slot]);
        swap_tab(self, &mut chosen);
        self.tabs.slots[slot] = chosen;
        self.tabs.active = slot;
        self.model.forget_derived();
        self.log_view.clear_selection();
    }

    /// The next tab (Ctrl+Tab), or the one before (Ctrl+Shift+Tab), round.
    pub(super) fn cycle_tab(&mut self, back: bool) {
        let count = self.tabs.slots.len();
        let slot = match back {
            true => (self.tabs.active + count - 1) % count,
            false => (self.tabs.active + 1) % count,
        };
        self.switch_tab(slot);
    }

    /// File > New tab (Ctrl+T): a blank tab after the others, active.
    pub(super) fn new_tab(&mut self) {
        let slot = self.tabs.push_blank();
        self.switch_tab(slot);
    }

    /// File > Close tab (Ctrl+W), the tab's ✖, a middle click: its browsing session is
    /// disconnected and the windows that were its own close. The last tab stays, blank.
    pub(super) fn close_tab(&mut self, slot: usize) {
        if slot >= self.tabs.slots.len() {
            return;
        }
        self.switch_tab(slot);
        // Another tab browsing the same server shares its session (the engine keeps one
        // per server): that one stays.
        let shared = self.model.server_key.as_ref().is_some_and(|key| {
            (self.tabs.slots.iter()).any(|tab| tab.server_key.as_ref() == Some(key))
        });
        match shared {
            true => {
                self.server = None;
                self.close_search();
            }
            false => self.disconnect(),
        }
        let mut closed = Tab::blank(0);
        swap_tab(self, &mut closed);
        if self.tabs.slots.len() == 1 {
            // `closed` goes with what it held; the window keeps a blank tab.
            return;
        }
        self.tabs.slots.remove(slot);
        let next = slot.min(self.tabs.slots.len() - 1);
        let mut chosen = std::mem::take(&mut self.tabs.slots[next]);
        swap_tab(self, &mut chosen);
        self.tabs.slots[next] = chosen;
        self.tabs.active = next;
        self.model.forget_derived();
    }

    /// The tab bar above the panes, as FileZilla's: a tab per connection named
    /// `user@host:port` with its ✖ (a middle click closes it too), and "+" for a new one.
    pub(super) fn tab_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            for slot in 0..self.tabs.slots.len() {
                let label = self.tab_label(slot);
                let active = slot == self.tabs.active;
                let tab = ui
                    .selectable_label(active, &label)
                    .on_hover_text(format!("{label} (Ctrl+Tab: the next tab)"));
                if tab.middle_clicked() {
                    actions.push(UiAction::CloseTab(slot));
                } else if tab.clicked() {
                    actions.push(UiAction::SwitchTab(slot));
                }
                if ui
                    .small_button("✖")
                    .on_hover_text(format!("Close the tab {label} (Ctrl+W)"))
                    .clicked()
                {
                    actions.push(UiAction::CloseTab(slot));
                }
                ui.separator();
            }
            if ui
                .small_button("+")
                .on_hover_text("New tab (Ctrl+T)")
                .clicked()
            {
                actions.push(UiAction::NewTab);
            }
        });
    }

    /// What the tab bar names tab `slot` by: `user@host`, or "Not connected".
    pub fn tab_label(&self, slot: usize) -> String {
        let url = match slot == self.tabs.active {
            true => self.server_url.as_ref(),
            false => self
                .tabs
                .slots
                .get(slot)
                .and_then(|t| t.server_url.as_ref()),
        };
        crate::gui::tabs::label(url)
    }

    /// How many tabs the window has, and which one is active (for tests).
    pub fn tab_count(&self) -> usize {
        self.tabs.slots.len()
    }

    pub fn active_tab(&self) -> usize {
        self.tabs.active
    }

    /// Tab `slot`'s remote pane, wherever it is kept (for tests).
    pub fn tab_remote_pane(&self, slot: usize) -> Option<&PaneState> {
        match slot == self.tabs.active {
            true => Some(&self.model.remote),
            false => self.tabs.slots.get(slot).map(|t| &t.remote),
        }
    }

    /// The tabs as the next start reopens them: each connected tab's server (no password),
    /// site and folders; and the active one's place among them.
    pub fn saved_tabs(&self) -> (Vec<SavedTab>, usize) {
        let local = Some(self.local_dir());
        let mut saved = Vec::new();
        let mut active = 0;
        for (slot, tab) in self.tabs.slots.iter().enumerate() {
            let (url, site, remote) = match slot == self.tabs.active {
                true => (
                    self.server_url.as_ref().filter(|_| self.server.is_some()),
                    self.cfg.current_site.as_deref(),
                    &self.model.remote.files.path,
                ),
                false => (
                    tab.server_url.as_ref().filter(|_| tab.server.is_some()),
                    tab.current_site.as_deref(),
                    &tab.remote.files.path,
                ),
            };
            if slot == self.tabs.active {
                active = saved.len();
            }
            if let Some(tab) = SavedTab::of(url, site, remote, local.clone()) {
                saved.push(tab);
            }
        }
        let active = active.min(saved.len().saturating_sub(1));
        (saved, active)
    }

    /// At the start: reopens the tabs saved at the last exit, one after another (each
    /// waits for the password store or a password dialog of the one before).
    pub(super) fn restore_tabs(&mut self, saved: Vec<SavedTab>, active: usize) {
        if saved.is_empty() {
            return;
        }
        self.tabs.restoring = Some(Restoring {
            waiting: saved.into(),
            current: None,
            active,
        });
        self.advance_restore();
    }

    /// The next step of `restore_tabs`, once nothing is being asked or opened.
    pub(super) fn advance_restore(&mut self) {
        if self.tabs.restoring.is_none()
            || self.dialog.is_some()
            || self.cfg.opening.is_some()
            || !self.cfg.waiting.is_empty()
            || !self.cfg.store_jobs.is_empty()
        {
            return;
        }
        let Some(mut restoring) = self.tabs.restoring.take() else {
            return;
        };
        let done = restoring.current.take();
        let next = restoring.waiting.pop_front();
        let first = done.is_none();
        if let Some(done) = done
            && self.server.is_some()
            && !done.remote_path.is_empty()
            && self.model.remote.files.path != done.remote_path
        {
            self.open(Side::Remote, done.remote_path);
        }
        let Some(next) = next else {
            self.switch_tab(restoring.active);
            return;
        };
        restoring.current = Some(next.clone());
        if !first {
            self.new_tab();
        }
        self.tabs.restoring = Some(restoring);
        match &next.site {
            Some(id) if self.cfg.sites.get(id).is_some() => self.connect_site(id, None),
            _ => self.open_recent(next.url.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::pane_state::Purpose;

    fn app(rt: &tokio::runtime::Runtime) -> SkiffApp {
        let _enter = rt.enter();
        let dir = std::env::temp_dir();
        let (engine, events) = crate::engine::spawn(Default::default(), Arc::new(|| {}));
        SkiffApp::new(
            engine,
            events,
            Arc::new(|| {}),
            super::super::AppOptions {
                local_dir: Some(dir.clone()),
                config_dir: Some(dir.join("skiff-tabs-unit-none")),
                ..Default::default()
            },
        )
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Gives every per-connection field a value unlike a blank tab's.
    fn fill(app: &mut SkiffApp, host: &str) {
        let server = Server::ftp(host, 2121);
        app.model.server_key = Some(server.key());
        app.server = Some(Arc::new(server));
        app.server_url = FtpUrl::parse(&format!("ftp://me@{host}:2121/")).ok();
        app.quick.host = host.to_owned();
        app.quick_error = Some(format!("{host} error"));
        app.tls_first = true;
        app.cfg.current_site = Some(format!("site-{host}"));
        app.model
            .remote
            .files
            .set_listing(format!("/{host}").into_bytes(), Arc::from(Vec::new()));
        app.model.remote.sent(RequestId(7), Purpose::Listing);
        app.model.connected = true;
        app.model.remote_fallback = Some(crate::proto::charset::Charset::UTF8);
        app.model.remote_time_offset_minutes = 90;
        app.model.login_refused = Some("530".into());
        app.model.tls_refused = true;
        app.sync_pending = Some((Side::Remote, b"/x".to_vec()));
        app.sync_after_logon = true;
    }

    fn assert_filled(app: &SkiffApp, host: &str) {
        assert_eq!(
            app.model.server_key,
            Some(Server::ftp(host, 2121).key()),
            "server key"
        );
        assert_eq!(app.server.as_ref().unwrap().host, host);
        assert_eq!(app.server_url.as_ref().unwrap().host, host);
        assert_eq!(app.quick.host, host);
        assert_eq!(app.quick_error.as_deref(), Some(&*format!("{host} error")));
        assert!(app.tls_first);
        assert_eq!(
            app.cfg.current_site.as_deref(),
            Some(&*format!("site-{host}"))
        );
        assert_eq!(app.model.remote.files.path, format!("/{host}").into_bytes());
        assert!(app.model.remote.awaits(RequestId(7)));
        assert!(app.model.connected);
        assert!(app.model.remote_fallback.is_some());
        assert_eq!(app.model.remote_time_offset_minutes, 90);
        assert_eq!(app.model.login_refused.as_deref(), Some("530"));
        assert!(app.model.tls_refused);
        assert_eq!(app.sync_pending, Some((Side::Remote, b"/x".to_vec())));
        assert!(app.sync_after_logon);
    }

    fn assert_blank(app: &SkiffApp) {
        assert!(app.server.is_none() && app.server_url.is_none());
        assert!(app.model.server_key.is_none() && !app.model.connected);
        assert!(app.model.remote.files.path.is_empty());
        assert!(app.cfg.current_site.is_none() && app.quick.host.is_empty());
        assert!(!app.tls_first && app.sync_pending.is_none() && !app.sync_after_logon);
        assert_eq!(app.model.remote_time_offset_minutes, 0);
    }

    #[test]
    fn switching_tabs_back_and_forth_restores_every_field() {
        let rt = runtime();
        let mut app = app(&rt);
        fill(&mut app, "a.example");
        app.new_tab();
        assert_eq!((app.tab_count(), app.active_tab()), (2, 1));
        assert_blank(&app);
        fill(&mut app, "b.example");
        app.switch_tab(0);
        assert_filled(&app, "a.example");
        app.cycle_tab(false);
        assert_filled(&app, "b.example");
        app.cycle_tab(true);
        assert_filled(&app, "a.example");
        assert_eq!(app.tab_label(0), "me@a.example:2121");
        assert_eq!(app.tab_label(1), "me@b.example:2121");
        // Ids stay with their slots: a request sent from tab 0 is tab 0's.
        let first = app.tabs.active_id();
        app.tabs.sent(RequestId(40));
        app.switch_tab(1);
        assert_ne!(app.tabs.active_id(), first);
        assert_eq!(app.tabs.sender(RequestId(40)), Some(first));
    }

    #[test]
    fn an_answer_for_an_inactive_tab_lands_in_its_pane() {
        let rt = runtime();
        let mut app = app(&rt);
        fill(&mut app, "a.example");
        app.model.remote.sent(RequestId(8), Purpose::Listing);
        app.tabs.sent(RequestId(8));
        app.new_tab();
        fill(&mut app, "b.example");
        let event = EngineEvent::Listing {
            request: RequestId(8),
            path: b"/new".to_vec(),
            entries: Arc::from(vec![crate::proto::listing::Entry::new(
                "only-in-a.txt",
                crate::proto::listing::EntryKind::File,
            )]),
        };
        let tab = app.event_tab(&event).unwrap();
        let now = std::time::Instant::now();
        app.with_tab(tab, |app| app.model.apply(event, now));
        assert_eq!(
            app.model.remote.files.path, b"/b.example",
            "the active pane"
        );
        let stored = app.tab_remote_pane(0).unwrap();
        assert_eq!(stored.files.path, b"/new");
        assert_eq!(stored.files.len(), 1);
        assert_filled(&app, "b.example");
    }

    #[test]
    fn closing_a_tab_activates_its_neighbour_and_the_last_stays_blank() {
        let rt = runtime();
        let mut app = app(&rt);
        fill(&mut app, "a.example");
        app.new_tab();
        fill(&mut app, "b.example");
        app.close_tab(1);
        assert_eq!((app.tab_count(), app.active_tab()), (1, 0));
        assert_filled(&app, "a.example");
        app.close_tab(0);
        assert_eq!(app.tab_count(), 1);
        assert_blank(&app);
    }
}
