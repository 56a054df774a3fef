//! `skiff sync SOURCE TARGET`: a one-way folder sync through the engine. Both trees are
//! walked (the server's on the engine's browsing session), the plan is made
//! (`folder_sync::plan`) and printed, and, unless `--dry-run`, run: folders created, the
//! copies and updates as one queue, then the deletions, each checked again against what
//! the plan saw.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::cli::common::{self, Target, stdout_line, warn};
use crate::cli::engine::CliEngine;
use crate::cli::progress::ProgressView;
use crate::cli::{ActiveArgs, CommonArgs, DataArgs, FilterArgs, SyncArgs, UsageError};
use crate::engine::sync::{Deletion, Sides, SyncSetup, create_local_folders, delete_local};
use crate::engine::walk::{LocalTree, local_tree};
use crate::engine::{Direction, RemoteOp, TreeFilters};
use crate::folder_sync::{
    Action, Criterion, Filters, Plan, PlanOptions, SameContent, What, needs_checksum,
    plan_with_checksums,
};
use crate::proto::charset::Charset;
use crate::proto::hash::Algorithm;
use crate::proto::listing::Entry;
use crate::remote::ErrorKind;

/// The remote side of a sync with `--site`: `site:PATH`.
const SITE_PREFIX: &str = "site:";

