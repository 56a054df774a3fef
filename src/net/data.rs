//! Data connections: where they go and how they are opened, in both modes.
//!
//! Passive: the server listens, Skiff connects (to the control peer unless told otherwise).
//! Active: Skiff listens on the control connection's local address, in the user's fixed
//! port range when one is set (so a firewall can allow exactly those ports), announces that
//! address (or the configured external IP behind NAT), and accepts only the server.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::log::LogSink;
use crate::net::error::FtpError;

/// Which side opens the data connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DataMode {
    /// EPSV/PASV: the client connects (the default; works through client-side NAT).
    #[default]
    Passive,
    /// EPRT/PORT: the server connects back to a port the client listens on.
    Active,
    /// Passive, and active when the passive data connection cannot be made.
    Auto,
}

impl FromStr for DataMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "passive" | "pasv" => Ok(DataMode::Passive),
            "active" | "port" => Ok(DataMode::Active),
            "auto" => Ok(DataMode::Auto),
            _ => Err(format!("unknown mode {s:?}: use passive, active or auto")),
        }
    }
}

/// An inclusive local port range for active mode, e.g. `50000-50100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid port range {0:?}: use MIN-MAX with 1024 <= MIN <= MAX <= 65535")]
pub struct PortRangeError(String);

impl FromStr for PortRange {
    type Err = PortRangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PortRangeError(s.to_owned());
        let (min, max) = s.split_once('-').ok_or_else(err)?;
        let min: u16 = min.trim().parse().map_err(|_| err())?;
        let max: u16 = max.trim().parse().map_err(|_| err())?;
        if min < 1024 || min > max {
            return Err(err());
        }
        Ok(PortRange { min, max })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// Everything that decides how data connections are made for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSettings {
    pub mode: DataMode,
    /// Try EPSV before PASV (RFC 2428). Off only to work around servers with a broken EPSV.
    pub prefer_epsv: bool,
    /// Connect to the control connection's peer instead of the 227 reply's address.
    pub use_control_peer_for_pasv: bool,
    /// Active mode: listen only on ports in this range.
    pub active_port_range: Option<PortRange>,
    /// Active mode: announce this address instead of the local one (NAT).
    pub external_ip: Option<IpAddr>,
}

impl Default for DataSettings {
    fn default() -> Self {
        Self {
            mode: DataMode::Passive,
            prefer_epsv: true,
            use_control_peer_for_pasv: true,
            active_port_range: None,
            external_ip: None,
        }
    }
}

impl DataSettings {
    /// One Status line: "Data connections: passive (EPSV, then PASV) ...".
    pub fn describe(&self) -> String {
        let passive = match (self.prefer_epsv, self.use_control_peer_for_pasv) {
            (true, true) => "passive (EPSV, then PASV to the server's own address)",
            (true, false) => "passive (EPSV, then PASV to the address the server announces)",
            (false, true) => "passive (PASV to the server's own address)",
            (false, false) => "passive (PASV to the address the server announces)",
        };
        let ports = match self.active_port_range {
            Some(range) => format!("local ports {range}"),
            None => "any free local port".to_owned(),
        };
        let address = match self.external_ip {
            Some(ip) => format!("announcing {ip}"),
            None => "announcing the local address".to_owned(),
        };
        let active = format!("active (EPRT/PORT, {ports}, {address})");
        match self.mode {
            DataMode::Passive => format!("Data connections: {passive}"),
            DataMode::Active => format!("Data connections: {active}"),
            DataMode::Auto => {
                format!("Data connections: {passive}; if that fails, {active}")
            }
        }
    }
}

/// The order in which to try the ports of a range: every port once, starting at `start`
/// (a random offset, so parallel connections don't all fight over the first port).
pub fn active_port_candidates(range: PortRange, start: u32) -> impl Iterator<Item = u16> {
    let len = u32::from(range.max - range.min) + 1;
    (0..len).map(move |i| {
        // (start + i) % len < len <= 65536, and min + that <= max: no overflow.
        range.min + ((start.wrapping_add(i)) % len) as u16
    })
}

/// A cheap random number for spreading port choices; not for anything secret.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default(),
    );
    hasher.finish() as u32
}

/// Opens a passive data connection to `addr` with a timeout.
pub(crate) async fn connect_passive(
    addr: SocketAddr,
    timeout: Duration,
    log: &LogSink,
) -> Result<TcpStream, FtpError> {
    log.status(format!("Opening data connection to {addr}"));
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(FtpError::DataConnect {
            mode: "passive",
            addr,
            source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"),
        }),
        Ok(Err(source)) => Err(FtpError::DataConnect {
            mode: "passive",
            addr,
            source,
        }),
        Ok(Ok(stream)) => {
            stream.set_nodelay(true).ok();
            Ok(stream)
        }
    }
}

