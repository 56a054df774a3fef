//! The window's test helpers, shared by the kittest tests (tests/gui) and
//! benches/gui_frames.rs: a real window over a fresh engine with its own temporary config
//! folder, bounded waits, clicks, drags and quickconnect. Every wait is bounded in frames and
//! in time.

#![allow(dead_code)] // each test file uses some of them

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use skiff::engine::{self, EngineConfig};
use skiff::gui::prefs::Prefs;
use skiff::gui::{AppOptions, SkiffApp};
use skiff::sites::trust::TrustStore;

use crate::common::FtpServer;

/// The window, and the temporary config folder it reads and writes (gone with it).
pub struct Window {
    pub harness: Harness<'static, SkiffApp>,
    _config: Option<tempfile::TempDir>,
}

impl Window {
    /// The window's own settings folder (a temporary one).
    pub fn config_dir(&self) -> &Path {
        self._config.as_ref().map(|c| c.path()).unwrap()
    }
}

impl Deref for Window {
    type Target = Harness<'static, SkiffApp>;
    fn deref(&self) -> &Self::Target {
        &self.harness
    }
}

impl DerefMut for Window {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.harness
    }
}

/// A window over a fresh engine, showing `local_dir` on the left, with an empty config
/// folder of its own.
pub fn window(rt: &tokio::runtime::Runtime, local_dir: &Path) -> Window {
    window_trusting(rt, local_dir, None)
}

/// The same, with a certificate trust store.
pub fn window_trusting(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    trust_store: Option<TrustStore>,
) -> Window {
    let config = tempfile::tempdir().unwrap();
    let harness = window_with_config(rt, local_dir, config.path(), trust_store);
    Window {
        harness,
        _config: Some(config),
    }
}

/// A window whose sites, settings and passwords are in `config_dir` (the caller's, so a
/// second window can read what the first one saved).
pub fn window_with_config(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    config_dir: &Path,
    trust_store: Option<TrustStore>,
) -> Harness<'static, SkiffApp> {
    // Never the desktop's file manager from a test.
    build_window(
        rt,
        local_dir,
        config_dir,
        trust_store,
        Path::new("/bin/false"),
    )
}

/// A window that opens folders (Help > Open the settings folder) with `opener`.
pub fn window_with_opener(rt: &tokio::runtime::Runtime, local_dir: &Path, opener: &Path) -> Window {
    let config = tempfile::tempdir().unwrap();
    let harness = build_window(rt, local_dir, config.path(), None, opener);
    Window {
        harness,
        _config: Some(config),
    }
}

/// A window that opens files for View/Edit with `editor` (given the file), where Settings
/// names no editor for its extension.
pub fn window_with_editor(rt: &tokio::runtime::Runtime, local_dir: &Path, editor: &Path) -> Window {
    let config = tempfile::tempdir().unwrap();
    let harness = build_window_with(
        rt,
        local_dir,
        config.path(),
        None,
        Path::new("/bin/false"),
        editor,
    );
    Window {
        harness,
        _config: Some(config),
    }
}

fn build_window(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    config_dir: &Path,
    trust_store: Option<TrustStore>,
    opener: &Path,
) -> Harness<'static, SkiffApp> {
    // Never the desktop's editor either.
    build_window_with(
        rt,
        local_dir,
        config_dir,
        trust_store,
        opener,
        Path::new("/bin/false"),
    )
}

/// A window started with `prefs` (what an earlier window saved), its config in `config_dir`.
pub fn window_with_prefs(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    config_dir: &Path,
    prefs: Prefs,
) -> Harness<'static, SkiffApp> {
    let never = Path::new("/bin/false");
    build_window_full(rt, local_dir, config_dir, None, never, never, prefs)
}

fn build_window_with(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    config_dir: &Path,
    trust_store: Option<TrustStore>,
    opener: &Path,
    editor: &Path,
) -> Harness<'static, SkiffApp> {
    let prefs = Prefs::default();
    build_window_full(
        rt,
        local_dir,
        config_dir,
        trust_store,
        opener,
        editor,
        prefs,
    )
}

