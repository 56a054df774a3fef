//! Saved servers: the Site Manager's folders and sites, as kept in `sites.toml`.
//!
//! Sites are a flat list, each naming its folder path (`Work/Clients`); folders that hold no
//! site yet are listed apart. A flat list keeps the file readable and moves cheap: dragging a
//! site to another folder changes one string. Passwords are never here: they live in the
//! password store under the site's `id`.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::net::tls::TlsMode;
use crate::net::{Credentials, DataMode, PortRange};
use crate::proto::charset::{Charset, CharsetError};
use crate::secret::Secret;
use crate::sites::bookmark::Bookmark;
use crate::url::Scheme;

/// FileZilla's four FTP protocol choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// FTP over explicit TLS when the server offers it, plain FTP when not (FileZilla's default).
    #[default]
    FtpTlsIfAvailable,
    /// Plain FTP: passwords and files travel unencrypted.
    Ftp,
    /// AUTH TLS on the plain port; nothing is sent in plaintext if the server refuses.
    FtpExplicitTls,
    /// TLS from the first byte, usually port 990.
    FtpImplicitTls,
    /// SFTP over SSH, usually port 22.
    Sftp,
}

impl Protocol {
    pub const ALL: [Protocol; 5] = [
        Protocol::Ftp,
        Protocol::FtpTlsIfAvailable,
        Protocol::FtpExplicitTls,
        Protocol::FtpImplicitTls,
        Protocol::Sftp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Protocol::Ftp => "FTP - plain, insecure",
            Protocol::FtpTlsIfAvailable => "FTP - use explicit TLS if available",
            Protocol::FtpExplicitTls => "FTP over explicit TLS (FTPES)",
            Protocol::FtpImplicitTls => "FTP over implicit TLS (FTPS)",
            Protocol::Sftp => "SFTP - SSH File Transfer Protocol",
        }
    }

    pub fn tls_mode(self) -> TlsMode {
        match self {
            Protocol::Ftp | Protocol::Sftp => TlsMode::None,
            Protocol::FtpTlsIfAvailable => TlsMode::ExplicitIfAvailable,
            Protocol::FtpExplicitTls => TlsMode::Explicit,
            Protocol::FtpImplicitTls => TlsMode::Implicit,
        }
    }

    /// The URL scheme that reaches the same server (`ftp://` for "TLS if available").
    pub fn scheme(self) -> Scheme {
        match self {
            Protocol::Ftp | Protocol::FtpTlsIfAvailable => Scheme::Ftp,
            Protocol::FtpExplicitTls => Scheme::Ftpes,
            Protocol::FtpImplicitTls => Scheme::Ftps,
            Protocol::Sftp => Scheme::Sftp,
        }
    }

    pub fn from_scheme(scheme: Scheme) -> Self {
        match scheme {
            Scheme::Ftp => Protocol::Ftp,
            Scheme::Ftpes => Protocol::FtpExplicitTls,
            Scheme::Ftps => Protocol::FtpImplicitTls,
            Scheme::Sftp => Protocol::Sftp,
        }
    }

    pub fn default_port(self) -> u16 {
        self.scheme().default_port()
    }
}

/// How Skiff logs on, as FileZilla's logon types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogonType {
    /// `anonymous`, no password of the user's.
    Anonymous,
    /// User and a saved password (in the password store).
    #[default]
    Normal,
    /// User saved; the password is asked at each connect and kept only for the session.
    AskForPassword,
    /// User saved; the password is asked at each connect and never kept.
    Interactive,
    /// User, saved password and an ACCT account (sent when the server answers 332).
    Account,
}

impl LogonType {
    pub const ALL: [LogonType; 5] = [
        LogonType::Anonymous,
        LogonType::Normal,
        LogonType::AskForPassword,
        LogonType::Interactive,
        LogonType::Account,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LogonType::Anonymous => "Anonymous",
            LogonType::Normal => "Normal",
            LogonType::AskForPassword => "Ask for password",
            LogonType::Interactive => "Interactive",
            LogonType::Account => "Account",
        }
    }

    /// Whether the password store holds this site's password.
    pub fn saves_password(self) -> bool {
        matches!(self, LogonType::Normal | LogonType::Account)
    }

    /// Whether the user is asked for the password when connecting.
    pub fn asks_password(self) -> bool {
        matches!(self, LogonType::AskForPassword | LogonType::Interactive)
    }
}

