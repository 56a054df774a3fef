//! Saved passwords, never on disk in plaintext or in a reversible encoding.
//!
//! Three stores, one chosen by the user ([`StoreKind`]):
//! - **the OS keyring** (Secret Service on Linux and the BSDs over zbus, pure Rust; the macOS
//!   Keychain; the Windows Credential Manager), service `skiff`, user = the site key;
//! - **a master-password vault**, `passwords.vault` in the config folder: a key derived from
//!   the master password with Argon2id (its parameters and a random salt kept in the file), each
//!   password sealed with XChaCha20-Poly1305 under a random 24-byte nonce, with the site key as
//!   associated data so entries cannot be swapped, and a verifier entry so a wrong master
//!   password is refused before anything is changed;
//! - **none**: nothing is saved and the caller asks at connect.
//!
//! A vault that is damaged or was written by a newer Skiff is reported and never overwritten.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chacha20poly1305::aead::{Aead as _, Generate as _, KeyInit as _, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The vault's file name inside the config folder.
pub const VAULT_FILE_NAME: &str = "passwords.vault";
/// The service name under which Skiff's passwords sit in the OS keyring.
pub const KEYRING_SERVICE: &str = "skiff";
/// How long [`PasswordStore::keyring_available`] waits for the keyring to answer.
pub const KEYRING_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

const VAULT_VERSION: u32 = 1;
const KDF_ALGORITHM: &str = "argon2id";
const ARGON2_VERSION: u32 = 0x13;
const CIPHER: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const VERIFIER_PLAINTEXT: &[u8] = b"skiff passwords.vault verifier";
const VERIFIER_AD: &[u8] = b"skiff passwords.vault v1 verifier";
/// A user name no site key uses, for the keyring probe.
const PROBE_USER: &str = "skiff-keyring-probe";

/// Where saved passwords go.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    #[default]
    Keyring,
    MasterPassword,
    DontSave,
}

impl StoreKind {
    /// Every kind, in the order the settings offer them.
    pub const ALL: [StoreKind; 3] = [
        StoreKind::Keyring,
        StoreKind::MasterPassword,
        StoreKind::DontSave,
    ];
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::Keyring => "OS keyring",
            StoreKind::MasterPassword => "Master password (encrypted file)",
            StoreKind::DontSave => "Not saved (asked at connect)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No keyring answered (a headless Linux box has no Secret Service): offer the
    /// master-password store instead.
    #[error("the OS keyring is not reachable ({reason}); use a master password instead")]
    KeyringUnavailable { reason: String },
    /// The keyring answered but would not open its storage: locked, and the unlock prompt
    /// was dismissed or cannot be shown (no desktop session).
    #[error(
        "the OS keyring is locked and could not be unlocked ({reason}); unlock it (log in to \
         the desktop session), or keep passwords with a master password instead \
         (password_store = \"master-password\" in settings.toml)"
    )]
    KeyringLocked { reason: String },
    #[error("the OS keyring failed: {reason}")]
    Keyring { reason: String },
    #[error("the master password is wrong")]
    WrongMasterPassword,
    #[error("the password vault needs a master password")]
    MasterPasswordNeeded,
    #[error("the master password cannot be empty")]
    EmptyMasterPassword,
    #[error("a site key cannot be empty")]
    EmptyKey,
    #[error("there is no password vault yet: {}", path.display())]
    VaultMissing { path: PathBuf },
    #[error("a password vault exists already; it was left as it is: {}", path.display())]
    VaultExists { path: PathBuf },
    #[error(
        "the password vault was changed by another Skiff (a new master password?); open it again: {}",
        path.display()
    )]
    VaultChanged { path: PathBuf },
    #[error("cannot read the password vault: {source}: {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the password vault is damaged ({reason}); it was left as it is: {}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the password vault was written by a newer Skiff (version {found}, this one reads {known}); it was left as it is: {}",
        path.display()
    )]
    NewerVersion {
        path: PathBuf,
        found: u64,
        known: u32,
    },
    #[error("cannot save the password vault: {source}: {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the system's random number generator failed: {reason}")]
    Random { reason: String },
}

/// The store the user chose, opened.
pub struct PasswordStore {
    backend: Backend,
}

enum Backend {
    Keyring,
    Vault(Box<MasterVault>),
    DontSave,
}

impl fmt::Debug for PasswordStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordStore")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl From<MasterVault> for PasswordStore {
    fn from(vault: MasterVault) -> Self {
        Self {
            backend: Backend::Vault(Box::new(vault)),
        }
    }
}

