//! Whole-file transfers with local-file safety, over one `Connection`.
//!
//! Downloads are written to `NAME.part` beside the target and renamed only after the
//! transfer completed and the size checks out, so an interruption never leaves a truncated
//! file under the final name, and an existing file is replaced only when the user said so.
//! Resuming continues the `.part` (REST); uploads resume with SIZE, then REST+STOR or APPE.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use crate::cancel::Cancel;
use crate::net::{Connection, DataStream, FtpError, StoreMode};
use crate::proto::ascii::{AsciiDecoder, AsciiEncoder};
use crate::proto::command::TransferType;

/// Bytes moved per read: large enough that per-chunk costs vanish at loopback speed.
const CHUNK_BYTES: usize = 1024 * 1024;
/// The smallest buffer: a small file's whole content in one read.
const MIN_CHUNK_BYTES: usize = 16 * 1024;

/// A buffer for a transfer of `size` bytes. A small file gets a small one: zeroing and
/// faulting in a fresh megabyte per file cost more CPU than a 4 KiB transfer itself
/// (a third of Skiff's time in bench/mirror.sh). One byte more than the size lets a single
/// read take the whole file.
fn buffer_for(size: Option<u64>) -> Vec<u8> {
    let len = size
        .and_then(|s| usize::try_from(s).ok())
        .map_or(CHUNK_BYTES, |s| {
            s.saturating_add(1).clamp(MIN_CHUNK_BYTES, CHUNK_BYTES)
        });
    vec![0u8; len]
}

/// How a transfer runs and what to do when the target already exists.
#[derive(Debug, Clone, Default)]
pub struct TransferOptions {
    pub transfer_type: TransferType,
    /// Continue a partial download (`.part`) or upload (remote size) instead of starting over.
    pub resume: bool,
    /// Replace an existing target.
    pub overwrite: bool,
    /// The source's size when already known (from a listing): saves a SIZE round trip.
    pub expected_size: Option<u64>,
    /// A speed limit shared with other transfers in the same direction.
    pub limit: Option<std::sync::Arc<crate::rate::RateLimiter>>,
    /// Watched while data flows: a cancel stops the transfer with ABOR.
    pub cancel: Option<Cancel>,
}

/// What happened, for the CLI's summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOutcome {
    /// Bytes moved over the data connection in this run.
    pub transferred: u64,
    /// Where the transfer started (0 unless resumed).
    pub resumed_from: u64,
    /// Size of the finished file.
    pub total: u64,
}

/// The temporary name a download is written to: `NAME.part` beside it.
pub fn part_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(crate::local::os_bytes)
        .unwrap_or_default();
    target.with_file_name(crate::local::bytes_os(&part_name(&name)))
}

