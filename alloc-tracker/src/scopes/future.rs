//! The future form of [`leaks`](crate::leaks), for async tests: the scope is around each
//! poll of the wrapped future, on whichever thread polls it, so other tasks polled by
//! the same runtime thread in between are not counted.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::scopes::leaks::Leaks;
use crate::scopes::open::Scope;

/// A future that runs `work` and resolves to what it leaked: see [`leaks_future`].
#[must_use = "futures do nothing unless polled"]
pub struct LeaksFuture<F: Future> {
    work: Option<Pin<Box<F>>>,
    scope: Option<Scope>,
}

impl<F: Future> std::fmt::Debug for LeaksFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaksFuture")
            .field("done", &self.work.is_none())
            .finish_non_exhaustive()
    }
}

/// [`leaks`](crate::leaks) for a future: awaits `work` and resolves to what it allocated
/// while it was polled and had not freed when it completed (its output dropped first).
/// Other tasks that the runtime polls on the same threads in between are not counted,
/// nor are the tasks `work` spawns. Works with any runtime; with tokio,
/// `#[tokio::test]` (the current-thread runtime) or any other. A current-thread tokio
/// runtime grows its list of deferred wakers on its first yield, which would count:
/// `tokio::task::yield_now().await` once before the check.
///
/// ```
/// # #[global_allocator]
/// # static ALLOC: memleak::TrackingAlloc = memleak::TrackingAlloc::system();
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// # fn main() {
/// let found = block_on(memleak::leaks_future(async {
///     std::mem::forget(vec![0u8; 300]);
/// }));
/// assert_eq!((found.bytes(), found.blocks()), (300, 1));
/// # }
/// ```
pub fn leaks_future<F: Future>(work: F) -> LeaksFuture<F> {
    LeaksFuture {
        work: Some(Box::pin(work)),
        scope: None,
    }
}

impl<F: Future> Future for LeaksFuture<F> {
    type Output = Leaks;

    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Leaks> {
        let this = &mut *self;
        let Some(work) = this.work.as_mut() else {
            panic!("memleak::leaks_future polled after it completed");
        };
        match &mut this.scope {
            Some(scope) => scope.resume("leaks_future"),
            None => this.scope = Some(Scope::open("leaks_future", None)),
        }
        let polled = work.as_mut().poll(cx);
        let Some(scope) = this.scope.as_mut() else {
            return Poll::Pending;
        };
        match polled {
            Poll::Pending => {
                scope.suspend();
                Poll::Pending
            }
            Poll::Ready(output) => {
                drop(output);
                this.work = None;
                let counts = scope.close();
                this.scope = None;
                Poll::Ready(Leaks::from_counts(&counts))
            }
        }
    }
}
