//! `skiff diagnose URL`, `skiff diagnose --site NAME`: which data-connection method works
//! with this server, as a table with verdicts, and the recommended flags.

use std::time::Duration;

use crate::cli::CommonArgs;
use crate::cli::common::{printable, resolve, stdout_line};
use crate::diagnose::{self, DiagnoseOptions};

/// Seconds per attempt step without `--timeout`: short, since a blocked method only waits.
const DEFAULT_ATTEMPT_SECS: u64 = 5;

pub(crate) async fn run(url: Option<&str>, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(url, args)?;
    let attempt_timeout = Duration::from_secs(args.timeout.unwrap_or(DEFAULT_ATTEMPT_SECS).max(1));
    let diagnosis =
        diagnose::run(target.options.clone(), DiagnoseOptions { attempt_timeout }).await;
    // The report quotes the server: escaped line by line, so it cannot drive the terminal.
    let report = diagnosis.to_text();
    for line in report.trim_end().lines() {
        stdout_line(&printable(line))?;
    }
    if let Some(rec) = &diagnosis.judgement.recommendation {
        let tls = if rec.requires_tls {
            " (with an ftpes:// URL)"
        } else {
            ""
        };
        stdout_line(&format!("Flags: {}{tls}", rec.cli_flags()))?;
        return Ok(());
    }
    let why = diagnosis
        .judgement
        .failure
        .as_deref()
        .unwrap_or("nothing could be tried");
    anyhow::bail!("{why} ({})", target.shown)
}
