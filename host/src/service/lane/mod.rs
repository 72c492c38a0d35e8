//! Hot activities: per-activity lanes where queued actions run one after
//! another, each over the writes of the ones before it, and commit as a
//! chain.
//!
//! Optimistic commits serve an activity whose actions touch different
//! rows. When many actions want the same row at once (one red-packet
//! counter, one team, one bargain), all but one of each round lose the
//! compare-and-set and run again, and under a flash crowd most of them
//! lose again. So the first conflict makes the activity hot: from then on
//! its actions queue in its lane, and one task serves the lane in rounds.
//! A round takes everything queued (up to [`MAX_ROUND`]), reads their
//! snapshots (one statement on Postgres), runs them in queue order on one
//! thread, each over an [`Overlay`] of the earlier runs' writes, stock,
//! balances and first-seen times, and commits them in that order with
//! [`crate::store::Store::commit_chain`].
//!
//! Invariants:
//! - Every commit keeps its own version checks. If a commit of the chain
//!   is refused (a writer outside the lane got there first), the commits
//!   that built on its writes are refused too, by those checks, and their
//!   actions go back to the front of the queue for the next round.
//! - A scope the guest reads lazily (a team) is read from the store once
//!   per round; later runs see that read through the overlay. Its
//!   versions are those of the store at the read, so a write from outside
//!   the lane since then fails the chain's checks like any other.
//! - The first action of every round runs on a fresh snapshot, so unless
//!   writers outside the lane interfere, each round commits at least one
//!   action: a lane cannot livelock by itself. Only an action that finds
//!   no round to commit it within [`PATIENCE`] gets `503 contention`.
//! - A mechanic's refusal (`team_full`, `sold_out`) is answered only if
//!   every commit before it in the round succeeded, so it never rests on
//!   writes that did not happen; otherwise the action runs again.
//! - Across replicas each has its own lane, and the database decides
//!   between their chains. A round that commits nothing (the other lane
//!   moved the rows between this round's snapshots and its commit) makes
//!   the next one a quarter the size, down to one action, so the window
//!   from snapshot to commit shrinks until a round commits; rounds that
//!   commit whole grow back, doubling up to [`MAX_ROUND`].
//! - A lane lives while it has work and for [`HOT_FOR`] after; then the
//!   activity's actions go back to optimistic commits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use self::overlay::{ChainLoader, Overlay};

mod overlay;

use super::calls::{CallSpec, Ran, call_io, execute};
use super::{Arcade, blocking};
use crate::error::{Error, Result};
use crate::store::{ActionCommit, StoreError};

/// Most actions run in one round.
pub(crate) const MAX_ROUND: usize = 512;
/// How long an activity stays hot after its lane last had work.
pub(crate) const HOT_FOR: Duration = Duration::from_secs(2);
/// How long an action may wait in a lane for a round that commits it.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

struct Queued {
    spec: CallSpec,
    reply: oneshot::Sender<Result<String>>,
    since: Instant,
}

/// The lanes of the activities that are hot now.
#[derive(Default)]
pub(crate) struct Lanes {
    open: Mutex<HashMap<String, mpsc::UnboundedSender<Queued>>>,
    /// Actions submitted and not yet answered (for `GET /metrics`).
    waiting: std::sync::atomic::AtomicUsize,
}

