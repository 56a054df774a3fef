//! `skiff ls URL [--json]`

use crate::cli::CommonArgs;
use crate::cli::common::{connect, parse_url, stdout_line};
use crate::proto::listing::{Entry, EntryKind};

#[derive(serde::Serialize)]
struct JsonEntry {
    name: String,
    kind: EntryKind,
    size: Option<u64>,
    modified: Option<String>,
    permissions: Option<String>,
    target: Option<String>,
}

impl From<&Entry> for JsonEntry {
    fn from(entry: &Entry) -> Self {
        Self {
            name: entry.name_lossy(),
            kind: entry.kind,
            size: entry.size,
            modified: entry.modified.map(|t| t.to_rfc3339()),
            permissions: entry.permissions.clone(),
            target: entry
                .link_target
                .as_ref()
                .map(|t| String::from_utf8_lossy(t).into_owned()),
        }
    }
}

pub(crate) async fn run(url: &str, json: bool, args: &CommonArgs) -> anyhow::Result<()> {
    let url = parse_url(url)?;
    let mut conn = connect(&url, args).await?;
    let mut entries = conn.list(&url.path).await?;
    conn.quit().await;
    // Folders first, then by name, as a file manager shows them.
    entries.sort_by(|a, b| {
        b.is_dir()
            .cmp(&a.is_dir())
            .then_with(|| a.name.cmp(&b.name))
    });
    if json {
        let rows: Vec<JsonEntry> = entries.iter().map(JsonEntry::from).collect();
        stdout_line(&serde_json::to_string_pretty(&rows)?)?;
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
            .map(|t| format!(" -> {}", String::from_utf8_lossy(t)))
            .unwrap_or_default();
        stdout_line(&format!(
            "{kind} {size:>12}  {modified:<19}  {}{target}",
            entry.name_lossy()
        ))?;
    }
    Ok(())
}
