//! The test harness: real FTP servers on loopback, one per test, each with its own root,
//! control port and passive range. vsftpd, pure-ftpd and proftpd run from the Debian
//! packages unpacked by `tests/servers/install.sh`; libunftp runs in-process.
//!
//! A missing server binary is a test failure with instructions, never a skip.
//!
//! The three servers chroot into the test's root and switch to a session user, which takes
//! root. Run as root (CI, containers), the harness starts them directly and their sessions
//! run as the system user `skiffftp`. Run as any other user, it starts them through
//! `sudo -n` and their sessions run as that user, so the files in a server's root stay the
//! user's (see `Privilege`).

#![allow(dead_code)]

mod libunftp_server;
pub mod local_tree;
pub mod log;
mod ports;
pub mod seam;
pub mod secrets;
pub mod sshd;

use std::net::Ipv4Addr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)] // each test binary uses its own part of it
pub use log::{LogLines, capture_log, log_texts};
pub use ports::{free_port, free_port_range};

/// The runtime an engine test drives the engine on: two workers, like the two-core machines
/// CI runs on, so work spawned on it really runs side by side.
pub fn engine_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The system user the servers log in as (created by install.sh).
const SYS_USER: &str = "skiffftp";
const SYS_PASSWORD: &str = "skiffftp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Vsftpd,
    PureFtpd,
    Proftpd,
    Libunftp,
}

/// How a server offers TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerTls {
    #[default]
    None,
    /// AUTH TLS, required for login and data.
    Explicit,
    /// TLS from the first byte.
    Implicit,
}

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub tls: ServerTls,
    /// With TLS: sign the server certificate with a test CA (see `ca_file`) for these SANs
    /// (e.g. `DNS:otherhost.test`) instead of a self-signed one for localhost/127.0.0.1/::1.
    pub ca_signed_for: Option<String>,
    /// With `ca_signed_for`: the certificate expired in 2021.
    pub expired: bool,
    /// Bind ::1 instead of 127.0.0.1 (a machine without ::1 fails the test).
    pub bind_v6: bool,
    /// Announce this address in 227 replies while listening on the bind address.
    pub pasv_address: Option<Ipv4Addr>,
    /// Allow PORT/EPRT.
    pub allow_active: bool,
    /// Allow PASV/EPSV (vsftpd only can refuse them: `pasv_enable=NO`).
    pub allow_passive: bool,
    /// vsftpd only: accept PORT/EPRT to an address other than the client's
    /// (`port_promiscuous=YES`), so a wrong external IP makes the connect-back fail.
    pub port_promiscuous: bool,
    /// pure-ftpd with `tls: Explicit` only: TLS offered (AUTH TLS in FEAT) but not required,
    /// so plain sessions work too (`-Y 1`).
    pub tls_optional: bool,
    /// proftpd only: load mod_digest, which offers checksums (HASH, XSHA256, XMD5, ...).
    pub digest: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            tls: ServerTls::None,
            ca_signed_for: None,
            expired: false,
            bind_v6: false,
            pasv_address: None,
            allow_active: true,
            allow_passive: true,
            port_promiscuous: false,
            tls_optional: false,
            digest: false,
        }
    }
}

enum Running {
    Process(Child),
    InProcess(libunftp_server::Libunftp),
}

