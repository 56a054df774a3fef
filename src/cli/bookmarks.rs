//! `skiff bookmarks [--site NAME] [--json]`: the bookmarks the window's Bookmarks menu
//! offers, global ones (`bookmarks.toml`) and each site's own (`sites.toml`);
//! `skiff bookmarks --export FILE`: the global ones as FileZilla's `bookmarks.xml`.

use std::path::Path;

use anyhow::Context as _;

use crate::cli::common::{load_sites, stdout_json, stdout_line, warn};
use crate::cli::sites::columns;
use crate::sites::bookmark::{Bookmark, GlobalBookmarks};

/// The global bookmarks, reporting a file that could not be read on stderr.
pub(crate) fn load_global() -> GlobalBookmarks {
    let Some(path) = GlobalBookmarks::default_path() else {
        return GlobalBookmarks::default();
    };
    let loaded = GlobalBookmarks::load(&path);
    if let Some(problem) = &loaded.problem {
        warn(&problem.to_string());
    }
    loaded.value
}

#[derive(serde::Serialize)]
struct JsonBookmark<'a> {
    /// The site's FOLDER/NAME, or null for a global bookmark.
    site: Option<String>,
    name: &'a str,
    local_dir: Option<&'a Path>,
    remote_dir: Option<&'a str>,
    sync_browsing: bool,
    directory_comparison: bool,
}

/// Global bookmarks and every site's (with `site`, that site's alone), sorted by owner then
/// name: `SITE  NAME  LOCAL  REMOTE  [sync, compare]`, or one JSON array.
pub(crate) fn list(site: Option<&str>, json: bool) -> anyhow::Result<()> {
    let (sites, _) = load_sites();
    let mut rows: Vec<(Option<String>, &Bookmark)> = Vec::new();
    let global;
    match site {
        Some(name) => {
            let site = sites.find(name)?;
            rows.extend(site.bookmarks.iter().map(|b| (Some(site.path()), b)));
        }
        None => {
            global = load_global();
            rows.extend(global.bookmarks.iter().map(|b| (None, b)));
            let mut owners: Vec<_> = sites.sites.iter().collect();
            owners.sort_by_key(|s| s.path());
            for site in owners {
                rows.extend(site.bookmarks.iter().map(|b| (Some(site.path()), b)));
            }
        }
    }
    rows.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
    if json {
        let out: Vec<JsonBookmark> = rows
            .iter()
            .map(|(site, b)| JsonBookmark {
                site: site.clone(),
                name: &b.name,
                local_dir: b.local_dir.as_deref(),
                remote_dir: b.remote_dir.as_deref(),
                sync_browsing: b.sync_browsing,
                directory_comparison: b.directory_comparison,
            })
            .collect();
        return stdout_json(&out);
    }
    let table: Vec<[String; 5]> = rows
        .iter()
        .map(|(site, b)| {
            let flags: Vec<&str> = [
                (b.sync_browsing, "synchronized browsing"),
                (b.directory_comparison, "directory comparison"),
            ]
            .into_iter()
            .filter_map(|(on, word)| on.then_some(word))
            .collect();
            [
                site.clone().unwrap_or_else(|| "(global)".to_owned()),
                b.name.clone(),
                b.local_dir
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |d| d.display().to_string()),
                b.remote_dir.clone().unwrap_or_else(|| "-".to_owned()),
                flags.join(", "),
            ]
        })
        .collect();
    let width = |i: usize| table.iter().map(|r| columns(&r[i])).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i < 4 && !(i == 3 && row[4].is_empty()) {
                line.push_str(&" ".repeat(widths[i] - columns(cell) + 2));
            }
        }
        stdout_line(line.trim_end())?;
    }
    Ok(())
}

/// Writes the global bookmarks as FileZilla's `bookmarks.xml` (atomically); an existing
/// FILE only with `overwrite`.
pub(crate) fn export(file: &Path, overwrite: bool) -> anyhow::Result<()> {
    if file.exists() && !overwrite {
        anyhow::bail!(
            "{} exists; choose another file or add --overwrite",
            file.display()
        );
    }
    let global = load_global();
    let xml = crate::sites::filezilla::export_bookmarks(&global.bookmarks);
    crate::sites::write_atomically(file, xml.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    stdout_line(&format!(
        "Exported {} global bookmarks to {}",
        global.bookmarks.len(),
        file.display()
    ))
}
