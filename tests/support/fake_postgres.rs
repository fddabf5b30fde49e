//! A hostile PostgreSQL server: it declines TLS (or offers a certificate
//! nobody trusts), then asks for the password in clear text, and records
//! every byte a client sends. Only the start-up protocol is spoken; that
//! is all a machine in the middle needs.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use readyroom_demo::tls::TestPki;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

/// The code of an `SSLRequest` (protocol docs, "Message Formats").
const SSL_REQUEST: i32 = 80_877_103;

/// How the fake answers a client's request for TLS.
pub enum TlsAnswer {
    /// `N`: "this server does not do TLS".
    Refuse,
    /// `S`, then a handshake with a certificate signed by `pki`'s CA.
    Offer(TestPki),
}

/// What clients sent, after the `SSLRequest`.
#[derive(Default, Clone)]
pub struct Received {
    pub bytes: Arc<Mutex<Vec<u8>>>,
    pub ssl_requests: Arc<Mutex<u32>>,
    /// A `PasswordMessage` (`p`) arrived.
    pub password_messages: Arc<Mutex<u32>>,
}

impl Received {
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.lock().expect("lock").clone()
    }
    pub fn ssl_requests(&self) -> u32 {
        *self.ssl_requests.lock().expect("lock")
    }
    pub fn password_messages(&self) -> u32 {
        *self.password_messages.lock().expect("lock")
    }
}

/// Starts the fake on loopback; returns its address and what it records.
pub fn serve(answer: TlsAnswer) -> (SocketAddr, Received) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.set_nonblocking(true).expect("nonblocking");
    let addr = l.local_addr().expect("addr");
    let received = Received::default();
    let acceptor = match &answer {
        TlsAnswer::Refuse => None,
        TlsAnswer::Offer(pki) => Some(TlsAcceptor::from(Arc::new(pki.server_config(None)))),
    };
    let rec = received.clone();
    tokio::spawn(async move {
        let l = tokio::net::TcpListener::from_std(l).expect("tokio listener");
        while let Ok((sock, _)) = l.accept().await {
            let (rec, acceptor) = (rec.clone(), acceptor.clone());
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(20), session(sock, acceptor, rec))
                    .await;
            });
        }
    });
    (addr, received)
}

async fn session(
    mut sock: tokio::net::TcpStream,
    acceptor: Option<TlsAcceptor>,
    rec: Received,
) -> std::io::Result<()> {
    let first = read_startup(&mut sock).await?;
    if code_of(&first) != Some(SSL_REQUEST) {
        rec.bytes.lock().expect("lock").extend_from_slice(&first);
        return ask_for_password(&mut sock, rec).await;
    }
    *rec.ssl_requests.lock().expect("lock") += 1;
    match acceptor {
        None => {
            sock.write_all(b"N").await?;
            let startup = read_startup(&mut sock).await?;
            rec.bytes.lock().expect("lock").extend_from_slice(&startup);
            ask_for_password(&mut sock, rec).await
        }
        Some(acceptor) => {
            sock.write_all(b"S").await?;
            let mut tls = acceptor.accept(sock).await?;
            let startup = read_startup(&mut tls).await?;
            rec.bytes.lock().expect("lock").extend_from_slice(&startup);
            ask_for_password(&mut tls, rec).await
        }
    }
}

/// A start-up packet: a length (which counts itself) and the rest.
async fn read_startup<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Vec<u8>> {
    let len = s.read_i32().await?;
    let rest = usize::try_from(len - 4)
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| std::io::Error::other("bad length"))?;
    let mut packet = len.to_be_bytes().to_vec();
    let mut body = vec![0; rest];
    s.read_exact(&mut body).await?;
    packet.extend_from_slice(&body);
    Ok(packet)
}

fn code_of(packet: &[u8]) -> Option<i32> {
    let code: [u8; 4] = packet.get(4..8)?.try_into().ok()?;
    Some(i32::from_be_bytes(code))
}

/// `AuthenticationCleartextPassword`, then record whatever comes back and
/// refuse it, so the client ends.
async fn ask_for_password<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    rec: Received,
) -> std::io::Result<()> {
    s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).await?;
    let kind = s.read_u8().await?;
    let len = s.read_i32().await?;
    let mut body = vec![0; usize::try_from(len - 4).unwrap_or(0).min(10_000)];
    s.read_exact(&mut body).await?;
    {
        let mut bytes = rec.bytes.lock().expect("lock");
        bytes.push(kind);
        bytes.extend_from_slice(&body);
    }
    if kind == b'p' {
        *rec.password_messages.lock().expect("lock") += 1;
    }
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'C', "28P01"),
        (b'M', "password authentication failed"),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut error = vec![b'E'];
    error.extend_from_slice(&(fields.len() as i32 + 4).to_be_bytes());
    error.extend_from_slice(&fields);
    s.write_all(&error).await?;
    s.flush().await
}
