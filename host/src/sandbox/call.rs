//! The guest-facing I/O of one sandboxed call ([`CallIo`]): the snapshot
//! it reads, the writes, stock changes, debits, timers and logs it
//! buffers, and the inputs it records for replay. Nothing here is shared
//! between calls; a fresh `CallIo` is built for each. The imports that
//! drive it are in `imports.rs`.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::admission::Permit;
use super::failure::{BadOutput, HostFault};
use crate::randomness::Stream;
use crate::store::{StateKey, StockLevel};

/// Severity of a plugin log line.
/// Severity of a guest log line, as every contract version names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Detail for plugin authors.
    Debug,
    /// Normal events.
    Info,
    /// Something unexpected that did not stop the call.
    Warn,
    /// Something failed.
    Error,
}

/// Which slice of state a key lives in, as every contract version names
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    Activity,
    User,
    Team(String),
}

/// Largest state key a plugin may use.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest state value a plugin may store.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most distinct state keys one call may write.
pub const MAX_WRITES: usize = 1024;
/// Most random numbers one call may draw: each is recorded with the
/// outcome so anyone can re-derive it (`arcade verify`).
pub const MAX_DRAWS: usize = 4096;
/// The state key, in the acting user's scope (the activity scope for a
/// timer), under which the host counts that user's committed actions.
/// Plugins cannot name it: their keys are at least one byte.
pub const SEQUENCE_KEY: &str = "";
/// Log lines kept per call; the rest are dropped.
pub const MAX_LOG_LINES: usize = 64;
/// Bytes of one log line kept.
pub const MAX_LOG_LINE_BYTES: usize = 1024;

/// What a call may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `describe` / `validate-config`: no state, stock or randomness.
    Pure,
    /// `view`: reads only.
    ReadOnly,
    /// `handle` / `on-timer`: reads and buffered writes.
    ReadWrite,
}

/// A state entry as the call first saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenEntry {
    /// Value (None: absent or removed).
    pub value: Option<String>,
    /// Version (None: no row).
    pub version: Option<i64>,
}

/// A stock pool as the call first saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenStock {
    /// Size at creation.
    pub initial: i64,
    /// Units left when the snapshot was taken.
    pub remaining: i64,
}

/// Everything a call read from outside the sandbox. Stored with each
/// outcome so the call can be replayed exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// The call's clock.
    pub now_ms: i64,
    /// The activity's time zone.
    pub timezone: String,
    /// State entries touched, as first seen.
    #[serde(with = "as_pairs")]
    pub state: BTreeMap<StateKey, SeenEntry>,
    /// Stock pools touched, as first seen.
    pub stock: BTreeMap<String, SeenStock>,
    /// Balances of the acting user touched, as first seen.
    #[serde(default)]
    pub balances: BTreeMap<String, i64>,
    /// When the acting user was first seen by the tenant (outer `None`:
    /// not asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_ms: Option<Option<i64>>,
    /// For a timer call: when the timer was due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_ms: Option<i64>,
    /// The config revision the call ran under (absent in outcomes from
    /// before revisions: those ran under revision 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_revision: Option<i64>,
    /// The group the user acted from, recorded when that group holds a
    /// share of some pools of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The pools in which `group_id` holds a share: the call's claims on
    /// them go to the share (`store::enablements`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_pools: Vec<String>,
    /// The acting user's sequence number of this action among their
    /// committed actions in the activity (1-based; timers count under the
    /// empty user). With the activity key it alone seeds the call's random
    /// stream. Absent in outcomes from before sequence numbers, whose
    /// stream was seeded by the outcome id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Every number the call drew, in order: `[bound, value]`, bound 0
    /// for `next-u64`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draws: Vec<(u64, u64)>,
}

impl Inputs {
    /// The stock row a call's `pool` means: the acting group's share of
    /// it if the group holds one, else the shared pool.
    pub fn pool_key(&self, pool: &str) -> String {
        match &self.group_id {
            Some(group) if self.group_pools.iter().any(|p| p == pool) => {
                crate::store::enablements::group_pool(pool, group)
            }
            _ => pool.to_owned(),
        }
    }
}

/// Fetches what a live call touches lazily (a team's state, the acting
/// user's balances). Called from the blocking thread running the guest.
/// A failure is the host's ([`HostFault`]): it ends the call with a host
/// error, never a `plugin_*` one.
pub trait Loader: Send {
    /// All state rows of one scope key (`#team:<id>`).
    fn scope(&mut self, scope_key: &str) -> Result<Vec<crate::store::StateEntry>, HostFault>;
    /// The acting user's balances.
    fn balances(&mut self) -> Result<Vec<(String, i64)>, HostFault>;
    /// When the acting user's first outcome with the tenant committed.
    fn first_seen(&mut self) -> Result<Option<i64>, HostFault>;
}

