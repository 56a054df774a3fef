//! TYPE A line-ending conversion, streaming: the network form is CRLF, the local one LF.
//!
//! A CR at the end of one chunk may pair with an LF at the start of the next, so the
//! decoder carries that one byte across calls.

/// Network (CRLF) → local (LF). A lone CR that is not followed by LF is kept.
#[derive(Debug, Default)]
pub struct AsciiDecoder {
    pending_cr: bool,
}

impl AsciiDecoder {
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if self.pending_cr {
                self.pending_cr = false;
                if byte != b'\n' {
                    out.push(b'\r');
                }
            }
            if byte == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(byte);
            }
        }
    }

    /// Flushes a CR that ended the stream.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

/// Local (LF) → network (CRLF). An existing CRLF is not doubled.
#[derive(Debug, Default)]
pub struct AsciiEncoder {
    last_was_cr: bool,
}

impl AsciiEncoder {
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if byte == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.last_was_cr = byte == b'\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_across_chunk_boundaries() {
        let input = b"one\r\ntwo\r\nthree\rx\r";
        for split in 0..input.len() {
            let mut dec = AsciiDecoder::default();
            let mut out = Vec::new();
            dec.decode(&input[..split], &mut out);
            dec.decode(&input[split..], &mut out);
            dec.finish(&mut out);
            assert_eq!(out, b"one\ntwo\nthree\rx\r", "split at {split}");
        }
    }

    #[test]
    fn lf_becomes_crlf_once() {
        let mut enc = AsciiEncoder::default();
        let mut out = Vec::new();
        enc.encode(b"a\nb\r", &mut out);
        enc.encode(b"\nc\n", &mut out);
        assert_eq!(out, b"a\r\nb\r\nc\r\n");
    }
}
