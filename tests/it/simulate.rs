//! The launch simulator over HTTP: the same seed gives the same report,
//! bad drafts are refused with stable codes, stock runs out when it
//! should, background jobs report progress, and budgets refuse configs
//! whose P95 cost is over them unless that is accepted.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{ADMIN, Reply, Server, Tenant};
use crate::support::Db;

both_backends!(
    same_seed_same_report,
    bad_drafts_are_refused,
    stock_runs_out_under_a_crowd,
    background_jobs_report_progress,
    budgets_refuse_over_budget_configs,
);

const STARTS: &str = "2026-12-01T00:00:00Z";
const ENDS: &str = "2026-12-02T00:00:00Z";

fn draw_config(mug_stock: u64) -> Value {
    json!({
        "prizes": [
            {"id": "mug", "name": "Mug", "weight": 1, "stock": mug_stock},
            {"id": "pen", "name": "Pen", "weight": 4}
        ],
        "miss_weight": 15
    })
}

fn request(seed: u64) -> Value {
    json!({
        "plugin": "lucky-draw",
        "config": draw_config(20),
        "starts_at": STARTS,
        "ends_at": ENDS,
        "audience": {"members": 300, "participation": 0.6, "actions_per_user": 1.5,
                     "arrival": "front_loaded"},
        "costs": {"mug": 3000, "pen": 150},
        "runs": 6,
        "seed": seed
    })
}

async fn simulate(s: &Server, t: &Tenant, body: Value) -> Reply {
    s.post(&t.operator, "/v1/activities/simulate", body).await
}

async fn key(s: &Server, t: &Tenant, role: &str) -> String {
    let path = format!("/v1/tenants/{}/keys", t.id);
    let r = s.post(ADMIN, &path, json!({"role": role})).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["key"].as_str().unwrap().to_owned()
}

async fn same_seed_same_report(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let a = simulate(&s, &t, request(7)).await;
    assert_eq!(a.status, 200, "{a:?}");
    let b = simulate(&s, &t, request(7)).await;
    assert_eq!(a.text, b.text, "the same seed gave another report");

    let r = &a.body;
    assert_eq!(r["runs"], 6);
    assert_eq!(r["seed"], 7);
    assert_eq!(r["cost_fen"]["per_run"].as_array().unwrap().len(), 6);
    let total = r["actions_total"].as_u64().unwrap();
    // 300 members, 60% taking part, 1.5 actions each, six runs.
    assert!((1300..1950).contains(&total), "{total}");
    let (p50, p95) = (
        r["cost_fen"]["p50"].as_i64().unwrap(),
        r["cost_fen"]["p95"].as_i64().unwrap(),
    );
    assert!(0 < p50 && p50 <= p95, "{r}");
    assert!(p95 <= r["cost_fen"]["max"].as_i64().unwrap());
    let rewarded = r["completion"]["rewarded"].as_f64().unwrap();
    // Odds of a prize: 5 in 20, while mugs last.
    assert!((0.15..0.35).contains(&rewarded), "{rewarded}");
    assert_eq!(r["completion"]["by_action"]["draw"]["succeeded"], 1.0);
    assert_eq!(r["uncosted"], json!([]));
    // The cost is the units times the unit costs.
    let mut sum = 0.0;
    for x in r["rewards"].as_array().unwrap() {
        let (units, unit) = (
            x["units_mean"].as_f64().unwrap(),
            x["unit_cost_fen"].as_f64().unwrap(),
        );
        let cost = x["cost_fen_mean"].as_f64().unwrap();
        assert!((units * unit - cost).abs() <= unit * 0.005 + 0.01, "{x}");
        sum += cost;
    }
    assert!(
        (r["cost_fen"]["expected"].as_f64().unwrap() - sum).abs() < 0.1,
        "{r}"
    );

    let c = simulate(&s, &t, request(8)).await;
    assert_eq!(c.status, 200, "{c:?}");
    assert_ne!(
        a.body["cost_fen"]["per_run"], c.body["cost_fen"]["per_run"],
        "another seed gave the same runs"
    );

    // Managers only: an analyst and the platform are refused.
    for role in ["analyst", "platform"] {
        let k = key(&s, &t, role).await;
        let r = s.post(&k, "/v1/activities/simulate", request(7)).await;
        assert_eq!(r.status, 403, "{role}: {r:?}");
    }
    // Nothing was stored: the tenant has no activities or outcomes.
    let list = s.get(&t.operator, "/v1/activities").await;
    assert_eq!(list.body["activities"], json!([]), "{list:?}");
}

