//! One load at a time per key. When a flash crowd is the first traffic a
//! replica sees for an activity (a fresh start, a new plugin), every one
//! of its requests misses the same cache at once; without this each would
//! read the activity and compile its plugin itself, hundreds of
//! compilations of one module. The first caller loads; the others wait
//! for its turn to end and then find the cache filled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// Per-key turns.
#[derive(Default)]
pub(crate) struct SingleFlight {
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The caller's turn for one key; others wait until it is dropped.
pub(crate) struct Turn<'a> {
    flights: &'a SingleFlight,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl SingleFlight {
    /// Wait for the turn on `key`.
    pub(crate) async fn turn(&self, key: &str) -> Turn<'_> {
        let lock = self
            .turns
            .lock()
            .expect("single-flight map poisoned")
            .entry(key.to_owned())
            .or_default()
            .clone();
        let guard = lock.clone().lock_owned().await;
        Turn {
            flights: self,
            key: key.to_owned(),
            lock,
            guard: Some(guard),
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut turns = self
            .flights
            .turns
            .lock()
            .expect("single-flight map poisoned");
        // Only the map and this turn hold the lock: nobody waits, so the
        // entry goes (clones are only taken under the map's lock).
        if Arc::strong_count(&self.lock) == 2 {
            turns.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_caller_loads_and_the_rest_find_it_loaded() {
        let flights = Arc::new(SingleFlight::default());
        let cache = Arc::new(Mutex::new(None::<u32>));
        let loads = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (flights, cache, loads) = (flights.clone(), cache.clone(), loads.clone());
                tokio::spawn(async move {
                    let _turn = flights.turn("plugin").await;
                    if let Some(v) = *cache.lock().unwrap() {
                        return v;
                    }
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    *cache.lock().unwrap() = Some(7);
                    7
                })
            })
            .collect();
        for c in callers {
            assert_eq!(c.await.unwrap(), 7);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert!(
            flights.turns.lock().unwrap().is_empty(),
            "no entry left behind"
        );
    }
}
