//! SFTP against OpenSSH's sshd on loopback (tests/common/sshd.rs), through the real `skiff`
//! binary: host keys on first use and changed, each way of logging on, files both ways
//! byte-identical, resume, and the remote operations.

use std::path::Path;
use std::time::Duration;

use crate::common::sshd::{SshOptions, SshServer, make_key};
use crate::skiff_cmd::{Run, skiff_with_env};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs skiff with a config folder of the test's (so the known hosts persist across runs)
/// and a home without keys (so ~/.ssh of the machine is never used).
fn skiff(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let config = dir.join("config");
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut all: Vec<(&str, &str)> = vec![
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ("HOME", home.to_str().unwrap()),
    ];
    if !env.iter().any(|(name, _)| *name == "SSH_AUTH_SOCK") {
        all.push(("SSH_AUTH_SOCK", ""));
    }
    all.extend_from_slice(env);
    skiff_with_env(dir, args, &all, LIMIT)
}

/// `skiff` with the server's host key trusted by its fingerprint (`--trust-host-key`).
fn skiff_trusting(dir: &Path, fingerprint: &str, args: &[&str]) -> Run {
    let mut all = vec![args[0], "--trust-host-key", fingerprint];
    all.extend_from_slice(&args[1..]);
    skiff(dir, &all, &[])
}

/// The run's stderr (its message log, with `--log`) holds `text`.
#[track_caller]
fn says(run: &Run, text: &str) {
    assert!(
        run.stderr.contains(text),
        "stderr lacks {text:?}:\n{}",
        run.stderr
    );
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    crate::skiff_cmd::pseudo_random_bytes(len, seed)
}

#[test]
fn an_unknown_host_key_shows_ssh_keygens_fingerprint_is_trusted_when_named_and_remembered() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let fingerprint = server.fingerprint();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let url = server.url("");

    let first = skiff(dir.path(), &["ls", "--log", &url], &[]);
    first.assert_fails_with("is not known yet");
    assert!(
        first.stderr.contains(&fingerprint),
        "the fingerprint as ssh-keygen prints it:\n{}",
        first.stderr
    );
    assert!(
        !first.stderr.contains("USERAUTH"),
        "nothing was sent before the key was trusted:\n{}",
        first.stderr
    );

    let trusted = skiff(
        dir.path(),
        &["ls", "--log", "--trust-host-key", &fingerprint, &url],
        &[],
    );
    trusted.assert_ok();
    says(&trusted, "Host key saved");
    let known_hosts = dir.path().join("config/skiff/known_hosts");
    let text = std::fs::read_to_string(&known_hosts).unwrap();
    assert_eq!(
        text.trim(),
        format!("[127.0.0.1]:{} {}", server.port(), server.host_key())
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&known_hosts)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let again = skiff(dir.path(), &["ls", "--log", &url], &[]);
    again.assert_ok();
    says(&again, "is the one known for");

    // The user's own ~/.ssh/known_hosts is honoured, as ssh's (with no Skiff record).
    let ssh_dir = dir.path().join("home/.ssh");
    std::fs::create_dir_all(&ssh_dir).unwrap();
    std::fs::write(
        ssh_dir.join("known_hosts"),
        format!("[127.0.0.1]:{} {}\n", server.port(), server.host_key()),
    )
    .unwrap();
    std::fs::rename(&known_hosts, dir.path().join("skiff-known_hosts")).unwrap();
    let openssh = skiff(dir.path(), &["ls", "--log", &url], &[]);
    openssh.assert_ok();
    says(&openssh, ".ssh/known_hosts line 1");
    std::fs::remove_file(ssh_dir.join("known_hosts")).unwrap();
    std::fs::rename(dir.path().join("skiff-known_hosts"), &known_hosts).unwrap();

    // Another key of the same type recorded for this host: refused loudly, both shown.
    let other = make_key(dir.path(), "other", "ed25519", "");
    let other_blob = other.split_ascii_whitespace().nth(1).unwrap();
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} ssh-ed25519 {other_blob}\n", server.port()),
    )
    .unwrap();
    let other_fingerprint =
        crate::common::sshd::ssh_keygen(&["-lf", dir.path().join("other.pub").to_str().unwrap()]);
    let other_fingerprint = other_fingerprint.split_ascii_whitespace().nth(1).unwrap();
    let changed = skiff(dir.path(), &["ls", "--log", &url], &[]);
    changed.assert_fails_with("HAS CHANGED");
    says(&changed, &fingerprint);
    says(&changed, other_fingerprint);
    assert!(!changed.stderr.contains("USERAUTH"), "{}", changed.stderr);
    assert_eq!(
        std::fs::read_to_string(&known_hosts)
            .unwrap()
            .lines()
            .count(),
        1,
        "a changed key is never written over"
    );
}

