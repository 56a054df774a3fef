//! Legacy server charsets: a directory whose file name bytes are CP949 (EUC-KR) Korean,
//! listed, fetched, uploaded, renamed and deleted by its Korean name with
//! `--encoding cp949`; and a Latin-1 name handled with no charset set, through its raw bytes.

use crate::common::{FtpServer, ServerKind};
use crate::skiff_cmd::skiff;

/// `한글.txt` in CP949.
const HANGUL_CP949: &[u8] = b"\xc7\xd1\xb1\xdb.txt";

fn cp949(text: &str) -> Vec<u8> {
    skiff::proto::charset::Charset::from_name("cp949")
        .unwrap()
        .encode(text)
        .unwrap()
}

fn exists_raw(server: &FtpServer, dir: &str, name: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    server
        .root()
        .join(dir)
        .join(std::ffi::OsStr::from_bytes(name))
        .exists()
}

fn read_raw(server: &FtpServer, dir: &str, name: &[u8]) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt as _;
    std::fs::read(
        server
            .root()
            .join(dir)
            .join(std::ffi::OsStr::from_bytes(name)),
    )
    .ok()
}

#[test]
fn korean_names_in_cp949_work_by_their_korean_name() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file_raw_name("kr", HANGUL_CP949, b"korean content");
    let work = tempfile::tempdir().unwrap();
    let enc = ["--encoding", "cp949"];

    // ls shows the Korean name.
    let run = skiff(
        work.path(),
        &[&["ls", &server.url("kr/"), "--json"][..], &enc].concat(),
    );
    run.assert_ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows[0]["name"], "한글.txt", "{}", run.stdout);
    assert_eq!(rows[0]["raw"], "%C7%D1%B1%DB.txt");

    // get by the Korean name; the local file gets the Korean name in UTF-8.
    let run = skiff(
        work.path(),
        &[
            &["get", &server.url("kr/한글.txt"), "."][..],
            &enc,
            &["--log"],
        ]
        .concat(),
    );
    run.assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("한글.txt")).unwrap(),
        b"korean content"
    );
    assert!(
        run.log_lines("Command:")
            .iter()
            .any(|c| c == "RETR /kr/한글.txt"),
        "the log shows the decoded name: {}",
        run.stderr
    );

    // put a Korean-named local file: the server gets CP949 bytes.
    std::fs::write(work.path().join("업로드.txt"), b"uploaded").unwrap();
    skiff(
        work.path(),
        &[&["put", "업로드.txt", &server.url("kr/")][..], &enc].concat(),
    )
    .assert_ok();
    assert!(exists_raw(&server, "kr", &cp949("업로드.txt")));

    // mv and rm by Korean names.
    skiff(
        work.path(),
        &[&["mv", &server.url("kr/한글.txt"), "새이름.txt"][..], &enc].concat(),
    )
    .assert_ok();
    assert!(!exists_raw(&server, "kr", HANGUL_CP949));
    assert!(exists_raw(&server, "kr", &cp949("새이름.txt")));
    skiff(
        work.path(),
        &[&["rm", &server.url("kr/새이름.txt")][..], &enc].concat(),
    )
    .assert_ok();
    assert!(!exists_raw(&server, "kr", &cp949("새이름.txt")));
}

#[test]
fn a_name_not_valid_in_the_charset_still_round_trips_through_its_raw_bytes() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file_raw_name("l1", b"caf\xe9.txt", b"latin-1");
    let work = tempfile::tempdir().unwrap();

    // No charset set: the name is shown with a replacement character, and its raw bytes.
    let run = skiff(work.path(), &["ls", &server.url("l1/"), "--json"]);
    run.assert_ok();
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows[0]["name"], "caf\u{FFFD}.txt");
    let raw = rows[0]["raw"].as_str().unwrap().to_owned();
    assert_eq!(raw, "caf%E9.txt");

    // Download and delete by the raw name from the listing.
    skiff(
        work.path(),
        &["get", &server.url(&format!("l1/{raw}")), "cafe.txt"],
    )
    .assert_ok();
    assert_eq!(
        std::fs::read(work.path().join("cafe.txt")).unwrap(),
        b"latin-1"
    );
    skiff(work.path(), &["rm", &server.url(&format!("l1/{raw}"))]).assert_ok();
    assert!(!exists_raw(&server, "l1", b"caf\xe9.txt"));
}

