//! SFTP version 3 (draft-ietf-secsh-filexfer-02, what OpenSSH speaks) as bytes and meaning:
//! requests encoded into a buffer, responses decoded from one packet. No I/O, no clock.
//!
//! Every length read from a server is checked against the bytes that are there before
//! anything is allocated for it, so a lying length is an error, never a huge allocation.

use std::fmt;

/// The protocol version Skiff speaks.
pub const VERSION: u32 = 3;

/// The largest packet taken from a server. OpenSSH sends at most 256 KiB; a little more
/// leaves room for other servers, and a hostile length never makes Skiff buffer more.
pub const MAX_PACKET: usize = 1024 * 1024;

/// Packet types.
pub mod kind {
    pub const INIT: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const LSTAT: u8 = 7;
    pub const FSTAT: u8 = 8;
    pub const SETSTAT: u8 = 9;
    pub const FSETSTAT: u8 = 10;
    pub const OPENDIR: u8 = 11;
    pub const READDIR: u8 = 12;
    pub const REMOVE: u8 = 13;
    pub const MKDIR: u8 = 14;
    pub const RMDIR: u8 = 15;
    pub const REALPATH: u8 = 16;
    pub const STAT: u8 = 17;
    pub const RENAME: u8 = 18;
    pub const READLINK: u8 = 19;
    pub const STATUS: u8 = 101;
    pub const HANDLE: u8 = 102;
    pub const DATA: u8 = 103;
    pub const NAME: u8 = 104;
    pub const ATTRS: u8 = 105;
    pub const EXTENDED: u8 = 200;
    pub const EXTENDED_REPLY: u8 = 201;
}

/// `SSH_FXF_*`: how OPEN opens a file.
pub mod open_flags {
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const APPEND: u32 = 0x04;
    pub const CREATE: u32 = 0x08;
    pub const TRUNCATE: u32 = 0x10;
    pub const EXCLUSIVE: u32 = 0x20;
}

/// `SSH_FILEXFER_ATTR_*`: which attributes follow.
mod attr_flags {
    pub const SIZE: u32 = 0x01;
    pub const UID_GID: u32 = 0x02;
    pub const PERMISSIONS: u32 = 0x04;
    pub const ACCESS_MODIFY_TIME: u32 = 0x08;
    pub const EXTENDED: u32 = 0x8000_0000;
}

/// A STATUS reply's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    Ok,
    Eof,
    NoSuchFile,
    PermissionDenied,
    Failure,
    BadMessage,
    NoConnection,
    ConnectionLost,
    OpUnsupported,
    Other(u32),
}

impl StatusCode {
    pub fn from_u32(code: u32) -> Self {
        match code {
            0 => Self::Ok,
            1 => Self::Eof,
            2 => Self::NoSuchFile,
            3 => Self::PermissionDenied,
            4 => Self::Failure,
            5 => Self::BadMessage,
            6 => Self::NoConnection,
            7 => Self::ConnectionLost,
            8 => Self::OpUnsupported,
            other => Self::Other(other),
        }
    }

    pub fn to_u32(self) -> u32 {
        match self {
            Self::Ok => 0,
            Self::Eof => 1,
            Self::NoSuchFile => 2,
            Self::PermissionDenied => 3,
            Self::Failure => 4,
            Self::BadMessage => 5,
            Self::NoConnection => 6,
            Self::ConnectionLost => 7,
            Self::OpUnsupported => 8,
            Self::Other(other) => other,
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Ok => "OK",
            Self::Eof => "end of file",
            Self::NoSuchFile => "no such file",
            Self::PermissionDenied => "permission denied",
            Self::Failure => "failure",
            Self::BadMessage => "bad message",
            Self::NoConnection => "no connection",
            Self::ConnectionLost => "connection lost",
            Self::OpUnsupported => "operation unsupported",
            Self::Other(code) => return write!(f, "status {code}"),
        };
        f.write_str(text)
    }
}

/// A file's attributes; each is there only when the server sent it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attrs {
    pub size: Option<u64>,
    pub uid_gid: Option<(u32, u32)>,
    /// Type and permission bits, as `st_mode`.
    pub permissions: Option<u32>,
    /// Access and modification time, seconds since the Unix epoch.
    pub times: Option<(u32, u32)>,
}

/// `st_mode`'s file type bits.
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFREG: u32 = 0o100_000;

/// What `st_mode` says an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    File,
    Dir,
    Link,
    Other,
}

