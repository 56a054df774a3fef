//! Named filename filter rules, as FileZilla's "Directory listing filters" dialog has them:
//! a rule is a list of conditions on an entry's name, path, size, modification time or
//! attributes, joined by "all" or "any" (or their negations), for files, folders or both.
//! An entry a rule matches is filtered out: hidden in a pane, skipped by a transfer.
//!
//! Pure: a rule is compiled once (`Rule::compile`: globs, regexes and dates checked, a bad
//! one an error in words, never a panic) and evaluated over an entry's facts
//! (`EntryFacts`). Which rules are on for which pane, and whether they apply to transfers,
//! is the `RuleBook`, kept as `filters.toml` in the config folder.

use globset::{GlobBuilder, GlobMatcher};

use crate::proto::listing::{Entry, EntryKind, Timestamp};

use super::filter::{BadPattern, EDITOR_TEMPORARIES, VERSION_CONTROL};

/// The file in the config folder that keeps the rule book (read and written by the window,
/// as its other config files: `gui::filters::load_book`).
pub const RULES_FILE: &str = "filters.toml";
pub const RULES_VERSION: u32 = 1;

/// How a rule's conditions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// Every condition holds.
    #[default]
    All,
    /// At least one holds.
    Any,
    /// None holds.
    None,
    /// Not every one holds.
    NotAll,
}

impl Combine {
    pub const ALL: [Combine; 4] = [Combine::All, Combine::Any, Combine::None, Combine::NotAll];

    pub fn words(self) -> &'static str {
        match self {
            Combine::All => "all conditions hold",
            Combine::Any => "any condition holds",
            Combine::None => "no condition holds",
            Combine::NotAll => "not all conditions hold",
        }
    }
}

/// How a name or a path is compared with the condition's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextOp {
    Equals,
    Contains,
    NotContains,
    BeginsWith,
    EndsWith,
    /// A glob: `*`, `?`, `[abc]`, `{a,b}` (`*` does not cross a `/`; `**` does).
    Glob,
    /// A regular expression (the `regex` crate's syntax), found anywhere unless anchored.
    Regex,
}

impl TextOp {
    pub const ALL: [TextOp; 7] = [
        TextOp::Equals,
        TextOp::Contains,
        TextOp::NotContains,
        TextOp::BeginsWith,
        TextOp::EndsWith,
        TextOp::Glob,
        TextOp::Regex,
    ];

    pub fn words(self) -> &'static str {
        match self {
            TextOp::Equals => "equals",
            TextOp::Contains => "contains",
            TextOp::NotContains => "does not contain",
            TextOp::BeginsWith => "begins with",
            TextOp::EndsWith => "ends with",
            TextOp::Glob => "matches the glob",
            TextOp::Regex => "matches the regex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeOp {
    Greater,
    Less,
    Equal,
}

impl SizeOp {
    pub const ALL: [SizeOp; 3] = [SizeOp::Greater, SizeOp::Less, SizeOp::Equal];

    pub fn words(self) -> &'static str {
        match self {
            SizeOp::Greater => "is greater than",
            SizeOp::Less => "is less than",
            SizeOp::Equal => "equals",
        }
    }
}

/// Units of a size condition's value (powers of 1024, as file managers show sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SizeUnit {
    #[default]
    B,
    KiB,
    MiB,
    GiB,
}

impl SizeUnit {
    pub const ALL: [SizeUnit; 4] = [SizeUnit::B, SizeUnit::KiB, SizeUnit::MiB, SizeUnit::GiB];

