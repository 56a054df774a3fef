//! An in-process libunftp server: for tests that must run with nothing installed.
//!
//! It runs on a named thread with its own tokio runtime, serves the test's root through the
//! filesystem backend, and stops through libunftp's shutdown indicator when dropped.
//! libunftp knows PASV, EPSV and PORT, but not EPRT, so active mode works over IPv4 only.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};

/// One user, one password: a wrong password is a 530, as on a real server.
#[derive(Debug)]
struct SingleUser {
    user: String,
    password: String,
}

#[async_trait::async_trait]
impl Authenticator for SingleUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != self.user {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_owned(),
        })
    }
}

/// What the in-process server should do.
pub struct LibunftpConfig<'a> {
    pub root: &'a Path,
    pub bind: IpAddr,
    pub port: u16,
    pub pasv: (u16, u16),
    pub user: &'a str,
    pub password: &'a str,
    /// Announced in 227 replies instead of the control connection's address.
    pub pasv_address: Option<Ipv4Addr>,
    pub allow_active: bool,
}

pub struct Libunftp {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// What happened to the server, for `log_tail`: start, listen errors, stop.
    events: Arc<Mutex<Vec<String>>>,
}

impl Libunftp {
    pub fn start(config: LibunftpConfig<'_>) -> Self {
        let root = config.root.to_path_buf();
        let auth = Arc::new(SingleUser {
            user: config.user.to_owned(),
            password: config.password.to_owned(),
        });
        let events = Arc::new(Mutex::new(Vec::new()));
        let thread_events = Arc::clone(&events);
        let note = move |line: String| thread_events.lock().unwrap().push(line);
        let addr = std::net::SocketAddr::new(config.bind, config.port);
        let (pasv, pasv_address, allow_active) =
            (config.pasv, config.pasv_address, config.allow_active);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("libunftp-{}", config.port))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name(format!("libunftp-{}-worker", addr.port()))
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return note(format!("cannot build a tokio runtime: {e}")),
                };
                rt.block_on(async move {
                    let mode = if allow_active {
                        libunftp::options::ActivePassiveMode::ActiveAndPassive
                    } else {
                        libunftp::options::ActivePassiveMode::PassiveOnly
                    };
                    let storage_root = root.clone();
                    let mut builder = libunftp::ServerBuilder::with_authenticator(
                        Box::new(move || {
                            unftp_sbe_fs::Filesystem::new(storage_root.clone())
                                .expect("libunftp filesystem backend")
                        }),
                        auth,
                    )
                    .greeting("libunftp test server")
                    .passive_ports(pasv.0..=pasv.1)
                    .active_passive_mode(mode)
                    .shutdown_indicator(async move {
                        stop_rx.await.ok();
                        libunftp::options::Shutdown::new().grace_period(Duration::from_millis(200))
                    });
                    if let Some(ip) = pasv_address {
                        builder = builder.passive_host(ip);
                    }
                    let server = match builder.build() {
                        Ok(server) => server,
                        Err(e) => return note(format!("libunftp build failed: {e}")),
                    };
                    note(format!(
                        "libunftp listening on {addr}, passive {}-{}, root {}",
                        pasv.0,
                        pasv.1,
                        root.display()
                    ));
                    // The address has the form libunftp parses: "127.0.0.1:21" / "[::1]:21".
                    match server.listen(addr.to_string()).await {
                        Ok(()) => note("libunftp stopped".to_owned()),
                        Err(e) => note(format!("libunftp listen on {addr} failed: {e}")),
                    }
                });
            })
            .expect("spawn the libunftp thread");
        Self {
            stop: Some(stop_tx),
            thread: Some(thread),
            events,
        }
    }

    /// Whether the server thread has ended (it failed to start, or it was stopped).
    pub fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    pub fn events(&self) -> String {
        self.events.lock().unwrap().join("\n")
    }
}

impl Drop for Libunftp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            // Bounded: the grace period is 200 ms; a stuck server thread is left behind
            // rather than hanging the test.
            for _ in 0..250 {
                if thread.is_finished() {
                    thread.join().ok();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
