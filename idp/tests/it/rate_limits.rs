//! Rate limits per address, per account and per tenant: replicas on one PostgreSQL database
//! enforce one limit together (counted in the database, windows ended by the clock and removed by
//! the purge); on SQLite an IdP limits in memory, as before.

use std::time::Duration;

use vestibule_idp::clock::Clock;
use vestibule_idp::ids::UnixTime;
use vestibule_idp::purge::{self, Retention};
use vestibule_idp::risk::{Action, Decision, SharedLimiter, WINDOW};
use vestibule_idp::store::Store;

use crate::support::{Backend, Browser, TestIdp};

/// A sign-in attempt of ada with a wrong password through `browser`: the answer.
async fn attempt(browser: &Browser) -> crate::support::browser::Page {
    attempt_as(browser, "ada@example.com").await
}

/// A sign-in attempt of `email` with a wrong password through `browser`: the answer.
async fn attempt_as(browser: &Browser, email: &str) -> crate::support::browser::Page {
    let page = browser.get("/login").await;
    browser
        .submit(&page, "/login", &[("email", email), ("password", "wrong password")])
        .await
}

/// Moves the clock to the first second of a window, so the attempts of a test share one.
fn align_to_a_window(idp: &TestIdp) {
    let into = idp.clock.now().seconds().rem_euclid(WINDOW);
    idp.clock.advance(WINDOW - into);
}

/// The `Retry-After` of a refusal, checked to be within a window.
fn retry_after(page: &crate::support::browser::Page) -> i64 {
    assert_eq!(page.status, 429, "{}", page.body);
    let seconds: i64 = page.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=WINDOW).contains(&seconds), "{seconds}");
    seconds
}

async fn rows(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM rate_limits")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn limited_idp(backend: Backend, per_minute: u32) -> TestIdp {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.rate_limits.logins_per_minute = per_minute;
    })
    .await;
    idp.user("ada@example.com").await;
    align_to_a_window(&idp);
    idp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgresql_database_enforce_one_limit() {
    let first = limited_idp(Backend::Postgres, 3).await;
    let second = first.replica().await;
    let (one, two) = (first.browser(), second.browser());
    for browser in [&one, &two, &one] {
        assert_eq!(attempt(browser).await.status, 401, "within the limit on either replica");
    }
    let refused = attempt(&two).await;
    assert!(refused.body.contains("Too many attempts"), "{}", refused.body);
    let wait = retry_after(&refused);
    retry_after(&attempt(&one).await);
    assert_eq!(
        attempt(&second.browser_from(2)).await.status,
        401,
        "another address has a limit of its own"
    );

    first.clock.advance(wait);
    assert_eq!(attempt(&two).await.status, 401, "the next window starts afresh");
    assert_eq!(attempt(&one).await.status, 401);
}

async fn sign_ins_over_the_limit_are_refused_with_retry_after(backend: Backend) {
    let idp = limited_idp(backend, 2).await;
    let browser = idp.browser();
    assert_eq!(attempt(&browser).await.status, 401);
    assert_eq!(attempt(&browser).await.status, 401);
    let wait = retry_after(&attempt(&browser).await);
    let counted = rows(&idp.state.store).await;
    match backend {
        Backend::Postgres => assert_eq!(counted, 2, "counted in the database: the address, the account"),
        // One replica: SQLite limits in memory, without a write per attempt.
        Backend::Sqlite => assert_eq!(counted, 0, "counted in memory"),
    }
    idp.clock.advance(wait);
    assert_eq!(attempt(&browser).await.status, 401, "the next window starts afresh");
}

