//! `skiff get -r URL LOCAL_DIR` and `skiff put -r LOCAL_DIR URL`: a directory's contents,
//! through the transfer engine (N connections, reused file after file; retries).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use crate::cli::common::{connect_options, parse_url, remote_path};
use crate::cli::{CommonArgs, TransferArgs};
use crate::engine::{
    self, Direction, EngineCommand, EngineConfig, EngineEvent, ExistsPolicy, ItemKind, ItemState,
    Priority, TransferSpec,
};

fn exists_policy(tree: &TransferArgs, common: &CommonArgs) -> anyhow::Result<ExistsPolicy> {
    let chosen: Vec<ExistsPolicy> = [
        (common.overwrite, ExistsPolicy::Overwrite),
        (common.resume, ExistsPolicy::Resume),
        (tree.skip_existing, ExistsPolicy::Skip),
        (tree.newer, ExistsPolicy::OverwriteIfNewer),
    ]
    .into_iter()
    .filter_map(|(on, policy)| on.then_some(policy))
    .collect();
    match chosen.as_slice() {
        [] => Ok(ExistsPolicy::Refuse),
        [one] => Ok(*one),
        _ => anyhow::bail!("choose one of --overwrite, --resume, --skip-existing and --newer"),
    }
}

pub(crate) async fn get(
    url: &str,
    local: Option<&Path>,
    tree: &TransferArgs,
    common: &CommonArgs,
) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let mut remote = remote_path(&url, common)?;
    if remote.is_empty() {
        remote = b"/".to_vec();
    }
    let local = local.unwrap_or(Path::new(".")).to_path_buf();
    let spec = TransferSpec {
        direction: Direction::Download,
        kind: ItemKind::DirectoryContents,
        local,
        remote,
        server: Arc::new(connect_options(&url, common)?),
        size: None,
        priority: Priority::Normal,
        exists: exists_policy(tree, common)?,
    };
    run(spec, tree, common).await
}

pub(crate) async fn put(
    local: &Path,
    url: &str,
    tree: &TransferArgs,
    common: &CommonArgs,
) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    if !local.is_dir() {
        anyhow::bail!(
            "{} is not a directory (put -r uploads a directory's contents)",
            local.display()
        );
    }
    let mut remote = remote_path(&url, common)?;
    while remote.len() > 1 && remote.ends_with(b"/") {
        remote.pop();
    }
    if remote.is_empty() {
        remote = b"/".to_vec();
    }
    let spec = TransferSpec {
        direction: Direction::Upload,
        kind: ItemKind::DirectoryContents,
        local: local.to_path_buf(),
        remote,
        server: Arc::new(connect_options(&url, common)?),
        size: None,
        priority: Priority::Normal,
        exists: exists_policy(tree, common)?,
    };
    run(spec, tree, common).await
}

/// Runs the engine until the queue is done; one line per failed item, a summary at the end.
async fn run(root: TransferSpec, tree: &TransferArgs, common: &CommonArgs) -> anyhow::Result<()> {
    let limit = tree.limit_rate;
    let config = EngineConfig {
        parallel: usize::from(tree.parallel),
        download_limit: limit.filter(|_| root.direction == Direction::Download),
        upload_limit: limit.filter(|_| root.direction == Direction::Upload),
        ..EngineConfig::default()
    };
    let (handle, mut events) = engine::spawn(config, Arc::new(|| {}));
    handle.send(EngineCommand::Enqueue(vec![root]));
    let mut paths = std::collections::HashMap::new();
    let mut counts = None;
    while let Some(event) = events.recv().await {
        match event {
            EngineEvent::ItemAdded {
                id, remote, local, ..
            } => {
                paths.insert(id, (remote, local));
            }
            EngineEvent::ItemChanged {
                id,
                state: ItemState::Failed,
                error,
                ..
            } => {
                let (remote, local) = paths.get(&id).cloned().unwrap_or_default();
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "skiff: failed: {} <-> {}: {}",
                    common.encoding.decode(&remote),
                    local.display(),
                    error.unwrap_or_default()
                )
                .ok();
            }
            EngineEvent::Idle(done) => {
                counts = Some(done);
                break;
            }
            // The connections' own sinks print the log with --log.
            EngineEvent::Log(_) | EngineEvent::ItemChanged { .. } => {}
        }
    }
    handle.send(EngineCommand::Shutdown);
    let Some(counts) = counts else {
        anyhow::bail!("the transfer engine stopped unexpectedly");
    };
    if counts.failed > 0 {
        anyhow::bail!(
            "{} of {} items failed ({} transferred, {} skipped)",
            counts.failed,
            counts.failed + counts.successful + counts.skipped,
            counts.successful,
            counts.skipped
        );
    }
    Ok(())
}
