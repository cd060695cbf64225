//! The IdP phase: the physical limit of sign-ins, then every workload against each server in
//! turn (Vestibule on SQLite, on PostgreSQL, then the peer), one server running at a time.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::argon::{self, Limit};
use super::attack::{self, AttackResult};
use super::fixture::{Fixture, Protection};
use super::login;
use super::servers::{self, Target};
use super::workloads::{Driver, Measurement, Workload};
use super::{BenchError, Only, Options, machine, procfs};
use crate::process::Supervisor;

/// How long a server sits idle before its idle memory is read.
const IDLE: Duration = Duration::from_secs(5);

/// Everything measured on one server.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// The server.
    pub target: Target,
    /// One per workload.
    pub measurements: Vec<Measurement>,
    /// Resident memory once started and idle, KiB.
    pub idle_after_start_kib: u64,
    /// Resident memory idle after every workload, KiB.
    pub idle_after_load_kib: u64,
    /// The attack workload, on a fresh server of its own.
    pub attack: Option<AttackResult>,
}

impl TargetResult {
    /// The measurement of `workload`.
    pub fn get(&self, workload: Workload) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.workload == workload)
    }
}

/// The phase's results.
#[derive(Debug, Clone)]
pub struct IdpResults {
    /// argon2id verifications per second.
    pub limit: Limit,
    /// One per server.
    pub targets: Vec<TargetResult>,
    /// When the phase started.
    pub started: Timestamp,
    /// When it ended.
    pub finished: Timestamp,
}

impl IdpResults {
    /// The results of `target`.
    pub fn target(&self, target: Target) -> Option<&TargetResult> {
        self.targets.iter().find(|t| t.target == target)
    }
}

/// Runs the phase.
pub async fn run(options: &Options, fixture: &Arc<Fixture>, cores: usize) -> Result<IdpResults, BenchError> {
    let started = Timestamp::now();
    let supervisor = Supervisor::new(&fixture.dir.join("servers")).map_err(|e| BenchError::setup("a supervisor", e))?;
    machine::settle().await;
    let limit = argon::measure(fixture, cores, options.argon2_duration).await?;
    let mut targets = Vec::new();
    for target in Target::ALL {
        eprintln!("[bench] IdP workloads: {}", target.label());
        let mut result = match options.only {
            Only::All => run_target(target, options, fixture, &supervisor).await?,
            Only::Attack => TargetResult {
                target,
                measurements: Vec::new(),
                idle_after_start_kib: 0,
                idle_after_load_kib: 0,
                attack: None,
            },
        };
        eprintln!("[bench] attack workload: {}", target.label());
        result.attack = Some(run_attack(target, options, fixture, &supervisor, limit.all_cores).await?);
        targets.push(result);
    }
    Ok(IdpResults {
        limit,
        targets,
        started,
        finished: Timestamp::now(),
    })
}

async fn run_target(
    target: Target,
    options: &Options,
    fixture: &Arc<Fixture>,
    supervisor: &Supervisor,
) -> Result<TargetResult, BenchError> {
    let server = servers::start(
        target,
        fixture,
        supervisor,
        &options.postgres_admin,
        Protection::OneAddress,
    )
    .await?;
    tokio::time::sleep(IDLE).await;
    let idle_after_start_kib = procfs::rss_kib(server.pid)?;
    let driver = Driver {
        server: &server,
        fixture,
        options,
        client: login::http_client()?,
    };
    let mut measurements = Vec::new();
    for workload in [
        Workload::Discovery,
        Workload::Jwks,
        Workload::ClientCredentials,
        Workload::Login,
    ] {
        measurements.push(driver.measure(workload, &[]).await?);
    }
    let tokens = login::tokens(
        &driver.client,
        &driver.token_flow(),
        fixture,
        options.prepared_tokens,
        16,
    )
    .await?;
    // The sign-ins that made the tokens must not count towards the next workload's transactions.
    driver.flush_transactions().await;
    for workload in [Workload::Introspection, Workload::Userinfo, Workload::Refresh] {
        measurements.push(driver.measure(workload, &tokens).await?);
    }
    tokio::time::sleep(IDLE).await;
    let idle_after_load_kib = procfs::rss_kib(server.pid)?;
    server.stop().await?;
    Ok(TargetResult {
        target,
        measurements,
        idle_after_start_kib,
        idle_after_load_kib,
        attack: None,
    })
}

/// The attack workload on a fresh `target` with its default protection (challenged mode, once
/// entered, lasts beyond the run: no other workload may follow it on the same server).
async fn run_attack(
    target: Target,
    options: &Options,
    fixture: &Arc<Fixture>,
    supervisor: &Supervisor,
    argon2_rate: f64,
) -> Result<AttackResult, BenchError> {
    let server = servers::start(
        target,
        fixture,
        supervisor,
        &options.postgres_admin,
        Protection::Defaults,
    )
    .await?;
    let driver = Driver {
        server: &server,
        fixture,
        options,
        client: login::http_client()?,
    };
    let result = attack::run(&server, &driver.login_flow(), fixture, options, argon2_rate).await;
    server.stop().await?;
    result
}
