//! Hostile and broken servers at the network layer: reply lines that never end, multi-line
//! replies closed by another code, stalls mid-reply and mid-transfer, malformed 227/229
//! replies, and a stranger connecting to the active-mode listener. The scripted server
//! plays the server; the client is the real `Connection` (and `transfer::download`) over
//! loopback. Every timeout here is a configured one of 1 s.

use std::time::Duration;

use crate::common::seam;
use crate::scripted::{
    LogLines, ScriptedServer, Step, client_options, greeting_and_logon as logon, log_texts,
    logon_for_binary_transfer, retr_steps, runtime, send,
};
use skiff::log::LogKind;
use skiff::net::{ConnectOptions, Connection, DataMode, FtpError, RetryClass};
use skiff::proto::command::TransferType;

fn options(server: &ScriptedServer) -> (ConnectOptions, LogLines) {
    client_options(server, Duration::from_secs(1))
}

fn connect_error(script: Vec<Step>) -> (FtpError, ScriptedServer) {
    crate::scripted::connect_error(script, Duration::from_secs(1))
}

#[test]
fn a_10_mb_reply_line_without_crlf_is_refused_at_64_kib() {
    let mut line = b"220 ".to_vec();
    line.resize(10 * 1024 * 1024, b'x');
    let (err, server) = connect_error(vec![Step::Send(line), Step::Expect("USER")]);
    assert_eq!(
        err.to_string(),
        "the server sent a reply line longer than 65536 bytes"
    );
    assert_eq!(err.retry_class(), RetryClass::Permanent);
    let mut server = server;
    server.join();
    // The client gave up and closed: the server's write of the rest failed, or its next
    // read found the connection closed. No command was ever sent.
    assert!(server.received().is_empty(), "{:?}", server.received());
    assert!(
        server
            .notes()
            .iter()
            .any(|n| n == "send failed" || n == "client closed"),
        "{:?}",
        server.notes()
    );
}

#[test]
fn a_multi_line_reply_over_1_mib_is_refused() {
    let mut banner = Vec::new();
    for i in 0..12_000 {
        banner.extend_from_slice(format!("220-line {i:05} {}\r\n", "y".repeat(90)).as_bytes());
    }
    let (err, _) = connect_error(vec![Step::Send(banner), Step::Expect("USER")]);
    assert_eq!(
        err.to_string(),
        "the server sent a reply longer than 1048576 bytes"
    );
}

#[test]
fn a_multi_line_reply_is_not_ended_by_another_code() {
    // "230 " inside a 331- block is text, not a logon: the reply never ends, the timeout
    // fires, and PASS is never sent.
    let (err, server) = connect_error(vec![
        send("220 scripted\r\n"),
        Step::Expect("USER"),
        send("331-Password required\r\n230 Logged in (not really)\r\n"),
        Step::Stall(Duration::from_secs(3)),
    ]);
    assert_eq!(
        err.to_string(),
        "the server's reply was still incomplete after 1 s while logging in \
         (it sends too slowly, or its reply never ends)"
    );
    assert_eq!(server.finish(), ["USER user"]);

    // When the same code closes it later, the other code's line is part of the reply.
    let mut script = vec![
        send("220 scripted\r\n"),
        Step::Expect("USER"),
        send("331-Password required\r\n230 inside the block\r\n331 Send it\r\n"),
    ];
    script.extend(logon(&[]).into_iter().skip(3));
    script.extend([Step::Expect("PWD"), send("257 \"/\"\r\n")]);
    let server = ScriptedServer::start(script);
    let (options, lines) = options(&server);
    let conn = runtime().block_on(Connection::connect(options)).unwrap();
    drop(conn);
    let received = server.finish();
    assert_eq!(received[..2], ["USER user", "PASS pass"]);
    let responses = log_texts(&lines, LogKind::Response);
    assert!(
        responses.contains(&"230 inside the block".to_owned()),
        "{responses:?}"
    );
}

