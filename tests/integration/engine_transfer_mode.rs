//! The engine's transfer type (Transfer > Transfer type in the window): binary keeps bytes
//! as they are, ASCII converts line endings, auto picks by extension. vsftpd stores what
//! arrives in ASCII mode as it is (`ascii_upload_enable=NO`), so the wire bytes are visible
//! in the server's file.

use std::sync::Arc;
use std::time::Duration;

use crate::common::engine_runtime;
use crate::common::{FtpServer, ServerKind};
use skiff::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind, Priority,
    TransferMode, TransferSpec,
};
use skiff::remote::Server;

/// Uploads `files` (name, content) with `mode`; returns the server's bytes of each.
fn upload_with(mode: TransferMode, files: &[(&str, &[u8])]) -> Vec<Vec<u8>> {
    let server = FtpServer::start(ServerKind::Vsftpd);
    let work = tempfile::tempdir().unwrap();
    let (options, _) = server.connect_options();
    let options = Arc::new(Server::from_ftp(options));
    let specs: Vec<TransferSpec> = files
        .iter()
        .map(|(name, content)| {
            std::fs::write(work.path().join(name), content).unwrap();
            TransferSpec {
                direction: Direction::Upload,
                kind: ItemKind::File,
                local: work.path().join(name),
                remote: format!("/{name}").into_bytes(),
                server: Arc::clone(&options),
                size: Some(content.len() as u64),
                priority: Priority::Normal,
                exists: ExistsPolicy::Refuse,
                target_absent: false,
                filters: None,
                expect: None,
            }
        })
        .collect();
    let rt = engine_runtime();
    rt.block_on(async {
        let (handle, mut events) = engine::spawn(EngineConfig::default(), Arc::new(|| {}));
        handle.send(EngineCommand::SetTransferMode(mode));
        handle.send(EngineCommand::Enqueue(specs));
        let counts = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(event) = events.recv().await {
                if let EngineEvent::Idle(counts) = event {
                    return counts;
                }
            }
            panic!("the engine ended");
        })
        .await
        .unwrap();
        assert_eq!(counts.successful, files.len(), "{counts:?}");
        handle.send(EngineCommand::Shutdown);
    });
    files
        .iter()
        .map(|(name, _)| server.read_file(name).unwrap())
        .collect()
}

#[test]
fn binary_is_the_default_and_keeps_every_byte() {
    let got = upload_with(TransferMode::default(), &[("a.txt", b"one\ntwo\n")]);
    assert_eq!(got[0], b"one\ntwo\n");
}

#[test]
fn ascii_sends_text_with_crlf_line_ends() {
    let got = upload_with(TransferMode::Ascii, &[("a.txt", b"one\ntwo\n")]);
    assert_eq!(got[0], b"one\r\ntwo\r\n");
}

#[test]
fn auto_sends_text_formats_as_ascii_and_everything_else_as_binary() {
    let got = upload_with(
        TransferMode::Auto,
        &[
            ("page.html", b"<p>\n</p>\n"),
            ("photo.jpg", b"\xff\xd8\n\x00\n"),
        ],
    );
    assert_eq!(got[0], b"<p>\r\n</p>\r\n");
    assert_eq!(got[1], b"\xff\xd8\n\x00\n", "binary files keep their bytes");
}
