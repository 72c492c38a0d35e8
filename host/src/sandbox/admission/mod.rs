//! Admission control and per-tenant fair share of sandbox time.
//!
//! A bounded number of calls run at once (`slots`); the rest wait in one
//! queue per tenant, and the whole waiting room is bounded in size and in
//! time. A call that cannot get in is refused with [`Overloaded`] (HTTP
//! `503 overloaded` with `Retry-After`), a host condition that never
//! blames the plugin.
//!
//! Fair share: every tenant has a virtual time, the sandbox time its calls
//! have used. A free slot goes to the waiting tenant with the least
//! virtual time, so a tenant whose calls run long (a loop killed by fuel
//! or the deadline) is served after tenants whose calls are cheap. A
//! tenant arriving after a quiet spell starts at the least virtual time of
//! the active tenants, so idleness earns no credit. One tenant holds at
//! most `per_tenant` slots.
//!
//! Bounded lead: while other tenants are active (a call of theirs ran or
//! waited within [`ACTIVE_WINDOW`]), a tenant may run only while its
//! virtual time is at most [`MAX_LEAD`] ahead of the least-served of them.
//! So beside a tenant of cheap calls, a tenant of expensive ones gets
//! about as much sandbox time as its neighbour uses, not every core the
//! neighbour leaves idle: a sandbox call competes for the CPU with the
//! neighbour's request handling and commits, not only with its calls.
//! Alone, a tenant is limited only by `per_tenant`.
//!
//! A long call checks in every [`SLICE`] of guest time (from the epoch
//! deadline callback): if its tenant is past its lead, or a tenant with
//! less virtual time is waiting, it gives its slot up and waits to be
//! scheduled again; that wait does not count against its deadline.
//!
//! Long calls pay more: once a call runs past its first slice, all its
//! time is charged [`LONG_CALL_WEIGHT`] times over (the way an operating
//! system's feedback queue demotes a task that uses up its slices). A
//! lucky draw runs in tens of microseconds, and most of the cost of
//! serving it is outside the sandbox (HTTP, the commit), so an equal
//! share of sandbox time would still let a tenant of looping calls take
//! a core the neighbour needs for the rest of its requests. Beside cheap
//! calls, a tenant of long ones gets about an eighth of their sandbox
//! time; alone, it is limited only by `per_tenant`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Guest time between two check-ins of a running call.
pub const SLICE: Duration = Duration::from_millis(4);

/// How long after its last call a tenant still counts as active.
pub const ACTIVE_WINDOW: Duration = Duration::from_millis(250);

/// How far a tenant's sandbox time may run ahead of the least-served
/// active tenant's.
pub const MAX_LEAD: Duration = Duration::from_millis(10);

/// How many times over a long call's time is charged: all of it, once the
/// call has run past its first [`SLICE`].
pub const LONG_CALL_WEIGHT: u32 = 8;

/// How often waiters are reconsidered when nothing else happens (a
/// neighbour going quiet lets a throttled tenant run again).
const TICK: Duration = Duration::from_millis(5);

/// Admission settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Calls that run at once.
    pub slots: usize,
    /// Slots one tenant may hold at once.
    pub per_tenant: usize,
    /// Calls that may wait for a slot, all tenants together; one tenant
    /// may fill at most half of it.
    pub max_queued: usize,
    /// Longest a call waits for a slot before it is refused.
    pub max_wait: Duration,
}

impl AdmissionConfig {
    /// Defaults for this machine: two running calls per CPU (a call is
    /// CPU-bound; more would only share the same cores), half of them for
    /// one tenant, 8,192 waiting (a flash crowd of thousands on one
    /// activity waits its turn rather than being refused), 5 s at most.
    pub fn for_this_machine() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let slots = (2 * cpus).max(2);
        AdmissionConfig {
            slots,
            per_tenant: (slots / 2).max(1),
            max_queued: 8192,
            max_wait: Duration::from_secs(5),
        }
    }
}

/// The sandbox is saturated: the call was not run. Retrying later works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox is saturated ({reason}); retry after {} s", .retry_after.as_secs())]
pub struct Overloaded {
    /// What was full.
    pub reason: &'static str,
    /// When a retry is likely to be admitted.
    pub retry_after: Duration,
}

/// A granted slot. Dropping it frees the slot and charges the tenant for
/// the time it was held.
pub struct Permit {
    admission: Arc<Admission>,
    tenant: Arc<str>,
    since: Instant,
    /// Charged at [`LONG_CALL_WEIGHT`]: the call ran past its first slice.
    long: bool,
}

struct Waiter {
    id: u64,
    grant: oneshot::Sender<()>,
    /// A call that gave its slot up mid-run: it does not count against
    /// the queue bound and goes before the tenant's new calls.
    resumed: bool,
}

