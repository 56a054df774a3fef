//! Where the saved settings meet the engine: the one mapping from `settings.toml` to what
//! the engine runs with, used by the window at startup and after Edit > Settings, by the
//! Site Manager's Connect and by the CLI, so the faces cannot disagree (on the number of
//! attempts, say). `sites` and `engine` know nothing of each other; this module knows both.

use crate::engine::EngineSettings;
use crate::sites::settings::Settings;

/// The most attempts an item gets (Edit > Settings offers 1 to 99).
pub const MAX_ATTEMPTS: u32 = 99;

/// The engine's settings from the global ones.
pub fn engine_settings(settings: &Settings) -> EngineSettings {
    EngineSettings {
        parallel: settings.parallel.clamp(1, 10),
        max_attempts: settings.attempts.clamp(1, MAX_ATTEMPTS),
        download_limit: settings.download_limit.filter(|&rate| rate > 0),
        upload_limit: settings.upload_limit.filter(|&rate| rate > 0),
        ..EngineSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_brought_into_it() {
        let settings = Settings {
            parallel: 40,
            attempts: 0,
            download_limit: Some(0),
            upload_limit: Some(250_000),
            ..Settings::default()
        };
        let engine = engine_settings(&settings);
        assert_eq!(engine.parallel, 10);
        assert_eq!(engine.max_attempts, 1, "at least the one attempt");
        assert_eq!(engine.download_limit, None, "0 is unlimited, not stopped");
        assert_eq!(engine.upload_limit, Some(250_000));
        let many = Settings {
            attempts: 1000,
            ..Settings::default()
        };
        assert_eq!(engine_settings(&many).max_attempts, MAX_ATTEMPTS);
        assert_eq!(engine_settings(&Settings::default()).max_attempts, 5);
    }
}
