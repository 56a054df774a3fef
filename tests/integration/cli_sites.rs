//! `skiff sites ...` and `--site NAME`, run as a script would: a FileZilla import, add and
//! remove, export with and without passwords, saved sites in active mode (with their own port
//! range) and passive mode against real servers on loopback, a damaged sites.toml, and the
//! password stores (the master-password vault; an unreachable keyring), with no password left
//! on disk in any encoding.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::secrets::{assert_no_file_holds, files_under};
use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::{Run, announced_port, pseudo_random_bytes, sha256, skiff_with_env};
use base64::Engine as _;

const MASTER: &str = "the master password of these tests";
const FILEZILLA_3_66: &str = "tests/data/filezilla/sitemanager-3.66.xml";
/// The passwords in the FileZilla file above (base64 there).
const FILEZILLA_PASSWORDS: [&str; 3] = [
    "correct horse battery",
    "Tr0ub4dor&3-but-longer!",
    "한글 비밀번호 and more",
];

/// One user's Skiff: its own config and data folders, kept across runs.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["config", "data", "work"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn sites_toml(&self) -> PathBuf {
        self.config().join("skiff/sites.toml")
    }

    /// `skiff ARGS` with this home, no session bus (so no OS keyring), and `env`.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let config = self.config();
        let data = self.data();
        let runtime = self.dir.path().join("no-runtime-dir");
        let mut all: Vec<(&str, &str)> = vec![
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
            ("XDG_RUNTIME_DIR", runtime.to_str().unwrap()),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/skiff-test-bus",
            ),
        ];
        all.extend_from_slice(env);
        skiff_with_env(&self.work(), args, &all, Duration::from_secs(60))
    }

    /// With the master password in the environment.
    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[("SKIFF_MASTER_PASSWORD", MASTER)])
    }

    fn import_filezilla(&self) -> Run {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILEZILLA_3_66);
        self.run(&[
            "sites",
            "import-filezilla",
            file.to_str().unwrap(),
            "--password-store",
            "master-password",
        ])
    }

    fn site_paths(&self) -> Vec<String> {
        let run = self.run(&["sites", "list", "--json"]);
        run.assert_ok();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        rows.iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[test]
fn a_filezilla_import_lists_its_folders_and_sites_and_exports_back() {
    let home = Home::new();
    let run = home.import_filezilla();
    run.assert_ok();
    assert!(
        run.stdout.contains("Imported 7 sites in 3 folders")
            && run.stdout.contains("3 passwords saved in: Master password"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("skipped"),
        "the SFTP site comes in too: {}",
        run.stderr
    );
    assert_eq!(
        home.site_paths(),
        [
            "Deploy over SFTP",
            "GNU mirror",
            "Work/Clients/Acme archive",
            "Work/Clients/Acme uploads",
            "Work/web",
            "한국 서버/日本のミラー",
            "한국 서버/자료실",
        ]
    );
    let plain = home.run(&["sites", "list"]);
    plain.assert_ok();
    let uploads = plain
        .stdout
        .lines()
        .find(|l| l.starts_with("Work/Clients/Acme uploads"))
        .unwrap();
    assert!(
        uploads.contains("ftpes://client-upload@files.client.example:2121/incoming")
            && uploads.trim_end().ends_with("active"),
        "{uploads}"
    );
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&home.run(&["sites", "list", "--json"]).stdout).unwrap();
    let korean = json.iter().find(|r| r["name"] == "자료실").unwrap();
    assert_eq!(korean["encoding"], "CP949");
    assert_eq!(korean["timezone_offset_minutes"], 540);
    assert_eq!(korean["remote_dir"], "/pub/자료");
    assert!(
        !plain.stdout.contains("correct horse"),
        "no password is listed"
    );

    // Export without passwords, then with them; both import back into a new home.
    let without = home.work().join("without.xml");
    home.run(&["sites", "export", without.to_str().unwrap()])
        .assert_ok();
    let text = std::fs::read_to_string(&without).unwrap();
    assert!(!text.contains("<Pass"), "{text}");
    assert!(text.contains("<Folder expanded=\"1\">한국 서버"), "{text}");
    assert!(text.contains("<Name>日本のミラー</Name>"), "{text}");
    let again = home.run(&["sites", "export", without.to_str().unwrap()]);
    again.assert_fails_with("--overwrite");

    let with = home.work().join("with.xml");
    let run = home.run(&[
        "sites",
        "export",
        "--with-passwords",
        with.to_str().unwrap(),
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("with 3 passwords"), "{}", run.stdout);
    let text = std::fs::read_to_string(&with).unwrap();
    for password in FILEZILLA_PASSWORDS {
        let encoded = base64::engine::general_purpose::STANDARD.encode(password);
        assert!(
            text.contains(&encoded),
            "{password:?} missing from the export"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&with).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an export with passwords is private");
    }

    let other = Home::new();
    let run = other.run(&[
        "sites",
        "import-filezilla",
        with.to_str().unwrap(),
        "--password-store",
        "master-password",
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("3 passwords saved"), "{}", run.stdout);
    assert_eq!(other.site_paths(), home.site_paths());
    let first: Vec<serde_json::Value> =
        serde_json::from_str(&home.run(&["sites", "list", "--json"]).stdout).unwrap();
    let second: Vec<serde_json::Value> =
        serde_json::from_str(&other.run(&["sites", "list", "--json"]).stdout).unwrap();
    assert_eq!(first, second, "every field survives export and import");
}

#[test]
fn sites_are_added_and_removed_with_their_passwords() {
    let home = Home::new();
    let run = home.run(&[
        "sites",
        "add",
        "Work/Clients/web",
        "ftpes://bob:added-password-1@ftp.example.com:2121/var/www",
        "--password-store",
        "master-password",
        "--mode",
        "active",
        "--port-range",
        "50100-50110",
        "--external-ip",
        "203.0.113.9",
        "--encoding",
        "shift_jis",
        "--max-connections",
        "4",
        "--timezone-offset",
        "-120",
        "--comments",
        "deploys & backups",
        "--local-dir",
        "/srv/web",
    ]);
    run.assert_ok();
    assert!(
        run.stdout.contains("Saved site Work/Clients/web")
            && run.stdout.contains("password saved in: Master password"),
        "{}",
        run.stdout
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&home.run(&["sites", "list", "--json"]).stdout).unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["url"], "ftpes://bob@ftp.example.com:2121/var/www");
    assert_eq!(
        row["mode"],
        "active (ports 50100-50110) (announces 203.0.113.9)"
    );
    assert_eq!(row["remote_dir"], "/var/www");
    assert_eq!(row["encoding"], "shift_jis");
    assert_eq!(row["max_connections"], 4);
    assert_eq!(row["timezone_offset_minutes"], -120);
    assert_eq!(row["comments"], "deploys & backups");
    assert_eq!(row["logon"], "normal");

    home.run(&["sites", "add", "web", "ftp://ftp.example.org/"])
        .assert_ok();
    home.run(&["sites", "add", "web", "ftp://other.example.org/"])
        .assert_fails_with("exists already");
    home.run(&["ls", "--site", "nosuch"])
        .assert_fails_with("no site named \"nosuch\"");
    home.run(&["sites", "remove", "web"]).assert_ok();

    let export = home.work().join("before.xml");
    home.run(&[
        "sites",
        "export",
        "--with-passwords",
        export.to_str().unwrap(),
    ])
    .assert_ok();
    let encoded = base64::engine::general_purpose::STANDARD.encode("added-password-1");
    assert!(std::fs::read_to_string(&export).unwrap().contains(&encoded));

    let run = home.run(&["sites", "remove", "Work/Clients/web"]);
    run.assert_ok();
    assert!(
        run.stdout.contains("and its saved password"),
        "{}",
        run.stdout
    );
    assert!(home.site_paths().is_empty());
    let vault = std::fs::read_to_string(home.config().join("skiff/passwords.vault")).unwrap();
    let entries: serde_json::Value = serde_json::from_str(&vault).unwrap();
    assert_eq!(
        entries["entries"].as_object().map(|e| e.len()),
        Some(0),
        "the password left the vault with its site"
    );
    home.run(&["sites", "remove", "Work/Clients/web"])
        .assert_fails_with("no site named");
}

#[test]
fn an_active_site_transfers_through_its_own_port_range() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(300_000, 7);
    server.write_file("pub/data.bin", &content);
    let home = Home::new();
    home.run(&[
        "sites",
        "add",
        "Work/active",
        &server.url("/pub"),
        "--mode",
        "active",
        "--port-range",
        "50200-50210",
        "--password-store",
        "master-password",
    ])
    .assert_ok();

    let run = home.run(&["get", "--site", "Work/active", "data.bin", "--log"]);
    run.assert_ok();
    let got = std::fs::read(home.work().join("data.bin")).unwrap();
    assert_eq!(sha256(&got), sha256(&content));
    let ports: Vec<u16> = run
        .log_lines("Command:")
        .iter()
        .filter_map(|c| announced_port(c))
        .collect();
    assert!(
        !ports.is_empty(),
        "no PORT/EPRT in the log:\n{}",
        run.stderr
    );
    for port in &ports {
        assert!(
            (50200..=50210).contains(port),
            "port {port} outside 50200-50210"
        );
    }
    let commands = run.log_lines("Command:");
    assert!(
        commands.iter().any(|c| c == "PASS ****")
            && !commands
                .iter()
                .any(|c| c.starts_with("PASS ") && c != "PASS ****"),
        "the saved password is sent and masked in the log: {commands:?}"
    );

    // A flag overrides the site: this run is passive.
    let run = home.run(&["ls", "--site", "active", "--mode", "passive", "--log"]);
    run.assert_ok();
    assert!(run.stdout.contains("data.bin"), "{}", run.stdout);
    let commands = run.log_lines("Command:");
    assert!(
        commands.iter().all(|c| announced_port(c).is_none())
            && commands.iter().any(|c| c == "EPSV" || c == "PASV"),
        "{commands:?}"
    );

    home.run(&["ls", "--site", "active", &server.url("/")])
        .assert_fails_with("give a remote path, not a URL");
}

#[test]
fn a_passive_site_lists_uploads_and_downloads() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    let home = Home::new();
    let url = server
        .url("/")
        .replace(&format!(":{}@", server.password()), "@");
    home.run_env(
        &[
            "sites",
            "add",
            "passive",
            &url,
            "--mode",
            "passive",
            "--ask-password",
            "--password-store",
            "master-password",
        ],
        &[
            ("SKIFF_MASTER_PASSWORD", MASTER),
            ("SKIFF_PASSWORD", server.password()),
        ],
    )
    .assert_ok();

    let content = pseudo_random_bytes(100_000, 11);
    std::fs::write(home.work().join("up.bin"), &content).unwrap();
    home.run(&["mkdir", "--site", "passive", "/incoming"])
        .assert_ok();
    let run = home.run(&["put", "--site", "passive", "up.bin", "/incoming/", "--log"]);
    run.assert_ok();
    assert_eq!(server.read_file("incoming/up.bin").unwrap(), content);
    let commands = run.log_lines("Command:");
    assert!(
        commands.iter().all(|c| announced_port(c).is_none()),
        "{commands:?}"
    );

    let run = home.run(&["ls", "--site", "passive", "/incoming", "--json"]);
    run.assert_ok();
    assert!(run.stdout.contains("\"up.bin\""), "{}", run.stdout);
    home.run(&["get", "--site", "passive", "/incoming/up.bin", "down.bin"])
        .assert_ok();
    assert_eq!(
        std::fs::read(home.work().join("down.bin")).unwrap(),
        content
    );
    home.run(&["rm", "--site", "passive", "/incoming/up.bin"])
        .assert_ok();
    assert!(server.read_file("incoming/up.bin").is_none());

    // A site that asks for its password gets it from SKIFF_PASSWORD without a terminal.
    let asking = server
        .url("/")
        .replace(&format!(":{}@", server.password()), "@");
    home.run(&["sites", "add", "asking", &asking, "--logon", "ask"])
        .assert_ok();
    home.run(&["ls", "--site", "asking"])
        .assert_fails_with("asks for its password: set SKIFF_PASSWORD");
    home.run_env(
        &["ls", "--site", "asking", "/"],
        &[("SKIFF_PASSWORD", server.password())],
    )
    .assert_ok();
}

