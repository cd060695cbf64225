//! The legitimate customers: each signs in with the right password through the full browser
//! flow, from an address of its own, keeping its cookies between sign-ins as a browser does
//! (signing out drops the session only). Together they start sign-ins at a steady rate, taking
//! turns, whatever the server's latency. A puzzle on the form is solved, and the time counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::leaked::customer_address;
use crate::bench::BenchError;
use crate::bench::browser::Jar;
use crate::bench::fixture::Fixture;
use crate::bench::login::{self, Flow};

/// One customer: an address, a browser.
struct Customer {
    email: String,
    client: reqwest::Client,
    jar: Mutex<Jar>,
}

/// The legitimate customers and what their sign-ins cost the server.
pub struct Customers {
    list: Vec<Customer>,
    next: AtomicUsize,
    signed_in: AtomicU64,
}

/// One sign-in of a customer.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it was due to start.
    pub started: Instant,
    /// From then until the token response (or the failure).
    pub latency: Duration,
    /// Whether it ended with tokens.
    pub ok: bool,
    /// The proof of work it solved, if the form carried one.
    pub puzzle: Option<Duration>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Customers {
    /// A browser for each of `emails`, customer `i` at [`customer_address`]`(i)`.
    pub fn new(emails: &[String]) -> Result<Self, BenchError> {
        let list = emails
            .iter()
            .enumerate()
            .map(|(index, email)| {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .local_address(customer_address(index))
                    .timeout(Duration::from_secs(60))
                    .build()
                    .map_err(|e| BenchError::setup("a customer's HTTP client", e))?;
                Ok(Customer {
                    email: email.clone(),
                    client,
                    jar: Mutex::new(Jar::default()),
                })
            })
            .collect::<Result<_, BenchError>>()?;
        Ok(Self {
            list,
            next: AtomicUsize::new(0),
            signed_in: AtomicU64::new(0),
        })
    }

    /// Completed sign-ins so far: each checked one password, so they are the argon2id
    /// verifications the customers cost.
    pub fn signed_in(&self) -> u64 {
        self.signed_in.load(Ordering::Relaxed)
    }

    async fn sign_in(&self, flow: &Flow, fixture: &Fixture, started: Instant) -> Record {
        let customer = &self.list[self.next.fetch_add(1, Ordering::Relaxed) % self.list.len()];
        let mut jar = customer.jar.lock().await;
        let result = login::sign_in_keeping(&customer.client, flow, fixture, &mut jar, &customer.email).await;
        // Signing out: the next sign-in shows the form again, the browser's other cookies stay.
        jar.forget_sessions();
        let latency = started.elapsed();
        match result {
            Ok(signed_in) => {
                self.signed_in.fetch_add(1, Ordering::Relaxed);
                Record {
                    started,
                    latency,
                    ok: true,
                    puzzle: signed_in.puzzle,
                    error: None,
                }
            }
            Err(error) => Record {
                started,
                latency,
                ok: false,
                puzzle: None,
                error: Some(error.to_string()),
            },
        }
    }
}

/// Sign-ins started at `rate` per second for `duration`, each by the next customer in turn;
/// those under way at the end are completed and recorded.
pub async fn run(
    customers: &Arc<Customers>,
    flow: &Flow,
    fixture: &Arc<Fixture>,
    rate: f64,
    duration: Duration,
) -> Vec<Record> {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.1)));
    let deadline = Instant::now() + duration;
    let mut sign_ins = tokio::task::JoinSet::new();
    while Instant::now() < deadline {
        ticks.tick().await;
        let (customers, flow, fixture) = (customers.clone(), flow.clone(), fixture.clone());
        let started = Instant::now();
        sign_ins.spawn(async move { customers.sign_in(&flow, &fixture, started).await });
    }
    let mut records = Vec::new();
    while let Some(record) = sign_ins.join_next().await {
        if let Ok(record) = record {
            records.push(record);
        }
    }
    records
}
