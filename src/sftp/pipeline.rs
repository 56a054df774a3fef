//! The plan of a pipelined download, with no I/O: which READ requests to have in flight, and
//! which bytes are ready to hand on in file order. Many requests in flight is what makes
//! SFTP fast on any link with latency (OpenSSH's `sftp` keeps 64); a one-at-a-time reader
//! waits a round trip per chunk.
//!
//! Servers may answer a READ with fewer bytes than asked (OpenSSH does at its own limit);
//! the rest is asked for again. A reply may come out of order; bytes are handed on only in
//! order, so at most the bytes in flight are held.

use std::collections::{BTreeMap, HashMap};

/// One READ to send: where, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAsk {
    pub offset: u64,
    pub len: u32,
}

/// A server's answer that breaks the protocol's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("the server answered request {0}, which was not asked")]
    UnknownId(u32),
    #[error("the server sent {got} bytes for a read of {asked}")]
    TooMuch { got: usize, asked: u32 },
    #[error("the server sent more than the {limit} bytes expected from this offset")]
    PastLimit { limit: u64 },
}

#[derive(Debug)]
pub struct ReadPipeline {
    /// The next offset not yet asked for.
    next: u64,
    /// Nothing is asked for at or past this offset, except one probe for the end.
    limit: Option<u64>,
    chunk: u32,
    depth: usize,
    in_flight: HashMap<u32, ReadAsk>,
    /// Short reads' remainders, asked for before new offsets.
    again: Vec<ReadAsk>,
    /// Bytes that arrived ahead of `delivered`, by offset.
    ready: BTreeMap<u64, Vec<u8>>,
    /// Bytes up to here were handed on.
    delivered: u64,
    /// The file ends here (an EOF answer, or an empty read).
    end: Option<u64>,
    probed_limit: bool,
}

impl ReadPipeline {
    /// A download from `offset`, `chunk` bytes per READ, `depth` READs in flight; `limit`
    /// is the file's known size (then one READ past it checks that it ends there).
    pub fn new(offset: u64, limit: Option<u64>, chunk: u32, depth: usize) -> Self {
        Self {
            next: offset,
            limit,
            chunk: chunk.max(1),
            depth: depth.max(1),
            in_flight: HashMap::new(),
            again: Vec::new(),
            ready: BTreeMap::new(),
            delivered: offset,
            end: None,
            probed_limit: false,
        }
    }

    /// The next READ to send now, if one should be in flight.
    pub fn next_ask(&mut self) -> Option<ReadAsk> {
        if self.in_flight.len() >= self.depth {
            return None;
        }
        if let Some(ask) = self.again.pop() {
            return Some(ask);
        }
        let stop = match (self.end, self.limit) {
            (Some(end), _) => end,
            (None, Some(limit)) => limit,
            (None, None) => u64::MAX,
        };
        if self.next < stop {
            let len = (stop - self.next).min(u64::from(self.chunk)) as u32;
            let ask = ReadAsk {
                offset: self.next,
                len,
            };
            self.next += u64::from(len);
            return Some(ask);
        }
        // At the known size: one small READ there must find the end (a file that grew is
        // stopped, not downloaded without end).
        if self.end.is_none() && self.limit.is_some() && !self.probed_limit {
            self.probed_limit = true;
            return Some(ReadAsk {
                offset: self.next,
                len: 1,
            });
        }
        None
    }

    /// `ask` was sent as request `id`.
    pub fn sent(&mut self, id: u32, ask: ReadAsk) {
        self.in_flight.insert(id, ask);
    }

    /// Request `id` brought `data`.
    pub fn on_data(&mut self, id: u32, data: Vec<u8>) -> Result<(), PipelineError> {
        let ask = self
            .in_flight
            .remove(&id)
            .ok_or(PipelineError::UnknownId(id))?;
        if data.len() > ask.len as usize {
            return Err(PipelineError::TooMuch {
                got: data.len(),
                asked: ask.len,
            });
        }
        if let Some(limit) = self.limit
            && ask.offset + data.len() as u64 > limit
        {
            return Err(PipelineError::PastLimit { limit });
        }
        if data.is_empty() {
            self.found_end(ask.offset);
            return Ok(());
        }
        let got = data.len() as u32;
        if got < ask.len {
            self.again.push(ReadAsk {
                offset: ask.offset + u64::from(got),
                len: ask.len - got,
            });
        }
        self.ready.insert(ask.offset, data);
        Ok(())
    }

    /// Request `id` was answered with end of file.
    pub fn on_eof(&mut self, id: u32) -> Result<(), PipelineError> {
        let ask = self
            .in_flight
            .remove(&id)
            .ok_or(PipelineError::UnknownId(id))?;
        self.found_end(ask.offset);
        Ok(())
    }

