//! Forgotten passwords: the same answer for every address, a single-use expiring link by
//! real email, and a reset that ends every session.

use crate::flow::tokens_for;
use crate::support::idp::{PASSWORD, WEB_SECRET};
use crate::support::{Backend, TestIdp};

async fn reset_by_email_link_changes_the_password_and_ends_other_sessions(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid offline_access").await;
    let other_device = idp.browser();
    let login = other_device.get("/login").await;
    other_device
        .follow(
            other_device
                .submit(
                    &login,
                    "/login",
                    &[("email", "ada@example.com"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert_eq!(other_device.get("/account").await.status, 200);

    let browser = idp.browser();
    let forgot = browser.get("/forgot").await;
    let answer = browser
        .submit(&forgot, "/forgot", &[("email", "ada@example.com")])
        .await;
    assert!(answer.body.contains("If an account exists"));
    let link = idp
        .smtp
        .wait_for("ada@example.com", 1)
        .await
        .link(&idp.url("/reset?token="));
    let form = browser.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let weak = browser.submit(&form, "/reset", &[("password", "password1234")]).await;
    assert_eq!(weak.status, 400, "the policy applies to resets too");
    let done = browser
        .submit(&form, "/reset", &[("password", "a brand new passphrase")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(browser.get(&link).await.status, 400, "the link is single-use");

    assert_eq!(
        other_device.get("/account").await.status,
        303,
        "the other session ended"
    );
    let refresh = crate::flow::token_basic(
        &idp,
        "web",
        WEB_SECRET,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refresh.json()["error"], "invalid_grant", "grants end with the password");
    let old = browser
        .submit(
            &browser.get("/login").await,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(old.status, 401);
    let new = browser
        .submit(
            &browser.get("/login").await,
            "/login",
            &[("email", "ada@example.com"), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(new.status, 303);
}

async fn forgot_password_answers_the_same_whether_or_not_the_account_exists(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let forgot = browser.get("/forgot").await;
    let known = browser
        .submit(&forgot, "/forgot", &[("email", "ada@example.com")])
        .await;
    let unknown = browser
        .submit(&forgot, "/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(known.status, unknown.status);
    let strip = |body: &str| body.replace(&forgot.hidden("csrf"), "");
    assert_eq!(strip(&known.body), strip(&unknown.body));
    idp.smtp.wait_for("ada@example.com", 1).await;
    assert_eq!(idp.smtp.count_to("nobody@example.com"), 0);
}

async fn reset_links_expire_after_an_hour(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let forgot = browser.get("/forgot").await;
    browser
        .submit(&forgot, "/forgot", &[("email", "ada@example.com")])
        .await;
    let link = idp
        .smtp
        .wait_for("ada@example.com", 1)
        .await
        .link(&idp.url("/reset?token="));
    idp.clock.advance(3601);
    assert_eq!(browser.get(&link).await.status, 400);
}

on_both_backends!(
    reset_by_email_link_changes_the_password_and_ends_other_sessions,
    forgot_password_answers_the_same_whether_or_not_the_account_exists,
    reset_links_expire_after_an_hour,
);
