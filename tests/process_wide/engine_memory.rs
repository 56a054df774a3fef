//! A 100,000-file remote tree, expanded lazily by the engine (each directory listed when
//! its item runs), stays within the 80 MiB budget (the whole test process's RSS).
//!
//! The tree is made up on the fly by a small FTP server in this file (loopback only): ten
//! directories of 10,000 files, listed with MLSD. Its downloads never send a byte, so the
//! first files hold their connections while the RSS is read, and nothing is written.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, EngineSettings, ExistsPolicy,
    ItemKind, ItemState, Priority, TransferSpec,
};
use skiff::remote::Server;
use skiff::secret::Secret;

const DIRS: usize = 10;
const FILES_PER_DIR: usize = 10_000;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The MLSD listing of a directory of the made-up tree.
fn listing(dir: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if dir == "/" {
        for d in 0..DIRS {
            out.extend_from_slice(
                format!("type=dir;modify=20240101000000; d{d:03}\r\n").as_bytes(),
            );
        }
    } else {
        for f in 0..FILES_PER_DIR {
            out.extend_from_slice(
                format!("type=file;size=4096;modify=20240101000000; f{f:05}.dat\r\n").as_bytes(),
            );
        }
    }
    out
}

/// Accepts a passive data connection, waiting at most ten seconds.
fn accept_data(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    for _ in 0..1000 {
        match listener.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false).ok()?;
                return Some(conn);
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    None
}

/// One control connection of the made-up server; records each listed directory.
fn serve(stream: TcpStream, listed: &Mutex<Vec<String>>) {
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let mut out = stream.try_clone().unwrap();
    let mut lines = BufReader::new(stream);
    let mut cwd = "/".to_owned();
    let mut data: Option<TcpListener> = None;
    // Held open without a byte: the download stays running until the engine shuts down.
    let mut stalled = Vec::new();
    out.write_all(b"220 made-up tree\r\n").ok();
    // Bounded: a few commands per directory and per started file, far below this.
    for _ in 0..10_000 {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "USER" => "331 password please".into(),
            "PASS" => "230 logged in".into(),
            "SYST" => "215 UNIX Type: L8".into(),
            "FEAT" => "211-Features:\r\n MLSD\r\n EPSV\r\n211 End".into(),
            "PWD" => format!("257 \"{cwd}\""),
            "CWD" => {
                cwd = arg.to_owned();
                "250 ok".into()
            }
            "TYPE" | "NOOP" => "200 ok".into(),
            "EPSV" => {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let port = listener.local_addr().unwrap().port();
                data = Some(listener);
                format!("229 Entering Extended Passive Mode (|||{port}|)")
            }
            "MLSD" => {
                out.write_all(b"150 listing\r\n").ok();
                let Some(mut conn) = data.take().as_ref().and_then(accept_data) else {
                    return;
                };
                conn.write_all(&listing(&cwd)).ok();
                drop(conn);
                listed.lock().unwrap().push(cwd.clone());
                "226 done".into()
            }
            "RETR" => {
                out.write_all(b"150 sending (slowly)\r\n").ok();
                if let Some(conn) = data.take().as_ref().and_then(accept_data) {
                    stalled.push(conn);
                }
                continue;
            }
            "ABOR" => "226 aborted".into(),
            "QUIT" => {
                out.write_all(b"221 bye\r\n").ok();
                return;
            }
            _ => "502 not here".into(),
        };
        if out.write_all(format!("{reply}\r\n").as_bytes()).is_err() {
            return;
        }
    }
}

/// Starts the made-up server on loopback; it takes at most 16 connections within a minute.
fn start_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let listed = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&listed);
    std::thread::Builder::new()
        .name("made-up-tree".into())
        .spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut taken = 0;
            while taken < 16 && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => {
                        taken += 1;
                        conn.set_nonblocking(false).ok();
                        let record = Arc::clone(&record);
                        std::thread::Builder::new()
                            .name("made-up-tree-conn".into())
                            .spawn(move || serve(conn, &record))
                            .unwrap();
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        })
        .unwrap();
    (port, listed)
}

#[test]
fn a_hundred_thousand_file_tree_expands_lazily_under_80_mib() {
    // It reads the whole process's RSS: nothing else may run meanwhile.
    let _alone = crate::alone();
    let (port, listed) = start_server();
    let work = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let before = rss_kib();
    let mut server = Server::ftp("127.0.0.1", port);
    server.credentials.user = Some("tree".into());
    server.credentials.password = Some(Secret::new("tree"));
    let root = TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::DirectoryContents,
        local: work.path().to_path_buf(),
        remote: b"/".to_vec(),
        server: Arc::new(server),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Refuse,
        target_absent: false,
        filters: None,
        expect: None,
    };
    let (files, started, rss) = rt.block_on(async {
        let config = EngineConfig {
            settings: EngineSettings {
                parallel: 2,
                ..EngineSettings::default()
            },
            ..EngineConfig::default()
        };
        let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![root]));
        // Drain events as a face would, until every file is queued and files have started.
        let mut files = std::collections::HashSet::new();
        let mut started = 0;
        let total = DIRS * FILES_PER_DIR;
        // Bounded: about 100,020 events are expected.
        for _ in 0..1_000_000 {
            if files.len() == total && started > 0 {
                break;
            }
            match tokio::time::timeout(Duration::from_secs(60), events.recv()).await {
                Ok(Some(EngineEvent::ItemAdded {
                    id,
                    kind: ItemKind::File,
                    ..
                })) => {
                    files.insert(id);
                }
                Ok(Some(EngineEvent::ItemChanged {
                    id,
                    state: ItemState::Running,
                    ..
                })) if files.contains(&id) => started += 1,
                Ok(Some(EngineEvent::ItemChanged {
                    state: ItemState::Failed,
                    error,
                    ..
                })) => panic!("an item failed: {error:?}"),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        // Read while the queue holds all 100,000 items and the first ones run.
        let rss = rss_kib();
        handle.send(EngineCommand::Shutdown);
        (files.len(), started, rss)
    });
    println!("RSS before {before} KiB, with a 100,000-file tree queued {rss} KiB");
    assert_eq!(files, DIRS * FILES_PER_DIR);
    // Each directory was listed once, when its item ran: the root, then its ten folders.
    let mut listed = listed.lock().unwrap().clone();
    listed.sort();
    let mut expected = vec!["/".to_owned()];
    expected.extend((0..DIRS).map(|d| format!("/d{d:03}")));
    assert_eq!(listed, expected);
    assert!(started > 0, "no file started");
    // The README's figure: measured 59 MiB quiet, 70 MiB with both cores busy (7 MiB of it
    // the process before), budget 80.
    assert!(rss < 80 * 1024, "RSS {rss} KiB");
}
