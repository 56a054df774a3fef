//! Remote paths as raw bytes, and the quoted path of a 257 reply.
//!
//! RFC 959 appendix II: `257 "/usr/dm/pathname" directory created`; a double quote inside
//! the name is written twice.

/// The path inside a 257 reply's text (after the code), or `None` when it has no quoted part.
pub fn parse_pwd(text: &[u8]) -> Option<Vec<u8>> {
    let start = text.iter().position(|&b| b == b'"')?;
    let mut path = Vec::new();
    let mut rest = &text[start + 1..];
    loop {
        let quote = rest.iter().position(|&b| b == b'"')?;
        path.extend_from_slice(&rest[..quote]);
        rest = &rest[quote + 1..];
        if rest.first() == Some(&b'"') {
            path.push(b'"');
            rest = &rest[1..];
        } else {
            return Some(path);
        }
    }
}

/// `dir` + `/` + `name`, without doubling the slash.
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = dir.to_vec();
    if !out.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

/// The last component of a path (`/a/b.txt` → `b.txt`; `/a/dir/` → `dir`).
pub fn file_name(path: &[u8]) -> &[u8] {
    let trimmed = match path {
        [rest @ .., b'/'] if !rest.is_empty() => rest,
        _ => path,
    };
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

/// Everything before the last component (`/a/b.txt` → `/a`; `b.txt` → ``; `/b` → `/`).
pub fn parent(path: &[u8]) -> &[u8] {
    let trimmed = match path {
        [rest @ .., b'/'] if !rest.is_empty() => rest,
        _ => path,
    };
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/",
        Some(slash) => &trimmed[..slash],
        None => b"",
    }
}

/// A folder's path without trailing slashes (`/www/` → `/www`); the root stays `/`, and an
/// empty path becomes it.
pub fn folder(path: &[u8]) -> Vec<u8> {
    let end = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    match &path[..end] {
        [] => b"/".to_vec(),
        kept => kept.to_vec(),
    }
}

/// Whether `ancestor` is a folder strictly above `path` (`/` is above every other
/// absolute path; `/a` is above `/a/b`, not above `/ab`).
pub fn is_ancestor(ancestor: &[u8], path: &[u8]) -> bool {
    let ancestor = match ancestor {
        [rest @ .., b'/'] => rest,
        _ => ancestor,
    };
    path.len() > ancestor.len() + 1 && path.starts_with(ancestor) && path[ancestor.len()] == b'/'
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_folder_path_loses_its_trailing_slashes_but_the_root_stays() {
        assert_eq!(super::folder(b"/www//"), b"/www");
        assert_eq!(super::folder(b"/www"), b"/www");
        assert_eq!(super::folder(b"///"), b"/");
        assert_eq!(super::folder(b""), b"/");
        assert_eq!(super::folder(b"rel/"), b"rel");
    }

    #[test]
    fn ancestors_are_folders_strictly_above() {
        use super::is_ancestor;
        assert!(is_ancestor(b"/", b"/pub"));
        assert!(is_ancestor(b"/pub", b"/pub/a"));
        assert!(is_ancestor(b"/pub/", b"/pub/a/b"));
        assert!(!is_ancestor(b"/pub", b"/pub"));
        assert!(!is_ancestor(b"/pub", b"/public"));
        assert!(!is_ancestor(b"/pub", b"/pub/"));
        assert!(!is_ancestor(b"/a/b", b"/a"));
    }

    use super::*;

    #[test]
    fn pwd_path_with_doubled_quotes_is_unescaped() {
        assert_eq!(
            parse_pwd(br#""/a""b c" is the current directory"#).unwrap(),
            br#"/a"b c"#
        );
        assert_eq!(parse_pwd(br#""/" is cwd"#).unwrap(), b"/");
        assert_eq!(parse_pwd(b"no quotes here"), None);
        assert_eq!(parse_pwd(br#""unterminated"#), None);
    }

    #[test]
    fn paths_join_and_split() {
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"/a", b"x"), b"/a/x");
        assert_eq!(join(b"/a/", b"x"), b"/a/x");
        assert_eq!(file_name(b"/a/b.txt"), b"b.txt");
        assert_eq!(file_name(b"/a/dir/"), b"dir");
        assert_eq!(file_name(b"plain"), b"plain");
        assert_eq!(parent(b"/a/b.txt"), b"/a");
        assert_eq!(parent(b"/b"), b"/");
        assert_eq!(parent(b"b"), b"");
    }
}