/// Which argument is the server's: the one with a URL scheme (or `site:`).
fn remote_side<'a>(
    source: &'a str,
    target: &'a str,
    with_site: bool,
) -> Result<(Direction, &'a str, &'a str), UsageError> {
    let is_remote = |arg: &str| match with_site {
        true => arg.starts_with(SITE_PREFIX),
        false => arg.contains("://"),
    };
    let remote = |arg: &'a str| match with_site {
        true => &arg[SITE_PREFIX.len()..],
        false => arg,
    };
    match (is_remote(source), is_remote(target)) {
        (true, false) => Ok((Direction::Download, remote(source), target)),
        (false, true) => Ok((Direction::Upload, remote(target), source)),
        _ if with_site => Err(UsageError(
            "with --site, write the server's folder as site:PATH (site:/www), and the other \
             side as a local folder"
                .into(),
        )),
        _ => Err(UsageError(
            "give one local folder and one URL (ftp://, ftpes://, ftps://, sftp://), in the \
             order source, target"
                .into(),
        )),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    source: &str,
    target: &str,
    args: &SyncArgs,
    filter: &FilterArgs,
    data: &DataArgs,
    active: &ActiveArgs,
    common_args: &CommonArgs,
) -> anyhow::Result<()> {
    let (direction, remote_arg, local_arg) =
        remote_side(source, target, common_args.site.is_some())?;
    let mut target = common::resolve(Some(remote_arg), common_args, Some(data), Some(active))?;
    // A sync keeps times, as `lftp mirror` does: the next comparison finds the copies equal.
    target.server.preserve_times = true;
    let local_root = PathBuf::from(local_arg);
    if local_root.exists() && !local_root.is_dir() {
        anyhow::bail!("{} is not a folder", local_root.display());
    }
    if direction == Direction::Upload && !local_root.is_dir() {
        anyhow::bail!("no such folder to sync from: {}", local_root.display());
    }
    let remote_root = crate::proto::path::folder(&target.remote_path()?);
    let filters = match filter.patterns() {
        Some(patterns) => Some(Filters::new(patterns).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    let tree_filters = filters.clone().map(|filters| {
        Arc::new(TreeFilters {
            filters,
            root: remote_root.clone(),
        })
    });
    let options = PlanOptions {
        criterion: args.compare,
        tolerance_secs: args.tolerance.max(0),
        delete: args.delete,
        only_newer: args.only_newer,
    };
    let mut settings = crate::setup::engine_settings(&target.settings);
    settings.parallel = args
        .parallel
        .map_or_else(|| target.default_parallel(), usize::from);
    match direction {
        Direction::Download => {
            settings.download_limit = args.limit_rate.or(settings.download_limit)
        }
        Direction::Upload => settings.upload_limit = args.limit_rate.or(settings.upload_limit),
    }
    let mut engine = CliEngine::start(&target, settings);
    let setup = SyncSetup {
        direction,
        local_root: local_root.clone(),
        remote_root: remote_root.clone(),
        server: Arc::clone(engine.server()),
        filters: tree_filters.clone(),
        time_offset_minutes: target
            .site
            .as_ref()
            .map_or(0, |s| s.timezone_offset_minutes),
    };
    let outcome = plan_and_run(&mut engine, &target, &setup, args, options, filters).await;
    engine.shutdown().await;
    outcome
}

async fn plan_and_run(
    engine: &mut CliEngine,
    target: &Target,
    setup: &SyncSetup,
    args: &SyncArgs,
    options: PlanOptions,
    filters: Option<Filters>,
) -> anyhow::Result<()> {
    let charset = target.server.charset;
    // The checksum criterion needs the server's checksums: asked first, so a server that
    // computes none says so before anything is walked.
    let algorithm = match options.criterion {
        Criterion::Checksum => Some(checksum_algorithm(engine).await?),
        Criterion::Time | Criterion::Size => None,
    };
    // The server's tree: a missing target folder of an upload is an empty tree (it is
    // created before anything goes in).
    let walk = RemoteOp::Walk {
        root: setup.remote_root.clone(),
        filters: setup.filters.clone(),
    };
    let (remote_entries, remote_missing): (Arc<[Entry]>, bool) = match engine
        .remote_result(walk)
        .await?
    {
        Ok(listed) => (
            listed.map(|(_, e)| e).unwrap_or_else(|| Arc::new([])),
            false,
        ),
        Err(err) if setup.direction == Direction::Upload && err.kind() == ErrorKind::Refused => {
            (Arc::new([]), true)
        }
        Err(err) => return Err(engine.error(&err)),
    };
    let local = walk_local(&setup.local_root, charset, filters).await?;
    for why in &local.refused {
        warn(&format!("left out: {why}"));
    }
    let mut sides = setup.sides(&remote_entries, local);
    sides.remote_missing = remote_missing;
    for why in &sides.refused {
        warn(why);
    }
    let (sides, same) = match algorithm {
        Some(algorithm) => compare_contents(engine, setup, sides, algorithm).await?,
        None => (sides, SameContent::new()),
    };
    let plan = plan_with_checksums(&sides.source, &sides.target, &options, &same);
    let criterion = criterion_text(&options, algorithm, same.len());
    if args.json {
        let json = PlanJson::new(&plan, charset, setup, &target.shown, &options, algorithm);
        return common::stdout_json(&json);
    }
    if args.dry_run || args.confirm {
        stdout_line(&criterion)?;
    }
    print_plan(&plan, charset, args.dry_run || args.confirm)?;
    if args.dry_run {
        return Ok(());
    }
    if plan.is_noop() {
        return conflicts_left(&plan, 0);
    }
    if args.confirm && !confirmed()? {
        anyhow::bail!("not run: the plan was not confirmed");
    }
    let steps = setup.steps(&plan, &sides, None);
    let folders = steps.mkdir_local.clone();
    tokio::task::spawn_blocking(move || create_local_folders(&folders))
        .await
        .context("the folder creation stopped")?
        .map_err(anyhow::Error::msg)?;
    for folder in &steps.mkdir_remote {
        engine.remote(RemoteOp::Mkdir(folder.clone())).await?;
    }
    let mut view = ProgressView::new(std::io::stderr().is_terminal() && !target.log, true);
    let end = engine.transfer(steps.transfers, &mut view).await?;
    let mut failed = end.counts.failed - end.changed;
    let mut conflicts = end.changed;
    let mut deleted = 0;
    for deletion in steps.deletions {
        let result = match deletion {
            Deletion::Local { path, seen } => {
                let permanently = args.no_trash;
                tokio::task::spawn_blocking(move || delete_local(&path, &seen, permanently))
                    .await
                    .unwrap_or_else(|_| {
                        Err(crate::remote::RemoteError::new(
                            ErrorKind::Local,
                            "the deletion stopped",
                        ))
                    })
            }
            Deletion::Remote { path, seen } => engine
                .remote_result(Deletion::remote_op(path, seen))
                .await?
                .map(|_| ()),
        };
        match result {
            Ok(()) => deleted += 1,
            Err(err) => {
                match err.kind() {
                    ErrorKind::Changed => conflicts += 1,
                    _ => failed += 1,
                }
                warn(&format!("not deleted: {}", engine.error_text(&err)));
            }
        }
    }
    let counts = end.counts;
    stdout_line(&format!(
        "Synced: {} transferred, {} skipped, {deleted} deleted; {conflicts} changed since the \
         plan (left alone), {failed} failed",
        counts.successful, counts.skipped
    ))?;
    if failed > 0 {
        anyhow::bail!("{failed} steps of the sync failed (see above)");
    }
    conflicts_left(&plan, conflicts)
}

/// The algorithm the server computes checksums with; a server that offers none is a usage
/// error that says what was looked for and what to use instead.
async fn checksum_algorithm(engine: &mut CliEngine) -> anyhow::Result<Algorithm> {
    let request = RemoteOp::Checksums { files: Vec::new() };
    match engine.checksums(request).await? {
        Ok(offered) => Ok(offered.algorithm),
        Err(err) if err.kind() == ErrorKind::Unsupported => Err(UsageError(format!(
            "--compare checksum: {err}; compare with --compare time or --compare size instead"
        ))
        .into()),
        Err(err) => Err(engine.error(&err)),
    }
}

/// The checksums of the files of equal size on both sides: the server's, then the local
/// files' (hashed on the blocking pool), compared. A file without one is named, and judged
/// by time.
async fn compare_contents(
    engine: &mut CliEngine,
    setup: &SyncSetup,
    sides: Sides,
    algorithm: Algorithm,
) -> anyhow::Result<(Sides, SameContent)> {
    let paths = needs_checksum(&sides.source, &sides.target);
    if paths.is_empty() {
        return Ok((sides, SameContent::new()));
    }
    let remote = match engine
        .checksums(setup.checksum_request(&sides, &paths))
        .await?
    {
        Ok(remote) => remote,
        Err(err) => return Err(engine.error(&err)),
    };
    if remote.algorithm != algorithm {
        anyhow::bail!(
            "the server changed its checksum algorithm from {algorithm} to {}",
            remote.algorithm
        );
    }
    let setup = setup.clone();
    let (sides, check) = tokio::task::spawn_blocking(move || {
        let check = setup.compare_checksums(&sides, &paths, &remote);
        (sides, check)
    })
    .await
    .context("hashing the local files stopped")?;
    for why in &check.unchecked {
        warn(&format!("no checksum for {why}; compared by time"));
    }
    Ok((sides, check.same))
}

/// How the plan judged files, for `--dry-run` and `--confirm`.
fn criterion_text(options: &PlanOptions, algorithm: Option<Algorithm>, hashed: usize) -> String {
    match (options.criterion, algorithm) {
        (Criterion::Checksum, Some(algorithm)) => format!(
            "Compared by checksum ({algorithm}, computed by the server): sizes, then the \
             checksums of {hashed} files of equal size"
        ),
        (Criterion::Size, _) => "Compared by size".to_owned(),
        _ => format!(
            "Compared by time: sizes and modification times (within {} s)",
            options.tolerance_secs
        ),
    }
}

/// The end of a run: an error when anything was left as a conflict.
fn conflicts_left(plan: &Plan, changed: usize) -> anyhow::Result<()> {
    let planned = plan.summary().conflict;
    match planned + changed {
        0 => Ok(()),
        n => anyhow::bail!(
            "{n} conflicts were left alone (see above): resolve them, then sync again"
        ),
    }
}

async fn walk_local(
    root: &Path,
    charset: Charset,
    filters: Option<Filters>,
) -> anyhow::Result<LocalTree> {
    if !root.exists() {
        return Ok(LocalTree::default());
    }
    let dir = root.to_path_buf();
    tokio::task::spawn_blocking(move || local_tree(&dir, charset, filters.as_ref()))
        .await
        .context("the folder walk stopped")?
        .with_context(|| format!("cannot read {}", root.display()))
}

/// Asks on stderr, reads the answer from stdin.
fn confirmed() -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    write!(err, "Run this plan? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The plan as lines: every action with `all`, else only conflicts; then the summary.
fn print_plan(plan: &Plan, charset: Charset, all: bool) -> anyhow::Result<()> {
    for action in &plan.actions {
        if all || action.what == What::Conflict {
            stdout_line(&action_line(action, charset))?;
        }
    }
    let s = plan.summary();
    stdout_line(&format!(
        "Plan: {} to copy, {} to update, {} folders to create, {} to delete, {} skipped, {} \
         conflicts, {} identical; {} to transfer",
        s.copy,
        s.update,
        s.mkdir,
        s.delete,
        s.skip,
        s.conflict,
        s.identical,
        crate::units::human_size(s.bytes)
    ))
}

fn action_line(action: &Action, charset: Charset) -> String {
    let path = charset.decode(&action.path);
    let size = match action.what {
        What::Copy | What::Update => action
            .source
            .and_then(|s| s.size)
            .map(|b| format!("  {}", crate::units::human_size(b)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    format!(
        "{:<8} {path}{size}  ({})",
        action.what.word(),
        action.reason
    )
}

/// `--dry-run --json`.
#[derive(serde::Serialize)]
struct PlanJson {
    direction: &'static str,
    source: String,
    target: String,
    /// "time", "size" or "checksum".
    criterion: &'static str,
    /// With the checksum criterion: "SHA-512", ...
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<&'static str>,
    actions: Vec<ActionJson>,
    summary: crate::folder_sync::Summary,
}

#[derive(serde::Serialize)]
struct ActionJson {
    action: &'static str,
    path: String,
    kind: &'static str,
    reason: &'static str,
    source: Option<SideJson>,
    target: Option<SideJson>,
}

#[derive(serde::Serialize)]
struct SideJson {
    size: Option<u64>,
    /// RFC 3339, UTC.
    modified: Option<String>,
}

impl PlanJson {
    fn new(
        plan: &Plan,
        charset: Charset,
        setup: &SyncSetup,
        shown: &str,
        options: &PlanOptions,
        algorithm: Option<Algorithm>,
    ) -> Self {
        let local = setup.local_root.display().to_string();
        let (direction, source, target) = match setup.direction {
            Direction::Download => ("download", shown.to_owned(), local),
            Direction::Upload => ("upload", local, shown.to_owned()),
        };
        let side = |node: Option<crate::folder_sync::Node>| {
            node.map(|n| SideJson {
                size: n.size,
                modified: n.modified.map(|t| t.to_rfc3339()),
            })
        };
        Self {
            direction,
            source,
            target,
            criterion: options.criterion.name(),
            checksum: algorithm.map(Algorithm::name),
            actions: plan
                .actions
                .iter()
                .map(|a| ActionJson {
                    action: a.what.word(),
                    path: charset.decode(&a.path).into_owned(),
                    kind: match a.source.or(a.target).is_some_and(|n| n.is_dir()) {
                        true => "dir",
                        false => "file",
                    },
                    reason: a.reason,
                    source: side(a.source),
                    target: side(a.target),
                })
                .collect(),
            summary: plan.summary(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_or_site_path_is_the_remote_side_and_its_place_gives_the_direction() {
        let (d, remote, local) = remote_side("ftp://h/www", "./site", false).unwrap();
        assert_eq!(
            (d, remote, local),
            (Direction::Download, "ftp://h/www", "./site")
        );
        let (d, remote, local) = remote_side("./site", "sftp://h/www", false).unwrap();
        assert_eq!(
            (d, remote, local),
            (Direction::Upload, "sftp://h/www", "./site")
        );
        let (d, remote, _) = remote_side("./public", "site:/www", true).unwrap();
        assert_eq!((d, remote), (Direction::Upload, "/www"));
        assert!(remote_side("a", "b", false).is_err());
        assert!(remote_side("ftp://a/", "ftp://b/", false).is_err());
        assert!(
            remote_side("./a", "/www", true).is_err(),
            "with --site: site:PATH"
        );
    }
}
