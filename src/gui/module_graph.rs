//! A test, not part of the window: `gui`'s modules import each other without a cycle.
//!
//! It reads `src/gui` (each `.rs` file and each folder is one module; a folder's files,
//! such as `app/*.rs`, are part of that module, and `gui/mod.rs`, which declares them all,
//! is left out), collects the sibling modules each one names (`crate::gui::<module>`,
//! `crate::gui::{<module>, ..}`, a name `gui/mod.rs` re-exports from a module, or `super::`
//! as far up as `gui`), and fails naming the cycle if there is one. Comments and string
//! literals are stripped first, so a module named in words does not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → the sibling modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// A source file of a module, and how many folders below `gui/` it is.
struct Source {
    depth: usize,
    code: String,
}

#[test]
fn the_gui_modules_import_each_other_without_a_cycle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gui");
    let graph = graph_of(&dir);
    assert!(graph.len() > 10, "gui's modules were not found: {graph:?}");
    assert!(
        graph["app"].contains("model"),
        "the references were not read: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "gui's modules import each other in a circle: {}\n\
             Move what both need into a module that neither imports, or make the module \
             that needs the whole app a child of `app` (see gui/mod.rs).\n{}",
            cycle.join(" -> "),
            describe(&graph)
        );
    }
}

/// `gui`'s module graph, read from the source folder `dir`.
fn graph_of(dir: &Path) -> Graph {
    let root = std::fs::read_to_string(dir.join("mod.rs")).expect("gui/mod.rs");
    let mut sources: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("src/gui") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            let mut files = Vec::new();
            rust_files(&path, 1, &mut files);
            sources.insert(name.to_owned(), files);
        } else if path.extension().is_some_and(|e| e == "rs") && name != "mod" {
            let code = std::fs::read_to_string(&path).expect("a source file");
            sources.insert(name.to_owned(), vec![Source { depth: 0, code }]);
        }
    }
    graph_from(&root, &sources)
}

/// The `.rs` files under `dir`, `depth` folders below `gui/`.
fn rust_files(dir: &Path, depth: usize, files: &mut Vec<Source>) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a module folder")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, depth + 1, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let code = std::fs::read_to_string(&path).expect("a source file");
            // A folder's `mod.rs` is the module itself, a level up from its children.
            let depth = if path.ends_with("mod.rs") {
                depth - 1
            } else {
                depth
            };
            files.push(Source { depth, code });
        }
    }
}

fn graph_from(root: &str, sources: &BTreeMap<String, Vec<Source>>) -> Graph {
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let reexports = reexports(&strip_comments_and_strings(root), &modules);
    let mut graph = Graph::new();
    for (module, files) in sources {
        let mut names = BTreeSet::new();
        for file in files {
            let code = strip_comments_and_strings(&file.code);
            for name in gui_paths(&code, file.depth) {
                let target = reexports.get(&name).unwrap_or(&name);
                if modules.contains(target) && target != module {
                    names.insert(target.clone());
                }
            }
        }
        graph.insert(module.clone(), names);
    }
    graph
}

