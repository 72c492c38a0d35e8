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
        }
    }
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
}

impl Add {
    pub(in crate::store) fn count(&mut self, f: &StatFact) {
        self.actions += 1;
        self.prizes += f.prizes;
        self.coupons += f.coupons;
        self.points += f.points;
        self.tickets += f.tickets;
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s statistics methods.
macro_rules! impl_stats {
    ($store:ty, $db:ty) => {
        const _: () = {
            use std::collections::BTreeMap;

            use $crate::store::sql::stats::{Add, DayRow, PendingRow, TotalsRow};
            use $crate::store::{StatDay, StatFact, StatPending, StatTotals, StoreResult};

            impl $store {
                async fn sql_stats_pending(&self, limit: i64) -> StoreResult<Vec<StatPending>> {
                    let rows = sqlx::query_as::<$db, PendingRow>(
                        "SELECT q.outcome_id, o.activity_id, a.group_id, a.timezone, o.user_id, \
                         o.rewards, o.created_at \
                         FROM stat_queue q JOIN outcomes o ON o.id = q.outcome_id \
                         JOIN activities a ON a.id = o.activity_id \
                         ORDER BY q.outcome_id LIMIT $1",
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
                        })
                        .collect())
                }

                async fn sql_apply_stats(&self, facts: &[StatFact]) -> StoreResult<usize> {
                    let mut tx = self.begin_write().await?;
                    let mut days: BTreeMap<(String, String), Add> = BTreeMap::new();
                    let mut totals: BTreeMap<String, Add> = BTreeMap::new();
                    let mut applied = 0;
                    for f in facts {
                        // Only the transaction that takes the outcome off
                        // the queue counts it.
                        let taken = sqlx::query::<$db>("DELETE FROM stat_queue WHERE outcome_id = $1")
                            .bind(&f.outcome_id)
                            .execute(&mut *tx)
                            .await?;
                        if taken.rows_affected() != 1 {
                            continue;
                        }
                        applied += 1;
                        let first_that_day = sqlx::query::<$db>(
                            "INSERT INTO stat_user_days (activity_id, day, user_id) VALUES ($1, $2, $3) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&f.activity_id)
                        .bind(&f.day)
                        .bind(&f.user_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            == 1;
                        let first_ever = sqlx::query::<$db>(
                            "INSERT INTO stat_users (activity_id, user_id, first_day) VALUES ($1, $2, $3) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&f.activity_id)
                        .bind(&f.user_id)
                        .bind(&f.day)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            == 1;
                        let first_in_group = sqlx::query::<$db>(
                            "INSERT INTO stat_group_users (group_id, user_id) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&f.group_id)
                        .bind(&f.user_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            == 1;
                        let d = days.entry((f.activity_id.clone(), f.day.clone())).or_default();
                        d.count(f);
                        d.users += i64::from(first_that_day);
                        d.new_users += i64::from(first_ever);
                        let a = totals.entry(format!("activity:{}", f.activity_id)).or_default();
                        a.count(f);
                        a.users += i64::from(first_ever);
                        let g = totals.entry(format!("group:{}", f.group_id)).or_default();
                        g.count(f);
                        g.users += i64::from(first_in_group);
                    }
                    // In key order, so concurrent workers lock rows alike.
                    for ((activity, day), d) in &days {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_days (activity_id, day, actions, users, new_users, \
                             prizes, coupons, points, tickets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (activity_id, day) DO UPDATE SET \
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
                        .execute(&mut *tx)
                        .await?;
                    }
                    for (scope, t) in &totals {
                        sqlx::query::<$db>(
                            "INSERT INTO stat_totals (scope, actions, users, prizes, coupons, points, \
                             tickets) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (scope) DO UPDATE SET \
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
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(applied)
                }

                async fn sql_stat_totals(&self, scope: &str) -> StoreResult<StatTotals> {
                    let row = sqlx::query_as::<$db, TotalsRow>(
                        "SELECT actions, users, prizes, coupons, points, tickets FROM stat_totals \
                         WHERE scope = $1",
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
                        "SELECT day, actions, users, new_users, prizes, coupons, points, tickets \
                         FROM stat_days WHERE activity_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
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
