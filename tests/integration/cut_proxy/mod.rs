//! A TCP proxy for the tests, in front of a real FTP server's control port: it passes the
//! control connection through, rewrites each 229 (EPSV) reply to a data port of its own, and
//! cuts data connections that carry more than `cut_after` bytes, `cuts` times at most.
//! Loopback only; every thread ends when its sockets close.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct CutProxy {
    pub addr: SocketAddr,
    cuts_done: Arc<AtomicUsize>,
}

impl CutProxy {
    pub fn start(server: SocketAddr, cut_after: usize, cuts: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let cuts_done = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&cuts_done);
        std::thread::Builder::new()
            .name("cut-proxy".into())
            .spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { return };
                    let counter = Arc::clone(&counter);
                    std::thread::Builder::new()
                        .name("cut-proxy-control".into())
                        .spawn(move || control(client, server, cut_after, cuts, counter))
                        .unwrap();
                }
            })
            .unwrap();
        Self { addr, cuts_done }
    }

    pub fn cuts_done(&self) -> usize {
        self.cuts_done.load(Ordering::SeqCst)
    }
}

fn control(
    client: TcpStream,
    server: SocketAddr,
    cut_after: usize,
    cuts: usize,
    counter: Arc<AtomicUsize>,
) {
    let Ok(upstream) = TcpStream::connect(server) else {
        return;
    };
    let (mut client_w, mut upstream_w) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    // client -> server: as is.
    let mut client_r = client;
    std::thread::Builder::new()
        .name("cut-proxy-up".into())
        .spawn(move || {
            std::io::copy(&mut client_r, &mut upstream_w).ok();
            upstream_w.shutdown(Shutdown::Write).ok();
        })
        .unwrap();
    // server -> client: line by line, 229 replies rewritten.
    let mut reader = BufReader::new(upstream);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(port) = line.strip_prefix("229 ").and_then(epsv_port) {
            let data = TcpListener::bind("127.0.0.1:0").unwrap();
            let proxy_port = data.local_addr().unwrap().port();
            let target = SocketAddr::new(server.ip(), port);
            let counter = Arc::clone(&counter);
            std::thread::Builder::new()
                .name("cut-proxy-data".into())
                .spawn(move || data_proxy(data, target, cut_after, cuts, counter))
                .unwrap();
            line = format!("229 Entering Extended Passive Mode (|||{proxy_port}|)\r\n");
        }
        if client_w.write_all(line.as_bytes()).is_err() {
            return;
        }
        line.clear();
    }
    client_w.shutdown(Shutdown::Write).ok();
}

fn epsv_port(text: &str) -> Option<u16> {
    let inner = text.split("(|||").nth(1)?;
    inner.split('|').next()?.parse().ok()
}

/// One data connection: both directions copied; the server-to-client side is cut after
/// `cut_after` bytes while cuts remain.
fn data_proxy(
    listener: TcpListener,
    target: SocketAddr,
    cut_after: usize,
    cuts: usize,
    counter: Arc<AtomicUsize>,
) {
    listener.set_nonblocking(false).ok();
    let Ok((client, _)) = listener.accept() else {
        return;
    };
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let (mut client_r, mut server_w) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::Builder::new()
        .name("cut-proxy-data-up".into())
        .spawn(move || {
            std::io::copy(&mut client_r, &mut server_w).ok();
            server_w.shutdown(Shutdown::Write).ok();
        })
        .unwrap();
    let (mut server_r, mut client_w) = (server, client);
    server_r
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok();
    let mut sent = 0usize;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match server_r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if sent + n > cut_after && counter.load(Ordering::SeqCst) < cuts {
            let keep = cut_after.saturating_sub(sent);
            client_w.write_all(&buf[..keep]).ok();
            counter.fetch_add(1, Ordering::SeqCst);
            // Cut both sides, as a dying NAT or a reset would.
            client_w.shutdown(Shutdown::Both).ok();
            server_r.shutdown(Shutdown::Both).ok();
            return;
        }
        if client_w.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    client_w.shutdown(Shutdown::Write).ok();
}
