//! Committed idempotency keys: looking a key's response up, and
//! forgetting old keys. A key is inserted only by the commit of its
//! action's outcome (`commit.rs`).

use crate::store::StoredResponse;

/// A row of `idempotency` without its tenant and key: request_hash,
/// response, created_at.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct StoredResponseRow {
    request_hash: String,
    response: String,
    created_at: i64,
}

impl From<StoredResponseRow> for StoredResponse {
    fn from(r: StoredResponseRow) -> Self {
        StoredResponse {
            request_hash: r.request_hash,
            response: r.response,
            created_at: r.created_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store::idempotent_response`](crate::store::Store::idempotent_response)
/// and [`Store::sweep_idempotency`](crate::store::Store::sweep_idempotency).
macro_rules! impl_idempotency {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::idempotency::StoredResponseRow;
            use $crate::store::{StoreResult, StoredResponse};

            impl $store {
                async fn sql_idempotent_response(
                    &self,
                    tenant_id: &str,
                    key: &str,
                ) -> StoreResult<Option<StoredResponse>> {
                    let row = sqlx::query_as::<$db, StoredResponseRow>(
                        "SELECT request_hash, response, created_at FROM idempotency \
                         WHERE tenant_id = $1 AND key = $2",
                    )
                    .bind(tenant_id)
                    .bind(key)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(StoredResponse::from))
                }

                async fn sql_sweep_idempotency(&self, before: i64) -> StoreResult<u64> {
                    let done = sqlx::query::<$db>("DELETE FROM idempotency WHERE created_at < $1")
                        .bind(before)
                        .execute(&self.write)
                        .await?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(in crate::store) use impl_idempotency;
