//! View > Filename filters: the dialog, the quick toggle, saving `filters.toml`, and the
//! filters a transfer (or a sync) started from a pane takes.

use std::sync::Arc;

use eframe::egui;

use super::SkiffApp;
use crate::folder_sync::Filters;
use crate::folder_sync::rules::{RULES_FILE, RuleBook};
use crate::gui::actions::Side;
use crate::gui::filters_window::{FiltersWindow, Outcome};

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
        }
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
            move |path| book.save(path).map_err(|e| e.to_string()),
            &self.wake,
        );
    }

    pub(super) fn poll_filters_saved(&mut self) {
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
        match self.model.filters.book().transfer_filters(side.into()) {
            Ok(filters) => filters,
            // A ticked rule that does not compile filters nothing (said when it was loaded).
            Err(_) => None,
        }
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
