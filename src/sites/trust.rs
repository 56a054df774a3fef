//! Certificates the user trusted (trust on first use), by host and port.
//!
//! A self-signed or otherwise unverifiable certificate is refused until the user trusts its
//! SHA-256 fingerprint; then it is stored here and later connections proceed silently. A
//! *different* certificate for a stored host is refused loudly, never replaced silently.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrustedCert {
    pub host: String,
    pub port: u16,
    /// Upper-case hex with colons, as `openssl x509 -fingerprint -sha256` prints it.
    pub sha256: String,
    pub subject: String,
    pub not_after: String,
}

impl TrustedCert {
    /// The certificate a connection presented, as the store keeps it.
    pub fn from_cert(cert: &crate::net::tls::CertInfo) -> Self {
        Self {
            host: cert.host.clone(),
            port: cert.port,
            sha256: cert.sha256.clone(),
            subject: cert.subject.clone(),
            not_after: cert.not_after.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
struct TrustFile {
    version: u32,
    certificates: Vec<TrustedCert>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    #[error("cannot read the trust store: {source}: {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the trust store is damaged ({reason}); it was left as it is: {}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot save the trust store: {source}: {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The trust store file (`trusted-certificates.json` in the config folder).
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
    file: TrustFile,
}

impl TrustStore {
    /// The store in Skiff's config folder, if the OS has one.
    pub fn default_path() -> Option<PathBuf> {
        super::config_dir().map(|dir| dir.join("trusted-certificates.json"))
    }

    /// Loads the store; a missing file is an empty store, a damaged one an error (the file is
    /// never overwritten then).
    pub fn load(path: &Path) -> Result<Self, TrustStoreError> {
        let file = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| TrustStoreError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TrustFile {
                version: 1,
                certificates: Vec::new(),
            },
            Err(source) => {
                return Err(TrustStoreError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Where the store is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, host: &str, port: u16) -> Option<&TrustedCert> {
        self.file
            .certificates
            .iter()
            .find(|c| c.host.eq_ignore_ascii_case(host) && c.port == port)
    }

    /// Adds or replaces the entry for the certificate's host and port, and saves.
    pub fn trust(&mut self, cert: TrustedCert) -> Result<(), TrustStoreError> {
        self.file
            .certificates
            .retain(|c| !(c.host.eq_ignore_ascii_case(&cert.host) && c.port == cert.port));
        self.file.certificates.push(cert);
        self.file.version = 1;
        let bytes = serde_json::to_vec_pretty(&self.file).unwrap_or_default();
        super::write_atomically(&self.path, &bytes).map_err(|source| TrustStoreError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(fp: &str) -> TrustedCert {
        TrustedCert {
            host: "ftp.example.com".into(),
            port: 21,
            sha256: fp.into(),
            subject: "CN=ftp.example.com".into(),
            not_after: "2030-01-01".into(),
        }
    }

    #[test]
    fn trusted_certificates_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/trusted-certificates.json");
        let mut store = TrustStore::load(&path).unwrap();
        assert!(store.get("ftp.example.com", 21).is_none());
        store.trust(cert("AA:BB")).unwrap();
        store.trust(cert("CC:DD")).unwrap();
        let reloaded = TrustStore::load(&path).unwrap();
        assert_eq!(reloaded.get("FTP.example.com", 21).unwrap().sha256, "CC:DD");
        assert!(reloaded.get("ftp.example.com", 990).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_store_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trusted-certificates.json");
        std::fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(
            TrustStore::load(&path),
            Err(TrustStoreError::Corrupt { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");
    }
}
