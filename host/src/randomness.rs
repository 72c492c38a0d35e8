//! Fair, replayable randomness.
//!
//! Each activity has a secret key derived from the server secret and the
//! activity id; its blake3 hash is published as the activity's commitment
//! when the activity is created. Each action's random stream is ChaCha20
//! seeded with the activity key keyed-hashed with the action's
//! server-assigned id. Users cannot predict a draw (they know neither key),
//! the operator cannot pick one (the id is assigned by the host and the
//! key is fixed by the commitment), and anyone given the key after the
//! activity ends can re-derive every draw.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A 32-byte secret.
pub type Key = [u8; 32];

/// The secret randomness key of one activity.
pub fn activity_key(server_secret: &Key, activity_id: &str) -> Key {
    let mut h = blake3::Hasher::new_keyed(server_secret);
    h.update(b"arcade/activity-key/v1\0");
    h.update(activity_id.as_bytes());
    *h.finalize().as_bytes()
}

/// The public commitment to an activity key, in hex.
pub fn commitment(activity_key: &Key) -> String {
    blake3::hash(activity_key).to_hex().to_string()
}

/// The random stream of one action.
pub fn action_stream(activity_key: &Key, action_id: &str) -> Stream {
    let mut h = blake3::Hasher::new_keyed(activity_key);
    h.update(b"arcade/action-seed/v1\0");
    h.update(action_id.as_bytes());
    Stream(ChaCha20Rng::from_seed(*h.finalize().as_bytes()))
}

/// A deterministic stream of random numbers. Its algorithm is part of the
/// replay contract: changing it changes every past draw.
pub struct Stream(ChaCha20Rng);

impl Stream {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[0, bound)` by rejection sampling (no modulo bias).
    /// `bound` must be positive.
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        // Largest multiple of `bound` that fits; values at or above it are
        // rejected so every residue is equally likely.
        let zone = u64::MAX - (u64::MAX - bound + 1) % bound;
        loop {
            let x = self.next_u64();
            if x <= zone {
                return x % bound;
            }
        }
    }
}

/// Parse a hex-encoded 32-byte key.
pub fn parse_key(hex_key: &str) -> Option<Key> {
    let bytes = hex::decode(hex_key.trim()).ok()?;
    bytes.try_into().ok()
}

/// A fresh random key from the operating system.
pub fn generate_key() -> Key {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let key = activity_key(&[7; 32], "act");
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(action_stream(&key, "x"), |s, _| Some(s.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(action_stream(&key, "x"), |s, _| Some(s.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(action_stream(&key, "y"), |s, _| Some(s.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(activity_key(&[7; 32], "act"), activity_key(&[8; 32], "act"));
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut s = action_stream(&[1; 32], "z");
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let v = s.below(7);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(s.below(1), 0);
        assert!(s.below(u64::MAX) < u64::MAX);
    }
}
