//! The headless command line: `skiff ls|find|get|put|mkdir|rmdir|rm|mv|chmod|diagnose` and
//! `skiff sites ...`, over the same engine as the desktop window (`cli::engine`): every
//! server operation is an engine command, so a test of the CLI against a real server proves
//! the window's code path too. A contract for scripts: commands are extended, never renamed;
//! every flag a command accepts has an effect there (clap refuses the others).

mod bookmarks;
mod common;
mod diagnose;
mod engine;
mod find;
mod ls;
mod manage;
mod progress;
mod sites;
mod sync;
mod transfer;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::net::{DataMode, PortRange};
use crate::proto::charset::Charset;

#[derive(Debug, Parser)]
#[command(
    name = "skiff",
    version,
    about = "Skiff: a fast, safe FTP, FTPS and SFTP client",
    long_about = "Skiff: a fast, safe FTP, FTPS and SFTP client.\n\n\
        Run without a subcommand (or with just a URL) to open the desktop app.\n\
        URLs: ftp://[user[:password]@]host[:port]/path (the password may also come from\n\
        SKIFF_PASSWORD); ftpes:// and ftps:// select explicit and implicit TLS, sftp://\n\
        SFTP over SSH (key passphrase from SKIFF_KEY_PASSPHRASE).\n\
        With --site NAME (a saved site, see `skiff sites`), give a remote path instead of a URL."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Open the window and connect to this ftp://, ftpes://, ftps:// or sftp:// URL.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// List a remote directory (with --site and no path: the site's default remote folder).
    Ls {
        #[arg(value_name = "URL")]
        url: Option<String>,
        /// Print one JSON array of {name, kind, size, modified, permissions, target}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Search a remote folder tree (with --site and no path: the site's default remote
    /// folder) for entries whose every given condition holds, printing their paths as they
    /// are found. A folder that cannot be listed is a warning (exit code 1 at the end).
    Find {
        #[arg(value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        find: find::FindArgs,
        /// Print one JSON object per line, as found: {path, raw, kind, size, modified,
        /// permissions}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Download a file (LOCAL: a file, or an existing directory; default: the current
    /// directory); with -r, a directory's contents into LOCAL (created when missing).
    Get {
        url: String,
        local: Option<std::path::PathBuf>,
        #[command(flatten)]
        transfer: TransferArgs,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Upload a file (a URL ending in / means into that directory); with -r, a directory's
    /// contents into the URL's directory (created when missing).
    Put {
        local: std::path::PathBuf,
        url: String,
        #[command(flatten)]
        transfer: TransferArgs,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Make a folder's contents those of another, one way (as `lftp mirror`): what is only
    /// in the source is copied, what differs (by size and time) is updated, what is only
    /// in the target is kept unless --delete. One of SOURCE and TARGET is a URL (or, with
    /// --site NAME, site:PATH), the other a local folder. The plan is made first and
    /// printed; --dry-run stops there, --confirm asks before running it. A file that
    /// changes on either side after the plan is left alone as a conflict. Copies keep
    /// their source's modification time where the other side can set it.
    Sync {
        /// Where the contents come from: a local folder, or a URL (with --site: site:PATH).
        source: String,
        /// The folder made to hold them: a URL (site:PATH), or a local folder.
        target: String,
        #[command(flatten)]
        sync: SyncArgs,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Create a remote directory.
    Mkdir {
        url: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Remove an empty remote directory.
    Rmdir {
        url: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Delete a remote file.
    Rm {
        url: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Rename or move a remote file or directory (a relative NEW_REMOTE_PATH stays in the URL's directory).
    Mv {
        url: String,
        new_remote_path: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Change a remote file's or directory's permissions (SITE CHMOD on FTP servers).
    Chmod {
        /// Octal permission bits, as chmod(1) takes them: 644, 0755, 2775.
        #[arg(value_parser = parse_mode)]
        mode: u32,
        url: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Send a command as typed (FTP only; SFTP has none) and print the server's reply:
    /// `skiff quote ftp://host/ 'SITE CHMOD 644 x'`. A reply of 400 or more exits with 1.
    Quote {
        url: String,
        /// The whole command line, one line (CR, LF and NUL are refused).
        command: String,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Find out which data-connection mode works with a server: log on, list a directory
    /// through EPSV, PASV (address as sent, and the server's own), EPRT and PORT, plainly and
    /// under TLS when offered; print a table with verdicts and the flags to use. --timeout
    /// bounds each step of an attempt (default 5 s).
    Diagnose {
        #[arg(value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        active: ActiveArgs,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Saved sites: list, add, remove, import from FileZilla, export for FileZilla.
    Sites {
        #[command(subcommand)]
        command: sites::SitesCommand,
    },
    /// List bookmarks (a local and a remote folder by name, as the window's Bookmarks menu):
    /// the global ones and every site's, or with --site one site's; or --export the global
    /// ones for FileZilla (a site's go with `skiff sites export`).
    Bookmarks {
        /// Only this saved site's bookmarks (NAME, or FOLDER/NAME where names repeat).
        #[arg(long, value_name = "NAME")]
        site: Option<String>,
        /// Print one JSON array of {site, name, local_dir, remote_dir, sync_browsing,
        /// directory_comparison}; site is null for a global bookmark.
        #[arg(long)]
        json: bool,
        /// Instead of listing, write the global bookmarks as FileZilla's bookmarks.xml to
        /// FILE (FileZilla reads it from its settings folder).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["site", "json"])]
        export: Option<std::path::PathBuf>,
        /// With --export: replace FILE if it exists.
        #[arg(long, requires = "export")]
        overwrite: bool,
    },
}

/// Which entries of a tree a recursive command takes.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Leave out entries matching GLOB (a name, or with a `/` a path below the folder;
    /// `*`, `?`, `[...]`, `{a,b}`, `**`); an excluded folder is not entered. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Take only files matching GLOB (folders are still entered). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out version-control folders (.git, .svn, .hg, .bzr, CVS, _darcs, .fossil).
    #[arg(long)]
    pub exclude_vcs: bool,
    /// Leave out editors' backup, swap and lock files (*~, *.swp, .#*, #*#, *.tmp, ...).
    #[arg(long)]
    pub exclude_temp: bool,
    /// Match --exclude and --include without regard to case.
    #[arg(long)]
    pub ignore_case: bool,
}

impl FilterArgs {
    /// The patterns given; `None` when there are none.
    pub(crate) fn patterns(&self) -> Option<crate::folder_sync::Patterns> {
        use crate::folder_sync::filter::{EDITOR_TEMPORARIES, VERSION_CONTROL};
        let mut exclude = self.exclude.clone();
        let builtin = |on: bool, set: &[&str]| {
            set.iter()
                .filter(move |_| on)
                .map(|p| (*p).to_owned())
                .collect::<Vec<_>>()
        };
        exclude.extend(builtin(self.exclude_vcs, VERSION_CONTROL));
        exclude.extend(builtin(self.exclude_temp, EDITOR_TEMPORARIES));
        let patterns = crate::folder_sync::Patterns {
            exclude,
            include: self.include.clone(),
            ignore_case: self.ignore_case,
            rules: Vec::new(),
        };
        (!patterns.is_empty()).then_some(patterns)
    }
}

/// Options of sync.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Also delete what is only in the target (local files go to the desktop's trash).
    #[arg(long)]
    pub delete: bool,
    /// Delete local files for good instead of moving them to the trash.
    #[arg(long, requires = "delete")]
    pub no_trash: bool,
    /// Print the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// Print the plan and ask before running it (the answer is read from stdin).
    #[arg(long, conflicts_with = "dry_run")]
    pub confirm: bool,
    /// How files are judged different: time (size and modification time, the default),
    /// size, or checksum (size, then the contents' checksums where the sizes are equal,
    /// computed by the server with HASH, XSHA256, XSHA1, XMD5 ...; FTP servers that offer
    /// one).
    #[arg(long, value_name = "HOW", default_value = "time", value_parser = parse_criterion)]
    pub compare: crate::folder_sync::Criterion,
    /// Never replace a target file that is newer than the source.
    #[arg(long)]
    pub only_newer: bool,
    /// Seconds two modification times may differ and still count as the same (default 2;
    /// times listed with minutes or only a date are compared at that precision anyway).
    #[arg(long, value_name = "SECS", default_value_t = crate::folder_sync::compare::DEFAULT_TOLERANCE_SECS)]
    pub tolerance: i64,
    /// Transfers at once, each on its own connection (1 to 10; default: the site's
    /// maximum, or `parallel` in settings.toml, 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    pub parallel: Option<u8>,
    /// Speed limit in bytes per second, curl-style: 500K, 20M (shared by parallel transfers).
    #[arg(long, value_name = "RATE", value_parser = crate::rate::parse_rate)]
    pub limit_rate: Option<u64>,
}

fn parse_criterion(text: &str) -> Result<crate::folder_sync::Criterion, String> {
    match text {
        "time" => Ok(crate::folder_sync::Criterion::Time),
        "size" => Ok(crate::folder_sync::Criterion::Size),
        "checksum" => Ok(crate::folder_sync::Criterion::Checksum),
        _ => Err(format!(
            "{text:?}: compare by `time` (size and modification time), `size`, or `checksum`"
        )),
    }
}

/// Options of get and put.
#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// With -r: which entries to take.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Give copies their source's modification time (downloads: the server's; uploads: set
    /// on the server with MFMT or SFTP, where it can). Default: settings.toml's or the site's.
    #[arg(long)]
    pub preserve_times: bool,
    /// Speed limit in bytes per second, curl-style: 500K, 20M (shared by parallel transfers).
    #[arg(long, value_name = "RATE", value_parser = crate::rate::parse_rate)]
    pub limit_rate: Option<u64>,
    /// Copy a directory's contents, recursively, as `lftp mirror` does.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// With -r: transfers at once, each on its own connection (1 to 10; default: the
    /// site's maximum, or `parallel` in settings.toml, 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=10))]
    pub parallel: Option<u8>,
    /// Replace an existing target.
    #[arg(long)]
    pub overwrite: bool,
    /// Continue a partial transfer (a download's NAME.part, or an upload's remote file).
    #[arg(long)]
    pub resume: bool,
    /// Leave files that already exist at the target alone.
    #[arg(long)]
    pub skip_existing: bool,
    /// Replace an existing target only when the source is newer.
    #[arg(long)]
    pub newer: bool,
    /// Replace an existing target when the source is newer or its size differs (an update
    /// of a copy made before).
    #[arg(long)]
    pub newer_or_size: bool,
    /// Transfer in ASCII mode (TYPE A) with line-ending conversion.
    #[arg(long)]
    pub ascii: bool,
}

/// How data connections (listings, transfers) are made. Those without a value here come
/// from the site (`--site`), then from settings.toml, then from Skiff's defaults.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Data connection mode: passive (EPSV/PASV), active (EPRT/PORT), or auto (passive, then
    /// active). Default: the site's, else settings.toml's (passive with active fallback).
    #[arg(long, value_name = "MODE")]
    pub mode: Option<DataMode>,
    /// Passive mode: connect to the address in the server's 227 reply instead of the server's
    /// own address (only for unusual setups; the default protects against bad replies).
    #[arg(long)]
    pub use_pasv_address: bool,
    /// Passive mode: skip EPSV and use PASV (for servers with a broken EPSV).
    #[arg(long)]
    pub disable_epsv: bool,
}

/// Where active mode listens and what it announces.
#[derive(Debug, Clone, Args)]
pub struct ActiveArgs {
    /// Active mode: listen only on local ports MIN-MAX (so a firewall can allow exactly those).
    #[arg(long, value_name = "MIN-MAX")]
    pub port_range: Option<PortRange>,
    /// Active mode: announce this address instead of the local one (behind NAT).
    #[arg(long, value_name = "ADDR")]
    pub external_ip: Option<std::net::IpAddr>,
}

/// Options every subcommand that connects takes. Those without a value here come from the
/// site (`--site`), then from settings.toml, then from Skiff's defaults.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Use this saved site (NAME, or FOLDER/NAME where names repeat): its server, protocol,
    /// logon, mode, port range, external IP, charset and saved password. The URL argument is
    /// then a remote path (relative: inside the site's default remote folder).
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,
    /// Print the message log (every command and reply) to stderr.
    #[arg(long)]
    pub log: bool,
    /// Seconds to wait on any network step, 1 to 3600 (default: settings.toml's, 20).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
    /// The server's charset for file names: utf-8 (default, or the site's), cp949/euc-kr,
    /// shift_jis, gb18030, big5, windows-1252, iso-8859-2, ...
    #[arg(long, value_name = "NAME", value_parser = parse_charset)]
    pub encoding: Option<Charset>,
    /// Trust the server certificate with this SHA-256 fingerprint (and remember it).
    #[arg(long, value_name = "SHA256")]
    pub trust_fingerprint: Vec<String>,
    /// With ftp:// URLs: use explicit TLS when the server offers it, plain FTP when not.
    #[arg(long)]
    pub tls_if_available: bool,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// FTP: list with LIST -a, so that files whose names start with a dot (.htaccess) are
    /// listed and copied by servers that hide them (vsftpd); MLSD and SFTP list them anyway.
    #[arg(long)]
    pub list_hidden: bool,
    /// SFTP: trust the server's host key with this fingerprint (SHA256:..., as
    /// `ssh-keygen -lf` prints it) and remember it.
    #[arg(long, value_name = "SHA256")]
    pub trust_host_key: Vec<String>,
    /// SFTP: log on with this private key file (OpenSSH format), before the agent and
    /// ~/.ssh/id_*.
    #[arg(long, value_name = "FILE")]
    pub key_file: Vec<std::path::PathBuf>,
}

/// A command line that asks for something the command cannot do: exit code 2, as clap's.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if (1..=4).contains(&digits.len()) && mode <= 0o7777 => Ok(mode),
        _ => Err(format!(
            "{text:?} is not a permission mode: give octal digits, as chmod(1) takes them (644, 0755)"
        )),
    }
}

fn parse_charset(name: &str) -> Result<Charset, String> {
    Charset::from_name(name).map_err(|e| e.to_string())
}

/// The desktop window, when this build has one.
#[cfg(feature = "gui")]
fn open_window(url: Option<String>) -> anyhow::Result<()> {
    crate::gui::run(url)
}

/// A build without the `gui` feature is the command line only: say so, and how to get it.
#[cfg(not(feature = "gui"))]
fn open_window(_url: Option<String>) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build of skiff has no GUI (built without the `gui` feature): use a subcommand \
         such as `skiff ls URL`, or rebuild with the default features"
    )
}

impl CliCommand {
    /// The async runtime's threads for this command. One connection at a time, a single file
    /// or a tree with `--parallel 1`: one thread, where a second one only moved the transfer
    /// between cores and took CPU from the server's side (a 1 GiB FTPS get: 2.23 s against
    /// 2.54 s on two cores, plain FTP the same, bench/big.sh; 1,000 small files one after
    /// another: 0.58 s against 0.60 s). Everything else gets a thread per core, as the
    /// window: with one, every connection of a parallel transfer waited for the others' local
    /// file work (bench/mirror.sh, --parallel 4).
    fn worker_threads(&self) -> usize {
        match self {
            CliCommand::Get { transfer, .. } | CliCommand::Put { transfer, .. }
                if !transfer.recursive || transfer.parallel == Some(1) =>
            {
                1
            }
            _ => std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}

/// Runs the CLI and maps the outcome to an exit code (0 ok, 1 failure, 2 usage).
pub fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        // No subcommand: the desktop app. Without a display, say so and show the CLI.
        return match open_window(cli.url) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                use clap::CommandFactory as _;
                common::fail(&err);
                Cli::command().print_help().ok();
                ExitCode::from(2)
            }
        };
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(command.worker_threads())
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => return common::fail(&anyhow::anyhow!("cannot start the async runtime: {err}")),
    };
    let result = runtime.block_on(async move {
        match command {
            CliCommand::Ls {
                url,
                json,
                data,
                active,
                common,
            } => {
                let target = common::resolve(url.as_deref(), &common, Some(&data), Some(&active))?;
                ls::run(target, json).await
            }
            CliCommand::Find {
                url,
                find,
                json,
                data,
                active,
                common,
            } => {
                let target = common::resolve(url.as_deref(), &common, Some(&data), Some(&active))?;
                find::run(target, &find, json).await
            }
            CliCommand::Get {
                url,
                local,
                transfer,
                data,
                active,
                common,
            } => {
                let target = common::resolve(Some(&url), &common, Some(&data), Some(&active))?;
                transfer::get(target, local.as_deref(), &transfer).await
            }
            CliCommand::Put {
                local,
                url,
                transfer,
                data,
                active,
                common,
            } => {
                let target = common::resolve(Some(&url), &common, Some(&data), Some(&active))?;
                transfer::put(target, &local, &transfer).await
            }
            CliCommand::Sync {
                source,
                target,
                sync,
                filter,
                data,
                active,
                common,
            } => sync::run(&source, &target, &sync, &filter, &data, &active, &common).await,
            CliCommand::Mkdir { url, common } => manage::mkdir(&url, &common).await,
            CliCommand::Rmdir { url, common } => manage::rmdir(&url, &common).await,
            CliCommand::Rm { url, common } => manage::rm(&url, &common).await,
            CliCommand::Mv {
                url,
                new_remote_path,
                common,
            } => manage::mv(&url, &new_remote_path, &common).await,
            CliCommand::Chmod { mode, url, common } => manage::chmod(mode, &url, &common).await,
            CliCommand::Quote {
                url,
                command,
                common,
            } => manage::quote(&url, command, &common).await,
            CliCommand::Diagnose {
                url,
                active,
                common,
            } => diagnose::run(url.as_deref(), &active, &common).await,
            CliCommand::Sites { command } => sites::run(command),
            CliCommand::Bookmarks {
                export: Some(file),
                overwrite,
                ..
            } => bookmarks::export(&file, overwrite),
            CliCommand::Bookmarks { site, json, .. } => bookmarks::list(site.as_deref(), json),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<UsageError>().is_some() => {
            common::fail(&err);
            ExitCode::from(2)
        }
        Err(err) => common::fail(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads(args: &[&str]) -> usize {
        let cli = Cli::try_parse_from(args).unwrap();
        cli.command.unwrap().worker_threads()
    }

    #[test]
    fn one_connection_at_a_time_runs_on_one_thread() {
        let url = "ftp://127.0.0.1/dir";
        assert_eq!(threads(&["skiff", "get", url]), 1);
        assert_eq!(threads(&["skiff", "put", "file", url]), 1);
        assert_eq!(threads(&["skiff", "get", "-r", url, "--parallel", "1"]), 1);
        assert_eq!(
            threads(&["skiff", "put", "-r", "dir", url, "--parallel", "1"]),
            1
        );
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        assert_eq!(threads(&["skiff", "get", "-r", url]), cores);
        assert_eq!(
            threads(&["skiff", "get", "-r", url, "--parallel", "4"]),
            cores
        );
        assert_eq!(threads(&["skiff", "ls", url]), cores);
    }
}
