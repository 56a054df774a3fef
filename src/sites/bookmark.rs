//! Bookmarks: a named pair of a local and a remote folder, as FileZilla's (Bookmarks menu).
//! A site's own bookmarks are kept with the site in `sites.toml`; global ones, which belong
//! to no server, in `bookmarks.toml` beside it. Names are unique within one list.
//!
//! A remote folder is text, as a site's default remote folder is: it is encoded in the
//! server's charset when it is opened, so the same bookmark works however the server spells
//! names.

use std::path::{Path, PathBuf};

use crate::sites::config_file::{self, Loaded, SaveError};

/// One bookmark.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Bookmark {
    pub name: String,
    pub local_dir: Option<PathBuf>,
    /// An absolute remote path (`/pub/자료`, or `C:\data` on a DOS server).
    pub remote_dir: Option<String>,
    /// Turn synchronized browsing on between the two folders (needs both).
    pub sync_browsing: bool,
    /// Turn directory comparison on.
    pub directory_comparison: bool,
}

/// Why a bookmark cannot be saved as it is, in FileZilla's words where it has them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookmarkError {
    #[error("Enter a name for the bookmark.")]
    NoName,
    #[error("Enter at least one folder: a bookmark without a folder goes nowhere.")]
    NoFolder,
    #[error(
        "Synchronized browsing needs both a local and a remote folder: enter both, or untick it."
    )]
    SyncNeedsBoth,
    #[error("The remote folder must be an absolute path (/folder, or C:\\folder).")]
    RemoteNotAbsolute,
    #[error("A bookmark named {0:?} exists already: choose another name.")]
    NameTaken(String),
}

impl Bookmark {
    /// What keeps this bookmark from being saved, if anything.
    pub fn check(&self) -> Result<(), BookmarkError> {
        if self.name.trim().is_empty() {
            return Err(BookmarkError::NoName);
        }
        let local = self
            .local_dir
            .as_ref()
            .filter(|d| !d.as_os_str().is_empty());
        let remote = self.remote_dir.as_deref().filter(|d| !d.is_empty());
        if local.is_none() && remote.is_none() {
            return Err(BookmarkError::NoFolder);
        }
        if self.sync_browsing && (local.is_none() || remote.is_none()) {
            return Err(BookmarkError::SyncNeedsBoth);
        }
        if remote.is_some_and(|r| !is_absolute_remote(r)) {
            return Err(BookmarkError::RemoteNotAbsolute);
        }
        Ok(())
    }

    /// The bookmark with its name trimmed and empty folders as none.
    pub fn tidied(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self.local_dir = self.local_dir.filter(|d| !d.as_os_str().is_empty());
        self.remote_dir = self
            .remote_dir
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        self
    }
}

/// `/a/b`, or a DOS drive path `C:\a`, `C:/a`.
fn is_absolute_remote(path: &str) -> bool {
    let mut chars = path.chars();
    match (chars.next(), chars.next()) {
        (Some('/'), _) => true,
        (Some(c), Some(':')) => c.is_ascii_alphabetic(),
        _ => false,
    }
}

/// Adds `bookmark` to `list`, checked, with its name unique there.
pub fn add(list: &mut Vec<Bookmark>, bookmark: Bookmark) -> Result<(), BookmarkError> {
    let bookmark = bookmark.tidied();
    bookmark.check()?;
    if list.iter().any(|b| b.name == bookmark.name) {
        return Err(BookmarkError::NameTaken(bookmark.name));
    }
    list.push(bookmark);
    Ok(())
}

/// Checks a whole edited list (Bookmarks > Manage): every bookmark valid, no name twice.
/// The error names the bookmark it is about.
pub fn check_all(list: &[Bookmark]) -> Result<(), (usize, BookmarkError)> {
    for (i, bookmark) in list.iter().enumerate() {
        bookmark.check().map_err(|e| (i, e))?;
        let name = bookmark.name.trim();
        if list[..i].iter().any(|b| b.name.trim() == name) {
            return Err((i, BookmarkError::NameTaken(name.to_owned())));
        }
    }
    Ok(())
}

/// `name`, or `name (2)`, ...: a name no bookmark in `list` has.
pub fn free_name(list: &[Bookmark], name: &str) -> String {
    let taken = |candidate: &str| list.iter().any(|b| b.name == candidate);
    if !taken(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name} ({n})"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_owned())
}

/// Adds imported bookmarks to `list`; a taken name becomes `name (2)`. Returns one note per
/// rename, naming `whose` list it is ("the global bookmarks", "site \"web\"").
pub fn merge(list: &mut Vec<Bookmark>, imported: Vec<Bookmark>, whose: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for mut bookmark in imported {
        let free = free_name(list, &bookmark.name);
        if free != bookmark.name {
            notes.push(format!(
                "bookmark {:?} exists already in {whose}; the imported one is {free:?}",
                bookmark.name
            ));
            bookmark.name = free;
        }
        list.push(bookmark);
    }
    notes
}

