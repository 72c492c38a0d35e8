//! The HTTP server's timeouts, connection cap, graceful shutdown and
//! router-level JSON errors, over real TCP on 127.0.0.1 with raw bytes
//! where a well-behaved client would hide the behaviour.

mod connections;
mod errors;
mod shutdown;
mod timeouts;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arcade_host::server::ServeConfig;
use arcade_host::service::{Arcade, NewActivity};
use arcade_host::store::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::harness::{ADMIN, SECRET};
use crate::support::Db;

/// A server started through `serve_on` with a test configuration.
pub struct Hardened {
    pub addr: SocketAddr,
    pub arcade: Arc<Arcade>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Drop for Hardened {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Hardened {
    pub async fn start(db: &Db, config: ServeConfig) -> Hardened {
        let store = db.store().await;
        let sandbox = crate::support::with_plugin_cache(Default::default());
        let arcade = arcade_host::server::assemble(store, sandbox, ADMIN, Some(SECRET))
            .await
            .expect("assemble arcade");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(arcade_host::server::serve_on(
            listener,
            arcade.clone(),
            config,
            async move {
                let _ = stopped.await;
            },
        ));
        Hardened {
            addr,
            arcade,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Begin graceful shutdown; the returned handle ends when the server
    /// has returned.
    pub fn shut_down(&mut self) -> JoinHandle<std::io::Result<()>> {
        let _ = self.stop.take().expect("not shut down yet").send(());
        self.task.take().expect("running")
    }

    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.expect("connect")
    }

    /// A tenant with a platform key and an activity of the hostile test
    /// plugin; returns (tenant id, platform key, activity id).
    pub async fn hostile_activity(&self) -> (String, String, String) {
        let a = &self.arcade;
        let wasm = std::fs::read(env!("HOSTILE_WASM")).expect("hostile plugin built");
        a.upload_plugin(wasm).await.expect("upload hostile");
        let tenant = a.create_tenant("hardening").await.unwrap();
        let key = a.create_api_key(&tenant, Role::Platform).await.unwrap();
        let group = a
            .create_group(&tenant, arcade_host::service::NewGroup::named("fans"))
            .await
            .unwrap();
        let new: NewActivity = serde_json::from_value(json!({
            "group_id": group.id, "plugin": "hostile", "config": {}
        }))
        .unwrap();
        let activity = a.create_activity(&tenant, new, "test").await.unwrap();
        (tenant, key, activity.id)
    }
}

/// A config with every limit generous, for tests to tighten one.
pub fn relaxed() -> ServeConfig {
    ServeConfig {
        header_timeout: Duration::from_secs(30),
        body_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(60),
        max_connections: 1024,
        drain_timeout: Duration::from_secs(10),
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl RawReply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read one response (head, then `Content-Length` bytes of body) from
/// `stream`, within `within`.
pub async fn read_reply(stream: &mut TcpStream, within: Duration) -> RawReply {
    tokio::time::timeout(within, read_reply_inner(stream))
        .await
        .expect("a response in time")
}

async fn read_reply_inner(stream: &mut TcpStream) -> RawReply {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head_len) = resp.parse(&buf).expect("valid response") {
            let status = resp.code.unwrap();
            let headers: Vec<(String, String)> = resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            while buf.len() < head_len + len {
                let n = stream.read(&mut chunk).await.expect("read body");
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            let text = String::from_utf8_lossy(&buf[head_len..head_len + len]).into_owned();
            return RawReply {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::Null),
                text,
            };
        }
        let n = stream.read(&mut chunk).await.expect("read head");
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Wait until the peer closes `stream` (EOF or reset), up to `within`;
/// returns how long that took, or `None` if it stayed open.
pub async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| started.elapsed())
}

/// Send a whole request.
pub async fn send(stream: &mut TcpStream, request: &str) {
    stream.write_all(request.as_bytes()).await.expect("write");
}

/// `GET path` with keep-alive.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: arcade\r\n\r\n")
}