impl PasswordStore {
    /// Opens the store the user chose.
    ///
    /// `Keyring` probes the OS keyring first (bounded by [`KEYRING_PROBE_TIMEOUT`]) and fails
    /// with [`CredentialError::KeyringUnavailable`] when none answers. `MasterPassword` unlocks
    /// `passwords.vault` in `config_dir` with `master`, or creates it on first use (see
    /// [`MasterVault::exists`] to tell the two apart); the key derivation takes a noticeable
    /// fraction of a second, so call this off the UI thread. `master` is ignored otherwise.
    pub fn open(
        kind: StoreKind,
        config_dir: &Path,
        master: Option<&Secret>,
    ) -> Result<Self, CredentialError> {
        let backend = match kind {
            StoreKind::Keyring => {
                probe_keyring(KEYRING_PROBE_TIMEOUT)
                    .map_err(|reason| CredentialError::KeyringUnavailable { reason })?;
                Backend::Keyring
            }
            StoreKind::MasterPassword => {
                let master = master.ok_or(CredentialError::MasterPasswordNeeded)?;
                let vault = if MasterVault::exists(config_dir) {
                    MasterVault::unlock(config_dir, master)?
                } else {
                    MasterVault::create(config_dir, master)?
                };
                Backend::Vault(Box::new(vault))
            }
            StoreKind::DontSave => Backend::DontSave,
        };
        Ok(Self { backend })
    }

    pub fn kind(&self) -> StoreKind {
        match self.backend {
            Backend::Keyring => StoreKind::Keyring,
            Backend::Vault(_) => StoreKind::MasterPassword,
            Backend::DontSave => StoreKind::DontSave,
        }
    }

    /// The saved password for the site `key` (a stable site id), if any.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, CredentialError> {
        check_key(key)?;
        match &self.backend {
            Backend::Keyring => keyring_get(key),
            Backend::Vault(vault) => vault.get(key),
            Backend::DontSave => Ok(None),
        }
    }

    /// Saves (or replaces) the password for the site `key`.
    pub fn set(&mut self, key: &str, password: &Secret) -> Result<(), CredentialError> {
        check_key(key)?;
        match &mut self.backend {
            Backend::Keyring => keyring_entry(key)?
                .set_password(password.expose())
                .map_err(keyring_failure),
            Backend::Vault(vault) => vault.set(key, password),
            Backend::DontSave => Ok(()),
        }
    }

    /// Forgets the password for the site `key`; forgetting a missing one is fine.
    pub fn remove(&mut self, key: &str) -> Result<(), CredentialError> {
        check_key(key)?;
        match &mut self.backend {
            Backend::Keyring => match keyring_entry(key)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_failure(e)),
            },
            Backend::Vault(vault) => vault.remove(key),
            Backend::DontSave => Ok(()),
        }
    }

    /// The vault, when this is the master-password store (to change its master password).
    pub fn vault_mut(&mut self) -> Option<&mut MasterVault> {
        match &mut self.backend {
            Backend::Vault(vault) => Some(vault),
            Backend::Keyring | Backend::DontSave => None,
        }
    }

    /// Whether an OS keyring answers, within [`KEYRING_PROBE_TIMEOUT`]. Where none exists
    /// (no D-Bus session bus) the answer comes at once.
    pub fn keyring_available() -> bool {
        probe_keyring(KEYRING_PROBE_TIMEOUT).is_ok()
    }
}

fn check_key(key: &str) -> Result<(), CredentialError> {
    if key.is_empty() {
        Err(CredentialError::EmptyKey)
    } else {
        Ok(())
    }
}

// ---- The OS keyring -------------------------------------------------------------------------

/// Connects to the keyring (once per process, inside the keyring crate) and reads a probe entry
/// that never exists; "no such entry" means the keyring answered. The work runs on its own
/// thread so a keyring that never answers cannot hang the caller; that thread is then left
/// behind, blocked, until the keyring answers or the process ends.
fn probe_keyring(timeout: Duration) -> Result<(), String> {
    let answer = run_bounded("skiff-keyring-probe", timeout, || {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(e.to_string());
        }
        let entry = keyring::Entry::new(KEYRING_SERVICE, PROBE_USER).map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    });
    match answer {
        Some(result) => result,
        None => Err(format!(
            "no answer within {} s",
            timeout.as_secs_f32().round()
        )),
    }
}

/// Runs `work` on a named thread and waits at most `timeout` for its result.
fn run_bounded<T: Send + 'static>(
    name: &str,
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            tx.send(work()).ok();
        })
        .ok()?;
    rx.recv_timeout(timeout).ok()
}

fn keyring_entry(key: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(KEYRING_SERVICE, key).map_err(|e| match e {
        keyring::Error::NoDefaultStore => CredentialError::KeyringUnavailable {
            reason: match keyring::Entry::store_status() {
                Err(status) => status.to_string(),
                Ok(()) => "no keyring store".to_owned(),
            },
        },
        e => keyring_failure(e),
    })
}

fn keyring_get(key: &str) -> Result<Option<Secret>, CredentialError> {
    match keyring_entry(key)?.get_password() {
        Ok(password) => Ok(Some(Secret::new(password))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_failure(e)),
    }
}

/// The keyring's error as text: its `Display` never includes the secret's bytes.
fn keyring_failure(e: keyring::Error) -> CredentialError {
    match e {
        keyring::Error::NoStorageAccess(_) => CredentialError::KeyringLocked {
            reason: e.to_string(),
        },
        e => CredentialError::Keyring {
            reason: e.to_string(),
        },
    }
}

