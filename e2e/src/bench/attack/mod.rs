//! The attack workload: a botnet replaying a leaked list of email and password pairs against
//! many accounts from many loopback addresses ([`botnet`]), while legitimate customers sign in
//! at a steady rate ([`customers`]). Each server is measured quiet (customers only), then under
//! attack (both at once), on a fresh server: Vestibule with its default attack protection,
//! oidc-provider as it is. The argon2id verifications come from the server ([`counters`]).

pub mod botnet;
pub mod counters;
pub mod customers;
pub mod leaked;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use self::botnet::{Counts, Pace, Tally};
use self::counters::{Reader, ServerCounters};
use self::customers::{Customers, Record};
use super::fixture::Fixture;
use super::login::Flow;
use super::servers::{Server, Target};
use super::{BenchError, Options, stats};

/// The attack's settings.
#[derive(Debug, Clone, Copy)]
pub struct AttackOptions {
    /// How long the attack runs.
    pub duration: Duration,
    /// Attack attempts per second, as a multiple of the argon2id verifications per second the
    /// machine does on every core: above 1 an unprotected server cannot keep up.
    pub rate_factor: f64,
    /// Attack attempts in flight at most.
    pub in_flight: usize,
    /// Legitimate sign-ins started per second.
    pub legitimate_rate: f64,
}

/// Legitimate sign-ins over a stretch of time.
#[derive(Debug, Clone, Default)]
pub struct Legitimate {
    /// Started.
    pub started: usize,
    /// Ended with tokens.
    pub completed: usize,
    /// Median latency of the completed ones, milliseconds.
    pub p50_ms: f64,
    /// Their 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Sign-ins whose form carried a puzzle.
    pub puzzles: usize,
    /// Mean time to solve one, milliseconds.
    pub puzzle_ms: f64,
    /// The first failure.
    pub first_error: Option<String>,
}

impl Legitimate {
    fn of<'a>(records: impl Iterator<Item = &'a Record>) -> Self {
        let records: Vec<&Record> = records.collect();
        let mut latencies: Vec<Duration> = records.iter().filter(|r| r.ok).map(|r| r.latency).collect();
        latencies.sort();
        let puzzles: Vec<Duration> = records.iter().filter_map(|r| r.puzzle).collect();
        let percentile = |p| stats::percentile(&latencies, p).as_secs_f64() * 1e3;
        Self {
            started: records.len(),
            completed: latencies.len(),
            p50_ms: percentile(50.0),
            p99_ms: percentile(99.0),
            puzzles: puzzles.len(),
            puzzle_ms: puzzles.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / puzzles.len().max(1) as f64,
            first_error: records.iter().find_map(|r| r.error.clone()),
        }
    }

    /// Completed as a share of started.
    pub fn success_rate(&self) -> f64 {
        self.completed as f64 / self.started.max(1) as f64
    }
}

/// Where things stood when an attacker first met a puzzle: challenged mode had begun.
#[derive(Debug, Clone)]
pub struct Engaged {
    /// How long after the attack began.
    pub after: Duration,
    /// The attack attempts answered by then.
    pub attacks: Counts,
    /// The legitimate sign-ins completed by then.
    pub customers_signed_in: u64,
    /// The server's counters then.
    pub server: ServerCounters,
}

/// The attack workload on one server.
#[derive(Debug, Clone)]
pub struct AttackResult {
    /// The server.
    pub target: Target,
    /// Attack attempts started per second (offered).
    pub rate: f64,
    /// In flight at most.
    pub in_flight: usize,
    /// Seconds from the attack's start until its last attempt was answered.
    pub seconds: f64,
    /// Legitimate sign-ins without the attack.
    pub quiet: Legitimate,
    /// Legitimate sign-ins during it.
    pub under_attack: Legitimate,
    /// Those started once challenged mode had begun.
    pub once_challenged: Option<Legitimate>,
    /// The attack attempts.
    pub attacks: Counts,
    /// argon2id verifications the attack cost: all during it, less one per legitimate sign-in.
    pub attack_verifications: u64,
    /// Quiet run: argon2id verifications per legitimate sign-in (1 when counted right).
    pub quiet_verifications_per_sign_in: f64,
    /// When challenged mode began, if it did.
    pub engaged: Option<Engaged>,
    /// From then on: attack attempts answered and the argon2id verifications they cost.
    pub after_engaged: Option<(u64, u64)>,
    /// The server's counters at the end.
    pub server: ServerCounters,
}

impl AttackResult {
    /// argon2id verifications per attack attempt, over the whole attack.
    pub fn verifications_per_attempt(&self) -> f64 {
        self.attack_verifications as f64 / self.attacks.attempts.max(1) as f64
    }

    /// The same from the moment challenged mode began.
    pub fn verifications_per_attempt_once_challenged(&self) -> Option<f64> {
        let (attempts, verifications) = self.after_engaged?;
        Some(verifications as f64 / attempts.max(1) as f64)
    }

