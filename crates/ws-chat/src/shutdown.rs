//! Waiting for the server's shutdown inside a connection's loop, at the cost of one atomic load
//! per wake-up.
//!
//! A connection's loop polls every branch of its `select!` each time it wakes, once or twice per
//! message. Polling a `CancellationToken`'s future takes two locks of the token's shared state,
//! which every connection contends for; [`Cancelled`] polls it only on its first poll, when the
//! task's waker changes, and once the server has set its `stopping` flag (which it does before it
//! cancels the token, so the wake-up that follows finds the flag set).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

/// Resolves once `token` is cancelled; see the module docs.
pub struct Cancelled<'a> {
    stopping: &'a AtomicBool,
    inner: Pin<Box<WaitForCancellationFuture<'a>>>,
    /// The waker the inner future was last polled with.
    waker: Option<Waker>,
}

/// The future for `token`, whose canceller sets `stopping` first.
pub fn cancelled<'a>(stopping: &'a AtomicBool, token: &'a CancellationToken) -> Cancelled<'a> {
    Cancelled {
        stopping,
        inner: Box::pin(token.cancelled()),
        waker: None,
    }
}

/// Sets `stopping`, then cancels `token`: the order [`Cancelled`] relies on.
pub fn cancel(stopping: &AtomicBool, token: &CancellationToken) {
    stopping.store(true, Ordering::Release);
    token.cancel();
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let new_waker = !this
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if !new_waker && !this.stopping.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        if new_waker {
            this.waker = Some(cx.waker().clone());
        }
        this.inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_when_the_token_is_cancelled_with_the_flag_set() {
        let stopping = Arc::new(AtomicBool::new(false));
        let token = CancellationToken::new();
        let waiter = {
            let (stopping, token) = (Arc::clone(&stopping), token.clone());
            tokio::spawn(async move {
                let mut signal = std::pin::pin!(cancelled(&stopping, &token));
                // Polled many times before the cancel, as a connection's loop does.
                for _ in 0..3 {
                    tokio::select! {
                        () = &mut signal => return true,
                        () = tokio::time::sleep(Duration::from_millis(10)) => {}
                    }
                }
                (&mut signal).await;
                true
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        cancel(&stopping, &token);
        let done = tokio::time::timeout(Duration::from_secs(10), waiter).await;
        assert!(matches!(done, Ok(Ok(true))), "woken by the cancel");
    }

    #[tokio::test]
    async fn the_flag_alone_does_not_resolve_it() {
        let stopping = AtomicBool::new(true);
        let token = CancellationToken::new();
        let mut signal = std::pin::pin!(cancelled(&stopping, &token));
        let polled = futures_poll_once(signal.as_mut()).await;
        assert!(polled.is_pending());
        token.cancel();
        assert!(futures_poll_once(signal.as_mut()).await.is_ready());
    }

    async fn futures_poll_once(mut fut: Pin<&mut Cancelled<'_>>) -> Poll<()> {
        std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
    }
}