    pub fn bytes(self) -> u64 {
        match self {
            SizeUnit::B => 1,
            SizeUnit::KiB => 1 << 10,
            SizeUnit::MiB => 1 << 20,
            SizeUnit::GiB => 1 << 30,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            SizeUnit::B => "bytes",
            SizeUnit::KiB => "KiB",
            SizeUnit::MiB => "MiB",
            SizeUnit::GiB => "GiB",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOp {
    Before,
    After,
}

/// Attributes known from a listing's permissions (where the server gives them) or the
/// local file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attribute {
    /// A dot file (`.htaccess`), as Unix hides them.
    Hidden,
    /// The owner may not write it.
    ReadOnly,
    /// The owner may run it.
    Executable,
}

impl Attribute {
    pub const ALL: [Attribute; 3] = [
        Attribute::Hidden,
        Attribute::ReadOnly,
        Attribute::Executable,
    ];

    pub fn words(self) -> &'static str {
        match self {
            Attribute::Hidden => "hidden (a dot file)",
            Attribute::ReadOnly => "read-only",
            Attribute::Executable => "executable",
        }
    }
}

/// One test on an entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "field", rename_all = "kebab-case")]
pub enum Condition {
    /// The entry's name.
    Name { op: TextOp, value: String },
    /// Its path: below the chosen folder in a transfer, the folder's full path in a pane.
    Path { op: TextOp, value: String },
    /// A file's size (a folder has none: never matches).
    Size {
        op: SizeOp,
        value: u64,
        #[serde(default)]
        unit: SizeUnit,
    },
    /// The modification time against a day (`2024-05-31`, UTC) or a moment
    /// (`2024-05-31 14:30`): before its start, or after its end. Unknown: never matches.
    Modified { op: DateOp, value: String },
    /// An attribute is set (`is: true`) or not. Unknown: never matches.
    Attribute { attribute: Attribute, is: bool },
}

impl Condition {
    /// A new name condition, as the editor adds one.
    pub fn name(op: TextOp, value: &str) -> Self {
        Condition::Name {
            op,
            value: value.to_owned(),
        }
    }
}

/// A named rule: entries it matches are filtered out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub combine: Combine,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// It applies to files, to folders, or both.
    #[serde(default = "yes")]
    pub files: bool,
    #[serde(default = "yes")]
    pub folders: bool,
    /// Names and paths compare case-sensitively.
    #[serde(default)]
    pub case_sensitive: bool,
}

fn yes() -> bool {
    true
}

impl Rule {
    /// An empty rule for files and folders, as New makes one.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            combine: Combine::All,
            conditions: vec![Condition::name(TextOp::Contains, "")],
            files: true,
            folders: true,
            case_sensitive: false,
        }
    }

    /// Built in: the folders of version-control systems (`.git`, `.svn`, ...).
    pub fn version_control() -> Self {
        Self {
            name: "Version-control folders".to_owned(),
            combine: Combine::Any,
            conditions: globs(VERSION_CONTROL),
            files: false,
            folders: true,
            case_sensitive: true,
        }
    }

    /// Built in: editors' backup, swap and lock files (`*~`, `*.swp`, ...).
    pub fn editor_temporaries() -> Self {
        Self {
            name: "Editor temporary files".to_owned(),
            combine: Combine::Any,
            conditions: globs(EDITOR_TEMPORARIES),
            files: true,
            folders: false,
            case_sensitive: false,
        }
    }

    /// The rule ready to evaluate; a bad glob, regex or date is an error naming it.
    pub fn compile(&self) -> Result<CompiledRule, BadPattern> {
        let conditions = self
            .conditions
            .iter()
            .map(|c| Test::compile(c, self.case_sensitive))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|mut err| {
                err.reason = format!("in the rule {:?}: {}", self.name, err.reason);
                err
            })?;
        Ok(CompiledRule {
            combine: self.combine,
            files: self.files,
            folders: self.folders,
            conditions,
        })
    }
}

fn globs(patterns: &[&str]) -> Vec<Condition> {
    patterns
        .iter()
        .map(|p| Condition::name(TextOp::Glob, p))
        .collect()
}

/// What a rule looks at in one entry.
#[derive(Debug, Clone, Copy)]
pub struct EntryFacts<'a> {
    /// The name, as text (a legacy-charset server's names decoded).
    pub name: &'a str,
    /// The path the `Path` conditions look at (`/`-separated).
    pub path: &'a str,
    pub is_dir: bool,
    pub size: Option<u64>,
    pub modified: Option<Timestamp>,
    /// Permissions as listed (`-rw-r--r--`, `drwxr-xr-x`) or an octal mode (`644`).
    pub permissions: Option<&'a str>,
}

impl<'a> EntryFacts<'a> {
    /// The facts of a listed entry, named `name` and found at `path`.
    pub fn of(entry: &'a Entry, name: &'a str, path: &'a str) -> Self {
        Self {
            name,
            path,
            is_dir: entry.kind == EntryKind::Dir,
            size: entry.size,
            modified: entry.modified,
            permissions: entry.permissions.as_deref(),
        }
    }
}

