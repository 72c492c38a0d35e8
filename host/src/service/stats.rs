//! Statistics. Every commit queues its outcome (`stat_queue`, in the same
//! transaction); the rollup worker turns queued outcomes into counts per
//! activity and business day, per activity and per group, and takes them
//! off the queue in the same transaction, so each is counted exactly once
//! whichever replica takes it. Dashboards read only those rollups.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Arcade;
use crate::clock::{business_day, parse_timezone, to_rfc3339};
use crate::error::{Error, Result};
use crate::store::{RewardRow, StatDay, StatFact, StatPending, StatTotals, StockLevel};

/// Outcomes counted per rollup transaction.
pub const ROLLUP_BATCH: i64 = 500;
/// How long a dashboard's `pending` count is reused.
pub const BACKLOG_TTL: Duration = Duration::from_secs(1);
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
        {"name": "cost_fen", "label": "Reward cost (fen)", "definition": "What the granted rewards cost: each reward's unit cost from the activity's costs map times its amount; a coupon without a unit cost counts its face value.", "formula": "sum(costs[item] * amount) + sum(face value of uncosted coupons)"},
        {"name": "cost_per_participant_fen", "label": "Cost per participant", "definition": "Reward cost over distinct users.", "formula": "cost_fen / users"},
        {"name": "winners", "label": "Winning actions", "definition": "Actions that granted at least one prize.", "formula": "count(outcomes with a prize reward)"},
        {"name": "observed_win_rate", "label": "Observed win rate", "definition": "Winning actions over actions.", "formula": "winners / actions"},
        {"name": "configured_win_rate", "label": "Configured win rate", "definition": "What the config's weights mean to win, for configs that declare prizes[].weight and miss_weight; null otherwise. Out-of-stock prizes make the observed rate lower.", "formula": "sum(prizes[].weight) / (sum(prizes[].weight) + miss_weight)"},
        {"name": "conversions", "label": "Conversions", "definition": "Goal events the platform reported for the activity (each id once).", "formula": "count(conversions)"},
        {"name": "conversion_fen", "label": "Conversion value (fen)", "definition": "The reported value of those goal events.", "formula": "sum(value_fen)"},
        {"name": "roi", "label": "ROI", "definition": "Conversion value net of reward cost, over reward cost; null until both are known.", "formula": "(conversion_fen - cost_fen) / cost_fen"},
        {"name": "completion", "label": "Completion", "definition": "The mechanic's own measure over the whole activity: group-buy teams succeeded per team opened; price-cut bargains completed per bargain started; quiz attempts submitted per participant; check-in days per participant. Null for other mechanics.", "formula": "team.succeeded / team.opened; bargain.completed / bargain.started; quiz.attempt_submitted / users; check-ins / users"},
        {"name": "fission.invites", "label": "Invites", "definition": "Invitees a mechanic reported with an invite.accepted event (subject the invitee, data {\"inviter\": user}); each invitee counts once per activity, self-invites never. Whole activity, whatever the range.", "formula": "count(distinct invitee)"},
        {"name": "fission.level_1", "label": "Fission level 1", "definition": "Invitees whose inviter nobody invited (the seed users' direct invites).", "formula": "count(invitees at level 1)"},
        {"name": "fission.level_2", "label": "Fission level 2", "definition": "Invitees whose inviter is a level-1 invitee.", "formula": "count(invitees at level 2)"},
        {"name": "fission.level_3", "label": "Fission level 3+", "definition": "Invitees whose inviter is at level 2 or deeper. A level is fixed when the invite is counted.", "formula": "count(invitees at level >= 3)"},
        {"name": "fission.invites_per_participant", "label": "Invites per participant", "definition": "Invites over the activity's distinct users; null before anyone took part.", "formula": "invites / users"},
        {"name": "events", "label": "Events", "definition": "Events the activity's outcomes appended, by type.", "formula": "count(events) by type"},
        {"name": "claimed", "label": "Claimed", "definition": "Units taken from a stock pool.", "formula": "initial - remaining"},
        {"name": "runs_out_at", "label": "Runs out", "definition": "When the pool would be empty if claims went on at their average rate since the activity started; null if nothing was claimed or it is empty.", "formula": "now + remaining / (claimed / (now - start))"},
        {"name": "day", "label": "Day", "definition": "A business day, YYYY-MM-DD in the activity's time zone.", "formula": "date(created_at at time zone)"}
    ]})
}

/// What a reward costs in fen: its item's unit cost times the amount; a
/// coupon without a unit cost costs its face value (its amount, in fen),
/// as if every coupon were redeemed.
pub fn reward_cost(r: &RewardRow, costs: &std::collections::BTreeMap<String, i64>) -> i64 {
    match (r.kind.as_str(), costs.get(&r.item)) {
        ("coupon", Some(unit)) => *unit,
        ("coupon", None) => r.amount,
        (_, Some(unit)) => unit.saturating_mul(r.amount),
        (_, None) => 0,
    }
}

