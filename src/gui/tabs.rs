//! What the window remembers of its tabs between runs (`Prefs::tabs`), and how a tab is
//! named in the tab bar. Pure: the tabs themselves are `app::tabs`.

use std::path::PathBuf;

use crate::url::FtpUrl;

/// A tab as the next start reopens it. Never a password: the site's saved one is used, or
/// the password is asked for as File > Recent servers does.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SavedTab {
    /// The server, `scheme://user@host:port`, without password or folder.
    pub url: String,
    /// The Site Manager's site the tab was connected with, if any.
    pub site: Option<String>,
    /// The remote folder shown (the server's bytes).
    pub remote_path: Vec<u8>,
    /// The local folder shown.
    pub local_path: Option<PathBuf>,
}

impl SavedTab {
    /// A connected tab's record: `None` for a tab connected to nothing.
    pub fn of(
        url: Option<&FtpUrl>,
        site: Option<&str>,
        remote_path: &[u8],
        local_path: Option<PathBuf>,
    ) -> Option<Self> {
        let url = url?;
        let bare = FtpUrl {
            password: None,
            path: Vec::new(),
            ..url.clone()
        };
        Some(Self {
            url: bare.redacted(),
            site: site.map(str::to_owned),
            remote_path: remote_path.to_vec(),
            local_path,
        })
    }
}

/// A tab's name in the tab bar, as FileZilla's: `user@host:port`, or "Not connected".
pub fn label(url: Option<&FtpUrl>) -> String {
    match url {
        Some(url) => {
            let user = url.user.as_deref().map(|u| format!("{u}@"));
            format!("{}{}", user.unwrap_or_default(), url.host_port())
        }
        None => "Not connected".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_tab_keeps_the_server_and_folders_but_never_the_password() {
        let url = FtpUrl::parse("ftp://me:s3cret-pw@127.0.0.1:2121/pub/x").unwrap();
        let saved = SavedTab::of(
            Some(&url),
            Some("site-1"),
            b"/pub/x",
            Some(PathBuf::from("/home/me")),
        )
        .unwrap();
        assert_eq!(saved.url, "ftp://me@127.0.0.1:2121");
        assert_eq!(saved.site.as_deref(), Some("site-1"));
        assert_eq!(saved.remote_path, b"/pub/x");
        let written = serde_json::to_string(&saved).unwrap();
        assert!(!written.contains("s3cret-pw"), "{written}");
        assert_eq!(serde_json::from_str::<SavedTab>(&written).unwrap(), saved);
    }

    #[test]
    fn a_tab_connected_to_nothing_is_not_saved() {
        assert_eq!(SavedTab::of(None, None, b"", None), None);
    }

    #[test]
    fn tabs_are_named_user_at_host() {
        let url = FtpUrl::parse("sftp://ann@example.org/").unwrap();
        assert_eq!(label(Some(&url)), "ann@example.org:22");
        assert_eq!(label(None), "Not connected");
    }
}
