//! The Monte-Carlo runs: every planned action through the real sandbox
//! call (`Sandbox::handle`, the compiled plugin from the cache, the
//! plugin's limits), against an in-memory [`World`] changed by each
//! call's effects. Runs are independent and spread over threads; each
//! run's result depends only on the seed, so the thread count does not
//! change the report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;

use super::audience::{Crowd, Planned};
use super::world::{World, WorldLoader};
use crate::error::{Error, Result};
use crate::randomness::{self, Key};
use crate::sandbox::{
    CallContext, CallIo, CallReport, DueTimer, GuestError, GuestOutcome, Limits, Mode, Permit,
    Plugin, PluginFailure, Sandbox,
};

/// The activity id simulated calls see.
pub const SIMULATED_ACTIVITY: &str = "simulation";

/// Timer calls one group's run may make per planned action (plus a
/// fixed allowance), so a plugin rescheduling a timer for the past
/// cannot loop forever.
const TIMERS_PER_ACTION: u64 = 4;

/// Actions simulated so far, of how many.
#[derive(Debug, Default)]
pub struct Progress {
    /// Actions done.
    pub done: AtomicU64,
    /// Actions planned over all runs (known once planning is over).
    pub total: AtomicU64,
}

/// Waits for an admission slot for one simulated call.
pub type Admit<'a> = &'a (dyn Fn() -> Result<Permit> + Sync);

/// Everything one simulation needs.
pub(super) struct Engine<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) plugin: &'a Plugin,
    pub(super) limits: Limits,
    pub(super) config: &'a str,
    pub(super) pools: &'a [(String, i64)],
    pub(super) timezone: Tz,
    pub(super) crowd: &'a Crowd,
    pub(super) seed: u64,
    pub(super) starts_at: i64,
    pub(super) ends_at: i64,
}

/// What happened in one group during one run.
#[derive(Debug, Default)]
pub(super) struct GroupTally {
    pub(super) participants: u64,
    pub(super) actions: u64,
    pub(super) succeeded: u64,
    pub(super) rewarded: u64,
    pub(super) refused: BTreeMap<String, u64>,
    pub(super) failed: BTreeMap<String, u64>,
    /// Action: (made, succeeded, rewarded).
    pub(super) by_action: BTreeMap<String, (u64, u64, u64)>,
    /// (kind, item): (name, units).
    pub(super) rewards: BTreeMap<(String, String), (String, i64)>,
    /// Pool: when it ran out.
    pub(super) ran_out: BTreeMap<String, Option<i64>>,
    pub(super) remaining: BTreeMap<String, i64>,
    pub(super) timer_calls: u64,
}

/// One run: a tally per group.
pub(super) type RunTally = Vec<GroupTally>;

/// The key the simulated random streams derive from.
fn seed_key(seed: u64) -> Key {
    let mut h = blake3::Hasher::new();
    h.update(b"arcade/simulate/key/v1\0");
    h.update(&seed.to_le_bytes());
    *h.finalize().as_bytes()
}