// ---- The master-password vault ---------------------------------------------------------------

/// Argon2id costs. New vaults get [`KdfParams::DEFAULT`]; each vault keeps its own in the
/// file, so the default can change without locking anyone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KdfParams {
    pub(crate) memory_kib: u32,
    pub(crate) iterations: u32,
    pub(crate) parallelism: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, 1 lane.
    pub(crate) const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// The most a vault file may ask for (a damaged or hostile file must not take all memory).
    const MAX: KdfParams = KdfParams {
        memory_kib: 1024 * 1024,
        iterations: 64,
        parallelism: 16,
    };

    fn argon2(self) -> Result<argon2::Argon2<'static>, String> {
        if self.memory_kib > Self::MAX.memory_kib
            || self.iterations > Self::MAX.iterations
            || self.parallelism > Self::MAX.parallelism
        {
            return Err("key-derivation costs beyond the allowed maximum".to_owned());
        }
        let params =
            argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
                .map_err(|e| format!("key-derivation parameters: {e}"))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

/// The vault file as stored (JSON). Bytes are hex; only ciphertexts, nonces and the salt.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct VaultFile {
    version: u32,
    kdf: KdfRecord,
    cipher: String,
    verifier: Sealed,
    entries: BTreeMap<String, Sealed>,
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct KdfRecord {
    algorithm: String,
    argon2_version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
}

impl KdfRecord {
    fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

/// The master-password store, unlocked: `passwords.vault` and the key that opens it.
pub struct MasterVault {
    path: PathBuf,
    /// Holds the derived key, and wipes it when dropped.
    cipher: XChaCha20Poly1305,
    /// The file as last read or written; `kdf` and `verifier` say which key `cipher` holds.
    file: VaultFile,
}

impl fmt::Debug for MasterVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterVault")
            .field("path", &self.path)
            .field("entries", &self.file.entries.len())
            .finish_non_exhaustive()
    }
}

impl MasterVault {
    /// The vault's path inside `config_dir`.
    pub fn path_in(config_dir: &Path) -> PathBuf {
        config_dir.join(VAULT_FILE_NAME)
    }

    /// Whether `config_dir` has a vault (then a master password exists and must be entered;
    /// otherwise the first one is being chosen).
    pub fn exists(config_dir: &Path) -> bool {
        Self::path_in(config_dir).symlink_metadata().is_ok()
    }

    /// Creates an empty vault locked with `master`; refuses when one exists already.
    pub fn create(config_dir: &Path, master: &Secret) -> Result<Self, CredentialError> {
        Self::create_with_params(config_dir, master, KdfParams::DEFAULT)
    }

