//! The client address behind proxies: `X-Forwarded-For` is believed only from the configured
//! trusted proxies, and rate limits and the bound on sign-ins in progress count IPv6 addresses
//! by their /64.

use vestibule_idp::authn::transaction::MAX_PER_NETWORK;
use vestibule_idp::ids::UserId;
use vestibule_idp::net::TrustedProxies;

use crate::flow::{authorize_url, pkce};
use crate::support::{Backend, Browser, TestIdp};

/// A failed sign-in of ada with `forwarded_for`; the address the audit log recorded for it.
async fn recorded_address(idp: &TestIdp, user_id: &UserId, forwarded_for: &str) -> String {
    let mut browser: Browser = idp.browser();
    browser.forwarded_for = Some(forwarded_for.to_owned());
    let page = browser.get("/login").await;
    let answer = browser
        .submit(
            &page,
            "/login",
            &[("email", "ada@example.com"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(answer.status, 401);
    let audit = idp.state.store.audit_of_user(user_id).await.unwrap();
    audit[0].ip.clone().unwrap()
}

async fn forwarded_for_is_ignored_without_trusted_proxies(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let ada = idp.user("ada@example.com").await;
    // The peer is loopback, which the IdP used to trust as "internal": no more.
    assert_eq!(recorded_address(&idp, &ada.id, "203.0.113.9").await, "127.0.0.1");
}

async fn forwarded_for_is_believed_from_trusted_proxies_only(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |_| {},
        |state| state.trusted_proxies = TrustedProxies::new(vec!["127.0.0.1/32".parse().unwrap()]).into(),
    )
    .await;
    let ada = idp.user("ada@example.com").await;
    assert_eq!(recorded_address(&idp, &ada.id, "203.0.113.9").await, "203.0.113.9");
    assert_eq!(
        recorded_address(&idp, &ada.id, "198.51.100.1, 203.0.113.9").await,
        "203.0.113.9",
        "what the client wrote itself, left of the proxy's entry, is not believed"
    );
}

async fn rate_limits_count_ipv6_addresses_by_their_64(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |config| config.attack_protection.rate_limits.logins_per_minute = 2,
        |state| state.trusted_proxies = TrustedProxies::new(vec!["127.0.0.1/32".parse().unwrap()]).into(),
    )
    .await;
    idp.user("ada@example.com").await;
    let attempt = |address: &'static str| {
        let idp = &idp;
        async move {
            let mut browser = idp.browser();
            browser.forwarded_for = Some(address.to_owned());
            let page = browser.get("/login").await;
            browser
                .submit(
                    &page,
                    "/login",
                    &[("email", "ada@example.com"), ("password", "wrong password")],
                )
                .await
                .status
        }
    };
    assert_eq!(attempt("2001:db8:1:2::1").await, 401);
    assert_eq!(attempt("2001:db8:1:2::2").await, 401);
    assert_eq!(attempt("2001:db8:1:2:aaaa:bbbb:cccc:dddd").await, 429, "the same /64");
    assert_eq!(attempt("2001:db8:1:3::1").await, 401, "another /64");
}

async fn sign_ins_in_progress_are_bounded_per_ipv6_64(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |_| {},
        |state| state.trusted_proxies = TrustedProxies::new(vec!["127.0.0.1/32".parse().unwrap()]).into(),
    )
    .await;
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[]);
    let start = |address: &'static str| {
        let (idp, url) = (&idp, url.clone());
        async move {
            let mut browser = idp.browser();
            browser.forwarded_for = Some(address.to_owned());
            browser.get(&url).await.status.as_u16()
        }
    };
    for _ in 0..MAX_PER_NETWORK {
        assert_eq!(start("2001:db8:1:2::1").await, 303);
    }
    assert_eq!(
        start("2001:db8:1:2:aaaa:bbbb:cccc:dddd").await,
        429,
        "the same /64 is full"
    );
    assert_eq!(start("2001:db8:1:3::1").await, 303, "another /64 is not");
}

on_both_backends!(
    sign_ins_in_progress_are_bounded_per_ipv6_64,
    forwarded_for_is_ignored_without_trusted_proxies,
    forwarded_for_is_believed_from_trusted_proxies_only,
    rate_limits_count_ipv6_addresses_by_their_64,
);
