//! OpenSSH's sshd on loopback, one per test: Debian's openssh-server unpacked by
//! `tests/servers/install.sh`, started with its own host key, config and free port, and a
//! root folder of its own where SFTP sessions start (`internal-sftp -d`).
//!
//! sshd switches to the session user, so it runs as root (as CI does); its sessions run as
//! the system user `skiffftp`, which logs on with its password (PAM), keyboard-interactive
//! (PAM) or a key from the test's `authorized_keys`. A missing sshd fails the test.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{INSTALL_HINT, SYS_PASSWORD, SYS_USER, chown, free_port, server_binary, server_work};

/// How a test's sshd lets users log on.
#[derive(Debug, Clone)]
pub struct SshOptions {
    pub password: bool,
    pub keyboard_interactive: bool,
    /// Public key lines for `authorized_keys` (publickey logons).
    pub authorized_keys: Vec<String>,
    /// The host key type: "ed25519", "ecdsa" or "rsa".
    pub host_key_type: &'static str,
}

impl Default for SshOptions {
    fn default() -> Self {
        Self {
            password: true,
            keyboard_interactive: true,
            authorized_keys: Vec::new(),
            host_key_type: "ed25519",
        }
    }
}

pub struct SshServer {
    work: tempfile::TempDir,
    root: PathBuf,
    port: u16,
    child: Option<Child>,
}

/// Runs `ssh-keygen ARGS`, panicking with its output when it fails.
pub fn ssh_keygen(args: &[&str]) -> String {
    let out = Command::new("ssh-keygen")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("ssh-keygen (package openssh-client): {e}; {INSTALL_HINT}"));
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new key pair in `dir/name` (and `.pub`), optionally with a passphrase; the public
/// key's line.
pub fn make_key(dir: &Path, name: &str, kind: &str, passphrase: &str) -> String {
    let path = dir.join(name);
    ssh_keygen(&[
        "-q",
        "-t",
        kind,
        "-N",
        passphrase,
        "-C",
        "skiff-test",
        "-f",
        path.to_str().unwrap(),
    ]);
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_owned()
}

impl SshServer {
    pub fn start() -> Self {
        Self::start_with(SshOptions::default())
    }

