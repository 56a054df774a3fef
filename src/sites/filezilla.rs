//! FileZilla's Site Manager file (`sitemanager.xml`, FileZilla 3.x): import into Skiff's sites,
//! and export back, so nobody is locked in.
//!
//! The element names and their meanings follow FileZilla's own reader (`GetServer` in
//! `commonui/xmlfunctions.cpp`, `site_manager::Load` and `ReadServerElement` in
//! `commonui/site_manager.cpp`, `CServerPath::SetSafePath` for `RemoteDir`):
//! `<FileZilla3><Servers>` holds `<Folder>` (its name is its own text, before its children) and
//! `<Server>` elements; a server's name is its `<Name>` child, or in older files its own text.
//! Passwords are `<Pass encoding="base64">`, plain text, or `encoding="crypt"` (sealed with
//! FileZilla's master password, which Skiff cannot open: such sites are imported to ask for the
//! password). Protocols other than FTP (SFTP, S3, WebDAV, ...) are skipped with a warning.
//! A site's `<Bookmark>`s come with it; FileZilla's global `bookmarks.xml` (`<FileZilla3>`
//! holding `<Bookmark>`s) is read by the same `import` (`filezilla/bookmarks.rs`).
//!
//! Everything here is a pure function over bytes and values; the file is read into a small
//! element tree with an explicit stack, so no file, however deep, can exhaust the call stack,
//! and nesting deeper than [`MAX_DEPTH`] is refused.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::secret::Secret;
use crate::sites::bookmark::Bookmark;
use crate::sites::site::{
    CharsetChoice, LogonType, Protocol, Site, SiteDataMode, SiteList, clean_name,
};

pub mod filters;

/// Elements may nest at most this deep (`FileZilla3` > `Servers` > folders > `Server` > field).
pub const MAX_DEPTH: usize = 100;
/// The largest file read (a Site Manager with many thousands of sites is a few MiB).
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// FileZilla 3.x's `ServerProtocol` values for FTP (`include/server.h`; never renumbered).
const FZ_FTP: i64 = 0;
const FZ_SFTP: i64 = 1;
const FZ_FTPS: i64 = 3;
const FZ_FTPES: i64 = 4;
const FZ_INSECURE_FTP: i64 = 6;

/// Skiff's own per-site choices that FileZilla has no field for, kept as `<Parameter>`s (which
/// FileZilla ignores for FTP) so that an export imported back into Skiff loses nothing.
const PARAM_PORT_RANGE: &str = "skiff_active_port_range";
const PARAM_EXTERNAL_IP: &str = "skiff_external_ip";
const PARAM_PASSIVE_FALLBACK: &str = "skiff_passive_fallback";

/// What an import found.
#[derive(Debug, Default)]
pub struct Imported {
    /// FTP sites, each with a fresh id and its folder path (`Work/Clients`).
    pub sites: Vec<Site>,
    /// Every folder path seen, also those left empty.
    pub folders: Vec<String>,
    /// Passwords read from the file, by site id: for the password store, never for a file.
    pub passwords: Vec<(String, Secret)>,
    /// Global bookmarks (FileZilla's `bookmarks.xml`); a site's own are in the site.
    pub bookmarks: Vec<Bookmark>,
    /// One sentence per thing not imported as it was (skipped sites, unreadable passwords).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilezillaError {
    #[error("not valid XML at line {line}, column {column}: {reason}")]
    Xml {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("not a FileZilla file: its root element is <{0}>, not <FileZilla3>")]
    NotFileZilla(String),
    #[error("elements nest deeper than {limit} levels (line {line})")]
    TooDeep { limit: usize, line: usize },
    #[error("the file is larger than {} MiB", limit >> 20)]
    TooLarge { limit: usize },
}

// ---- Reading ---------------------------------------------------------------------------------

/// The `<FileZilla3>` element of one of FileZilla's files, refused when too large or not
/// FileZilla's.
fn filezilla_root(xml: &[u8]) -> Result<Element, FilezillaError> {
    if xml.len() > MAX_FILE_BYTES {
        return Err(FilezillaError::TooLarge {
            limit: MAX_FILE_BYTES,
        });
    }
    let root = parse(xml)?;
    if root.name != "FileZilla3" {
        return Err(FilezillaError::NotFileZilla(root.name));
    }
    Ok(root)
}

