//! View/Edit of remote files: a copy in a private temporary folder, opened in an editor,
//! watched, and offered for upload when saved. This module holds what needs no window:
//! where the copies live, the editor's command line, the watcher, and which copies are
//! kept when the window closes. `app/edit.rs` drives it from the window.
//!
//! Each window has its own folder, `<cache>/skiff/edit/<pid>-<start>/` (mode 0700), and
//! each opened file a numbered folder in it holding the file under its own (safe) name, so
//! an editor sees the real name and extension and two files of the same name never meet.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::gui::jobs::Wake;

/// A local copy's size and modification time: what tells that it was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalFacts {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

impl LocalFacts {
    pub fn of(path: &Path) -> Option<LocalFacts> {
        std::fs::metadata(path).ok().map(|meta| LocalFacts {
            size: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// The folder every window's View/Edit copies go under: the cache folder's `edit` (kept
/// across logins, so edits not uploaded survive), else the system's temporary folder.
pub fn edit_root() -> PathBuf {
    directories::ProjectDirs::from("", "", "skiff")
        .map(|dirs| dirs.cache_dir().join("edit"))
        .unwrap_or_else(|| std::env::temp_dir().join("skiff-edit"))
}

/// This window's folder under `root`: the process and the time it started, so two
/// windows never share one.
pub fn session_dir(root: &Path, pid: u32, started: SystemTime) -> PathBuf {
    let secs = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    root.join(format!("{pid}-{secs}"))
}

/// Where the `n`th opened file goes: its own folder in the session's, under `name` (made
/// safe by `local::local_name`: a name that would leave the folder never gets here).
pub fn copy_path(session: &Path, n: u64, name: &std::ffi::OsStr) -> PathBuf {
    session.join(n.to_string()).join(name)
}

/// Makes `dir` and the folders above it up to `root`, readable by the user alone.
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    // An older folder (or a umask) may have left wider bits: tightened, each time.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The program and arguments that open `file`: `command` (a program and its arguments,
/// split at spaces) with the file added last; `None` for an empty command.
pub fn command_line(command: &str, file: &Path) -> Option<(PathBuf, Vec<OsString>)> {
    let mut words = command.split_whitespace();
    let program = PathBuf::from(words.next()?);
    let mut args: Vec<OsString> = words.map(OsString::from).collect();
    args.push(file.as_os_str().to_owned());
    Some((program, args))
}

/// The desktop's program that opens a file in its default application.
pub fn desktop_opener() -> PathBuf {
    PathBuf::from(if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    })
}

/// Starts `program args`, without waiting for it (a named thread reaps it).
pub fn start(program: &Path, args: &[OsString]) -> std::io::Result<()> {
    let mut child = std::process::Command::new(program).args(args).spawn()?;
    std::thread::Builder::new()
        .name("editor-wait".into())
        .spawn(move || child.wait())
        .map(drop)
}

/// Words for a program that could not be started.
pub fn start_failure(program: &Path, err: &std::io::Error) -> String {
    let why = match err.kind() {
        std::io::ErrorKind::NotFound => "the program was not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "it may not be run".to_owned(),
        _ => err.to_string(),
    };
    format!(
        "Could not start {}: {why}. Choose an editor in Edit > Settings > File editing.",
        program.display()
    )
}

/// One opened copy's state, as far as closing the window cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyState {
    /// Saved in the editor since it was downloaded or last uploaded.
    pub changed: bool,
    /// An upload of it is queued or running.
    pub uploading: bool,
}

impl CopyState {
    /// Kept when the window closes: an edit the server does not have yet.
    pub fn keep_at_close(self) -> bool {
        self.changed || self.uploading
    }
}

/// The copies closing the window keeps: edits the server does not have yet.
pub fn kept_at_close<'a>(copies: impl IntoIterator<Item = (&'a Path, CopyState)>) -> Vec<PathBuf> {
    copies
        .into_iter()
        .filter(|(_, state)| state.keep_at_close())
        .map(|(copy, _)| copy.to_path_buf())
        .collect()
}

