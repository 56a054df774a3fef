//! The OS keyring, the default password store, against a real Secret Service: a private
//! D-Bus session bus with gnome-keyring-daemon on it, started unlocked for each test in a
//! temporary home. The `skiff` binary saves, reads (by logging on to vsftpd with the saved
//! password), replaces and deletes a site's password there; `secret-tool` reads the
//! Secret Service independently. A locked keyring and one that is absent give clear errors
//! and save nothing anywhere else. (Installed by tests/servers/install.sh; a missing
//! daemon fails the test.)

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::secrets::{assert_no_file_holds, files_under};
use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::{Run, skiff_with_env};

const LIMIT: Duration = Duration::from_secs(60);

/// A session bus and an unlocked gnome-keyring on it, in a temporary home; both stopped
/// when dropped.
struct SecretService {
    home: tempfile::TempDir,
    bus: Child,
    keyring: Child,
    address: String,
}

impl SecretService {
    fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let runtime = home.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        // A session bus without service activation: a request made before our daemon owns
        // the Secret Service's name fails at once, instead of the bus starting another
        // gnome-keyring-daemon (locked, outside the test's home) to answer it.
        let config = home.path().join("bus.conf");
        std::fs::write(&config, BUS_CONFIG).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus-daemon, installed by tests/servers/install.sh)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "no bus address: {address:?}");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(env_for(home.path(), &address))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (package gnome-keyring, installed by tests/servers/install.sh)");
        // The login keyring's password; closing stdin tells the daemon it is complete.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"keyring test password").unwrap();
        drop(stdin);
        let service = Self {
            home,
            bus,
            keyring,
            address,
        };
        // Ready when a secret can be stored and read back (at most 20 s).
        let started = Instant::now();
        loop {
            let stored = service
                .secret_tool(&[
                    "store",
                    "--label=probe",
                    "service",
                    "probe",
                    "username",
                    "p",
                ])
                .stdin_text("ready")
                .run();
            if stored.is_some_and(|out| out.status.success())
                && service.lookup("probe", "p").as_deref() == Some("ready")
            {
                return service;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the Secret Service did not come up within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        env_for(self.home.path(), &self.address)
    }

    fn secret_tool(&self, args: &[&str]) -> Tool {
        let mut command = Command::new("secret-tool");
        command.args(args).envs(self.env());
        Tool {
            command,
            input: None,
        }
    }

    /// What the Secret Service holds for `service` and `username`, read by secret-tool.
    fn lookup(&self, service: &str, username: &str) -> Option<String> {
        let out = self
            .secret_tool(&["lookup", "service", service, "username", username])
            .run()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Every item of Skiff's service, as `secret-tool search --all` prints them.
    fn skiff_items(&self) -> String {
        let out = self
            .secret_tool(&["search", "--all", "service", "skiff"])
            .run()
            .expect("secret-tool search ran");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `skiff ARGS` on this bus, with `password` in SKIFF_PASSWORD when given.
    fn skiff(&self, config: &Path, args: &[&str], password: Option<&str>) -> Run {
        let mut env: Vec<(&str, String)> = self.env();
        env.push(("XDG_CONFIG_HOME", config.display().to_string()));
        if let Some(password) = password {
            env.push(("SKIFF_PASSWORD", password.to_owned()));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        skiff_with_env(config, args, &env, LIMIT)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        self.keyring.kill().ok();
        self.keyring.wait().ok();
        self.bus.kill().ok();
        self.bus.wait().ok();
    }
}

/// A session bus that only routes messages: no service files, so nothing is activated.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

fn env_for(home: &Path, address: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DBUS_SESSION_BUS_ADDRESS", address.to_owned()),
        ("HOME", home.display().to_string()),
        ("XDG_DATA_HOME", home.join("share").display().to_string()),
        ("XDG_RUNTIME_DIR", home.join("run").display().to_string()),
    ]
}

/// A secret-tool run, bounded to 10 s.
struct Tool {
    command: Command,
    input: Option<String>,
}

impl Tool {
    fn stdin_text(mut self, text: &str) -> Self {
        self.input = Some(text.to_owned());
        self
    }

    fn run(mut self) -> Option<std::process::Output> {
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("secret-tool (package libsecret-tools, installed by tests/servers/install.sh)");
        let mut stdin = child.stdin.take().unwrap();
        if let Some(input) = &self.input {
            stdin.write_all(input.as_bytes()).ok();
        }
        drop(stdin);
        let started = Instant::now();
        while child.try_wait().ok()?.is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                child.kill().ok();
                child.wait().ok();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().ok()
    }
}

/// The site's id in sites.toml: the keyring's user name for its password.
fn site_id(config: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(config.join("skiff/sites.toml")).unwrap();
    let table: toml::Table = text.parse().unwrap();
    table["site"]
        .as_array()
        .unwrap()
        .iter()
        .find(|site| site["name"].as_str() == Some(name))
        .and_then(|site| site["id"].as_str())
        .unwrap()
        .to_owned()
}

#[test]
fn the_os_keyring_saves_reads_replaces_and_deletes_a_sites_password() {
    let keyring = SecretService::start();
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("hello.txt", b"hi");
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    let url = format!("ftp://{}@127.0.0.1:{}/", server.user(), server.port());

    // Saved: in the Secret Service, under Skiff's service and the site's id.
    let wrong = "not the password";
    keyring
        .skiff(
            config,
            &["sites", "add", "prod", &url, "--ask-password"],
            Some(wrong),
        )
        .assert_ok();
    let id = site_id(config, "prod");
    assert_eq!(keyring.lookup("skiff", &id).as_deref(), Some(wrong));
    // Read: the logon uses it (and the server refuses it).
    keyring
        .skiff(config, &["ls", "--site", "prod"], None)
        .assert_fails_with("530");

    // Replaced: the same entry now holds the right password, and the logon works.
    let run = keyring.skiff(
        config,
        &["sites", "password", "prod"],
        Some(server.password()),
    );
    run.assert_ok();
    assert!(run.stdout.contains("in: OS keyring"), "{}", run.stdout);
    assert_eq!(
        keyring.lookup("skiff", &id).as_deref(),
        Some(server.password())
    );
    let listed = keyring.skiff(config, &["ls", "--site", "prod"], None);
    listed.assert_ok();
    assert!(listed.stdout.contains("hello.txt"), "{}", listed.stdout);
    // Never on disk in Skiff's folder, in any encoding (the test user's password is also
    // its user name, so the first password stands for it).
    assert_no_file_holds(&files_under(config), wrong);

    // Forgotten, then deleted with the site: nothing of Skiff's is left in the keyring.
    keyring
        .skiff(config, &["sites", "password", "prod", "--forget"], None)
        .assert_ok();
    assert_eq!(keyring.lookup("skiff", &id), None);
    keyring
        .skiff(config, &["sites", "password", "prod"], Some("again"))
        .assert_ok();
    assert_eq!(keyring.lookup("skiff", &id).as_deref(), Some("again"));
    keyring
        .skiff(config, &["sites", "remove", "prod"], None)
        .assert_ok();
    assert_eq!(keyring.lookup("skiff", &id), None);
    let items = keyring.skiff_items();
    assert!(!items.contains("service = skiff"), "{items}");
}

#[test]
fn a_locked_keyring_is_a_clear_error_and_nothing_is_saved_elsewhere() {
    let keyring = SecretService::start();
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    // The Secret Service's own Lock call (`secret-tool lock` crashes in Debian 12).
    let mut lock = Command::new("dbus-send");
    lock.envs(keyring.env()).args([
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.Lock",
        "array:objpath:/org/freedesktop/secrets/collection/login",
    ]);
    let locked = Tool {
        command: lock,
        input: None,
    }
    .run()
    .expect("dbus-send (package dbus-bin) ran");
    assert!(locked.status.success(), "{locked:?}");
    assert_eq!(
        keyring.lookup("probe", "p"),
        None,
        "the login keyring is locked"
    );
    let run = keyring.skiff(
        config,
        &[
            "sites",
            "add",
            "prod",
            "ftp://bob@127.0.0.1:2121/",
            "--ask-password",
        ],
        Some("locked out"),
    );
    run.assert_fails_with("the OS keyring is locked and could not be unlocked")
        .assert_fails_with("master-password");
    assert_eq!(keyring.lookup("skiff", "prod"), None);
    assert_no_file_holds(&files_under(config), "locked out");
    assert!(
        !config.join("skiff/sites.toml").exists()
            || !std::fs::read_to_string(config.join("skiff/sites.toml"))
                .unwrap()
                .contains("prod"),
        "no site is saved without its password"
    );
}

#[test]
fn without_a_keyring_the_error_offers_the_master_password_store() {
    // No session bus at all (a headless box): the keyring is absent.
    let config = tempfile::tempdir().unwrap();
    let config = config.path();
    let add = |extra: &[&str]| {
        let mut args = vec!["sites", "add", "prod", "ftp://bob@127.0.0.1:2121/"];
        args.push("--ask-password");
        args.extend(extra);
        let env = [
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("SKIFF_PASSWORD", "no keyring here"),
            ("SKIFF_MASTER_PASSWORD", "master of this test"),
        ];
        skiff_with_env(config, &args, &env, LIMIT)
    };
    add(&[])
        .assert_fails_with("the OS keyring is not reachable")
        .assert_fails_with("master-password");
    assert_no_file_holds(&files_under(config), "no keyring here");

    // The master-password store is the way out, and works.
    add(&["--password-store", "master-password"]).assert_ok();
    assert_no_file_holds(&files_under(config), "no keyring here");
}
