//! `skiff sites list | add | remove | import-filezilla FILE | export FILE`: the Site Manager's
//! sites from the command line. Sites go to `sites.toml` (atomic, 0600); passwords only to the
//! password store (settings.toml's `password_store`, or `--password-store`, which is then
//! remembered there). A damaged or newer `sites.toml` is reported and never written over: the
//! loader kept a backup, and the user decides.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::cli::common::{
    StorePurpose, env_secret, load_settings, load_sites, open_store, read_secret, stdout_json,
    stdout_line, warn,
};
use crate::net::{DataMode, PortRange};
use crate::proto::charset::Charset;
use crate::secret::Secret;
use crate::sites::bookmark::{self, GlobalBookmarks};
use crate::sites::config_file::ConfigProblem;
use crate::sites::credentials::{PasswordStore, StoreKind};
use crate::sites::filezilla;
use crate::sites::settings::Settings;
use crate::sites::site::{CharsetChoice, LogonType, Protocol, Site, SiteDataMode, SiteList};
use crate::url::FtpUrl;

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// List saved sites: FOLDER/NAME, URL (never a password), data-connection mode.
    List {
        /// Print one JSON array with every field of every site.
        #[arg(long)]
        json: bool,
    },
    /// Save a site: NAME (or FOLDER/NAME) and an ftp://, ftpes://, ftps:// or sftp:// URL; the URL's
    /// path becomes the default remote folder, its password (or --ask-password) goes to the
    /// password store.
    Add(AddArgs),
    /// Delete a saved site and its saved password.
    Remove {
        /// NAME, or FOLDER/NAME where names repeat.
        name: String,
    },
    /// Change a site's saved password (asked without echo on a terminal, else taken from
    /// SKIFF_PASSWORD), or with --forget delete it, in the password store.
    Password {
        /// NAME, or FOLDER/NAME where names repeat.
        name: String,
        /// Delete the saved password instead (it is asked at the next connect).
        #[arg(long)]
        forget: bool,
    },
    /// Import FileZilla's sitemanager.xml (FileZilla 3.x): folders, sites with their
    /// bookmarks, settings; its passwords go to the password store. Sites whose names are
    /// taken get "name (2)". FileZilla's bookmarks.xml adds to the global bookmarks.
    ImportFilezilla {
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export the sites as a FileZilla 3.x file (FileZilla: File > Import), without passwords
    /// unless --with-passwords.
    Export {
        file: PathBuf,
        /// Include saved passwords, base64-encoded as FileZilla keeps them (readable by anyone
        /// who gets the file).
        #[arg(long)]
        with_passwords: bool,
        /// Replace FILE if it exists.
        #[arg(long)]
        overwrite: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Where passwords are saved: keyring (the OS keyring), master-password (an encrypted file;
    /// the master password comes from SKIFF_MASTER_PASSWORD or is asked on a terminal), or
    /// dont-save (asked at connect). Remembered in settings.toml. Default: settings.toml's.
    #[arg(long, value_name = "STORE", value_parser = parse_store)]
    pub password_store: Option<StoreKind>,
}

#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// NAME, or FOLDER/NAME (folders nest: Work/Clients/NAME).
    name: String,
    /// ftp://, ftpes:// or ftps:// [user[:password]@]host[:port][/remote-folder]
    url: String,
    /// ftp (plain), ftp-tls-if-available, ftpes (explicit TLS), ftps (implicit TLS).
    /// Default: the URL's scheme.
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_protocol)]
    protocol: Option<Protocol>,
    /// anonymous, normal, ask (asked at each connect), interactive, account. Default: normal
    /// with a user in the URL, anonymous without.
    #[arg(long, value_name = "LOGON", value_parser = parse_logon)]
    logon: Option<LogonType>,
    /// The ACCT account (with --logon account).
    #[arg(long, value_name = "ACCOUNT")]
    account: Option<String>,
    /// default (the global setting), active or passive.
    #[arg(long, value_name = "MODE", value_parser = parse_site_mode, default_value = "default")]
    mode: SiteDataMode,
    /// After a failed passive data connection, try active: true or false. Default: global.
    #[arg(long, value_name = "BOOL")]
    passive_fallback: Option<bool>,
    /// This site's local ports for active mode (a firewall rule for this server).
    #[arg(long, value_name = "MIN-MAX")]
    port_range: Option<PortRange>,
    /// This site's address to announce in active mode (behind NAT).
    #[arg(long, value_name = "ADDR")]
    external_ip: Option<std::net::IpAddr>,
    /// auto, utf-8, or a charset: cp949, shift_jis, gb18030, big5, ...
    #[arg(long, value_name = "NAME", value_parser = parse_charset_choice, default_value = "auto")]
    encoding: CharsetChoice,
    /// Transfers at once to this server (1 to 10). Default: global.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    max_connections: Option<u8>,
    /// Default local folder.
    #[arg(long, value_name = "DIR")]
    local_dir: Option<PathBuf>,
    /// Default remote folder (instead of the URL's path).
    #[arg(long, value_name = "DIR")]
    remote_dir: Option<String>,
    #[arg(long, value_name = "TEXT")]
    comments: Option<String>,
    /// Minutes added to the server's listing times (for servers that list in local time).
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true)]
    timezone_offset: Option<i32>,
    /// Ask for the password without echo (from SKIFF_PASSWORD when stdin is not a terminal).
    #[arg(long)]
    ask_password: bool,
    #[command(flatten)]
    store: StoreArgs,
}

