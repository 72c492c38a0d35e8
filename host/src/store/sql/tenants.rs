//! Tenants and the lookup of an API key by its hash, which authenticates
//! every request (listing, revocation and rotation are in
//! [`crate::store::keys`]).

use crate::store::{ApiKey, Role, StoreError};

/// An active key as the lookup by hash reads it.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct ApiKeyRow {
    id: String,
    tenant_id: String,
    role: String,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: r.id,
            tenant_id: r.tenant_id,
            role: role(&r.role)?,
        })
    }
}

/// A stored role name; an unknown one means the row is corrupt.
pub(in crate::store) fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| super::corrupt("role", s))
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s tenant and API-key methods.
macro_rules! impl_tenants {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{self, tenants::ApiKeyRow};
            use $crate::store::{ApiKey, Role, StoreResult};

            impl $store {
                async fn sql_create_tenant(
                    &self,
                    id: &str,
                    name: &str,
                    now: i64,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO tenants (id, name, created_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(name)
                    .bind(now)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("tenant"))?;
                    Ok(())
                }

                async fn sql_tenant_exists(&self, id: &str) -> StoreResult<bool> {
                    Ok(sqlx::query::<$db>("SELECT 1 FROM tenants WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .is_some())
                }

                async fn sql_tenant_rate_limit(&self, id: &str) -> StoreResult<Option<String>> {
                    let row: Option<(Option<String>,)> = sqlx::query_as::<$db, (Option<String>,)>(
                        "SELECT rate_limit FROM tenants WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.and_then(|(r,)| r))
                }

                async fn sql_set_tenant_rate_limit(
                    &self,
                    id: &str,
                    limit: Option<&str>,
                ) -> StoreResult<bool> {
                    let done =
                        sqlx::query::<$db>("UPDATE tenants SET rate_limit = $2 WHERE id = $1")
                            .bind(id)
                            .bind(limit)
                            .execute(&self.write)
                            .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn sql_create_api_key(
                    &self,
                    key_hash: &str,
                    tenant_id: &str,
                    role: Role,
                    now: i64,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO api_keys (key_hash, tenant_id, role, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key_hash)
                    .bind(tenant_id)
                    .bind(role.as_str())
                    .bind(now)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("api key"))?;
                    Ok(())
                }

                async fn sql_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKey>> {
                    let row = sqlx::query_as::<$db, ApiKeyRow>(
                        "SELECT id, tenant_id, role FROM api_keys \
                         WHERE key_hash = $1 AND revoked_at IS NULL",
                    )
                    .bind(key_hash)
                    .fetch_optional(&self.read)
                    .await?;
                    row.map(ApiKey::try_from).transpose()
                }
            }
        };
    };
}

pub(in crate::store) use impl_tenants;
