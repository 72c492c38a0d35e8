//! Rate limits per API key. A tenant may have a limit (`per_second`
//! sustained, `burst` at once; none by default), set by the admin or the
//! tenant's owner; every key of the tenant gets its own bucket of that
//! size (governor's GCRA), on each replica. A request over it is refused
//! with `429 rate_limited` and `Retry-After`. Replicas read a tenant's
//! limit at most every [`LIMIT_TTL`], so a change reaches them all within
//! it.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use serde::{Deserialize, Serialize};

use super::{Arcade, Principal};
use crate::error::{Error, Result};

/// How long a replica trusts the limit it read for a tenant.
pub const LIMIT_TTL: Duration = Duration::from_secs(2);
/// Buckets kept before the idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;
/// Largest rate or burst accepted.
pub const MAX_RATE: u32 = 1_000_000;

/// A tenant's limit, per API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests at once after a quiet spell (default: `per_second`).
    #[serde(default)]
    pub burst: Option<u32>,
}

impl RateLimit {
    fn check(&self) -> Result<()> {
        let ok = |n: u32| (1..=MAX_RATE).contains(&n);
        if !ok(self.per_second) || !self.burst.is_none_or(ok) {
            return Err(Error::invalid(
                "invalid_rate_limit",
                format!("per_second and burst must be from 1 to {MAX_RATE}"),
            ));
        }
        Ok(())
    }

    fn quota(&self) -> Quota {
        let n = |v: u32| NonZeroU32::new(v).expect("checked when set");
        Quota::per_second(n(self.per_second)).allow_burst(n(self.burst.unwrap_or(self.per_second)))
    }
}

/// The buckets and the limits read, on this replica.
#[derive(Default)]
pub(crate) struct Limiters {
    tenants: Mutex<HashMap<String, (Option<RateLimit>, Instant)>>,
    keys: Mutex<HashMap<String, (RateLimit, Arc<DefaultDirectRateLimiter>)>>,
}

impl Arcade {
    /// A tenant's limit, from the store at most every [`LIMIT_TTL`].
    async fn tenant_limit(&self, tenant_id: &str) -> Result<Option<RateLimit>> {
        if let Some((limit, at)) = self.limiters.tenants.lock().expect("lock").get(tenant_id)
            && at.elapsed() < LIMIT_TTL
        {
            return Ok(*limit);
        }
        let stored = self.store.tenant_rate_limit(tenant_id).await?;
        let limit = stored.and_then(|s| serde_json::from_str::<RateLimit>(&s).ok());
        self.limiters
            .tenants
            .lock()
            .expect("lock")
            .insert(tenant_id.to_owned(), (limit, Instant::now()));
        Ok(limit)
    }

    /// Count a request of `who` against its key's bucket: `429
    /// rate_limited` over the tenant's limit. The admin is never limited.
    pub async fn check_rate(&self, who: &Principal) -> Result<()> {
        let Principal::Tenant {
            tenant_id, key_id, ..
        } = who
        else {
            return Ok(());
        };
        let Some(limit) = self.tenant_limit(tenant_id).await? else {
            return Ok(());
        };
        let bucket = {
            let mut keys = self.limiters.keys.lock().expect("lock");
            if keys.len() >= MAX_BUCKETS {
                keys.clear();
            }
            let entry = keys.entry(key_id.clone()).or_insert_with(|| {
                (
                    limit,
                    Arc::new(DefaultDirectRateLimiter::direct(limit.quota())),
                )
            });
            if entry.0 != limit {
                *entry = (
                    limit,
                    Arc::new(DefaultDirectRateLimiter::direct(limit.quota())),
                );
            }
            entry.1.clone()
        };
        bucket.check().map_err(|until| {
            let wait = until.wait_time_from(DefaultClock::default().now());
            Error::RateLimited(wait)
        })
    }

    /// Set (or with `None` remove) a tenant's limit per API key. It applies
    /// on this replica at once, on the others within [`LIMIT_TTL`].
    pub async fn set_rate_limit(&self, tenant_id: &str, limit: Option<RateLimit>) -> Result<()> {
        if let Some(l) = &limit {
            l.check()?;
        }
        let text = limit.map(|l| serde_json::to_string(&l).expect("a limit serializes"));
        if !self
            .store
            .set_tenant_rate_limit(tenant_id, text.as_deref())
            .await?
        {
            return Err(Error::not_found("tenant", tenant_id));
        }
        self.limiters
            .tenants
            .lock()
            .expect("lock")
            .insert(tenant_id.to_owned(), (limit, Instant::now()));
        Ok(())
    }

    /// A tenant's limit per API key (`null`: none).
    pub async fn rate_limit(&self, tenant_id: &str) -> Result<Option<RateLimit>> {
        self.require_tenant(tenant_id).await?;
        let stored = self.store.tenant_rate_limit(tenant_id).await?;
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()))
    }
}
