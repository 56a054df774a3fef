//! `skiff mkdir|rmdir|rm|mv`: one remote command each.

use crate::cli::CommonArgs;
use crate::cli::common::{connect, parse_url, remote_path};
use crate::proto::path;

fn require_path(url: &crate::url::FtpUrl, args: &CommonArgs) -> anyhow::Result<Vec<u8>> {
    let path = remote_path(url, args)?;
    let trimmed = match path.as_slice() {
        [rest @ .., b'/'] if !rest.is_empty() => rest.to_vec(),
        other => other.to_vec(),
    };
    if trimmed.is_empty() || trimmed == b"/" {
        anyhow::bail!("the URL needs a path: {}", url.redacted());
    }
    Ok(trimmed)
}

pub(crate) async fn mkdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let target = require_path(&url, args)?;
    let mut conn = connect(&url, args).await?;
    conn.mkdir(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rmdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let target = require_path(&url, args)?;
    let mut conn = connect(&url, args).await?;
    conn.rmdir(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rm(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let target = require_path(&url, args)?;
    let mut conn = connect(&url, args).await?;
    conn.delete(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn mv(url: &str, new_path: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let from = require_path(&url, args)?;
    let new_path = args.encoding.encode(new_path)?;
    let to = if new_path.starts_with(b"/") {
        new_path
    } else {
        path::join(path::parent(&from), &new_path)
    };
    let mut conn = connect(&url, args).await?;
    conn.rename(&from, &to).await?;
    conn.quit().await;
    Ok(())
}
