//! Account security: what emails carry, what `email_verified` claims, what a password change
//! revokes, what a GET of an email link may do, and what a forged sign-out or account form does.

use crate::flow::{authorize_url, claims, code, exchange_web, pkce, token_basic, tokens_for};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, WEB_SECRET};
use crate::support::{Backend, Browser, TestIdp};
use crate::token::bearer_get;

async fn email_verified(idp: &TestIdp, email: &str) -> bool {
    let user = idp.state.store.user_by_email(email).await.unwrap().unwrap();
    user.email_verified
}

async fn register(browser: &Browser, email: &str, extra: &[(&str, &str)]) -> Page {
    let form = browser.get("/register").await;
    let mut fields = vec![("email", email), ("password", PASSWORD)];
    fields.extend_from_slice(extra);
    let done = browser.submit(&form, "/register", &fields).await;
    assert!(
        done.status.is_success() || done.status.is_redirection(),
        "{}",
        done.body
    );
    done
}

async fn refresh(idp: &TestIdp, tokens: &serde_json::Value) -> Page {
    let token = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    token_basic(idp, "web", WEB_SECRET, &form).await
}

async fn signed_in_browser(idp: &TestIdp, email: &str) -> Browser {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let done = browser
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    browser
}

async fn the_already_registered_email_carries_only_a_live_request_encoded(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let forged = "nope&next=https://evil.example/\r\nCall +1 555 now";
    register(&browser, "ada@example.com", &[("request", forged)]).await;
    let mail = idp.smtp.wait_for("ada@example.com", 1).await;
    assert_eq!(
        mail.link(&idp.url("/forgot")),
        idp.url("/forgot"),
        "a request id that names no sign-in in progress is left out:\n{}",
        mail.text
    );
    for part in [&mail.text, &mail.html] {
        assert!(!part.contains("evil") && !part.contains("555"), "{part}");
    }

    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await)
        .await;
    let request = login.hidden("request");
    let form = browser.get(&format!("/register?request={request}")).await;
    browser
        .submit(
            &form,
            "/register",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    let mail = idp.smtp.wait_for("ada@example.com", 2).await;
    let link = mail.link(&idp.url("/forgot"));
    assert_eq!(
        query_param(&link, "request").as_deref(),
        Some(request.as_str()),
        "a live sign-in is carried: {link}"
    );
}

async fn email_verified_is_claimed_only_for_a_proven_address(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| config.registration.require_email_verification = false).await;
    let browser = idp.browser();
    let done = register(&browser, "grace@example.com", &[]).await;
    assert_eq!(done.status, 303, "signed in at once: verification is not required");
    assert!(!email_verified(&idp, "grace@example.com").await);
    let tokens = tokens_for(&idp, "grace@example.com", "openid email").await;
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email_verified"], false, "{id_token}");

    // The link is sent anyway, and proves the address.
    let link = idp
        .smtp
        .wait_for("grace@example.com", 1)
        .await
        .link(&idp.url("/verify?token="));
    let confirm = browser.get(&link).await;
    assert_eq!(browser.submit(&confirm, "/verify", &[]).await.status, 200);
    let tokens = tokens_for(&idp, "grace@example.com", "openid email").await;
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["email_verified"], true);
}

