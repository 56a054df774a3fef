//! The rules that turn one remote name into a name every local file system can hold, as
//! FileZilla's "filter invalid characters in filenames" does, plus Windows' reserved names.
//!
//! Per name, what happens (the same on every platform, so a tree downloaded on Linux still
//! copies to Windows, macOS or a FAT/exFAT stick, and one download gives one tree anywhere):
//!
//! | remote name                                   | local name                              |
//! |-----------------------------------------------|-----------------------------------------|
//! | empty, `.`, `..`                              | refused: a reference to a folder        |
//! | with `/` (`a/b`, `../x`, `/abs`)              | refused: a path, not a name             |
//! | with NUL, CR or LF                            | refused: no FTP command can ask for it  |
//! | longer than 255 bytes (after the rules)       | refused: no common file system holds it |
//! | `\ : * ? " < > \|`, control characters, DEL   | each replaced: `a\b` → `a_b`            |
//! | trailing dots and spaces (`x.`, `x `, `...`)  | each replaced: `x.` → `x_`, `...` → `___`|
//! | `CON PRN AUX NUL COM0-9 LPT0-9 CONIN$ CONOUT$`, any case, with or without an extension | the replacement after the device name: `CON` → `CON_`, `nul.txt` → `nul_.txt` |
//!
//! `_` is the default replacement; it is a setting, and itself checked (`Replacement::new`).
//! Refusals become a log line naming the entry; replacements too.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Characters Windows refuses in a name (besides `/` and control characters).
const WINDOWS_FORBIDDEN: &[u8] = b"\\:*?\"<>|";

/// No file system in common use holds a longer name (ext4, NTFS in UTF-16 units, APFS).
pub const MAX_NAME_BYTES: usize = 255;

/// The character that replaces what a local file system cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "char", into = "char")]
pub struct Replacement(char);

impl Default for Replacement {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a character cannot replace others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot replace invalid characters: it is itself not allowed in file names")]
pub struct BadReplacement(pub char);

impl Replacement {
    /// FileZilla's default.
    pub const DEFAULT: Replacement = Replacement('_');

    /// `c` unless it is one of the characters it would replace (or a dot or space, which
    /// Windows drops at the end of a name, or NUL/slash).
    pub fn new(c: char) -> Result<Self, BadReplacement> {
        let bad = c.is_control()
            || c == '/'
            || c == '.'
            || c == ' '
            || (c.is_ascii() && WINDOWS_FORBIDDEN.contains(&(c as u8)));
        if bad {
            Err(BadReplacement(c))
        } else {
            Ok(Self(c))
        }
    }

    pub fn get(self) -> char {
        self.0
    }

    /// The settings field's text: exactly one allowed character.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Self::new(c).map_err(|e| e.to_string()),
            _ => Err(format!(
                "the replacement for invalid characters must be one character, not {text:?}"
            )),
        }
    }
}

impl TryFrom<char> for Replacement {
    type Error = BadReplacement;
    fn try_from(c: char) -> Result<Self, Self::Error> {
        Self::new(c)
    }
}

impl From<Replacement> for char {
    fn from(r: Replacement) -> char {
        r.0
    }
}

/// `name` (UTF-8 or raw bytes) as a name the local disk can hold, or why it cannot be one.
/// Only ASCII bytes are looked at, so raw legacy-charset bytes pass through unchanged.
pub fn safe_name(name: &[u8], replacement: Replacement) -> Result<Cow<'_, [u8]>, &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if name == b"." || name == b".." {
        return Err("a reference to a folder");
    }
    if name.contains(&b'/') {
        return Err("contains a slash: a path, not a name");
    }
    if name.contains(&0) {
        return Err("contains a NUL byte");
    }
    if name.contains(&b'\r') || name.contains(&b'\n') {
        return Err("contains a line break, which no FTP command can ask for");
    }
    let mut rep = [0u8; 4];
    let rep: &[u8] = replacement.get().encode_utf8(&mut rep).as_bytes();
    let trailing = name
        .iter()
        .rev()
        .take_while(|&&b| b == b'.' || b == b' ')
        .count();
    let keep = name.len() - trailing;
    let reserved_end = reserved_device_end(&name[..keep]);
    let needs_change = trailing > 0
        || reserved_end.is_some()
        || name
            .iter()
            .any(|&b| b < 0x20 || b == 0x7f || WINDOWS_FORBIDDEN.contains(&b));
    if !needs_change {
        return check_length(Cow::Borrowed(name));
    }
    let mut out = Vec::with_capacity(name.len() + 4);
    for (i, &b) in name.iter().enumerate() {
        if Some(i) == reserved_end {
            out.extend_from_slice(rep);
        }
        if i >= keep || b < 0x20 || b == 0x7f || WINDOWS_FORBIDDEN.contains(&b) {
            out.extend_from_slice(rep);
        } else {
            out.push(b);
        }
    }
    if reserved_end == Some(name.len()) {
        out.extend_from_slice(rep);
    }
    check_length(Cow::Owned(out))
}

