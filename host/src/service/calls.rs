//! One sandboxed call, end to end: snapshot, run, commit, and run again on
//! a write conflict. Shared by platform actions and timers.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::inline::RefusingLoader;
use super::loader::StoreLoader;
use super::{Arcade, LoadedActivity, blocking};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::sandbox::{
    CallContext, CallIo, DueTimer, GuestOutcome, HostFault, Loader, Mode, PluginFailure, Sandbox,
    TimerOp,
};
use crate::store::{
    ActionCommit, BalanceChange, EventRow, IdempotencyRecord, OutcomeRecord, RewardRow, Snapshot,
    StateKey, StateRead, StateWrite, StoreError, TimerChange,
};

/// Runs of a timer call before giving up under contention.
const MAX_ATTEMPTS: u32 = 20;

/// What started a call.
pub(crate) enum Trigger {
    /// A platform action.
    Action {
        /// Action name.
        name: String,
        /// The request's idempotency key, if it carried one.
        idempotency: Option<KeyedRequest>,
    },
    /// A due timer.
    Timer {
        /// Timer id (marked fired by the commit).
        id: String,
        /// Timer name.
        name: String,
        /// When it was due.
        due_ms: i64,
    },
}

/// An idempotency key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub(crate) struct KeyedRequest {
    pub(crate) key: String,
    pub(crate) request_hash: String,
}

/// One call to run. Owned, so it can move into the task or lane that
/// runs it and be run again after a conflict (same outcome id, so the
/// same random stream).
pub(crate) struct CallSpec {
    pub(crate) activity: Arc<LoadedActivity>,
    pub(crate) outcome_id: String,
    /// Empty for timers.
    pub(crate) user_id: String,
    /// The group the user acted from (the home group for timers).
    pub(crate) group_id: String,
    pub(crate) trigger: Trigger,
    pub(crate) payload: String,
}

impl CallSpec {
    /// The action name recorded with the outcome.
    pub(crate) fn action_name(&self) -> String {
        match &self.trigger {
            Trigger::Action { name, .. } => name.clone(),
            Trigger::Timer { name, .. } => format!("timer:{name}"),
        }
    }

    pub(super) fn idempotency(&self) -> Option<&KeyedRequest> {
        match &self.trigger {
            Trigger::Action { idempotency, .. } => idempotency.as_ref(),
            Trigger::Timer { .. } => None,
        }
    }
}

/// A call that ran to an outcome: what to commit, and the response.
pub(crate) struct Ran {
    pub(crate) commit: ActionCommit,
    pub(crate) body: String,
}

#[derive(Serialize)]
struct ActionResponse<'a> {
    outcome_id: &'a str,
    result: serde_json::Value,
    rewards: Vec<super::RewardView>,
}

/// What the replay check hashes: everything an outcome changed.
#[derive(Serialize)]
pub(crate) struct Effects<'a> {
    pub(crate) result: &'a str,
    pub(crate) rewards: &'a [RewardRow],
    pub(crate) events: &'a [EventRow],
    pub(crate) writes: Vec<(&'a StateKey, &'a Option<String>)>,
    pub(crate) stock: Vec<(&'a String, &'a i64)>,
    pub(crate) debits: Vec<(&'a String, &'a i64)>,
    pub(crate) timers: &'a [TimerOp],
}

impl<'a> Effects<'a> {
    pub(crate) fn of(outcome: &'a GuestOutcome, io: &'a CallIo) -> Self {
        Effects {
            result: &outcome.result,
            rewards: &outcome.rewards,
            events: &outcome.events,
            writes: io.writes.iter().collect(),
            stock: io.stock_delta.iter().filter(|(_, d)| **d != 0).collect(),
            debits: io.debits.iter().collect(),
            timers: &io.timers,
        }
    }

    pub(crate) fn hash(&self) -> String {
        hex::encode(Sha256::digest(
            serde_json::to_vec(self).expect("effects serialize"),
        ))
    }
}

/// Issue codes for coupons and add a `reward.granted` event per reward.
/// Codes derive from the outcome id, so a replay issues the same ones.
pub(crate) fn finish_outcome(outcome_id: &str, outcome: &mut GuestOutcome) {
    for (i, r) in outcome.rewards.iter_mut().enumerate() {
        if r.kind == "coupon" {
            let digest = Sha256::digest(format!("arcade/coupon/v1\0{outcome_id}\0{i}"));
            r.code = Some(hex::encode_upper(&digest[..8]));
        }
    }
    let granted: Vec<EventRow> = outcome
        .rewards
        .iter()
        .map(|r| EventRow {
            kind: "reward.granted".into(),
            subject: r.user_id.clone(),
            data: serde_json::to_string(r).expect("reward serializes"),
        })
        .collect();
    outcome.events.extend(granted);
}