/// The items `gui/mod.rs` re-exports from a module (`pub use app::{AppOptions, SkiffApp};`):
/// item → module, so `crate::gui::SkiffApp` counts as naming `app`.
fn reexports(root: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (at, _) in root.match_indices("pub use ") {
        let rest = &root[at + "pub use ".len()..];
        let rest = rest.split(';').next().unwrap_or_default();
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let module = module.trim();
        if !modules.contains(module) {
            continue;
        }
        for item in items
            .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
            .split(',')
        {
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            let name = name.rsplit("::").next().unwrap_or(name);
            if !name.is_empty() {
                map.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    map
}

/// The first name after each path into `gui` in `code` (a file `depth` folders below
/// `gui/`): `crate::gui::a`, each item of `crate::gui::{a, b::c}`, and `super::a` from
/// `gui/x.rs` (`super::super::a` from `gui/x/y.rs`).
fn gui_paths(code: &str, depth: usize) -> Vec<String> {
    let mut names = Vec::new();
    let supers = "super::".repeat(depth + 1);
    for prefix in ["crate::gui::", supers.as_str()] {
        let mut from = 0;
        while let Some(found) = code[from..].find(prefix) {
            let start = from + found;
            from = start + prefix.len();
            // A whole path: not the tail of a longer one (`x::crate::gui`, `super::super::`).
            let before = code[..start].chars().next_back();
            if before.is_some_and(|c| c == ':' || is_ident(c)) {
                continue;
            }
            let rest = &code[from..];
            if prefix != "crate::gui::" && rest.starts_with("super::") {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                names.extend(group_items(group));
            } else {
                names.push(leading_ident(rest));
            }
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The first name of each item of a `{..}` group (`a, b::{c, d}, e}` → a, b, e).
fn group_items(group: &str) -> Vec<String> {
    let mut items = vec![leading_ident(group.trim_start())];
    let mut depth = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(leading_ident(group[i + 1..].trim_start())),
            _ => {}
        }
    }
    items
}

fn leading_ident(text: &str) -> String {
    text.chars().take_while(|&c| is_ident(c)).collect()
}

fn is_ident(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// `code` with comments and string, byte-string and char literals blanked out (lifetimes
/// stay), so only code is searched.
fn strip_comments_and_strings(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let ident_before = i > 0 && is_ident(chars[i - 1]);
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(end) = raw_string_end(&chars, i).filter(|_| !ident_before) {
            i = end;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{..}': past the escaped character, then to the closing quote.
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where the raw string starting at `i` (`r"..."`, `br#"..."#`) ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// A cycle in `graph`, as the modules along it (the first repeated at the end).
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::OnPath) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::OnPath);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

/// The graph, one module a line, for the failure message.
fn describe(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, names)| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            format!("  {module} -> {}", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_check_finds_a_cycle_and_ignores_words_in_comments_and_strings() {
    let file = |depth: usize, code: &str| Source {
        depth,
        code: code.to_owned(),
    };
    let mut sources = BTreeMap::new();
    sources.insert(
        "app".to_owned(),
        vec![
            file(0, "use crate::gui::{model::Model, pane};\nmod commands;"),
            // A child naming its parent (`super::`) or a sibling two levels up.
            file(
                1,
                "use super::SkiffApp;\nuse super::super::dialogs::Dialog;",
            ),
        ],
    );
    sources.insert(
        "model".to_owned(),
        vec![file(
            0,
            "// crate::gui::app is only mentioned\nconst A: &str = \"crate::gui::app\";\n\
             const B: &str = r#\"super::app \"quoted\"\"#;\nconst C: char = '\"';\n\
             const D: char = '\\'';\n\
             fn f<'a>(x: &'a str) -> &'a str { x }\nuse crate::gui::pane;",
        )],
    );
    sources.insert("pane".to_owned(), vec![file(0, "/* crate::gui::app */")]);
    sources.insert(
        "dialogs".to_owned(),
        vec![file(0, "mod tests { use super::*; }")],
    );
    let graph = graph_from("pub use app::{AppOptions, SkiffApp};", &sources);
    assert_eq!(
        graph["app"],
        ["dialogs", "model", "pane"].map(String::from).into()
    );
    assert_eq!(graph["model"], ["pane"].map(String::from).into());
    assert!(graph["pane"].is_empty() && graph["dialogs"].is_empty());
    assert_eq!(find_cycle(&graph), None);

    // A re-exported name counts as its module: pane -> app -> pane.
    sources.insert(
        "pane".to_owned(),
        vec![file(0, "fn f(_: crate::gui::SkiffApp) {}")],
    );
    let graph = graph_from("pub use app::{AppOptions, SkiffApp};", &sources);
    let cycle = find_cycle(&graph).expect("the cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"app".to_owned()) && cycle.contains(&"pane".to_owned()));
}
