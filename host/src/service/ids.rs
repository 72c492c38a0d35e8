//! Where new activity and outcome ids come from. The service makes UUIDv7
//! ids from the real clock and the system's randomness. A scripted session
//! (`arcade plugin test`) makes them from a sequence stamped with the
//! service clock instead: an action's random stream and its coupon codes
//! derive from its outcome id (and the activity's key from the activity
//! id), so with a fixed secret the same script draws the same numbers on
//! every run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The id source of one [`super::Arcade`].
#[derive(Default)]
pub(crate) struct Ids {
    scripted: AtomicBool,
    sequence: AtomicU64,
    /// Sequence numbers to hand out before the next new one, last first.
    held: Mutex<Vec<u64>>,
}

impl Ids {
    /// Make ids from a sequence from now on (see the module docs).
    pub(crate) fn script(&self) {
        self.scripted.store(true, Relaxed);
    }

    /// Hand out the next two scripted ids in reverse order: a session's
    /// `together` step runs B then A with the ids (and so the random
    /// streams) they had as A then B, so only the order differs.
    pub(crate) fn swap_next_pair(&self) {
        let n = self.sequence.fetch_add(2, Relaxed);
        *self.held.lock().expect("ids lock") = vec![n, n + 1];
    }

    /// A new id: a UUIDv7 at `now_ms` when scripted, at the real time
    /// otherwise. Scripted ids still sort by time, then by sequence.
    pub(crate) fn next(&self, now_ms: i64) -> String {
        if !self.scripted.load(Relaxed) {
            return uuid::Uuid::now_v7().to_string();
        }
        let held = self.held.lock().expect("ids lock").pop();
        let n = held.unwrap_or_else(|| self.sequence.fetch_add(1, Relaxed));
        let mut tail = [0u8; 10];
        tail[2..].copy_from_slice(&n.to_be_bytes());
        uuid::Builder::from_unix_timestamp_millis(u64::try_from(now_ms).unwrap_or(0), &tail)
            .into_uuid()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::Ids;

    #[test]
    fn scripted_ids_repeat_and_sort() {
        let (a, b) = (Ids::default(), Ids::default());
        a.script();
        b.script();
        let first: Vec<String> = (0..3).map(|i| a.next(1_000 + i)).collect();
        let again: Vec<String> = (0..3).map(|i| b.next(1_000 + i)).collect();
        assert_eq!(first, again);
        assert!(first.windows(2).all(|w| w[0] < w[1]), "{first:?}");
        assert!(uuid::Uuid::parse_str(&first[0]).unwrap().get_version_num() == 7);
        let (ab, ba) = (Ids::default(), Ids::default());
        ab.script();
        ba.script();
        ba.swap_next_pair();
        let (a, b) = (ab.next(1_000), ab.next(1_000));
        assert_eq!((ba.next(1_000), ba.next(1_000)), (b, a));
        assert_eq!(
            ab.next(1_000),
            ba.next(1_000),
            "the sequence goes on as one"
        );
        let random = Ids::default();
        assert_ne!(random.next(1_000), random.next(1_000));
    }
}
