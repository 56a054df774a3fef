//! `skiff mkdir|rmdir|rm|mv`: one remote command each.

use crate::cli::CommonArgs;
use crate::cli::common::{connect, parse_url};
use crate::proto::path;

fn require_path(url: &crate::url::FtpUrl) -> anyhow::Result<Vec<u8>> {
    let trimmed = match url.path.as_slice() {
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
    let target = require_path(&url)?;
    let mut conn = connect(&url, args).await?;
    conn.mkdir(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rmdir(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let target = require_path(&url)?;
    let mut conn = connect(&url, args).await?;
    conn.rmdir(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn rm(url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let target = require_path(&url)?;
    let mut conn = connect(&url, args).await?;
    conn.delete(&target).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn mv(url: &str, new_path: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let from = require_path(&url)?;
    let to = if new_path.starts_with('/') {
        new_path.as_bytes().to_vec()
    } else {
        path::join(path::parent(&from), new_path.as_bytes())
    };
    let mut conn = connect(&url, args).await?;
    conn.rename(&from, &to).await?;
    conn.quit().await;
    Ok(())
}
