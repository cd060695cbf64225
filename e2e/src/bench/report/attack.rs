//! The attack section: legitimate sign-ins quiet and under a credential-stuffing attack, what
//! the attack got and what it cost each server in argon2id verifications.

use std::fmt::Write as _;

use super::num;
use crate::bench::Results;
use crate::bench::attack::AttackResult;
use crate::bench::attack::leaked::{BOTNET_ADDRESSES, LEAKED_PAIRS};

/// Every server's attack result, in report order.
pub fn results(results: &Results) -> impl Iterator<Item = &AttackResult> {
    results.idp.targets.iter().filter_map(|t| t.attack.as_ref())
}

fn percent(share: f64) -> String {
    format!("{} %", num(100.0 * share, 1))
}

/// `-` for a figure that does not apply.
fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".into())
}

/// The section.
pub fn section(out: &mut String, results: &Results) {
    let attacks: Vec<&AttackResult> = self::results(results).collect();
    let Some(first) = attacks.first() else {
        return;
    };
    let _ = writeln!(out, "## Under a credential-stuffing attack\n");
    describe(out, results, first);
    table(out, &attacks);
    details(out, &attacks);
}

/// The short form for `BENCHMARKS.md`: the table, with a pointer to the full description.
pub fn summary(out: &mut String, results: &Results) {
    let attacks: Vec<&AttackResult> = self::results(results).collect();
    let Some(first) = attacks.first() else {
        return;
    };
    let _ = writeln!(out, "## Under a credential-stuffing attack\n");
    let _ = writeln!(
        out,
        "Legitimate customers signing in at {} a second, quiet and while a botnet of {} loopback addresses \
         replays a leaked list at {} attempts a second without solving puzzles; Vestibule with its default \
         protection. How it is run: [bench/report.md](bench/report.md).\n",
        num(results.options.attack.legitimate_rate, 0),
        num(BOTNET_ADDRESSES as f64, 0),
        num(first.rate, 0)
    );
    table(out, &attacks);
}

fn table(out: &mut String, attacks: &[&AttackResult]) {
    let _ = writeln!(
        out,
        "| Server | Legitimate success quiet | under attack | p50 ms quiet | under attack | p99 ms quiet | under attack | once challenged | p99 under attack / quiet | Attack attempts | judged (password checked) | turned away by the challenge | by limits or blocks | by a full hashing queue | other | Attacker successes | argon2 per attempt, all | once challenged |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for attack in attacks {
        row(out, attack);
    }
    let _ = writeln!(out);
}

fn describe(out: &mut String, results: &Results, first: &AttackResult) {
    let options = &results.options;
    let _ = writeln!(
        out,
        "Each server fresh, Vestibule with its default attack protection (only the breach check is off, \
         as in every workload). Legitimate customers: half of the {} customers, each from an address of \
         its own (127.1.x.y), keeping its cookies between sign-ins as a browser does (signing out drops \
         the session only), start {} full sign-ins a second together, taking turns; a proof-of-work puzzle \
         on the form is solved in Rust as `/assets/challenge.js` solves it, and the time counts. Quiet: \
         {} s of that alone after a {} s warm-up. Under attack: {} s more of it while a botnet of {} \
         loopback addresses (127.16.x.y, each attempt from the next) replays a shuffled leaked list of {} \
         pairs against the other half of the customers (2 % right passwords, 13 % unknown accounts, the \
         rest wrong passwords) at {} attempts a second ({} times the all-core argon2id rate measured \
         above), at most {} in flight. Each attempt fetches the sign-in form (for its CSRF token) and posts \
         the pair with the form's fields as they came: the attackers never solve a puzzle. argon2id \
         verifications are the server's own count (Vestibule's `vestibule_idp_password_verifications_total`, \
         the peer's counter in `bench/peer/server.mjs`) less one per completed legitimate sign-in. \"Once \
         challenged\" starts when an attacker first meets a puzzle.\n",
        options.users,
        num(options.attack.legitimate_rate, 0),
        options.duration.as_secs(),
        options.warmup.as_secs(),
        options.attack.duration.as_secs(),
        num(BOTNET_ADDRESSES as f64, 0),
        num(LEAKED_PAIRS as f64, 0),
        num(first.rate, 0),
        num(options.attack.rate_factor, 1),
        first.in_flight,
    );
}

fn row(out: &mut String, a: &AttackResult) {
    let once = a.once_challenged.as_ref();
    let c = &a.attacks;
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {}x | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        a.target.label(),
        percent(a.quiet.success_rate()),
        percent(a.under_attack.success_rate()),
        num(a.quiet.p50_ms, 1),
        num(a.under_attack.p50_ms, 1),
        num(a.quiet.p99_ms, 1),
        num(a.under_attack.p99_ms, 1),
        or_dash(once.map(|l| num(l.p99_ms, 1))),
        num(a.p99_ratio(), 2),
        num(c.attempts as f64, 0),
        num(c.judged as f64, 0),
        num(c.challenged as f64, 0),
        num(c.limited as f64, 0),
        num(c.busy as f64, 0),
        num(c.other as f64, 0),
        num(c.signed_in as f64, 0),
        num(a.verifications_per_attempt(), 3),
        or_dash(a.verifications_per_attempt_once_challenged().map(|v| num(v, 3))),
    );
}

fn details(out: &mut String, attacks: &[&AttackResult]) {
    for a in attacks {
        let engaged = match &a.engaged {
            Some(at) => format!(
                "challenged mode met {} s into the attack, after {} attempts (tenant-wide mode entered {} times, \
                 single addresses {} times); from then on {} attempts cost {} argon2id verifications",
                num(at.after.as_secs_f64(), 1),
                num(at.attacks.attempts as f64, 0),
                a.server.tenant_challenged,
                a.server.addresses_challenged,
                num(a.after_engaged.map_or(0, |(attempts, _)| attempts) as f64, 0),
                num(a.after_engaged.map_or(0, |(_, v)| v) as f64, 0),
            ),
            None => "no challenge met".into(),
        };
        let puzzles = if a.under_attack.puzzles > 0 {
            format!(
                "; {} legitimate sign-ins solved a puzzle, {} ms each on average (what an attacker solving them \
                 would pay per attempt, on one core)",
                a.under_attack.puzzles,
                num(a.under_attack.puzzle_ms, 1)
            )
        } else {
            String::new()
        };
        let errors = [
            &a.quiet.first_error,
            &a.under_attack.first_error,
            &a.attacks.first_other,
        ]
        .into_iter()
        .flatten()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>();
        let _ = writeln!(
            out,
            "- {}: {} attack attempts in {} s, {} argon2id verifications for them; {}{}; quiet run {} \
             verifications per legitimate sign-in.{}",
            a.target.label(),
            num(a.attacks.attempts as f64, 0),
            num(a.seconds, 1),
            num(a.attack_verifications as f64, 0),
            engaged,
            puzzles,
            num(a.quiet_verifications_per_sign_in, 2),
            if errors.is_empty() {
                String::new()
            } else {
                format!(" First failures: {}.", errors.join(", "))
            }
        );
    }
    let _ = writeln!(out);
}
