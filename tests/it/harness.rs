//! An Arcade server on a real 127.0.0.1 port over a real store, and a
//! small client for the API.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use arcade_host::sandbox::SandboxConfig;
use arcade_host::service::Arcade;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::Db;

/// The admin token of test servers.
pub const ADMIN: &str = "test-admin-token-0123456789";
/// The randomness secret of test servers.
pub const SECRET: [u8; 32] = [42; 32];

/// Generate one test per backend from `async fn name(db: Db)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::support::Db::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name($crate::support::Db::postgres().await).await
            }
        }
    )* };
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub arcade: Arc<Arcade>,
    pub db: Db,
    task: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        self.worker.abort();
    }
}

/// A response: status and JSON body (Null if the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The error code of an error reply.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Server {
    pub async fn start(db: Db) -> Server {
        Self::start_with(db, SandboxConfig::default()).await
    }

    pub async fn start_with(db: Db, sandbox: SandboxConfig) -> Server {
        let store = db.store().await;
        let sandbox = crate::support::with_plugin_cache(sandbox);
        let arcade = arcade_host::server::assemble(store, sandbox, ADMIN, Some(SECRET))
            .await
            .expect("assemble arcade");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let worker = tokio::spawn(arcade_host::service::timers::run_worker(arcade.clone()));
        let serving = arcade.clone();
        let task = tokio::spawn(async move {
            let forever = std::future::pending();
            arcade_host::server::serve_on(listener, serving, Default::default(), forever)
                .await
                .expect("serve");
        });
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        Server {
            addr,
            client,
            arcade,
            db,
            task,
            worker,
        }
    }

    /// Stop this server and start a new one on the same database, as after
    /// a crash or a deploy; its clock is `advance_ms` ahead of real time.
    pub async fn restart(self, advance_ms: i64) -> Server {
        let db = self.db.clone();
        drop(self);
        let next = Server::start(db).await;
        next.arcade.advance_clock(advance_ms);
        next
    }

    /// Wait until `check` holds, polling for up to 10 s.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..200 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// Every event of the tenant, following the cursor.
    pub async fn all_events(&self, t: &Tenant) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let r = self
                .get(&t.operator, &format!("/v1/events?limit=500&after={after}"))
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            let page = r.body["events"].as_array().unwrap().clone();
            if page.is_empty() {
                return out;
            }
            after = page.last().unwrap()["seq"].as_i64().unwrap();
            out.extend(page);
        }
    }

    /// One action with a payload.
    pub async fn act_with(
        &self,
        t: &Tenant,
        activity: &str,
        user: &str,
        action: &str,
        payload: Value,
    ) -> Reply {
        self.post(
            &t.platform,
            &format!("/v1/activities/{activity}/actions"),
            json!({"user_id": user, "action": action, "payload": payload}),
        )
        .await
    }

    /// The mechanic's view for a user.
    pub async fn view(&self, t: &Tenant, activity: &str, user: &str) -> Value {
        let r = self
            .get(
                &t.platform,
                &format!("/v1/activities/{activity}/view?user_id={user}"),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Send a request with a bearer token and optional JSON body.
    pub async fn send(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.send(token, Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(token, Method::POST, path, Some(body), &[]).await
    }

    /// A tenant with an operator key, a platform key and one group.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let r = self.post(ADMIN, "/v1/tenants", json!({"name": name})).await;
        assert_eq!(r.status, 201, "{r:?}");
        let id = r.body["id"].as_str().unwrap().to_owned();
        let key = |role: &'static str| {
            let path = format!("/v1/tenants/{id}/keys");
            async move {
                let r = self.post(ADMIN, &path, json!({"role": role})).await;
                assert_eq!(r.status, 201, "{r:?}");
                r.body["key"].as_str().unwrap().to_owned()
            }
        };
        let operator = key("operator").await;
        let platform = key("platform").await;
        let r = self
            .post(&operator, "/v1/groups", json!({"name": "fans"}))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        Tenant {
            id,
            operator,
            platform,
            group: r.body["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Create an activity; panics unless 201.
    pub async fn activity(&self, t: &Tenant, plugin: &str, config: Value) -> String {
        let r = self
            .create_activity(t, json!({"plugin": plugin, "config": config}))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// POST /v1/activities with the tenant's group filled in.
    pub async fn create_activity(&self, t: &Tenant, mut body: Value) -> Reply {
        body["group_id"] = json!(t.group);
        self.post(&t.operator, "/v1/activities", body).await
    }

    /// One action by a user.
    pub async fn act(&self, t: &Tenant, activity: &str, user: &str, action: &str) -> Reply {
        self.post(
            &t.platform,
            &format!("/v1/activities/{activity}/actions"),
            json!({"user_id": user, "action": action}),
        )
        .await
    }

    /// Every outcome of an activity, following the cursor.
    pub async fn all_outcomes(&self, t: &Tenant, activity: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/activities/{activity}/outcomes?limit=500");
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let r = self.get(&t.operator, &path).await;
            assert_eq!(r.status, 200, "{r:?}");
            out.extend(r.body["outcomes"].as_array().unwrap().iter().cloned());
            match r.body["next"].as_str() {
                Some(n) => after = Some(n.to_owned()),
                None => return out,
            }
        }
    }

    /// Stock left in a pool, from the operator's activity view.
    pub async fn stock(&self, t: &Tenant, activity: &str, pool: &str) -> i64 {
        let r = self
            .get(&t.operator, &format!("/v1/activities/{activity}"))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["stock"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["pool"] == pool)
            .unwrap_or_else(|| panic!("no pool {pool} in {}", r.text))["remaining"]
            .as_i64()
            .unwrap()
    }
}

/// A tenant's credentials and group.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub operator: String,
    pub platform: String,
    pub group: String,
}
