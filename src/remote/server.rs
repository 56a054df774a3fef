//! A server as the engine knows it: where it is, who logs on, what the engine needs of it
//! (its connection limit, the name rules, the listing caps), and the protocol's own settings
//! carried as a whole (for FTP: the data-connection mode, port range, external IP, EPSV and
//! TLS), which only that protocol's implementation reads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::local::Replacement;
use crate::log::LogSink;
use crate::net::tls::{TlsMode, TlsSettings};
use crate::net::{ConnectOptions, DataMode, DataSettings, PortRange};
use crate::proto::charset::Charset;
use crate::proto::listing::ListingLimits;
use crate::secret::{Credentials, Secret};
use crate::sftp::SshSettings;

/// The protocol a server speaks, with its own settings.
#[derive(Debug, Clone)]
pub enum Protocol {
    /// FTP, plain or over TLS (FTPS).
    Ftp(FtpSettings),
    /// SFTP over SSH: how the host key is checked and how to log on.
    Sftp(SshSettings),
}

/// FTP's settings of a site: how data connections are made, and TLS.
#[derive(Debug, Clone, Default)]
pub struct FtpSettings {
    pub data: DataSettings,
    pub tls: TlsSettings,
    /// `LIST -a`, for servers that hide dot files from a bare LIST (vsftpd).
    pub list_hidden: bool,
    /// Commands sent as typed after each logon (a site's post-logon commands); a refusal
    /// is logged, not fatal.
    pub post_logon_commands: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub credentials: Credentials,
    /// Applies to every read, write, connect and accept.
    pub timeout: Duration,
    /// The server's charset for paths and names.
    pub charset: Charset,
    /// For a UTF-8 ("Auto") server that does not announce UTF8: the charset its names that
    /// are not UTF-8 are read in (the window's fallback), e.g. to name downloaded files.
    pub name_fallback: Option<Charset>,
    /// Where each connection's message log goes.
    pub log: LogSink,
    /// Transfers the engine may run to this server at once (a site's "maximum simultaneous
    /// connections"); `None`: only the global limit applies.
    pub max_transfers: Option<usize>,
    /// What replaces characters of this server's names that a local file system cannot
    /// hold (the global setting; see `crate::local::names`).
    pub name_replacement: Replacement,
    /// The most a listing may hold.
    pub listing_limits: ListingLimits,
    /// Give copies their source's modification time (a downloaded file the server's; an
    /// uploaded one the local file's, where the server can set it): the global setting, a
    /// site's own, `--preserve-times`, and always for a sync.
    pub preserve_times: bool,
    pub protocol: Protocol,
}

/// Which pool of connections a server's work shares: the same server and login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerKey(Arc<str>);

impl fmt::Display for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Server {
    /// An FTP server with the default settings.
    pub fn ftp(host: impl Into<String>, port: u16) -> Self {
        Self::from_ftp(ConnectOptions::new(host, port))
    }

    /// An SFTP server with the default settings (the user's `known_hosts`, the agent and
    /// default key files without a password).
    pub fn sftp(host: impl Into<String>, port: u16) -> Self {
        let mut server = Self::ftp(host, port);
        server.protocol = Protocol::Sftp(SshSettings::default());
        server
    }

    /// SFTP's settings, when the server speaks SFTP.
    pub fn ssh_settings(&self) -> Option<&SshSettings> {
        match &self.protocol {
            Protocol::Sftp(ssh) => Some(ssh),
            Protocol::Ftp(_) => None,
        }
    }

    pub fn ssh_settings_mut(&mut self) -> Option<&mut SshSettings> {
        match &mut self.protocol {
            Protocol::Sftp(ssh) => Some(ssh),
            Protocol::Ftp(_) => None,
        }
    }