/// A rule compiled: evaluated without allocating.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    combine: Combine,
    files: bool,
    folders: bool,
    conditions: Vec<Test>,
}

impl CompiledRule {
    /// Whether the rule filters this entry out.
    pub fn matches(&self, facts: &EntryFacts) -> bool {
        let applies = if facts.is_dir {
            self.folders
        } else {
            self.files
        };
        if !applies || self.conditions.is_empty() {
            return false;
        }
        let mut results = self.conditions.iter().map(|t| t.holds(facts));
        match self.combine {
            Combine::All => results.all(|r| r),
            Combine::Any => results.any(|r| r),
            Combine::None => !results.any(|r| r),
            Combine::NotAll => !results.all(|r| r),
        }
    }
}

/// One condition, compiled.
#[derive(Debug, Clone)]
enum Test {
    Name(TextTest),
    Path(TextTest),
    Size(SizeOp, u64),
    /// Unix seconds: before the first, or at or after the second (the end of the day or
    /// the minute given).
    Before(i64),
    After(i64),
    Attribute(Attribute, bool),
}

#[derive(Debug, Clone)]
enum TextTest {
    /// The text compared, folded to lower case when case does not matter.
    Plain {
        op: TextOp,
        value: String,
        case_sensitive: bool,
    },
    Glob(GlobMatcher),
    Regex(regex::Regex),
}

impl Test {
    fn compile(condition: &Condition, case_sensitive: bool) -> Result<Self, BadPattern> {
        Ok(match condition {
            Condition::Name { op, value } => Test::Name(TextTest::new(*op, value, case_sensitive)?),
            Condition::Path { op, value } => Test::Path(TextTest::new(*op, value, case_sensitive)?),
            Condition::Size { op, value, unit } => {
                let bytes = value.checked_mul(unit.bytes()).ok_or_else(|| BadPattern {
                    pattern: format!("{value} {}", unit.words()),
                    reason: "the size is too large".to_owned(),
                })?;
                Test::Size(*op, bytes)
            }
            Condition::Modified { op, value } => {
                let (start, end) = parse_moment(value).ok_or_else(|| BadPattern {
                    pattern: value.clone(),
                    reason: "not a date: write 2024-05-31 or 2024-05-31 14:30".to_owned(),
                })?;
                match op {
                    DateOp::Before => Test::Before(start),
                    DateOp::After => Test::After(end),
                }
            }
            Condition::Attribute { attribute, is } => Test::Attribute(*attribute, *is),
        })
    }

    fn holds(&self, facts: &EntryFacts) -> bool {
        match self {
            Test::Name(text) => text.holds(facts.name),
            Test::Path(text) => text.holds(facts.path),
            Test::Size(op, bytes) => facts.size.is_some_and(|size| match op {
                SizeOp::Greater => size > *bytes,
                SizeOp::Less => size < *bytes,
                SizeOp::Equal => size == *bytes,
            }),
            Test::Before(start) => facts.modified.is_some_and(|t| t.to_unix_secs() < *start),
            Test::After(end) => facts.modified.is_some_and(|t| t.to_unix_secs() >= *end),
            Test::Attribute(attribute, is) => {
                attribute_of(*attribute, facts).is_some_and(|set| set == *is)
            }
        }
    }
}

impl TextTest {
    fn new(op: TextOp, value: &str, case_sensitive: bool) -> Result<Self, BadPattern> {
        let bad = |reason: String| BadPattern {
            pattern: value.to_owned(),
            reason,
        };
        // An empty text would match every name ("contains nothing"): a rule saved half
        // made must not hide a whole folder.
        if value.is_empty() {
            return Err(bad("the text to compare with is empty".to_owned()));
        }
        Ok(match op {
            TextOp::Glob => {
                let glob = GlobBuilder::new(value)
                    .literal_separator(true)
                    .case_insensitive(!case_sensitive)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| bad(e.kind().to_string()))?;
                TextTest::Glob(glob.compile_matcher())
            }
            TextOp::Regex => {
                let regex = regex::RegexBuilder::new(value)
                    .case_insensitive(!case_sensitive)
                    // A pattern is typed by a person: a runaway one is refused, not built.
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| bad(regex_reason(&e)))?;
                TextTest::Regex(regex)
            }
            _ => TextTest::Plain {
                op,
                value: fold(value, case_sensitive).into_owned(),
                case_sensitive,
            },
        })
    }

    fn holds(&self, text: &str) -> bool {
        match self {
            TextTest::Glob(glob) => glob.is_match(text),
            TextTest::Regex(regex) => regex.is_match(text),
            TextTest::Plain {
                op,
                value,
                case_sensitive,
            } => {
                let text = fold(text, *case_sensitive);
                match op {
                    TextOp::Equals => text == *value,
                    TextOp::Contains => text.contains(value.as_str()),
                    TextOp::NotContains => !text.contains(value.as_str()),
                    TextOp::BeginsWith => text.starts_with(value.as_str()),
                    TextOp::EndsWith => text.ends_with(value.as_str()),
                    TextOp::Glob | TextOp::Regex => false,
                }
            }
        }
    }
}

