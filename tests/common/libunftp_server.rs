//! An in-process libunftp server: for tests that must run with nothing installed.

use std::path::Path;
use std::sync::Arc;
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
        let ok = username == self.user && creds.password.as_deref() == Some(self.password.as_str());
        if ok {
            Ok(Principal {
                username: username.to_owned(),
            })
        } else {
            Err(AuthenticationError::BadPassword)
        }
    }
}

pub struct Libunftp {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Libunftp {
    pub fn start(root: &Path, port: u16, pasv: (u16, u16), user: &str, password: &str) -> Self {
        let root = root.to_path_buf();
        let auth = Arc::new(SingleUser {
            user: user.to_owned(),
            password: password.to_owned(),
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("libunftp-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("libunftp runtime");
                rt.block_on(async move {
                    let server = libunftp::ServerBuilder::with_authenticator(
                        Box::new(move || unftp_sbe_fs::Filesystem::new(root.clone()).expect("fs")),
                        auth,
                    )
                    .greeting("libunftp test server")
                    .passive_ports(pasv.0..=pasv.1)
                    .active_passive_mode(libunftp::options::ActivePassiveMode::ActiveAndPassive)
                    .shutdown_indicator(async move {
                        stop_rx.await.ok();
                        libunftp::options::Shutdown::new().grace_period(Duration::from_millis(200))
                    })
                    .build()
                    .expect("build libunftp");
                    server.listen(format!("127.0.0.1:{port}")).await.ok();
                });
            })
            .expect("spawn libunftp thread");
        Self {
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Libunftp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}