/// A site's data connection mode: the global default, or its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteDataMode {
    #[default]
    Default,
    Active,
    Passive,
}

impl SiteDataMode {
    pub fn label(self) -> &'static str {
        match self {
            SiteDataMode::Default => "Default",
            SiteDataMode::Active => "Active",
            SiteDataMode::Passive => "Passive",
        }
    }
}

/// The server's charset for file names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CharsetChoice {
    /// UTF-8, with names that are not valid UTF-8 kept byte-exact (FileZilla's "Autodetect").
    #[default]
    Auto,
    ForceUtf8,
    /// A legacy charset by name: `cp949`, `shift_jis`, `gb18030`, ...
    Custom(String),
}

impl CharsetChoice {
    pub fn charset(&self) -> Result<Charset, CharsetError> {
        match self {
            CharsetChoice::Auto | CharsetChoice::ForceUtf8 => Ok(Charset::UTF8),
            CharsetChoice::Custom(name) => Charset::from_name(name),
        }
    }

    fn as_text(&self) -> String {
        match self {
            CharsetChoice::Auto => "auto".to_owned(),
            CharsetChoice::ForceUtf8 => "force-utf-8".to_owned(),
            CharsetChoice::Custom(name) => name.clone(),
        }
    }

    fn from_text(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => CharsetChoice::Auto,
            "force-utf-8" | "utf-8" | "utf8" => CharsetChoice::ForceUtf8,
            _ => CharsetChoice::Custom(text.trim().to_owned()),
        }
    }
}

impl serde::Serialize for CharsetChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> serde::Deserialize<'de> for CharsetChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(CharsetChoice::from_text(&text))
    }
}

/// One saved server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Site {
    /// Stable and unique: the password store's key. Never shown, never edited.
    pub id: String,
    pub name: String,
    /// `Work/Clients`; empty for the top level.
    pub folder: String,
    pub protocol: Protocol,
    pub host: String,
    /// `None`: the protocol's default (21, or 990 for implicit TLS).
    pub port: Option<u16>,
    pub logon: LogonType,
    pub user: String,
    pub account: String,
    pub comments: String,
    pub local_dir: Option<PathBuf>,
    pub remote_dir: Option<String>,
    /// Added to the server's listing times, for servers that list in their local time.
    pub timezone_offset_minutes: i32,
    pub data_mode: SiteDataMode,
    /// This site's own active-mode ports (a firewall rule for this server); `None`: global.
    #[serde(with = "optional_port_range")]
    pub active_port_range: Option<PortRange>,
    /// This site's address to announce in active mode (behind NAT); `None`: global.
    pub external_ip: Option<IpAddr>,
    /// Passive, then active when the passive data connection fails; `None`: global.
    pub passive_fallback: Option<bool>,
    /// Try EPSV before PASV; `None`: global (off for servers with a broken EPSV).
    pub prefer_epsv: Option<bool>,
    /// Passive mode connects to the server's own address, not its 227 reply's; `None`: global.
    pub use_control_peer_for_pasv: Option<bool>,
    /// Transfers at once to this server; `None`: the global limit.
    pub max_connections: Option<u8>,
    pub charset: CharsetChoice,
    /// SFTP: the private key file to log on with (OpenSSH format).
    pub key_file: Option<PathBuf>,
    /// FTP: list with `LIST -a`, so that dot files (`.htaccess`) show and are copied.
    pub list_hidden: bool,
    /// Keep transferred files' modification times (see `Server::preserve_times`); `None`:
    /// the global setting.
    pub preserve_timestamps: Option<bool>,
    /// Start with synchronized browsing between the default local and remote folders
    /// (FileZilla's "Use synchronized browsing").
    pub synchronized_browsing: bool,
    /// FTP: commands sent as typed after each logon (`SITE UMASK 002`), in order; their
    /// replies go to the log, and a refused one does not stop the connection. SFTP has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logon_commands: Vec<String>,
    /// This site's own bookmarks (Bookmarks menu, while connected to it); names unique.
    #[serde(rename = "bookmark", skip_serializing_if = "Vec::is_empty")]
    pub bookmarks: Vec<Bookmark>,
}

