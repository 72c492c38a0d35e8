//! Deterministic, unpredictable randomness supplied by the host: the same
//! for every replay of a call, unknowable to users beforehand.

/// The next 64 random bits.
pub fn next_u64() -> u64 {
    imp::next_u64()
}

/// A uniform integer in `[0, bound)`, without modulo bias.
///
/// # Panics
/// If `bound` is zero.
pub fn below(bound: u64) -> u64 {
    assert!(bound > 0, "random::below needs a positive bound");
    imp::below(bound)
}

/// Pick an index with probability proportional to its weight. Returns
/// `None` if every weight is zero (or the slice is empty).
pub fn weighted_index(weights: &[u64]) -> Option<usize> {
    let total: u64 = weights
        .iter()
        .try_fold(0u64, |acc, w| acc.checked_add(*w))?;
    if total == 0 {
        return None;
    }
    let mut ticket = below(total);
    for (i, w) in weights.iter().enumerate() {
        if ticket < *w {
            return Some(i);
        }
        ticket -= w;
    }
    unreachable!("ticket below the total weight always lands in a slot")
}

/// Shuffle `items` in place (Fisher-Yates).
pub fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::arcade::mechanic::random as wit;
    pub fn next_u64() -> u64 {
        wit::next_u64()
    }
    pub fn below(bound: u64) -> u64 {
        wit::below(bound)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use crate::testing::with_call;
    pub fn next_u64() -> u64 {
        with_call(|c| c.next_u64())
    }
    pub fn below(bound: u64) -> u64 {
        with_call(|c| c.below(bound))
    }
}
