//! Draining keep-alive connections before a graceful stop (attacks.md R12).
//!
//! A plain graceful stop closes every idle HTTP/1.1 keep-alive connection at once; a client that
//! is writing its next request on one of them at that moment sees the connection closed under it.
//! `serve_draining` avoids that race under load: when the shutdown future resolves it first closes
//! the listener (new connections are refused) and only then, for up to a bounded window, answers
//! every request with `Connection: close`, so hyper closes each connection cleanly after an answer and
//! the client knows not to reuse it. The graceful stop follows when every connection has closed or
//! the window has passed; connections still idle then are closed as before. The order matters:
//! a client told `Connection: close` while the listener still took connections would reconnect
//! into its backlog, and closing a listener resets the connections waiting there.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use crate::state::AppState;

/// Longest drain before the graceful stop closes the connections left.
pub const DRAIN_WINDOW: Duration = Duration::from_secs(1);

/// Whether the listener must close, whether draining has begun, and how many connections are open.
#[derive(Clone)]
struct Drain {
    closing: watch::Sender<bool>,
    draining: watch::Sender<bool>,
    open: Arc<AtomicUsize>,
    closed: Arc<Notify>,
}

impl Drain {
    fn new() -> Self {
        Self {
            closing: watch::Sender::new(false),
            draining: watch::Sender::new(false),
            open: Arc::new(AtomicUsize::new(0)),
            closed: Arc::new(Notify::new()),
        }
    }

    fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves when no connection is open.
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

/// Serves `state` like [`crate::serve`], but drains for up to `window` once `shutdown` resolves
/// (see the module documentation), then stops gracefully.
pub async fn serve_draining(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    window: Duration,
) -> io::Result<()> {
    let drain = Drain::new();
    let addr = listener.local_addr()?;
    let app = crate::router(state).layer(middleware::from_fn_with_state(drain.clone(), connection_close));
    let listener = DrainingListener {
        inner: Some(listener),
        addr,
        closing: drain.closing.subscribe(),
        drain: drain.clone(),
    };
    let stop = async move {
        shutdown.await;
        drain.closing.send_replace(true);
        let mut draining = drain.draining.subscribe();
        let _ = tokio::time::timeout(window, async {
            // Set by the listener once it is closed.
            let _ = draining.wait_for(|d| *d).await;
            drain.all_closed().await;
        })
        .await;
    };
    axum::serve(listener, app).with_graceful_shutdown(stop).await
}

/// Adds `Connection: close` to every answer once draining has begun.
async fn connection_close(State(drain): State<Drain>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if drain.is_draining() {
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// A TCP listener that closes itself when told to, then starts the drain, and counts the
/// connections it gave out.
struct DrainingListener {
    inner: Option<TcpListener>,
    addr: SocketAddr,
    closing: watch::Receiver<bool>,
    drain: Drain,
}

impl axum::serve::Listener for DrainingListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let Self { inner, closing, drain, .. } = self;
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
                Some(Ok((stream, addr))) => {
                    drain.open.fetch_add(1, Ordering::AcqRel);
                    return (
                        Counted {
                            stream,
                            drain: drain.clone(),
                        },
                        addr,
                    );
                }
                Some(Err(e)) => accept_failed(e).await,
                None => {
                    *inner = None;
                    drain.draining.send_replace(true);
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

/// An accepted connection, counted until it is dropped.
struct Counted {
    stream: TcpStream,
    drain: Drain,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drain.open.fetch_sub(1, Ordering::AcqRel);
        self.drain.closed.notify_waiters();
    }
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    async fn discovery(http: &reqwest::Client, base: &str) -> reqwest::Result<reqwest::Response> {
        http.get(format!("{base}/default/.well-known/openid-configuration")).send().await
    }

    #[tokio::test]
    async fn r12_after_the_signal_the_listener_closes_and_then_answers_say_connection_close() {
        // Arrange: one keep-alive connection that stays open, so the drain lasts its window.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let state = AppState::new(&Config::builtin(), &base).expect("the built-in provider");
        let (signal, signalled) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_draining(
            listener,
            state,
            async move {
                let _ = signalled.await;
            },
            Duration::from_secs(30),
        ));
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
        let before = discovery(&http, &base).await.expect("an answer before the signal");
        assert_eq!(before.status(), 200);
        assert!(before.headers().get(header::CONNECTION).is_none());
        let _ = before.bytes().await;

        // Act
        signal.send(()).expect("the server waits for the signal");
        // Draining begins once the listener is closed; until then answers may still keep alive.
        let mut drained = None;
        for _ in 0..1000 {
            let r = discovery(&http, &base).await.expect("an answer on the open connection");
            if r.headers().get(header::CONNECTION).is_some_and(|v| v == "close") {
                drained = Some(r.status());
                break;
            }
            let _ = r.bytes().await;
            tokio::task::yield_now().await;
        }

        // Assert
        assert_eq!(drained, Some(reqwest::StatusCode::OK), "no answer said Connection: close");
        let after = discovery(&http, &base).await.expect_err("the listener is closed");
        assert!(after.is_connect(), "a new connection was not refused: {after:?}");
        let stopped = tokio::time::timeout(Duration::from_secs(10), server).await;
        assert!(
            matches!(stopped, Ok(Ok(Ok(())))),
            "the server did not stop once its connections closed: {stopped:?}"
        );
    }
}
