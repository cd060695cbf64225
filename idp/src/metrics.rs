//! Prometheus metrics: requests by route and status, latency by route, sign-ins by outcome,
//! breached-password findings and failed checks, sign-in challenges, argon2id verifications,
//! erased accounts and purged audit lines.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The IdP's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    logins: Family<OutcomeLabels, Counter>,
    reloads: Family<OutcomeLabels, Counter>,
    breached_failures: Family<ReasonLabels, Counter>,
    breached_found: Family<SourceLabels, Counter>,
    challenges: Family<ChallengeLabels, Counter>,
    addresses_challenged: Counter,
    tenant_challenged: Counter,
    password_verifications: Counter,
    erased_accounts: Family<ReasonLabels, Counter>,
    purged_audit_entries: Counter,
    inactivity_warnings: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChallengeLabels {
    /// `proof_of_work`, or the CAPTCHA provider.
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vestibule_idp");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        let logins = Family::<OutcomeLabels, Counter>::default();
        let reloads = Family::<OutcomeLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register(
            "config_reloads",
            "Changed config or key files, by whether they were served",
            reloads.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register("logins", "Password sign-ins by outcome", logins.clone());
        let breached_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "breached_check_failures",
            "Breached-password checks the range API could not answer, by reason",
            breached_failures.clone(),
        );
        let breached_found = Family::<SourceLabels, Counter>::default();
        registry.register(
            "breached_passwords",
            "Passwords found breached, by the source that knew them",
            breached_found.clone(),
        );
        let challenges = Family::<ChallengeLabels, Counter>::default();
        registry.register(
            "sign_in_challenges",
            "Sign-in challenges by kind (proof_of_work or the CAPTCHA provider) and outcome (issued, passed, failed, unavailable)",
            challenges.clone(),
        );
        let addresses_challenged = Counter::default();
        registry.register(
            "addresses_challenged",
            "Client addresses that entered challenged mode",
            addresses_challenged.clone(),
        );
        let tenant_challenged = Counter::default();
        registry.register(
            "tenant_challenged",
            "Times the whole tenant entered challenged mode (a stuffing wave over many addresses)",
            tenant_challenged.clone(),
        );
        let erased_accounts = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "erased_accounts",
            "Accounts erased, by reason (request: the customer asked; inactive: unused past retention)",
            erased_accounts.clone(),
        );
        let purged_audit_entries = Counter::default();
        registry.register(
            "purged_audit_entries",
            "Audit log lines purged by the retention job (the tenant's dataRetention.auditLog)",
            purged_audit_entries.clone(),
        );
        let inactivity_warnings = Counter::default();
        registry.register(
            "inactivity_warnings",
            "Emails warning that an unused account will be erased",
            inactivity_warnings.clone(),
        );
        let password_verifications = Counter::default();
        registry.register(
            "password_verifications",
            "argon2id password verifications run (unknown accounts' dummy verifications included)",
            password_verifications.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            logins,
            reloads,
            breached_failures,
            breached_found,
            challenges,
            addresses_challenged,
            tenant_challenged,
            erased_accounts,
            purged_audit_entries,
            inactivity_warnings,
            password_verifications,
        }
    }
}

/// How a password sign-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in.
    Success,
    /// Wrong email or password.
    Failure,
    /// The account is locked.
    Locked,
    /// The email address is not verified yet.
    Unverified,
    /// Too many attempts from the address.
    RateLimited,
}

impl Metrics {
    /// Counts a finished request.
    pub fn observe_request(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts a sign-in attempt.
    pub fn observe_login(&self, outcome: LoginOutcome) {
        let outcome = match outcome {
            LoginOutcome::Success => "success",
            LoginOutcome::Failure => "failure",
            LoginOutcome::Locked => "locked",
            LoginOutcome::Unverified => "unverified",
            LoginOutcome::RateLimited => "rate_limited",
        };
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts a reload of changed files: `served` or `refused`.
    pub fn observe_reload(&self, served: bool) {
        let outcome = if served { "served" } else { "refused" };
        self.reloads.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// How many reloads ended so (for tests and the log).
    pub fn reloads(&self, served: bool) -> u64 {
        let outcome = if served { "served" } else { "refused" };
        self.reloads.get_or_create(&OutcomeLabels { outcome }).get()
    }

    /// Counts a breached-password check that got no answer (`timeout`, `unavailable`, `malformed`).
    pub fn observe_breached_check_failure(&self, reason: &'static str) {
        self.breached_failures.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts a password found breached by `source` (`local_corpus`, `range_api`).
    pub fn observe_breached_password(&self, source: &'static str) {
        self.breached_found.get_or_create(&SourceLabels { source }).inc();
    }

    /// Counts a sign-in challenge of `kind` (`proof_of_work` or the CAPTCHA provider) `issued`,
    /// `passed`, `failed` or `unavailable` (the CAPTCHA provider did not answer).
    pub fn observe_challenge(&self, kind: &'static str, outcome: &'static str) {
        self.challenges.get_or_create(&ChallengeLabels { kind, outcome }).inc();
    }

    /// Counts an address entering challenged mode.
    pub fn observe_address_challenged(&self) {
        self.addresses_challenged.inc();
    }

    /// Counts the tenant entering challenged mode.
    pub fn observe_tenant_challenged(&self) {
        self.tenant_challenged.inc();
    }

    /// Counts an erased account (`request` or `inactive`).
    pub fn observe_erasure(&self, reason: &'static str) {
        self.erased_accounts.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts audit lines purged past the tenant's retention.
    pub fn observe_purged_audit_entries(&self, lines: u64) {
        self.purged_audit_entries.inc_by(lines);
    }

    /// Counts a warning sent before an erasure for inactivity.
    pub fn observe_inactivity_warning(&self) {
        self.inactivity_warnings.inc();
    }

    /// The counter of argon2id verifications, for the password hasher to count in.
    pub fn password_verifications(&self) -> Counter {
        self.password_verifications.clone()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}
