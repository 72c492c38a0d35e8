//! A deliberately misbehaving plugin for containment tests. It speaks the
//! raw `arcade:mechanic` bindings so it can break the contract in ways the
//! SDK would not allow. Each action misbehaves differently:
//! `ok` succeeds, `loop` spins forever, `oom` allocates without bound,
//! `trap` panics, `bad-json` returns a result that is not JSON, `huge`
//! returns a result larger than the output cap, `bad-code` refuses with an
//! invalid error code, `write-then-trap` writes state and stock and then
//! panics; `nul-result`, `nul-reward` and `nul-state` put U+0000 in the
//! result, a reward name and a state value; `impersonate` refuses with the
//! code named in its payload (`{"code": "..."}`), host codes included.

use arcade_sdk::bindings::arcade::mechanic::{state, stock, types::Scope};
use arcade_sdk::bindings::{
    Action, ActionSpec, Budget, ConfigError, Context, Error, ErrorKind, Guest, Manifest, Outcome,
    Reward, RewardKind, Setup, StockPool, Timer,
};

struct Hostile;

const ACTIONS: &[&str] = &[
    "ok",
    "loop",
    "oom",
    "trap",
    "bad-json",
    "huge",
    "bad-code",
    "write-then-trap",
    "nul-result",
    "nul-reward",
    "nul-state",
    "impersonate",
];

impl Guest for Hostile {
    fn describe() -> Manifest {
        Manifest {
            name: "hostile".into(),
            version: "0.1.0".into(),
            summary: "Misbehaves on purpose.".into(),
            actions: ACTIONS
                .iter()
                .map(|a| ActionSpec {
                    name: (*a).into(),
                    summary: format!("misbehave: {a}"),
                    payload_schema: "{}".into(),
                })
                .collect(),
            config_schema: "{}".into(),
            budget: Budget {
                fuel: None,
                memory_bytes: None,
                timeout_ms: None,
            },
        }
    }

    fn validate_config(config: String) -> Result<Setup, Vec<ConfigError>> {
        if config.contains("\"invalid\"") {
            return Err(vec![ConfigError {
                field: "invalid".into(),
                message: "asked to be invalid".into(),
            }]);
        }
        Ok(Setup {
            stock: vec![StockPool {
                id: "pool".into(),
                initial: 10,
            }],
        })
    }

    fn handle(_ctx: Context, action: Action) -> Result<Outcome, Error> {
        let ok = |result: String| {
            Ok(Outcome {
                result,
                rewards: vec![],
                events: vec![],
            })
        };
        match action.name.as_str() {
            "ok" => {
                let n: u64 = state::get(&Scope::User, "count")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                state::set(&Scope::User, "count", &(n + 1).to_string());
                ok(format!("{{\"count\":{}}}", n + 1))
            }
            "loop" => {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Reserve without touching: growth, not fuel, is the cost.
                    hoard.push(Vec::with_capacity(1 << 20));
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("deliberate trap"),
            "bad-json" => ok("this is not json {".into()),
            "huge" => ok(format!("\"{}\"", "x".repeat(2 << 20))),
            "bad-code" => Err(Error {
                kind: ErrorKind::Rejected,
                code: "Not A Code!".into(),
                message: "bad".into(),
            }),
            "write-then-trap" => {
                state::set(&Scope::Activity, "poisoned", "true");
                let _ = stock::claim("pool", 1);
                panic!("trap after writing")
            }
            "nul-result" => ok("{\"note\":\"a\\u0000b\"}".into()),
            "nul-reward" => Ok(Outcome {
                result: "{}".into(),
                rewards: vec![Reward {
                    user_id: String::new(),
                    kind: RewardKind::Prize,
                    item: "gold".into(),
                    name: "Gold\0".into(),
                    amount: 1,
                    expires_ms: None,
                }],
                events: vec![],
            }),
            "nul-state" => {
                state::set(&Scope::User, "note", "a\0b");
                ok("{}".into())
            }
            "impersonate" => {
                // `{"code":"x"}`: the fourth piece between quotes is x.
                let code = action.payload.split('"').nth(3).unwrap_or("").to_owned();
                Err(Error {
                    kind: ErrorKind::Rejected,
                    code,
                    message: "a refusal wearing the code it was given".into(),
                })
            }
            other => Err(Error {
                kind: ErrorKind::InvalidInput,
                code: "unknown_action".into(),
                message: other.into(),
            }),
        }
    }

    fn view(_ctx: Context) -> Result<String, Error> {
        Ok("{\"broken\": ".into())
    }

    fn on_timer(_ctx: Context, _timer: Timer) -> Result<Outcome, Error> {
        panic!("no timers")
    }
}

arcade_sdk::bindings::export!(Hostile with_types_in arcade_sdk::bindings);