/// Reads a FileZilla 3.x `sitemanager.xml` (or an exported file with `<Servers>`), or its
/// global `bookmarks.xml`.
pub fn import(xml: &[u8]) -> Result<Imported, FilezillaError> {
    let root = filezilla_root(xml)?;
    let mut out = Imported::default();
    for servers in root.children_named("Servers") {
        read_folder_tree(servers, &mut out);
    }
    out.bookmarks = bookmarks::read_bookmarks(&root, "the global bookmarks", &mut out.warnings);
    Ok(out)
}

/// Reads the folders and sites under `servers` in file order, with an explicit stack of
/// (children still to read, folder path) instead of recursion.
fn read_folder_tree(servers: &Element, out: &mut Imported) {
    let mut stack = vec![(servers.children.iter(), String::new())];
    while let Some((children, path)) = stack.last_mut() {
        let Some(node) = children.next() else {
            stack.pop();
            continue;
        };
        let Node::Element(child) = node else {
            continue;
        };
        let path = path.clone();
        match child.name.as_str() {
            "Folder" => {
                let name = child.text().trim().to_owned();
                if name.is_empty() {
                    out.warnings.push(format!(
                        "a folder without a name in {} was skipped with everything in it",
                        shown_folder(&path)
                    ));
                    continue;
                }
                let sub = join_folder(&path, &clean_name(&name));
                out.folders.push(sub.clone());
                stack.push((child.children.iter(), sub));
            }
            "Server" => read_server(child, &path, out),
            _ => {}
        }
    }
}

fn join_folder(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

fn shown_folder(path: &str) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        format!("folder {path:?}")
    }
}

fn read_server(el: &Element, folder: &str, out: &mut Imported) {
    let name = match el.child_text("Name").trim() {
        "" => el.text().trim().to_owned(),
        name => name.to_owned(),
    };
    let host = el.child_text("Host").trim().to_owned();
    let shown = if name.is_empty() {
        format!("a site in {}", shown_folder(folder))
    } else {
        format!("{:?}", join_folder(folder, &name))
    };
    if name.is_empty() || host.is_empty() {
        out.warnings.push(format!(
            "{shown} has no {}: skipped",
            if host.is_empty() { "host" } else { "name" }
        ));
        return;
    }
    let protocol_number = int_or(el.child_text("Protocol"), FZ_FTP);
    let protocol = match protocol_number {
        FZ_FTP => Protocol::FtpTlsIfAvailable,
        FZ_FTPS => Protocol::FtpImplicitTls,
        FZ_FTPES => Protocol::FtpExplicitTls,
        FZ_INSECURE_FTP => Protocol::Ftp,
        FZ_SFTP => Protocol::Sftp,
        other => {
            out.warnings.push(format!(
                "{shown} uses {}, not FTP or SFTP: skipped",
                protocol_name(other)
            ));
            return;
        }
    };
    let mut site = Site {
        name: clean_name(&name),
        folder: folder.to_owned(),
        protocol,
        host,
        ..Site::default()
    };
    let port_text = el.child_text("Port");
    match port_text.trim().parse::<u16>() {
        Ok(port) if port > 0 => site.port = (port != protocol.default_port()).then_some(port),
        _ if port_text.trim().is_empty() => {}
        _ => out.warnings.push(format!(
            "{shown}: port {port_text:?} is not a port; the protocol's default is used"
        )),
    }
    site.logon = match int_or(el.child_text("Logontype"), 0) {
        0 => LogonType::Anonymous,
        1 => LogonType::Normal,
        2 => LogonType::AskForPassword,
        3 => LogonType::Interactive,
        4 => LogonType::Account,
        // A key file (SFTP): no password of the site's; the key may ask for a passphrase.
        5 if protocol == Protocol::Sftp => LogonType::Normal,
        other => {
            let what = match other {
                5 => "key-file logon (an SFTP setting)".to_owned(),
                6 => "profile logon".to_owned(),
                n => format!("logon type {n}"),
            };
            out.warnings.push(format!(
                "{shown}: {what} does not apply to FTP; the site asks for the password"
            ));
            LogonType::AskForPassword
        }
    };
    site.user = el.child_text("User");
    site.account = el.child_text("Account");
    let key_file = el.child_text("Keyfile");
    if protocol == Protocol::Sftp && !key_file.trim().is_empty() {
        site.key_file = Some(PathBuf::from(key_file.trim()));
    }
    if site.logon.saves_password() {
        read_password(el, &shown, &mut site, out);
    }
    let offset = int_or(el.child_text("TimezoneOffset"), 0);
    if offset.abs() <= 24 * 60 {
        site.timezone_offset_minutes = offset as i32;
    } else {
        out.warnings.push(format!(
            "{shown}: a time-zone offset of {offset} minutes is more than a day; not used"
        ));
    }
    site.data_mode = match el.child_text("PasvMode").trim() {
        "MODE_ACTIVE" => SiteDataMode::Active,
        "MODE_PASSIVE" => SiteDataMode::Passive,
        _ => SiteDataMode::Default,
    };
    site.max_connections = match int_or(el.child_text("MaximumMultipleConnections"), 0) {
        n if n <= 0 => None,
        n => Some(n.min(10) as u8),
    };
    site.charset = match el.child_text("EncodingType").trim() {
        "UTF-8" => CharsetChoice::ForceUtf8,
        "Custom" => match el.child_text("CustomEncoding").trim() {
            "" => {
                out.warnings.push(format!(
                    "{shown}: a custom charset without a name; automatic is used"
                ));
                CharsetChoice::Auto
            }
            name => CharsetChoice::Custom(name.to_owned()),
        },
        _ => CharsetChoice::Auto,
    };
    if let CharsetChoice::Custom(name) = &site.charset
        && site.charset.charset().is_err()
    {
        out.warnings.push(format!(
            "{shown}: Skiff does not know the charset {name:?}; choose another before connecting"
        ));
    }
    site.comments = el.child_text("Comments");
    let local = el.child_text("LocalDir");
    if !local.is_empty() {
        site.local_dir = Some(PathBuf::from(local));
    }
    let remote = el.child_text("RemoteDir");
    if !remote.trim().is_empty() {
        match decode_remote_dir(&remote) {
            Some(path) => site.remote_dir = Some(path),
            None => out.warnings.push(format!(
                "{shown}: the default remote folder {remote:?} could not be read; not used"
            )),
        }
    }
    site.synchronized_browsing = el.child_text("SyncBrowsing").trim() == "1";
    read_post_logon_commands(el, &shown, &mut site, out);
    site.bookmarks = bookmarks::read_bookmarks(el, &format!("site {shown}"), &mut out.warnings);
    read_skiff_parameters(el, &shown, &mut site, out);
    out.sites.push(site);
}

