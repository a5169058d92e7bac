//! Draining HTTP/1.1 keep-alive connections before a graceful stop (attacks.md R12), shared by
//! the mock provider (`idp`, plain and TLS) and the Weaviate emulation's REST server.
//!
//! A plain graceful stop closes every idle HTTP/1.1 keep-alive connection at once; a client that
//! is writing its next request on one of them at that moment sees the connection closed under it.
//! The drain avoids that race under load: when the shutdown future resolves it first closes the
//! listener (new connections are refused) and only then, for up to a bounded window, answers
//! every request with `Connection: close`, so hyper closes each connection cleanly after an answer and
//! the client knows not to reuse it. The graceful stop follows when every connection has closed or
//! the window has passed; connections still idle then are closed as before. The order matters:
//! a client told `Connection: close` while the listener still took connections would reconnect
//! into its backlog, and closing a listener resets the connections waiting there.
//!
//! [`serve`] does all of it for an axum router on a TCP listener. A server with its own accept
//! loop (the provider's TLS one) uses [`Drain`]: [`Drain::layer`] on its router,
//! [`Drain::track`] on each accepted connection, and [`Drain::drain`] once its listener is
//! closed, before its graceful stop. HTTP/2 connections need none of this (a graceful stop sends
//! `GOAWAY`, which tells the client which requests were taken), so the header is added to
//! HTTP/1.x answers only.
//!
//! A crate of its own because both servers need it and neither should depend on the other.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Version};
use axum::response::Response;
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::make::Shared;
use tower::{Layer, Service};

/// Longest drain before the graceful stop closes the connections left.
pub const DRAIN_WINDOW: Duration = Duration::from_secs(1);

/// Whether draining has begun, and how many tracked connections are open; cheap to clone.
#[derive(Clone)]
pub struct Drain {
    draining: watch::Sender<bool>,
    open: Arc<AtomicUsize>,
    closed: Arc<Notify>,
}

impl Default for Drain {
    fn default() -> Self {
        Self::new()
    }
}

impl Drain {
    /// Not draining, no connection open.
    pub fn new() -> Self {
        Self {
            draining: watch::Sender::new(false),
            open: Arc::new(AtomicUsize::new(0)),
            closed: Arc::new(Notify::new()),
        }
    }

    /// Whether draining has begun.
    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// `router` with `Connection: close` added to every HTTP/1.x answer once draining has begun.
    pub fn layer(&self, router: Router) -> Router {
        router.layer(ConnectionCloseLayer(self.clone()))
    }

    /// `io`, counted as an open connection until it is dropped.
    pub fn track<S>(&self, io: S) -> Tracked<S> {
        self.open.fetch_add(1, Ordering::AcqRel);
        Tracked { io, drain: self.clone() }
    }

    /// Begins draining (call it once the listener is closed) and resolves when every tracked
    /// connection has closed or `window` has passed, whichever comes first.
    pub async fn drain(&self, window: Duration) {
        self.draining.send_replace(true);
        let _ = tokio::time::timeout(window, self.all_closed()).await;
    }

    /// Resolves when no tracked connection is open.
    async fn all_closed(&self) {
        loop {
            let closed = self.closed.notified();
            if self.open.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

/// Serves `app` (an axum `Router` or any service of the same shape) on `listener` until
/// `shutdown` resolves, then closes the listener, drains for up to `window` (see the crate
/// documentation) and stops gracefully.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
    window: Duration,
) -> io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let drain = Drain::new();
    let addr = listener.local_addr()?;
    let app = ConnectionCloseLayer(drain.clone()).layer(app);
    let closing = watch::Sender::new(false);
    let (closed_tx, mut closed_rx) = watch::channel(false);
    let listener = DrainingListener {
        inner: Some(listener),
        addr,
        closing: closing.subscribe(),
        closed: closed_tx,
        drain: drain.clone(),
    };
    let stop = async move {
        shutdown.await;
        closing.send_replace(true);
        let _ = tokio::time::timeout(window, async {
            // Set by the listener once it is closed.
            let _ = closed_rx.wait_for(|c| *c).await;
            drain.drain(window).await;
        })
        .await;
    };
    axum::serve(listener, Shared::new(app)).with_graceful_shutdown(stop).await
}

/// Adds `Connection: close` to every HTTP/1.x answer once draining has begun. A plain tower
/// layer rather than `middleware::from_fn`, which clones the whole inner service stack on every
/// request (about 3 k instructions of a 35 k JWKS request; this costs one boxed future).
#[derive(Clone)]
struct ConnectionCloseLayer(Drain);

impl<S> Layer<S> for ConnectionCloseLayer {
    type Service = ConnectionClose<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConnectionClose {
            inner,
            drain: self.0.clone(),
        }
    }
}

