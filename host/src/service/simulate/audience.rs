//! The expected audience of a simulation, and the actions it makes in one
//! run: who takes part, how many actions each makes, which, and when.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Most members one group may have in a simulation.
pub const MAX_MEMBERS: u64 = 10_000_000;
/// Most groups in one audience.
pub const MAX_GROUPS: usize = 100;
/// Most distinct actions in one audience's mix.
pub const MAX_MIX: usize = 16;
/// Most actions one member may make on average.
pub const MAX_ACTIONS_PER_USER: f64 = 1000.0;
const HOUR_MS: i64 = 3_600_000;

/// Who is expected to take part, and how.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Members of the one group the activity runs in (or `groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
    /// Several groups, each running the config as its own activity (its
    /// own state and stock); costs add up over them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupSize>>,
    /// Share of members who take part, 0 to 1.
    #[serde(default = "one")]
    pub participation: f64,
    /// Mean actions per participant: each makes the whole part, and one
    /// more with the fractional part as probability.
    #[serde(default = "one")]
    pub actions_per_user: f64,
    /// The actions participants make, drawn by weight for each action;
    /// default: the plugin's first action with payload `{}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionMix>,
    /// When actions arrive over the schedule.
    #[serde(default)]
    pub arrival: Arrival,
}

fn one() -> f64 {
    1.0
}

/// One group's size.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSize {
    /// Members.
    pub members: u64,
}

/// One action of the mix.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionMix {
    /// Action name, one of the plugin's.
    pub name: String,
    /// Its payload.
    #[serde(default = "empty_object")]
    pub payload: Value,
    /// Relative weight (default 1).
    #[serde(default = "one_u32")]
    pub weight: u32,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

fn one_u32() -> u32 {
    1
}

/// When actions arrive: `"uniform"`, `"front_loaded"` (exponential decay,
/// about half of the actions in the first eighth of the schedule), or
/// relative weights per hour from the start, repeated if the schedule is
/// longer (24 weights make a daily profile).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Arrival {
    /// A named curve.
    Shape(Shape),
    /// Weights by hour.
    Hourly(Vec<f64>),
}

/// A named arrival curve.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Evenly over the schedule.
    Uniform,
    /// Weight `0.5^(hour / (hours / 8))`.
    FrontLoaded,
}

impl Default for Arrival {
    fn default() -> Self {
        Arrival::Shape(Shape::Uniform)
    }
}

/// One action to simulate: when, by which member, which mix entry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Planned {
    pub(super) at: i64,
    pub(super) member: u32,
    pub(super) mix: u16,
}

/// An audience checked against the plugin and the schedule.
pub(super) struct Crowd {
    pub(super) groups: Vec<u64>,
    pub(super) participation: f64,
    pub(super) actions_per_user: f64,
    /// `(name, payload JSON, weight)`.
    pub(super) mix: Vec<(String, String, u32)>,
    /// Cumulative weight of each hour of the schedule.
    hours: Vec<f64>,
    starts_at: i64,
    ends_at: i64,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid("invalid_audience", message)
}

impl Crowd {
    /// Check `a` for a plugin with actions `actions` over `[starts_at,
    /// ends_at)`.
    pub(super) fn new(
        a: &Audience,
        actions: &[String],
        starts_at: i64,
        ends_at: i64,
    ) -> Result<Crowd> {
        let groups = match (&a.members, &a.groups) {
            (Some(m), None) => vec![*m],
            (None, Some(g)) if !g.is_empty() && g.len() <= MAX_GROUPS => {
                g.iter().map(|g| g.members).collect()
            }
            (None, Some(_)) => {
                return Err(invalid(format!(
                    "groups must list 1 to {MAX_GROUPS} groups"
                )));
            }
            _ => return Err(invalid("give either members or groups")),
        };
        if groups.iter().any(|m| *m > MAX_MEMBERS) {
            return Err(invalid(format!(
                "a group has at most {MAX_MEMBERS} members here"
            )));
        }
        if !(0.0..=1.0).contains(&a.participation) {
            return Err(invalid("participation must be between 0 and 1"));
        }
        if !(0.0..=MAX_ACTIONS_PER_USER).contains(&a.actions_per_user) {
            return Err(invalid(format!(
                "actions_per_user must be between 0 and {MAX_ACTIONS_PER_USER}"
            )));
        }
        let mix = if a.actions.is_empty() {
            let first = actions
                .first()
                .ok_or_else(|| invalid("the plugin has no actions"))?;
            vec![(first.clone(), "{}".to_owned(), 1)]
        } else {
            if a.actions.len() > MAX_MIX {
                return Err(invalid(format!("at most {MAX_MIX} actions")));
            }
            let mut mix = Vec::new();
            for m in &a.actions {
                if !actions.contains(&m.name) {
                    return Err(Error::invalid(
                        "unknown_action",
                        format!("the plugin has no action {:?}", m.name),
                    ));
                }
                crate::text::check_json("audience.actions.payload", &m.payload)?;
                let payload = m.payload.to_string();
                if payload.len() > super::super::PAYLOAD_LIMIT_BYTES {
                    return Err(invalid("an action payload is too large"));
                }
                mix.push((m.name.clone(), payload, m.weight));
            }
            if mix.iter().all(|m| m.2 == 0) {
                return Err(invalid("at least one action needs a positive weight"));
            }
            mix
        };
        let hours = ((ends_at - starts_at + HOUR_MS - 1) / HOUR_MS).max(1) as usize;
        let weights: Vec<f64> = match &a.arrival {
            Arrival::Shape(Shape::Uniform) => vec![1.0; hours],
            Arrival::Shape(Shape::FrontLoaded) => {
                let half_life = (hours as f64 / 8.0).max(1.0);
                (0..hours)
                    .map(|h| 0.5f64.powf(h as f64 / half_life))
                    .collect()
            }
            Arrival::Hourly(w) => {
                if w.is_empty() || w.len() > 24 * 366 {
                    return Err(invalid("arrival needs 1 to 8784 hourly weights"));
                }
                if w.iter().any(|x| !x.is_finite() || *x < 0.0) {
                    return Err(invalid("arrival weights must be finite and not negative"));
                }
                (0..hours).map(|h| w[h % w.len()]).collect()
            }
        };
        let mut cumulative = Vec::with_capacity(hours);
        let mut sum = 0.0;
        for w in weights {
            sum += w;
            cumulative.push(sum);
        }
        if sum <= 0.0 {
            return Err(invalid(
                "the arrival weights over the schedule add up to zero",
            ));
        }
        Ok(Crowd {
            groups,
            participation: a.participation,
            actions_per_user: a.actions_per_user,
            mix,
            hours: cumulative,
            starts_at,
            ends_at,
        })
    }

