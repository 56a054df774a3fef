//! Filename filters: which entries of a folder tree a recursive transfer, a comparison or a
//! sync looks at (`--exclude GLOB`, `--include GLOB`).
//!
//! The rules, as `rsync` and `lftp mirror` users expect them:
//! - a pattern without a `/` is matched against an entry's name, at any depth; one with a
//!   `/` against its path below the chosen folder (`docs/*.pdf`; a leading `/` anchors it
//!   there, `/build` but not `src/build`);
//! - an excluded folder is not entered at all (a `.git` with 100,000 objects costs nothing);
//! - once any include is given, a file must match one; folders are still entered (unless
//!   excluded), so `--include '*.php'` finds the PHP files at every depth.
//!
//! Patterns are globs (`*`, `?`, `[abc]`, `{a,b}`, `**` across folders), matched on the
//! names as text (a legacy-charset server's names decoded first).

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::rules::{CompiledRule, EntryFacts, Rule};

/// Folders of version-control systems, a built-in rule set (`--exclude-vcs`).
pub const VERSION_CONTROL: &[&str] = &[".git", ".svn", ".hg", ".bzr", "CVS", "_darcs", ".fossil"];

/// Editors' backup, swap and lock files, a built-in rule set (`--exclude-temp`).
pub const EDITOR_TEMPORARIES: &[&str] = &[
    "*~",
    "*.swp",
    "*.swo",
    ".#*",
    "#*#",
    "*.tmp",
    ".DS_Store",
    "Thumbs.db",
];

/// What a filter decided for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Take,
    /// Matched an exclude (a folder: not entered).
    Excluded,
    /// A file that matches no include, while includes were given.
    NotIncluded,
}

/// A set of exclude and include patterns, compiled once. Cheap to share (`Arc`); compares
/// and serializes as the patterns the user gave.
#[derive(Clone)]
pub struct Filters {
    patterns: Patterns,
    exclude: Matcher,
    include: Matcher,
    rules: Vec<CompiledRule>,
}

/// Compiled patterns: those matched against a name, and those against the relative path.
#[derive(Clone)]
struct Matcher {
    names: GlobSet,
    paths: GlobSet,
}

impl Matcher {
    fn hit(&self, name: &str, relative: &str) -> bool {
        self.names.is_match(name) || self.paths.is_match(relative)
    }
}

/// The patterns as given: what a queue file keeps, and what two filters are equal by.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Patterns {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// `*.JPG` matches `photo.jpg` too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_case: bool,
    /// The window's named rules (`rules::Rule`): an entry any of them matches is excluded.
    /// Absent in older queue files, which read as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

impl Patterns {
    pub fn is_empty(&self) -> bool {
        self.exclude.is_empty() && self.include.is_empty() && self.rules.is_empty()
    }
}

/// A pattern that is not a glob, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid pattern: {pattern:?}: {reason}")]
pub struct BadPattern {
    pub pattern: String,
    pub reason: String,
}

impl Filters {
    /// Compiles `patterns`.
    pub fn new(patterns: Patterns) -> Result<Self, BadPattern> {
        let exclude = compile(&patterns.exclude, patterns.ignore_case)?;
        let include = compile(&patterns.include, patterns.ignore_case)?;
        let rules = super::rules::compile_all(&patterns.rules)?;
        Ok(Self {
            patterns,
            exclude,
            include,
            rules,
        })
    }

    pub fn patterns(&self) -> &Patterns {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The verdict for the entry at `relative` (its path below the chosen folder, `/`
    /// separated, as text), a folder when `is_dir`, when nothing else is known of it (rules
    /// on a size, a time or an attribute then do not match).
    pub fn verdict(&self, relative: &str, is_dir: bool) -> Verdict {
        self.verdict_of(relative, &Known::nothing(is_dir))
    }

    /// The verdict for the entry at `relative`, with what its listing says of it.
    pub fn verdict_of(&self, relative: &str, known: &Known) -> Verdict {
        let relative = relative.trim_start_matches('/');
        let name = relative.rsplit('/').next().unwrap_or(relative);
        let is_dir = known.is_dir;
        let facts = || EntryFacts {
            name,
            path: relative,
            is_dir,
            size: known.size,
            modified: known.modified,
            permissions: known.permissions,
        };
        if self.exclude.hit(name, relative)
            || (!self.rules.is_empty() && super::rules::filtered_out(&self.rules, &facts()))
        {
            Verdict::Excluded
        } else if !is_dir && !self.patterns.include.is_empty() && !self.include.hit(name, relative)
        {
            Verdict::NotIncluded
        } else {
            Verdict::Take
        }
    }

    /// Whether the entry at `relative` is taken.
    pub fn takes(&self, relative: &str, is_dir: bool) -> bool {
        self.verdict(relative, is_dir) == Verdict::Take
    }

    /// Whether the entry at `relative` is taken, with what its listing says of it.
    pub fn takes_known(&self, relative: &str, known: &Known) -> bool {
        self.verdict_of(relative, known) == Verdict::Take
    }
}

/// What a walk knows of an entry besides its path, for rules on size, time and attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub is_dir: bool,
    pub size: Option<u64>,
    pub modified: Option<crate::proto::listing::Timestamp>,
    pub permissions: Option<&'a str>,
}

impl<'a> Known<'a> {
    pub fn nothing(is_dir: bool) -> Self {
        Self {
            is_dir,
            ..Self::default()
        }
    }

