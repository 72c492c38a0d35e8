//! What the accept loop knows about each open connection: whether a
//! request is in flight, since when it has been idle, whether a request
//! head has started arriving; and the registry that picks the connection
//! to evict when the cap is reached.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Why a connection's watchdog wants it closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A request head started arriving and did not finish in time.
    Header,
    /// No request for the idle timeout.
    Idle,
}

/// One connection's state, shared by its task, its I/O and its requests.
#[derive(Debug)]
pub struct ConnState {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds since `epoch` when the connection last became idle.
    idle_since: AtomicU64,
    /// Milliseconds since `epoch`, plus one, when the first byte of the
    /// next request head arrived; zero while none has.
    head_since: AtomicU64,
    close: AtomicBool,
    /// Woken on every change the watchdog must see.
    pub wake: Notify,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        let now = epoch.elapsed().as_millis() as u64;
        ConnState {
            epoch,
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(now),
            head_since: AtomicU64::new(0),
            close: AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Requests being handled or whose response is still being sent.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Whether the accept loop or shutdown asked this connection to close.
    pub fn close_requested(&self) -> bool {
        self.close.load(Ordering::Acquire)
    }

    /// Ask the connection to close: at once if idle, else after its
    /// requests in flight are answered.
    pub fn request_close(&self) {
        self.close.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// The next deadline while no request is in flight: the header timeout
    /// once a head has started, else the idle timeout.
    pub fn deadline(&self, header: Duration, idle: Duration) -> Option<(Instant, Expiry)> {
        if self.in_flight() > 0 {
            return None;
        }
        let at = |ms: u64, d: Duration| self.epoch + Duration::from_millis(ms) + d;
        match self.head_since.load(Ordering::Acquire) {
            0 => Some((
                at(self.idle_since.load(Ordering::Acquire), idle),
                Expiry::Idle,
            )),
            started => Some((at(started - 1, header), Expiry::Header)),
        }
    }

    /// Bytes arrived: if nothing is in flight, a request head has begun.
    fn on_read(&self) {
        if self.in_flight() == 0 && self.head_since.load(Ordering::Acquire) == 0 {
            self.head_since.store(self.now() + 1, Ordering::Release);
            self.wake.notify_one();
        }
    }
}

/// A request in flight on a connection; dropped once its response body
/// has been handed to the connection in full (or abandoned).
#[derive(Debug)]
pub struct Busy(Arc<ConnState>);

impl Busy {
    /// Mark a request as dispatched: its head is complete.
    pub fn enter(state: &Arc<ConnState>) -> Busy {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        state.head_since.store(0, Ordering::Release);
        Busy(state.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let s = &self.0;
        s.idle_since.store(s.now(), Ordering::Release);
        s.in_flight.fetch_sub(1, Ordering::AcqRel);
        s.wake.notify_one();
    }
}

/// The open connections, for eviction and shutdown.
#[derive(Debug)]
pub struct Registry {
    epoch: Instant,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        }
    }
}

impl Registry {
    /// Register a new connection; it leaves the registry when the returned
    /// handle is dropped.
    pub fn open(self: &Arc<Self>) -> Registered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState::new(self.epoch));
        self.lock().insert(id, state.clone());
        Registered {
            registry: self.clone(),
            id,
            state,
        }
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Ask the connection idle the longest (no request in flight, not
    /// already closing) to close. Returns whether there was one.
    pub fn evict_idlest(&self) -> bool {
        let conns = self.lock();
        let victim = conns
            .values()
            .filter(|c| c.in_flight() == 0 && !c.close_requested())
            .min_by_key(|c| c.idle_since.load(Ordering::Acquire));
        match victim {
            Some(c) => {
                c.request_close();
                true
            }
            None => false,
        }
    }

    /// Ask every connection to close (graceful shutdown).
    pub fn close_all(&self) {
        for c in self.lock().values() {
            c.request_close();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        // A panic while holding this lock leaves the map consistent.
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A connection's place in the registry.
#[derive(Debug)]
pub struct Registered {
    registry: Arc<Registry>,
    id: u64,
    /// The connection's state.
    pub state: Arc<ConnState>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// A socket that tells its [`ConnState`] when bytes arrive.
#[derive(Debug)]
pub struct Tracked<T> {
    io: T,
    state: Arc<ConnState>,
}

impl<T> Tracked<T> {
    /// Wrap `io`.
    pub fn new(io: T, state: Arc<ConnState>) -> Self {
        Tracked { io, state }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.on_read();
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