async fn bad_drafts_are_refused(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let with = |path: &[&str], value: Value| {
        let mut body = request(1);
        let mut at = &mut body;
        for p in &path[..path.len() - 1] {
            at = &mut at[*p];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let cases = [
        (with(&["plugin"], json!("nope")), "unknown_plugin"),
        (with(&["config"], json!({"prizes": "x"})), "invalid_config"),
        (with(&["config"], json!([1])), "invalid_config"),
        (
            with(&["audience", "participation"], json!(1.5)),
            "invalid_audience",
        ),
        (
            with(&["audience", "actions_per_user"], json!(-1)),
            "invalid_audience",
        ),
        (
            with(&["audience", "groups"], json!([{"members": 3}])),
            "invalid_audience",
        ),
        (
            with(&["audience", "arrival"], json!([0, 0])),
            "invalid_audience",
        ),
        (
            with(&["audience", "arrival"], json!("sideways")),
            "invalid_body",
        ),
        (
            with(&["audience", "actions"], json!([{"name": "fly"}])),
            "unknown_action",
        ),
        (with(&["runs"], json!(0)), "invalid_simulation"),
        (with(&["runs"], json!(1001)), "invalid_simulation"),
        (
            with(&["audience", "members"], json!(9_000_000)),
            "simulation_too_large",
        ),
        (with(&["ends_at"], json!(STARTS)), "invalid_schedule"),
        (with(&["starts_at"], json!("tomorrow")), "invalid_schedule"),
        (
            with(&["timezone"], json!("Mars/Olympus")),
            "invalid_timezone",
        ),
        (with(&["costs", "mug"], json!(-1)), "invalid_costs"),
        (with(&["surprise"], json!(1)), "invalid_body"),
    ];
    for (body, code) in cases {
        let r = simulate(&s, &t, body.clone()).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, code), "{body}: {r:?}");
    }
    // An item without a unit cost is counted as free, and named.
    let mut body = request(1);
    body["costs"] = json!({"mug": 3000});
    let r = simulate(&s, &t, body).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["uncosted"], json!(["pen"]));
}

async fn stock_runs_out_under_a_crowd(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let run = |stock: u64| {
        let mut body = request(3);
        body["config"] = json!({
            "prizes": [{"id": "mug", "name": "Mug", "weight": 1, "stock": stock}],
            "miss_weight": 1
        });
        body["audience"] = json!({"members": 400, "arrival": "uniform"});
        body["runs"] = json!(4);
        body
    };
    // Five mugs, 400 draws at even odds over 24 hours: gone early.
    let small = simulate(&s, &t, run(5)).await;
    assert_eq!(small.status, 200, "{small:?}");
    let pool = &small.body["stock"][0];
    assert_eq!(pool["pool"], "mug");
    assert_eq!(pool["initial"], 5);
    assert_eq!(pool["ran_out_share"], 1.0);
    assert_eq!(pool["remaining_mean"], 0.0);
    let hour = pool["ran_out_hour_p50"].as_f64().unwrap();
    assert!(hour > 0.0 && hour < 3.0, "{pool}");
    let at = pool["ran_out_at_p50"].as_str().unwrap();
    assert!(at.starts_with("2026-12-01T0"), "{at}");
    // After that the draws still run, as misses.
    assert_eq!(small.body["completion"]["succeeded"], 1.0);

    let huge = simulate(&s, &t, run(1_000_000_000)).await;
    assert_eq!(huge.status, 200, "{huge:?}");
    let pool = &huge.body["stock"][0];
    assert_eq!(pool["ran_out_share"], 0.0);
    assert_eq!(pool["ran_out_hour_p50"], Value::Null);
    assert_eq!(pool["ran_out_at_p50"], Value::Null);

    // Several groups run the config as activities of their own.
    let mut body = run(5);
    body["audience"] = json!({"groups": [{"members": 400}, {"members": 0}]});
    let r = simulate(&s, &t, body).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["stock"][0]["ran_out_share"], 1.0);
    assert_eq!(r.body["stock"][1]["group"], 1);
    assert_eq!(r.body["stock"][1]["ran_out_share"], 0.0);
}

