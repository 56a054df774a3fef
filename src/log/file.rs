//! The message log written to a file (Settings > Logging): the lines the pane shows, each
//! with its date and time in UTC, passwords masked as they are everywhere (`PASS ****` is
//! what the connection logs, never the password). The file is capped: a line that would take
//! it past the cap first renames it to `NAME.1` (replacing an older one) and starts a new
//! one, as FileZilla does, so the log never holds more than about twice the cap on disk.
//!
//! Lines are written on a thread of their own: whoever logs never waits on the disk.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use super::LogLine;
use crate::proto::listing::Timestamp;
use crate::visible::visible;

/// The smallest cap taken: a line or two must fit before the file turns over.
pub const MIN_BYTES: u64 = 64 * 1024;

/// Where lines go on their way to the file. Dropping it lets the writer finish what was sent
/// and close the file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    max_bytes: u64,
    sender: mpsc::Sender<LogLine>,
    failure: Arc<Mutex<Option<String>>>,
}

impl LogFile {
    /// Starts the writer thread for `path`, capped at `max_bytes`. The file is opened (and
    /// its folder made) by the writer; a failure there is reported by `take_failure`.
    pub fn start(path: PathBuf, max_bytes: u64) -> io::Result<Self> {
        let (sender, lines) = mpsc::channel::<LogLine>();
        let failure = Arc::new(Mutex::new(None));
        let report = Arc::clone(&failure);
        let mut file = RotatingFile::new(path.clone(), max_bytes);
        std::thread::Builder::new()
            .name("log-file".into())
            .spawn(move || {
                for line in lines {
                    if let Err(err) = file.append(&file_line(&line)) {
                        *report.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                            "cannot write the log file {}: {err}; logging to the file stopped",
                            file.path.display()
                        ));
                        return;
                    }
                }
            })?;
        Ok(Self {
            path,
            max_bytes,
            sender,
            failure,
        })
    }

    /// This writer goes to `path` with the cap `max_bytes`.
    pub fn writes_to(&self, path: &Path, max_bytes: u64) -> bool {
        self.path == path && self.max_bytes == max_bytes
    }

    /// Hands `line` to the writer; never blocks.
    pub fn write(&self, line: &LogLine) {
        // A stopped writer has said why (take_failure); the line has nowhere to go.
        self.sender.send(line.clone()).ok();
    }

    /// Why the writer stopped, once.
    pub fn take_failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// One line as the file holds it: `2026-12-05 11:20:01 Command:  PASS ****`.
pub fn file_line(line: &LogLine) -> String {
    let secs = line
        .time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let when = Timestamp::from_unix_secs(i64::try_from(secs).unwrap_or(i64::MAX));
    let kind = format!("{}:", line.kind.label());
    format!("{when} {kind:<9} {}\n", visible(&line.text))
}

/// A file that turns over to `NAME.1` when the next line would take it past the cap.
struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    open: Option<(File, u64)>,
}

impl RotatingFile {
    fn new(path: PathBuf, max_bytes: u64) -> Self {
        Self {
            path,
            max_bytes: max_bytes.max(MIN_BYTES),
            open: None,
        }
    }

    fn append(&mut self, text: &str) -> io::Result<()> {
        let (file, len) = match &mut self.open {
            Some(open) => open,
            None => self.open.insert(self.open_for_append()?),
        };
        if *len > 0 && *len + text.len() as u64 > self.max_bytes {
            self.open = None;
            std::fs::rename(&self.path, rotated(&self.path))?;
            return self.append(text);
        }
        file.write_all(text.as_bytes())?;
        *len += text.len() as u64;
        Ok(())
    }

    /// The file as it is (an earlier run's lines are kept), or a new one readable only by
    /// the user: a log names servers, users and folders.
    fn open_for_append(&self) -> io::Result<(File, u64)> {
        if let Some(folder) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&self.path)?;
        let len = file.metadata()?.len();
        Ok((file, len))
    }
}

/// `skiff.log` → `skiff.log.1`.
fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{ConnId, LogKind};
    use std::time::Duration;

    fn line(kind: LogKind, text: &str) -> LogLine {
        LogLine {
            time: UNIX_EPOCH + Duration::from_secs(1_764_933_601),
            conn: ConnId(1),
            kind,
            text: text.into(),
        }
    }

    #[test]
    fn a_line_carries_its_date_time_and_kind() {
        assert_eq!(
            file_line(&line(LogKind::Command, "PASS ****")),
            "2025-12-05 11:20:01 Command:  PASS ****\n"
        );
        // A server's escape sequence cannot reach a terminal that shows the file.
        assert_eq!(
            file_line(&line(LogKind::Response, "550 \x1b[2J")),
            "2025-12-05 11:20:01 Response: 550 \\u{1b}[2J\n"
        );
    }

    #[test]
    fn the_file_turns_over_at_the_cap_keeping_one_older_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs").join("skiff.log");
        let mut file = RotatingFile::new(path.clone(), MIN_BYTES);
        let text = format!("{}\n", "x".repeat(1023));
        for _ in 0..64 {
            file.append(&text).unwrap();
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MIN_BYTES);
        assert!(!rotated(&path).exists());
        file.append("next\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "next\n");
        assert_eq!(std::fs::metadata(rotated(&path)).unwrap().len(), MIN_BYTES);
        // Twice over: the older file is replaced, never a `.2`.
        for _ in 0..64 {
            file.append(&text).unwrap();
        }
        assert!(
            std::fs::read_to_string(rotated(&path))
                .unwrap()
                .starts_with("next\n")
        );
        assert!(!dir.path().join("logs").join("skiff.log.2").exists());
        let names = std::fs::read_dir(dir.path().join("logs")).unwrap().count();
        assert_eq!(names, 2);
    }

    #[test]
    fn an_earlier_runs_lines_are_kept_and_counted_toward_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skiff.log");
        std::fs::write(&path, "x".repeat(MIN_BYTES as usize - 2)).unwrap();
        let mut file = RotatingFile::new(path.clone(), 0);
        file.append("a\n").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), MIN_BYTES);
        file.append("b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // A new file is the user's alone.
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_writer_thread_appends_lines_and_reports_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skiff.log");
        let log = LogFile::start(path.clone(), MIN_BYTES).unwrap();
        log.write(&line(LogKind::Status, "Connecting to 127.0.0.1:21"));
        drop(log);
        // The writer ends once its sender is gone; wait for it, bounded.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&path)
            .unwrap_or_default()
            .is_empty()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the line never arrived"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .ends_with("Status:   Connecting to 127.0.0.1:21\n")
        );

        // A folder where the file should be: the writer says why it stopped.
        let blocked = dir.path().join("taken");
        std::fs::create_dir(&blocked).unwrap();
        let log = LogFile::start(blocked, MIN_BYTES).unwrap();
        log.write(&line(LogKind::Status, "x"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let failure = loop {
            if let Some(failure) = log.take_failure() {
                break failure;
            }
            assert!(std::time::Instant::now() < deadline, "no failure reported");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(
            failure.starts_with("cannot write the log file"),
            "{failure}"
        );
        assert!(log.take_failure().is_none());
    }
}