/// The share of draws a config means to win, when it declares weights
/// (`prizes[].weight` and `miss_weight`, as the lucky draw does); `None`
/// for mechanics whose odds are not weights.
pub fn configured_win_rate(config: &Value) -> Option<f64> {
    let prizes = config.get("prizes")?.as_array()?;
    let mut win = 0u64;
    for p in prizes {
        win = win.checked_add(p.get("weight")?.as_u64()?)?;
    }
    let miss = config
        .get("miss_weight")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let all = win.checked_add(miss)?;
    (all > 0).then(|| win as f64 / all as f64)
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
    let costs: std::collections::BTreeMap<String, i64> =
        serde_json::from_str(&p.costs).unwrap_or_default();
    let cost_fen = rewards.iter().map(|r| reward_cost(r, &costs)).sum();
    StatFact {
        cost_fen,
        winner: i64::from(rewards.iter().any(|r| r.kind == "prize")),
        events: p
            .events
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        invites: serde_json::from_str::<Vec<(String, String)>>(&p.invites).unwrap_or_default(),
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
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivityStats {
    /// The activity.
    pub activity_id: String,
    /// Its time zone (days are in it).
    pub timezone: String,
    /// Whole-activity totals, or the range's when one is given.
    pub totals: StatTotals,
    /// Users over the reported members of the activity's groups.
    pub participation_rate: Option<f64>,
    /// Reward cost over distinct users, in fen.
    pub cost_per_participant_fen: Option<f64>,
    /// (Conversion value - reward cost) / reward cost; null until both
    /// are known.
    pub roi: Option<f64>,
    /// Actions that won a prize over actions.
    pub observed_win_rate: Option<f64>,
    /// What the config's weights mean to win, if it declares weights.
    pub configured_win_rate: Option<f64>,
    /// The mechanic's own completion measure, for the first-party
    /// mechanics (over the whole activity).
    pub completion: Option<Completion>,
    /// Events the activity's outcomes appended, by kind (whole activity).
    pub events: std::collections::BTreeMap<String, i64>,
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
    /// Fission, for the whole activity whatever the range.
    pub fission: Fission,
    /// Users who viewed the activity (`GET .../view` with their user id),
    /// whatever the range: the funnel's first step.
    pub viewers: i64,
    /// Of them, per business day, oldest first.
    pub viewers_by_day: Vec<ViewerDay>,
    /// Outcomes (of any activity) committed but not yet counted: the
    /// numbers lag by this much (counted at most a second ago).
    pub pending: i64,
}

/// Viewers of one business day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ViewerDay {
    /// `YYYY-MM-DD` in the activity's time zone.
    pub day: String,
    /// Distinct users who viewed that day.
    pub viewers: i64,
}

/// Fission (裂变): the invites mechanics reported with `invite.accepted`
/// events, each invitee counted once, by level.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Fission {
    /// Invitees counted.
    pub invites: i64,
    /// Invited by a user nobody invited.
    pub level_1: i64,
    /// Invited by a level-1 invitee.
    pub level_2: i64,
    /// Invited by a level-2 invitee or deeper.
    pub level_3: i64,
    /// Invites per participant (UV); `null` before anyone took part.
    pub invites_per_participant: Option<f64>,
}

/// A mechanic's completion: `numerator / denominator`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MechanicCompletion)]
pub struct Completion {
    /// Which measure, e.g. `teams_succeeded_per_opened`.
    pub metric: &'static str,
    /// What is completed.
    pub numerator: i64,
    /// What was started (or who took part).
    pub denominator: i64,
    /// `numerator / denominator`; null while the denominator is 0.
    pub rate: Option<f64>,
}

/// The completion measure of a first-party mechanic, from its events and
/// the activity's totals.
pub fn completion(
    plugin: &str,
    events: &std::collections::BTreeMap<String, i64>,
    totals: &StatTotals,
) -> Option<Completion> {
    let n = |k: &str| events.get(k).copied().unwrap_or(0);
    let (metric, numerator, denominator) = match plugin {
        "group-buy" => (
            "teams_succeeded_per_opened",
            n("team.succeeded"),
            n("team.opened"),
        ),
        "price-cut" => (
            "bargains_completed_per_started",
            n("bargain.completed"),
            n("bargain.started"),
        ),
        "quiz" => (
            "attempts_submitted_per_participant",
            n("quiz.attempt_submitted"),
            totals.users,
        ),
        "check-in" => (
            "check_in_days_per_participant",
            totals.actions,
            totals.users,
        ),
        _ => return None,
    };
    Some(Completion {
        metric,
        numerator,
        denominator,
        rate: (denominator > 0).then(|| numerator as f64 / denominator as f64),
    })
}

