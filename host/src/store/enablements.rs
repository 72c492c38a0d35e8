//! One activity on many groups: enablements with their overrides, the
//! stock shares carved out for a group, targeting rules, staged mode and
//! the schedule announcements. [`impl_enablement_store!`] expands the same
//! statements for both backends.
//!
//! A group's share of a pool is a stock row of its own, named
//! [`group_pool`]`(pool, group)`: it is read by the action snapshot with
//! the activity's other pools, and claims from it go through the same
//! conditional updates. Moving units between the shared pool and a share
//! happens in one transaction and keeps what was claimed claimed.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;

use super::StoreResult;

/// Separates a pool id from a group id in the name of a group's share.
/// Pool ids with control characters are refused at setup, so the name
/// cannot collide with a pool of the plugin's.
pub const SHARE_SEPARATOR: char = '\u{1f}';

/// The stock row name of `group`'s share of `pool`.
pub fn group_pool(pool: &str, group: &str) -> String {
    format!("{pool}{SHARE_SEPARATOR}{group}")
}

/// Splits a stock row name into its pool and, for a group's share, the
/// group.
pub fn split_pool(name: &str) -> (&str, Option<&str>) {
    match name.split_once(SHARE_SEPARATOR) {
        Some((pool, group)) => (pool, Some(group)),
        None => (name, None),
    }
}

/// An activity's enablement in one group (beyond its home group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Enablement {
    /// The activity.
    pub activity_id: String,
    /// The group.
    pub group_id: String,
    /// `explicit` (set by an operator) or `rule` (an targeting rule
    /// matches the group).
    pub source: String,
    /// Off: the group refuses actions (`group_disabled`).
    pub enabled: bool,
    /// Overrides the activity's start, ms since epoch.
    pub starts_at: Option<i64>,
    /// Overrides the activity's end, ms since epoch.
    pub ends_at: Option<i64>,
    /// Units of a pool reserved for this group, by pool.
    pub stock_share: BTreeMap<String, i64>,
    /// Last change, ms since epoch.
    pub updated_at: i64,
}

/// A schedule boundary not yet announced by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Tenant.
    pub tenant_id: String,
    /// Activity.
    pub activity_id: String,
    /// The group whose schedule override this boundary is; `None` for the
    /// activity's own schedule.
    pub group_id: Option<String>,
    /// `started` or `ended`.
    pub kind: &'static str,
    /// The boundary, ms since epoch.
    pub at: i64,
}

/// Enablements and schedule announcements. Part of every
/// [`super::Store`].
#[async_trait]
pub trait EnablementStore {
    /// An activity's enablements, by group id.
    async fn enablements(&self, activity_id: &str) -> StoreResult<Vec<Enablement>>;
    /// The enablements of one group, by activity id.
    async fn group_enablements(&self, group_id: &str) -> StoreResult<Vec<Enablement>>;
    /// Insert or replace an enablement and, in the same transaction, move
    /// stock so each pool in `e.stock_share` has exactly that share for
    /// the group (a share absent from the map keeps its size; a share of
    /// 0 gives the group's pool back, keeping what it claimed).
    /// `StockClaimed` if a share would shrink below what the group
    /// claimed; `StockShort` if the shared pool lacks the units;
    /// `NotFound("stock pool")` for a pool the activity does not have.
    async fn put_enablement(&self, e: &Enablement) -> StoreResult<()>;
    /// Remove an enablement; each of its shares shrinks to what was
    /// claimed from it, the rest going back to the shared pool. False if
    /// there was none.
    async fn delete_enablement(&self, activity_id: &str, group_id: &str) -> StoreResult<bool>;
    /// Add `rule` enablements for `add` (unless the group has one) and
    /// remove the `rule` enablements of `remove`, in one transaction.
    async fn sync_rule_enablements(
        &self,
        activity_id: &str,
        add: &[String],
        remove: &[String],
        now: i64,
    ) -> StoreResult<()>;
    /// Store an activity's targeting rules (JSON).
    async fn set_targeting(&self, activity_id: &str, targeting: &str) -> StoreResult<()>;
    /// Put an activity in staged mode in `group`, or take it live (`None`).
    async fn set_staged(&self, activity_id: &str, group: Option<&str>) -> StoreResult<()>;
    /// Schedule boundaries passed by `now` and not yet announced: up to
    /// `limit` activities' own, then up to `limit` groups' overrides.
    async fn due_announcements(&self, now: i64, limit: i64) -> StoreResult<Vec<Announcement>>;
    /// Mark `a` announced and append its event (`activity.started` or
    /// `activity.ended`) in one transaction; false if another replica did
    /// it first, or if a group's override has moved off `a.at` since.
    async fn announce(&self, a: &Announcement, data: &str, now: i64) -> StoreResult<bool>;
}

