//! Linking an upstream identity to an existing account by its password, from a challenged
//! address: the password form carries the challenge, and the password is looked at only once
//! it is answered.

use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::v1alpha1::AccountLinking;
use vestibule_idp::risk::proof_of_work::solves;

use super::fake_op::{FakeOp, Options};
use super::oidc_entry;
use super::routes::{id_token, idp_with, through_provider, travel};
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

async fn count_audited(idp: &TestIdp, event: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE event = $1")
        .bind(event)
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap()
}

async fn linking_by_password_is_challenged_for_a_challenged_address(backend: Backend) {
    let op = FakeOp::start(Options::default()).await;
    let entry = SocialProviderConfig {
        linking: AccountLinking::Prompt,
        ..oidc_entry(&op.issuer)
    };
    let idp = idp_with(backend, entry, |config| {
        let challenge = &mut config.attack_protection.challenge;
        challenge.failures_per_address = 2;
        challenge.difficulty = 8;
        config.attack_protection.lockout.max_failures = 100;
    })
    .await;
    let carol = idp.user("carol@example.com").await;
    let browser = idp.browser_from(7);
    // Two wrong passwords from the address: challenged.
    for _ in 0..2 {
        let login = browser.get("/login").await;
        let fields = [("email", "nobody@example.com"), ("password", "wrong password!")];
        assert_eq!(browser.submit(&login, "/login", &fields).await.status, 401);
    }

    let mut verifier = String::new();
    let page = through_provider(&idp, &browser, &mut verifier).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-challenge="), "{}", page.body);
    let failures = count_audited(&idp, "login_failed").await;
    let unanswered = browser.submit(&page, "/social/link", &[("password", PASSWORD)]).await;
    assert_eq!(unanswered.status, 403, "{}", unanswered.body);
    assert!(unanswered.body.contains("short security check"), "{}", unanswered.body);
    assert_eq!(
        count_audited(&idp, "login_failed").await,
        failures,
        "no password judged"
    );
    assert!(idp.state.store.identities_of_user(&carol.id).await.unwrap().is_empty());

    let challenge = unanswered.hidden("challenge");
    let counter = (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| solves(&challenge, counter, 8))
        .unwrap();
    let fields = [("password", PASSWORD), ("challenge_counter", counter.as_str())];
    let done = travel(&browser, browser.submit(&unanswered, "/social/link", &fields).await).await;
    assert_eq!(id_token(&idp, &done, &verifier).await["sub"], carol.id.as_str());
    assert_eq!(idp.state.store.identities_of_user(&carol.id).await.unwrap().len(), 1);
}

on_both_backends!(linking_by_password_is_challenged_for_a_challenged_address);