fn fold(text: &str, case_sensitive: bool) -> std::borrow::Cow<'_, str> {
    if case_sensitive {
        text.into()
    } else {
        text.to_lowercase().into()
    }
}

/// The regex crate's error, on one line (its syntax errors draw a caret over the pattern).
fn regex_reason(err: &regex::Error) -> String {
    match err {
        regex::Error::Syntax(text) => {
            let last = text.lines().rev().find(|l| l.starts_with("error:"));
            last.unwrap_or("not a valid regular expression").to_owned()
        }
        other => other.to_string(),
    }
}

/// `2024-05-31` (the whole day) or `2024-05-31 14:30[:15]` (that moment), UTC: the Unix
/// seconds it starts and ends at.
pub fn parse_moment(text: &str) -> Option<(i64, i64)> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let Some(time) = time else {
        let start = Timestamp::date(year, month, day)?.to_unix_secs();
        return Some((start, start + 86_400));
    };
    let mut fields = time.split(':');
    let hour: u8 = fields.next()?.parse().ok()?;
    let minute: u8 = fields.next()?.parse().ok()?;
    let (second, length) = match fields.next() {
        Some(s) => (s.parse().ok()?, 1),
        None => (0, 60),
    };
    if fields.next().is_some() {
        return None;
    }
    let precision = crate::proto::listing::TimePrecision::Second;
    let start = Timestamp::new(year, month, day, hour, minute, second, precision)?.to_unix_secs();
    Some((start, start + length))
}

/// Whether `attribute` is set, where the facts tell.
fn attribute_of(attribute: Attribute, facts: &EntryFacts) -> Option<bool> {
    let owner = || facts.permissions.and_then(owner_bits);
    match attribute {
        Attribute::Hidden => Some(facts.name.starts_with('.')),
        Attribute::ReadOnly => owner().map(|mode| mode & 0o2 == 0),
        Attribute::Executable => owner().map(|mode| mode & 0o1 != 0),
    }
}

/// The owner's rwx bits (4, 2, 1) from `-rw-r--r--`, `drwxr-xr-x`, `rwxr-xr-x` or an
/// octal mode (`644`, `0755`); `None` for other forms (DOS attributes, MLSD perm facts).
fn owner_bits(permissions: &str) -> Option<u8> {
    let p = permissions.trim();
    if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let mode = u32::from_str_radix(p, 8).ok()?;
        return u8::try_from((mode >> 6) & 0o7).ok();
    }
    let symbolic = match p.len() {
        10 => &p[1..4],
        9 => &p[0..3],
        _ => return None,
    };
    let b = symbolic.as_bytes();
    let bit = |i: usize, on: u8, value: u8| match b[i] {
        x if x == on => Some(value),
        b'-' => Some(0),
        // setuid/sticky forms (`s`, `S`, `t`, `T`) in the execute place.
        b's' | b't' if i == 2 => Some(value),
        b'S' | b'T' if i == 2 => Some(0),
        _ => None,
    };
    Some(bit(0, b'r', 4)? | bit(1, b'w', 2)? | bit(2, b'x', 1)?)
}

/// The rules, which are on in which pane, and the switches: what `filters.toml` keeps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RuleBook {
    /// Filters on at all (the toolbar's toggle turns them all off and on again).
    pub enabled: bool,
    /// The rules on for a pane apply to its transfers, the comparison and a sync too.
    pub apply_to_transfers: bool,
    /// The names of the rules on in the local pane, and in the remote pane.
    pub local: Vec<String>,
    pub remote: Vec<String>,
    pub rules: Vec<Rule>,
}

