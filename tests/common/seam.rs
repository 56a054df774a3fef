//! One file through the protocol seam, as the engine moves it: for tests of transfers over
//! one session (`remote::connect`), with the default file-exists policy (refuse to replace).

use std::path::Path;

use skiff::net::ConnectOptions;
use skiff::remote::{self, DataType, RemoteError, RemoteSession, Server};
use skiff::transfer::{self, ExistsPolicy, FileTransfer, Flow, Outcome};

/// Connects and logs on to the FTP server `options` describe.
pub async fn connect(options: ConnectOptions) -> Result<Box<dyn RemoteSession>, RemoteError> {
    remote::connect(&Server::from_ftp(options)).await
}

fn file<'a>(local: &'a Path, remote: &'a [u8], data_type: DataType) -> FileTransfer<'a> {
    FileTransfer {
        local,
        remote,
        size: None,
        policy: ExistsPolicy::Refuse,
        retrying: false,
        data_type,
        from_listing: false,
        target_absent: false,
        expect: None,
        preserve_times: false,
    }
}

/// Downloads `remote` to the file `local`.
pub async fn get(
    session: &mut dyn RemoteSession,
    remote: &[u8],
    local: &Path,
) -> Result<Outcome, RemoteError> {
    get_as(session, remote, local, DataType::Binary).await
}

pub async fn get_as(
    session: &mut dyn RemoteSession,
    remote: &[u8],
    local: &Path,
    data_type: DataType,
) -> Result<Outcome, RemoteError> {
    let flow = Flow {
        limit: None,
        cancel: None,
        on_progress: &mut |_| {},
    };
    transfer::download(session, file(local, remote, data_type), flow).await
}

/// Uploads the file `local` to `remote`.
pub async fn put(
    session: &mut dyn RemoteSession,
    local: &Path,
    remote: &[u8],
) -> Result<Outcome, RemoteError> {
    put_as(session, local, remote, DataType::Binary).await
}

pub async fn put_as(
    session: &mut dyn RemoteSession,
    local: &Path,
    remote: &[u8],
    data_type: DataType,
) -> Result<Outcome, RemoteError> {
    let flow = Flow {
        limit: None,
        cancel: None,
        on_progress: &mut |_| {},
    };
    transfer::upload(session, file(local, remote, data_type), flow).await
}