async fn opening_a_verification_link_confirms_nothing_until_its_button_is_pressed(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    register(&browser, "late@example.com", &[]).await;
    let link = idp
        .smtp
        .wait_for("late@example.com", 1)
        .await
        .link(&idp.url("/verify?token="));
    // A mail scanner fetches the link, twice.
    for _ in 0..2 {
        let scanned = reqwest::get(&link).await.unwrap();
        assert_eq!(scanned.status(), 200);
    }
    assert!(!email_verified(&idp, "late@example.com").await);

    let confirm = browser.get(&link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let token = query_param(&link, "token").unwrap();
    let forged = reqwest::Client::new()
        .post(idp.url("/verify"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a form without the CSRF token confirms nothing");
    assert!(!email_verified(&idp, "late@example.com").await);

    assert_eq!(browser.submit(&confirm, "/verify", &[]).await.status, 200);
    assert!(email_verified(&idp, "late@example.com").await);
    assert_eq!(
        browser.submit(&confirm, "/verify", &[]).await.status,
        400,
        "the link is single-use"
    );
    assert_eq!(browser.get(&link).await.status, 400, "and then shows no button");
}

async fn a_password_change_revokes_every_grant_but_the_current_sessions(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let mut tokens = Vec::new();
    let mut browsers = Vec::new();
    for _ in 0..2 {
        let browser = idp.browser();
        let pkce = pkce();
        let code = code(&idp, &browser, "web", "openid offline_access", &pkce, "ada@example.com").await;
        let response = exchange_web(&idp, &code, &pkce.verifier).await;
        assert_eq!(response.status, 200, "{}", response.body);
        tokens.push(response.json());
        browsers.push(browser);
    }
    let (laptop, phone) = (&tokens[0], &tokens[1]);
    let page = browsers[0].get("/account").await;
    let changed = browsers[0]
        .submit(
            &page,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another fine passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);

    let other = refresh(&idp, phone).await;
    assert_eq!(
        other.status, 400,
        "the other session's grant is revoked: {}",
        other.body
    );
    let access = phone["access_token"].as_str().unwrap();
    assert_eq!(bearer_get(&idp, "/userinfo", access).await.status, 401);
    let current = refresh(&idp, laptop).await;
    assert_eq!(current.status, 200, "this session's grant lives on: {}", current.body);
}

async fn a_sign_out_failing_the_csrf_check_signs_nobody_out(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = signed_in_browser(&idp, "ada@example.com").await;
    let forged = browser.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert!(
        forged
            .header("set-cookie")
            .is_none_or(|cookie| !cookie.contains("-session=")),
        "the session cookie is left alone"
    );
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");

    // Nor at the end_session endpoint, even with a hint naming this session.
    let pkce = pkce();
    let code = code(&idp, &browser, "web", "openid", &pkce, "ada@example.com").await;
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    let hint = tokens["id_token"].as_str().unwrap();
    let forged = browser
        .post(
            "/end_session",
            &[("id_token_hint", hint), ("confirm", "yes"), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");

    let page = browser.get("/account").await;
    let genuine = browser.submit(&page, "/logout", &[]).await;
    assert_eq!(genuine.status, 200);
    assert_eq!(browser.get("/account").await.status, 303, "a genuine sign-out works");
}

async fn forged_account_forms_get_403_and_change_nothing(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = signed_in_browser(&idp, "ada@example.com").await;
    let phone = signed_in_browser(&idp, "ada@example.com").await;
    let before = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    let other_session = browser.get("/account").await.hidden("session");
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "another fine passphrase"),
            ],
        ),
        ("/account/profile", vec![("given_name", "Mallory"), ("nickname", "eve")]),
        ("/account/sessions/revoke", vec![("session", other_session.as_str())]),
    ];
    for (path, fields) in &forms {
        // Once with a wrong token, once with none: the cookie alone proves nothing.
        let mut forged = fields.clone();
        forged.push(("csrf", "forged"));
        for form in [forged, fields.clone()] {
            let answer = browser.post(path, &form).await;
            assert_eq!(answer.status, 403, "{path} {form:?}: {}", answer.body);
        }
    }
    let after = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(after.password_hash, before.password_hash, "the password is unchanged");
    assert_eq!(after.given_name, before.given_name);
    assert_eq!(after.nickname, before.nickname);
    assert_eq!(phone.get("/account").await.status, 200, "the other session lives on");
    assert_eq!(browser.get("/account").await.status, 200, "still signed in");
    signed_in_browser(&idp, "ada@example.com").await;
}

on_both_backends!(
    forged_account_forms_get_403_and_change_nothing,
    the_already_registered_email_carries_only_a_live_request_encoded,
    email_verified_is_claimed_only_for_a_proven_address,
    opening_a_verification_link_confirms_nothing_until_its_button_is_pressed,
    a_password_change_revokes_every_grant_but_the_current_sessions,
    a_sign_out_failing_the_csrf_check_signs_nobody_out,
);
