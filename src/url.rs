//! `ftp://`, `ftpes://`, `ftps://` and `sftp://` URLs as the CLI and the quickconnect bar
//! take them.
//!
//! `ftp://[user[:password]@]host[:port]/path`, with percent-decoding of user, password and
//! path. The path is kept as bytes: `%C7%D1` is an EUC-KR byte pair, not UTF-8.

use percent_encoding::percent_decode_str;

use crate::secret::Secret;

/// How the control connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain FTP (port 21).
    Ftp,
    /// Explicit FTPS: AUTH TLS on the plain port (21).
    Ftpes,
    /// Implicit FTPS: TLS from the first byte (port 990).
    Ftps,
    /// SFTP over SSH (port 22).
    Sftp,
}

impl Scheme {
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Ftp | Scheme::Ftpes => 21,
            Scheme::Ftps => 990,
            Scheme::Sftp => 22,
        }
    }

    /// How the scheme secures the connection; plain `ftp://` may still try TLS when the user
    /// asks for "TLS if available".
    pub fn tls_mode(self, tls_if_available: bool) -> crate::net::tls::TlsMode {
        use crate::net::tls::TlsMode;
        match self {
            Scheme::Ftpes => TlsMode::Explicit,
            Scheme::Ftps => TlsMode::Implicit,
            Scheme::Ftp if tls_if_available => TlsMode::ExplicitIfAvailable,
            Scheme::Ftp | Scheme::Sftp => TlsMode::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ftp => "ftp",
            Scheme::Ftpes => "ftpes",
            Scheme::Ftps => "ftps",
            Scheme::Sftp => "sftp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    pub scheme: Scheme,
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Percent-decoded path bytes; empty means the login directory.
    pub path: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("unsupported URL scheme {0:?}: use ftp://, ftpes://, ftps:// or sftp://")]
    Scheme(String),
    #[error("the URL has no host: {0:?}")]
    MissingHost(String),
    #[error("the URL's port is not a number from 1 to 65535: {0:?}")]
    BadPort(String),
    #[error("the URL's IPv6 host has no closing bracket: {0:?}")]
    BadIpv6(String),
    #[error("the URL's user name is not valid UTF-8 after percent-decoding")]
    BadUser,
    #[error(
        "the URL's host is not a host name or IP address (IPv6 goes in brackets, \
         ftp://[::1]/): {0:?}"
    )]
    BadHost(String),
}

/// A host as it can be connected to: an IPv6 literal (from inside brackets), or a name or
/// IPv4 address with none of the characters that delimit URL parts or would be mistaken
/// for them. Found by fuzzing (fuzz/url): `ftp://u:p:[@:1]:2121/` gave the host `:1]`,
/// which could not even be written back as a URL.
fn valid_host(host: &str, bracketed: bool) -> bool {
    if bracketed {
        return host.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.contains(':') && is_host(host)
}

/// A host Skiff may hand to the resolver or connect to: an IP address, or a DNS name made
/// of labels of letters (of any script: internationalized names), digits, `-` and `_`,
/// 1-63 characters each, 253 at most. Anything else (`%zz%`, a slash, a space) is refused
/// before any lookup.
pub fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

impl FtpUrl {
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let (scheme_text, rest) = input
            .split_once("://")
            .ok_or_else(|| UrlError::Scheme(input.chars().take(40).collect()))?;
        let scheme = match scheme_text.to_ascii_lowercase().as_str() {
            "ftp" => Scheme::Ftp,
            "ftpes" => Scheme::Ftpes,
            "ftps" => Scheme::Ftps,
            "sftp" => Scheme::Sftp,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        // The password may itself contain '@' when not encoded: split at the last one.
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, pass) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = percent_decode_str(user)
                    .decode_utf8()
                    .map_err(|_| UrlError::BadUser)?
                    .into_owned();
                let pass = pass
                    .map(|p| Secret::new(percent_decode_str(p).decode_utf8_lossy().into_owned()));
                ((!user.is_empty()).then_some(user), pass)
            }
        };
        let (host, port_text) = if let Some(v6) = hostport.strip_prefix('[') {
            let close = v6
                .find(']')
                .ok_or_else(|| UrlError::BadIpv6(hostport.to_owned()))?;
            let after = &v6[close + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(UrlError::BadIpv6(hostport.to_owned())),
            };
            (v6[..close].to_owned(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::MissingHost(input.chars().take(80).collect()));
        }
        if !valid_host(&host, hostport.starts_with('[')) {
            return Err(UrlError::BadHost(host.chars().take(80).collect()));
        }
        let port = match port_text {
            None | Some("") => scheme.default_port(),
            Some(p) => match p.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(UrlError::BadPort(p.to_owned())),
            },
        };
        let path = percent_decode_str(path).collect::<Vec<u8>>();
        Ok(Self {
            scheme,
            host,
            port,
            user,
            password,
            path,
        })
    }

    /// `host:port` for display and connecting, with brackets around IPv6 literals.
    pub fn host_port(&self) -> String {
        format!("{}:{}", self.url_host(), self.port)
    }

    /// The host as a URL writes it: IPv6 literals in brackets.
    pub fn url_host(&self) -> String {
        url_host(&self.host)
    }

    /// The URL without the password, safe to print.
    pub fn redacted(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!(
            "{}://{user}{}{}",
            self.scheme.as_str(),
            self.host_port(),
            String::from_utf8_lossy(&self.path)
        )
    }
}

