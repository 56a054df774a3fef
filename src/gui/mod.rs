//! The desktop window (eframe/egui) over the engine. The UI thread never waits on the
//! network or the disk: it sends commands and draws what the engine's events say; each event
//! wakes the window with `request_repaint`.
//!
//! | file | what |
//! |---|---|
//! | `app/` | `SkiffApp`: the window's state and frame (`mod.rs`), split by concern into child modules (its own table) |
//! | `actions.rs` | `UiAction`: everything the user can ask for; `Side` |
//! | `model.rs` | what the window shows: log ring, both panes, queue, questions (pure) |
//! | `pane_state.rs` | one side's pane: file list, tree, path bar, the requests it waits for (pure) |
//! | `pane.rs` | a file list as data: sort, filter, selection, history (pure) |
//! | `listing.rs` | a listing's sort and filter keys, made once per listing (pure) |
//! | `tree.rs` | a pane's directory tree, learned from listings (pure) |
//! | `places.rs` | the local tree's places: home, the root, mounted volumes |
//! | `queue_view.rs` | the queue's three tabs with rates and ETAs (pure) |
//! | `quickconnect.rs` | the quickconnect fields as a server, and back; URLs to copy (pure) |
//! | `edit.rs` | View/Edit's copies: the private folder, the editor's command, the watcher, what closing keeps |
//! | `jobs.rs` | one-shot jobs as promises: on the runtime or the blocking pool, waking the window |
//! | `file_table.rs`, `tree_ui.rs`, `log_pane.rs`, `queue_pane.rs`, `dialogs.rs` | drawing |
//! | `error_text.rs` | errors in words, with what to try (pure) |
//! | `prefs.rs` | what the window remembers between runs (panes, recent servers) |
//! | `config.rs` | `sites.toml` and `settings.toml`: read at startup, written off the UI thread |
//! | `sites_state.rs` | sites, settings, the password store and their windows, as state |
//! | `site_manager.rs` | the Site Manager window (folders and sites, their tabs) |
//! | `settings_window.rs` | Edit > Settings |
//! | `bookmark_dialogs.rs` | Bookmarks > Add bookmark… and Manage bookmarks… |
//! | `form.rs` | form rows and field parsing the two windows share |
//! | `diagnose_window.rs` | Server > Diagnose connection's window and what applying does to a site |
//! | `custom_command.rs` | Server > Enter custom command's dialog: one line, checked before it is sent |
//! | `notification.rs` | after the queue: what to do (pure), and desktop notifications over D-Bus |
//! | `module_graph.rs` | (test) the modules above import each other without a cycle |
//!
//! Imports between these modules point one way: `app` imports the others; the others never
//! import `app`, and none of them import each other in a circle (`module_graph.rs` checks).

pub mod actions;
mod app;
mod bookmark_dialogs;
pub mod comparison;
pub mod config;
mod custom_command;
mod diagnose_window;
mod dialogs;
pub mod edit;
mod error_text;
mod file_table;
pub mod filters;
mod filters_window;
pub mod form;
mod jobs;
pub mod listing;
mod log_pane;
pub mod model;
#[cfg(test)]
mod module_graph;
pub mod notification;
pub mod pane;
pub mod pane_state;
mod places;
pub mod prefs;
mod prompter;
mod queue_pane;
pub mod queue_view;
mod quickconnect;
pub mod search_window;
pub mod settings_window;
pub mod site_manager;
mod sites_state;
pub mod sync_browse;
pub mod sync_window;
pub mod tabs;
pub mod theme;
pub mod tree;
mod tree_ui;

use std::sync::Arc;

pub use app::{AppOptions, SkiffApp};
pub use quickconnect::{quickconnect_target, url_for};

pub use crate::units::human_size;

/// The app id: the desktop entry, the AppStream id and the icon name (packaging/linux).
pub const APP_ID: &str = "dev.skiff.Skiff";

/// The window's icon (assets/icons, rendered from skiff.svg).
fn window_icon() -> eframe::egui::IconData {
    let png = include_bytes!("../../assets/icons/skiff-256.png");
    eframe::icon_data::from_png_bytes(png).unwrap_or_default()
}

/// Opens the window (and connects to `url` when given). Returns when the window closes.
pub fn run(url: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("skiff-engine")
        .build()?;
    // The engine and the UI's one-shot jobs spawn on this runtime from the UI thread.
    let _enter = runtime.enter();
    // Read before the window exists, so the UI thread never waits on it.
    let trust_store = match crate::sites::trust::TrustStore::default_path() {
        Some(path) => match crate::sites::trust::TrustStore::load(&path) {
            Ok(store) => Some(store),
            Err(err) => {
                tracing::warn!("certificate trust store: {err:#}");
                None
            }
        },
        None => None,
    };
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Skiff")
            // The desktop entry's name (packaging/linux), so docks group the window under it.
            .with_app_id(APP_ID)
            .with_icon(window_icon())
            .with_inner_size(initial_size())
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Skiff",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            // The queue is kept between runs (without passwords); a restored queue waits
            // for "Process queue", and its items take the password of the next logon.
            let prefs: prefs::Prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            // Sites and settings are read once, before the engine starts with the settings.
            let files = config::AppConfig::load(crate::sites::config_dir(), &prefs);
            let settings = &files.settings;
            let mut engine_settings = crate::setup::engine_settings(settings);
            engine_settings.transfer_mode = prefs.transfer_mode;
            let engine_config = crate::engine::EngineConfig {
                settings: engine_settings,
                queue_file: crate::engine::persist::default_path(),
                start_processing: false,
                ..crate::engine::EngineConfig::default()
            };
            let (engine, events) = crate::engine::spawn(engine_config, Arc::clone(&wake));
            let mut app = SkiffApp::new(
                engine,
                events,
                wake,
                AppOptions {
                    url,
                    local_dir: None,
                    prefs,
                    trust_store,
                    config_dir: files.dir.clone(),
                    config: Some(files),
                    opener: None,
                    editor: None,
                    edit_dir: None,
                },
            );
            // For bench/window.sh: when the first frame was presented, written to this file.
            if let Some(path) = std::env::var_os("SKIFF_REPORT_FIRST_FRAME") {
                app.report_first_frame_to(path.into());
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// The window's size on a first run (later runs restore the last one): 1200×800, or
/// `SKIFF_WINDOW_SIZE=WxH` (assets/screenshot.sh takes the window at several sizes).
fn initial_size() -> [f32; 2] {
    std::env::var("SKIFF_WINDOW_SIZE")
        .ok()
        .and_then(|size| {
            let (w, h) = size.split_once('x')?;
            Some([w.trim().parse().ok()?, h.trim().parse().ok()?])
        })
        .filter(|[w, h]: &[f32; 2]| {
            (100.0..=10_000.0).contains(w) && (100.0..=10_000.0).contains(h)
        })
        .unwrap_or([1200.0, 800.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_icon_is_the_256_px_png() {
        let icon = window_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        // Not blank: the tile's blue is in it.
        assert!(
            icon.rgba
                .chunks(4)
                .any(|p| p[2] > 150 && p[0] < 120 && p[3] == 255)
        );
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1_234_567), "1.2 MiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
