//! Queue tools: Transfer > Export queue… and Import queue… (the queue file's format, with
//! no password in it: imported items get theirs as a restored queue's do, from the server
//! logged on to or the saved sites), and what happens once the queue has run to its end
//! (nothing, a desktop notification, closing the window; and a notification anyway when a
//! long queue ends while the window is in the background: `gui::notification`).

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use poll_promise::Promise;

use super::SkiffApp;
use crate::engine::{EngineCommand, persist};
use crate::gui::jobs;
use crate::gui::notification::{self, AfterQueue, Effect};

/// The queue tools' state and jobs.
#[derive(Default)]
pub(super) struct QueueTools {
    /// Transfer > Action after queue completes (this session's choice, as in FileZilla).
    pub after: AfterQueue,
    /// Where notifications go: `None`, the session bus (tests name another).
    notification_bus: Option<String>,
    export_to: Option<Promise<Option<PathBuf>>>,
    exported: Option<Promise<Result<(PathBuf, usize), String>>>,
    import_from: Option<Promise<Option<PathBuf>>>,
    imported: Option<Promise<Result<(PathBuf, usize), String>>>,
    notified: Option<Promise<Result<Result<(), String>, String>>>,
}

impl SkiffApp {
    /// Transfer > Export queue…: the native dialog, then `export_queue_to`.
    pub(super) fn ask_where_to_export_queue(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Export the queue")
            .set_file_name("skiff-queue.json")
            .add_filter("Skiff queue", &["json"])
            .save_file();
        self.queue_tools.export_to = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Transfer > Import queue…: the native dialog, then `import_queue_from`.
    pub(super) fn ask_what_queue_to_import(&mut self) {
        let picked = rfd::AsyncFileDialog::new()
            .set_title("Import a queue")
            .add_filter("Skiff queue", &["json"])
            .pick_file();
        self.queue_tools.import_from = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Writes the queue's unfinished items to `path` (the engine hands them out; the file
    /// is written off the UI thread).
    pub fn export_queue_to(&mut self, path: PathBuf) {
        let (reply, items) = tokio::sync::oneshot::channel();
        self.engine.send(EngineCommand::ExportQueue { reply });
        self.queue_tools.exported = Some(jobs::spawn_async(&self.wake, async move {
            let items = items
                .await
                .map_err(|_| "the engine has stopped".to_owned())?;
            let written = path.clone();
            let count = tokio::task::spawn_blocking(move || persist::export(&written, items))
                .await
                .map_err(|err| format!("the background job stopped: {err}"))?
                .map_err(|err| err.to_string())?;
            Ok((path, count))
        }));
    }

    /// Reads a queue file off the UI thread and adds its items to the queue.
    pub fn import_queue_from(&mut self, path: PathBuf) {
        let engine = self.engine.clone();
        self.queue_tools.imported = Some(jobs::spawn_async(&self.wake, async move {
            let read = path.clone();
            let file = tokio::task::spawn_blocking(move || persist::load(&read))
                .await
                .map_err(|err| format!("the background job stopped: {err}"))?
                .map_err(|err| err.to_string())?;
            let (reply, added) = tokio::sync::oneshot::channel();
            engine.send(EngineCommand::ImportQueue {
                items: file.items,
                reply,
            });
            let added = added
                .await
                .map_err(|_| "the engine has stopped".to_owned())?;
            Ok((path, added))
        }));
    }

    /// Transfer > Action after queue completes.
    pub fn set_after_queue(&mut self, after: AfterQueue) {
        self.queue_tools.after = after;
    }

    pub fn after_queue(&self) -> AfterQueue {
        self.queue_tools.after
    }

    /// Sends notifications to this D-Bus address instead of the session bus (tests).
    pub fn set_notification_bus(&mut self, address: impl Into<String>) {
        self.queue_tools.notification_bus = Some(address.into());
    }

    /// Takes the queue tools' finished jobs; called every frame.
    pub(super) fn poll_queue_tools(&mut self) {
        let tools = &mut self.queue_tools;
        if let Some(Some(path)) = jobs::take_ready(&mut tools.export_to) {
            self.export_queue_to(path);
        }
        let tools = &mut self.queue_tools;
        if let Some(Some(path)) = jobs::take_ready(&mut tools.import_from) {
            self.import_queue_from(path);
        }
        match jobs::take_ready(&mut self.queue_tools.exported) {
            Some(Ok((path, count))) => self.model.push_status(format!(
                "Exported {count} queue items to {}, without passwords",
                path.display()
            )),
            Some(Err(err)) => self.model.push_error(format!("Export queue: {err}")),
            None => {}
        }
        match jobs::take_ready(&mut self.queue_tools.imported) {
            Some(Ok((path, added))) => {
                self.model.push_status(format!(
                    "Imported {added} queue items from {}",
                    path.display()
                ));
                // Items of the server logged on to take its password and settings.
                if let Some(server) = &self.server {
                    self.engine
                        .send(EngineCommand::UpdateServer(Arc::clone(server)));
                }
            }
            Some(Err(err)) => self.model.push_error(format!("Import queue: {err}")),
            None => {}
        }
        // Never a failure of anything: a Status line says why none was shown.
        if let Some(Err(err)) =
            jobs::take_ready(&mut self.queue_tools.notified).map(|r| r.and_then(|r| r))
        {
            self.model
                .push_status(format!("No desktop notification: {err}"));
        }
    }

    /// Acts once the queue has run to its end (`Model::queue_finished`).
    pub(super) fn follow_queue(&mut self, ctx: &egui::Context) {
        let Some((counts, since)) = self.model.queue_finished.take() else {
            return;
        };
        let focused = ctx.input(|i| i.viewport().focused);
        match notification::after_queue(self.queue_tools.after, since.elapsed(), focused) {
            Some(Effect::Close) => {
                self.model
                    .push_status("The queue has finished: closing the window, as asked".into());
                self.quit = true;
            }
            Some(Effect::Notify) => {
                let (summary, body) = notification::summary(counts.successful, counts.failed);
                let bus = self.queue_tools.notification_bus.clone();
                self.queue_tools.notified = Some(jobs::spawn_blocking(&self.wake, move || {
                    notification::show(bus.as_deref(), &summary, &body)
                }));
            }
            None => {}
        }
    }
}