/// A timer change buffered by a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TimerOp {
    /// Schedule `name` at `due_ms` with `payload`.
    Schedule {
        /// Name.
        name: String,
        /// Due time.
        due_ms: i64,
        /// Payload JSON.
        payload: String,
    },
    /// Cancel `name`.
    Cancel {
        /// Name.
        name: String,
    },
}

/// The state-key prefix of team scopes. User ids may not start with `#`.
pub const TEAM_PREFIX: &str = "#team:";

/// JSON maps need string keys; state keys are structs, so store pairs.
mod as_pairs {
    use super::{BTreeMap, SeenEntry, StateKey};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<StateKey, SeenEntry>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<StateKey, SeenEntry>, D::Error> {
        let pairs = Vec::<(StateKey, SeenEntry)>::deserialize(d)?;
        Ok(pairs.into_iter().collect())
    }
}

/// Where reads come from.
pub enum Source {
    /// A live snapshot: anything may be read; teams and balances are
    /// fetched through the loader when first touched.
    Snapshot {
        /// State by key.
        state: BTreeMap<StateKey, SeenEntry>,
        /// Stock by pool.
        stock: BTreeMap<String, SeenStock>,
        /// Scope keys whose rows are in `state`.
        loaded: std::collections::BTreeSet<String>,
        /// Balances, once loaded.
        balances: Option<BTreeMap<String, i64>>,
        /// Where lazy reads come from.
        loader: Option<Box<dyn Loader>>,
    },
    /// A replay: only what the original call read is available, and
    /// reading anything else marks the replay as diverged.
    Recorded,
}

/// The guest-facing side of a call.
pub struct CallIo {
    pub(crate) mode: Mode,
    pub(crate) user_id: String,
    pub(crate) timezone: Tz,
    pub(crate) source: Source,
    pub(crate) inputs: Inputs,
    /// Buffered writes by key.
    pub(crate) writes: BTreeMap<StateKey, Option<String>>,
    /// Net stock change by pool.
    pub(crate) stock_delta: BTreeMap<String, i64>,
    /// Debits by currency (positive amounts).
    pub(crate) debits: BTreeMap<String, i64>,
    /// Timer changes, in order.
    pub(crate) timers: Vec<TimerOp>,
    pub(crate) rng: Option<Stream>,
    pub(crate) logs: Vec<(LogLevel, String)>,
    pub(crate) dropped_logs: usize,
    /// Set when a replay read something the original call did not.
    pub(crate) diverged: bool,
    /// Time spent waiting on the store for lazy reads; it does not count
    /// against the plugin's deadline.
    pub(crate) host_wait: std::time::Duration,
    /// The admission slot this call runs in, if it went through
    /// admission; released when the guest returns.
    pub(crate) permit: Option<Permit>,
    /// Set for an attempt on an async worker (see [`CallIo::inline`]).
    pub(crate) inline: bool,
    /// The version of the user's [`SEQUENCE_KEY`] entry this call read
    /// (`None`: absent), once [`CallIo::number`] gave it a sequence number.
    pub(crate) sequence_version: Option<Option<i64>>,
}

impl CallIo {
    /// What the call read and what it wrote, named the way the SDK's
    /// `MockHost::interleave` names them: `activity/<key>`,
    /// `user/<user>/<key>`, `team/<id>/<key>`, `stock/<pool>`,
    /// `balance/<user>/<currency>`. Two calls conflict when one wrote
    /// what the other read or wrote.
    pub(crate) fn touched(&self) -> (Vec<String>, Vec<String>) {
        fn state(k: &StateKey) -> String {
            match k.user_id.strip_prefix(TEAM_PREFIX) {
                _ if k.user_id.is_empty() => format!("activity/{}", k.key),
                Some(team) => format!("team/{team}/{}", k.key),
                None => format!("user/{}/{}", k.user_id, k.key),
            }
        }
        let balance = |currency: &String| format!("balance/{}/{currency}", self.user_id);
        let reads = (self.inputs.state.keys().map(state))
            .chain(self.inputs.stock.keys().map(|p| format!("stock/{p}")))
            .chain(self.inputs.balances.keys().map(balance))
            .collect();
        let writes = (self.writes.keys().map(state))
            .chain(self.stock_delta.keys().map(|p| format!("stock/{p}")))
            .chain(self.debits.keys().map(balance))
            .collect();
        (reads, writes)
    }

