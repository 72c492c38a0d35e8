//! The cut algorithm, alone and through whole bargains.
use super::*;

#[test]
fn double_cut_takes_more_on_average() {
    let mut rng = 7u64;
    let mut below = |n: u64| {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (rng >> 33) % n
    };
    let (mut single, mut double) = (0, 0);
    for _ in 0..2_000 {
        single += next_cut(10_000, 10, false, &mut below);
        double += next_cut(10_000, 10, true, &mut below);
    }
    assert!(double > single * 3 / 2, "{double} vs {single}");
    // Capped so each help still to come gets 1 fen.
    assert_eq!(next_cut(5, 5, true, &mut |_| 0), 1);
    assert_eq!(next_cut(6, 5, true, &mut |_| 0), 2);
}

proptest::proptest! {
    /// The cut algorithm alone, over a wide range: every cut is at least
    /// 1 fen, the price never drops below the floor, and the N-th help
    /// lands exactly on it.
    #[test]
    fn cuts_sum_to_the_reduction(
        extra in 0u64..10_000_000,
        n in 1u32..=100,
        doubles in proptest::collection::vec(proptest::prelude::any::<bool>(), 100),
        owner in proptest::option::of((1u32..=99, 0u32..=98)),
        seed in proptest::prelude::any::<u64>(),
    ) {
        let total = u64::from(n) + u64::from(owner.is_some()) + extra;
        let mut rng = seed;
        let mut below = |bound: u64| {
            rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % bound
        };
        let mut remaining = total;
        if let Some((lo, span)) = owner {
            let hi = (lo + span).min(99);
            let cut = owner_cut(total, n, lo, hi, &mut below);
            proptest::prop_assert!(cut >= 1 && remaining - cut >= u64::from(n));
            remaining -= cut;
        }
        for k in 0..n {
            let left = n - k;
            let cut = next_cut(remaining, left, doubles[k as usize], &mut below);
            proptest::prop_assert!(cut >= 1);
            proptest::prop_assert!(cut <= remaining - u64::from(left - 1));
            remaining -= cut;
        }
        proptest::prop_assert_eq!(remaining, 0);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// A full bargain through the mock host: the helps' cuts sum exactly
    /// to original - floor, each is at least 1 fen, the price never goes
    /// below the floor, and it reaches the floor exactly at help N.
    #[test]
    fn a_full_bargain_lands_on_the_floor(
        floor in 0u64..100_000,
        extra in 0u64..1_000_000,
        n in 1u32..=100,
        seed in proptest::prelude::any::<u64>(),
    ) {
        let original = floor + u64::from(n) + extra;
        let mut h = host(json!({
            "item": {"id": "i", "name": "I", "original_price_fen": original, "floor_price_fen": floor},
            "helpers_needed": n,
            "time_limit_minutes": 60,
            "max_helps_per_day": 1
        }));
        h.seed(seed);
        let id = start(&mut h, "owner");
        let mut price = original;
        let mut sum = 0;
        for k in 1..=n {
            let out = help(&mut h, &format!("h{k}"), &id).unwrap();
            let cut = out.result["cut_fen"].as_u64().unwrap();
            proptest::prop_assert!(cut >= 1);
            sum += cut;
            price -= cut;
            proptest::prop_assert_eq!(out.result["price_fen"].as_u64(), Some(price));
            proptest::prop_assert!(price >= floor);
            proptest::prop_assert_eq!(out.result["helps_left"].as_u64(), Some(u64::from(n - k)));
            let done = out.result["status"] == "completed";
            proptest::prop_assert_eq!(done, k == n);
            proptest::prop_assert_eq!(price == floor, k == n);
            proptest::prop_assert_eq!(out.events.len(), usize::from(done));
        }
        proptest::prop_assert_eq!(sum, original - floor);
        proptest::prop_assert_eq!(help(&mut h, "late", &id).unwrap_err().code, "bargain_closed");
    }
}
