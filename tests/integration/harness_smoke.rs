//! The test harness itself: every server kind starts, greets with 220, lets the test user in,
//! refuses a wrong password, and gets ports of its own. Plain `std::net::TcpStream` only: no
//! Skiff code is involved, so a failure here is the harness's (or the machine's), not Skiff's.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::{FtpServer, ServerKind, ServerOptions, free_port, free_port_range};

const ALL: [ServerKind; 4] = [
    ServerKind::Vsftpd,
    ServerKind::PureFtpd,
    ServerKind::Proftpd,
    ServerKind::Libunftp,
];

/// A control connection that reads whole (also multi-line) replies, with timeouts.
struct Control<'a> {
    server: &'a FtpServer,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl<'a> Control<'a> {
    fn connect(server: &'a FtpServer) -> Self {
        let ip: std::net::IpAddr = server.host().parse().unwrap();
        let stream =
            TcpStream::connect_timeout(&(ip, server.port()).into(), Duration::from_secs(5))
                .unwrap_or_else(|e| {
                    panic!(
                        "{:?}: connect to {}:{}: {e}\n{}",
                        server.kind(),
                        server.host(),
                        server.port(),
                        server.log_tail()
                    )
                });
        // Generous: vsftpd and proftpd pause about a second before a 530.
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        Control {
            server,
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    /// One reply: its code and all its lines. A multi-line reply (`220-...`) ends with the
    /// line that starts with the same code and a space.
    fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        let mut code: Option<String> = None;
        for _ in 0..200 {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).unwrap_or_else(|e| {
                panic!(
                    "{:?}: reading a reply: {e}; so far {text:?}\n{}",
                    self.server.kind(),
                    self.server.log_tail()
                )
            });
            assert!(
                n > 0,
                "{:?}: connection closed; so far {text:?}\n{}",
                self.server.kind(),
                self.server.log_tail()
            );
            text.push_str(&line);
            let first = code.get_or_insert_with(|| line.get(..3).unwrap_or_default().to_owned());
            if line.len() > 3 && line.starts_with(first.as_str()) && line.as_bytes()[3] == b' ' {
                let parsed = first.parse().unwrap_or_else(|_| {
                    panic!("{:?}: not an FTP reply: {text:?}", self.server.kind())
                });
                return (parsed, text);
            }
        }
        panic!(
            "{:?}: reply longer than 200 lines: {text:?}",
            self.server.kind()
        );
    }

    fn expect(&mut self, want: u16, context: &str) -> String {
        let (code, text) = self.reply();
        assert_eq!(
            code,
            want,
            "{:?}: {context}: expected {want}, got {text:?}\n{}",
            self.server.kind(),
            self.server.log_tail()
        );
        text
    }

    fn command(&mut self, line: &str, want: u16) -> String {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
        let shown = if line.starts_with("PASS ") {
            "PASS ****"
        } else {
            line
        };
        self.expect(want, shown)
    }
}

fn login_logout(server: &FtpServer) {
    let mut control = Control::connect(server);
    control.expect(220, "banner");
    control.command(&format!("USER {}", server.user()), 331);
    control.command(&format!("PASS {}", server.password()), 230);
    let pwd = control.command("PWD", 257);
    assert!(pwd.contains("\"/"), "{:?}: PWD: {pwd:?}", server.kind());
    control.command("QUIT", 221);

    let mut control = Control::connect(server);
    control.expect(220, "banner");
    control.command(&format!("USER {}", server.user()), 331);
    control.command("PASS not-the-password", 530);
    // Some servers hang up right after a failed login; QUIT is only polite.
    control.writer.write_all(b"QUIT\r\n").ok();
}

