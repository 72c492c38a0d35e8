//! Server-wide settings, such as the randomness secret.

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store::setting`](crate::store::Store::setting) and
/// [`Store::init_setting`](crate::store::Store::init_setting).
macro_rules! impl_settings {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::StoreResult;

            impl $store {
                async fn sql_setting(&self, name: &str) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar::<$db, String>(
                        "SELECT value FROM settings WHERE name = $1",
                    )
                    .bind(name)
                    .fetch_optional(&self.read)
                    .await?)
                }

                async fn sql_init_setting(&self, name: &str, value: &str) -> StoreResult<String> {
                    sqlx::query::<$db>(
                        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(name)
                    .bind(value)
                    .execute(&self.write)
                    .await?;
                    // Read through the write pool: on SQLite it is the
                    // connection that just wrote, so the row is visible.
                    Ok(sqlx::query_scalar::<$db, String>(
                        "SELECT value FROM settings WHERE name = $1",
                    )
                    .bind(name)
                    .fetch_one(&self.write)
                    .await?)
                }
            }
        };
    };
}

pub(in crate::store) use impl_settings;
