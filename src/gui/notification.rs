//! Desktop notifications: "the queue has finished" when the user asked for one after the
//! queue, or when a long queue ends while the window is in the background.
//!
//! Whether to notify is a pure decision ([`after_queue`]); showing one is a D-Bus call to
//! the desktop's notification server (org.freedesktop.Notifications, with zbus, pure Rust),
//! made off the UI thread. Where there is no session bus or no notification server (a
//! headless box, a bare window manager), [`show`] says so in an error the window logs; it
//! never fails anything else.

use std::time::Duration;

/// What to do once the queue has run to its end (Transfer > Action after queue completes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterQueue {
    #[default]
    Nothing,
    /// A desktop notification, whether the window is in front or not.
    Notify,
    /// Close the window (as File > Quit).
    CloseWindow,
}

impl AfterQueue {
    pub const ALL: [AfterQueue; 3] = [
        AfterQueue::Nothing,
        AfterQueue::Notify,
        AfterQueue::CloseWindow,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AfterQueue::Nothing => "Do nothing",
            AfterQueue::Notify => "Show a desktop notification",
            AfterQueue::CloseWindow => "Close the window",
        }
    }
}

/// What the window does when the queue has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Notify,
    Close,
}

/// A queue that ran at least this long is worth a notification when it ends unseen.
pub const LONG_QUEUE: Duration = Duration::from_secs(60);

/// The decision once the queue has run to its end after `ran_for`: the user's choice
/// first; without one, a notification when the queue was long and the window is not
/// focused (the user went elsewhere meanwhile). `focused: None` (unknown) counts as focused:
/// a notification nobody needs is worse than one missed.
pub fn after_queue(action: AfterQueue, ran_for: Duration, focused: Option<bool>) -> Option<Effect> {
    match action {
        AfterQueue::CloseWindow => Some(Effect::Close),
        AfterQueue::Notify => Some(Effect::Notify),
        AfterQueue::Nothing if ran_for >= LONG_QUEUE && focused == Some(false) => {
            Some(Effect::Notify)
        }
        AfterQueue::Nothing => None,
    }
}

/// The notification's text for a queue that ended with these counts.
pub fn summary(successful: usize, failed: usize) -> (String, String) {
    let files = |n: usize| {
        if n == 1 {
            "1 file".to_owned()
        } else {
            format!("{n} files")
        }
    };
    let body = match failed {
        0 => format!("{} transferred.", files(successful)),
        _ => format!(
            "{} transferred, {} failed (see the Failed transfers tab).",
            files(successful),
            failed
        ),
    };
    ("Skiff: the queue has finished".to_owned(), body)
}

/// Shows a notification through the desktop's notification server, on `bus` (a D-Bus
/// address, e.g. `unix:path=/run/user/1000/bus`) or the user's session bus. Blocks until
/// the server answers: call it off the UI thread.
#[cfg(target_os = "linux")]
pub fn show(bus: Option<&str>, summary: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;
    let connection = match bus {
        Some(address) => {
            zbus::blocking::connection::Builder::address(address).and_then(|b| b.build())
        }
        None => zbus::blocking::Connection::session(),
    }
    .map_err(|e| format!("no desktop session bus to show a notification on ({e})"))?;
    let hints: HashMap<&str, zbus::zvariant::Value<'_>> = HashMap::new();
    connection
        .call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &(
                "Skiff",
                0u32,
                "dev.skiff.Skiff",
                summary,
                body,
                Vec::<&str>::new(),
                hints,
                -1i32,
            ),
        )
        .map_err(|e| format!("the desktop did not show the notification ({e})"))?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn show(_bus: Option<&str>, _summary: &str, _body: &str) -> Result<(), String> {
    Err("desktop notifications are not supported on this system yet".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_queue_ending_unseen_notifies_and_the_users_choice_wins() {
        let long = LONG_QUEUE;
        let short = Duration::from_secs(5);
        assert_eq!(
            after_queue(AfterQueue::Nothing, long, Some(false)),
            Some(Effect::Notify)
        );
        assert_eq!(after_queue(AfterQueue::Nothing, long, Some(true)), None);
        assert_eq!(after_queue(AfterQueue::Nothing, long, None), None);
        assert_eq!(after_queue(AfterQueue::Nothing, short, Some(false)), None);
        assert_eq!(
            after_queue(AfterQueue::Notify, short, Some(true)),
            Some(Effect::Notify)
        );
        assert_eq!(
            after_queue(AfterQueue::CloseWindow, short, Some(true)),
            Some(Effect::Close)
        );
    }

    #[test]
    fn the_text_counts_files_and_failures() {
        assert_eq!(summary(1, 0).1, "1 file transferred.");
        assert_eq!(
            summary(3, 2).1,
            "3 files transferred, 2 failed (see the Failed transfers tab)."
        );
    }

    #[test]
    fn without_a_bus_showing_is_an_error_in_words_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", dir.path().join("no-bus").display());
        let err = show(Some(&address), "Skiff", "test").unwrap_err();
        assert!(
            err.contains("no desktop session bus") || err.contains("not supported"),
            "{err}"
        );
    }
}