/// One group's numbers within one activity.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
        if let Err(e) = self.flush_viewers().await {
            tracing::warn!(error = %e, "writing viewers failed; kept for the next round");
        }
        let mut counted = 0;
        loop {
            let pending = self.store.stats_pending(ROLLUP_BATCH).await?;
            if pending.is_empty() {
                if counted > 0 {
                    *self.backlog.lock().expect("backlog lock") = None;
                }
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

    /// Outcomes committed and not yet counted, as of at most
    /// [`BACKLOG_TTL`] ago. Counting the queue is not free: right after a
    /// burst, Postgres walks every row the rollup deleted until vacuum
    /// reclaims them (tens of milliseconds at 1,000,000), so dashboards
    /// share one count a second. A rollup on this replica forgets it.
    async fn stats_backlog(&self) -> Result<i64> {
        let fresh = |b: &Option<(Instant, i64)>| b.filter(|(at, _)| at.elapsed() < BACKLOG_TTL);
        if let Some((_, n)) = fresh(&self.backlog.lock().expect("backlog lock")) {
            return Ok(n);
        }
        let n = self.store.stats_backlog().await?;
        *self.backlog.lock().expect("backlog lock") = Some((Instant::now(), n));
        Ok(n)
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
        let ranged = range.from.is_some() || range.to.is_some();
        // Independent reads, run at once: a page load costs one round trip
        // of each, not their sum.
        let (days, range_users, (groups, tiers, whole), levels, counts, pending) = tokio::try_join!(
            async { Ok::<_, Error>(self.store.stat_days(id, &from, &to).await?) },
            async {
                Ok::<_, Error>(match ranged {
                    true => Some(self.store.stat_range_users(id, &from, &to).await?),
                    false => None,
                })
            },
            self.per_group(tenant_id, &a),
            async { Ok::<_, Error>(self.store.stock(id).await?) },
            async { Ok::<_, Error>(self.store.stat_counts(id).await?) },
            self.stats_backlog(),
        )?;
        let totals = match range_users {
            Some(users) => {
                let mut t = StatTotals {
                    users,
                    ..StatTotals::default()
                };
                for d in &days {
                    t.actions += d.actions;
                    t.prizes += d.prizes;
                    t.coupons += d.coupons;
                    t.points += d.points;
                    t.tickets += d.tickets;
                    t.cost_fen += d.cost_fen;
                    t.winners += d.winners;
                }
                t
            }
            None => whole.clone(),
        };
        let members = groups.iter().filter_map(|g| g.members).reduce(|x, y| x + y);
        let now = self.now();
        let start = a.starts_at.unwrap_or(a.created_at).min(now);
        let stock = levels
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
        let config: Value = serde_json::from_str(&a.config).unwrap_or(Value::Null);
        // Conversions are reported against the activity, not a day.
        let roi = (totals.cost_fen > 0 && whole.conversions > 0)
            .then(|| (whole.conversion_fen - totals.cost_fen) as f64 / totals.cost_fen as f64);
        let events: std::collections::BTreeMap<String, i64> = counts.events.into_iter().collect();
        let mut fission = Fission::default();
        for (level, n) in counts.fission {
            match level {
                1 => fission.level_1 += n,
                2 => fission.level_2 += n,
                _ => fission.level_3 += n,
            }
            fission.invites += n;
        }
        fission.invites_per_participant =
            (whole.users > 0).then(|| fission.invites as f64 / whole.users as f64);
        self.flush_viewers().await?;
        let (viewers, by_day) = self.store.viewers(&a.id).await?;
        Ok(ActivityStats {
            fission,
            viewers,
            viewers_by_day: by_day
                .into_iter()
                .map(|(day, viewers)| ViewerDay { day, viewers })
                .collect(),
            completion: completion(&a.plugin, &events, &whole),
            events,
            cost_per_participant_fen: (totals.users > 0)
                .then(|| totals.cost_fen as f64 / totals.users as f64),
            roi,
            observed_win_rate: (totals.actions > 0)
                .then(|| totals.winners as f64 / totals.actions as f64),
            configured_win_rate: configured_win_rate(&config),
            activity_id: a.id,
            timezone: a.timezone,
            participation_rate: rate(totals.users, members),
            members,
            totals,
            days,
            stock,
            groups,
            tiers,
            pending,
        })
    }

    /// The activity's numbers per group (home first) and per tier (in the
    /// tenant's order), and its running totals.
    async fn per_group(
        &self,
        tenant_id: &str,
        a: &crate::store::Activity,
    ) -> Result<(Vec<ActivityGroupStats>, Vec<TierStats>, StatTotals)> {
        let (enablements, tenant_tiers) = tokio::try_join!(
            async { Ok::<_, Error>(self.store.enablements(&a.id).await?) },
            self.tiers(tenant_id),
        )?;
        let mut ids = vec![a.group_id.clone()];
        ids.extend(
            enablements
                .into_iter()
                .map(|e| e.group_id)
                .filter(|g| *g != a.group_id),
        );
        let mut scopes = vec![format!("activity:{}", a.id)];
        scopes.extend(ids.iter().map(|g| format!("activity:{}:group:{g}", a.id)));
        let (found, mut totals) = tokio::try_join!(
            async {
                let each = ids.iter().map(|g| self.store.group(tenant_id, g));
                Ok::<_, Error>(futures::future::try_join_all(each).await?)
            },
            async { Ok::<_, Error>(self.store.stat_totals_of(&scopes).await?) },
        )?;
        let whole = totals.remove(0);
        let mut groups = Vec::with_capacity(ids.len());
        for (g, totals) in found.into_iter().zip(totals) {
            let Some(g) = g else { continue };
            groups.push(ActivityGroupStats {
                participation_rate: rate(totals.users, g.members),
                group_id: g.id,
                tier: g.tier,
                members: g.members,
                totals,
            });
        }
        let mut tiers = Vec::new();
        for tier in tenant_tiers {
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
                totals.cost_fen += g.totals.cost_fen;
                totals.winners += g.totals.winners;
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
        Ok((groups, tiers, whole))
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

/// `POST /v1/conversions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversion {
    /// The platform's id for the goal event (an order number); a retried
    /// report with the same id counts once.
    pub id: String,
    /// The activity credited.
    pub activity_id: String,
    /// The user who converted.
    pub user_id: String,
    /// Its value in fen.
    pub value_fen: i64,
}

impl Arcade {
    /// Record a conversion; returns whether it was new.
    pub async fn record_conversion(&self, tenant_id: &str, c: NewConversion) -> Result<bool> {
        if c.id.is_empty() || c.id.len() > 128 || c.id.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid_conversion",
                "id must be 1 to 128 bytes without control characters",
            ));
        }
        if !(0..=MAX_CONVERSION_FEN).contains(&c.value_fen) {
            return Err(Error::invalid(
                "invalid_conversion",
                format!("value_fen must be 0 to {MAX_CONVERSION_FEN}"),
            ));
        }
        super::activities::check_user_id(&c.user_id)?;
        match self.store.activity(&c.activity_id).await? {
            Some(a) if a.tenant_id == tenant_id => {}
            _ => return Err(Error::not_found("activity", &c.activity_id)),
        }
        Ok(self
            .store
            .record_conversion(&crate::store::Conversion {
                tenant_id: tenant_id.to_owned(),
                id: c.id,
                activity_id: c.activity_id,
                user_id: c.user_id,
                value_fen: c.value_fen,
                created_at: crate::clock::now_ms(),
            })
            .await?)
    }
}

