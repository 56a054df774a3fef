//! The CLI's face on the engine: one engine per command, the same one the window runs. A
//! remote operation is a request to the engine's browsing session; a transfer, of one file
//! or a tree, is a queue run to its end. On a terminal, a certificate nobody vouched for is
//! shown and the user asked, and the operation (or item) tried again once trusted; one the
//! user vouched for is remembered once a logon accepted it.

use crate::visible::visible;
use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::common::Target;
use crate::cli::progress::ProgressView;
use crate::engine::checksum::RemoteChecksums;
use crate::engine::{
    self, ConnectionState, Counts, EngineCommand, EngineConfig, EngineEvent, EngineEvents,
    EngineHandle, EngineSettings, ItemId, ItemState, RemoteOp, RequestId, TransferSpec,
};
use crate::net::tls::{CertInfo, CertProblem, normalize_fingerprint};
use crate::proto::listing::Entry;
use crate::remote::{Capabilities, ErrorKind, RemoteError, Security, Server};
use crate::sftp::HostKeyInfo;
use crate::sites::trust::{TrustStore, TrustedCert};

/// Takes what a search found in a folder (its path), or why it could not be listed.
pub(crate) type SearchReader<'a> =
    dyn FnMut(&[u8], Result<&[Entry], &RemoteError>) -> anyhow::Result<()> + 'a;

pub(crate) struct CliEngine {
    handle: EngineHandle,
    events: EngineEvents,
    server: Arc<Server>,
    /// How the target is named in messages.
    shown: String,
    trust_store: Option<TrustStore>,
    /// Fingerprints the user vouched for (flags, or yes at the prompt): remembered once a
    /// logon accepts one.
    vouched: Vec<String>,
    /// An SFTP password was asked on the terminal already (once).
    asked_password: bool,
    next_request: u64,
}

/// How a queue ended.
pub(crate) struct QueueEnd {
    pub counts: Counts,
    /// The first failed item's error, for a one-file transfer's message.
    pub first_error: Option<RemoteError>,
    /// Items that failed because their file changed since a sync's plan (conflicts).
    pub changed: usize,
}

/// What the browsing session answered.
enum Answer {
    Done,
    Raw(crate::remote::RawReply),
    Listed((Vec<u8>, Arc<[Entry]>)),
    Checksums(Arc<RemoteChecksums>),
}

impl CliEngine {
    pub(crate) fn start(target: &Target, settings: EngineSettings) -> Self {
        let config = EngineConfig {
            settings,
            start_processing: true,
            // The log goes to --log from the sessions themselves; the CLI shows no pane.
            log_events: false,
            ..EngineConfig::default()
        };
        // The CLI blocks on the receiver: nothing to wake.
        let (handle, events) = engine::spawn(config, Arc::new(|| {}));
        let vouched = match (target.server.ftp_settings(), target.server.ssh_settings()) {
            (Some(ftp), _) => ftp.tls.trusted_fingerprints.clone(),
            (_, Some(ssh)) => ssh.trusted_host_keys.clone(),
            _ => Vec::new(),
        };
        Self {
            handle,
            events,
            server: Arc::new(target.server.clone()),
            shown: target.shown.clone(),
            trust_store: target.trust_store.clone(),
            vouched,
            asked_password: false,
            next_request: 0,
        }
    }

    pub(crate) fn server(&self) -> &Arc<Server> {
        &self.server
    }

    /// Runs one remote operation on the browsing session: a listing's real path and
    /// entries, or nothing.
    pub(crate) async fn remote(
        &mut self,
        op: RemoteOp,
    ) -> anyhow::Result<Option<(Vec<u8>, Arc<[Entry]>)>> {
        let result = self.remote_result(op).await?;
        result.map_err(|err| self.error(&err))
    }

    /// As `remote`, with the operation's own error kept for the caller to judge (the
    /// outer error: the engine stopped, or a terminal question failed).
    pub(crate) async fn remote_result(
        &mut self,
        op: RemoteOp,
    ) -> anyhow::Result<Result<Option<(Vec<u8>, Arc<[Entry]>)>, RemoteError>> {
        Ok(self.ask(op).await?.map(|answer| match answer {
            Answer::Listed(listed) => Some(listed),
            Answer::Done | Answer::Checksums(_) | Answer::Raw(_) => None,
        }))
    }

    /// Sends a command line as typed (`RemoteOp::Raw`); the server's final reply.
    pub(crate) async fn raw(&mut self, line: String) -> anyhow::Result<crate::remote::RawReply> {
        match self.ask(RemoteOp::Raw(line)).await? {
            Ok(Answer::Raw(reply)) => Ok(reply),
            Ok(_) => anyhow::bail!("the engine answered a command with something else"),
            Err(err) => Err(self.error(&err)),
        }
    }