    /// A call over a live snapshot (of the activity scope, the acting
    /// user's scope and the stock), with `loader` for the rest.
    pub fn live(
        mode: Mode,
        user_id: &str,
        timezone: Tz,
        now_ms: i64,
        snapshot: crate::store::Snapshot,
        rng: Option<Stream>,
        loader: Option<Box<dyn Loader>>,
    ) -> Self {
        let state = snapshot
            .state
            .into_iter()
            .map(|e| {
                (
                    e.key,
                    SeenEntry {
                        value: e.value,
                        version: Some(e.version),
                    },
                )
            })
            .collect();
        let stock = snapshot
            .stock
            .into_iter()
            .map(
                |StockLevel {
                     pool,
                     initial,
                     remaining,
                 }| (pool, SeenStock { initial, remaining }),
            )
            .collect();
        let loaded = [String::new(), user_id.to_owned()].into_iter().collect();
        let source = Source::Snapshot {
            state,
            stock,
            loaded,
            balances: None,
            loader,
        };
        Self::new(mode, user_id, timezone, now_ms, source, rng)
    }

    /// A call that replays recorded inputs. Its draws are recorded
    /// afresh, for comparison with `inputs.draws`.
    pub fn replay(mode: Mode, user_id: &str, timezone: Tz, inputs: Inputs, rng: Stream) -> Self {
        let mut io = Self::new(
            mode,
            user_id,
            timezone,
            inputs.now_ms,
            Source::Recorded,
            Some(rng),
        );
        io.inputs = Inputs {
            draws: Vec::new(),
            ..inputs
        };
        io
    }

    /// Run this call in `permit`'s slot: the call checks in with it while
    /// the guest runs, and frees it as soon as the guest returns.
    pub fn hold(&mut self, permit: Permit) {
        self.permit = Some(permit);
    }

    /// Make this call an inline attempt: it runs on an async worker
    /// thread, so it must neither block nor run long. Past
    /// [`crate::sandbox::INLINE_BUDGET`] of guest time it stops with
    /// [`HostFault::Offload`](crate::sandbox::HostFault::Offload), and so
    /// does any lazy read (give it a loader that refuses); the caller then
    /// runs the call again from the start on the blocking pool. A call's
    /// effects are buffered until its commit and its inputs (snapshot,
    /// clock, random stream) are fixed, so the second run is the call
    /// the first would have been.
    pub fn inline(&mut self) {
        self.inline = true;
    }

    /// Check in with the admission slot, if any (see
    /// [`Permit::check_in`]); time spent waiting for the slot back counts
    /// as host time, not guest time.
    pub(crate) fn check_in(&mut self) {
        if let Some(p) = self.permit.as_mut() {
            self.host_wait += p.check_in();
        }
    }

    /// A call with no state at all (describe, validate-config).
    pub fn pure() -> Self {
        Self::new(Mode::Pure, "", chrono_tz::UTC, 0, Source::Recorded, None)
    }

    fn new(
        mode: Mode,
        user_id: &str,
        timezone: Tz,
        now_ms: i64,
        source: Source,
        rng: Option<Stream>,
    ) -> Self {
        CallIo {
            mode,
            user_id: user_id.to_owned(),
            timezone,
            source,
            inputs: Inputs {
                now_ms,
                timezone: timezone.name().to_owned(),
                ..Inputs::default()
            },
            writes: BTreeMap::new(),
            stock_delta: BTreeMap::new(),
            debits: BTreeMap::new(),
            timers: Vec::new(),
            rng,
            logs: Vec::new(),
            dropped_logs: 0,
            diverged: false,
            host_wait: std::time::Duration::ZERO,
            permit: None,
            inline: false,
            sequence_version: None,
        }
    }

    /// Give this live call its sequence number among the acting user's
    /// committed actions and the random stream it seeds. The commit writes
    /// the number back under [`SEQUENCE_KEY`], compared against the version
    /// read, so two actions of one user never commit the same number.
    pub fn number(&mut self, activity_key: &crate::randomness::Key) {
        let key = self.sequence_key();
        let seen = match &self.source {
            Source::Snapshot { state, .. } => state.get(&key).cloned(),
            Source::Recorded => None,
        };
        let (last, version) = match seen {
            Some(SeenEntry { value, version }) => (
                value.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
                version,
            ),
            None => (0, None),
        };
        let seq = last + 1;
        self.inputs.seq = Some(seq);
        self.sequence_version = Some(version);
        self.rng = Some(crate::randomness::action_stream(
            activity_key,
            &self.user_id,
            seq,
        ));
    }

    /// Where the acting user's (or, for a timer, the activity's) count of
    /// committed actions lives.
    pub(crate) fn sequence_key(&self) -> StateKey {
        StateKey {
            user_id: self.user_id.clone(),
            key: SEQUENCE_KEY.to_owned(),
        }
    }

