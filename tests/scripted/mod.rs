//! A scripted FTP server for what real servers never do on cue: replies cut off, stalls,
//! hostile or malformed lines. It plays a fixed script on one connection and records what
//! the client sent. Loopback only; every wait is bounded.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Read one command line; it must start with this verb (the script stops otherwise).
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
    /// Connect to the address of the last PORT/EPRT received, send these bytes, close.
    ActiveSend(Vec<u8>),
}

pub fn send(text: &str) -> Step {
    Step::Send(text.as_bytes().to_vec())
}

pub struct ScriptedServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedServer {
    /// Serves one connection with `script`, then stops.
    pub fn start(script: Vec<Step>) -> Self {
        Self::start_sessions(vec![script])
    }

    /// Serves one connection per script, in order (a client that reconnects), then stops.
    pub fn start_sessions(scripts: Vec<Vec<Step>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind scripted server");
        let addr = listener.local_addr().expect("local addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let thread = std::thread::Builder::new()
            .name("scripted-ftp".into())
            .spawn(move || {
                listener.set_nonblocking(false).ok();
                for script in scripts {
                    let Ok((stream, _)) = listener.accept() else {
                        return;
                    };
                    serve(stream, script, &log);
                }
            })
            .expect("spawn scripted server");
        Self {
            addr,
            received,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "ftp://user:pass@{}/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// Command lines received so far.
    pub fn received(&self) -> Vec<String> {
        self.received.lock().expect("log lock").clone()
    }

    /// Waits for the script to end and returns everything received.
    pub fn finish(mut self) -> Vec<String> {
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
        self.received()
    }
}

/// Plays `script` on one connection, logging what the client sent.
fn serve(stream: std::net::TcpStream, script: Vec<Step>, log: &Arc<Mutex<Vec<String>>>) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    let mut data_listener: Option<TcpListener> = None;
    for step in script {
        match step {
            Step::Send(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Step::Expect(verb) => {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end().to_owned();
                let ok = line
                    .to_ascii_uppercase()
                    .starts_with(&verb.to_ascii_uppercase());
                log.lock().expect("log lock").push(line);
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
                let Some(listener) = data_listener.take() else {
                    return;
                };
                listener.set_nonblocking(true).ok();
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                let conn = loop {
                    match listener.accept() {
                        Ok((conn, _)) => break conn,
                        Err(_) if std::time::Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => return,
                    }
                };
                conn.set_nonblocking(false).ok();
                let mut conn = conn;
                conn.write_all(&bytes).ok();
            }
            Step::ActiveSend(bytes) => {
                let last = log.lock().expect("log lock").last().cloned();
                let Some(addr) = last.as_deref().and_then(parse_active_addr) else {
                    return;
                };
                if let Ok(mut conn) =
                    std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                {
                    conn.write_all(&bytes).ok();
                }
            }
        }
    }
    // Script done: keep the socket until the client goes (bounded by the read timeout).
    let mut rest = String::new();
    while reader.read_line(&mut rest).unwrap_or(0) > 0 {
        log.lock()
            .expect("log lock")
            .push(rest.trim_end().to_owned());
        rest.clear();
    }
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

/// Everything a `Connection::connect` does, up to and including PWD.
pub fn logon_steps() -> Vec<Step> {
    let mut steps = greeting_and_logon(&["SIZE"]);
    steps.extend([Step::Expect("PWD"), send("257 \"/\" is cwd\r\n")]);
    steps
}
