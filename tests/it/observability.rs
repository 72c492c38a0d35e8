//! `GET /metrics` after real traffic: each server holds its own registry,
//! so the counts are exact. Who may read it, and the request id header.

use arcade_host::service::MetricsAccess;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::harness::{ADMIN, Server};
use crate::support::Db;

both_backends!(metrics_count_real_traffic, metrics_need_a_token);

/// The value of the series `series` (name and labels exactly as
/// rendered); panics if it is absent.
fn value(text: &str, series: &str) -> f64 {
    let prefix = format!("{series} ");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no series {series} in\n{text}"));
    line[prefix.len()..].trim().parse().expect("a number")
}

async fn scrape(s: &Server) -> String {
    let r = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{r:?}"
    );
    r.text().await.unwrap()
}

async fn metrics_count_real_traffic(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let id = s
        .activity(
            &t,
            "lucky-draw",
            json!({
                "prizes": [{"id": "p1", "name": "Mug", "weight": 1, "stock": 2}],
                "miss_weight": 0,
                "per_user_daily": 2
            }),
        )
        .await;
    let actions = format!("/v1/activities/{id}/actions");
    let draw = |user: &str| json!({"user_id": user, "action": "draw", "payload": {}});

    // A keyed draw, and its retry answered from the store.
    let keyed = [("Idempotency-Key", "k-1")];
    let first = s
        .send(
            &t.platform,
            Method::POST,
            &actions,
            Some(draw("u1")),
            &keyed,
        )
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    let again = s
        .send(
            &t.platform,
            Method::POST,
            &actions,
            Some(draw("u1")),
            &keyed,
        )
        .await;
    assert_eq!(again.text, first.text);
    // Two more draws: the last mug, then a miss.
    assert_eq!(s.act(&t, &id, "u2", "draw").await.status, 200);
    assert_eq!(s.act(&t, &id, "u3", "draw").await.status, 200);
    // An unknown action is refused before any plugin call.
    let unknown = s.act(&t, &id, "u4", "nope").await;
    assert_eq!(unknown.code(), "unknown_action", "{unknown:?}");
    // A view, an activity that is not there, a path no route has.
    let view = s
        .get(&t.platform, &format!("/v1/activities/{id}/view?user_id=u1"))
        .await;
    assert_eq!(view.status, 200, "{view:?}");
    let missing = s.get(&t.operator, "/v1/activities/no-such-activity").await;
    assert_eq!(missing.status, 404);
    let nowhere = s.get(&t.operator, "/v1/no/such/path").await;
    assert_eq!(nowhere.code(), "not_found", "{nowhere:?}");

    let text = scrape(&s).await;
    let route = "route=\"/v1/activities/{id}/actions\",method=\"POST\"";
    assert_eq!(
        value(
            &text,
            &format!("arcade_http_requests_total{{{route},status=\"200\"}}")
        ),
        4.0
    );
    assert_eq!(
        value(
            &text,
            &format!("arcade_http_requests_total{{{route},status=\"422\"}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "arcade_http_requests_total{route=\"/v1/activities/{id}\",method=\"GET\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "arcade_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            &format!("arcade_http_request_duration_seconds_count{{{route}}}")
        ),
        5.0
    );
    assert_eq!(
        value(&text, "arcade_errors_total{code=\"unknown_action\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "arcade_errors_total{code=\"activity_not_found\"}"),
        1.0
    );
    assert_eq!(value(&text, "arcade_errors_total{code=\"not_found\"}"), 1.0);
    assert_eq!(
        value(&text, "arcade_idempotency_replays_total{source=\"stored\"}"),
        1.0
    );
    // The retry ran the plugin too (nothing is read before a run); its
    // commit found the key taken.
    let lucky = "plugin=\"lucky-draw\",version=\"0.1.0\"";
    assert_eq!(
        value(
            &text,
            &format!("arcade_plugin_calls_total{{{lucky},kind=\"handle\",result=\"ok\"}}")
        ),
        4.0
    );
    assert_eq!(
        value(
            &text,
            &format!("arcade_plugin_calls_total{{{lucky},kind=\"view\",result=\"ok\"}}")
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "arcade_action_duration_seconds_count{plugin=\"lucky-draw\",action=\"draw\",result=\"ok\"}"
        ),
        4.0
    );
    let fuel = value(
        &text,
        &format!("arcade_plugin_fuel_consumed_total{{{lucky}}}"),
    );
    assert!(fuel > 0.0, "{text}");
    assert_eq!(
        value(&text, &format!("arcade_plugin_call_fuel_sum{{{lucky}}}")),
        fuel
    );
    assert_eq!(
        value(&text, &format!("arcade_plugin_call_fuel_count{{{lucky}}}")),
        5.0
    );
    // Four action commits went through the group-commit queue (the
    // retry's too, refused for its taken key).
    assert_eq!(value(&text, "arcade_commit_batch_size_sum"), 4.0);
    assert_eq!(value(&text, "arcade_commit_queue_depth"), 0.0);
    assert_eq!(value(&text, "arcade_admission_queue_depth"), 0.0);
    assert_eq!(value(&text, "arcade_lane_queue_depth"), 0.0);
    assert_eq!(value(&text, "arcade_timers_due"), 0.0);
    // No id is a label.
    for id in [id.as_str(), t.id.as_str(), "u1", "no-such-activity"] {
        assert!(!text.contains(id), "{id} in\n{text}");
    }

    // Requests carry an id: the client's, or a new one.
    let mine = s
        .client
        .get(s.url("/healthz"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.headers()["x-request-id"], "req-42");
    let made = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(made.headers()["x-request-id"].len(), 36);
}

async fn metrics_need_a_token(db: Db) {
    let s = Server::start(db).await;
    let t = s.tenant("t").await;
    let status = |token: Option<&str>| {
        let mut req = s.client.get(s.url("/metrics"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // By default only the admin token reads them; a tenant key does not.
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(ADMIN)).await, 200);
    assert_eq!(status(Some(&t.operator)).await, 401);
    // A scrape token reads them too.
    s.arcade
        .set_metrics_access(MetricsAccess::Token(Some("scrape-token-0123456789".into())));
    assert_eq!(status(Some("scrape-token-0123456789")).await, 200);
    assert_eq!(status(Some(ADMIN)).await, 200);
    assert_eq!(status(Some("scrape-token-wrong")).await, 401);
    // Open, or off.
    s.arcade.set_metrics_access(MetricsAccess::Open);
    assert_eq!(status(None).await, 200);
    s.arcade.set_metrics_access(MetricsAccess::Off);
    assert_eq!(status(Some(ADMIN)).await, 404);
    // The refusals were counted.
    s.arcade.set_metrics_access(MetricsAccess::Open);
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        value(&text, "arcade_errors_total{code=\"unauthorized\"}"),
        3.0
    );
    assert_eq!(
        value(
            &text,
            "arcade_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}"
        ),
        4.0
    );
}
