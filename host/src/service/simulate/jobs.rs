//! Background simulations: a job per `"background": true` request, its
//! progress counted by the runs as they go, its report kept for an hour.
//! Jobs live in the memory of the replica that runs them: a client polls
//! the replica it started the job on (or starts it again; a seed gives
//! the same report).

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::{Progress, Report};
use crate::error::{Error, Result};
use crate::sandbox::Overloaded;

/// How long a finished job's report is kept.
pub const KEEP: Duration = Duration::from_secs(3600);
/// Background simulations one replica runs at once.
pub const MAX_RUNNING: usize = 4;

/// One background simulation.
pub(crate) struct Job {
    tenant: String,
    pub(crate) progress: Arc<Progress>,
    /// The report or the error, once finished, with when.
    finished: Mutex<Option<(Result<Value, Value>, Instant)>>,
}

impl Job {
    pub(crate) fn finish(&self, result: Result<Report>) {
        let result = match result {
            Ok(report) => Ok(serde_json::to_value(report).expect("report serializes")),
            Err(e) => Err(json!({"code": e.code(), "message": e.to_string()})),
        };
        *self.finished.lock().expect("job") = Some((result, Instant::now()));
    }

    fn done(&self) -> bool {
        self.finished.lock().expect("job").is_some()
    }
}

/// What `GET /v1/simulations/{id}` shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SimulationView {
    /// Job id.
    pub id: String,
    /// `running`, `done` or `failed`.
    pub status: &'static str,
    /// Actions simulated so far.
    pub done: u64,
    /// Actions planned.
    pub total: u64,
    /// The report, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Value>,
    /// `{"code","message"}`, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// The jobs of this replica.
#[derive(Default)]
pub(crate) struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// A new running job of `tenant`, unless too many are running.
    pub(crate) fn start(&self, tenant: &str) -> Result<(String, Arc<Job>)> {
        let mut jobs = self.jobs.lock().expect("jobs");
        jobs.retain(|_, j| match &*j.finished.lock().expect("job") {
            Some((_, at)) => at.elapsed() < KEEP,
            None => true,
        });
        if jobs.values().filter(|j| !j.done()).count() >= MAX_RUNNING {
            return Err(Error::Overloaded(Overloaded {
                reason: "too many simulations are running on this replica",
                retry_after: Duration::from_secs(5),
            }));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let job = Arc::new(Job {
            tenant: tenant.to_owned(),
            progress: Arc::default(),
            finished: Mutex::new(None),
        });
        jobs.insert(id.clone(), job.clone());
        Ok((id, job))
    }

    /// A job of `tenant` (another tenant's is not found).
    pub(crate) fn view(&self, tenant: &str, id: &str) -> Result<SimulationView> {
        let job = self
            .jobs
            .lock()
            .expect("jobs")
            .get(id)
            .filter(|j| j.tenant == tenant)
            .cloned()
            .ok_or_else(|| Error::not_found("simulation", id))?;
        let (done, total) = (
            job.progress.done.load(Relaxed),
            job.progress.total.load(Relaxed),
        );
        let finished = job.finished.lock().expect("job");
        let (status, report, error) = match &*finished {
            None => ("running", None, None),
            Some((Ok(r), _)) => ("done", Some(r.clone()), None),
            Some((Err(e), _)) => ("failed", None, Some(e.clone())),
        };
        Ok(SimulationView {
            id: id.to_owned(),
            status,
            done,
            total,
            report,
            error,
        })
    }
}