/// Counts an action out of [`Lanes::waiting`] when its wait ends.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Lanes {
    /// Whether the activity's actions queue in a lane now.
    pub(crate) fn is_hot(&self, activity_id: &str) -> bool {
        self.open
            .lock()
            .expect("lanes poisoned")
            .contains_key(activity_id)
    }

    /// Hot activities, and actions waiting in their lanes, now.
    pub(crate) fn levels(&self) -> (usize, usize) {
        let hot = self.open.lock().expect("lanes poisoned").len();
        (hot, self.waiting.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Queue an action in its activity's lane (opening it if needed) and
    /// wait for its answer.
    pub(crate) async fn submit(&self, arcade: &Arc<Arcade>, spec: CallSpec) -> Result<String> {
        self.waiting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            spec,
            reply,
            since: Instant::now(),
        };
        {
            let mut open = self.open.lock().expect("lanes poisoned");
            let activity_id = queued.spec.activity.record.id.clone();
            let lane = open.entry(activity_id.clone()).or_insert_with(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(serve(arcade.clone(), activity_id, rx));
                tx
            });
            // The lane closes its queue only after leaving the map, under
            // this lock, so a sender found in the map is always open.
            lane.send(queued)
                .map_err(|_| Error::Internal("an activity lane closed early".into()))?;
        }
        answer
            .await
            .map_err(|_| Error::Internal("an activity lane dropped an action".into()))?
    }
}

/// Serve one activity's lane until it has been idle for [`HOT_FOR`].
async fn serve(arcade: Arc<Arcade>, activity_id: String, mut rx: mpsc::UnboundedReceiver<Queued>) {
    let mut pending: VecDeque<Queued> = VecDeque::new();
    let mut closing = false;
    // Actions per round: shrinks when a round commits nothing, grows back
    // when one commits whole.
    let mut limit = MAX_ROUND;
    loop {
        if pending.is_empty() {
            if closing {
                return;
            }
            let mut fresh = Vec::new();
            match tokio::time::timeout(HOT_FOR, rx.recv_many(&mut fresh, MAX_ROUND)).await {
                Ok(0) => return,
                Ok(_) => pending.extend(fresh),
                Err(_) => {
                    // Idle: leave the map, then serve whatever was sent
                    // before we left and stop.
                    arcade
                        .lanes
                        .open
                        .lock()
                        .expect("lanes poisoned")
                        .remove(&activity_id);
                    rx.close();
                    closing = true;
                    while let Ok(q) = rx.try_recv() {
                        pending.push_back(q);
                    }
                    continue;
                }
            }
        }
        while pending.len() < MAX_ROUND {
            match rx.try_recv() {
                Ok(q) => pending.push_back(q),
                Err(_) => break,
            }
        }
        let take = pending.len().min(limit);
        let round: Vec<Queued> = pending.drain(..take).collect();
        let again = run_round(&arcade, round).await;
        if again.len() == take {
            // Nothing settled: a writer outside the lane (another
            // replica's lane) moved the rows between our snapshots and
            // our commit. Smaller rounds shorten that window until one
            // commits; a short random pause keeps two lanes from meeting
            // in step again.
            limit = (limit / 4).max(1);
            let pause = Duration::from_micros(u64::from(rand::random::<u16>() % 2000));
            tokio::time::sleep(pause).await;
        } else if again.is_empty() {
            limit = (limit * 2).min(MAX_ROUND);
        }
        // Actions to run again go first, in their order.
        for q in again.into_iter().rev() {
            if q.since.elapsed() > PATIENCE {
                let _ = q.reply.send(Err(Error::Contention));
            } else {
                pending.push_front(q);
            }
        }
    }
}

/// What one action of a round came to before the commit.
enum Step {
    Ran(Box<Ran>),
    Failed(Error),
}

