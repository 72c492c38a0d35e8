//! Running one session: a fresh in-memory host, the activity, then each
//! step through the service as a platform would call it, with the clock
//! frozen between steps and moved only by `advance`. The same session
//! gives the same output on every run: the secret comes from the
//! session's seed, ids from a sequence (see `service/ids.rs`). A
//! `together` step runs its second order on a second host that replays
//! the steps before it.

use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;

use super::fuel::{Call, FuelMeter};
use super::local::{LocalHost, Setup};
use super::output::{self, Event, Output, Timer, Together};
use super::session::{self, ActionStep, Session, Step};
use crate::sandbox::Sandbox;
use crate::service::ActionRequest;
use crate::store::sqlite::SqliteStore;

/// Most timer firings one `advance` may make (a timer that keeps
/// scheduling itself at once would otherwise never end).
const MAX_FIRINGS: usize = 10_000;

/// A step as it ran: its output, the fuel its plugin calls used (when
/// metered) and the expectations it did not meet.
pub(super) struct Ran<'a> {
    pub output: &'a Output,
    pub fuel: Option<u64>,
    pub unmet: &'a [String],
}

/// Run `session` on a fresh host; `each` sees every step as it ends.
pub(super) async fn run(
    session: &Session,
    sandbox: &Arc<Sandbox>,
    wasm: &[u8],
    meter: Option<&FuelMeter>,
    mut each: impl FnMut(Ran<'_>),
) -> anyhow::Result<Vec<Output>> {
    let mut run = Script::start(session, sandbox, wasm, meter).await?;
    let mut outputs = Vec::with_capacity(session.steps.len());
    for i in 0..session.steps.len() {
        let (mut output, calls) = run
            .step(i)
            .await
            .with_context(|| format!("step {}", i + 1))?;
        output.step = i + 1;
        // No fuel figure for a step that ran no plugin call.
        let fuel = (!calls.is_empty()).then(|| calls.iter().map(|c| c.fuel).sum());
        let mut unmet = Vec::new();
        if let Some(want) = session.steps[i].expect() {
            output::unmet(&serde_json::to_value(&output)?, want, "", &mut unmet);
        }
        each(Ran {
            output: &output,
            fuel,
            unmet: &unmet,
        });
        outputs.push(output);
    }
    Ok(outputs)
}

struct Script<'a> {
    session: &'a Session,
    sandbox: &'a Arc<Sandbox>,
    wasm: &'a [u8],
    meter: Option<&'a FuelMeter>,
    host: LocalHost,
    activity: String,
    tz: chrono_tz::Tz,
    /// The last event and outcome already reported.
    events_after: Option<i64>,
    outcomes_after: Option<String>,
}

impl<'a> Script<'a> {
    /// A fresh host with the session's activity, before its first step.
    async fn start(
        session: &'a Session,
        sandbox: &'a Arc<Sandbox>,
        wasm: &'a [u8],
        meter: Option<&'a FuelMeter>,
    ) -> anyhow::Result<Self> {
        let store = Arc::new(SqliteStore::open_in_memory().await?);
        let secret =
            *blake3::hash(format!("arcade plugin test\0{}", session.seed).as_bytes()).as_bytes();
        let setup = Setup {
            secret: Some(secret),
            scripted_from: Some(session.start_ms),
            dev_mode: false,
        };
        let admin = hex::encode(crate::randomness::generate_key());
        let host = LocalHost::start(store, sandbox.clone(), wasm.to_vec(), &admin, setup).await?;
        let activity = host
            .create_activity(
                session.config.clone(),
                session.timezone.clone(),
                session.starts_at.clone(),
                session.ends_at.clone(),
            )
            .await?;
        let tz = crate::clock::parse_timezone(&activity.timezone).unwrap_or(chrono_tz::UTC);
        let script = Script {
            session,
            sandbox,
            wasm,
            meter,
            host,
            activity: activity.id,
            tz,
            events_after: None,
            outcomes_after: None,
        };
        script.calls();
        Ok(script)
    }

    /// The plugin calls since the last time asked (none unmetered).
    fn calls(&self) -> Vec<Call> {
        self.meter.map(FuelMeter::take).unwrap_or_default()
    }

    /// Run step `i`: its output and the plugin calls it made.
    async fn step(&mut self, i: usize) -> anyhow::Result<(Output, Vec<Call>)> {
        let session = self.session;
        let Step::Together(t) = &session.steps[i] else {
            let out = self.simple(&session.steps[i]).await?;
            return Ok((out, self.calls()));
        };
        if self.meter.is_none() {
            anyhow::bail!(
                "a `together` step needs the fuel meter (another tracing subscriber is set)"
            );
        }
        let a = self.action(&t.together[0]).await?;
        let calls_a = self.calls();
        let b = self.action(&t.together[1]).await?;
        let mut calls = calls_a;
        let split = calls.len();
        calls.extend(self.calls());
        // B first, from the same state: a second host that replays the
        // steps before this one.
        let mut fork = Script::start(session, self.sandbox, self.wasm, self.meter).await?;
        for earlier in &session.steps[..i] {
            match earlier {
                Step::Together(e) => {
                    fork.action(&e.together[0]).await?;
                    fork.action(&e.together[1]).await?;
                }
                other => drop(fork.simple(other).await?),
            }
        }
        fork.calls();
        fork.host.arcade.swap_next_ids();
        let b_first = fork.action(&t.together[1]).await?;
        let calls_b = fork.calls();
        let a_second = fork.action(&t.together[0]).await?;
        fork.calls();
        let together = Together::judge([a, b], [b_first, a_second], [&calls[..split], &calls_b]);
        let out = Output {
            together: Some(Box::new(together)),
            ..Output::default()
        };
        Ok((out, calls))
    }