    /// The answer to `request`, a `RemoteOp::Checksums`: the server's checksums.
    pub(crate) async fn checksums(
        &mut self,
        request: RemoteOp,
    ) -> anyhow::Result<Result<Arc<RemoteChecksums>, RemoteError>> {
        Ok(self.ask(request).await?.and_then(|answer| match answer {
            Answer::Checksums(checksums) => Ok(checksums),
            Answer::Done | Answer::Listed(_) | Answer::Raw(_) => Err(RemoteError::new(
                ErrorKind::OutOfStep,
                "the engine answered a checksum request with something else",
            )),
        }))
    }

    /// Runs `op` on the browsing session and waits for its answer, asking on the terminal
    /// to trust a certificate or host key first met there (then the operation runs again).
    async fn ask(&mut self, op: RemoteOp) -> anyhow::Result<Result<Answer, RemoteError>> {
        self.round_trip(op, |request, event| match event {
            EngineEvent::Listing {
                request: answered,
                path,
                entries,
            } if *answered == request => Ok(Some(Ok(Answer::Listed((
                path.clone(),
                Arc::clone(entries),
            ))))),
            EngineEvent::Checksums {
                request: answered,
                result,
            } if *answered == request => Ok(Some(result.clone().map(Answer::Checksums))),
            EngineEvent::RemoteDone {
                request: answered,
                result,
            } if *answered == request => Ok(Some(result.clone().map(|()| Answer::Done))),
            EngineEvent::RawReply {
                request: answered,
                result,
            } if *answered == request => Ok(Some(result.clone().map(Answer::Raw))),
            _ => Ok(None),
        })
        .await
    }

    /// Runs a search (`RemoteOp::Search`) to its end, giving `found` each folder's findings
    /// as they come (or why a folder could not be listed); the search's own error is kept
    /// for the caller to judge.
    pub(crate) async fn search(
        &mut self,
        op: RemoteOp,
        found: &mut SearchReader<'_>,
    ) -> anyhow::Result<Result<(), RemoteError>> {
        self.round_trip(op, |request, event| match event {
            EngineEvent::SearchFound {
                request: answered,
                folder,
                result,
            } if *answered == request => {
                found(folder, result.as_deref())?;
                Ok(None)
            }
            EngineEvent::RemoteDone {
                request: answered,
                result,
            } if *answered == request => Ok(Some(result.clone())),
            _ => Ok(None),
        })
        .await
    }

    /// Sends `op` and reads events until `answer` says the request's answer came (other
    /// events are noted as usual). A certificate or host key first met is asked about on
    /// the terminal; once trusted, the operation runs again on a new session.
    async fn round_trip<T>(
        &mut self,
        op: RemoteOp,
        mut answer: impl FnMut(
            RequestId,
            &EngineEvent,
        ) -> anyhow::Result<Option<Result<T, RemoteError>>>,
    ) -> anyhow::Result<Result<T, RemoteError>> {
        loop {
            self.next_request += 1;
            let request = RequestId(self.next_request);
            self.handle.send(EngineCommand::Remote {
                request,
                server: Arc::clone(&self.server),
                op: op.clone(),
            });
            let result = loop {
                let Some(event) = self.events.recv().await else {
                    anyhow::bail!("the transfer engine stopped unexpectedly");
                };
                match answer(request, &event)? {
                    Some(result) => break result,
                    None => self.note(&event)?,
                }
            };
            match result {
                Err(err) if self.trusted_after_asking(&err)? => {
                    // The browsing session is logged on with the old trust: a new one.
                    self.handle
                        .send(EngineCommand::Disconnect(Arc::clone(&self.server)));
                }
                other => return Ok(other),
            }
        }
    }

    /// Runs `items` (files, or folders' contents) as a queue to its end.
    pub(crate) async fn transfer(
        &mut self,
        items: Vec<TransferSpec>,
        view: &mut ProgressView,
    ) -> anyhow::Result<QueueEnd> {
        let charset = self.server.charset;
        if items.is_empty() {
            return Ok(QueueEnd {
                counts: Counts::default(),
                first_error: None,
                changed: 0,
            });
        }
        self.handle.send(EngineCommand::Enqueue(items));
        let mut first_error = None;
        let mut changed = 0;
        loop {
            let Some(event) = self.events.recv().await else {
                anyhow::bail!("the transfer engine stopped unexpectedly");
            };
            match event {
                EngineEvent::ItemAdded {
                    id,
                    kind,
                    remote,
                    local,
                    size,
                    ..
                } => view.added(id, kind, remote, local, size),
                EngineEvent::ItemChanged {
                    id,
                    state,
                    error,
                    bytes_done,
                    ..
                } => {
                    if state == ItemState::Failed
                        && let Some(err) = &error
                        && self.trusted_after_asking(err)?
                    {
                        self.retry_trusted(id);
                        continue;
                    }
                    let shown = error.as_ref().map(|e| self.error_text(e));
                    if state == ItemState::Failed && first_error.is_none() {
                        first_error.clone_from(&error);
                    }
                    if state == ItemState::Failed
                        && error.as_ref().map(RemoteError::kind) == Some(ErrorKind::Changed)
                    {
                        changed += 1;
                    }
                    view.changed(id, &state, shown.as_deref(), bytes_done, charset);
                }
                EngineEvent::Progress(items) => view.progress(&items),
                EngineEvent::Idle(counts) => {
                    view.finish();
                    return Ok(QueueEnd {
                        counts,
                        first_error,
                        changed,
                    });
                }
                other => self.note(&other)?,
            }
        }
    }

