//! What the window shows, rebuilt from the engine's events and the local side's answers and
//! never saved: the message log (a capped ring), the two panes, the queue view, the
//! questions waiting for the user, the counts. Pure: no egui in here, and `now` comes in
//! from outside.

use crate::visible::visible;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::engine::{
    ConnectionState, Counts, Direction, EngineEvent, ExistingTarget, ItemId, ItemState, RequestId,
    SessionRole,
};
use crate::gui::actions::Side;
use crate::gui::listing::Listing;
use crate::gui::pane_state::{Answer, PaneState};
use crate::gui::queue_view::QueueView;
use crate::log::{LogKind, LogLine};
use crate::proto::listing::Entry;
use crate::proto::path;

/// The log pane keeps this many lines; older ones drop off.
pub const LOG_CAPACITY: usize = 10_000;

/// A "file exists" question waiting for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingQuestion {
    pub id: ItemId,
    pub direction: Direction,
    pub local: PathBuf,
    pub remote: String,
    pub existing: ExistingTarget,
}

#[derive(Debug, Default)]
pub struct Model {
    pub log: VecDeque<LogLine>,
    /// Lines pushed since the start: lets the log pane notice new lines cheaply.
    pub log_pushed: u64,
    /// Settings > Logging: every line also goes to this file.
    pub log_file: Option<crate::log::file::LogFile>,
    /// The local pane: the local disk's folders (OS bytes).
    pub local: PaneState,
    /// The remote pane: the server's folders (server bytes).
    pub remote: PaneState,
    pub queue: QueueView,
    pub questions: VecDeque<PendingQuestion>,
    pub counts: Counts,
    /// When the queue started running: the first item to start after it was idle.
    pub queue_busy_since: Option<Instant>,
    /// The queue ran to its end (its counts, and when it had started), until the window
    /// acts on it (`after_queue`).
    pub queue_finished: Option<(Counts, Instant)>,
    /// The browsing session's server, whose connection events the window follows.
    pub server_key: Option<crate::remote::ServerKey>,
    /// The browsing session is logged on.
    pub connected: bool,
    /// What the server offers (security, features), once logged on.
    pub capabilities: Option<std::sync::Arc<crate::remote::Capabilities>>,
    /// The last error of a remote operation, for the error dialog.
    pub op_error: Option<String>,
    /// A trusted host showed another certificate: the one shown and the fingerprint trusted.
    pub changed_certificate: Option<(crate::net::tls::CertInfo, String)>,
    /// The browsing connection found no TLS where it was required (nothing secret sent).
    pub tls_refused: bool,
    /// A certificate the browsing connection could not verify, for the trust dialog.
    pub untrusted_certificate: Option<crate::net::tls::CertInfo>,
    /// An SFTP server's host key not known yet, for the trust dialog.
    pub unknown_host_key: Option<crate::sftp::HostKeyInfo>,
    /// A known SFTP host showed another key: the one shown and the fingerprint known.
    pub changed_host_key: Option<(crate::sftp::HostKeyInfo, String)>,
    /// The browsing connection's login was refused: why (the window may ask for a password).
    pub login_refused: Option<String>,
    /// The fallback charset chosen in Edit > Settings (`PaneState::fallback` once logged on).
    pub remote_fallback: Option<crate::proto::charset::Charset>,
    /// The site's server time-zone offset, added to the remote listing's times as shown.
    pub remote_time_offset_minutes: i32,
    /// The listings (generations), the switch and the filters the comparison's marks were
    /// made for.
    compared: Option<(u64, u64, bool, u64)>,
    /// View > Filename filters: the rules and what they hide in each pane.
    pub filters: crate::gui::filters::FilterState,
    /// The (listing, filters) generations each pane's hidden entries were found for.
    filtered: [Option<(u64, u64)>; 2],
    /// Each connection's server, from its `Connection` events: the log's "This tab only".
    pub conn_servers: std::collections::HashMap<crate::log::ConnId, crate::remote::ServerKey>,
}

