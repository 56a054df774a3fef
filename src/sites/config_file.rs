//! Versioned TOML config files (`sites.toml`, `settings.toml`): written atomically with mode
//! 0600, read with a schema check, and never silently replaced. A file that cannot be read
//! (damaged, or written by a newer Skiff) is copied aside as a backup and reported; the user's
//! data then survives even when Skiff goes on with defaults and saves over the original.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// What loading found, besides the value itself.
#[derive(Debug)]
pub struct Loaded<T> {
    pub value: T,
    /// Set when the file could not be used: say it to the user (the log, stderr).
    pub problem: Option<ConfigProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error(
        "{} is damaged ({reason}); it was kept as {} and Skiff starts from defaults",
        path.display(), backup.display()
    )]
    Damaged {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
    },
    #[error(
        "{} was written by a newer Skiff (schema {found}, this one knows {known}); it was kept as {} and Skiff starts from defaults",
        path.display(), backup.display()
    )]
    Newer {
        path: PathBuf,
        backup: PathBuf,
        found: i64,
        known: u32,
    },
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

#[derive(Debug, thiserror::Error)]
#[error("cannot save {}: {source}", path.display())]
pub struct SaveError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Reads `path`: a missing file gives the default; a good one its value (older schema versions
/// pass through `migrate` first); anything else a backup and the default.
pub fn load<T: DeserializeOwned + Default>(
    path: &Path,
    known_version: u32,
    migrate: impl FnOnce(i64, &mut toml::Table),
) -> Loaded<T> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return fine(T::default()),
        Err(err) => {
            return Loaded {
                value: T::default(),
                problem: Some(ConfigProblem::Unreadable {
                    path: path.to_path_buf(),
                    reason: err.to_string(),
                }),
            };
        }
    };
    let parsed = std::str::from_utf8(&text)
        .map_err(|e| e.to_string())
        .and_then(|text| text.parse::<toml::Table>().map_err(|e| e.to_string()));
    let mut table = match parsed {
        Ok(table) => table,
        Err(reason) => return damaged(path, reason),
    };
    let version = match table.get("version") {
        Some(toml::Value::Integer(v)) => *v,
        Some(_) => return damaged(path, "`version` is not a number".to_owned()),
        None => return damaged(path, "it has no `version`".to_owned()),
    };
    if version > i64::from(known_version) {
        return match back_up(path, &format!("v{version}")) {
            Ok(backup) => Loaded {
                value: T::default(),
                problem: Some(ConfigProblem::Newer {
                    path: path.to_path_buf(),
                    backup,
                    found: version,
                    known: known_version,
                }),
            },
            Err(problem) => Loaded {
                value: T::default(),
                problem: Some(problem),
            },
        };
    }
    if version < i64::from(known_version) {
        migrate(version, &mut table);
    }
    match toml::Value::Table(table).try_into::<T>() {
        Ok(value) => fine(value),
        Err(err) => damaged(path, err.message().to_owned()),
    }
}

/// Writes `value` as TOML with `version` first, atomically, mode 0600.
pub fn save<T: Serialize>(path: &Path, version: u32, value: &T) -> Result<(), SaveError> {
    let save_error = |source| SaveError {
        path: path.to_path_buf(),
        source,
    };
    let body = toml::to_string(value).map_err(|e| save_error(std::io::Error::other(e)))?;
    let text = format!(
        "# Written by Skiff; safe to edit while Skiff is closed.\nversion = {version}\n\n{body}"
    );
    super::write_atomically(path, text.as_bytes()).map_err(save_error)
}

fn fine<T>(value: T) -> Loaded<T> {
    Loaded {
        value,
        problem: None,
    }
}

fn damaged<T: Default>(path: &Path, reason: String) -> Loaded<T> {
    let problem = match back_up(path, "damaged") {
        Ok(backup) => ConfigProblem::Damaged {
            path: path.to_path_buf(),
            backup,
            reason,
        },
        Err(problem) => problem,
    };
    Loaded {
        value: T::default(),
        problem: Some(problem),
    }
}

/// Copies `path` to `NAME.TAG-N.bak` (the first N not taken), so no earlier backup is lost.
fn back_up(path: &Path, tag: &str) -> Result<PathBuf, ConfigProblem> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let backup = (1..1000)
        .map(|n| path.with_file_name(format!("{name}.{tag}-{n}.bak")))
        .find(|candidate| !candidate.exists())
        .ok_or_else(|| ConfigProblem::Unreadable {
            path: path.to_path_buf(),
            reason: "too many backups beside it".to_owned(),
        })?;
    std::fs::copy(path, &backup).map_err(|e| ConfigProblem::Unreadable {
        path: path.to_path_buf(),
        reason: format!("cannot keep a backup of it: {e}"),
    })?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(default)]
    struct Demo {
        name: String,
        count: u32,
    }

    fn no_migration(_: i64, _: &mut toml::Table) {}

    #[test]
    fn round_trip_with_version_and_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        let demo = Demo {
            name: "한국어".into(),
            count: 3,
        };
        save(&path, 1, &demo).unwrap();
        let loaded: Loaded<Demo> = load(&path, 1, no_migration);
        assert_eq!(loaded.value, demo);
        assert!(loaded.problem.is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let missing: Loaded<Demo> = load(&dir.path().join("none.toml"), 1, no_migration);
        assert_eq!(missing.value, Demo::default());
        assert!(missing.problem.is_none());
    }

    #[test]
    fn a_damaged_file_is_kept_as_a_backup_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        for (n, bad) in [
            b"version = 1\nname = [unclosed".as_slice(),
            b"name = \"x\"",
            b"\xff\xfe",
        ]
        .iter()
        .enumerate()
        {
            std::fs::write(&path, bad).unwrap();
            let loaded: Loaded<Demo> = load(&path, 1, no_migration);
            assert_eq!(loaded.value, Demo::default());
            let Some(ConfigProblem::Damaged { backup, .. }) = loaded.problem else {
                panic!("not reported as damaged: {:?}", loaded.problem);
            };
            assert_eq!(
                backup,
                dir.path().join(format!("demo.toml.damaged-{}.bak", n + 1))
            );
            assert_eq!(std::fs::read(&backup).unwrap(), *bad);
            assert_eq!(
                std::fs::read(&path).unwrap(),
                *bad,
                "the original is untouched"
            );
        }
    }

    #[test]
    fn a_newer_file_is_kept_and_older_ones_migrate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        std::fs::write(&path, "version = 7\nname = \"future\"\n").unwrap();
        let loaded: Loaded<Demo> = load(&path, 2, no_migration);
        let Some(ConfigProblem::Newer {
            backup,
            found: 7,
            known: 2,
            ..
        }) = loaded.problem
        else {
            panic!("not reported as newer: {:?}", loaded.problem);
        };
        assert!(std::fs::read_to_string(backup).unwrap().contains("future"));
        assert_eq!(loaded.value, Demo::default());

        std::fs::write(&path, "version = 1\nold_name = \"renamed\"\n").unwrap();
        let loaded: Loaded<Demo> = load(&path, 2, |from, table| {
            assert_eq!(from, 1);
            if let Some(v) = table.remove("old_name") {
                table.insert("name".into(), v);
            }
        });
        assert_eq!(loaded.value.name, "renamed");
    }
}
