//! The layers' rule, checked: dependencies point down. Each module's source is read and its
//! `crate::<module>` references are compared with what the module may use, so a shortcut
//! across the layers (the engine reaching for an FTP type, `net` for the trust store) fails
//! a test instead of slipping in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `.rs` file of `module` (`src/<module>.rs` and `src/<module>/**`).
fn files_of(module: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "no source for the module {module}");
    files
}

/// The crate's top-level modules `module` refers to, outside comments.
fn uses(module: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for file in files_of(module) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    used.insert(name);
                }
            }
        }
    }
    used
}

fn assert_uses_none_of(module: &str, forbidden: &[&str]) {
    let used = uses(module);
    let wrong: Vec<&str> = forbidden
        .iter()
        .copied()
        .filter(|f| used.contains(*f))
        .collect();
    assert!(
        wrong.is_empty(),
        "{module} must not import {wrong:?} (it uses {used:?}): dependencies point down"
    );
}

const FACES: &[&str] = &["cli", "gui"];

#[test]
fn the_pure_core_uses_nothing_above_it() {
    assert_uses_none_of(
        "folder_sync",
        &[
            "net", "remote", "transfer", "engine", "sites", "setup", "sftp", "cli", "gui",
        ],
    );
    assert_uses_none_of(
        "proto",
        &[
            "net", "remote", "transfer", "engine", "sites", "local", "setup", "cli", "gui",
        ],
    );
    assert_uses_none_of(
        "search",
        &[
            "net", "remote", "transfer", "engine", "sites", "setup", "sftp", "cli", "gui",
        ],
    );
    assert_uses_none_of(
        "local",
        &[
            "net", "remote", "transfer", "engine", "sites", "setup", "cli", "gui",
        ],
    );
}

#[test]
fn net_knows_neither_the_seam_nor_the_saved_settings() {
    // The TLS verifier takes the fingerprint trusted earlier, not the trust store.
    assert_uses_none_of(
        "net",
        &[
            "remote", "transfer", "engine", "sites", "setup", "cli", "gui",
        ],
    );
}

#[test]
fn sftp_like_net_knows_neither_the_seam_nor_the_saved_settings() {
    // Known hosts are files the caller names; trusting a key is the faces' and sites' job.
    assert_uses_none_of(
        "sftp",
        &[
            "remote", "transfer", "engine", "sites", "setup", "cli", "gui",
        ],
    );
    assert!(uses("remote").contains("sftp"), "the seam drives SFTP");
}

#[test]
fn above_the_seam_nothing_is_ftp() {
    for module in ["transfer", "engine"] {
        assert_uses_none_of(module, &["net", "sftp", "sites", "setup", "cli", "gui"]);
    }
    assert_uses_none_of("remote", &["transfer", "engine", "sites", "setup"]);
    assert_uses_none_of("remote", FACES);
}

#[test]
fn the_engine_and_the_saved_settings_do_not_know_each_other() {
    assert_uses_none_of("sites", &["engine", "setup", "cli", "gui"]);
    assert_uses_none_of("engine", &["sites"]);
    let setup = uses("setup");
    assert!(
        setup.contains("engine") && setup.contains("sites"),
        "{setup:?}"
    );
}

#[test]
fn the_check_sees_what_a_module_uses() {
    // Not vacuous: the engine does drive the seam, and the CLI the engine.
    assert!(uses("engine").contains("remote"));
    assert!(uses("cli").contains("engine"));
    assert!(
        !uses("engine").contains("engine"),
        "a module's own paths are not counted"
    );
}