fn parse_store(text: &str) -> Result<StoreKind, String> {
    match text {
        "keyring" => Ok(StoreKind::Keyring),
        "master-password" => Ok(StoreKind::MasterPassword),
        "dont-save" | "none" => Ok(StoreKind::DontSave),
        _ => Err("use keyring, master-password or dont-save".into()),
    }
}

fn parse_protocol(text: &str) -> Result<Protocol, String> {
    match text {
        "ftp" | "insecure-ftp" => Ok(Protocol::Ftp),
        "ftp-tls-if-available" | "tls-if-available" => Ok(Protocol::FtpTlsIfAvailable),
        "ftpes" | "explicit-tls" => Ok(Protocol::FtpExplicitTls),
        "ftps" | "implicit-tls" => Ok(Protocol::FtpImplicitTls),
        _ => Err("use ftp, ftp-tls-if-available, ftpes or ftps".into()),
    }
}

fn parse_logon(text: &str) -> Result<LogonType, String> {
    match text {
        "anonymous" => Ok(LogonType::Anonymous),
        "normal" => Ok(LogonType::Normal),
        "ask" | "ask-for-password" => Ok(LogonType::AskForPassword),
        "interactive" => Ok(LogonType::Interactive),
        "account" => Ok(LogonType::Account),
        _ => Err("use anonymous, normal, ask, interactive or account".into()),
    }
}

fn parse_site_mode(text: &str) -> Result<SiteDataMode, String> {
    match text {
        "default" => Ok(SiteDataMode::Default),
        "active" => Ok(SiteDataMode::Active),
        "passive" => Ok(SiteDataMode::Passive),
        _ => Err("use default, active or passive".into()),
    }
}

fn parse_charset_choice(text: &str) -> Result<CharsetChoice, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(CharsetChoice::Auto),
        "utf-8" | "utf8" | "force-utf-8" => Ok(CharsetChoice::ForceUtf8),
        _ => Charset::from_name(text)
            .map(|_| CharsetChoice::Custom(text.trim().to_owned()))
            .map_err(|e| e.to_string()),
    }
}

pub(crate) fn run(command: SitesCommand) -> anyhow::Result<()> {
    match command {
        SitesCommand::List { json } => list(json),
        SitesCommand::Add(args) => add(&args),
        SitesCommand::Remove { name } => remove(&name),
        SitesCommand::Password { name, forget } => password(&name, forget),
        SitesCommand::ImportFilezilla { file, store } => import(&file, &store),
        SitesCommand::Export {
            file,
            with_passwords,
            overwrite,
        } => export(&file, with_passwords, overwrite),
    }
}

