//! CLI options and outputs against real servers on loopback that the broad scenarios in
//! cli_servers.rs do not look at: the password from SKIFF_PASSWORD, `ls --json` fields for a
//! symbolic link, `get` into the current directory, `--mode auto` falling back to active,
//! `--external-ip`, and `--tls-if-available` upgrading a plain `ftp://` URL.

use std::time::Duration;

use crate::common::{FtpServer, ServerKind, ServerOptions, ServerTls};
use crate::skiff_cmd::{Run, pseudo_random_bytes, sha256, skiff, skiff_with_env};

/// `ftp://USER@HOST:PORT/path`: no password in the URL.
fn url_without_password(server: &FtpServer, path: &str) -> String {
    format!(
        "ftp://{}@{}:{}/{}",
        server.user(),
        server.host(),
        server.port(),
        path.trim_start_matches('/')
    )
}

fn with_password(cwd: &std::path::Path, args: &[&str], password: &str) -> Run {
    skiff_with_env(
        cwd,
        args,
        &[("SKIFF_PASSWORD", password)],
        Duration::from_secs(60),
    )
}

#[test]
fn the_password_comes_from_skiff_password_when_the_url_has_none() {
    // proftpd's test password differs from the user name (vsftpd's does not), so the check
    // that it never reaches the log means something.
    let server = FtpServer::start(ServerKind::Proftpd);
    server.write_file("pub/env.txt", b"logged in by env");
    let work = tempfile::tempdir().unwrap();
    let url = url_without_password(&server, "pub/env.txt");

    // Only the environment knows the password: the logon succeeds and the file arrives.
    let run = with_password(
        work.path(),
        &["get", &url, "env.txt", "--log"],
        server.password(),
    );
    run.assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("env.txt")).unwrap(),
        b"logged in by env"
    );
    let commands = run.log_lines("Command:");
    assert!(
        commands.contains(&format!("USER {}", server.user())),
        "{commands:?}"
    );
    assert!(commands.contains(&"PASS ****".to_owned()), "{commands:?}");
    assert!(
        !run.stderr.contains(server.password()),
        "the password leaked into the log:\n{}",
        run.stderr
    );

    // Without it the same URL cannot log in...
    let run = skiff(work.path(), &["ls", &url_without_password(&server, "pub/")]);
    run.assert_fails_with("530");
    // ... nor with a wrong one.
    let run = with_password(
        work.path(),
        &["ls", &url_without_password(&server, "pub/")],
        "not-the-password",
    );
    run.assert_fails_with("530");

    // A password in the URL wins over the environment.
    let run = with_password(
        work.path(),
        &["ls", &server.url("pub/"), "--json"],
        "not-the-password",
    );
    run.assert_ok();
    assert!(run.stdout.contains("env.txt"), "{}", run.stdout);
}

/// `YYYY-MM-DDTHH:MM:SSZ`, digits where digits belong.
fn is_rfc3339_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn rfc3339_check_accepts_only_the_full_form() {
    assert!(is_rfc3339_utc("2021-03-04T05:06:07Z"));
    assert!(!is_rfc3339_utc("2021-03-04 05:06:07"));
    assert!(!is_rfc3339_utc("2021-03-04"));
    assert!(!is_rfc3339_utc("2021-03-04T05:06:07+00:00"));
    assert!(!is_rfc3339_utc("2021-3-04T05:06:07Z0"));
}

fn set_mtime(path: &std::path::Path, unix_secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_secs(unix_secs))
        .unwrap();
}

fn ls_json(server: &FtpServer, work: &std::path::Path, path: &str) -> Vec<serde_json::Value> {
    let run = skiff(work, &["ls", &server.url(path), "--json"]);
    run.assert_ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("ls --json output");
    rows.as_array().expect("a JSON array").clone()
}

fn row<'a>(rows: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {rows:?}"))
}

