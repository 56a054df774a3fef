//! Protocol behaviour that needs a server to say exactly the right thing at the right time:
//! ACCT on 332, OPTS UTF8 only when advertised, EPSV → PASV fallback, a foreign 227 address,
//! passive → active fallback, a 226 that arrives before the data. The scripted server plays
//! the server's side; the client is the real `Connection` over loopback.

use std::time::Duration;

use crate::scripted::{
    LogLines, ScriptedServer, Step, client_options, greeting_and_logon as logon, log_texts,
    runtime, send,
};
use skiff::log::LogKind;
use skiff::net::{ConnectOptions, Connection, DataMode};
use skiff::secret::Secret;

fn options(server: &ScriptedServer) -> (ConnectOptions, LogLines) {
    let (mut options, lines) = client_options(server, Duration::from_secs(5));
    options.credentials.account = Some(Secret::new("acct-secret"));
    (options, lines)
}

#[test]
fn account_is_sent_when_the_server_asks_with_332_and_masked_in_the_log() {
    let server = ScriptedServer::start(vec![
        send("220 scripted\r\n"),
        Step::Expect("USER"),
        send("331 password please\r\n"),
        Step::Expect("PASS"),
        send("332 account please\r\n"),
        Step::Expect("ACCT"),
        send("230 in\r\n"),
        Step::Expect("SYST"),
        send("500 no\r\n"),
        Step::Expect("FEAT"),
        send("500 no\r\n"),
        Step::Expect("PWD"),
        send("257 \"/home\"\r\n"),
    ]);
    let (options, lines) = options(&server);
    let rt = runtime();
    let conn = rt.block_on(Connection::connect(options)).unwrap();
    assert_eq!(conn.home_dir(), Some(&b"/home"[..]));
    assert!(!conn.features().answered());
    drop(conn);
    let received = server.finish();
    assert!(
        received.contains(&"ACCT acct-secret".to_owned()),
        "{received:?}"
    );
    let commands = log_texts(&lines, LogKind::Command);
    assert!(commands.contains(&"PASS ****".to_owned()), "{commands:?}");
    assert!(commands.contains(&"ACCT ****".to_owned()), "{commands:?}");
    let all: String = lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(!all.contains("acct-secret") && !all.contains("pass\n"));
}

#[test]
fn opts_utf8_is_sent_only_when_feat_lists_utf8() {
    for (features, expect_opts) in [(vec!["UTF8", "EPSV"], true), (vec!["EPSV"], false)] {
        let mut script = logon(&features);
        if expect_opts {
            script.extend([Step::Expect("OPTS UTF8 ON"), send("200 ok\r\n")]);
        }
        script.extend([Step::Expect("PWD"), send("257 \"/\"\r\n")]);
        let server = ScriptedServer::start(script);
        let (options, _) = options(&server);
        let conn = runtime().block_on(Connection::connect(options)).unwrap();
        assert!(conn.features().has("EPSV"));
        drop(conn);
        let received = server.finish();
        assert_eq!(
            received.iter().any(|l| l.starts_with("OPTS")),
            expect_opts,
            "{received:?}"
        );
        assert_eq!(received.last().map(String::as_str), Some("PWD"));
    }
}

