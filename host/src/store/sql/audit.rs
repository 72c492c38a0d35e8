//! The audit log: every change an operator or the admin made to a tenant.

use crate::store::AuditEntry;

/// A row of `audit`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct AuditRow {
    seq: i64,
    actor: String,
    role: String,
    action: String,
    target: String,
    detail: String,
    created_at: i64,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            seq: r.seq,
            actor: r.actor,
            role: r.role,
            action: r.action,
            target: r.target,
            detail: r.detail,
            created_at: r.created_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s audit methods.
macro_rules! impl_audit {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{self, audit::AuditRow};
            use $crate::store::{AuditEntry, StoreResult};

            impl $store {
                async fn sql_append_audit(
                    &self,
                    tenant_id: &str,
                    e: &AuditEntry,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO audit (tenant_id, actor, role, action, target, detail, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(tenant_id)
                    .bind(&e.actor)
                    .bind(&e.role)
                    .bind(&e.action)
                    .bind(&e.target)
                    .bind(&e.detail)
                    .bind(e.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("audit"))?;
                    Ok(())
                }

                async fn sql_audit(
                    &self,
                    tenant_id: &str,
                    after: i64,
                    limit: i64,
                ) -> StoreResult<Vec<AuditEntry>> {
                    let rows = sqlx::query_as::<$db, AuditRow>(
                        "SELECT seq, actor, role, action, target, detail, created_at FROM audit \
                         WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    )
                    .bind(tenant_id)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(AuditEntry::from).collect())
                }
            }
        };
    };
}

pub(in crate::store) use impl_audit;