/// vsftpd lists with LIST: a symbolic link in the root shows as `kind: "link"` with its
/// target, every row has its permissions, and `modified` is RFC 3339.
#[test]
fn ls_json_shows_links_permissions_and_rfc3339_times_on_vsftpd() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("plain.txt", b"twelve bytes");
    server.mkdir("folder");
    let plain = server.root().join("plain.txt");
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o640)).unwrap();
    // 2021-03-04 05:06:07 UTC: older than six months, so LIST shows the year (and no time).
    set_mtime(&plain, 1_614_834_367);
    std::os::unix::fs::symlink("plain.txt", server.root().join("to-plain")).unwrap();
    std::os::unix::fs::symlink("folder", server.root().join("to-folder")).unwrap();

    let work = tempfile::tempdir().unwrap();
    let rows = ls_json(&server, work.path(), "/");
    assert_eq!(rows.len(), 4, "{rows:?}");

    let link = row(&rows, "to-plain");
    assert_eq!(link["kind"], "link", "{link}");
    assert_eq!(link["target"], "plain.txt", "{link}");
    assert_eq!(link["permissions"], "lrwxrwxrwx", "{link}");
    let dir_link = row(&rows, "to-folder");
    assert_eq!(dir_link["kind"], "link", "{dir_link}");
    assert_eq!(dir_link["target"], "folder", "{dir_link}");

    let file = row(&rows, "plain.txt");
    assert_eq!(file["kind"], "file");
    assert_eq!(file["size"], 12);
    assert_eq!(file["permissions"], "-rw-r-----", "{file}");
    assert!(file["target"].is_null(), "{file}");
    assert_eq!(file["modified"], "2021-03-04T00:00:00Z", "{file}");

    let dir = row(&rows, "folder");
    assert_eq!(dir["kind"], "dir");
    assert!(
        dir["permissions"].as_str().unwrap().starts_with('d'),
        "{dir}"
    );
    for r in &rows {
        let modified = r["modified"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(is_rfc3339_utc(modified), "not RFC 3339: {r}");
    }
}

/// pure-ftpd and proftpd list with MLSD: times to the second, permissions from UNIX.mode,
/// and symbolic links as `kind: "link"` (MLSD carries no target from these servers).
#[test]
fn ls_json_gives_mlsd_times_modes_and_links_on_pure_ftpd_and_proftpd() {
    use std::os::unix::fs::PermissionsExt as _;
    for kind in [ServerKind::PureFtpd, ServerKind::Proftpd] {
        let server = FtpServer::start(kind);
        server.write_file("stamped.txt", b"x");
        let stamped = server.root().join("stamped.txt");
        std::fs::set_permissions(&stamped, std::fs::Permissions::from_mode(0o640)).unwrap();
        set_mtime(&stamped, 1_614_834_367);
        std::os::unix::fs::symlink("stamped.txt", server.root().join("to-stamped")).unwrap();
        let work = tempfile::tempdir().unwrap();
        let rows = ls_json(&server, work.path(), "/");
        assert_eq!(rows.len(), 2, "{kind:?}: {rows:?}");
        let file = row(&rows, "stamped.txt");
        assert_eq!(file["kind"], "file", "{kind:?}: {file}");
        assert_eq!(file["modified"], "2021-03-04T05:06:07Z", "{kind:?}: {file}");
        assert_eq!(file["permissions"], "0640", "{kind:?}: {file}");
        let link = row(&rows, "to-stamped");
        assert_eq!(link["kind"], "link", "{kind:?}: {link}");
        assert!(link["target"].is_null(), "{kind:?}: {link}");
        assert!(
            is_rfc3339_utc(link["modified"].as_str().unwrap()),
            "{kind:?}: {link}"
        );
    }
}

#[test]
fn get_without_a_local_path_writes_into_the_current_directory() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(300_000, 33);
    server.write_file("deep/in/here.bin", &content);
    let work = tempfile::tempdir().unwrap();
    skiff(work.path(), &["get", &server.url("deep/in/here.bin")]).assert_ok();
    let names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["here.bin"], "only the file, under its remote name");
    assert_eq!(
        sha256(&std::fs::read(work.path().join("here.bin")).unwrap()),
        sha256(&content)
    );
}

/// The commands of a run that announce an active data connection.
fn active_announcements(run: &Run) -> Vec<String> {
    run.log_lines("Command:")
        .into_iter()
        .filter(|c| c.starts_with("PORT ") || c.starts_with("EPRT "))
        .collect()
}

