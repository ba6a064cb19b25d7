//! The connections to an app over HTTP: how long one may wait in the pool,
//! and which failure on one is safe to send again.
//!
//! Lambda freezes the execution environment between invocations. A pooled
//! connection can outlive the app's own keep-alive across a freeze, and after
//! the thaw the app closes it just as ceh sends the next request on it: the
//! request goes out, and the connection ends before any byte of an answer.
//! Two things keep that from failing an invocation:
//!
//! - connections idle out of the pool after [`DEFAULT_POOL_IDLE_TIMEOUT`],
//!   below the keep-alive of the common app servers, so a connection the app
//!   may have closed is not offered again;
//! - a request that fails that way on a connection that had already answered
//!   an earlier request (a reused one) is sent once more, on a new
//!   connection ([`is_stale`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Extensions, Uri};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::call::BoxError;

/// How long a connection to the app may sit idle in the pool before it is
/// closed instead of reused: below the keep-alive of the app servers apps run
/// on (gunicorn 2 s, uvicorn 5 s, Node's http server 5 s), with room for the
/// time between the app's last byte and the connection's return to the pool,
/// so ceh stops offering a connection before the app may close it. Opening a
/// new one on loopback costs a fraction of a millisecond.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::app::DEFAULT_POOL_IDLE_TIMEOUT;
///
/// assert_eq!(DEFAULT_POOL_IDLE_TIMEOUT, Duration::from_millis(1500));
/// assert!(DEFAULT_POOL_IDLE_TIMEOUT < Duration::from_secs(2), "gunicorn's keep-alive");
/// ```
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Set on a connection once a response's head has arrived on it: a request
/// that fails on such a connection failed on a reused one.
#[derive(Clone, Debug, Default)]
pub(super) struct Answered(Arc<AtomicBool>);

impl Answered {
    /// Marks the connection a response came on, from the response's extensions.
    pub(super) fn mark(extensions: &Extensions) {
        if let Some(answered) = extensions.get::<Self>() {
            answered.0.store(true, Ordering::Relaxed);
        }
    }
}

/// An [`HttpConnector`] whose connections carry an [`Answered`] flag.
#[derive(Clone, Debug)]
pub(super) struct Connector(pub(super) HttpConnector);

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<Tracked>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            let stream = connecting.await?.into_inner();
            Ok(TokioIo::new(Tracked {
                stream,
                answered: Answered::default(),
            }))
        })
    }
}

/// A connection to the app, and whether it has answered yet.
#[derive(Debug)]
pub(super) struct Tracked {
    stream: TcpStream,
    answered: Answered,
}

impl Connection for Tracked {
    fn connected(&self) -> Connected {
        self.stream.connected().extra(self.answered.clone())
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Whether `err` is a reused connection found closed: the connection had
/// answered before, and this request failed on it before any response head
/// arrived, because the app had closed or reset it (hyper's
/// `IncompleteMessage`, a reset or broken pipe, or the request canceled
/// unsent). Only then is the request sent again, once, on a new connection.
///
/// A new connection's failure is never resent: the app took that request and
/// broke off, which says something about the app, not the pool. A response
/// whose head arrived is never resent either: the app answered. What is left
/// is one narrow duplicate: an app that received the request on a reused
/// connection, worked on it, and died before answering gets it again. Event
/// sources deliver at least once anyway, so apps already tolerate a
/// duplicate; failing the invocation would only move the same duplicate to
/// the source's retry, and a stale connection is far more often the cause.
pub(super) fn is_stale(err: &hyper_util::client::legacy::Error) -> bool {
    let reused = err.connect_info().is_some_and(|connected| {
        let mut extras = Extensions::new();
        connected.get_extras(&mut extras);
        extras
            .get::<Answered>()
            .is_some_and(|answered| answered.0.load(Ordering::Relaxed))
    });
    reused && closed_before_answer(err)
}

/// Whether the error's causes say the connection ended before a response head.
fn closed_before_answer(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(hyper) = current.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() || hyper.is_canceled() {
                return true;
            }
        }
        if let Some(io) = current.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
            );
        }
        cause = current.source();
    }
    false
}

/// The idle timeout as the pool takes it: `None` for no pooling at all.
pub(super) fn idle(timeout: Duration) -> Option<Duration> {
    (!timeout.is_zero()).then_some(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (SendRequest)")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn only_a_connection_ended_before_an_answer_counts_as_closed() {
        use io::ErrorKind::*;
        for kind in [
            ConnectionReset,
            BrokenPipe,
            ConnectionAborted,
            UnexpectedEof,
        ] {
            assert!(closed_before_answer(&Wrapped(kind.into())), "{kind:?}");
        }
        // Refused: nothing was sent; timed out: the app may be working on it.
        for kind in [ConnectionRefused, TimedOut, InvalidData] {
            assert!(!closed_before_answer(&Wrapped(kind.into())), "{kind:?}");
        }
    }

    #[test]
    fn a_zero_idle_timeout_pools_nothing() {
        assert_eq!(idle(Duration::ZERO), None);
        assert_eq!(
            idle(DEFAULT_POOL_IDLE_TIMEOUT),
            Some(DEFAULT_POOL_IDLE_TIMEOUT)
        );
    }
}
