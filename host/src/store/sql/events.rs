//! Reading a tenant's event log. Events are appended only by a commit
//! (`commit.rs`).

use crate::store::{EventRecord, EventRow};

/// A row of `events` without its tenant: seq, activity_id, outcome_id,
/// kind, subject, data, created_at.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct EventRecordRow {
    seq: i64,
    activity_id: String,
    outcome_id: String,
    kind: String,
    subject: String,
    data: String,
    created_at: i64,
}

impl From<EventRecordRow> for EventRecord {
    fn from(r: EventRecordRow) -> Self {
        EventRecord {
            seq: r.seq,
            activity_id: r.activity_id,
            outcome_id: r.outcome_id,
            event: EventRow {
                kind: r.kind,
                subject: r.subject,
                data: r.data,
            },
            created_at: r.created_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent method behind
/// [`Store::events`](crate::store::Store::events).
macro_rules! impl_events {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::events::EventRecordRow;
            use $crate::store::{EventRecord, StoreResult};

            impl $store {
                async fn sql_events(
                    &self,
                    tenant_id: &str,
                    after: Option<i64>,
                    limit: u32,
                ) -> StoreResult<Vec<EventRecord>> {
                    let rows = sqlx::query_as::<$db, EventRecordRow>(
                        "SELECT seq, activity_id, outcome_id, kind, subject, data, created_at \
                         FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    )
                    .bind(tenant_id)
                    .bind(after.unwrap_or(0))
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(EventRecord::from).collect())
                }

                async fn sql_events_where(
                    &self,
                    tenant_id: &str,
                    after: Option<i64>,
                    limit: u32,
                    activity_id: Option<&str>,
                    kind: Option<&str>,
                ) -> StoreResult<Vec<EventRecord>> {
                    // Only the filters given, so each backend sees typed
                    // parameters; one activity reads through its index.
                    let mut sql = String::from(
                        "SELECT seq, activity_id, outcome_id, kind, subject, data, created_at \
                         FROM events WHERE tenant_id = $1 AND seq > $2",
                    );
                    let mut n = 3;
                    if activity_id.is_some() {
                        sql.push_str(&format!(" AND activity_id = ${n}"));
                        n += 1;
                    }
                    if kind.is_some() {
                        sql.push_str(&format!(" AND kind = ${n}"));
                        n += 1;
                    }
                    sql.push_str(&format!(" ORDER BY seq LIMIT ${n}"));
                    let mut q = sqlx::query_as::<$db, EventRecordRow>(&sql)
                        .bind(tenant_id)
                        .bind(after.unwrap_or(0));
                    if let Some(a) = activity_id {
                        q = q.bind(a);
                    }
                    if let Some(k) = kind {
                        q = q.bind(k);
                    }
                    let rows = q.bind(i64::from(limit)).fetch_all(&self.read).await?;
                    Ok(rows.into_iter().map(EventRecord::from).collect())
                }
            }
        };
    };
}

pub(in crate::store) use impl_events;
