//! Skiff's own `known_hosts` file (in the config folder): SSH host keys the user trusted in
//! Skiff, in OpenSSH's format so that they can be read, compared and copied with OpenSSH's
//! tools. The user's `~/.ssh/known_hosts` is read too, never written.

use std::path::{Path, PathBuf};

use crate::sftp::HostKeyInfo;

/// `known_hosts` in Skiff's config folder, if the OS has one.
pub fn default_path() -> Option<PathBuf> {
    super::config_dir().map(|dir| dir.join("known_hosts"))
}

/// Records `key` for its host and port in the file at `path`, replacing a key of the same
/// type Skiff recorded for them before (a changed key the user accepted). The file is
/// created readable by the user alone, and written whole: a crash leaves the old file or
/// the new one.
pub fn remember(path: &Path, key: &HostKeyInfo) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err),
    };
    let host = crate::sftp::host_keys::host_pattern(&key.host, key.port);
    let mut text = String::with_capacity(old.len() + 128);
    for line in old.lines() {
        let mut fields = line.split_ascii_whitespace();
        if fields.next() == Some(host.as_str()) && fields.next() == Some(key.algorithm.as_str()) {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&key.known_hosts_line());
    text.push('\n');
    super::write_atomically(path, text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sftp::{Verdict, host_keys};

    #[test]
    fn a_remembered_key_is_known_at_the_next_check_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        let key = HostKeyInfo::new(
            "127.0.0.1",
            2222,
            "ssh-ed25519",
            "AAAAC3NzaC1lZDI1NTE5AAAAIOhTJ9yVdtS9Oqnk7hGuZ0GfM7KBtWzIv0fqaz1BHbJH",
        )
        .unwrap();
        remember(&path, &key).unwrap();
        let other = HostKeyInfo {
            port: 2223,
            ..key.clone()
        };
        remember(&path, &other).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let files = [(path.display().to_string(), text)];
        assert!(matches!(
            host_keys::check(&key, &files, &[]),
            Verdict::Known(_)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
