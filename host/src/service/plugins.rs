//! Plugin registry: uploads are compiled and validated before they are
//! accepted, and each version is immutable once stored.

use std::sync::Arc;

use serde::Serialize;

use super::{Arcade, blocking};
use crate::error::{Error, Result};
use crate::sandbox::{LimitOverrides, Limits, Manifest, Plugin, PluginFailure, sha256_hex};
use crate::store::{PluginRecord, StoreError};

/// A registered plugin version, as shown by the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PluginInfo {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Hex sha256 of the component.
    pub sha256: String,
    /// The `describe` manifest.
    pub manifest: serde_json::Value,
    /// Operator overrides of the plugin's limits.
    pub limit_overrides: LimitOverrides,
    /// The limits a call actually gets.
    pub effective_limits: Limits,
    /// Upload time (RFC 3339).
    pub created_at: String,
}

impl Arcade {
    fn plugin_info(&self, rec: &PluginRecord) -> PluginInfo {
        let overrides: LimitOverrides = serde_json::from_str(&rec.limits).unwrap_or_default();
        let manifest: serde_json::Value =
            serde_json::from_str(&rec.manifest).unwrap_or(serde_json::Value::Null);
        let budget = serde_json::from_value::<Manifest>(manifest.clone())
            .map(|m| m.budget)
            .unwrap_or_default();
        let effective_limits = self.sandbox.limits_for(&budget, &overrides);
        PluginInfo {
            name: rec.name.clone(),
            version: rec.version.clone(),
            sha256: rec.sha256.clone(),
            manifest,
            limit_overrides: overrides,
            effective_limits,
            created_at: crate::clock::to_rfc3339(rec.created_at),
        }
    }

    /// Compile, validate and register a component. Uploading the same bytes
    /// again is a no-op; other bytes under an existing name and version are
    /// refused, except in dev mode ([`Arcade::set_dev_mode`]), where they
    /// replace the stored ones and that version's activities move to them.
    /// Returns the plugin and whether it was newly stored.
    pub async fn upload_plugin(&self, wasm: Vec<u8>) -> Result<(PluginInfo, bool)> {
        if wasm.is_empty() {
            return Err(Error::invalid(
                "plugin_incompatible",
                "the body is empty; send the component bytes with Content-Type: application/wasm",
            ));
        }
        let sandbox = self.sandbox.clone();
        let (plugin, wasm) = blocking(move || (sandbox.load(&wasm), wasm)).await?;
        let plugin = plugin.map_err(|failure| match failure {
            PluginFailure::Incompatible(_) => {
                Error::invalid("plugin_incompatible", failure.to_string())
            }
            PluginFailure::Host(fault) => PluginFailure::Host(fault).into(),
            other => Error::invalid(other.code(), format!("describe failed: {other}")),
        })?;
        let rec = PluginRecord {
            name: plugin.manifest.name.clone(),
            version: plugin.manifest.version.clone(),
            sha256: plugin.sha256.clone(),
            manifest: serde_json::to_string(&plugin.manifest).expect("manifest serializes"),
            limits: "{}".into(),
            created_at: crate::clock::now_ms(),
        };
        match self.store.put_plugin(&rec, &wasm).await {
            Ok(()) => Ok((self.plugin_info(&rec), true)),
            Err(StoreError::Duplicate(_)) => {
                let existing = self
                    .store
                    .plugin(&rec.name, Some(&rec.version))
                    .await?
                    .ok_or_else(|| Error::Internal("plugin vanished".into()))?;
                if existing.sha256 == rec.sha256 {
                    Ok((self.plugin_info(&existing), false))
                } else if self.dev_mode.load(std::sync::atomic::Ordering::Relaxed) {
                    let moved = self.store.replace_plugin(&rec, &wasm).await?;
                    // Cached activities still hold the old component.
                    self.forget_all_activities();
                    tracing::info!(
                        plugin = %rec.name, version = %rec.version, sha256 = %rec.sha256,
                        activities = moved, "dev mode: plugin version replaced"
                    );
                    let rec = PluginRecord {
                        limits: existing.limits,
                        ..rec
                    };
                    Ok((self.plugin_info(&rec), true))
                } else {
                    Err(Error::conflict(
                        "plugin_version_exists",
                        format!(
                            "{} {} is already registered with other bytes (sha256 {}); \
                             released versions are immutable, bump the version",
                            rec.name, rec.version, existing.sha256
                        ),
                    ))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Register the plugins bundled with the binary, skipping versions
    /// already stored.
    pub async fn register_bundled(&self, bundled: &[(&str, &[u8])]) -> Result<()> {
        for (name, wasm) in bundled {
            let sha = sha256_hex(wasm);
            match self.upload_plugin(wasm.to_vec()).await {
                Ok((info, fresh)) => tracing::info!(
                    plugin = %info.name, version = %info.version, sha256 = %info.sha256,
                    fresh, "bundled plugin registered"
                ),
                Err(Error::Conflict { .. }) => tracing::warn!(
                    plugin = %name, sha256 = %sha,
                    "a different build of this bundled plugin version is already stored; keeping the stored one"
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Which activities use which plugin build, over every tenant:
    /// `(plugin sha256, tenant id, activity id)`. For the admin.
    pub async fn plugin_pins(&self) -> Result<Vec<(String, String, String)>> {
        Ok(self.store.plugin_pins().await?)
    }

    /// All registered plugin versions.
    pub async fn plugins(&self) -> Result<Vec<PluginInfo>> {
        let recs = self.store.plugins().await?;
        Ok(recs.iter().map(|r| self.plugin_info(r)).collect())
    }

    /// Set operator overrides of a plugin version's limits (clamped by the
    /// caps when used).
    pub async fn set_plugin_limits(
        &self,
        name: &str,
        version: &str,
        overrides: LimitOverrides,
    ) -> Result<PluginInfo> {
        if overrides.fuel == Some(0)
            || overrides.memory_bytes == Some(0)
            || overrides.timeout_ms == Some(0)
        {
            return Err(Error::invalid("invalid_limits", "limits must be positive"));
        }
        let json = serde_json::to_string(&overrides).expect("limits serialize");
        self.store
            .set_plugin_limits(name, version, &json)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => Error::not_found("plugin", &format!("{name}@{version}")),
                other => other.into(),
            })?;
        self.forget_all_activities();
        let rec = self
            .store
            .plugin(name, Some(version))
            .await?
            .ok_or_else(|| Error::not_found("plugin", name))?;
        Ok(self.plugin_info(&rec))
    }

    /// The compiled plugin with this hash, compiling it from the store on
    /// first use in this process.
    pub(crate) async fn compiled(&self, sha256: &str) -> Result<Arc<Plugin>> {
        if let Some(p) = self.sandbox.cached(sha256) {
            return Ok(p);
        }
        // A crowd's first requests all miss: one compiles, the rest wait.
        let _turn = self.loading.turn(&format!("plugin:{sha256}")).await;
        if let Some(p) = self.sandbox.cached(sha256) {
            return Ok(p);
        }
        let wasm = self
            .store
            .plugin_wasm(sha256)
            .await?
            .ok_or_else(|| Error::not_found("plugin", sha256))?;
        let sandbox = self.sandbox.clone();
        Ok(blocking(move || sandbox.load(&wasm)).await??)
    }
}
