//! API keys beyond the hash lookup: listing, revocation and rotation.
//! [`impl_key_store!`] expands the same statements for both backends.

use async_trait::async_trait;
use serde::Serialize;

use super::{Role, StoreResult};

/// An API key as an admin sees it: never its secret nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeyInfo {
    /// Public id, used to revoke or rotate it.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// What it may do.
    pub role: Role,
    /// Free text given at creation.
    pub label: Option<String>,
    /// The first characters of the secret, to recognise it by; unknown
    /// for keys made before prefixes were kept.
    pub prefix: Option<String>,
    /// Creation time, ms since epoch.
    pub created_at: i64,
    /// Revocation time, ms since epoch; a revoked key authenticates no one.
    pub revoked_at: Option<i64>,
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Public id.
    pub id: String,
    /// Hex sha256 of the secret.
    pub hash: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Role.
    pub role: Role,
    /// Optional label.
    pub label: Option<String>,
    /// Displayable prefix of the secret.
    pub prefix: String,
    /// Creation time, ms since epoch.
    pub created_at: i64,
}

/// id, tenant_id, role, label, prefix, created_at, revoked_at.
pub(super) type KeyRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

pub(super) fn key_info(r: KeyRow) -> StoreResult<KeyInfo> {
    Ok(KeyInfo {
        role: super::sql::tenants::role(&r.2)?,
        id: r.0,
        tenant_id: r.1,
        label: r.3,
        prefix: r.4,
        created_at: r.5,
        revoked_at: r.6,
    })
}

/// Key management. Part of every [`super::Store`].
#[async_trait]
pub trait KeyStore {
    /// Store a new key.
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()>;
    /// A tenant's keys, oldest first, revoked ones included.
    async fn keys(&self, tenant_id: &str) -> StoreResult<Vec<KeyInfo>>;
    /// One key of a tenant.
    async fn key(&self, tenant_id: &str, id: &str) -> StoreResult<Option<KeyInfo>>;
    /// Revoke a key of a tenant (a second revocation keeps the first
    /// time); the key afterwards, `None` if the tenant has no such key.
    async fn revoke_key(&self, tenant_id: &str, id: &str, now: i64)
    -> StoreResult<Option<KeyInfo>>;
    /// In one transaction, revoke the tenant's active key `id` and store
    /// `new` in its place; false (and nothing changed) if `id` is not an
    /// active key of the tenant.
    async fn rotate_key(&self, tenant_id: &str, id: &str, new: &NewKey) -> StoreResult<bool>;
}

/// Implements [`KeyStore`] for `$store` (see [`super::sql::impl_store!`]
/// for what it needs of the store).
macro_rules! impl_key_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::keys::{KeyInfo, KeyRow, KeyStore, NewKey, key_info};
            use $crate::store::{StoreResult, sql};

            const KEY_COLS: &str =
                "SELECT id, tenant_id, role, label, prefix, created_at, revoked_at FROM api_keys";

            async fn insert(
                conn: &mut <$db as sqlx::Database>::Connection,
                k: &NewKey,
            ) -> StoreResult<()> {
                sqlx::query::<$db>(
                    "INSERT INTO api_keys \
                     (key_hash, tenant_id, role, created_at, id, label, prefix) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&k.hash)
                .bind(&k.tenant_id)
                .bind(k.role.as_str())
                .bind(k.created_at)
                .bind(&k.id)
                .bind(&k.label)
                .bind(&k.prefix)
                .execute(&mut *conn)
                .await
                .map_err(sql::classify("api key"))?;
                Ok(())
            }

            #[async_trait::async_trait]
            impl KeyStore for $store {
                async fn insert_key(&self, k: &NewKey) -> StoreResult<()> {
                    let mut conn = self.write.acquire().await?;
                    insert(&mut *conn, k).await
                }

                async fn keys(&self, tenant_id: &str) -> StoreResult<Vec<KeyInfo>> {
                    let rows = sqlx::query_as::<$db, KeyRow>(&format!(
                        "{KEY_COLS} WHERE tenant_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.into_iter().map(key_info).collect()
                }

                async fn key(&self, tenant_id: &str, id: &str) -> StoreResult<Option<KeyInfo>> {
                    let row = sqlx::query_as::<$db, KeyRow>(&format!(
                        "{KEY_COLS} WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&self.write)
                    .await?;
                    row.map(key_info).transpose()
                }

                async fn revoke_key(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    now: i64,
                ) -> StoreResult<Option<KeyInfo>> {
                    sqlx::query::<$db>(
                        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .bind(now)
                    .execute(&self.write)
                    .await?;
                    self.key(tenant_id, id).await
                }

                async fn rotate_key(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    new: &NewKey,
                ) -> StoreResult<bool> {
                    let mut tx = Self::begin_on(&self.write).await?;
                    let done = sqlx::query::<$db>(
                        "UPDATE api_keys SET revoked_at = $3 \
                         WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .bind(new.created_at)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    insert(&mut *tx, new).await?;
                    tx.commit().await?;
                    Ok(true)
                }
            }
        };
    };
}

pub(super) use impl_key_store;