/// With `--encoding cp949` set, a file whose name bytes are not CP949 at all (a Latin-1
/// `café.txt`: 0xE9 is a CP949 lead byte, and `.` cannot follow it) is still listed with its
/// raw bytes, renamed and deleted through them: the bytes the server gets are its own.
#[test]
fn a_name_invalid_in_the_chosen_charset_is_renamed_and_deleted_by_its_raw_bytes() {
    const LATIN1: &[u8] = b"caf\xe9.txt";
    assert!(
        encoding_rs::EUC_KR
            .decode_without_bom_handling_and_without_replacement(LATIN1)
            .is_none(),
        "the name must be invalid CP949 for this test to mean anything"
    );
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file_raw_name("mixed", LATIN1, b"not korean");
    server.write_file_raw_name("mixed", HANGUL_CP949, b"korean");
    let work = tempfile::tempdir().unwrap();
    let enc = ["--encoding", "cp949"];

    let ls = |dir: &str| {
        let run = skiff(
            work.path(),
            &[&["ls", &server.url(dir), "--json"][..], &enc].concat(),
        );
        run.assert_ok();
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    let rows = ls("mixed/");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let latin = rows
        .iter()
        .find(|r| r["raw"] == "caf%E9.txt")
        .unwrap_or_else(|| panic!("no raw caf%E9.txt in {rows:?}"));
    assert_eq!(latin["name"], "caf\u{FFFD}.txt");
    assert!(rows.iter().any(|r| r["name"] == "한글.txt"), "{rows:?}");

    // mv by the raw name (from the listing) to a Korean name: RNFR gets the raw bytes,
    // RNTO the CP949 bytes of the new name.
    let run = skiff(
        work.path(),
        &[
            &["mv", &server.url("mixed/caf%E9.txt"), "카페.txt"][..],
            &enc,
            &["--log"],
        ]
        .concat(),
    );
    run.assert_ok();
    assert!(!exists_raw(&server, "mixed", LATIN1), "{}", run.stderr);
    assert_eq!(
        read_raw(&server, "mixed", &cp949("카페.txt")).as_deref(),
        Some(&b"not korean"[..]),
        "{}",
        run.stderr
    );
    // The other file was not touched.
    assert_eq!(
        read_raw(&server, "mixed", HANGUL_CP949).as_deref(),
        Some(&b"korean"[..])
    );

    // Back to an ASCII name, and a fresh Latin-1 file deleted by its raw name.
    skiff(
        work.path(),
        &[&["mv", &server.url("mixed/카페.txt"), "cafe.txt"][..], &enc].concat(),
    )
    .assert_ok();
    assert!(exists_raw(&server, "mixed", b"cafe.txt"));
    server.write_file_raw_name("mixed", LATIN1, b"again");
    // A raw name that is not in the folder is an error, not a silent success.
    skiff(
        work.path(),
        &[&["rm", &server.url("mixed/caf%E8.txt")][..], &enc].concat(),
    )
    .assert_fails_with("550");
    assert!(exists_raw(&server, "mixed", LATIN1));
    skiff(
        work.path(),
        &[&["rm", &server.url("mixed/caf%E9.txt")][..], &enc].concat(),
    )
    .assert_ok();
    assert!(!exists_raw(&server, "mixed", LATIN1));
    assert!(exists_raw(&server, "mixed", b"cafe.txt"));
    assert!(exists_raw(&server, "mixed", HANGUL_CP949));
    let mut names: Vec<String> = ls("mixed/")
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["cafe.txt", "한글.txt"]);
}

#[test]
fn a_name_the_charset_cannot_write_is_refused_before_sending() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let run = skiff(
        work.path(),
        &["mkdir", &server.url("日本"), "--encoding", "windows-1252"],
    );
    run.assert_fails_with("cannot be written in windows-1252");
    assert!(std::fs::read_dir(server.root()).unwrap().next().is_none());
}

#[test]
fn unknown_encoding_is_a_usage_error() {
    let work = tempfile::tempdir().unwrap();
    let run = skiff(
        work.path(),
        &["ls", "ftp://127.0.0.1:1/", "--encoding", "klingon"],
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("unknown charset"), "{}", run.stderr);
}
