//! How a plugin call can fail, each with its own stable error code.

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
