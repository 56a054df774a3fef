//! Running one queue item on a session: a file under its file-exists policy
//! (`crate::transfer`), or a directory, which is expanded into items for its entries
//! (lazily: when it runs). Only the protocol seam is used: FTP, and later SFTP, alike.

use std::path::Path;
use std::sync::Arc;

use super::item::{Direction, ItemId, ItemKind, TransferSpec};
use super::tree::{MAX_DEPTH, TreeSlot};
use crate::proto::listing::EntryKind;
use crate::proto::path;
use crate::rate::RateLimiter;
use crate::remote::{DataType, ErrorKind, RemoteError, RemoteSession};
use crate::transfer::{self, ExistsPolicy, FileTransfer, Flow, Outcome};

/// How a job ended (errors are returned separately).
#[derive(Debug)]
pub enum JobDone {
    /// A file: transferred, skipped, or waiting for the user's answer.
    File(Outcome),
    /// A directory: its entries, to be queued, and the entries that were refused (each
    /// with a log line already), as the user sees them.
    Expanded {
        children: Vec<TransferSpec>,
        refused: Vec<String>,
    },
}

/// What a job needs besides its session and its item.
pub struct JobContext<'a> {
    /// The item, and its place in its tree (for loops and the depth limit).
    pub id: ItemId,
    pub tree: &'a TreeSlot,
    /// Earlier attempts may have left data to resume from.
    pub retrying: bool,
    pub limit: Option<Arc<RateLimiter>>,
    pub data_type: DataType,
    pub cancel: &'a crate::cancel::Cancel,
}

/// Runs `spec` on `session`.
pub async fn run(
    session: &mut dyn RemoteSession,
    spec: &TransferSpec,
    context: JobContext<'_>,
    on_progress: &mut (dyn FnMut(u64) + Send),
) -> Result<JobDone, RemoteError> {
    let file = FileTransfer {
        local: &spec.local,
        remote: &spec.remote,
        size: spec.size,
        policy: spec.exists,
        retrying: context.retrying,
        data_type: context.data_type,
        from_listing: context.tree.depth > 0,
        target_absent: spec.target_absent,
        expect: spec.expect.as_deref(),
        preserve_times: spec.server.preserve_times,
    };
    let flow = Flow {
        limit: context.limit,
        cancel: Some(context.cancel),
        on_progress,
    };
    match (spec.kind, spec.direction) {
        (ItemKind::File, Direction::Download) => transfer::download(session, file, flow)
            .await
            .map(JobDone::File),
        (ItemKind::File, Direction::Upload) => transfer::upload(session, file, flow)
            .await
            .map(JobDone::File),
        (ItemKind::DirectoryContents, Direction::Download) => {
            expand_remote(session, spec, context.id, context.tree).await
        }
        (ItemKind::DirectoryContents, Direction::Upload) => expand_local(session, spec).await,
    }
}

fn child(
    spec: &TransferSpec,
    kind: ItemKind,
    local: &Path,
    remote: Vec<u8>,
    size: Option<u64>,
) -> TransferSpec {
    TransferSpec {
        kind,
        local: local.to_path_buf(),
        remote,
        size,
        ..spec.clone()
    }
}

/// Whether the tree's filters take the entry `name` of the folder `spec` (no filters: yes).
/// An excluded folder is not entered; nothing is logged, as `lftp mirror` and `rsync`.
fn taken_by_filters(
    spec: &TransferSpec,
    name: &[u8],
    known: &crate::folder_sync::Known,
    charset: crate::proto::charset::Charset,
) -> bool {
    spec.filters
        .as_ref()
        .is_none_or(|f| f.takes(&spec.remote, name, known, charset))
}

