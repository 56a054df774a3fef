//! The second round of hostile servers and neighbours: server text that would drive the
//! terminal, replies and listings dripped so slowly that only a deadline ends them, a
//! download that never stops, several preliminary replies, and a partial file planted as a
//! symbolic link. The scripted servers play what real servers never do on cue; the client
//! is the real `Connection`, the seam's `transfer::download`, or the `skiff` binary.

use std::sync::Arc;
use std::time::Duration;

use crate::common::seam;
use crate::scripted::tree::{Tree, TreeServer, list_line, mlsd_line};
use crate::scripted::{
    ScriptedServer, Step, client_options, connect_error, greeting_and_logon, list_steps,
    logon_for_binary_transfer, retr_steps, runtime, send,
};
use crate::skiff_cmd::skiff_in;
use skiff::net::{FtpError, RetryClass};

const LIMIT: Duration = Duration::from_secs(60);

/// A name that would recolour the terminal, one that would retitle it (OSC ... BEL), and
/// one whose right-to-left override makes "rtl-\u{202e}txt.exe" read as "rtl-exe.txt".
const HOSTILE_NAMES: [&str; 3] = [
    "red\x1b[31m.txt",
    "title\x1b]0;owned\x07.txt",
    "rtl-\u{202e}txt.exe",
];

fn names_tree(mlsd: bool) -> Tree {
    Tree {
        list: Arc::new(move |dir: &[u8]| {
            (dir == b"/").then(|| {
                HOSTILE_NAMES
                    .iter()
                    .flat_map(|name| match mlsd {
                        true => mlsd_line("file", name.as_bytes(), 3),
                        false => list_line("file", name.as_bytes(), 3),
                    })
                    .collect()
            })
        }),
        file: Arc::new(|_: &[u8]| Some(b"abc".to_vec())),
        real: Arc::new(|dir: &[u8]| dir.to_vec()),
        mlsd,
    }
}

#[test]
fn ls_shows_control_and_bidi_characters_as_escapes_and_json_keeps_them_exact() {
    for mlsd in [true, false] {
        let server = TreeServer::start(names_tree(mlsd));
        let work = tempfile::tempdir().unwrap();
        let run = skiff_in(work.path(), &["ls", &server.url("/")], LIMIT);
        run.assert_ok();
        for raw in ['\x1b', '\x07', '\u{202e}'] {
            assert!(!run.stdout.contains(raw), "{raw:?} reached the terminal");
        }
        for shown in [
            "red\\u{1b}[31m.txt",
            "title\\u{1b}]0;owned\\u{7}.txt",
            "rtl-\\u{202e}txt.exe",
        ] {
            assert!(run.stdout.contains(shown), "{shown} in\n{}", run.stdout);
        }

        let run = skiff_in(work.path(), &["ls", &server.url("/"), "--json"], LIMIT);
        run.assert_ok();
        let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let mut names: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut expected = HOSTILE_NAMES.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "JSON has the exact names");
    }
}

#[test]
fn progress_lines_of_a_tree_download_show_the_names_escaped() {
    let server = TreeServer::start(names_tree(true));
    let work = tempfile::tempdir().unwrap();
    let run = skiff_in(work.path(), &["get", "-r", &server.url("/"), "dl"], LIMIT);
    run.assert_ok();
    let printed = format!("{}{}", run.stdout, run.stderr);
    for raw in ['\x1b', '\x07', '\u{202e}'] {
        assert!(
            !printed.contains(raw),
            "{raw:?} reached the terminal:\n{printed}"
        );
    }
    assert!(
        printed.contains("rtl-\\u{202e}txt.exe"),
        "the progress names the file:\n{printed}"
    );
}

