//! Stock pools declared in [`Setup`](crate::Setup). A pool never goes below
//! zero: claims are checked again by the host at commit, and a call whose
//! claim no longer fits is re-run against fresh stock.

/// Why a stock operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockError {
    /// No pool with this id.
    UnknownPool,
    /// Not enough units left.
    Insufficient,
    /// Zero count, or a release beyond the pool's initial size.
    InvalidCount,
}

/// Units left in `pool` as this call sees it; `None` if unknown.
pub fn available(pool: &str) -> Option<u64> {
    imp::available(pool)
}

/// Take `count` units from `pool`, all or none.
pub fn claim(pool: &str, count: u64) -> Result<(), StockError> {
    imp::claim(pool, count)
}

/// Put `count` units back into `pool`.
pub fn release(pool: &str, count: u64) -> Result<(), StockError> {
    imp::release(pool, count)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::StockError;
    use crate::bindings::arcade::mechanic::stock::{self as wit, StockError as W};

    fn conv(e: W) -> StockError {
        match e {
            W::UnknownPool => StockError::UnknownPool,
            W::Insufficient => StockError::Insufficient,
            W::InvalidCount => StockError::InvalidCount,
        }
    }
    pub fn available(pool: &str) -> Option<u64> {
        wit::available(pool)
    }
    pub fn claim(pool: &str, count: u64) -> Result<(), StockError> {
        wit::claim(pool, count).map_err(conv)
    }
    pub fn release(pool: &str, count: u64) -> Result<(), StockError> {
        wit::release(pool, count).map_err(conv)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::StockError;
    use crate::testing::with_call;

    pub fn available(pool: &str) -> Option<u64> {
        with_call(|c| c.stock_available(pool))
    }
    pub fn claim(pool: &str, count: u64) -> Result<(), StockError> {
        with_call(|c| c.stock_claim(pool, count))
    }
    pub fn release(pool: &str, count: u64) -> Result<(), StockError> {
        with_call(|c| c.stock_release(pool, count))
    }
}