impl Default for Site {
    fn default() -> Self {
        Self {
            id: new_site_id(),
            name: "New site".to_owned(),
            folder: String::new(),
            protocol: Protocol::default(),
            host: String::new(),
            port: None,
            logon: LogonType::default(),
            user: String::new(),
            account: String::new(),
            comments: String::new(),
            local_dir: None,
            remote_dir: None,
            timezone_offset_minutes: 0,
            data_mode: SiteDataMode::default(),
            active_port_range: None,
            external_ip: None,
            passive_fallback: None,
            prefer_epsv: None,
            use_control_peer_for_pasv: None,
            max_connections: None,
            charset: CharsetChoice::default(),
            key_file: None,
            list_hidden: false,
            preserve_timestamps: None,
            synchronized_browsing: false,
            bookmarks: Vec::new(),
            post_logon_commands: Vec::new(),
        }
    }
}

impl Site {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.protocol.default_port())
    }

    /// `Work/Clients/Name`, how the CLI's `--site` names it where names repeat.
    pub fn path(&self) -> String {
        if self.folder.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.folder, self.name)
        }
    }

    /// `scheme://user@host:port`, for the title bar and the recent list; never a password.
    pub fn display_url(&self) -> String {
        let host = crate::url::url_host(&self.host);
        let user = match self.logon {
            LogonType::Anonymous => String::new(),
            _ if self.user.is_empty() => String::new(),
            _ => format!("{}@", self.user),
        };
        format!(
            "{}://{user}{host}:{}",
            self.protocol.scheme().as_str(),
            self.port()
        )
    }

    /// Who logs on; `password` comes from the password store or the connect prompt.
    pub fn credentials(&self, password: Option<Secret>) -> Credentials {
        match self.logon {
            LogonType::Anonymous => Credentials::default(),
            logon => Credentials {
                user: (!self.user.is_empty()).then(|| self.user.clone()),
                password,
                account: (logon == LogonType::Account && !self.account.is_empty())
                    .then(|| Secret::new(self.account.clone())),
            },
        }
    }

    /// The data connection mode after the global default: a site's own "passive" or
    /// "active" wins; its own passive fallback (or the global one) turns passive into auto.
    pub fn data_mode(&self, global_mode: DataMode, global_fallback: bool) -> DataMode {
        let fallback = self.passive_fallback.unwrap_or(global_fallback);
        let base = match self.data_mode {
            SiteDataMode::Default => global_mode,
            SiteDataMode::Active => DataMode::Active,
            SiteDataMode::Passive => DataMode::Passive,
        };
        match base {
            DataMode::Passive | DataMode::Auto if fallback => DataMode::Auto,
            DataMode::Auto => DataMode::Passive,
            other => other,
        }
    }
}