#[test]
fn password_keyboard_interactive_key_files_and_the_agent_each_log_on() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let ed25519 = make_key(&keys, "id_ed25519", "ed25519", "");
    let ecdsa = make_key(&keys, "id_ecdsa", "ecdsa", "");
    let rsa = make_key(&keys, "id_rsa", "rsa", "");
    let locked = make_key(&keys, "locked", "ed25519", "open sesame");

    let passwords_only = SshServer::start_with(SshOptions {
        keyboard_interactive: false,
        ..SshOptions::default()
    });
    let trust = passwords_only.fingerprint();
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &["ls", "--log", &passwords_only.url("")],
    );
    run.assert_ok();
    says(&run, "The server offers: publickey, password");
    says(&run, "Logged in (password)");

    let wrong = passwords_only.url("").replace(":skiffftp@", ":wrong@");
    let refused = skiff_trusting(dir.path(), &trust, &["ls", "--log", &wrong]);
    refused.assert_fails_with(
        "the server refused the login (it offers publickey, password; tried: password)",
    );

    let interactive_only = SshServer::start_with(SshOptions {
        password: false,
        ..SshOptions::default()
    });
    let run = skiff(
        dir.path(),
        &[
            "ls",
            "--log",
            "--trust-host-key",
            &interactive_only.fingerprint(),
            &interactive_only.url(""),
        ],
        &[],
    );
    run.assert_ok();
    says(&run, "Logged in (keyboard-interactive)");

    let keys_only = SshServer::start_with(SshOptions {
        password: false,
        keyboard_interactive: false,
        authorized_keys: vec![ed25519, ecdsa, rsa, locked],
        ..SshOptions::default()
    });
    let trust = keys_only.fingerprint();
    let url = keys_only.url_without_password("");
    for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
        let key = keys.join(name);
        let run = skiff_trusting(
            dir.path(),
            &trust,
            &["ls", "--log", "--key-file", key.to_str().unwrap(), &url],
        );
        run.assert_ok();
        assert!(
            run.stderr
                .contains(&format!("Logged in (publickey, {})", key.display())),
            "{name}: {}",
            run.stderr
        );
    }
    // The same ed25519 key as PuTTY keeps it (.ppk, what FileZilla sites name).
    let ppk = keys.join("id_ed25519.ppk");
    let out = std::process::Command::new("puttygen")
        .arg(keys.join("id_ed25519"))
        .args(["-O", "private", "-o"])
        .arg(&ppk)
        .output()
        .expect("puttygen (package putty-tools; run tests/servers/install.sh)");
    assert!(
        out.status.success(),
        "puttygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &["ls", "--log", "--key-file", ppk.to_str().unwrap(), &url],
    );
    run.assert_ok();
    says(&run, &format!("Logged in (publickey, {})", ppk.display()));

    let locked = keys.join("locked");
    let locked_arg = locked.to_str().unwrap();
    let without = skiff_trusting(
        dir.path(),
        &trust,
        &["ls", "--log", "--key-file", locked_arg, &url],
    );
    without.assert_fails_with("no passphrase");
    let with = skiff(
        dir.path(),
        &[
            "ls",
            "--log",
            "--trust-host-key",
            &trust,
            "--key-file",
            locked_arg,
            &url,
        ],
        &[("SKIFF_KEY_PASSPHRASE", "open sesame")],
    );
    with.assert_ok();

    // No password and no key named: ~/.ssh/id_ed25519, as OpenSSH tries it.
    let home_ssh = dir.path().join("home/.ssh");
    std::fs::create_dir_all(&home_ssh).unwrap();
    std::fs::copy(keys.join("id_ed25519"), home_ssh.join("id_ed25519")).unwrap();
    let run = skiff_trusting(dir.path(), &trust, &["ls", "--log", &url]);
    run.assert_ok();
    says(&run, "home/.ssh/id_ed25519)");
    std::fs::remove_file(home_ssh.join("id_ed25519")).unwrap();

    // The agent: a test ssh-agent holding the RSA key (signed with SHA-2).
    let agent = Agent::start(dir.path());
    agent.add(&keys.join("id_rsa"));
    let run = skiff(
        dir.path(),
        &["ls", "--log", "--trust-host-key", &trust, &url],
        &[("SSH_AUTH_SOCK", agent.socket.to_str().unwrap())],
    );
    run.assert_ok();
    says(&run, "Logged in (publickey from the SSH agent");
}

