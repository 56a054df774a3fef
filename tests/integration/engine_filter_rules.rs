//! The window's filename filter rules through the engine, on the walks that know more than
//! a name: a folder upload skips what a rule on size, modification date or the executable
//! bit matches (the local side reads them), a folder download what a rule on size or date
//! matches (the listing gives them); against vsftpd, checked on both disks.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind, Priority,
    TransferSpec, TreeFilters,
};
use skiff::folder_sync::rules::{Attribute, Condition, DateOp, Rule, SizeOp, SizeUnit};
use skiff::folder_sync::{Filters, Patterns};
use skiff::remote::Server;

fn rules() -> Vec<Rule> {
    let one = |name: &str, condition: Condition| Rule {
        conditions: vec![condition],
        folders: false,
        ..Rule::new(name)
    };
    vec![
        one(
            "Big",
            Condition::Size {
                op: SizeOp::Greater,
                value: 1,
                unit: SizeUnit::KiB,
            },
        ),
        one(
            "Old",
            Condition::Modified {
                op: DateOp::Before,
                value: "2001-01-01".into(),
            },
        ),
        one(
            "Programs",
            Condition::Attribute {
                attribute: Attribute::Executable,
                is: true,
            },
        ),
    ]
}

fn folder_spec(
    server: &FtpServer,
    direction: Direction,
    local: &Path,
    remote: &str,
) -> TransferSpec {
    let (options, _) = server.connect_options();
    let filters = Filters::new(Patterns {
        rules: rules(),
        ..Default::default()
    })
    .unwrap();
    TransferSpec {
        direction,
        kind: ItemKind::DirectoryContents,
        local: local.to_path_buf(),
        remote: remote.as_bytes().to_vec(),
        server: Arc::new(Server::from_ftp(options)),
        size: None,
        priority: Priority::Normal,
        exists: ExistsPolicy::Overwrite,
        target_absent: false,
        filters: Some(Arc::new(TreeFilters {
            filters,
            root: remote.as_bytes().to_vec(),
        })),
        expect: None,
    }
}

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// Runs `spec` to the end; the counts of (successful, failed).
fn run(spec: TransferSpec) -> (usize, usize) {
    engine_runtime().block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::Enqueue(vec![spec]));
        handle.send(EngineCommand::ProcessQueue(true));
        let counts = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match events.recv().await {
                    Some(EngineEvent::Idle(counts)) => break counts,
                    Some(_) => {}
                    None => panic!("the engine ended"),
                }
            }
        })
        .await
        .expect("the transfer did not end within 30 s");
        handle.send(EngineCommand::Shutdown);
        (counts.successful, counts.failed)
    })
}

#[test]
fn a_folder_upload_skips_files_a_rule_on_size_date_or_the_executable_bit_matches() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    std::fs::create_dir_all(site.join("deep")).unwrap();
    std::fs::write(site.join("small.txt"), b"small").unwrap();
    std::fs::write(site.join("deep/big.bin"), vec![1u8; 2048]).unwrap();
    std::fs::write(site.join("deep/kept.txt"), b"kept").unwrap();
    std::fs::write(site.join("old.txt"), b"old").unwrap();
    set_mtime(
        &site.join("old.txt"),
        SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 365 * 20),
    );
    std::fs::write(site.join("run.sh"), b"#!/bin/sh\n").unwrap();
    std::fs::set_permissions(site.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let (successful, failed) = run(folder_spec(&server, Direction::Upload, &site, "/up"));
    assert_eq!(failed, 0);
    assert!(successful >= 2, "{successful}");
    let up = server.root().join("up");
    assert_eq!(std::fs::read(up.join("small.txt")).unwrap(), b"small");
    assert_eq!(std::fs::read(up.join("deep/kept.txt")).unwrap(), b"kept");
    for skipped in ["deep/big.bin", "old.txt", "run.sh"] {
        assert!(!up.join(skipped).exists(), "{skipped} was uploaded");
    }
}

#[test]
fn a_folder_download_skips_files_a_rule_on_size_or_date_matches() {
    let server = FtpServer::start(ServerKind::Vsftpd);
    server.write_file("pub/small.txt", b"small");
    server.write_file("pub/deep/big.bin", &[1u8; 2048]);
    server.write_file("pub/deep/kept.txt", b"kept");
    server.write_file("pub/old.txt", b"old");
    set_mtime(
        &server.root().join("pub/old.txt"),
        SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 365 * 20),
    );
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("pub");

    let (_, failed) = run(folder_spec(&server, Direction::Download, &target, "/pub"));
    assert_eq!(failed, 0);
    assert_eq!(std::fs::read(target.join("small.txt")).unwrap(), b"small");
    assert_eq!(
        std::fs::read(target.join("deep/kept.txt")).unwrap(),
        b"kept"
    );
    for skipped in ["deep/big.bin", "old.txt"] {
        assert!(!target.join(skipped).exists(), "{skipped} was downloaded");
    }
}