#[test]
fn a_server_that_stalls_mid_reply_hits_the_timeout() {
    let (err, server) = connect_error(vec![
        send("220-Welcome\r\n220 almost th"),
        Step::Stall(Duration::from_secs(3)),
    ]);
    assert_eq!(
        err.to_string(),
        "the server's reply was still incomplete after 1 s while waiting for the welcome message \
         (it sends too slowly, or its reply never ends)"
    );
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert!(server.finish().is_empty());
}

/// A RETR whose data connection delivers 1,000 bytes and then goes silent, open.
fn stalled_download_script() -> Vec<Step> {
    let data = Step::DataSendHold(vec![7u8; 1000]);
    let mut script = retr_steps("213 100000\r\n", "150 sending\r\n", data, "");
    script.push(Step::Stall(Duration::from_secs(4)));
    script
}

#[test]
fn a_transfer_that_stalls_mid_way_hits_the_timeout_and_keeps_the_part_file() {
    let server = ScriptedServer::start(stalled_download_script());
    let (options, _) = options(&server);
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("big.bin");
    let err = runtime()
        .block_on(async {
            let mut conn = seam::connect(options).await?;
            seam::get(conn.as_mut(), b"/big.bin", &target).await
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "timed out after 1 s while receiving data");
    assert_eq!(err.retry_class(), skiff::remote::RetryClass::Transient);
    assert!(!target.exists(), "a stalled download is never complete");
    let part = std::fs::read(work.path().join("big.bin.part")).unwrap();
    assert_eq!(part, vec![7u8; 1000], "what arrived is kept for a resume");
}

/// PWD and TYPE, then the passive command (EPSV when `features` list it) with `reply`.
fn passive_script(features: &[&str], verb: &'static str, reply: &str) -> Vec<Step> {
    let mut script = logon(features);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect(verb),
        Step::Send(format!("{reply}\r\n").into_bytes()),
    ]);
    script
}

fn nlst_error(script: Vec<Step>) -> (FtpError, Vec<String>, Vec<String>) {
    let server = ScriptedServer::start(script);
    let (options, lines) = options(&server);
    let err = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            conn.nlst(b"").await
        })
        .unwrap_err();
    let received = server.finish();
    (err, received, log_texts(&lines, LogKind::Status))
}

/// A malformed passive reply is an error naming what is wrong (`expected`); no data
/// connection is attempted and nothing is sent that would need one.
#[track_caller]
fn assert_refused_before_connecting(script: Vec<Step>, reply: &str, expected: &str) {
    let (err, received, status) = nlst_error(script);
    assert!(matches!(err, FtpError::Pasv(_)), "{reply}: {err}");
    assert!(err.to_string().contains(expected), "{reply}: {err}");
    assert!(
        status
            .iter()
            .all(|l| !l.contains("Opening data connection")),
        "{reply}: {status:?}"
    );
    assert!(
        !received.iter().any(|l| l.starts_with("NLST")),
        "{received:?}"
    );
}

#[test]
fn malformed_227_replies_are_errors_without_a_connection_attempt() {
    for (reply, expected) in [
        (
            "227 Entering Passive Mode (127,0,0,1,300,1)",
            "a number over 255 (300)",
        ),
        ("227 Entering Passive Mode (127,0,0,1,0,0)", "port 0"),
        (
            "227 Entering Passive Mode (127,0,0,1)",
            "no h1,h2,h3,h4,p1,p2",
        ),
        ("227 Entering Passive Mode", "no h1,h2,h3,h4,p1,p2"),
        (
            "227 Entering Passive Mode (127,0,0,1,99999999999999999999,1)",
            "a number over 255",
        ),
    ] {
        assert_refused_before_connecting(passive_script(&[], "PASV", reply), reply, expected);
    }
}