/// A test's own ssh-agent on a socket in its folder, killed when dropped.
struct Agent {
    socket: std::path::PathBuf,
    child: std::process::Child,
}

impl Agent {
    fn start(dir: &Path) -> Self {
        let socket = dir.join("agent.sock");
        let child = std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent (package openssh-client)");
        for _ in 0..250 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(socket.exists(), "ssh-agent made no socket");
        Self { socket, child }
    }

    fn add(&self, key: &Path) {
        let out = std::process::Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .expect("ssh-add");
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[test]
fn files_and_trees_cross_both_ways_byte_identical() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    let big = random_bytes(3 * 1024 * 1024 + 17, 1);
    server.write_file("big.bin", &big);
    server.write_file("empty", b"");
    server.write_file("tree/한글 폴더/日本語.txt", "こんにちは".as_bytes());
    server.write_file("tree/a/b/c/deep.txt", b"deep");
    server.write_file("tree/a/small.bin", &random_bytes(4096, 2));

    let local = dir.path().join("down");
    std::fs::create_dir(&local).unwrap();
    let local_arg = local.to_str().unwrap();
    for name in ["big.bin", "empty"] {
        let run = skiff_trusting(
            dir.path(),
            &trust,
            &["get", "--log", &server.url(name), local_arg],
        );
        run.assert_ok();
        assert_eq!(
            std::fs::read(local.join(name)).unwrap(),
            server.read_file(name).unwrap(),
            "{name}"
        );
    }
    let tree = dir.path().join("tree");
    skiff_trusting(
        dir.path(),
        &trust,
        &["get", "-r", &server.url("tree"), tree.to_str().unwrap()],
    )
    .assert_ok();
    for rel in ["한글 폴더/日本語.txt", "a/b/c/deep.txt", "a/small.bin"] {
        assert_eq!(
            std::fs::read(tree.join(rel)).unwrap(),
            server.read_file(&format!("tree/{rel}")).unwrap(),
            "{rel}"
        );
    }

    // Up again, into a new folder: the same bytes on the server.
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &[
            "put",
            "-r",
            "--log",
            tree.to_str().unwrap(),
            &server.url("up"),
        ],
    );
    run.assert_ok();
    for rel in ["한글 폴더/日本語.txt", "a/b/c/deep.txt", "a/small.bin"] {
        assert_eq!(
            server.read_file(&format!("up/{rel}")).unwrap(),
            std::fs::read(tree.join(rel)).unwrap(),
            "{rel}"
        );
    }
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &[
            "put",
            "--log",
            local.join("big.bin").to_str().unwrap(),
            &server.url("up/big copy.bin"),
        ],
    );
    run.assert_ok();
    assert_eq!(server.read_file("up/big copy.bin").unwrap(), big);
    // Pipelined: many WRITEs and READs in flight, not one at a time.
    says(&run, "in flight");
}

