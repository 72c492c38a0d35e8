//! Check an Arcade activity's draws without the service.
//!
//! Every random number a mechanic draws comes from a stream that depends
//! only on values fixed before the action ran: the activity's secret key
//! (committed to by its published blake3 hash when the activity is
//! created, revealed once it has ended), the acting user, and that user's
//! sequence number of committed actions in the activity (1, 2, 3, ...).
//! The host records each draw with the outcome, and the outcomes export
//! carries them with the sequence numbers. Given the export and the
//! revealed key, [`verify_export`] re-derives every draw and reports any
//! that the key does not produce, any sequence number used twice, and any
//! missing from a user's run.
//!
//! ```
//! let key = [7u8; 32];
//! let mut stream = arcade_verify::action_stream(&key, "alice", 1);
//! let first = stream.below(100);
//! assert!(first < 100);
//! // The same user's same action always draws the same numbers.
//! assert_eq!(arcade_verify::action_stream(&key, "alice", 1).below(100), first);
//! ```

mod check;
mod stream;

pub use check::{Error, Options, Problem, Report, verify_export};
pub use stream::{
    DERIVATION, Draw, Key, Stream, action_stream, commitment, legacy_stream, parse_key, redraw,
};