    /// Events every wait looks at: a logon that accepted a vouched-for certificate.
    fn note(&mut self, event: &EngineEvent) -> anyhow::Result<()> {
        if let EngineEvent::Connection {
            state: ConnectionState::LoggedOn(capabilities),
            ..
        } = event
        {
            self.remember_trusted(capabilities)?;
        }
        Ok(())
    }

    /// An item that failed on an untrusted certificate, retried once the user trusts it.
    fn retry_trusted(&mut self, id: ItemId) {
        // In this order: the item starts again as soon as it is queued.
        self.handle
            .send(EngineCommand::UpdateServer(Arc::clone(&self.server)));
        self.handle.send(EngineCommand::Retry(id));
    }

    /// With an unverifiable certificate and a terminal: shows it and asks. When the user
    /// trusts it, the server's settings trust it from now on.
    fn trusted_after_asking(&mut self, err: &RemoteError) -> anyhow::Result<bool> {
        if let Some(key) = err.unknown_host_key() {
            return self.host_key_trusted_after_asking(key);
        }
        if err.kind() == ErrorKind::LoginRefused && self.server.ssh_settings().is_some() {
            return self.ssh_password_after_asking();
        }
        let Some(info) = err.untrusted_certificate() else {
            return Ok(false);
        };
        if !std::io::stdin().is_terminal() || self.vouched.contains(&info.sha256) {
            return Ok(false);
        }
        if !ask_to_trust(info)? {
            return Ok(false);
        }
        self.vouched.push(info.sha256.clone());
        let mut server = (*self.server).clone();
        if let Some(ftp) = server.ftp_settings_mut() {
            ftp.tls.trusted_fingerprints.push(info.sha256.clone());
        }
        self.server = Arc::new(server);
        Ok(true)
    }

    /// An SFTP login the server refused with no password given, on a terminal: asks once
    /// for it (as `ssh` does after the keys), for this command only. (A key's passphrase
    /// and a server's own questions are asked during the logon, by the terminal prompter.)
    fn ssh_password_after_asking(&mut self) -> anyhow::Result<bool> {
        if !std::io::stdin().is_terminal()
            || self.server.credentials.password.is_some()
            || self.asked_password
        {
            return Ok(false);
        }
        self.asked_password = true;
        let mut server = (*self.server).clone();
        let user = server.credentials.user.clone().unwrap_or_default();
        let prompt = format!("{user}@{}'s password: ", server.host);
        server.credentials.password = Some(crate::cli::common::read_secret(&prompt)?);
        self.server = Arc::new(server);
        Ok(true)
    }

    /// With an unknown SSH host key and a terminal: shows it and asks, as `ssh` does.
    fn host_key_trusted_after_asking(&mut self, key: &HostKeyInfo) -> anyhow::Result<bool> {
        let vouched = self
            .vouched
            .iter()
            .any(|v| crate::sftp::host_keys::same_fingerprint(v, &key.fingerprint));
        if !std::io::stdin().is_terminal() || vouched {
            return Ok(false);
        }
        if !ask_to_trust_host_key(key)? {
            return Ok(false);
        }
        self.vouched.push(key.fingerprint.clone());
        let mut server = (*self.server).clone();
        if let Some(ssh) = server.ssh_settings_mut() {
            ssh.trusted_host_keys.push(key.fingerprint.clone());
        }
        self.server = Arc::new(server);
        Ok(true)
    }