/// tenant_id, activity_id, group_id, starts_at, ends_at,
/// announced_start, announced_end: a group's override and what of it was
/// announced.
pub(super) type GroupBoundaryRow = (
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// activity_id, group_id, source, enabled, starts_at, ends_at,
/// stock_share, updated_at.
pub(super) type EnablementRow = (
    String,
    String,
    String,
    bool,
    Option<i64>,
    Option<i64>,
    String,
    i64,
);

pub(super) fn enablement(r: EnablementRow) -> StoreResult<Enablement> {
    let stock_share = serde_json::from_str(&r.6).map_err(|_| {
        super::StoreError::Database(sqlx::Error::Decode(
            format!("stock share {:?} in database is not a map", r.6).into(),
        ))
    })?;
    Ok(Enablement {
        activity_id: r.0,
        group_id: r.1,
        source: r.2,
        enabled: r.3,
        starts_at: r.4,
        ends_at: r.5,
        stock_share,
        updated_at: r.7,
    })
}

/// Implements [`EnablementStore`] for `$store` (see
/// [`super::sql::impl_store!`] for what it needs of the store);
/// `$event_lock` as there.
macro_rules! impl_enablement_store {
    ($store:ty, $db:ty, event_lock = $event_lock:expr) => {
        const _: () = {
            use std::collections::BTreeMap;

            use $crate::store::enablements::{
                Announcement, Enablement, EnablementRow, EnablementStore, GroupBoundaryRow,
                enablement, group_pool,
            };
            use $crate::store::{StoreError, StoreResult, sql};

            const COLS: &str = "SELECT activity_id, group_id, source, enabled, starts_at, ends_at, \
                                stock_share, updated_at FROM activity_groups";
            const EVENT_LOCK: Option<&str> = $event_lock;

            /// Resize `group`'s share of `pool` to `share`, moving units
            /// from or to the shared pool.
            async fn resize_share(
                tx: &mut <$db as sqlx::Database>::Connection,
                activity_id: &str,
                group: &str,
                pool: &str,
                share: i64,
            ) -> StoreResult<()> {
                // A share of 0 gives the group's pool back: what was
                // claimed from it stays, as a share used up.
                let name = group_pool(pool, group);
                let current: Option<(i64, i64)> = sqlx::query_as::<$db, (i64, i64)>(
                    "SELECT initial, remaining FROM stock WHERE activity_id = $1 AND pool = $2",
                )
                .bind(activity_id)
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
                let (initial, remaining) = current.unwrap_or((0, 0));
                let claimed = initial - remaining;
                let share = if share == 0 { claimed } else { share };
                if share < claimed {
                    return Err(StoreError::StockClaimed {
                        pool: pool.to_owned(),
                        claimed,
                    });
                }
                let more = share - initial;
                if more == 0 {
                    return Ok(());
                }
                // The shared pool gives (or takes back) `more` units, of
                // its size and of what is left of it alike.
                let moved = sqlx::query::<$db>(
                    "UPDATE stock SET initial = initial - $3, remaining = remaining - $3 \
                     WHERE activity_id = $1 AND pool = $2 AND remaining - $3 >= 0",
                )
                .bind(activity_id)
                .bind(pool)
                .bind(more)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    let shared: Option<(i64,)> = sqlx::query_as::<$db, (i64,)>(
                        "SELECT remaining FROM stock WHERE activity_id = $1 AND pool = $2",
                    )
                    .bind(activity_id)
                    .bind(pool)
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Err(match shared {
                        Some((available,)) => StoreError::StockShort {
                            pool: pool.to_owned(),
                            available,
                        },
                        None => StoreError::NotFound("stock pool"),
                    });
                }
                if current.is_some() {
                    sqlx::query::<$db>(
                        "UPDATE stock SET initial = $3, remaining = remaining + $4 \
                         WHERE activity_id = $1 AND pool = $2",
                    )
                    .bind(activity_id)
                    .bind(&name)
                    .bind(share)
                    .bind(more)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query::<$db>(
                        "INSERT INTO stock (activity_id, pool, initial, remaining) \
                         VALUES ($1, $2, $3, $3)",
                    )
                    .bind(activity_id)
                    .bind(&name)
                    .bind(share)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("stock pool"))?;
                }
                Ok(())
            }

            #[async_trait::async_trait]
            impl EnablementStore for $store {
                async fn enablements(&self, activity_id: &str) -> StoreResult<Vec<Enablement>> {
                    let rows = sqlx::query_as::<$db, EnablementRow>(&format!(
                        "{COLS} WHERE activity_id = $1 ORDER BY group_id"
                    ))
                    .bind(activity_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.into_iter().map(enablement).collect()
                }

                async fn group_enablements(&self, group_id: &str) -> StoreResult<Vec<Enablement>> {
                    let rows = sqlx::query_as::<$db, EnablementRow>(&format!(
                        "{COLS} WHERE group_id = $1 ORDER BY activity_id"
                    ))
                    .bind(group_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.into_iter().map(enablement).collect()
                }

                async fn put_enablement(&self, e: &Enablement) -> StoreResult<()> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    let before: Option<(String,)> = sqlx::query_as::<$db, (String,)>(
                        "SELECT stock_share FROM activity_groups \
                         WHERE activity_id = $1 AND group_id = $2",
                    )
                    .bind(&e.activity_id)
                    .bind(&e.group_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let mut shares: BTreeMap<String, i64> = before
                        .and_then(|(json,)| serde_json::from_str(&json).ok())
                        .unwrap_or_default();
                    for (pool, share) in &e.stock_share {
                        resize_share(&mut *tx, &e.activity_id, &e.group_id, pool, *share).await?;
                        shares.insert(pool.clone(), *share);
                    }
                    shares.retain(|_, share| *share > 0);
                    sqlx::query::<$db>(
                        "INSERT INTO activity_groups (activity_id, group_id, source, enabled, \
                         starts_at, ends_at, stock_share, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (activity_id, group_id) DO UPDATE SET \
                         source = excluded.source, enabled = excluded.enabled, \
                         starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
                         stock_share = excluded.stock_share, updated_at = excluded.updated_at",
                    )
                    .bind(&e.activity_id)
                    .bind(&e.group_id)
                    .bind(&e.source)
                    .bind(e.enabled)
                    .bind(e.starts_at)
                    .bind(e.ends_at)
                    .bind(serde_json::to_string(&shares).expect("shares serialize"))
                    .bind(e.updated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(sql::classify("group"))?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn delete_enablement(
                    &self,
                    activity_id: &str,
                    group_id: &str,
                ) -> StoreResult<bool> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    let gone = sqlx::query::<$db>(
                        "DELETE FROM activity_groups WHERE activity_id = $1 AND group_id = $2",
                    )
                    .bind(activity_id)
                    .bind(group_id)
                    .execute(&mut *tx)
                    .await?;
                    if gone.rows_affected() == 0 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    let names: Vec<(String, i64, i64)> = sqlx::query_as::<$db, (String, i64, i64)>(
                        "SELECT pool, initial, remaining FROM stock WHERE activity_id = $1",
                    )
                    .bind(activity_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (name, initial, remaining) in names {
                        let (pool, group) = $crate::store::enablements::split_pool(&name);
                        if group == Some(group_id) && remaining > 0 && initial > 0 {
                            resize_share(&mut *tx, activity_id, group_id, pool, 0).await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn sync_rule_enablements(
                    &self,
                    activity_id: &str,
                    add: &[String],
                    remove: &[String],
                    now: i64,
                ) -> StoreResult<()> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    for group in add {
                        sqlx::query::<$db>(
                            "INSERT INTO activity_groups (activity_id, group_id, source, enabled, \
                             stock_share, updated_at) VALUES ($1, $2, 'rule', true, '{}', $3) \
                             ON CONFLICT (activity_id, group_id) DO NOTHING",
                        )
                        .bind(activity_id)
                        .bind(group)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql::classify("group"))?;
                    }
                    for group in remove {
                        sqlx::query::<$db>(
                            "DELETE FROM activity_groups \
                             WHERE activity_id = $1 AND group_id = $2 AND source = 'rule'",
                        )
                        .bind(activity_id)
                        .bind(group)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn set_targeting(&self, activity_id: &str, targeting: &str) -> StoreResult<()> {
                    let done = sqlx::query::<$db>("UPDATE activities SET targeting = $2 WHERE id = $1")
                        .bind(activity_id)
                        .bind(targeting)
                        .execute(&self.write)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("activity"));
                    }
                    Ok(())
                }

                async fn set_staged(&self, activity_id: &str, group: Option<&str>) -> StoreResult<()> {
                    let done = sqlx::query::<$db>(
                        "UPDATE activities SET staged_group_id = $2 WHERE id = $1",
                    )
                    .bind(activity_id)
                    .bind(group)
                    .execute(&self.write)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("activity"));
                    }
                    Ok(())
                }

                async fn due_announcements(
                    &self,
                    now: i64,
                    limit: i64,
                ) -> StoreResult<Vec<Announcement>> {
                    // `announced` holds the boundaries announced so far:
                    // "", "started", "ended" or "started,ended".
                    let rows: Vec<(String, String, Option<i64>, Option<i64>, String)> =
                        sqlx::query_as::<$db, (String, String, Option<i64>, Option<i64>, String)>(
                            "SELECT tenant_id, id, starts_at, ends_at, announced FROM activities \
                             WHERE (starts_at IS NOT NULL AND starts_at <= $1 \
                                    AND announced NOT LIKE '%started%') \
                                OR (ends_at IS NOT NULL AND ends_at <= $1 \
                                    AND announced NOT LIKE '%ended%') \
                             ORDER BY id LIMIT $2",
                        )
                        .bind(now)
                        .bind(limit)
                        .fetch_all(&self.read)
                        .await?;
                    let mut due = Vec::new();
                    for (tenant_id, activity_id, starts_at, ends_at, announced) in rows {
                        if let Some(at) = starts_at.filter(|s| *s <= now && !announced.contains("started")) {
                            due.push(Announcement {
                                tenant_id: tenant_id.clone(),
                                activity_id: activity_id.clone(),
                                group_id: None,
                                kind: "started",
                                at,
                            });
                        }
                        if let Some(at) = ends_at.filter(|e| *e <= now && !announced.contains("ended")) {
                            due.push(Announcement {
                                tenant_id,
                                activity_id,
                                group_id: None,
                                kind: "ended",
                                at,
                            });
                        }
                    }
                    // A group's override boundaries: each column holds the
                    // boundary last announced, so one moved to another
                    // time is due again once that passes.
                    let rows: Vec<GroupBoundaryRow> = sqlx::query_as::<$db, GroupBoundaryRow>(
                        "SELECT a.tenant_id, g.activity_id, g.group_id, g.starts_at, g.ends_at, \
                         g.announced_start, g.announced_end \
                         FROM activity_groups g JOIN activities a ON a.id = g.activity_id \
                         WHERE (g.starts_at IS NOT NULL OR g.ends_at IS NOT NULL) \
                           AND ((g.starts_at <= $1 \
                                 AND (g.announced_start IS NULL OR g.announced_start <> g.starts_at)) \
                             OR (g.ends_at <= $1 \
                                 AND (g.announced_end IS NULL OR g.announced_end <> g.ends_at))) \
                         ORDER BY g.activity_id, g.group_id LIMIT $2",
                    )
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?;
                    for (tenant_id, activity_id, group_id, starts_at, ends_at, started, ended) in rows {
                        let boundaries = [("started", starts_at, started), ("ended", ends_at, ended)];
                        for (kind, at, announced) in boundaries {
                            if let Some(at) = at.filter(|b| *b <= now && announced != Some(*b)) {
                                due.push(Announcement {
                                    tenant_id: tenant_id.clone(),
                                    activity_id: activity_id.clone(),
                                    group_id: Some(group_id.clone()),
                                    kind,
                                    at,
                                });
                            }
                        }
                    }
                    Ok(due)
                }

                async fn announce(&self, a: &Announcement, data: &str, now: i64) -> StoreResult<bool> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    let marked = match &a.group_id {
                        None => {
                            sqlx::query::<$db>(
                                "UPDATE activities SET announced = CASE WHEN announced = '' THEN $2 \
                                 ELSE announced || ',' || $2 END \
                                 WHERE id = $1 AND announced NOT LIKE '%' || $2 || '%'",
                            )
                            .bind(&a.activity_id)
                            .bind(a.kind)
                            .execute(&mut *tx)
                            .await?
                        }
                        Some(group_id) => {
                            // Only while the override still is this
                            // boundary: a reschedule since is due on its own.
                            let (boundary, announced) = if a.kind == "started" {
                                ("starts_at", "announced_start")
                            } else {
                                ("ends_at", "announced_end")
                            };
                            sqlx::query::<$db>(&format!(
                                "UPDATE activity_groups SET {announced} = $3 \
                                 WHERE activity_id = $1 AND group_id = $2 AND {boundary} = $3 \
                                 AND ({announced} IS NULL OR {announced} <> $3)"
                            ))
                            .bind(&a.activity_id)
                            .bind(group_id)
                            .bind(a.at)
                            .execute(&mut *tx)
                            .await?
                        }
                    };
                    if marked.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    if let Some(lock) = EVENT_LOCK {
                        sqlx::query::<$db>(lock).bind(&a.tenant_id).execute(&mut *tx).await?;
                    }
                    sqlx::query::<$db>(
                        "INSERT INTO events (tenant_id, activity_id, outcome_id, kind, subject, \
                         data, created_at) VALUES ($1, $2, '', $3, $2, $4, $5)",
                    )
                    .bind(&a.tenant_id)
                    .bind(&a.activity_id)
                    .bind(format!("activity.{}", a.kind))
                    .bind(data)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(true)
                }
            }
        };
    };
}

pub(super) use impl_enablement_store;