/// `<PostLoginCommands><Command>..</Command></PostLoginCommands>`: FTP only, one line each.
fn read_post_logon_commands(el: &Element, shown: &str, site: &mut Site, out: &mut Imported) {
    let Some(list) = el.child("PostLoginCommands") else {
        return;
    };
    let commands: Vec<String> = list
        .children_named("Command")
        .map(Element::text)
        .filter(|c| !c.trim().is_empty())
        .collect();
    if commands.is_empty() {
        return;
    }
    if site.protocol == Protocol::Sftp {
        out.warnings.push(format!(
            "{shown}: SFTP has no post-logon commands; {} not imported",
            commands.len()
        ));
        return;
    }
    for command in commands {
        match crate::proto::command::check_raw_line(command.as_bytes()) {
            Ok(()) => site.post_logon_commands.push(command.trim().to_owned()),
            Err(err) => out.warnings.push(format!(
                "{shown}: the post-logon command {command:?} is not used: {err}"
            )),
        }
    }
}

fn read_password(el: &Element, shown: &str, site: &mut Site, out: &mut Imported) {
    let Some(pass) = el.child("Pass") else {
        return;
    };
    let text = pass.text();
    let password = match pass.attr("encoding").unwrap_or("") {
        "" => Some(text),
        "base64" => match base64_decode(&text).map(String::from_utf8) {
            Some(Ok(password)) => Some(password),
            _ => {
                out.warnings.push(format!(
                    "{shown}: the saved password is not valid base64 UTF-8; the site asks for it"
                ));
                site.logon = LogonType::AskForPassword;
                None
            }
        },
        "crypt" => {
            out.warnings.push(format!(
                "{shown}: the password is encrypted with FileZilla's master password, which Skiff cannot read; the site asks for it"
            ));
            site.logon = LogonType::AskForPassword;
            None
        }
        other => {
            out.warnings.push(format!(
                "{shown}: the password's encoding {other:?} is unknown; the site asks for it"
            ));
            site.logon = LogonType::AskForPassword;
            None
        }
    };
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        out.passwords.push((site.id.clone(), Secret::new(password)));
    }
}

