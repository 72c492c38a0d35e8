//! Inline attempts: a call runs first on the async worker that serves its
//! request, which saves two thread hand-offs per action (to the blocking
//! pool and back), a large share of a short call's cost on a small
//! machine. An attempt that would block (a lazy read) or run long (past
//! [`INLINE_BUDGET`](crate::sandbox::INLINE_BUDGET)) stops with nothing kept and runs again from the
//! start on the blocking pool; its plugin is then sent straight there for
//! [`OFFLOAD_MEMORY`], so a slow or hostile plugin costs an async worker
//! at most one budget per period.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

use crate::sandbox::{HostFault, Loader};
use crate::store::StateEntry;

/// How long a plugin whose attempt was moved stays on the blocking pool.
pub(crate) const OFFLOAD_MEMORY: Duration = Duration::from_secs(60);

/// Plugins (by hash) recently moved to the blocking pool, with until when.
#[derive(Default)]
pub(crate) struct Offloads {
    until: Mutex<HashMap<String, Instant>>,
}

impl Offloads {
    /// Whether a call of `plugin` may try inline now.
    pub(crate) fn inline_ok(&self, plugin: &str) -> bool {
        let mut until = self.until.lock().expect("offloads lock");
        match until.get(plugin) {
            Some(&t) if t > Instant::now() => false,
            Some(_) => {
                until.remove(plugin);
                true
            }
            None => true,
        }
    }

    /// Send `plugin`'s calls to the blocking pool for a while.
    pub(crate) fn mark(&self, plugin: &str) {
        let mut until = self.until.lock().expect("offloads lock");
        until.insert(plugin.to_owned(), Instant::now() + OFFLOAD_MEMORY);
    }
}

thread_local! {
    /// Set while this thread runs an inline attempt.
    static IN_ATTEMPT: Cell<bool> = const { Cell::new(false) };
}

/// Run an inline attempt. Some WASI host functions (a guest writing to
/// stderr, say) block on the runtime, which panics on an async worker;
/// such a panic unwinds out of the guest and ends the attempt like any
/// other reason to offload, without being printed. The call then runs
/// again on the blocking pool, where the same function works (and a
/// genuine host bug panics again, and is reported there).
pub(crate) fn attempt<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let loud = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_ATTEMPT.with(Cell::get) {
                loud(info);
            }
        }));
    });
    IN_ATTEMPT.with(|a| a.set(true));
    let done = catch_unwind(AssertUnwindSafe(f));
    IN_ATTEMPT.with(|a| a.set(false));
    done.unwrap_or(Err(Error::Offload))
}

/// The loader of an inline attempt: every lazy read would block, so each
/// ends the attempt.
pub(crate) struct RefusingLoader;

impl Loader for RefusingLoader {
    fn scope(&mut self, _scope_key: &str) -> Result<Vec<StateEntry>, HostFault> {
        Err(HostFault::Offload)
    }

    fn balances(&mut self) -> Result<Vec<(String, i64)>, HostFault> {
        Err(HostFault::Offload)
    }

    fn first_seen(&mut self) -> Result<Option<i64>, HostFault> {
        Err(HostFault::Offload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::INLINE_BUDGET;

    #[test]
    fn a_marked_plugin_waits_out_its_period() {
        let o = Offloads::default();
        assert!(o.inline_ok("a"));
        o.mark("a");
        assert!(!o.inline_ok("a"));
        assert!(o.inline_ok("b"));
        o.until
            .lock()
            .unwrap()
            .insert("a".into(), Instant::now() - Duration::from_millis(1));
        assert!(o.inline_ok("a"));
        assert!(o.until.lock().unwrap().is_empty());
    }

    #[test]
    fn a_panicking_attempt_is_offloaded_quietly() {
        let r: Result<()> = attempt(|| panic!("blocked on the runtime"));
        assert!(matches!(r, Err(Error::Offload)));
        assert!(!IN_ATTEMPT.with(Cell::get));
        assert_eq!(attempt(|| Ok(7)).unwrap(), 7);
    }

    #[test]
    fn the_budget_is_short() {
        assert!(INLINE_BUDGET <= Duration::from_millis(2));
    }
}
