//! Runs the real `skiff` binary the way a script would, with a hard time limit.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with everything the run printed unless it succeeded.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.ok(),
            "skiff failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_fails_with(&self, needle: &str) -> &Self {
        assert!(
            !self.ok(),
            "skiff should have failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    /// The message log lines (`--log`) of one kind, e.g. "Command:".
    pub fn log_lines(&self, kind: &str) -> Vec<String> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(kind))
            .map(|l| l[kind.len()..].trim().to_owned())
            .collect()
    }
}

/// Runs `skiff ARGS` in `cwd`, killing it after `limit`. Its config folder is a fresh
/// temporary one, so no test reads or writes the real user's trust store.
pub fn skiff_in(cwd: &Path, args: &[&str], limit: Duration) -> Run {
    skiff_with_env(cwd, args, &[], limit)
}

/// `skiff_in` with extra environment variables for this one run. `SKIFF_PASSWORD` is removed
/// from every run unless it is given here.
pub fn skiff_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    let config = tempfile::tempdir().expect("config dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_skiff"));
    command
        .args(args)
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("SKIFF_PASSWORD");
    for (name, value) in env {
        command.env(name, value);
    }
    run_bounded(command, None, &format!("skiff {args:?}"), limit)
}

/// Runs `skiff ARGS` in `cwd` on a pseudo-terminal, as a user at a shell would: `script`
/// (util-linux) gives it one and copies what it draws to our stdout. `input` is typed in;
/// `env` is set last, so it may name its own `XDG_CONFIG_HOME`.
pub fn skiff_on_terminal(
    cwd: &Path,
    args: &[&str],
    input: &[u8],
    env: &[(&str, &str)],
    limit: Duration,
) -> Run {
    let config = tempfile::tempdir().expect("config dir");
    let line = std::iter::once(env!("CARGO_BIN_EXE_skiff"))
        .chain(args.iter().copied())
        .map(|arg| format!("'{}'", arg.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", config.path())
        .env("TERM", "xterm")
        .env_remove("SKIFF_PASSWORD");
    for (name, value) in env {
        command.env(name, value);
    }
    run_bounded(
        command,
        Some(input),
        &format!("skiff {args:?} on a terminal"),
        limit,
    )
}

/// Runs `command`, feeding it `input` (or nothing), and kills it after `limit`.
fn run_bounded(mut command: Command, input: Option<&[u8]>, what: &str, limit: Duration) -> Run {
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        use std::io::Write as _;
        stdin.write_all(input).expect("write to stdin");
    }
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::Builder::new()
        .name("skiff-stdout".into())
        .spawn(move || std::io::read_to_string(stdout).unwrap_or_default())
        .expect("reader thread");
    let err_reader = std::thread::Builder::new()
        .name("skiff-stderr".into())
        .spawn(move || std::io::read_to_string(stderr).unwrap_or_default())
        .expect("reader thread");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if started.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "{what} did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    run
}

pub fn skiff(cwd: &Path, args: &[&str]) -> Run {
    skiff_in(cwd, args, Duration::from_secs(60))
}

/// Starts `skiff ARGS` in `cwd` without waiting (to be killed midway), with a config folder
/// of its own (returned: it lives as long as the caller keeps it) and no terminal.
pub fn spawn_skiff(cwd: &Path, args: &[&str]) -> (std::process::Child, tempfile::TempDir) {
    let config = tempfile::tempdir().expect("config dir");
    let child = Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("SKIFF_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skiff");
    (child, config)
}

/// Relative path → sha256 of every file, and every folder (as "dir"), links as "symlink".
pub fn snapshot(root: &Path) -> std::collections::BTreeMap<String, String> {
    use crate::common::local_tree::{Found, walk_tree};
    walk_tree(root)
        .into_iter()
        .map(|(rel, found)| {
            let value = match found {
                Found::Dir => "dir".to_owned(),
                Found::Symlink => "symlink".to_owned(),
                Found::File(bytes) => sha256(&bytes),
            };
            (String::from_utf8_lossy(&rel).into_owned(), value)
        })
        .collect()
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic pseudo-random bytes (xorshift), so content mismatches can't hide.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The port a PORT (`h1,h2,h3,h4,p1,p2`) or EPRT (`|1|ip|port|`) command line announces.
pub fn announced_port(command: &str) -> Option<u16> {
    if let Some(arg) = command.strip_prefix("PORT ") {
        let n: Vec<u16> = arg
            .split(',')
            .map(|f| f.trim().parse().ok())
            .collect::<Option<_>>()?;
        return (n.len() == 6).then(|| n[4] * 256 + n[5]);
    }
    let arg = command.strip_prefix("EPRT ")?;
    let delim = arg.chars().next()?;
    arg.split(delim).nth(3)?.parse().ok()
}

/// Sets a local file's modification time.
pub fn set_mtime(path: &Path, time: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open the file to set its time")
        .set_modified(time)
        .expect("set the modification time");
}

/// Waits until `file` holds `min` bytes (a download under way), then kills `child` with
/// SIGKILL; fails the test when the file does not grow within `within` or skiff ends first.
pub fn kill_9_once_grown(child: &mut std::process::Child, file: &Path, min: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        if len >= min {
            break;
        }
        assert!(Instant::now() < deadline, "the download never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "skiff ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}
