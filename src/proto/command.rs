//! FTP commands and their wire form (RFC 959, RFC 2428, RFC 3659, RFC 2389).
//!
//! Building the wire line is the single gate every command passes through, so it is where
//! arguments with CR, LF or NUL are refused: such a byte would let a file name smuggle a
//! second command onto the control connection.

use std::net::{SocketAddr, SocketAddrV4};

use crate::proto::charset::Charset;
use crate::proto::hash::XCommand;
use crate::proto::listing::Timestamp;
use crate::secret::Secret;

/// TYPE argument: binary (image) or ASCII with line-ending conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferType {
    #[default]
    Binary,
    Ascii,
}

/// One client command. Paths are raw bytes in the server's charset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(Secret),
    Acct(Secret),
    Syst,
    Feat,
    Opts(String),
    Pwd,
    Cwd(Vec<u8>),
    Cdup,
    Type(TransferType),
    Mkd(Vec<u8>),
    Rmd(Vec<u8>),
    Dele(Vec<u8>),
    Rnfr(Vec<u8>),
    Rnto(Vec<u8>),
    Size(Vec<u8>),
    Mdtm(Vec<u8>),
    /// RFC 3659 draft MFMT: set a file's modification time (UTC).
    Mfmt(Timestamp, Vec<u8>),
    /// draft-bryan-ftpext-hash: the checksum of a file, in the algorithm `OPTS HASH` chose.
    Hash(Vec<u8>),
    /// `XSHA256 path` and its kin: a checksum in the command's own algorithm.
    XHash(XCommand, Vec<u8>),
    Rest(u64),
    Retr(Vec<u8>),
    Stor(Vec<u8>),
    Appe(Vec<u8>),
    List(Option<Vec<u8>>),
    Nlst(Option<Vec<u8>>),
    Mlsd(Option<Vec<u8>>),
    Mlst(Option<Vec<u8>>),
    Pasv,
    Epsv,
    Port(SocketAddrV4),
    Eprt(SocketAddr),
    Noop,
    Abor,
    Quit,
    /// RFC 4217: AUTH TLS.
    Auth(String),
    /// RFC 4217: protection buffer size (always 0 for TLS).
    Pbsz(u32),
    /// RFC 4217: data channel protection level (`P` private, `C` clear).
    Prot(char),
    /// `SITE CHMOD 644 path`: the Unix permission bits of a file (a common extension).
    SiteChmod(u32, Vec<u8>),
    /// A whole command line as the user typed it (Server > Enter custom command).
    Raw(Vec<u8>),
}

/// Why a typed command line cannot be sent: CR, LF or NUL in it (they would end it and
/// smuggle another command onto the control connection), or nothing in it.
pub fn check_raw_line(line: &[u8]) -> Result<(), CommandError> {
    for (byte, what) in [(b'\r', "CR"), (b'\n', "LF"), (0, "NUL")] {
        if line.contains(&byte) {
            return Err(CommandError::LineBreak { what });
        }
    }
    if line.trim_ascii().is_empty() {
        return Err(CommandError::Empty);
    }
    Ok(())
}

/// A command that cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("refusing to send {verb}: its argument contains a {what} character")]
    ForbiddenByte {
        verb: &'static str,
        what: &'static str,
    },
    /// In a typed command line (`Command::raw`).
    #[error("a command is one line: it cannot contain a {what} character")]
    LineBreak { what: &'static str },
    #[error("there is no command to send")]
    Empty,
}

