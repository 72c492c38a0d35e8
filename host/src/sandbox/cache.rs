//! Compile once: compiled plugins kept in memory by the sha256 of their
//! component bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::Plugin;

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Validated plugins by the sha256 of their bytes.
#[derive(Default)]
pub(crate) struct PluginCache {
    compiled: Mutex<HashMap<String, Arc<Plugin>>>,
}

impl PluginCache {
    /// The plugin with this sha256, if compiled already.
    pub(crate) fn get(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.compiled
            .lock()
            .expect("cache lock")
            .get(sha256)
            .cloned()
    }

    /// Keep `plugin`.
    pub(crate) fn insert(&self, plugin: Arc<Plugin>) {
        self.compiled
            .lock()
            .expect("cache lock")
            .insert(plugin.sha256.clone(), plugin);
    }
}