impl Attrs {
    pub fn file_type(&self) -> Option<FileType> {
        self.permissions.map(|mode| match mode & S_IFMT {
            S_IFDIR => FileType::Dir,
            S_IFLNK => FileType::Link,
            S_IFREG => FileType::File,
            _ => FileType::Other,
        })
    }

    pub fn modified(&self) -> Option<u32> {
        self.times.map(|(_, mtime)| mtime)
    }
}

/// `drwxr-xr-x` for a mode, as `ls -l` writes it (set-id and sticky bits included).
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        0o020_000 => 'c',
        0o060_000 => 'b',
        0o010_000 => 'p',
        0o140_000 => 's',
        _ => '-',
    };
    let mut text = String::with_capacity(10);
    text.push(kind);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, (special_bit, with_x, without_x)) in special.into_iter().enumerate() {
        let shift = 6 - 3 * i;
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(match (bits & 1 != 0, mode & special_bit != 0) {
            (true, true) => with_x,
            (false, true) => without_x,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    text
}

/// A request to the server. Paths and names are bytes, in the server's charset.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    Open {
        path: &'a [u8],
        flags: u32,
        attrs: &'a Attrs,
    },
    Close {
        handle: &'a [u8],
    },
    Read {
        handle: &'a [u8],
        offset: u64,
        len: u32,
    },
    Write {
        handle: &'a [u8],
        offset: u64,
        data: &'a [u8],
    },
    Lstat {
        path: &'a [u8],
    },
    Fstat {
        handle: &'a [u8],
    },
    Setstat {
        path: &'a [u8],
        attrs: &'a Attrs,
    },
    Opendir {
        path: &'a [u8],
    },
    Readdir {
        handle: &'a [u8],
    },
    Remove {
        path: &'a [u8],
    },
    Mkdir {
        path: &'a [u8],
        attrs: &'a Attrs,
    },
    Rmdir {
        path: &'a [u8],
    },
    Realpath {
        path: &'a [u8],
    },
    Stat {
        path: &'a [u8],
    },
    Rename {
        from: &'a [u8],
        to: &'a [u8],
    },
    Readlink {
        path: &'a [u8],
    },
    /// OpenSSH's `posix-rename@openssh.com`: replaces an existing target.
    PosixRename {
        from: &'a [u8],
        to: &'a [u8],
    },
    /// OpenSSH's `fsync@openssh.com`.
    Fsync {
        handle: &'a [u8],
    },
    /// OpenSSH's `limits@openssh.com`.
    Limits,
    /// OpenSSH's `statvfs@openssh.com`: the file system a path is on.
    Statvfs {
        path: &'a [u8],
    },
}

impl Request<'_> {
    /// The log's word for the request, as OpenSSH's `sftp -vvv` names them.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Open { .. } => "OPEN",
            Request::Close { .. } => "CLOSE",
            Request::Read { .. } => "READ",
            Request::Write { .. } => "WRITE",
            Request::Lstat { .. } => "LSTAT",
            Request::Fstat { .. } => "FSTAT",
            Request::Setstat { .. } => "SETSTAT",
            Request::Opendir { .. } => "OPENDIR",
            Request::Readdir { .. } => "READDIR",
            Request::Remove { .. } => "REMOVE",
            Request::Mkdir { .. } => "MKDIR",
            Request::Rmdir { .. } => "RMDIR",
            Request::Realpath { .. } => "REALPATH",
            Request::Stat { .. } => "STAT",
            Request::Rename { .. } => "RENAME",
            Request::Readlink { .. } => "READLINK",
            Request::PosixRename { .. } => "posix-rename@openssh.com",
            Request::Fsync { .. } => "fsync@openssh.com",
            Request::Limits => "limits@openssh.com",
            Request::Statvfs { .. } => "statvfs@openssh.com",
        }
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, len_u32(bytes.len()));
    out.extend_from_slice(bytes);
}

/// Lengths Skiff writes come from paths and its own buffers, all far below 4 GiB.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn put_attrs(out: &mut Vec<u8>, attrs: &Attrs) {
    let mut flags = 0;
    if attrs.size.is_some() {
        flags |= attr_flags::SIZE;
    }
    if attrs.uid_gid.is_some() {
        flags |= attr_flags::UID_GID;
    }
    if attrs.permissions.is_some() {
        flags |= attr_flags::PERMISSIONS;
    }
    if attrs.times.is_some() {
        flags |= attr_flags::ACCESS_MODIFY_TIME;
    }
    put_u32(out, flags);
    if let Some(size) = attrs.size {
        put_u64(out, size);
    }
    if let Some((uid, gid)) = attrs.uid_gid {
        put_u32(out, uid);
        put_u32(out, gid);
    }
    if let Some(mode) = attrs.permissions {
        put_u32(out, mode);
    }
    if let Some((atime, mtime)) = attrs.times {
        put_u32(out, atime);
        put_u32(out, mtime);
    }
}

