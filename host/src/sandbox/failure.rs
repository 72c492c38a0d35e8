//! How a plugin call can fail, each with its own stable error code, and
//! the host faults that can end a call without being the plugin's doing.

use super::admission::Overloaded;

/// A plugin call that failed for a reason of the plugin's own making. It
/// costs only the action that triggered it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PluginFailure {
    /// The call used up its fuel.
    #[error("plugin ran out of fuel ({0} units)")]
    FuelExhausted(u64),
    /// The call ran past its wall-clock deadline.
    #[error("plugin exceeded its {0} ms deadline")]
    Timeout(u32),
    /// The call tried to grow memory past its limit.
    #[error("plugin tried to use more than {0} bytes of memory")]
    MemoryExceeded(usize),
    /// The guest trapped (panic, unreachable, out-of-bounds access, ...).
    #[error("plugin trapped: {0}")]
    Trap(String),
    /// The guest returned something the contract forbids.
    #[error("plugin returned malformed output: {0}")]
    BadOutput(String),
    /// The component does not implement the contract.
    #[error("plugin is incompatible with arcade:mechanic@0.1.0: {0}")]
    Incompatible(String),
    /// Not the plugin's doing: the host failed while the call ran (a
    /// lazy read from the store, a full instance pool). It surfaces as a
    /// host error (`storage_error`, `overloaded`), never as `plugin_*`.
    #[error(transparent)]
    Host(HostFault),
}

impl PluginFailure {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PluginFailure::FuelExhausted(_) => "plugin_fuel_exhausted",
            PluginFailure::Timeout(_) => "plugin_timeout",
            PluginFailure::MemoryExceeded(_) => "plugin_memory_exceeded",
            PluginFailure::Trap(_) => "plugin_trap",
            PluginFailure::BadOutput(_) => "plugin_bad_output",
            PluginFailure::Incompatible(_) => "plugin_incompatible",
            PluginFailure::Host(fault) => fault.code(),
        }
    }
}

/// Raised inside a call by the memory limiter.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded")]
pub struct MemoryExceeded {
    /// The limit.
    pub limit: usize,
}

/// Raised inside a call by a host import that was misused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadOutput(pub String);

/// A host failure during a call. Host imports raise it (as the outer,
/// trapping error) when they cannot do their part, so the call ends and
/// the fault is reported as the host's.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HostFault {
    /// The store failed to answer a read.
    #[error("a storage read failed during the plugin call: {0}")]
    Storage(String),
    /// A host resource was exhausted (instance pool, database pool).
    #[error(transparent)]
    Overloaded(Overloaded),
    /// A call run on an async worker (see `CallIo::inline`) needed a
    /// blocking read or ran past its inline budget. Nothing it did is
    /// kept; the host runs it again from the start on the blocking pool.
    #[error("the call must run on the blocking pool")]
    Offload,
}

impl HostFault {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            HostFault::Storage(_) => "storage_error",
            HostFault::Overloaded(_) => "overloaded",
            HostFault::Offload => "internal_error",
        }
    }
}
