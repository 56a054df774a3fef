//! The server's charset for file names: UTF-8 by default, or a legacy one per site
//! (CP949/EUC-KR, Shift_JIS, GB18030, Big5, windows-1252, ISO-8859-x) through encoding_rs.
//!
//! Names stay raw bytes everywhere inside Skiff; a charset only turns them into text for
//! display and turns what the user typed into the bytes the server expects. A name that is
//! not valid in the charset still round-trips, because its bytes were never converted.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::Encoding;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Charset(&'static Encoding);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharsetError {
    #[error(
        "unknown charset {0:?} (try utf-8, cp949, euc-kr, shift_jis, gb18030, big5, windows-1252, iso-8859-2)"
    )]
    Unknown(String),
    #[error("{text:?} cannot be written in {charset}")]
    Unmappable { text: String, charset: &'static str },
}

impl Default for Charset {
    fn default() -> Self {
        Self::UTF8
    }
}

impl Charset {
    pub const UTF8: Charset = Charset(encoding_rs::UTF_8);

    /// A charset by name: WHATWG labels plus the names FTP users know (`cp949`, `sjis`, ...).
    pub fn from_name(name: &str) -> Result<Self, CharsetError> {
        let lower = name.trim().to_ascii_lowercase();
        let label = match lower.as_str() {
            "cp949" | "uhc" => "windows-949",
            "cp932" | "sjis" | "ms932" => "shift_jis",
            "cp936" => "gbk",
            "cp950" => "big5",
            "latin1" | "latin-1" => "iso-8859-1",
            "utf8" => "utf-8",
            other => other,
        };
        Encoding::for_label(label.as_bytes())
            .map(Charset)
            .ok_or_else(|| CharsetError::Unknown(name.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn is_utf8(&self) -> bool {
        self.0 == encoding_rs::UTF_8
    }

    /// Server bytes as text for display; bytes invalid in the charset become U+FFFD.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        self.0.decode_without_bom_handling(bytes).0
    }

    /// Text typed by the user as the server's bytes; an error if a character has no
    /// representation (never a silent `?`).
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, CharsetError> {
        let (bytes, _, unmappable) = self.0.encode(text);
        if unmappable {
            return Err(CharsetError::Unmappable {
                text: text.to_owned(),
                charset: self.name(),
            });
        }
        Ok(bytes.into_owned())
    }

    /// Bytes from a URL or the command line: UTF-8 text is converted to the charset; bytes
    /// that are not UTF-8 are taken to be server bytes already (a percent-encoded raw name).
    pub fn encode_user_bytes(&self, bytes: &[u8]) -> Result<Vec<u8>, CharsetError> {
        match std::str::from_utf8(bytes) {
            Ok(text) if !self.is_utf8() => self.encode(text),
            _ => Ok(bytes.to_vec()),
        }
    }
}

impl fmt::Debug for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Charset({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANGUL_CP949: &[u8] = b"\xc7\xd1\xb1\xdb.txt";

    #[test]
    fn korean_name_round_trips_through_cp949() {
        let cp949 = Charset::from_name("cp949").unwrap();
        assert_eq!(cp949.decode(HANGUL_CP949), "한글.txt");
        assert_eq!(cp949.encode("한글.txt").unwrap(), HANGUL_CP949);
        assert_eq!(Charset::from_name("EUC-KR").unwrap(), cp949);
    }

    #[test]
    fn japanese_and_chinese_names() {
        let sjis = Charset::from_name("sjis").unwrap();
        assert_eq!(
            sjis.decode(&sjis.encode("日本語.txt").unwrap()),
            "日本語.txt"
        );
        let gb = Charset::from_name("gb18030").unwrap();
        assert_eq!(gb.decode(&gb.encode("中文.txt").unwrap()), "中文.txt");
        let big5 = Charset::from_name("big5").unwrap();
        assert_eq!(big5.decode(&big5.encode("繁體.txt").unwrap()), "繁體.txt");
    }

    #[test]
    fn unmappable_text_is_an_error_not_a_question_mark() {
        let latin = Charset::from_name("windows-1252").unwrap();
        assert!(matches!(
            latin.encode("한"),
            Err(CharsetError::Unmappable { .. })
        ));
    }

    #[test]
    fn raw_bytes_from_a_url_pass_through() {
        let cp949 = Charset::from_name("cp949").unwrap();
        assert_eq!(cp949.encode_user_bytes(HANGUL_CP949).unwrap(), HANGUL_CP949);
        assert_eq!(
            cp949.encode_user_bytes("한글.txt".as_bytes()).unwrap(),
            HANGUL_CP949
        );
        assert_eq!(
            Charset::UTF8.encode_user_bytes(b"caf\xe9").unwrap(),
            b"caf\xe9"
        );
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(Charset::from_name("klingon").is_err());
    }
}
