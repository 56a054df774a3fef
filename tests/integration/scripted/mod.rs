//! A scripted FTP server for what real servers never do on cue: replies cut off, stalls,
//! hostile or malformed lines. It plays a fixed script per connection (one, or a sequence
//! for a client that reconnects) and records what the client sent. Loopback only; every
//! wait is bounded.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod tree;

// The harness's message log, so a scripted test hands out the same kind of log.
pub use crate::common::log::{LogLines, capture_log, log_texts};

#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes (a failed write ends the script and is noted as "send failed").
    Send(Vec<u8>),
    /// Read one command line; it must start with this verb (the script stops otherwise;
    /// a closed connection is noted as "client closed").
    Expect(&'static str),
    /// Sleep (to make the client's timeout fire).
    Stall(Duration),
    /// Close the connection.
    Close,
    /// Listen on 127.0.0.1 and send a 227 announcing `ip` with the listener's port.
    Pasv { announce: std::net::Ipv4Addr },
    /// Listen on 127.0.0.1 and send a 229 with the listener's port.
    Epsv,
    /// Accept the client's data connection on the last listener, send these bytes, close.
    DataSend(Vec<u8>),
    /// Like `DataSend`, but the data connection stays open (silent) until the script ends:
    /// a transfer that stalls, or one the client cancels.
    DataSendHold(Vec<u8>),
    /// Accept the client's data connection and send `pattern` again and again until the
    /// client closes it or `up_to` bytes went out: an endless listing. Notes
    /// "repeated N bytes" with what was sent.
    DataSendRepeated { pattern: Vec<u8>, up_to: u64 },
    /// Send `pattern` a byte at a time, one every `every`, over and over, until the client
    /// closes or `for_at_most` has passed: a server dripping its reply. Notes "dripped N
    /// bytes until the client closed" (or "for the whole time").
    Drip {
        pattern: Vec<u8>,
        every: Duration,
        for_at_most: Duration,
    },
    /// `Drip` on the client's data connection (then closed): a listing that never ends.
    DataDrip {
        pattern: Vec<u8>,
        every: Duration,
        for_at_most: Duration,
    },
    /// Connect to the address of the last PORT/EPRT received, send these bytes, close.
    ActiveSend(Vec<u8>),
    /// Connect to the last PORT/EPRT address from `source` (bound before connecting), send
    /// these bytes, and note whether the client closed that connection ("intruder closed")
    /// or kept it ("intruder kept"), waiting at most five seconds.
    ActiveSendFrom {
        source: std::net::IpAddr,
        bytes: Vec<u8>,
    },
}

pub fn send(text: &str) -> Step {
    Step::Send(text.as_bytes().to_vec())
}