impl Command {
    /// A command line as the user typed it (Server > Enter custom command, a site's
    /// post-logon commands): one line, refused with CR, LF or NUL in it, or with nothing
    /// but spaces. Leading and trailing spaces are dropped.
    pub fn raw(line: &[u8]) -> Result<Command, CommandError> {
        check_raw_line(line)?;
        Ok(Command::Raw(line.trim_ascii().to_vec()))
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Acct(_) => "ACCT",
            Command::Syst => "SYST",
            Command::Feat => "FEAT",
            Command::Opts(_) => "OPTS",
            Command::Pwd => "PWD",
            Command::Cwd(_) => "CWD",
            Command::Cdup => "CDUP",
            Command::Type(_) => "TYPE",
            Command::Mkd(_) => "MKD",
            Command::Rmd(_) => "RMD",
            Command::Dele(_) => "DELE",
            Command::Rnfr(_) => "RNFR",
            Command::Rnto(_) => "RNTO",
            Command::Size(_) => "SIZE",
            Command::Mdtm(_) => "MDTM",
            Command::Mfmt(..) => "MFMT",
            Command::Hash(_) => "HASH",
            Command::XHash(command, _) => command.verb(),
            Command::Rest(_) => "REST",
            Command::Retr(_) => "RETR",
            Command::Stor(_) => "STOR",
            Command::Appe(_) => "APPE",
            Command::List(_) => "LIST",
            Command::Nlst(_) => "NLST",
            Command::Mlsd(_) => "MLSD",
            Command::Mlst(_) => "MLST",
            Command::Pasv => "PASV",
            Command::Epsv => "EPSV",
            Command::Port(_) => "PORT",
            Command::Eprt(_) => "EPRT",
            Command::Noop => "NOOP",
            Command::Abor => "ABOR",
            Command::Quit => "QUIT",
            Command::Auth(_) => "AUTH",
            Command::Pbsz(_) => "PBSZ",
            Command::Prot(_) => "PROT",
            Command::SiteChmod(..) => "SITE",
            // Its verb is the line's first word, checked with the rest.
            Command::Raw(_) => "the command",
        }
    }

    /// The argument bytes, if the command has one.
    fn argument(&self) -> Option<Vec<u8>> {
        let text = |s: &str| Some(s.as_bytes().to_vec());
        match self {
            Command::User(user) => text(user),
            Command::Pass(secret) | Command::Acct(secret) => text(secret.expose()),
            Command::Opts(opts) => text(opts),
            Command::Type(TransferType::Binary) => text("I"),
            Command::Type(TransferType::Ascii) => text("A"),
            Command::Cwd(p)
            | Command::Mkd(p)
            | Command::Rmd(p)
            | Command::Dele(p)
            | Command::Rnfr(p)
            | Command::Rnto(p)
            | Command::Size(p)
            | Command::Mdtm(p)
            | Command::Hash(p)
            | Command::XHash(_, p)
            | Command::Retr(p)
            | Command::Stor(p)
            | Command::Appe(p) => Some(p.clone()),
            Command::Mfmt(time, p) => {
                let mut arg = format!(
                    "{:04}{:02}{:02}{:02}{:02}{:02} ",
                    time.year, time.month, time.day, time.hour, time.minute, time.second
                )
                .into_bytes();
                arg.extend_from_slice(p);
                Some(arg)
            }
            Command::Rest(offset) => text(&offset.to_string()),
            Command::SiteChmod(mode, p) => {
                let mut arg = format!("CHMOD {:03o} ", mode & 0o7777).into_bytes();
                arg.extend_from_slice(p);
                Some(arg)
            }
            Command::Auth(mechanism) => text(mechanism),
            Command::Pbsz(size) => text(&size.to_string()),
            Command::Prot(level) => text(&level.to_string()),
            Command::List(p) | Command::Nlst(p) | Command::Mlsd(p) | Command::Mlst(p) => p.clone(),
            Command::Port(addr) => text(&crate::proto::pasv::format_port(*addr)),
            Command::Eprt(addr) => text(&crate::proto::pasv::format_eprt(*addr)),
            Command::Raw(line) => Some(line.clone()),
            Command::Syst
            | Command::Feat
            | Command::Pwd
            | Command::Cdup
            | Command::Pasv
            | Command::Epsv
            | Command::Noop
            | Command::Abor
            | Command::Quit => None,
        }
    }

    /// The exact bytes to write, CRLF included. Refuses CR, LF and NUL in the argument.
    pub fn to_wire(&self) -> Result<Vec<u8>, CommandError> {
        let mut line = self.verb().as_bytes().to_vec();
        if let Some(arg) = self.argument() {
            for (byte, what) in [(b'\r', "CR"), (b'\n', "LF"), (0, "NUL")] {
                if arg.contains(&byte) {
                    return Err(CommandError::ForbiddenByte {
                        verb: self.verb(),
                        what,
                    });
                }
            }
            if matches!(self, Command::Raw(_)) {
                line.clear();
            } else {
                line.push(b' ');
            }
            line.extend_from_slice(&arg);
        }
        line.extend_from_slice(b"\r\n");
        Ok(line)
    }

    /// The line as the message log shows it: passwords masked, raw bytes shown lossily.
    pub fn log_text(&self) -> String {
        self.log_text_in(&Charset::UTF8)
    }

    /// The log line with path bytes decoded in the server's charset.
    pub fn log_text_in(&self, charset: &Charset) -> String {
        match self {
            Command::Pass(_) => "PASS ****".to_owned(),
            Command::Acct(_) => "ACCT ****".to_owned(),
            Command::Raw(line) => {
                let text = charset.decode(line);
                let verb = text.split(' ').next().unwrap_or_default();
                if verb.eq_ignore_ascii_case("PASS") || verb.eq_ignore_ascii_case("ACCT") {
                    format!("{verb} ****")
                } else {
                    text.into_owned()
                }
            }
            _ => match self.argument() {
                Some(arg) => format!("{} {}", self.verb(), charset.decode(&arg)),
                None => self.verb().to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_serialize_with_crlf() {
        assert_eq!(Command::Pwd.to_wire().unwrap(), b"PWD\r\n");
        assert_eq!(
            Command::Retr(b"dir with spaces/f.txt".to_vec())
                .to_wire()
                .unwrap(),
            b"RETR dir with spaces/f.txt\r\n"
        );
        assert_eq!(Command::Rest(1234).to_wire().unwrap(), b"REST 1234\r\n");
        assert_eq!(
            Command::Type(TransferType::Ascii).to_wire().unwrap(),
            b"TYPE A\r\n"
        );
        assert_eq!(Command::List(None).to_wire().unwrap(), b"LIST\r\n");
        assert_eq!(
            Command::SiteChmod(0o640, b"/a b.txt".to_vec())
                .to_wire()
                .unwrap(),
            b"SITE CHMOD 640 /a b.txt\r\n"
        );
        assert_eq!(
            Command::SiteChmod(0o4755, b"x".to_vec()).to_wire().unwrap(),
            b"SITE CHMOD 4755 x\r\n"
        );
    }

    #[test]
    fn cr_lf_and_nul_in_arguments_are_refused_before_sending() {
        for bad in [&b"a\r\nDELE x"[..], b"a\nb", b"a\rb", b"a\0b"] {
            let err = Command::Stor(bad.to_vec()).to_wire().unwrap_err();
            assert!(matches!(
                err,
                CommandError::ForbiddenByte { verb: "STOR", .. }
            ));
        }
        assert!(Command::User("me\r\nQUIT".into()).to_wire().is_err());
    }

    #[test]
    fn password_is_masked_in_the_log_but_sent_on_the_wire() {
        let pass = Command::Pass(Secret::new("s3cret"));
        assert_eq!(pass.log_text(), "PASS ****");
        assert_eq!(pass.to_wire().unwrap(), b"PASS s3cret\r\n");
        assert!(!format!("{pass:?}").contains("s3cret"));
    }

    #[test]
    fn a_raw_line_goes_as_typed_refused_with_line_ends_and_masked_when_a_password() {
        let raw = Command::Raw(b"SITE HELP".to_vec());
        assert_eq!(raw.to_wire().unwrap(), b"SITE HELP\r\n");
        assert_eq!(raw.log_text(), "SITE HELP");
        assert!(Command::Raw(b"NOOP\r\nDELE x".to_vec()).to_wire().is_err());
        assert!(Command::Raw(b"NOOP\0".to_vec()).to_wire().is_err());
        let pass = Command::Raw(b"pass hunter2".to_vec());
        assert_eq!(pass.log_text(), "pass ****");
    }

    #[test]
    fn a_typed_command_is_one_line_refused_at_construction_otherwise() {
        let site = Command::raw(b"  SITE CHMOD 644 x  ").unwrap();
        assert_eq!(site.to_wire().unwrap(), b"SITE CHMOD 644 x\r\n");
        for (bad, what) in [
            (&b"NOOP\r\nDELE x"[..], "CR"),
            (b"NOOP\nDELE x", "LF"),
            (b"SYST\n", "LF"),
            (b"STAT\0", "NUL"),
        ] {
            assert_eq!(
                Command::raw(bad),
                Err(CommandError::LineBreak { what }),
                "{bad:?}"
            );
        }
        assert_eq!(Command::raw(b""), Err(CommandError::Empty));
        assert_eq!(Command::raw(b"   "), Err(CommandError::Empty));
        assert_eq!(
            check_raw_line("SITE HELP\nQUIT".as_bytes())
                .unwrap_err()
                .to_string(),
            "a command is one line: it cannot contain a LF character"
        );
    }

    #[test]
    fn mfmt_formats_utc_time_before_the_path() {
        let t = Timestamp::from_unix_secs(981_173_106);
        assert_eq!(
            Command::Mfmt(t, b"old.txt".to_vec()).to_wire().unwrap(),
            b"MFMT 20010203040506 old.txt\r\n"
        );
    }

    #[test]
    fn checksum_commands_name_the_path() {
        assert_eq!(
            Command::Hash(b"/a b.txt".to_vec()).to_wire().unwrap(),
            b"HASH /a b.txt\r\n"
        );
        assert_eq!(
            Command::XHash(XCommand::Xsha256, b"a.txt".to_vec())
                .to_wire()
                .unwrap(),
            b"XSHA256 a.txt\r\n"
        );
        assert!(Command::Hash(b"a\r\nDELE b".to_vec()).to_wire().is_err());
    }

    #[test]
    fn port_and_eprt_format_addresses() {
        let v4: SocketAddrV4 = "127.0.0.1:50010".parse().unwrap();
        assert_eq!(
            Command::Port(v4).to_wire().unwrap(),
            b"PORT 127,0,0,1,195,90\r\n"
        );
        let v6: SocketAddr = "[::1]:50010".parse().unwrap();
        assert_eq!(
            Command::Eprt(v6).to_wire().unwrap(),
            b"EPRT |2|::1|50010|\r\n"
        );
    }
}
