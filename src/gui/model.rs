//! The UI's mirror of the engine, rebuilt from events and never saved: the message log (a
//! capped ring), the remote listing, the queue counts. Pure: no egui in here.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::engine::{Counts, EngineEvent, RequestId};
use crate::log::{LogKind, LogLine};
use crate::proto::listing::Entry;

/// The log pane keeps this many lines; older ones drop off.
pub const LOG_CAPACITY: usize = 10_000;

#[derive(Debug, Default)]
pub struct RemoteView {
    /// The directory shown, as the server named it.
    pub path: Vec<u8>,
    pub entries: Arc<[Entry]>,
    /// The listing request in flight, if any.
    pub pending: Option<RequestId>,
    pub error: Option<String>,
}

#[derive(Debug, Default)]
pub struct Model {
    pub log: VecDeque<LogLine>,
    pub remote: RemoteView,
    pub counts: Counts,
    pub connected: bool,
}

impl Model {
    pub fn push_log(&mut self, line: LogLine) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    /// Folds one engine event into the mirror.
    pub fn apply(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Log(line) => {
                if line.kind == LogKind::Status && line.text == "Logged in" {
                    self.connected = true;
                }
                self.push_log(line);
            }
            EngineEvent::Listing {
                request,
                path,
                mut entries,
            } if self.remote.pending == Some(request) => {
                {
                    let mut sorted: Vec<Entry> = entries.to_vec();
                    // Folders first, then by name, as a file manager shows them.
                    sorted.sort_by(|a, b| {
                        b.is_dir()
                            .cmp(&a.is_dir())
                            .then_with(|| a.name.cmp(&b.name))
                    });
                    entries = sorted.into();
                    self.remote = RemoteView {
                        path,
                        entries,
                        pending: None,
                        error: None,
                    };
                }
            }
            EngineEvent::RemoteDone { request, result } if self.remote.pending == Some(request) => {
                self.remote.pending = None;
                self.remote.error = result.err();
            }
            EngineEvent::Idle(counts) => self.counts = counts,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    }

    #[test]
    fn only_the_awaited_listing_is_shown_sorted_folders_first() {
        use crate::proto::listing::EntryKind;
        let mut model = Model::default();
        model.remote.pending = Some(RequestId(2));
        let entries: Arc<[Entry]> = vec![
            Entry::new("b.txt", EntryKind::File),
            Entry::new("a", EntryKind::Dir),
        ]
        .into();
        model.apply(EngineEvent::Listing {
            request: RequestId(1),
            path: b"/old".to_vec(),
            entries: entries.clone(),
        });
        assert!(
            model.remote.entries.is_empty(),
            "a stale listing is ignored"
        );
        model.apply(EngineEvent::Listing {
            request: RequestId(2),
            path: b"/".to_vec(),
            entries,
        });
        let names: Vec<String> = model.remote.entries.iter().map(Entry::name_lossy).collect();
        assert_eq!(names, ["a", "b.txt"]);
        assert_eq!(model.remote.pending, None);
    }
}