/// Appends the INIT packet that opens a session.
pub fn encode_init(out: &mut Vec<u8>) {
    put_u32(out, 5);
    out.push(kind::INIT);
    put_u32(out, VERSION);
}

/// Appends `request` with `id` as one whole packet (length, type, id, fields).
pub fn encode(id: u32, request: &Request<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    put_u32(out, 0); // the length, filled in below
    let (packet_kind, extension) = match request {
        Request::Open { .. } => (kind::OPEN, None),
        Request::Close { .. } => (kind::CLOSE, None),
        Request::Read { .. } => (kind::READ, None),
        Request::Write { .. } => (kind::WRITE, None),
        Request::Lstat { .. } => (kind::LSTAT, None),
        Request::Fstat { .. } => (kind::FSTAT, None),
        Request::Setstat { .. } => (kind::SETSTAT, None),
        Request::Opendir { .. } => (kind::OPENDIR, None),
        Request::Readdir { .. } => (kind::READDIR, None),
        Request::Remove { .. } => (kind::REMOVE, None),
        Request::Mkdir { .. } => (kind::MKDIR, None),
        Request::Rmdir { .. } => (kind::RMDIR, None),
        Request::Realpath { .. } => (kind::REALPATH, None),
        Request::Stat { .. } => (kind::STAT, None),
        Request::Rename { .. } => (kind::RENAME, None),
        Request::Readlink { .. } => (kind::READLINK, None),
        Request::PosixRename { .. }
        | Request::Fsync { .. }
        | Request::Limits
        | Request::Statvfs { .. } => (kind::EXTENDED, Some(request.name())),
    };
    out.push(packet_kind);
    put_u32(out, id);
    if let Some(name) = extension {
        put_string(out, name.as_bytes());
    }
    match *request {
        Request::Open { path, flags, attrs } => {
            put_string(out, path);
            put_u32(out, flags);
            put_attrs(out, attrs);
        }
        Request::Close { handle }
        | Request::Fstat { handle }
        | Request::Readdir { handle }
        | Request::Fsync { handle } => put_string(out, handle),
        Request::Read {
            handle,
            offset,
            len,
        } => {
            put_string(out, handle);
            put_u64(out, offset);
            put_u32(out, len);
        }
        Request::Write {
            handle,
            offset,
            data,
        } => {
            put_string(out, handle);
            put_u64(out, offset);
            put_string(out, data);
        }
        Request::Lstat { path }
        | Request::Opendir { path }
        | Request::Remove { path }
        | Request::Rmdir { path }
        | Request::Realpath { path }
        | Request::Stat { path }
        | Request::Readlink { path }
        | Request::Statvfs { path } => put_string(out, path),
        Request::Setstat { path, attrs } | Request::Mkdir { path, attrs } => {
            put_string(out, path);
            put_attrs(out, attrs);
        }
        Request::Rename { from, to } | Request::PosixRename { from, to } => {
            put_string(out, from);
            put_string(out, to);
        }
        Request::Limits => {}
    }
    let len = len_u32(out.len() - start - 4).to_be_bytes();
    out[start..start + 4].copy_from_slice(&len);
}

/// One entry of a NAME reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    pub filename: Vec<u8>,
    /// `ls -l`'s line for it (OpenSSH), or empty; informative only.
    pub longname: Vec<u8>,
    pub attrs: Attrs,
}

/// A reply from the server; bulk data borrows from the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    Version {
        version: u32,
        /// Extension names and data (`posix-rename@openssh.com`, "1").
        extensions: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Status {
        id: u32,
        code: StatusCode,
        /// The server's words, lossily UTF-8.
        message: String,
    },
    Handle {
        id: u32,
        handle: &'a [u8],
    },
    Data {
        id: u32,
        data: &'a [u8],
    },
    Name {
        id: u32,
        entries: Vec<NameEntry>,
    },
    Attrs {
        id: u32,
        attrs: Attrs,
    },
    ExtendedReply {
        id: u32,
        data: &'a [u8],
    },
}

