//! Parts (b) to (d) of the printed table.

use crate::hotkey::HotResult;
use crate::load::Report;
use crate::neighbour::NeighbourRun;
use crate::{DrawRun, HTTP_CLIENTS, PG_HINT, PGBENCH_CLIENTS, Runs, StoreRuns};

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Non-2xx answers and requests with no answer.
fn failures(r: &Report) -> u64 {
    r.count - r.ok
}

fn throughput_row(name: &str, r: &Report, notes: &str) {
    if r.count == 0 {
        println!("  {name:<44} nothing measured: no request fit in the measured window");
        return;
    }
    println!(
        "  {:<44} {:>10.0} {:>8.2}ms {:>8.2}ms   {} failed{}{}",
        name,
        r.ok_per_sec,
        r.latency_ms.p50,
        r.latency_ms.p99,
        failures(r),
        if failures(r) > 0 {
            format!(" ({})", r.breakdown())
        } else {
            String::new()
        },
        notes
    );
}

/// The run of median throughput among `runs` (the upper one of two).
fn median_by<T>(runs: &[T], per_sec: impl Fn(&T) -> f64) -> Option<&T> {
    let mut sorted: Vec<&T> = runs.iter().collect();
    sorted.sort_by(|a, b| per_sec(a).total_cmp(&per_sec(b)));
    sorted.get(sorted.len() / 2).copied()
}

/// Median draws/s of `runs`; NaN when there are none.
fn median_rate(runs: &[DrawRun]) -> f64 {
    median_by(runs, |d| d.report.ok_per_sec).map_or(f64::NAN, |d| d.report.ok_per_sec)
}

/// "rounds 4300 4100 4450".
fn rounds_note(rates: impl Iterator<Item = f64>) -> String {
    let all: Vec<String> = rates.map(|r| format!("{r:.0}")).collect();
    format!("rounds {}", all.join(" "))
}

fn draw_rows(store: &str, runs: &StoreRuns) {
    let row = |what: &str, rounds: &[DrawRun]| {
        let Some(d) = median_by(rounds, |d| d.report.ok_per_sec) else {
            return;
        };
        let notes = format!(
            "; {} prizes won; {}",
            d.won,
            rounds_note(rounds.iter().map(|d| d.report.ok_per_sec))
        );
        throughput_row(&format!("{store}, {what}"), &d.report, &notes);
    };
    row("no Idempotency-Key", &runs.unkeyed);
    row("unique Idempotency-Key each", &runs.keyed);
}

fn ratio_row(name: &str, ratio: f64, target: Option<f64>) {
    if !ratio.is_finite() {
        println!("  {name:<44} {:>10}       a run measured nothing", "n/a");
        return;
    }
    let note = match target {
        Some(t) => format!("target >= {t}: {}", verdict(ratio >= t)),
        None => "no target".into(),
    };
    println!("  {name:<44} {ratio:>10.2}       {note}");
}

fn hot_rows(store: &str, hot: &[HotResult]) {
    for h in hot {
        let r = &h.report;
        let met = r.status(503) == 0 && r.transport() == 0 && r.latency_ms.p99 < 200.0;
        println!(
            "  {:<52} {:>5} {:>5} {:>8.1}ms {:>8.1}ms   {:<6}   {}",
            format!("{store}, {}", h.label),
            r.ok,
            r.status(503),
            r.latency_ms.p50,
            r.latency_ms.p99,
            verdict(met),
            h.check
        );
        println!("  {:<52} {}", "", r.breakdown());
    }
}

/// Print (b), (c) and (d).
pub fn print(runs: &Runs) {
    println!();
    println!(
        "(b) durable draws over HTTP: {HTTP_CLIENTS} keep-alive clients in a separate process (loadgen), {} s warm-up + {} s measured",
        runs.warmup.as_secs(),
        runs.secs
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>10}   notes",
        "", "draws/s", "p50", "p99"
    );
    draw_rows("SQLite", &runs.sqlite);
    match &runs.postgres {
        Some(pg) => draw_rows("Postgres", pg),
        None => println!("  {:<44} not measured: DATABASE_URL is not set", "Postgres"),
    }
    if let Some(b) = median_by(&runs.baseline, |r| r.ok_per_sec) {
        let notes = format!(
            "; {}",
            rounds_note(runs.baseline.iter().map(|r| r.ok_per_sec))
        );
        throughput_row("baseline axum+sqlx, Postgres, keyed", b, &notes);
    }
    println!(
        "  each row: the median of {} rounds (the row's latencies are that round's)",
        runs.rounds
    );

    println!();
    println!("(c) reference on the same Postgres server, and ratios");
    let sqlite = &runs.sqlite;
    let keyed_ratio = |r: &StoreRuns| median_rate(&r.keyed) / median_rate(&r.unkeyed);
    let tps = median_by(&runs.pgbench, |t| *t).copied();
    let base = median_by(&runs.baseline, |r| r.ok_per_sec);
    match (&runs.postgres, tps, base) {
        (Some(pg), Some(tps), Some(base)) => {
            println!(
                "  {:<44} {:>10.0} tps   pgbench -i -s 10; -N -c {PGBENCH_CLIENTS} -j 2 -T {}; {}",
                "pgbench -N (simple-update, no branch update)",
                tps,
                runs.secs,
                rounds_note(runs.pgbench.iter().copied())
            );
            let keyed = median_rate(&pg.keyed);
            ratio_row(
                "Postgres keyed draws/s / pgbench tps",
                keyed / tps,
                Some(0.8),
            );
            ratio_row(
                "Postgres keyed / unkeyed draws/s",
                keyed_ratio(pg),
                Some(0.9),
            );
            ratio_row(
                "Postgres keyed / baseline keyed draws/s",
                keyed / base.ok_per_sec,
                Some(1.2),
            );
            ratio_row(
                "baseline keyed draws/s / pgbench tps",
                base.ok_per_sec / tps,
                None,
            );
        }
        _ => {
            println!(
                "  Postgres not measured: DATABASE_URL is not set. For the Postgres rows run:"
            );
            println!("  {PG_HINT}");
        }
    }
    ratio_row("SQLite keyed / unkeyed draws/s", keyed_ratio(sqlite), None);

    println!();
    println!(
        "(d) hot key: {} clients, one action each on one shared key, released together",
        runs.hot_clients
    );
    println!(
        "  {:<52} {:>5} {:>5} {:>10} {:>10}   {:<6}   store check",
        "", "2xx", "503", "p50", "p99", "target"
    );
    hot_rows("SQLite", &sqlite.hot);
    if let Some(pg) = &runs.postgres {
        hot_rows("Postgres", &pg.hot);
    }
    println!("  target: no 503 and no request unanswered, p99 < 200 ms");

    println!();
    println!(
        "(e) hostile neighbour: tenant A's keyed draws ({HTTP_CLIENTS} clients), alone and while tenant B floods a looping plugin ({HTTP_CLIENTS} clients)"
    );
    println!("  {:<44} {:>10} {:>10} {:>10}", "", "draws/s", "p50", "p99");
    neighbour_rows("SQLite", &sqlite.neighbour);
    if let Some(pg) = &runs.postgres {
        neighbour_rows("Postgres", &pg.neighbour);
    }
    println!();
    dashboard_rows(runs);
}