    /// A user's action, as the API would answer it.
    async fn action(&mut self, a: &ActionStep) -> anyhow::Result<Output> {
        let arcade = self.host.arcade.clone();
        let mut out = Output {
            user: Some(a.user.clone()),
            action: Some(a.action.clone()),
            ..Output::default()
        };
        let req = ActionRequest {
            user_id: a.user.clone(),
            action: a.action.clone(),
            payload: a.payload.clone(),
            group_id: None,
        };
        let key = a.idempotency_key.as_deref();
        match arcade
            .act(&self.host.tenant, &self.activity, req, key)
            .await
        {
            Ok(body) => {
                let v: Value = serde_json::from_str(&body)?;
                out.status = Some(200);
                out.result = v.get("result").cloned();
                out.rewards = v.get("rewards").cloned();
                self.skip_outcomes().await?;
            }
            Err(e) => refused(&mut out, &e),
        }
        out.events = self
            .new_events()
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        Ok(out)
    }

    /// An action, a view or a time step.
    async fn simple(&mut self, step: &Step) -> anyhow::Result<Output> {
        let arcade = self.host.arcade.clone();
        let tenant = self.host.tenant.clone();
        let mut out = Output::default();
        match step {
            Step::Action(a) => return self.action(a).await,
            Step::View(v) => {
                out.view = Some(v.view.clone().map_or(Value::Null, Value::String));
                out.query = (!v.query.is_empty()).then(|| v.query.clone());
                match arcade
                    .view(&tenant, &self.activity, v.view.as_deref(), &v.query)
                    .await
                {
                    Ok(view) => {
                        out.status = Some(200);
                        out.result = Some(view);
                    }
                    Err(e) => refused(&mut out, &e),
                }
            }
            Step::Advance(a) => {
                out.advance = Some(a.advance.clone());
                let target = arcade.now() + session::duration_ms(&a.advance)?;
                self.fire_until(target).await?;
                arcade.freeze_clock(Some(target));
                out.now = Some(self.time(target));
                out.timers = Some(self.timer_outputs().await?);
            }
            Step::Together(_) => unreachable!("`step` runs together steps"),
        }
        Ok(out)
    }

    /// Fire each timer due by `target` with the clock at its due time.
    async fn fire_until(&self, target: i64) -> anyhow::Result<()> {
        let arcade = &self.host.arcade;
        for _ in 0..MAX_FIRINGS {
            let pending = arcade.store().pending_timers(&self.activity).await?;
            let Some(due) = pending.iter().map(|(_, due)| *due).min() else {
                return Ok(());
            };
            if due > target {
                return Ok(());
            }
            arcade.freeze_clock(Some(due.max(arcade.now())));
            // A timer left pending (its call timed out) stays leased while
            // the clock stands still: nothing more will fire.
            if arcade.fire_due_timers().await? == 0 {
                return Ok(());
            }
        }
        anyhow::bail!("more than {MAX_FIRINGS} timer firings in one advance")
    }

    /// The outcomes since the last step's: the timers' calls.
    async fn timer_outputs(&mut self) -> anyhow::Result<Vec<Timer>> {
        let mut events = self.new_events().await?;
        let mut timers = Vec::new();
        for o in self.new_outcomes().await? {
            let mine: Vec<Event> = events
                .extract_if(.., |(outcome, _)| *outcome == o.id)
                .map(|(_, e)| e)
                .collect();
            timers.push(Timer {
                timer: o
                    .action
                    .strip_prefix("timer:")
                    .unwrap_or(&o.action)
                    .to_owned(),
                at: self.time(crate::clock::parse_rfc3339(&o.created_at).unwrap_or_default()),
                result: o.result,
                rewards: serde_json::to_value(&o.rewards).expect("rewards serialize"),
                events: mine,
            });
        }
        Ok(timers)
    }

    /// Outcomes after the last one seen, in order.
    async fn new_outcomes(&mut self) -> anyhow::Result<Vec<crate::service::OutcomeView>> {
        let mut all = Vec::new();
        loop {
            let page = self
                .host
                .arcade
                .outcomes(
                    &self.host.tenant,
                    &self.activity,
                    self.outcomes_after.as_deref(),
                    Some(500),
                )
                .await?;
            if let Some(last) = page.outcomes.last() {
                self.outcomes_after = Some(last.id.clone());
            }
            all.extend(page.outcomes);
            if page.next.is_none() {
                return Ok(all);
            }
        }
    }

    async fn skip_outcomes(&mut self) -> anyhow::Result<()> {
        self.new_outcomes().await.map(drop)
    }

    /// Events after the last one seen, with their outcome ids.
    async fn new_events(&mut self) -> anyhow::Result<Vec<(String, Event)>> {
        let mut all = Vec::new();
        loop {
            let page = self
                .host
                .arcade
                .events(&self.host.tenant, self.events_after, Some(500))
                .await?;
            if page.events.is_empty() {
                return Ok(all);
            }
            self.events_after = page.next;
            all.extend(page.events.into_iter().map(|e| {
                let event = Event {
                    kind: e.kind,
                    subject: e.subject,
                    data: e.data,
                };
                (e.outcome_id, event)
            }));
        }
    }

    fn time(&self, ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&self.tz)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    }
}

fn refused(out: &mut Output, e: &crate::error::Error) {
    out.status = Some(e.status());
    out.code = Some(e.code());
    out.message = Some(e.to_string());
}
