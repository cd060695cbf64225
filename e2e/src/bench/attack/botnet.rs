//! The attackers: a stuffing tool replaying the leaked list at a fixed rate, each attempt from
//! the botnet's next address (a client bound to it), as many attempts in flight as it has
//! connections. An attempt fetches the sign-in form, as a tool must for its CSRF token, and
//! posts the pair with the form's fields as they came: a proof-of-work puzzle stays unsolved.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::sync::Semaphore;

use super::leaked::{Pair, botnet_address};
use crate::bench::BenchError;
use crate::bench::browser::Jar;
use crate::bench::login::{self, Flow};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The pair signed in: an attacker success.
    SignedIn,
    /// The password was checked and refused (wrong, unknown account or locked account).
    Judged,
    /// Refused before any password check for want of a solved puzzle.
    Challenged,
    /// Refused by a rate limit or an address block.
    Limited,
    /// Refused because the hashing queue was full.
    Busy,
    /// Anything else (the text says what).
    Other(String),
}

/// What the attempts so far came to.
#[derive(Debug, Default)]
pub struct Tally {
    attempts: AtomicU64,
    signed_in: AtomicU64,
    judged: AtomicU64,
    challenged: AtomicU64,
    limited: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
    first_other: Mutex<Option<String>>,
}

/// A copy of a [`Tally`].
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Attempts answered.
    pub attempts: u64,
    /// Of which signed in.
    pub signed_in: u64,
    /// Judged: the password was checked and refused.
    pub judged: u64,
    /// Turned away by the challenge.
    pub challenged: u64,
    /// Turned away by a rate limit or address block.
    pub limited: u64,
    /// Turned away by a full hashing queue.
    pub busy: u64,
    /// Anything else.
    pub other: u64,
    /// The first of those.
    pub first_other: Option<String>,
}

impl Tally {
    fn record(&self, outcome: Outcome) {
        let counter = match &outcome {
            Outcome::SignedIn => &self.signed_in,
            Outcome::Judged => &self.judged,
            Outcome::Challenged => &self.challenged,
            Outcome::Limited => &self.limited,
            Outcome::Busy => &self.busy,
            Outcome::Other(what) => {
                if let Ok(mut first) = self.first_other.lock() {
                    first.get_or_insert_with(|| what.clone());
                }
                &self.other
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts now.
    pub fn counts(&self) -> Counts {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Counts {
            attempts: get(&self.attempts),
            signed_in: get(&self.signed_in),
            judged: get(&self.judged),
            challenged: get(&self.challenged),
            limited: get(&self.limited),
            busy: get(&self.busy),
            other: get(&self.other),
            first_other: self.first_other.lock().ok().and_then(|first| first.clone()),
        }
    }
}

/// How hard the botnet pushes.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Attempts started per second.
    pub rate: f64,
    /// Attempts in flight at most (its connections).
    pub in_flight: usize,
    /// For how long.
    pub duration: Duration,
}

/// A client whose connections leave from `address`.
fn bound_client(address: IpAddr) -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(address)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| BenchError::setup("an attacker's HTTP client", e))
}

/// What the answer to a posted pair means; `puzzled`: the form carried a puzzle.
fn classify(status: StatusCode, puzzled: bool) -> Outcome {
    match status.as_u16() {
        300..=399 => Outcome::SignedIn,
        401 => Outcome::Judged,
        403 if puzzled => Outcome::Challenged,
        429 => Outcome::Limited,
        503 => Outcome::Busy,
        other => Outcome::Other(format!("HTTP {other}")),
    }
}

/// One attempt of `pair` from `address`; `on_puzzle` runs (and is awaited) when the form
/// carries a puzzle, before the pair is posted.
async fn attempt<F: Future<Output = ()>>(
    flow: &Flow,
    pair: &Pair,
    address: IpAddr,
    on_puzzle: impl FnOnce() -> F,
) -> Outcome {
    let result = async {
        let client = bound_client(address)?;
        let mut jar = Jar::default();
        let opened = login::open(&client, flow, &mut jar).await?;
        let puzzled = opened.form.puzzle.is_some();
        if puzzled {
            on_puzzle().await;
        }
        let posted = login::submit(&client, &mut jar, &opened.form, &pair.email, &pair.password).await?;
        Ok::<_, BenchError>(classify(posted.status(), puzzled))
    };
    result.await.unwrap_or_else(|error| Outcome::Other(error.to_string()))
}

/// Replays `pairs` against `flow` at `pace`; `on_puzzle` runs when an attempt meets a puzzle
/// (the caller notes when challenged mode began). Attempts under way at the end are completed
/// and counted.
pub async fn run<F>(
    flow: &Flow,
    pairs: &Arc<Vec<Pair>>,
    pace: Pace,
    tally: &Arc<Tally>,
    on_puzzle: impl Fn() -> F + Clone + Send + 'static,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(pace.in_flight.max(1)));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / pace.rate.max(1.0)));
    let deadline = Instant::now() + pace.duration;
    let mut attempts = tokio::task::JoinSet::new();
    let mut next = 0_usize;
    while Instant::now() < deadline {
        ticks.tick().await;
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let (flow, pairs, tally, on_puzzle) = (flow.clone(), pairs.clone(), tally.clone(), on_puzzle.clone());
        let index = next;
        next += 1;
        attempts.spawn(async move {
            let pair = &pairs[index % pairs.len()];
            let outcome = attempt(&flow, pair, botnet_address(index), on_puzzle).await;
            tally.record(outcome);
            drop(permit);
        });
    }
    while attempts.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_apart() {
        assert_eq!(classify(StatusCode::FOUND, true), Outcome::SignedIn);
        assert_eq!(classify(StatusCode::SEE_OTHER, false), Outcome::SignedIn);
        assert_eq!(classify(StatusCode::UNAUTHORIZED, true), Outcome::Judged);
        assert_eq!(classify(StatusCode::FORBIDDEN, true), Outcome::Challenged);
        assert_eq!(
            classify(StatusCode::FORBIDDEN, false),
            Outcome::Other("HTTP 403".into()),
            "a 403 without a puzzle is not the challenge"
        );
        assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS, false), Outcome::Limited);
        assert_eq!(classify(StatusCode::SERVICE_UNAVAILABLE, false), Outcome::Busy);
    }
}