impl Model {
    /// View > Directory comparison: marks both panes' rows while `on` and connected, made
    /// again only when a listing changes (one pass over both: a 100,000-entry folder takes
    /// tens of milliseconds, once).
    pub fn update_comparison(&mut self, on: bool, hide_identical: bool) {
        let (local, remote) = (&self.local.files, &self.remote.files);
        let wanted = on && self.connected && !remote.path.is_empty();
        if !wanted {
            if self.compared.take().is_some() {
                self.local.files.set_marks(None, false);
                self.remote.files.set_marks(None, false);
            }
            return;
        }
        let key = (
            local.generation(),
            remote.generation(),
            hide_identical,
            self.filters.generation(),
        );
        if self.compared == Some(key) {
            return;
        }
        // What the filters hide on either side is not compared: a file hidden here is
        // not "only there".
        let (local_shown, local_index) = unfiltered(local);
        let (remote_shown, remote_index) = unfiltered(remote);
        let (here, there) = crate::gui::comparison::compare(
            &local_shown,
            &|n| local.display_name(n).into_owned(),
            &remote_shown,
            &|n| remote.display_name(n).into_owned(),
            crate::folder_sync::Criterion::Time,
        );
        let here = spread(here, &local_index, local.entries().len());
        let there = spread(there, &remote_index, remote.entries().len());
        self.local.files.set_marks(Some(here), hide_identical);
        self.remote.files.set_marks(Some(there), hide_identical);
        self.compared = Some(key);
    }

    /// Hides in each pane what its filename filter rules match, looked at again only when
    /// its listing or the rules change.
    pub fn update_filters(&mut self) {
        for (slot, side) in Side::BOTH.into_iter().enumerate() {
            let pane = &self.pane(side).files;
            let key = (pane.generation(), self.filters.generation());
            if self.filtered[slot] == Some(key) {
                continue;
            }
            let hidden = self.filters.hidden(side, pane);
            self.pane_mut(side).files.set_filtered(hidden);
            self.filtered[slot] = Some(key);
        }
    }

    /// `line` is from a connection to the active tab's server (the log's "This tab only").
    pub fn is_tab_line(&self, line: &LogLine) -> bool {
        self.server_key.is_some() && self.conn_servers.get(&line.conn) == self.server_key.as_ref()
    }

    /// Another tab's remote pane came in: the comparison's marks and the remote pane's
    /// filtering are made again for it, whatever its generations.
    pub fn forget_derived(&mut self) {
        self.compared = None;
        self.filtered = [None; 2];
    }

    pub fn pane(&self, side: Side) -> &PaneState {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }

