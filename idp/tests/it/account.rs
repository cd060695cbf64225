//! The account page, sessions, rate limits and progressive profiling.

use vestibule_crds::v1alpha1::{ProfileAttribute, ProfilingStep};

use crate::flow::{authorize_url, pkce, sign_in};
use crate::support::browser::query_param;
use crate::support::idp::PASSWORD;
use crate::support::{Backend, Browser, TestIdp};

async fn signed_in(idp: &TestIdp, email: &str) -> Browser {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let done = browser
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    browser
}

async fn the_account_page_lists_sessions_and_revokes_them(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let laptop = signed_in(&idp, "ada@example.com").await;
    let phone = signed_in(&idp, "ada@example.com").await;
    let page = laptop.get("/account").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body.matches(r#"name="session""#).count(),
        1,
        "one other session can be revoked"
    );
    assert!(page.body.contains("This device"));
    let revoked = laptop
        .submit(
            &page,
            "/account/sessions/revoke",
            &[("session", &page.hidden("session"))],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(phone.get("/account").await.status, 303, "the phone's session ended");
    assert_eq!(laptop.get("/account").await.status, 200);
}

async fn changing_the_password_needs_the_current_one(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = signed_in(&idp, "ada@example.com").await;
    let other = signed_in(&idp, "ada@example.com").await;
    let page = browser.get("/account").await;
    let wrong = browser
        .submit(
            &page,
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "another fine passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("current password is incorrect"));
    let ok = browser
        .submit(
            &page,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another fine passphrase"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert!(browser.get(&ok.location()).await.body.contains("Password changed"));
    assert_eq!(other.get("/account").await.status, 303, "other sessions end");
}

async fn profile_updates_show_in_userinfo_claims(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = signed_in(&idp, "ada@example.com").await;
    let page = browser.get("/account").await;
    let bad = browser
        .submit(
            &page,
            "/account/profile",
            &[("given_name", "Ada"), ("birthdate", "not a date")],
        )
        .await;
    assert_eq!(bad.status, 400);
    let saved = browser
        .submit(
            &page,
            "/account/profile",
            &[("given_name", "Augusta"), ("nickname", "Ada")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let user = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(user.given_name.as_deref(), Some("Augusta"));
    assert_eq!(user.nickname.as_deref(), Some("Ada"));
}

async fn too_many_attempts_from_one_address_are_slowed(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.rate_limits.logins_per_minute = 2
    })
    .await;
    let browser = idp.browser();
    let login = browser.get("/login").await;
    for _ in 0..2 {
        browser
            .submit(
                &login,
                "/login",
                &[("email", "x@example.com"), ("password", "whatever123")],
            )
            .await;
    }
    let limited = browser
        .submit(
            &login,
            "/login",
            &[("email", "x@example.com"), ("password", "whatever123")],
        )
        .await;
    assert_eq!(limited.status, 429);
}

async fn progressive_profiling_asks_at_a_later_sign_in(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.registration.progressive_profiling = vec![ProfilingStep {
            after_logins: 1,
            attributes: vec![ProfileAttribute::PhoneNumber],
            skippable: true,
        }];
    })
    .await;
    idp.user("ada@example.com").await;
    let first = idp.browser();
    let page = first
        .follow(first.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
        .await;
    let done = sign_in(&first, page, "ada@example.com").await;
    assert!(
        query_param(&done.location(), "code").is_some(),
        "not asked at the first sign-in"
    );

    let second = idp.browser();
    let page = second
        .follow(second.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
        .await;
    let asked = sign_in(&second, page, "ada@example.com").await;
    assert!(
        asked.body.contains(r#"name="phone_number""#),
        "asked at the second: {}",
        asked.body
    );
    let invalid = second
        .submit(&asked, "/profile", &[("action", "save"), ("phone_number", "123")])
        .await;
    assert_eq!(invalid.status, 400);
    let saved = second
        .follow(
            second
                .submit(
                    &asked,
                    "/profile",
                    &[("action", "save"), ("phone_number", "+44 20 7946 0958")],
                )
                .await,
        )
        .await;
    assert!(query_param(&saved.location(), "code").is_some());
    let user = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(user.phone_number.as_deref(), Some("+442079460958"));
}

on_both_backends!(
    the_account_page_lists_sessions_and_revokes_them,
    changing_the_password_needs_the_current_one,
    profile_updates_show_in_userinfo_claims,
    too_many_attempts_from_one_address_are_slowed,
    progressive_profiling_asks_at_a_later_sign_in,
);
