//! `skiff diagnose URL`, `skiff diagnose --site NAME`: which data-connection method works
//! with this server, as a table with verdicts, and the recommended flags.

use std::time::Duration;

use crate::cli::CommonArgs;
use crate::cli::common::{resolve, stdout_line};
use crate::diagnose::{self, DiagnoseOptions};

/// Seconds per attempt step without `--timeout`: short, since a blocked method only waits.
const DEFAULT_ATTEMPT_SECS: u64 = 5;

pub(crate) async fn run(url: Option<&str>, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(url, args)?;
    let attempt_timeout = Duration::from_secs(args.timeout.unwrap_or(DEFAULT_ATTEMPT_SECS).max(1));
    let diagnosis =
        diagnose::run(target.options.clone(), DiagnoseOptions { attempt_timeout }).await;
    stdout_line(diagnosis.to_text().trim_end())?;
    if let Some(rec) = &diagnosis.judgement.recommendation {
        stdout_line(&format!("Flags: {}", rec.cli_flags()))?;
        return Ok(());
    }
    let why = diagnosis
        .judgement
        .summary
        .first()
        .cloned()
        .unwrap_or_else(|| "nothing could be tried".into());
    anyhow::bail!("{why} ({})", target.shown)
}
