//! Lazy reads for a running call: a team's state and the acting user's
//! balances are fetched from the store the first time the guest touches
//! them. The guest runs on a blocking thread, so the loader blocks on the
//! async store there.

use std::sync::Arc;

use crate::sandbox::Loader;
use crate::store::{StateEntry, Store};

/// Fetches from the store on behalf of one call.
pub(crate) struct StoreLoader {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) tenant_id: String,
    pub(crate) activity_id: String,
    pub(crate) user_id: String,
}

impl Loader for StoreLoader {
    fn scope(&mut self, scope_key: &str) -> Result<Vec<StateEntry>, String> {
        self.runtime
            .block_on(self.store.scope_state(&self.activity_id, scope_key))
            .map_err(|e| e.to_string())
    }

    fn first_seen(&mut self) -> Result<Option<i64>, String> {
        self.runtime
            .block_on(self.store.first_seen(&self.tenant_id, &self.user_id))
            .map_err(|e| e.to_string())
    }

    fn balances(&mut self) -> Result<Vec<(String, i64)>, String> {
        self.runtime
            .block_on(self.store.balances(&self.tenant_id, &self.user_id))
            .map_err(|e| e.to_string())
    }
}