/// Why a name the user typed (the file-exists dialog's Rename) cannot be used, if it cannot:
/// one name, not a path, and for a local file one that every system can hold as typed
/// (`safe_name` would have to change it). A server's name is held to CR, LF and NUL too.
pub fn typed_name_problem(name: &str, local: bool) -> Option<&'static str> {
    match safe_name(name.as_bytes(), Replacement::DEFAULT) {
        Err(why) => Some(why),
        Ok(Cow::Owned(_)) if local => Some(
            "holds a character a file name cannot (\\ : * ? \" < > | or a control character), \
             ends in a dot or space, or is a device name such as CON",
        ),
        Ok(_) => None,
    }
}

/// `name (n).ext` for the n-th alternative to a taken name (`archive.tar.gz` keeps its
/// whole extension after the first dot of a non-leading part: `archive (1).tar.gz`). A name
/// near the 255-byte limit loses the end of its stem so that the result still fits.
pub fn numbered_name(name: &[u8], n: u32) -> Vec<u8> {
    let number = format!(" ({n})");
    let dot = name.iter().skip(1).position(|&b| b == b'.').map(|p| p + 1);
    let (stem, ext) = match dot {
        // An "extension" that leaves no room for a stem is part of the stem.
        Some(at) if name.len() - at + number.len() < MAX_NAME_BYTES => name.split_at(at),
        _ => (name, &[][..]),
    };
    fit_name(stem, &[number.as_bytes(), ext].concat(), MAX_NAME_BYTES)
}

/// The temporary name a download is written to: `NAME.part` beside it.
pub fn part_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(crate::local::os_bytes)
        .unwrap_or_default();
    target.with_file_name(crate::local::bytes_os(&part_name(&name)))
}

