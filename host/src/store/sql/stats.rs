//! Statistics rollups: the outbox of committed outcomes, and the counts
//! built from it (see migrations `*_stats.sql`).

use crate::store::{StatDay, StatFact, StatTotals};

/// A queued outcome with what its counts need.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct PendingRow {
    pub(in crate::store) outcome_id: String,
    pub(in crate::store) activity_id: String,
    pub(in crate::store) group_id: String,
    pub(in crate::store) timezone: String,
    pub(in crate::store) user_id: String,
    pub(in crate::store) rewards: String,
    pub(in crate::store) created_at: i64,
    pub(in crate::store) costs: String,
    pub(in crate::store) events: String,
    pub(in crate::store) invites: String,
}

/// A row of `stat_days`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct DayRow {
    day: String,
    actions: i64,
    users: i64,
    new_users: i64,
    prizes: i64,
    coupons: i64,
    points: i64,
    tickets: i64,
    cost_fen: i64,
    winners: i64,
}

impl From<DayRow> for StatDay {
    fn from(r: DayRow) -> Self {
        StatDay {
            day: r.day,
            actions: r.actions,
            users: r.users,
            new_users: r.new_users,
            prizes: r.prizes,
            coupons: r.coupons,
            points: r.points,
            tickets: r.tickets,
            cost_fen: r.cost_fen,
            winners: r.winners,
        }
    }
}

/// A row of `stat_totals`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct TotalsRow {
    actions: i64,
    users: i64,
    prizes: i64,
    coupons: i64,
    points: i64,
    tickets: i64,
    cost_fen: i64,
    winners: i64,
    conversions: i64,
    conversion_fen: i64,
}

impl From<TotalsRow> for StatTotals {
    fn from(r: TotalsRow) -> Self {
        StatTotals {
            actions: r.actions,
            users: r.users,
            prizes: r.prizes,
            coupons: r.coupons,
            points: r.points,
            tickets: r.tickets,
            cost_fen: r.cost_fen,
            winners: r.winners,
            conversions: r.conversions,
            conversion_fen: r.conversion_fen,
        }
    }
}

/// A row of `stat_totals` with its scope.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct ScopedTotalsRow {
    pub(in crate::store) scope: String,
    #[sqlx(flatten)]
    pub(in crate::store) totals: TotalsRow,
}

/// Counts to add to one `stat_days` or `stat_totals` row.
#[derive(Default)]
pub(in crate::store) struct Add {
    pub(in crate::store) actions: i64,
    pub(in crate::store) users: i64,
    pub(in crate::store) new_users: i64,
    pub(in crate::store) prizes: i64,
    pub(in crate::store) coupons: i64,
    pub(in crate::store) points: i64,
    pub(in crate::store) tickets: i64,
    pub(in crate::store) cost_fen: i64,
    pub(in crate::store) winners: i64,
}

