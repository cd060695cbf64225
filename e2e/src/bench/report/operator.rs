//! The operator section: scale, steady state, change latency, and the proof that the IdP
//! workloads ran inside the steady-state window.

use std::fmt::Write as _;
use std::time::Duration;

use super::{clock, met, mib, num, seconds_between, targets};
use crate::bench::Results;
use crate::bench::stats::percentile;

/// The whole section.
pub fn section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## The operator at scale\n");
    let Some(operator) = &results.operator else {
        let _ = writeln!(out, "Skipped in this run (`BENCH_SKIP_OPERATOR=1`).\n");
        return;
    };
    let scale = &operator.scale;
    let _ = writeln!(
        out,
        "On the local control plane (etcd, kube-apiserver {}, kube-controller-manager; the test node runs the \
         IdP pod from the release binary). The operator runs as the chart's ServiceAccount with its \
         defaults: leader election on, resync every 10 min.\n",
        results.versions.kube_apiserver
    );
    let _ = writeln!(out, "| Figure | Value |\n|---|---|");
    let _ = writeln!(
        out,
        "| Tenant alone Ready after | {} s |",
        num(operator.tenant_ready_seconds, 1)
    );
    let _ = writeln!(
        out,
        "| Clients applied at once | {} (32 create requests in flight), submitted in {} s |",
        num(scale.clients as f64, 0),
        num(scale.submit_seconds, 1)
    );
    let served = scale
        .served_seconds
        .map_or("**never** within the timeout".into(), |s| format!("{} s", num(s, 1)));
    let _ = writeln!(
        out,
        "| All Ready and in the config the IdP serves, after | {served} (from the first create; at the end {} Ready, {} in the served config, IdP at generation {}) |",
        scale.settled.ready, scale.settled.served, scale.settled.generation
    );
    let peak = mib(operator.peak_rss_kib);
    let _ = writeln!(
        out,
        "| Operator peak RSS (`VmHWM`, whole run) | {} MiB (target <= {} MiB: {}) |",
        num(peak, 1),
        targets::OPERATOR_MIB,
        met(peak <= targets::OPERATOR_MIB)
    );
    let _ = writeln!(
        out,
        "| Operator RSS at the end of the steady state | {} MiB |",
        num(mib(operator.steady.operator_rss_kib), 1)
    );
    let _ = writeln!(out);
    steady_section(out, results);
    changes_section(out, results);
    concurrency_section(out, results);
}

fn steady_section(out: &mut String, results: &Results) {
    let Some(operator) = &results.operator else { return };
    let steady = &operator.steady;
    let _ = writeln!(out, "### Steady state\n");
    let _ = writeln!(
        out,
        "After the Clients were served the bench waited {} s for the operator to go quiet (no write but \
         Lease renewals for 15 s), then counted every write the operator's ServiceAccount made from {} to \
         {} UTC ({} min). The count comes from the API server's audit log: a policy records, at `Metadata` \
         level, each create, update, patch, delete and deletecollection by that user (`ResponseComplete` \
         stage), so no write escapes it whichever code path sent it.\n",
        num(operator.settle_seconds, 0),
        clock(steady.from),
        clock(steady.to),
        num(steady.minutes(), 1)
    );
    let _ = writeln!(out, "| Write (verb resource) | Count in the window |\n|---|---|");
    if steady.writes.is_empty() {
        let _ = writeln!(out, "| (none) | 0 |");
    }
    for (what, count) in &steady.writes {
        let _ = writeln!(out, "| {what} | {count} |");
    }
    let reconciles: Vec<String> = steady
        .reconciles
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "\nWrites per minute, Lease renewals excluded: **{}** (target {}: {}). Lease renewals (leader \
         election, every 5 s by design): {}/min. Reconciles run in the window (operator metrics): {}. \
         Operator CPU in the window: {} s.\n",
        num(steady.writes_per_minute(false), 2),
        targets::STEADY_WRITES_PER_MINUTE,
        met(steady.writes_per_minute(false) <= targets::STEADY_WRITES_PER_MINUTE),
        num(steady.writes_per_minute(true) - steady.writes_per_minute(false), 1),
        if reconciles.is_empty() {
            "none".into()
        } else {
            reconciles.join(", ")
        },
        num(steady.operator_cpu, 2)
    );
}

fn changes_section(out: &mut String, results: &Results) {
    let Some(operator) = &results.operator else { return };
    let mut latencies = operator.changes.latencies.clone();
    latencies.sort();
    let seconds = |d: Duration| num(d.as_secs_f64(), 2);
    let _ = writeln!(out, "### From a Client change to the IdP serving it\n");
    let _ = writeln!(
        out,
        "{} Clients changed one after another (a new scope added by a merge patch); the clock runs from \
         sending the patch until the IdP, reached through the gateway like an application reaches it, \
         grants a client-credentials token for the new scope (polled every 20 ms).\n",
        latencies.len() + operator.changes.lost
    );
    let _ = writeln!(
        out,
        "| p50 | p99 | min | max | not served within 120 s |\n|---|---|---|---|---|\n| {} s | {} s | {} s | {} s | {} |\n",
        seconds(percentile(&latencies, 50.0)),
        seconds(percentile(&latencies, 99.0)),
        seconds(latencies.first().copied().unwrap_or_default()),
        seconds(latencies.last().copied().unwrap_or_default()),
        operator.changes.lost
    );
}

fn concurrency_section(out: &mut String, results: &Results) {
    let Some(operator) = &results.operator else { return };
    let (window, idp) = (&operator.steady, &results.idp);
    let inside = idp.started >= window.from && idp.finished <= window.to;
    let _ = writeln!(out, "### The IdP workloads ran inside the steady-state window\n");
    let _ = writeln!(
        out,
        "To fit the run in its time budget the IdP workloads ran during the operator's steady-state window: \
         window {} to {} UTC, IdP workloads {} to {} UTC ({} s; {}). Every server, Vestibule's and the \
         peer's, saw the same idle control plane in the background; the table above shows how busy the \
         CPUs were just before each workload.\n",
        clock(window.from),
        clock(window.to),
        clock(idp.started),
        clock(idp.finished),
        num(seconds_between(idp.started, idp.finished), 0),
        if inside {
            "entirely inside the window".to_owned()
        } else {
            format!(
                "they outlasted the window by {} s, so the window's write count covers only its 5 minutes",
                num(seconds_between(window.to, idp.finished).max(0.0), 0)
            )
        }
    );
}