    /// [`MasterVault::create`] with chosen Argon2id costs (tests use tiny ones).
    pub(crate) fn create_with_params(
        config_dir: &Path,
        master: &Secret,
        params: KdfParams,
    ) -> Result<Self, CredentialError> {
        let path = Self::path_in(config_dir);
        match path.symlink_metadata() {
            Ok(_) => return Err(CredentialError::VaultExists { path }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(CredentialError::Read { path, source }),
        }
        let (kdf, cipher) = new_key(&path, master, params)?;
        let verifier = seal(&cipher, VERIFIER_AD, VERIFIER_PLAINTEXT)?;
        let file = VaultFile {
            version: VAULT_VERSION,
            kdf,
            cipher: CIPHER.to_owned(),
            verifier,
            entries: BTreeMap::new(),
        };
        write_vault(&path, &file)?;
        Ok(Self { path, cipher, file })
    }

    /// Opens the vault in `config_dir` with `master`: a wrong one is
    /// [`CredentialError::WrongMasterPassword`], and the file is not touched.
    pub fn unlock(config_dir: &Path, master: &Secret) -> Result<Self, CredentialError> {
        let path = Self::path_in(config_dir);
        let file = read_vault(&path)?
            .ok_or_else(|| CredentialError::VaultMissing { path: path.clone() })?;
        let cipher = unlock_file(&path, &file, master)?;
        Ok(Self { path, cipher, file })
    }

    /// Where the vault is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved password for `key`, read from the file as it is now.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, CredentialError> {
        let file = self.current_file()?;
        let Some(sealed) = file.entries.get(key) else {
            return Ok(None);
        };
        let mut plain =
            open_sealed(&self.path, &self.cipher, &entry_ad(key), sealed)?.ok_or_else(|| {
                CredentialError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("the entry for {key:?} does not decrypt"),
                }
            })?;
        let text = String::from_utf8(std::mem::take(&mut *plain)).map_err(|_| {
            CredentialError::Corrupt {
                path: self.path.clone(),
                reason: format!("the entry for {key:?} is not text"),
            }
        })?;
        Ok(Some(Secret::new(text)))
    }

    /// Seals `password` for `key` under a fresh nonce and saves the vault. Entries another
    /// Skiff saved meanwhile are kept.
    pub fn set(&mut self, key: &str, password: &Secret) -> Result<(), CredentialError> {
        let mut file = self.current_file()?;
        let sealed = seal(&self.cipher, &entry_ad(key), password.expose().as_bytes())?;
        file.entries.insert(key.to_owned(), sealed);
        write_vault(&self.path, &file)?;
        self.file = file;
        Ok(())
    }

    pub fn remove(&mut self, key: &str) -> Result<(), CredentialError> {
        let mut file = self.current_file()?;
        if file.entries.remove(key).is_some() {
            write_vault(&self.path, &file)?;
        }
        self.file = file;
        Ok(())
    }

    /// Re-encrypts every entry under a key derived from `new` (with a new salt and new
    /// nonces). `current` must be the master password in use; when it is wrong, or an entry
    /// does not decrypt, nothing is changed. The vault keeps its Argon2id costs.
    pub fn change_master_password(
        &mut self,
        current: &Secret,
        new: &Secret,
    ) -> Result<(), CredentialError> {
        let file = self.current_file()?;
        unlock_file(&self.path, &file, current)?;
        let mut plain = BTreeMap::new();
        for (key, sealed) in &file.entries {
            let password = open_sealed(&self.path, &self.cipher, &entry_ad(key), sealed)?
                .ok_or_else(|| CredentialError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("the entry for {key:?} does not decrypt"),
                })?;
            plain.insert(key.clone(), password);
        }
        let (kdf, cipher) = new_key(&self.path, new, file.kdf.params())?;
        let mut entries = BTreeMap::new();
        for (key, password) in &plain {
            entries.insert(key.clone(), seal(&cipher, &entry_ad(key), password)?);
        }
        let new_file = VaultFile {
            version: VAULT_VERSION,
            kdf,
            cipher: CIPHER.to_owned(),
            verifier: seal(&cipher, VERIFIER_AD, VERIFIER_PLAINTEXT)?,
            entries,
        };
        write_vault(&self.path, &new_file)?;
        self.cipher = cipher;
        self.file = new_file;
        Ok(())
    }

    /// The file as it is on disk now, if it is still locked with this vault's key (another
    /// Skiff, the CLI beside the window, may have added entries). A deleted file counts as an
    /// empty vault with the same key.
    fn current_file(&self) -> Result<VaultFile, CredentialError> {
        match read_vault(&self.path)? {
            Some(file) if file.kdf == self.file.kdf && file.verifier == self.file.verifier => {
                Ok(file)
            }
            Some(_) => Err(CredentialError::VaultChanged {
                path: self.path.clone(),
            }),
            None => Ok(VaultFile {
                entries: BTreeMap::new(),
                ..self.file.clone()
            }),
        }
    }
}

/// The associated data of the entry for `key`: an entry moved to another key does not open.
fn entry_ad(key: &str) -> Vec<u8> {
    let mut ad = b"skiff passwords.vault v1 entry\0".to_vec();
    ad.extend_from_slice(key.as_bytes());
    ad
}

fn random<const N: usize>() -> Result<[u8; N], CredentialError> {
    <[u8; N]>::try_generate().map_err(|e| CredentialError::Random {
        reason: e.to_string(),
    })
}

/// A new salt and the key `master` gives with it.
fn new_key(
    path: &Path,
    master: &Secret,
    params: KdfParams,
) -> Result<(KdfRecord, XChaCha20Poly1305), CredentialError> {
    if master.is_empty() {
        return Err(CredentialError::EmptyMasterPassword);
    }
    let record = KdfRecord {
        algorithm: KDF_ALGORITHM.to_owned(),
        argon2_version: ARGON2_VERSION,
        memory_kib: params.memory_kib,
        iterations: params.iterations,
        parallelism: params.parallelism,
        salt: hex::encode(random::<SALT_LEN>()?),
    };
    let cipher = derive_cipher(path, master, &record)?;
    Ok((record, cipher))
}

fn derive_cipher(
    path: &Path,
    master: &Secret,
    kdf: &KdfRecord,
) -> Result<XChaCha20Poly1305, CredentialError> {
    let corrupt = |reason: String| CredentialError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let salt = hex::decode(&kdf.salt).map_err(|_| corrupt("the salt is not hex".to_owned()))?;
    let argon2 = kdf.params().argon2().map_err(corrupt)?;
    let mut key = Zeroizing::new([0u8; 32]);
    argon2
        .hash_password_into(master.expose().as_bytes(), &salt, key.as_mut_slice())
        .map_err(|e| corrupt(format!("key derivation: {e}")))?;
    let key: &Key = key
        .as_slice()
        .try_into()
        .map_err(|_| corrupt("key length".to_owned()))?;
    Ok(XChaCha20Poly1305::new(key))
}

/// The cipher `master` opens `file` with, checked against the verifier.
fn unlock_file(
    path: &Path,
    file: &VaultFile,
    master: &Secret,
) -> Result<XChaCha20Poly1305, CredentialError> {
    let cipher = derive_cipher(path, master, &file.kdf)?;
    match open_sealed(path, &cipher, VERIFIER_AD, &file.verifier)? {
        Some(plain) if plain.as_slice() == VERIFIER_PLAINTEXT => Ok(cipher),
        _ => Err(CredentialError::WrongMasterPassword),
    }
}