    pub fn start_with(opts: SshOptions) -> Self {
        assert!(
            matches!(super::privilege(), super::Privilege::Root),
            "the SFTP tests start OpenSSH's sshd, which must run as root to switch to the \
             session user: run the tests as root (as CI does)"
        );
        let sshd = server_binary("usr/sbin/sshd");
        // sshd's privilege separation needs its empty folder (a tmpfs, gone after a reboot).
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let (work, root) = server_work("skiff-sshd-");
        chown(&root);
        let host_key = work.path().join(format!("host_{}", opts.host_key_type));
        ssh_keygen(&[
            "-q",
            "-t",
            opts.host_key_type,
            "-N",
            "",
            "-f",
            host_key.to_str().unwrap(),
        ]);
        let authorized = work.path().join("authorized_keys");
        std::fs::write(&authorized, opts.authorized_keys.join("\n") + "\n").unwrap();
        let port = free_port();
        let yes_no = |on: bool| if on { "yes" } else { "no" };
        let config = format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {host_key}\n\
             PidFile none\n\
             LogLevel VERBOSE\n\
             UsePAM yes\n\
             PasswordAuthentication {password}\n\
             KbdInteractiveAuthentication {kbd}\n\
             PubkeyAuthentication yes\n\
             AuthorizedKeysFile {authorized}\n\
             StrictModes no\n\
             AllowUsers {SYS_USER}\n\
             PermitRootLogin no\n\
             UseDNS no\n\
             X11Forwarding no\n\
             AllowTcpForwarding no\n\
             PrintMotd no\n\
             MaxStartups 100\n\
             MaxSessions 20\n\
             Subsystem sftp internal-sftp -d {root}\n\
             ForceCommand internal-sftp -d {root}\n",
            host_key = host_key.display(),
            password = yes_no(opts.password),
            kbd = yes_no(opts.keyboard_interactive),
            authorized = authorized.display(),
            root = root.display(),
        );
        let config_path = work.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        let out = std::fs::File::create(work.path().join("server.out")).unwrap();
        let child = Command::new(&sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", sshd.display()));
        let server = Self {
            work,
            root,
            port,
            child: Some(child),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("sshd did not listen within 10 s:\n{}", self.log_tail());
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        SYS_USER
    }

    pub fn password(&self) -> &str {
        SYS_PASSWORD
    }

    /// The folder SFTP sessions start in (its absolute path on the server, too).
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn work(&self) -> &Path {
        self.work.path()
    }

    /// The host key's public line (`ssh-ed25519 AAAA...`).
    pub fn host_key(&self) -> String {
        let pubs: Vec<PathBuf> = std::fs::read_dir(self.work())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("host_") && n.ends_with(".pub"))
            })
            .collect();
        let text = std::fs::read_to_string(&pubs[0]).unwrap();
        let mut fields = text.split_ascii_whitespace();
        format!("{} {}", fields.next().unwrap(), fields.next().unwrap())
    }

    /// The host key's fingerprint as `ssh-keygen -lf` prints it (`SHA256:...`).
    pub fn fingerprint(&self) -> String {
        let path = self.work().join("host_key_line.pub");
        std::fs::write(&path, self.host_key()).unwrap();
        let out = ssh_keygen(&["-lf", path.to_str().unwrap()]);
        out.split_ascii_whitespace().nth(1).unwrap().to_owned()
    }

    /// `sftp://USER:PASS@127.0.0.1:PORT/<root>/path`: an absolute path in the test's root.
    pub fn url(&self, path: &str) -> String {
        format!(
            "sftp://{SYS_USER}:{SYS_PASSWORD}@127.0.0.1:{}{}/{}",
            self.port,
            self.root.display(),
            path.trim_start_matches('/')
        )
    }

    /// `url` without the password.
    pub fn url_without_password(&self, path: &str) -> String {
        format!(
            "sftp://{SYS_USER}@127.0.0.1:{}{}/{}",
            self.port,
            self.root.display(),
            path.trim_start_matches('/')
        )
    }

    /// The absolute path of `rel` on the server, as bytes.
    pub fn remote_path(&self, rel: &str) -> Vec<u8> {
        self.root.join(rel).to_str().unwrap().as_bytes().to_vec()
    }

    /// This server as the engine reaches it: the password, its host key trusted.
    pub fn server(&self) -> (skiff::remote::Server, super::LogLines) {
        let (log, lines) = super::capture_log();
        let mut server = skiff::remote::Server::sftp("127.0.0.1", self.port);
        server.credentials.user = Some(SYS_USER.to_owned());
        server.credentials.password = Some(skiff::secret::Secret::new(SYS_PASSWORD));
        server.timeout = Duration::from_secs(10);
        server.log = log;
        if let Some(ssh) = server.ssh_settings_mut() {
            ssh.known_hosts_files.clear();
            ssh.try_default_keys = false;
            ssh.trusted_host_keys = vec![self.fingerprint()];
        }
        (server, lines)
    }

    /// The home folder as tests fill it, owned by the servers' user.
    fn files(&self) -> super::ServedRoot<'_> {
        super::ServedRoot {
            root: &self.root,
            chown: true,
        }
    }

    pub fn mkdir(&self, rel: &str) {
        self.files().mkdir(rel);
    }

    pub fn write_file(&self, rel: &str, bytes: &[u8]) {
        self.files().write_file(rel, bytes);
    }

    pub fn write_file_raw_name(&self, rel_dir: &str, name: &[u8], bytes: &[u8]) {
        self.files().write_file_raw_name(rel_dir, name, bytes);
    }

    pub fn read_file(&self, rel: &str) -> Option<Vec<u8>> {
        self.files().read_file(rel)
    }

    /// The last lines sshd logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.work().join("server.out")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(30);
        format!(
            "--- sshd on 127.0.0.1:{}\n{}",
            self.port,
            lines[start..].join("\n")
        )
    }
}

impl Drop for SshServer {
    /// TERM to sshd's process group, then KILL; sessions sshd started in groups of their own
    /// end when their connection does.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            super::kill_group(child.id(), "TERM");
            for _ in 0..150 {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            super::kill_group(child.id(), "KILL");
            child.kill().ok();
            child.wait().ok();
        }
    }
}
