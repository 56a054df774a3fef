//! `skiff get URL [LOCAL]` and `skiff put LOCAL URL`

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::common::{Target, connect, local_name_in, remote_name_in, resolve};
use crate::cli::{CommonArgs, TransferArgs};
use crate::proto::command::TransferType;
use crate::proto::path;
use crate::transfer::{TransferOptions, download, upload};

fn options(
    tree: &TransferArgs,
    args: &CommonArgs,
    target: &Target,
    download: bool,
) -> TransferOptions {
    let settings = &target.settings;
    let limit = tree.limit_rate.or(if download {
        settings.download_limit
    } else {
        settings.upload_limit
    });
    TransferOptions {
        limit: limit.map(|rate| std::sync::Arc::new(crate::rate::RateLimiter::new(rate))),
        transfer_type: if args.ascii {
            TransferType::Ascii
        } else {
            TransferType::Binary
        },
        resume: args.resume,
        overwrite: args.overwrite,
        expected_size: None,
        // Ctrl-C ends the process; the .part stays for --resume.
        cancel: None,
    }
}

pub(crate) async fn get(
    url: &str,
    local: Option<&Path>,
    tree: &TransferArgs,
    args: &CommonArgs,
) -> anyhow::Result<()> {
    let target = resolve(Some(url), args)?;
    let remote = target.remote_path()?;
    if remote.is_empty() || remote.ends_with(b"/") {
        anyhow::bail!("a directory, not a file: {}", target.shown);
    }
    // LOCAL is a file path, or an existing directory that receives the remote name.
    let name = || {
        local_name_in(
            path::file_name(&remote),
            target.charset,
            target.options.name_replacement,
        )
    };
    let local_file = match local {
        Some(dir) if dir.is_dir() => dir.join(name()?),
        Some(file) => file.to_path_buf(),
        None => PathBuf::from(name()?),
    };
    let mut conn = connect(&target).await?;
    download(
        &mut conn,
        &remote,
        &local_file,
        options(tree, args, &target, true),
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
    let target = resolve(Some(url), args)?;
    if local.is_dir() {
        anyhow::bail!("{} is a directory; upload a file", local.display());
    }
    let mut remote = target.remote_path()?;
    if remote.is_empty() || remote.ends_with(b"/") {
        let name = local
            .file_name()
            .with_context(|| format!("{} has no file name", local.display()))?;
        remote = path::join(&remote, &remote_name_in(name, target.charset)?);
    }
    let mut conn = connect(&target).await?;
    let options = options(tree, args, &target, false);
    upload(&mut conn, local, &remote, options, &mut |_| {}).await?;
    conn.quit().await;
    Ok(())
}
