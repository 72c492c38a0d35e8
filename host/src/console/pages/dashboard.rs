//! An activity's dashboard: KPI cards (today, and the change from
//! yesterday), the trend by day, the funnel, fission levels, stock
//! burn-down with the projected run-out, and a row per group. While the
//! activity runs, the numbers refresh themselves (htmx polls the `live`
//! block).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::{Chrome, Problem, render};
use crate::console::session::Session;
use crate::service::stats::ActivityStats;
use crate::service::{ActivityView, Arcade, StatsRange};
use crate::store::StatDay;

/// A KPI card.
pub struct Kpi {
    /// Catalogue key of its name.
    pub label: &'static str,
    /// The whole activity's value, formatted.
    pub total: String,
    /// Today's value, if the KPI is daily.
    pub today: Option<String>,
    /// Today against yesterday, e.g. `+12` or `-3.5%`.
    pub change: Option<String>,
}

/// A group's row.
pub struct GroupRow {
    pub name: String,
    pub tier: String,
    pub members: String,
    pub users: i64,
    pub actions: i64,
    pub participation: String,
}

/// A pool's burn-down row.
pub struct PoolRow {
    pub pool: String,
    pub initial: i64,
    pub remaining: i64,
    /// The projected run-out, in the activity's time zone.
    pub runs_out: String,
}

/// A funnel step.
pub struct Step {
    pub label: &'static str,
    pub value: i64,
    /// Width of its bar, 0 to 100.
    pub width: i64,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    activity: ActivityView,
    stats: ActivityStats,
    groups: Vec<GroupRow>,
    pools: Vec<PoolRow>,
    kpis: Vec<Kpi>,
    funnel: Vec<Step>,
    trend: String,
    today: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "console/dashboard.html", block = "live")]
struct LiveBlock {
    chrome: Chrome,
    activity: ActivityView,
    stats: ActivityStats,
    groups: Vec<GroupRow>,
    pools: Vec<PoolRow>,
    kpis: Vec<Kpi>,
    funnel: Vec<Step>,
    trend: String,
    today: String,
}

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn day<'a>(days: &'a [StatDay], d: &str) -> Option<&'a StatDay> {
    days.iter().find(|x| x.day == d)
}

/// What both the page and its live block show.
struct Numbers {
    groups: Vec<GroupRow>,
    pools: Vec<PoolRow>,
    kpis: Vec<Kpi>,
    funnel: Vec<Step>,
    trend: String,
    today: String,
}