/// The note left beside the copies kept at close, naming each and where it came from.
pub const KEPT_NOTE: &str = "NOT-UPLOADED.txt";

/// The note's text: one line per kept copy, `local path <- remote URL`.
pub fn kept_note(kept: &[(PathBuf, String)]) -> String {
    let mut text =
        String::from("Skiff closed while these edits were not uploaded; they are kept here:\n");
    for (path, from) in kept {
        text.push_str(&format!("{} <- {from}\n", path.display()));
    }
    text
}

/// Removes everything in the session's folder but the `kept` copies' own folders (copies
/// on the server, never changed, or whose download failed), and names the kept ones in
/// `KEPT_NOTE`; the session's folder goes too when nothing is kept. Runs as the window
/// closes.
pub fn clean_up(session: &Path, kept: &[(PathBuf, String)]) {
    let Ok(children) = std::fs::read_dir(session) else {
        return; // nothing was ever opened
    };
    for child in children.flatten() {
        let folder = child.path();
        if kept
            .iter()
            .any(|(copy, _)| copy.parent() == Some(folder.as_path()))
        {
            continue;
        }
        // `remove_dir_all` does not follow symbolic links: nothing outside is touched.
        let removed = if child.file_type().is_ok_and(|t| t.is_dir()) {
            std::fs::remove_dir_all(&folder)
        } else {
            std::fs::remove_file(&folder)
        };
        if let Err(err) = removed {
            tracing::warn!("cannot remove {}: {err}", folder.display());
        }
    }
    if kept.is_empty() {
        std::fs::remove_dir(session).ok();
        return;
    }
    for (path, from) in kept {
        tracing::warn!(
            "an edit not uploaded is kept: {} (from {from})",
            path.display()
        );
    }
    if let Err(err) = std::fs::write(session.join(KEPT_NOTE), kept_note(kept)) {
        tracing::warn!("cannot write {}: {err}", session.join(KEPT_NOTE).display());
    }
}

/// What the watcher saw: a copy's facts after something touched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub edit: u64,
    /// `None`: the file is gone (an editor mid-save, or deleted).
    pub facts: Option<LocalFacts>,
}

/// Watches one copy's folder (editors often save by writing a new file and renaming it
/// over the old one, which a watch on the file itself would lose) on notify's own thread;
/// each event on the copy sends its facts and wakes the window.
pub struct CopyWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl CopyWatcher {
    pub fn start(
        edit: u64,
        copy: PathBuf,
        sender: std::sync::mpsc::Sender<Touched>,
        wake: Wake,
    ) -> notify::Result<CopyWatcher> {
        use notify::Watcher as _;
        let folder = copy
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let watched = copy.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else {
                    return;
                };
                if event.kind.is_access() || !event.paths.contains(&watched) {
                    return;
                }
                let facts = LocalFacts::of(&watched);
                if sender.send(Touched { edit, facts }).is_ok() {
                    wake();
                }
            })?;
        watcher.watch(&folder, notify::RecursiveMode::NonRecursive)?;
        Ok(CopyWatcher { _watcher: watcher })
    }
}

