//! The headline figures: the DESIGN.md targets table, the wall time, and `BENCHMARKS.md`.

use std::fmt::Write as _;

use super::{met, mib, num, targets};
use crate::bench::Results;
use crate::bench::servers::Target;
use crate::bench::workloads::{Measurement, Workload};

/// The measurement of `workload` on `target`.
pub fn measurement(results: &Results, target: Target, workload: Workload) -> Option<&Measurement> {
    results.idp.target(target)?.get(workload)
}

/// Sign-ins per CPU second as a share of argon2id verifications per CPU second with every core
/// hashing (the sign-ins run two hashes at once too).
pub fn login_share(results: &Results, target: Target) -> Option<f64> {
    let login = measurement(results, target, Workload::Login)?;
    Some(login.per_core() / results.idp.limit.per_core().max(f64::EPSILON))
}

/// The highest idle resident memory of Vestibule (after start-up or after the load), MiB.
pub fn idle_mib(results: &Results) -> f64 {
    [Target::Sqlite, Target::Postgres]
        .iter()
        .filter_map(|target| results.idp.target(*target))
        .flat_map(|t| [t.idle_after_start_kib, t.idle_after_load_kib])
        .map(mib)
        .fold(0.0, f64::max)
}

fn both(figure: impl Fn(Target) -> Option<f64>, decimals: usize) -> (String, Vec<f64>) {
    let values: Vec<(Target, f64)> = [Target::Sqlite, Target::Postgres]
        .into_iter()
        .filter_map(|target| figure(target).map(|value| (target, value)))
        .collect();
    let text = values
        .iter()
        .map(|(target, value)| {
            let backend = if *target == Target::Sqlite {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            format!("{} ({backend})", num(*value, decimals))
        })
        .collect::<Vec<_>>()
        .join(", ");
    (text, values.into_iter().map(|(_, v)| v).collect())
}

fn row(out: &mut String, target: &str, figure: &str, ok: bool) {
    let _ = writeln!(out, "| {target} | {figure} | {} |", met(ok));
}

/// The table of DESIGN.md section 6 targets.
pub fn targets_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Targets (DESIGN.md section 6)\n");
    let _ = writeln!(out, "| Target | This run | Met |\n|---|---|---|");
    let per_core = |w: Workload| move |t: Target| measurement(results, t, w).map(Measurement::per_core);
    let (text, values) = both(per_core(Workload::Login), 1);
    let all = |values: &[f64], ok: &dyn Fn(f64) -> bool| !values.is_empty() && values.iter().all(|v| ok(*v));
    row(
        out,
        "Password logins >= 25/s per core",
        &format!("{text} logins per CPU second"),
        all(&values, &|v| v >= targets::LOGINS_PER_CORE),
    );
    let (text, values) = both(|t| login_share(results, t), 2);
    row(
        out,
        "Logins >= 0.9 of the argon2id limit",
        &text,
        all(&values, &|v| v >= targets::LOGIN_SHARE_OF_LIMIT),
    );
    let (text, values) = both(per_core(Workload::ClientCredentials), 0);
    row(
        out,
        "Client credentials >= 10,000 tokens/s per core",
        &format!("{text} tokens per CPU second"),
        all(&values, &|v| v >= targets::TOKENS_PER_CORE),
    );
    let refresh =
        measurement(results, Target::Postgres, Workload::Refresh).and_then(Measurement::transactions_per_request);
    row(
        out,
        "Refresh: one database transaction",
        &refresh.map_or("not measured".into(), |v| {
            format!("{} PostgreSQL transactions per refresh", num(v, 3))
        }),
        refresh.is_some_and(|v| (v - targets::TRANSACTIONS_PER_REFRESH).abs() < 0.02),
    );
    let idle = idle_mib(results);
    row(
        out,
        "IdP idle memory <= 30 MiB",
        &format!("{} MiB at most (after start-up and after the load)", num(idle, 1)),
        idle <= targets::IDP_IDLE_MIB,
    );
    attack_rows(out, results);
    operator_rows(out, results);
    let _ = writeln!(out);
}