fn read_skiff_parameters(el: &Element, shown: &str, site: &mut Site, out: &mut Imported) {
    for param in el.children_named("Parameter") {
        let value = param.text();
        let value = value.trim();
        let ok = match param.attr("Name").unwrap_or("") {
            PARAM_PORT_RANGE => value
                .parse()
                .map(|r| site.active_port_range = Some(r))
                .is_ok(),
            PARAM_EXTERNAL_IP => value.parse().map(|ip| site.external_ip = Some(ip)).is_ok(),
            PARAM_PASSIVE_FALLBACK => match value {
                "1" => {
                    site.passive_fallback = Some(true);
                    true
                }
                "0" => {
                    site.passive_fallback = Some(false);
                    true
                }
                _ => false,
            },
            _ => true,
        };
        if !ok {
            out.warnings.push(format!(
                "{shown}: the setting {:?} = {value:?} could not be read; not used",
                param.attr("Name").unwrap_or("")
            ));
        }
    }
}

fn int_or(text: String, default: i64) -> i64 {
    text.trim().parse().unwrap_or(default)
}

fn protocol_name(number: i64) -> String {
    let name = match number {
        1 => "SFTP",
        2 => "HTTP",
        5 => "HTTPS",
        7 => "S3",
        8 | 21 => "Storj",
        9 => "WebDAV",
        10 => "Azure File Storage",
        11 => "Azure Blob Storage",
        12 => "OpenStack Swift",
        13 => "Google Cloud Storage",
        14 => "Google Drive",
        15 => "Dropbox",
        16 => "OneDrive",
        17 => "Backblaze B2",
        18 => "Box",
        19 => "insecure WebDAV",
        20 => "Rackspace Cloud Storage",
        n => return format!("protocol {n}"),
    };
    name.to_owned()
}

/// FileZilla's serialized server path (`CServerPath::GetSafePath`): the server type, the
/// prefix's length and the prefix, then each segment as its length, a space and its text,
/// e.g. `1 0 4 home 3 bob` for `/home/bob` and `1 0` for `/`. Lengths count characters
/// (FileZilla on Linux and macOS) or UTF-16 units (on Windows); both are tried.
pub fn decode_remote_dir(safe: &str) -> Option<String> {
    let chars: Vec<u32> = safe.chars().map(u32::from).collect();
    let utf16: Vec<u32> = safe.encode_utf16().map(u32::from).collect();
    let (server_type, segments) =
        split_safe_path(&chars, false).or_else(|| split_safe_path(&utf16, true))?;
    match server_type {
        // Default, Unix, DOS with virtual Unix paths, Cygwin: `/a/b`.
        0 | 1 | 8 | 9 => Some(format!("/{}", segments.join("/"))),
        // DOS (`C:\a\b`) and DOS with forward slashes (`C:/a/b`).
        3 | 10 => {
            let sep = if server_type == 3 { "\\" } else { "/" };
            let mut path = segments.join(sep);
            if segments.len() <= 1 {
                path.push_str(sep);
            }
            Some(path)
        }
        // VMS, MVS, VxWorks, z/VM, HP NonStop notations are not Skiff's.
        _ => None,
    }
}

/// `(server type, segments)` of a safe path in code units (chars, or UTF-16 when `utf16`).
fn split_safe_path(units: &[u32], utf16: bool) -> Option<(u32, Vec<String>)> {
    const SPACE: u32 = b' ' as u32;
    let number = |pos: &mut usize| -> Option<usize> {
        let start = *pos;
        let mut n: usize = 0;
        while let Some(&u) = units.get(*pos) {
            let digit = char::from_u32(u)?.to_digit(10);
            let Some(digit) = digit else { break };
            n = n.checked_mul(10)?.checked_add(digit as usize)?;
            if n > 32767 {
                return None;
            }
            *pos += 1;
        }
        (*pos > start).then_some(n)
    };
    let text = |slice: &[u32]| -> Option<String> {
        if utf16 {
            let wide: Vec<u16> = slice.iter().map(|&u| u as u16).collect();
            String::from_utf16(&wide).ok()
        } else {
            slice.iter().map(|&u| char::from_u32(u)).collect()
        }
    };
    let mut pos = 0;
    let server_type = u32::try_from(number(&mut pos)?).ok()?;
    if units.get(pos) != Some(&SPACE) {
        return None;
    }
    pos += 1;
    let prefix_len = number(&mut pos)?;
    if pos == units.len() {
        return (prefix_len == 0).then(|| (server_type, Vec::new()));
    }
    if units.get(pos) != Some(&SPACE) {
        return None;
    }
    pos += 1;
    if prefix_len > 0 {
        units.get(pos..pos + prefix_len)?;
        pos += prefix_len + 1;
    }
    let mut segments = Vec::new();
    while pos < units.len() {
        let len = number(&mut pos)?;
        if len == 0 || units.get(pos) != Some(&SPACE) {
            return None;
        }
        pos += 1;
        segments.push(text(units.get(pos..pos + len)?)?);
        pos += len;
        match units.get(pos) {
            None => break,
            Some(&SPACE) => pos += 1,
            Some(_) => return None,
        }
    }
    Some((server_type, segments))
}