#[test]
fn non_utf8_names_travel_as_the_servers_bytes_in_its_charset() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    // 한글.txt in EUC-KR (CP949).
    let name = b"\xc7\xd1\xb1\xdb.txt";
    server.write_file_raw_name("kr", name, b"euc-kr");
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &["ls", "--encoding", "cp949", &server.url("kr")],
    );
    run.assert_ok();
    assert!(run.stdout.contains("한글.txt"), "{}", run.stdout);
    let local = dir.path().join("kr");
    skiff_trusting(
        dir.path(),
        &trust,
        &[
            "get",
            "-r",
            "--encoding",
            "cp949",
            &server.url("kr"),
            local.to_str().unwrap(),
        ],
    )
    .assert_ok();
    assert_eq!(std::fs::read(local.join("한글.txt")).unwrap(), b"euc-kr");
    // And back under another name, written on the server in EUC-KR.
    std::fs::write(local.join("새.txt"), b"new").unwrap();
    skiff_trusting(
        dir.path(),
        &trust,
        &[
            "put",
            "--encoding",
            "cp949",
            local.join("새.txt").to_str().unwrap(),
            &server.url("kr/"),
        ],
    )
    .assert_ok();
    let raw = server.root().join("kr").join(std::ffi::OsStr::new(
        <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"\xbb\xf5.txt"),
    ));
    assert_eq!(std::fs::read(raw).unwrap(), b"new");
}

#[test]
fn downloads_and_uploads_resume_from_where_they_stopped() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    let data = random_bytes(1024 * 1024 + 3, 3);
    server.write_file("file.bin", &data);
    let local = dir.path().join("file.bin");
    std::fs::write(dir.path().join("file.bin.part"), &data[..400_000]).unwrap();
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &[
            "get",
            "--resume",
            "--log",
            &server.url("file.bin"),
            local.to_str().unwrap(),
        ],
    );
    run.assert_ok();
    assert_eq!(std::fs::read(&local).unwrap(), data);
    says(&run, "READ from offset 400000");

    server.write_file("up.bin", &data[..300_000]);
    let run = skiff_trusting(
        dir.path(),
        &trust,
        &[
            "put",
            "--resume",
            "--log",
            local.to_str().unwrap(),
            &server.url("up.bin"),
        ],
    );
    run.assert_ok();
    assert_eq!(server.read_file("up.bin").unwrap(), data);
    says(&run, "WRITE from offset 300000");
}

#[test]
fn mkdir_mv_chmod_rm_and_rmdir_work_and_refusals_are_sentences() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    server.write_file("old.txt", b"x");
    let run = |args: &[&str]| skiff_trusting(dir.path(), &trust, args);
    run(&["mkdir", &server.url("made")]).assert_ok();
    assert!(server.root().join("made").is_dir());
    run(&["mv", &server.url("old.txt"), "made/new.txt"]).assert_ok();
    assert_eq!(server.read_file("made/new.txt").unwrap(), b"x");
    assert!(server.read_file("old.txt").is_none());
    run(&["chmod", "640", &server.url("made/new.txt")]).assert_ok();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(server.root().join("made/new.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    run(&["rmdir", &server.url("made")]).assert_fails_with("removing a folder: failure");
    run(&["rm", &server.url("made/new.txt")]).assert_ok();
    run(&["rmdir", &server.url("made")]).assert_ok();
    assert!(!server.root().join("made").exists());
    run(&["rm", &server.url("nothing.txt")]).assert_fails_with("no such file");
}

#[test]
fn kill_9_mid_download_leaves_only_a_part_file_that_resume_continues() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    let content = random_bytes(12 * 1024 * 1024, 9);
    server.write_file("big.bin", &content);
    let target = dir.path().join("big.bin");
    let part = dir.path().join("big.bin.part");
    let config = dir.path().join("config");
    // 2 MiB/s: the download takes about six seconds, so it is surely killed midway.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .args(["get", "--limit-rate", "2M", "--trust-host-key", &trust])
        .args([server.url("big.bin").as_str(), "big.bin"])
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", &config)
        .env("HOME", dir.path())
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::skiff_cmd::kill_9_once_grown(&mut child, &part, 1024 * 1024, Duration::from_secs(20));
    assert!(
        !target.exists(),
        "a killed download must not leave the final name"
    );
    let partial = std::fs::metadata(&part).unwrap().len();
    assert!(partial > 0 && partial < content.len() as u64, "{partial}");

    let run = skiff_trusting(
        dir.path(),
        &trust,
        &[
            "get",
            "--resume",
            "--log",
            &server.url("big.bin"),
            "big.bin",
        ],
    );
    run.assert_ok();
    assert!(
        run.stderr.contains(&format!("READ from offset {partial}")),
        "resumed where the .part ended: {}",
        run.stderr
    );
    assert_eq!(std::fs::read(&target).unwrap(), content);
    assert!(!part.exists());
}

