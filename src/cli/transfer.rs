//! `skiff get URL [LOCAL]` and `skiff put LOCAL URL`: one file, or with -r a folder's
//! contents, as a queue of the engine either way. A single file gets what a tree gets: the
//! file-exists policy, retries that resume, the speed limit, the progress bars.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::cli::common::{Target, local_name_in, remote_name_in};
use crate::cli::engine::CliEngine;
use crate::cli::progress::ProgressView;
use crate::cli::{TransferArgs, UsageError};
use crate::engine::{
    Direction, EngineSettings, ExistsPolicy, ItemKind, Priority, TransferMode, TransferSpec,
    TreeFilters,
};
use crate::folder_sync::Filters;
use crate::proto::path;

/// The one file-exists policy the flags choose (the default: refuse to replace).
fn exists_policy(args: &TransferArgs) -> Result<ExistsPolicy, UsageError> {
    let chosen: Vec<ExistsPolicy> = [
        (args.overwrite, ExistsPolicy::Overwrite),
        (args.resume, ExistsPolicy::Resume),
        (args.skip_existing, ExistsPolicy::Skip),
        (args.newer, ExistsPolicy::OverwriteIfNewer),
        (
            args.newer_or_size,
            ExistsPolicy::OverwriteIfNewerOrSizeDiffers,
        ),
    ]
    .into_iter()
    .filter_map(|(on, policy)| on.then_some(policy))
    .collect();
    match chosen.as_slice() {
        [] => Ok(ExistsPolicy::Refuse),
        [one] => Ok(*one),
        _ => Err(UsageError(
            "choose one of --overwrite, --resume, --skip-existing, --newer and --newer-or-size"
                .into(),
        )),
    }
}

/// The engine's settings for this transfer: settings.toml's, the flags over them.
fn engine_settings(
    target: &Target,
    args: &TransferArgs,
    direction: Direction,
) -> Result<EngineSettings, UsageError> {
    let settings = &target.settings;
    let mut engine = crate::setup::engine_settings(settings);
    engine.parallel = match args.parallel {
        Some(_) if !args.recursive => {
            return Err(UsageError(
                "--parallel needs -r: a single file travels on one connection".into(),
            ));
        }
        Some(n) => usize::from(n),
        None if args.recursive => target.default_parallel(),
        None => 1,
    };
    let (download, upload) = match direction {
        Direction::Download => (args.limit_rate.or(settings.download_limit), None),
        Direction::Upload => (None, args.limit_rate.or(settings.upload_limit)),
    };
    engine.download_limit = download;
    engine.upload_limit = upload;
    if args.ascii {
        engine.transfer_mode = TransferMode::Ascii;
    }
    Ok(engine)
}

pub(crate) async fn get(
    target: Target,
    local: Option<&Path>,
    args: &TransferArgs,
) -> anyhow::Result<()> {
    let exists = exists_policy(args)?;
    let settings = engine_settings(&target, args, Direction::Download)?;
    let mut remote = target.remote_path()?;
    let (kind, local) = if args.recursive {
        if remote.is_empty() {
            remote = b"/".to_vec();
        }
        let dir = local.unwrap_or(Path::new(".")).to_path_buf();
        (ItemKind::DirectoryContents, dir)
    } else {
        if remote.is_empty() || remote.ends_with(b"/") {
            anyhow::bail!(
                "a directory, not a file: {} (use -r for its contents)",
                target.shown
            );
        }
        // LOCAL is a file path, or an existing directory that receives the remote name.
        let name = || {
            local_name_in(
                path::file_name(&remote),
                target.charset,
                target.server.name_replacement,
            )
        };
        let file = match local {
            Some(dir) if dir.is_dir() => dir.join(name()?),
            Some(file) => file.to_path_buf(),
            None => PathBuf::from(name()?),
        };
        (ItemKind::File, file)
    };
    run(
        target,
        args,
        settings,
        Direction::Download,
        kind,
        local,
        remote,
        exists,
    )
    .await
}