/// A remote directory: list it, create the local one, queue its entries. Nothing can be
/// written outside the chosen folder: every local name is one checked component
/// (`local::local_name`), links are not followed, case/NFC-NFD twins get numbered names,
/// a folder the tree listed already (a loop) or one too deep is refused; each refused or
/// renamed entry gets a log line.
async fn expand_remote(
    session: &mut dyn RemoteSession,
    spec: &TransferSpec,
    id: ItemId,
    tree: &TreeSlot,
) -> Result<JobDone, RemoteError> {
    let charset = session.charset();
    let shown = |name: &[u8]| format!("{:?}", charset.decode(name));
    // The server's own name for the folder: `self -> .` listed as a folder is the parent
    // again (a server that cannot say leaves the path asked for; the depth limit holds).
    let real = session.real_path(&spec.remote).await?;
    if !tree.visit(&real, id) {
        let text = if path::is_ancestor(&real, &spec.remote) {
            // Entering a subfolder and landing in a folder above it: a link back up, or a
            // server whose PWD does not follow CWD, which makes every subfolder look so.
            format!(
                "Skipped the folder {}: after entering it the server's PWD says {}, a folder \
                 above it that this download listed already: a link loop, or a server fault \
                 (its PWD does not follow CWD, so every subfolder looks like a loop; \
                 download the subfolders one at a time)",
                shown(&spec.remote),
                shown(&real)
            )
        } else {
            format!(
                "Skipped the folder {}: the server listed it before as {} (a link loop, or a second link to one folder)",
                shown(&spec.remote),
                shown(&real)
            )
        };
        session.log().error(text.clone());
        return Err(RemoteError::new(ErrorKind::Loop, text));
    }
    let entries = session.list(&spec.remote).await?;
    tokio::fs::create_dir_all(&spec.local)
        .await
        .map_err(|source| RemoteError::local("cannot create the folder", &spec.local, &source))?;
    let mut children = Vec::with_capacity(entries.len());
    let mut refused = Vec::new();
    let mut taken = crate::local::FolderNames::default();
    for entry in entries {
        let mut refuse = |text: String| {
            session.log().error(text);
            refused.push(shown(&entry.name));
        };
        // A name that is not UTF-8 on an "Auto" server is read in the window's fallback.
        let charset = match charset.is_utf8() {
            true => spec.server.charset_for(&entry.name),
            false => charset,
        };
        let name =
            match crate::local::local_name(&entry.name, charset, spec.server.name_replacement) {
                Ok(name) => name,
                Err(unsafe_name) => {
                    refuse(format!("Skipped: {unsafe_name}"));
                    continue;
                }
            };
        if !taken_by_filters(
            spec,
            &entry.name,
            &crate::folder_sync::Known::of(&entry),
            charset,
        ) {
            continue;
        }
        let kind = match entry.kind {
            EntryKind::File => ItemKind::File,
            EntryKind::Dir if !tree.may_descend() => {
                refuse(format!(
                    "Skipped the folder {}: it is more than {MAX_DEPTH} folders deep (a link loop?)",
                    shown(&entry.name)
                ));
                continue;
            }
            EntryKind::Dir => ItemKind::DirectoryContents,
            EntryKind::Link => {
                // Never followed, never created locally: the target could be anywhere.
                session.log().status(format!(
                    "Skipped the symbolic link {}: links are not followed",
                    shown(&entry.name)
                ));
                continue;
            }
        };
        let wanted = crate::local::os_bytes(&name.name);
        let claimed = match kind {
            ItemKind::File => taken.claim_file(&wanted),
            ItemKind::DirectoryContents => taken.claim(&wanted),
        };
        let Some(local) = claimed else {
            refuse(format!(
                "Skipped {}: no free local name (up to 999 tried)",
                shown(&entry.name)
            ));
            continue;
        };
        if local != wanted {
            session.log().status(format!(
                "{} is saved as {}: another entry of the folder has its local name (or one that \
                 differs only in case or Unicode form, the same file on Windows and macOS)",
                shown(&entry.name),
                shown(&local)
            ));
        } else if name.changed {
            session.log().status(format!(
                "{} is saved as {}: the local file system cannot hold the name as it is",
                shown(&entry.name),
                shown(&local)
            ));
        }
        let remote = path::join(&spec.remote, &entry.name);
        children.push(child(
            spec,
            kind,
            &spec.local.join(crate::local::bytes_os(&local)),
            remote,
            entry.size,
        ));
    }
    Ok(JobDone::Expanded { children, refused })
}

