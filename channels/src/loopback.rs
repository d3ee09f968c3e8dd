//! What the platform fakes share: an HTTP server on 127.0.0.1 that stops when dropped,
//! and a log of the calls it received that a test can wait on.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// An axum router served on a free loopback port until dropped.
#[derive(Debug)]
pub struct Loopback {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Loopback {
    /// Serves `router` on `listener` (bound by the caller, so the address is known first).
    pub fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "loopback fake stopped");
            }
        });
        Ok(Self { addr, task })
    }

    /// Binds a free port and serves `router` there.
    pub async fn start(router: axum::Router) -> std::io::Result<Self> {
        Self::serve(
            tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
            router,
        )
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The calls a fake received, in order.
#[derive(Debug)]
pub struct CallLog<T> {
    calls: Mutex<Vec<T>>,
    changed: Notify,
}

impl<T> Default for CallLog<T> {
    fn default() -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            changed: Notify::new(),
        }
    }
}

impl<T: Clone> CallLog<T> {
    /// Records a call and wakes whoever waits.
    pub fn push(&self, call: T) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
        self.changed.notify_waiters();
    }

    /// Reads the calls without copying them.
    pub fn with<R>(&self, read: impl FnOnce(&[T]) -> R) -> R {
        read(&self.calls.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Every call so far.
    pub fn all(&self) -> Vec<T> {
        self.with(<[T]>::to_vec)
    }

    /// Waits until `done` holds for the calls, or `timeout` passes; returns them then.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&[T]) -> bool) -> Vec<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            let calls = self.all();
            if done(&calls) || tokio::time::Instant::now() >= deadline {
                return calls;
            }
            let _ = tokio::time::timeout_at(deadline, changed).await;
        }
    }
}