fn build_window_full(
    rt: &tokio::runtime::Runtime,
    local_dir: &Path,
    config_dir: &Path,
    trust_store: Option<TrustStore>,
    opener: &Path,
    editor: &Path,
    prefs: Prefs,
) -> Harness<'static, SkiffApp> {
    let _enter = rt.enter();
    let opener = opener.to_path_buf();
    let editor = editor.to_path_buf();
    let local_dir = local_dir.to_path_buf();
    let config_dir = config_dir.to_path_buf();
    // View/Edit's copies stay in the test's folder.
    let edit_dir = config_dir.join("edit");
    Harness::builder()
        .with_size([1280.0, 800.0])
        // Frames 50 ms apart, so two clicks a few frames apart are a double-click (300 ms).
        .with_step_dt(0.05)
        .with_max_steps(20)
        // As the real window does: CJK and other scripts from the system's fonts. Any
        // glyph without a font fails the test (kittest's missing-glyph check).
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(
                egui_system_font_provider::SystemFontProvider::new(),
            ));
        })
        .build_eframe(move |_cc| {
            let (engine, events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
            SkiffApp::new(
                engine,
                events,
                Arc::new(|| {}),
                AppOptions {
                    url: None,
                    local_dir: Some(local_dir),
                    prefs,
                    trust_store,
                    config_dir: Some(config_dir),
                    config: None,
                    opener: Some(opener),
                    editor: Some(editor),
                    edit_dir: Some(edit_dir),
                },
            )
        })
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Steps frames until `done` holds: at most 600 frames and 30 s. On failure the message
/// log is printed, so the reason is in the test output.
pub fn step_until(
    harness: &mut Harness<'_, SkiffApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, SkiffApp>) -> bool,
) {
    let started = Instant::now();
    for _ in 0..600 {
        harness.step();
        if done(harness) {
            return;
        }
        if started.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let log: Vec<String> = harness
        .state()
        .model()
        .log
        .iter()
        .map(|l| l.to_string())
        .collect();
    panic!(
        "timed out waiting for {what}; message log:\n{}",
        log.join("\n")
    );
}

/// Types `text` into the remote pane's quick filter (the right one of the two) in place of
/// what it held; an empty `text` clears it.
pub fn filter_remote(harness: &mut Harness<'_, SkiffApp>, text: &str) {
    let remote_filter = harness
        .get_all_by_label("🔎")
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap()
        .rect()
        .center();
    click_at(harness, remote_filter, egui::PointerButton::Primary);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    match text {
        "" => harness.key_press(egui::Key::Backspace),
        text => harness.event(egui::Event::Text(text.into())),
    }
    settle(harness);
}

/// A few frames, for a click's effect to show (a menu to open, a page to switch).
pub fn settle(h: &mut Harness<'_, SkiffApp>) {
    for _ in 0..3 {
        h.step();
    }
}

/// The texts of the message log's Error lines.
pub fn error_lines(harness: &Harness<'_, SkiffApp>) -> Vec<String> {
    harness
        .state()
        .model()
        .log
        .iter()
        .filter(|l| l.kind == skiff::log::LogKind::Error)
        .map(|l| l.text.clone())
        .collect()
}

pub fn has_label(harness: &Harness<'_, SkiffApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// Types into the quickconnect bar and presses Quickconnect, then waits for the listing.
pub fn quickconnect(harness: &mut Harness<'_, SkiffApp>, server: &FtpServer) {
    let fields = [
        ("Host:", server.host()),
        ("Username:", server.user().to_owned()),
        ("Password:", server.password().to_owned()),
        ("Port:", server.port().to_string()),
    ];
    for (label, text) in fields {
        harness.get_by_label(label).click();
        harness.step();
        harness.get_by_label(label).type_text(&text);
        harness.step();
    }
    harness.get_by_label("Quickconnect").click();
    // A bare host tries TLS first; the test servers here offer none, so the window asks
    // whether to go on in clear text: yes, and for this server from now on.
    step_until(harness, "the logon or the question about plain FTP", |h| {
        h.state().model().connected || has_label(h, "Insecure FTP connection")
    });
    if has_label(harness, "Insecure FTP connection") {
        allow_plain_ftp(harness, true);
    }
    step_until(harness, "the remote listing", |h| {
        h.state().model().connected && !h.state().model().remote.files.loading
    });
}

/// Answers "Insecure FTP connection" with Connect without encryption (`always`: ticked
/// "Always allow plain FTP for this server").
pub fn allow_plain_ftp(harness: &mut Harness<'_, SkiffApp>, always: bool) {
    if always {
        harness
            .get_by_label("Always allow plain FTP for this server")
            .click();
        settle(harness);
    }
    harness.get_by_label("Connect without encryption").click();
    settle(harness);
}

/// Drags with the primary button from `from` to `to` in small moves, as a hand would.
pub fn drag(harness: &mut Harness<'_, SkiffApp>, from: egui::Pos2, to: egui::Pos2) {
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for i in 1..=8 {
        let t = i as f32 / 8.0;
        harness.hover_at(from + (to - from) * t);
        harness.step();
    }
    harness.drop_at(to);
    harness.step();
    harness.step();
}

/// A click with `button` at `pos`: hover, press, release, a frame each (and two more, so a
/// context menu it opens is drawn).
pub fn click_at(harness: &mut Harness<'_, SkiffApp>, pos: egui::Pos2, button: egui::PointerButton) {
    harness.hover_at(pos);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    harness.step();
    harness.step();
}

/// Types a URL into the Host field and presses Quickconnect.
pub fn connect_to_url(harness: &mut Harness<'_, SkiffApp>, url: &str) {
    harness.get_by_label("Host:").click();
    harness.step();
    // Whatever an earlier connection left in the field is replaced.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("Host:").type_text(url);
    harness.step();
    harness.get_by_label("Quickconnect").click();
}

/// Two primary clicks at `pos`, one frame apart: a double-click. Waits 0.4 s (simulated)
/// first, so an earlier click elsewhere cannot pair with the first one.
pub fn double_click_at(harness: &mut Harness<'_, SkiffApp>, pos: egui::Pos2) {
    harness.hover_at(pos);
    for _ in 0..8 {
        harness.step();
    }
    for _ in 0..2 {
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        harness.step();
    }
}

/// Where the remote file table shows `name`: of every label containing it, the one lowest
/// and furthest right (the remote pane's table sits below its tree, right of the local pane).
pub fn remote_table_row(harness: &Harness<'_, SkiffApp>, name: &str) -> egui::Pos2 {
    harness
        .get_all_by_label_contains(name)
        .max_by(|a, b| {
            (a.rect().left() + a.rect().top()).total_cmp(&(b.rect().left() + b.rect().top()))
        })
        .unwrap_or_else(|| panic!("no label contains {name:?}"))
        .rect()
        .center()
}

/// The places `label` is shown exactly, top to bottom.
fn label_rects_top_down(harness: &Harness<'_, SkiffApp>, label: &str) -> Vec<egui::Rect> {
    let mut rects: Vec<egui::Rect> = harness
        .get_all_by_label(label)
        .map(|node| node.rect())
        .collect();
    assert!(!rects.is_empty(), "no label {label:?}");
    rects.sort_by(|a, b| a.top().total_cmp(&b.top()));
    rects
}

/// Where a file table shows exactly `label`: the lowest of the labels (a pane's table sits
/// below its tree, which shows a folder with the same icon and name).
pub fn table_row(harness: &Harness<'_, SkiffApp>, label: &str) -> egui::Pos2 {
    let rects = label_rects_top_down(harness, label);
    rects[rects.len() - 1].center()
}

/// Where a pane's tree shows exactly `label`: the highest of the labels (the tree sits above
/// the pane's file table, which may show the same folder).
pub fn tree_row(harness: &Harness<'_, SkiffApp>, label: &str) -> egui::Rect {
    label_rects_top_down(harness, label)[0]
}

/// A config folder with the saved site "Loopback" for `server`: plain FTP, its password
/// asked at connect and never saved.
pub fn config_with_loopback_site(config: &Path, server: &FtpServer) {
    use skiff::sites::credentials::StoreKind;
    use skiff::sites::settings::Settings;
    use skiff::sites::site::{LogonType, Protocol, Site, SiteList};
    Settings {
        password_store: StoreKind::DontSave,
        ..Settings::default()
    }
    .save(&config.join("settings.toml"))
    .unwrap();
    SiteList {
        folders: Vec::new(),
        sites: vec![Site {
            name: "Loopback".into(),
            protocol: Protocol::Ftp,
            host: server.host(),
            port: Some(server.port()),
            logon: LogonType::AskForPassword,
            user: server.user().into(),
            ..Site::default()
        }],
    }
    .save(&config.join("sites.toml"))
    .unwrap();
}
