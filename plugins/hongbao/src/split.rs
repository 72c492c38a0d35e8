//! How a grab's amount is drawn (拼手气): uniformly from 1 fen to twice
//! the average of what is left, capped so every packet still to come
//! keeps at least 1 fen; the last packet takes the rest. The amounts are
//! at least 1 fen each and sum to the total exactly.

/// The amount of the next packet, with `left` packets holding `fen_left`
/// (`fen_left >= left >= 1`), and `below(n)` a uniform draw from `0..n`.
pub fn next_amount(left: u64, fen_left: u64, below: impl FnOnce(u64) -> u64) -> u64 {
    debug_assert!(left >= 1 && fen_left >= left);
    if left == 1 {
        return fen_left;
    }
    let keep_for_rest = left - 1;
    let cap = (2 * fen_left / left).min(fen_left - keep_for_rest).max(1);
    1 + below(cap)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::next_amount;

    proptest! {
        /// Whatever the draws, a packet split to the end sums to its total
        /// and no packet is empty.
        #[test]
        fn amounts_sum_to_the_total_and_none_is_empty(
            count in 1u64..300,
            extra in 0u64..100_000,
            seed in any::<u64>(),
        ) {
            let total = count + extra;
            let mut state = seed | 1;
            let mut below = |n: u64| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state % n
            };
            let (mut left, mut fen_left, mut sum) = (count, total, 0);
            while left > 0 {
                let a = next_amount(left, fen_left, &mut below);
                prop_assert!(a >= 1 && a <= fen_left - (left - 1));
                sum += a;
                fen_left -= a;
                left -= 1;
            }
            prop_assert_eq!(sum, total);
        }
    }

    #[test]
    fn draws_span_one_fen_to_twice_the_average() {
        assert_eq!(next_amount(4, 400, |_| 0), 1);
        assert_eq!(next_amount(4, 400, |n| n - 1), 200);
        // Three left hold 3 fen: one each, whatever the draw.
        assert_eq!(next_amount(3, 3, |n| n - 1), 1);
        assert_eq!(next_amount(1, 57, |_| unreachable!()), 57);
    }
}