fn smoke(kind: ServerKind) {
    let server = FtpServer::start(kind);
    assert_eq!(server.kind(), kind);
    assert_eq!(server.host(), "127.0.0.1");
    let url = server.url("/a/b.txt");
    assert_eq!(
        url,
        format!(
            "ftp://{}:{}@127.0.0.1:{}/a/b.txt",
            server.user(),
            server.password(),
            server.port()
        )
    );
    assert_eq!(server.url("a/b.txt"), url);
    login_logout(&server);

    // Files written by the test are visible to (and owned by) the server's user.
    server.write_file("dir/sub/hello.txt", b"hello");
    server.mkdir("empty/deeper");
    assert!(server.root().join("empty/deeper").is_dir());
    assert_eq!(
        server.read_file("dir/sub/hello.txt").as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(server.read_file("missing"), None);
    server.write_file_raw_name("raw", b"caf\xe9.txt", b"latin-1 name");
    let names: Vec<Vec<u8>> = std::fs::read_dir(server.root().join("raw"))
        .unwrap()
        .map(|e| {
            use std::os::unix::ffi::OsStrExt as _;
            e.unwrap().file_name().as_bytes().to_vec()
        })
        .collect();
    assert_eq!(names, vec![b"caf\xe9.txt".to_vec()]);
}

#[test]
fn vsftpd_logs_in() {
    smoke(ServerKind::Vsftpd);
}

#[test]
fn pure_ftpd_logs_in() {
    smoke(ServerKind::PureFtpd);
}

#[test]
fn proftpd_logs_in() {
    smoke(ServerKind::Proftpd);
}

#[test]
fn libunftp_logs_in() {
    smoke(ServerKind::Libunftp);
}

#[test]
fn every_kind_logs_in_over_ipv6() {
    // No IPv6 loopback is a failure with the reason (`common::require_ipv6_loopback`).
    crate::common::require_ipv6_loopback();
    for kind in ALL {
        let server = FtpServer::start_with(
            kind,
            ServerOptions {
                bind_v6: true,
                ..ServerOptions::default()
            },
        );
        assert_eq!(server.host(), "::1");
        assert!(
            server
                .url("x")
                .contains(&format!("@[::1]:{}/x", server.port())),
            "{}",
            server.url("x")
        );
        login_logout(&server);
    }
}

#[test]
fn two_servers_get_disjoint_ports() {
    let a = FtpServer::start(ServerKind::Vsftpd);
    let b = FtpServer::start(ServerKind::Vsftpd);
    let ports = |s: &FtpServer| {
        let (lo, hi) = s.pasv_range();
        assert_eq!(hi - lo + 1, 10, "{:?}", s.pasv_range());
        assert!(
            !(lo..=hi).contains(&s.port()),
            "control port {} inside its own passive range {lo}-{hi}",
            s.port()
        );
        let mut all: Vec<u16> = (lo..=hi).collect();
        all.push(s.port());
        all
    };
    let (pa, pb) = (ports(&a), ports(&b));
    assert!(
        pa.iter().all(|p| !pb.contains(p)),
        "overlap: {pa:?} vs {pb:?}"
    );
    assert_ne!(a.root(), b.root());
    login_logout(&a);
    login_logout(&b);

    // Ranges for the client's active mode do not collide with the servers either.
    let (lo, hi) = free_port_range(10);
    assert_eq!(hi - lo, 9);
    assert!((lo..=hi).all(|p| !pa.contains(&p) && !pb.contains(&p)));
    let single = free_port();
    assert!(!(lo..=hi).contains(&single) && !pa.contains(&single) && !pb.contains(&single));
}

#[test]
fn drop_stops_the_server_and_frees_its_port() {
    for kind in ALL {
        let server = FtpServer::start(kind);
        let (port, root) = (server.port(), server.root().to_path_buf());
        drop(server);
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "{kind:?}: port {port} still taken after drop"
        );
        assert!(!root.exists(), "{kind:?}: {} left behind", root.display());
    }
}

fn logged_in(server: &FtpServer) -> Control<'_> {
    let mut control = Control::connect(server);
    control.expect(220, "banner");
    control.command(&format!("USER {}", server.user()), 331);
    control.command(&format!("PASS {}", server.password()), 230);
    control
}

/// Sends `line` and returns the reply, whatever its code.
fn reply_class(control: &mut Control<'_>, line: &str) -> (u16, String) {
    control
        .writer
        .write_all(format!("{line}\r\n").as_bytes())
        .unwrap();
    control.reply()
}

