//! The quickconnect bar as data: the fields, what they say as a server to connect to, what
//! they show once connected, and the URL copied for a remote file. Pure: no egui, no I/O.

use crate::remote::Server;
use crate::secret::Secret;
use crate::url::FtpUrl;

/// What the quickconnect bar's fields hold.
#[derive(Debug, Default, Clone)]
pub struct Quickconnect {
    pub host: String,
    pub user: String,
    pub password: String,
    pub port: String,
}

/// What the quickconnect fields say, as a server to connect to. The host field may hold a
/// whole URL; the other fields fill in what it lacks.
pub fn quickconnect_target(quick: &Quickconnect) -> Result<(FtpUrl, Server), String> {
    let host = quick.host.trim();
    if host.is_empty() {
        return Err("Enter a host name or an ftp:// URL".to_owned());
    }
    let text = if host.contains("://") {
        host.to_owned()
    } else {
        format!("ftp://{host}")
    };
    let mut url = FtpUrl::parse(&text).map_err(|e| e.to_string())?;
    // A port typed into the Host field's URL wins over the Port field (which may still hold
    // the last server's).
    if !quick.port.trim().is_empty() && !names_port(&text) {
        url.port = match quick.port.trim().parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("{:?} is not a port number", quick.port.trim())),
        };
    }
    if url.user.is_none() && !quick.user.trim().is_empty() {
        url.user = Some(quick.user.trim().to_owned());
    }
    if url.password.is_none() && !quick.password.is_empty() {
        url.password = Some(Secret::new(quick.password.clone()));
    }
    let server = crate::sites::settings::Settings::default().url_server(&url, false);
    Ok((url, server))
}

/// The URL's authority names a port: `host:2121`, `[::1]:2121`, `user:pw@host:2121`.
fn names_port(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').is_some_and(|(_, p)| p.starts_with(':')),
        None => host_port.contains(':'),
    }
}

/// What the Host and Port fields show once connected: the scheme and host, and the port
/// when it is not the scheme's default (FileZilla's way; the port no longer hides in Host).
pub fn host_and_port_fields(url: &FtpUrl) -> (String, String) {
    let port = if url.port == url.scheme.default_port() {
        String::new()
    } else {
        url.port.to_string()
    };
    (
        format!("{}://{}", url.scheme.as_str(), url.url_host()),
        port,
    )
}

/// `ftp://user@host:port/path` for the clipboard: no password, the path percent-encoded.
pub fn url_for(url: &FtpUrl, remote_path: &[u8]) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let user = url
        .user
        .as_deref()
        .map(|u| format!("{}@", percent_encoding::utf8_percent_encode(u, KEEP)))
        .unwrap_or_default();
    format!(
        "{}://{user}{}{}",
        url.scheme.as_str(),
        url.host_port(),
        percent_encoding::percent_encode(remote_path, KEEP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tls::TlsMode;

    fn quick(host: &str, user: &str, password: &str, port: &str) -> Quickconnect {
        Quickconnect {
            host: host.into(),
            user: user.into(),
            password: password.into(),
            port: port.into(),
        }
    }

    #[test]
    fn quickconnect_takes_a_host_or_a_url_and_fills_in_the_rest() {
        let (url, options) =
            quickconnect_target(&quick("example.org", "me", "pw", "2121")).unwrap();
        assert_eq!((url.host.as_str(), url.port), ("example.org", 2121));
        assert_eq!(options.credentials.user.as_deref(), Some("me"));
        assert_eq!(
            options.credentials.password.as_ref().unwrap().expose(),
            "pw"
        );
        assert_eq!(options.ftp_settings().unwrap().tls.mode, TlsMode::None);

        let (url, options) =
            quickconnect_target(&quick("ftpes://bob:s%40crt@host/pub", "", "", "")).unwrap();
        assert_eq!(url.port, 21);
        assert_eq!(url.path, b"/pub");
        assert_eq!(
            options.credentials.password.as_ref().unwrap().expose(),
            "s@crt"
        );
        assert_eq!(options.ftp_settings().unwrap().tls.mode, TlsMode::Explicit);

        let (_, options) = quickconnect_target(&quick("ftps://host", "", "", "")).unwrap();
        assert_eq!(
            (options.port, options.ftp_settings().unwrap().tls.mode),
            (990, TlsMode::Implicit)
        );
    }

    #[test]
    fn a_port_in_the_typed_url_wins_over_the_port_field() {
        for (typed, port) in [
            ("ftp://me:pw@127.0.0.1:2121/", 2121),
            ("127.0.0.1:2121", 2121),
            ("ftp://[::1]:2121", 2121),
            ("ftp://me:p:w@host/x:1", 4021),
            ("ftp://[::1]/", 4021),
            ("example.org", 4021),
        ] {
            let (url, _) = quickconnect_target(&quick(typed, "", "", "4021")).unwrap();
            assert_eq!(url.port, port, "{typed}");
        }
    }

    #[test]
    fn after_connecting_the_port_shows_in_its_own_field_and_reconnects_the_same() {
        for (typed, host, port) in [
            ("ftp://me@127.0.0.1:2121/pub", "ftp://127.0.0.1", "2121"),
            ("ftpes://example.org", "ftpes://example.org", ""),
            ("ftps://example.org:990", "ftps://example.org", ""),
            ("ftp://[::1]:2121", "ftp://[::1]", "2121"),
        ] {
            let (url, _) = quickconnect_target(&quick(typed, "", "", "")).unwrap();
            let fields = host_and_port_fields(&url);
            assert_eq!(fields, (host.to_owned(), port.to_owned()), "{typed}");
            let (again, _) = quickconnect_target(&quick(&fields.0, "", "", &fields.1)).unwrap();
            assert_eq!((again.host, again.port), (url.host, url.port), "{typed}");
        }
    }

    #[test]
    fn quickconnect_errors_are_plain_words() {
        assert!(quickconnect_target(&quick("  ", "", "", "")).is_err());
        assert!(
            quickconnect_target(&quick("host", "", "", "http"))
                .unwrap_err()
                .contains("port")
        );
        assert!(quickconnect_target(&quick("http://host", "", "", "")).is_err());
    }

    #[test]
    fn an_sftp_url_connects_over_ssh_on_port_22() {
        let (url, server) = quickconnect_target(&quick("sftp://host", "kim", "pw", "")).unwrap();
        assert_eq!(url.port, 22);
        assert!(server.ssh_settings().is_some());
        assert_eq!(server.credentials.user.as_deref(), Some("kim"));
        assert_eq!(
            host_and_port_fields(&url),
            ("sftp://host".to_owned(), String::new())
        );
    }

    #[test]
    fn copied_urls_carry_no_password_and_encode_the_path() {
        let url = FtpUrl::parse("ftp://me:secret@host:2121/").unwrap();
        let text = url_for(&url, "/pub/a b/한.txt".as_bytes());
        assert_eq!(text, "ftp://me@host:2121/pub/a%20b/%ED%95%9C.txt");
        assert!(!text.contains("secret"));
    }
}