/// A fresh, unguessable-enough id: unique per machine and moment (not a secret).
pub fn new_site_id() -> String {
    use sha2::Digest as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = sha2::Sha256::new();
    hasher.update(now.as_nanos().to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hex::encode(&hasher.finalize()[..8])
}

/// The Site Manager's contents.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SiteList {
    /// Folder paths, including those that hold no site yet (`Work`, `Work/Clients`).
    pub folders: Vec<String>,
    #[serde(rename = "site")]
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteLookupError {
    #[error("no site named {0:?} (see `skiff sites list`)")]
    NotFound(String),
    #[error("{name:?} names more than one site: use one of {}", candidates.join(", "))]
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
}

impl SiteList {
    /// A site by `FOLDER/NAME`, or by its name alone where that is unique.
    pub fn find(&self, name: &str) -> Result<&Site, SiteLookupError> {
        let name = name.trim().trim_matches('/');
        if let Some(site) = self.sites.iter().find(|s| s.path() == name) {
            return Ok(site);
        }
        let matching: Vec<&Site> = self.sites.iter().filter(|s| s.name == name).collect();
        match matching.as_slice() {
            [] => Err(SiteLookupError::NotFound(name.to_owned())),
            [site] => Ok(site),
            many => Err(SiteLookupError::Ambiguous {
                name: name.to_owned(),
                candidates: many.iter().map(|s| s.path()).collect(),
            }),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Site> {
        self.sites.iter_mut().find(|s| s.id == id)
    }

    /// Every folder path, parents included, sorted: what the Site Manager's tree shows.
    pub fn all_folders(&self) -> Vec<String> {
        let mut all = std::collections::BTreeSet::new();
        let named = self
            .folders
            .iter()
            .chain(self.sites.iter().map(|s| &s.folder));
        for folder in named.filter(|f| !f.is_empty()) {
            let mut path = String::new();
            for part in folder.split('/') {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(part);
                all.insert(path.clone());
            }
        }
        all.into_iter().collect()
    }

    /// `name`, or `name (2)`, ... : a name no other site in `folder` has.
    pub fn free_name(&self, folder: &str, name: &str) -> String {
        let taken = |candidate: &str| {
            self.sites
                .iter()
                .any(|s| s.folder == folder && s.name == candidate)
        };
        if !taken(name) {
            return name.to_owned();
        }
        (2..)
            .map(|n| format!("{name} ({n})"))
            .find(|candidate| !taken(candidate))
            .unwrap_or_else(|| name.to_owned())
    }

    /// Renames or moves folder `from` (and everything under it) to `to`.
    pub fn move_folder(&mut self, from: &str, to: &str) {
        let moved = |path: &str| -> Option<String> {
            if path == from {
                Some(to.to_owned())
            } else {
                path.strip_prefix(from)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(|rest| format!("{to}/{rest}"))
            }
        };
        for folder in &mut self.folders {
            if let Some(new) = moved(folder) {
                *folder = new;
            }
        }
        for site in &mut self.sites {
            if let Some(new) = moved(&site.folder) {
                site.folder = new;
            }
        }
        self.folders.sort();
        self.folders.dedup();
    }

    /// Deletes folder `path` with its sites and subfolders; returns the removed sites' ids
    /// (their passwords must leave the password store too).
    pub fn remove_folder(&mut self, path: &str) -> Vec<String> {
        let inside = |folder: &str| {
            folder == path
                || folder
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        self.folders.retain(|f| !inside(f));
        let (gone, kept): (Vec<Site>, Vec<Site>) =
            self.sites.drain(..).partition(|s| inside(&s.folder));
        self.sites = kept;
        gone.into_iter().map(|s| s.id).collect()
    }
}

pub const SITES_VERSION: u32 = 1;

impl SiteList {
    /// `sites.toml` in Skiff's config folder.
    pub fn default_path() -> Option<PathBuf> {
        super::config_dir().map(|dir| dir.join("sites.toml"))
    }

    pub fn load(path: &std::path::Path) -> super::config_file::Loaded<SiteList> {
        super::config_file::load(path, SITES_VERSION, |_, _| {})
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), super::config_file::SaveError> {
        super::config_file::save(path, SITES_VERSION, self)
    }
}

/// A folder or site name may not contain `/` (it separates folders in paths).
pub fn clean_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c == '/' || c.is_control() { '_' } else { c })
        .collect();
    if cleaned.is_empty() {
        "Unnamed".to_owned()
    } else {
        cleaned
    }
}

/// `"50200-50210"` in the file rather than a table: the way users write it.
pub(crate) mod optional_port_range {
    use crate::net::PortRange;

    pub fn serialize<S: serde::Serializer>(
        range: &Option<PortRange>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match range {
            Some(range) => s.serialize_some(&range.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PortRange>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.filter(|t| !t.trim().is_empty())
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, folder: &str) -> Site {
        Site {
            name: name.into(),
            folder: folder.into(),
            ..Site::default()
        }
    }

    #[test]
    fn a_site_is_found_by_its_path_or_its_unique_name() {
        let list = SiteList {
            folders: vec![],
            sites: vec![
                site("web", "Work"),
                site("web", "Home"),
                site("nas", "Home"),
            ],
        };
        assert_eq!(list.find("Work/web").unwrap().folder, "Work");
        assert_eq!(list.find("nas").unwrap().folder, "Home");
        assert_eq!(
            list.find("web"),
            Err(SiteLookupError::Ambiguous {
                name: "web".into(),
                candidates: vec!["Work/web".into(), "Home/web".into()]
            })
        );
        assert_eq!(
            list.find("none"),
            Err(SiteLookupError::NotFound("none".into()))
        );
    }

    #[test]
    fn every_field_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.toml");
        let full = Site {
            name: "회사 서버".into(),
            folder: "Work/Clients".into(),
            protocol: Protocol::FtpExplicitTls,
            host: "ftp.example.kr".into(),
            port: Some(2121),
            logon: LogonType::Account,
            user: "kim".into(),
            account: "acct".into(),
            comments: "line one\nline two".into(),
            local_dir: Some(PathBuf::from("/home/kim/사진")),
            remote_dir: Some("/pub/자료".into()),
            timezone_offset_minutes: -540,
            data_mode: SiteDataMode::Active,
            active_port_range: Some("50200-50210".parse().unwrap()),
            external_ip: Some("203.0.113.5".parse().unwrap()),
            passive_fallback: Some(false),
            max_connections: Some(3),
            charset: CharsetChoice::Custom("cp949".into()),
            ..Site::default()
        };
        let list = SiteList {
            folders: vec!["Empty".into()],
            sites: vec![full, Site::default()],
        };
        list.save(&path).unwrap();
        let loaded = SiteList::load(&path);
        assert!(loaded.problem.is_none(), "{:?}", loaded.problem);
        assert_eq!(loaded.value, list);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Written by Skiff"), "{text}");
        assert!(
            text.contains("version = 1") && text.contains("[[site]]"),
            "{text}"
        );
    }

    #[test]
    fn site_ids_differ() {
        let ids: std::collections::HashSet<String> = (0..100).map(|_| new_site_id()).collect();
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn folders_move_and_go_with_what_is_inside() {
        let mut list = SiteList {
            folders: vec!["Work/Empty".into(), "Workshop".into()],
            sites: vec![site("a", "Work"), site("b", "Work/Clients"), site("c", "")],
        };
        assert_eq!(
            list.all_folders(),
            ["Work", "Work/Clients", "Work/Empty", "Workshop"]
        );
        list.move_folder("Work", "Old/Work");
        assert_eq!(list.sites[0].folder, "Old/Work");
        assert_eq!(list.sites[1].folder, "Old/Work/Clients");
        assert_eq!(list.folders, ["Old/Work/Empty", "Workshop"]);
        let gone = list.remove_folder("Old/Work");
        assert_eq!(gone.len(), 2);
        assert_eq!(list.sites.len(), 1);
        assert_eq!(list.folders, ["Workshop"]);
    }

    #[test]
    fn free_names_count_up() {
        let list = SiteList {
            folders: vec![],
            sites: vec![site("web", ""), site("web (2)", ""), site("web", "Other")],
        };
        assert_eq!(list.free_name("", "web"), "web (3)");
        assert_eq!(list.free_name("Else", "web"), "web");
    }

    #[test]
    fn the_sites_own_mode_and_fallback_win_over_the_global_ones() {
        let mut s = Site::default();
        assert_eq!(s.data_mode(DataMode::Passive, false), DataMode::Passive);
        assert_eq!(s.data_mode(DataMode::Passive, true), DataMode::Auto);
        assert_eq!(s.data_mode(DataMode::Active, true), DataMode::Active);
        s.data_mode = SiteDataMode::Active;
        assert_eq!(s.data_mode(DataMode::Passive, true), DataMode::Active);
        s.data_mode = SiteDataMode::Passive;
        s.passive_fallback = Some(false);
        assert_eq!(s.data_mode(DataMode::Passive, true), DataMode::Passive);
        s.passive_fallback = Some(true);
        assert_eq!(s.data_mode(DataMode::Active, false), DataMode::Auto);
    }

    #[test]
    fn anonymous_logon_sends_no_user_and_account_logon_sends_acct() {
        let mut s = Site {
            user: "bob".into(),
            account: "acct1".into(),
            logon: LogonType::Anonymous,
            ..Site::default()
        };
        let c = s.credentials(Some(Secret::new("x")));
        assert!(c.user.is_none() && c.password.is_none() && c.account.is_none());
        s.logon = LogonType::Account;
        let c = s.credentials(Some(Secret::new("pw")));
        assert_eq!(c.user.as_deref(), Some("bob"));
        assert_eq!(c.account.as_ref().map(|a| a.expose()), Some("acct1"));
        s.logon = LogonType::Normal;
        assert_eq!(s.credentials(None).account, None);
    }

    #[test]
    fn display_url_has_no_password_and_brackets_ipv6() {
        let s = Site {
            host: "::1".into(),
            user: "bob".into(),
            protocol: Protocol::FtpImplicitTls,
            ..Site::default()
        };
        assert_eq!(s.display_url(), "ftps://bob@[::1]:990");
    }

    #[test]
    fn charset_choices_read_back_from_text() {
        for choice in [
            CharsetChoice::Auto,
            CharsetChoice::ForceUtf8,
            CharsetChoice::Custom("cp949".into()),
        ] {
            assert_eq!(CharsetChoice::from_text(&choice.as_text()), choice);
        }
        assert_eq!(
            CharsetChoice::Custom("shift_jis".into()).charset().unwrap(),
            Charset::from_name("shift_jis").unwrap()
        );
        assert!(CharsetChoice::Custom("klingon".into()).charset().is_err());
    }
}