/// A TCP proxy on loopback that cuts the first `cuts` connections once `cut_after` bytes
/// went from the server to the client; later ones pass whole. Every thread ends when its
/// sockets close.
struct CuttingProxy {
    port: u16,
    cuts_done: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CuttingProxy {
    fn start(server_port: u16, cut_after: usize, cuts: usize) -> Self {
        use std::io::{Read as _, Write as _};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cuts_done = std::sync::Arc::new(AtomicUsize::new(0));
        let done = std::sync::Arc::clone(&cuts_done);
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(f)
                .unwrap();
        };
        spawn(
            "cut-proxy",
            Box::new(move || {
                // At most a few dozen connections in a test.
                for (n, client) in listener.incoming().take(64).enumerate() {
                    let Ok(client) = client else { return };
                    let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", server_port))
                    else {
                        return;
                    };
                    let cut = n < cuts;
                    let (mut c_read, mut s_write) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    spawn(
                        "cut-proxy-up",
                        Box::new(move || {
                            std::io::copy(&mut c_read, &mut s_write).ok();
                            s_write.shutdown(std::net::Shutdown::Both).ok();
                        }),
                    );
                    let done = std::sync::Arc::clone(&done);
                    let (mut s_read, mut c_write) = (server, client);
                    spawn(
                        "cut-proxy-down",
                        Box::new(move || {
                            let mut buf = vec![0u8; 64 * 1024];
                            let mut passed = 0;
                            loop {
                                let n = match s_read.read(&mut buf) {
                                    Ok(0) | Err(_) => break,
                                    Ok(n) => n,
                                };
                                if cut && passed + n > cut_after {
                                    done.fetch_add(1, Ordering::SeqCst);
                                    break;
                                }
                                if c_write.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                                passed += n;
                            }
                            c_write.shutdown(std::net::Shutdown::Both).ok();
                            s_read.shutdown(std::net::Shutdown::Both).ok();
                        }),
                    );
                }
            }),
        );
        Self { port, cuts_done }
    }
}

#[test]
fn a_connection_cut_mid_download_is_retried_and_resumed() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    let content = random_bytes(8 * 1024 * 1024, 11);
    server.write_file("cut.bin", &content);
    let proxy = CuttingProxy::start(server.port(), 3 * 1024 * 1024, 1);
    let url = server.url("cut.bin").replace(
        &format!(":{}/", server.port()),
        &format!(":{}/", proxy.port),
    );
    let run = skiff_trusting(dir.path(), &trust, &["get", "--log", &url, "cut.bin"]);
    run.assert_ok();
    assert_eq!(proxy.cuts_done.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(std::fs::read(dir.path().join("cut.bin")).unwrap(), content);
    let resumed: Vec<String> = run
        .log_lines("Command:")
        .into_iter()
        .filter(|c| c.starts_with("READ from offset ") && !c.starts_with("READ from offset 0,"))
        .collect();
    assert_eq!(
        resumed.len(),
        1,
        "one resumed READ after the cut: {}",
        run.stderr
    );
}

