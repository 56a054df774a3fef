//! Opening files in folders other people may be able to write to (a shared /tmp, a group
//! folder): a download never writes through a symbolic link planted under its partial
//! file's name, never resumes into a file that is not the user's own, and an upload from a
//! folder's listing never reads through a link that appeared after the listing.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// The partial file of a download, ready to write at `offset`.
///
/// From the start (`offset` 0), whatever has the name is removed first (a link itself,
/// never what it points at) and the file is created anew, exclusively: if something takes
/// the name in between, the creation fails rather than following it. To resume, the
/// existing file must be a regular file owned by the user, reached without a link.
pub fn open_partial(part: &Path, offset: u64) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if offset == 0 {
        match std::fs::remove_file(part) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        return options.create_new(true).open(part);
    }
    no_follow(&mut options);
    let mut file = options.open(part).map_err(|err| link_refused(err, part))?;
    check_own_regular_file(&file, part)?;
    use std::io::Seek as _;
    file.seek(io::SeekFrom::Start(offset))?;
    Ok(file)
}

/// The length of an earlier partial file to resume from: 0 when there is none, an error
/// when the name holds a link or anything but a regular file (its owner is checked when
/// it is opened).
pub fn partial_len(part: &Path) -> io::Result<u64> {
    match std::fs::symlink_metadata(part) {
        Ok(meta) if meta.is_file() => Ok(meta.len()),
        Ok(meta) if meta.is_symlink() => {
            Err(link_refused(io::Error::from_raw_os_error(ELOOP), part))
        }
        Ok(_) => Err(not_regular(part)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(err),
    }
}

/// A file to upload whose name came from a folder's listing: opened without following a
/// link, and only when it is a regular file (a FIFO or a device would never end). With
/// its metadata, as checked.
pub fn open_listed_file(path: &Path) -> io::Result<(File, std::fs::Metadata)> {
    let mut options = OpenOptions::new();
    options.read(true);
    no_follow(&mut options);
    let file = options.open(path).map_err(|err| link_refused(err, path))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(
            "not a regular file (it changed since the folder was listed)",
        ));
    }
    Ok((file, meta))
}

#[cfg(unix)]
fn no_follow(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    // NONBLOCK: opening a FIFO someone put there returns at once instead of waiting for a
    // reader; it changes nothing for a regular file.
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    options.custom_flags(flags.bits() as i32);
}

#[cfg(not(unix))]
fn no_follow(_options: &mut OpenOptions) {}

#[cfg(unix)]
const ELOOP: i32 = rustix::io::Errno::LOOP.raw_os_error();
#[cfg(not(unix))]
const ELOOP: i32 = -1;

/// O_NOFOLLOW's refusal (ELOOP) in words.
fn link_refused(err: io::Error, path: &Path) -> io::Error {
    if err.raw_os_error() == Some(ELOOP) {
        return io::Error::other(format!(
            "{} is a symbolic link: Skiff does not write or read through a link it did not \
             make (someone with access to the folder may have planted it); remove it",
            path.display()
        ));
    }
    err
}

fn not_regular(path: &Path) -> io::Error {
    io::Error::other(format!(
        "{} is not a regular file; not resuming into it",
        path.display()
    ))
}

fn check_own_regular_file(file: &File, path: &Path) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(io::Error::other(format!(
                "{} belongs to another user (uid {}); not resuming into it",
                path.display(),
                meta.uid()
            )));
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn a_planted_link_is_replaced_from_the_start_and_refused_when_resuming() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"the user's own data").unwrap();
        let part = dir.path().join("f.txt.part");
        std::os::unix::fs::symlink(&victim, &part).unwrap();

        let err = open_partial(&part, 5).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        let err = partial_len(&part).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");

        let mut file = open_partial(&part, 0).unwrap();
        file.write_all(b"server bytes").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&victim).unwrap(), b"the user's own data");
        assert!(!std::fs::symlink_metadata(&part).unwrap().is_symlink());
        assert_eq!(std::fs::read(&part).unwrap(), b"server bytes");
    }

    #[test]
    fn resuming_continues_the_users_own_file_at_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("f.part");
        assert_eq!(partial_len(&part).unwrap(), 0, "none yet");
        std::fs::write(&part, b"0123456789").unwrap();
        assert_eq!(partial_len(&part).unwrap(), 10);
        let mut file = open_partial(&part, 4).unwrap();
        file.write_all(b"abcdef").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&part).unwrap(), b"0123abcdef");
    }

    #[test]
    fn a_fifo_or_folder_is_no_partial_file_and_nothing_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p.part");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        // Writing: no reader, so the non-blocking open fails at once (ENXIO).
        assert!(open_partial(&fifo, 3).is_err());
        let err = open_listed_file(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let folder = dir.path().join("d.part");
        std::fs::create_dir(&folder).unwrap();
        assert!(open_partial(&folder, 0).is_err(), "a folder is not removed");
        assert!(folder.is_dir());
    }

    #[test]
    fn an_upload_from_a_listing_reads_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("id_ed25519");
        std::fs::write(&secret, b"private key").unwrap();
        let listed = dir.path().join("upload-me.txt");
        std::os::unix::fs::symlink(&secret, &listed).unwrap();
        let err = open_listed_file(&listed).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        std::fs::remove_file(&listed).unwrap();
        std::fs::write(&listed, b"plain").unwrap();
        let mut text = String::new();
        let (mut file, meta) = open_listed_file(&listed).unwrap();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "plain");
        assert_eq!(meta.len(), 5);
    }
}
