//! TLS for FTPS control and data connections (rustls).
//!
//! One `ClientConfig` per session: the data connections reuse its session cache and server
//! name, so they resume the control connection's TLS session as vsftpd and proftpd require.
//! The certificate verifier checks the system roots and the host name; a certificate that
//! fails is accepted only when the user trusted its SHA-256 fingerprint (now, or earlier:
//! the trust store); a changed certificate for a trusted host is refused; and every data
//! connection must present the control connection's certificate.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::Digest as _;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain FTP.
    #[default]
    None,
    /// AUTH TLS on the plain port; the connection stops if the server refuses.
    Explicit,
    /// TLS from the first byte (port 990).
    Implicit,
    /// AUTH TLS when the server accepts it, plain FTP (with a Status line) when not.
    ExplicitIfAvailable,
}

/// Which TLS versions to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    #[default]
    Tls12AndTls13,
    Tls12Only,
    Tls13Only,
}

#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub mode: TlsMode,
    /// Fingerprints the user trusts for this connection (`--trust-fingerprint`), any format.
    pub trusted_fingerprints: Vec<String>,
    /// The fingerprint the user trusted earlier for this host and port (Skiff's trust
    /// store, read by the caller): a different certificate is then refused loudly.
    pub stored_fingerprint: Option<String>,
    /// CA certificates to trust besides the system's (a company CA, a test CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub versions: TlsVersions,
}

/// A TLS failure in words a user can act on. rustls prints a certificate problem with Rust's
/// debug text (`invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))`).
pub fn describe_tls_error(err: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let certificate = match err {
        rustls::Error::InvalidCertificate(problem) => problem,
        rustls::Error::General(text) => return text.clone(),
        rustls::Error::AlertReceived(alert) => {
            return format!("the server ended the TLS handshake (alert: {alert:?})");
        }
        rustls::Error::NoCertificatesPresented => {
            return "the server presented no certificate".into();
        }
        rustls::Error::PeerIncompatible(_) => {
            return "the server offers no TLS version or cipher that Skiff accepts (TLS 1.2 or \
                    1.3 with a modern cipher)"
                .into();
        }
        other => return other.to_string(),
    };
    let words = match certificate {
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "the certificate is not valid yet",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the certificate is for another host name"
        }
        C::UnknownIssuer => {
            "the certificate is signed by an unknown authority (self-signed, or by an issuer \
             the system does not trust)"
        }
        C::Revoked => "the certificate has been revoked",
        C::BadSignature => "the certificate's signature is not valid",
        C::BadEncoding => "the certificate cannot be read",
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the certificate is signed with an algorithm Skiff does not accept"
        }
        C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            "the certificate is a certificate authority's own, used as the server's \
             (self-signed)"
        }
        _ => "the certificate cannot be verified",
    };
    words.to_owned()
}

/// `AB:CD:...`: upper-case hex pairs with colons, as OpenSSL prints fingerprints.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = sha2::Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A fingerprint as the user typed it (any case, with or without colons) in canonical form.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .trim()
        .trim_start_matches("SHA256:")
        .trim_start_matches("sha256:")
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bytes = hex::decode(&hex).ok()?;
    (bytes.len() == 32).then(|| {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    })
}

/// What a user needs to decide whether to trust a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub host: String,
    pub port: u16,
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
}

impl CertInfo {
    pub fn from_der(der: &[u8], host: &str, port: u16) -> Self {
        let (subject, issuer, not_before, not_after) =
            match x509_parser::parse_x509_certificate(der) {
                Ok((_, cert)) => (
                    cert.subject().to_string(),
                    cert.issuer().to_string(),
                    cert.validity().not_before.to_string(),
                    cert.validity().not_after.to_string(),
                ),
                Err(_) => Default::default(),
            };
        Self {
            host: host.to_owned(),
            port,
            sha256: fingerprint(der),
            subject,
            issuer,
            not_before,
            not_after,
        }
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "host {}:{}; SHA-256 fingerprint {}; subject {}; issuer {}; valid from {} until {}",
            self.host,
            self.port,
            self.sha256,
            self.subject,
            self.issuer,
            self.not_before,
            self.not_after
        )
    }
}

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Not verifiable against the system roots for this host (self-signed, unknown issuer,
    /// expired, wrong host name), and not trusted by the user.
    Untrusted { reason: String },
    /// The host is in the trust store with another certificate.
    Changed { trusted_sha256: String },
    /// A data connection presented another certificate than the control connection.
    DataCertificateDiffers,
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertProblem::Untrusted { reason } => {
                write!(f, "the server's certificate is not trusted ({reason})")
            }
            CertProblem::Changed { trusted_sha256 } => write!(
                f,
                "WARNING: THE SERVER'S CERTIFICATE HAS CHANGED since you trusted it (trusted fingerprint {trusted_sha256}); this may be an attack"
            ),
            CertProblem::DataCertificateDiffers => f.write_str(
                "the data connection presented a different certificate than the control connection",
            ),
        }
    }
}