impl Default for RuleBook {
    fn default() -> Self {
        Self {
            enabled: true,
            apply_to_transfers: false,
            local: Vec::new(),
            remote: Vec::new(),
            rules: vec![Rule::version_control(), Rule::editor_temporaries()],
        }
    }
}

/// Which pane's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneSide {
    Local,
    Remote,
}

impl RuleBook {
    fn names(&self, side: PaneSide) -> &Vec<String> {
        match side {
            PaneSide::Local => &self.local,
            PaneSide::Remote => &self.remote,
        }
    }

    pub fn is_on(&self, side: PaneSide, rule: &str) -> bool {
        self.names(side).iter().any(|n| n == rule)
    }

    /// Ticks or unticks `rule` for `side`'s pane.
    pub fn set_on(&mut self, side: PaneSide, rule: &str, on: bool) {
        let names = match side {
            PaneSide::Local => &mut self.local,
            PaneSide::Remote => &mut self.remote,
        };
        names.retain(|n| n != rule);
        if on {
            names.push(rule.to_owned());
        }
    }

    /// The rules ticked for `side` (whether or not filters are enabled).
    pub fn active(&self, side: PaneSide) -> Vec<Rule> {
        self.rules
            .iter()
            .filter(|r| self.is_on(side, &r.name))
            .cloned()
            .collect()
    }

    /// `side`'s rules as they filter its pane now: none while filters are off.
    pub fn pane_rules(&self, side: PaneSide) -> Vec<Rule> {
        if self.enabled {
            self.active(side)
        } else {
            Vec::new()
        }
    }

    /// The filters a recursive transfer, a comparison or a sync from `side` takes: its
    /// pane's rules when filters are on and "apply to transfers" is ticked, else `None`.
    pub fn transfer_filters(&self, side: PaneSide) -> Result<Option<super::Filters>, BadPattern> {
        if !self.apply_to_transfers {
            return Ok(None);
        }
        let rules = self.pane_rules(side);
        if rules.is_empty() {
            return Ok(None);
        }
        super::Filters::new(super::Patterns {
            rules,
            ..Default::default()
        })
        .map(Some)
    }

    /// A name for a new or copied rule that no rule has yet (`base`, `base (2)`, ...).
    pub fn free_name(&self, base: &str) -> String {
        let taken = |name: &str| self.rules.iter().any(|r| r.name == name);
        if !taken(base) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base} ({n})"))
            .find(|name| !taken(name))
            .unwrap_or_else(|| base.to_owned())
    }

    /// Renames a rule, keeping its ticks.
    pub fn rename(&mut self, from: &str, to: &str) {
        for names in [&mut self.local, &mut self.remote] {
            for name in names.iter_mut().filter(|n| *n == from) {
                *name = to.to_owned();
            }
        }
    }

    /// Adds rules imported from elsewhere (FileZilla's filters.xml) with their ticks; a name
    /// taken already gets a number. Returns the names they were given.
    pub fn add_imported(&mut self, rules: Vec<(Rule, bool, bool)>) -> Vec<String> {
        let mut names = Vec::new();
        for (mut rule, local, remote) in rules {
            rule.name = self.free_name(&rule.name);
            self.set_on(PaneSide::Local, &rule.name, local);
            self.set_on(PaneSide::Remote, &rule.name, remote);
            names.push(rule.name.clone());
            self.rules.push(rule);
        }
        names
    }

    /// Deletes the rule named `name` and its ticks.
    pub fn delete(&mut self, name: &str) {
        self.rules.retain(|r| r.name != name);
        self.local.retain(|n| n != name);
        self.remote.retain(|n| n != name);
    }
}

/// Compiles `rules`; the first bad one is the error.
pub fn compile_all(rules: &[Rule]) -> Result<Vec<CompiledRule>, BadPattern> {
    rules.iter().map(Rule::compile).collect()
}

/// Whether any of `rules` filters the entry out.
pub fn filtered_out(rules: &[CompiledRule], facts: &EntryFacts) -> bool {
    rules.iter().any(|r| r.matches(facts))
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