fn seal(
    cipher: &XChaCha20Poly1305,
    ad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, CredentialError> {
    let nonce = XNonce::from(random::<NONCE_LEN>()?);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .map_err(|_| CredentialError::Random {
            reason: "encryption failed".to_owned(),
        })?;
    Ok(Sealed {
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

/// The plaintext, or `None` when the tag does not match (wrong key, changed bytes, or an entry
/// moved to another key).
fn open_sealed(
    path: &Path,
    cipher: &XChaCha20Poly1305,
    ad: &[u8],
    sealed: &Sealed,
) -> Result<Option<Zeroizing<Vec<u8>>>, CredentialError> {
    let (nonce, ciphertext) = decode_sealed(sealed).map_err(|reason| CredentialError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    })?;
    Ok(cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &ciphertext,
                aad: ad,
            },
        )
        .ok()
        .map(Zeroizing::new))
}

fn decode_sealed(sealed: &Sealed) -> Result<(XNonce, Vec<u8>), &'static str> {
    let nonce = hex::decode(&sealed.nonce).map_err(|_| "a nonce is not hex")?;
    let nonce = XNonce::try_from(nonce.as_slice()).map_err(|_| "a nonce is not 24 bytes")?;
    let ciphertext = hex::decode(&sealed.ciphertext).map_err(|_| "a ciphertext is not hex")?;
    if ciphertext.len() < TAG_LEN {
        return Err("a ciphertext is too short");
    }
    Ok((nonce, ciphertext))
}

/// Reads and checks the vault; `None` when there is none.
fn read_vault(path: &Path) -> Result<Option<VaultFile>, CredentialError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CredentialError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_vault(&bytes)
        .map(Some)
        .map_err(|problem| match problem {
            Problem::Newer(found) => CredentialError::NewerVersion {
                path: path.to_path_buf(),
                found,
                known: VAULT_VERSION,
            },
            Problem::Damaged(reason) => CredentialError::Corrupt {
                path: path.to_path_buf(),
                reason,
            },
        })
}

enum Problem {
    Newer(u64),
    Damaged(String),
}

fn parse_vault(bytes: &[u8]) -> Result<VaultFile, Problem> {
    #[derive(serde::Deserialize)]
    struct Header {
        version: Option<u64>,
    }
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| Problem::Damaged(e.to_string()))?;
    match header.version {
        Some(v) if v == u64::from(VAULT_VERSION) => {}
        Some(v) if v > u64::from(VAULT_VERSION) => return Err(Problem::Newer(v)),
        _ => return Err(Problem::Damaged("no known schema version".to_owned())),
    }
    let file: VaultFile =
        serde_json::from_slice(bytes).map_err(|e| Problem::Damaged(e.to_string()))?;
    let damaged = |reason: &str| Problem::Damaged(reason.to_owned());
    if file.kdf.algorithm != KDF_ALGORITHM || file.kdf.argon2_version != ARGON2_VERSION {
        return Err(damaged("an unknown key derivation"));
    }
    file.kdf.params().argon2().map_err(Problem::Damaged)?;
    match hex::decode(&file.kdf.salt) {
        Ok(salt) if salt.len() == SALT_LEN => {}
        _ => return Err(damaged("the salt is not 16 bytes of hex")),
    }
    if file.cipher != CIPHER {
        return Err(damaged("an unknown cipher"));
    }
    for sealed in std::iter::once(&file.verifier).chain(file.entries.values()) {
        decode_sealed(sealed).map_err(damaged)?;
    }
    Ok(file)
}

