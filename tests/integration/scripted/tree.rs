//! A scripted FTP server that serves a fixed tree, for listings no real server can send
//! (names with `/`, `..` as a file, a folder that is its own child forever): any number of
//! connections (bounded), each answering USER/PASS/SYST/FEAT/PWD/CWD/TYPE/EPSV/PASV/MLSD/
//! LIST/SIZE/RETR/QUIT from closures over the path. It records every command. Loopback only;
//! every wait and loop is bounded.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder's listing (raw bytes, as sent on the data connection), or `None`: no folder.
pub type ListFn = dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync;
/// A file's contents, or `None`: no file.
pub type FileFn = dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync;
/// What PWD says for a folder (a real server resolves links here).
pub type RealFn = dyn Fn(&[u8]) -> Vec<u8> + Send + Sync;

#[derive(Clone)]
pub struct Tree {
    pub list: Arc<ListFn>,
    pub file: Arc<FileFn>,
    pub real: Arc<RealFn>,
    /// Answer MLSD (with `MLSD` in FEAT) rather than only LIST.
    pub mlsd: bool,
}

/// One MLSD line.
pub fn mlsd_line(kind: &str, name: &[u8], size: usize) -> Vec<u8> {
    let mut line = format!("type={kind};size={size}; ").into_bytes();
    line.extend_from_slice(name);
    line.extend_from_slice(b"\r\n");
    line
}

/// One `ls -l` line (LIST); `kind` is "file", "dir" or "link" (then `name` is
/// `name -> target`).
pub fn list_line(kind: &str, name: &[u8], size: usize) -> Vec<u8> {
    let mode = match kind {
        "dir" => "drwxr-xr-x",
        "link" => "lrwxrwxrwx",
        _ => "-rw-r--r--",
    };
    let mut line = format!("{mode}    1 ftp      ftp      {size:>8} Jan 01  2020 ").into_bytes();
    line.extend_from_slice(name);
    line.extend_from_slice(b"\r\n");
    line
}

/// Connections served at most (a runaway client cannot make threads without end).
const MAX_CONNECTIONS: usize = 16;
/// Commands per connection at most.
const MAX_COMMANDS: usize = 20_000;

pub struct TreeServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TreeServer {
    pub fn start(tree: Tree) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind tree server");
        let addr = listener.local_addr().expect("local addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopping) = (Arc::clone(&received), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("tree-ftp".into())
            .spawn(move || {
                let mut sessions = Vec::new();
                let deadline = Instant::now() + Duration::from_secs(300);
                while !stopping.load(Ordering::Relaxed)
                    && sessions.len() < MAX_CONNECTIONS
                    && Instant::now() < deadline
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (tree, log) = (tree.clone(), Arc::clone(&log));
                            sessions.push(
                                std::thread::Builder::new()
                                    .name("tree-ftp-session".into())
                                    .spawn(move || serve(stream, &tree, &log))
                                    .expect("spawn session"),
                            );
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
                for session in sessions {
                    session.join().ok();
                }
            })
            .expect("spawn tree server");
        Self {
            addr,
            received,
            stop,
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

    /// Command lines received so far, from every connection.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received.lock().expect("log lock").clone()
    }
}

impl Drop for TreeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn join(dir: &[u8], arg: &[u8]) -> Vec<u8> {
    if arg.starts_with(b"/") {
        return arg.to_vec();
    }
    let mut out = dir.to_vec();
    if !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(arg);
    out
}

/// Accepts the client's data connection on `listener` (bounded) and sends `bytes`.
fn send_data(listener: TcpListener, bytes: &[u8]) -> bool {
    listener.set_nonblocking(true).ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok((mut conn, _)) => {
                conn.set_nonblocking(false).ok();
                return conn.write_all(bytes).is_ok();
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return false,
        }
    }
}

fn serve(stream: TcpStream, tree: &Tree, log: &Mutex<Vec<Vec<u8>>>) {
    stream.set_nonblocking(false).ok();
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut say = |text: &str| out.write_all(text.as_bytes()).is_ok();
    if !say("220 tree server\r\n") {
        return;
    }
    let mut cwd = b"/".to_vec();
    let mut data: Option<TcpListener> = None;
    for _ in 0..MAX_COMMANDS {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            return;
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        log.lock().expect("log lock").push(line.clone());
        let (verb, arg) = match line.iter().position(|&b| b == b' ') {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (&line[..], &b""[..]),
        };
        let verb = String::from_utf8_lossy(verb).to_ascii_uppercase();
        let ok = match verb.as_str() {
            "USER" => say("331 password please\r\n"),
            "PASS" => say("230 in\r\n"),
            "SYST" => say("215 UNIX Type: L8\r\n"),
            "FEAT" if tree.mlsd => say("211-Features:\r\n MLSD\r\n SIZE\r\n EPSV\r\n211 End\r\n"),
            "FEAT" => say("211-Features:\r\n SIZE\r\n EPSV\r\n211 End\r\n"),
            "OPTS" | "TYPE" | "NOOP" => say("200 ok\r\n"),
            "PWD" => {
                let real = (tree.real)(&cwd);
                say(&format!(
                    "257 \"{}\" is cwd\r\n",
                    String::from_utf8_lossy(&real)
                ))
            }
            "CWD" => {
                let to = join(&cwd, arg);
                if (tree.list)(&to).is_some() {
                    cwd = to;
                    say("250 ok\r\n")
                } else {
                    say("550 no such folder\r\n")
                }
            }
            "EPSV" | "PASV" => {
                let listener = TcpListener::bind("127.0.0.1:0").expect("data bind");
                let port = listener.local_addr().expect("data addr").port();
                data = Some(listener);
                if verb == "EPSV" {
                    say(&format!("229 Extended Passive Mode (|||{port}|)\r\n"))
                } else {
                    say(&format!(
                        "227 Entering Passive Mode (127,0,0,1,{},{})\r\n",
                        port >> 8,
                        port & 0xff
                    ))
                }
            }
            "MLSD" | "LIST" => {
                let dir = if arg.is_empty() || arg.starts_with(b"-") {
                    cwd.clone()
                } else {
                    join(&cwd, arg)
                };
                match ((tree.list)(&dir), data.take()) {
                    (Some(listing), Some(listener)) => {
                        say("150 here it comes\r\n")
                            && send_data(listener, &listing)
                            && say("226 done\r\n")
                    }
                    _ => say("550 cannot list\r\n"),
                }
            }
            "SIZE" => match (tree.file)(&join(&cwd, arg)) {
                Some(bytes) => say(&format!("213 {}\r\n", bytes.len())),
                None => say("550 no such file\r\n"),
            },
            "RETR" => match ((tree.file)(&join(&cwd, arg)), data.take()) {
                (Some(bytes), Some(listener)) => {
                    say("150 here it comes\r\n")
                        && send_data(listener, &bytes)
                        && say("226 done\r\n")
                }
                _ => say("550 no such file\r\n"),
            },
            "QUIT" => {
                say("221 bye\r\n");
                return;
            }
            _ => say("502 not here\r\n"),
        };
        if !ok {
            return;
        }
    }
}