    /// The write that records this call's sequence number, if it has one.
    pub(crate) fn sequence_write(&self) -> Option<crate::store::StateWrite> {
        let version = self.sequence_version?;
        Some(crate::store::StateWrite {
            key: self.sequence_key(),
            value: Some(self.inputs.seq?.to_string()),
            expected_version: version,
            advance: 1,
        })
    }

    pub(crate) fn key(&self, scope: Scope, key: String) -> wasmtime::Result<StateKey> {
        let user_id = match scope {
            Scope::Activity => String::new(),
            Scope::User if self.user_id.is_empty() => {
                return Err(bad("user state is not available without an acting user"));
            }
            Scope::User => self.user_id.clone(),
            Scope::Team(id) => {
                if id.is_empty() || id.len() > 64 {
                    return Err(bad("a team id must be 1 to 64 bytes"));
                }
                format!("{TEAM_PREFIX}{id}")
            }
        };
        Ok(StateKey { user_id, key })
    }

    /// The entry as first seen by this call, recording it as an input.
    pub(crate) fn seen(&mut self, key: &StateKey) -> wasmtime::Result<SeenEntry> {
        if let Some(seen) = self.inputs.state.get(key) {
            return Ok(seen.clone());
        }
        if let Source::Snapshot {
            state,
            loaded,
            loader,
            ..
        } = &mut self.source
            && !loaded.contains(&key.user_id)
        {
            let loader = loader
                .as_mut()
                .ok_or_else(|| bad("this call cannot load team state"))?;
            let waiting = std::time::Instant::now();
            let rows = loader.scope(&key.user_id);
            self.host_wait += waiting.elapsed();
            let rows = rows.map_err(wasmtime::Error::new)?;
            for e in rows {
                state.insert(
                    e.key,
                    SeenEntry {
                        value: e.value,
                        version: Some(e.version),
                    },
                );
            }
            loaded.insert(key.user_id.clone());
        }
        let seen = match &self.source {
            Source::Snapshot { state, .. } => state.get(key).cloned().unwrap_or(SeenEntry {
                value: None,
                version: None,
            }),
            Source::Recorded => {
                self.diverged = true;
                SeenEntry {
                    value: None,
                    version: None,
                }
            }
        };
        self.inputs.state.insert(key.clone(), seen.clone());
        Ok(seen)
    }

    /// The acting user's balance as first seen, recording it as an input.
    pub(crate) fn seen_balance(&mut self, currency: &str) -> wasmtime::Result<i64> {
        if self.user_id.is_empty() {
            return Err(bad("the wallet is not available without an acting user"));
        }
        if let Some(b) = self.inputs.balances.get(currency) {
            return Ok(*b);
        }
        let seen = match &mut self.source {
            Source::Snapshot {
                balances, loader, ..
            } => {
                if balances.is_none() {
                    let loader = loader
                        .as_mut()
                        .ok_or_else(|| bad("this call cannot load balances"))?;
                    let waiting = std::time::Instant::now();
                    let rows = loader.balances();
                    self.host_wait += waiting.elapsed();
                    let rows = rows.map_err(wasmtime::Error::new)?;
                    *balances = Some(rows.into_iter().collect());
                }
                balances
                    .as_ref()
                    .and_then(|b| b.get(currency).copied())
                    .unwrap_or(0)
            }
            Source::Recorded => {
                self.diverged = true;
                0
            }
        };
        self.inputs.balances.insert(currency.to_owned(), seen);
        Ok(seen)
    }

    pub(crate) fn seen_stock(&mut self, pool: &str) -> Option<SeenStock> {
        if let Some(seen) = self.inputs.stock.get(pool) {
            return Some(*seen);
        }
        match &self.source {
            Source::Snapshot { stock, .. } => {
                let seen = *stock.get(pool)?;
                self.inputs.stock.insert(pool.to_owned(), seen);
                Some(seen)
            }
            Source::Recorded => {
                self.diverged = true;
                None
            }
        }
    }

    pub(crate) fn require(&self, needed: Mode, what: &str) -> wasmtime::Result<()> {
        let allowed = match needed {
            Mode::Pure => true,
            Mode::ReadOnly => self.mode != Mode::Pure,
            Mode::ReadWrite => self.mode == Mode::ReadWrite,
        };
        if allowed {
            Ok(())
        } else {
            Err(wasmtime::Error::new(BadOutput(format!(
                "{what} is not allowed in this export"
            ))))
        }
    }
}

pub(crate) fn bad(message: &str) -> wasmtime::Error {
    wasmtime::Error::new(BadOutput(message.to_owned()))
}
