//! Lazy reads for a running call: a team's state and the acting user's
//! balances are fetched from the store the first time the guest touches
//! them. The guest runs on a blocking thread, so the loader blocks on the
//! async store there. A failing read is the host's fault, reported as
//! such ([`HostFault`]), never blamed on the plugin.

use std::sync::Arc;

use crate::sandbox::{HostFault, Loader, Overloaded};
use crate::store::{StateEntry, Store, StoreError};

/// Fetches from the store on behalf of one call.
pub(crate) struct StoreLoader {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) tenant_id: String,
    pub(crate) activity_id: String,
    pub(crate) user_id: String,
}

impl Loader for StoreLoader {
    fn scope(&mut self, scope_key: &str) -> Result<Vec<StateEntry>, HostFault> {
        self.runtime
            .block_on(self.store.scope_state(&self.activity_id, scope_key))
            .map_err(fault)
    }

    fn first_seen(&mut self) -> Result<Option<i64>, HostFault> {
        self.runtime
            .block_on(self.store.first_seen(&self.tenant_id, &self.user_id))
            .map_err(fault)
    }

    fn balances(&mut self) -> Result<Vec<(String, i64)>, HostFault> {
        self.runtime
            .block_on(self.store.balances(&self.tenant_id, &self.user_id))
            .map_err(fault)
    }
}

/// What a failed store read means for the call: an exhausted connection
/// pool is saturation (`overloaded`), anything else a storage failure.
fn fault(e: StoreError) -> HostFault {
    match e {
        StoreError::Database(sqlx::Error::PoolTimedOut) => HostFault::Overloaded(Overloaded {
            reason: "the database connection pool is exhausted",
            retry_after: std::time::Duration::from_secs(1),
        }),
        other => {
            tracing::error!(error = %other, "a store read failed during a plugin call");
            HostFault::Storage(other.to_string())
        }
    }
}
