//! Who is calling: the admin token or a tenant's API key. Keys are stored
//! as sha256 hashes; the plaintext is shown once, at creation.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Arcade;
use crate::error::{Error, Result};
use crate::store::Role;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Holds the admin token: manages tenants, keys and plugins.
    Admin,
    /// Holds a tenant key.
    Tenant {
        /// The key's public id.
        key_id: String,
        /// The tenant.
        tenant_id: String,
        /// What the key may do.
        role: Role,
    },
}

impl Principal {
    /// Who this is in records: the key's id, or `admin`.
    pub fn actor(&self) -> &str {
        match self {
            Principal::Admin => "admin",
            Principal::Tenant { key_id, .. } => key_id,
        }
    }

    /// Require the admin.
    pub fn admin(&self) -> Result<()> {
        match self {
            Principal::Admin => Ok(()),
            _ => Err(Error::Forbidden("this needs the admin token")),
        }
    }

    /// Require the admin token, or an owner key of `tenant_id` (a tenant's
    /// owner manages its own keys). Another tenant's owner gets
    /// `404 tenant_not_found`, as if the tenant did not exist.
    pub fn admin_or_owner_of(&self, tenant_id: &str) -> Result<()> {
        match self {
            Principal::Admin => Ok(()),
            Principal::Tenant {
                tenant_id: own,
                role: Role::Owner,
                ..
            } if own == tenant_id => Ok(()),
            Principal::Tenant {
                role: Role::Owner, ..
            } => Err(Error::not_found("tenant", tenant_id)),
            Principal::Tenant { .. } => Err(Error::Forbidden(
                "managing keys needs the admin token or an owner key of the tenant",
            )),
        }
    }

    /// Require a tenant key with one of `roles`; returns the tenant id.
    pub fn tenant(&self, roles: &[Role]) -> Result<&str> {
        match self {
            Principal::Tenant {
                tenant_id, role, ..
            } if roles.contains(role) => Ok(tenant_id),
            Principal::Tenant { .. } => Err(Error::Forbidden(
                "this key's role may not do this (owner and operator keys manage, analyst keys read, platform keys act)",
            )),
            Principal::Admin => Err(Error::Forbidden(
                "this needs a tenant key, not the admin token",
            )),
        }
    }
}

/// Default of [`Arcade::key_cache_ttl`].
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Cached keys beyond which expired entries are dropped.
const KEY_CACHE_ENTRIES: usize = 10_000;

pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random API key.
pub fn generate_api_key() -> String {
    format!("ak_{}", hex::encode(crate::randomness::generate_key()))
}

/// Compare hashes without leaking where they differ.
pub(super) fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Arcade {
    /// Resolve a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let hash = token_hash(token);
        if same(&hash, &self.admin_token_hash) {
            return Ok(Principal::Admin);
        }
        let hex_hash = hex::encode(hash);
        let ttl = self.key_cache_ttl();
        if let Some((key, at)) = self.keys.read().expect("lock").get(&hex_hash)
            && at.elapsed() < ttl
        {
            return Ok(Principal::Tenant {
                key_id: key.id.clone(),
                tenant_id: key.tenant_id.clone(),
                role: key.role,
            });
        }
        let Some(key) = self.store.api_key(&hex_hash).await? else {
            // Revoked or never issued: drop any stale copy.
            self.keys.write().expect("lock").remove(&hex_hash);
            return Err(Error::Unauthorized("unknown or revoked API key"));
        };
        let mut cache = self.keys.write().expect("lock");
        if cache.len() >= KEY_CACHE_ENTRIES {
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        cache.insert(hex_hash, (key.clone(), Instant::now()));
        drop(cache);
        Ok(Principal::Tenant {
            key_id: key.id,
            tenant_id: key.tenant_id,
            role: key.role,
        })
    }

    /// Create a tenant; returns its id.
    pub async fn create_tenant(&self, name: &str) -> Result<String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::invalid(
                "invalid_name",
                "name must be 1 to 200 characters",
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        self.store
            .create_tenant(&id, name, crate::clock::now_ms())
            .await?;
        Ok(id)
    }

    /// Create an unlabelled API key for a tenant; returns the plaintext
    /// key (see [`Arcade::issue_api_key`] for the rest).
    pub async fn create_api_key(&self, tenant_id: &str, role: Role) -> Result<String> {
        Ok(self.issue_api_key(tenant_id, role, None).await?.key)
    }

    /// How long a replica trusts a cached key: a key revoked through
    /// another replica stops working here within this time.
    pub fn key_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.key_cache_ttl_ms.load(Relaxed))
    }

    /// Set [`Arcade::key_cache_ttl`] (`ARCADE_KEY_CACHE_TTL_MS`).
    pub fn set_key_cache_ttl(&self, ttl: Duration) {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.key_cache_ttl_ms.store(ms, Relaxed);
        self.forget_keys();
    }

    /// Drop every cached key, so the next request of each is checked
    /// against the store.
    pub(super) fn forget_keys(&self) {
        self.keys.write().expect("lock").clear();
    }
}