fn sites_path() -> anyhow::Result<PathBuf> {
    SiteList::default_path().context("no configuration folder (is HOME set?)")
}

/// The site list to change: refused when `sites.toml` could not be read, so that nothing the
/// user had is written over.
fn sites_for_change() -> anyhow::Result<SiteList> {
    let (list, problem) = load_sites();
    if let Some(problem) = problem {
        refuse_change(&problem)?;
    }
    Ok(list)
}

fn refuse_change(problem: &ConfigProblem) -> anyhow::Result<()> {
    let (path, advice) = match problem {
        ConfigProblem::Damaged { path, backup, .. } | ConfigProblem::Newer { path, backup, .. } => {
            (
                path,
                format!(
                    "a copy is kept as {}; mend {} (or move it away to start with no sites), then run this again",
                    backup.display(),
                    path.display()
                ),
            )
        }
        ConfigProblem::Unreadable { path, .. } => (
            path,
            format!("make {} readable, then run this again", path.display()),
        ),
    };
    anyhow::bail!(
        "{} could not be read, so nothing was changed: {advice}",
        path.display()
    )
}

/// The store to save passwords in: `--password-store`, remembered in settings.toml when it
/// differs from it, or settings.toml's.
fn chosen_store(store: &StoreArgs) -> anyhow::Result<(StoreKind, Settings)> {
    let mut settings = load_settings();
    let Some(kind) = store.password_store else {
        return Ok((settings.password_store, settings));
    };
    if kind != settings.password_store {
        let path = Settings::default_path().context("no configuration folder (is HOME set?)")?;
        let loaded = Settings::load(&path);
        if let Some(problem) = &loaded.problem {
            refuse_change(problem)?;
        }
        settings = loaded.value;
        settings.password_store = kind;
        settings.save(&path)?;
        warn(&format!(
            "passwords are now saved in: {kind} (password_store in {})",
            path.display()
        ));
    }
    Ok((kind, settings))
}

fn mode_text(site: &Site, settings: &Settings) -> String {
    let mode = site.data_mode(settings.data_mode, settings.passive_fallback);
    let range = site.active_port_range.or(settings.active_port_range);
    let mut text = match mode {
        DataMode::Passive => "passive".to_owned(),
        DataMode::Active => "active".to_owned(),
        DataMode::Auto => "passive, then active".to_owned(),
    };
    if mode != DataMode::Passive
        && let Some(range) = range
    {
        text.push_str(&format!(" (ports {range})"));
    }
    if mode != DataMode::Passive
        && let Some(ip) = site.external_ip.or(settings.external_ip)
    {
        text.push_str(&format!(" (announces {ip})"));
    }
    text
}

#[derive(serde::Serialize)]
struct JsonSite<'a> {
    path: String,
    folder: &'a str,
    name: &'a str,
    url: String,
    mode: String,
    protocol: Protocol,
    host: &'a str,
    port: u16,
    logon: LogonType,
    user: &'a str,
    data_mode: SiteDataMode,
    active_port_range: Option<String>,
    external_ip: Option<std::net::IpAddr>,
    passive_fallback: Option<bool>,
    max_connections: Option<u8>,
    encoding: &'a CharsetChoice,
    local_dir: Option<&'a Path>,
    remote_dir: Option<&'a str>,
    timezone_offset_minutes: i32,
    comments: &'a str,
}