    pub fn pane_mut(&mut self, side: Side) -> &mut PaneState {
        match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.remote,
        }
    }

    /// An answer to one of `side`'s requests (a listing, or how a request ended); a failed
    /// operation's error goes to the error dialog.
    pub fn answer(&mut self, side: Side, request: RequestId, answer: Answer) {
        if let Some(err) = self.pane_mut(side).answer(request, answer) {
            self.op_error = Some(err);
        }
    }

    /// What turns the engine's entries for `request` into the listing a pane shows: the
    /// site's time offset applied (to the listing the file list awaits) and the sort keys
    /// made. Owns what it needs, so the window can run it off the UI thread for a big one.
    pub fn listing_maker(
        &self,
        request: RequestId,
    ) -> impl FnOnce(Arc<[Entry]>) -> Listing + Send + 'static {
        let minutes = if self.remote.awaits(request) {
            self.remote_time_offset_minutes
        } else {
            0
        };
        let decoder = self.remote.decoder();
        move |entries| Listing::decoded(shift_times(entries, minutes), decoder)
    }

    /// A remote listing, its keys made (`listing_maker`), answered into the remote pane.
    pub fn remote_listed(&mut self, request: RequestId, path: Vec<u8>, listing: Listing) {
        if self.remote.awaits(request) {
            self.connected = true;
        }
        self.answer(Side::Remote, request, Answer::Listing { path, listing });
    }

    pub fn push_log(&mut self, line: LogLine) {
        if let Some(file) = &self.log_file {
            file.write(&line);
        }
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(line);
        self.log_pushed += 1;
    }

    /// A Status line of the window's own (not a connection's).
    pub fn push_status(&mut self, text: String) {
        self.push_log(LogLine {
            time: std::time::SystemTime::now(),
            conn: crate::log::ConnId(0),
            kind: LogKind::Status,
            text,
        });
    }

    /// An Error line of the window's own (a config file, the password store).
    pub fn push_error(&mut self, text: String) {
        self.push_log(LogLine {
            time: std::time::SystemTime::now(),
            conn: crate::log::ConnId(0),
            kind: LogKind::Error,
            text,
        });
    }

    /// Folds one engine event into the mirror.
    pub fn apply(&mut self, event: EngineEvent, now: Instant) {
        if let EngineEvent::Connection { server, conn, .. } = &event {
            self.conn_servers.insert(*conn, server.clone());
        }
        match event {
            EngineEvent::Log(line) => self.push_log(line),
            EngineEvent::Connection {
                server,
                role: SessionRole::Browsing,
                state,
                ..
            } if self.server_key.as_ref() == Some(&server) => match state {
                ConnectionState::Connecting => self.connected = false,
                ConnectionState::LoggedOn(capabilities) => {
                    self.connected = true;
                    // An "Auto" server that does not say its names are UTF-8: names that
                    // are not are shown in the fallback charset, marked as a guess.
                    self.remote.fallback = self
                        .remote_fallback
                        .filter(|_| self.remote.charset.is_utf8() && !capabilities.utf8);
                    self.capabilities = Some(capabilities);
                }
                ConnectionState::Disconnected { .. } => {
                    self.connected = false;
                    self.capabilities = None;
                }
            },
            EngineEvent::Connection { .. } => {}
            EngineEvent::Listing {
                request,
                path,
                entries,
            } => {
                let listing = self.listing_maker(request)(entries);
                self.remote_listed(request, path, listing);
            }
            // A custom command's reply is in the log already; for the pane it is an
            // operation done (or failed, in words).
            EngineEvent::RawReply { request, result } => self.apply(
                EngineEvent::RemoteDone {
                    request,
                    result: result.map(drop),
                },
                now,
            ),
            EngineEvent::RemoteDone { request, result } => {
                // A certificate nobody vouched for: the window shows it and asks.
                if let Err(err) = &result
                    && let Some(info) = err.untrusted_certificate()
                {
                    self.untrusted_certificate = Some(info.clone());
                }
                // A trusted host's certificate changed: shown with both fingerprints.
                if let Err(err) = &result
                    && let Some(issue) = err.certificate()
                    && let crate::net::tls::CertProblem::Changed { trusted_sha256 } = &issue.problem
                    && let Some(info) = &issue.info
                {
                    self.changed_certificate = Some((info.clone(), trusted_sha256.clone()));
                }
                // An SSH host key not known yet, or changed: the window shows it and asks.
                if let Err(err) = &result
                    && let Some(issue) = err.host_key()
                {
                    match &issue.verdict {
                        crate::sftp::Verdict::Unknown => {
                            self.unknown_host_key = Some(issue.key.clone());
                        }
                        crate::sftp::Verdict::Changed {
                            known_fingerprint, ..
                        } => {
                            self.changed_host_key =
                                Some((issue.key.clone(), known_fingerprint.clone()));
                        }
                        _ => {}
                    }
                }
                if let Err(err) = &result
                    && err.kind() == crate::remote::ErrorKind::LoginRefused
                    && self.remote.awaits(request)
                {
                    self.login_refused = Some(err.message().to_owned());
                }
                // Every failure is one Error line, in words (the pane shows the same).
                if let Err(err) = &result
                    && !err.is_cancelled()
                {
                    self.push_error(crate::gui::error_text::sentence(err));
                }
                if let Err(err) = &result
                    && err.kind() == crate::remote::ErrorKind::TlsRequired
                    && self.remote.awaits(request)
                {
                    self.tls_refused = true;
                }
                let result = result.map_err(|err| crate::gui::error_text::sentence(&err));
                self.answer(Side::Remote, request, Answer::Done(result));
            }
            // Checksums a sync asked for (`RemoteOp::Checksums`): their reader takes the
            // answer; a failure is an Error line, as every other.
            EngineEvent::Checksums { result, .. } => {
                if let Err(err) = &result {
                    self.push_error(crate::gui::error_text::sentence(err));
                }
            }
            EngineEvent::ItemAdded {
                id,
                server,
                direction,
                kind,
                local,
                remote,
                size,
            } => {
                // Its tab's charset: the window makes the tab whose server it is the
                // active one while it takes the event (`app::tabs`).
                let remote = visible(&self.remote.decoder().decode(&remote)).into_owned();
                self.queue.added(id, direction, kind, local, remote, size);
                self.queue.set_server(id, &server.key());
            }
            EngineEvent::ItemChanged {
                id,
                state,
                attempts,
                error,
                bytes_done,
            } => {
                if state == ItemState::Successful {
                    self.note_arrival(id);
                }
                if state == ItemState::Running && self.queue_busy_since.is_none() {
                    self.queue_busy_since = Some(now);
                }
                let error = error.map(|err| visible(&err.to_string()).into_owned());
                self.queue.changed(id, state, attempts, error, bytes_done);
            }
            EngineEvent::ItemRenamed { id, local, remote } => self.queue.renamed(
                id,
                local,
                visible(&self.remote.decoder().decode(&remote)).into_owned(),
            ),
            EngineEvent::Progress(progress) => {
                for p in progress {
                    self.queue.progress(p.id, p.bytes_done, p.size, now);
                }
            }
            EngineEvent::Question {
                id,
                direction,
                local,
                remote,
                existing,
            } => self.questions.push_back(PendingQuestion {
                id,
                direction,
                local,
                remote: visible(&self.remote.decoder().decode(&remote)).into_owned(),
                existing,
            }),
            EngineEvent::Idle(counts) => {
                // Only a queue that ran finished: not one cancelled before it started.
                if let Some(since) = self.queue_busy_since.take() {
                    self.queue_finished = Some((counts, since));
                }
                self.counts = counts;
            }
            // Found by a search whose window has closed (`app::search` takes the rest).
            EngineEvent::SearchFound { .. } => {}
        }
    }

    /// A finished transfer whose target is in a folder on screen makes that pane refresh.
    fn note_arrival(&mut self, id: ItemId) {
        let Some(row) = self.queue.get(id) else {
            return;
        };
        match row.direction {
            Direction::Download => {
                let shown = PathBuf::from(crate::local::bytes_os(&self.local.files.path));
                if row.local.parent() == Some(shown.as_path()) {
                    self.local.dirty = true;
                }
            }
            Direction::Upload => {
                // The queue keeps the remote path as shown (decoded in the charset).
                let shown = self.remote.decoder().decode(&self.remote.files.path);
                if path::parent(row.remote.as_bytes()) == visible(&shown).as_bytes() {
                    self.remote.dirty = true;
                }
            }
        }
    }
}