    /// Saves a host key the user vouched for to Skiff's `known_hosts`, once a logon
    /// accepted it.
    fn remember_host_key(&self, key: &HostKeyInfo) -> anyhow::Result<()> {
        let vouched = self
            .vouched
            .iter()
            .any(|v| crate::sftp::host_keys::same_fingerprint(v, &key.fingerprint));
        let Some(path) = crate::sites::known_hosts::default_path().filter(|_| vouched) else {
            return Ok(());
        };
        crate::sites::known_hosts::remember(&path, key).map_err(|err| {
            anyhow::anyhow!("cannot save the host key to {}: {err}", path.display())
        })?;
        self.server.log.status(format!(
            "Host key saved for {} in {}",
            crate::sftp::host_keys::host_pattern(&key.host, key.port),
            path.display()
        ));
        Ok(())
    }

    /// Saves a certificate the user vouched for (by fingerprint or at the prompt), so the
    /// next connection proceeds silently. A certificate that verified against a CA is not
    /// pinned unless vouched for: its renewal must not look like an attack.
    fn remember_trusted(&mut self, capabilities: &Capabilities) -> anyhow::Result<()> {
        if let Security::Ssh {
            host_key,
            known: false,
            ..
        } = &capabilities.security
        {
            return self.remember_host_key(host_key);
        }
        let Security::Tls {
            certificate: Some(cert),
            ..
        } = &capabilities.security
        else {
            return Ok(());
        };
        let Some(store) = self.trust_store.as_mut() else {
            return Ok(());
        };
        let vouched = self
            .vouched
            .iter()
            .filter_map(|f| normalize_fingerprint(f))
            .any(|f| f == cert.sha256);
        let known = store
            .get(&cert.host, cert.port)
            .is_some_and(|c| c.sha256 == cert.sha256);
        if vouched && !known {
            store.trust(TrustedCert::from_cert(cert))?;
            self.server.log.status(format!(
                "Trusted certificate saved for {}:{}",
                cert.host, cert.port
            ));
        }
        Ok(())
    }

    /// A failure as the CLI tells it: the engine's sentence, what to do about it in the
    /// CLI's terms, and the target.
    pub(crate) fn error(&self, err: &RemoteError) -> anyhow::Error {
        anyhow::anyhow!("{} ({})", self.error_text(err), self.shown)
    }

    pub(crate) fn error_text(&self, err: &RemoteError) -> String {
        let hint = match err.kind() {
            ErrorKind::TargetExists if !err.message().contains("appeared") => {
                ": use --overwrite to replace it, --resume to continue it, or --skip-existing \
                 or --newer"
            }
            ErrorKind::Certificate => match err.certificate().map(|c| &c.problem) {
                Some(CertProblem::Untrusted { .. }) => {
                    "; check it, and trust it with --trust-fingerprint if it is right"
                }
                _ => "",
            },
            ErrorKind::HostKey if err.unknown_host_key().is_some() => {
                "; compare it with the fingerprint the server's administrator gives, and trust \
                 it with --trust-host-key if it is the same"
            }
            _ => "",
        };
        format!("{err}{hint}")
    }

    /// Diagnoses the server's data connections (`crate::diagnose`); `None` for a protocol
    /// without such choices.
    pub(crate) async fn diagnose(
        &self,
        options: crate::diagnose::DiagnoseOptions,
    ) -> Option<Arc<crate::diagnose::Diagnosis>> {
        let (reply, report) = tokio::sync::oneshot::channel();
        self.handle.send(EngineCommand::Diagnose {
            server: Arc::clone(&self.server),
            options,
            reply,
        });
        report.await.ok().flatten()
    }

    /// Ends the engine, waiting (bounded) for its sessions to log out.
    pub(crate) async fn shutdown(mut self) {
        self.handle.send(EngineCommand::Shutdown);
        let bound = self.server.timeout + Duration::from_secs(2);
        let drain = async {
            while let Some(event) = self.events.recv().await {
                if let Err(err) = self.note(&event) {
                    crate::cli::common::warn(&err.to_string());
                }
            }
        };
        tokio::time::timeout(bound, drain).await.ok();
    }
}

fn ask_to_trust_host_key(key: &HostKeyInfo) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "The authenticity of host '{}' can't be established.",
        crate::sftp::host_keys::host_pattern(&key.host, key.port)
    )?;
    writeln!(err, "  Key type:    {}", key.algorithm)?;
    writeln!(err, "  Fingerprint: {}", key.fingerprint)?;
    write!(err, "Trust this host key and remember it? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn ask_to_trust(info: &CertInfo) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "The server's certificate could not be verified.")?;
    writeln!(err, "  Host:        {}:{}", info.host, info.port)?;
    writeln!(err, "  Subject:     {}", visible(&info.subject))?;
    writeln!(err, "  Issuer:      {}", visible(&info.issuer))?;
    writeln!(
        err,
        "  Valid:       {} to {}",
        info.not_before, info.not_after
    )?;
    writeln!(err, "  SHA-256:     {}", info.sha256)?;
    write!(err, "Trust this certificate and remember it? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
