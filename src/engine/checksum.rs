//! Checksums for a sync's checksum criterion: a local file hashed the way the server hashes
//! its copy (`RemoteOp::Checksums`), read in chunks so a large file never sits in memory.
//! Blocking: run it on the blocking pool, never on the async threads or the UI thread.

use std::path::Path;

use crate::proto::hash::{Algorithm, Digest};
use crate::remote::RemoteError;

/// What the server said of the files a `RemoteOp::Checksums` named, in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteChecksums {
    /// The algorithm the server used: hash the local files with it.
    pub algorithm: Algorithm,
    /// One per file: its checksum, or why the server gave none.
    pub digests: Vec<Result<Digest, RemoteError>>,
}

const CHUNK_BYTES: usize = 256 * 1024;

enum Hasher {
    Crc32(crc32fast::Hasher),
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            Algorithm::Md5 => Hasher::Md5(<md5::Md5 as md5::Digest>::new()),
            Algorithm::Sha1 => Hasher::Sha1(<sha1::Sha1 as sha1::Digest>::new()),
            Algorithm::Sha256 => Hasher::Sha256(<sha2::Sha256 as sha2::Digest>::new()),
            Algorithm::Sha512 => Hasher::Sha512(<sha2::Sha512 as sha2::Digest>::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(bytes),
            Hasher::Md5(h) => md5::Digest::update(h, bytes),
            Hasher::Sha1(h) => sha1::Digest::update(h, bytes),
            Hasher::Sha256(h) => sha2::Digest::update(h, bytes),
            Hasher::Sha512(h) => sha2::Digest::update(h, bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            // Big-endian, as XCRC and HASH CRC32 print it.
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Md5(h) => md5::Digest::finalize(h).to_vec(),
            Hasher::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            Hasher::Sha256(h) => sha2::Digest::finalize(h).to_vec(),
            Hasher::Sha512(h) => sha2::Digest::finalize(h).to_vec(),
        }
    }
}

/// The checksum of everything `reader` gives.
pub fn hash_reader(
    mut reader: impl std::io::Read,
    algorithm: Algorithm,
) -> std::io::Result<Digest> {
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; CHUNK_BYTES];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(Digest {
        algorithm,
        bytes: hasher.finish(),
    })
}

/// The checksum of the local file at `path` (blocking).
pub fn hash_file(path: &Path, algorithm: Algorithm) -> std::io::Result<Digest> {
    hash_reader(std::fs::File::open(path)?, algorithm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_algorithm_gives_what_the_usual_tools_print() {
        // `printf 'hello world\n' | sha512sum` and friends, and proftpd's XCRC.
        let cases = [
            (Algorithm::Crc32, "af083b2d"),
            (Algorithm::Md5, "6f5902ac237024bdd0c176cb93063dc4"),
            (Algorithm::Sha1, "22596363b3de40b06f981fb85d82312e8c0ed511"),
            (
                Algorithm::Sha256,
                "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447",
            ),
            (
                Algorithm::Sha512,
                "db3974a97f2407b7cae1ae637c0030687a11913274d578492558e39c16c017de84eacdc8c62fe34ee4e12b4b1428817f09b6a2760c3f8a664ceae94d2434a593",
            ),
        ];
        for (algorithm, hex) in cases {
            let digest = hash_reader(&b"hello world\n"[..], algorithm).unwrap();
            assert_eq!(digest.to_hex(), hex, "{algorithm}");
            assert_eq!(digest.bytes.len(), algorithm.digest_len());
        }
    }

    #[test]
    fn a_file_larger_than_a_chunk_is_hashed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let whole = hash_reader(&bytes[..], Algorithm::Sha256).unwrap();
        assert_eq!(hash_file(&path, Algorithm::Sha256).unwrap(), whole);
        let mut changed = bytes;
        *changed.last_mut().unwrap() ^= 1;
        assert_ne!(hash_reader(&changed[..], Algorithm::Sha256).unwrap(), whole);
        assert!(hash_file(&dir.path().join("missing"), Algorithm::Md5).is_err());
    }
}