    /// Expected actions of one run.
    pub(super) fn expected_actions(&self) -> f64 {
        let members: u64 = self.groups.iter().sum();
        members as f64 * self.participation * self.actions_per_user
    }

    /// The actions of one group in one run, in time order, and how many
    /// members took part. `rng` is the run's and group's own stream.
    pub(super) fn plan(&self, members: u64, rng: &mut ChaCha20Rng) -> (Vec<Planned>, u64) {
        let whole = self.actions_per_user.floor();
        let extra = self.actions_per_user - whole;
        let total_mix: u64 = self.mix.iter().map(|m| u64::from(m.2)).sum();
        let total_weight = *self.hours.last().expect("at least one hour");
        let mut out = Vec::new();
        let mut participants = 0;
        for member in 0..members {
            if unit(rng) >= self.participation {
                continue;
            }
            participants += 1;
            let count = whole as u64 + u64::from(unit(rng) < extra);
            for _ in 0..count {
                let r = unit(rng) * total_weight;
                let hour = self.hours.partition_point(|c| *c <= r);
                let hour = hour.min(self.hours.len() - 1) as i64;
                let from = self.starts_at + hour * HOUR_MS;
                let span = (self.ends_at - from).clamp(1, HOUR_MS) as u64;
                let at = from + below(rng, span) as i64;
                let mut pick = below(rng, total_mix);
                let mut mix = 0;
                for (i, m) in self.mix.iter().enumerate() {
                    if pick < u64::from(m.2) {
                        mix = i;
                        break;
                    }
                    pick -= u64::from(m.2);
                }
                out.push(Planned {
                    at,
                    member: member as u32,
                    mix: mix as u16,
                });
            }
        }
        // Stable: equal times keep member order.
        out.sort_by_key(|p| p.at);
        (out, participants)
    }
}

/// The random stream of one group in one run.
pub(super) fn plan_rng(seed: u64, run: u32, group: usize) -> ChaCha20Rng {
    let mut h = blake3::Hasher::new();
    h.update(b"arcade/simulate/plan/v1\0");
    h.update(&seed.to_le_bytes());
    h.update(&run.to_le_bytes());
    h.update(&(group as u64).to_le_bytes());
    ChaCha20Rng::from_seed(*h.finalize().as_bytes())
}

/// Uniform in `[0, 1)`.
fn unit(rng: &mut ChaCha20Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform in `[0, bound)`, `bound > 0`, without modulo bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX - bound + 1) % bound;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return x % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crowd(arrival: Arrival) -> Crowd {
        let a = Audience {
            members: Some(2000),
            groups: None,
            participation: 0.5,
            actions_per_user: 1.5,
            actions: Vec::new(),
            arrival,
        };
        Crowd::new(&a, &["draw".into()], 0, 24 * HOUR_MS).unwrap()
    }

    #[test]
    fn plans_are_reproducible_and_follow_the_curve() {
        let c = crowd(Arrival::Shape(Shape::FrontLoaded));
        let (a, pa) = c.plan(2000, &mut plan_rng(7, 0, 0));
        let (b, pb) = c.plan(2000, &mut plan_rng(7, 0, 0));
        assert_eq!(pa, pb);
        assert_eq!(
            a.iter().map(|p| (p.at, p.member)).collect::<Vec<_>>(),
            b.iter().map(|p| (p.at, p.member)).collect::<Vec<_>>()
        );
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!((800..1200).contains(&pa), "{pa}");
        let expected = pa as f64 * 1.5;
        assert!((a.len() as f64 - expected).abs() < expected * 0.1);
        // Half-life three hours: about half in the first three.
        let early = a.iter().filter(|p| p.at < 3 * HOUR_MS).count();
        assert!(
            early * 10 > a.len() * 4 && early * 10 < a.len() * 6,
            "{early}"
        );
        let (other, _) = c.plan(2000, &mut plan_rng(8, 0, 0));
        assert_ne!(
            a.iter().map(|p| p.at).collect::<Vec<_>>(),
            other.iter().map(|p| p.at).collect::<Vec<_>>()
        );
    }

    #[test]
    fn hourly_weights_place_actions() {
        let mut w = vec![0.0; 24];
        w[5] = 1.0;
        let c = crowd(Arrival::Hourly(w));
        let (a, _) = c.plan(2000, &mut plan_rng(1, 0, 0));
        assert!(!a.is_empty());
        assert!(a.iter().all(|p| p.at / HOUR_MS == 5));
    }
}
