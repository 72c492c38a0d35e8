//! Statistics. Every commit queues its outcome (`stat_queue`, in the same
//! transaction); the rollup worker turns queued outcomes into counts per
//! activity and business day, per activity and per group, and takes them
//! off the queue in the same transaction, so each is counted exactly once
//! whichever replica takes it. Dashboards read only those rollups.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Arcade;
use crate::clock::{business_day, parse_timezone, to_rfc3339};
use crate::error::{Error, Result};
use crate::store::{RewardRow, StatDay, StatFact, StatPending, StatTotals, StockLevel};

/// Outcomes counted per rollup transaction.
pub const ROLLUP_BATCH: i64 = 500;
/// How long the worker sleeps when nothing is queued.
pub const ROLLUP_IDLE: Duration = Duration::from_millis(200);

/// The metric dictionary: one definition for the API, exports and the
/// console (`GET /v1/metrics/dictionary`).
pub fn dictionary() -> Value {
    json!({"metrics": [
        {"name": "actions", "label": "PV", "definition": "Actions committed (every outcome, refusals excluded: they commit nothing).", "formula": "count(outcomes)"},
        {"name": "users", "label": "UV", "definition": "Distinct users with at least one committed action; per day, those who acted that day; for a range, those who acted in it.", "formula": "count(distinct user_id)"},
        {"name": "new_users", "label": "New UV", "definition": "Users whose first action in the activity was on that day (in the activity's time zone); their sum over all days is the activity's UV.", "formula": "count(users where first_day = day)"},
        {"name": "participation_rate", "label": "Participation", "definition": "Distinct users over the group's members as last reported by the platform; null until a count is reported.", "formula": "users / members"},
        {"name": "prizes", "label": "Prizes", "definition": "Prizes granted (the sum of their amounts; a prize usually has amount 1).", "formula": "sum(amount) over rewards of kind prize"},
        {"name": "coupons", "label": "Coupons", "definition": "Coupons granted.", "formula": "count(rewards of kind coupon)"},
        {"name": "points", "label": "Points", "definition": "Points granted.", "formula": "sum(amount) over rewards of kind points"},
        {"name": "tickets", "label": "Tickets", "definition": "Tickets granted.", "formula": "sum(amount) over rewards of kind tickets"},
        {"name": "claimed", "label": "Claimed", "definition": "Units taken from a stock pool.", "formula": "initial - remaining"},
        {"name": "runs_out_at", "label": "Runs out", "definition": "When the pool would be empty if claims went on at their average rate since the activity started; null if nothing was claimed or it is empty.", "formula": "now + remaining / (claimed / (now - start))"},
        {"name": "day", "label": "Day", "definition": "A business day, YYYY-MM-DD in the activity's time zone.", "formula": "date(created_at at time zone)"}
    ]})
}

/// What one queued outcome adds.
fn fact_of(p: &StatPending) -> StatFact {
    let tz = parse_timezone(&p.timezone).unwrap_or(chrono_tz::UTC);
    let rewards: Vec<RewardRow> = serde_json::from_str(&p.rewards).unwrap_or_default();
    let sum = |kind: &str| -> i64 {
        rewards
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.amount)
            .sum()
    };
    StatFact {
        outcome_id: p.outcome_id.clone(),
        activity_id: p.activity_id.clone(),
        group_id: p.group_id.clone(),
        day: business_day(tz, p.created_at),
        user_id: p.user_id.clone(),
        prizes: sum("prize"),
        coupons: rewards.iter().filter(|r| r.kind == "coupon").count() as i64,
        points: sum("points"),
        tickets: sum("tickets"),
    }
}

/// `GET /v1/activities/{id}/stats?from=&to=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsRange {
    /// First day, `YYYY-MM-DD` (default: the first).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, inclusive (default: the last).
    #[serde(default)]
    pub to: Option<String>,
}

/// A stock pool on the dashboard.
#[derive(Debug, Serialize)]
pub struct PoolStats {
    /// Pool id.
    pub pool: String,
    /// For a group's share of the pool, the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Its size.
    pub initial: i64,
    /// Left.
    pub remaining: i64,
    /// Taken.
    pub claimed: i64,
    /// Projected empty time at the average claim rate (RFC 3339).
    pub runs_out_at: Option<String>,
}

