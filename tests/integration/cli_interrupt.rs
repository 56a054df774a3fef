//! A download killed with SIGKILL leaves no file under the final name, and `--resume`
//! continues from the `.part` it left, byte-identical.

use std::time::Duration;

use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::{kill_9_once_grown, pseudo_random_bytes, sha256, skiff, spawn_skiff};

#[test]
fn kill_9_mid_download_leaves_only_a_part_file_that_resume_continues() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let content = pseudo_random_bytes(12 * 1024 * 1024, 9);
    server.write_file("big.bin", &content);
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("big.bin");
    let part = work.path().join("big.bin.part");

    // 2 MiB/s: the download takes about six seconds, so it is surely killed midway.
    let (mut child, _config) = spawn_skiff(
        work.path(),
        &[
            "get",
            &server.url("big.bin"),
            "big.bin",
            "--limit-rate",
            "2M",
        ],
    );
    kill_9_once_grown(&mut child, &part, 1024 * 1024, Duration::from_secs(20));

    assert!(
        !target.exists(),
        "a killed download must not leave the final name"
    );
    let partial = std::fs::metadata(&part).unwrap().len();
    assert!(partial > 0 && partial < content.len() as u64, "{partial}");

    let run = skiff(
        work.path(),
        &[
            "get",
            "--resume",
            &server.url("big.bin"),
            "big.bin",
            "--log",
        ],
    );
    run.assert_ok();
    let rest: Vec<String> = run
        .log_lines("Command:")
        .into_iter()
        .filter(|c| c.starts_with("REST "))
        .collect();
    assert_eq!(
        rest,
        [format!("REST {partial}")],
        "resumed where the .part ended"
    );
    assert_eq!(sha256(&std::fs::read(&target).unwrap()), sha256(&content));
    assert!(!part.exists());
}

#[test]
fn limit_rate_is_parsed_curl_style_and_bad_rates_are_usage_errors() {
    let work = tempfile::tempdir().unwrap();
    let run = skiff(
        work.path(),
        &["get", "ftp://127.0.0.1:1/x", "--limit-rate", "fast"],
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("invalid rate"), "{}", run.stderr);
}