impl Engine<'_> {
    /// Every run's plan (a plan per group), over `threads` threads.
    pub(super) fn run(
        &self,
        plans: &[Vec<(Vec<Planned>, u64)>],
        threads: usize,
        progress: &Progress,
        admit: Option<Admit<'_>>,
    ) -> Result<Vec<RunTally>> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let results: Mutex<Vec<Option<Result<RunTally>>>> =
            Mutex::new((0..plans.len()).map(|_| None).collect());
        let key = seed_key(self.seed);
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                s.spawn(|| {
                    loop {
                        let run = next.fetch_add(1, Relaxed);
                        if run >= plans.len() || stop.load(Relaxed) {
                            break;
                        }
                        let tally = self.one_run(run as u32, &plans[run], &key, progress, admit);
                        if tally.is_err() {
                            stop.store(true, Relaxed);
                        }
                        results.lock().expect("results")[run] = Some(tally);
                    }
                });
            }
        });
        let mut out = Vec::with_capacity(plans.len());
        for r in results.into_inner().expect("results").into_iter().flatten() {
            out.push(r?);
        }
        if out.len() != plans.len() {
            return Err(Error::Internal("a simulation run was not finished".into()));
        }
        Ok(out)
    }

    fn one_run(
        &self,
        run: u32,
        groups: &[(Vec<Planned>, u64)],
        key: &Key,
        progress: &Progress,
        admit: Option<Admit<'_>>,
    ) -> Result<RunTally> {
        let mut out = Vec::with_capacity(groups.len());
        for (g, (plan, participants)) in groups.iter().enumerate() {
            let world = Arc::new(Mutex::new(World::new(self.pools)));
            let mut t = GroupTally {
                participants: *participants,
                ..GroupTally::default()
            };
            for (pool, initial) in self.pools {
                let gone = (*initial <= 0).then_some(self.starts_at);
                t.ran_out.insert(pool.clone(), gone);
            }
            let mut timer_budget = plan.len() as u64 * TIMERS_PER_ACTION + 1000;
            for (i, p) in plan.iter().enumerate() {
                self.fire_timers(run, g, &world, p.at, key, &mut t, &mut timer_budget, admit)?;
                let user = format!("u{}", p.member);
                let (name, payload, _) = &self.crowd.mix[p.mix as usize];
                let call_id = format!("sim:{run}:{g}:{i}");
                let io = self.io(&world, &user, p.at, key, &call_id, admit)?;
                let ctx = CallContext {
                    activity_id: SIMULATED_ACTIVITY,
                    user_id: &user,
                    config: self.config,
                    call_id: &call_id,
                };
                let report =
                    self.sandbox
                        .handle(self.plugin, &self.limits, io, &ctx, name, payload);
                let entry = t.by_action.entry(name.clone()).or_default();
                entry.0 += 1;
                t.actions += 1;
                match settle(&world, &user, p.at, report, &mut t)? {
                    Settled::Rewarded => {
                        let e = t.by_action.get_mut(name).expect("entry");
                        e.1 += 1;
                        e.2 += 1;
                        t.succeeded += 1;
                        t.rewarded += 1;
                    }
                    Settled::Done => {
                        t.by_action.get_mut(name).expect("entry").1 += 1;
                        t.succeeded += 1;
                    }
                    Settled::Refused(code) => *t.refused.entry(code).or_default() += 1,
                    Settled::Failed(code) => *t.failed.entry(code).or_default() += 1,
                }
                progress.done.fetch_add(1, Relaxed);
            }
            // Timers due before the schedule ends still run.
            self.fire_timers(
                run,
                g,
                &world,
                self.ends_at - 1,
                key,
                &mut t,
                &mut timer_budget,
                admit,
            )?;
            let world = world.lock().expect("world");
            t.remaining = world.stock.iter().map(|(p, l)| (p.clone(), l.1)).collect();
            out.push(t);
        }
        Ok(out)
    }

    fn io(
        &self,
        world: &Arc<Mutex<World>>,
        user: &str,
        at: i64,
        key: &Key,
        call_id: &str,
        admit: Option<Admit<'_>>,
    ) -> Result<CallIo> {
        let snapshot = world.lock().expect("world").snapshot(user);
        let loader = WorldLoader {
            world: world.clone(),
            user_id: user.to_owned(),
        };
        let mut io = CallIo::live(
            Mode::ReadWrite,
            user,
            self.timezone,
            at,
            snapshot,
            Some(randomness::legacy_stream(key, call_id)),
            Some(Box::new(loader)),
        );
        if let Some(admit) = admit {
            io.hold(admit()?);
        }
        Ok(io)
    }

    /// Run every timer due at `now`, earliest first.
    #[allow(clippy::too_many_arguments)]
    fn fire_timers(
        &self,
        run: u32,
        group: usize,
        world: &Arc<Mutex<World>>,
        now: i64,
        key: &Key,
        t: &mut GroupTally,
        budget: &mut u64,
        admit: Option<Admit<'_>>,
    ) -> Result<()> {
        loop {
            let Some((name, due, payload)) = world.lock().expect("world").next_due(now) else {
                return Ok(());
            };
            if *budget == 0 {
                return Err(Error::invalid(
                    "simulation_runaway_timers",
                    "the plugin keeps scheduling timers that are already due",
                ));
            }
            *budget -= 1;
            world.lock().expect("world").timers.remove(&name);
            let call_id = format!("sim:{run}:{group}:timer:{}", t.timer_calls);
            t.timer_calls += 1;
            let io = self.io(world, "", due, key, &call_id, admit)?;
            let ctx = CallContext {
                activity_id: SIMULATED_ACTIVITY,
                user_id: "",
                config: self.config,
                call_id: &call_id,
            };
            let timer = DueTimer {
                name: &name,
                payload: &payload,
                due_ms: due,
            };
            let report = self
                .sandbox
                .on_timer(self.plugin, &self.limits, io, &ctx, &timer);
            if let Settled::Failed(code) = settle(world, "", due, report, t)? {
                *t.failed.entry(format!("timer:{code}")).or_default() += 1;
            }
        }
    }
}

enum Settled {
    Rewarded,
    Done,
    Refused(String),
    Failed(String),
}

/// Apply a call's effects to the world if it succeeded, and count its
/// rewards and the pools it emptied. A host fault ends the simulation.
fn settle(
    world: &Mutex<World>,
    user: &str,
    at: i64,
    report: CallReport<std::result::Result<GuestOutcome, GuestError>>,
    t: &mut GroupTally,
) -> Result<Settled> {
    let outcome = match report.result {
        Err(PluginFailure::Host(fault)) => return Err(PluginFailure::Host(fault).into()),
        Err(failure) => return Ok(Settled::Failed(failure.code().to_owned())),
        Ok(Err(refusal)) => return Ok(Settled::Refused(refusal.code)),
        Ok(Ok(outcome)) => outcome,
    };
    if let Err(failure) = crate::service::output::check_storable(&outcome, &report.io) {
        return Ok(Settled::Failed(failure.code().to_owned()));
    }
    let mut world = world.lock().expect("world");
    world.apply(user, at, &report.io, &outcome);
    for pool in report.io.stock_delta.keys() {
        if let (Some(level), Some(gone @ None)) = (world.stock.get(pool), t.ran_out.get_mut(pool))
            && level.1 <= 0
        {
            *gone = Some(at);
        }
    }
    for r in &outcome.rewards {
        let e = t
            .rewards
            .entry((r.kind.clone(), r.item.clone()))
            .or_insert_with(|| (r.name.clone(), 0));
        e.1 += r.amount;
    }
    Ok(if outcome.rewards.is_empty() {
        Settled::Done
    } else {
        Settled::Rewarded
    })
}