#[test]
fn refused_epsv_falls_back_to_pasv_and_a_foreign_227_goes_to_the_peer() {
    let mut script = logon(&["EPSV"]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        send("500 EPSV not understood\r\n"),
        Step::Expect("PASV"),
        // Announces 127.0.0.2, where nothing listens: the client must use 127.0.0.1.
        Step::Pasv {
            announce: "127.0.0.2".parse().unwrap(),
        },
        Step::Expect("LIST"),
        send("150 here it comes\r\n"),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n".to_vec()),
        send("226 done\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, lines) = options(&server);
    let rt = runtime();
    let entries = rt.block_on(async {
        let mut conn = Connection::connect(options).await?;
        conn.list(b"").await
    });
    let entries = entries.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"a.txt");
    let status = log_texts(&lines, LogKind::Status);
    assert!(
        status.iter().any(|l| l.contains("EPSV refused")),
        "{status:?}"
    );
    assert!(
        status
            .iter()
            .any(|l| l.contains("127.0.0.2") && l.contains("connecting to 127.0.0.1:")),
        "{status:?}"
    );
}

#[test]
fn pasv_is_sent_directly_when_feat_lacks_epsv() {
    // FEAT answered without EPSV: the server has said it has none, so PASV goes first, for
    // every transfer of the session, and no EPSV is ever sent.
    let mut script = logon(&["SIZE", "MDTM", "REST STREAM"]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("PASV"),
        Step::Pasv {
            announce: "127.0.0.1".parse().unwrap(),
        },
        Step::Expect("LIST"),
        send("150 here it comes\r\n"),
        Step::DataSend(b"-rw-r--r-- 1 u g 5 Jan 01 2020 a.txt\r\n".to_vec()),
        send("226 done\r\n"),
        Step::Expect("PASV"),
        Step::Pasv {
            announce: "127.0.0.1".parse().unwrap(),
        },
        Step::Expect("NLST"),
        send("150 here it comes\r\n"),
        Step::DataSend(b"a.txt\r\n".to_vec()),
        send("226 done\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, lines) = options(&server);
    let (entries, names) = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            let entries = conn.list(b"").await?;
            let names = conn.nlst(b"").await?;
            Ok::<_, skiff::net::FtpError>((entries, names))
        })
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b"a.txt");
    assert_eq!(names, vec![b"a.txt".to_vec()]);
    let received = server.finish();
    assert_eq!(
        received.iter().filter(|l| *l == "PASV").count(),
        2,
        "{received:?}"
    );
    assert!(
        !received.iter().any(|l| l.starts_with("EPSV")),
        "{received:?}"
    );
    let status = log_texts(&lines, LogKind::Status);
    assert!(!status.iter().any(|l| l.contains("EPSV")), "{status:?}");
}

#[test]
fn auto_mode_falls_back_to_active_when_the_passive_connection_fails() {
    // A port where nothing listens, for the EPSV reply.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut script = logon(&["EPSV", "EPRT"]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        Step::Send(
            format!("229 Entering Extended Passive Mode (|||{dead_port}|)\r\n").into_bytes(),
        ),
        Step::Expect("EPRT"),
        send("200 EPRT ok\r\n"),
        Step::Expect("NLST"),
        send("150 here it comes\r\n"),
    ]);
    // The server connects back to the EPRT address only after its 150, as vsftpd does.
    let server = ScriptedServer::start({
        let mut s = script;
        // ActiveSend reads the last *received* line, which must be the EPRT: insert the
        // connect before NLST is read.
        let nlst = s
            .iter()
            .position(|st| matches!(st, Step::Expect("NLST")))
            .unwrap();
        s.insert(nlst, Step::ActiveSend(b"one\r\ntwo\r\n".to_vec()));
        s.push(send("226 done\r\n"));
        s
    });
    let (mut options, lines) = options(&server);
    options.data.mode = DataMode::Auto;
    let names = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            conn.nlst(b"").await
        })
        .unwrap();
    assert_eq!(names, vec![b"one".to_vec(), b"two".to_vec()]);
    let status = log_texts(&lines, LogKind::Status);
    assert!(
        status
            .iter()
            .any(|l| l.contains("falling back to active mode")),
        "{status:?}"
    );
}

#[test]
fn a_226_before_the_data_is_not_waited_for_twice() {
    let mut script = logon(&["EPSV"]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("NLST"),
        // 150 and 226 together, before the data: allowed ("226 and EOF in either order").
        send("150 go\r\n226 done\r\n"),
        Step::DataSend(b"x\r\n".to_vec()),
        Step::Expect("NOOP"),
        send("200 still in step\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, _) = options(&server);
    runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            let names = conn.nlst(b"").await?;
            assert_eq!(names, vec![b"x".to_vec()]);
            conn.noop().await
        })
        .unwrap();
}