    /// An FTP server as `net` connects to it.
    pub fn from_ftp(options: ConnectOptions) -> Self {
        let ConnectOptions {
            host,
            port,
            credentials,
            timeout,
            data,
            charset,
            tls,
            log,
            listing_limits,
            list_hidden,
        } = options;
        Self {
            host,
            port,
            credentials,
            timeout,
            charset,
            name_fallback: None,
            log,
            max_transfers: None,
            name_replacement: Replacement::DEFAULT,
            listing_limits,
            preserve_times: false,
            protocol: Protocol::Ftp(FtpSettings {
                data,
                tls,
                list_hidden,
                post_logon_commands: Vec::new(),
            }),
        }
    }

    /// The charset `name` is read in: the server's, or the fallback for a name that is not
    /// UTF-8 on a UTF-8 server that has one (`name_fallback`).
    pub fn charset_for(&self, name: &[u8]) -> Charset {
        match self.name_fallback {
            Some(fallback) if self.charset.is_utf8() && std::str::from_utf8(name).is_err() => {
                fallback
            }
            _ => self.charset,
        }
    }

    /// FTP's settings, when the server speaks FTP.
    pub fn ftp_settings(&self) -> Option<&FtpSettings> {
        match &self.protocol {
            Protocol::Ftp(ftp) => Some(ftp),
            Protocol::Sftp(_) => None,
        }
    }

    pub fn ftp_settings_mut(&mut self) -> Option<&mut FtpSettings> {
        match &mut self.protocol {
            Protocol::Ftp(ftp) => Some(ftp),
            Protocol::Sftp(_) => None,
        }
    }

    /// How `net` connects to this server, when it speaks FTP.
    pub fn connect_options(&self) -> Option<ConnectOptions> {
        let ftp = self.ftp_settings()?;
        Some(ConnectOptions {
            host: self.host.clone(),
            port: self.port,
            credentials: self.credentials.clone(),
            timeout: self.timeout,
            data: ftp.data.clone(),
            charset: self.charset,
            tls: ftp.tls.clone(),
            log: self.log.clone(),
            listing_limits: self.listing_limits,
            list_hidden: ftp.list_hidden,
        })
    }

    /// Connections are pooled per server and login.
    pub fn key(&self) -> ServerKey {
        let user = self.credentials.user.as_deref().unwrap_or("anonymous");
        let scheme = match &self.protocol {
            Protocol::Ftp(_) => "ftp",
            Protocol::Sftp(_) => "sftp",
        };
        ServerKey(format!("{scheme}://{user}@{}:{}", self.host, self.port).into())
    }

    /// The connection is to be encrypted (or is required to be).
    pub fn wants_encryption(&self) -> bool {
        match &self.protocol {
            Protocol::Ftp(ftp) => ftp.tls.mode != TlsMode::None,
            Protocol::Sftp(_) => true,
        }
    }
}

/// A server as the queue file keeps it: everything but secrets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct StoredServer {
    /// "sftp" for SFTP; absent (older queue files) or "ftp" for FTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub tls: String,
    pub mode: DataMode,
    pub port_range: Option<PortRange>,
    pub external_ip: Option<std::net::IpAddr>,
    pub charset: String,
    /// FTP's `LIST -a` (absent in older queue files: off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub list_hidden: bool,
    /// `Server::preserve_times` (absent in older queue files: off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preserve_times: bool,
    /// FTP's post-logon commands (absent in older queue files: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logon_commands: Vec<String>,
}

impl StoredServer {
    pub fn new(server: &Server) -> Self {
        let default_data = DataSettings::default();
        let (tls, data, protocol, list_hidden) = match &server.protocol {
            Protocol::Ftp(ftp) => (ftp.tls.mode, &ftp.data, None, ftp.list_hidden),
            Protocol::Sftp(_) => (TlsMode::None, &default_data, Some("sftp".to_owned()), false),
        };
        let post_logon_commands = server
            .ftp_settings()
            .map(|ftp| ftp.post_logon_commands.clone())
            .unwrap_or_default();
        Self {
            protocol,
            host: server.host.clone(),
            port: server.port,
            user: server.credentials.user.clone(),
            tls: match tls {
                TlsMode::None => "none",
                TlsMode::Explicit => "explicit",
                TlsMode::Implicit => "implicit",
                TlsMode::ExplicitIfAvailable => "explicit-if-available",
            }
            .to_owned(),
            mode: data.mode,
            port_range: data.active_port_range,
            external_ip: data.external_ip,
            charset: server.charset.name().to_owned(),
            list_hidden,
            preserve_times: server.preserve_times,
            post_logon_commands,
        }
    }

