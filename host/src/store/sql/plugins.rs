//! Registered plugin versions and their component bytes.

use crate::store::PluginRecord;

/// The columns of [`PluginRow`], as a literal so `concat!` can splice it
/// into a `&'static str` query.
macro_rules! plugin_cols {
    () => {
        "name, version, sha256, manifest, limits, created_at"
    };
}
pub(in crate::store) use plugin_cols;

/// A row of `plugins` without its bytes: the columns of `plugin_cols!()`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct PluginRow {
    name: String,
    version: String,
    sha256: String,
    manifest: String,
    limits: String,
    created_at: i64,
}

impl From<PluginRow> for PluginRecord {
    fn from(r: PluginRow) -> Self {
        PluginRecord {
            name: r.name,
            version: r.version,
            sha256: r.sha256,
            manifest: r.manifest,
            limits: r.limits,
            created_at: r.created_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s plugin methods.
macro_rules! impl_plugins {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{self, plugins::PluginRow};
            use $crate::store::{PluginRecord, StoreError, StoreResult};

            impl $store {
                async fn sql_put_plugin(&self, p: &PluginRecord, wasm: &[u8]) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO plugins \
                         (name, version, sha256, manifest, limits, wasm, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&p.name)
                    .bind(&p.version)
                    .bind(&p.sha256)
                    .bind(&p.manifest)
                    .bind(&p.limits)
                    .bind(wasm)
                    .bind(p.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("plugin version"))?;
                    Ok(())
                }

                async fn sql_plugins(&self) -> StoreResult<Vec<PluginRecord>> {
                    let rows = sqlx::query_as::<$db, PluginRow>(concat!(
                        "SELECT ",
                        sql::plugins::plugin_cols!(),
                        " FROM plugins ORDER BY name, created_at, version"
                    ))
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(PluginRecord::from).collect())
                }

                async fn sql_plugin(
                    &self,
                    name: &str,
                    version: Option<&str>,
                ) -> StoreResult<Option<PluginRecord>> {
                    let row = sqlx::query_as::<$db, PluginRow>(concat!(
                        "SELECT ",
                        sql::plugins::plugin_cols!(),
                        " FROM plugins WHERE name = $1 AND ($2 IS NULL OR version = $2) \
                         ORDER BY created_at DESC, version DESC LIMIT 1"
                    ))
                    .bind(name)
                    .bind(version)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(PluginRecord::from))
                }

                async fn sql_plugin_wasm(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
                    Ok(sqlx::query_scalar::<$db, Vec<u8>>(
                        "SELECT wasm FROM plugins WHERE sha256 = $1 LIMIT 1",
                    )
                    .bind(sha256)
                    .fetch_optional(&self.read)
                    .await?)
                }

                async fn sql_set_plugin_limits(
                    &self,
                    name: &str,
                    version: &str,
                    limits: &str,
                ) -> StoreResult<()> {
                    let done = sqlx::query::<$db>(
                        "UPDATE plugins SET limits = $3 WHERE name = $1 AND version = $2",
                    )
                    .bind(name)
                    .bind(version)
                    .bind(limits)
                    .execute(&self.write)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("plugin version"));
                    }
                    Ok(())
                }

                async fn sql_replace_plugin(
                    &self,
                    p: &PluginRecord,
                    wasm: &[u8],
                ) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await?;
                    let replaced = sqlx::query::<$db>(
                        "UPDATE plugins SET sha256 = $3, manifest = $4, wasm = $5, created_at = $6 \
                         WHERE name = $1 AND version = $2",
                    )
                    .bind(&p.name)
                    .bind(&p.version)
                    .bind(&p.sha256)
                    .bind(&p.manifest)
                    .bind(wasm)
                    .bind(p.created_at)
                    .execute(&mut *tx)
                    .await?;
                    if replaced.rows_affected() == 0 {
                        return Err(StoreError::NotFound("plugin version"));
                    }
                    let moved = sqlx::query::<$db>(
                        "UPDATE activities SET plugin_sha256 = $3 \
                         WHERE plugin = $1 AND plugin_version = $2",
                    )
                    .bind(&p.name)
                    .bind(&p.version)
                    .bind(&p.sha256)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(moved.rows_affected())
                }
            }
        };
    };
}

pub(in crate::store) use impl_plugins;
