//! The IdP sections: ratios against the peer, every workload on every server, sign-ins against
//! the physical limit, memory, and PostgreSQL transactions per request.

use std::fmt::Write as _;

use super::summary::{login_share, measurement};
use super::{clock, met, mib, num, per_core, targets};
use crate::bench::Results;
use crate::bench::servers::Target;
use crate::bench::workloads::Workload;

/// One row of the ratio table.
pub fn ratio_row(out: &mut String, results: &Results, workload: Workload) {
    let get = |target| measurement(results, target, workload);
    let peer = get(Target::Peer).map(|m| m.per_core());
    let ratio = |target| match (get(target), peer) {
        (Some(ours), Some(peer)) if peer > 0.0 => format!("{}x", num(ours.per_core() / peer, 2)),
        _ => "-".into(),
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |",
        workload.label(),
        per_core(get(Target::Sqlite)),
        per_core(get(Target::Postgres)),
        per_core(get(Target::Peer)),
        ratio(Target::Sqlite),
        ratio(Target::Postgres)
    );
}

/// Vestibule per core divided by oidc-provider per core, every workload.
pub fn ratios_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Against oidc-provider\n");
    let _ = writeln!(
        out,
        "Throughput per core: completed requests (sign-ins for the login row) per CPU second of the \
         server process, plus PostgreSQL's processes for the PostgreSQL backend (oidc-provider keeps \
         everything in its own process). Ratio above 1: Vestibule does more work per core. Concurrency {}, \
         {} s per workload after a {} s warm-up.\n",
        results.options.concurrency,
        results.options.duration.as_secs(),
        results.options.warmup.as_secs()
    );
    let _ = writeln!(
        out,
        "| Workload | Vestibule SQLite per core | Vestibule PostgreSQL per core | oidc-provider per core | Ratio SQLite | Ratio PostgreSQL |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for workload in Workload::ALL {
        ratio_row(out, results, workload);
    }
    let _ = writeln!(out);
}

/// Every measurement.
pub fn workloads_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## IdP workloads, every figure\n");
    let _ = writeln!(
        out,
        "Latency: wrk's per-request latency, or the whole sign-in (five requests) for logins. CPU: \
         `utime + stime` of the server process from `/proc/<pid>/stat` (and of every `postgres` process \
         for the PostgreSQL backend). Peak RSS: `VmHWM` of the server process, reset before each workload. \
         Busy: share of all CPUs busy in the second before the workload started (background: the \
         operator's control plane, see the concurrency note below).\n"
    );
    let _ = writeln!(
        out,
        "| Workload | Server | Started (UTC) | Requests | Errors | req/s | p50 ms | p99 ms | Server CPU s | PostgreSQL CPU s | per core | Peak RSS MiB | Busy before |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for workload in Workload::ALL {
        for target in Target::ALL {
            let Some(m) = measurement(results, target, workload) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}% |",
                workload.label(),
                target.label(),
                clock(m.started),
                num(m.requests as f64, 0),
                num(m.errors as f64, 0),
                num(m.throughput(), 1),
                num(m.p50_ms, 2),
                num(m.p99_ms, 2),
                num(m.server_cpu, 2),
                if target == Target::Postgres {
                    num(m.database_cpu, 2)
                } else {
                    "-".into()
                },
                num(m.per_core(), 1),
                num(mib(m.peak_rss_kib), 1),
                num(m.quiet.busy_percent, 0)
            );
        }
    }
    let _ = writeln!(out);
    errors_note(out, results);
}