    /// What a listed entry says.
    pub fn of(entry: &'a crate::proto::listing::Entry) -> Self {
        Self {
            is_dir: entry.kind == crate::proto::listing::EntryKind::Dir,
            size: entry.size,
            modified: entry.modified,
            permissions: entry.permissions.as_deref(),
        }
    }
}

impl Default for Filters {
    fn default() -> Self {
        Self::new(Patterns::default()).expect("no patterns compile")
    }
}

impl PartialEq for Filters {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for Filters {}

impl std::fmt::Debug for Filters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.patterns.fmt(f)
    }
}

fn compile(patterns: &[String], ignore_case: bool) -> Result<Matcher, BadPattern> {
    let mut names = GlobSetBuilder::new();
    let mut paths = GlobSetBuilder::new();
    for pattern in patterns {
        let bad = |reason: String| BadPattern {
            pattern: pattern.clone(),
            reason,
        };
        if pattern.trim().is_empty() {
            return Err(bad("it is empty".into()));
        }
        // A name pattern matches a name; an anchored or path pattern the relative path,
        // where `*` never crosses a `/` (`docs/*` takes only what is directly in docs).
        let (set, text) = match pattern.strip_prefix('/') {
            Some(anchored) => (&mut paths, anchored),
            None if pattern.contains('/') => (&mut paths, pattern.as_str()),
            None => (&mut names, pattern.as_str()),
        };
        let glob: Glob = GlobBuilder::new(text)
            .literal_separator(true)
            .case_insensitive(ignore_case)
            .backslash_escape(true)
            .build()
            .map_err(|e| bad(e.kind().to_string()))?;
        set.add(glob);
    }
    let build = |set: GlobSetBuilder| {
        set.build().map_err(|e| BadPattern {
            pattern: patterns.join(" "),
            reason: e.to_string(),
        })
    };
    Ok(Matcher {
        names: build(names)?,
        paths: build(paths)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(exclude: &[&str], include: &[&str]) -> Filters {
        Filters::new(Patterns {
            exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
            include: include.iter().map(|s| (*s).to_owned()).collect(),
            ignore_case: false,
            rules: Vec::new(),
        })
        .unwrap()
    }

    #[test]
    fn a_name_pattern_matches_at_any_depth_and_a_path_pattern_only_there() {
        let f = filters(&["*.log", "docs/*.pdf", "/build"], &[]);
        assert_eq!(f.verdict("app.log", false), Verdict::Excluded);
        assert_eq!(f.verdict("a/b/c/app.log", false), Verdict::Excluded);
        assert_eq!(f.verdict("docs/guide.pdf", false), Verdict::Excluded);
        assert_eq!(f.verdict("docs/old/guide.pdf", false), Verdict::Take);
        assert_eq!(f.verdict("guide.pdf", false), Verdict::Take);
        assert_eq!(f.verdict("build", true), Verdict::Excluded);
        assert_eq!(f.verdict("src/build", true), Verdict::Take, "anchored");
        assert_eq!(f.verdict("app.logger", false), Verdict::Take);
    }

    #[test]
    fn includes_choose_files_but_every_folder_is_entered_unless_excluded() {
        let f = filters(&[".git"], &["*.php", "**/*.css"]);
        assert_eq!(f.verdict("index.php", false), Verdict::Take);
        assert_eq!(f.verdict("lib/deep/x.php", false), Verdict::Take);
        assert_eq!(f.verdict("a/b.css", false), Verdict::Take);
        assert_eq!(f.verdict("README", false), Verdict::NotIncluded);
        assert_eq!(f.verdict("lib", true), Verdict::Take);
        assert_eq!(f.verdict("lib/.git", true), Verdict::Excluded);
        assert_eq!(
            f.verdict(".git/x.php", false),
            Verdict::Take,
            "a file is judged alone; its excluded folder is never entered"
        );
    }

    #[test]
    fn case_is_ignored_only_when_asked() {
        let strict = filters(&["*.jpg"], &[]);
        assert!(strict.takes("PHOTO.JPG", false));
        let loose = Filters::new(Patterns {
            exclude: vec!["*.jpg".into()],
            include: vec![],
            ignore_case: true,
            rules: vec![],
        })
        .unwrap();
        assert!(!loose.takes("PHOTO.JPG", false));
    }

    #[test]
    fn the_built_in_sets_catch_what_they_name() {
        let vcs = filters(VERSION_CONTROL, &[]);
        assert!(!vcs.takes("site/.git", true));
        assert!(!vcs.takes("CVS", true));
        assert!(vcs.takes(".github", true));
        let temp = filters(EDITOR_TEMPORARIES, &[]);
        for name in [
            "index.html~",
            ".index.html.swp",
            ".#notes",
            "#draft#",
            ".DS_Store",
        ] {
            assert!(!temp.takes(name, false), "{name}");
        }
        assert!(temp.takes("index.html", false));
    }

    #[test]
    fn bad_and_empty_patterns_are_refused_with_the_pattern() {
        let err = Filters::new(Patterns {
            exclude: vec!["[abc".into()],
            ..Patterns::default()
        })
        .unwrap_err();
        assert_eq!(err.pattern, "[abc");
        assert!(err.to_string().contains("[abc"), "{err}");
        assert!(
            Filters::new(Patterns {
                include: vec![" ".into()],
                ..Patterns::default()
            })
            .is_err()
        );
    }

    #[test]
    fn no_patterns_take_everything() {
        let none = Filters::default();
        assert!(none.is_empty());
        assert!(none.takes("anything/at/all", false));
        assert_eq!(none, filters(&[], &[]));
        assert_ne!(none, filters(&["*.log"], &[]));
    }
}