fn list(json: bool) -> anyhow::Result<()> {
    let settings = load_settings();
    let (list, _) = load_sites();
    let mut sites: Vec<&Site> = list.sites.iter().collect();
    sites.sort_by_key(|s| s.path());
    if json {
        let rows: Vec<JsonSite> = sites
            .iter()
            .map(|s| JsonSite {
                path: s.path(),
                folder: &s.folder,
                name: &s.name,
                url: site_url(s),
                mode: mode_text(s, &settings),
                protocol: s.protocol,
                host: &s.host,
                port: s.port(),
                logon: s.logon,
                user: &s.user,
                data_mode: s.data_mode,
                active_port_range: s.active_port_range.map(|r| r.to_string()),
                external_ip: s.external_ip,
                passive_fallback: s.passive_fallback,
                max_connections: s.max_connections,
                encoding: &s.charset,
                local_dir: s.local_dir.as_deref(),
                remote_dir: s.remote_dir.as_deref(),
                timezone_offset_minutes: s.timezone_offset_minutes,
                comments: &s.comments,
            })
            .collect();
        return stdout_json(&rows);
    }
    let rows: Vec<[String; 3]> = sites
        .iter()
        .map(|s| [s.path(), site_url(s), mode_text(s, &settings)])
        .collect();
    let width = |i: usize| rows.iter().map(|r| columns(&r[i])).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    for [path, url, mode] in &rows {
        let pad0 = w0 - columns(path);
        let pad1 = w1 - columns(url);
        stdout_line(&format!(
            "{path}{}  {url}{}  {mode}",
            " ".repeat(pad0),
            " ".repeat(pad1)
        ))?;
    }
    Ok(())
}

/// Terminal columns `text` takes: East Asian wide characters (Hangul, CJK, kana, full-width
/// forms, emoji) take two.
pub(crate) fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1FAFF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// The site as a URL (without a password), with its default remote folder.
fn site_url(site: &Site) -> String {
    let mut url = site.display_url();
    if site.protocol == Protocol::FtpTlsIfAvailable {
        url.push_str(" (TLS if available)");
    }
    match site.remote_dir.as_deref() {
        Some(dir) if dir.starts_with('/') => {
            url.insert_str(url.find(" (").unwrap_or(url.len()), dir)
        }
        _ => {}
    }
    url
}

fn add(args: &AddArgs) -> anyhow::Result<()> {
    let mut list = sites_for_change()?;
    let (folder, name) = split_name(&args.name)?;
    if list
        .sites
        .iter()
        .any(|s| s.folder == folder && s.name == name)
    {
        anyhow::bail!(
            "a site {:?} exists already; remove it first (skiff sites remove {:?})",
            args.name.trim_matches('/'),
            args.name.trim_matches('/')
        );
    }
    let url = FtpUrl::parse(&args.url)?;
    let protocol = args
        .protocol
        .unwrap_or_else(|| Protocol::from_scheme(url.scheme));
    let logon = args.logon.unwrap_or(if url.user.is_some() {
        LogonType::Normal
    } else {
        LogonType::Anonymous
    });
    if logon == LogonType::Account && args.account.as_deref().unwrap_or("").is_empty() {
        anyhow::bail!("--logon account needs --account ACCOUNT");
    }
    if logon != LogonType::Anonymous && url.user.is_none() {
        anyhow::bail!("the URL has no user name (ftp://USER@host/) for a {logon:?} logon");
    }
    let remote_dir = match &args.remote_dir {
        Some(dir) => Some(dir.clone()),
        None if url.path.is_empty() || url.path == b"/" => None,
        None => Some(
            String::from_utf8(url.path.clone())
                .context("the URL's path is not UTF-8 text; give --remote-dir")?,
        ),
    };
    let site = Site {
        name,
        folder,
        protocol,
        host: url.host.clone(),
        port: (url.port != protocol.default_port()).then_some(url.port),
        logon,
        user: url.user.clone().unwrap_or_default(),
        account: args.account.clone().unwrap_or_default(),
        comments: args.comments.clone().unwrap_or_default(),
        local_dir: args.local_dir.clone(),
        remote_dir,
        timezone_offset_minutes: args.timezone_offset.unwrap_or(0),
        data_mode: args.mode,
        active_port_range: args.port_range,
        external_ip: args.external_ip,
        passive_fallback: args.passive_fallback,
        max_connections: args.max_connections,
        charset: args.encoding.clone(),
        ..Site::default()
    };
    let password = match (url.password.clone(), args.ask_password) {
        (Some(_), true) => {
            anyhow::bail!("give the password in the URL or with --ask-password, not both")
        }
        (Some(password), false) => Some(password),
        (None, true) if std::io::stdin().is_terminal() => {
            Some(read_secret(&format!("Password for {}: ", site.display_url()))?)
        }
        (None, true) => Some(env_secret("SKIFF_PASSWORD").context(
            "--ask-password without a terminal takes the password from SKIFF_PASSWORD, which is not set",
        )?),
        (None, false) => None,
    }
    .filter(|p| !p.is_empty());
    if password.is_some() && !logon.saves_password() {
        anyhow::bail!(
            "a {} logon never saves a password; leave the password out",
            logon.label().to_lowercase()
        );
    }
    let mut saved_in = None;
    if let Some(password) = &password {
        let (kind, _) = chosen_store(&args.store)?;
        let mut store = open_store(kind, StorePurpose::Save)?;
        store.set(&site.id, password)?;
        saved_in = Some(store);
    } else if args.store.password_store.is_some() {
        chosen_store(&args.store)?;
    }
    let path = site.path();
    let shown = site_url(&site);
    list.sites.push(site);
    if let Err(err) = list.save(&sites_path()?) {
        if let (Some(store), Some(site)) = (saved_in.as_mut(), list.sites.last()) {
            store.remove(&site.id).ok();
        }
        return Err(err.into());
    }
    let password_note = match &saved_in {
        Some(store) if store.kind() == StoreKind::DontSave => {
            "; the password was not saved (password store: dont-save)".to_owned()
        }
        Some(store) => format!("; password saved in: {}", store.kind()),
        None => String::new(),
    };
    stdout_line(&format!("Saved site {path}: {shown}{password_note}"))
}

