//! Where new activity and outcome ids come from. The service makes UUIDv7
//! ids from the real clock and the system's randomness. A scripted session
//! (`arcade plugin test`) makes them from a sequence stamped with the
//! service clock instead: an action's random stream and its coupon codes
//! derive from its outcome id (and the activity's key from the activity
//! id), so with a fixed secret the same script draws the same numbers on
//! every run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The id source of one [`super::Arcade`].
#[derive(Default)]
pub(crate) struct Ids {
    scripted: AtomicBool,
    sequence: AtomicU64,
}

impl Ids {
    /// Make ids from a sequence from now on (see the module docs).
    pub(crate) fn script(&self) {
        self.scripted.store(true, Relaxed);
    }

    /// A new id: a UUIDv7 at `now_ms` when scripted, at the real time
    /// otherwise. Scripted ids still sort by time, then by sequence.
    pub(crate) fn next(&self, now_ms: i64) -> String {
        if !self.scripted.load(Relaxed) {
            return uuid::Uuid::now_v7().to_string();
        }
        let n = self.sequence.fetch_add(1, Relaxed);
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
        let random = Ids::default();
        assert_ne!(random.next(1_000), random.next(1_000));
    }
}