pub struct FtpServer {
    kind: ServerKind,
    host: String,
    port: u16,
    pasv: (u16, u16),
    user: String,
    password: String,
    work: tempfile::TempDir,
    root: PathBuf,
    running: Option<Running>,
    tls: ServerTls,
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn package_root() -> PathBuf {
    match std::env::var_os("SKIFF_SERVER_CACHE") {
        Some(cache) => PathBuf::from(cache).join("root"),
        None => repo_dir().join(".server-cache/root"),
    }
}

const INSTALL_HINT: &str = "run `bash tests/servers/install.sh` first";

/// What the server processes run with. Decided once per test process, at the first server
/// started (libunftp, in-process, needs neither).
enum Privilege {
    /// The tests run as root: the servers start directly, their sessions run as the system
    /// user `skiffftp`, and the files a test puts in a server's root are chowned to it.
    Root,
    /// The tests run as this user: the servers start through `sudo -n`, and their sessions
    /// run as the user (vsftpd: the `skiffftp` login becomes a guest login mapped to the
    /// user; pure-ftpd and proftpd: virtual users with the user's uid and gid). Whatever a
    /// server writes in its root is the user's, like what the test writes there.
    User {
        uid: u32,
        gid: u32,
        name: String,
        group: String,
    },
}

/// `id ARGS`, trimmed; panics with `why` when it fails.
fn id(args: &[&str], why: &str) -> String {
    let out = Command::new("id").args(args).output().expect("run id");
    assert!(out.status.success(), "{why}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn privilege() -> &'static Privilege {
    static PRIVILEGE: std::sync::OnceLock<Privilege> = std::sync::OnceLock::new();
    PRIVILEGE.get_or_init(|| {
        let number = |text: String| -> u32 { text.parse().expect("a number from id") };
        let uid = number(id(&["-u"], "id -u failed"));
        if uid == 0 {
            return Privilege::Root;
        }
        let name = id(&["-un"], "id -un failed");
        // Cached sudo credentials (or passwordless sudo) let `sudo -n` through; otherwise
        // sudo asks for the password once, on the terminal (not through the captured test
        // output), and fails at once when there is none.
        let sudo = |args: &[&str], stderr: Stdio| {
            Command::new("sudo")
                .args(args)
                .stdin(Stdio::null())
                .stderr(stderr)
                .status()
        };
        let ready = match sudo(&["-n", "true"], Stdio::null()) {
            Ok(status) if status.success() => true,
            Ok(_) => sudo(
                &[
                    "-v",
                    "-p",
                    "Skiff's tests start the FTP servers as root (they chroot): \
                 [sudo] password for %u: ",
                ],
                Stdio::inherit(),
            )
            .is_ok_and(|status| status.success()),
            Err(err) => panic!(
                "the FTP servers need root (they chroot): run the tests as root, or as a \
                 user who has sudo; `sudo` cannot be run here ({err})"
            ),
        };
        assert!(
            ready,
            "the FTP servers need root (they chroot), and the tests run as {name}: they start \
             the servers with `sudo -n`, which needs passwordless sudo for {name}, or sudo \
             credentials cached on this terminal (`sudo -v`; without a terminal sudo cannot \
             ask), or run the tests as root"
        );
        Privilege::User {
            uid,
            gid: number(id(&["-g"], "id -g failed")),
            name,
            group: id(&["-gn"], "id -gn failed"),
        }
    })
}

/// Fails the test unless this machine has an IPv6 loopback (`::1`): the IPv6 tests need it,
/// CI has it, and a test that cannot run must fail rather than pass without running.
pub fn require_ipv6_loopback() {
    if let Err(err) = std::net::TcpListener::bind((std::net::Ipv6Addr::LOCALHOST, 0)) {
        panic!(
            "this test needs an IPv6 loopback, but binding [::1]:0 failed: {err}. \
             Enable IPv6 on the loopback interface (e.g. `sysctl net.ipv6.conf.lo.disable_ipv6=0`; \
             a Docker container needs IPv6 enabled at its start)"
        );
    }
}

/// A program unpacked by install.sh; a missing one fails the test (never a skip).
fn server_binary(rel: &str) -> PathBuf {
    let root = package_root();
    let path = root.join(rel);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    assert!(
        path.is_file(),
        "{name} not found under {}: {INSTALL_HINT} (looked for {})",
        root.display(),
        path.display()
    );
    path
}

/// A server's work folder (config, logs, keys) and the `root` folder inside it that its
/// sessions serve; the work folder is open to the session user, who must traverse it.
fn server_work(prefix: &str) -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir");
    std::fs::set_permissions(
        work.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let root = work.path().join("root");
    std::fs::create_dir(&root).unwrap();
    (work, root)
}

/// uid and gid of the servers' system user.
fn sys_ids() -> (u32, u32) {
    static IDS: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();
    *IDS.get_or_init(|| {
        let id = |flag: &str| -> u32 {
            let out = Command::new("id")
                .args([flag, SYS_USER])
                .output()
                .expect("run id");
            assert!(
                out.status.success(),
                "system user {SYS_USER} is missing: {INSTALL_HINT}"
            );
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("a number from id")
        };
        (id("-u"), id("-g"))
    })
}

/// uid and gid the server sessions run as (see `Privilege`).
fn session_ids() -> (u32, u32) {
    match privilege() {
        Privilege::Root => sys_ids(),
        Privilege::User { uid, gid, .. } => (*uid, *gid),
    }
}

/// Makes `path` the server sessions' own: as root, chowned to the system user; as a user,
/// it is the user's already.
fn chown(path: &Path) {
    if let Privilege::Root = privilege() {
        let (uid, gid) = sys_ids();
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to the ftp user");
    }
}

/// A server's folder as a test fills it (FTP's root, sshd's home): what is made in it is
/// owned by the servers' user when the tests run as root, so the server may change it.
pub struct ServedRoot<'a> {
    pub root: &'a Path,
    /// Hand what is made to the servers' user (not for an in-process server).
    pub chown: bool,
}

impl ServedRoot<'_> {
    fn own(&self, path: &Path) {
        if self.chown {
            chown(path);
        }
    }

