//! The HTTP server: our own accept loop over hyper's connection builder,
//! with header, body and idle timeouts, a connection cap that evicts the
//! longest-idle connection, and graceful shutdown with a drain deadline.
//!
//! hyper's own `header_read_timeout` is not used: it also runs while a
//! keep-alive connection waits for its next request, so it cannot give a
//! header timeout shorter than the idle timeout. Each connection's task
//! keeps both deadlines itself instead (see [`super::conn`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Version};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::body::{HeldBody, TimedBody};
use super::conn::{Busy, Expiry, Registered, Registry, Tracked};
use super::guard;

/// Timeouts and limits of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// From the first byte of a request to the end of its headers; the
    /// connection is closed when it passes.
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body; `408
    /// body_timeout` when it passes.
    pub body_timeout: Duration,
    /// How long a connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Open connections at most; at the cap the longest-idle one is closed
    /// to admit a new one.
    pub max_connections: usize,
    /// On shutdown, how long requests in flight may take to finish.
    pub drain_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            max_connections: 4096,
            drain_timeout: Duration::from_secs(20),
        }
    }
}

/// hyper refuses, with a bare 431, a request head above this size; the
/// router's own, smaller limits answer in JSON first.
const HEAD_BUFFER_BYTES: usize = 64 << 10;
/// hyper refuses, with a bare 431, more header fields than this.
const HEAD_MAX_FIELDS: usize = 2 * guard::MAX_HEADER_COUNT;
/// How often a new connection that waits for a slot retries eviction.
const SLOT_RETRY: Duration = Duration::from_millis(50);

/// Serve `router` on `listener` until `shutdown` resolves; then stop
/// accepting, let requests in flight finish within the drain timeout, and
/// return.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let config = Arc::new(config);
    let registry = Arc::new(Registry::default());
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let builder = Arc::new(builder());
    let mut tasks = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before
                    // accept: keep serving the connections we have.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while tasks.try_join_next().is_some() {}
        let Some(slot) = take_slot(&slots, &registry, config.header_timeout).await else {
            tracing::warn!(%peer, "every connection is busy; closing a new one");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = registry.open();
        tasks.spawn(run(
            stream,
            slot,
            conn,
            router.clone(),
            builder.clone(),
            config.clone(),
        ));
    }
    drop(listener);
    let open = registry.len();
    tracing::info!(open, "stopped accepting; draining connections");
    registry.close_all();
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = registry.len(),
            "drain timeout passed; closing the remaining connections"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

/// A connection slot: free, or freed by evicting the longest-idle
/// connection. If every connection is busy, wait for one to finish, up to
/// `wait`.
async fn take_slot(
    slots: &Arc<Semaphore>,
    registry: &Registry,
    wait: Duration,
) -> Option<OwnedSemaphorePermit> {
    let give_up = tokio::time::Instant::now() + wait;
    loop {
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            return Some(slot);
        }
        registry.evict_idlest();
        let retry = (tokio::time::Instant::now() + SLOT_RETRY).min(give_up);
        match tokio::time::timeout_at(retry, slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => return Some(slot),
            Ok(Err(_closed)) => return None,
            Err(_) if retry >= give_up => return None,
            Err(_) => {}
        }
    }
}

fn builder() -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(HEAD_BUFFER_BYTES)
        .max_headers(HEAD_MAX_FIELDS);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(HEAD_BUFFER_BYTES as u32);
    b
}

/// One connection, from accept to close.
async fn run(
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    conn: Registered,
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    config: Arc<ServeConfig>,
) {
    let state = conn.state.clone();
    let io = TokioIo::new(Tracked::new(stream, state.clone()));
    let service = {
        let state = state.clone();
        let body_timeout = config.body_timeout;
        hyper::service::service_fn(move |req: Request<Incoming>| {
            handle(req, router.clone(), Busy::enter(&state), body_timeout)
        })
    };
    let mut http = pin!(builder.serve_connection(io, service));
    let mut closing = false;
    loop {
        let deadline = state.deadline(config.header_timeout, config.idle_timeout);
        let sleep = async {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            res = http.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = state.wake.notified() => {
                if state.close_requested() && !closing {
                    if state.in_flight() == 0 {
                        return;
                    }
                    // Answer what is in flight; hyper closes after it.
                    closing = true;
                    http.as_mut().graceful_shutdown();
                }
            }
            () = sleep => {
                // A request may have been dispatched since the deadline
                // was computed.
                let now = std::time::Instant::now();
                match state.deadline(config.header_timeout, config.idle_timeout) {
                    Some((at, Expiry::Header)) if at <= now => {
                        tracing::debug!("request headers timed out; closing");
                        return;
                    }
                    Some((at, Expiry::Idle)) if at <= now => return,
                    _ => {}
                }
            }
        }
    }
}

/// One request: the body under its deadline, the router, `408` if the
/// deadline passed while a handler read the body.
async fn handle(
    req: Request<Incoming>,
    router: Router,
    busy: Busy,
    body_timeout: Duration,
) -> Result<axum::response::Response<HeldBody>, Infallible> {
    let tripped = Arc::new(AtomicBool::new(false));
    let http1 = req.version() <= Version::HTTP_11;
    let req = req.map(|b| Body::new(TimedBody::new(b, body_timeout, tripped.clone())));
    let resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let resp = if tripped.load(Ordering::Acquire) {
        guard::body_timeout(body_timeout.as_millis(), http1)
    } else {
        resp
    };
    Ok(resp.map(|b| HeldBody::new(b, busy)))
}

/// File descriptors kept back from the connection cap for the store,
/// the listener, logs and plugins.
const RESERVED_FILES: u64 = 128;

/// Raise this process's open-file limit as far as allowed, and return
/// `max_connections` lowered, if need be, so that connections at the cap
/// cannot exhaust it.
pub fn fit_file_limit(max_connections: usize) -> usize {
    let want = (max_connections as u64).saturating_add(RESERVED_FILES + 1);
    let limit = match rlimit::increase_nofile_limit(want) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit");
            return max_connections;
        }
    };
    let fits = limit.saturating_sub(RESERVED_FILES).max(1);
    if (max_connections as u64) > fits {
        tracing::warn!(
            max_connections,
            file_limit = limit,
            lowered_to = fits,
            "the connection cap does not fit the open-file limit; lowering it"
        );
        return usize::try_from(fits).unwrap_or(max_connections);
    }
    max_connections
}