#[test]
fn diagnose_says_which_step_fails_and_stops_before_anything_is_sent_to_an_unknown_key() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();

    let unknown = skiff(dir.path(), &["diagnose", &server.url("")], &[]);
    unknown.assert_fails_with("Host key: not known yet");
    assert!(unknown.stdout.contains(&trust), "{}", unknown.stdout);
    assert!(
        !unknown.stdout.contains("Authentication"),
        "{}",
        unknown.stdout
    );

    let works = skiff_trusting(dir.path(), &trust, &["diagnose", &server.url("")]);
    works.assert_ok();
    for step in [
        "TCP connection",
        "Host key",
        "Authentication",
        "SFTP subsystem",
        "Listing",
    ] {
        assert!(works.stdout.contains(step), "{step}: {}", works.stdout);
    }
    assert!(
        works
            .stdout
            .contains("offers publickey, password, keyboard-interactive"),
        "{}",
        works.stdout
    );
    assert!(
        works.stdout.contains("SFTP works with this server"),
        "{}",
        works.stdout
    );
    // statvfs@openssh.com: the space free where the session starts.
    assert!(works.stdout.contains(" free"), "{}", works.stdout);

    let wrong = server.url("").replace(":skiffftp@", ":wrong@");
    let refused = skiff_trusting(dir.path(), &trust, &["diagnose", &wrong]);
    refused.assert_fails_with("Authentication: the server refused the login");

    let nothing = format!("sftp://u:p@127.0.0.1:{}/", crate::common::free_port());
    skiff(dir.path(), &["diagnose", &nothing], &[])
        .assert_fails_with("TCP connection: nothing answered");
}

#[test]
fn on_a_terminal_skiff_asks_for_the_host_key_the_servers_questions_a_passphrase_and_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let locked = make_key(&keys, "locked", "ed25519", "open sesame");
    let server = SshServer::start_with(SshOptions {
        authorized_keys: vec![locked],
        ..SshOptions::default()
    });
    server.write_file("seen.txt", b"x");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let config = dir.path().join("config");
    let env = [
        ("HOME", home.to_str().unwrap()),
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ("SSH_AUTH_SOCK", ""),
    ];
    let on_terminal = |args: &[&str], input: &[u8]| {
        let run = crate::skiff_cmd::skiff_on_terminal(dir.path(), args, input, &env, LIMIT);
        run.assert_ok();
        format!("{}{}", run.stdout, run.stderr)
    };
    // No password in the URL: the host key is asked about, then the server's own question
    // (PAM's "Password: ", by keyboard-interactive) is put as it is.
    let url = server.url_without_password("");
    let screen = on_terminal(&["ls", "--log", &url], b"y\nskiffftp\n");
    assert!(screen.contains(&server.fingerprint()), "{screen}");
    assert!(screen.contains("Trust this host key"), "{screen}");
    assert!(screen.contains("Password:"), "{screen}");
    assert!(
        screen.contains("Logged in (keyboard-interactive)"),
        "{screen}"
    );
    assert!(screen.contains("seen.txt"), "{screen}");

    // A key file with a passphrase: asked for it, as ssh asks (the host key is known now).
    let key = keys.join("locked");
    let screen = on_terminal(
        &["ls", "--log", "--key-file", key.to_str().unwrap(), &url],
        b"open sesame\n",
    );
    assert!(
        screen.contains(&format!("Enter passphrase for key '{}':", key.display())),
        "{screen}"
    );
    assert!(screen.contains("Logged in (publickey"), "{screen}");

    // A server that takes only a password (no keyboard-interactive): refused without one,
    // then asked for it.
    let passwords_only = SshServer::start_with(SshOptions {
        keyboard_interactive: false,
        ..SshOptions::default()
    });
    let url = passwords_only.url_without_password("");
    let trust = passwords_only.fingerprint();
    let screen = on_terminal(&["ls", "--trust-host-key", &trust, &url], b"skiffftp\n");
    assert!(
        screen.contains("skiffftp@127.0.0.1's password:"),
        "{screen}"
    );
}