#[derive(Debug, Default)]
struct VerifierState {
    /// Set after the control handshake: data connections must present this certificate.
    control_cert: Option<CertificateDer<'static>>,
    last_seen: Option<CertificateDer<'static>>,
    rejection: Option<CertProblem>,
}

#[derive(Debug)]
pub(crate) struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    pinned: Vec<String>,
    stored: Option<String>,
    state: Mutex<VerifierState>,
}

impl Verifier {
    fn reject(&self, problem: CertProblem) -> rustls::Error {
        let text = problem.to_string();
        if let Ok(mut state) = self.state.lock() {
            state.rejection = Some(problem);
        }
        rustls::Error::General(text)
    }

    /// After the control handshake: remember its certificate for the data connections.
    pub(crate) fn pin_control_certificate(&self) -> Option<CertificateDer<'static>> {
        let mut state = self.state.lock().ok()?;
        state.control_cert = state.last_seen.clone();
        state.control_cert.clone()
    }

    /// The control connection's certificate, once the handshake is done.
    pub(crate) fn control_certificate(&self) -> Option<CertificateDer<'static>> {
        self.state.lock().ok()?.control_cert.clone()
    }

    /// The last refusal and the certificate it was about.
    pub(crate) fn take_rejection(&self) -> Option<(CertProblem, Option<CertificateDer<'static>>)> {
        let mut state = self.state.lock().ok()?;
        let problem = state.rejection.take()?;
        Some((problem, state.last_seen.clone()))
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity);
        let control_cert = {
            let mut state = self
                .state
                .lock()
                .map_err(|_| rustls::Error::General("verifier state poisoned".into()))?;
            state.last_seen = Some(end_entity.clone().into_owned());
            state.control_cert.clone()
        };
        if let Some(control) = control_cert {
            return if control.as_ref() == end_entity.as_ref() {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(self.reject(CertProblem::DataCertificateDiffers))
            };
        }
        if self.pinned.contains(&fp) {
            return Ok(ServerCertVerified::assertion());
        }
        if let Some(stored) = &self.stored {
            return if *stored == fp {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(self.reject(CertProblem::Changed {
                    trusted_sha256: stored.clone(),
                }))
            };
        }
        let Some(webpki) = &self.webpki else {
            return Err(self.reject(CertProblem::Untrusted {
                reason: "no system root certificates were found".into(),
            }));
        };
        webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| {
                self.reject(CertProblem::Untrusted {
                    reason: describe_tls_error(&e),
                })
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The session cache, counting the TLS 1.3 tickets it holds: rustls uses each ticket
/// once, so a session whose server issues none on some data connections runs out, and the
/// caller must know before the next data connection would fail to resume.
#[derive(Debug)]
pub(crate) struct TicketCountingStore {
    inner: rustls::client::ClientSessionMemoryCache,
    tls13_tickets: Mutex<usize>,
}

impl TicketCountingStore {
    fn new() -> Self {
        Self {
            inner: rustls::client::ClientSessionMemoryCache::new(32),
            tls13_tickets: Mutex::new(0),
        }
    }

    pub(crate) fn tls13_tickets(&self) -> usize {
        self.tls13_tickets.lock().map(|n| *n).unwrap_or(0)
    }
}

impl rustls::client::ClientSessionStore for TicketCountingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: rustls::NamedGroup) {
        self.inner.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(server_name, value);
    }

    fn tls12_session(
        &self,
        server_name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
        if let Ok(mut n) = self.tls13_tickets.lock() {
            // The cache keeps at most 8 per server and drops the oldest.
            *n = (*n + 1).min(8);
        }
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        let ticket = self.inner.take_tls13_ticket(server_name);
        if ticket.is_some()
            && let Ok(mut n) = self.tls13_tickets.lock()
        {
            *n = n.saturating_sub(1);
        }
        ticket
    }
}