fn write_vault(path: &Path, file: &VaultFile) -> Result<(), CredentialError> {
    let write_error = |source| CredentialError::Write {
        path: path.to_path_buf(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| write_error(e.into()))?;
    super::write_atomically(path, &bytes).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const TINY: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn master() -> Secret {
        Secret::new("the master password, long enough")
    }

    fn new_vault(dir: &Path) -> MasterVault {
        MasterVault::create_with_params(dir, &master(), TINY).unwrap()
    }

    fn vault_bytes(dir: &Path) -> Vec<u8> {
        std::fs::read(MasterVault::path_in(dir)).unwrap()
    }

    fn edit_vault(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut value: serde_json::Value = serde_json::from_slice(&vault_bytes(dir)).unwrap();
        edit(&mut value);
        std::fs::write(
            MasterVault::path_in(dir),
            serde_json::to_vec(&value).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn a_vault_round_trips_several_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PasswordStore::from(new_vault(dir.path()));
        assert_eq!(store.kind(), StoreKind::MasterPassword);
        store.set("site-1", &Secret::new("hunter2")).unwrap();
        store
            .set("site-2", &Secret::new("비밀번호 パスワード"))
            .unwrap();
        store.set("site-3", &Secret::new("")).unwrap();
        assert_eq!(store.get("site-1").unwrap().unwrap().expose(), "hunter2");
        assert_eq!(
            store.get("site-2").unwrap().unwrap().expose(),
            "비밀번호 パスワード"
        );
        assert_eq!(store.get("site-3").unwrap().unwrap().expose(), "");
        assert!(store.get("site-4").unwrap().is_none());

        store.set("site-1", &Secret::new("changed")).unwrap();
        assert_eq!(store.get("site-1").unwrap().unwrap().expose(), "changed");
        store.remove("site-2").unwrap();
        store.remove("site-2").unwrap();
        assert!(store.get("site-2").unwrap().is_none());
        assert!(matches!(store.get(""), Err(CredentialError::EmptyKey)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(MasterVault::path_in(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn reopening_with_the_right_master_password_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        vault.set("b", &Secret::new("beta password")).unwrap();
        drop(vault);

        assert!(MasterVault::exists(dir.path()));
        let store =
            PasswordStore::open(StoreKind::MasterPassword, dir.path(), Some(&master())).unwrap();
        assert_eq!(store.kind(), StoreKind::MasterPassword);
        assert_eq!(store.get("a").unwrap().unwrap().expose(), "alpha password");
        assert_eq!(store.get("b").unwrap().unwrap().expose(), "beta password");
        assert!(matches!(
            PasswordStore::open(StoreKind::MasterPassword, dir.path(), None),
            Err(CredentialError::MasterPasswordNeeded)
        ));
    }

    #[test]
    fn a_wrong_master_password_is_refused_and_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        let before = vault_bytes(dir.path());
        let wrong = Secret::new("not the master password");
        assert!(matches!(
            MasterVault::unlock(dir.path(), &wrong),
            Err(CredentialError::WrongMasterPassword)
        ));
        assert!(matches!(
            PasswordStore::open(StoreKind::MasterPassword, dir.path(), Some(&wrong)),
            Err(CredentialError::WrongMasterPassword)
        ));
        assert!(matches!(
            vault.change_master_password(&wrong, &Secret::new("new one")),
            Err(CredentialError::WrongMasterPassword)
        ));
        assert_eq!(vault_bytes(dir.path()), before);
        assert!(matches!(
            MasterVault::create_with_params(dir.path(), &wrong, TINY),
            Err(CredentialError::VaultExists { .. })
        ));
        assert_eq!(vault_bytes(dir.path()), before);
    }

    #[test]
    fn the_same_password_twice_gives_different_ciphertexts() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        let same = Secret::new("the same password");
        vault.set("a", &same).unwrap();
        vault.set("b", &same).unwrap();
        let first = vault.file.entries.clone();
        assert_ne!(first["a"].ciphertext, first["b"].ciphertext);
        assert_ne!(first["a"].nonce, first["b"].nonce);
        vault.set("a", &same).unwrap();
        assert_ne!(vault.file.entries["a"].ciphertext, first["a"].ciphertext);
        assert_ne!(vault.file.entries["a"].nonce, first["a"].nonce);
    }

    #[test]
    fn swapped_entries_do_not_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        vault.set("b", &Secret::new("beta password")).unwrap();
        edit_vault(dir.path(), |v| {
            let entries = v["entries"].as_object_mut().unwrap();
            let a = entries["a"].clone();
            let b = entries["b"].clone();
            entries.insert("a".into(), b);
            entries.insert("b".into(), a);
        });
        let vault = MasterVault::unlock(dir.path(), &master()).unwrap();
        assert!(matches!(
            vault.get("a"),
            Err(CredentialError::Corrupt { .. })
        ));
        assert!(matches!(
            vault.get("b"),
            Err(CredentialError::Corrupt { .. })
        ));
    }

    #[test]
    fn changing_the_master_password_refuses_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        vault.set("b", &Secret::new("beta password")).unwrap();
        let old_salt = vault.file.kdf.salt.clone();
        let new = Secret::new("a brand new master password");
        assert!(matches!(
            vault.change_master_password(&master(), &Secret::new("")),
            Err(CredentialError::EmptyMasterPassword)
        ));
        vault.change_master_password(&master(), &new).unwrap();
        assert_ne!(vault.file.kdf.salt, old_salt);
        assert_eq!(vault.file.kdf.params(), TINY);
        assert_eq!(vault.get("a").unwrap().unwrap().expose(), "alpha password");
        vault.set("c", &Secret::new("gamma password")).unwrap();
        drop(vault);

        assert!(matches!(
            MasterVault::unlock(dir.path(), &master()),
            Err(CredentialError::WrongMasterPassword)
        ));
        let vault = MasterVault::unlock(dir.path(), &new).unwrap();
        assert_eq!(vault.get("a").unwrap().unwrap().expose(), "alpha password");
        assert_eq!(vault.get("b").unwrap().unwrap().expose(), "beta password");
        assert_eq!(vault.get("c").unwrap().unwrap().expose(), "gamma password");
    }

    #[test]
    fn a_vault_changed_by_another_skiff_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut window = new_vault(dir.path());
        let mut cli = MasterVault::unlock(dir.path(), &master()).unwrap();
        cli.set("from-cli", &Secret::new("cli password")).unwrap();
        window
            .set("from-window", &Secret::new("window password"))
            .unwrap();
        assert_eq!(
            window.get("from-cli").unwrap().unwrap().expose(),
            "cli password"
        );

        cli.change_master_password(&master(), &Secret::new("another master"))
            .unwrap();
        let before = vault_bytes(dir.path());
        assert!(matches!(
            window.set("x", &Secret::new("lost?")),
            Err(CredentialError::VaultChanged { .. })
        ));
        assert_eq!(vault_bytes(dir.path()), before);
    }

    #[test]
    fn a_damaged_vault_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        let good = vault_bytes(dir.path());
        let path = MasterVault::path_in(dir.path());
        let damages: Vec<Vec<u8>> = vec![
            b"{ not json".to_vec(),
            good[..good.len() / 2].to_vec(),
            b"{}".to_vec(),
            b"{\"version\": 1}".to_vec(),
        ];
        for damaged in damages {
            std::fs::write(&path, &damaged).unwrap();
            assert!(matches!(
                MasterVault::unlock(dir.path(), &master()),
                Err(CredentialError::Corrupt { .. })
            ));
            assert!(matches!(
                PasswordStore::open(StoreKind::MasterPassword, dir.path(), Some(&master())),
                Err(CredentialError::Corrupt { .. })
            ));
            assert!(matches!(
                vault.set("b", &Secret::new("beta password")),
                Err(CredentialError::Corrupt { .. })
            ));
            assert_eq!(std::fs::read(&path).unwrap(), damaged);
        }

        let edits: [fn(&mut serde_json::Value); 4] = [
            |v| v["entries"]["a"]["nonce"] = "zz".into(),
            |v| v["kdf"]["salt"] = "00".into(),
            |v| v["kdf"]["memory_kib"] = u32::MAX.into(),
            |v| v["cipher"] = "rot13".into(),
        ];
        for edit in edits {
            std::fs::write(&path, &good).unwrap();
            edit_vault(dir.path(), edit);
            let damaged = std::fs::read(&path).unwrap();
            assert!(matches!(
                MasterVault::unlock(dir.path(), &master()),
                Err(CredentialError::Corrupt { .. })
            ));
            assert_eq!(std::fs::read(&path).unwrap(), damaged);
        }

        // One changed ciphertext byte: the vault opens, that entry does not.
        std::fs::write(&path, &good).unwrap();
        edit_vault(dir.path(), |v| {
            let text = v["entries"]["a"]["ciphertext"].as_str().unwrap().to_owned();
            let flipped = if text.starts_with('0') { "1" } else { "0" };
            v["entries"]["a"]["ciphertext"] = format!("{flipped}{}", &text[1..]).into();
        });
        let vault = MasterVault::unlock(dir.path(), &master()).unwrap();
        assert!(matches!(
            vault.get("a"),
            Err(CredentialError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_vault_from_a_newer_skiff_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(dir.path());
        vault.set("a", &Secret::new("alpha password")).unwrap();
        edit_vault(dir.path(), |v| {
            v["version"] = 2.into();
            v["entries"] = "a format this Skiff does not know".into();
        });
        let newer = vault_bytes(dir.path());
        assert!(matches!(
            MasterVault::unlock(dir.path(), &master()),
            Err(CredentialError::NewerVersion { found: 2, .. })
        ));
        assert!(matches!(
            PasswordStore::open(StoreKind::MasterPassword, dir.path(), Some(&master())),
            Err(CredentialError::NewerVersion { .. })
        ));
        assert!(matches!(
            vault.set("b", &Secret::new("beta password")),
            Err(CredentialError::NewerVersion { .. })
        ));
        assert!(matches!(
            vault.remove("a"),
            Err(CredentialError::NewerVersion { .. })
        ));
        assert_eq!(vault_bytes(dir.path()), newer);
    }

    /// Every form in which `secret` must not appear in a file: raw, base64 (standard and
    /// URL-safe, padded or not, at each of the three alignments inside a longer encoded
    /// blob), hex in lower and upper case.
    fn encodings_of(secret: &[u8]) -> Vec<Vec<u8>> {
        let mut needles = vec![
            secret.to_vec(),
            hex::encode(secret).into_bytes(),
            hex::encode_upper(secret).into_bytes(),
        ];
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        for engine in engines {
            needles.push(engine.encode(secret).into_bytes());
            for skip in 0..3 {
                let rest = &secret[skip..];
                let whole_groups = &rest[..rest.len() - rest.len() % 3];
                needles.push(engine.encode(whole_groups).into_bytes());
            }
        }
        needles
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn no_file_holds_a_password_in_plaintext_base64_or_hex() {
        let dir = tempfile::tempdir().unwrap();
        let passwords = [
            "correct horse battery staple",
            "Tr0ub4dor&3-but-longer!",
            "한글 비밀번호 and more",
        ];
        let mut vault = new_vault(dir.path());
        for (i, password) in passwords.iter().enumerate() {
            vault
                .set(&format!("site-{i}"), &Secret::new(*password))
                .unwrap();
        }
        vault
            .change_master_password(&master(), &Secret::new("second master password"))
            .unwrap();
        vault.set("site-again", &Secret::new(passwords[0])).unwrap();
        assert_eq!(vault.get("site-2").unwrap().unwrap().expose(), passwords[2]);

        let files = files_under(dir.path());
        assert_eq!(files, vec![MasterVault::path_in(dir.path())]);
        let secrets = passwords
            .iter()
            .copied()
            .chain(["the master password, long enough", "second master password"]);
        for secret in secrets {
            let needles = encodings_of(secret.as_bytes());
            for file in &files {
                let bytes = std::fs::read(file).unwrap();
                for needle in &needles {
                    assert!(needle.len() >= 8);
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                        "{} holds a password as {:?}",
                        file.display(),
                        String::from_utf8_lossy(needle)
                    );
                }
            }
        }
    }

    #[test]
    fn dont_save_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = PasswordStore::open(StoreKind::DontSave, dir.path(), None).unwrap();
        assert_eq!(store.kind(), StoreKind::DontSave);
        store.set("a", &Secret::new("alpha password")).unwrap();
        assert!(store.get("a").unwrap().is_none());
        store.remove("a").unwrap();
        assert!(store.vault_mut().is_none());
        assert!(files_under(dir.path()).is_empty());
    }

    /// On this project's machines (headless Linux, no D-Bus session bus) no keyring exists;
    /// where one does, the store must open and work.
    #[test]
    fn the_keyring_is_probed_quickly_and_reported_unavailable_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let available = PasswordStore::keyring_available();
        let opened = PasswordStore::open(StoreKind::Keyring, dir.path(), None);
        assert!(started.elapsed() < 2 * KEYRING_PROBE_TIMEOUT + Duration::from_secs(1));
        if session_bus_absent() {
            assert!(!available);
            let err = opened.unwrap_err();
            assert!(
                matches!(err, CredentialError::KeyringUnavailable { .. }),
                "{err}"
            );
            assert!(err.to_string().contains("master password"), "{err}");
        } else if available {
            let mut store = opened.unwrap();
            assert_eq!(store.kind(), StoreKind::Keyring);
            let key = format!("skiff-test-{}", std::process::id());
            store
                .set(&key, &Secret::new("keyring test password"))
                .unwrap();
            assert_eq!(
                store.get(&key).unwrap().unwrap().expose(),
                "keyring test password"
            );
            store.remove(&key).unwrap();
            assert!(store.get(&key).unwrap().is_none());
        } else {
            assert!(matches!(
                opened,
                Err(CredentialError::KeyringUnavailable { .. })
            ));
        }
        assert!(files_under(dir.path()).is_empty());
    }

    /// True where zbus finds no session bus: no `DBUS_SESSION_BUS_ADDRESS`, and no socket at
    /// `$XDG_RUNTIME_DIR/bus` (default `/run/user/UID/bus`).
    fn session_bus_absent() -> bool {
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            use std::os::unix::fs::MetadataExt as _;
            if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
                return false;
            }
            let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
                    PathBuf::from(format!("/run/user/{uid}"))
                });
            !runtime_dir.join("bus").exists()
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        false
    }

    #[test]
    fn a_probe_that_never_answers_is_given_up_in_time() {
        let started = std::time::Instant::now();
        let answer = run_bounded("skiff-test-hung", Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(30));
        });
        assert!(answer.is_none());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            run_bounded("skiff-test-quick", Duration::from_secs(5), || 42),
            Some(42)
        );
    }

    #[test]
    fn store_kinds_read_well_in_files_and_in_the_ui() {
        let names: Vec<String> = StoreKind::ALL
            .iter()
            .map(|k| serde_json::to_string(k).unwrap())
            .collect();
        assert_eq!(
            names,
            ["\"keyring\"", "\"master-password\"", "\"dont-save\""]
        );
        let shown: Vec<String> = StoreKind::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "OS keyring",
                "Master password (encrypted file)",
                "Not saved (asked at connect)"
            ]
        );
        assert_eq!(
            serde_json::from_str::<StoreKind>("\"master-password\"").unwrap(),
            StoreKind::MasterPassword
        );
    }

    #[test]
    fn the_default_costs_are_argon2id_64_mib_3_passes() {
        assert_eq!(KdfParams::DEFAULT.memory_kib, 65536);
        assert_eq!(KdfParams::DEFAULT.iterations, 3);
        assert_eq!(KdfParams::DEFAULT.parallelism, 1);
        assert!(KdfParams::DEFAULT.argon2().is_ok());
        assert!(matches!(
            MasterVault::create_with_params(
                tempfile::tempdir().unwrap().path(),
                &Secret::new(""),
                TINY
            ),
            Err(CredentialError::EmptyMasterPassword)
        ));
    }
}
