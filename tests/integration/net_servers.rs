//! The library's `Connection` against real servers for what the CLI matrix does not show:
//! ASCII mode conversion, MDTM/MFMT, NLST, MLST, SIZE of a directory, and the same session
//! reused for many transfers.

use crate::common::seam;
use crate::common::{FtpServer, LogLines, ServerKind};
use skiff::log::LogKind;
use skiff::net::{ConnectOptions, Connection, DataMode};
use skiff::proto::command::TransferType;
use skiff::proto::listing::{EntryKind, Timestamp};

fn connect_options(server: &FtpServer) -> (ConnectOptions, LogLines) {
    server.connect_options()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn ascii_mode_converts_line_endings_both_ways() {
    // vsftpd stores and sends ASCII-mode bytes as they are (ascii_*_enable=NO), so the
    // server's file shows exactly what went over the wire.
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("crlf.txt", b"one\r\ntwo\r\n");
    let work = tempfile::tempdir().unwrap();
    let (options, _) = connect_options(&server);
    let ascii = skiff::remote::DataType::Text;
    runtime().block_on(async {
        let mut conn = seam::connect(options).await.unwrap();
        let local = work.path().join("crlf.txt");
        seam::get_as(conn.as_mut(), b"/crlf.txt", &local, ascii)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&local).unwrap(), b"one\ntwo\n");

        let lf = work.path().join("lf.txt");
        std::fs::write(&lf, b"a\nb\n").unwrap();
        seam::put_as(conn.as_mut(), &lf, b"/lf.txt", ascii)
            .await
            .unwrap();
    });
    assert_eq!(server.read_file("lf.txt").unwrap(), b"a\r\nb\r\n");
}

#[test]
fn mdtm_and_mfmt_round_trip_on_a_server_that_has_mfmt() {
    let server = FtpServer::start(ServerKind::Proftpd);
    server.write_file("t.txt", b"time");
    let (options, lines) = connect_options(&server);
    let when = Timestamp::new(
        2001,
        2,
        3,
        4,
        5,
        6,
        skiff::proto::listing::TimePrecision::Second,
    )
    .unwrap();
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        assert!(conn.features().has("MFMT"));
        assert!(conn.set_modified(b"/t.txt", when).await.unwrap());
        assert_eq!(conn.mdtm(b"/t.txt").await.unwrap(), Some(when));
        assert_eq!(conn.size(b"/t.txt").await.unwrap(), Some(4));
        assert_eq!(conn.size(b"/missing").await.unwrap(), None);
    });
    let commands: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.kind == LogKind::Command)
        .map(|l| l.text.clone())
        .collect();
    assert!(
        commands.contains(&"MFMT 20010203040506 /t.txt".to_owned()),
        "{commands:?}"
    );
}

#[test]
fn mfmt_is_not_sent_to_a_server_without_it() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("t.txt", b"time");
    let (options, lines) = connect_options(&server);
    let when = Timestamp::from_unix_secs(1_000_000_000);
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        assert!(!conn.set_modified(b"/t.txt", when).await.unwrap());
        assert!(conn.mdtm(b"/t.txt").await.unwrap().is_some());
    });
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .all(|l| !l.text.starts_with("MFMT"))
    );
}

#[test]
fn mlsd_mlst_and_nlst_on_pure_ftpd() {
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("d/a.txt", b"12345");
    server.mkdir("d/sub");
    let (options, lines) = connect_options(&server);
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        assert!(conn.features().mlsd());
        let mut entries = conn.list(b"/d").await.unwrap();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0].name, b"a.txt");
        assert_eq!(entries[0].size, Some(5));
        assert_eq!(entries[1].kind, EntryKind::Dir);
        let fact = conn.mlst(b"/d/a.txt").await.unwrap().expect("MLST facts");
        assert_eq!(fact.size, Some(5));
        let mut names = conn.nlst(b"/d").await.unwrap();
        names.retain(|n| n != b"." && n != b"..");
        names.sort();
        assert!(names.iter().any(|n| n.ends_with(b"a.txt")), "{names:?}");
    });
    assert!(lines.lock().unwrap().iter().any(|l| l.text == "MLSD"));
}

#[test]
fn one_session_carries_many_transfers_in_both_modes() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    for mode in [DataMode::Passive, DataMode::Active] {
        let (mut options, _) = connect_options(&server);
        options.data.mode = mode;
        runtime().block_on(async {
            let mut conn = seam::connect(options).await.unwrap();
            for i in 0..12 {
                let name = format!("f{i}-{mode:?}.txt");
                let local = work.path().join(&name);
                std::fs::write(&local, format!("content {i}")).unwrap();
                let remote = format!("/{name}");
                seam::put(conn.as_mut(), &local, remote.as_bytes())
                    .await
                    .unwrap();
                let back = work.path().join(format!("back-{name}"));
                seam::get(conn.as_mut(), remote.as_bytes(), &back)
                    .await
                    .unwrap();
                assert_eq!(
                    std::fs::read(&back).unwrap(),
                    format!("content {i}").as_bytes()
                );
            }
            conn.quit().await;
        });
    }
}

#[test]
fn abort_cancels_a_running_download_and_the_session_goes_on() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let big = vec![0x5a_u8; 32 * 1024 * 1024];
    server.write_file("big.bin", &big);
    let (options, lines) = connect_options(&server);
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        let mut stream = conn
            .retrieve(b"/big.bin", TransferType::Binary, 0)
            .await
            .unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let n = conn.read_data(&mut stream, &mut buf).await.unwrap();
        assert!(n > 0);
        conn.abort_transfer(stream).await.unwrap();
        // The control connection is in step: the next command gets its own reply.
        conn.noop().await.unwrap();
        assert_eq!(
            conn.size(b"/big.bin").await.unwrap(),
            Some(big.len() as u64)
        );
    });
    assert!(lines.lock().unwrap().iter().any(|l| l.text == "ABOR"));
}

#[test]
fn appe_appends_and_cdup_goes_up() {
    use skiff::net::StoreMode;
    let server = FtpServer::start(ServerKind::PureFtpd);
    server.write_file("dir/log.txt", b"first\n");
    let (options, _) = connect_options(&server);
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        let mut stream = conn
            .store(b"/dir/log.txt", TransferType::Binary, StoreMode::Append)
            .await
            .unwrap();
        let written = conn.write_data(&mut stream, b"second\n").await;
        conn.finish_transfer(stream, written).await.unwrap();
        conn.cwd(b"/dir").await.unwrap();
        assert_eq!(conn.pwd().await.unwrap(), b"/dir");
        conn.cdup().await.unwrap();
        assert_eq!(conn.pwd().await.unwrap(), b"/");
    });
    assert_eq!(server.read_file("dir/log.txt").unwrap(), b"first\nsecond\n");
}
