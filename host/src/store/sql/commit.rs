//! Committing one action: every change of an
//! [`ActionCommit`](crate::store::ActionCommit) applied
//! statement by statement in one transaction, all or nothing. Postgres
//! normally commits through `arcade_commit` instead (`pg_commit.sql`);
//! both take their locks in the order of `order.rs`.

/// Expands, for `$store` on database `$db`, `commit_alone` and
/// `apply_commit` (which SQLite's group commit also uses) and the
/// inherent method behind [`Store::commit`](crate::store::Store::commit).
/// `$for_share` is appended to the read-validation query, and
/// `$event_lock`, if any, is run (with the tenant id as `$1`) before a
/// commit appends events.
macro_rules! impl_commit {
    (
        $store:ty,
        $db:ty,
        for_share = $for_share:literal,
        event_lock = $event_lock:expr $(,)?
    ) => {
        const _: () = {
            use $crate::store::sql::{self, order::StateStep};
            use $crate::store::{ActionCommit, StoreError, StoreResult, TimerChange};

            /// Taken once per commit that appends events, bound to the
            /// tenant id; see the backend for why.
            const EVENT_LOCK: Option<&str> = $event_lock;

            impl $store {
                /// Commit `c` in a transaction of its own, statement by
                /// statement.
                async fn commit_alone(
                    write: &sqlx::Pool<$db>,
                    c: &ActionCommit,
                ) -> StoreResult<()> {
                    let conflict = sql::classify("outcome");
                    let mut tx = Self::begin_on(write).await.map_err(&conflict)?;
                    // Roll back explicitly rather than on drop, so a losing
                    // commit releases its row locks before we return.
                    match Self::apply_commit(&mut *tx, c).await {
                        Ok(()) => tx.commit().await.map_err(&conflict),
                        Err(e) => {
                            tx.rollback().await?;
                            Err(e)
                        }
                    }
                }

                /// Apply every change of `c` on `tx`, which the caller
                /// commits (or rolls back, on an error).
                async fn apply_commit(
                    tx: &mut <$db as sqlx::Database>::Connection,
                    c: &ActionCommit,
                ) -> StoreResult<()> {
                    let o = &c.outcome;
                    let conflict = sql::classify("outcome");

                    // The key first: a request already committed under it
                    // makes this commit a repeat, whatever else holds.
                    if let Some(k) = &c.idempotency {
                        let done = sqlx::query::<$db>(
                            "INSERT INTO idempotency \
                             (tenant_id, key, request_hash, response, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(&o.tenant_id)
                        .bind(&k.key)
                        .bind(&k.request_hash)
                        .bind(&k.response)
                        .bind(o.created_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::KeyTaken);
                        }
                    }

                    let mut stock: Vec<_> = c.stock.iter().collect();
                    stock.sort();
                    for (pool, delta) in stock {
                        let done = sqlx::query::<$db>(
                            "UPDATE stock SET remaining = remaining + $3 \
                             WHERE activity_id = $1 AND pool = $2 \
                             AND remaining + $3 >= 0 AND remaining + $3 <= initial",
                        )
                        .bind(&o.activity_id)
                        .bind(pool)
                        .bind(*delta)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::Conflict);
                        }
                    }

                    // Net change per (user, currency), in key order.
                    for ((user, currency), delta) in sql::order::balance_steps(c) {
                        if delta > 0 {
                            sqlx::query::<$db>(
                                "INSERT INTO balances (tenant_id, user_id, currency, balance) \
                                 VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (tenant_id, user_id, currency) \
                                 DO UPDATE SET balance = balances.balance + excluded.balance",
                            )
                            .bind(&o.tenant_id)
                            .bind(user)
                            .bind(currency)
                            .bind(delta)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        } else if delta < 0 {
                            // A missing row is a zero balance: nothing
                            // to debit, so no row matches either.
                            let done = sqlx::query::<$db>(
                                "UPDATE balances SET balance = balance + $4 \
                                 WHERE tenant_id = $1 AND user_id = $2 AND currency = $3 \
                                 AND balance + $4 >= 0",
                            )
                            .bind(&o.tenant_id)
                            .bind(user)
                            .bind(currency)
                            .bind(delta)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                            if done.rows_affected() == 0 {
                                return Err(StoreError::Conflict);
                            }
                        }
                    }

                    for step in sql::order::state_steps(c) {
                        let ok = match step {
                            StateStep::Write(w) => {
                                let q = match w.expected_version {
                                    Some(v) => sqlx::query::<$db>(
                                        "UPDATE state SET value = $4, version = version + $6 \
                                         WHERE activity_id = $1 AND user_id = $2 AND key = $3 \
                                         AND version = $5",
                                    )
                                    .bind(&o.activity_id)
                                    .bind(&w.key.user_id)
                                    .bind(&w.key.key)
                                    .bind(&w.value)
                                    .bind(v)
                                    .bind(w.advance),
                                    None => sqlx::query::<$db>(
                                        "INSERT INTO state \
                                         (activity_id, user_id, key, value, version) \
                                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                                    )
                                    .bind(&o.activity_id)
                                    .bind(&w.key.user_id)
                                    .bind(&w.key.key)
                                    .bind(&w.value)
                                    .bind(w.advance),
                                };
                                q.execute(&mut *tx).await.map_err(&conflict)?.rows_affected() == 1
                            }
                            StateStep::Read(r) => {
                                let current = sqlx::query_scalar::<$db, i64>(concat!(
                                    "SELECT version FROM state \
                                     WHERE activity_id = $1 AND user_id = $2 AND key = $3",
                                    $for_share
                                ))
                                .bind(&o.activity_id)
                                .bind(&r.key.user_id)
                                .bind(&r.key.key)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(&conflict)?;
                                current == r.version
                            }
                        };
                        if !ok {
                            return Err(StoreError::Conflict);
                        }
                    }

                    // The timer this outcome fires goes first, so the
                    // outcome may schedule a timer of the same name.
                    if let Some(id) = &c.fired_timer {
                        let done = sqlx::query::<$db>(
                            "UPDATE timers SET state = 'fired', fired_at = $2 \
                             WHERE id = $1 AND activity_id = $3 AND state = 'pending'",
                        )
                        .bind(id)
                        .bind(o.created_at)
                        .bind(&o.activity_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::Conflict);
                        }
                    }
                    for change in sql::order::timer_steps(c) {
                        let name = match change {
                            TimerChange::Schedule { name, .. } | TimerChange::Cancel { name } => {
                                name
                            }
                        };
                        sqlx::query::<$db>(
                            "UPDATE timers SET state = 'cancelled' \
                             WHERE activity_id = $1 AND name = $2 AND state = 'pending'",
                        )
                        .bind(&o.activity_id)
                        .bind(name)
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if let TimerChange::Schedule {
                            id,
                            name,
                            due_at,
                            payload,
                        } = change
                        {
                            sqlx::query::<$db>(
                                "INSERT INTO timers (id, tenant_id, activity_id, name, payload, \
                                 due_at, state, leased_until, fired_at, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL, NULL, $7)",
                            )
                            .bind(id)
                            .bind(&o.tenant_id)
                            .bind(&o.activity_id)
                            .bind(name)
                            .bind(payload)
                            .bind(*due_at)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            // A concurrent commit scheduled the same
                            // name first: a lost race like any other.
                            .map_err(sql::unique_is_conflict)?;
                        }
                    }

                    for r in &c.rewards {
                        let id = sqlx::query_scalar::<$db, i64>(
                            "INSERT INTO rewards (tenant_id, activity_id, outcome_id, user_id, \
                             kind, item, name, amount, expires_at, code, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             RETURNING id",
                        )
                        .bind(&o.tenant_id)
                        .bind(&o.activity_id)
                        .bind(&o.id)
                        .bind(&r.user_id)
                        .bind(&r.kind)
                        .bind(&r.item)
                        .bind(&r.name)
                        .bind(r.amount)
                        .bind(r.expires_at)
                        .bind(&r.code)
                        .bind(o.created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(&conflict)?;
                        if r.kind == "prize" {
                            sqlx::query::<$db>(
                                "INSERT INTO reward_states \
                                 (reward_id, tenant_id, state, updated_at) \
                                 VALUES ($1, $2, 'pending', $3)",
                            )
                            .bind(id)
                            .bind(&o.tenant_id)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        }
                    }

                    if !c.events.is_empty() {
                        if let Some(lock) = EVENT_LOCK {
                            sqlx::query::<$db>(lock)
                                .bind(&o.tenant_id)
                                .execute(&mut *tx)
                                .await
                                .map_err(&conflict)?;
                        }
                        for e in &c.events {
                            sqlx::query::<$db>(
                                "INSERT INTO events (tenant_id, activity_id, outcome_id, \
                                 kind, subject, data, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            )
                            .bind(&o.tenant_id)
                            .bind(&o.activity_id)
                            .bind(&o.id)
                            .bind(&e.kind)
                            .bind(&e.subject)
                            .bind(&e.data)
                            .bind(o.created_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(&conflict)?;
                        }
                    }

                    sqlx::query::<$db>(concat!(
                        "INSERT INTO outcomes (",
                        sql::outcomes::outcome_cols!(),
                        ") \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                    ))
                    .bind(&o.id)
                    .bind(&o.tenant_id)
                    .bind(&o.activity_id)
                    .bind(&o.user_id)
                    .bind(&o.action)
                    .bind(&o.payload)
                    .bind(&o.result)
                    .bind(&o.rewards)
                    .bind(&o.inputs)
                    .bind(&o.effects_hash)
                    .bind(&o.plugin_sha256)
                    .bind(o.fuel_used)
                    .bind(o.created_at)
                    .bind(&o.group_id)
                    .bind(&o.spends)
                    .execute(&mut *tx)
                    .await
                    .map_err(&conflict)?;
                    // The statistics' outbox (see stats.rs).
                    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
                    sqlx::query::<$db>(
                        "INSERT INTO stat_queue (outcome_id, events, invites) VALUES ($1, $2, $3)",
                    )
                        .bind(&o.id)
                        .bind(kinds.join(","))
                        .bind(c.stat_invites())
                        .execute(&mut *tx)
                        .await
                        .map_err(&conflict)?;

                    Ok(())
                }

                async fn sql_commit(&self, c: &ActionCommit) -> StoreResult<()> {
                    if let Some(done) = self.fast_commit(c).await {
                        return done;
                    }
                    Self::commit_alone(&self.write, c).await
                }
            }
        };
    };
}

pub(in crate::store) use impl_commit;
