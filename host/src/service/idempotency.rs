//! Idempotency-Keys on one replica. The database decides which request a
//! key belongs to: the key is inserted by the commit of its action's
//! outcome, so at most one request per key ever commits, on any replica.
//! This module only keeps a replica from running the same request twice
//! at once: the first request with a key runs it, later ones with the
//! same key wait in memory (no polling) for its answer, and if it ends
//! without committing, one of them runs the request afresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::store::StoredResponse;

/// `(tenant, key)`.
type KeyId = (String, String);

/// How a running request ended, as its waiters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Settled {
    /// It committed (or found its committed response): the body.
    Answered(String),
    /// It ended without committing; the key is free again.
    Released,
}

struct Running {
    request_hash: String,
    settled: watch::Receiver<Option<Settled>>,
}

/// The keys whose requests are running on this replica.
#[derive(Default)]
pub(crate) struct InFlight {
    running: Mutex<HashMap<KeyId, Running>>,
}

/// What a request with a key does next.
pub(crate) enum Turn {
    /// Run it; settle the guard when done (dropping it releases the key).
    Lead(KeyGuard),
    /// The same request is running: wait for it to settle.
    Wait(watch::Receiver<Option<Settled>>),
    /// A different request is running under this key.
    Reused,
}

impl InFlight {
    /// Take the key for this request, or learn who has it.
    pub(crate) fn enter(self: &Arc<Self>, tenant_id: &str, key: &str, request_hash: &str) -> Turn {
        let id = (tenant_id.to_owned(), key.to_owned());
        let mut running = self.running.lock().expect("in-flight map poisoned");
        if let Some(r) = running.get(&id) {
            return if r.request_hash == request_hash {
                Turn::Wait(r.settled.clone())
            } else {
                Turn::Reused
            };
        }
        let (tx, rx) = watch::channel(None);
        running.insert(
            id.clone(),
            Running {
                request_hash: request_hash.to_owned(),
                settled: rx,
            },
        );
        Turn::Lead(KeyGuard {
            in_flight: self.clone(),
            id,
            settled: tx,
        })
    }

    /// Keys running now (for tests and metrics).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.running.lock().expect("in-flight map poisoned").len()
    }
}

/// Held by the request running a key. Dropping it without settling (an
/// error, a panic) releases the key at once and wakes the waiters.
pub(crate) struct KeyGuard {
    in_flight: Arc<InFlight>,
    id: KeyId,
    settled: watch::Sender<Option<Settled>>,
}

impl KeyGuard {
    /// Publish the outcome of `result` to the waiters and free the slot.
    pub(crate) fn settle(self, result: &Result<String>) {
        if let Ok(body) = result {
            self.settled
                .send_replace(Some(Settled::Answered(body.clone())));
        }
        // Drop removes the entry and, if nothing was sent, releases.
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        self.in_flight
            .running
            .lock()
            .expect("in-flight map poisoned")
            .remove(&self.id);
        if self.settled.borrow().is_none() {
            self.settled.send_replace(Some(Settled::Released));
        }
    }
}

/// Wait for a running request to settle. `None` if it was released (the
/// caller should try to take the key itself).
pub(crate) async fn wait(mut settled: watch::Receiver<Option<Settled>>) -> Option<String> {
    // The sender is dropped only after it sent, so an error here means
    // the value was already sent and is in the channel.
    let _ = settled.wait_for(Option::is_some).await;
    let last = settled.borrow().clone();
    match last {
        Some(Settled::Answered(body)) => Some(body),
        Some(Settled::Released) | None => None,
    }
}

/// The answer for a request whose key is already committed: the stored
/// body if it was this same request, else a refusal.
pub(crate) fn stored_answer(stored: StoredResponse, request_hash: &str) -> Result<String> {
    if stored.request_hash == request_hash {
        Ok(stored.response)
    } else {
        Err(key_reused())
    }
}

/// The key was used for a different request.
pub(crate) fn key_reused() -> Error {
    Error::invalid(
        "idempotency_key_reused",
        "this Idempotency-Key was already used for a different request",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_get_the_leaders_body_and_the_slot_is_freed() {
        let f = Arc::new(InFlight::default());
        let Turn::Lead(guard) = f.enter("t", "k", "h") else {
            panic!("the first request leads")
        };
        let Turn::Wait(rx) = f.enter("t", "k", "h") else {
            panic!("the same request waits")
        };
        assert!(matches!(f.enter("t", "k", "other"), Turn::Reused));
        assert!(matches!(f.enter("t2", "k", "h"), Turn::Lead(_)));
        let waiter = tokio::spawn(wait(rx));
        guard.settle(&Ok("body".into()));
        assert_eq!(waiter.await.unwrap().as_deref(), Some("body"));
        assert_eq!(f.len(), 0);
    }

    #[tokio::test]
    async fn a_dropped_leader_releases_its_waiters() {
        let f = Arc::new(InFlight::default());
        let Turn::Lead(guard) = f.enter("t", "k", "h") else {
            panic!("the first request leads")
        };
        let Turn::Wait(rx) = f.enter("t", "k", "h") else {
            panic!("the same request waits")
        };
        let waiter = tokio::spawn(wait(rx));
        guard.settle(&Err(Error::Contention));
        assert_eq!(waiter.await.unwrap(), None);
        assert!(matches!(f.enter("t", "k", "h"), Turn::Lead(_)));
    }
}
