//! Whether a server's host key is the one known for it: OpenSSH's `known_hosts` format read
//! as OpenSSH reads it (hashed names, `[host]:port`, wildcards and negations, `@revoked`),
//! and fingerprints written as `ssh-keygen -lf` writes them (`SHA256:` and unpadded
//! base64), so a user can compare them with what the server's administrator says.
//!
//! Pure functions over text; the files are read by the caller.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{KeyInit as _, Mac as _};
use sha2::Digest as _;

/// A server's host key as the connection saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyInfo {
    pub host: String,
    pub port: u16,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...
    pub algorithm: String,
    /// The key blob, base64 (as in `known_hosts` and `.pub` files).
    pub key_base64: String,
    /// `SHA256:...`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
}

impl HostKeyInfo {
    /// The key from its type and base64 blob; `None` when the base64 is not valid.
    pub fn new(host: &str, port: u16, algorithm: &str, key_base64: &str) -> Option<Self> {
        Some(Self {
            host: host.to_owned(),
            port,
            algorithm: algorithm.to_owned(),
            key_base64: key_base64.to_owned(),
            fingerprint: fingerprint(key_base64)?,
        })
    }

    /// The `known_hosts` line that records this key for its host and port.
    pub fn known_hosts_line(&self) -> String {
        format!(
            "{} {} {}",
            host_pattern(&self.host, self.port),
            self.algorithm,
            self.key_base64
        )
    }
}

/// `SHA256:` and the unpadded base64 of the key blob's SHA-256.
pub fn fingerprint(key_base64: &str) -> Option<String> {
    let blob = STANDARD.decode(key_base64.trim()).ok()?;
    Some(format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(sha2::Sha256::digest(&blob))
    ))
}

/// Two fingerprints are the same, however the user wrote one (with or without `SHA256:`,
/// trailing `=`).
pub fn same_fingerprint(a: &str, b: &str) -> bool {
    fn core(text: &str) -> &str {
        let text = text.trim();
        let text = text.strip_prefix("SHA256:").unwrap_or(text);
        text.trim_end_matches('=')
    }
    !core(a).is_empty() && core(a) == core(b)
}

/// How `known_hosts` names a host: the name, or `[name]:port` off port 22.
pub fn host_pattern(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Where a `known_hosts` line was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAt {
    /// The file, as the caller named it.
    pub file: String,
    /// 1-based.
    pub line: usize,
}

/// What the known keys say about a server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Recorded for this host.
    Known(KnownAt),
    /// The user trusts this fingerprint for this connection (`--trust-host-key`, the
    /// dialog's answer).
    Trusted,
    /// Never seen for this host: ask before going on.
    Unknown,
    /// This host is recorded with another key of the same type: it changed, or someone is
    /// in between. Refused.
    Changed {
        known_fingerprint: String,
        at: KnownAt,
    },
    /// The key is marked `@revoked`.
    Revoked(KnownAt),
}

impl Verdict {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Known(_) | Verdict::Trusted)
    }
}

/// Checks `key` against the `known_hosts` texts (name, text) and the fingerprints the user
/// trusts. A fingerprint trusted explicitly wins over a changed key: that is the user's
/// deliberate choice; a revoked key is refused whatever.
pub fn check(key: &HostKeyInfo, files: &[(String, String)], trusted: &[String]) -> Verdict {
    let name = host_pattern(&key.host, key.port);
    let explicitly_trusted = trusted
        .iter()
        .any(|t| same_fingerprint(t, &key.fingerprint));
    let mut changed = None;
    for (file, text) in files {
        for (index, line) in text.lines().enumerate() {
            let Some(entry) = parse_line(line) else {
                continue;
            };
            let at = KnownAt {
                file: file.clone(),
                line: index + 1,
            };
            if entry.marker == Some("@cert-authority") || !hosts_match(entry.hosts, &name) {
                continue;
            }
            let same_key = entry.key_base64 == key.key_base64;
            if entry.marker == Some("@revoked") {
                if same_key {
                    return Verdict::Revoked(at);
                }
                continue;
            }
            if entry.algorithm != key.algorithm {
                continue;
            }
            if same_key {
                return Verdict::Known(at);
            }
            if changed.is_none() {
                changed = Some(Verdict::Changed {
                    known_fingerprint: fingerprint(entry.key_base64)
                        .unwrap_or_else(|| "(unreadable)".into()),
                    at,
                });
            }
        }
    }
    match changed {
        _ if explicitly_trusted => Verdict::Trusted,
        Some(changed) => changed,
        None => Verdict::Unknown,
    }
}

struct Line<'a> {
    marker: Option<&'a str>,
    hosts: &'a str,
    algorithm: &'a str,
    key_base64: &'a str,
}

fn parse_line(line: &str) -> Option<Line<'_>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_ascii_whitespace();
    let mut first = fields.next()?;
    let marker = if first.starts_with('@') {
        let marker = first;
        first = fields.next()?;
        Some(marker)
    } else {
        None
    };
    Some(Line {
        marker,
        hosts: first,
        algorithm: fields.next()?,
        key_base64: fields.next()?,
    })
}

/// Whether a comma-separated host list names `name`: a negated pattern that matches rules
/// the line out, as in OpenSSH.
fn hosts_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(negated, name) {
                return false;
            }
        } else if let Some(hashed) = pattern.strip_prefix("|1|") {
            matched |= hashed_match(hashed, name);
        } else {
            matched |= wildcard_match(pattern, name);
        }
    }
    matched
}