pub(crate) async fn put(target: Target, local: &Path, args: &TransferArgs) -> anyhow::Result<()> {
    let exists = exists_policy(args)?;
    let settings = engine_settings(&target, args, Direction::Upload)?;
    let mut remote = target.remote_path()?;
    let kind = if args.recursive {
        if !local.is_dir() {
            anyhow::bail!(
                "{} is not a directory (put -r uploads a directory's contents)",
                local.display()
            );
        }
        while remote.len() > 1 && remote.ends_with(b"/") {
            remote.pop();
        }
        if remote.is_empty() {
            remote = b"/".to_vec();
        }
        ItemKind::DirectoryContents
    } else {
        if local.is_dir() {
            anyhow::bail!(
                "{} is a directory; upload a file, or its contents with -r",
                local.display()
            );
        }
        if !local.is_file() {
            anyhow::bail!("no such file to upload: {}", local.display());
        }
        if remote.is_empty() || remote.ends_with(b"/") {
            let name = local
                .file_name()
                .with_context(|| format!("{} has no file name", local.display()))?;
            remote = path::join(&remote, &remote_name_in(name, target.charset)?);
        }
        ItemKind::File
    };
    let local = local.to_path_buf();
    run(
        target,
        args,
        settings,
        Direction::Upload,
        kind,
        local,
        remote,
        exists,
    )
    .await
}

/// Runs the transfer's queue to its end. A tree reports each failed item and a summary; a
/// single file fails with its own error.
#[allow(clippy::too_many_arguments)]
async fn run(
    target: Target,
    args: &TransferArgs,
    settings: EngineSettings,
    direction: Direction,
    kind: ItemKind,
    local: PathBuf,
    remote: Vec<u8>,
    exists: ExistsPolicy,
) -> anyhow::Result<()> {
    let tree = kind == ItemKind::DirectoryContents;
    let mut target = target;
    if args.preserve_times {
        target.server.preserve_times = true;
    }
    let filters = match args.filter.patterns() {
        Some(_) if !tree => {
            return Err(UsageError(
                "--exclude, --include, --exclude-vcs and --exclude-temp need -r".into(),
            )
            .into());
        }
        Some(patterns) => Some(Arc::new(TreeFilters {
            filters: Filters::new(patterns).map_err(|e| UsageError(e.to_string()))?,
            root: remote.clone(),
        })),
        None => None,
    };
    let mut engine = CliEngine::start(&target, settings);
    let size = match (kind, direction) {
        (ItemKind::File, Direction::Upload) => std::fs::metadata(&local).ok().map(|m| m.len()),
        _ => None,
    };
    let root = TransferSpec {
        direction,
        kind,
        local,
        remote,
        server: Arc::clone(engine.server()),
        size,
        priority: Priority::Normal,
        exists,
        target_absent: false,
        filters,
        expect: None,
    };
    let mut view = ProgressView::new(std::io::stderr().is_terminal() && !target.log, tree);
    let ended = engine.transfer(vec![root], &mut view).await;
    let outcome = match ended {
        Err(err) => Err(err),
        Ok(end) if end.counts.failed == 0 => Ok(()),
        Ok(end) => match (tree, end.first_error) {
            (false, Some(err)) => Err(engine.error(&err)),
            _ => {
                let counts = end.counts;
                Err(anyhow::anyhow!(
                    "{} of {} items failed ({} transferred, {} skipped)",
                    counts.failed,
                    counts.failed + counts.successful + counts.skipped,
                    counts.successful,
                    counts.skipped
                ))
            }
        },
    };
    engine.shutdown().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TransferArgs {
        TransferArgs {
            filter: crate::cli::FilterArgs::default(),
            preserve_times: false,
            limit_rate: None,
            recursive: false,
            parallel: None,
            overwrite: false,
            resume: false,
            skip_existing: false,
            newer: false,
            newer_or_size: false,
            ascii: false,
        }
    }

    #[test]
    fn the_flags_choose_one_policy_or_are_a_usage_error() {
        assert_eq!(exists_policy(&args()).unwrap(), ExistsPolicy::Refuse);
        let newer = TransferArgs {
            newer: true,
            ..args()
        };
        assert_eq!(
            exists_policy(&newer).unwrap(),
            ExistsPolicy::OverwriteIfNewer
        );
        let update = TransferArgs {
            newer_or_size: true,
            ..args()
        };
        assert_eq!(
            exists_policy(&update).unwrap(),
            ExistsPolicy::OverwriteIfNewerOrSizeDiffers
        );
        let both = TransferArgs {
            overwrite: true,
            resume: true,
            ..args()
        };
        assert!(exists_policy(&both).is_err());
    }
}
