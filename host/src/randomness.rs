//! Fair, replayable randomness.
//!
//! Each activity has a secret key derived from the server secret and the
//! activity id; its blake3 hash is published as the activity's commitment
//! when the activity is created, and the key itself once the activity has
//! ended. Each action's random stream is ChaCha20 seeded with the key
//! keyed-hashed with the acting user and that user's sequence number of
//! committed actions in the activity (`arcade_verify::action_stream`).
//! Users cannot predict a draw (they do not know the key); whoever runs
//! the host cannot pick one (the key is fixed by the commitment, and the
//! user and sequence number by the action: a retried or re-run action
//! draws the same numbers); and anyone given the key after the activity
//! ends can re-derive every draw from the outcomes export with
//! `arcade verify`. The derivation itself lives in the `arcade-verify`
//! crate so the service and the verifier share one definition.

pub use arcade_verify::{Key, Stream, action_stream, commitment, legacy_stream, parse_key};

/// The secret randomness key of one activity.
pub fn activity_key(server_secret: &Key, activity_id: &str) -> Key {
    let mut h = blake3::Hasher::new_keyed(server_secret);
    h.update(b"arcade/activity-key/v1\0");
    h.update(activity_id.as_bytes());
    *h.finalize().as_bytes()
}

/// A fresh random key from the operating system.
pub fn generate_key() -> Key {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_keys_differ_by_secret_and_id() {
        assert_eq!(activity_key(&[7; 32], "act"), activity_key(&[7; 32], "act"));
        assert_ne!(activity_key(&[7; 32], "act"), activity_key(&[8; 32], "act"));
        assert_ne!(
            activity_key(&[7; 32], "act"),
            activity_key(&[7; 32], "act2")
        );
    }
}