pub struct ScriptedServer {
    pub addr: SocketAddr,
    /// Command lines received, per connection in the order they were accepted.
    received: Arc<Mutex<Vec<Vec<String>>>>,
    /// What the server observed besides commands ("send failed", "intruder closed").
    notes: Arc<Mutex<Vec<String>>>,
    threads: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
    acceptor: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedServer {
    /// Serves one connection with `script`, then stops.
    pub fn start(script: Vec<Step>) -> Self {
        Self::start_sequence(vec![script])
    }

    /// Serves one connection per script, each on its own thread, in the order they come;
    /// then the listener closes, so a further connection is refused. Each accept waits at
    /// most 20 seconds.
    pub fn start_sequence(scripts: Vec<Vec<Step>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind scripted server");
        let addr = listener.local_addr().expect("local addr");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let received = Arc::new(Mutex::new(Vec::new()));
        let notes = Arc::new(Mutex::new(Vec::new()));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let (log, note, spawned) = (
            Arc::clone(&received),
            Arc::clone(&notes),
            Arc::clone(&threads),
        );
        let acceptor = std::thread::Builder::new()
            .name("scripted-ftp-accept".into())
            .spawn(move || {
                for script in scripts {
                    let deadline = Instant::now() + Duration::from_secs(20);
                    let stream = loop {
                        match listener.accept() {
                            Ok((stream, _)) => break stream,
                            Err(_) if Instant::now() < deadline => {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            Err(_) => return,
                        }
                    };
                    stream.set_nonblocking(false).ok();
                    let index = {
                        let mut all = log.lock().expect("log lock");
                        all.push(Vec::new());
                        all.len() - 1
                    };
                    let (log, note) = (Arc::clone(&log), Arc::clone(&note));
                    let thread = std::thread::Builder::new()
                        .name("scripted-ftp".into())
                        .spawn(move || serve(stream, script, index, &log, &note))
                        .expect("spawn scripted connection");
                    spawned.lock().expect("threads lock").push(thread);
                }
            })
            .expect("spawn scripted server");
        Self {
            addr,
            received,
            notes,
            threads,
            acceptor: Some(acceptor),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "ftp://user:pass@{}/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// Command lines received so far, all connections in order.
    pub fn received(&self) -> Vec<String> {
        self.received
            .lock()
            .expect("log lock")
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Command lines received so far, per connection.
    pub fn received_per_connection(&self) -> Vec<Vec<String>> {
        self.received.lock().expect("log lock").clone()
    }

    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().expect("notes lock").clone()
    }

    /// The bytes a `DataSendRepeated` sent before the client stopped reading (or its end).
    pub fn repeated_bytes(&self) -> u64 {
        self.notes()
            .iter()
            .find_map(|n| {
                n.strip_prefix("repeated ")?
                    .strip_suffix(" bytes")?
                    .parse()
                    .ok()
            })
            .expect("the data connection was used")
    }

    /// Waits for every script to end and returns everything received.
    pub fn finish(mut self) -> Vec<String> {
        self.join();
        self.received()
    }

    /// Waits for every script to end.
    pub fn join(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().ok();
        }
        let threads = std::mem::take(&mut *self.threads.lock().expect("threads lock"));
        for thread in threads {
            thread.join().ok();
        }
    }
}

/// Plays `script` on one connection, recording what it reads into `log[index]`.
fn serve(
    stream: TcpStream,
    script: Vec<Step>,
    index: usize,
    log: &Mutex<Vec<Vec<String>>>,
    notes: &Mutex<Vec<String>>,
) {
    let record = |line: String| log.lock().expect("log lock")[index].push(line);
    let note = |text: &str| notes.lock().expect("notes lock").push(text.to_owned());
    let last_active_addr = || {
        log.lock().expect("log lock")[index]
            .iter()
            .rev()
            .find_map(|line| parse_active_addr(line))
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    let mut data_listener: Option<TcpListener> = None;
    // Data connections held open until the script ends.
    let mut held = Vec::new();
    for step in script {
        match step {
            Step::Send(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    note("send failed");
                    return;
                }
            }
            Step::Expect(verb) => {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    note("client closed");
                    return;
                }
                let line = line.trim_end().to_owned();
                let ok = line
                    .to_ascii_uppercase()
                    .starts_with(&verb.to_ascii_uppercase());
                record(line);
                if !ok {
                    return;
                }
            }
            Step::Stall(d) => std::thread::sleep(d),
            Step::Close => return,
            Step::Pasv { announce } => {
                let listener = TcpListener::bind("127.0.0.1:0").expect("data bind");
                let port = listener.local_addr().expect("data addr").port();
                let [a, b, c, d] = announce.octets();
                let line = format!(
                    "227 Entering Passive Mode ({a},{b},{c},{d},{},{})\r\n",
                    port >> 8,
                    port & 0xff
                );
                data_listener = Some(listener);
                if writer.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
            Step::Epsv => {
                let listener = TcpListener::bind("127.0.0.1:0").expect("data bind");
                let port = listener.local_addr().expect("data addr").port();
                let line = format!("229 Entering Extended Passive Mode (|||{port}|)\r\n");
                data_listener = Some(listener);
                if writer.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
            Step::DataSend(bytes) => {
                let Some(mut conn) = data_listener.take().and_then(|l| accept_data(&l)) else {
                    return;
                };
                conn.write_all(&bytes).ok();
            }
            Step::DataSendRepeated { pattern, up_to } => {
                let Some(mut conn) = data_listener.take().and_then(|l| accept_data(&l)) else {
                    return;
                };
                let mut sent = 0u64;
                while sent < up_to && conn.write_all(&pattern).is_ok() {
                    sent += pattern.len() as u64;
                }
                note(&format!("repeated {sent} bytes"));
            }
            Step::Drip {
                pattern,
                every,
                for_at_most,
            } => drip(&mut writer, &pattern, every, for_at_most, note),
            Step::DataDrip {
                pattern,
                every,
                for_at_most,
            } => {
                let Some(mut conn) = data_listener.take().and_then(|l| accept_data(&l)) else {
                    return;
                };
                drip(&mut conn, &pattern, every, for_at_most, note);
            }
            Step::DataSendHold(bytes) => {
                let Some(mut conn) = data_listener.take().and_then(|l| accept_data(&l)) else {
                    return;
                };
                conn.write_all(&bytes).ok();
                held.push(conn);
            }
            Step::ActiveSend(bytes) => {
                let Some(addr) = last_active_addr() else {
                    return;
                };
                if let Ok(mut conn) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                    conn.write_all(&bytes).ok();
                }
            }
            Step::ActiveSendFrom { source, bytes } => {
                let Some(addr) = last_active_addr() else {
                    return;
                };
                match connect_from(source, addr) {
                    Some(mut conn) => {
                        conn.write_all(&bytes).ok();
                        conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
                        let mut buf = [0u8; 64];
                        match conn.read(&mut buf) {
                            Ok(0) => note("intruder closed"),
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                                note("intruder closed")
                            }
                            Ok(_) | Err(_) => note("intruder kept"),
                        }
                    }
                    None => note("intruder could not connect"),
                }
            }
        }
    }
    // Script done: keep the socket until the client goes (bounded by the read timeout).
    let mut rest = String::new();
    while reader.read_line(&mut rest).unwrap_or(0) > 0 {
        record(rest.trim_end().to_owned());
        rest.clear();
    }
    drop(held);
}

/// Writes `pattern` a byte at a time, one every `every`, until a write fails or
/// `for_at_most` has passed; notes how many bytes went out.
fn drip(
    to: &mut TcpStream,
    pattern: &[u8],
    every: Duration,
    for_at_most: Duration,
    note: impl Fn(&str),
) {
    let until = Instant::now() + for_at_most;
    let mut sent = 0usize;
    let mut ended = "for the whole time";
    for &byte in pattern.iter().cycle() {
        if Instant::now() >= until {
            break;
        }
        if to.write_all(&[byte]).is_err() {
            ended = "until the client closed";
            break;
        }
        sent += 1;
        std::thread::sleep(every);
    }
    note(&format!("dripped {sent} bytes {ended}"));
}

/// Accepts the client's data connection, waiting at most ten seconds.
fn accept_data(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false).ok()?;
                return Some(conn);
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return None,
        }
    }
}