/// The system's root certificates, read once per process.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// CA certificates from a PEM file (`--ca-file`).
pub fn load_pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(certs)
}

/// A session's TLS configuration and the parts of it Skiff consults.
pub(crate) struct TlsClient {
    pub config: Arc<ClientConfig>,
    pub verifier: Arc<Verifier>,
    pub tickets: Arc<TicketCountingStore>,
}

/// The session's TLS configuration, its verifier and its session cache.
pub(crate) fn client_config(settings: &TlsSettings) -> Result<TlsClient, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    roots.add_parsable_certificates(settings.extra_roots.iter().cloned());
    let webpki = if roots.is_empty() {
        None
    } else {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .ok()
    };
    let verifier = Arc::new(Verifier {
        webpki,
        provider: Arc::clone(&provider),
        pinned: settings
            .trusted_fingerprints
            .iter()
            .filter_map(|f| normalize_fingerprint(f))
            .collect(),
        stored: settings
            .stored_fingerprint
            .as_deref()
            .and_then(normalize_fingerprint),
        state: Mutex::new(VerifierState::default()),
    });
    let versions: &[&'static rustls::SupportedProtocolVersion] = match settings.versions {
        TlsVersions::Tls12AndTls13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
        TlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    let store = Arc::new(TicketCountingStore::new());
    config.resumption = rustls::client::Resumption::store(
        Arc::clone(&store) as Arc<dyn rustls::client::ClientSessionStore>
    );
    Ok(TlsClient {
        config: Arc::new(config),
        verifier,
        tickets: store,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(pinned: &[u8]) -> Verifier {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Verifier {
            webpki: None,
            provider,
            pinned: vec![fingerprint(pinned)],
            stored: None,
            state: Mutex::new(VerifierState::default()),
        }
    }

    fn check(v: &Verifier, der: &'static [u8]) -> Result<ServerCertVerified, rustls::Error> {
        let name = ServerName::try_from("ftp.example.com").unwrap();
        v.verify_server_cert(&CertificateDer::from(der), &[], &name, &[], UnixTime::now())
    }

    const CERT_A: &[u8] = include_bytes!("../../tests/data/certs/a.der");
    const CERT_B: &[u8] = include_bytes!("../../tests/data/certs/b.der");

    #[test]
    fn data_connections_must_present_the_control_certificate() {
        let v = verifier(CERT_A);
        check(&v, CERT_A).unwrap();
        v.pin_control_certificate();
        check(&v, CERT_A).unwrap();
        // Another certificate on a data connection aborts it, even one the user trusts.
        assert!(check(&v, CERT_B).is_err());
        let (problem, cert) = v.take_rejection().unwrap();
        assert_eq!(problem, CertProblem::DataCertificateDiffers);
        assert_eq!(cert.unwrap().as_ref(), CERT_B);
    }

    #[test]
    fn unpinned_certificate_without_roots_is_untrusted() {
        let v = verifier(CERT_A);
        assert!(check(&v, CERT_B).is_err());
        assert!(matches!(
            v.take_rejection(),
            Some((CertProblem::Untrusted { .. }, _))
        ));
        let info = CertInfo::from_der(CERT_B, "ftp.example.com", 21);
        assert_eq!(info.subject, "CN=cert-b");
        assert_eq!(info.sha256, fingerprint(CERT_B));
    }

    #[test]
    fn fingerprints_are_normalized_from_any_spelling() {
        let canonical = fingerprint(b"certificate bytes");
        let plain = canonical.replace(':', "").to_lowercase();
        assert_eq!(normalize_fingerprint(&plain).unwrap(), canonical);
        assert_eq!(
            normalize_fingerprint(&format!("SHA256:{canonical}")).unwrap(),
            canonical
        );
        assert_eq!(normalize_fingerprint("abcd"), None);
        assert_eq!(normalize_fingerprint("zz"), None);
    }
}
