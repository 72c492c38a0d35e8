//! A tenant's groups.

use crate::store::Group;

/// A row of `groups`: id, name, created_at.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct GroupRow {
    id: String,
    name: String,
    created_at: i64,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s group methods.
macro_rules! impl_groups {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{self, groups::GroupRow};
            use $crate::store::{Group, StoreResult};

            impl $store {
                async fn sql_create_group(
                    &self,
                    tenant_id: &str,
                    group: &Group,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO groups (id, tenant_id, name, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&group.id)
                    .bind(tenant_id)
                    .bind(&group.name)
                    .bind(group.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("group"))?;
                    Ok(())
                }

                async fn sql_groups(&self, tenant_id: &str) -> StoreResult<Vec<Group>> {
                    let rows = sqlx::query_as::<$db, GroupRow>(
                        "SELECT id, name, created_at FROM groups WHERE tenant_id = $1 \
                         ORDER BY created_at, id",
                    )
                    .bind(tenant_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(Group::from).collect())
                }

                async fn sql_group(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Group>> {
                    let row = sqlx::query_as::<$db, GroupRow>(
                        "SELECT id, name, created_at FROM groups WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(Group::from))
                }
            }
        };
    };
}

pub(in crate::store) use impl_groups;