/// The sending side the watchers share, and the window's receiving side.
pub fn touch_channel() -> (
    std::sync::mpsc::Sender<Touched>,
    std::sync::mpsc::Receiver<Touched>,
) {
    // One message per file-system event on an opened copy: the user's saves.
    std::sync::mpsc::channel()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn each_copy_has_its_own_folder_in_the_windows_own() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let session = session_dir(Path::new("/cache/skiff/edit"), 4242, started);
        assert_eq!(session, Path::new("/cache/skiff/edit/4242-1700000000"));
        let copy = copy_path(&session, 3, std::ffi::OsStr::new("index.html"));
        assert_eq!(
            copy,
            Path::new("/cache/skiff/edit/4242-1700000000/3/index.html")
        );
        // Names reach `copy_path` only through `local::local_name`, which refuses the ones
        // that would leave the folder.
        let server = crate::proto::charset::Charset::UTF8;
        let replacement = crate::local::Replacement::DEFAULT;
        for bad in [&b".."[..], b"../x", b"a/b", b"."] {
            assert!(
                crate::local::local_name(bad, server, replacement).is_err(),
                "{bad:?}"
            );
        }
        let safe = crate::local::local_name(b"a:b.txt", server, replacement).unwrap();
        let copy = copy_path(&session, 1, &safe.name);
        assert_eq!(copy.parent().unwrap(), session.join("1"));
    }

    #[test]
    fn the_private_folder_is_the_users_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("edit/1-2/1");
        make_private_dir(&dir).unwrap();
        assert!(dir.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn the_editor_command_gets_the_file_last() {
        let file = Path::new("/tmp/x/1/a b.txt");
        let (program, args) = command_line("code --wait -n", file).unwrap();
        assert_eq!(program, Path::new("code"));
        assert_eq!(args, ["--wait", "-n", "/tmp/x/1/a b.txt"]);
        let (program, args) = command_line(" /usr/bin/gedit ", file).unwrap();
        assert_eq!(program, Path::new("/usr/bin/gedit"));
        assert_eq!(args, ["/tmp/x/1/a b.txt"]);
        assert_eq!(command_line("   ", file), None);
    }

    #[test]
    fn closing_keeps_only_edits_the_server_does_not_have() {
        let session = Path::new("/c/edit/1-2");
        let saved = session.join("1/a.txt");
        let uploaded = session.join("2/b.txt");
        let sending = session.join("3/c.txt");
        let state = |changed, uploading| CopyState { changed, uploading };
        let keep = kept_at_close([
            (saved.as_path(), state(true, false)),
            (uploaded.as_path(), state(false, false)),
            (sending.as_path(), state(false, true)),
        ]);
        assert_eq!(keep, [saved.clone(), sending]);
        let note = kept_note(&[(saved, "ftp://host/www/a.txt".into())]);
        assert!(
            note.contains("/c/edit/1-2/1/a.txt <- ftp://host/www/a.txt"),
            "{note}"
        );
    }

    #[test]
    fn cleaning_up_removes_all_but_the_kept_copies_and_names_them() {
        let root = tempfile::tempdir().unwrap();
        let session = root.path().join("1-2");
        for n in ["1", "2", "3"] {
            make_private_dir(&session.join(n)).unwrap();
        }
        std::fs::write(session.join("1/f.txt"), "kept").unwrap();
        std::fs::write(session.join("2/f.txt"), "uploaded").unwrap();
        // "3": a copy whose download failed, left empty.
        let outside = root.path().join("other");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("mine.txt"), "not Skiff's").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, session.join("2/link")).unwrap();
        let kept = vec![(session.join("1/f.txt"), "ftp://h/f.txt".to_owned())];
        clean_up(&session, &kept);
        assert!(session.join("1/f.txt").is_file());
        assert!(!session.join("2").exists());
        assert!(!session.join("3").exists());
        assert!(outside.join("mine.txt").is_file(), "a link is not followed");
        let note = std::fs::read_to_string(session.join(KEPT_NOTE)).unwrap();
        assert!(note.contains("ftp://h/f.txt"), "{note}");

        let empty = root.path().join("3-4");
        make_private_dir(&empty.join("1")).unwrap();
        clean_up(&empty, &[]);
        assert!(
            !empty.exists(),
            "nothing kept: the session's folder goes too"
        );
    }

    #[test]
    fn a_save_is_reported_with_the_new_facts() {
        let root = tempfile::tempdir().unwrap();
        let copy = root.path().join("1").join("a.txt");
        make_private_dir(copy.parent().unwrap()).unwrap();
        std::fs::write(&copy, b"one").unwrap();
        let (sender, receiver) = touch_channel();
        let wake: Wake = Arc::new(|| {});
        let _watcher = CopyWatcher::start(7, copy.clone(), sender, wake).unwrap();
        std::fs::write(&copy, b"one two").unwrap();
        let mut seen = None;
        for _ in 0..100 {
            match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(touched) if touched.facts.map(|f| f.size) == Some(7) => {
                    seen = Some(touched);
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(seen.map(|t| t.edit), Some(7), "the save was not reported");
    }
}