#[test]
fn an_error_quoting_the_servers_text_is_escaped_on_the_terminal() {
    let mut script = greeting_and_logon(&[]);
    script.truncate(3);
    script.extend([
        Step::Expect("PASS"),
        send("530 no \x1b]0;owned\x07 \u{202e}gnissap\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let work = tempfile::tempdir().unwrap();
    let run = skiff_in(work.path(), &["ls", &server.url("/"), "--log"], LIMIT);
    run.assert_fails_with("530 no \\u{1b}]0;owned\\u{7} \\u{202e}gnissap");
    assert!(
        !run.stderr.contains('\x1b') && !run.stderr.contains('\u{202e}'),
        "{}",
        run.stderr
    );
    assert!(
        run.log_lines("Response:")
            .iter()
            .any(|l| l.contains("\\u{1b}]0;owned")),
        "the log line is escaped too:\n{}",
        run.stderr
    );
}

/// What the drip noted, once the scripts ended: the bytes it sent and whether the client
/// hung up first.
fn drip_note(server: &mut ScriptedServer) -> String {
    server.join();
    server
        .notes()
        .into_iter()
        .find(|n| n.starts_with("dripped"))
        .unwrap_or_else(|| panic!("no drip noted: {:?}", server.notes()))
}

#[test]
fn a_banner_dripped_a_byte_at_a_time_fails_at_the_reply_deadline() {
    // Each byte comes well inside the 1 s timeout; the reply as a whole never does.
    let (err, mut server) = connect_error(
        vec![Step::Drip {
            pattern: b"220-Welcome, slowly ".to_vec(),
            every: Duration::from_millis(100),
            for_at_most: Duration::from_secs(30),
        }],
        Duration::from_secs(1),
    );
    assert!(matches!(err, FtpError::ReplyTooSlow { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the server's reply was still incomplete after 1 s while waiting for the welcome \
         message (it sends too slowly, or its reply never ends)"
    );
    assert_eq!(err.retry_class(), RetryClass::Transient);
    let note = drip_note(&mut server);
    assert!(note.ends_with("until the client closed"), "{note}");
}

#[test]
fn a_multi_line_reply_that_never_ends_fails_at_the_reply_deadline() {
    // Whole lines, quickly: the 1 MiB cap would take an hour at this pace.
    let (err, mut server) = connect_error(
        vec![
            send("220-Welcome\r\n"),
            Step::Drip {
                pattern: b"220-and more\r\n".to_vec(),
                every: Duration::from_millis(5),
                for_at_most: Duration::from_secs(30),
            },
        ],
        Duration::from_secs(1),
    );
    assert!(matches!(err, FtpError::ReplyTooSlow { .. }), "{err:?}");
    let note = drip_note(&mut server);
    assert!(note.ends_with("until the client closed"), "{note}");
    let sent: usize = note
        .strip_prefix("dripped ")
        .and_then(|n| n.split(' ').next()?.parse().ok())
        .unwrap();
    assert!(sent < 1024 * 1024, "{note}");
}

#[test]
fn a_logon_answered_just_in_time_at_every_step_fails_at_the_logon_deadline() {
    // Every reply a second inside the 2 s timeout; six of them pass twice that.
    let late = || Step::Stall(Duration::from_millis(1000));
    let script = vec![
        late(),
        send("220 slow\r\n"),
        Step::Expect("USER"),
        late(),
        send("331 password please\r\n"),
        Step::Expect("PASS"),
        late(),
        send("230 in\r\n"),
        Step::Expect("SYST"),
        late(),
        send("215 UNIX Type: L8\r\n"),
        Step::Expect("FEAT"),
        late(),
        send("211 no features\r\n"),
        Step::Expect("PWD"),
        late(),
        send("257 \"/\"\r\n"),
    ];
    let (err, server) = connect_error(script, Duration::from_secs(2));
    assert!(matches!(err, FtpError::LogonTooSlow { secs: 4 }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "logging on took longer than 4 s (twice the timeout): the server answers too slowly"
    );
    drop(server.finish());
}

#[test]
fn a_listing_dripped_below_the_floor_rate_ends_with_an_error_naming_the_setting() {
    // 20 bytes a second, each inside the timeout: the listing would take days.
    let drip = Step::DataDrip {
        pattern: list_line("file", b"slow.txt", 1),
        every: Duration::from_millis(50),
        for_at_most: Duration::from_secs(40),
    };
    let script = list_steps(
        &["EPSV"],
        "LIST",
        "150 here it comes\r\n",
        drip,
        "226 done\r\n",
    );
    let mut server = ScriptedServer::start(script);
    let work = tempfile::tempdir().unwrap();
    let run = skiff_in(
        work.path(),
        &["ls", &server.url("/"), "--timeout", "2"],
        LIMIT,
    );
    run.assert_fails_with("the listing came slower than 1024 bytes/s")
        .assert_fails_with("listing_min_rate");
    let note = drip_note(&mut server);
    assert!(note.ends_with("until the client closed"), "{note}");
}

/// A RETR whose data never stops: `size_reply` answers SIZE, `opening` is the 150.
fn endless_download(size_reply: &str, opening: &str) -> (skiff::remote::RemoteError, u64) {
    let endless = Step::DataSendRepeated {
        pattern: vec![b'x'; 64 * 1024],
        up_to: 8 << 30,
    };
    let (err, work, mut server) = download_err(retr_steps(
        size_reply,
        opening,
        endless,
        "226 sent it all\r\n",
    ));
    let kept = std::fs::metadata(work.path().join("f.bin.part")).map_or(0, |m| m.len());
    server.join();
    let sent = server.repeated_bytes();
    assert!(
        sent < 1 << 30,
        "{sent} bytes went out before the client stopped"
    );
    (err, kept)
}

/// `/f.bin` downloaded through the seam from a server playing `script`: the result, the
/// folder it went to, and the server.
fn download(
    script: Vec<Step>,
) -> (
    Result<skiff::transfer::Outcome, skiff::remote::RemoteError>,
    tempfile::TempDir,
    ScriptedServer,
) {
    let server = ScriptedServer::start(script);
    let (options, _) = client_options(&server, Duration::from_secs(5));
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("f.bin");
    let result = runtime().block_on(async {
        let mut conn = seam::connect(options).await?;
        seam::get(conn.as_mut(), b"/f.bin", &target).await
    });
    (result, work, server)
}

/// A download that must fail, with nothing under the final name.
fn download_err(
    script: Vec<Step>,
) -> (
    skiff::remote::RemoteError,
    tempfile::TempDir,
    ScriptedServer,
) {
    let (result, work, server) = download(script);
    let err = result.expect_err("the download must fail");
    assert!(
        !work.path().join("f.bin").exists(),
        "nothing under the final name"
    );
    (err, work, server)
}

#[test]
fn a_download_past_the_size_it_was_told_is_stopped() {
    let (err, kept) = endless_download("213 1000\r\n", "150 Opening BINARY mode\r\n");
    assert_eq!(err.kind(), skiff::remote::ErrorKind::SizeMismatch, "{err}");
    assert!(
        err.to_string()
            .contains("the server sent more than the 1000 bytes it announced"),
        "{err}"
    );
    assert_eq!(
        kept, 0,
        "a partial file from a lying server is not kept to resume"
    );
}

#[test]
fn a_download_past_the_size_its_150_reply_announced_is_stopped() {
    let (err, kept) = endless_download(
        "550 no size here\r\n",
        "150 Opening BINARY mode data connection for f.bin (5000 bytes).\r\n",
    );
    assert!(
        err.to_string()
            .contains("the server sent more than the 5000 bytes it announced"),
        "{err}"
    );
    assert_eq!(
        kept, 0,
        "a partial file from a lying server is not kept to resume"
    );
}

/// A download whose RETR is answered by `before` (1xx replies), the data, then `after`.
fn download_with_replies(before: &str, after: &str) -> Result<Vec<u8>, String> {
    let data = Step::DataSend(vec![5u8; 1000]);
    let (result, work, _server) = download(retr_steps("213 1000\r\n", before, data, after));
    result.map_err(|e| e.to_string())?;
    Ok(std::fs::read(work.path().join("f.bin")).unwrap())
}

#[test]
fn several_preliminary_replies_before_the_final_one_complete_the_transfer() {
    let cases = [
        // 125 (the data connection is open) then a 150 too, then the data.
        (
            "125 Data connection already open\r\n150 Starting\r\n",
            "226 done\r\n",
        ),
        // A restart marker after the data, before the final reply.
        ("150 Opening\r\n", "110 MARK 1000 = 1000\r\n226 done\r\n"),
        // Both, a multi-line 1xx among them.
        (
            "150-Opening\r\n150 now\r\n",
            "110 MARK 500 = 500\r\n110 MARK 1000 = 1000\r\n226 done\r\n",
        ),
    ];
    for (before, after) in cases {
        let got = download_with_replies(before, after)
            .unwrap_or_else(|err| panic!("{before:?} ... {after:?}: {err}"));
        assert_eq!(got, vec![5u8; 1000]);
    }
}

#[test]
fn an_endless_stream_of_preliminary_replies_is_a_server_out_of_step() {
    let marks = "110 MARK 0 = 0\r\n".repeat(40);
    let err = download_with_replies("150 Opening\r\n", &marks).unwrap_err();
    assert!(err.contains("did not end in step"), "{err}");
}

/// A folder of the user's that someone else can write to, holding `f.txt.part` planted as
/// a link to another file of the user's.
struct PlantedLink {
    work: tempfile::TempDir,
}

impl PlantedLink {
    fn new() -> Self {
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir(work.path().join("dl")).unwrap();
        std::fs::write(work.path().join("precious.txt"), b"the user's own file\n").unwrap();
        std::os::unix::fs::symlink(
            work.path().join("precious.txt"),
            work.path().join("dl/f.txt.part"),
        )
        .unwrap();
        Self { work }
    }

    fn assert_precious_untouched(&self) {
        assert_eq!(
            std::fs::read(self.work.path().join("precious.txt")).unwrap(),
            b"the user's own file\n"
        );
    }
}

#[test]
fn a_planted_part_link_is_never_written_through() {
    let tree = Tree {
        list: Arc::new(|dir: &[u8]| (dir == b"/").then(|| mlsd_line("file", b"f.txt", 16))),
        file: Arc::new(|path: &[u8]| (path == b"/f.txt").then(|| b"from the server\n".to_vec())),
        real: Arc::new(|dir: &[u8]| dir.to_vec()),
        mlsd: true,
    };
    let server = TreeServer::start(tree);

    // A plain download replaces the planted name with a file of its own.
    let planted = PlantedLink::new();
    let work = planted.work.path();
    skiff_in(work, &["get", &server.url("/f.txt"), "dl/"], LIMIT).assert_ok();
    planted.assert_precious_untouched();
    let got = work.join("dl/f.txt");
    assert!(!std::fs::symlink_metadata(&got).unwrap().is_symlink());
    assert_eq!(std::fs::read(&got).unwrap(), b"from the server\n");

    // Resuming refuses to continue through the link, and says why.
    let planted = PlantedLink::new();
    let work = planted.work.path();
    let run = skiff_in(
        work,
        &["get", &server.url("/f.txt"), "dl/", "--resume"],
        LIMIT,
    );
    run.assert_fails_with("is a symbolic link");
    planted.assert_precious_untouched();
    assert!(!work.join("dl/f.txt").exists());
}

#[test]
fn a_resume_the_server_cannot_do_downloads_the_whole_file_and_says_so() {
    let mut script = logon_for_binary_transfer(&["SIZE", "EPSV"]);
    script.extend([
        Step::Expect("SIZE"),
        send("213 1000\r\n"),
        Step::Expect("SIZE"),
        send("213 1000\r\n"),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("REST 400"),
        send("502 REST not implemented\r\n"),
        Step::Expect("EPSV"),
        Step::Epsv,
        Step::Expect("RETR"),
        send("150 Opening\r\n"),
        Step::DataSend(vec![3u8; 1000]),
        send("226 done\r\n"),
    ]);
    let server = ScriptedServer::start(script);
    let (options, lines) = client_options(&server, Duration::from_secs(5));
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("f.bin");
    std::fs::write(&target, vec![3u8; 400]).unwrap();
    let file = skiff::transfer::FileTransfer {
        local: &target,
        remote: b"/f.bin",
        size: None,
        policy: skiff::transfer::ExistsPolicy::Resume,
        retrying: false,
        data_type: skiff::remote::DataType::Binary,
        from_listing: false,
        target_absent: false,
        expect: None,
        preserve_times: false,
    };
    let outcome = runtime()
        .block_on(async {
            let mut conn = seam::connect(options).await?;
            let flow = skiff::transfer::Flow {
                limit: None,
                cancel: None,
                on_progress: &mut |_| {},
            };
            skiff::transfer::download(conn.as_mut(), file, flow).await
        })
        .unwrap_or_else(|err| panic!("{err}\n{:?}", server.received()));
    assert!(
        matches!(
            outcome,
            skiff::transfer::Outcome::Transferred { bytes: 1000 }
        ),
        "{outcome:?}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), vec![3u8; 1000]);
    let statuses = crate::scripted::log_texts(&lines, skiff::log::LogKind::Status);
    assert!(
        statuses.iter().any(|l| l
            == "the server cannot resume a transfer: it answered REST with 502 REST not \
                implemented; downloading the whole file again"),
        "{statuses:#?}"
    );
}

#[test]
fn a_server_whose_pwd_never_follows_cwd_is_named_in_the_loop_message() {
    let tree = Tree {
        list: Arc::new(|dir: &[u8]| match dir {
            b"/" => Some([mlsd_line("dir", b"a", 0), mlsd_line("dir", b"b", 0)].concat()),
            b"/a" | b"/b" => Some(mlsd_line("file", b"f.txt", 3)),
            _ => None,
        }),
        file: Arc::new(|_: &[u8]| Some(b"abc".to_vec())),
        // Whatever CWD entered, PWD says "/".
        real: Arc::new(|_: &[u8]| b"/".to_vec()),
        mlsd: true,
    };
    let server = TreeServer::start(tree);
    let work = tempfile::tempdir().unwrap();
    let run = skiff_in(
        work.path(),
        &["get", "-r", &server.url("/"), "dl", "--log"],
        LIMIT,
    );
    assert!(!run.ok(), "{}", run.stderr);
    let errors = run.log_lines("Error:");
    assert_eq!(
        errors
            .iter()
            .filter(|l| l.contains("its PWD does not follow CWD"))
            .count(),
        2,
        "{errors:#?}"
    );
}
