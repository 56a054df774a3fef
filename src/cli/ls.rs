//! `skiff ls URL [--json]`, `skiff ls --site NAME [PATH] [--json]`: a listing from the
//! engine's browsing session, as the window gets it.

use crate::cli::common::{Target, stdout_json, stdout_line};
use crate::cli::engine::CliEngine;
use crate::engine::RemoteOp;
use crate::proto::charset::Charset;
use crate::proto::listing::{Entry, EntryKind};

#[derive(serde::Serialize)]
struct JsonEntry {
    name: String,
    /// The server's bytes for the name, percent-encoded: usable in a URL whatever the charset.
    raw: String,
    kind: EntryKind,
    size: Option<u64>,
    modified: Option<String>,
    permissions: Option<String>,
    target: Option<String>,
}

/// Bytes outside the URL-safe set, percent-encoded (RFC 3986 unreserved characters stay).
pub(crate) const NAME_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl JsonEntry {
    fn new(entry: &Entry, charset: Charset) -> Self {
        Self {
            name: charset.decode(&entry.name).into_owned(),
            raw: percent_encoding::percent_encode(&entry.name, NAME_ESCAPES).to_string(),
            kind: entry.kind,
            size: entry.size,
            modified: entry.modified.map(|t| t.to_rfc3339()),
            permissions: entry.permissions.as_deref().map(str::to_owned),
            target: entry
                .link_target
                .as_ref()
                .map(|t| charset.decode(t).into_owned()),
        }
    }
}

pub(crate) async fn run(target: Target, json: bool) -> anyhow::Result<()> {
    let charset = target.charset;
    let dir = target.remote_path()?;
    let mut engine = CliEngine::start(&target, crate::setup::engine_settings(&target.settings));
    let listed = engine.remote(RemoteOp::List(dir)).await;
    engine.shutdown().await;
    let Some((_, entries)) = listed? else {
        anyhow::bail!("the server sent no listing ({})", target.shown);
    };
    let mut entries = entries.to_vec();
    // Folders first, then by name, as a file manager shows them.
    entries.sort_by(|a, b| {
        b.is_dir()
            .cmp(&a.is_dir())
            .then_with(|| a.name.cmp(&b.name))
    });
    if json {
        let rows: Vec<JsonEntry> = entries.iter().map(|e| JsonEntry::new(e, charset)).collect();
        stdout_json(&rows)?;
        return Ok(());
    }
    for entry in &entries {
        let kind = match entry.kind {
            EntryKind::Dir => 'd',
            EntryKind::Link => 'l',
            EntryKind::File => '-',
        };
        let size = entry.size.map(|s| s.to_string()).unwrap_or_default();
        let modified = entry.modified.map(|t| t.to_string()).unwrap_or_default();
        let target = entry
            .link_target
            .as_ref()
            .map(|t| format!(" -> {}", charset.decode(t)))
            .unwrap_or_default();
        stdout_line(&format!(
            "{kind} {size:>12}  {modified:<19}  {}{target}",
            charset.decode(&entry.name)
        ))?;
    }
    Ok(())
}