impl Arcade {
    pub(crate) fn loader(&self, activity: &LoadedActivity, user_id: &str) -> StoreLoader {
        StoreLoader {
            store: self.store.clone(),
            runtime: tokio::runtime::Handle::current(),
            tenant_id: activity.record.tenant_id.clone(),
            activity_id: activity.record.id.clone(),
            user_id: user_id.to_owned(),
        }
    }

    /// Run an action: one optimistic attempt, and on a write conflict (or
    /// if its activity is already hot) through the activity's lane, where
    /// queued actions run one after another (see `lane/`).
    pub(crate) async fn run_action(self: &Arc<Self>, spec: CallSpec) -> Result<String> {
        if self.lanes.is_hot(&spec.activity.record.id) {
            return self.lanes.submit(self, spec).await;
        }
        let snapshot = self
            .store
            .snapshot(&spec.activity.record.id, &spec.user_id)
            .await?;
        let permit = self.sandbox.admit(&spec.activity.record.tenant_id).await?;
        // A flash crowd arrives all at once: most of it is past the check
        // above before the first conflict makes the activity hot. Those
        // still waiting for the snapshot or a sandbox slot join the lane
        // now rather than run a call whose commit is bound to conflict.
        if self.lanes.is_hot(&spec.activity.record.id) {
            drop(permit);
            return self.lanes.submit(self, spec).await;
        }
        let now = self.now();
        let plugin = &spec.activity.plugin.sha256;
        let mut permit = Some(permit);
        let mut first = None;
        if self.offloads.inline_ok(plugin) {
            let mut io = call_io(&spec, now, snapshot.clone(), Box::new(RefusingLoader));
            io.inline();
            io.hold(permit.take().expect("the permit"));
            match super::inline::attempt(|| execute(&self.sandbox, &self.metrics, &spec, io, now)) {
                Err(Error::Offload) => self.offloads.mark(plugin),
                done => first = Some(done),
            }
        }
        let (spec, ran) = match first {
            Some(done) => (spec, done),
            None => {
                let permit = match permit {
                    Some(p) => p,
                    None => self.sandbox.admit(&spec.activity.record.tenant_id).await?,
                };
                let loader = Box::new(self.loader(&spec.activity, &spec.user_id));
                let mut io = call_io(&spec, now, snapshot, loader);
                io.hold(permit);
                let (sandbox, metrics) = (self.sandbox.clone(), self.metrics.clone());
                blocking(move || {
                    let ran = execute(&sandbox, &metrics, &spec, io, now);
                    (spec, ran)
                })
                .await?
            }
        };
        let ran = ran?;
        match self.store.commit(&ran.commit).await {
            Ok(()) => Ok(ran.body),
            Err(StoreError::Conflict) => {
                tracing::debug!("write conflict; queueing the action in its activity's lane");
                self.lanes.submit(self, spec).await
            }
            Err(StoreError::KeyTaken) => self.taken_key_response(&spec).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the next action of this activity will try inline first
    /// (see `inline.rs`), for tests and diagnostics.
    pub async fn calls_inline(&self, tenant_id: &str, activity_id: &str) -> Result<bool> {
        let activity = self.load_activity(tenant_id, activity_id).await?;
        Ok(self.offloads.inline_ok(&activity.plugin.sha256))
    }

    /// The answer for an action whose commit found its idempotency key
    /// already committed (by a request on another replica).
    pub(crate) async fn taken_key_response(&self, spec: &CallSpec) -> Result<String> {
        let keyed = spec
            .idempotency()
            .ok_or_else(|| Error::Internal("a commit without a key found its key taken".into()))?;
        let stored = self
            .store
            .idempotent_response(&spec.activity.record.tenant_id, &keyed.key)
            .await?
            .ok_or_else(|| {
                Error::Internal("an idempotency key vanished after its commit".into())
            })?;
        let answer = super::idempotency::stored_answer(stored, &keyed.request_hash);
        if answer.is_ok() {
            self.metrics.idempotency_replay("stored");
        }
        answer
    }

    /// Run a timer's call until it commits, snapshotting and running
    /// again on each write conflict.
    pub(crate) async fn run_timer_call(&self, spec: CallSpec) -> Result<String> {
        let mut spec = spec;
        for attempt in 0..MAX_ATTEMPTS {
            let now = self.now();
            let snapshot = self
                .store
                .snapshot(&spec.activity.record.id, &spec.user_id)
                .await?;
            let loader = Box::new(self.loader(&spec.activity, &spec.user_id));
            let mut io = call_io(&spec, now, snapshot, loader);
            io.hold(self.sandbox.admit(&spec.activity.record.tenant_id).await?);
            let (sandbox, metrics) = (self.sandbox.clone(), self.metrics.clone());
            let (back, ran) = blocking(move || {
                let ran = execute(&sandbox, &metrics, &spec, io, now);
                (spec, ran)
            })
            .await?;
            spec = back;
            let ran = ran?;
            match self.store.commit(&ran.commit).await {
                Ok(()) => return Ok(ran.body),
                Err(StoreError::Conflict) => {
                    tracing::debug!(attempt, "write conflict; running the timer again");
                    let backoff =
                        1 + u64::from(attempt.min(10)) * u64::from(rand::random::<u8>() % 4);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention)
    }
}

/// The call's view of the world: `snapshot` (already overlaid with any
/// earlier writes it must see), the clock, its random stream, lazy reads.
pub(crate) fn call_io(
    spec: &CallSpec,
    now: i64,
    snapshot: Snapshot,
    loader: Box<dyn Loader>,
) -> CallIo {
    let activity = &spec.activity;
    let mut io = CallIo::live(
        Mode::ReadWrite,
        &spec.user_id,
        activity.timezone,
        now,
        snapshot,
        None,
        Some(loader),
    );
    // The stream depends only on the activity key, the user and the
    // user's next sequence number: nothing the host picks per call.
    io.number(&activity.key);
    if let Trigger::Timer { due_ms, .. } = spec.trigger {
        io.inputs.due_ms = Some(due_ms);
    }
    io.inputs.config_revision = Some(activity.record.revision);
    // Claims of a group that holds a share of a pool go to its share.
    if let Some(e) = activity.groups.get(&spec.group_id)
        && !e.stock_share.is_empty()
    {
        io.inputs.group_id = Some(spec.group_id.clone());
        io.inputs.group_pools = e.stock_share.keys().cloned().collect();
    }
    io
}

/// Run the guest (blocking) and turn what it did into a commit. A
/// refusal or a plugin failure is the error.
pub(crate) fn execute(
    sandbox: &Sandbox,
    metrics: &Metrics,
    spec: &CallSpec,
    io: CallIo,
    now: i64,
) -> Result<Ran> {
    let a = &spec.activity;
    let kind = match spec.trigger {
        Trigger::Timer { .. } => "on_timer",
        Trigger::Action { .. } => "handle",
    };
    let span = super::metrics::call_span(spec, kind);
    let _in_span = span.enter();
    let ctx = CallContext {
        activity_id: &a.record.id,
        user_id: &spec.user_id,
        config: &a.record.config,
        call_id: &spec.outcome_id,
    };
    let report = match &spec.trigger {
        Trigger::Timer { name, due_ms, .. } => {
            let due = DueTimer {
                name,
                payload: &spec.payload,
                due_ms: *due_ms,
            };
            sandbox.on_timer(&a.plugin, &a.limits, io, &ctx, &due)
        }
        Trigger::Action { name, .. } => {
            sandbox.handle(&a.plugin, &a.limits, io, &ctx, name, &spec.payload)
        }
    };
    if let Err(PluginFailure::Host(HostFault::Offload)) = report.result {
        // An inline attempt gave up; the caller runs the call again (and
        // counts that run).
        span.record("result", "offloaded");
        return Err(Error::Offload);
    }
    // What `arcade plugin test` prints per step and compares for a
    // `together` step; `ARCADE_LOG=arcade::fuel=debug` shows it for every
    // call of a service. The key lists are only made when it is enabled.
    tracing::debug!(
        target: "arcade::fuel",
        outcome = %spec.outcome_id,
        fuel_used = report.fuel_used,
        reads = %report.io.touched().0.join(" "),
        writes = %report.io.touched().1.join(" "),
        "plugin call"
    );
    log_guest_lines(&report.io);
    let checked = match report.result {
        Ok(Ok(o)) => super::output::check_storable(&o, &report.io).map(|()| Ok(o)),
        other => other,
    };
    let result = match &checked {
        Ok(Ok(_)) => "ok",
        Ok(Err(_)) => "refused",
        Err(failure) => failure.code(),
    };
    super::metrics::finish_call(metrics, &span, spec, kind, result, report.fuel_used);
    let mut outcome = match checked {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(refusal)) => return Err(Error::Guest(refusal)),
        Err(failure) => {
            tracing::warn!(code = failure.code(), error = %failure, "plugin failed");
            return Err(failure.into());
        }
    };
    finish_outcome(&spec.outcome_id, &mut outcome);
    let body = response_body(&spec.outcome_id, &outcome);
    let commit = build_commit(spec, outcome, &report.io, report.fuel_used, &body, now);
    Ok(Ran { commit, body })
}

fn response_body(outcome_id: &str, outcome: &GuestOutcome) -> String {
    let result: serde_json::Value =
        serde_json::from_str(&outcome.result).expect("the sandbox checked the result is JSON");
    serde_json::to_string(&ActionResponse {
        outcome_id,
        result,
        rewards: outcome.rewards.iter().map(Into::into).collect(),
    })
    .expect("response serializes")
}

/// The call's debits as the outcome records them: `[[currency, amount],
/// ...]`, or empty when it spent nothing.
fn spends_of(io: &CallIo) -> String {
    if io.debits.is_empty() {
        return String::new();
    }
    let spends: Vec<(&String, &i64)> = io.debits.iter().collect();
    serde_json::to_string(&spends).expect("spends serialize")
}

fn build_commit(
    spec: &CallSpec,
    outcome: GuestOutcome,
    io: &CallIo,
    fuel_used: u64,
    body: &str,
    now: i64,
) -> ActionCommit {
    let record = &spec.activity.record;
    let writes: Vec<StateWrite> = io
        .writes
        .iter()
        .map(|(key, value)| StateWrite {
            key: key.clone(),
            value: value.clone(),
            expected_version: io.inputs.state.get(key).and_then(|s| s.version),
            advance: 1,
        })
        .chain(io.sequence_write())
        .collect();
    let reads: Vec<StateRead> = io
        .inputs
        .state
        .iter()
        .filter(|(key, _)| !io.writes.contains_key(*key))
        .map(|(key, seen)| StateRead {
            key: key.clone(),
            version: seen.version,
        })
        .collect();
    let stock: Vec<(String, i64)> = io
        .stock_delta
        .iter()
        .filter(|(_, d)| **d != 0)
        .map(|(p, d)| (p.clone(), *d))
        .collect();
    let mut balances: Vec<BalanceChange> = io
        .debits
        .iter()
        .map(|(currency, amount)| BalanceChange {
            user_id: spec.user_id.to_owned(),
            currency: currency.clone(),
            delta: -amount,
        })
        .collect();
    balances.extend(
        outcome
            .rewards
            .iter()
            .filter(|r| r.kind == "points" || r.kind == "tickets")
            .map(|r| BalanceChange {
                user_id: r.user_id.clone(),
                currency: r.item.clone(),
                delta: r.amount,
            }),
    );
    let timers = io
        .timers
        .iter()
        .map(|op| match op {
            TimerOp::Schedule {
                name,
                due_ms,
                payload,
            } => TimerChange::Schedule {
                id: uuid::Uuid::now_v7().to_string(),
                name: name.clone(),
                due_at: *due_ms,
                payload: payload.clone(),
            },
            TimerOp::Cancel { name } => TimerChange::Cancel { name: name.clone() },
        })
        .collect();
    let effects_hash = Effects::of(&outcome, io).hash();
    let (idempotency, fired_timer) = match &spec.trigger {
        Trigger::Action { idempotency, .. } => (
            idempotency.as_ref().map(|k| IdempotencyRecord {
                key: k.key.clone(),
                request_hash: k.request_hash.clone(),
                response: body.to_owned(),
            }),
            None,
        ),
        Trigger::Timer { id, .. } => (None, Some(id.clone())),
    };
    ActionCommit {
        outcome: OutcomeRecord {
            id: spec.outcome_id.clone(),
            tenant_id: record.tenant_id.clone(),
            activity_id: record.id.clone(),
            user_id: spec.user_id.clone(),
            action: spec.action_name(),
            payload: spec.payload.clone(),
            rewards: serde_json::to_string(&outcome.rewards).expect("rewards serialize"),
            result: outcome.result,
            inputs: serde_json::to_string(&io.inputs).expect("inputs serialize"),
            effects_hash,
            plugin_sha256: spec.activity.plugin.sha256.clone(),
            fuel_used: fuel_used as i64,
            created_at: now,
            group_id: spec.group_id.clone(),
            spends: spends_of(io),
        },
        reads,
        writes,
        stock,
        rewards: outcome.rewards,
        balances,
        timers,
        events: outcome.events,
        fired_timer,
        idempotency,
    }
}

fn log_guest_lines(io: &CallIo) {
    use crate::sandbox::call::LogLevel;
    for (level, line) in &io.logs {
        match level {
            LogLevel::Debug => tracing::debug!(target: "arcade::plugin", "{line}"),
            LogLevel::Info => tracing::info!(target: "arcade::plugin", "{line}"),
            LogLevel::Warn => tracing::warn!(target: "arcade::plugin", "{line}"),
            LogLevel::Error => tracing::error!(target: "arcade::plugin", "{line}"),
        }
    }
    if io.dropped_logs > 0 {
        tracing::warn!(target: "arcade::plugin", dropped = io.dropped_logs, "plugin log lines dropped");
    }
}