    fn found_end(&mut self, at: u64) {
        let end = self.end.map_or(at, |end| end.min(at));
        self.end = Some(end);
        // Remainders at or past the end are not asked for.
        self.again.retain(|ask| ask.offset < end);
    }

    /// The next bytes in file order, when they are here.
    pub fn take_ready(&mut self) -> Option<Vec<u8>> {
        let entry = self.ready.first_entry()?;
        if *entry.key() != self.delivered {
            return None;
        }
        let data = entry.remove();
        self.delivered += data.len() as u64;
        Some(data)
    }

    /// Everything up to the end was handed on, and nothing is in flight.
    pub fn is_done(&self) -> bool {
        self.in_flight.is_empty()
            && self.again.is_empty()
            && self.end.is_some_and(|end| self.delivered >= end)
    }

    /// Requests still unanswered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The offset handed on up to.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Where the file ended, once known.
    pub fn end(&self) -> Option<u64> {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a pipeline against a file of `size` bytes whose server answers at most `cap`
    /// bytes per READ, in the order `order` picks among the requests in flight.
    fn run(size: u64, limit: Option<u64>, cap: u32, reverse: bool) -> (Vec<u8>, usize) {
        let file: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut pipeline = ReadPipeline::new(0, limit, 1000, 4);
        let mut out = Vec::new();
        let mut next_id = 0;
        let mut asked = 0;
        let mut waiting: Vec<(u32, ReadAsk)> = Vec::new();
        for _ in 0..10_000 {
            while let Some(ask) = pipeline.next_ask() {
                pipeline.sent(next_id, ask);
                waiting.push((next_id, ask));
                next_id += 1;
                asked += 1;
            }
            let Some((id, ask)) = (if reverse {
                waiting.pop()
            } else {
                Some(waiting.remove(0))
            }) else {
                break;
            };
            if ask.offset >= size {
                pipeline.on_eof(id).unwrap();
            } else {
                let end = (ask.offset + u64::from(ask.len.min(cap))).min(size);
                pipeline
                    .on_data(id, file[ask.offset as usize..end as usize].to_vec())
                    .unwrap();
            }
            while let Some(data) = pipeline.take_ready() {
                out.extend_from_slice(&data);
            }
            if pipeline.is_done() {
                break;
            }
        }
        assert!(pipeline.is_done());
        assert_eq!(out, file);
        (out, asked)
    }

    #[test]
    fn a_file_arrives_whole_and_in_order_however_the_server_answers() {
        for size in [0, 1, 999, 1000, 1001, 10_000, 12_345] {
            run(size, None, 1000, false);
            run(size, None, 300, false);
            run(size, None, 1000, true);
            run(size, None, 700, true);
            run(size, Some(size), 1000, false);
            run(size, Some(size), 333, true);
        }
    }

    #[test]
    fn a_known_size_costs_one_probe_past_the_end() {
        let (_, asked) = run(10_000, Some(10_000), 1000, false);
        assert_eq!(asked, 11, "ten chunks and the probe for the end");
    }

    #[test]
    fn a_server_that_sends_more_than_asked_or_known_is_stopped() {
        let mut pipeline = ReadPipeline::new(0, Some(10), 8, 4);
        let first = pipeline.next_ask().unwrap();
        pipeline.sent(1, first);
        assert_eq!(
            pipeline.on_data(1, vec![0; 9]),
            Err(PipelineError::TooMuch { got: 9, asked: 8 })
        );
        let second = pipeline.next_ask().unwrap();
        assert_eq!(second, ReadAsk { offset: 8, len: 2 });
        pipeline.sent(2, second);
        let probe = pipeline.next_ask().unwrap();
        assert_eq!(probe, ReadAsk { offset: 10, len: 1 });
        pipeline.sent(3, probe);
        assert_eq!(
            pipeline.on_data(3, vec![0]),
            Err(PipelineError::PastLimit { limit: 10 })
        );
        assert_eq!(
            pipeline.on_data(9, vec![]),
            Err(PipelineError::UnknownId(9))
        );
    }

    #[test]
    fn no_more_than_the_depth_is_in_flight() {
        let mut pipeline = ReadPipeline::new(5, None, 10, 3);
        let asks: Vec<_> = std::iter::from_fn(|| pipeline.next_ask())
            .take(10)
            .collect();
        // Nothing was marked sent: the depth counts requests sent, so it keeps offering.
        assert_eq!(asks.len(), 10);
        let mut pipeline = ReadPipeline::new(5, None, 10, 3);
        for id in 0..3 {
            let ask = pipeline.next_ask().unwrap();
            assert_eq!(ask.offset, 5 + 10 * u64::from(id));
            pipeline.sent(id, ask);
        }
        assert_eq!(pipeline.next_ask(), None);
        assert_eq!(pipeline.in_flight(), 3);
    }
}
