//! What Skiff keeps on disk between runs: saved sites, global settings, trusted
//! certificates, and (never in plaintext) passwords.

pub mod config_file;
pub mod credentials;
pub mod filezilla;
pub mod settings;
pub mod site;
pub mod trust;

use std::path::PathBuf;

/// Skiff's configuration folder (`$XDG_CONFIG_HOME/skiff` on Linux, the OS's place elsewhere).
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "skiff").map(|dirs| dirs.config_dir().to_path_buf())
}

pub use crate::local::write_atomically;