/// Largest value one conversion may carry: 100 million yuan.
pub const MAX_CONVERSION_FEN: i64 = 10_000_000_000;

/// The metric dictionary as a Markdown table (`docs/metrics.md`).
pub fn dictionary_markdown() -> String {
    let mut out = String::from(
        "# Metric dictionary\n\n\
         One definition of every statistic, shared by the API \
         (`GET /v1/activities/{id}/stats`), the exports and the console. \
         The service serves the same list at `GET /v1/metrics/dictionary`; \
         this file is generated from it (`ARCADE_UPDATE_DOCS=1 cargo test -p arcade-host dictionary`) \
         and a test keeps the two equal.\n\n\
         | Name | Label | Definition | Formula |\n|---|---|---|---|\n",
    );
    let cell = |v: &Value| v.as_str().unwrap_or_default().replace('|', "\\|");
    for m in dictionary()["metrics"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` |\n",
            cell(&m["name"]),
            cell(&m["label"]),
            cell(&m["definition"]),
            cell(&m["formula"]),
        ));
    }
    out
}

#[cfg(test)]
mod dictionary_tests {
    /// `docs/metrics.md` is the served dictionary, word for word.
    #[test]
    fn dictionary_doc_matches_the_served_dictionary() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/metrics.md");
        let want = super::dictionary_markdown();
        if std::env::var_os("ARCADE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).expect("write docs/metrics.md");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/metrics.md differs from the served dictionary; regenerate it with \
             ARCADE_UPDATE_DOCS=1 cargo test -p arcade-host dictionary"
        );
    }
}