/// Binds the active-mode listener on `local_ip`, inside the port range when one is set.
pub(crate) async fn listen_active(
    local_ip: IpAddr,
    range: Option<PortRange>,
) -> Result<TcpListener, FtpError> {
    let Some(range) = range else {
        let addr = SocketAddr::new(local_ip, 0);
        return TcpListener::bind(addr)
            .await
            .map_err(|source| FtpError::Listen { addr, source });
    };
    for port in active_port_candidates(range, random_u32()) {
        let addr = SocketAddr::new(local_ip, port);
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            // Permission or address problems are the same for every port: report the first.
            Err(source) => return Err(FtpError::Listen { addr, source }),
        }
    }
    Err(FtpError::NoFreePort {
        min: range.min,
        max: range.max,
    })
}

/// Waits for the server's connection to the active-mode listener. A connection from any
/// other address is dropped (logged), and waiting goes on until the deadline.
pub(crate) async fn accept_active(
    listener: &TcpListener,
    server_ip: IpAddr,
    timeout: Duration,
    log: &LogSink,
) -> Result<TcpStream, FtpError> {
    let addr = listener
        .local_addr()
        .map_err(|source| FtpError::DataIo { source })?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let accepted = tokio::time::timeout_at(deadline, listener.accept()).await;
        match accepted {
            Err(_) => {
                return Err(FtpError::ActiveAcceptTimeout {
                    addr,
                    secs: timeout.as_secs(),
                });
            }
            Ok(Err(source)) => return Err(FtpError::DataIo { source }),
            Ok(Ok((stream, from))) if same_host(from.ip(), server_ip) => {
                stream.set_nodelay(true).ok();
                return Ok(stream);
            }
            Ok(Ok((_, from))) => {
                log.error(format!(
                    "Refused a data connection from {from}: only the server {server_ip} may connect"
                ));
            }
        }
    }
}

/// IPv4 and its IPv4-mapped IPv6 form are the same host.
fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_settings_line_names_mode_ports_and_address() {
        let mut settings = DataSettings::default();
        assert_eq!(
            settings.describe(),
            "Data connections: passive (EPSV, then PASV to the server's own address)"
        );
        settings.mode = DataMode::Active;
        settings.active_port_range = Some("50200-50210".parse().unwrap());
        settings.external_ip = Some("203.0.113.5".parse().unwrap());
        assert_eq!(
            settings.describe(),
            "Data connections: active (EPRT/PORT, local ports 50200-50210, announcing 203.0.113.5)"
        );
        settings.mode = DataMode::Auto;
        settings.active_port_range = None;
        settings.external_ip = None;
        settings.prefer_epsv = false;
        assert_eq!(
            settings.describe(),
            "Data connections: passive (PASV to the server's own address); if that fails, \
             active (EPRT/PORT, any free local port, announcing the local address)"
        );
    }

    #[test]
    fn port_candidates_cover_the_range_once() {
        let range: PortRange = "50000-50009".parse().unwrap();
        let mut ports: Vec<u16> = active_port_candidates(range, 7).collect();
        assert_eq!(ports[0], 50007);
        ports.sort_unstable();
        assert_eq!(ports, (50000..=50009).collect::<Vec<_>>());
        let single: PortRange = "65535-65535".parse().unwrap();
        assert_eq!(
            active_port_candidates(single, u32::MAX).collect::<Vec<_>>(),
            [65535]
        );
    }

    #[test]
    fn port_ranges_parse_strictly() {
        assert_eq!(
            "50000-50100".parse::<PortRange>().unwrap(),
            PortRange {
                min: 50000,
                max: 50100
            }
        );
        for bad in ["50100-50000", "80-90", "a-b", "50000", "50000-70000"] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn modes_parse_from_cli_words() {
        assert_eq!("passive".parse::<DataMode>().unwrap(), DataMode::Passive);
        assert_eq!("ACTIVE".parse::<DataMode>().unwrap(), DataMode::Active);
        assert_eq!("auto".parse::<DataMode>().unwrap(), DataMode::Auto);
        assert!("fast".parse::<DataMode>().is_err());
    }

    #[tokio::test]
    async fn all_ports_busy_is_an_error_naming_the_range() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let first = TcpListener::bind((ip, 0)).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let range = PortRange {
            min: port,
            max: port,
        };
        let err = listen_active(ip, Some(range)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("active mode: no free local port in the range {port}-{port}")
        );
    }

    #[tokio::test]
    async fn a_foreign_connection_to_the_active_listener_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The "server" is 127.0.0.1; connect from 127.0.0.3, which is loopback but not the server.
        let intruder = tokio::spawn(async move {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
            socket.connect(addr).await.unwrap()
        });
        let log = LogSink::discard();
        let server_ip: IpAddr = "127.0.0.1".parse().unwrap();
        let result = accept_active(&listener, server_ip, Duration::from_millis(500), &log).await;
        assert!(
            matches!(result, Err(FtpError::ActiveAcceptTimeout { .. })),
            "{result:?}"
        );
        intruder.await.unwrap();
    }
}