#[test]
fn a_damaged_sites_file_is_reported_backed_up_and_never_replaced() {
    let home = Home::new();
    std::fs::create_dir_all(home.config().join("skiff")).unwrap();
    let damaged = b"version = 1\n[[site]\nname = \"half a site";
    std::fs::write(home.sites_toml(), damaged).unwrap();

    let run = home.run(&["sites", "list"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("is damaged") && run.stderr.contains("sites.toml.damaged-1.bak"),
        "{}",
        run.stderr
    );
    let backup = home.config().join("skiff/sites.toml.damaged-1.bak");
    assert_eq!(std::fs::read(&backup).unwrap(), damaged);

    let run = home.run(&["sites", "add", "new", "ftp://ftp.example.com/"]);
    run.assert_fails_with("nothing was changed");
    assert!(run.stderr.contains("mend"), "{}", run.stderr);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILEZILLA_3_66);
    home.run(&["sites", "import-filezilla", file.to_str().unwrap()])
        .assert_fails_with("nothing was changed");
    home.run(&["sites", "remove", "anything"])
        .assert_fails_with("could not be read");
    assert_eq!(
        std::fs::read(home.sites_toml()).unwrap(),
        damaged,
        "the damaged file is left as it was"
    );
    assert!(
        !home.config().join("skiff/passwords.vault").exists(),
        "no password was saved either"
    );

    // Moved away, as the message says: adding works again.
    std::fs::rename(home.sites_toml(), home.work().join("old-sites.toml")).unwrap();
    home.run(&["sites", "add", "new", "ftp://ftp.example.com/"])
        .assert_ok();
}

