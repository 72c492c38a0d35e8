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

/// The user ids of a JSON array bound as `$2`, as rows of column `u`.
pub(in crate::store) fn json_users(backend: &str) -> &'static str {
    if backend == "sqlite" {
        "SELECT value AS u FROM json_each($2)"
    } else {
        "SELECT jsonb_array_elements_text($2::jsonb) AS u"
    }
}

/// Expands, for `$store` on database `$db` (`$backend` names it), the
/// inherent methods behind [`Store`](crate::store::Store)'s group, member
/// and tier methods.
macro_rules! impl_groups {
    ($store:ty, $db:ty, $backend:literal) => {
        const _: () = {
            use std::collections::{BTreeMap, BTreeSet};

            use $crate::store::sql::{
                self,
                groups::{GROUP_COLUMNS, GroupRow, json_users, tags_json},
            };
            use $crate::store::{Group, MemberEvent, MemberEventKind, StoreResult};

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

                async fn sql_apply_member_events(
                    &self,
                    tenant_id: &str,
                    id: &str,
                    events: &[MemberEvent],
                    at: i64,
                ) -> StoreResult<Option<(Group, usize)>> {
                    let users = json_users($backend);
                    let list = |ids: &[&str]| serde_json::to_string(ids).expect("ids serialize");
                    let mut tx = self.begin_write().await?;
                    // The group's row lock first: batches for one group
                    // apply one after the other.
                    let locked: Option<(Option<i64>,)> = sqlx::query_as::<$db, (Option<i64>,)>(
                        "UPDATE groups SET members = members \
                         WHERE tenant_id = $1 AND id = $2 RETURNING members",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((mut members,)) = locked else {
                        tx.rollback().await?;
                        return Ok(None);
                    };
                    let named: BTreeSet<&str> = events.iter().map(|e| e.user_id.as_str()).collect();
                    let named: Vec<&str> = named.into_iter().collect();
                    let before: BTreeSet<String> = if named.is_empty() {
                        BTreeSet::new()
                    } else {
                        sqlx::query_as::<$db, (String,)>(&format!(
                            "SELECT user_id FROM group_members \
                             WHERE group_id = $1 AND user_id IN ({users})"
                        ))
                        .bind(id)
                        .bind(list(&named))
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .map(|(u,)| u)
                        .collect()
                    };
                    // Replayed in order: only an event that flips a user's
                    // membership moves the count.
                    let mut member: BTreeMap<&str, bool> =
                        named.iter().map(|u| (*u, before.contains(*u))).collect();
                    let mut changed = 0;
                    for e in events {
                        let joined = e.kind == MemberEventKind::Joined;
                        let now = member
                            .get_mut(e.user_id.as_str())
                            .expect("every user is named");
                        if *now == joined {
                            continue;
                        }
                        *now = joined;
                        changed += 1;
                        let n = members.unwrap_or(0);
                        // A PUT may have set the count below the set's size.
                        members = Some(if joined { n + 1 } else { (n - 1).max(0) });
                    }
                    if changed > 0 {
                        let flipped = |to: bool| -> Vec<&str> {
                            member
                                .iter()
                                .filter(|(u, m)| **m == to && before.contains(**u) != to)
                                .map(|(u, _)| *u)
                                .collect()
                        };
                        let (joins, leaves) = (flipped(true), flipped(false));
                        if !joins.is_empty() {
                            sqlx::query::<$db>(&format!(
                                "INSERT INTO group_members (group_id, user_id, joined_at) \
                                 SELECT $1, u, $3 FROM ({users}) t WHERE true \
                                 ON CONFLICT DO NOTHING"
                            ))
                            .bind(id)
                            .bind(list(&joins))
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                        }
                        if !leaves.is_empty() {
                            sqlx::query::<$db>(&format!(
                                "DELETE FROM group_members \
                                 WHERE group_id = $1 AND user_id IN ({users})"
                            ))
                            .bind(id)
                            .bind(list(&leaves))
                            .execute(&mut *tx)
                            .await?;
                        }
                        sqlx::query::<$db>(
                            "UPDATE groups SET members = $3, members_at = $4 \
                             WHERE tenant_id = $1 AND id = $2",
                        )
                        .bind(tenant_id)
                        .bind(id)
                        .bind(members)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let row = sqlx::query_as::<$db, GroupRow>(&format!(
                        "SELECT {GROUP_COLUMNS} FROM groups WHERE tenant_id = $1 AND id = $2"
                    ))
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Some((Group::from(row), changed)))
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