/// An activity's dashboard numbers.
#[derive(Debug, Serialize)]
pub struct ActivityStats {
    /// The activity.
    pub activity_id: String,
    /// Its time zone (days are in it).
    pub timezone: String,
    /// Whole-activity totals, or the range's when one is given.
    pub totals: StatTotals,
    /// Users over the reported members of the activity's groups.
    pub participation_rate: Option<f64>,
    /// The reported members of the activity's groups, summed (null if
    /// no group reported).
    pub members: Option<i64>,
    /// Per business day, oldest first.
    pub days: Vec<StatDay>,
    /// Stock burn-down: the shared pools, and each group's share (with
    /// its `group_id`).
    pub stock: Vec<PoolStats>,
    /// Per group the activity is in (home first), with its tier.
    pub groups: Vec<ActivityGroupStats>,
    /// Per tier, summed over the activity's groups of that tier.
    pub tiers: Vec<TierStats>,
    /// Outcomes (of any activity) committed but not yet counted: the
    /// numbers lag by this much.
    pub pending: i64,
}

/// One group's numbers within one activity.
#[derive(Debug, Serialize)]
pub struct ActivityGroupStats {
    /// The group.
    pub group_id: String,
    /// Its tier.
    pub tier: String,
    /// Reported members.
    pub members: Option<i64>,
    /// Totals of actions taken from this group; `users` distinct.
    pub totals: StatTotals,
    /// Users over members.
    pub participation_rate: Option<f64>,
}

/// One tier's numbers within one activity.
#[derive(Debug, Serialize)]
pub struct TierStats {
    /// The tier.
    pub tier: String,
    /// The activity's groups of this tier.
    pub groups: i64,
    /// Their reported members (groups without a report add nothing).
    pub members: Option<i64>,
    /// Summed over the groups: a user who acted from two groups counts
    /// in each.
    pub totals: StatTotals,
    /// Users over members.
    pub participation_rate: Option<f64>,
}

/// A group's numbers across its activities.
#[derive(Debug, Serialize)]
pub struct GroupStats {
    /// The group.
    pub group_id: String,
    /// Totals over the group's activities; `users` counts a person once.
    pub totals: StatTotals,
    /// Reported members.
    pub members: Option<i64>,
    /// Users over members.
    pub participation_rate: Option<f64>,
}

fn rate(users: i64, members: Option<i64>) -> Option<f64> {
    members.filter(|&m| m > 0).map(|m| users as f64 / m as f64)
}

fn check_day(field: &str, d: &str) -> Result<()> {
    if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
        return Err(Error::invalid(
            "invalid_range",
            format!("{field} must be a day YYYY-MM-DD, got {d:?}"),
        ));
    }
    Ok(())
}

impl Arcade {
    /// Count what is queued, until nothing is; returns how many outcomes
    /// this call counted.
    pub async fn roll_up_stats(&self) -> Result<usize> {
        let mut counted = 0;
        loop {
            let pending = self.store.stats_pending(ROLLUP_BATCH).await?;
            if pending.is_empty() {
                return Ok(counted);
            }
            let facts: Vec<StatFact> = pending.iter().map(fact_of).collect();
            let applied = self.store.apply_stats(&facts).await?;
            counted += applied;
            if applied == 0 {
                // Another replica took this batch; let it finish.
                tokio::time::sleep(ROLLUP_IDLE).await;
            }
        }
    }