/// A remote folder as FileZilla's safe path: `/a/b` as a Unix path (type 1), `C:\a` or `C:/a`
/// as a DOS path (type 3 or 10). A relative path is written as if absolute (FileZilla has no
/// relative default folder).
pub fn encode_remote_dir(path: &str) -> String {
    let is_drive = |p: &str| {
        let mut chars = p.chars();
        matches!((chars.next(), chars.next()), (Some(c), Some(':')) if c.is_ascii_alphabetic())
    };
    let (server_type, segments): (u32, Vec<&str>) = if is_drive(path) {
        if path.contains('\\') {
            (3, path.split('\\').filter(|s| !s.is_empty()).collect())
        } else {
            (10, path.split('/').filter(|s| !s.is_empty()).collect())
        }
    } else {
        (1, path.split('/').filter(|s| !s.is_empty()).collect())
    };
    let mut out = format!("{server_type} 0");
    for segment in segments {
        write!(out, " {} {segment}", segment.chars().count()).ok();
    }
    out
}

// ---- Merging into the site list ---------------------------------------------------------------

/// Adds imported sites and folders to `list`; a site whose name is taken in its folder gets
/// `name (2)`. Returns one note per rename.
pub fn merge_into(
    list: &mut SiteList,
    imported_sites: Vec<Site>,
    folders: &[String],
) -> Vec<String> {
    let mut notes = Vec::new();
    for mut site in imported_sites {
        let free = list.free_name(&site.folder, &site.name);
        if free != site.name {
            notes.push(format!(
                "{:?} exists already; the imported site is {:?}",
                site.path(),
                join_folder(&site.folder, &free)
            ));
            site.name = free;
        }
        list.sites.push(site);
    }
    for folder in folders {
        if !list.folders.contains(folder) {
            list.folders.push(folder.clone());
        }
    }
    list.folders.sort();
    notes
}

// ---- Writing ---------------------------------------------------------------------------------

/// A site's password for an export, if it is to carry one.
pub type PasswordLookup<'a> = &'a dyn Fn(&Site) -> Option<Secret>;

