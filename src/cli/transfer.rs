//! `skiff get URL [LOCAL]` and `skiff put LOCAL URL`

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::CommonArgs;
use crate::cli::common::{connect, local_name, parse_url, remote_name};
use crate::proto::command::TransferType;
use crate::proto::path;
use crate::transfer::{TransferOptions, download, upload};

fn options(args: &CommonArgs) -> TransferOptions {
    TransferOptions {
        transfer_type: if args.ascii {
            TransferType::Ascii
        } else {
            TransferType::Binary
        },
        resume: args.resume,
        overwrite: args.overwrite,
    }
}

pub(crate) async fn get(url: &str, local: Option<&Path>, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    if url.path.is_empty() || url.path.ends_with(b"/") {
        anyhow::bail!("the URL names a directory, not a file: {}", url.redacted());
    }
    // LOCAL is a file path, or an existing directory that receives the remote name.
    let target = match local {
        Some(dir) if dir.is_dir() => dir.join(local_name(path::file_name(&url.path))?),
        Some(file) => file.to_path_buf(),
        None => PathBuf::from(local_name(path::file_name(&url.path))?),
    };
    let mut conn = connect(&url, args).await?;
    download(&mut conn, &url.path, &target, options(args), &mut |_| {}).await?;
    conn.quit().await;
    Ok(())
}

pub(crate) async fn put(local: &Path, url: &str, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    if local.is_dir() {
        anyhow::bail!("{} is a directory; upload a file", local.display());
    }
    let mut remote = url.path.clone();
    if remote.is_empty() || remote.ends_with(b"/") {
        let name = local
            .file_name()
            .with_context(|| format!("{} has no file name", local.display()))?;
        remote = path::join(&remote, &remote_name(name));
    }
    let mut conn = connect(&url, args).await?;
    upload(&mut conn, local, &remote, options(args), &mut |_| {}).await?;
    conn.quit().await;
    Ok(())
}