#[test]
fn no_config_or_data_file_holds_a_password_in_any_encoding() {
    // pure-ftpd's test user's password differs from its name (vsftpd's does not).
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("f.txt", b"hello");
    let home = Home::new();
    let added = "an added password, long enough";
    home.run(&[
        "sites",
        "add",
        "Home/nas",
        &format!("ftp://user:{}@nas.example/", added.replace(' ', "%20")),
        "--password-store",
        "master-password",
    ])
    .assert_ok();
    home.import_filezilla().assert_ok();
    home.run(&["sites", "add", "vsftpd", &server.url("/")])
        .assert_ok();
    home.run(&["get", "--site", "vsftpd", "/f.txt"]).assert_ok();
    home.run(&["get", "-r", "--site", "vsftpd", "/", "tree"])
        .assert_ok();
    assert_eq!(std::fs::read(home.work().join("f.txt")).unwrap(), b"hello");

    let files: Vec<PathBuf> = files_under(&home.config())
        .into_iter()
        .chain(files_under(&home.data()))
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("sites.toml"))
            && files.iter().any(|f| f.ends_with("passwords.vault")),
        "{files:?}"
    );
    let secrets = FILEZILLA_PASSWORDS
        .iter()
        .copied()
        .chain([added, MASTER, server.password()]);
    for secret in secrets {
        assert_no_file_holds(&files, secret);
    }
}

