//! Schedule announcements: when an activity's `starts_at` or `ends_at`
//! passes, one `activity.started` or `activity.ended` event goes to the
//! tenant's event log; so does each boundary of a group's schedule
//! override (an enablement's `starts_at`/`ends_at`), with the same types
//! and the group's id in the data. Actions are refused or accepted by the
//! schedule itself at request time (`actions.rs`); the events tell
//! platforms and the console that the boundary passed, without polling
//! each activity. Each boundary is announced once: the event is appended
//! in the same transaction that marks it announced, so replicas racing
//! for it append one event between them. A group's override records the
//! boundary it announced rather than a flag, so moving the override to
//! another time announces it again when that time passes (at once if it
//! already has); the activity's own schedule never changes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::Arcade;
use crate::clock::to_rfc3339;
use crate::error::Result;

/// How often the worker looks for boundaries that passed.
pub const SCHEDULE_TICK: Duration = Duration::from_millis(500);
/// Boundaries announced per look.
const BATCH: i64 = 100;

impl Arcade {
    /// Announce every boundary that has passed; returns how many events
    /// this call appended.
    pub async fn announce_schedules(&self) -> Result<usize> {
        let mut appended = 0;
        loop {
            let now = self.now();
            let due = self.store.due_announcements(now, BATCH).await?;
            if due.is_empty() {
                return Ok(appended);
            }
            let mut progressed = false;
            for a in &due {
                let mut data = json!({
                    "activity_id": a.activity_id,
                    "at": to_rfc3339(a.at),
                });
                if let Some(group) = &a.group_id {
                    data["group_id"] = json!(group);
                }
                let data = data.to_string();
                if self.store.announce(a, &data, now).await? {
                    appended += 1;
                    progressed = true;
                }
            }
            if !progressed {
                // Another replica announced these; it goes on with the rest.
                return Ok(appended);
            }
        }
    }
}

/// The schedule worker every replica runs.
pub async fn run_schedule(arcade: Arc<Arcade>) {
    loop {
        if let Err(e) = arcade.announce_schedules().await {
            tracing::warn!(error = %e, "schedule announcements failed; retrying");
        }
        tokio::time::sleep(SCHEDULE_TICK).await;
    }
}
