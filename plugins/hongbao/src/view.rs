//! What a viewer sees: the packet's totals and, for a signed-in viewer,
//! what they grabbed.

use arcade_sdk::{Error, Value, View, json};

use crate::Config;
use crate::state::{self, Pool};

/// The view.
pub fn view(view: &View<Config>) -> Result<Value, Error> {
    let config = &view.config;
    let (pool, _) = Pool::read(config);
    let mine = view.viewer.as_ref().and_then(|_| state::grabbed());
    Ok(json!({
        "total_fen": config.total_fen,
        "count": config.count,
        "left": pool.left,
        "fen_left": pool.fen_left,
        "expired": pool.expired,
        "expires_at_ms": config.expires_at_ms,
        "my_amount_fen": mine,
    }))
}
