//! Registration with required attributes and password policy; verification by a real email.

use crate::flow::{authorize_url, pkce};
use crate::support::browser::query_param;
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Backend, TestIdp};
use vestibule_crds::v1alpha1::ProfileAttribute;

async fn register_verify_by_email_and_sign_in_to_the_client(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.registration.required_attributes = vec![ProfileAttribute::GivenName]
    })
    .await;
    let browser = idp.browser();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid email profile", &pkce(), &[]))
                .await,
        )
        .await;
    let register = browser
        .get(&format!("/register?request={}", login.hidden("request")))
        .await;
    assert!(
        register.body.contains(r#"name="given_name""#),
        "required attributes are asked"
    );
    let done = browser
        .submit(
            &register,
            "/register",
            &[
                ("email", "Grace@Example.com"),
                ("given_name", "Grace"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Check your inbox"));

    // Not verified yet: the password is right but sign-in waits for the link.
    let early = browser
        .submit(
            &login,
            "/login",
            &[("email", "grace@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(early.status, 403);
    assert!(early.body.contains("confirm your email"));

    let mail = idp.smtp.wait_for("grace@example.com", 1).await;
    assert!(mail.subject.contains("Confirm your email address"), "{}", mail.subject);
    assert!(mail.html.contains("<a href="), "an HTML part too");
    let link = mail.link(&idp.url("/verify?token="));
    let confirm = browser.get(&link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let verified = browser.submit(&confirm, "/verify", &[]).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert!(verified.body.contains("confirmed"));
    let again = browser.submit(&confirm, "/verify", &[]).await;
    assert_eq!(again.status, 400, "the link is single-use");

    let continue_link = verified
        .body
        .split("href=\"")
        .nth(2)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .unwrap();
    let login_again = browser.get(&continue_link.replace("&amp;", "&")).await;
    let after = browser
        .follow(
            browser
                .submit(
                    &login_again,
                    "/login",
                    &[("email", "grace@example.com"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(
        after.location().starts_with(REDIRECT),
        "back to the client: {}",
        after.location()
    );
    assert!(query_param(&after.location(), "code").is_some());
    let user = idp
        .state
        .store
        .user_by_email("grace@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
    assert_eq!(user.given_name.as_deref(), Some("Grace"));
    let events: Vec<String> = idp
        .state
        .store
        .audit_of_user(&user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    for event in ["registered", "email_verified", "login_succeeded"] {
        assert!(events.contains(&event.to_owned()), "audit lacks {event}: {events:?}");
    }
}

async fn verification_links_expire(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    let register = browser.get("/register").await;
    browser
        .submit(
            &register,
            "/register",
            &[("email", "late@example.com"), ("password", PASSWORD)],
        )
        .await;
    let link = idp
        .smtp
        .wait_for("late@example.com", 1)
        .await
        .link(&idp.url("/verify?token="));
    idp.clock.advance(25 * 3600);
    assert_eq!(browser.get(&link).await.status, 400);
}

async fn weak_passwords_and_missing_attributes_are_explained_per_field(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.registration.required_attributes = vec![ProfileAttribute::PhoneNumber]
    })
    .await;
    let browser = idp.browser();
    let register = browser.get("/register").await;
    let short = browser
        .submit(
            &register,
            "/register",
            &[
                ("email", "a@example.com"),
                ("phone_number", "12"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("too short"), "{}", short.body);
    assert!(
        short.body.contains(r#"id="phone_number-error""#)
            && short.body.contains(r#"aria-describedby="phone_number-error""#),
        "errors are tied to their fields"
    );
    let common = browser
        .submit(
            &register,
            "/register",
            &[
                ("email", "a@example.com"),
                ("phone_number", "+4917012345678"),
                ("password", "password1234"),
            ],
        )
        .await;
    assert!(common.body.contains("too common"), "{}", common.body);
    let bad_email = browser
        .submit(
            &register,
            "/register",
            &[
                ("email", "nope"),
                ("phone_number", "+4917012345678"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(bad_email.body.contains("valid email address"));
    assert!(
        idp.state.store.user_by_email("a@example.com").await.unwrap().is_none(),
        "nothing was half-created"
    );
}

async fn registering_a_taken_address_reveals_nothing_and_tells_the_owner(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let register = browser.get("/register").await;
    let answer = browser
        .submit(
            &register,
            "/register",
            &[("email", "ada@example.com"), ("password", "another long passphrase")],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("Check your inbox"),
        "same answer as for a new address"
    );
    let mail = idp.smtp.wait_for("ada@example.com", 1).await;
    assert!(
        mail.subject.contains("Someone tried to create an account"),
        "{}",
        mail.subject
    );
}

async fn registration_can_be_switched_off(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| config.registration.enabled = false).await;
    let browser = idp.browser();
    assert_eq!(browser.get("/register").await.status, 404);
    assert!(!browser.get("/login").await.body.contains("/register"));
}

on_both_backends!(
    register_verify_by_email_and_sign_in_to_the_client,
    verification_links_expire,
    weak_passwords_and_missing_attributes_are_explained_per_field,
    registering_a_taken_address_reveals_nothing_and_tells_the_owner,
    registration_can_be_switched_off,
);