fn numbers(
    stats: &ActivityStats,
    names: &std::collections::HashMap<String, String>,
    lang: crate::console::i18n::Lang,
    now_ms: i64,
) -> Numbers {
    let tz = crate::clock::parse_timezone(&stats.timezone).unwrap_or(chrono_tz::UTC);
    let today_date = crate::clock::business_date(tz, now_ms);
    let today = crate::clock::format_day(today_date);
    let yesterday = crate::clock::format_day(today_date.pred_opt().unwrap_or(today_date));
    let (t, y) = (day(&stats.days, &today), day(&stats.days, &yesterday));
    let daily = |f: fn(&StatDay) -> i64, fmt: fn(i64) -> String| {
        let (tv, yv) = (t.map_or(0, f), y.map_or(0, f));
        let sign = if tv >= yv { "+" } else { "-" };
        let delta = match yv {
            0 => format!("{sign}{}", fmt((tv - yv).abs())),
            _ => format!(
                "{sign}{} ({:+.0}%)",
                fmt((tv - yv).abs()),
                (tv - yv) as f64 * 100.0 / yv as f64
            ),
        };
        (Some(fmt(tv)), Some(delta))
    };
    let totals = &stats.totals;
    let (uv_today, uv_change) = daily(|d| d.users, |v| v.to_string());
    let (pv_today, pv_change) = daily(|d| d.actions, |v| v.to_string());
    let (cost_today, cost_change) = daily(|d| d.cost_fen, yuan);
    let kpis = vec![
        Kpi {
            label: "kpi_uv",
            total: totals.users.to_string(),
            today: uv_today,
            change: uv_change,
        },
        Kpi {
            label: "kpi_pv",
            total: totals.actions.to_string(),
            today: pv_today,
            change: pv_change,
        },
        Kpi {
            label: "kpi_participation",
            total: percent(stats.participation_rate),
            today: None,
            change: None,
        },
        Kpi {
            label: "kpi_completion",
            total: percent(stats.completion.as_ref().and_then(|c| c.rate)),
            today: None,
            change: None,
        },
        Kpi {
            label: "kpi_cost",
            total: yuan(totals.cost_fen),
            today: cost_today,
            change: cost_change,
        },
        Kpi {
            label: "kpi_roi",
            total: stats.roi.map_or_else(|| "—".into(), |r| format!("{r:.2}")),
            today: None,
            change: None,
        },
    ];
    let completed = stats.completion.as_ref().map_or(0, |c| c.numerator);
    // Actions that granted a prize: the mechanics' "won" (points and
    // coupons are counted in the KPI cost, not here).
    let rewarded = totals.winners;
    let steps = [
        ("funnel_viewed", stats.viewers),
        ("funnel_took_part", totals.users),
        ("funnel_completed", completed),
        ("funnel_rewarded", rewarded),
    ];
    let top = steps.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    let funnel = steps
        .iter()
        .map(|(label, value)| Step {
            label,
            value: *value,
            width: value * 100 / top,
        })
        .collect();
    let labels: Vec<&str> = stats.days.iter().map(|d| d.day.as_str()).collect();
    let trend = json!({
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": lang.t("kpi_uv"), "data": stats.days.iter().map(|d| d.users).collect::<Vec<_>>(), "borderColor": "#c8102e"},
                {"label": lang.t("kpi_pv"), "data": stats.days.iter().map(|d| d.actions).collect::<Vec<_>>(), "borderColor": "#0b57d0"},
            ]
        },
        "options": {"animation": false, "responsive": true, "maintainAspectRatio": false}
    });
    let groups = stats
        .groups
        .iter()
        .map(|g| GroupRow {
            name: names
                .get(&g.group_id)
                .cloned()
                .unwrap_or_else(|| g.group_id.clone()),
            tier: g.tier.clone(),
            members: g.members.map_or_else(|| "—".into(), |m| m.to_string()),
            users: g.totals.users,
            actions: g.totals.actions,
            participation: percent(g.participation_rate),
        })
        .collect();
    let pools = stats
        .stock
        .iter()
        .map(|p| PoolRow {
            pool: match &p.group_id {
                Some(g) => format!("{} · {}", p.pool, names.get(g).unwrap_or(g)),
                None => p.pool.clone(),
            },
            initial: p.initial,
            remaining: p.remaining,
            runs_out: p
                .runs_out_at
                .as_deref()
                .map_or_else(|| "—".into(), |r| super::local_time(r, &stats.timezone)),
        })
        .collect();
    Numbers {
        groups,
        pools,
        kpis,
        funnel,
        // Safe inside <script type="application/json">: no `</` survives.
        trend: trend.to_string().replace("</", "<\\/"),
        today,
    }
}

async fn load(
    arcade: &Arcade,
    session: &Session,
    id: &str,
) -> Result<(ActivityView, ActivityStats, Numbers), Problem> {
    let lang = session.lang;
    let tenant = session.tenant()?;
    let err = |e| Problem::from_error(lang, e);
    let activity = arcade.activity_view(tenant, id).await.map_err(err)?;
    let stats = arcade
        .activity_stats(tenant, id, &StatsRange::default())
        .await
        .map_err(err)?;
    let names = arcade
        .groups(tenant, &crate::service::GroupFilter::default())
        .await
        .map_err(err)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let n = numbers(&stats, &names, lang, arcade.now());
    Ok((activity, stats, n))
}

/// `GET /console/activities/{id}`.
pub async fn page(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (activity, stats, n) = load(&arcade, &session, &id).await?;
    Ok(render(&DashboardPage {
        chrome: Chrome::new(&session, "activities", format!("/console/activities/{id}")),
        live: activity.accepting,
        activity,
        stats,
        groups: n.groups,
        pools: n.pools,
        kpis: n.kpis,
        funnel: n.funnel,
        trend: n.trend,
        today: n.today,
    }))
}

/// `GET /console/activities/{id}/live`: the numbers alone, for htmx.
pub async fn live(
    State(arcade): State<Arc<Arcade>>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (activity, stats, n) = load(&arcade, &session, &id).await?;
    Ok(render(&LiveBlock {
        chrome: Chrome::new(&session, "activities", format!("/console/activities/{id}")),
        activity,
        stats,
        groups: n.groups,
        pools: n.pools,
        kpis: n.kpis,
        funnel: n.funnel,
        trend: n.trend,
        today: n.today,
    }))
}