#[test]
fn pasv_address_and_active_mode_options_are_honoured() {
    for kind in ALL {
        // Default: active mode allowed, PASV announces the bind address.
        let server = FtpServer::start(kind);
        let mut control = logged_in(&server);
        let (lo, hi) = server.pasv_range();
        let (code, text) = reply_class(&mut control, "PASV");
        assert_eq!(code, 227, "{kind:?}: {text}");
        let nums: Vec<u16> = text[text.find('(').unwrap() + 1..text.find(')').unwrap()]
            .split(',')
            .map(|n| n.trim().parse().unwrap())
            .collect();
        assert_eq!(&nums[..4], &[127, 0, 0, 1], "{kind:?}: {text}");
        let port = nums[4] * 256 + nums[5];
        assert!(
            (lo..=hi).contains(&port),
            "{kind:?}: {port} not in {lo}-{hi}"
        );
        // libunftp connects to the PORT address at once, the others only for a transfer.
        let client_port = free_port();
        let _listener = std::net::TcpListener::bind(("127.0.0.1", client_port)).unwrap();
        let port_cmd = format!("PORT 127,0,0,1,{},{}", client_port / 256, client_port % 256);
        let (code, text) = reply_class(&mut control, &port_cmd);
        assert_eq!(code, 200, "{kind:?}: {port_cmd}: {text}");
        drop(control);
        drop(server);

        // pasv_address announced, and (except on pure-ftpd, which cannot) no active mode.
        let allow_active = kind == ServerKind::PureFtpd;
        let server = FtpServer::start_with(
            kind,
            ServerOptions {
                pasv_address: Some("127.0.0.2".parse().unwrap()),
                allow_active,
                ..ServerOptions::default()
            },
        );
        let mut control = logged_in(&server);
        let (code, text) = reply_class(&mut control, "PASV");
        assert_eq!(code, 227, "{kind:?}: {text}");
        assert!(text.contains("127,0,0,2,"), "{kind:?}: {text}");
        let (code, text) = reply_class(&mut control, &port_cmd);
        if allow_active {
            assert_eq!(code, 200, "{kind:?}: {port_cmd}: {text}");
            continue;
        }
        assert!(
            code >= 500,
            "{kind:?}: PORT allowed with allow_active = false: {text}\n{}",
            server.log_tail()
        );
        let (code, text) = reply_class(&mut control, "EPSV");
        assert_eq!(code, 229, "{kind:?}: EPSV: {text}");
    }
}

#[test]
#[should_panic(expected = "pure-ftpd cannot refuse PORT/EPRT")]
fn pure_ftpd_refuses_to_start_without_active_mode() {
    FtpServer::start_with(
        ServerKind::PureFtpd,
        ServerOptions {
            allow_active: false,
            ..ServerOptions::default()
        },
    );
}

#[test]
fn vsftpd_without_passive_mode_refuses_pasv_and_epsv_but_allows_port() {
    let server = FtpServer::start_with(
        ServerKind::Vsftpd,
        ServerOptions {
            allow_passive: false,
            ..ServerOptions::default()
        },
    );
    let mut control = logged_in(&server);
    let (code, features) = reply_class(&mut control, "FEAT");
    assert_eq!(code, 211, "{features}");
    assert!(!features.contains("EPSV"), "{features}");
    for verb in ["PASV", "EPSV"] {
        let (code, text) = reply_class(&mut control, verb);
        assert!(
            code >= 500,
            "{verb} allowed with allow_passive = false: {text}"
        );
    }
    let client_port = free_port();
    let _listener = std::net::TcpListener::bind(("127.0.0.1", client_port)).unwrap();
    let port_cmd = format!("PORT 127,0,0,1,{},{}", client_port / 256, client_port % 256);
    let (code, text) = reply_class(&mut control, &port_cmd);
    assert_eq!(code, 200, "{port_cmd}: {text}");
}

#[test]
#[should_panic(expected = "only vsftpd is set up to refuse PASV/EPSV")]
fn only_vsftpd_can_refuse_passive_mode() {
    FtpServer::start_with(
        ServerKind::Proftpd,
        ServerOptions {
            allow_passive: false,
            ..ServerOptions::default()
        },
    );
}