#[derive(Clone)]
struct ConnectionClose<S> {
    inner: S,
    drain: Drain,
}

impl<S> Service<Request> for ConnectionClose<S>
where
    S: Service<Request, Response = Response>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let http1 = req.version() <= Version::HTTP_11;
        let draining = self.drain.draining.subscribe();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let mut res = answer.await?;
            if http1 && *draining.borrow() {
                res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(res)
        })
    }
}

/// A TCP listener that closes itself when told to, says so, and tracks the connections it gives
/// out.
struct DrainingListener {
    inner: Option<TcpListener>,
    addr: SocketAddr,
    closing: watch::Receiver<bool>,
    closed: watch::Sender<bool>,
    drain: Drain,
}

impl axum::serve::Listener for DrainingListener {
    type Io = Tracked<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let Self {
            inner,
            closing,
            closed,
            drain,
            ..
        } = self;
        loop {
            let Some(listener) = inner.as_ref() else {
                // Closed: axum stops accepting on the shutdown signal, which follows.
                return std::future::pending().await;
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => Some(accepted),
                _ = closing.wait_for(|c| *c) => None,
            };
            match accepted {
                Some(Ok((stream, addr))) => return (drain.track(stream), addr),
                Some(Err(e)) => accept_failed(e).await,
                None => {
                    *inner = None;
                    closed.send_replace(true);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// As axum's own listener does: a connection that failed before it was accepted is skipped; any
/// other error (out of file descriptors) is logged and retried after a pause.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        tracing::error!(error = %e, "accept failed");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A connection counted by a [`Drain`] until it is dropped.
pub struct Tracked<S> {
    io: S,
    drain: Drain,
}

impl<S> Drop for Tracked<S> {
    fn drop(&mut self) {
        self.drain.open.fetch_sub(1, Ordering::AcqRel);
        self.drain.closed.notify_waiters();
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    async fn hello(http: &reqwest::Client, base: &str) -> reqwest::Result<reqwest::Response> {
        http.get(format!("{base}/hello")).send().await
    }

    #[tokio::test]
    async fn r12_after_the_signal_the_listener_closes_and_then_answers_say_connection_close() {
        // Arrange: one keep-alive connection that stays open, so the drain lasts its window.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let app = Router::new().route("/hello", get(|| async { "hello" }));
        let (signal, signalled) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            app,
            async move {
                let _ = signalled.await;
            },
            Duration::from_secs(30),
        ));
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
        let before = hello(&http, &base).await.expect("an answer before the signal");
        assert_eq!(before.status(), 200);
        assert!(before.headers().get(header::CONNECTION).is_none());
        let _ = before.bytes().await;

        // Act
        signal.send(()).expect("the server waits for the signal");
        // Draining begins once the listener is closed; until then answers may still keep alive.
        let mut drained = None;
        for _ in 0..1000 {
            let r = hello(&http, &base).await.expect("an answer on the open connection");
            if r.headers().get(header::CONNECTION).is_some_and(|v| v == "close") {
                drained = Some(r.status());
                break;
            }
            let _ = r.bytes().await;
            tokio::task::yield_now().await;
        }

        // Assert
        assert_eq!(drained, Some(reqwest::StatusCode::OK), "no answer said Connection: close");
        let after = hello(&http, &base).await.expect_err("the listener is closed");
        assert!(after.is_connect(), "a new connection was not refused: {after:?}");
        let stopped = tokio::time::timeout(Duration::from_secs(10), server).await;
        assert!(
            matches!(stopped, Ok(Ok(Ok(())))),
            "the server did not stop once its connections closed: {stopped:?}"
        );
    }

    #[tokio::test]
    async fn r12_drain_returns_once_every_tracked_connection_has_closed() {
        // Arrange: two tracked connections, one closed before the drain and one during it.
        let drain = Drain::new();
        let (a, b) = (drain.track(()), drain.track(()));
        drop(a);
        assert!(!drain.is_draining());
        let closer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(b);
        });
        // Act: a window far longer than the close takes.
        let drained = tokio::time::timeout(Duration::from_secs(10), drain.drain(Duration::from_secs(30))).await;
        // Assert
        assert!(drained.is_ok(), "the drain waited past the last close");
        assert!(drain.is_draining());
        closer.await.expect("the closer ran");
    }
}
