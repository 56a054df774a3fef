//! The SFTP codec and the download pipeline: what a hostile SSH server can send.
//!
//! Input: `[mode, stream...]`. Mode even: `stream` is one packet body (type byte and
//! fields) for `codec::decode`. Mode odd: `stream` scripts a server answering a pipelined
//! download of a file whose known size is the first two bytes: each later byte pair picks
//! which request in flight is answered (first byte) and with how many bytes, or EOF
//! (second byte).
//!
//! Properties: decoding never panics, a decoded DATA or HANDLE borrows from the input and
//! a NAME holds no more entries than its bytes could; the pipeline never has more
//! requests in flight than its depth, hands bytes on in file order and never past the
//! known size, and only claims to be done with every byte handed on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff::sftp::codec::{self, Response};
use skiff::sftp::pipeline::ReadPipeline;

fn decode(body: &[u8]) {
    match codec::decode(body) {
        Ok(Response::Data { data, .. }) | Ok(Response::Handle { handle: data, .. }) => {
            assert!(data.len() < body.len());
        }
        Ok(Response::Name { entries, .. }) => {
            assert!(entries.len() * 12 <= body.len());
        }
        Ok(_) => {}
        Err(err) => {
            let _ = err.to_string();
        }
    }
}

fn pipeline(stream: &[u8]) {
    let Some((&[hi, lo], script)) = stream.split_first_chunk::<2>() else {
        return;
    };
    let size = u64::from(u16::from_be_bytes([hi, lo]));
    let depth = 4;
    let mut pipeline = ReadPipeline::new(0, Some(size), 100, depth);
    let mut waiting = Vec::new();
    let mut next_id = 0u32;
    let mut delivered = 0u64;
    for pair in script.chunks_exact(2) {
        while let Some(ask) = pipeline.next_ask() {
            pipeline.sent(next_id, ask);
            waiting.push((next_id, ask));
            next_id += 1;
        }
        assert!(pipeline.in_flight() <= depth);
        if waiting.is_empty() {
            break;
        }
        let (id, ask) = waiting.remove(usize::from(pair[0]) % waiting.len());
        let step = if pair[1] == 0xff {
            pipeline.on_eof(id)
        } else {
            let len = u64::from(pair[1]).min(u64::from(ask.len));
            pipeline.on_data(id, vec![0; len as usize])
        };
        if step.is_err() {
            return;
        }
        while let Some(data) = pipeline.take_ready() {
            delivered += data.len() as u64;
        }
        assert_eq!(delivered, pipeline.delivered());
        assert!(delivered <= size, "past the known size");
        if pipeline.is_done() {
            assert_eq!(Some(delivered), pipeline.end());
            return;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        decode(stream);
    } else {
        pipeline(stream);
    }
});