struct TenantState {
    running: usize,
    /// Sandbox time used, in nanoseconds (the virtual time).
    used: u128,
    waiting: VecDeque<Waiter>,
    last_seen: Instant,
}

impl TenantState {
    fn idle(&self) -> bool {
        self.running == 0 && self.waiting.is_empty()
    }

    fn active(&self, now: Instant) -> bool {
        !self.idle() || now.duration_since(self.last_seen) < ACTIVE_WINDOW
    }
}

#[derive(Default)]
struct State {
    running: usize,
    queued: usize,
    /// Calls that gave their slot up mid-run (each holds an instance).
    parked: usize,
    next_id: u64,
    tenants: HashMap<Arc<str>, TenantState>,
}

/// The admission gate of one sandbox.
pub struct Admission {
    config: AdmissionConfig,
    /// Most calls paused mid-run at once: each keeps its instance, so this
    /// is what the instance pool has beyond the running slots.
    max_parked: usize,
    state: Mutex<State>,
}

impl Admission {
    /// A gate with `config`, for a sandbox of `instances` instances.
    pub fn new(config: AdmissionConfig, instances: usize) -> Arc<Self> {
        let admission = Arc::new(Admission {
            max_parked: instances.saturating_sub(config.slots),
            config: AdmissionConfig {
                slots: config.slots.max(1),
                per_tenant: config.per_tenant.clamp(1, config.slots.max(1)),
                ..config
            },
            state: Mutex::new(State::default()),
        });
        let weak = Arc::downgrade(&admission);
        let _ = std::thread::Builder::new()
            .name("arcade-admission".into())
            .spawn(move || {
                while let Some(adm) = {
                    std::thread::sleep(TICK);
                    weak.upgrade()
                } {
                    adm.tick();
                }
            });
        admission
    }

    /// Forget tenants quiet for a while; hand out slots a quiet neighbour
    /// no longer holds back.
    fn tick(&self) {
        let mut st = self.lock();
        let now = Instant::now();
        st.tenants.retain(|_, t| t.active(now));
        self.dispatch(&mut st);
    }

    /// Whether tenant `key` may take a slot now (`holding`: it is asking
    /// to keep one it has).
    fn eligible(&self, st: &State, key: &Arc<str>, holding: bool, now: Instant) -> bool {
        let Some(t) = st.tenants.get(key) else {
            return false;
        };
        if t.running - usize::from(holding) >= self.config.per_tenant {
            return false;
        }
        let least_other = st
            .tenants
            .iter()
            .filter(|(k, o)| *k != key && o.active(now))
            .map(|(_, o)| o.used)
            .min();
        least_other.is_none_or(|least| t.used <= least + MAX_LEAD.as_nanos())
    }

    /// The settings.
    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// Calls running and calls waiting, now.
    pub fn load(&self) -> (usize, usize) {
        let st = self.lock();
        (st.running, st.queued)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("admission lock")
    }

    fn overloaded(&self, reason: &'static str) -> Overloaded {
        Overloaded {
            reason,
            retry_after: self.config.max_wait.max(Duration::from_secs(1)),
        }
    }

    /// Wait for a slot for a call of `tenant`.
    pub async fn admit(self: &Arc<Self>, tenant: &str) -> Result<Permit, Overloaded> {
        let (id, rx, tenant) = {
            let mut st = self.lock();
            let now = Instant::now();
            let floor = active_floor(&st, now);
            let key = match st.tenants.get_key_value(tenant) {
                Some((k, _)) => k.clone(),
                None => Arc::<str>::from(tenant),
            };
            let cfg = self.config;
            let (running, queued) = (st.running, st.queued);
            let t = st
                .tenants
                .entry(key.clone())
                .or_insert_with(|| TenantState {
                    running: 0,
                    used: floor,
                    waiting: VecDeque::new(),
                    last_seen: now,
                });
            t.last_seen = now;
            let first_in_line = t.waiting.is_empty();
            if running < cfg.slots && first_in_line && self.eligible(&st, &key, false, now) {
                let t = st.tenants.get_mut(&key).expect("tenant");
                t.running += 1;
                st.running += 1;
                return Ok(self.permit(key));
            }
            let t = st.tenants.get_mut(&key).expect("tenant");
            let own = t.waiting.iter().filter(|w| !w.resumed).count();
            if queued >= cfg.max_queued || own >= (cfg.max_queued / 2).max(1) {
                return Err(self.overloaded("too many calls are waiting"));
            }
            let (tx, rx) = oneshot::channel();
            let id = st.next_id;
            st.next_id += 1;
            st.tenants
                .get_mut(&key)
                .expect("tenant")
                .waiting
                .push_back(Waiter {
                    id,
                    grant: tx,
                    resumed: false,
                });
            st.queued += 1;
            (id, rx, key)
        };
        match tokio::time::timeout(self.config.max_wait, rx).await {
            Ok(Ok(())) => Ok(self.permit(tenant)),
            Ok(Err(_)) => Err(self.overloaded("the sandbox is shutting down")),
            Err(_) => {
                let mut st = self.lock();
                let t = st.tenants.get_mut(&tenant).expect("waiting tenant");
                if let Some(pos) = t.waiting.iter().position(|w| w.id == id) {
                    t.waiting.remove(pos);
                    st.queued -= 1;
                    Err(self.overloaded("waited too long for a slot"))
                } else {
                    // Granted just as the wait ran out: keep it.
                    Ok(self.permit(tenant))
                }
            }
        }
    }

