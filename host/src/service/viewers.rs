//! Who viewed an activity: each `GET .../view` with a user id notes the
//! user for the activity's business day, in memory; the notes are written
//! in batches (by the statistics worker, and before a dashboard is read),
//! each once per user and day. A view stays a read: a crowd refreshing a
//! red packet's page costs no write per request. Notes not yet written
//! when the process stops are lost (at most a second of them).

use std::collections::HashSet;
use std::sync::Mutex;

use super::Arcade;
use crate::error::Result;

/// Notes remembered as written, to skip repeats; cleared when it grows
/// past this (a repeat then costs one ignored insert).
const SEEN_LIMIT: usize = 200_000;
/// Rows written per store call.
const BATCH: usize = 1_000;

type Row = (String, String, String);

/// The notes of one replica.
#[derive(Default)]
pub(crate) struct Viewers {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: Vec<Row>,
    seen: HashSet<Row>,
}

impl Viewers {
    /// Note that `user` viewed `activity` on `day`.
    pub(crate) fn note(&self, activity: &str, day: String, user: &str) {
        let row = (activity.to_owned(), day, user.to_owned());
        let mut s = self.state.lock().expect("viewers lock");
        if s.seen.len() >= SEEN_LIMIT {
            s.seen.clear();
        }
        if s.seen.insert(row.clone()) {
            s.pending.push(row);
        }
    }

    fn take(&self) -> Vec<Row> {
        std::mem::take(&mut self.state.lock().expect("viewers lock").pending)
    }

    fn put_back(&self, rows: Vec<Row>) {
        let mut s = self.state.lock().expect("viewers lock");
        s.pending.extend(rows);
    }
}

impl Arcade {
    /// Write the noted viewers; on a store error they stay noted.
    pub async fn flush_viewers(&self) -> Result<usize> {
        let rows = self.viewers.take();
        let n = rows.len();
        for (i, chunk) in rows.chunks(BATCH).enumerate() {
            if let Err(e) = self.store.record_viewers(chunk).await {
                self.viewers.put_back(rows[i * BATCH..].to_vec());
                return Err(e.into());
            }
        }
        Ok(n)
    }
}
