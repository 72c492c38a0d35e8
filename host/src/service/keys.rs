//! API key management for the admin: issue, list, revoke, rotate. A key's
//! secret is shown once, when it is issued; afterwards it is known by its
//! public id and a short prefix of the secret.

use serde::Serialize;

use super::Arcade;
use super::auth::{generate_api_key, token_hash};
use crate::clock::to_rfc3339;
use crate::error::{Error, Result};
use crate::store::{KeyInfo, NewKey, Role};

/// Characters of a secret kept and shown to recognise it: `ak_` and 8 hex
/// digits (32 of the key's 256 random bits).
const PREFIX_LEN: usize = 11;

/// An API key as the admin sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": "01939a7e-1d3c-7e52-9f20-6d7e8f9a0b1c", "tenant_id": "01939a7e-0000-7000-8000-000000000001", "role": "platform", "label": "mini-program", "prefix": "ak_3f9c", "created_at": "2025-12-04T08:00:00Z", "revoked": false, "revoked_at": null}))]
pub struct KeyView {
    /// Public id, for revoking or rotating it.
    pub id: String,
    /// The tenant.
    pub tenant_id: String,
    /// What it may do.
    pub role: Role,
    /// Label given at creation.
    pub label: Option<String>,
    /// The start of the secret, to recognise it by (`null` for keys made
    /// before prefixes were kept).
    pub prefix: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Whether it has been revoked.
    pub revoked: bool,
    /// Revocation time (RFC 3339).
    pub revoked_at: Option<String>,
}

impl From<KeyInfo> for KeyView {
    fn from(k: KeyInfo) -> Self {
        KeyView {
            id: k.id,
            tenant_id: k.tenant_id,
            role: k.role,
            label: k.label,
            prefix: k.prefix,
            created_at: to_rfc3339(k.created_at),
            revoked: k.revoked_at.is_some(),
            revoked_at: k.revoked_at.map(to_rfc3339),
        }
    }
}

/// A newly issued key: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    /// The secret, for `Authorization: Bearer`.
    pub key: String,
    /// The key.
    #[serde(flatten)]
    pub view: KeyView,
}

fn new_key(tenant_id: &str, role: Role, label: Option<String>, now: i64) -> (String, NewKey) {
    let secret = generate_api_key();
    let key = NewKey {
        id: uuid::Uuid::now_v7().to_string(),
        hash: hex::encode(token_hash(&secret)),
        tenant_id: tenant_id.to_owned(),
        role,
        label,
        prefix: secret[..PREFIX_LEN].to_owned(),
        created_at: now,
    };
    (secret, key)
}

fn issued(secret: String, k: NewKey) -> IssuedKey {
    IssuedKey {
        key: secret,
        view: KeyView::from(KeyInfo {
            id: k.id,
            tenant_id: k.tenant_id,
            role: k.role,
            label: k.label,
            prefix: Some(k.prefix),
            created_at: k.created_at,
            revoked_at: None,
        }),
    }
}

impl Arcade {
    /// Issue a key for a tenant.
    pub async fn issue_api_key(
        &self,
        tenant_id: &str,
        role: Role,
        label: Option<&str>,
    ) -> Result<IssuedKey> {
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        if let Some(l) = label {
            crate::text::check("label", l)?;
            if l.chars().count() > 200 {
                return Err(Error::invalid(
                    "invalid_label",
                    "label must be at most 200 characters",
                ));
            }
        }
        self.require_tenant(tenant_id).await?;
        let (secret, key) = new_key(tenant_id, role, label.map(str::to_owned), self.now());
        self.store.insert_key(&key).await?;
        Ok(issued(secret, key))
    }

    /// A tenant's keys, oldest first, revoked ones included.
    pub async fn api_keys(&self, tenant_id: &str) -> Result<Vec<KeyView>> {
        self.require_tenant(tenant_id).await?;
        let keys = self.store.keys(tenant_id).await?;
        Ok(keys.into_iter().map(KeyView::from).collect())
    }

    /// Revoke a key. It stops working on this replica at once and on
    /// every other within the key cache's lifetime. Revoking twice is
    /// harmless and keeps the first time.
    pub async fn revoke_api_key(&self, tenant_id: &str, key_id: &str) -> Result<KeyView> {
        self.require_tenant(tenant_id).await?;
        let key = self
            .store
            .revoke_key(tenant_id, key_id, self.now())
            .await?
            .ok_or_else(|| Error::not_found("key", key_id))?;
        self.forget_keys();
        Ok(key.into())
    }

    /// Replace an active key by a new one with the same role and label,
    /// revoking the old one in the same transaction.
    pub async fn rotate_api_key(&self, tenant_id: &str, key_id: &str) -> Result<IssuedKey> {
        self.require_tenant(tenant_id).await?;
        let old = self
            .store
            .key(tenant_id, key_id)
            .await?
            .ok_or_else(|| Error::not_found("key", key_id))?;
        let (secret, key) = new_key(tenant_id, old.role, old.label, self.now());
        if !self.store.rotate_key(tenant_id, key_id, &key).await? {
            return Err(Error::conflict(
                "key_revoked",
                format!("key {key_id:?} is revoked; issue a new key instead"),
            ));
        }
        self.forget_keys();
        Ok(issued(secret, key))
    }

    pub(crate) async fn require_tenant(&self, tenant_id: &str) -> Result<()> {
        if self.store.tenant_exists(tenant_id).await? {
            Ok(())
        } else {
            Err(Error::not_found("tenant", tenant_id))
        }
    }
}
