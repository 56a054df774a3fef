//! Global settings (Edit > Settings, `settings.toml`), and how a site's own choices override
//! them when a connection is made.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::local::Replacement;
use crate::net::{DataMode, DataSettings, PortRange};
use crate::proto::charset::{Charset, CharsetError};
use crate::proto::listing::ListingLimits;
use crate::remote::{FtpSettings, Protocol, Server};
use crate::secret::Secret;
use crate::sftp::SshSettings;
use crate::sites::config_file::{self, Loaded, SaveError};
use crate::sites::credentials::StoreKind;
use crate::sites::site::Site;
use crate::transfer::ExistsPolicy;
use crate::url::{FtpUrl, Scheme};

pub const SETTINGS_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Follow the desktop's light or dark preference.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Passive or active; a site may choose its own.
    pub data_mode: DataMode,
    /// When a passive data connection cannot be made, try active (FileZilla's default).
    pub passive_fallback: bool,
    /// Active mode listens only on these ports, so a firewall can allow exactly them.
    #[serde(with = "crate::sites::site::optional_port_range")]
    pub active_port_range: Option<PortRange>,
    /// Active mode announces this address instead of the local one (behind NAT).
    pub external_ip: Option<IpAddr>,
    /// Passive mode connects to the server's own address, not the one in its 227 reply.
    pub use_control_peer_for_pasv: bool,
    /// Try EPSV before PASV.
    pub prefer_epsv: bool,
    /// Seconds any network step may take.
    pub timeout_secs: u64,
    /// Attempts per transfer before it fails (transient errors only).
    pub attempts: u32,
    /// Transfers at once (1 to 10).
    pub parallel: usize,
    /// Bytes per second; `None`: unlimited.
    pub download_limit: Option<u64>,
    pub upload_limit: Option<u64>,
    /// What to do when a download's or an upload's target exists.
    pub download_exists: ExistsPolicy,
    pub upload_exists: ExistsPolicy,
    pub log_timestamps: bool,
    /// Settings > Logging: the message log also goes to a file, capped and turned over
    /// (`log::file`); `log_file_path` `None` is `skiff.log` in the settings folder.
    pub log_to_file: bool,
    pub log_file_path: Option<PathBuf>,
    pub log_file_max_mib: u64,
    /// The charset the window shows names in that are not UTF-8, from an "Auto" server
    /// that does not announce UTF8 (a guess, marked); `None`: from the desktop's locale.
    pub fallback_charset: Option<String>,
    pub theme: Theme,
    /// Where saved passwords go: the OS keyring, a master-password vault, or nowhere.
    pub password_store: StoreKind,
    /// Replaces characters of remote names that a local file system cannot hold
    /// (FileZilla's "filter invalid characters"); never itself such a character.
    pub invalid_char_replacement: Replacement,
    /// Keep transferred files' modification times (FileZilla's "Preserve timestamps of
    /// transferred files"): a download gets the server's time, an upload the local file's
    /// where the server can set it (MFMT, SFTP). A site may choose its own.
    pub preserve_timestamps: bool,
    /// The most one directory listing may hold, in bytes and in entries: a hostile server's
    /// endless listing fails there instead of taking all memory.
    pub listing_max_bytes: u64,
    pub listing_max_entries: usize,
    /// The slowest a listing may come, in bytes per second, once the timeout has passed
    /// (0: no floor): a listing dripped slowly ends with an error instead of never.
    pub listing_min_rate: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_mode: DataMode::Passive,
            passive_fallback: true,
            active_port_range: None,
            external_ip: None,
            use_control_peer_for_pasv: true,
            prefer_epsv: true,
            timeout_secs: 20,
            attempts: 5,
            parallel: 2,
            download_limit: None,
            upload_limit: None,
            download_exists: ExistsPolicy::Ask,
            upload_exists: ExistsPolicy::Ask,
            log_timestamps: false,
            log_to_file: false,
            log_file_path: None,
            log_file_max_mib: 10,
            fallback_charset: None,
            theme: Theme::default(),
            password_store: StoreKind::default(),
            invalid_char_replacement: Replacement::DEFAULT,
            preserve_timestamps: false,
            listing_max_bytes: ListingLimits::DEFAULT.max_bytes,
            listing_max_entries: ListingLimits::DEFAULT.max_entries,
            listing_min_rate: ListingLimits::DEFAULT.min_rate,
        }
    }
}