fn neighbour_rows(store: &str, rounds: &[NeighbourRun]) {
    let Some(n) = median_by(rounds, NeighbourRun::ratio) else {
        return;
    };
    throughput_row(&format!("{store}, A alone"), &n.alone, "");
    throughput_row(&format!("{store}, A beside B"), &n.beside, "");
    println!(
        "  {:<44} {:>10.0}       answers: {}",
        format!("{store}, B's looping calls/s"),
        n.hostile.count as f64 / n.hostile_secs(),
        n.hostile.breakdown()
    );
    let all: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.ratio())).collect();
    ratio_row(
        &format!("{store}, A beside B / A alone"),
        n.ratio(),
        Some(0.9),
    );
    println!(
        "  {:<44} {:>10}       the median round's rows above",
        format!("{store}, ratio of each round"),
        all.join(" ")
    );
}

fn dashboard_rows(runs: &Runs) {
    let n = runs
        .dashboard_sqlite
        .as_ref()
        .or(runs.dashboard_postgres.as_ref())
        .map_or(0, |d| d.outcomes);
    println!(
        "(f) the dashboard with {n} outcomes stored: the rollup counting them, then GET /v1/activities/{{id}}/stats from {} clients",
        crate::dashboard::DASHBOARD_CLIENTS
    );
    println!(
        "  {:<28} {:>12} {:>10} {:>9} {:>9} {:>9}   target   store check",
        "", "rollup/s", "GET/s", "p50", "p95", "p99"
    );
    let rows = [
        ("SQLite", runs.dashboard_sqlite.as_ref(), Some(&runs.sqlite)),
        (
            "Postgres",
            runs.dashboard_postgres.as_ref(),
            runs.postgres.as_ref(),
        ),
    ];
    for (store, d, draws) in rows {
        let Some(d) = d else { continue };
        let r = &d.get;
        let met = r.latency_ms.p95 < 50.0 && failures(r) == 0;
        println!(
            "  {:<28} {:>12.0} {:>10.0} {:>7.2}ms {:>7.2}ms {:>7.2}ms   {:<6}   {}",
            store,
            d.rollup_per_sec,
            r.ok_per_sec,
            r.latency_ms.p50,
            r.latency_ms.p95,
            r.latency_ms.p99,
            verdict(met),
            d.check
        );
        if let Some(draws) = draws {
            let peak = median_rate(&draws.keyed).max(median_rate(&draws.unkeyed));
            ratio_row(
                &format!("{store} rollup/s / peak draws/s"),
                d.rollup_per_sec / peak,
                Some(1.0),
            );
        }
    }
    println!(
        "  target: dashboard p95 < 50 ms; the rollup outpaces the fastest draws of (b) (ratio >= 1)"
    );
    println!();
}

/// (f) of one store alone (`ARCADE_BENCH_DASHBOARD_ONLY`), without the
/// ratio to the draws it was not run beside.
pub fn print_dashboard(store: &str, d: &crate::dashboard::DashboardRun) {
    let r = &d.get;
    let met = r.latency_ms.p95 < 50.0 && failures(r) == 0;
    println!(
        "(f) {store}, {} outcomes: rollup {:.0}/s; GET /v1/activities/{{id}}/stats from {} clients: {:.0}/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms ({} p95 < 50 ms); {}",
        d.outcomes,
        d.rollup_per_sec,
        crate::dashboard::DASHBOARD_CLIENTS,
        r.ok_per_sec,
        r.latency_ms.p50,
        r.latency_ms.p95,
        r.latency_ms.p99,
        verdict(met),
        d.check
    );
}
