//! Looking for a password on disk: every file under a folder, and every form in which a
//! secret must not appear in one.

use std::path::{Path, PathBuf};

use base64::Engine as _;

/// Every file under `dir`, recursively (none when `dir` does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every form in which `secret` must not appear in a file: raw, base64 (standard and URL-safe,
/// padded or not, at each of the three alignments inside a longer blob), hex in both cases.
pub fn encodings_of(secret: &[u8]) -> Vec<Vec<u8>> {
    let mut needles = vec![
        secret.to_vec(),
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
    ];
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        needles.push(engine.encode(secret).into_bytes());
        for skip in 0..3 {
            let rest = &secret[skip..];
            let whole = &rest[..rest.len() - rest.len() % 3];
            needles.push(engine.encode(whole).into_bytes());
        }
    }
    needles
}

/// Fails naming the file and the form if any of `files` holds `secret` in any of its forms.
pub fn assert_no_file_holds(files: &[PathBuf], secret: &str) {
    for needle in encodings_of(secret.as_bytes()) {
        assert!(needle.len() >= 6, "{secret:?} is too short to search for");
        for file in files {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{} holds {secret:?} as {:?}",
                file.display(),
                String::from_utf8_lossy(&needle)
            );
        }
    }
}
