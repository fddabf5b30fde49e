//! Limits that keep a misbehaving client (or a script on the network) from
//! exhausting the server: a cap on open connections and a deadline for a
//! request's headers.

use std::io;
use std::time::Duration;

use axum_server::accept::Accept;
use axum_server::Handle;
use futures::future::{Either, Ready};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto::Builder;

/// Open connections at most. A browser tab holds one event stream and a
/// few requests; this leaves room for dozens of tabs.
pub const MAX_CONNECTIONS: usize = 128;

/// A client must send a request's headers within this time, or its
/// connection is closed (a slow-header client would otherwise hold a
/// connection slot forever).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Applies the HTTP/1 limits to a connection builder.
pub fn limit_http(builder: &mut Builder<TokioExecutor>) {
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
}

/// Wraps another acceptor; past `MAX_CONNECTIONS`, a new connection is
/// closed at once instead of being served.
#[derive(Clone)]
pub struct CappedAcceptor<A> {
    inner: A,
    handle: Handle,
}

impl<A> CappedAcceptor<A> {
    pub fn new(inner: A, handle: Handle) -> Self {
        CappedAcceptor { inner, handle }
    }
}

impl<A, I, S> Accept<I, S> for CappedAcceptor<A>
where
    A: Accept<I, S>,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = Either<Ready<io::Result<(A::Stream, A::Service)>>, A::Future>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        // The count includes this connection.
        if self.handle.connection_count() > MAX_CONNECTIONS {
            tracing::warn!(
                "refused a connection: {MAX_CONNECTIONS} are already open (the cap on the local server)"
            );
            drop(stream);
            return Either::Left(futures::future::ready(Err(io::Error::other(
                "connection cap reached",
            ))));
        }
        Either::Right(self.inner.accept(stream, service))
    }
}