    /// Legitimate p99 under attack over the quiet one.
    pub fn p99_ratio(&self) -> f64 {
        self.under_attack.p99_ms / self.quiet.p99_ms.max(f64::EPSILON)
    }
}

/// What an attacker does on meeting the first puzzle: note the moment (once).
type Moment = Arc<OnceCell<Option<Engaged>>>;

async fn note_engagement(moment: Moment, begun: Instant, tally: Arc<Tally>, customers: Arc<Customers>, reader: Reader) {
    moment
        .get_or_init(|| async move {
            let server = reader.read().await.ok()?;
            Some(Engaged {
                after: begun.elapsed(),
                attacks: tally.counts(),
                customers_signed_in: customers.signed_in(),
                server,
            })
        })
        .await;
}

/// Runs the quiet stretch then the attack against `server`, signing in with `flow`;
/// `argon2_rate` is the machine's all-core verifications per second.
pub async fn run(
    server: &Server,
    flow: &Flow,
    fixture: &Arc<Fixture>,
    options: &Options,
    argon2_rate: f64,
) -> Result<AttackResult, BenchError> {
    let attack = options.attack;
    let reader = Reader::of(server);
    let customers = Arc::new(Customers::new(leaked::legitimate(fixture))?);
    let rate = attack.legitimate_rate;
    customers::run(&customers, flow, fixture, rate, options.warmup).await;
    let (quiet_start, quiet_signed) = (reader.read().await?, customers.signed_in());
    let quiet_records = customers::run(&customers, flow, fixture, rate, options.duration).await;
    let quiet_verifications = reader.read().await?.verifications - quiet_start.verifications;
    let quiet_signed = customers.signed_in() - quiet_signed;

    let pace = Pace {
        rate: attack.rate_factor * argon2_rate,
        in_flight: attack.in_flight,
        duration: attack.duration,
    };
    let (tally, moment): (Arc<Tally>, Moment) = Default::default();
    let pairs = Arc::new(leaked::pairs(fixture));
    let (start, signed_start) = (reader.read().await?, customers.signed_in());
    let begun = Instant::now();
    let on_puzzle = {
        let (moment, tally, customers, reader) = (moment.clone(), tally.clone(), customers.clone(), reader.clone());
        move || note_engagement(moment.clone(), begun, tally.clone(), customers.clone(), reader.clone())
    };
    let (records, ()) = tokio::join!(
        customers::run(&customers, flow, fixture, rate, attack.duration),
        botnet::run(flow, &pairs, pace, &tally, on_puzzle),
    );
    let seconds = begun.elapsed().as_secs_f64();
    let end = reader.read().await?;
    let attacks = tally.counts();
    let signed_end = customers.signed_in();
    let engaged = moment.get().cloned().flatten();
    let after_engaged = engaged.as_ref().map(|at| {
        let legitimate = signed_end - at.customers_signed_in;
        let verifications = (end.verifications - at.server.verifications).saturating_sub(legitimate);
        (attacks.attempts - at.attacks.attempts, verifications)
    });
    let once_challenged = engaged
        .as_ref()
        .map(|at| Legitimate::of(records.iter().filter(|r| r.started >= begun + at.after)));
    Ok(AttackResult {
        target: server.target,
        rate: pace.rate,
        in_flight: pace.in_flight,
        seconds,
        quiet: Legitimate::of(quiet_records.iter()),
        under_attack: Legitimate::of(records.iter()),
        once_challenged,
        attack_verifications: (end.verifications - start.verifications).saturating_sub(signed_end - signed_start),
        quiet_verifications_per_sign_in: quiet_verifications as f64 / quiet_signed.max(1) as f64,
        attacks,
        engaged,
        after_engaged,
        server: end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(started: Instant, millis: u64, ok: bool, puzzle: Option<u64>) -> Record {
        Record {
            started,
            latency: Duration::from_millis(millis),
            ok,
            puzzle: puzzle.map(Duration::from_millis),
            error: (!ok).then(|| "refused".to_owned()),
        }
    }

    #[test]
    fn failed_sign_ins_count_against_the_success_rate_not_the_latency() {
        let now = Instant::now();
        let mut records: Vec<Record> = (1..=99).map(|ms| record(now, ms, true, None)).collect();
        records.push(record(now, 5_000, false, None));
        records.push(record(now, 100, true, Some(20)));
        records.push(record(now, 100, true, Some(40)));
        let legitimate = Legitimate::of(records.iter());
        assert_eq!((legitimate.started, legitimate.completed), (102, 101));
        assert!((legitimate.success_rate() - 101.0 / 102.0).abs() < 1e-9);
        assert_eq!(legitimate.p99_ms, 100.0, "the failure's 5 s is not a latency");
        assert_eq!((legitimate.puzzles, legitimate.puzzle_ms), (2, 30.0));
        assert_eq!(legitimate.first_error.as_deref(), Some("refused"));
    }
}