/// Run one round; answer what is settled and return what must run again.
async fn run_round(arcade: &Arc<Arcade>, round: Vec<Queued>) -> Vec<Queued> {
    let t0 = Instant::now();
    let n = round.len();
    let oldest = round.iter().map(|q| q.since.elapsed()).max();
    let Some(activity_id) = round.first().map(|q| q.spec.activity.record.id.clone()) else {
        return Vec::new();
    };
    let users: Vec<&str> = round.iter().map(|q| q.spec.user_id.as_str()).collect();
    let snapshots = arcade.store.snapshots(&activity_id, &users).await;
    drop(users);
    let t_snap = t0.elapsed();
    let snapshots = match snapshots {
        Ok(s) => s,
        Err(e) => {
            // The same storage failure for every action of the round.
            let why = e.to_string();
            for q in round {
                let e = StoreError::Database(sqlx::Error::Protocol(why.clone()));
                let _ = q.reply.send(Err(e.into()));
            }
            return Vec::new();
        }
    };
    let mut work = Vec::with_capacity(round.len());
    for (q, s) in round.into_iter().zip(snapshots) {
        let loader = arcade.loader(&q.spec.activity, &q.spec.user_id);
        work.push((q, s, loader));
    }
    let sandbox = arcade.sandbox.clone();
    let clock = arcade.clone();
    // One sandbox slot for the whole round: its runs go one at a time.
    let tenant = match work.first() {
        Some((q, _, _)) => q.spec.activity.record.tenant_id.clone(),
        None => return Vec::new(),
    };
    let permit = match arcade.sandbox.admit(&tenant).await {
        Ok(p) => p,
        Err(overloaded) => {
            for (q, _, _) in work {
                let _ = q.reply.send(Err(Error::from(overloaded.clone())));
            }
            return Vec::new();
        }
    };
    let ran = blocking(move || {
        let _slot = permit;
        let overlay = Arc::new(Mutex::new(Overlay::default()));
        work.into_iter()
            .map(|(q, snapshot, loader)| {
                let now = clock.now();
                let snapshot = overlay
                    .lock()
                    .expect("overlay poisoned")
                    .apply(snapshot, &q.spec.user_id);
                let loader = Box::new(ChainLoader {
                    inner: loader,
                    overlay: overlay.clone(),
                });
                let io = call_io(&q.spec, now, snapshot, loader);
                let step = match execute(&sandbox, &clock.metrics, &q.spec, io, now) {
                    Ok(ran) => {
                        overlay
                            .lock()
                            .expect("overlay poisoned")
                            .absorb(&ran.commit);
                        Step::Ran(Box::new(ran))
                    }
                    Err(e) => Step::Failed(e),
                };
                (q, step)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let ran = match ran {
        Ok(ran) => ran,
        Err(e) => {
            // The sandbox thread died; its actions were dropped with it,
            // and their callers learn so from their closed replies.
            tracing::error!(error = %e, "a lane round failed");
            return Vec::new();
        }
    };

    let commits: Vec<ActionCommit> = ran
        .iter()
        .filter_map(|(_, step)| match step {
            Step::Ran(r) => Some(r.commit.clone()),
            Step::Failed(_) => None,
        })
        .collect();
    let t_ran = t0.elapsed();
    let mut answers = arcade.store.commit_chain(&commits).await.into_iter();
    tracing::debug!(
        actions = n,
        oldest_waited_ms = oldest.unwrap_or_default().as_millis() as u64,
        snapshots_ms = t_snap.as_millis() as u64,
        runs_ms = (t_ran - t_snap).as_millis() as u64,
        commit_ms = (t0.elapsed() - t_ran).as_millis() as u64,
        "lane round"
    );

    let mut again = Vec::new();
    let mut all_committed = true;
    for (q, step) in ran {
        match step {
            Step::Ran(r) => match answers.next().unwrap_or(Err(StoreError::Conflict)) {
                Ok(()) => {
                    let _ = q.reply.send(Ok(r.body));
                }
                Err(StoreError::Conflict) => {
                    all_committed = false;
                    again.push(q);
                }
                Err(StoreError::KeyTaken) => {
                    all_committed = false;
                    let answer = arcade.taken_key_response(&q.spec).await;
                    let _ = q.reply.send(answer);
                }
                Err(e) => {
                    all_committed = false;
                    let _ = q.reply.send(Err(e.into()));
                }
            },
            // A refusal or failure over writes that all committed stands;
            // over writes that did not, the action runs again.
            Step::Failed(e) if all_committed => {
                let _ = q.reply.send(Err(e));
            }
            Step::Failed(_) => again.push(q),
        }
    }
    again
}