/// `NAME.part`; for a name too long to take the suffix (over 250 bytes), the name cut short
/// plus `~` and a hash of the whole name, so that two long names still get two temporary
/// files and the same name always the same one (a resume finds it).
pub fn part_name(name: &[u8]) -> Vec<u8> {
    const SUFFIX: &[u8] = b".part";
    let max = crate::local::MAX_NAME_BYTES;
    if name.len() + SUFFIX.len() <= max {
        return [name, SUFFIX].concat();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let tail = format!("~{hash:08x}.part");
    crate::local::fit_name(name, tail.as_bytes(), max)
}

fn local_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> FtpError + 'a {
    move |source| FtpError::LocalIo {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Downloads `remote` to the file `target`.
pub async fn download(
    conn: &mut Connection,
    remote: &[u8],
    target: &Path,
    options: TransferOptions,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<TransferOutcome, FtpError> {
    if target.exists() && !options.overwrite {
        return Err(FtpError::Refused(format!(
            "{} already exists: use --overwrite to replace it",
            target.display()
        )));
    }
    let binary = options.transfer_type == TransferType::Binary;
    let expected = match (binary, options.expected_size) {
        (false, _) => None,
        (true, Some(size)) => Some(size),
        (true, None) => conn.size(remote).await?,
    };
    let part = part_path(target);
    // Only a resume looks at an earlier .part; otherwise it is truncated unread.
    let mut offset = match options.resume && binary {
        true => std::fs::metadata(&part).map_or(0, |m| m.len()),
        false => 0,
    };
    if expected.is_some_and(|size| offset > size) {
        conn.log().status(format!(
            "The partial file is larger than the remote file; starting over: {}",
            part.display()
        ));
        offset = 0;
    }
    if offset > 0 {
        conn.log()
            .status(format!("Resuming download at byte {offset}"));
    }
    let left = expected.map(|size| size.saturating_sub(offset));
    let received =
        match receive_into_part(conn, remote, &part, offset, left, &options, on_progress).await {
            Ok(received) => received,
            Err(err) => {
                // An empty .part that this run created holds nothing worth resuming.
                if offset == 0 && tokio::fs::metadata(&part).await.is_ok_and(|m| m.len() == 0) {
                    tokio::fs::remove_file(&part).await.ok();
                }
                return Err(err);
            }
        };

    let total = offset + received;
    if let Some(expected) = expected
        && total != expected
    {
        // Keep the .part: a later --resume continues from what arrived.
        return Err(FtpError::SizeMismatch {
            expected,
            received: total,
        });
    }
    // Checked again right before the rename: the target may have appeared meanwhile.
    if target.exists() && !options.overwrite {
        return Err(FtpError::Refused(format!(
            "{} appeared during the download; the data is kept in {}",
            target.display(),
            part.display()
        )));
    }
    std::fs::rename(&part, target)
        .map_err(local_err("cannot rename the finished download", target))?;
    Ok(TransferOutcome {
        transferred: received,
        resumed_from: offset,
        total,
    })
}

/// Opens (or creates) the partial file, at `offset`.
fn open_part(part: &Path, offset: u64) -> Result<std::fs::File, FtpError> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(offset == 0)
        .open(part)
        .map_err(local_err("cannot create the partial file", part))?;
    if offset > 0 {
        use std::io::Seek as _;
        file.seek(std::io::SeekFrom::Start(offset))
            .map_err(local_err("cannot seek in the partial file", part))?;
    }
    Ok(file)
}

/// RETR into `part` from `offset` (`left`: the bytes expected); returns the bytes received
/// over the wire.
async fn receive_into_part(
    conn: &mut Connection,
    remote: &[u8],
    part: &Path,
    offset: u64,
    left: Option<u64>,
    options: &TransferOptions,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, FtpError> {
    let binary = options.transfer_type == TransferType::Binary;
    // Creating a file took a third of a millisecond here when other builds kept ext4 busy,
    // and inline it would stall every other transfer on this thread: it goes to the
    // blocking pool, one hop per file, while EPSV and RETR make their round trips. The writes stay
    // inline: each lands in the page cache in microseconds, while a hop per write (and
    // flush) cost more than the transfer itself for small files (bench/mirror.sh).
    let opening = {
        let part = part.to_path_buf();
        tokio::task::spawn_blocking(move || open_part(&part, offset))
    };
    if let Some(cancel) = &options.cancel {
        cancel.set_transferring();
    }
    let started = conn.retrieve(remote, options.transfer_type, offset).await;
    // Awaited whatever RETR did, so a caller that cleans up finds the file in place.
    let opened = opening.await.unwrap_or_else(|join| {
        Err(FtpError::LocalIo {
            what: "cannot create the partial file",
            path: part.to_path_buf(),
            source: std::io::Error::other(join),
        })
    });
    let (mut file, mut stream) = match (started, opened) {
        (Ok(stream), Ok(file)) => (file, stream),
        (Err(err), _) => return Err(err),
        (Ok(stream), Err(err)) => {
            // The transfer started but has nowhere to go: abort it, report the local error.
            return Err(match conn.finish_transfer(stream, Err(err)).await {
                Err(err) => err,
                Ok(()) => FtpError::Refused("the download was aborted".into()),
            });
        }
    };
    let mut buf = buffer_for(left);
    let mut ascii = (!binary).then(AsciiDecoder::default);
    let mut converted = Vec::new();
    let mut received = 0u64;
    let copy = async {
        loop {
            let n = conn.read_data(&mut stream, &mut buf).await?;
            if n == 0 {
                break;
            }
            received += n as u64;
            if let Some(limit) = &options.limit {
                limit.consume(n).await;
            }
            let chunk = match ascii.as_mut() {
                Some(decoder) => {
                    converted.clear();
                    decoder.decode(&buf[..n], &mut converted);
                    &converted[..]
                }
                None => &buf[..n],
            };
            std::io::Write::write_all(&mut file, chunk)
                .map_err(local_err("cannot write the partial file", part))?;
            on_progress(offset + received);
        }
        if let Some(decoder) = ascii.as_mut() {
            converted.clear();
            decoder.finish(&mut converted);
            std::io::Write::write_all(&mut file, &converted)
                .map_err(local_err("cannot write the partial file", part))?;
        }
        std::io::Write::flush(&mut file).map_err(local_err("cannot write the partial file", part))
    };
    let Some(copy_result) = unless_cancelled(options.cancel.as_ref(), copy).await else {
        drop(file);
        return Err(abort_cancelled(conn, stream).await);
    };
    conn.finish_transfer(stream, copy_result).await?;
    drop(file);

    Ok(received)
}

/// Uploads the file `source` to `remote`.
pub async fn upload(
    conn: &mut Connection,
    source: &Path,
    remote: &[u8],
    options: TransferOptions,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<TransferOutcome, FtpError> {
    let mut file = tokio::fs::File::open(source)
        .await
        .map_err(local_err("cannot open the file to upload", source))?;
    let local_size = file
        .metadata()
        .await
        .map_err(local_err("cannot read the file to upload", source))?
        .len();
    let binary = options.transfer_type == TransferType::Binary;
    let remote_size = conn.size(remote).await?;
    let mut mode = StoreMode::Replace;
    let mut offset = 0;
    match remote_size {
        Some(size) if options.resume && binary => {
            if size > local_size {
                return Err(FtpError::Refused(format!(
                    "cannot resume: the remote file ({size} bytes) is larger than {} ({local_size} bytes)",
                    source.display()
                )));
            }
            if size == local_size {
                conn.log().status("The remote file is already complete");
                return Ok(TransferOutcome {
                    transferred: 0,
                    resumed_from: size,
                    total: size,
                });
            }
            offset = size;
            mode = if conn.features().rest_stream() {
                StoreMode::RestartAt(size)
            } else {
                StoreMode::Append
            };
            conn.log().status(format!("Resuming upload at byte {size}"));
        }
        Some(_) if !options.overwrite => {
            return Err(FtpError::Refused(format!(
                "the remote file {} already exists: use --overwrite to replace it or --resume to continue it",
                String::from_utf8_lossy(remote)
            )));
        }
        _ => {}
    }
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(local_err("cannot seek in the file to upload", source))?;
    }

    if let Some(cancel) = &options.cancel {
        cancel.set_transferring();
    }
    let mut stream = conn.store(remote, options.transfer_type, mode).await?;
    let mut buf = buffer_for(Some(local_size.saturating_sub(offset)));
    let mut ascii = (!binary).then(AsciiEncoder::default);
    let mut converted = Vec::new();
    let mut sent = 0u64;
    let copy = async {
        loop {
            let n = file
                .read(&mut buf)
                .await
                .map_err(local_err("cannot read the file to upload", source))?;
            if n == 0 {
                return Ok(());
            }
            sent += n as u64;
            if let Some(limit) = &options.limit {
                limit.consume(n).await;
            }
            let chunk = match ascii.as_mut() {
                Some(encoder) => {
                    converted.clear();
                    encoder.encode(&buf[..n], &mut converted);
                    &converted[..]
                }
                None => &buf[..n],
            };
            conn.write_data(&mut stream, chunk).await?;
            on_progress(offset + sent);
        }
    };
    let Some(copy_result) = unless_cancelled(options.cancel.as_ref(), copy).await else {
        return Err(abort_cancelled(conn, stream).await);
    };
    conn.finish_transfer(stream, copy_result).await?;

    let total = offset + sent;
    // A server can store less than it was sent and still say 226 (a TLS close race seen
    // with pyftpdlib): check when the size is comparable.
    if binary
        && let Some(stored) = conn.size(remote).await?
        && stored != total
    {
        return Err(FtpError::SizeMismatch {
            expected: total,
            received: stored,
        });
    }
    Ok(TransferOutcome {
        transferred: sent,
        resumed_from: offset,
        total,
    })
}

/// Runs a copy loop to its end, or stops it (`None`) as soon as the transfer is cancelled.
async fn unless_cancelled<T>(
    cancel: Option<&Cancel>,
    copy: impl std::future::Future<Output = T>,
) -> Option<T> {
    let Some(cancel) = cancel else {
        return Some(copy.await);
    };
    tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        out = copy => Some(out),
    }
}

/// Stops a cancelled transfer with ABOR, bounded by the session's timeout. The result says
/// whether the connection is still in step (`Cancelled`) or must be closed (`AbortFailed`).
async fn abort_cancelled(conn: &mut Connection, stream: DataStream) -> FtpError {
    conn.log()
        .status("Transfer cancelled by the user; aborting it (ABOR)");
    let timeout = conn.timeout();
    let failed = |source| FtpError::AbortFailed {
        source: Box::new(source),
    };
    let err = match tokio::time::timeout(timeout, conn.abort_transfer(stream)).await {
        Ok(Ok(())) => return FtpError::Cancelled,
        Ok(Err(source)) => failed(source),
        Err(_) => failed(FtpError::Timeout {
            phase: "aborting the transfer",
            secs: timeout.as_secs(),
        }),
    };
    conn.log().error(format!("{err}; closing the connection"));
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_sits_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/x/a.tar.gz")),
            PathBuf::from("/tmp/x/a.tar.gz.part")
        );
    }

    #[test]
    fn a_name_near_the_limit_gets_a_temporary_name_that_fits_and_is_its_own() {
        let a = [vec![b'a'; 250], b"-one".to_vec()].concat();
        let b = [vec![b'a'; 250], b"-two".to_vec()].concat();
        let (part_a, part_b) = (part_name(&a), part_name(&b));
        assert_eq!(part_a.len(), 255);
        assert!(part_a.ends_with(b".part") && part_a.starts_with(&[b'a'; 200]));
        assert_ne!(part_a, part_b, "two long names, one temporary file");
        // The same name always gets the same temporary file, in every run and build (a
        // resume finds it): the name cut to 241 bytes, `~`, the FNV-1a hash of the whole
        // name (0x2d2d4bee, worked out apart from Skiff), `.part`.
        assert_eq!(
            part_a,
            [vec![b'a'; 241], b"~2d2d4bee.part".to_vec()].concat(),
            "the same name, another temporary file"
        );
        assert_eq!(
            part_name(&[b'x'; 250]),
            [vec![b'x'; 250], b".part".to_vec()].concat()
        );
    }

    /// A real file system takes the longest names Skiff lets through, numbered or not.
    #[test]
    fn the_longest_allowed_names_can_be_created_with_their_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let name = [vec![b'n'; 251], b".bin".to_vec()].concat();
        for candidate in [name.clone(), crate::engine::item::numbered_name(&name, 999)] {
            let target = dir.path().join(crate::local::bytes_os(&candidate));
            std::fs::write(part_path(&target), b"part").unwrap();
            std::fs::rename(part_path(&target), &target).unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), b"part");
        }
    }
}
