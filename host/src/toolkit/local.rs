//! A host of one plugin for the toolkit: the real service ([`Arcade`]) and
//! the real sandbox over a store of its own, with the component uploaded
//! and a tenant and a group ready. `plugin test` runs it in memory with a
//! frozen clock; `plugin run` and `dev` serve it over HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;

use super::session;
use crate::cli::ComponentArgs;
use crate::randomness::Key;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::service::{ActivityView, Arcade, NewActivity, NewGroup, PluginInfo};
use crate::store::Store;

/// The service with the plugin registered, one tenant and one group.
pub(super) struct LocalHost {
    pub arcade: Arc<Arcade>,
    pub tenant: String,
    pub group: String,
    pub plugin: PluginInfo,
}

/// How to set the service up before anything is stored.
#[derive(Default)]
pub(super) struct Setup {
    /// The randomness secret (default: generated and kept in the store).
    pub secret: Option<Key>,
    /// Freeze the clock here and make ids from a sequence (`plugin test`).
    pub scripted_from: Option<i64>,
    /// Let a re-upload replace the version (`plugin dev`).
    pub dev_mode: bool,
}

impl LocalHost {
    /// Assemble the service on `store`, upload `wasm`, make the tenant
    /// and the group.
    pub(super) async fn start(
        store: Arc<dyn Store>,
        sandbox: Arc<Sandbox>,
        wasm: Vec<u8>,
        admin_token: &str,
        setup: Setup,
    ) -> anyhow::Result<Self> {
        let arcade = Arc::new(Arcade::new(store, sandbox, admin_token, setup.secret).await?);
        if let Some(start) = setup.scripted_from {
            arcade.freeze_clock(Some(start));
            arcade.script_ids();
        }
        arcade.set_dev_mode(setup.dev_mode);
        let (plugin, _) = arcade
            .upload_plugin(wasm)
            .await
            .context("the host refused the component")?;
        let tenant = arcade.create_tenant("local").await?;
        let group = arcade
            .create_group(&tenant, NewGroup::named("local"))
            .await?
            .id;
        Ok(LocalHost {
            arcade,
            tenant,
            group,
            plugin,
        })
    }

    /// An activity of the plugin in the group.
    pub(super) async fn create_activity(
        &self,
        config: Value,
        timezone: Option<String>,
        starts_at: Option<String>,
        ends_at: Option<String>,
    ) -> anyhow::Result<ActivityView> {
        let new = NewActivity {
            group_id: self.group.clone(),
            plugin: self.plugin.name.clone(),
            plugin_version: Some(self.plugin.version.clone()),
            config,
            timezone,
            starts_at,
            ends_at,
            costs: Default::default(),
            budget_fen: None,
            audience: None,
            accept_over_budget: false,
        };
        self.arcade
            .create_activity(&self.tenant, new, "arcade-plugin")
            .await
            .context("creating the activity")
    }
}

/// A sandbox with the service's default limits, keeping compiled
/// components in `cache_dir` when given.
pub(super) fn sandbox(cache_dir: Option<PathBuf>) -> anyhow::Result<Arc<Sandbox>> {
    Ok(Arc::new(Sandbox::new(SandboxConfig {
        cache_dir,
        ..SandboxConfig::default()
    })?))
}

/// The component to work on: `--component`, or the crate built as
/// `arcade plugin build` builds it (blocking). Returns its path.
pub(super) fn component(args: &ComponentArgs) -> anyhow::Result<PathBuf> {
    match &args.component {
        Some(file) => {
            anyhow::ensure!(file.is_file(), "no component file {}", file.display());
            Ok(file.clone())
        }
        None => super::build(&crate::cli::PluginBuildArgs {
            dir: args.dir.clone(),
            target: None,
        }),
    }
}

/// Where compiled components are kept between runs of a built crate:
/// beside the component, in the crate's target directory (`cargo clean`
/// clears them with the builds they came from).
pub(super) fn cache_dir(component: &Path) -> Option<PathBuf> {
    component.parent().map(|d| d.join("arcade-cache"))
}

/// The config for `run` and `dev`: `--config`, else the crate's
/// `config.json`, else the config of its first session.
pub(super) fn run_config(dir: &Path, given: Option<&Path>) -> anyhow::Result<(Value, String)> {
    let read = |path: &Path| -> anyhow::Result<Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
    };
    if let Some(path) = given {
        return Ok((read(path)?, path.display().to_string()));
    }
    let file = dir.join("config.json");
    if file.is_file() {
        return Ok((read(&file)?, file.display().to_string()));
    }
    let sessions = dir.join("sessions");
    if let Some(first) = session::discover(&sessions)
        .ok()
        .and_then(|s| s.into_iter().next())
    {
        let config = session::load(&first)?.config;
        return Ok((config, format!("{} (its config)", first.display())));
    }
    anyhow::bail!(
        "no config: pass --config FILE, or put a config.json or a session in {}",
        dir.display()
    )
}