fn errors_note(out: &mut String, results: &Results) {
    let failures: Vec<String> = results
        .idp
        .targets
        .iter()
        .flat_map(|t| t.measurements.iter())
        .filter(|m| m.errors > 0)
        .map(|m| {
            format!(
                "- {} on {}: {} errors{}",
                m.workload.label(),
                m.target.label(),
                m.errors,
                m.first_error
                    .as_ref()
                    .map(|e| format!(", first: `{e}`"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(
            out,
            "Errors (non-2xx answers, socket errors, failed sign-ins):\n\n{}\n",
            failures.join("\n")
        );
    }
}

/// Sign-ins against argon2id verifications.
pub fn logins_section(out: &mut String, results: &Results) {
    let limit = results.idp.limit;
    let _ = writeln!(out, "## Password logins against the physical limit\n");
    let _ = writeln!(
        out,
        "argon2id (m = 19,456 KiB, t = 2, p = 1, the `argon2-rust` crate with one pooled arena per thread, as in the IdP), measured in this run: \
         **{}** verifications/s on one thread, **{}** verifications/s on {} threads at once ({} per core).\n",
        num(limit.one_thread, 1),
        num(limit.all_cores, 1),
        limit.threads,
        num(limit.per_core(), 1)
    );
    let _ = writeln!(
        out,
        "| Server | Logins/s | Logins per CPU second | Share of the per-core limit | Logins/s as a share of the all-core rate | p50 s | p99 s |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for target in Target::ALL {
        let Some(m) = measurement(results, target, Workload::Login) else {
            continue;
        };
        let share = login_share(results, target).unwrap_or(0.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} ({}) | {} | {} | {} |",
            target.label(),
            num(m.throughput(), 1),
            num(m.per_core(), 1),
            num(share, 2),
            if target.is_peer() {
                "-"
            } else {
                met(share >= targets::LOGIN_SHARE_OF_LIMIT)
            },
            num(m.throughput() / limit.all_cores.max(f64::EPSILON), 2),
            num(m.p50_ms / 1e3, 2),
            num(m.p99_ms / 1e3, 2)
        );
    }
    let _ = writeln!(
        out,
        "\nThe share of the per-core limit compares sign-ins per CPU second of the server with \
         verifications per CPU second while every core hashes (the server runs one hash per core too). \
         The all-core share also pays for the load driver, which runs on the same {} cores.\n",
        results.machine.cores
    );
}

/// Idle memory.
pub fn memory_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Idle memory\n");
    let _ = writeln!(
        out,
        "`VmRSS` of the server process, idle for 5 s after start-up and 5 s after the last workload. Target for the IdP: at most {} MiB.\n",
        targets::IDP_IDLE_MIB
    );
    let _ = writeln!(
        out,
        "| Server | After start-up MiB | After the load MiB | Met |\n|---|---|---|---|"
    );
    for t in &results.idp.targets {
        let worst = mib(t.idle_after_start_kib.max(t.idle_after_load_kib));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            t.target.label(),
            num(mib(t.idle_after_start_kib), 1),
            num(mib(t.idle_after_load_kib), 1),
            if t.target.is_peer() {
                "-"
            } else {
                met(worst <= targets::IDP_IDLE_MIB)
            }
        );
    }
    let _ = writeln!(out);
}

/// PostgreSQL transactions per request.
pub fn transactions_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## PostgreSQL transactions per request\n");
    let _ = writeln!(
        out,
        "Committed plus rolled-back transactions of the IdP's database (`pg_stat_database`) during each \
         workload's warm-up and measured run, divided by the requests completed in both. A statement \
         outside a transaction counts as one. For the workloads that use the database, the closing \
         reading waits 11 s, so every backend has reported (PostgreSQL reports an idle backend's counts \
         within 10 s); so does the wait after the sign-ins that provide the tokens, before the next \
         workload's first reading.\n"
    );
    let _ = writeln!(out, "| Workload | Transactions | Per request |\n|---|---|---|");
    for workload in Workload::ALL {
        let Some(m) = measurement(results, Target::Postgres, workload) else {
            continue;
        };
        let (Some(count), Some(per)) = (m.transactions, m.transactions_per_request()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            workload.label(),
            num(count as f64, 0),
            num(per, 3)
        );
    }
    let _ = writeln!(out);
}