/// `NAME.part`; for a name too long to take the suffix (over 250 bytes), the name cut short
/// plus `~` and a hash of the whole name, so that two long names still get two temporary
/// files and the same name always the same one (a resume finds it).
pub fn part_name(name: &[u8]) -> Vec<u8> {
    const SUFFIX: &[u8] = b".part";
    let max = MAX_NAME_BYTES;
    if name.len() + SUFFIX.len() <= max {
        return [name, SUFFIX].concat();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let tail = format!("~{hash:08x}.part");
    fit_name(name, tail.as_bytes(), max)
}

/// `stem` shortened so that `stem` + `suffix` fits in `max` bytes (cut at a character
/// boundary when the stem is UTF-8), then `suffix`: a numbered or temporary name made from
/// a name near the limit must still be one the file system can create.
pub fn fit_name(stem: &[u8], suffix: &[u8], max: usize) -> Vec<u8> {
    let room = max.saturating_sub(suffix.len());
    let mut cut = stem.len().min(room);
    if let Ok(text) = std::str::from_utf8(stem) {
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
    }
    [&stem[..cut], suffix].concat()
}

fn check_length(name: Cow<'_, [u8]>) -> Result<Cow<'_, [u8]>, &'static str> {
    if name.len() > MAX_NAME_BYTES {
        Err("longer than 255 bytes")
    } else {
        Ok(name)
    }
}

/// Where a Windows device name ends when `name` (without its trailing dots and spaces) is
/// one: the part before the first dot, less trailing spaces, is CON, PRN, AUX, NUL,
/// COM0-9, LPT0-9 (also with ¹²³), CONIN$ or CONOUT$, in any case.
fn reserved_device_end(name: &[u8]) -> Option<usize> {
    let stem_end = name.iter().position(|&b| b == b'.').unwrap_or(name.len());
    let stem = &name[..stem_end];
    let word_len = stem.len() - stem.iter().rev().take_while(|&&b| b == b' ').count();
    let word = stem[..word_len].to_ascii_uppercase();
    let is_device = match word.as_slice() {
        b"CON" | b"PRN" | b"AUX" | b"NUL" | b"CONIN$" | b"CONOUT$" => true,
        [b'C', b'O', b'M', rest @ ..] | [b'L', b'P', b'T', rest @ ..] => {
            matches!(rest, [b'0'..=b'9'] | [0xc2, 0xb9 | 0xb2 | 0xb3])
        }
        _ => false,
    };
    is_device.then_some(word_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(name: &str) -> Result<String, &'static str> {
        safe_name(name.as_bytes(), Replacement::default())
            .map(|n| String::from_utf8(n.into_owned()).unwrap())
    }

    #[test]
    fn a_typed_name_is_one_name_that_needs_no_change() {
        assert_eq!(typed_name_problem("report (1).txt", true), None);
        assert_eq!(typed_name_problem("보고서.txt", true), None);
        for bad in ["", ".", "..", "../x", "a/b"] {
            assert!(typed_name_problem(bad, true).is_some(), "{bad:?}");
            assert!(typed_name_problem(bad, false).is_some(), "{bad:?}");
        }
        // What a server can hold but a local disk everywhere cannot.
        for local_only in ["a:b", "x?", "CON", "trailing."] {
            assert!(
                typed_name_problem(local_only, true).is_some(),
                "{local_only:?}"
            );
            assert_eq!(
                typed_name_problem(local_only, false),
                None,
                "{local_only:?}"
            );
        }
        assert!(typed_name_problem("a\r\nDELE x", false).is_some());
    }

    #[test]
    fn names_that_leave_or_confuse_the_folder_are_refused() {
        for bad in [
            "", ".", "..", "a/b", "../x", "/abs", "x/", "a\0b", "a\rb", "a\nb",
        ] {
            assert!(safe(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(safe(&"x".repeat(256)).is_err());
        assert_eq!(safe(&"x".repeat(255)).unwrap().len(), 255);
        assert_eq!(fit_name(b"abc", b".part", 255), b"abc.part");
        assert_eq!(fit_name(&[b'x'; 255], b".part", 255).len(), 255);
        // Never half a character: 한 is three bytes.
        let korean = "한".repeat(85);
        let fitted = fit_name(korean.as_bytes(), b" (1)", 255);
        assert_eq!(
            std::str::from_utf8(&fitted).unwrap(),
            format!("{} (1)", "한".repeat(83))
        );
    }

    #[test]
    fn windows_characters_and_control_characters_are_replaced() {
        assert_eq!(safe("a\\b").unwrap(), "a_b");
        assert_eq!(safe("C:x").unwrap(), "C_x");
        assert_eq!(safe("what?*.txt").unwrap(), "what__.txt");
        assert_eq!(safe("\"q\" <a> |b|").unwrap(), "_q_ _a_ _b_");
        assert_eq!(safe("tab\there\x1b[31m\x7f").unwrap(), "tab_here_[31m_");
        assert_eq!(
            safe("plain name (1).tar.gz").unwrap(),
            "plain name (1).tar.gz"
        );
        assert_eq!(safe("名前.txt").unwrap(), "名前.txt");
    }

    #[test]
    fn trailing_dots_and_spaces_are_replaced_so_windows_cannot_drop_them() {
        assert_eq!(safe("x.").unwrap(), "x_");
        assert_eq!(safe("x ").unwrap(), "x_");
        assert_eq!(safe("x. .").unwrap(), "x___");
        assert_eq!(safe("...").unwrap(), "___");
        assert_eq!(safe(". ").unwrap(), "__");
        assert_eq!(safe(".hidden").unwrap(), ".hidden");
        assert_eq!(safe(" leading").unwrap(), " leading");
    }

    #[test]
    fn windows_device_names_get_the_replacement_after_the_device() {
        assert_eq!(safe("CON").unwrap(), "CON_");
        assert_eq!(safe("con").unwrap(), "con_");
        assert_eq!(safe("nul.txt").unwrap(), "nul_.txt");
        assert_eq!(safe("Aux.tar.gz").unwrap(), "Aux_.tar.gz");
        assert_eq!(safe("COM1").unwrap(), "COM1_");
        assert_eq!(safe("lpt9.log").unwrap(), "lpt9_.log");
        assert_eq!(safe("COM¹").unwrap(), "COM¹_");
        assert_eq!(safe("CONOUT$").unwrap(), "CONOUT$_");
        assert_eq!(safe("NUL .txt").unwrap(), "NUL_ .txt");
        assert_eq!(safe("PRN.").unwrap(), "PRN__");
        for fine in ["CONSOLE", "COM10", "LPT", "xcon", "con-x.txt", "COMA"] {
            assert_eq!(safe(fine).unwrap(), fine);
        }
    }

    #[test]
    fn raw_legacy_bytes_pass_through() {
        let cp949 = b"\xc7\xd1\xb1\xdb:.txt";
        assert_eq!(
            safe_name(cp949, Replacement::default()).unwrap().as_ref(),
            b"\xc7\xd1\xb1\xdb_.txt"
        );
    }

    #[test]
    fn the_replacement_is_configurable_and_checked() {
        let plus = Replacement::new('+').unwrap();
        assert_eq!(safe_name(b"a:b.", plus).unwrap().as_ref(), b"a+b+");
        let wide = Replacement::parse("＿").unwrap();
        assert_eq!(
            safe_name(b"CON", wide).unwrap().as_ref(),
            "CON＿".as_bytes()
        );
        for bad in [
            '/', '\\', ':', '*', '?', '"', '<', '>', '|', '.', ' ', '\0', '\n',
        ] {
            assert!(Replacement::new(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Replacement::parse("").is_err());
        assert!(Replacement::parse("__").is_err());
        assert_eq!(Replacement::parse("-").unwrap().get(), '-');
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name(b"report.pdf", 1), b"report (1).pdf");
        assert_eq!(numbered_name(b"archive.tar.gz", 2), b"archive (2).tar.gz");
        assert_eq!(numbered_name(b"README", 1), b"README (1)");
        assert_eq!(numbered_name(b".bashrc", 1), b".bashrc (1)");
        // At the limit the stem gives way, the number and extension stay.
        let long = [vec![b'n'; 251], b".txt".to_vec()].concat();
        let numbered = numbered_name(&long, 12);
        assert_eq!(numbered.len(), 255);
        assert!(numbered.ends_with(b"n (12).txt"));
        let dotted = [b"a.".to_vec(), vec![b'e'; 253]].concat();
        assert_eq!(numbered_name(&dotted, 1).len(), 255);
        assert!(numbered_name(&dotted, 1).ends_with(b" (1)"));
    }

    #[test]
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/x/a.tar.gz")),
            PathBuf::from("/tmp/x/a.tar.gz.part")
        );
    }

    #[test]
    fn a_name_near_the_limit_gets_a_temporary_name_that_fits_and_is_its_own() {
        let a = [vec![b'a'; 250], b"-one".to_vec()].concat();
        let b = [vec![b'a'; 250], b"-two".to_vec()].concat();
        let (part_a, part_b) = (part_name(&a), part_name(&b));
        assert_eq!(part_a.len(), 255);
        assert!(part_a.ends_with(b".part") && part_a.starts_with(&[b'a'; 200]));
        assert_ne!(part_a, part_b, "two long names, one temporary file");
        // The same name always gets the same temporary file, in every run and build (a
        // resume finds it): the name cut to 241 bytes, `~`, the FNV-1a hash of the whole
        // name (0x2d2d4bee, worked out apart from Skiff), `.part`.
        assert_eq!(
            part_a,
            [vec![b'a'; 241], b"~2d2d4bee.part".to_vec()].concat(),
            "the same name, another temporary file"
        );
        assert_eq!(
            part_name(&[b'x'; 250]),
            [vec![b'x'; 250], b".part".to_vec()].concat()
        );
    }

    /// A real file system takes the longest names Skiff lets through, numbered or not.
    #[test]
    fn the_longest_allowed_names_can_be_created_with_their_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let name = [vec![b'n'; 251], b".bin".to_vec()].concat();
        for candidate in [name.clone(), numbered_name(&name, 999)] {
            let target = dir.path().join(crate::local::bytes_os(&candidate));
            std::fs::write(part_path(&target), b"part").unwrap();
            std::fs::rename(part_path(&target), &target).unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), b"part");
        }
    }
}
