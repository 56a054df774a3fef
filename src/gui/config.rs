//! The window's config files: `sites.toml`, `settings.toml` and `bookmarks.toml` in one config folder
//! (injectable, so tests never touch the user's), read once at startup and written on the
//! blocking pool (each save a promise the window polls for its result line). A damaged or newer file is reported, never silently replaced; settings that
//! used to live in the window's prefs move into `settings.toml` once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use poll_promise::Promise;

use crate::gui::jobs::{self, Wake};
use crate::gui::prefs::Prefs;
use crate::sites::bookmark::{BOOKMARKS_FILE, GlobalBookmarks};
use crate::sites::settings::{Settings, Theme};
use crate::sites::site::SiteList;

pub const SITES_FILE: &str = "sites.toml";
pub const SETTINGS_FILE: &str = "settings.toml";

/// What the window starts from.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// `None`: no config folder (nothing is read or saved).
    pub dir: Option<PathBuf>,
    pub settings: Settings,
    pub sites: SiteList,
    /// `bookmarks.toml`: the bookmarks that belong to no site.
    pub bookmarks: GlobalBookmarks,
    /// Files that could not be used, in words that name the backup kept.
    pub problems: Vec<String>,
    /// `settings.toml` did not exist and the prefs held values for it: save them once.
    pub migrated: bool,
    /// View > Filename filters: the rules and which are on (`filters.toml`).
    pub filters: crate::folder_sync::rules::RuleBook,
}

impl AppConfig {
    /// Reads both files from `dir`; where `settings.toml` does not exist yet, the theme, log
    /// timestamps and data mode come from the old prefs.
    pub fn load(dir: Option<PathBuf>, prefs: &Prefs) -> Self {
        let Some(dir) = dir else {
            return Self::default();
        };
        let mut problems = Vec::new();
        let sites = crate::sites::site::SiteList::load(&dir.join(SITES_FILE));
        if let Some(problem) = sites.problem {
            problems.push(problem.to_string());
        }
        let bookmarks = GlobalBookmarks::load(&dir.join(BOOKMARKS_FILE));
        if let Some(problem) = bookmarks.problem {
            problems.push(problem.to_string());
        }
        let settings_path = dir.join(SETTINGS_FILE);
        let existed = settings_path.exists();
        let loaded = Settings::load(&settings_path);
        if let Some(problem) = loaded.problem {
            problems.push(problem.to_string());
        }
        let mut settings = loaded.value;
        let filters =
            crate::gui::filters::load_book(&dir.join(crate::folder_sync::rules::RULES_FILE));
        if let Some(problem) = filters.problem {
            problems.push(problem.to_string());
        }
        let mut migrated = false;
        if !existed {
            migrated = migrate_prefs(prefs, &mut settings);
        }
        Self {
            dir: Some(dir),
            settings,
            sites: sites.value,
            bookmarks: bookmarks.value,
            problems,
            migrated,
            filters: filters.value,
        }
    }
}

/// The old prefs' theme, timestamps and data mode into `settings`; `true` when any differed
/// from the defaults (then `settings.toml` is worth writing).
fn migrate_prefs(prefs: &Prefs, settings: &mut Settings) -> bool {
    let before = settings.clone();
    if prefs.legacy_dark == Some(true) {
        settings.theme = Theme::Dark;
    }
    if let Some(on) = prefs.legacy_log_timestamps {
        settings.log_timestamps = on;
    }
    match prefs.legacy_data_mode {
        Some(crate::net::DataMode::Active) => settings.data_mode = crate::net::DataMode::Active,
        Some(crate::net::DataMode::Passive) => {
            settings.data_mode = crate::net::DataMode::Passive;
            settings.passive_fallback = false;
        }
        Some(crate::net::DataMode::Auto) => {
            settings.data_mode = crate::net::DataMode::Passive;
            settings.passive_fallback = true;
        }
        None => {}
    }
    *settings != before
}

/// Writes one config file on the blocking pool. Saves carry a generation number: a slow
/// older save never lands after a newer one.
#[derive(Default)]
pub struct FileWriter {
    next: u64,
    written: Arc<Mutex<u64>>,
    /// Saves on their way.
    saving: Vec<Promise<Result<Saved, String>>>,
}

