//! The server on a real socket: slow clients, too many clients, and
//! stopping with an event stream open.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use readyroom_server::{serve, HEADER_READ_TIMEOUT, MAX_CONNECTIONS, SHUTDOWN_GRACE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

use common::TOKEN;

/// Bounds every wait, so a server without the limit under test fails
/// the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(30);

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

fn start() -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = common::state_at(&dir, addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, None, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
        _dir: dir,
    }
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    tokio::time::timeout(GUARD, stream.read_to_end(&mut all))
        .await
        .expect("the server closed the connection in time")
        .ok();
    all
}

async fn get_app_shell(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("write");
    String::from_utf8_lossy(&read_to_close(&mut stream).await).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = start();
    let mut slow = TcpStream::connect(server.addr).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .expect("write");
    let started = Instant::now();
    let answer = read_to_close(&mut slow).await;
    let waited = started.elapsed();
    eprintln!(
        "a slow-header client was cut after {} ms (timeout {} ms)",
        waited.as_millis(),
        HEADER_READ_TIMEOUT.as_millis()
    );
    // hyper answers 408 or just closes; either way no page was served.
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
    assert!(
        waited >= HEADER_READ_TIMEOUT / 2,
        "cut by the timeout, not at once"
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_and_the_server_keeps_serving() {
    let server = start();
    let extra = 20;
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS + extra {
        idle.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    // Those past the cap are closed at once; those within it wait for
    // the header timeout, which is far longer than this look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut closed = 0;
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(10), stream.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    eprintln!("{closed} of {} idle connections closed at once", idle.len());
    assert!(
        closed >= extra,
        "{closed} closed; the cap is {MAX_CONNECTIONS}"
    );
    assert!(closed < idle.len(), "the cap is not zero");
    drop(idle);
    // The slots come back: a real request is served.
    let mut answered = false;
    for _ in 0..50 {
        if get_app_shell(server.addr).await.starts_with("HTTP/1.1 200") {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answered,
        "the server serves again once the idle clients leave"
    );
}

#[tokio::test]
async fn stopping_ends_open_event_streams_and_returns() {
    let mut server = start();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(
            format!(
                "GET /api/events?token={TOKEN} HTTP/1.1\r\nHost: {}\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        )
        .await
        .expect("write");
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(GUARD, stream.read(&mut head))
        .await
        .expect("headers in time")
        .expect("read");
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));

    let started = Instant::now();
    let _ = server.stop.take().expect("once").send(());
    let served = tokio::time::timeout(GUARD, &mut server.task)
        .await
        .expect("serve returned after stop, despite the open stream");
    served.expect("task").expect("serve ok");
    eprintln!(
        "stopped with an open event stream in {} ms (grace {} ms)",
        started.elapsed().as_millis(),
        SHUTDOWN_GRACE.as_millis()
    );
    // The stream was ended (the chunked body's last chunk), not merely
    // cut when the grace period ran out.
    let rest = read_to_close(&mut stream).await;
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "the stream ended cleanly: {:?}",
        String::from_utf8_lossy(&rest)
    );
}
