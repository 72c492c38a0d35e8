//! The derivation of each action's random stream. Changing anything here
//! changes every past draw: it is the replay and verification contract.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A 32-byte secret.
pub type Key = [u8; 32];

/// The derivation, as the fairness endpoint and the README state it.
pub const DERIVATION: &str = "seed = blake3_keyed(key, \"arcade/action-seed/v2\\0\" || u64_be(len(user_id)) \
|| user_id || u64_be(seq)), seq = the user's 1-based count of committed actions in the activity \
(timers: user_id \"\" and the activity's count of timer outcomes); stream = ChaCha20(seed); \
next-u64 = the stream's next 64 bits; below(n) draws next-u64 until a value is under the largest \
multiple of n (rejection, no modulo bias) and returns it mod n";

/// The public commitment to an activity key: its blake3 hash, in hex.
pub fn commitment(key: &Key) -> String {
    blake3::hash(key).to_hex().to_string()
}

/// The random stream of `user_id`'s `seq`-th committed action (1-based)
/// in the activity whose key is `key`. Timer calls use the empty user.
pub fn action_stream(key: &Key, user_id: &str, seq: u64) -> Stream {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(b"arcade/action-seed/v2\0");
    // Length-prefixed so no (user, seq) pair can collide with another.
    h.update(&(user_id.len() as u64).to_be_bytes());
    h.update(user_id.as_bytes());
    h.update(&seq.to_be_bytes());
    Stream(ChaCha20Rng::from_seed(*h.finalize().as_bytes()))
}

/// The stream of an outcome recorded before sequence numbers: seeded by
/// the outcome id the host assigned. Kept to verify and replay those.
pub fn legacy_stream(key: &Key, outcome_id: &str) -> Stream {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(b"arcade/action-seed/v1\0");
    h.update(outcome_id.as_bytes());
    Stream(ChaCha20Rng::from_seed(*h.finalize().as_bytes()))
}

/// A deterministic stream of random numbers.
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

    /// Draw what `draw` asked for: `below(bound)`, or `next-u64` for a
    /// bound of 0.
    pub fn draw(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            self.next_u64()
        } else {
            self.below(bound)
        }
    }
}

/// One recorded draw: the bound asked for (0 for `next-u64`) and the
/// value returned. Serialized as `[bound, value]`.
pub type Draw = (u64, u64);

/// Re-draw `draws` from `stream`, returning the index of the first draw
/// it does not reproduce.
pub fn redraw(stream: &mut Stream, draws: &[Draw]) -> Result<(), usize> {
    for (i, &(bound, value)) in draws.iter().enumerate() {
        if stream.draw(bound) != value {
            return Err(i);
        }
    }
    Ok(())
}

/// Parse a hex-encoded 32-byte key.
pub fn parse_key(hex_key: &str) -> Option<Key> {
    let bytes = hex::decode(hex_key.trim()).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(mut s: Stream, n: usize) -> Vec<u64> {
        (0..n).map(|_| s.next_u64()).collect()
    }

    #[test]
    fn streams_depend_on_key_user_and_seq_only() {
        let k = [7; 32];
        assert_eq!(
            first(action_stream(&k, "a", 1), 4),
            first(action_stream(&k, "a", 1), 4)
        );
        assert_ne!(
            first(action_stream(&k, "a", 1), 4),
            first(action_stream(&k, "a", 2), 4)
        );
        assert_ne!(
            first(action_stream(&k, "a", 1), 4),
            first(action_stream(&k, "b", 1), 4)
        );
        assert_ne!(
            first(action_stream(&k, "a", 1), 4),
            first(action_stream(&[8; 32], "a", 1), 4)
        );
        // The length prefix keeps ("a", seq) and ("a\0...", ...) apart.
        assert_ne!(
            first(action_stream(&k, "", 1), 4),
            first(action_stream(&k, "\0", 1), 4)
        );
        assert_ne!(
            first(action_stream(&k, "a", 1), 4),
            first(legacy_stream(&k, "a"), 4)
        );
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut s = action_stream(&[1; 32], "z", 1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[s.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(s.below(1), 0);
        assert!(s.below(u64::MAX) < u64::MAX);
    }

    #[test]
    fn redraw_finds_the_first_wrong_draw() {
        let k = [3; 32];
        let mut s = action_stream(&k, "u", 5);
        let draws: Vec<Draw> = [0, 10, 1000, 0]
            .into_iter()
            .map(|b| (b, s.draw(b)))
            .collect();
        assert_eq!(redraw(&mut action_stream(&k, "u", 5), &draws), Ok(()));
        let mut bad = draws.clone();
        bad[2].1 = (bad[2].1 + 1) % 1000;
        assert_eq!(redraw(&mut action_stream(&k, "u", 5), &bad), Err(2));
        assert_eq!(redraw(&mut action_stream(&k, "u", 6), &draws), Err(0));
    }

    #[test]
    fn key_round_trips_through_hex() {
        let k = [0xab; 32];
        assert_eq!(parse_key(&hex::encode(k)), Some(k));
        assert_eq!(parse_key("abcd"), None);
        assert_eq!(commitment(&k).len(), 64);
    }
}
