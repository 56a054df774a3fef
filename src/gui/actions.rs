//! Everything the user can ask for, as one enum: menus, toolbar buttons, context menus,
//! shortcuts and drops all produce `UiAction`s while drawing, and `app/commands.rs` carries them out
//! after drawing (so no widget code talks to the engine).

use std::path::PathBuf;

use crate::engine::{ExistsPolicy, ItemId, Priority};
use crate::proto::listing::Entry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Local,
    Remote,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Local, Side::Remote];

    pub fn other(self) -> Side {
        match self {
            Side::Local => Side::Remote,
            Side::Remote => Side::Local,
        }
    }

    /// "local" or "remote", for sentences.
    pub fn name(self) -> &'static str {
        match self {
            Side::Local => "local",
            Side::Remote => "remote",
        }
    }

    /// The label of the pane's path bar, in FileZilla's words.
    pub fn path_label(self) -> &'static str {
        match self {
            Side::Local => "Local site:",
            Side::Remote => "Remote site:",
        }
    }
}

/// What a drag of rows carries: the entries and the folder they are in.
#[derive(Debug, Clone)]
pub struct DraggedFiles {
    pub from: Side,
    pub dir: Vec<u8>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub enum UiAction {
    /// File > New tab (Ctrl+T), the tab bar's "+".
    NewTab,
    /// File > Close tab (Ctrl+W), a tab's ✖ or a middle click: the tab at this place.
    CloseTab(usize),
    /// A click on a tab.
    SwitchTab(usize),
    /// Ctrl+Tab, and with `back` Ctrl+Shift+Tab.
    CycleTab {
        back: bool,
    },
    Quickconnect,
    Disconnect,
    Reconnect,
    /// Server > Diagnose connection.
    Diagnose,
    /// Server > Search remote files (F3).
    SearchRemote,
    /// Server > Enter custom command…
    EnterCustomCommand,
    /// Transfer > Export queue… and Import queue…
    ExportQueue,
    ImportQueue,
    /// Transfer > Action after queue completes.
    SetAfterQueue(crate::gui::notification::AfterQueue),
    /// Transfer > Synchronize…: the sync window.
    Synchronize,
    Refresh(Side),
    /// Show this folder (a path in that side's bytes).
    Open(Side, Vec<u8>),
    Up(Side),
    Back(Side),
    /// The tree opened a folder it has not seen listed: list it for the tree only.
    ListForTree(Side, Vec<u8>),
    /// Copy `entries` of `from`'s folder `from_dir` into the other side's folder `to_dir`;
    /// `start: false` only adds them to the queue ("Add to queue").
    Transfer {
        files: DraggedFiles,
        to_dir: Vec<u8>,
        start: bool,
    },
    /// Files dropped onto the window from the desktop: upload to the remote folder shown.
    UploadDropped(Vec<PathBuf>),
    AskMkdir(Side),
    AskRename(Side, Entry),
    AskDelete(Side, Vec<Entry>),
    Mkdir(Side, String),
    Rename(Side, Entry, String),
    Delete(Side, Vec<Entry>),
    AskPermissions(Vec<Entry>),
    /// SITE CHMOD these remote entries to the mode bits.
    Chmod(Vec<Entry>, u32),
    /// Open a local file with the desktop's default program.
    OpenLocalFile(Entry),
    CopyUrl(Entry),
    /// View/Edit a remote file of the folder shown: download it, open it in an editor,
    /// offer to upload it when saved.
    ViewEdit(Entry),
    /// Upload an edited copy (`anyway`: even though the server's file changed since it
    /// was opened).
    UploadEdit {
        edit: u64,
        anyway: bool,
    },
    /// "No" to uploading an edited copy: it stays local (kept at close).
    KeepEditLocal(u64),
    ProcessQueue(bool),
    SetTransferMode(crate::engine::TransferMode),
    SetDataMode(crate::net::DataMode),
    Cancel(ItemId),
    CancelAll,
    Retry(ItemId),
    RetryFailed,
    ClearSuccessful,
    SetPriority(ItemId, Priority),
    Answer {
        id: ItemId,
        policy: ExistsPolicy,
        apply_to_all: bool,
        /// Rename, with the name the user typed for this item.
        rename_to: Option<String>,
    },
    /// Connect again, trusting this certificate; `always` also saves it in the trust store.
    TrustCertificate {
        info: crate::net::tls::CertInfo,
        always: bool,
    },
    /// Connect again, trusting this SSH host key; `always` also saves it in Skiff's
    /// known_hosts.
    TrustHostKey {
        key: crate::sftp::HostKeyInfo,
        always: bool,
    },
    /// The answers to an SFTP server's keyboard-interactive questions (`None`: cancelled).
    AnswerQuestions(Option<Vec<String>>),
    /// Log on again to the SFTP server with this password.
    SftpPassword(String),
    ChooseLocalFolder,
    ToggleLog,
    ToggleQueue,
    ToggleTrees,
    About,
    /// Help > Keyboard shortcuts.
    Shortcuts,
    /// A recent server, with the password the user typed for it.
    ConnectRecent {
        entry: String,
        password: String,
    },
    /// Help > Open the settings folder, in the desktop's file manager.
    OpenConfigFolder,
    Quit,
    /// File > Site Manager… (Ctrl+S, the toolbar's first button).
    OpenSiteManager,
    /// File > Copy current connection to Site Manager…
    CopyToSiteManager,
    /// Edit > Settings…
    OpenSettings,
    /// A recent server from the File menu or the quickconnect history.
    OpenRecent(String),
    /// Log on to a site with the password just typed for it.
    ConnectSiteWith(Box<crate::sites::site::Site>, crate::secret::Secret),
    /// Open the master-password vault (`true`: create it).
    UnlockStore(crate::secret::Secret, bool),
    /// Give up on the password store for now (connections ask for their password).
    CancelStore,
    /// Keep saved passwords in another store from now on.
    SwitchStore(crate::sites::credentials::StoreKind),
    SetTheme(crate::sites::settings::Theme),
    SetLogTimestamps(bool),
    /// View > Synchronized browsing on (the folders shown now correspond) or off.
    SetSyncBrowsing(bool),
    /// Synchronized browsing found no such folder on this side: create it, then enter it.
    CreateFolderAndOpen(Side, Vec<u8>),
    /// The server offers no TLS: log on without it (`remember`: for this host from now on).
    ConnectWithoutTls {
        remember: bool,
    },
    /// File > Import…: FileZilla's sitemanager.xml into the Site Manager.
    ImportSites,
    /// File > Export…: the Site Manager's sites as a FileZilla file.
    ExportSites,
    /// The message log's Clear.
    ClearLog,
    /// The message log's Save…: asks where, then writes the lines shown.
    SaveLog,
    /// View > Filename filters…
    OpenFilters,
    /// The toolbar's and View's toggle: every filename filter off, or on again.
    SetFiltersOn(bool),
    /// Bookmarks > Add bookmark… (Ctrl+B): the dialog, prefilled with the folders shown.
    AddBookmark,
    /// Bookmarks > Manage bookmarks…
    ManageBookmarks,
    /// A bookmark chosen in the Bookmarks menu: open its folders (and its switches).
    OpenBookmark(Box<crate::sites::bookmark::Bookmark>),
}