/// The entries with their times moved by `minutes` (a site's server time-zone offset);
/// dates without a time of day stay as they are.
/// The entries of `pane` its filters do not hide, and where each is in the listing (all of
/// them, shared, when none is hidden).
fn unfiltered(pane: &crate::gui::pane::FilePane) -> (Arc<[Entry]>, Option<Vec<usize>>) {
    if pane.hidden_by_filters() == 0 {
        return (Arc::clone(pane.entries()), None);
    }
    let index: Vec<usize> = (0..pane.entries().len())
        .filter(|&i| !pane.is_filtered(i))
        .collect();
    let entries: Arc<[Entry]> = index.iter().map(|&i| pane.entries()[i].clone()).collect();
    (entries, Some(index))
}

/// Marks of the entries compared, placed back at their places in a listing of `len`
/// (the hidden ones, never shown, marked only here).
fn spread(
    marks: Vec<crate::gui::comparison::Mark>,
    index: &Option<Vec<usize>>,
    len: usize,
) -> Vec<crate::gui::comparison::Mark> {
    let Some(index) = index else {
        return marks;
    };
    let mut all = vec![crate::gui::comparison::Mark::OnlyHere; len];
    for (mark, &i) in marks.into_iter().zip(index) {
        all[i] = mark;
    }
    all
}