async fn background_jobs_report_progress(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let mut body = request(7);
    body["background"] = json!(true);
    let r = simulate(&s, &t, body).await;
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let total = r.body["total"].as_u64().unwrap();
    assert!(total > 0, "{r:?}");
    let path = format!("/v1/simulations/{id}");
    let mut last = Value::Null;
    for _ in 0..400 {
        let r = s.get(&t.operator, &path).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.body["done"].as_u64().unwrap() <= total);
        if r.body["status"] == "done" {
            last = r.body;
            break;
        }
        assert_eq!(r.body["status"], "running", "{r:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last["done"], total, "{last}");
    let sync = simulate(&s, &t, request(7)).await;
    assert_eq!(
        last["report"], sync.body,
        "a job's report is the synchronous one"
    );

    let other = s.tenant("other").await;
    let r = s.get(&other.operator, &path).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "simulation_not_found"));
    let analyst = key(&s, &t, "analyst").await;
    assert_eq!(s.get(&analyst, &path).await.status, 403);
}

async fn budgets_refuse_over_budget_configs(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    // The default audience is the group's reported members.
    let r = s
        .send(
            &t.operator,
            Method::PUT,
            &format!("/v1/groups/{}/members", t.group),
            Some(json!({"count": 200})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let costs = json!({"mug": 3000, "pen": 150});
    let create = |budget: i64, accept: bool| {
        json!({
            "plugin": "lucky-draw",
            "config": draw_config(1000),
            "starts_at": STARTS,
            "ends_at": ENDS,
            "budget_fen": budget,
            "costs": costs,
            "accept_over_budget": accept
        })
    };
    // 200 draws, a mug one in twenty: about ten mugs, 30,000 fen and more.
    let r = s.create_activity(&t, create(1000, false)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "over_budget"), "{r:?}");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("P95") && message.contains("1000 fen"),
        "{message}"
    );
    assert_eq!(
        s.get(&t.operator, "/v1/activities").await.body["activities"],
        json!([])
    );

    let r = s.create_activity(&t, create(1000, true)).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["budget_fen"], 1000);
    assert_eq!(r.body["costs"], costs);

    let r = s.create_activity(&t, create(1_000_000, false)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();

    // A change that makes nearly every draw a mug: 400 draws by the
    // request's own audience cost about 1,200,000 fen.
    let change = |accept: bool| {
        let mut config = draw_config(1000);
        config["miss_weight"] = json!(0);
        config["prizes"][0]["weight"] = json!(1000);
        json!({"config": config, "reason": "more mugs", "accept_over_budget": accept,
               "audience": {"members": 400}})
    };
    let path = format!("/v1/activities/{id}/config");
    let r = s
        .send(&t.operator, Method::PUT, &path, Some(change(false)), &[])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "over_budget"), "{r:?}");
    let r = s
        .send(&t.operator, Method::PUT, &path, Some(change(true)), &[])
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["revision"], 2);

    // Budget inputs without a budget, and a negative budget, are refused.
    let mut body = create(1000, true);
    body.as_object_mut().unwrap().remove("budget_fen");
    let r = s.create_activity(&t, body).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_budget"),
        "{r:?}"
    );
    let r = s.create_activity(&t, create(-1, false)).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_budget"),
        "{r:?}"
    );
}