impl Settings {
    /// `settings.toml` in Skiff's config folder.
    pub fn default_path() -> Option<PathBuf> {
        super::config_dir().map(|dir| dir.join("settings.toml"))
    }

    pub fn load(path: &std::path::Path) -> Loaded<Settings> {
        config_file::load(path, SETTINGS_VERSION, |_, _| {})
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), SaveError> {
        config_file::save(path, SETTINGS_VERSION, self)
    }

    /// Where the message log is written when `log_to_file` is on, and its cap in bytes.
    pub fn log_file(&self, config_dir: Option<&std::path::Path>) -> Option<(PathBuf, u64)> {
        let path = match &self.log_file_path {
            Some(path) => path.clone(),
            None => config_dir?.join("skiff.log"),
        };
        let cap = self.log_file_max_mib.clamp(1, 1024) * 1024 * 1024;
        self.log_to_file.then_some((path, cap))
    }

    /// The fallback charset in use: the one chosen, else the locale's
    /// (`fallback_for_locale`); a name that is no charset falls back to the locale's too.
    pub fn fallback_charset(&self) -> Charset {
        self.fallback_charset
            .as_deref()
            .and_then(|name| Charset::from_name(name).ok())
            .unwrap_or_else(|| {
                let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
                    .iter()
                    .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
                    .unwrap_or_default();
                Charset::from_name(fallback_for_locale(&locale)).unwrap_or_default()
            })
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.clamp(1, 3600))
    }

    /// Data connections for a server without a site (quickconnect, a plain URL).
    pub fn data_settings(&self) -> DataSettings {
        DataSettings {
            mode: match self.data_mode {
                DataMode::Passive if self.passive_fallback => DataMode::Auto,
                mode => mode,
            },
            prefer_epsv: self.prefer_epsv,
            use_control_peer_for_pasv: self.use_control_peer_for_pasv,
            active_port_range: self.active_port_range,
            external_ip: self.external_ip,
        }
    }

    /// Data connections for `site`: its own mode, fallback, EPSV and passive-address choice,
    /// port range and external IP where it has them, the global ones where not.
    pub fn site_data_settings(&self, site: &Site) -> DataSettings {
        DataSettings {
            mode: site.data_mode(self.data_mode, self.passive_fallback),
            prefer_epsv: site.prefer_epsv.unwrap_or(self.prefer_epsv),
            use_control_peer_for_pasv: site
                .use_control_peer_for_pasv
                .unwrap_or(self.use_control_peer_for_pasv),
            active_port_range: site.active_port_range.or(self.active_port_range),
            external_ip: site.external_ip.or(self.external_ip),
        }
    }

    /// The caps on one listing.
    pub fn listing_limits(&self) -> ListingLimits {
        ListingLimits {
            max_bytes: self.listing_max_bytes.max(1),
            max_entries: self.listing_max_entries.max(1),
            min_rate: self.listing_min_rate,
        }
    }

    /// What every server gets from the global settings.
    fn server(&self, host: &str, port: u16, data: DataSettings) -> Server {
        let mut server = Server::ftp(host, port);
        server.timeout = self.timeout();
        server.name_replacement = self.invalid_char_replacement;
        server.preserve_times = self.preserve_timestamps;
        server.listing_limits = self.listing_limits();
        server.protocol = Protocol::Ftp(FtpSettings {
            data,
            ..FtpSettings::default()
        });
        server
    }

    /// How to reach a URL's server (quickconnect, the CLI without `--site`). Trust and the
    /// log are the caller's to fill in.
    pub fn url_server(&self, url: &FtpUrl, tls_if_available: bool) -> Server {
        let mut server = self.server(&url.host, url.port, self.data_settings());
        server.credentials.user = url.user.clone();
        server.credentials.password = url.password.clone();
        if url.scheme == Scheme::Sftp {
            server.protocol = Protocol::Sftp(SshSettings::default());
        } else if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.mode = url.scheme.tls_mode(tls_if_available);
        }
        server
    }

    /// How to reach `site`, logging on with `password` (from the password store or a prompt).
    pub fn site_server(
        &self,
        site: &Site,
        password: Option<Secret>,
    ) -> Result<Server, CharsetError> {
        let mut server = self.server(site.host.trim(), site.port(), self.site_data_settings(site));
        server.credentials = site.credentials(password);
        server.charset = site.charset.charset()?;
        server.max_transfers = site.max_connections.map(usize::from);
        server.preserve_times = site.preserve_timestamps.unwrap_or(self.preserve_timestamps);
        if site.protocol == crate::sites::site::Protocol::Sftp {
            server.protocol = Protocol::Sftp(SshSettings {
                key_files: site.key_file.iter().cloned().collect(),
                ..SshSettings::default()
            });
        } else if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.mode = site.protocol.tls_mode();
            ftp.list_hidden = site.list_hidden;
            ftp.post_logon_commands = site.post_logon_commands.clone();
        }
        Ok(server)
    }
}

