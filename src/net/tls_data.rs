//! A TLS data connection, shaped for the server at the other end.
//!
//! Reading goes through a large buffer under rustls (it asks its socket for about 4 KiB at a
//! time). Writing hands rustls whole records: a server pays for every record it reads, not
//! for every byte, and some pay a lot (vsftpd passes each record from its TLS process to its
//! file-writing one and back, ten system calls a record), so a short record costs it as much
//! as a full one.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// What a TLS data connection reads through: through 256 KiB a 1 GiB download made 5,941
/// `recv` calls (strace), and the copy out of the buffer costs less than the calls it saves.
const READ_BUFFER: usize = 256 * 1024;

/// The largest TLS record's plaintext (RFC 8446 §5.1), which rustls fills by default.
const RECORD_PLAINTEXT: usize = 16 * 1024;

/// The most handed to rustls at once: within its default 64 KiB of pending output, so it
/// takes all of it.
const WRITE_BATCH: usize = 4 * RECORD_PLAINTEXT;

/// The socket under rustls for a data connection.
pub(crate) fn buffered(tcp: TcpStream) -> BufReader<TcpStream> {
    BufReader::with_capacity(READ_BUFFER, tcp)
}

/// A data connection's TLS stream whose writes are cut into full records.
///
/// tokio-rustls takes from each write what fits in rustls's pending output (64 KiB less what
/// the socket has not taken yet) and makes records of it: after a partial socket write the
/// next write ends in a short record, one in 50 of a 1 GiB upload. Here a write first waits
/// until the pending output is in the socket, then hands rustls a whole number of records.
pub(crate) struct TlsData {
    inner: TlsStream<BufReader<TcpStream>>,
}

impl TlsData {
    pub(crate) fn new(inner: TlsStream<BufReader<TcpStream>>) -> Self {
        TlsData { inner }
    }
}

/// How much of a write of `len` bytes to hand rustls at once: a whole number of records up to
/// `WRITE_BATCH`, or all of a write shorter than a record (the end of a file).
fn batch_len(len: usize) -> usize {
    if len <= RECORD_PLAINTEXT {
        len
    } else {
        len.min(WRITE_BATCH) / RECORD_PLAINTEXT * RECORD_PLAINTEXT
    }
}

impl AsyncRead for TlsData {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsData {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Everything rustls holds goes to the socket first, so it has room for the batch.
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_write(cx, &buf[..batch_len(buf.len())])
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[test]
    fn writes_go_to_rustls_as_whole_records() {
        assert_eq!(batch_len(1024 * 1024), WRITE_BATCH);
        assert_eq!(batch_len(WRITE_BATCH), WRITE_BATCH);
        assert_eq!(batch_len(3 * RECORD_PLAINTEXT + 100), 3 * RECORD_PLAINTEXT);
        assert_eq!(batch_len(RECORD_PLAINTEXT + 1), RECORD_PLAINTEXT);
        // The end of a file: a short record cannot be helped.
        assert_eq!(batch_len(RECORD_PLAINTEXT), RECORD_PLAINTEXT);
        assert_eq!(batch_len(5000), 5000);
        assert_eq!(batch_len(1), 1);
    }

    /// The lengths of the TLS records in a byte stream, read off their 5-byte headers as the
    /// bytes pass (RFC 8446 §5.1), without decrypting anything.
    #[derive(Default)]
    struct RecordLengths {
        header: Vec<u8>,
        body_left: usize,
        lengths: Vec<usize>,
    }

    impl RecordLengths {
        fn feed(&mut self, mut bytes: &[u8]) {
            while !bytes.is_empty() {
                if self.body_left > 0 {
                    let n = self.body_left.min(bytes.len());
                    self.body_left -= n;
                    bytes = &bytes[n..];
                    continue;
                }
                self.header.push(bytes[0]);
                bytes = &bytes[1..];
                if self.header.len() == 5 {
                    let len = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                    self.lengths.push(len);
                    self.body_left = len;
                    self.header.clear();
                }
            }
        }
    }

    /// The server's side of the TCP connection, noting each record the client sends.
    struct Recording {
        tcp: TcpStream,
        seen: Arc<Mutex<RecordLengths>>,
    }

    impl AsyncRead for Recording {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let before = buf.filled().len();
            ready!(Pin::new(&mut self.tcp).poll_read(cx, buf))?;
            self.seen.lock().unwrap().feed(&buf.filled()[before..]);
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Recording {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.tcp).poll_write(cx, buf)
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.tcp).poll_flush(cx)
        }
        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.tcp).poll_shutdown(cx)
        }
    }

    /// A self-signed certificate for 127.0.0.1, made with openssl as the test servers' are.
    fn certificate(dir: &std::path::Path) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let out = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl (it makes test certificates)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            CertificateDer::from_pem_file(&cert).unwrap(),
            PrivateKeyDer::from_pem_file(&key).unwrap(),
        )
    }

    /// An upload through a socket that keeps filling up (small buffers, a reader that
    /// pauses) goes out in full records: 64 of them for 1 MiB, and a short one only for the
    /// end of the file. tokio-rustls on its own made a short record after each partial write.
    #[tokio::test]
    async fn an_upload_through_a_full_socket_goes_out_in_full_records() {
        const FILE: usize = 1024 * 1024 + 100;
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = certificate(dir.path());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(RecordLengths::default()));
        let server_seen = Arc::clone(&seen);
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
            let recording = Recording {
                tcp,
                seen: server_seen,
            };
            let mut tls = acceptor.accept(recording).await.unwrap();
            let (mut received, mut buf) = (0, vec![0u8; 8 * 1024]);
            // Bounded: 1 MiB in 8 KiB reads is 129 reads; a pause every 8 keeps the client's
            // socket full.
            for reads in 0..10_000 {
                let n = tls.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                received += n;
                if reads % 8 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            received
        });

        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(16 * 1024).unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
        let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
        let tls = connector.connect(name, buffered(tcp)).await.unwrap();
        let mut upload = TlsData::new(tls);
        let file: Vec<u8> = (0..FILE).map(|i| (i % 251) as u8).collect();
        let send = async {
            // As the upload loop writes: 1 MiB chunks.
            for chunk in file.chunks(1024 * 1024) {
                upload.write_all(chunk).await.unwrap();
            }
            upload.shutdown().await.unwrap();
        };
        tokio::time::timeout(Duration::from_secs(20), send)
            .await
            .expect("the upload finished");
        let received = tokio::time::timeout(Duration::from_secs(20), server).await;
        assert_eq!(received.expect("the server finished").unwrap(), FILE);

        // Under TLS 1.3 a full record carries 16 KiB, its content type and a 16-byte tag.
        let full = RECORD_PLAINTEXT + 1 + 16;
        let lengths = seen.lock().unwrap().lengths.clone();
        let full_records = lengths.iter().filter(|&&len| len == full).count();
        assert_eq!(
            full_records,
            FILE / RECORD_PLAINTEXT,
            "records: {lengths:?}"
        );
        // The rest: the handshake's, the end of the file and the close_notify alert.
        let short: Vec<_> = lengths.iter().filter(|&&len| len < full).collect();
        assert!(short.len() <= 6, "short records: {short:?}");
        assert!(
            short.iter().all(|&&len| len < 1000),
            "short records: {short:?}"
        );
    }
}