    /// Creates every missing directory of `rel` inside the root.
    pub fn mkdir(&self, rel: &str) {
        let mut path = self.root.to_path_buf();
        for part in Path::new(rel).components() {
            path.push(part);
            if !path.exists() {
                std::fs::create_dir(&path).unwrap();
                self.own(&path);
            }
        }
    }

    /// Writes `rel`, making its folders first.
    pub fn write_file(&self, rel: &str, bytes: &[u8]) {
        if let Some(parent) = Path::new(rel)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            self.mkdir(parent.to_str().unwrap());
        }
        let path = self.root.join(rel);
        std::fs::write(&path, bytes).unwrap();
        self.own(&path);
    }

    /// A file whose name is raw bytes (e.g. EUC-KR), inside `rel_dir`.
    pub fn write_file_raw_name(&self, rel_dir: &str, name: &[u8], bytes: &[u8]) {
        use std::os::unix::ffi::OsStrExt as _;
        if !rel_dir.is_empty() {
            self.mkdir(rel_dir);
        }
        let path = self
            .root
            .join(rel_dir)
            .join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(&path, bytes).unwrap();
        self.own(&path);
    }

    pub fn read_file(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.join(rel)).ok()
    }
}

/// A template from tests/servers with its `{{NAME}}` placeholders filled.
fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let path = repo_dir().join("tests/servers").join(template);
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read config template {}: {e}", path.display()));
    for (name, value) in vars {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    assert!(!text.contains("{{"), "unfilled placeholder in {template}");
    text
}

