//! Regression tests for defects found by probing the API: U+0000 in text,
//! numbers too large for the store, guessable reward ids, API keys that
//! could not be revoked, and tombstones kept forever.

mod keys;
mod numbers;
mod rewards;
mod text;
mod tombstones;
