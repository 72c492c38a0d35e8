//! A tenant's groups and its tiers.

use crate::store::Group;

/// The group columns, in [`GroupRow`]'s order.
pub(in crate::store) const GROUP_COLUMNS: &str =
    "id, name, tier, tags, members, members_at, created_at";

/// A row of `groups`.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct GroupRow {
    id: String,
    name: String,
    tier: String,
    tags: String,
    members: Option<i64>,
    members_at: Option<i64>,
    created_at: i64,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: r.id,
            name: r.name,
            tier: r.tier,
            // Written only by this module, from a `Vec<String>`.
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            members: r.members,
            members_at: r.members_at,
            created_at: r.created_at,
        }
    }
}

/// Tags as stored.
pub(in crate::store) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Expands, for `$store` on database `$db`, the inherent methods behind
/// [`Store`](crate::store::Store)'s group and tier methods.
macro_rules! impl_groups {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::sql::{
                self,
                groups::{GROUP_COLUMNS, GroupRow, tags_json},
            };
            use $crate::store::{Group, StoreResult};

            impl $store {
                async fn sql_create_group(
                    &self,
                    tenant_id: &str,
                    group: &Group,
                ) -> StoreResult<()> {
                    sqlx::query::<$db>(
                        "INSERT INTO groups (id, tenant_id, name, tier, tags, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&group.id)
                    .bind(tenant_id)
                    .bind(&group.name)
                    .bind(&group.tier)
                    .bind(tags_json(&group.tags))
                    .bind(group.created_at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("group"))?;
                    Ok(())
                }

                async fn sql_update_group(
                    &self,
                    tenant_id: &str,
                    group: &Group,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<$db>(
                        "UPDATE groups SET name = $3, tier = $4, tags = $5 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(&group.id)
                    .bind(&group.name)
                    .bind(&group.tier)
                    .bind(tags_json(&group.tags))
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("group"))?;
                    Ok(done.rows_affected() == 1)
                }

                async fn sql_set_group_members(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    members: i64,
                    at: i64,
                ) -> StoreResult<bool> {
                    let done = sqlx::query::<$db>(
                        "UPDATE groups SET members = $3, members_at = $4 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .bind(members)
                    .bind(at)
                    .execute(&self.write)
                    .await
                    .map_err(sql::classify("group"))?;
                    Ok(done.rows_affected() == 1)
                }

                async fn sql_groups(&self, tenant_id: &str) -> StoreResult<Vec<Group>> {
                    let rows = sqlx::query_as::<$db, GroupRow>(&format!(
                        "SELECT {GROUP_COLUMNS} FROM groups WHERE tenant_id = $1 \
                         ORDER BY created_at, id"
                    ))
                    .bind(tenant_id)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(Group::from).collect())
                }

                async fn sql_group(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Group>> {
                    let row = sqlx::query_as::<$db, GroupRow>(&format!(
                        "SELECT {GROUP_COLUMNS} FROM groups WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?;
                    Ok(row.map(Group::from))
                }

                async fn sql_tiers(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>> {
                    let row: Option<(String,)> =
                        sqlx::query_as::<$db, (String,)>("SELECT tiers FROM tenants WHERE id = $1")
                            .bind(tenant_id)
                            .fetch_optional(&self.read)
                            .await?;
                    Ok(row.map(|(t,)| serde_json::from_str(&t).unwrap_or_default()))
                }

                async fn sql_set_tiers(
                    &self,
                    tenant_id: &str,
                    tiers: &[String],
                ) -> StoreResult<()> {
                    sqlx::query::<$db>("UPDATE tenants SET tiers = $2 WHERE id = $1")
                        .bind(tenant_id)
                        .bind(tags_json(tiers))
                        .execute(&self.write)
                        .await
                        .map_err(sql::classify("tenant"))?;
                    Ok(())
                }
            }
        };
    };
}

pub(in crate::store) use impl_groups;