/// vsftpd with `pasv_enable=NO` refuses EPSV and PASV: `--mode passive` fails, `--mode auto`
/// falls back to active and both directions work.
#[test]
fn auto_mode_falls_back_to_active_when_the_server_refuses_passive() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            allow_passive: false,
            ..ServerOptions::default()
        },
    );
    let content = pseudo_random_bytes(1_000_003, 41);
    server.write_file("auto.bin", &content);
    let work = tempfile::tempdir().unwrap();

    let run = skiff(
        work.path(),
        &[
            "get",
            &server.url("auto.bin"),
            "passive.bin",
            "--mode",
            "passive",
            "--log",
        ],
    );
    assert!(!run.ok(), "passive mode worked against pasv_enable=NO");
    assert!(!work.path().join("passive.bin").exists());

    let run = skiff(
        work.path(),
        &[
            "get",
            &server.url("auto.bin"),
            "auto.bin",
            "--mode",
            "auto",
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("auto.bin")).unwrap()),
        sha256(&content)
    );
    let commands = run.log_lines("Command:");
    let pasv = commands.iter().position(|c| c == "PASV");
    let eprt = commands.iter().position(|c| c.starts_with("EPRT "));
    assert!(
        matches!((pasv, eprt), (Some(p), Some(e)) if p < e),
        "expected PASV, then EPRT: {commands:?}"
    );
    // With passive mode off, vsftpd's FEAT lists neither EPSV nor PASV, so PASV is tried
    // directly, without an EPSV first.
    let features = run.log_lines("Response:");
    assert!(
        features.iter().any(|r| r == "EPRT") && !features.iter().any(|r| r == "EPSV"),
        "{features:?}"
    );
    assert!(!commands.iter().any(|c| c == "EPSV"), "{commands:?}");
    let status = run.log_lines("Status:");
    assert!(
        status
            .iter()
            .any(|l| l.contains("Passive mode failed") && l.contains("falling back to active mode")),
        "{status:?}"
    );

    // Uploads fall back the same way.
    let upload = pseudo_random_bytes(200_001, 42);
    std::fs::write(work.path().join("up.bin"), &upload).unwrap();
    let run = skiff(
        work.path(),
        &[
            "put",
            "up.bin",
            &server.url("up.bin"),
            "--mode",
            "auto",
            "--log",
        ],
    );
    run.assert_ok();
    assert!(!active_announcements(&run).is_empty(), "{}", run.stderr);
    assert_eq!(
        sha256(&server.read_file("up.bin").unwrap()),
        sha256(&upload)
    );
}

/// A passive data connection that cannot be made (vsftpd announces 127.0.0.2, where nothing
/// listens, and `--use-pasv-address` makes Skiff go there): auto mode goes active.
#[test]
fn auto_mode_falls_back_to_active_when_the_passive_connection_fails() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            pasv_address: Some("127.0.0.2".parse().unwrap()),
            ..ServerOptions::default()
        },
    );
    let content = pseudo_random_bytes(500_000, 43);
    server.write_file("f.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let run = skiff(
        work.path(),
        &[
            "get",
            &server.url("f.bin"),
            "f.bin",
            "--mode",
            "auto",
            "--disable-epsv",
            "--use-pasv-address",
            "--timeout",
            "5",
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("f.bin")).unwrap()),
        sha256(&content)
    );
    let status = run.log_lines("Status:");
    assert!(
        status.iter().any(|l| l.contains("Passive mode failed")
            && l.contains("127.0.0.2")
            && l.contains("falling back to active mode")),
        "{status:?}"
    );
    assert!(!active_announcements(&run).is_empty(), "{}", run.stderr);
}

#[test]
fn external_ip_is_announced_in_active_mode_and_the_transfer_works() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(700_001, 44);
    server.write_file("nat.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let (lo, hi) = crate::common::free_port_range(10);
    let range = format!("{lo}-{hi}");
    let run = skiff(
        work.path(),
        &[
            "get",
            &server.url("nat.bin"),
            "nat.bin",
            "--mode",
            "active",
            "--port-range",
            &range,
            "--external-ip",
            "127.0.0.1",
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("nat.bin")).unwrap()),
        sha256(&content)
    );
    let announced = active_announcements(&run);
    assert!(!announced.is_empty(), "{}", run.stderr);
    for command in &announced {
        assert!(
            command.starts_with("EPRT |1|127.0.0.1|") || command.starts_with("PORT 127,0,0,1,"),
            "{command}"
        );
    }
    let status = run.log_lines("Status:");
    assert!(
        status
            .iter()
            .any(|l| l.starts_with("Active mode: listening on 127.0.0.1:")
                && l.contains(&format!("(port range {range})"))
                && l.ends_with("announcing the configured external address 127.0.0.1")),
        "{status:?}"
    );
}