/// `|1|salt|hash`: the HMAC-SHA1 of the name under the salt (OpenSSH's HashKnownHosts).
fn hashed_match(salt_and_hash: &str, name: &str) -> bool {
    let Some((salt, hash)) = salt_and_hash.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// `*` and `?` as OpenSSH's match_pattern (case-insensitive host names).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let name: Vec<char> = name.to_ascii_lowercase().chars().collect();
    // Iterative glob match with backtracking to the last `*`: linear in practice, and
    // bounded by pattern × name at worst.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    // ed25519 key blobs (type name and 32 arbitrary key bytes). That the fingerprint is
    // `ssh-keygen -lf`'s is checked against real host keys in tests/integration/sftp.rs.
    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOhTJ9yVdtS9Oqnk7hGuZ0GfM7KBtWzIv0fqaz1BHbJH";
    const OTHER: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIBG8Qq3yx+fNChyCpn8yBbYl5nzVz8IcRsvPMfPB0BCT";

    fn key(host: &str, port: u16) -> HostKeyInfo {
        HostKeyInfo::new(host, port, "ssh-ed25519", KEY).unwrap()
    }

    fn file(text: &str) -> Vec<(String, String)> {
        vec![("known_hosts".to_owned(), text.to_owned())]
    }

    #[test]
    fn fingerprints_read_as_ssh_keygen_prints_them() {
        let fp = fingerprint(KEY).unwrap();
        assert!(fp.starts_with("SHA256:"), "{fp}");
        assert_eq!(
            fp.len(),
            "SHA256:".len() + 43,
            "unpadded base64 of 32 bytes"
        );
        assert!(same_fingerprint(&fp, fp.trim_start_matches("SHA256:")));
        assert!(same_fingerprint(&fp, &format!("{fp}=")));
        assert!(!same_fingerprint(&fp, &fingerprint(OTHER).unwrap()));
        assert!(!same_fingerprint("", ""));
        assert_eq!(fingerprint("not base64!"), None);
    }

    #[test]
    fn a_recorded_key_is_known_and_another_of_its_type_is_a_change() {
        let port22 = format!("# comment\n\nexample.org ssh-ed25519 {KEY} me@host\n");
        assert!(matches!(
            check(&key("example.org", 22), &file(&port22), &[]),
            Verdict::Known(KnownAt { line: 3, .. })
        ));
        assert_eq!(
            check(&key("example.org", 2222), &file(&port22), &[]),
            Verdict::Unknown,
            "another port is another host"
        );
        let bracketed = format!("[127.0.0.1]:2222\tssh-ed25519  {KEY}\n");
        assert!(check(&key("127.0.0.1", 2222), &file(&bracketed), &[]).is_accepted());

        let changed = format!("a.example,example.org ssh-ed25519 {OTHER}\n");
        let verdict = check(&key("example.org", 22), &file(&changed), &[]);
        let Verdict::Changed {
            known_fingerprint,
            at,
        } = verdict
        else {
            panic!("{verdict:?}")
        };
        assert_eq!(known_fingerprint, fingerprint(OTHER).unwrap());
        assert_eq!(at.line, 1);
        // The user's explicit trust of the new key is a deliberate choice.
        let trusted = [fingerprint(KEY).unwrap()];
        assert_eq!(
            check(&key("example.org", 22), &file(&changed), &trusted),
            Verdict::Trusted
        );

        let other_type = format!("example.org ssh-rsa {OTHER}\n");
        assert_eq!(
            check(&key("example.org", 22), &file(&other_type), &[]),
            Verdict::Unknown,
            "a key of another type is not a change"
        );
    }

    #[test]
    fn hashed_names_wildcards_negations_and_markers() {
        // `ssh-keygen -H` hashes "example.org" under this salt.
        let salt = STANDARD.encode(b"0123456789abcdefghij");
        let mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"0123456789abcdefghij")
            .unwrap()
            .chain_update(b"example.org")
            .finalize()
            .into_bytes();
        let hashed = format!("|1|{salt}|{} ssh-ed25519 {KEY}\n", STANDARD.encode(mac));
        assert!(check(&key("example.org", 22), &file(&hashed), &[]).is_accepted());
        assert_eq!(
            check(&key("example.com", 22), &file(&hashed), &[]),
            Verdict::Unknown
        );

        let wildcard = format!("*.example.org,!bad.example.org ssh-ed25519 {KEY}\n");
        assert!(check(&key("www.EXAMPLE.org", 22), &file(&wildcard), &[]).is_accepted());
        assert_eq!(
            check(&key("bad.example.org", 22), &file(&wildcard), &[]),
            Verdict::Unknown
        );

        let revoked = format!("@revoked * ssh-ed25519 {KEY}\nexample.org ssh-ed25519 {KEY}\n");
        assert!(matches!(
            check(
                &key("example.org", 22),
                &file(&revoked),
                &[fingerprint(KEY).unwrap()]
            ),
            Verdict::Revoked(_)
        ));
        let ca = format!("@cert-authority * ssh-ed25519 {OTHER}\n");
        assert_eq!(
            check(&key("example.org", 22), &file(&ca), &[]),
            Verdict::Unknown
        );
        let broken = "garbage\n\u{0}\u{1}\nexample.org ssh-ed25519\n";
        assert_eq!(
            check(&key("example.org", 22), &file(broken), &[]),
            Verdict::Unknown
        );
    }

    #[test]
    fn the_line_written_for_a_new_key_is_found_again() {
        let info = key("::1", 2022);
        let line = info.known_hosts_line();
        assert_eq!(line, format!("[::1]:2022 ssh-ed25519 {KEY}"));
        assert!(check(&info, &file(&line), &[]).is_accepted());
    }

    #[test]
    fn wildcards_match_as_globs() {
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(wildcard_match("192.168.?.1", "192.168.5.1"));
        assert!(!wildcard_match("a*b", "aXXc"));
        assert!(!wildcard_match("", "a"));
        assert!(wildcard_match("[h]:2*", "[h]:22"));
    }
}
