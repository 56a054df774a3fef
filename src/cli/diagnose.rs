//! `skiff diagnose URL`, `skiff diagnose --site NAME`: which data-connection method works
//! with this server, as a table with verdicts, and the recommended flags.

use std::time::Duration;

use crate::cli::common::{resolve, stdout_line};
use crate::cli::engine::CliEngine;
use crate::cli::{ActiveArgs, CommonArgs};
use crate::diagnose::DiagnoseOptions;

/// Seconds per attempt step without `--timeout`: short, since a blocked method only waits.
const DEFAULT_ATTEMPT_SECS: u64 = 5;

pub(crate) async fn run(
    url: Option<&str>,
    active: &ActiveArgs,
    args: &CommonArgs,
) -> anyhow::Result<()> {
    // The data-connection modes are what is being found out: only where active mode
    // listens and what it announces are the user's to set.
    let target = resolve(url, args, None, Some(active))?;
    let attempt_timeout = Duration::from_secs(args.timeout.unwrap_or(DEFAULT_ATTEMPT_SECS).max(1));
    let engine = CliEngine::start(&target, crate::setup::engine_settings(&target.settings));
    let diagnosis = engine.diagnose(DiagnoseOptions { attempt_timeout }).await;
    engine.shutdown().await;
    let Some(diagnosis) = diagnosis else {
        anyhow::bail!(
            "this protocol has no data connections to diagnose ({})",
            target.shown
        );
    };
    // The report quotes the server: escaped line by line, so it cannot drive the terminal.
    let report = diagnosis.to_text();
    for line in report.trim_end().lines() {
        stdout_line(line)?;
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
    match diagnosis.judgement.failure.as_deref() {
        Some(why) => anyhow::bail!("{why} ({})", target.shown),
        // SFTP has no data-connection settings to recommend: every step worked.
        None => Ok(()),
    }
}