impl Response<'_> {
    /// The request id it answers (`None` for VERSION).
    pub fn id(&self) -> Option<u32> {
        match self {
            Response::Version { .. } => None,
            Response::Status { id, .. }
            | Response::Handle { id, .. }
            | Response::Data { id, .. }
            | Response::Name { id, .. }
            | Response::Attrs { id, .. }
            | Response::ExtendedReply { id, .. } => Some(*id),
        }
    }
}

/// A packet that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the server sent a packet of {0} bytes, more than the {MAX_PACKET} Skiff accepts")]
    TooLong(usize),
    #[error("the server sent an empty packet")]
    Empty,
    #[error("the server sent a packet of unknown type {0}")]
    UnknownType(u8),
    #[error("the server sent a cut-short {0} packet")]
    Truncated(&'static str),
}

/// The length of the packet that follows a 4-byte length prefix, checked.
pub fn packet_len(prefix: [u8; 4]) -> Result<usize, CodecError> {
    let len = u32::from_be_bytes(prefix) as usize;
    match len {
        0 => Err(CodecError::Empty),
        len if len > MAX_PACKET => Err(CodecError::TooLong(len)),
        len => Ok(len),
    }
}

/// Reads fields from a packet, front to back.
struct Fields<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.rest.len() < n {
            return Err(CodecError::Truncated(self.what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }

    fn string(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn attrs(&mut self) -> Result<Attrs, CodecError> {
        let flags = self.u32()?;
        let mut attrs = Attrs::default();
        if flags & attr_flags::SIZE != 0 {
            attrs.size = Some(self.u64()?);
        }
        if flags & attr_flags::UID_GID != 0 {
            attrs.uid_gid = Some((self.u32()?, self.u32()?));
        }
        if flags & attr_flags::PERMISSIONS != 0 {
            attrs.permissions = Some(self.u32()?);
        }
        if flags & attr_flags::ACCESS_MODIFY_TIME != 0 {
            attrs.times = Some((self.u32()?, self.u32()?));
        }
        if flags & attr_flags::EXTENDED != 0 {
            // Pairs of strings Skiff has no use for; each is at least 8 bytes, so a count
            // beyond what the packet holds fails at the first missing string.
            let count = self.u32()?;
            for _ in 0..count {
                self.string()?;
                self.string()?;
            }
        }
        Ok(attrs)
    }
}

/// Decodes one packet: its type byte and what follows (the length prefix already taken).
pub fn decode(packet: &[u8]) -> Result<Response<'_>, CodecError> {
    let (&packet_kind, body) = packet.split_first().ok_or(CodecError::Empty)?;
    let what = match packet_kind {
        kind::VERSION => "VERSION",
        kind::STATUS => "STATUS",
        kind::HANDLE => "HANDLE",
        kind::DATA => "DATA",
        kind::NAME => "NAME",
        kind::ATTRS => "ATTRS",
        kind::EXTENDED_REPLY => "EXTENDED_REPLY",
        other => return Err(CodecError::UnknownType(other)),
    };
    let mut fields = Fields { rest: body, what };
    if packet_kind == kind::VERSION {
        let version = fields.u32()?;
        let mut extensions = Vec::new();
        while !fields.rest.is_empty() {
            let name = fields.string()?.to_vec();
            let data = fields.string()?.to_vec();
            extensions.push((name, data));
        }
        return Ok(Response::Version {
            version,
            extensions,
        });
    }
    let id = fields.u32()?;
    Ok(match packet_kind {
        kind::STATUS => {
            let code = StatusCode::from_u32(fields.u32()?);
            // Version 3 servers may leave out the message and language tag.
            let message = if fields.rest.is_empty() {
                String::new()
            } else {
                String::from_utf8_lossy(fields.string()?).into_owned()
            };
            Response::Status { id, code, message }
        }
        kind::HANDLE => Response::Handle {
            id,
            handle: fields.string()?,
        },
        kind::DATA => Response::Data {
            id,
            data: fields.string()?,
        },
        kind::NAME => {
            let count = fields.u32()? as usize;
            // Each entry takes at least 12 bytes (two empty strings and the attribute flags).
            if count > fields.rest.len() / 12 {
                return Err(CodecError::Truncated(what));
            }
            let mut entries = Vec::with_capacity(count);
            for _ in 0..count {
                let filename = fields.string()?.to_vec();
                let longname = fields.string()?.to_vec();
                let attrs = fields.attrs()?;
                entries.push(NameEntry {
                    filename,
                    longname,
                    attrs,
                });
            }
            Response::Name { id, entries }
        }
        kind::ATTRS => Response::Attrs {
            id,
            attrs: fields.attrs()?,
        },
        _ => Response::ExtendedReply {
            id,
            data: fields.rest,
        },
    })
}

/// What OpenSSH's `limits@openssh.com` says the server takes (0: no limit given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub max_packet: u64,
    pub max_read: u64,
    pub max_write: u64,
    pub max_open_handles: u64,
}

