//! The `ftp://`, `ftpes://`, `ftps://` URL parser (CLI arguments, the quickconnect bar).
//!
//! Properties: a parsed URL has a host and a port from 1 to 65535; the password appears
//! neither in `Debug` output nor in the redacted form; errors quote a bounded part of the
//! input; and a URL written back from its parts (percent-encoded, IPv6 hosts in brackets)
//! parses to the same parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode, utf8_percent_encode};
use skiff::secret::Secret;
use skiff::url::{FtpUrl, UrlError};

/// Everything but RFC 3986's unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// In paths the slashes stay.
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let url = match FtpUrl::parse(input) {
        Ok(url) => url,
        Err(err) => {
            let quoted = match &err {
                UrlError::Scheme(text)
                | UrlError::MissingHost(text)
                | UrlError::BadPort(text)
                | UrlError::BadIpv6(text) => text.chars().count(),
                _ => 0,
            };
            // Scheme and host errors quote a prefix; port and bracket errors the authority.
            assert!(quoted <= input.chars().count().max(80), "{err:?}");
            let _ = err.to_string();
            return;
        }
    };
    assert!(!url.host.is_empty());
    assert_ne!(url.port, 0);

    // Another password changes nothing that can be printed.
    let mut other = url.clone();
    other.password = url
        .password
        .as_ref()
        .map(|p| Secret::new(format!("{}x", p.expose())));
    assert_eq!(
        format!("{url:?}"),
        format!("{other:?}"),
        "Debug shows the password"
    );
    assert_eq!(
        url.redacted(),
        other.redacted(),
        "redacted() shows the password"
    );

    // Written back from its parts, the URL parses to the same parts.
    let mut rebuilt = format!("{}://", url.scheme.as_str());
    if url.user.is_some() || url.password.is_some() {
        if let Some(user) = &url.user {
            rebuilt.extend(utf8_percent_encode(user, COMPONENT));
        }
        if let Some(password) = &url.password {
            rebuilt.push(':');
            rebuilt.extend(utf8_percent_encode(password.expose(), COMPONENT));
        }
        rebuilt.push('@');
    }
    rebuilt.push_str(&url.host_port());
    rebuilt.extend(percent_encode(&url.path, PATH));
    let again = FtpUrl::parse(&rebuilt).unwrap_or_else(|err| {
        panic!("{input:?} parsed, but its parts written back as {rebuilt:?} did not: {err}")
    });
    assert_eq!(again.scheme, url.scheme, "{rebuilt:?}");
    assert_eq!(again.host, url.host, "{rebuilt:?}");
    assert_eq!(again.port, url.port, "{rebuilt:?}");
    assert_eq!(again.user, url.user, "{rebuilt:?}");
    assert!(
        again.password == url.password,
        "{rebuilt:?}: the password changed"
    );
    assert_eq!(again.path, url.path, "{rebuilt:?}");
});
