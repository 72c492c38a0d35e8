//! The acting user's balances with the tenant: `points`, and ticket
//! balances (such as extra draws) named by mechanics. Credits are rewards
//! ([`Reward::points`](crate::Reward::points),
//! [`Reward::tickets`](crate::Reward::tickets)); debits go through here and
//! never take a balance below zero.

/// The currency of loyalty points.
pub const POINTS: &str = "points";

/// Why a debit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletError {
    /// Not enough in the balance.
    Insufficient,
    /// A non-positive amount or a bad currency name.
    InvalidAmount,
}

/// The acting user's balance of `currency`, as this call sees it.
pub fn balance(currency: &str) -> i64 {
    imp::balance(currency)
}

/// Take `amount` from the acting user's `currency` balance; all or nothing.
pub fn debit(currency: &str, amount: i64) -> Result<(), WalletError> {
    imp::debit(currency, amount)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::WalletError;
    use crate::bindings::arcade::mechanic::wallet::{self as wit, WalletError as W};

    pub fn balance(currency: &str) -> i64 {
        wit::balance(currency)
    }
    pub fn debit(currency: &str, amount: i64) -> Result<(), WalletError> {
        wit::debit(currency, amount).map_err(|e| match e {
            W::Insufficient => WalletError::Insufficient,
            W::InvalidAmount => WalletError::InvalidAmount,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::WalletError;
    use crate::testing::with_call;

    pub fn balance(currency: &str) -> i64 {
        with_call(|c| c.balance(currency))
    }
    pub fn debit(currency: &str, amount: i64) -> Result<(), WalletError> {
        with_call(|c| c.debit(currency, amount))
    }
}