#[test]
fn malformed_229_replies_are_errors_without_a_connection_attempt() {
    for (reply, expected) in [
        (
            "229 Entering Extended Passive Mode (|||99999|)",
            "no (|||port|) part",
        ),
        ("229 Entering Extended Passive Mode (|||0|)", "port 0"),
        ("229 Entering Extended Passive Mode", "no (|||port|) part"),
        (
            "229 Entering Extended Passive Mode (||1|2121|)",
            "no (|||port|) part",
        ),
        (
            "229 Entering Extended Passive Mode (|||2121)",
            "no (|||port|) part",
        ),
    ] {
        assert_refused_before_connecting(passive_script(&["EPSV"], "EPSV", reply), reply, expected);
    }
}

#[test]
fn a_stranger_connecting_to_the_active_listener_is_refused_and_the_server_gets_through() {
    let mut script = logon(&[]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("PORT 127,0,0,1,"),
        send("200 PORT ok\r\n"),
        Step::Expect("NLST"),
        send("150 here it comes\r\n"),
        // First a stranger (loopback, but not the control peer 127.0.0.1), then the server.
        Step::ActiveSendFrom {
            source: "127.0.0.2".parse().unwrap(),
            bytes: b"evil.txt\r\n".to_vec(),
        },
        Step::ActiveSend(b"good.txt\r\n".to_vec()),
        send("226 done\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (mut options, lines) = options(&server);
    options.data.mode = DataMode::Active;
    options.timeout = Duration::from_secs(2);
    let names = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            conn.nlst(b"").await
        })
        .unwrap();
    assert_eq!(names, vec![b"good.txt".to_vec()]);
    let mut server = server;
    server.join();
    assert_eq!(server.notes(), ["intruder closed"]);
    let errors = log_texts(&lines, LogKind::Error);
    assert!(
        errors.iter().any(
            |l| l.starts_with("Refused a data connection from 127.0.0.2:")
                && l.ends_with("only the server 127.0.0.1 may connect")
        ),
        "{errors:?}"
    );
}