fn attack_rows(out: &mut String, results: &Results) {
    let attacks: Vec<_> = super::attack_results(results).collect();
    let ours: Vec<_> = attacks.iter().filter(|a| !a.target.is_peer()).collect();
    let peer = attacks.iter().find(|a| a.target.is_peer());
    let describe = |figure: &dyn Fn(&crate::bench::attack::AttackResult) -> String| {
        let mut parts: Vec<String> = ours
            .iter()
            .map(|a| format!("{} ({})", figure(a), a.target.label()))
            .collect();
        parts.extend(peer.map(|a| format!("reference: {} ({})", figure(a), a.target.label())));
        if parts.is_empty() {
            "not measured".into()
        } else {
            parts.join(", ")
        }
    };
    row(
        out,
        "Legitimate p99 under attack <= 2x quiet",
        &describe(&|a| format!("{}x", num(a.p99_ratio(), 2))),
        !ours.is_empty() && ours.iter().all(|a| a.p99_ratio() <= targets::ATTACK_P99_RATIO),
    );
    row(
        out,
        "< 1 argon2 verification per 10 attack attempts once challenged",
        &describe(&|a| match a.verifications_per_attempt_once_challenged() {
            Some(v) => format!("{} per attempt once challenged", num(v, 3)),
            None => format!(
                "never challenged, {} per attempt",
                num(a.verifications_per_attempt(), 3)
            ),
        }),
        !ours.is_empty()
            && ours.iter().all(|a| {
                a.verifications_per_attempt_once_challenged()
                    .is_some_and(|v| v < targets::ATTACK_VERIFICATIONS_PER_ATTEMPT)
            }),
    );
}

fn operator_rows(out: &mut String, results: &Results) {
    let Some(operator) = &results.operator else {
        row(out, "Operator (1,000 Clients)", "skipped in this run", false);
        return;
    };
    let peak = mib(operator.peak_rss_kib);
    row(
        out,
        &format!(
            "Operator <= 50 MiB with {} Clients",
            num(operator.scale.clients as f64, 0)
        ),
        &format!("{} MiB peak", num(peak, 1)),
        peak <= targets::OPERATOR_MIB,
    );
    let writes = operator.steady.writes_per_minute(false);
    row(
        out,
        "Zero API writes at steady state",
        &format!(
            "{} writes/min over {} min (Lease renewals of leader election: {}/min, counted apart)",
            num(writes, 2),
            num(operator.steady.minutes(), 1),
            num(operator.steady.writes_per_minute(true) - writes, 1)
        ),
        writes <= targets::STEADY_WRITES_PER_MINUTE,
    );
}

/// How long `make bench` took, phase by phase.
pub fn wall_time_section(out: &mut String, results: &Results) {
    let options = &results.options;
    let run = super::seconds_between(results.started, results.finished);
    let _ = writeln!(out, "## Wall time of `make bench`\n");
    let _ = writeln!(out, "| Phase | Seconds |\n|---|---|");
    let control_plane = match options.control_plane_built {
        Some(true) => " (the control plane was built from source in it)",
        Some(false) => " (the control-plane binaries were already built)",
        None => "",
    };
    if let Some(setup) = options.setup_seconds {
        let _ = writeln!(
            out,
            "| Machine setup: packages, PostgreSQL, npm, control plane{control_plane}; alongside the build | {} |",
            num(setup, 0)
        );
    }
    if let Some(build) = options.build_seconds {
        let _ = writeln!(
            out,
            "| `cargo build --release` of the IdP, the operator and the bench; alongside the setup | {} |",
            num(build, 0)
        );
    }
    let _ = writeln!(out, "| Measuring run | {} |", num(run, 0));
    let total = options
        .make_started
        .map(|start| results.finished.as_second() - start)
        .map(|seconds| seconds as f64);
    if let Some(total) = total {
        let _ = writeln!(
            out,
            "| **Total** | **{}** ({} min; target on a fresh machine: under {} min{}) |",
            num(total, 0),
            num(total / 60.0, 1),
            targets::WALL_MINUTES,
            match options.control_plane_built {
                Some(true) => format!(": {}", met(total / 60.0 < targets::WALL_MINUTES)),
                _ => ". The control plane had been built on this machine before, so this is not that \
                      figure"
                    .to_owned(),
            }
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}\n", super::text::WALL_TIME_NOTE);
}

/// Renders `BENCHMARKS.md`.
pub fn benchmarks_md(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Latest `make bench` run: {} UTC, {} cores ({}), commit {}. Generated with the full report in \
         [bench/report.md](bench/report.md); do not edit.\n",
        results.finished.strftime("%Y-%m-%d %H:%M"),
        results.machine.cores,
        results.machine.cpu_model,
        results.versions.commit
    );
    let _ = writeln!(
        out,
        "Per core = requests per CPU second of the server (and of PostgreSQL, for that backend); ratio = Vestibule per core / oidc-provider per core, same machine, same run.\n"
    );
    let _ = writeln!(
        out,
        "| Workload (concurrency {}) | Vestibule SQLite per core | Vestibule PostgreSQL per core | oidc-provider per core | Ratio SQLite | Ratio PostgreSQL |",
        results.options.concurrency
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for workload in Workload::ALL {
        super::idp::ratio_row(&mut out, results, workload);
    }
    let _ = writeln!(out);
    targets_section(&mut out, results);
    super::attack_summary(&mut out, results);
    let _ = writeln!(out, "## Reproduce\n");
    let _ = writeln!(out, "{}", super::text::REPRODUCE);
    out
}
