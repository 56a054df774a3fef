//! The local disk's side: local file names from remote ones (a server's name can never
//! place a file outside the folder the user chose), temporary and numbered names, and
//! files written atomically.

use std::ffi::OsString;

use crate::proto::charset::{Charset, CharsetError};

mod atomic;
mod collide;
mod names;
mod open;

pub use atomic::write_atomically;
pub use open::{open_listed_file, open_partial, partial_len};

pub use collide::{FolderNames, fold_key};
pub use names::{
    BadReplacement, MAX_NAME_BYTES, Replacement, fit_name, numbered_name, part_name, part_path,
    safe_name, typed_name_problem,
};

/// Why a remote name cannot become a local file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's name {name:?} cannot be used as a local file name ({why})")]
pub struct UnsafeName {
    pub name: String,
    pub why: &'static str,
}

/// A remote name made into a local one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalName {
    pub name: OsString,
    /// The rules replaced something (`a:b` → `a_b`): worth a log line.
    pub changed: bool,
}

/// A remote name as a local file name: decoded from the server's charset when that is
/// lossless, else its raw bytes, then made safe by [`safe_name`] (the table in
/// `local::names`): names that would leave or confuse the folder are refused, characters
/// and device names a local file system cannot hold are replaced with `replacement`.
pub fn local_name(
    remote_name: &[u8],
    charset: Charset,
    replacement: Replacement,
) -> Result<LocalName, UnsafeName> {
    let refuse = |why| UnsafeName {
        name: String::from_utf8_lossy(remote_name).into_owned(),
        why,
    };
    // Checked on the server's bytes first: a decoder must not be able to turn them into `/`.
    safe_name(remote_name, replacement).map_err(refuse)?;
    let decoded = charset.decode(remote_name);
    let bytes: &[u8] = if !charset.is_utf8() && !decoded.contains('\u{FFFD}') {
        decoded.as_bytes()
    } else {
        remote_name
    };
    let safe = safe_name(bytes, replacement).map_err(refuse)?;
    let changed = safe.as_ref() != bytes;
    Ok(LocalName {
        name: bytes_os(&safe),
        changed,
    })
}

/// A local name's bytes (lossy outside Unix).
pub fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// Bytes as a local name (lossy outside Unix).
pub fn bytes_os(bytes: &[u8]) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        std::ffi::OsStr::from_bytes(bytes).to_os_string()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
}

/// Why a local name cannot be sent to the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsendableName {
    /// FTP ends a command at CR/LF, so such a name would end the command early (and what
    /// follows would be a command of its own); NUL cannot be sent either.
    #[error("the local name {0:?} contains a line break or NUL, which no FTP command can carry")]
    LineBreak(String),
    #[error(transparent)]
    Charset(#[from] CharsetError),
}

/// A local file name as the bytes to send, in the server's charset; refused when it holds
/// CR, LF or NUL (before anything is sent for it).
pub fn remote_name(local: &std::ffi::OsStr, charset: Charset) -> Result<Vec<u8>, UnsendableName> {
    let bytes = os_bytes(local);
    if bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(UnsendableName::LineBreak(
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    Ok(charset.encode_user_bytes(&bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Replacement = Replacement::DEFAULT;

    #[test]
    fn names_that_escape_the_folder_are_refused() {
        for bad in [&b".."[..], b".", b"", b"a/b", b"../x", b"/abs", b"a\0b"] {
            assert!(local_name(bad, Charset::UTF8, R).is_err(), "{bad:?}");
        }
        let ok = local_name(b"ok.txt", Charset::UTF8, R).unwrap();
        assert_eq!((ok.name.to_str(), ok.changed), (Some("ok.txt"), false));
        let made_safe = local_name(b"a:b", Charset::UTF8, R).unwrap();
        assert_eq!(
            (made_safe.name.to_str(), made_safe.changed),
            (Some("a_b"), true)
        );
    }

    #[test]
    fn legacy_names_are_decoded_for_the_local_disk() {
        let cp949 = Charset::from_name("cp949").unwrap();
        assert_eq!(
            local_name(b"\xc7\xd1\xb1\xdb.txt", cp949, R).unwrap().name,
            "한글.txt"
        );
        assert_eq!(
            remote_name("한글.txt".as_ref(), cp949).unwrap(),
            b"\xc7\xd1\xb1\xdb.txt"
        );
    }

    #[test]
    fn local_names_with_line_breaks_cannot_be_sent() {
        for bad in ["a\nb.txt", "a\rb", "a\0b"] {
            let err = remote_name(bad.as_ref(), Charset::UTF8).unwrap_err();
            assert!(matches!(err, UnsendableName::LineBreak(_)), "{bad:?}");
            assert!(err.to_string().contains("line break"), "{err}");
        }
        assert_eq!(
            remote_name("ok b.txt".as_ref(), Charset::UTF8).unwrap(),
            b"ok b.txt"
        );
    }
}