/// `Work/Clients/web` → (`Work/Clients`, `web`); each part cleaned.
fn split_name(text: &str) -> anyhow::Result<(String, String)> {
    let parts: Vec<&str> = text
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let Some((name, folders)) = parts.split_last() else {
        anyhow::bail!("a site needs a name");
    };
    let folder: Vec<String> = folders
        .iter()
        .map(|f| crate::sites::site::clean_name(f))
        .collect();
    Ok((folder.join("/"), crate::sites::site::clean_name(name)))
}

fn remove(name: &str) -> anyhow::Result<()> {
    let mut list = sites_for_change()?;
    let site = list.find(name)?.clone();
    let settings = load_settings();
    let mut note = "";
    let vault_missing = settings.password_store == StoreKind::MasterPassword
        && !crate::sites::credentials::MasterVault::exists(&crate::cli::common::config_dir()?);
    if site.logon.saves_password()
        && settings.password_store != StoreKind::DontSave
        && !vault_missing
    {
        let mut store = open_store(settings.password_store, StorePurpose::Save)?;
        store.remove(&site.id)?;
        note = " and its saved password";
    }
    list.sites.retain(|s| s.id != site.id);
    list.save(&sites_path()?)?;
    stdout_line(&format!("Removed site {}{note}", site.path()))
}

fn password(name: &str, forget: bool) -> anyhow::Result<()> {
    let (list, _) = load_sites();
    let site = list.find(name)?.clone();
    if !site.logon.saves_password() {
        anyhow::bail!(
            "site {} has a {} logon, which saves no password",
            site.path(),
            site.logon.label().to_lowercase()
        );
    }
    let settings = load_settings();
    if settings.password_store == StoreKind::DontSave {
        anyhow::bail!(
            "passwords are not saved (password_store = \"dont-save\" in settings.toml); choose \
             a store with `skiff sites add --password-store`"
        );
    }
    let mut store = open_store(settings.password_store, StorePurpose::Save)?;
    if forget {
        store.remove(&site.id)?;
        return stdout_line(&format!(
            "Forgot the saved password of site {} ({})",
            site.path(),
            store.kind()
        ));
    }
    let password = if std::io::stdin().is_terminal() {
        read_secret(&format!("New password for {}: ", site.display_url()))?
    } else {
        env_secret("SKIFF_PASSWORD").context(
            "without a terminal the new password comes from SKIFF_PASSWORD, which is not set",
        )?
    };
    if password.is_empty() {
        anyhow::bail!("an empty password is not saved; use --forget to delete the saved one");
    }
    store.set(&site.id, &password)?;
    stdout_line(&format!(
        "Saved the new password of site {} in: {}",
        site.path(),
        store.kind()
    ))
}

