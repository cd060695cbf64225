//! "Download your data": everything stored about the customer, no secret, after a recent
//! authentication; audited.

use crate::privacy::rows::{ADA, BOB, account, fill};
use crate::support::idp::PASSWORD;
use crate::support::{Backend, Browser, TestIdp};

pub async fn signed_in(idp: &TestIdp, email: &str) -> Browser {
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let done = browser
        .submit(&login, "/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    browser
}

async fn the_export_holds_what_was_stored_and_no_secret(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let ada = account(&idp, &ADA).await;
    let bob = account(&idp, &BOB).await;
    let browser = signed_in(&idp, ADA.email).await;
    fill(&idp, &ada, "ada").await;
    fill(&idp, &bob, "bob").await;
    let page = browser.get("/account/export").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("current_password"),
        "a fresh sign-in needs no password again"
    );
    let download = browser.submit(&page, "/account/export", &[]).await;
    assert_eq!(download.status, 200, "{}", download.body);
    assert_eq!(download.header("content-type").as_deref(), Some("application/json"));
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.header("cache-control").as_deref(), Some("no-store"));
    let data = download.json();
    let profile = &data["profile"];
    assert_eq!(profile["id"], ada.id.as_str());
    assert_eq!(profile["email"], ADA.email);
    assert_eq!(profile["given_name"], ADA.given_name);
    assert_eq!(profile["family_name"], ADA.family_name);
    assert_eq!(profile["nickname"], ADA.nickname);
    assert_eq!(profile["phone_number"], ADA.phone_number);
    assert_eq!(profile["birthdate"], "1815-12-10");
    assert_eq!(profile["has_password"], true);
    let identity = &data["linked_identities"][0];
    assert_eq!(
        (identity["provider"].as_str(), identity["subject"].as_str()),
        (Some("default.google"), Some("google-ada"))
    );
    let factors = &data["factors"];
    assert!(factors["authenticator_app"]["created_at"].is_string());
    assert!(factors["authenticator_app"]["confirmed_at"].is_null());
    assert_eq!(factors["recovery_codes_left"], 1);
    assert_eq!(factors["email_codes"], true);
    assert_eq!(factors["passkeys"][0]["credential_id"], "credential-ada");
    assert_eq!(factors["passkeys"][0]["name"], format!("Laptop of {}", ADA.email));
    let sessions = data["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "the browser's and the stored one: {sessions:?}");
    assert!(
        sessions
            .iter()
            .any(|session| session["ip"] == "203.0.113.9" && session["user_agent"] == "Firefox")
    );
    assert_eq!(data["trusted_devices"][0]["label"], "Firefox on Linux");
    assert_eq!(data["application_consents"][0]["client_id"], "partner");
    assert_eq!(data["application_consents"][0]["scope"], "openid email");
    let events: Vec<&str> = data["audit_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|line| line["event"].as_str())
        .collect();
    assert!(
        events.contains(&"login_succeeded") && events.contains(&"profile_updated"),
        "{events:?}"
    );
    let secrets = [
        ada.password_hash.as_str(),
        "sealed-totp-secret-ada",
        "private-material-ada",
        "recovery-hash-ada",
        "session-ada",
        "refresh-ada",
        "code-hash-ada",
        "email-token-ada",
        "trusted-ada",
    ];
    for secret in secrets {
        assert!(!download.body.contains(secret), "the export carries {secret}");
    }
    for value in BOB.values() {
        assert!(
            !download.body.contains(value),
            "the export carries another customer's {value}"
        );
    }
    let audit = idp.state.store.audit_of_user(&ada.id).await.unwrap();
    assert_eq!(audit[0].event, "data_exported", "{audit:?}");
}

async fn export_and_erasure_ask_for_a_recent_authentication(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let ada = account(&idp, &ADA).await;
    let browser = signed_in(&idp, ADA.email).await;
    idp.clock.advance(10 * 60);
    let page = browser.get("/account/export").await;
    assert!(page.body.contains(r#"name="current_password""#), "{}", page.body);
    let refused = browser.submit(&page, "/account/export", &[]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.header("content-type").unwrap().starts_with("text/html"));
    assert!(!refused.body.contains(ADA.given_name), "no data without the password");
    let wrong = browser
        .submit(&page, "/account/export", &[("current_password", "not it")])
        .await;
    assert_eq!(wrong.status, 400);
    let audit = idp.state.store.audit_of_user(&ada.id).await.unwrap();
    assert!(audit.iter().all(|line| line.event != "data_exported"), "{audit:?}");
    let download = browser
        .submit(&page, "/account/export", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(download.status, 200, "{}", download.body);
    assert_eq!(download.json()["profile"]["email"], ADA.email);

    let page = browser.get("/account/delete").await;
    assert!(page.body.contains(r#"name="current_password""#), "{}", page.body);
    let refused = browser
        .submit(&page, "/account/delete", &[("confirm_email", ADA.email)])
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(idp.state.store.user_by_id(&ada.id).await.unwrap().is_some());
    let mistyped = browser
        .submit(
            &page,
            "/account/delete",
            &[("confirm_email", "someone@example.com"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(mistyped.status, 400);
    assert!(
        mistyped.body.contains("not the email address of this account"),
        "{}",
        mistyped.body
    );
    assert!(idp.state.store.user_by_id(&ada.id).await.unwrap().is_some());
    let forged = browser
        .post(
            "/account/delete",
            &[
                ("confirm_email", ADA.email),
                ("current_password", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(idp.state.store.user_by_id(&ada.id).await.unwrap().is_some());
    let done = browser
        .submit(
            &page,
            "/account/delete",
            &[("confirm_email", ADA.email), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(idp.state.store.user_by_id(&ada.id).await.unwrap().is_none());
}

on_both_backends!(
    the_export_holds_what_was_stored_and_no_secret,
    export_and_erasure_ask_for_a_recent_authentication,
);
