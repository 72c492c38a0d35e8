//! A user's checked days, kept as sorted runs of consecutive day numbers.
//!
//! A run `[first, last]` covers every day from `first` to `last`
//! inclusive. Runs are sorted, disjoint and never adjacent (two runs with
//! no gap between them are merged), so a day is either in exactly one run
//! or in none, the current streak is the length of one run, and a make-up
//! that fills a one-day gap joins two runs into one.

use serde::{Deserialize, Serialize};

/// Sorted, disjoint, non-adjacent runs of checked days.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Runs(Vec<(i64, i64)>);

impl Runs {
    /// Index of the first run that ends on or after `day`.
    fn find(&self, day: i64) -> usize {
        self.0.partition_point(|r| r.1 < day)
    }

    /// The run containing `day`, if any.
    pub fn run_of(&self, day: i64) -> Option<(i64, i64)> {
        self.0.get(self.find(day)).copied().filter(|r| r.0 <= day)
    }

    /// Whether `day` is checked.
    pub fn contains(&self, day: i64) -> bool {
        self.run_of(day).is_some()
    }

    /// Mark `day` as checked. Returns false (and changes nothing) if it
    /// already was, so no day is ever counted twice.
    pub fn insert(&mut self, day: i64) -> bool {
        let i = self.find(day);
        if self.0.get(i).is_some_and(|r| r.0 <= day) {
            return false;
        }
        let joins_prev = i > 0 && self.0[i - 1].1 == day - 1;
        let joins_next = self.0.get(i).is_some_and(|r| r.0 == day + 1);
        match (joins_prev, joins_next) {
            (true, true) => {
                self.0[i - 1].1 = self.0[i].1;
                self.0.remove(i);
            }
            (true, false) => self.0[i - 1].1 = day,
            (false, true) => self.0[i].0 = day,
            (false, false) => self.0.insert(i, (day, day)),
        }
        true
    }

    /// The current streak on `today`: the number of consecutive checked
    /// days ending today, or ending yesterday if today is not checked yet
    /// (the streak is still alive until today ends). Zero otherwise.
    pub fn streak(&self, today: i64) -> u32 {
        let end = if self.contains(today) {
            today
        } else {
            today - 1
        };
        self.run_of(end).map_or(0, |(first, _)| {
            u32::try_from(end - first + 1).unwrap_or(u32::MAX)
        })
    }

    /// Forget runs that ended before `oldest`. A run that reaches `oldest`
    /// or later is kept whole, so a streak is exact however long it is.
    pub fn prune_before(&mut self, oldest: i64) {
        self.0.retain(|r| r.1 >= oldest);
    }

    /// The runs, oldest first.
    #[cfg(test)]
    pub fn runs(&self) -> &[(i64, i64)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn inserting_merges_neighbours() {
        let mut r = Runs::default();
        assert!(r.insert(10));
        assert!(r.insert(12));
        assert_eq!(r.runs(), [(10, 10), (12, 12)]);
        assert!(r.insert(11));
        assert_eq!(r.runs(), [(10, 12)]);
        assert!(!r.insert(11));
        assert!(r.insert(9));
        assert!(r.insert(13));
        assert!(r.insert(20));
        assert_eq!(r.runs(), [(9, 13), (20, 20)]);
        assert_eq!(r.streak(20), 1);
        assert_eq!(r.streak(21), 1);
        assert_eq!(r.streak(22), 0);
        assert_eq!(r.streak(14), 5);
        r.prune_before(14);
        assert_eq!(r.runs(), [(20, 20)]);
    }

    proptest::proptest! {
        /// Runs behave exactly like a set of days.
        #[test]
        fn runs_are_a_set(days in proptest::collection::vec(0i64..60, 0..80), today in 0i64..62) {
            let mut r = Runs::default();
            let mut set = BTreeSet::new();
            for d in days {
                proptest::prop_assert_eq!(r.insert(d), set.insert(d));
            }
            for w in r.runs().windows(2) {
                proptest::prop_assert!(w[0].1 + 1 < w[1].0);
            }
            let covered: i64 = r.runs().iter().map(|(a, b)| b - a + 1).sum();
            proptest::prop_assert_eq!(covered, set.len() as i64);
            for d in -1..62 {
                proptest::prop_assert_eq!(r.contains(d), set.contains(&d));
            }
            let end = if set.contains(&today) { today } else { today - 1 };
            let mut expected = 0;
            while set.contains(&(end - expected)) {
                expected += 1;
            }
            proptest::prop_assert_eq!(i64::from(r.streak(today)), expected);
        }
    }
}