/// A local directory: create the remote one (if missing), queue its entries.
async fn expand_local(
    session: &mut dyn RemoteSession,
    spec: &TransferSpec,
) -> Result<JobDone, RemoteError> {
    let mut existing = RemoteNames::Unknown;
    if !spec.remote.is_empty() && spec.remote != b"/" {
        match session.mkdir(&spec.remote).await {
            Ok(()) => existing = RemoteNames::NewFolder,
            // A refusal for a folder that exists is fine: the folder must be there now.
            Err(err) if err.kind() == ErrorKind::Refused && session.is_usable() => {
                session.real_path(&spec.remote).await?;
            }
            Err(err) => return Err(err),
        }
    }
    // Replacing needs no look at the targets (`transfer::send` asks nothing then), so a
    // listing would be a wasted round trip.
    if matches!(existing, RemoteNames::Unknown) && spec.exists != ExistsPolicy::Overwrite {
        existing = RemoteNames::listed(session, &spec.remote).await?;
    }
    // One trip to the blocking pool for the whole folder (tokio's read_dir makes one per
    // entry's metadata: a thousand thread hand-offs for a thousand small files).
    let folder = spec.local.clone();
    let with_details = spec
        .filters
        .as_ref()
        .is_some_and(|f| !f.filters.patterns().rules.is_empty());
    let entries = tokio::task::spawn_blocking(move || read_upload_folder(&folder, with_details))
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the folder read stopped")))
        .map_err(|source| RemoteError::local("cannot read the folder", &spec.local, &source))?;
    let charset = session.charset();
    let mut children = Vec::new();
    let mut refused = Vec::new();
    for entry in entries {
        let kind = if entry.file_type.is_dir() {
            ItemKind::DirectoryContents
        } else if entry.file_type.is_file() {
            ItemKind::File
        } else {
            session.log().status(format!(
                "Skipped {}: not a regular file",
                entry.path.display()
            ));
            continue;
        };
        // Checked before anything is sent for it: CR/LF would end the command early.
        let name = match crate::local::remote_name(&entry.name, charset) {
            Ok(name) => name,
            Err(err) => {
                session
                    .log()
                    .error(format!("Skipped {:?}: {err}", entry.path));
                refused.push(format!("{:?}", entry.name));
                continue;
            }
        };
        let known = crate::folder_sync::Known {
            is_dir: kind == ItemKind::DirectoryContents,
            size: entry.size,
            modified: entry.modified,
            permissions: entry.permissions.as_deref(),
        };
        if !taken_by_filters(spec, &name, &known, charset) {
            continue;
        }
        let mut child = child(
            spec,
            kind,
            &entry.path,
            path::join(&spec.remote, &name),
            entry.size,
        );
        child.target_absent = kind == ItemKind::File && existing.surely_absent(&name);
        children.push(child);
    }
    Ok(JobDone::Expanded { children, refused })
}

/// An entry of a local folder being uploaded, as `read_upload_folder` saw it.
struct LocalChild {
    path: std::path::PathBuf,
    name: std::ffi::OsString,
    /// Not followed: a symbolic link is neither a file nor a folder here.
    file_type: std::fs::FileType,
    /// A file's size.
    size: Option<u64>,
    /// Its modification time and mode, read only for filter rules that may look at them.
    modified: Option<crate::proto::listing::Timestamp>,
    permissions: Option<String>,
}

/// The entries of `folder`, in the order the system lists them (blocking). An entry that
/// vanishes while being read is left out.
fn read_upload_folder(
    folder: &std::path::Path,
    with_details: bool,
) -> std::io::Result<Vec<LocalChild>> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let meta = if file_type.is_file() || (with_details && file_type.is_dir()) {
            entry.metadata().ok()
        } else {
            None
        };
        let size = meta.as_ref().filter(|m| m.is_file()).map(|m| m.len());
        let (modified, permissions) = match meta.filter(|_| with_details) {
            Some(meta) => {
                let described = crate::local_dir::entry_of(Vec::new(), EntryKind::File, &meta);
                (
                    described.modified,
                    described.permissions.map(|p| p.to_string()),
                )
            }
            None => (None, None),
        };
        children.push(LocalChild {
            path: entry.path(),
            name: entry.file_name(),
            file_type,
            size,
            modified,
            permissions,
        });
    }
    Ok(children)
}

/// What an upload's target folder held when its tree was expanded: which files surely do
/// not exist there, so their uploads need not ask the server first (a SIZE per file was
/// a quarter of the round trips of a small-file upload).
enum RemoteNames {
    /// The folder was just created (MKD succeeded): it is empty.
    NewFolder,
    /// The folder existed: the names its listing showed, folded as a case-insensitive
    /// server might (`local::fold_key`), so `A.TXT` there counts as present for `a.txt`.
    Listed(std::collections::HashSet<Vec<u8>>),
    /// Not known (the listing failed): every upload asks.
    Unknown,
}

impl RemoteNames {
    async fn listed(session: &mut dyn RemoteSession, folder: &[u8]) -> Result<Self, RemoteError> {
        let folder = if folder.is_empty() {
            b"/".as_slice()
        } else {
            folder
        };
        match session.list(folder).await {
            Ok(entries) => Ok(Self::Listed(
                entries
                    .iter()
                    .map(|e| crate::local::fold_key(&e.name))
                    .collect(),
            )),
            Err(err) if !session.is_usable() => Err(err),
            Err(_) => Ok(Self::Unknown),
        }
    }

    fn surely_absent(&self, name: &[u8]) -> bool {
        match self {
            Self::NewFolder => true,
            Self::Listed(names) => !names.contains(&crate::local::fold_key(name)),
            Self::Unknown => false,
        }
    }
}