/// vsftpd requiring TLS, reached through a plain `ftp://` URL: without the flag the logon is
/// refused in plain text; with `--tls-if-available` the session upgrades (AUTH TLS, 234,
/// PBSZ, PROT P) and transfers work both ways.
#[test]
fn tls_if_available_upgrades_when_the_server_accepts_auth_tls() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            tls: ServerTls::Explicit,
            ..ServerOptions::default()
        },
    );
    let content = pseudo_random_bytes(400_009, 45);
    server.write_file("secret.bin", &content);
    let plain_url = |path: &str| {
        let url = server.url(path);
        let rest = url.strip_prefix("ftpes://").expect("an ftpes:// URL");
        format!("ftp://{rest}")
    };
    let fingerprint = server.cert_sha256();
    let work = tempfile::tempdir().unwrap();

    let run = skiff(work.path(), &["ls", &plain_url("/"), "--log"]);
    run.assert_fails_with("530");
    assert!(
        !run.log_lines("Command:").iter().any(|c| c == "AUTH TLS"),
        "{}",
        run.stderr
    );

    let run = skiff(
        work.path(),
        &[
            "get",
            &plain_url("secret.bin"),
            "secret.bin",
            "--tls-if-available",
            "--trust-fingerprint",
            &fingerprint,
            "--log",
        ],
    );
    run.assert_ok();
    assert_eq!(
        sha256(&std::fs::read(work.path().join("secret.bin")).unwrap()),
        sha256(&content)
    );
    let commands = run.log_lines("Command:");
    assert_eq!(
        commands.first().map(String::as_str),
        Some("AUTH TLS"),
        "AUTH TLS must come first: {commands:?}"
    );
    let user = commands
        .iter()
        .position(|c| c.starts_with("USER "))
        .unwrap();
    let prot = commands.iter().position(|c| c == "PROT P").unwrap();
    assert!(
        commands[..prot].contains(&"PBSZ 0".to_owned()),
        "{commands:?}"
    );
    assert!(
        prot < commands
            .iter()
            .position(|c| c.starts_with("RETR "))
            .unwrap(),
        "{commands:?}"
    );
    assert!(user > 0);
    let responses = run.log_lines("Response:");
    assert!(
        responses.iter().any(|r| r.starts_with("234 ")),
        "{responses:?}"
    );
    assert!(
        !run.stderr.contains("continuing without encryption"),
        "{}",
        run.stderr
    );

    // Upload through the upgraded session as well.
    let upload = pseudo_random_bytes(123_457, 46);
    std::fs::write(work.path().join("up.bin"), &upload).unwrap();
    let run = skiff(
        work.path(),
        &[
            "put",
            "up.bin",
            &plain_url("up.bin"),
            "--tls-if-available",
            "--trust-fingerprint",
            &fingerprint,
            "--log",
        ],
    );
    run.assert_ok();
    assert!(run.log_lines("Command:").contains(&"PROT P".to_owned()));
    assert_eq!(
        sha256(&server.read_file("up.bin").unwrap()),
        sha256(&upload)
    );
}

/// `--limit-rate` holds both directions: 2 MiB at 512 KiB/s cannot take less than the
/// limit allows, less the quarter second of burst the limiter grants (3.75 s). A lower
/// bound on the time: a loaded machine only makes it slower, never faster.
#[test]
fn a_limited_transfer_is_never_faster_than_its_limit() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(2 * 1024 * 1024, 7);
    server.write_file("big.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let least = Duration::from_secs_f64((2.0 * 1024.0 - 128.0) / 512.0);

    let (down, up) = (server.url("big.bin"), server.url("up.bin"));
    for args in [["get", &down, "got.bin"], ["put", "got.bin", &up]] {
        let started = std::time::Instant::now();
        skiff(
            work.path(),
            &[&args[..], &["--limit-rate", "512K"]].concat(),
        )
        .assert_ok();
        let took = started.elapsed();
        assert!(
            took >= least,
            "skiff {} of 2 MiB at 512K took {took:?}",
            args[0]
        );
    }
    let got = std::fs::read(work.path().join("got.bin")).unwrap();
    assert_eq!(sha256(&got), sha256(&content));
    assert_eq!(
        sha256(&server.read_file("up.bin").unwrap()),
        sha256(&content)
    );
}

#[test]
fn list_hidden_shows_and_copies_dot_files_that_vsftpd_leaves_out_of_a_bare_list() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("site/.htaccess", b"Deny from all\n");
    server.write_file("site/.well-known/security.txt", b"Contact: x\n");
    server.write_file("site/index.html", b"<p>hi</p>\n");
    let work = tempfile::tempdir().unwrap();
    let url = server.url("site");

    let bare = skiff(work.path(), &["ls", &url]);
    bare.assert_ok();
    assert!(bare.stdout.contains("index.html"), "{}", bare.stdout);
    assert!(
        !bare.stdout.contains(".htaccess"),
        "vsftpd hides it: {}",
        bare.stdout
    );

    let all = skiff(work.path(), &["ls", "--list-hidden", "--log", &url]);
    all.assert_ok();
    assert!(all.stdout.contains(".htaccess"), "{}", all.stdout);
    assert!(all.stdout.contains(".well-known"), "{}", all.stdout);
    assert!(
        all.log_lines("Command:").iter().any(|c| c == "LIST -a"),
        "{}",
        all.stderr
    );

    let copy = work.path().join("copy");
    skiff(
        work.path(),
        &["get", "-r", "--list-hidden", &url, copy.to_str().unwrap()],
    )
    .assert_ok();
    assert_eq!(
        std::fs::read(copy.join(".htaccess")).unwrap(),
        b"Deny from all\n"
    );
    assert_eq!(
        std::fs::read(copy.join(".well-known/security.txt")).unwrap(),
        b"Contact: x\n"
    );
    assert!(copy.join("index.html").is_file());
}
