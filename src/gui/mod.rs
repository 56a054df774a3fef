//! The desktop window (eframe/egui) over the engine. The UI thread never waits on the
//! network or the disk: it sends commands and draws what the engine's events say; each event
//! wakes the window with `request_repaint`.

mod app;
mod model;

use std::sync::Arc;

pub use app::{SkiffApp, human_size};

/// Opens the window (and connects to `url` when given). Returns when the window closes.
pub fn run(url: Option<String>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("skiff-engine")
        .build()?;
    // The engine and the UI's one-shot jobs spawn on this runtime from the UI thread.
    let _enter = runtime.enter();
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Skiff")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 400.0]),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Skiff",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let (engine, events) = crate::engine::spawn(
                crate::engine::EngineConfig::default(),
                Arc::new(move || ctx.request_repaint()),
            );
            Ok(Box::new(SkiffApp::new(engine, events, url.as_deref())))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
