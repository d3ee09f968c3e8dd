//! Ordered lanes: jobs with the same key run one after another, in the order they came;
//! jobs with different keys run side by side (a person's messages in a thread stay in
//! order without holding up anyone else).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A set of lanes, one worker task per key, created on first use.
#[derive(Default)]
pub struct Lanes {
    workers: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
}

impl Lanes {
    /// Queues `job` behind the earlier jobs of `key`.
    pub fn run(&self, key: &str, job: impl Future<Output = ()> + Send + 'static) {
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut job: Job = Box::pin(job);
        if let Some(tx) = workers.get(key) {
            match tx.send(job) {
                Ok(()) => return,
                // The worker stopped (its runtime is shutting down): start another.
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                job.await;
            }
        });
        if tx.send(job).is_ok() {
            workers.insert(key.to_string(), tx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn one_key_keeps_order_and_keys_do_not_wait_for_each_other() {
        let lanes = Lanes::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (release, gate) = tokio::sync::oneshot::channel::<()>();
        let s = seen.clone();
        lanes.run("a", async move {
            let _ = gate.await;
            s.lock().unwrap().push("a1");
        });
        let s = seen.clone();
        lanes.run("a", async move { s.lock().unwrap().push("a2") });
        let (done_tx, done) = tokio::sync::oneshot::channel();
        let s = seen.clone();
        lanes.run("b", async move {
            s.lock().unwrap().push("b1");
            let _ = done_tx.send(());
        });
        done.await.unwrap();
        assert_eq!(*seen.lock().unwrap(), vec!["b1"], "b ran while a waited");
        release.send(()).unwrap();
        for _ in 0..100 {
            if seen.lock().unwrap().len() == 3 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(*seen.lock().unwrap(), vec!["b1", "a1", "a2"]);
    }
}
