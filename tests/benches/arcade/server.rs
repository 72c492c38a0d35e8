//! The Arcade server under test, in this process on a 127.0.0.1 port,
//! and the few API calls that set a run up.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, ensure};
use arcade_host::sandbox::SandboxConfig;
use arcade_host::store::Store;
use serde_json::{Value, json};

use crate::{ADMIN, SECRET};

/// Another tenant's keys and group.
pub struct Tenant {
    /// Its id.
    pub id: String,
    /// Its operator key.
    pub operator: String,
    /// Its platform key.
    pub platform: String,
    group: String,
}

/// A running server and a tenant with a group on it.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The tenant's id.
    pub tenant_id: String,
    /// The tenant's operator key.
    pub operator: String,
    /// The tenant's platform key (the one actions use).
    pub platform: String,
    group: String,
    /// The service itself, for what the bench drives directly.
    pub arcade: Arc<arcade_host::service::Arcade>,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serve over `store`, started the way the tests' harness does, and
    /// create a tenant, its keys and a group.
    pub async fn start(store: Arc<dyn Store>) -> anyhow::Result<Server> {
        let arcade =
            arcade_host::server::assemble(store, SandboxConfig::default(), ADMIN, Some(SECRET))
                .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let served = arcade.clone();
        let task = tokio::spawn(async move {
            let forever = std::future::pending();
            arcade_host::server::serve_on(listener, served, Default::default(), forever)
                .await
                .expect("serve");
        });
        let mut server = Server {
            addr,
            tenant_id: String::new(),
            operator: String::new(),
            platform: String::new(),
            group: String::new(),
            arcade,
            client: reqwest::Client::new(),
            task,
        };
        let t = server.tenant("bench").await?;
        (
            server.tenant_id,
            server.operator,
            server.platform,
            server.group,
        ) = (t.id, t.operator, t.platform, t.group);
        Ok(server)
    }

    /// Create a tenant, its operator and platform keys, and a group.
    pub async fn tenant(&self, name: &str) -> anyhow::Result<Tenant> {
        let tenant = self
            .post(ADMIN, "/v1/tenants", json!({"name": name}))
            .await?;
        let tenant = tenant["id"].as_str().context("tenant id")?.to_owned();
        let keys = format!("/v1/tenants/{tenant}/keys");
        let key = |v: Value| v["key"].as_str().map(str::to_owned).context("key");
        let operator = key(self.post(ADMIN, &keys, json!({"role": "operator"})).await?)?;
        let platform = key(self.post(ADMIN, &keys, json!({"role": "platform"})).await?)?;
        let group = self
            .post(&operator, "/v1/groups", json!({"name": "fans"}))
            .await?;
        let group = group["id"].as_str().context("group id")?.to_owned();
        Ok(Tenant {
            id: tenant,
            operator,
            platform,
            group,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// POST JSON; an error unless 2xx.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let resp = self
            .client
            .post(format!("http://{}{path}", self.addr))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        ensure!(status.is_success(), "POST {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// GET JSON; an error unless 2xx.
    pub async fn get(&self, token: &str, path: &str) -> anyhow::Result<Value> {
        let resp = self
            .client
            .get(format!("http://{}{path}", self.addr))
            .bearer_auth(token)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        ensure!(status.is_success(), "GET {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// Upload a plugin component.
    pub async fn upload(&self, wasm: Vec<u8>) -> anyhow::Result<()> {
        let resp = self
            .client
            .post(format!("http://{}/v1/plugins", self.addr))
            .bearer_auth(ADMIN)
            .header("content-type", "application/wasm")
            .body(wasm)
            .send()
            .await?;
        let status = resp.status();
        ensure!(
            status.is_success(),
            "upload: {status} {}",
            resp.text().await?
        );
        Ok(())
    }

    /// Create an activity in the tenant's group; returns its id.
    pub async fn activity(&self, plugin: &str, config: Value) -> anyhow::Result<String> {
        let body = json!({"group_id": self.group, "plugin": plugin, "config": config});
        let activity = self.post(&self.operator, "/v1/activities", body).await?;
        Ok(activity["id"].as_str().context("activity id")?.to_owned())
    }

    /// Create an activity in another tenant's group; returns its id.
    pub async fn activity_for(
        &self,
        t: &Tenant,
        plugin: &str,
        config: Value,
    ) -> anyhow::Result<String> {
        let body = json!({"group_id": t.group, "plugin": plugin, "config": config});
        let activity = self.post(&t.operator, "/v1/activities", body).await?;
        Ok(activity["id"].as_str().context("activity id")?.to_owned())
    }

    /// The path actions on `activity` are posted to.
    pub fn actions_path(activity: &str) -> String {
        format!("/v1/activities/{activity}/actions")
    }

    /// Stock left in `pool`, from the operator's activity view.
    pub async fn stock(&self, activity: &str, pool: &str) -> anyhow::Result<i64> {
        let view = self
            .get(&self.operator, &format!("/v1/activities/{activity}"))
            .await?;
        view["stock"]
            .as_array()
            .and_then(|pools| pools.iter().find(|p| p["pool"] == pool))
            .and_then(|p| p["remaining"].as_i64())
            .with_context(|| format!("stock of {pool} in the activity view"))
    }

    /// The mechanic's view of `activity` for `user`.
    pub async fn view(&self, activity: &str, user: &str) -> anyhow::Result<Value> {
        let path = format!("/v1/activities/{activity}/view?user_id={user}");
        self.get(&self.platform, &path).await
    }
}