    /// An activity's dashboard.
    pub async fn activity_stats(
        &self,
        tenant_id: &str,
        id: &str,
        range: &StatsRange,
    ) -> Result<ActivityStats> {
        let a = match self.store.activity(id).await? {
            Some(a) if a.tenant_id == tenant_id => a,
            _ => return Err(Error::not_found("activity", id)),
        };
        for (field, d) in [("from", &range.from), ("to", &range.to)] {
            if let Some(d) = d {
                check_day(field, d)?;
            }
        }
        let from = range.from.clone().unwrap_or_else(|| "0000-01-01".into());
        let to = range.to.clone().unwrap_or_else(|| "9999-12-31".into());
        let days = self.store.stat_days(id, &from, &to).await?;
        let ranged = range.from.is_some() || range.to.is_some();
        let totals = if ranged {
            let mut t = StatTotals {
                users: self.store.stat_range_users(id, &from, &to).await?,
                ..StatTotals::default()
            };
            for d in &days {
                t.actions += d.actions;
                t.prizes += d.prizes;
                t.coupons += d.coupons;
                t.points += d.points;
                t.tickets += d.tickets;
            }
            t
        } else {
            self.store.stat_totals(&format!("activity:{id}")).await?
        };
        let (groups, tiers) = self.per_group(tenant_id, &a).await?;
        let members = groups.iter().filter_map(|g| g.members).reduce(|x, y| x + y);
        let now = self.now();
        let start = a.starts_at.unwrap_or(a.created_at).min(now);
        let stock = self
            .store
            .stock(id)
            .await?
            .into_iter()
            .map(|s: StockLevel| {
                let claimed = s.initial - s.remaining;
                let elapsed = (now - start).max(1) as f64;
                let runs_out_at = (claimed > 0 && s.remaining > 0).then(|| {
                    let per_ms = claimed as f64 / elapsed;
                    to_rfc3339(now + (s.remaining as f64 / per_ms) as i64)
                });
                let (pool, group) = crate::store::enablements::split_pool(&s.pool);
                PoolStats {
                    group_id: group.map(str::to_owned),
                    pool: pool.to_owned(),
                    initial: s.initial,
                    remaining: s.remaining,
                    claimed,
                    runs_out_at,
                }
            })
            .collect();
        Ok(ActivityStats {
            activity_id: a.id,
            timezone: a.timezone,
            participation_rate: rate(totals.users, members),
            members,
            totals,
            days,
            stock,
            groups,
            tiers,
            pending: self.store.stats_backlog().await?,
        })
    }

    /// The activity's numbers per group (home first) and per tier (in the
    /// tenant's order).
    async fn per_group(
        &self,
        tenant_id: &str,
        a: &crate::store::Activity,
    ) -> Result<(Vec<ActivityGroupStats>, Vec<TierStats>)> {
        let mut ids = vec![a.group_id.clone()];
        for e in self.store.enablements(&a.id).await? {
            if e.group_id != a.group_id {
                ids.push(e.group_id);
            }
        }
        let mut groups = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(g) = self.store.group(tenant_id, &id).await? else {
                continue;
            };
            let scope = format!("activity:{}:group:{id}", a.id);
            let totals = self.store.stat_totals(&scope).await?;
            groups.push(ActivityGroupStats {
                participation_rate: rate(totals.users, g.members),
                group_id: g.id,
                tier: g.tier,
                members: g.members,
                totals,
            });
        }
        let mut tiers = Vec::new();
        for tier in self.tiers(tenant_id).await? {
            let of_tier: Vec<&ActivityGroupStats> =
                groups.iter().filter(|g| g.tier == tier).collect();
            if of_tier.is_empty() {
                continue;
            }
            let mut totals = StatTotals::default();
            for g in &of_tier {
                totals.actions += g.totals.actions;
                totals.users += g.totals.users;
                totals.prizes += g.totals.prizes;
                totals.coupons += g.totals.coupons;
                totals.points += g.totals.points;
                totals.tickets += g.totals.tickets;
            }
            let members = of_tier
                .iter()
                .filter_map(|g| g.members)
                .reduce(|x, y| x + y);
            tiers.push(TierStats {
                participation_rate: rate(totals.users, members),
                groups: of_tier.len() as i64,
                tier,
                members,
                totals,
            });
        }
        Ok((groups, tiers))
    }

    /// A group's numbers.
    pub async fn group_stats(&self, tenant_id: &str, id: &str) -> Result<GroupStats> {
        let g = self.group(tenant_id, id).await?;
        let totals = self.store.stat_totals(&format!("group:{id}")).await?;
        Ok(GroupStats {
            group_id: g.id,
            participation_rate: rate(totals.users, g.members),
            members: g.members,
            totals,
        })
    }
}

/// The rollup worker every replica runs: count what is queued, then wait
/// a little when the queue is empty.
pub async fn run_rollup(arcade: Arc<Arcade>) {
    loop {
        match arcade.roll_up_stats().await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "statistics rollup failed; retrying"),
        }
        tokio::time::sleep(ROLLUP_IDLE).await;
    }
}