#[test]
fn every_file_exists_policy_holds_over_sftp_with_the_servers_times() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    let trust = server.fingerprint();
    server.write_file("new.txt", b"from the server\n");
    let url = server.url("new.txt");
    let local = dir.path().join("new.txt");
    let read = || std::fs::read(&local).unwrap();
    let run = |args: &[&str]| skiff_trusting(dir.path(), &trust, args);
    let set_mtime = crate::skiff_cmd::set_mtime;
    let hour_ahead = std::time::SystemTime::now() + Duration::from_secs(3600);
    let long_ago = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);

    std::fs::write(&local, b"mine").unwrap();
    run(&["get", &url, "new.txt"]).assert_fails_with("already exists: use --overwrite");
    run(&["get", &url, "new.txt", "--skip-existing"]).assert_ok();
    assert_eq!(read(), b"mine", "skipped");
    // The server's modification time (SFTP's ATTRS) decides --newer.
    set_mtime(&local, hour_ahead);
    run(&["get", &url, "new.txt", "--newer"]).assert_ok();
    assert_eq!(read(), b"mine", "the local file is newer");
    set_mtime(&local, long_ago);
    run(&["get", &url, "new.txt", "--newer"]).assert_ok();
    assert_eq!(read(), b"from the server\n", "the local file was older");

    // Uploads too: skipped while the remote file exists, replaced with --overwrite.
    std::fs::write(&local, b"changed here\n").unwrap();
    run(&["put", "new.txt", &url, "--skip-existing"]).assert_ok();
    assert_eq!(server.read_file("new.txt").unwrap(), b"from the server\n");
    run(&["put", "new.txt", &url]).assert_fails_with("already exists");
    run(&["put", "new.txt", &url, "--overwrite"]).assert_ok();
    assert_eq!(server.read_file("new.txt").unwrap(), b"changed here\n");
}

#[test]
fn a_modification_time_set_over_sftp_is_the_files_and_reads_back() {
    use skiff::proto::listing::{TimePrecision, Timestamp};
    use skiff::remote::Facts;
    let server = SshServer::start();
    server.write_file("dated.txt", b"x");
    let rt = crate::common::engine_runtime();
    rt.block_on(async {
        let (options, _log) = server.server();
        let mut session = skiff::remote::connect(&options).await.unwrap();
        let path = server.remote_path("dated.txt");
        let when = Timestamp::new(2001, 2, 3, 4, 5, 6, TimePrecision::Second).unwrap();
        assert!(session.set_modified(&path, when).await.unwrap());
        let stat = session.stat(&path, Facts::ALL).await.unwrap().unwrap();
        assert_eq!(stat.size, Some(1));
        assert_eq!(
            stat.modified.map(|t| t.to_unix_secs()),
            Some(when.to_unix_secs())
        );
        session.quit().await;
    });
    let on_disk = std::fs::metadata(server.root().join("dated.txt"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        on_disk, 981_173_106,
        "2001-02-03 04:05:06 UTC on the server's disk"
    );
}

#[test]
fn sync_by_checksum_says_an_sftp_server_computes_none() {
    let server = SshServer::start();
    let dir = tempfile::tempdir().unwrap();
    server.write_file("site/a.txt", b"abc");
    let local = dir.path().join("mirror");
    let run = skiff_trusting(
        dir.path(),
        &server.fingerprint(),
        &[
            "sync",
            "--compare",
            "checksum",
            &server.url("site"),
            local.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(2), "a usage error: {}", run.stderr);
    says(
        &run,
        "SFTP servers (OpenSSH's among them) compute no checksums",
    );
    says(&run, "--compare time or --compare size");
    assert!(!local.exists(), "nothing was synced");
}
