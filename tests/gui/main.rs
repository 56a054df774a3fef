//! The window's tests: the real `SkiffApp` driven through egui_kittest (no display, no GPU)
//! against real servers on loopback and in-process libunftp. A binary of their own because
//! they need the `gui` feature (Cargo.toml: `required-features`), which tests/integration
//! does not.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

// Shared with tests/integration (common) and benches/gui_frames.rs (both).
#[path = "../common/mod.rs"]
mod common;
#[path = "../gui_common/mod.rs"]
mod gui_common;

mod gui_app;
mod gui_bookmarks;
mod gui_compare;
mod gui_custom;
mod gui_diagnose;
mod gui_edit;
mod gui_filters;
mod gui_search;
mod gui_sites;
mod gui_synchronize;
mod gui_tabs;
