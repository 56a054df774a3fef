//! Helpers shared by the fuzz targets: turning one fuzz input into "a stream of bytes and
//! the chunks a socket delivered it in", so every incremental parser is checked against
//! the same bytes parsed whole.
//!
//! Input layout of the chunked targets: `[seed_hi, seed_lo, stream...]`. The two seed
//! bytes drive a small PRNG that picks the chunk lengths. When the seed's low nibble is
//! `0xF`, some chunks are also pushed many times over, so that lines reach the listing
//! parser's 64 KiB cap from a small input (libFuzzer's inputs are a few KiB).

pub mod check;

/// Most bytes one input may expand to by repeating chunks (past a 64 KiB line cap).
pub const MAX_EXPANDED_BYTES: usize = 140 * 1024;

/// A deterministic xorshift PRNG: the same input always gives the same chunks.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u16) -> Self {
        Self((0x9e37_79b9_7f4a_7c15 ^ u64::from(seed).wrapping_mul(0x2545_f491_4f6c_dd1d)) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The stream as pushed: a list of chunks (borrowed from the input, possibly repeated).
pub struct Chunked<'a> {
    pub chunks: Vec<&'a [u8]>,
}

impl<'a> Chunked<'a> {
    /// Splits `data` (after its two seed bytes) into chunks; `None` for inputs under 2 bytes.
    pub fn new(data: &'a [u8]) -> Option<Self> {
        Self::split(data, true)
    }

    /// The same without repeated chunks, for a parser whose caps can be set small.
    pub fn without_repeats(data: &'a [u8]) -> Option<Self> {
        Self::split(data, false)
    }

    fn split(data: &'a [u8], repeats: bool) -> Option<Self> {
        let (&[hi, lo], stream) = data.split_first_chunk::<2>()?;
        let seed = u16::from_be_bytes([hi, lo]);
        let repeat = repeats && seed & 0x0f == 0x0f;
        let mut rng = Rng::new(seed);
        let mut chunks = Vec::new();
        let mut rest = stream;
        let mut expanded = 0usize;
        let mut repeated = 0;
        while !rest.is_empty() {
            // Mostly short chunks (CR and LF split apart), sometimes long ones.
            let max = if rng.below(8) == 0 { 4096 } else { 16 };
            let len = (1 + rng.below(max)).min(rest.len());
            let (chunk, tail) = rest.split_at(len);
            // Now and then past the 64 KiB line cap; at most twice an input, as long streams
            // slow every run that follows.
            let times = if repeat && repeated < 2 && rng.below(4) == 0 {
                repeated += 1;
                1 + rng.below(70_000 / len + 2)
            } else {
                1
            };
            for _ in 0..times {
                if expanded + chunk.len() > MAX_EXPANDED_BYTES {
                    break;
                }
                expanded += chunk.len();
                chunks.push(chunk);
            }
            rest = tail;
        }
        Some(Self { chunks })
    }

    /// The whole stream in one buffer.
    pub fn joined(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}