#[test]
fn a_wrong_master_password_is_a_clear_error_and_changes_nothing() {
    let home = Home::new();
    home.run(&[
        "sites",
        "add",
        "one",
        "ftp://u:first-password@h.example/",
        "--password-store",
        "master-password",
    ])
    .assert_ok();
    let before = std::fs::read(home.sites_toml()).unwrap();
    let vault_before = std::fs::read(home.config().join("skiff/passwords.vault")).unwrap();
    let wrong = [("SKIFF_MASTER_PASSWORD", "not the master password")];
    let run = home.run_env(
        &["sites", "add", "two", "ftp://u:second@h.example/"],
        &wrong,
    );
    run.assert_fails_with("the master password is wrong (SKIFF_MASTER_PASSWORD)");
    home.run_env(&["ls", "--site", "one"], &wrong)
        .assert_fails_with("the master password is wrong");
    home.run_env(&["sites", "add", "three", "ftp://u:third@h.example/"], &[])
        .assert_fails_with("set SKIFF_MASTER_PASSWORD");
    assert_eq!(std::fs::read(home.sites_toml()).unwrap(), before);
    assert_eq!(
        std::fs::read(home.config().join("skiff/passwords.vault")).unwrap(),
        vault_before
    );
}

#[test]
fn an_unreachable_keyring_is_a_clear_error_naming_the_alternatives() {
    let home = Home::new();
    let run = home.run_env(&["sites", "add", "k", "ftp://u:keyring-pw@h.example/"], &[]);
    run.assert_fails_with("the OS keyring is not reachable");
    for alternative in [
        "--password-store master-password",
        "SKIFF_MASTER_PASSWORD",
        "password_store = \"master-password\" in settings.toml",
        "--password-store dont-save",
    ] {
        assert!(
            run.stderr.contains(alternative),
            "{alternative:?}: {}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    assert!(!home.sites_toml().exists(), "nothing was saved");
    // A site without a password needs no store at all.
    home.run_env(&["sites", "add", "anon", "ftp://h.example/"], &[])
        .assert_ok();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILEZILLA_3_66);
    home.run_env(&["sites", "import-filezilla", file.to_str().unwrap()], &[])
        .assert_fails_with("--password-store master-password");
    assert_eq!(home.site_paths(), ["anon"], "the import changed nothing");
}

#[test]
fn skiff_bookmarks_lists_filezillas_site_and_global_bookmarks() {
    let home = Home::new();
    home.import_filezilla().assert_ok();
    let global = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filezilla/bookmarks.xml");
    let run = home.run(&["sites", "import-filezilla", global.to_str().unwrap()]);
    run.assert_ok();
    assert!(
        run.stdout.contains("3 global bookmarks; 0 warning(s)"),
        "{}",
        run.stdout
    );
    assert!(home.config().join("skiff/bookmarks.toml").is_file());

    let run = home.run(&["bookmarks", "--json"]);
    run.assert_ok();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let owned: Vec<(Option<&str>, &str)> = rows
        .iter()
        .map(|r| (r["site"].as_str(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        owned,
        [
            (None, "Downloads"),
            (None, "Server logs"),
            (None, "사진 백업"),
            (Some("한국 서버/자료실"), "Logs"),
            (Some("한국 서버/자료실"), "보고서"),
        ]
    );
    let report = &rows[4];
    assert_eq!(report["remote_dir"], "/pub/자료/보고서");
    assert_eq!(report["sync_browsing"], true);
    assert_eq!(report["directory_comparison"], true);

    let run = home.run(&["bookmarks", "--site", "자료실"]);
    run.assert_ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[1].starts_with("한국 서버/자료실  보고서")
            && lines[1].ends_with("synchronized browsing, directory comparison"),
        "{}",
        run.stdout
    );
    // Back out for FileZilla, and read back the same.
    let out = home.work().join("bookmarks.xml");
    let run = home.run(&["bookmarks", "--export", out.to_str().unwrap()]);
    run.assert_ok();
    assert!(
        run.stdout.contains("Exported 3 global bookmarks"),
        "{}",
        run.stdout
    );
    let back = skiff::sites::filezilla::import(&std::fs::read(&out).unwrap()).unwrap();
    let original = skiff::sites::filezilla::import(&std::fs::read(&global).unwrap()).unwrap();
    assert_eq!(back.bookmarks, original.bookmarks);
    let again = home.run(&["bookmarks", "--export", out.to_str().unwrap()]);
    assert!(
        !again.ok() && again.stderr.contains("--overwrite"),
        "{}",
        again.stderr
    );
    let run = home.run(&["bookmarks", "--site", "nowhere"]);
    assert!(!run.ok(), "{}", run.stdout);
    assert!(
        run.stderr.contains("no site named \"nowhere\""),
        "{}",
        run.stderr
    );
}
