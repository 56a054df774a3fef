//! View > Filename filters: the dialog, the quick toggle, saving `filters.toml`, and the
//! filters a transfer (or a sync) started from a pane takes.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::SkiffApp;
use crate::folder_sync::Filters;
use crate::folder_sync::rules::{RULES_FILE, RuleBook};
use crate::gui::actions::Side;
use crate::gui::filters_window::{FiltersWindow, Outcome};
use crate::gui::jobs;

impl SkiffApp {
    /// View > Filename filters…
    pub(super) fn open_filters(&mut self) {
        if self.filters_window.is_none() {
            let book = self.model.filters.book().clone();
            self.filters_window = Some(FiltersWindow::new(book));
        }
    }

    pub(super) fn filters_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.filters_window else {
            return;
        };
        match window.show(ctx) {
            Outcome::Open => {}
            Outcome::Cancelled => self.filters_window = None,
            Outcome::Ok(book) => {
                self.filters_window = None;
                self.apply_filters(*book);
            }
            Outcome::Import => self.ask_filters_file(),
        }
    }

    /// The native dialog for FileZilla's filters.xml (built here, awaited off the UI thread).
    fn ask_filters_file(&mut self) {
        let mut dialog = rfd::AsyncFileDialog::new().add_filter("FileZilla filters", &["xml"]);
        if let Some(dir) = directories::BaseDirs::new().map(|d| d.config_dir().join("filezilla"))
            && dir.is_dir()
        {
            dialog = dialog.set_directory(dir);
        }
        let picked = dialog.pick_file();
        self.filters_import_from = Some(jobs::spawn_async(&self.wake, async move {
            picked.await.map(|file| file.path().to_path_buf())
        }));
    }

    /// Reads FileZilla's `filters.xml` at `path` off the UI thread; its rules join the open
    /// filters dialog's list.
    pub fn import_filters_from(&mut self, path: PathBuf) {
        self.open_filters();
        self.filters_imported = Some(jobs::spawn_blocking(&self.wake, move || {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            crate::sites::filezilla::filters::import_filters(&bytes)
                .map_err(|e| format!("{}: {e}", path.display()))
        }));
    }

    /// The toolbar's toggle: every filter off, or on again as ticked.
    pub(super) fn set_filters_on(&mut self, on: bool) {
        let mut book = self.model.filters.book().clone();
        book.enabled = on;
        self.apply_filters(book);
    }

    /// Whether filename filters are on (the toggle's state).
    pub fn filters_on(&self) -> bool {
        self.model.filters.book().enabled
    }

    /// Uses `book` from now on (the panes are filtered again in the next frame) and saves
    /// it off the UI thread.
    fn apply_filters(&mut self, book: RuleBook) {
        self.model.filters.set_book(book.clone());
        if let Some(problem) = self.model.filters.problem.clone() {
            self.model
                .push_error(format!("A filename filter rule is not used: {problem}"));
        }
        let Some(dir) = &self.cfg.config_dir else {
            return;
        };
        self.filters_writer.write(
            dir.join(RULES_FILE),
            move |path| crate::gui::filters::save_book(&book, path).map_err(|e| e.to_string()),
            &self.wake,
        );
    }

    pub(super) fn poll_filters(&mut self) {
        if let Some(Some(path)) = jobs::take_ready(&mut self.filters_import_from) {
            self.import_filters_from(path);
        }
        if let Some(read) = jobs::take_ready(&mut self.filters_imported)
            && let Some(window) = &mut self.filters_window
        {
            window.imported(read.and_then(|r| r));
        }
        for result in self.filters_writer.finished() {
            if let Err(err) = result {
                self.model.push_error(err);
            }
        }
    }

    /// The filters a recursive transfer, a comparison or a sync whose source is `side`
    /// takes: that pane's ticked rules, while filters are on and "Apply to transfers,
    /// comparison and sync" is ticked; `None` otherwise (everything is taken).
    pub fn transfer_filters(&self, side: Side) -> Option<Filters> {
        // A ticked rule that does not compile filters nothing (said when it was loaded).
        self.model
            .filters
            .book()
            .transfer_filters(side.into())
            .unwrap_or_default()
    }

    /// `spec` with the filters of `side` when it is a folder's contents, relative to its
    /// remote folder.
    pub(super) fn with_filters(
        &self,
        side: Side,
        mut spec: crate::engine::TransferSpec,
    ) -> crate::engine::TransferSpec {
        if spec.kind == crate::engine::ItemKind::DirectoryContents
            && let Some(filters) = self.transfer_filters(side)
        {
            spec.filters = Some(Arc::new(crate::engine::TreeFilters {
                filters,
                root: spec.remote.clone(),
            }));
        }
        spec
    }
}