/// How one save ended.
enum Saved {
    Done(Result<(), String>),
    /// A newer save was written first: this one was not needed.
    Moot,
}

impl FileWriter {
    /// Saves with `save` on the blocking pool; `finished` tells how it went.
    pub fn write(
        &mut self,
        path: PathBuf,
        save: impl FnOnce(&Path) -> Result<(), String> + Send + 'static,
        wake: &Wake,
    ) {
        self.next += 1;
        let generation = self.next;
        let written = Arc::clone(&self.written);
        let promise = jobs::spawn_blocking(wake, move || {
            // Held while writing, so two saves never interleave.
            let mut last = written.lock().unwrap_or_else(|e| e.into_inner());
            if *last > generation {
                return Saved::Moot;
            }
            let result = save(&path);
            if result.is_ok() {
                *last = generation;
            }
            Saved::Done(result)
        });
        self.saving.push(promise);
    }

    /// The saves finished since the last call: done, or the error in words. A save a newer
    /// one made moot is not reported.
    pub fn finished(&mut self) -> Vec<Result<(), String>> {
        jobs::take_all_ready(&mut self.saving)
            .into_iter()
            .filter_map(|saved| match saved {
                Ok(Saved::Done(result)) => Some(result),
                Ok(Saved::Moot) => None,
                Err(err) => Some(Err(err)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_prefs_move_into_settings_once() {
        let dir = tempfile::tempdir().unwrap();
        let prefs: Prefs = serde_json::from_str(
            r#"{"dark": true, "log_timestamps": true, "data_mode": "active"}"#,
        )
        .unwrap();
        let config = AppConfig::load(Some(dir.path().to_path_buf()), &prefs);
        assert!(config.migrated);
        assert_eq!(config.settings.theme, Theme::Dark);
        assert!(config.settings.log_timestamps);
        assert_eq!(config.settings.data_mode, crate::net::DataMode::Active);
        assert!(config.problems.is_empty());

        // Once settings.toml exists, the prefs are not looked at.
        Settings::default()
            .save(&dir.path().join(SETTINGS_FILE))
            .unwrap();
        let again = AppConfig::load(Some(dir.path().to_path_buf()), &prefs);
        assert!(!again.migrated);
        assert_eq!(again.settings.theme, Theme::System);
    }

    #[test]
    fn fresh_prefs_need_no_migration() {
        let dir = tempfile::tempdir().unwrap();
        let config = AppConfig::load(Some(dir.path().to_path_buf()), &Prefs::default());
        assert!(!config.migrated);
        assert_eq!(config.settings, Settings::default());
    }

    #[test]
    fn a_damaged_sites_file_is_a_problem_naming_its_backup() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SITES_FILE), "version = 1\n[[site]\n").unwrap();
        let config = AppConfig::load(Some(dir.path().to_path_buf()), &Prefs::default());
        assert_eq!(config.problems.len(), 1, "{:?}", config.problems);
        assert!(
            config.problems[0].contains("sites.toml.damaged-1.bak"),
            "{:?}",
            config.problems
        );
    }

    #[test]
    fn saves_report_once_done_and_the_newest_one_is_on_disk() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let _enter = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let wake: Wake = Arc::new(|| {});
        let mut writer = FileWriter::default();
        for text in ["first", "second"] {
            writer.write(
                path.clone(),
                move |path| std::fs::write(path, text).map_err(|e| e.to_string()),
                &wake,
            );
        }
        let mut reported = Vec::new();
        let started = std::time::Instant::now();
        while !writer.saving.is_empty() {
            reported.extend(writer.finished());
            assert!(started.elapsed().as_secs() < 10, "the saves never ended");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        reported.extend(writer.finished());
        assert!(!reported.is_empty() && reported.iter().all(Result::is_ok));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");

        writer.write(
            dir.path().join("missing").join(SITES_FILE),
            |path| std::fs::write(path, "x").map_err(|e| e.to_string()),
            &wake,
        );
        let started = std::time::Instant::now();
        let failed = loop {
            if let Some(result) = writer.finished().pop() {
                break result;
            }
            assert!(started.elapsed().as_secs() < 10, "the save never ended");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(failed.is_err());
    }
}
