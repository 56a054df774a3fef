//! Local file names from remote ones: a server's name can never place a file outside the
//! folder the user chose.

use std::ffi::OsString;

use crate::proto::charset::Charset;

/// Why a remote name cannot become a local file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's name {name:?} cannot be used as a local file name ({why})")]
pub struct UnsafeName {
    pub name: String,
    pub why: &'static str,
}

/// A remote name as a local file name: decoded from the server's charset when that is
/// lossless, else its raw bytes. `.`, `..`, empty names, and names with a slash or NUL are
/// refused: each would leave or confuse the target folder.
pub fn local_name(remote_name: &[u8], charset: Charset) -> Result<OsString, UnsafeName> {
    let refuse = |why| UnsafeName {
        name: String::from_utf8_lossy(remote_name).into_owned(),
        why,
    };
    if remote_name.is_empty() {
        return Err(refuse("empty"));
    }
    if remote_name == b"." || remote_name == b".." {
        return Err(refuse("a reference to a folder"));
    }
    if remote_name.contains(&b'/') {
        return Err(refuse("contains a slash"));
    }
    if remote_name.contains(&0) {
        return Err(refuse("contains a NUL byte"));
    }
    let decoded = charset.decode(remote_name);
    let bytes: &[u8] = if !charset.is_utf8() && !decoded.contains('\u{FFFD}') {
        decoded.as_bytes()
    } else {
        remote_name
    };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        Ok(std::ffi::OsStr::from_bytes(bytes).to_os_string())
    }
    #[cfg(not(unix))]
    {
        Ok(String::from_utf8_lossy(bytes).into_owned().into())
    }
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

/// A local file name as the bytes to send, in the server's charset.
pub fn remote_name(
    local: &std::ffi::OsStr,
    charset: Charset,
) -> Result<Vec<u8>, crate::proto::charset::CharsetError> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt as _;
        local.as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = local.to_string_lossy().into_owned().into_bytes();
    charset.encode_user_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_the_folder_are_refused() {
        for bad in [&b".."[..], b".", b"", b"a/b", b"../x", b"/abs", b"a\0b"] {
            assert!(local_name(bad, Charset::UTF8).is_err(), "{bad:?}");
        }
        assert_eq!(local_name(b"ok.txt", Charset::UTF8).unwrap(), "ok.txt");
    }

    #[test]
    fn legacy_names_are_decoded_for_the_local_disk() {
        let cp949 = Charset::from_name("cp949").unwrap();
        assert_eq!(
            local_name(b"\xc7\xd1\xb1\xdb.txt", cp949).unwrap(),
            "한글.txt"
        );
        assert_eq!(
            remote_name("한글.txt".as_ref(), cp949).unwrap(),
            b"\xc7\xd1\xb1\xdb.txt"
        );
    }
}
