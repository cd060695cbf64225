//! The prose of the report: the machine and versions, how both servers are set up, what bounds
//! each figure, and how to reproduce. Figures in it are interpolated from the run.

use std::fmt::Write as _;

use super::num;
use super::summary::measurement;
use crate::bench::Results;
use crate::bench::fixture::{ACCESS_TOKEN_ALG, ARGON2_PARAMS, RESOURCE};
use crate::bench::servers::Target;
use crate::bench::workloads::Workload;

/// The machine, the versions, the parameters and both servers' setup.
pub fn setup_section(out: &mut String, results: &Results) {
    let (m, v, o) = (&results.machine, &results.versions, &results.options);
    let _ = writeln!(out, "## Machine and versions\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    for (name, value) in [
        ("CPU", format!("{} x {}", m.cores, m.cpu_model)),
        ("Memory", format!("{} MiB", num(m.memory_mib as f64, 0))),
        ("OS, kernel", format!("{}, {}", m.os, m.kernel)),
        (
            "Vestibule",
            format!("commit {}, `cargo build --release` ({})", v.commit, v.rustc),
        ),
        ("oidc-provider", format!("{} on Node.js {}", v.oidc_provider, v.node)),
        ("@node-rs/argon2 (peer)", v.node_argon2.clone()),
        ("PostgreSQL", v.postgres.clone()),
        ("wrk", v.wrk.clone()),
    ] {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = writeln!(out, "\n## Parameters\n");
    let (memory, passes, lanes) = ARGON2_PARAMS;
    let _ = writeln!(
        out,
        "- Concurrency {}: wrk with 1 thread and {} keep-alive connections for single requests; {} \
         browsers signing in back to back for logins.\n\
         - {} s measured per workload, after an unmeasured {} s warm-up of the same workload.\n\
         - {} customers with one password; one argon2id hash (m = {memory} KiB, t = {passes}, p = {lanes}) \
         shared by all, so every verification costs the same on both servers.\n\
         - Access tokens: JWT signed {} on both servers; ID tokens RS256 (2048-bit), the default of both. \
         Both servers load the same key pair files.\n\
         - {} sign-ins per server provide the tokens for introspection, userinfo and refresh (half of the \
         refresh tokens warm up, half are measured: a rotated token is spent).\n\
         - Each server runs alone; Vestibule's PostgreSQL database is created fresh for its run, its SQLite \
         file likewise.\n\
         - Attack workload, on a fresh server each: {} legitimate sign-ins a second ({} s quiet after a {} s \
         warm-up, then {} s under attack); the botnet starts {} times the all-core argon2id rate in attempts \
         a second, at most {} in flight (`BENCH_LEGITIMATE_RATE`, `BENCH_ATTACK_SECONDS`, \
         `BENCH_ATTACK_RATE_FACTOR`, `BENCH_ATTACKERS`).\n",
        o.concurrency,
        o.concurrency,
        o.concurrency,
        o.duration.as_secs(),
        o.warmup.as_secs(),
        o.users,
        ACCESS_TOKEN_ALG.as_str(),
        o.prepared_tokens,
        num(o.attack.legitimate_rate, 0),
        o.duration.as_secs(),
        o.warmup.as_secs(),
        o.attack.duration.as_secs(),
        num(o.attack.rate_factor, 1),
        o.attack.in_flight,
    );
    peer_section(out);
}

fn peer_section(out: &mut String) {
    let _ = writeln!(out, "## How both servers are set up\n");
    let _ = writeln!(
        out,
        "**Vestibule**: `target/release/vestibule-idp --config FILE --keys FILE --database URL` with its \
         default log level (info), one tenant with two clients: `web` (confidential, \
         `client_secret_basic`, authorization code with PKCE S256 and refresh tokens, consent skipped) and \
         `service` (client credentials). Refresh tokens rotate on every use (the default). Every request comes \
         from 127.0.0.1 and every sign-in from a fresh browser, so the per-address sign-in rate limit \
         (`loginsPerMinute: 0`), challenged mode (`challenge.enabled: false`: hundreds of accounts from one \
         address are what it challenges) and the new-device email (`notifications.newSignIn: false`) are \
         off for these workloads. The attack \
         workload runs on a server of its own with the default attack protection, its clients on addresses \
         of their own.\n\n\
         **oidc-provider** (`bench/peer/server.mjs`, dependencies pinned by `bench/peer/package-lock.json`): \
         the same two clients with the same secrets, the same signing keys, `pkce.required` for every \
         client, `rotateRefreshToken` always, introspection, revocation and client credentials enabled, \
         `conformIdTokenClaims: false` (ID tokens carry the scopes' claims, as Vestibule's do), the same \
         token lifetimes. JWT access tokens come from its resource-indicators feature: the API `{RESOURCE}` \
         has `accessTokenFormat: 'jwt'` signed with the same algorithm; client credentials default to \
         it, and the login workload asks for it with `resource=`. Its storage is an adapter of the \
         documented production-adapter shape kept **in process memory** (no database round trips, which \
         favours the peer). Its sign-in page (the interaction endpoint) checks a double-submit CSRF token \
         as Vestibule's does and verifies the password with `@node-rs/argon2` (a binding of `argon2-rust`, \
         the crate the IdP hashes with) against the same PHC string, then finishes login and consent in one \
         step, as Vestibule skips consent for `web`. Run with `NODE_ENV=production`, one Node.js process.\n\n\
         Where the peer cannot do what Vestibule does, it does its nearest equivalent: oidc-provider \
         neither introspects nor accepts at userinfo the JWT access tokens it issues for a resource, so \
         introspection and userinfo present its opaque access tokens (a memory lookup) where Vestibule \
         verifies a JWT signature and reads the grant and the revocation list from its database. The \
         tokens for those workloads come from sign-ins with `offline_access`, which oidc-provider honours \
         only with `prompt=consent`.\n"
    );
}

/// What bounds each figure now: the costs measured in this run, set against what `perf record`
/// of the server under each workload showed (the profile itself is not part of the run).
pub fn bounds_section(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "## What bounds each figure
"
    );
    let limit = results.idp.limit;
    let hash_ms = 1e3 / limit.per_core().max(f64::EPSILON);
    let cpu_ms = |target: Target, workload: Workload| {
        measurement(results, target, workload).map(|m| 1e3 / m.per_core().max(f64::EPSILON))
    };
    let _ = writeln!(
        out,
        "Costs measured in this run, per core: one argon2id verification {} ms, one RS256 signature (ID \
         token, `ring`) {} ms, one EdDSA signature (access token) {} ms.\n",
        num(hash_ms, 2),
        num(limit.rs256_ms, 3),
        num(limit.eddsa_ms, 3)
    );
    for (target, backend) in [(Target::Sqlite, "SQLite"), (Target::Postgres, "PostgreSQL")] {
        let Some(login) = cpu_ms(target, Workload::Login) else {
            continue;
        };
        let rest = login - hash_ms - limit.rs256_ms - limit.eddsa_ms;
        let database = measurement(results, target, Workload::Login)
            .and_then(|m| Some((m.transactions_per_request()?, m.database_cpu / m.requests.max(1) as f64)))
            .map_or(String::new(), |(transactions, seconds)| {
                format!(
                    ": {} PostgreSQL transactions per sign-in, {} ms of PostgreSQL's CPU",
                    num(transactions, 1),
                    num(seconds * 1e3, 2)
                )
            });
        let driver = match target {
            Target::Sqlite => "sqlx hands each SQLite statement to its worker thread and back (two context switches)",
            _ => "each statement is a round trip to PostgreSQL, whose CPU is counted here too",
        };
        let _ = writeln!(
            out,
            "- Password login on {backend}: {} ms of CPU per sign-in = {} ms argon2id + {} ms for the two \
             signatures + {} ms for everything else (five HTTP requests, two HTML pages, the session, the \
             grant and the code{database}). That remainder keeps the share of the limit below the target. \
             In `perf record` of the server it is spread over the HTTP stack, the allocator and the \
             database driver ({driver}), with no hot spot of its own; what would shrink it is fewer \
             statements per sign-in (the parked request, the session and the audit entry written in \
             shared transactions).",
            num(login, 2),
            num(hash_ms, 2),
            num(limit.rs256_ms + limit.eddsa_ms, 2),
            num(rest, 2)
        );
    }
    if let Some(token) = cpu_ms(Target::Sqlite, Workload::ClientCredentials) {
        let _ = writeln!(
            out,
            "- Client credentials: {} ms of CPU per token, {} % of it the EdDSA signature; the rest is \
             HTTP/1.1 parsing, client authentication (a SHA-256 of the secret, compared in constant time) \
             and the JSON response. No database access.",
            num(token, 3),
            num(100.0 * limit.eddsa_ms / token.max(f64::EPSILON), 0)
        );
    }
    if let Some(refresh) = cpu_ms(Target::Postgres, Workload::Refresh) {
        let _ = writeln!(
            out,
            "- Refresh: one transaction (read the token, the grant and the customer, retire the token, \
             store its successor) and a new RS256 ID token: {} ms of CPU per refresh on PostgreSQL, {} % \
             of it the RS256 signature. oidc-provider keeps its tokens in process memory and signs with \
             OpenSSL, so it has no database round trip to pay.",
            num(refresh, 3),
            num(100.0 * limit.rs256_ms / refresh.max(f64::EPSILON), 0)
        );
    }
    let _ = writeln!(
        out,
        "- Introspection and userinfo: the EdDSA signature check of the JWT access token, then one \
         database query for its standing (deny list and grant, in one statement), plus one for the \
         customer at userinfo. The peer looks its opaque tokens up in a `Map`, which is why these two \
         ratios sit near 1 although Vestibule verifies a signature the peer does not: the difference is the database, which a production oidc-provider \
         (with its Redis or SQL adapter) would pay too.\n\
         - Idle memory: the argon2id arenas (19 MiB per hashing thread) are returned to the operating \
         system one second after the last sign-in; what remains is the runtime, the connection pool \
         and the allocator's cached pages."
    );
    if let Some(operator) = &results.operator {
        let _ = writeln!(
            out,
            "- Operator memory: {} MiB at its peak, {} MiB resident at steady state, of which {} MiB are \
             the executable's own code pages (kube and k8s-openapi). The rest is the watch caches (every \
             Client, without `managedFields`; the Tenants' Secrets, one of which holds the rendered \
             config listing all Clients) and, at the peak, the transient parses of that config: \
             `serde_yaml` holds a whole document's events (about 6 MiB for 1,000 Clients) while it \
             parses, once per new config generation (`heaptrack`). Storing the config as JSON, which \
             parses as a stream, would remove most of that; the operator already runs on one thread \
             (one allocator arena), at most 8 reconciles at once, and lists in pages of 100.\n",
            num(super::mib(operator.peak_rss_kib), 1),
            num(super::mib(operator.steady.operator_rss_kib), 1),
            num(super::mib(operator.steady.operator_rss_file_kib), 1)
        );
    }
    let _ = writeln!(
        out,
        "\nFixed after profiling the first runs: argon2id moved from the `argon2` crate (portable AVX2 \
         code, a fresh 19 MiB allocation with its page faults per hash, and memory kept by the \
         allocator arena of every blocking thread that ever hashed: hundreds of MiB resident after the \
         load) to `argon2-rust` (runtime-selected AVX-512, the crate `@node-rs/argon2` wraps) on a \
         fixed pool of one hashing thread per core, each keeping its arena while busy and releasing it \
         when idle. RS256 signing moved from the `rsa` crate to `ring`, four times faster. A refresh \
         became one transaction instead of two, and an access token's standing one query instead of \
         two. In the operator, 1,000 Clients applied at once made tens of thousands of reconciles and \
         over a GiB of memory: each Client status write requeued the Tenant, each new config \
         generation requeued every Client, and each Client reconcile read and parsed the whole config. \
         Now a Tenant reacts to its Clients' specs (and deletions) only, Clients to their Tenant's \
         spec, readiness and served generation only, the Tenant's reconcile is debounced, Clients \
         read the served config from a watch cache parsed once per version, a Tenant lists its \
         Clients' credentials Secrets in one request, and at most 8 reconciles run at once. Then, \
         after `heaptrack` of the operator (66 MiB peak): cached and listed objects are kept without \
         their `managedFields`, lists are read in pages of 100, the served generation is read from its \
         line instead of by parsing the whole config into a YAML tree (9 MiB at the peak), and Events \
         of condition transitions are no longer kept in the shared Event recorder's series cache \
         (6 MiB for 1,000 Clients going Ready); failures still are, so repeats fold into a series.\n"
    );
}

/// Explains the fresh-machine budget.
pub const WALL_TIME_NOTE: &str = "On a fresh machine `make bench` also installs packages, builds the \
kube-apiserver and kube-controller-manager of the local control plane from Debian's source package \
(Go) and builds Vestibule's release binaries from scratch, each several minutes on two cores. The \
setup and the build run side by side (the setup mostly waits on downloads), so the total is less than \
the sum of the phases. The phases above show what this run had to do.";

/// How to reproduce.
pub const REPRODUCE: &str = "```sh\nmake bench   # installs wrk and the peer's npm packages, builds release binaries, runs everything\n```\n\n\
It needs root (or sudo) for apt on a machine that lacks the packages, a local PostgreSQL (set up by \
`scripts/setup.sh`), and about 8 minutes of measuring on top of the builds. Settings can be changed for \
exploration with environment variables (`BENCH_DURATION`, `BENCH_CONCURRENCY`, `BENCH_SKIP_OPERATOR=1`, \
`BENCH_ONLY=attack` for the attack workload alone, see `e2e/src/bin/vestibule-bench.rs`); the committed report always comes from a full run with the \
defaults.\n";