/// What OpenSSH's `statvfs@openssh.com` says of a file system (as `statvfs(3)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FsStats {
    pub fragment_size: u64,
    pub blocks: u64,
    /// Blocks free for an unprivileged user.
    pub blocks_available: u64,
}

impl FsStats {
    /// Bytes free for the user logged on.
    pub fn available_bytes(&self) -> u64 {
        self.blocks_available.saturating_mul(self.fragment_size)
    }

    pub fn total_bytes(&self) -> u64 {
        self.blocks.saturating_mul(self.fragment_size)
    }
}

/// The data of a `statvfs@openssh.com` reply: eleven 64-bit fields (bsize, frsize,
/// blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax).
pub fn decode_statvfs(data: &[u8]) -> Result<FsStats, CodecError> {
    let mut fields = Fields {
        rest: data,
        what: "statvfs@openssh.com",
    };
    let _block_size = fields.u64()?;
    let fragment_size = fields.u64()?;
    let blocks = fields.u64()?;
    let _free = fields.u64()?;
    let blocks_available = fields.u64()?;
    for _ in 0..6 {
        fields.u64()?;
    }
    Ok(FsStats {
        fragment_size,
        blocks,
        blocks_available,
    })
}

/// The data of a `limits@openssh.com` reply.
pub fn decode_limits(data: &[u8]) -> Result<Limits, CodecError> {
    let mut fields = Fields {
        rest: data,
        what: "limits@openssh.com",
    };
    Ok(Limits {
        max_packet: fields.u64()?,
        max_read: fields.u64()?,
        max_write: fields.u64()?,
        max_open_handles: fields.u64()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(kind: u8, fields: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![kind];
        for field in fields {
            out.extend_from_slice(field);
        }
        out
    }

    fn string(bytes: &[u8]) -> Vec<u8> {
        let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn requests_encode_as_openssh_reads_them() {
        let mut out = Vec::new();
        encode_init(&mut out);
        assert_eq!(out, [0, 0, 0, 5, 1, 0, 0, 0, 3]);

        out.clear();
        encode(
            7,
            &Request::Read {
                handle: b"h1",
                offset: 0x1_0000_0002,
                len: 32768,
            },
            &mut out,
        );
        let expected: Vec<u8> = [
            &[0, 0, 0, 23, kind::READ][..],
            &7u32.to_be_bytes(),
            &string(b"h1"),
            &0x1_0000_0002u64.to_be_bytes(),
            &32768u32.to_be_bytes(),
        ]
        .concat();
        assert_eq!(out, expected);

        out.clear();
        let attrs = Attrs {
            permissions: Some(0o644),
            times: Some((1, 2)),
            ..Attrs::default()
        };
        encode(
            1,
            &Request::Setstat {
                path: "한.txt".as_bytes(),
                attrs: &attrs,
            },
            &mut out,
        );
        let body = &out[4..];
        assert_eq!(
            u32::from_be_bytes(out[..4].try_into().unwrap()) as usize,
            body.len()
        );
        assert_eq!(body[0], kind::SETSTAT);
        assert_eq!(&body[5..9], &(7u32).to_be_bytes(), "the path's length");
        assert_eq!(
            &body[16..20],
            &0x0cu32.to_be_bytes(),
            "permissions and times"
        );

        out.clear();
        encode(
            9,
            &Request::PosixRename {
                from: b"a",
                to: b"b",
            },
            &mut out,
        );
        let expected: Vec<u8> = [
            &[kind::EXTENDED][..],
            &9u32.to_be_bytes(),
            &string(b"posix-rename@openssh.com"),
            &string(b"a"),
            &string(b"b"),
        ]
        .concat();
        assert_eq!(&out[4..], &expected[..]);
    }

    #[test]
    fn replies_decode_with_their_data_borrowed() {
        let version = packet(
            kind::VERSION,
            &[
                &3u32.to_be_bytes(),
                &string(b"posix-rename@openssh.com"),
                &string(b"1"),
            ],
        );
        assert_eq!(
            decode(&version).unwrap(),
            Response::Version {
                version: 3,
                extensions: vec![(b"posix-rename@openssh.com".to_vec(), b"1".to_vec())]
            }
        );
        let data = packet(kind::DATA, &[&5u32.to_be_bytes(), &string(b"hello")]);
        assert_eq!(
            decode(&data).unwrap(),
            Response::Data {
                id: 5,
                data: b"hello"
            }
        );
        // A version 3 STATUS may end after the code.
        let bare = packet(kind::STATUS, &[&1u32.to_be_bytes(), &1u32.to_be_bytes()]);
        assert_eq!(
            decode(&bare).unwrap(),
            Response::Status {
                id: 1,
                code: StatusCode::Eof,
                message: String::new()
            }
        );
        let name = packet(
            kind::NAME,
            &[
                &2u32.to_be_bytes(),
                &1u32.to_be_bytes(),
                &string("日本.txt".as_bytes()),
                &string(b"-rw-r--r-- 1 u g 5 Jan 1 2024 x"),
                &0x0du32.to_be_bytes(), // size, permissions, times
                &5u64.to_be_bytes(),
                &0o100644u32.to_be_bytes(),
                &10u32.to_be_bytes(),
                &1_700_000_000u32.to_be_bytes(),
            ],
        );
        let Response::Name { id: 2, entries } = decode(&name).unwrap() else {
            panic!("a NAME")
        };
        assert_eq!(entries[0].filename, "日本.txt".as_bytes());
        assert_eq!(entries[0].attrs.size, Some(5));
        assert_eq!(entries[0].attrs.file_type(), Some(FileType::File));
        assert_eq!(entries[0].attrs.modified(), Some(1_700_000_000));
    }

    #[test]
    fn lying_lengths_and_counts_are_errors_not_allocations() {
        assert_eq!(packet_len([0, 0, 0, 0]), Err(CodecError::Empty));
        assert_eq!(
            packet_len([0xff, 0xff, 0xff, 0xff]),
            Err(CodecError::TooLong(u32::MAX as usize))
        );
        assert_eq!(packet_len([0, 0, 1, 0]), Ok(256));
        let data = packet(
            kind::DATA,
            &[&5u32.to_be_bytes(), &100u32.to_be_bytes(), b"abc"],
        );
        assert_eq!(decode(&data), Err(CodecError::Truncated("DATA")));
        let name = packet(
            kind::NAME,
            &[&2u32.to_be_bytes(), &u32::MAX.to_be_bytes(), &[0; 24]],
        );
        assert_eq!(decode(&name), Err(CodecError::Truncated("NAME")));
        let attrs = packet(
            kind::ATTRS,
            &[
                &2u32.to_be_bytes(),
                &attr_flags::EXTENDED.to_be_bytes(),
                &u32::MAX.to_be_bytes(),
            ],
        );
        assert_eq!(decode(&attrs), Err(CodecError::Truncated("ATTRS")));
        assert_eq!(decode(&[42]), Err(CodecError::UnknownType(42)));
        assert_eq!(decode(&[]), Err(CodecError::Empty));
    }

    #[test]
    fn modes_read_as_ls_writes_them() {
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o102644), "-rw-r-Sr--");
    }

    #[test]
    fn statvfs_decodes_the_space_free_for_the_user() {
        let fields: [u64; 11] = [4096, 4096, 1000, 600, 500, 100, 50, 50, 7, 0, 255];
        let data: Vec<u8> = fields.iter().flat_map(|v| v.to_be_bytes()).collect();
        let stats = decode_statvfs(&data).unwrap();
        assert_eq!(stats.available_bytes(), 500 * 4096);
        assert_eq!(stats.total_bytes(), 1000 * 4096);
        assert!(decode_statvfs(&data[..80]).is_err());
        let mut out = Vec::new();
        encode(3, &Request::Statvfs { path: b"/srv" }, &mut out);
        assert!(out.windows(19).any(|w| w == b"statvfs@openssh.com"));
        assert!(out.ends_with(b"\x00\x00\x00\x04/srv"));
    }

    #[test]
    fn limits_decode() {
        let data: Vec<u8> = [262_144u64, 261_120, 261_120, 0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let limits = decode_limits(&data).unwrap();
        assert_eq!(limits.max_read, 261_120);
        assert_eq!(limits.max_open_handles, 0);
        assert!(decode_limits(&data[..20]).is_err());
    }
}