#[test]
fn external_ip_is_announced_in_port_and_the_servers_425_is_reported() {
    // The scripted server only reads the PORT line; nothing ever connects to 203.0.113.7.
    let mut script = logon(&[]);
    script.extend([
        Step::Expect("PWD"),
        send("257 \"/\"\r\n"),
        Step::Expect("TYPE A"),
        send("200 ok\r\n"),
        Step::Expect("PORT 203,0,113,7,"),
        send("200 PORT ok\r\n"),
        Step::Expect("NLST"),
        send("425 Can't open data connection.\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (mut options, lines) = options(&server);
    options.data.mode = DataMode::Active;
    options.data.external_ip = Some("203.0.113.7".parse().unwrap());
    let err = runtime()
        .block_on(async {
            let mut conn = Connection::connect(options).await?;
            conn.nlst(b"").await
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "starting the transfer: the server replied 425 Can't open data connection."
    );
    let received = server.finish();
    let port_line = received.iter().find(|l| l.starts_with("PORT")).unwrap();
    // The port is the local listener's: announced as p1,p2 after the external address.
    let fields: Vec<u16> = port_line[5..]
        .split(',')
        .map(|f| f.parse().unwrap())
        .collect();
    assert_eq!(fields[..4], [203, 0, 113, 7]);
    assert!(fields[4] * 256 + fields[5] > 0);
    let status = log_texts(&lines, LogKind::Status);
    assert!(
        status
            .iter()
            .any(|l| l.contains("announcing the configured external address 203.0.113.7")),
        "{status:?}"
    );
}

#[test]
fn anonymous_logon_sends_the_conventional_password() {
    let mut script = vec![
        send("220 scripted\r\n"),
        Step::Expect("USER anonymous"),
        send("331 any password\r\n"),
        Step::Expect("PASS anonymous@"),
        send("230 welcome\r\n"),
        Step::Expect("SYST"),
        send("215 UNIX Type: L8\r\n"),
        Step::Expect("FEAT"),
        send("500 no\r\n"),
        Step::Expect("PWD"),
        send("257 \"/pub\"\r\n"),
    ];
    script.push(Step::Expect("QUIT"));
    script.push(send("221 bye\r\n"));
    let server = ScriptedServer::start(script);
    let (mut options, _) = options(&server);
    options.credentials = skiff::net::Credentials::default();
    runtime().block_on(async {
        let conn = Connection::connect(options).await.unwrap();
        assert_eq!(conn.home_dir(), Some(&b"/pub"[..]));
        conn.quit().await;
    });
    let received = server.finish();
    assert_eq!(received[..2], ["USER anonymous", "PASS anonymous@"]);
}

fn tls_required_options(server: &ScriptedServer) -> (ConnectOptions, LogLines) {
    let (mut options, lines) = options(server);
    options.tls.mode = skiff::net::tls::TlsMode::Explicit;
    (options, lines)
}

#[test]
fn auth_tls_refused_while_required_stops_before_the_user_name() {
    let server = ScriptedServer::start(vec![
        send("220 scripted\r\n"),
        Step::Expect("AUTH TLS"),
        send("500 AUTH not understood\r\n"),
    ]);
    let (options, _) = tls_required_options(&server);
    let err = runtime()
        .block_on(Connection::connect(options))
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("TLS is required, but the server answered AUTH TLS with 500"),
        "{err}"
    );
    let received = server.finish();
    assert_eq!(
        received,
        ["AUTH TLS"],
        "nothing may follow the refused AUTH TLS"
    );
}

#[test]
fn a_230_before_tls_while_required_stops_before_the_user_name() {
    let server = ScriptedServer::start(vec![
        send("220 scripted\r\n"),
        Step::Expect("AUTH TLS"),
        send("230 User logged in, proceed.\r\n"),
    ]);
    let (options, _) = tls_required_options(&server);
    let err = runtime()
        .block_on(Connection::connect(options))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("answered AUTH TLS with 230"),
        "{err}"
    );
    assert_eq!(server.finish(), ["AUTH TLS"]);
}

#[test]
fn plaintext_after_the_234_is_refused() {
    // A man in the middle appending a reply to the 234 would get it read as if it had come
    // over TLS: the bytes after 234 must be refused.
    let server = ScriptedServer::start(vec![
        send("220 scripted\r\n"),
        Step::Expect("AUTH TLS"),
        send("234 go ahead\r\n230 injected\r\n"),
    ]);
    let (options, _) = tls_required_options(&server);
    let err = runtime()
        .block_on(Connection::connect(options))
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("more data right after accepting AUTH TLS"),
        "{err}"
    );
}

#[test]
fn tls_if_available_falls_back_to_plain_with_a_status_line() {
    let mut script = vec![
        send("220 scripted\r\n"),
        Step::Expect("AUTH TLS"),
        send("502 Command not implemented\r\n"),
    ];
    script.extend(logon(&[]).into_iter().skip(1));
    script.extend([Step::Expect("PWD"), send("257 \"/\"\r\n")]);
    let server = ScriptedServer::start(script);
    let (mut options, lines) = options(&server);
    options.tls.mode = skiff::net::tls::TlsMode::ExplicitIfAvailable;
    let conn = runtime().block_on(Connection::connect(options)).unwrap();
    assert!(conn.certificate().is_none());
    let status = log_texts(&lines, LogKind::Status);
    assert!(
        status
            .iter()
            .any(|l| l.contains("continuing without encryption as configured")),
        "{status:?}"
    );
}
