//! `skiff find URL [--name GLOB] [--regex RE] [--ignore-case] [--min-size N] [--max-size N]
//! [--newer DATE] [--older DATE] [--max-depth N] [--json]`: a remote search on the engine's
//! browsing session, as the window's Server > Search remote files runs it. Paths are
//! printed as they are found; a folder that cannot be listed is a warning, the search goes
//! on, and the exit code is 1 at the end.

use clap::Args;

use crate::cli::UsageError;
use crate::cli::common::{Target, stdout_line, warn};
use crate::cli::engine::CliEngine;
use crate::cli::ls::NAME_ESCAPES;
use crate::engine::RemoteOp;
use crate::folder_sync::rules::{Condition, DateOp, TextOp};
use crate::proto::charset::Charset;
use crate::proto::listing::{Entry, EntryKind};
use crate::search::{Criteria, at_least, at_most, parse_size};

/// What `skiff find` looks for; every condition given must hold.
#[derive(Debug, Clone, Args)]
pub struct FindArgs {
    /// Names matching GLOB (`*`, `?`, `[...]`, `{a,b}`; the whole name).
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Names in which the regular expression RE is found (anchor it with ^ and $).
    #[arg(long, value_name = "RE")]
    pub regex: Option<String>,
    /// Match --name and --regex without regard to case.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,
    /// Files of at least this size: bytes, or with K, M, G (powers of 1024): 10K, 5M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub min_size: Option<u64>,
    /// Files of at most this size.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Modified after DATE (2024-05-31: after that day, UTC; 2024-05-31 14:30: that minute).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub newer: Option<String>,
    /// Modified before DATE (2024-05-31: before that day began, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub older: Option<String>,
    /// Look at most N folder levels deep: 1 is the folder's own entries (as find -maxdepth).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_depth: Option<u32>,
    /// Only files (f) or only folders (d).
    #[arg(long = "type", value_name = "f|d", value_parser = ["f", "d"])]
    pub kind: Option<String>,
}

fn parse_date(text: &str) -> Result<String, String> {
    crate::folder_sync::rules::parse_moment(text)
        .map(|_| text.trim().to_owned())
        .ok_or_else(|| format!("{text:?} is not a date: write 2024-05-31 or 2024-05-31 14:30"))
}

impl FindArgs {
    /// The search's criteria.
    pub(crate) fn criteria(&self) -> Criteria {
        let mut conditions = Vec::new();
        if let Some(glob) = &self.name {
            conditions.push(Condition::name(TextOp::Glob, glob));
        }
        if let Some(regex) = &self.regex {
            conditions.push(Condition::name(TextOp::Regex, regex));
        }
        conditions.extend(self.min_size.and_then(at_least));
        conditions.extend(self.max_size.map(at_most));
        let date = |op, value: &String| Condition::Modified {
            op,
            value: value.clone(),
        };
        conditions.extend(self.newer.iter().map(|d| date(DateOp::After, d)));
        conditions.extend(self.older.iter().map(|d| date(DateOp::Before, d)));
        Criteria {
            conditions,
            case_sensitive: !self.ignore_case,
            files: self.kind.as_deref() != Some("d"),
            folders: self.kind.as_deref() != Some("f"),
            max_depth: self.max_depth,
        }
    }
}

/// One entry found, as `--json` prints it (one object per line, as found).
#[derive(serde::Serialize)]
struct JsonFound {
    path: String,
    /// The server's bytes for the path, percent-encoded: usable in a URL whatever the charset.
    raw: String,
    kind: EntryKind,
    size: Option<u64>,
    modified: Option<String>,
    permissions: Option<String>,
}

impl JsonFound {
    fn new(entry: &Entry, charset: Charset) -> Self {
        Self {
            path: charset.decode(&entry.name).into_owned(),
            raw: percent_encoding::percent_encode(&entry.name, NAME_ESCAPES).to_string(),
            kind: entry.kind,
            size: entry.size,
            modified: entry.modified.map(|t| t.to_rfc3339()),
            permissions: entry.permissions.as_deref().map(str::to_owned),
        }
    }
}

pub(crate) async fn run(target: Target, args: &FindArgs, json: bool) -> anyhow::Result<()> {
    let criteria = args.criteria();
    // A bad pattern is the command line's fault: said before connecting, exit code 2.
    if let Err(bad) = criteria.compile() {
        return Err(UsageError(format!("{:?}: {}", bad.pattern, bad.reason)).into());
    }
    let charset = target.charset;
    let root = target.remote_path()?;
    let mut engine = CliEngine::start(&target, crate::setup::engine_settings(&target.settings));
    let mut unlisted = 0usize;
    let mut print = |folder: &[u8], found: Result<&[Entry], &crate::remote::RemoteError>| {
        match found {
            Ok(entries) => {
                for entry in entries {
                    if json {
                        let line = serde_json::to_string(&JsonFound::new(entry, charset))?;
                        // JSON escapes controls itself; printed exactly.
                        use std::io::Write as _;
                        writeln!(std::io::stdout().lock(), "{line}")?;
                    } else {
                        stdout_line(&charset.decode(&entry.name))?;
                    }
                }
            }
            Err(err) => {
                unlisted += 1;
                warn(&format!("{}: {err}", charset.decode(folder)));
            }
        }
        Ok(())
    };
    let op = RemoteOp::Search {
        root,
        criteria: std::sync::Arc::new(criteria),
        cancel: crate::cancel::Cancel::new(),
    };
    let result = engine.search(op, &mut print).await;
    let result = result.map(|searched| searched.map_err(|err| engine.error(&err)));
    engine.shutdown().await;
    result??;
    if unlisted > 0 {
        anyhow::bail!(
            "{unlisted} folder{} could not be listed (named above); the rest was searched",
            if unlisted == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
