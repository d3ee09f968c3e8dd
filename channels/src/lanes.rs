//! Ordered lanes: jobs with the same key run one after another, in the order they came;
//! jobs with different keys run side by side (a person's messages in a thread stay in
//! order without holding up anyone else).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;
type Workers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>>;

/// A set of lanes: one worker task per key while the key has work, none once it is done
/// (so a long-running front does not keep a task for everyone it has ever heard from).
#[derive(Default)]
pub struct Lanes {
    workers: Workers,
}

fn lock(workers: &Workers) -> MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Job>>> {
    workers.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Lanes {
    /// Queues `job` behind the earlier jobs of `key`.
    pub fn run(&self, key: &str, job: impl Future<Output = ()> + Send + 'static) {
        let mut workers = lock(&self.workers);
        let mut job: Job = Box::pin(job);
        if let Some(tx) = workers.get(key) {
            match tx.send(job) {
                Ok(()) => return,
                // The worker stopped (its runtime is shutting down): start another.
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        let (tx, rx) = mpsc::unbounded_channel::<Job>();
        if tx.send(job).is_ok() {
            workers.insert(key.to_string(), tx);
            tokio::spawn(drain(self.workers.clone(), key.to_string(), rx));
        }
    }

    /// Keys with a worker (jobs queued or running).
    pub fn busy(&self) -> usize {
        lock(&self.workers).len()
    }
}

/// Runs a key's jobs in order, then removes the key. The last look at the queue and the
/// removal happen under the lock `run` sends under, so no job is left behind.
async fn drain(workers: Workers, key: String, mut rx: mpsc::UnboundedReceiver<Job>) {
    loop {
        let next = match rx.try_recv() {
            Ok(job) => Some(job),
            Err(_) => {
                let mut map = lock(&workers);
                let last = rx.try_recv().ok();
                if last.is_none() {
                    map.remove(&key);
                }
                last
            }
        };
        match next {
            Some(job) => job.await,
            None => return,
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
        for _ in 0..100 {
            if lanes.busy() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(lanes.busy(), 0, "idle keys keep no worker");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_queued_while_its_lane_winds_down_still_runs() {
        let lanes = Lanes::default();
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Jobs arriving one at a time, each racing the previous worker's exit.
        for _ in 0..2000 {
            let d = done.clone();
            lanes.run("k", async move {
                d.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
            tokio::task::yield_now().await;
        }
        for _ in 0..10_000 {
            if done.load(std::sync::atomic::Ordering::SeqCst) == 2000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 2000);
    }
}
