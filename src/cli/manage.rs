//! `skiff mkdir|rmdir|rm|mv|chmod|quote`: one remote operation each, on the engine's browsing
//! session, as the window's context menu runs them.

use crate::cli::CommonArgs;
use crate::cli::common::{Target, resolve};
use crate::cli::engine::CliEngine;
use crate::engine::RemoteOp;
use crate::proto::path;

fn require_path(target: &Target) -> anyhow::Result<Vec<u8>> {
    let path = target.remote_path()?;
    let trimmed = match path.as_slice() {
        [rest @ .., b'/'] if !rest.is_empty() => rest.to_vec(),
        other => other.to_vec(),
    };
    if trimmed.is_empty() || trimmed == b"/" {
        anyhow::bail!("a path is needed: {}", target.shown);
    }
    Ok(trimmed)
}

/// Runs `op` (made from the target and its path) on the server.
async fn run(
    url: &str,
    args: &CommonArgs,
    op: impl FnOnce(&Target, Vec<u8>) -> anyhow::Result<RemoteOp>,
) -> anyhow::Result<()> {
    let target = resolve(Some(url), args, None, None)?;
    let op = op(&target, require_path(&target)?)?;
    let mut engine = CliEngine::start(&target, crate::setup::engine_settings(&target.settings));
    let done = engine.remote(op).await;
    engine.shutdown().await;
    done.map(drop)
}

pub(crate) async fn mkdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    run(url, args, |_, path| Ok(RemoteOp::Mkdir(path))).await
}

pub(crate) async fn rmdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    run(url, args, |_, path| Ok(RemoteOp::Rmdir(path))).await
}

pub(crate) async fn rm(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    run(url, args, |_, path| Ok(RemoteOp::Delete(path))).await
}

pub(crate) async fn mv(url: &str, new_path: &str, args: &CommonArgs) -> anyhow::Result<()> {
    run(url, args, |target, from| {
        let new_path = target.charset.encode(new_path)?;
        let to = if new_path.starts_with(b"/") {
            new_path
        } else {
            path::join(path::parent(&from), &new_path)
        };
        Ok(RemoteOp::Rename { from, to })
    })
    .await
}

pub(crate) async fn chmod(mode: u32, url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    run(url, args, |_, path| Ok(RemoteOp::Chmod { path, mode })).await
}

/// `skiff quote URL COMMAND`: the line as typed, refused before connecting if it is not one
/// line; the reply printed (every line of a multi-line one), an error reply failing the run.
pub(crate) async fn quote(url: &str, command: String, args: &CommonArgs) -> anyhow::Result<()> {
    crate::proto::command::check_raw_line(command.as_bytes())?;
    let target = resolve(Some(url), args, None, None)?;
    let mut engine = CliEngine::start(&target, crate::setup::engine_settings(&target.settings));
    let reply = engine.raw(command).await;
    engine.shutdown().await;
    let reply = reply?;
    if reply.code >= 400 {
        anyhow::bail!("the server replied {} {}", reply.code, reply.text);
    }
    // What a server put in its reply is made visible (`crate::visible`), line by line.
    let mut lines = reply.text.lines();
    let first = lines.next().unwrap_or_default();
    crate::cli::common::stdout_line(&format!("{} {first}", reply.code))?;
    for line in lines {
        crate::cli::common::stdout_line(line)?;
    }
    Ok(())
}
