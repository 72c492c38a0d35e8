//! How much each cut takes: pure functions of the amounts and a source of
//! uniform integers (the host's `random::below` in the mechanic, anything
//! in tests), so every cut is replayable.

/// The next help's cut of `remaining` fen with `helps_left` helps to go
/// (this one included), given a source `below(n)` of uniform integers in
/// `[0, n)`.
///
/// The last help takes the exact remainder. Any other help takes a uniform
/// amount in `[1, 2 * remaining / helps_left]` (twice the fair share, so
/// the mean is the fair share), capped so that each help still to come can
/// take at least 1 fen. `double` doubles the drawn amount under the same
/// cap. Needs `helps_left >= 1` and `remaining >= helps_left`.
pub fn next_cut(
    remaining: u64,
    helps_left: u32,
    double: bool,
    below: &mut impl FnMut(u64) -> u64,
) -> u64 {
    let helps_left = u64::from(helps_left);
    assert!(helps_left >= 1 && remaining >= helps_left);
    if helps_left == 1 {
        return remaining;
    }
    let cap = remaining - (helps_left - 1);
    let hi = (remaining.saturating_mul(2) / helps_left).clamp(1, cap);
    let drawn = 1 + below(hi);
    let cut = if double {
        drawn.saturating_mul(2)
    } else {
        drawn
    };
    cut.min(cap)
}

/// The owner's first cut of a total reduction of `total` fen, leaving at
/// least `helps` fen for the helps: a uniform share between `min_percent`
/// and `max_percent` (in steps of 0.01%), at least 1 fen.
pub fn owner_cut(
    total: u64,
    helps: u32,
    min_percent: u32,
    max_percent: u32,
    below: &mut impl FnMut(u64) -> u64,
) -> u64 {
    let lo = u64::from(min_percent) * 100;
    let hi = u64::from(max_percent.max(min_percent)) * 100;
    let basis_points = lo + below(hi - lo + 1);
    let cut = (u128::from(total) * u128::from(basis_points) / 10_000) as u64;
    cut.clamp(1, total.saturating_sub(u64::from(helps)).max(1))
}