/// Writes `sites` as a FileZilla 3.x file (File > Import in FileZilla's Site Manager reads it).
/// Passwords are included only where `passwords` gives one (base64, as FileZilla writes them
/// without a master password).
pub fn export(sites: &SiteList, passwords: Option<PasswordLookup<'_>>) -> String {
    // Every folder path as its components, with its sites; sorted component-wise, this is the
    // tree in pre-order, written without recursion however deep it is.
    let mut tree: BTreeMap<Vec<&str>, Vec<&Site>> = BTreeMap::new();
    tree.insert(Vec::new(), Vec::new());
    let folders = sites.all_folders();
    for folder in &folders {
        tree.entry(folder.split('/').collect()).or_default();
    }
    for site in &sites.sites {
        let key: Vec<&str> = if site.folder.is_empty() {
            Vec::new()
        } else {
            site.folder.split('/').collect()
        };
        tree.entry(key).or_default().push(site);
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FileZilla3>\n\t<Servers>\n");
    let mut open: Vec<&str> = Vec::new();
    for (path, folder_sites) in &tree {
        while !path.starts_with(&open) {
            open.pop();
            out.push_str(&tabs(open.len() + 2));
            out.push_str("</Folder>\n");
        }
        for name in &path[open.len()..] {
            out.push_str(&tabs(open.len() + 2));
            writeln!(out, "<Folder expanded=\"1\">{}", escape(name)).ok();
            open.push(name);
        }
        for site in folder_sites {
            write_server(&mut out, site, passwords, open.len() + 2);
        }
    }
    while open.pop().is_some() {
        out.push_str(&tabs(open.len() + 2));
        out.push_str("</Folder>\n");
    }
    out.push_str("\t</Servers>\n</FileZilla3>\n");
    out
}

fn tabs(n: usize) -> String {
    "\t".repeat(n)
}

fn write_server(
    out: &mut String,
    site: &Site,
    passwords: Option<PasswordLookup<'_>>,
    depth: usize,
) {
    let outer = tabs(depth);
    let pad = tabs(depth + 1);
    let field = |out: &mut String, name: &str, value: &str| {
        writeln!(out, "{pad}<{name}>{}</{name}>", escape(value)).ok();
    };
    let protocol = match site.protocol {
        Protocol::FtpTlsIfAvailable => FZ_FTP,
        Protocol::FtpImplicitTls => FZ_FTPS,
        Protocol::FtpExplicitTls => FZ_FTPES,
        Protocol::Ftp => FZ_INSECURE_FTP,
        Protocol::Sftp => FZ_SFTP,
    };
    let logon = match site.logon {
        _ if site.protocol == Protocol::Sftp && site.key_file.is_some() => 5,
        LogonType::Anonymous => 0,
        LogonType::Normal => 1,
        LogonType::AskForPassword => 2,
        LogonType::Interactive => 3,
        LogonType::Account => 4,
    };
    writeln!(out, "{outer}<Server>").ok();
    field(out, "Host", site.host.trim());
    field(out, "Port", &site.port().to_string());
    field(out, "Protocol", &protocol.to_string());
    field(out, "Type", "0");
    if !site.user.is_empty() {
        field(out, "User", &site.user);
    }
    let password = match passwords {
        Some(lookup) if site.logon.saves_password() => lookup(site),
        _ => None,
    };
    if let Some(password) = password {
        writeln!(
            out,
            "{pad}<Pass encoding=\"base64\">{}</Pass>",
            base64_encode(password.expose().as_bytes())
        )
        .ok();
    }
    if !site.account.is_empty() {
        field(out, "Account", &site.account);
    }
    field(out, "Logontype", &logon.to_string());
    if let Some(key_file) = site
        .key_file
        .as_ref()
        .filter(|_| site.protocol == Protocol::Sftp)
    {
        field(out, "Keyfile", &key_file.display().to_string());
    }
    if site.timezone_offset_minutes != 0 {
        field(
            out,
            "TimezoneOffset",
            &site.timezone_offset_minutes.to_string(),
        );
    }
    let mode = match site.data_mode {
        SiteDataMode::Default => "MODE_DEFAULT",
        SiteDataMode::Active => "MODE_ACTIVE",
        SiteDataMode::Passive => "MODE_PASSIVE",
    };
    field(out, "PasvMode", mode);
    if let Some(n) = site.max_connections {
        field(out, "MaximumMultipleConnections", &n.to_string());
    }
    match &site.charset {
        CharsetChoice::Auto => field(out, "EncodingType", "Auto"),
        CharsetChoice::ForceUtf8 => field(out, "EncodingType", "UTF-8"),
        CharsetChoice::Custom(name) => {
            field(out, "EncodingType", "Custom");
            field(out, "CustomEncoding", name);
        }
    }
    let commands = site
        .post_logon_commands
        .iter()
        .filter(|c| !c.trim().is_empty());
    if site.protocol != Protocol::Sftp && commands.clone().next().is_some() {
        writeln!(out, "{pad}<PostLoginCommands>").ok();
        for command in commands {
            writeln!(out, "{pad}\t<Command>{}</Command>", escape(command)).ok();
        }
        writeln!(out, "{pad}</PostLoginCommands>").ok();
    }
    field(out, "BypassProxy", "0");
    field(out, "Name", &site.name);
    if !site.comments.is_empty() {
        field(out, "Comments", &site.comments);
    }
    if let Some(dir) = &site.local_dir {
        field(out, "LocalDir", &dir.to_string_lossy());
    }
    if let Some(dir) = site.remote_dir.as_deref().filter(|d| !d.is_empty()) {
        field(out, "RemoteDir", &encode_remote_dir(dir));
    }
    field(
        out,
        "SyncBrowsing",
        if site.synchronized_browsing { "1" } else { "0" },
    );
    field(out, "DirectoryComparison", "0");
    let parameters = [
        (
            PARAM_PORT_RANGE,
            site.active_port_range.map(|r| r.to_string()),
        ),
        (PARAM_EXTERNAL_IP, site.external_ip.map(|ip| ip.to_string())),
        (
            PARAM_PASSIVE_FALLBACK,
            site.passive_fallback.map(|f| u8::from(f).to_string()),
        ),
    ];
    for (name, value) in parameters {
        if let Some(value) = value {
            writeln!(
                out,
                "{pad}<Parameter Name=\"{name}\">{}</Parameter>",
                escape(&value)
            )
            .ok();
        }
    }
    for bookmark in &site.bookmarks {
        bookmarks::write_bookmark(out, bookmark, depth + 1);
    }
    writeln!(out, "{outer}</Server>").ok();
}

/// Text or attribute content for XML 1.0: markup characters escaped, CR kept as a character
/// reference (a parser would turn a raw one into LF), characters XML 1.0 cannot carry replaced.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

// ---- A small element tree -------------------------------------------------------------------

#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }

    fn child<'a>(&'a self, name: &'a str) -> Option<&'a Element> {
        self.children_named(name).next()
    }

    /// The element's own text, as pugixml's `child_value()`: its first run of text that is not
    /// only whitespace (text after child elements is a separate run).
    fn text(&self) -> String {
        self.children
            .iter()
            .find_map(|c| match c {
                Node::Text(t) if !t.trim().is_empty() => Some(t.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn child_text(&self, name: &str) -> String {
        self.child(name).map(Element::text).unwrap_or_default()
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn push_text(&mut self, text: &str) {
        if let Some(Node::Text(last)) = self.children.last_mut() {
            last.push_str(text);
        } else {
            self.children.push(Node::Text(text.to_owned()));
        }
    }
}

fn parse(xml: &[u8]) -> Result<Element, FilezillaError> {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    let error_at = |pos: u64, reason: String| {
        let (line, column) = line_and_column(xml, pos);
        FilezillaError::Xml {
            line,
            column,
            reason,
        }
    };
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => return Err(error_at(reader.error_position(), e.to_string())),
        };
        let here = reader.buffer_position();
        let text_error = |e: &dyn std::fmt::Display| error_at(here, e.to_string());
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(FilezillaError::TooDeep {
                        limit: MAX_DEPTH,
                        line: line_and_column(xml, here).0,
                    });
                }
                if root.is_some() {
                    return Err(error_at(here, "content after the root element".into()));
                }
                stack.push(element(&start).map_err(|e| text_error(&e))?);
            }
            Event::Empty(start) => {
                let el = element(&start).map_err(|e| text_error(&e))?;
                attach(&mut stack, &mut root, el).map_err(|e| error_at(here, e))?;
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(error_at(
                        here,
                        "a closing tag without its opening tag".into(),
                    ));
                };
                attach(&mut stack, &mut root, el).map_err(|e| error_at(here, e))?;
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| text_error(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.push_text(&text);
                }
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| text_error(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.push_text(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| text_error(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| text_error(&e))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(error_at(here, format!("unknown entity &{name};")));
                            }
                        }
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.push_text(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if let Some(open) = stack.last() {
        return Err(error_at(
            xml.len() as u64,
            format!("the file ends inside <{}>", open.name),
        ));
    }
    root.ok_or_else(|| error_at(0, "no root element".into()))
}

/// 1-based line and column (in characters) of byte offset `pos`.
fn line_and_column(xml: &[u8], pos: u64) -> (usize, usize) {
    let pos = usize::try_from(pos).unwrap_or(xml.len()).min(xml.len());
    let before = &xml[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8(start.name().as_ref().to_vec())
        .map_err(|_| "an element name is not UTF-8".to_owned())?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = String::from_utf8(attr.key.as_ref().to_vec())
            .map_err(|_| "an attribute name is not UTF-8".to_owned())?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(el)),
        None if root.is_none() => *root = Some(el),
        None => return Err("content after the root element".into()),
    }
    Ok(())
}

// ---- base64, as FileZilla stores passwords ----------------------------------------------------

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64; whitespace is ignored and padding optional, as FileZilla's decoder allows.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = false;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return None;
        }
        let value = BASE64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

mod bookmarks;
pub use bookmarks::export_bookmarks;

#[cfg(test)]
mod tests;
