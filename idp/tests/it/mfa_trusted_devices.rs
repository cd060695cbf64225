//! Trusted devices (`rememberDevice`): the second factor skipped until the trust is revoked,
//! expires or the password changes; an explicit step-up still asks; and a trusted device is
//! still scored by adaptive MFA and refused past the deny threshold.

use crate::flow::{pkce, sign_in_page_only};
use crate::mfa::{enrol, policy, signed_in};
use crate::mfa_enforcement::{
    EMAIL, adaptive, asks_code, authorize, enrolled, enter_code, id_token, password_at_web, risk_details, sign_out,
};
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

async fn a_trusted_device_skips_the_code_until_revoked_or_expired(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("rememberDevice: {enabled: true, duration: 48h}")).await;
    idp.user(EMAIL).await;
    let manager = signed_in(&idp, EMAIL).await;
    let key = enrol(&idp, &manager).await;
    let pkce = pkce();
    let browser = idp.browser();
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(asked.body.contains("Trust this device for 2 days"), "{}", asked.body);
    enter_code(&idp, &browser, &asked, &key, &[("remember", "on")]).await;
    assert!(browser.cookie("__Host-vestibule-").is_some());
    sign_out(&browser).await;
    let skipped = password_at_web(&idp, &browser, &pkce).await;
    assert_eq!(id_token(&idp, &skipped, &pkce).await["amr"], serde_json::json!(["pwd"]));
    // An essential mfa class still asks, trusted or not.
    sign_out(&browser).await;
    let essential = r#"{"id_token":{"acr":{"essential":true,"value":"urn:vestibule:acr:mfa"}}}"#;
    let login = authorize(&idp, &browser, &pkce, &[("claims", essential)]).await;
    assert!(asks_code(&sign_in_page_only(&browser, login, EMAIL).await));
    // The account page lists it; revoking it makes the next sign-in ask again.
    let account = manager.get("/account").await;
    assert!(account.body.contains("Trusted devices"), "{}", account.body);
    let revoked = manager
        .submit(&account, "/account/devices/revoke", &[("device", "all")])
        .await;
    assert_eq!(revoked.status, 303);
    sign_out(&browser).await;
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(asks_code(&asked), "revoked: asked again");
    // Trusted again, then expired.
    enter_code(&idp, &browser, &asked, &key, &[("remember", "on")]).await;
    sign_out(&browser).await;
    assert!(!asks_code(&password_at_web(&idp, &browser, &pkce).await));
    sign_out(&browser).await;
    idp.clock.advance(49 * 3600);
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(asks_code(&asked), "expired");
    // Changing the password ends every trust.
    enter_code(&idp, &browser, &asked, &key, &[("remember", "on")]).await;
    let user = idp.state.store.user_by_email(EMAIL).await.unwrap().unwrap();
    assert_eq!(
        idp.state
            .store
            .trusted_devices(&user.id, idp.state.now())
            .await
            .unwrap()
            .len(),
        1
    );
    let manager = signed_in(&idp, EMAIL).await;
    let account = manager.follow(manager.get("/account").await).await;
    let account = if asks_code(&account) {
        enter_code(&idp, &manager, &account, &key, &[]).await
    } else {
        account
    };
    let changed = manager
        .submit(
            &account,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "An0ther-long-passphrase!"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert!(
        idp.state
            .store
            .trusted_devices(&user.id, idp.state.now())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn one_trusted_device_is_revoked_and_the_other_stays(backend: Backend) {
    let idp = TestIdp::start_with(backend, policy("rememberDevice: {enabled: true}")).await;
    let user = idp.user(EMAIL).await;
    let manager = signed_in(&idp, EMAIL).await;
    let key = enrol(&idp, &manager).await;
    let pkce = pkce();
    let (first, second) = (idp.browser(), idp.browser());
    for browser in [&first, &second] {
        let asked = password_at_web(&idp, browser, &pkce).await;
        assert!(asked.body.contains("Trust this device for 30 days"), "{}", asked.body);
        enter_code(&idp, browser, &asked, &key, &[("remember", "on")]).await;
        sign_out(browser).await;
    }
    let account = manager.get("/account").await;
    assert_eq!(
        account.body.matches(r#"name="device" value=""#).count(),
        3,
        "two rows and 'all'"
    );
    // The first form revokes the newest device: the second browser's.
    let revoked = manager.submit(&account, "/account/devices/revoke", &[]).await;
    assert!(revoked.location().ends_with("saved=devices-revoked"));
    assert_eq!(
        idp.state
            .store
            .trusted_devices(&user.id, idp.state.now())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(asks_code(&password_at_web(&idp, &second, &pkce).await));
    let skipped = password_at_web(&idp, &first, &pkce).await;
    assert_eq!(id_token(&idp, &skipped, &pkce).await["amr"], serde_json::json!(["pwd"]));
}

async fn a_trusted_device_is_scored_and_refused_past_the_deny_threshold(backend: Backend) {
    let policy_text = format!("{}, rememberDevice: {{enabled: true}}", adaptive(50, 0, 100));
    let idp = TestIdp::start_with(backend, policy(&policy_text)).await;
    let key = enrolled(&idp).await;
    idp.clock.advance(3600); // the enrolment's wrong code is out of the lockout window
    let browser = idp.browser();
    let pkce = pkce();
    let asked = password_at_web(&idp, &browser, &pkce).await;
    assert!(asks_code(&asked), "a new device steps up:\n{}", asked.body);
    enter_code(&idp, &browser, &asked, &key, &[("remember", "on")]).await;
    sign_out(&browser).await;
    // Trusted: no code, but the sign-in is still scored and audited.
    let assessed = risk_details(&idp).await.len();
    let skipped = password_at_web(&idp, &browser, &pkce).await;
    assert_eq!(id_token(&idp, &skipped, &pkce).await["amr"], serde_json::json!(["pwd"]));
    assert!(
        risk_details(&idp).await.len() > assessed,
        "scored on a trusted device too"
    );
    sign_out(&browser).await;
    // A failure on the account first: the score passes the deny threshold, trusted or not.
    let login = authorize(&idp, &browser, &pkce, &[]).await;
    let wrong = browser
        .submit(&login, "/login", &[("email", EMAIL), ("password", "not-the-password")])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let refused = sign_in_page_only(&browser, wrong, EMAIL).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!refused.url.contains("code="));
    let details = risk_details(&idp).await;
    assert!(
        details
            .iter()
            .any(|detail| detail.contains("new_device=false") && detail.ends_with("decision=deny")),
        "{details:?}"
    );
}

on_both_backends!(
    a_trusted_device_skips_the_code_until_revoked_or_expired,
    one_trusted_device_is_revoked_and_the_other_stays,
    a_trusted_device_is_scored_and_refused_past_the_deny_threshold,
);