/// A TCP connection to `addr` from the local address `source` (port chosen by the system).
fn connect_from(source: std::net::IpAddr, addr: SocketAddr) -> Option<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let socket = match source {
            std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4().ok()?,
            std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6().ok()?,
        };
        socket.bind(SocketAddr::new(source, 0)).ok()?;
        let stream = tokio::time::timeout(Duration::from_secs(5), socket.connect(addr))
            .await
            .ok()?
            .ok()?;
        stream.into_std().ok()
    })
    .and_then(|s| s.set_nonblocking(false).ok().map(|()| s))
}

/// The address a PORT or EPRT line announces.
fn parse_active_addr(line: &str) -> Option<SocketAddr> {
    if let Some(arg) = line.strip_prefix("PORT ") {
        let n: Vec<u16> = arg
            .split(',')
            .map(|f| f.trim().parse().ok())
            .collect::<Option<_>>()?;
        if n.len() != 6 {
            return None;
        }
        return format!("{}.{}.{}.{}:{}", n[0], n[1], n[2], n[3], n[4] * 256 + n[5])
            .parse()
            .ok();
    }
    let arg = line.strip_prefix("EPRT ")?;
    let delim = arg.chars().next()?;
    let parts: Vec<&str> = arg.split(delim).collect();
    let ip: std::net::IpAddr = parts.get(2)?.parse().ok()?;
    Some(SocketAddr::new(ip, parts.get(3)?.parse().ok()?))
}