/// The global bookmarks, as kept in `bookmarks.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GlobalBookmarks {
    #[serde(rename = "bookmark")]
    pub bookmarks: Vec<Bookmark>,
}

pub const BOOKMARKS_FILE: &str = "bookmarks.toml";
pub const BOOKMARKS_VERSION: u32 = 1;

impl GlobalBookmarks {
    /// `bookmarks.toml` in Skiff's config folder.
    pub fn default_path() -> Option<PathBuf> {
        super::config_dir().map(|dir| dir.join(BOOKMARKS_FILE))
    }

    pub fn load(path: &Path) -> Loaded<GlobalBookmarks> {
        config_file::load(path, BOOKMARKS_VERSION, |_, _| {})
    }

    /// Written atomically with mode 0600, as the other config files.
    pub fn save(&self, path: &Path) -> Result<(), SaveError> {
        config_file::save(path, BOOKMARKS_VERSION, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::site::{Site, SiteList};

    fn bookmark(name: &str, local: Option<&str>, remote: Option<&str>) -> Bookmark {
        Bookmark {
            name: name.into(),
            local_dir: local.map(PathBuf::from),
            remote_dir: remote.map(str::to_owned),
            ..Bookmark::default()
        }
    }

    #[test]
    fn global_bookmarks_survive_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BOOKMARKS_FILE);
        let list = GlobalBookmarks {
            bookmarks: vec![
                Bookmark {
                    sync_browsing: true,
                    directory_comparison: true,
                    ..bookmark("사진 \"quoted\"", Some("/home/kim/사진"), Some("/pub/자료"))
                },
                bookmark("only local", Some("/tmp"), None),
                bookmark("only remote", None, Some("C:\\data")),
            ],
        };
        list.save(&path).unwrap();
        let loaded = GlobalBookmarks::load(&path);
        assert!(loaded.problem.is_none(), "{:?}", loaded.problem);
        assert_eq!(loaded.value, list);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("version = 1") && text.contains("[[bookmark]]"),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_sites_bookmarks_are_kept_with_it_in_sites_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.toml");
        let site = Site {
            name: "web".into(),
            host: "h".into(),
            bookmarks: vec![
                Bookmark {
                    sync_browsing: true,
                    ..bookmark("css", Some("/home/mina/site/css"), Some("/var/www/css"))
                },
                bookmark("자료", None, Some("/pub/자료")),
            ],
            ..Site::default()
        };
        let list = SiteList {
            folders: vec![],
            sites: vec![site, Site::default()],
        };
        list.save(&path).unwrap();
        let loaded = SiteList::load(&path);
        assert!(loaded.problem.is_none(), "{:?}", loaded.problem);
        assert_eq!(loaded.value, list);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("[[site.bookmark]]"), "{text}");
    }

    #[test]
    fn names_are_unique_per_list_and_a_bookmark_needs_a_folder() {
        let mut list = Vec::new();
        add(&mut list, bookmark("  logs ", None, Some("/var/log"))).unwrap();
        assert_eq!(list[0].name, "logs", "trimmed");
        assert_eq!(
            add(&mut list, bookmark("logs", Some("/tmp"), None)),
            Err(BookmarkError::NameTaken("logs".into()))
        );
        assert_eq!(
            add(&mut list, bookmark("", Some("/tmp"), None)),
            Err(BookmarkError::NoName)
        );
        assert_eq!(
            add(&mut list, bookmark("x", Some(""), Some(""))),
            Err(BookmarkError::NoFolder)
        );
        assert_eq!(
            add(&mut list, bookmark("x", None, Some("relative/path"))),
            Err(BookmarkError::RemoteNotAbsolute)
        );
        let sync_one_side = Bookmark {
            sync_browsing: true,
            ..bookmark("x", None, Some("/a"))
        };
        assert_eq!(
            add(&mut list, sync_one_side),
            Err(BookmarkError::SyncNeedsBoth)
        );
        add(&mut list, bookmark("dos", None, Some("D:\\share"))).unwrap();
        assert_eq!(list.len(), 2);

        let twice = vec![
            bookmark("a", Some("/x"), None),
            bookmark("a ", Some("/y"), None),
        ];
        assert_eq!(
            check_all(&twice),
            Err((1, BookmarkError::NameTaken("a".into())))
        );
    }

    #[test]
    fn a_merge_renames_taken_names_and_says_so() {
        let mut list = vec![bookmark("logs", None, Some("/var/log"))];
        let notes = merge(
            &mut list,
            vec![
                bookmark("logs", None, Some("/srv/log")),
                bookmark("logs", None, Some("/opt/log")),
                bookmark("new", Some("/tmp"), None),
            ],
            "the global bookmarks",
        );
        let names: Vec<&str> = list.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["logs", "logs (2)", "logs (3)", "new"]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("the global bookmarks"), "{notes:?}");
    }
}