/// The legacy charset a desktop's locale suggests for names that are not UTF-8: CP949 for
/// Korean, Shift_JIS for Japanese, GB18030 for mainland Chinese, Big5 for Taiwan and Hong
/// Kong, windows-1252 for everything else (what Windows used there before UTF-8).
pub fn fallback_for_locale(locale: &str) -> &'static str {
    let lower = locale.to_ascii_lowercase();
    let language = lower.split(['.', '@']).next().unwrap_or_default();
    match language {
        l if l.starts_with("ko") => "cp949",
        l if l.starts_with("ja") => "shift_jis",
        "zh_tw" | "zh_hk" | "zh_mo" => "big5",
        l if l.starts_with("zh") => "gb18030",
        _ => "windows-1252",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_charset_follows_the_locale_unless_chosen() {
        for (locale, charset) in [
            ("ko_KR.UTF-8", "cp949"),
            ("ja_JP.UTF-8", "shift_jis"),
            ("zh_CN.UTF-8", "gb18030"),
            ("zh_TW.UTF-8", "big5"),
            ("zh_HK.Big5HKSCS", "big5"),
            ("zh_SG", "gb18030"),
            ("de_DE.UTF-8@euro", "windows-1252"),
            ("C", "windows-1252"),
            ("", "windows-1252"),
        ] {
            assert_eq!(fallback_for_locale(locale), charset, "{locale}");
        }
        let chosen = Settings {
            fallback_charset: Some("shift_jis".into()),
            ..Settings::default()
        };
        assert_eq!(chosen.fallback_charset().name(), "Shift_JIS");
    }
    use crate::net::tls::TlsMode;
    use crate::sites::site::{CharsetChoice, LogonType, Protocol, SiteDataMode};

    #[test]
    fn a_site_that_lists_hidden_files_says_so_to_its_server_and_the_queue_keeps_it() {
        let site = Site {
            host: "ftp.example.org".into(),
            protocol: Protocol::Ftp,
            list_hidden: true,
            ..Site::default()
        };
        let server = Settings::default().site_server(&site, None).unwrap();
        assert!(server.ftp_settings().unwrap().list_hidden);
        assert!(server.connect_options().unwrap().list_hidden);
        let stored = crate::remote::StoredServer::new(&server);
        assert!(stored.to_server(None).ftp_settings().unwrap().list_hidden);
        let plain = Settings::default()
            .site_server(
                &Site {
                    list_hidden: false,
                    ..site
                },
                None,
            )
            .unwrap();
        assert!(!plain.ftp_settings().unwrap().list_hidden);
    }

    #[test]
    fn a_sites_transfer_settings_override_the_global_ones() {
        let global = Settings {
            data_mode: DataMode::Passive,
            passive_fallback: false,
            active_port_range: Some("50000-50010".parse().unwrap()),
            external_ip: Some("198.51.100.7".parse().unwrap()),
            timeout_secs: 7,
            ..Settings::default()
        };
        let mut site = Site {
            host: " ftp.example.kr ".into(),
            protocol: Protocol::FtpExplicitTls,
            user: "kim".into(),
            charset: CharsetChoice::Custom("cp949".into()),
            ..Site::default()
        };
        let plain = global.site_server(&site, None).unwrap();
        assert_eq!(plain.host, "ftp.example.kr");
        assert_eq!(plain.port, 21);
        assert_eq!(plain.ftp_settings().unwrap().data.mode, DataMode::Passive);
        assert_eq!(
            plain.ftp_settings().unwrap().data.active_port_range,
            global.active_port_range
        );
        assert_eq!(
            plain.ftp_settings().unwrap().data.external_ip,
            global.external_ip
        );
        assert_eq!(plain.timeout, Duration::from_secs(7));
        assert_eq!(plain.ftp_settings().unwrap().tls.mode, TlsMode::Explicit);
        assert_eq!(plain.charset.name(), "EUC-KR");

        site.data_mode = SiteDataMode::Active;
        site.active_port_range = Some("50200-50210".parse().unwrap());
        site.external_ip = Some("203.0.113.5".parse().unwrap());
        let own = global.site_server(&site, None).unwrap();
        assert_eq!(own.ftp_settings().unwrap().data.mode, DataMode::Active);
        assert_eq!(
            own.ftp_settings().unwrap().data.active_port_range,
            site.active_port_range
        );
        assert_eq!(
            own.ftp_settings().unwrap().data.external_ip,
            site.external_ip
        );
        assert!(own.ftp_settings().unwrap().data.use_control_peer_for_pasv);

        site.prefer_epsv = Some(false);
        site.use_control_peer_for_pasv = Some(false);
        let own = global.site_server(&site, None).unwrap();
        assert!(
            !own.ftp_settings().unwrap().data.prefer_epsv
                && !own.ftp_settings().unwrap().data.use_control_peer_for_pasv
        );
    }

    #[test]
    fn a_site_with_an_unknown_charset_is_an_error() {
        let site = Site {
            charset: CharsetChoice::Custom("klingon".into()),
            logon: LogonType::Anonymous,
            ..Site::default()
        };
        assert!(Settings::default().site_server(&site, None).is_err());
    }

    #[test]
    fn passive_with_fallback_is_auto_for_urls() {
        let url = FtpUrl::parse("ftps://u@h:2990/x").unwrap();
        let options = Settings::default().url_server(&url, false);
        assert_eq!(options.ftp_settings().unwrap().data.mode, DataMode::Auto);
        assert_eq!(options.ftp_settings().unwrap().tls.mode, TlsMode::Implicit);
        assert_eq!(options.port, 2990);
        let strict = Settings {
            passive_fallback: false,
            ..Settings::default()
        };
        assert_eq!(
            strict
                .url_server(&url, false)
                .ftp_settings()
                .unwrap()
                .data
                .mode,
            DataMode::Passive
        );
    }

    #[test]
    fn settings_round_trip_and_partial_files_fill_in_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        let settings = Settings {
            data_mode: DataMode::Active,
            active_port_range: Some("50200-50210".parse().unwrap()),
            external_ip: Some("::1".parse().unwrap()),
            download_limit: Some(500_000),
            download_exists: ExistsPolicy::OverwriteIfNewer,
            theme: Theme::Dark,
            password_store: StoreKind::MasterPassword,
            invalid_char_replacement: Replacement::new('+').unwrap(),
            ..Settings::default()
        };
        settings.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("active_port_range = \"50200-50210\""),
            "{text}"
        );
        let loaded = Settings::load(&path);
        assert!(loaded.problem.is_none());
        assert_eq!(loaded.value, settings);
        std::fs::write(&path, "version = 1\ntimeout_secs = 9\n").unwrap();
        let partial = Settings::load(&path).value;
        assert_eq!(partial.timeout_secs, 9);
        assert!(partial.passive_fallback && partial.use_control_peer_for_pasv);
        assert_eq!(partial.invalid_char_replacement.get(), '_');
    }

    #[test]
    fn the_replacement_character_reaches_connections_and_a_bad_one_is_refused() {
        let settings = Settings {
            invalid_char_replacement: Replacement::new('~').unwrap(),
            ..Settings::default()
        };
        let url = FtpUrl::parse("ftp://u@h/x").unwrap();
        assert_eq!(settings.url_server(&url, false).name_replacement.get(), '~');
        let site = Site {
            host: "h".into(),
            logon: LogonType::Anonymous,
            ..Site::default()
        };
        let options = settings.site_server(&site, None).unwrap();
        assert_eq!(options.name_replacement.get(), '~');

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "version = 1\ninvalid_char_replacement = \"/\"\n").unwrap();
        let loaded = Settings::load(&path);
        assert!(loaded.problem.is_some(), "a slash was accepted");
        assert_eq!(loaded.value.invalid_char_replacement.get(), '_');
    }
}