/// The greeting, logon, SYST and a FEAT reply listing `features`.
pub fn greeting_and_logon(features: &[&str]) -> Vec<Step> {
    let mut feat = String::from("211-Features:\r\n");
    for f in features {
        feat.push_str(&format!(" {f}\r\n"));
    }
    feat.push_str("211 End\r\n");
    vec![
        send("220 scripted\r\n"),
        Step::Expect("USER"),
        send("331 password please\r\n"),
        Step::Expect("PASS"),
        send("230 in\r\n"),
        Step::Expect("SYST"),
        send("215 UNIX Type: L8\r\n"),
        Step::Expect("FEAT"),
        Step::Send(feat.into_bytes()),
    ]
}

/// The logon, then the PWD and TYPE I a download or upload starts with.
pub fn logon_for_binary_transfer(features: &[&str]) -> Vec<Step> {
    let mut steps = greeting_and_logon(features);
    steps.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE I"),
        send("200 ok\r\n"),
    ]);
    steps
}

/// A download of a `size`-byte file (`size_reply` answers SIZE): EPSV, RETR answered by
/// `opening` (its 1xx replies), then `data` on the data connection and `after` on the
/// control connection.
pub fn retr_steps(size_reply: &str, opening: &str, data: Step, after: &str) -> Vec<Step> {
    let mut script = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    script.extend([
        Step::Expect("SIZE"),
        send(size_reply),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR"),
        send(opening),
        data,
        send(after),
    ]);
    script
}

/// A listing of `/` (`command`: LIST or MLSD, as `features` lead the client to choose):
/// logon, PWD, CWD, TYPE A, EPSV, the command answered by `opening`, then `data` on the
/// data connection and `after` on the control connection.
pub fn list_steps(
    features: &[&str],
    command: &'static str,
    opening: &str,
    data: Step,
    after: &str,
) -> Vec<Step> {
    let mut script = greeting_and_logon(features);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("CWD /"),
        send("250 ok\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect(command),
        send(opening),
        data,
        send(after),
    ]);
    script
}

/// `Connection::connect` to a server playing `script`, which must fail: the error, and
/// the server (for what it noted).
pub fn connect_error(
    script: Vec<Step>,
    timeout: Duration,
) -> (skiff::net::FtpError, ScriptedServer) {
    let server = ScriptedServer::start(script);
    let (options, _) = client_options(&server, timeout);
    let err = runtime()
        .block_on(skiff::net::Connection::connect(options))
        .err()
        .expect("the connection must fail");
    (err, server)
}

/// Options for a library client of `server` (user "user", password "pass", every wait
/// bounded by `timeout`), and the log it writes to.
pub fn client_options(
    server: &ScriptedServer,
    timeout: Duration,
) -> (skiff::net::ConnectOptions, LogLines) {
    let (log, lines) = capture_log();
    let mut options =
        skiff::net::ConnectOptions::new(server.addr.ip().to_string(), server.addr.port());
    options.credentials.user = Some("user".into());
    options.credentials.password = Some(skiff::secret::Secret::new("pass"));
    options.timeout = timeout;
    options.log = log;
    (options, lines)
}

/// A runtime for one test's client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Everything a `Connection::connect` does, up to and including PWD.
pub fn logon_steps() -> Vec<Step> {
    let mut steps = greeting_and_logon(&["SIZE"]);
    steps.extend([Step::Expect("PWD"), send("257 \"/\" is cwd\r\n")]);
    steps
}