fn openssl_sha512(password: &str) -> String {
    let out = Command::new("openssl")
        .args(["passwd", "-6", password])
        .output()
        .expect("openssl passwd");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl FtpServer {
    pub fn start(kind: ServerKind) -> FtpServer {
        Self::start_with(kind, ServerOptions::default())
    }

    pub fn start_with(kind: ServerKind, opts: ServerOptions) -> FtpServer {
        assert!(
            opts.allow_passive || kind == ServerKind::Vsftpd,
            "only vsftpd is set up to refuse PASV/EPSV (allow_passive: false): use vsftpd"
        );
        if opts.bind_v6 {
            require_ipv6_loopback();
        }
        let (work, root) = server_work("skiff-ftp-");
        let port = free_port();
        let pasv = free_port_range(10);
        let bind = if opts.bind_v6 { "::1" } else { "127.0.0.1" };
        let (user, password) = match kind {
            ServerKind::Vsftpd => (SYS_USER.to_owned(), SYS_PASSWORD.to_owned()),
            _ => ("tester".to_owned(), "s3cret-pw".to_owned()),
        };
        let mut server = FtpServer {
            kind,
            host: bind.to_owned(),
            port,
            pasv,
            user,
            password,
            root,
            work,
            running: None,
            tls: opts.tls,
        };
        if opts.tls != ServerTls::None {
            server.make_certificate(opts.ca_signed_for.as_deref(), opts.expired);
        }
        let running = match kind {
            ServerKind::Libunftp => {
                assert!(
                    opts.tls == ServerTls::None,
                    "TLS is not set up for the in-process libunftp server"
                );
                Running::InProcess(libunftp_server::Libunftp::start(
                    libunftp_server::LibunftpConfig {
                        root: &server.root,
                        bind: bind.parse().unwrap(),
                        port,
                        pasv,
                        user: &server.user,
                        password: &server.password,
                        pasv_address: opts.pasv_address,
                        allow_active: opts.allow_active,
                    },
                ))
            }
            _ => {
                chown(&server.root);
                Running::Process(server.spawn_process(&opts))
            }
        };
        server.running = Some(running);
        server.wait_ready();
        server
    }

    fn work(&self) -> &Path {
        self.work.path()
    }

    pub fn cert_file(&self) -> PathBuf {
        self.work().join("tls/cert.pem")
    }

    fn key_file(&self) -> PathBuf {
        self.work().join("tls/key.pem")
    }

    /// The test CA that signed the server certificate (with `ca_signed_for`).
    pub fn ca_file(&self) -> PathBuf {
        self.work().join("tls/ca.pem")
    }

    /// The server certificate's SHA-256 fingerprint as OpenSSL prints it (`AB:CD:...`).
    pub fn cert_sha256(&self) -> String {
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(self.cert_file())
            .output()
            .expect("openssl x509");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.trim().rsplit('=').next().unwrap().to_owned()
    }

    /// An EC key and certificate: self-signed for localhost, 127.0.0.1 and ::1, or signed
    /// by a fresh test CA for `ca_signed_for`.
    fn make_certificate(&self, ca_signed_for: Option<&str>, expired: bool) {
        let dir = self.work().join("tls");
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        match ca_signed_for {
            None => openssl(
                &[
                    &["req", "-x509"][..],
                    &ec,
                    &[
                        "-days",
                        "30",
                        "-subj",
                        "/CN=localhost",
                        "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                        "-keyout",
                        "key.pem",
                        "-out",
                        "cert.pem",
                    ],
                ]
                .concat(),
            ),
            Some(san) => {
                openssl(
                    &[
                        &["req", "-x509"][..],
                        &ec,
                        &[
                            "-days",
                            "30",
                            "-subj",
                            "/CN=Skiff Test CA",
                            "-addext",
                            "basicConstraints=critical,CA:TRUE",
                            "-addext",
                            "keyUsage=critical,keyCertSign,cRLSign",
                            "-keyout",
                            "ca-key.pem",
                            "-out",
                            "ca.pem",
                        ],
                    ]
                    .concat(),
                );
                openssl(
                    &[
                        &["req", "-new"][..],
                        &ec,
                        &[
                            "-subj",
                            "/CN=test server",
                            "-keyout",
                            "key.pem",
                            "-out",
                            "leaf.csr",
                        ],
                    ]
                    .concat(),
                );
                std::fs::write(
                    dir.join("leaf.ext"),
                    format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"),
                )
                .unwrap();
                if expired {
                    // `openssl ca` can backdate a certificate; `x509 -req` cannot.
                    std::fs::create_dir_all(dir.join("db")).unwrap();
                    std::fs::write(dir.join("db/index.txt"), b"").unwrap();
                    std::fs::write(dir.join("db/serial"), b"01\n").unwrap();
                    std::fs::write(
                        dir.join("ca.cnf"),
                        "[ca]\ndefault_ca = test\n[test]\ndir = .\ndatabase = ./db/index.txt\n\
                         serial = ./db/serial\nnew_certs_dir = .\ndefault_md = sha256\n\
                         policy = any\nunique_subject = no\n[any]\ncommonName = supplied\n",
                    )
                    .unwrap();
                    openssl(&[
                        "ca",
                        "-batch",
                        "-config",
                        "ca.cnf",
                        "-cert",
                        "ca.pem",
                        "-keyfile",
                        "ca-key.pem",
                        "-in",
                        "leaf.csr",
                        "-extfile",
                        "leaf.ext",
                        "-startdate",
                        "20200101000000Z",
                        "-enddate",
                        "20210101000000Z",
                        "-out",
                        "cert.pem",
                    ]);
                } else {
                    openssl(&[
                        "x509",
                        "-req",
                        "-in",
                        "leaf.csr",
                        "-CA",
                        "ca.pem",
                        "-CAkey",
                        "ca-key.pem",
                        "-CAcreateserial",
                        "-days",
                        "30",
                        "-extfile",
                        "leaf.ext",
                        "-out",
                        "cert.pem",
                    ]);
                }
            }
        }
    }

    fn spawn_process(&self, opts: &ServerOptions) -> Child {
        let work = self.work().to_path_buf();
        // The system user must exist either way: vsftpd logs it in through PAM.
        sys_ids();
        let (uid, gid) = session_ids();
        let mut command = match self.kind {
            ServerKind::Vsftpd => {
                let empty = work.join("empty");
                std::fs::create_dir(&empty).unwrap();
                let listen = if opts.bind_v6 {
                    "listen=NO\nlisten_ipv6=YES\nlisten_address6=::1".to_owned()
                } else {
                    format!("listen=YES\nlisten_ipv6=NO\nlisten_address={}", self.host)
                };
                let conf = fill(
                    "vsftpd.conf.in",
                    &[
                        ("LISTEN", listen),
                        ("PORT", self.port.to_string()),
                        ("ROOT", self.root.display().to_string()),
                        ("WORK", work.display().to_string()),
                        ("PASV_MIN", self.pasv.0.to_string()),
                        ("PASV_MAX", self.pasv.1.to_string()),
                        (
                            "PASV_ADDRESS",
                            opts.pasv_address
                                .map(|a| format!("pasv_address={a}\npasv_addr_resolve=NO"))
                                .unwrap_or_default(),
                        ),
                        (
                            "PORT_ENABLE",
                            if opts.allow_active { "YES" } else { "NO" }.to_owned(),
                        ),
                        (
                            "PASV_ENABLE",
                            if opts.allow_passive { "YES" } else { "NO" }.to_owned(),
                        ),
                    ],
                );
                let mut conf = conf;
                if opts.port_promiscuous {
                    conf.push_str("port_promiscuous=YES\n");
                }
                if let Privilege::User { name, .. } = privilege() {
                    // The skiffftp login runs as the test user, with a local user's rights.
                    conf.push_str(&format!(
                        "guest_enable=YES\nguest_username={name}\nvirtual_use_local_privs=YES\n"
                    ));
                }
                if self.tls != ServerTls::None {
                    conf.push_str(&format!(
                        "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\n\
                         allow_anon_ssl=NO\nforce_local_logins_ssl=YES\nforce_local_data_ssl=YES\n\
                         require_ssl_reuse=YES\nssl_ciphers=HIGH\n",
                        self.cert_file().display(),
                        self.key_file().display()
                    ));
                    if self.tls == ServerTls::Implicit {
                        conf.push_str("implicit_ssl=YES\n");
                    }
                }
                let path = work.join("vsftpd.conf");
                std::fs::write(&path, conf).unwrap();
                let mut c = Command::new(server_binary("usr/sbin/vsftpd"));
                c.arg(path);
                c
            }
            ServerKind::PureFtpd => {
                // Its -N ("NAT mode") does the opposite: it refuses PASV and EPSV.
                assert!(
                    opts.allow_active,
                    "pure-ftpd cannot refuse PORT/EPRT (allow_active: false): use another server"
                );
                let passwd = work.join("pureftpd.passwd");
                let line = format!(
                    "{}:{}:{uid}:{gid}::{}/./::::::::::::\n",
                    self.user,
                    openssl_sha512(&self.password),
                    self.root.display()
                );
                std::fs::write(&passwd, line).unwrap();
                let pdb = work.join("pureftpd.pdb");
                let status = Command::new(server_binary("usr/bin/pure-pw"))
                    .arg("mkdb")
                    .arg(&pdb)
                    .arg("-f")
                    .arg(&passwd)
                    .status()
                    .expect("pure-pw mkdb");
                assert!(status.success(), "pure-pw mkdb failed");
                let args = fill(
                    "pure-ftpd.args.in",
                    &[
                        ("BIND", self.host.clone()),
                        ("PORT", self.port.to_string()),
                        ("PASV_MIN", self.pasv.0.to_string()),
                        ("PASV_MAX", self.pasv.1.to_string()),
                        ("WORK", work.display().to_string()),
                    ],
                );
                std::fs::write(work.join("pure-ftpd.args"), &args).unwrap();
                let mut c = Command::new(server_binary("usr/sbin/pure-ftpd"));
                c.args(
                    args.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#')),
                );
                match self.tls {
                    ServerTls::None => {
                        c.args(["-Y", "0"]);
                    }
                    ServerTls::Explicit => {
                        // -Y 3: TLS required on the control and the data connections;
                        // -Y 1: offered, plain sessions allowed too.
                        let level = if opts.tls_optional { "1" } else { "3" };
                        c.args(["-Y", level, "-2"]).arg(format!(
                            "{},{}",
                            self.cert_file().display(),
                            self.key_file().display()
                        ));
                    }
                    ServerTls::Implicit => panic!("pure-ftpd's implicit TLS is not set up here"),
                }
                if let Some(addr) = opts.pasv_address {
                    c.arg("-P").arg(addr.to_string());
                }
                c
            }
            ServerKind::Proftpd => {
                std::fs::write(
                    work.join("proftpd.passwd"),
                    format!(
                        "{}:{}:{uid}:{gid}::{}:/bin/false\n",
                        self.user,
                        openssl_sha512(&self.password),
                        self.root.display()
                    ),
                )
                .unwrap();
                let group = match privilege() {
                    Privilege::Root => SYS_USER,
                    Privilege::User { group, .. } => group.as_str(),
                };
                std::fs::write(work.join("proftpd.group"), format!("{group}:x:{gid}:\n")).unwrap();
                // proftpd refuses world-readable password files.
                for file in ["proftpd.passwd", "proftpd.group"] {
                    std::fs::set_permissions(
                        work.join(file),
                        std::os::unix::fs::PermissionsExt::from_mode(0o600),
                    )
                    .unwrap();
                }
                let conf = fill(
                    "proftpd.conf.in",
                    &[
                        ("PORT", self.port.to_string()),
                        ("BIND", self.host.clone()),
                        ("IPV6", if opts.bind_v6 { "on" } else { "off" }.to_owned()),
                        ("WORK", work.display().to_string()),
                        ("PASV_MIN", self.pasv.0.to_string()),
                        ("PASV_MAX", self.pasv.1.to_string()),
                        (
                            "MASQUERADE",
                            opts.pasv_address
                                .map(|a| format!("MasqueradeAddress       {a}"))
                                .unwrap_or_default(),
                        ),
                    ],
                );
                let mut conf = conf;
                if !opts.allow_active {
                    conf.push_str("<Limit EPRT PORT>\n  DenyAll\n</Limit>\n");
                }
                if self.tls != ServerTls::None || opts.digest {
                    conf.push_str(&format!(
                        "ModulePath {}\n",
                        package_root().join("usr/lib/proftpd").display()
                    ));
                }
                if opts.digest {
                    conf.push_str("LoadModule mod_digest.c\n");
                }
                if self.tls != ServerTls::None {
                    conf.push_str(&format!(
                        "LoadModule mod_tls.c\nTLSEngine on\nTLSLog {}/proftpd-tls.log\n\
                         TLSProtocol TLSv1.2 TLSv1.3\nTLSECCertificateFile {}\nTLSECCertificateKeyFile {}\n\
                         TLSVerifyClient off\nTLSRenegotiate none\nTLSRequired on\nTLSSessionTickets on\n",
                        work.display(),
                        self.cert_file().display(),
                        self.key_file().display()
                    ));
                    if self.tls == ServerTls::Implicit {
                        conf.push_str("TLSOptions UseImplicitSSL\n");
                    }
                }
                let path = work.join("proftpd.conf");
                std::fs::write(&path, conf).unwrap();
                let mut c = Command::new(server_binary("usr/sbin/proftpd"));
                c.arg("-n").arg("-c").arg(path);
                c
            }
            ServerKind::Libunftp => unreachable!("in-process"),
        };
        if let Privilege::User { .. } = privilege() {
            // Through sudo, in a session of its own (`setsid -f`: its process group, with
            // the per-session children, is its pid), its pid written to `server.pid` for
            // `Drop`; `setsid -w` and sudo end when it ends. vsftpd run as root reads only
            // a config file root owns: it is given to root first.
            let root_owned = match self.kind {
                ServerKind::Vsftpd => vec![work.join("vsftpd.conf")],
                _ => Vec::new(),
            };
            let mut elevated = Command::new("sudo");
            elevated
                .args(["-n", "--", "setsid", "-f", "-w", "sh", "-c"])
                .arg(
                    r#"pid=$1; shift
                    while [ "$1" != -- ]; do chown 0:0 -- "$1" || exit 1; shift; done; shift
                    echo $$ >"$pid" && exec "$@""#,
                )
                .arg("sh")
                .arg(work.join("server.pid"))
                .args(root_owned)
                .arg("--")
                .arg(command.get_program())
                .args(command.get_args());
            command = elevated;
        }
        let out = std::fs::File::create(work.join("server.out")).unwrap();
        command
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            // Its own process group, so Drop also stops the per-session children.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.kind))
    }

    /// Waits until the control port answers with a line starting `220` (with implicit TLS:
    /// until it accepts connections): at most about 10 s, in 50 ms steps, and at most 200
    /// tries. Panics with the server's log tail when it never does, or when it exits.
    fn wait_ready(&mut self) {
        use std::io::BufRead as _;
        const LIMIT: Duration = Duration::from_secs(10);
        let started = Instant::now();
        let addr: std::net::SocketAddr =
            (self.host.parse::<std::net::IpAddr>().unwrap(), self.port).into();
        let mut last = String::from("no attempt");
        for _ in 0..200 {
            match self.running.as_mut() {
                Some(Running::Process(child)) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "{:?} exited at start ({status}):\n{}",
                            self.kind,
                            self.log_tail()
                        );
                    }
                }
                Some(Running::InProcess(server)) => {
                    assert!(
                        !server.finished(),
                        "{:?} ended at start:\n{}",
                        self.kind,
                        self.log_tail()
                    );
                }
                None => {}
            }
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(_) if self.tls == ServerTls::Implicit => {
                    // The 220 comes only after a TLS handshake; accepting is enough.
                    return;
                }
                Ok(stream) => {
                    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
                    let mut line = String::new();
                    match std::io::BufReader::new(stream).read_line(&mut line) {
                        Ok(_) if line.starts_with("220") => return,
                        Ok(_) => last = format!("greeting {line:?}"),
                        Err(e) => last = format!("reading the greeting: {e}"),
                    }
                }
                Err(e) => last = format!("connect: {e}"),
            }
            if started.elapsed() >= LIMIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{:?} did not answer 220 on {addr} within {:.1} s (last: {last}):\n{}",
            self.kind,
            started.elapsed().as_secs_f64(),
            self.log_tail()
        );
    }

    /// Options to log on to this server with the library, and the log they write to.
    pub fn connect_options(&self) -> (skiff::net::ConnectOptions, LogLines) {
        let (log, lines) = capture_log();
        let mut options = skiff::net::ConnectOptions::new(self.host(), self.port());
        options.credentials = skiff::net::Credentials {
            user: Some(self.user.clone()),
            password: Some(skiff::secret::Secret::new(&self.password)),
            account: None,
        };
        options.timeout = Duration::from_secs(10);
        options.log = log;
        (options, lines)
    }

    /// `connect_options` with TLS in `mode` (none, explicit or implicit), trusting this
    /// server's own certificate by its fingerprint, as a user who said "yes" once would.
    pub fn connect_options_with_tls(
        &self,
        mode: skiff::net::tls::TlsMode,
    ) -> (skiff::net::ConnectOptions, LogLines) {
        let (mut options, lines) = self.connect_options();
        options.tls = skiff::net::tls::TlsSettings {
            mode,
            trusted_fingerprints: vec![self.cert_sha256()],
            ..skiff::net::tls::TlsSettings::default()
        };
        (options, lines)
    }

    /// This server as the engine reaches it (`connect_options`, with the engine's limits and
    /// name rules at their defaults), and the log it writes to.
    pub fn server(&self) -> (skiff::remote::Server, LogLines) {
        let (options, lines) = self.connect_options();
        (skiff::remote::Server::from_ftp(options), lines)
    }

    /// `server` with TLS in `mode`, trusting this server's certificate.
    pub fn server_with_tls(
        &self,
        mode: skiff::net::tls::TlsMode,
    ) -> (skiff::remote::Server, LogLines) {
        let (options, lines) = self.connect_options_with_tls(mode);
        (skiff::remote::Server::from_ftp(options), lines)
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    pub fn host(&self) -> String {
        self.host.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    pub fn pasv_range(&self) -> (u16, u16) {
        self.pasv
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ftp://` (or `ftpes://` / `ftps://` with TLS) `USER:PASS@HOST:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let scheme = match self.tls {
            ServerTls::None => "ftp",
            ServerTls::Explicit => "ftpes",
            ServerTls::Implicit => "ftps",
        };
        format!(
            "{scheme}://{}:{}@{host}:{}/{}",
            self.user,
            self.password,
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The root as tests fill it: owned by the ftp user, except libunftp's (in-process).
    fn files(&self) -> ServedRoot<'_> {
        ServedRoot {
            root: &self.root,
            chown: self.kind != ServerKind::Libunftp,
        }
    }

    /// Creates every missing directory of `rel` inside the root, owned by the ftp user.
    pub fn mkdir(&self, rel: &str) {
        self.files().mkdir(rel);
    }

    pub fn write_file(&self, rel: &str, bytes: &[u8]) {
        self.files().write_file(rel, bytes);
    }

    /// A file whose name is raw bytes (e.g. EUC-KR), inside `rel_dir`.
    pub fn write_file_raw_name(&self, rel_dir: &str, name: &[u8], bytes: &[u8]) {
        self.files().write_file_raw_name(rel_dir, name, bytes);
    }

    pub fn read_file(&self, rel: &str) -> Option<Vec<u8>> {
        self.files().read_file(rel)
    }

    /// The last lines of the server's own logs, for failure messages: stdout/stderr, the
    /// server's log files in its work dir, and libunftp's start/stop events.
    pub fn log_tail(&self) -> String {
        let mut out = format!(
            "{:?} on {}:{}, passive {}-{}, work dir {}\n",
            self.kind,
            self.host,
            self.port,
            self.pasv.0,
            self.pasv.1,
            self.work().display()
        );
        if let Some(Running::InProcess(server)) = &self.running {
            out.push_str(&format!("--- libunftp\n{}\n", server.events()));
        }
        for name in [
            "server.out",
            "vsftpd.log",
            "proftpd.log",
            "proftpd-tls.log",
            "pure-ftpd-xfer.log",
        ] {
            if let Ok(text) = std::fs::read_to_string(self.work().join(name)) {
                let lines: Vec<&str> = text.lines().collect();
                let start = lines.len().saturating_sub(30);
                out.push_str(&format!("--- {name}\n{}\n", lines[start..].join("\n")));
            }
        }
        out
    }
}

/// Sends `signal` to the process group `pgid` through the shell's own `kill` (a builtin in
/// dash and bash, so this does not need procps); through `sudo -n` when the servers run
/// that way.
fn kill_group(pgid: u32, signal: &str) {
    let mut command = match privilege() {
        Privilege::Root => Command::new("sh"),
        Privilege::User { .. } => {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "--", "sh"]);
            sudo
        }
    };
    command
        .args(["-c", "kill -s \"$1\" -- \"-$2\" 2>/dev/null", "sh", signal])
        .arg(pgid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok();
}

impl Drop for FtpServer {
    /// Stops the server: TERM to its process group (the server and its per-session
    /// children), KILL after 3 s; libunftp through its shutdown indicator. The work dir with
    /// the root goes with `work` afterwards.
    fn drop(&mut self) {
        match self.running.take() {
            Some(Running::Process(mut child)) => {
                // Through sudo, the server's own group (its pid, in server.pid); without it,
                // the group the child leads. (No server.pid: it never started.)
                let pgid = match privilege() {
                    Privilege::Root => Some(child.id()),
                    Privilege::User { .. } => {
                        std::fs::read_to_string(self.work().join("server.pid"))
                            .ok()
                            .and_then(|pid| pid.trim().parse().ok())
                    }
                };
                if let Some(pgid) = pgid {
                    kill_group(pgid, "TERM");
                }
                for _ in 0..150 {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                // Whatever is left of the group (sessions that ignored TERM), and the leader
                // itself even if the shell's kill failed: then wait() cannot hang.
                if let Some(pgid) = pgid {
                    kill_group(pgid, "KILL");
                }
                child.kill().ok();
                child.wait().ok();
            }
            Some(Running::InProcess(server)) => drop(server),
            None => {}
        }
    }
}