async fn counts_are_atomic_never_go_back_a_window_and_are_purged(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let start = UnixTime::from_seconds(6_000);
    let counts = futures::future::join_all((0..10).map(|_| store.count_rate_limited("login", "10.0.0.1", start))).await;
    let mut hits: Vec<i64> = counts.into_iter().map(|counted| counted.unwrap().hits).collect();
    hits.sort_unstable();
    assert_eq!(
        hits,
        (1..=10).collect::<Vec<_>>(),
        "no attempt is lost or counted twice"
    );

    let behind = store
        .count_rate_limited("login", "10.0.0.1", UnixTime::from_seconds(5_940))
        .await;
    let behind = behind.unwrap();
    assert_eq!(
        (behind.window_start, behind.hits),
        (start, 11),
        "a late clock counts in the newer window"
    );
    let next = UnixTime::from_seconds(6_060);
    let next = store.count_rate_limited("login", "10.0.0.1", next).await.unwrap();
    assert_eq!(next.hits, 1, "a new window starts afresh");
    let other = store.count_rate_limited("email", "10.0.0.1", start).await.unwrap();
    assert_eq!(other.hits, 1, "actions count apart");

    // The purge runs at the IdP's clock: rows of windows long ended go, a live one stays.
    let live = idp.clock.now();
    store.count_rate_limited("login", "10.0.0.2", live).await.unwrap();
    let retention = Retention {
        audit: Duration::from_secs(90 * 86400),
    };
    let purged = purge::once(store, &idp.state.tenant, idp.clock.as_ref(), retention)
        .await
        .unwrap();
    assert!(purged.0.contains(&("rate_limits", 2)), "{purged:?}");
    assert_eq!(rows(store).await, 1);
    idp.clock.advance(2 * WINDOW);
    purge::once(store, &idp.state.tenant, idp.clock.as_ref(), retention)
        .await
        .unwrap();
    assert_eq!(rows(store).await, 0, "a window that ended is purged");
}

async fn an_account_is_limited_from_any_number_of_addresses(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.rate_limits.logins_per_account_per_minute = 3;
    })
    .await;
    idp.user("ada@example.com").await;
    align_to_a_window(&idp);
    for n in 1..=3 {
        assert_eq!(attempt(&idp.browser_from(n)).await.status, 401, "attempt {n}");
    }
    let refused = attempt(&idp.browser_from(4)).await;
    assert!(refused.body.contains("Too many attempts"), "{}", refused.body);
    let wait = retry_after(&refused);
    let stranger = attempt_as(&idp.browser_from(5), "nobody@example.com").await;
    assert_eq!(stranger.status, 401, "another account has a limit of its own");
    for n in 6..=9 {
        attempt_as(&idp.browser_from(n), "nobody@example.com").await;
    }
    let unknown = attempt_as(&idp.browser_from(10), "nobody@example.com").await;
    assert_eq!(unknown.status, 429, "an unknown account is limited alike: no oracle");
    idp.clock.advance(wait);
    assert_eq!(
        attempt(&idp.browser_from(4)).await.status,
        401,
        "the next window starts afresh"
    );
}

async fn a_tenant_wide_cap_counts_every_account_and_address(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.rate_limits.logins_per_tenant_per_minute = 2;
    })
    .await;
    align_to_a_window(&idp);
    assert_eq!(attempt_as(&idp.browser_from(1), "a@example.com").await.status, 401);
    assert_eq!(attempt_as(&idp.browser_from(2), "b@example.com").await.status, 401);
    retry_after(&attempt_as(&idp.browser_from(3), "c@example.com").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_that_cannot_be_counted_refuses() {
    let idp = TestIdp::start(Backend::Postgres).await;
    let limiter = SharedLimiter::new(idp.state.store.clone());
    let address = "10.0.0.1".parse().unwrap();
    let now = idp.state.now();
    assert_eq!(
        limiter.check(Action::Login, address, 1, now).await.unwrap(),
        Decision::Allowed
    );
    idp.state.store.pool().close().await;
    assert!(limiter.check(Action::Login, address, 1, now).await.is_err());
    assert!(
        !idp.state.limiter.allow(Action::Login, address, 1, now).await,
        "an outage does not lift the limit"
    );
}

on_both_backends!(
    sign_ins_over_the_limit_are_refused_with_retry_after,
    counts_are_atomic_never_go_back_a_window_and_are_purged,
    an_account_is_limited_from_any_number_of_addresses,
    a_tenant_wide_cap_counts_every_account_and_address,
);