/// A host as a URL writes it: an IPv6 literal in brackets, anything else as it is.
pub fn url_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url_is_split_and_decoded() {
        let url = FtpUrl::parse("ftp://me%40home:p%3Ass@example.com:2121/dir%20x/f.txt").unwrap();
        assert_eq!(url.scheme, Scheme::Ftp);
        assert_eq!(url.user.as_deref(), Some("me@home"));
        assert_eq!(url.password.as_ref().unwrap().expose(), "p:ss");
        assert_eq!(url.host, "example.com");
        assert_eq!(url.port, 2121);
        assert_eq!(url.path, b"/dir x/f.txt");
        assert_eq!(url.redacted(), "ftp://me@home@example.com:2121/dir x/f.txt");
    }

    #[test]
    fn default_ports_follow_the_scheme() {
        assert_eq!(FtpUrl::parse("ftp://h").unwrap().port, 21);
        assert_eq!(FtpUrl::parse("ftpes://h/").unwrap().port, 21);
        assert_eq!(FtpUrl::parse("FTPS://h").unwrap().port, 990);
        assert_eq!(FtpUrl::parse("ftp://h").unwrap().path, b"");
    }

    #[test]
    fn ipv6_literal_keeps_its_port() {
        let url = FtpUrl::parse("ftp://u:p@[::1]:2121/x").unwrap();
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 2121);
        assert_eq!(url.host_port(), "[::1]:2121");
        assert_eq!(FtpUrl::parse("ftp://[::1]/").unwrap().port, 21);
    }

    #[test]
    fn percent_encoded_path_stays_raw_bytes() {
        let url = FtpUrl::parse("ftp://h/%C7%D1%B1%DB.txt").unwrap();
        assert_eq!(url.path, b"/\xC7\xD1\xB1\xDB.txt");
    }

    #[test]
    fn unusable_urls_are_clear_errors() {
        assert!(matches!(
            FtpUrl::parse("http://h/"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(FtpUrl::parse("h/x"), Err(UrlError::Scheme(_))));
        assert!(matches!(
            FtpUrl::parse("ftp:///x"),
            Err(UrlError::MissingHost(_))
        ));
        assert!(matches!(
            FtpUrl::parse("ftp://h:0/"),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            FtpUrl::parse("ftp://h:99999/"),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            FtpUrl::parse("ftp://[::1/"),
            Err(UrlError::BadIpv6(_))
        ));
    }

    #[test]
    fn hosts_that_are_no_host_are_clear_errors() {
        for text in [
            "ftp://u:p:[@:1]:2121/x",
            "ftp://::1/",
            "ftp://a:b:21/",
            "ftp://[[x]/",
            "ftp://[example.com]/",
            "ftp://x]y/",
            "ftp://a b/",
            "ftp://a\tb/",
            "ftp://%zz%/",
            "ftp://a..b/",
            "ftp://a%2fb/",
            "ftp://host,name/",
        ] {
            assert!(
                matches!(FtpUrl::parse(text), Err(UrlError::BadHost(_))),
                "{text:?}: {:?}",
                FtpUrl::parse(text)
            );
        }
        assert_eq!(
            FtpUrl::parse("ftp://[fe80::1]:21/").unwrap().host,
            "fe80::1"
        );
        assert_eq!(
            FtpUrl::parse("ftp://ftp.example.org/").unwrap().host,
            "ftp.example.org"
        );
        assert_eq!(
            FtpUrl::parse("ftp://bücher.example/").unwrap().host,
            "bücher.example"
        );
    }

    #[test]
    fn password_is_never_in_debug_output() {
        let url = FtpUrl::parse("ftp://u:topsecret@h/").unwrap();
        assert!(!format!("{url:?}").contains("topsecret"));
    }
}