impl Add {
    pub(in crate::store) fn count(&mut self, f: &StatFact) {
        self.actions += 1;
        self.prizes += f.prizes;
        self.coupons += f.coupons;
        self.points += f.points;
        self.tickets += f.tickets;
        self.cost_fen += f.cost_fen;
        self.winners += f.winner;
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s statistics methods.
macro_rules! impl_stats {
    ($store:ty, $db:ty, $backend:literal) => {
        const _: () = {
            use std::collections::BTreeMap;

            use $crate::store::sql::stats::{Add, DayRow, PendingRow, ScopedTotalsRow, TotalsRow};
            use $crate::store::{StatDay, StatFact, StatPending, StatTotals, StoreResult};

            impl $store {
                async fn sql_stats_pending(&self, limit: i64) -> StoreResult<Vec<StatPending>> {
                    // The queue's first rows are taken first, then their
                    // outcomes looked up by id. SQLite joins tables in the
                    // order a CROSS JOIN names them; with a plain JOIN its
                    // planner (3.46) put outcomes outside and scanned all of
                    // them for every batch, so the rollup slowed as outcomes
                    // accumulated. Postgres plans cross joins freely.
                    let rows = sqlx::query_as::<$db, PendingRow>(
                        "SELECT q.outcome_id, o.activity_id, COALESCE(o.group_id, a.group_id) AS group_id, a.timezone, o.user_id, \
                         o.rewards, o.created_at, a.costs, q.events, q.invites \
                         FROM (SELECT outcome_id, events, invites FROM stat_queue \
                               ORDER BY outcome_id LIMIT $1) q \
                         CROSS JOIN outcomes o CROSS JOIN activities a \
                         WHERE o.id = q.outcome_id AND a.id = o.activity_id \
                         ORDER BY q.outcome_id",
                    )
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|r| StatPending {
                            outcome_id: r.outcome_id,
                            activity_id: r.activity_id,
                            group_id: r.group_id,
                            timezone: r.timezone,
                            user_id: r.user_id,
                            rewards: r.rewards,
                            created_at: r.created_at,
                            costs: r.costs,
                            events: r.events,
                            invites: r.invites,
                        })
                        .collect())
                }

                async fn sql_apply_stats(&self, facts: &[StatFact]) -> StoreResult<usize> {
                    // Rows from a JSON array of arrays, as columns c0, c1, ...
                    let rows = |n: usize| -> String {
                        let cols: Vec<String> = (0..n)
                            .map(|i| {
                                if $backend == "sqlite" {
                                    format!("json_extract(value, '$[{i}]') AS c{i}")
                                } else {
                                    format!("x ->> {i} AS c{i}")
                                }
                            })
                            .collect();
                        if $backend == "sqlite" {
                            format!("SELECT {} FROM json_each($1)", cols.join(", "))
                        } else {
                            format!("SELECT {} FROM jsonb_array_elements($1::jsonb) x", cols.join(", "))
                        }
                    };
                    let mut tx = self.begin_write().await?;
                    // Only the transaction that takes an outcome off the
                    // queue counts it.
                    let ids: Vec<[&str; 1]> = facts.iter().map(|f| [f.outcome_id.as_str()]).collect();
                    let taken: Vec<(String,)> = sqlx::query_as::<$db, (String,)>(&format!(
                        "DELETE FROM stat_queue WHERE outcome_id IN (SELECT c0 FROM ({}) t) \
                         RETURNING outcome_id",
                        rows(1)
                    ))
                    .bind(serde_json::to_string(&ids).expect("ids serialize"))
                    .fetch_all(&mut *tx)
                    .await?;
                    let taken: std::collections::HashSet<String> =
                        taken.into_iter().map(|(id,)| id).collect();
                    let facts: Vec<&StatFact> =
                        facts.iter().filter(|f| taken.contains(&f.outcome_id)).collect();
                    if facts.is_empty() {
                        tx.commit().await?;
                        return Ok(0);
                    }

                    // Distinct users: a row new in this transaction adds one.
                    let mut user_days = std::collections::BTreeSet::new();
                    let mut users: BTreeMap<(&str, &str), &str> = BTreeMap::new();
                    let mut group_users = std::collections::BTreeSet::new();
                    let mut activity_group_users = std::collections::BTreeSet::new();
                    for f in &facts {
                        activity_group_users.insert([
                            f.activity_id.as_str(),
                            f.group_id.as_str(),
                            f.user_id.as_str(),
                        ]);
                        user_days.insert([f.activity_id.as_str(), f.day.as_str(), f.user_id.as_str()]);
                        let first = users.entry((&f.activity_id, &f.user_id)).or_insert(&f.day);
                        if f.day.as_str() < *first {
                            *first = &f.day;
                        }
                        group_users.insert([f.group_id.as_str(), f.user_id.as_str()]);
                    }
                    let user_days: Vec<_> = user_days.into_iter().collect();
                    let new_user_days: Vec<(String, String)> = sqlx::query_as::<$db, (String, String)>(&format!(
                        "INSERT INTO stat_user_days (activity_id, day, user_id) \
                         SELECT c0, c1, c2 FROM ({}) t WHERE true ON CONFLICT DO NOTHING \
                         RETURNING activity_id, day",
                        rows(3)
                    ))
                    .bind(serde_json::to_string(&user_days).expect("rows serialize"))
                    .fetch_all(&mut *tx)
                    .await?;
                    let users: Vec<[&str; 3]> =
                        users.into_iter().map(|((a, u), d)| [a, u, d]).collect();
                    let new_users: Vec<(String, String)> = sqlx::query_as::<$db, (String, String)>(&format!(
                        "INSERT INTO stat_users (activity_id, user_id, first_day) \
                         SELECT c0, c1, c2 FROM ({}) t WHERE true ON CONFLICT DO NOTHING \
                         RETURNING activity_id, first_day",
                        rows(3)
                    ))
                    .bind(serde_json::to_string(&users).expect("rows serialize"))
                    .fetch_all(&mut *tx)
                    .await?;
                    let group_users: Vec<_> = group_users.into_iter().collect();
                    let new_group_users: Vec<(String,)> = sqlx::query_as::<$db, (String,)>(&format!(
                        "INSERT INTO stat_group_users (group_id, user_id) \
                         SELECT c0, c1 FROM ({}) t WHERE true ON CONFLICT DO NOTHING \
                         RETURNING group_id",
                        rows(2)
                    ))
                    .bind(serde_json::to_string(&group_users).expect("rows serialize"))
                    .fetch_all(&mut *tx)
                    .await?;

                    let activity_group_users: Vec<_> = activity_group_users.into_iter().collect();
                    let new_activity_group_users: Vec<(String, String)> =
                        sqlx::query_as::<$db, (String, String)>(&format!(
                            "INSERT INTO stat_activity_group_users (activity_id, group_id, user_id) \
                             SELECT c0, c1, c2 FROM ({}) t WHERE true ON CONFLICT DO NOTHING \
                             RETURNING activity_id, group_id",
                            rows(3)
                        ))
                        .bind(serde_json::to_string(&activity_group_users).expect("rows serialize"))
                        .fetch_all(&mut *tx)
                        .await?;

                    let mut event_counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
                    for f in &facts {
                        for kind in &f.events {
                            *event_counts.entry((f.activity_id.as_str(), kind.as_str())).or_default() += 1;
                        }
                    }
                    for ((activity, kind), n) in &event_counts {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_events (activity_id, kind, n) VALUES ($1, $2, $3) \
                             ON CONFLICT (activity_id, kind) DO UPDATE SET n = stat_events.n + excluded.n",
                        )
                        .bind(activity)
                        .bind(kind)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    }

                    // Fission: each invitee counts once per activity, at
                    // the level below its inviter's (1 if nobody invited
                    // the inviter). Facts are in outcome order, so an
                    // inviter's own invite is normally counted first.
                    let mut levels: BTreeMap<(&str, &str), i64> = BTreeMap::new();
                    let mut fission: BTreeMap<(&str, i64), i64> = BTreeMap::new();
                    for f in &facts {
                        for (invitee, inviter) in &f.invites {
                            let inviter_level = match levels.get(&(f.activity_id.as_str(), inviter.as_str())) {
                                Some(l) => *l,
                                None => sqlx::query_as::<$db, (i64,)>(
                                    "SELECT level FROM stat_invites WHERE activity_id = $1 AND invitee = $2",
                                )
                                .bind(&f.activity_id)
                                .bind(inviter)
                                .fetch_optional(&mut *tx)
                                .await?
                                .map_or(0, |(l,)| l),
                            };
                            let level = inviter_level + 1;
                            let new = sqlx::query::<$db>(
                                "INSERT INTO stat_invites (activity_id, invitee, inviter, level) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            )
                            .bind(&f.activity_id)
                            .bind(invitee)
                            .bind(inviter)
                            .bind(level)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                                > 0;
                            if new {
                                levels.insert((f.activity_id.as_str(), invitee.as_str()), level);
                                *fission.entry((f.activity_id.as_str(), level.min(3))).or_default() += 1;
                            }
                        }
                    }
                    for ((activity, level), n) in &fission {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_fission (activity_id, level, invites) VALUES ($1, $2, $3) \
                             ON CONFLICT (activity_id, level) DO UPDATE SET \
                             invites = stat_fission.invites + excluded.invites",
                        )
                        .bind(activity)
                        .bind(level)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    }

                    let mut days: BTreeMap<(String, String), Add> = BTreeMap::new();
                    let mut totals: BTreeMap<String, Add> = BTreeMap::new();
                    for f in &facts {
                        days.entry((f.activity_id.clone(), f.day.clone())).or_default().count(f);
                        totals.entry(format!("activity:{}", f.activity_id)).or_default().count(f);
                        totals.entry(format!("group:{}", f.group_id)).or_default().count(f);
                        totals
                            .entry(format!("activity:{}:group:{}", f.activity_id, f.group_id))
                            .or_default()
                            .count(f);
                    }
                    for (activity, group) in new_activity_group_users {
                        totals
                            .entry(format!("activity:{activity}:group:{group}"))
                            .or_default()
                            .users += 1;
                    }
                    for (activity, day) in new_user_days {
                        days.entry((activity, day)).or_default().users += 1;
                    }
                    for (activity, day) in new_users {
                        totals.entry(format!("activity:{activity}")).or_default().users += 1;
                        days.entry((activity, day)).or_default().new_users += 1;
                    }
                    for (group,) in new_group_users {
                        totals.entry(format!("group:{group}")).or_default().users += 1;
                    }
                    let applied = facts.len();
                    // In key order, so concurrent workers lock rows alike.
                    for ((activity, day), d) in &days {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_days (activity_id, day, actions, users, new_users, \
                             prizes, coupons, points, tickets, cost_fen, winners) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             ON CONFLICT (activity_id, day) DO UPDATE SET \
                             cost_fen = stat_days.cost_fen + excluded.cost_fen, \
                             winners = stat_days.winners + excluded.winners, \
                             actions = stat_days.actions + excluded.actions, \
                             users = stat_days.users + excluded.users, \
                             new_users = stat_days.new_users + excluded.new_users, \
                             prizes = stat_days.prizes + excluded.prizes, \
                             coupons = stat_days.coupons + excluded.coupons, \
                             points = stat_days.points + excluded.points, \
                             tickets = stat_days.tickets + excluded.tickets",
                        )
                        .bind(activity)
                        .bind(day)
                        .bind(d.actions)
                        .bind(d.users)
                        .bind(d.new_users)
                        .bind(d.prizes)
                        .bind(d.coupons)
                        .bind(d.points)
                        .bind(d.tickets)
                        .bind(d.cost_fen)
                        .bind(d.winners)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for (scope, t) in &totals {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_totals (scope, actions, users, prizes, coupons, points, \
                             tickets, cost_fen, winners) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (scope) DO UPDATE SET \
                             cost_fen = stat_totals.cost_fen + excluded.cost_fen, \
                             winners = stat_totals.winners + excluded.winners, \
                             actions = stat_totals.actions + excluded.actions, \
                             users = stat_totals.users + excluded.users, \
                             prizes = stat_totals.prizes + excluded.prizes, \
                             coupons = stat_totals.coupons + excluded.coupons, \
                             points = stat_totals.points + excluded.points, \
                             tickets = stat_totals.tickets + excluded.tickets",
                        )
                        .bind(scope)
                        .bind(t.actions)
                        .bind(t.users)
                        .bind(t.prizes)
                        .bind(t.coupons)
                        .bind(t.points)
                        .bind(t.tickets)
                        .bind(t.cost_fen)
                        .bind(t.winners)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(applied)
                }

                async fn sql_stat_totals(&self, scope: &str) -> StoreResult<StatTotals> {
                    let row = sqlx::query_as::<$db, TotalsRow>(
                        "SELECT actions, users, prizes, coupons, points, tickets, cost_fen, winners, \
                         conversions, conversion_fen FROM stat_totals WHERE scope = $1",
                    )
                    .bind(scope)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(StatTotals::from).unwrap_or_default())
                }

                async fn sql_stat_days(
                    &self,
                    activity_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<Vec<StatDay>> {
                    let rows = sqlx::query_as::<$db, DayRow>(
                        "SELECT day, actions, users, new_users, prizes, coupons, points, tickets, cost_fen, \
                         winners FROM stat_days WHERE activity_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
                    )
                    .bind(activity_id)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(StatDay::from).collect())
                }

                async fn sql_stat_range_users(
                    &self,
                    activity_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<i64> {
                    let (n,): (i64,) = sqlx::query_as::<$db, (i64,)>(
                        "SELECT COUNT(DISTINCT user_id) FROM stat_user_days \
                         WHERE activity_id = $1 AND day >= $2 AND day <= $3",
                    )
                    .bind(activity_id)
                    .bind(from)
                    .bind(to)
                    .fetch_one(&self.read)
                    .await?;
                    Ok(n)
                }

                async fn sql_record_conversion(
                    &self,
                    c: &$crate::store::Conversion,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await?;
                    let inserted = sqlx::query::<$db>(
                        "INSERT INTO conversions (tenant_id, id, activity_id, user_id, value_fen, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(&c.tenant_id)
                    .bind(&c.id)
                    .bind(&c.activity_id)
                    .bind(&c.user_id)
                    .bind(c.value_fen)
                    .bind(c.created_at)
                    .execute(&mut *tx)
                    .await?;
                    if inserted.rows_affected() == 0 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    sqlx::query::<$db>(
                        "INSERT INTO stat_totals (scope, conversions, conversion_fen) VALUES ($1, 1, $2) \
                         ON CONFLICT (scope) DO UPDATE SET \
                         conversions = stat_totals.conversions + 1, \
                         conversion_fen = stat_totals.conversion_fen + excluded.conversion_fen",
                    )
                    .bind(format!("activity:{}", c.activity_id))
                    .bind(c.value_fen)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn sql_stat_counts(&self, activity_id: &str) -> StoreResult<$crate::store::StatCounts> {
                    let rows = sqlx::query_as::<$db, (String, String, i64, i64)>(
                        "SELECT 'event' AS src, kind, CAST(0 AS BIGINT) AS level, n FROM stat_events \
                         WHERE activity_id = $1 \
                         UNION ALL SELECT 'fission', '', level, invites FROM stat_fission \
                         WHERE activity_id = $1 ORDER BY 1, 2, 3",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    let mut counts = $crate::store::StatCounts::default();
                    for (src, kind, level, n) in rows {
                        match src.as_str() {
                            "event" => counts.events.push((kind, n)),
                            _ => counts.fission.push((level, n)),
                        }
                    }
                    Ok(counts)
                }

                async fn sql_stat_totals_of(&self, scopes: &[String]) -> StoreResult<Vec<StatTotals>> {
                    let list = if $backend == "sqlite" {
                        "SELECT value FROM json_each($1)"
                    } else {
                        "SELECT jsonb_array_elements_text($1::jsonb)"
                    };
                    let rows = sqlx::query_as::<$db, ScopedTotalsRow>(&format!(
                        "SELECT scope, actions, users, prizes, coupons, points, tickets, cost_fen, winners, \
                         conversions, conversion_fen FROM stat_totals WHERE scope IN ({list})"
                    ))
                    .bind(serde_json::to_string(scopes).expect("scopes serialize"))
                    .fetch_all(&self.read)
                    .await?;
                    let mut by_scope: std::collections::HashMap<String, StatTotals> = rows
                        .into_iter()
                        .map(|r| (r.scope, StatTotals::from(r.totals)))
                        .collect();
                    Ok(scopes
                        .iter()
                        .map(|s| by_scope.remove(s).unwrap_or_default())
                        .collect())
                }

                async fn sql_record_viewers(
                    &self,
                    rows: &[(String, String, String)],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    for (activity_id, day, user_id) in rows {
                        sqlx::query::<$db>(
                            "INSERT INTO activity_viewers (activity_id, day, user_id) \
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(activity_id)
                        .bind(day)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn sql_viewers(
                    &self,
                    activity_id: &str,
                ) -> StoreResult<(i64, Vec<(String, i64)>)> {
                    let (total,): (i64,) = sqlx::query_as::<$db, (i64,)>(
                        "SELECT COUNT(DISTINCT user_id) FROM activity_viewers WHERE activity_id = $1",
                    )
                    .bind(activity_id)
                    .fetch_one(&self.read)
                    .await?;
                    let days = sqlx::query_as::<$db, (String, i64)>(
                        "SELECT day, COUNT(*) FROM activity_viewers WHERE activity_id = $1 \
                         GROUP BY day ORDER BY day",
                    )
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok((total, days))
                }

                async fn sql_stats_backlog(&self) -> StoreResult<i64> {
                    let (n,): (i64,) = sqlx::query_as::<$db, (i64,)>("SELECT COUNT(*) FROM stat_queue")
                        .fetch_one(&self.read)
                        .await?;
                    Ok(n)
                }
            }
        };
    };
}

pub(in crate::store) use impl_stats;
