//! The audit log: every change an operator, owner or the admin makes to a
//! tenant's groups, tiers, activities, rewards and keys, with who made it
//! and the request it came from. Written after the change succeeds; if
//! the write fails the caller gets the storage error rather than a quiet
//! success, so no change answered as done is missing from the log.

use serde::Serialize;
use serde_json::Value;

use super::{Arcade, Principal};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::store::AuditEntry;

/// Most entries in one page.
pub const MAX_AUDIT_PAGE: u32 = 500;

/// A page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page.
    pub next: Option<i64>,
}

impl Arcade {
    /// Record that `who` did `action` to `target` of `tenant_id`.
    pub async fn record_audit(
        &self,
        who: &Principal,
        tenant_id: &str,
        action: &str,
        target: &str,
        detail: Value,
    ) -> Result<()> {
        let (actor, role) = match who {
            Principal::Admin => ("admin".to_owned(), "admin".to_owned()),
            Principal::Tenant { key_id, role, .. } => (key_id.clone(), role.as_str().to_owned()),
        };
        let entry = AuditEntry {
            seq: 0,
            actor,
            role,
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.to_string(),
            created_at: now_ms(),
        };
        Ok(self.store.append_audit(tenant_id, &entry).await?)
    }

    /// The tenant's audit log after `after`, oldest first.
    pub async fn audit_log(
        &self,
        tenant_id: &str,
        after: Option<i64>,
        limit: Option<u32>,
    ) -> Result<AuditPage> {
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > MAX_AUDIT_PAGE {
            return Err(Error::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_AUDIT_PAGE}"),
            ));
        }
        let entries = self
            .store
            .audit(tenant_id, after.unwrap_or(0), i64::from(limit))
            .await?;
        let next = entries.last().map(|e| e.seq).or(after);
        Ok(AuditPage { entries, next })
    }
}
