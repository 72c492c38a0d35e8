//! Group commit: requests from many concurrent callers are served by one
//! worker task, which takes everything that queued up while it was busy
//! (up to a cap) and serves it as one batch. Under load a database round
//! trip, a transaction and its commit record are shared by many actions
//! instead of paid by each; an idle store serves a lone request at once,
//! so nobody waits for a batch to fill.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreResult};

type Request<T, R> = (T, oneshot::Sender<R>);

/// A queue in front of one worker task.
pub(crate) struct Batcher<T, R> {
    queue: mpsc::UnboundedSender<Request<T, R>>,
    stats: QueueStats,
}

/// How deep a batcher's queue is and how large its batches are.
#[derive(Clone)]
struct QueueStats {
    /// Items queued, not yet taken by the worker.
    depth: Gauge,
    /// Items per batch served.
    sizes: Histogram,
}

impl QueueStats {
    fn new() -> Self {
        QueueStats {
            depth: Gauge::default(),
            // 1, 2, 4, ... 512.
            sizes: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Start the worker on the current Tokio runtime. `serve` gets between
    /// 1 and `max` items and must answer each, in order. The worker stops
    /// when the batcher is dropped, after serving what was queued.
    pub(crate) fn spawn<F, Fut>(max: usize, mut serve: F) -> Self
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let (queue, mut pending) = mpsc::unbounded_channel::<Request<T, R>>();
        let stats = QueueStats::new();
        let seen = stats.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max);
            while pending.recv_many(&mut batch, max).await > 0 {
                seen.depth.dec_by(batch.len() as i64);
                seen.sizes.observe(batch.len() as f64);
                let (items, replies): (Vec<T>, Vec<_>) = batch.drain(..).unzip();
                // A panic while serving fails this batch's callers (their
                // reply senders drop), not every later caller.
                let served = AssertUnwindSafe(serve(items)).catch_unwind().await;
                let Ok(answers) = served else {
                    tracing::error!("a store batch panicked; its callers get an error");
                    continue;
                };
                debug_assert_eq!(answers.len(), replies.len(), "a batch answers every item");
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // The caller may have gone (its request was cancelled);
                    // the work is done either way.
                    let _ = reply.send(answer);
                }
            }
        });
        Batcher { queue, stats }
    }

    /// Register the queue's depth as `{prefix}_queue_depth` and its batch
    /// sizes as `{prefix}_batch_size`.
    pub(crate) fn register(&self, registry: &mut Registry, prefix: &str, what: &str) {
        registry.register(
            format!("{prefix}_queue_depth"),
            format!("{what} queued for the store's batch worker now"),
            self.stats.depth.clone(),
        );
        registry.register(
            format!("{prefix}_batch_size"),
            format!("{what} served together in one batch (one transaction or statement)"),
            self.stats.sizes.clone(),
        );
    }
}

impl<T, R> Batcher<T, StoreResult<R>> {
    /// Queue `item` and wait for its answer.
    pub(crate) async fn submit(&self, item: T) -> StoreResult<R> {
        let (reply, answer) = oneshot::channel();
        self.stats.depth.inc();
        if self.queue.send((item, reply)).is_err() {
            self.stats.depth.dec();
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::WorkerCrashed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_batches_and_get_their_own_answers() {
        let batches = Arc::new(AtomicUsize::new(0));
        let seen = batches.clone();
        let batcher = Arc::new(Batcher::spawn(8, move |items: Vec<u32>| {
            seen.fetch_add(1, Ordering::Relaxed);
            async move {
                assert!((1..=8).contains(&items.len()));
                // Slow enough that others queue up meanwhile.
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                items.into_iter().map(|i| Ok(i * 10)).collect()
            }
        }));
        let calls: Vec<_> = (0..64u32)
            .map(|i| {
                let b = batcher.clone();
                tokio::spawn(async move { (i, b.submit(i).await.unwrap()) })
            })
            .collect();
        for call in calls {
            let (i, answer) = call.await.unwrap();
            assert_eq!(answer, i * 10);
        }
        let n = batches.load(Ordering::Relaxed);
        assert!(n < 64, "64 concurrent requests took {n} batches");
        assert!(n >= 8, "a batch never exceeds its cap; got {n} batches");
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_callers_only() {
        let batcher = Batcher::spawn(1, |items: Vec<u32>| async move {
            assert_ne!(items[0], 13, "unlucky");
            items.into_iter().map(Ok).collect::<Vec<StoreResult<u32>>>()
        });
        assert!(batcher.submit(13).await.is_err());
        assert_eq!(batcher.submit(7).await.unwrap(), 7);
    }
}
