//! `skiff mkdir|rmdir|rm|mv`: one remote command each.

use crate::cli::CommonArgs;
use crate::cli::common::{Target, connect, resolve};
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

pub(crate) async fn mkdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(Some(url), args)?;
    let path = require_path(&target)?;
    let mut conn = connect(&target).await?;
    conn.mkdir(&path).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rmdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(Some(url), args)?;
    let path = require_path(&target)?;
    let mut conn = connect(&target).await?;
    conn.rmdir(&path).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rm(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(Some(url), args)?;
    let path = require_path(&target)?;
    let mut conn = connect(&target).await?;
    conn.delete(&path).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn mv(url: &str, new_path: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let target = resolve(Some(url), args)?;
    let from = require_path(&target)?;
    let new_path = target.charset.encode(new_path)?;
    let to = if new_path.starts_with(b"/") {
        new_path
    } else {
        path::join(path::parent(&from), &new_path)
    };
    let mut conn = connect(&target).await?;
    conn.rename(&from, &to).await?;
    conn.quit().await;
    Ok(())
}