fn import(file: &Path, store_args: &StoreArgs) -> anyhow::Result<()> {
    let imported = crate::sites::read_filezilla_file(file)?;
    let mut list = sites_for_change()?;
    let mut store: Option<PasswordStore> = None;
    if !imported.passwords.is_empty() || store_args.password_store.is_some() {
        let (kind, _) = chosen_store(store_args)?;
        if !imported.passwords.is_empty() {
            store = Some(open_store(kind, StorePurpose::Save)?);
        }
    }
    let count = imported.sites.len();
    let folders = imported.folders.len();
    let mut warnings = imported.warnings;
    warnings.extend(filezilla::merge_into(
        &mut list,
        imported.sites,
        &imported.folders,
    ));
    let global = imported.bookmarks.len();
    if global > 0 {
        // FileZilla's bookmarks.xml: its bookmarks join the global ones.
        let path =
            GlobalBookmarks::default_path().context("no configuration folder (is HOME set?)")?;
        let loaded = GlobalBookmarks::load(&path);
        if let Some(problem) = &loaded.problem {
            refuse_change(problem)?;
        }
        let mut bookmarks = loaded.value;
        warnings.extend(bookmark::merge(
            &mut bookmarks.bookmarks,
            imported.bookmarks,
            "the global bookmarks",
        ));
        bookmarks.save(&path)?;
    }
    if count > 0 || global == 0 {
        list.save(&sites_path()?)?;
    }
    let mut saved = 0;
    if let Some(store) = store.as_mut() {
        for (id, password) in &imported.passwords {
            store.set(id, password).with_context(|| {
                format!(
                    "the sites were imported, but saving their passwords failed after {saved} of {}",
                    imported.passwords.len()
                )
            })?;
            saved += 1;
        }
    }
    for warning in &warnings {
        warn(warning);
    }
    let passwords = match &store {
        Some(store) if store.kind() == StoreKind::DontSave => format!(
            "; {} passwords not saved (password store: dont-save)",
            imported.passwords.len()
        ),
        Some(store) => format!("; {saved} passwords saved in: {}", store.kind()),
        None => String::new(),
    };
    let global = match global {
        0 => String::new(),
        n => format!("; {n} global bookmarks"),
    };
    stdout_line(&format!(
        "Imported {count} sites in {folders} folders from {}{passwords}{global}; {} warning(s)",
        file.display(),
        warnings.len()
    ))
}

fn export(file: &Path, with_passwords: bool, overwrite: bool) -> anyhow::Result<()> {
    if file.exists() && !overwrite {
        anyhow::bail!(
            "{} exists; choose another file or add --overwrite",
            file.display()
        );
    }
    let (list, _) = load_sites();
    let mut passwords: HashMap<String, Secret> = HashMap::new();
    if with_passwords && list.sites.iter().any(|s| s.logon.saves_password()) {
        let settings = load_settings();
        let store = open_store(settings.password_store, StorePurpose::Read)?;
        for site in list.sites.iter().filter(|s| s.logon.saves_password()) {
            if let Some(password) = store.get(&site.id)? {
                passwords.insert(site.id.clone(), password);
            }
        }
    }
    let lookup = |site: &Site| passwords.get(&site.id).cloned();
    let lookup: filezilla::PasswordLookup<'_> = &lookup;
    let xml = filezilla::export(&list, with_passwords.then_some(lookup));
    let target = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir()?.join(file)
    };
    crate::sites::write_atomically(&target, xml.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    let note = if with_passwords {
        format!(
            " with {} passwords (base64, as FileZilla keeps them: anyone with the file can read them)",
            passwords.len()
        )
    } else {
        " without passwords".to_owned()
    };
    stdout_line(&format!(
        "Exported {} sites to {}{note}",
        list.sites.len(),
        file.display()
    ))
}