pub fn shift_times(
    entries: std::sync::Arc<[crate::proto::listing::Entry]>,
    minutes: i32,
) -> std::sync::Arc<[crate::proto::listing::Entry]> {
    if minutes == 0 {
        return entries;
    }
    entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            entry.modified = entry.modified.map(|t| t.shifted(minutes));
            entry
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ItemKind;
    use crate::gui::pane_state::Purpose;
    use crate::proto::listing::{Entry, EntryKind};
    use std::sync::Arc;
    use std::time::SystemTime;

    #[test]
    fn the_log_is_capped_and_keeps_the_newest_lines() {
        let mut model = Model::default();
        for i in 0..LOG_CAPACITY + 5 {
            model.push_log(LogLine {
                time: SystemTime::now(),
                conn: crate::log::ConnId(1),
                kind: LogKind::Response,
                text: i.to_string(),
            });
        }
        assert_eq!(model.log.len(), LOG_CAPACITY);
        assert_eq!(model.log.front().unwrap().text, "5");
        assert_eq!(model.log_pushed, LOG_CAPACITY as u64 + 5);
    }

    #[test]
    fn only_the_awaited_listing_is_shown_sorted_folders_first() {
        let mut model = Model::default();
        model.remote.sent(RequestId(2), Purpose::Listing);
        let entries: Arc<[Entry]> = vec![
            Entry::new("b.txt", EntryKind::File),
            Entry::new("a", EntryKind::Dir),
        ]
        .into();
        let now = Instant::now();
        model.apply(
            EngineEvent::Listing {
                request: RequestId(1),
                path: b"/old".to_vec(),
                entries: entries.clone(),
            },
            now,
        );
        assert!(model.remote.files.is_empty(), "a stale listing is ignored");
        model.apply(
            EngineEvent::Listing {
                request: RequestId(2),
                path: b"/".to_vec(),
                entries,
            },
            now,
        );
        let files = &model.remote.files;
        let names: Vec<String> = (0..files.len())
            .map(|r| files.row(r).unwrap().name_lossy())
            .collect();
        assert_eq!(names, ["a", "b.txt"]);
        assert_eq!(model.remote.listing, None);
        assert!(model.connected);
    }

    #[test]
    fn a_failed_listing_shows_its_error_and_a_finished_operation_refreshes() {
        let mut model = Model::default();
        model.remote.sent(RequestId(1), Purpose::Listing);
        model.remote.sent(RequestId(2), Purpose::Operation);
        let now = Instant::now();
        model.apply(
            EngineEvent::RemoteDone {
                request: RequestId(1),
                result: Err(crate::remote::RemoteError::new(
                    crate::remote::ErrorKind::Refused,
                    "550 No such directory",
                )),
            },
            now,
        );
        // In words: a sentence, and one Error line in the log.
        assert_eq!(
            model.remote.files.error.as_deref(),
            Some("550 No such directory.")
        );
        let errors: Vec<&str> = (model.log.iter())
            .filter(|l| l.kind == LogKind::Error)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(errors, ["550 No such directory."]);
        model.apply(
            EngineEvent::RemoteDone {
                request: RequestId(2),
                result: Err(crate::remote::RemoteError::new(
                    crate::remote::ErrorKind::Refused,
                    "553 Not allowed",
                )),
            },
            now,
        );
        assert!(model.remote.dirty);
        assert_eq!(model.op_error.as_deref(), Some("553 Not allowed."));
    }

    #[test]
    fn a_download_into_the_folder_shown_refreshes_the_local_pane() {
        let mut model = Model::default();
        model
            .local
            .files
            .set_listing(b"/home/me".to_vec(), Arc::from(Vec::new()));
        let now = Instant::now();
        model.apply(
            EngineEvent::ItemAdded {
                id: ItemId(1),
                server: Arc::new(crate::remote::Server::ftp("127.0.0.1", 21)),
                direction: Direction::Download,
                kind: ItemKind::File,
                local: PathBuf::from("/home/me/a.txt"),
                remote: b"/pub/a.txt".to_vec(),
                size: Some(3),
            },
            now,
        );
        model.apply(
            EngineEvent::ItemChanged {
                id: ItemId(1),
                state: ItemState::Successful,
                attempts: 1,
                error: None,
                bytes_done: 3,
            },
            now,
        );
        assert!(model.local.dirty);
        assert!(!model.remote.dirty);
    }

    #[test]
    fn a_sites_time_zone_offset_moves_listed_times_but_not_bare_dates() {
        use crate::proto::listing::{TimePrecision, Timestamp};
        let mut timed = Entry::new("a", EntryKind::File);
        timed.modified = Timestamp::new(2024, 12, 31, 23, 30, 0, TimePrecision::Minute);
        let mut dated = Entry::new("b", EntryKind::File);
        dated.modified = Timestamp::date(2024, 12, 31);
        let shifted = shift_times(Arc::from(vec![timed, dated.clone()]), 90);
        assert_eq!(
            shifted[0].modified,
            Timestamp::new(2025, 1, 1, 1, 0, 0, TimePrecision::Minute)
        );
        assert_eq!(shifted[1].modified, dated.modified);
    }
}