    fn permit(self: &Arc<Self>, tenant: Arc<str>) -> Permit {
        Permit {
            admission: self.clone(),
            tenant,
            since: Instant::now(),
            long: false,
        }
    }

    /// Give free slots to waiters: the least-served eligible tenant first.
    fn dispatch(&self, st: &mut State) {
        let now = Instant::now();
        while st.running < self.config.slots {
            let next = st
                .tenants
                .iter()
                .filter(|(k, t)| !t.waiting.is_empty() && self.eligible(st, k, false, now))
                .min_by_key(|(_, t)| t.used)
                .map(|(k, _)| k.clone());
            let Some(key) = next else { return };
            let t = st.tenants.get_mut(&key).expect("tenant");
            let w = t.waiting.pop_front().expect("a waiter");
            if w.resumed {
                st.parked -= 1;
            } else {
                st.queued -= 1;
            }
            t.last_seen = now;
            // A send fails if the caller went away (request cancelled).
            if w.grant.send(()).is_ok() {
                t.running += 1;
                st.running += 1;
            }
        }
    }

    fn release(&self, tenant: &Arc<str>, charge: u128) {
        let mut st = self.lock();
        st.running -= 1;
        if let Some(t) = st.tenants.get_mut(tenant) {
            t.running -= 1;
            t.used += charge;
            t.last_seen = Instant::now();
        }
        self.dispatch(&mut st);
    }
}

/// The least virtual time among active tenants.
fn active_floor(st: &State, now: Instant) -> u128 {
    st.tenants
        .values()
        .filter(|t| t.active(now))
        .map(|t| t.used)
        .min()
        .unwrap_or(0)
}

impl Permit {
    /// Virtual time for `held` of real time.
    fn charge(&self, held: Duration) -> u128 {
        let weight = if self.long { LONG_CALL_WEIGHT } else { 1 };
        held.as_nanos() * u128::from(weight)
    }

    /// Check in from a running call (on its own thread): charge the time
    /// used since the last check-in, and give the slot up, blocking until
    /// scheduled again, if the tenant is past its lead, a tenant that has
    /// used less is waiting, or another call of the same tenant waits
    /// behind it (its calls then take turns, a slice each). Returns how
    /// long it waited.
    pub fn check_in(&mut self) -> Duration {
        let adm = self.admission.clone();
        let rx = {
            let mut st = adm.lock();
            let now = Instant::now();
            let held = now.duration_since(self.since);
            self.since = now;
            // Checking in means the call has run a whole slice: long.
            self.long = true;
            let charge = self.charge(held);
            let Some(mine) = st.tenants.get_mut(&self.tenant) else {
                return Duration::ZERO;
            };
            mine.used += charge;
            mine.last_seen = now;
            let used = mine.used;
            let behind = st.tenants.iter().any(|(k, t)| {
                *k != self.tenant
                    && !t.waiting.is_empty()
                    && t.used < used
                    && adm.eligible(&st, k, false, now)
            });
            let fair = !behind && adm.eligible(&st, &self.tenant, true, now);
            let mine = &st.tenants[&self.tenant];
            let parked = mine.waiting.iter().filter(|w| w.resumed).count();
            let take_turns =
                parked < 2 * adm.config.per_tenant && mine.waiting.iter().any(|w| !w.resumed);
            if (fair && !take_turns) || st.parked >= adm.max_parked {
                return Duration::ZERO;
            }
            let (tx, rx) = oneshot::channel();
            let id = st.next_id;
            st.next_id += 1;
            let mine = st.tenants.get_mut(&self.tenant).expect("tenant");
            mine.running -= 1;
            let me = Waiter {
                id,
                grant: tx,
                resumed: true,
            };
            if fair {
                // Only taking turns: behind the tenant's other calls.
                mine.waiting.push_back(me);
            } else {
                mine.waiting.push_front(me);
            }
            st.running -= 1;
            st.parked += 1;
            adm.dispatch(&mut st);
            rx
        };
        let waiting = Instant::now();
        // The sender lives in the queue until a slot is handed over.
        let _ = rx.blocking_recv();
        self.since = Instant::now();
        waiting.elapsed()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let charge = self.charge(self.since.elapsed());
        self.admission.release(&self.tenant, charge);
    }
}

#[cfg(test)]
mod tests;
