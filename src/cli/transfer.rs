//! `skiff get URL [LOCAL]` and `skiff put LOCAL URL`

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::common::{connect, local_name_in, parse_url, remote_name_in, remote_path};
use crate::cli::{CommonArgs, TransferArgs};
use crate::proto::command::TransferType;
use crate::proto::path;
use crate::transfer::{TransferOptions, download, upload};

fn options(tree: &TransferArgs, args: &CommonArgs) -> TransferOptions {
    TransferOptions {
        limit: tree
            .limit_rate
            .map(|rate| std::sync::Arc::new(crate::rate::RateLimiter::new(rate))),
        transfer_type: if args.ascii {
            TransferType::Ascii
        } else {
            TransferType::Binary
        },
        resume: args.resume,
        overwrite: args.overwrite,
        expected_size: None,
    }
}

pub(crate) async fn get(
    url: &str,
    local: Option<&Path>,
    tree: &TransferArgs,
    args: &CommonArgs,
) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let remote = remote_path(&url, args)?;
    if remote.is_empty() || remote.ends_with(b"/") {
        anyhow::bail!("the URL names a directory, not a file: {}", url.redacted());
    }
    // LOCAL is a file path, or an existing directory that receives the remote name.
    let name = || local_name_in(path::file_name(&remote), args.encoding);
    let target = match local {
        Some(dir) if dir.is_dir() => dir.join(name()?),
        Some(file) => file.to_path_buf(),
        None => PathBuf::from(name()?),
    };
    let mut conn = connect(&url, args).await?;
    download(
        &mut conn,
        &remote,
        &target,
        options(tree, args),
        &mut |_| {},
    )
    .await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn put(
    local: &Path,
    url: &str,
    tree: &TransferArgs,
    args: &CommonArgs,
) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    if local.is_dir() {
        anyhow::bail!("{} is a directory; upload a file", local.display());
    }
    let mut remote = remote_path(&url, args)?;
    if remote.is_empty() || remote.ends_with(b"/") {
        let name = local
            .file_name()
            .with_context(|| format!("{} has no file name", local.display()))?;
        remote = path::join(&remote, &remote_name_in(name, args.encoding)?);
    }
    let mut conn = connect(&url, args).await?;
    upload(&mut conn, local, &remote, options(tree, args), &mut |_| {}).await?;
    conn.quit().await;
    Ok(())
}
