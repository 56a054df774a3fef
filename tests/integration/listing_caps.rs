//! A listing is bounded: a server that lists forever makes `skiff ls` fail at the listing
//! cap with an error naming it, while the process stays small, instead of growing until the
//! machine runs out of memory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::scripted::{ScriptedServer, Step, list_steps, send};

/// One thousand MLSD lines with distinct names, as proftpd sends them.
fn mlsd_lines() -> Vec<u8> {
    (0..1000)
        .flat_map(|i| {
            format!(
                "modify=20261124211100;perm=adfrw;size=4096;type=file;UNIX.group=ftp;\
                 UNIX.mode=0644;UNIX.owner=ftp; file-{i:05}.bin\r\n"
            )
            .into_bytes()
        })
        .collect()
}

/// `skiff ARGS` under `/usr/bin/time`: its exit code, stderr, and peak resident memory.
fn skiff_measured(args: &[&str]) -> (Option<i32>, String, u64) {
    let config = tempfile::tempdir().unwrap();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib=%M"])
        .arg(env!("CARGO_BIN_EXE_skiff"))
        .args(args)
        .env("XDG_CONFIG_HOME", config.path())
        .env_remove("SKIFF_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/time (package time, installed by tests/servers/install.sh)");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::Builder::new()
        .name("stderr".into())
        .spawn(move || std::io::read_to_string(stderr).unwrap_or_default())
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().ok();
            panic!("skiff ls did not end within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap();
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    (status.code(), stderr, peak)
}

/// A server whose listing (`command`: LIST or MLSD) sends `pattern` again and again, up to
/// 4 GiB: far more than the default caps allow.
fn endless_listing(features: &[&str], command: &'static str, pattern: Vec<u8>) -> ScriptedServer {
    let endless = Step::DataSendRepeated {
        pattern,
        up_to: 4 << 30,
    };
    let opening = "150 here it comes, forever\r\n";
    let cut = "426 the listing was cut\r\n";
    let mut script = list_steps(features, command, opening, endless, cut);
    script.extend([Step::Expect("QUIT"), send("221 bye\r\n")]);
    ScriptedServer::start(script)
}

#[test]
fn an_endless_listing_fails_at_the_entry_cap_with_memory_bounded() {
    // 1,000,000 entries are about 110 MB of these lines.
    let server = endless_listing(&["EPSV", "MLST type*;size*;modify*;"], "MLSD", mlsd_lines());
    let (code, stderr, peak_kib) = skiff_measured(&["ls", &server.url("/"), "--timeout", "10"]);
    eprintln!("skiff ls of an endless listing: peak RSS {} KiB", peak_kib);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the listing has more than the limit of 1000000 entries")
            && stderr.contains("listing_max_entries"),
        "{stderr}"
    );
    assert!(
        peak_kib < 200 * 1024,
        "peak RSS {} MiB (limit 200 MiB)",
        peak_kib / 1024
    );
    let sent = server.repeated_bytes();
    // The client stopped reading soon after the cap, long before the server's 4 GiB.
    assert!(
        sent < 1 << 30,
        "{sent} bytes went out before the client stopped"
    );
}

#[test]
fn an_endless_line_fails_at_the_byte_cap_with_memory_bounded() {
    // No line end at all: nothing to parse, only bytes (the default cap is 512 MiB).
    let server = endless_listing(&["EPSV"], "LIST", vec![b'x'; 1 << 16]);
    let (code, stderr, peak_kib) = skiff_measured(&["ls", &server.url("/"), "--timeout", "10"]);
    eprintln!("skiff ls of an endless line: peak RSS {} KiB", peak_kib);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the listing is larger than the limit of 536870912 bytes")
            && stderr.contains("listing_max_bytes"),
        "{stderr}"
    );
    assert!(
        peak_kib < 200 * 1024,
        "peak RSS {} MiB (limit 200 MiB)",
        peak_kib / 1024
    );
}