/// A download of /big.bin cancelled after its first bytes, the server answering the ABOR
/// with `abor_replies` (then the PWD sent behind it with its 257), then a SIZE on the same
/// connection: the SIZE's answer (it must be the SIZE's own 213 123456) and the log.
fn abort_then_size(abor_replies: &'static str) -> (Option<u64>, LogLines) {
    let mut script = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    script.extend([
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR /big.bin"),
        send("150 sending\r\n"),
        Step::DataSendHold(vec![3u8; 4096]),
        Step::Expect("ABOR"),
        send(abor_replies),
        Step::Expect("PWD"),
        send("257 \"/\" is the current directory\r\n"),
        Step::Expect("SIZE /big.bin"),
        send("213 123456\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, lines) = options(&server);
    let size = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            let mut stream = conn.retrieve(b"/big.bin", TransferType::Binary, 0).await?;
            let mut buf = [0u8; 1024];
            assert!(conn.read_data(&mut stream, &mut buf).await? > 0);
            conn.abort_transfer(stream).await?;
            conn.size(b"/big.bin").await
        })
        .unwrap();
    (size, lines)
}

/// vsftpd's answer to ABOR after a transfer it saw end: the transfer's 226, then "225 No
/// transfer to ABOR". Both are owed; stopping at the first 2xx would leave the 225 to answer
/// the next command. The PWD after them shows where they end.
#[test]
fn abort_reads_every_reply_owed_and_the_next_command_gets_its_own() {
    let (size, lines) = abort_then_size("226 Transfer complete.\r\n225 No transfer to ABOR.\r\n");
    assert_eq!(size, Some(123_456));
    let responses = log_texts(&lines, LogKind::Response);
    assert!(
        responses.contains(&"225 No transfer to ABOR.".to_owned()),
        "{responses:?}"
    );
}

/// A server that answers ABOR with a single 426 (no 226 after it): the PWD sent behind the
/// ABOR ends the abort at once; nothing waits (1 s here) for a second reply that never comes.
#[test]
fn an_abort_answered_by_one_426_ends_at_the_pwd_without_waiting() {
    let (size, _) = abort_then_size("426 Transfer aborted.\r\n");
    assert_eq!(size, Some(123_456));
}

/// All the data arrived, but the final reply stalls half-written: without the server's
/// word the download is not complete, and nothing appears under the final name.
#[test]
fn a_final_reply_that_stalls_mid_line_fails_the_download_after_the_timeout() {
    let data = Step::DataSend(vec![9u8; 1000]);
    let mut script = retr_steps(
        "213 1000\r\n",
        "150 sending\r\n",
        data,
        "226 Transfer compl",
    );
    script.push(Step::Stall(Duration::from_secs(3)));
    let server = ScriptedServer::start(script);
    let (options, _) = options(&server);
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("f.bin");
    let err = runtime()
        .block_on(async {
            let mut conn = seam::connect(options).await?;
            seam::get(conn.as_mut(), b"/f.bin", &target).await
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server's reply was still incomplete after 1 s while finishing the transfer \
         (it sends too slowly, or its reply never ends)"
    );
    assert_eq!(err.retry_class(), skiff::remote::RetryClass::Transient);
    assert!(!target.exists());
    assert_eq!(
        std::fs::read(work.path().join("f.bin.part")).unwrap(),
        vec![9u8; 1000]
    );
}

#[test]
fn checksum_replies_for_part_of_a_file_or_with_a_short_digest_are_errors_and_the_session_goes_on() {
    use skiff::proto::hash::{Algorithm, HashMethod, XCommand};
    let sha256 = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
    let mut script = logon(&["HASH SHA-256*;MD5", "XSHA1"]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        // SHA-256 is the current algorithm: no OPTS HASH first.
        Step::Expect("HASH a.txt"),
        send(&format!("213 SHA-256 0-6 {sha256} a.txt\r\n")),
        Step::Expect("HASH a.txt"),
        send("213 SHA-256 0-12 a94890 a.txt\r\n"),
        Step::Expect("XSHA1 a.txt"),
        send("250 6F5902AC237024BDD0C176CB93063DC4\r\n"),
        Step::Expect("OPTS HASH MD5"),
        send("200 MD5\r\n"),
        Step::Expect("HASH a.txt"),
        send("213-Computing MD5 digest\r\n213 MD5 0-12 6f5902ac237024bdd0c176cb93063dc4 a.txt\r\n"),
        Step::Expect("HASH b.txt"),
        send("550 b.txt: No such file or directory\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, _lines) = options(&server);
    runtime().block_on(async {
        let mut conn = Connection::connect(options).await.unwrap();
        let sha = HashMethod::Hash(Algorithm::Sha256);
        let partial = conn.checksum(sha, b"a.txt", Some(12)).await.unwrap_err();
        assert!(
            partial
                .to_string()
                .contains("bytes 0-6, not the whole file (12 bytes)"),
            "{partial}"
        );
        let short = conn.checksum(sha, b"a.txt", Some(12)).await.unwrap_err();
        assert!(short.to_string().contains("64 hex digits"), "{short}");
        // An MD5's length where a SHA-1 was asked for.
        let wrong = conn
            .checksum(HashMethod::X(XCommand::Xsha1), b"a.txt", Some(12))
            .await
            .unwrap_err();
        assert!(wrong.to_string().contains("SHA-1 digest is 40"), "{wrong}");
        let md5 = HashMethod::Hash(Algorithm::Md5);
        let digest = conn.checksum(md5, b"a.txt", Some(12)).await.unwrap();
        assert_eq!(digest.to_hex(), "6f5902ac237024bdd0c176cb93063dc4");
        // MD5 is now selected: no second OPTS.
        let missing = conn.checksum(md5, b"b.txt", Some(1)).await.unwrap_err();
        assert_eq!(missing.reply().map(|r| r.code.0), Some(550));
    });
    let mut server = server;
    server.join();
    assert!(
        server.notes().is_empty(),
        "the script ran to its end: {:?}",
        server.notes()
    );
}
