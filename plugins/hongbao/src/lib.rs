//! Red packet (拼手气红包): a total in fen split into `count` packets of
//! random amounts. Each user grabs at most one; every packet holds at
//! least 1 fen and together they hold exactly the total. An optional
//! expiry stops the grabbing and reports what is left.
//!
//! Actions: `grab` (no payload). Timer: `expire`, scheduled by the first
//! grab when the config has `expires_at_ms`. Events: `packet.grabbed`
//! (subject the user, data `{"amount_fen"}`), `packet.emptied` when the
//! last packet goes, `packet.expired` (data `{"left", "fen_left"}`).
//! Refusals: `already_grabbed`, `sold_out`, `expired`.

pub mod config;
pub mod split;

use arcade_sdk::{
    Action, ConfigError, Context, Error, Manifest, Mechanic, Outcome, Reward, Setup, Timer, clock,
    json, random, state, timers,
};
use serde::{Deserialize, Serialize};

pub use config::Config;

/// The activity-scope key of the packets left.
const POOL: &str = "pool";
/// The user-scope key of what the user grabbed, in fen.
const GRABBED: &str = "grabbed_fen";
/// The timer that ends the grabbing.
const EXPIRE: &str = "expire";

/// What is left of the red packet; absent until the first grab.
#[derive(Debug, Serialize, Deserialize)]
struct Pool {
    /// Packets left.
    left: u64,
    /// Fen they hold between them.
    fen_left: u64,
    /// Whether the expiry has passed.
    expired: bool,
}

impl Pool {
    fn read(config: &Config) -> (Self, bool) {
        match state::activity().get::<Pool>(POOL) {
            Some(p) => (p, false),
            None => (
                Pool {
                    left: config.count,
                    fen_left: config.total_fen,
                    expired: false,
                },
                true,
            ),
        }
    }
}

/// The mechanic.
pub struct Hongbao;

impl Mechanic for Hongbao {
    type Config = Config;

    fn manifest() -> Manifest {
        Manifest::new(
            "hongbao",
            "0.1.0",
            "Red packet (拼手气红包): random amounts that sum to the total, one per user.",
        )
        .action(
            "grab",
            "Grab one packet.",
            json!({"type": "object", "additionalProperties": false}),
        )
        .config_schema(json!({
            "type": "object",
            "properties": {
                "total_fen": {"type": "integer", "minimum": 1, "maximum": config::MAX_TOTAL_FEN},
                "count": {"type": "integer", "minimum": 1, "maximum": config::MAX_COUNT},
                "expires_at_ms": {"type": ["integer", "null"]},
                "balance": {"type": "string", "pattern": "^[a-z0-9_]{1,64}$"}
            },
            "required": ["total_fen", "count"],
            "additionalProperties": false
        }))
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let problems = config.problems();
        if problems.is_empty() {
            Ok(Setup::default())
        } else {
            Err(problems)
        }
    }

    fn handle(ctx: &Context<Config>, action: &Action) -> Result<Outcome, Error> {
        if action.name != "grab" {
            return Err(Error::unknown_action(&action.name));
        }
        let config = &ctx.config;
        let me = state::user();
        if let Some(fen) = me.get::<u64>(GRABBED) {
            return Err(Error::rejected(
                "already_grabbed",
                format!("you already grabbed {fen} fen from this red packet"),
            ));
        }
        let (mut pool, first) = Pool::read(config);
        let past_expiry = config.expires_at_ms.is_some_and(|at| clock::now_ms() >= at);
        if pool.expired || past_expiry {
            return Err(Error::rejected("expired", "this red packet has expired"));
        }
        if pool.left == 0 {
            return Err(Error::rejected("sold_out", "every packet has been grabbed"));
        }
        if let (true, Some(at)) = (first, config.expires_at_ms) {
            timers::schedule(EXPIRE, at, &json!({}));
        }
        let amount = split::next_amount(pool.left, pool.fen_left, random::below);
        pool.left -= 1;
        pool.fen_left -= amount;
        state::activity().set(POOL, &pool);
        me.set(GRABBED, &amount);
        let mut outcome = Outcome::new(json!({
            "amount_fen": amount,
            "nth": config.count - pool.left,
            "left": pool.left,
        }))
        .reward(Reward::tickets(config.balance.as_str(), amount as i64))
        .event(
            "packet.grabbed",
            &ctx.user_id,
            json!({"amount_fen": amount}),
        );
        if pool.left == 0 {
            outcome = outcome.event("packet.emptied", "", json!({"count": config.count}));
        }
        Ok(outcome)
    }

    fn view(ctx: &Context<Config>) -> Result<serde_json::Value, Error> {
        let (pool, _) = Pool::read(&ctx.config);
        let mine = state::user().get::<u64>(GRABBED);
        Ok(json!({
            "total_fen": ctx.config.total_fen,
            "count": ctx.config.count,
            "left": pool.left,
            "fen_left": pool.fen_left,
            "expired": pool.expired,
            "expires_at_ms": ctx.config.expires_at_ms,
            "my_amount_fen": mine,
        }))
    }

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        if timer.name != EXPIRE {
            return Err(Error::rejected("unknown_timer", timer.name.clone()));
        }
        let (mut pool, _) = Pool::read(&ctx.config);
        pool.expired = true;
        state::activity().set(POOL, &pool);
        Ok(
            Outcome::new(json!({"left": pool.left, "fen_left": pool.fen_left})).event(
                "packet.expired",
                "",
                json!({"left": pool.left, "fen_left": pool.fen_left}),
            ),
        )
    }
}

arcade_sdk::export!(Hongbao);

#[cfg(test)]
mod tests {
    use arcade_sdk::testing::MockHost;
    use serde_json::json;

    use super::Hongbao;

    fn host(config: serde_json::Value) -> MockHost {
        let mut host = MockHost::new(&config.to_string());
        host.setup::<Hongbao>().expect("valid config");
        host
    }

    #[test]
    fn every_user_grabs_once_and_the_amounts_sum_to_the_total() {
        let mut host = host(json!({"total_fen": 1000, "count": 7}));
        let mut sum = 0;
        for i in 0..7 {
            let user = format!("u{i}");
            let out = host.handle::<Hongbao>(&user, "grab", json!({})).unwrap();
            let amount = out.result["amount_fen"].as_u64().unwrap();
            assert!(amount >= 1);
            assert_eq!(host.balance(&user, "hongbao_fen"), amount as i64);
            let again = host
                .handle::<Hongbao>(&user, "grab", json!({}))
                .unwrap_err();
            assert_eq!(again.code, "already_grabbed");
            sum += amount;
        }
        assert_eq!(sum, 1000);
        let late = host.handle::<Hongbao>("u9", "grab", json!({})).unwrap_err();
        assert_eq!(late.code, "sold_out");
    }

    #[test]
    fn config_problems_name_their_fields() {
        let mut host = MockHost::new(r#"{"total_fen": 3, "count": 5, "balance": "points"}"#);
        let errors = host.setup::<Hongbao>().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["total_fen", "balance"]);
    }
}
