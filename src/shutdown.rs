//! Bounded graceful shutdown for `idp` and `weaviate` (P159, R12): finish in-flight requests after the signal, but
//! never wait longer than a grace period, because a `hang` fault (P147) can hold a connection
//! open for minutes and a container runtime sends SIGKILL after its own timeout anyway.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// How long `idp` and `weaviate` wait for open requests after SIGTERM or Ctrl-C.
pub const GRACE: Duration = Duration::from_secs(5);

/// The shutdown future handed to the server.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `serve(shutdown)`, where `shutdown` resolves when `signal` does. Returns `Some` with the
/// server's result when it stops by itself, or `None` when it is still busy `grace` after the
/// signal (its future is then dropped; `idp` then returns from `main`, and the runtime going
/// away closes the connections left).
pub async fn serve_with_grace<T, F>(
    signal: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
    serve: impl FnOnce(Shutdown) -> F,
) -> Option<T>
where
    F: Future<Output = T>,
{
    // The signal is awaited here, not inside the server, so the grace timer starts on the signal
    // even if the server drops its shutdown future early.
    let (fired, mut watch) = tokio::sync::watch::channel(false);
    let shutdown: Shutdown = Box::pin(async move {
        // Err means the deadline side is gone, which only happens once the race is decided.
        let _ = watch.wait_for(|fired| *fired).await;
    });
    let deadline = async move {
        signal.await;
        let _ = fired.send(true);
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        out = serve(shutdown) => Some(out),
        _ = deadline => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn p159_a_server_that_stops_on_the_signal_returns_its_result() {
        let out = serve_with_grace(async {}, GRACE, |shutdown| async move {
            shutdown.await;
            "drained"
        })
        .await;
        assert_eq!(out, Some("drained"));
    }

    #[tokio::test]
    async fn p159_a_server_still_busy_after_the_grace_period_is_abandoned() {
        // A hanging request: the server never finishes, even after the signal.
        let out = serve_with_grace(async {}, SHORT, |_shutdown| std::future::pending::<&str>()).await;
        assert_eq!(out, None);
    }

    #[tokio::test]
    async fn p159_without_a_signal_the_grace_timer_never_starts() {
        // The server ends by itself while the signal never comes: its result, not a timeout.
        let out = serve_with_grace(std::future::pending::<()>(), Duration::ZERO, |_shutdown| async { 7 }).await;
        assert_eq!(out, Some(7));
    }
}
