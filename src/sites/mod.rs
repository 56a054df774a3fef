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

/// Writes `bytes` to `path` atomically: a temp file beside it, fsync, rename; mode 0600.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the path has no parent folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
