//! (d) Hot keys: many concurrent actions on one shared state key, each
//! client sending exactly one request, all released together.

use anyhow::Context;
use serde_json::json;

use crate::load::{Load, Report, Shape};
use crate::server::Server;

/// The largest team the group-buy mechanic accepts.
pub const MAX_TEAM: u64 = 100;

/// One burst and what the store says afterwards.
pub struct HotResult {
    /// What ran.
    pub label: String,
    /// What the clients saw.
    pub report: Report,
    /// Whether the 2xx answers match what the store recorded.
    pub check: String,
}

/// `grabbers` users grab at once from one red packet of `packets`.
pub async fn red_packet(s: &Server, packets: u64, grabbers: usize) -> anyhow::Result<HotResult> {
    let activity = s
        .activity("red-packet", json!({"packets": packets}))
        .await?;
    let path = Server::actions_path(&activity);
    let report = burst(
        s,
        &path,
        r#"{"user_id":"{user}","action":"grab"}"#,
        grabbers,
    )
    .await?;
    let view = s.view(&activity, "auditor").await?;
    let remaining = view["remaining"].as_u64().context("remaining in view")?;
    let taken = packets - remaining;
    let check = if taken == report.ok {
        format!("consistent: {taken} taken, {taken} answered 2xx")
    } else {
        format!("MISMATCH: {taken} taken, {} answered 2xx", report.ok)
    };
    Ok(HotResult {
        label: format!("red packet, {packets} packets / {grabbers} grabbers"),
        report,
        check,
    })
}

/// `joiners` users join one group-buy team of [`MAX_TEAM`] at once.
pub async fn group_buy(s: &Server, joiners: usize) -> anyhow::Result<HotResult> {
    let config = json!({
        "product": {"id": "p", "name": "P", "original_price_fen": 1000, "deal_price_fen": 500},
        "team_size": MAX_TEAM,
        "time_limit_minutes": 60,
        "max_open_teams_per_user": 1,
    });
    let activity = s.activity("group-buy", config).await?;
    let path = Server::actions_path(&activity);
    let opened = s
        .post(
            &s.platform,
            &path,
            json!({"user_id": "leader", "action": "open"}),
        )
        .await?;
    let team = opened["result"]["team_id"]
        .as_str()
        .context("team id")?
        .to_owned();
    let body =
        format!(r#"{{"user_id":"{{user}}","action":"join","payload":{{"team_id":"{team}"}}}}"#);
    let report = burst(s, &path, &body, joiners).await?;
    let view = s.view(&activity, "leader").await?;
    let members = view["teams"][0]["members"]
        .as_u64()
        .context("members in the leader's view")?;
    let check = if members == report.ok + 1 {
        format!("consistent: {members} members = leader + 2xx")
    } else {
        format!("MISMATCH: {members} members, leader + {} 2xx", report.ok)
    };
    Ok(HotResult {
        label: format!("group-buy, {joiners} join one team of {MAX_TEAM}"),
        report,
        check,
    })
}

async fn burst(s: &Server, path: &str, body: &str, clients: usize) -> anyhow::Result<Report> {
    let url = s.url();
    Load {
        url: &url,
        token: &s.platform,
        clients,
        shape: Shape::Burst,
        path,
        body,
        keyed: false,
        user_prefix: "hot-",
    }
    .run()
    .await
}
