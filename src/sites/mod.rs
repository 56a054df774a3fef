//! What Skiff keeps on disk between runs: saved sites, bookmarks, global settings, trusted
//! certificates, and (never in plaintext) passwords.

pub mod bookmark;
pub mod config_file;
pub mod credentials;
pub mod filezilla;
pub mod known_hosts;
pub mod settings;
pub mod site;
pub mod trust;

use std::path::PathBuf;

/// Skiff's configuration folder (`$XDG_CONFIG_HOME/skiff` on Linux, the OS's place elsewhere).
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "skiff").map(|dirs| dirs.config_dir().to_path_buf())
}

pub use crate::local::write_atomically;

/// Reads and parses a FileZilla Site Manager file (`filezilla::import`), refusing one larger
/// than `filezilla::MAX_FILE_BYTES` before reading it: File > Import and `skiff sites import`.
pub fn read_filezilla_file(file: &std::path::Path) -> anyhow::Result<filezilla::Imported> {
    use anyhow::Context as _;
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > filezilla::MAX_FILE_BYTES as u64 {
        anyhow::bail!(
            "{} is larger than {} MiB; not a Site Manager file",
            file.display(),
            filezilla::MAX_FILE_BYTES >> 20
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    filezilla::import(&bytes).with_context(|| file.display().to_string())
}
