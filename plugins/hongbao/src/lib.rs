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

pub mod actions;
pub mod config;
pub mod split;
pub mod state;
pub mod view;

use arcade_sdk::{ConfigError, Context, Error, Manifest, Mechanic, Outcome, Setup, Timer, View};

pub use actions::Action;
pub use config::Config;

/// The mechanic.
pub struct Hongbao;

impl Mechanic for Hongbao {
    type Config = Config;
    type Action = Action;

    fn manifest() -> Manifest {
        Manifest::new(
            "hongbao",
            "0.2.0",
            "Red packet (拼手气红包): random amounts that sum to the total, one per user.",
        )
    }

    fn validate(config: &Config) -> Result<Setup, Vec<ConfigError>> {
        let problems = config.problems();
        if problems.is_empty() {
            Ok(Setup::default())
        } else {
            Err(problems)
        }
    }

    fn handle(ctx: &Context<Config>, action: Action) -> Result<Outcome, Error> {
        match action {
            Action::Grab {} => actions::grab(ctx),
        }
    }

    fn view(view: &View<Config>) -> Result<arcade_sdk::Value, Error> {
        view::view(view)
    }

    fn on_timer(ctx: &Context<Config>, timer: &Timer) -> Result<Outcome, Error> {
        actions::expire(ctx, timer)
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