    /// The server to connect to again; the password comes from the caller (keyring, prompt).
    pub fn to_server(&self, password: Option<Secret>) -> Server {
        let mut server = Server::ftp(self.host.clone(), self.port);
        let sftp = self.protocol.as_deref() == Some("sftp");
        server.credentials = Credentials {
            user: self.user.clone(),
            password,
            account: None,
        };
        server.charset = Charset::from_name(&self.charset).unwrap_or_default();
        server.preserve_times = self.preserve_times;
        if sftp {
            server.protocol = Protocol::Sftp(SshSettings::default());
            return server;
        }
        server.protocol = Protocol::Ftp(FtpSettings {
            data: DataSettings {
                mode: self.mode,
                active_port_range: self.port_range,
                external_ip: self.external_ip,
                ..DataSettings::default()
            },
            tls: TlsSettings {
                mode: match self.tls.as_str() {
                    "explicit" => TlsMode::Explicit,
                    "implicit" => TlsMode::Implicit,
                    "explicit-if-available" => TlsMode::ExplicitIfAvailable,
                    _ => TlsMode::None,
                },
                ..TlsSettings::default()
            },
            list_hidden: self.list_hidden,
            post_logon_commands: self.post_logon_commands.clone(),
        });
        server
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_is_not_utf8_is_read_in_the_fallback_only_on_a_utf8_server() {
        let cp949 = Charset::from_name("cp949").unwrap();
        let hangul = b"\xc7\xd1\xb1\xdb.txt";
        let mut server = Server::ftp("127.0.0.1", 21);
        assert_eq!(
            server.charset_for(hangul),
            Charset::UTF8,
            "no fallback: UTF-8"
        );
        server.name_fallback = Some(cp949);
        assert_eq!(server.charset_for(hangul), cp949);
        assert_eq!(server.charset_for("한글.txt".as_bytes()), Charset::UTF8);
        server.charset = Charset::from_name("shift_jis").unwrap();
        assert_eq!(
            server.charset_for(hangul).name(),
            "Shift_JIS",
            "a site's own wins"
        );
    }

    #[test]
    fn a_stored_server_comes_back_the_same_without_its_password() {
        let mut server = Server::ftp("ftp.example.kr", 2121);
        server.credentials.user = Some("kim".into());
        server.credentials.password = Some(Secret::new("hunter2"));
        server.charset = Charset::from_name("cp949").unwrap();
        if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.mode = TlsMode::Explicit;
            ftp.data.mode = DataMode::Active;
            ftp.data.active_port_range = Some("50200-50210".parse().unwrap());
            ftp.post_logon_commands = vec!["SITE UMASK 022".into()];
        }
        let stored = StoredServer::new(&server);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
        let back = serde_json::from_str::<StoredServer>(&json)
            .unwrap()
            .to_server(None);
        assert_eq!(back.key(), server.key());
        assert_eq!(back.charset.name(), "EUC-KR");
        let ftp = back.ftp_settings().unwrap();
        assert_eq!(ftp.tls.mode, TlsMode::Explicit);
        assert_eq!(ftp.data.mode, DataMode::Active);
        assert_eq!(
            ftp.data.active_port_range,
            Some("50200-50210".parse().unwrap())
        );
        assert_eq!(ftp.post_logon_commands, ["SITE UMASK 022"]);
        assert!(back.credentials.password.is_none());
    }
}
