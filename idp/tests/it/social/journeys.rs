//! Whole journeys through the IdP's routes against upstreams we did not write or that mimic a
//! real one: panva's oidc-provider (served after a reload, as a newly applied SocialProvider
//! is) and the GitHub-shaped OAuth 2 server.

use serde_json::json;
use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::secret::SecretString;
use vestibule_crds::v1alpha1::{AccountLinking, SocialProviderType};
use vestibule_idp::config::Tenant;
use vestibule_idp::store::NewIdentity;

use super::fake_github::FakeGithub;
use super::fake_op::{FakeOp, Options};
use super::routes::{CALLBACK, id_token, idp_with, through_provider, travel};
use super::upstream_op::upstream_op_for;
use super::{entry, oidc_entry};
use crate::support::{Backend, TestIdp};

async fn a_customer_registers_then_signs_in_through_oidc_provider(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let op = upstream_op_for(&idp.url(CALLBACK)).await;
    // Served from the next request on, without a restart, as a reloaded configuration is.
    let mut config = idp.tenant().config.clone();
    config.social_providers = vec![oidc_entry(&op.issuer)];
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());

    let mut verifier = String::new();
    let first = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let claims = id_token(&idp, &first, &verifier).await;
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    let alice = idp
        .state
        .store
        .user_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(alice.given_name.as_deref(), Some("Alice"));
    assert_eq!(alice.family_name.as_deref(), Some("Liddell"));

    let second = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let again = id_token(&idp, &second, &verifier).await;
    assert_eq!(again["sub"], alice.id.as_str());
    assert_eq!(again["amr"], json!(["fed"]));
    let identities = idp.state.store.identities_of_user(&alice.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "alice-upstream");
}

async fn a_customer_registers_then_signs_in_through_the_github_shaped_server(backend: Backend) {
    let fake = FakeGithub::start().await;
    let github = SocialProviderConfig {
        authorization_url: Some(format!("{}/login/oauth/authorize", fake.origin)),
        token_url: Some(format!("{}/login/oauth/access_token", fake.origin)),
        userinfo_url: Some(format!("{}/api/v3/user", fake.origin)),
        ..entry(SocialProviderType::Github, "gh-client", "gh-secret")
    };
    let idp = idp_with(backend, github, |_| {}).await;
    let mut verifier = String::new();
    let first = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let claims = id_token(&idp, &first, &verifier).await;
    assert_eq!(claims["amr"], json!(["fed"]));
    let octo = idp
        .state
        .store
        .user_by_email("octo@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], octo.id.as_str());
    let second = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(id_token(&idp, &second, &verifier).await["sub"], octo.id.as_str());
}

async fn a_closed_registration_makes_no_account_through_a_provider(backend: Backend) {
    let op = FakeOp::start(Options::default()).await;
    let idp = idp_with(backend, oidc_entry(&op.issuer), |config| {
        config.registration.enabled = false;
    })
    .await;
    let mut verifier = String::new();
    let page = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        idp.state
            .store
            .user_by_email("carol@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_rotated_upstream_secret_is_used_after_a_reload_without_restart(backend: Backend) {
    let op = FakeOp::start(Options::default()).await;
    let stale = SocialProviderConfig {
        client_secret: SecretString::new("the-old-secret"),
        ..oidc_entry(&op.issuer)
    };
    let idp = idp_with(backend, stale, |_| {}).await;
    let mut verifier = String::new();
    let refused = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(
        refused.status, 400,
        "the provider refuses the old secret: {}",
        refused.body
    );

    let mut config = idp.tenant().config.clone();
    config.social_providers = vec![oidc_entry(&op.issuer)];
    config.generation += 1;
    idp.state.tenant.replace(Tenant::new(config, &idp.keys).unwrap());
    let done = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(id_token(&idp, &done, &verifier).await["amr"], json!(["fed"]));
}

async fn prompt_linking_accepts_a_provider_already_linked_as_proof(backend: Backend) {
    let op = FakeOp::start(Options::default()).await;
    let fake = FakeGithub::start().await;
    let github = SocialProviderConfig {
        id: "team.github".into(),
        display_name: "GitHub".into(),
        authorization_url: Some(format!("{}/login/oauth/authorize", fake.origin)),
        token_url: Some(format!("{}/login/oauth/access_token", fake.origin)),
        userinfo_url: Some(format!("{}/api/v3/user", fake.origin)),
        ..entry(SocialProviderType::Github, "gh-client", "gh-secret")
    };
    let prompt = SocialProviderConfig {
        linking: AccountLinking::Prompt,
        ..oidc_entry(&op.issuer)
    };
    let idp = TestIdp::start_with(backend, |config| config.social_providers = vec![prompt, github]).await;
    let carol = idp.user("carol@example.com").await;
    let octocat = NewIdentity {
        provider_id: "team.github",
        subject: "583231",
        email: None,
    };
    assert!(
        idp.state
            .store
            .link_identity(&carol.id, octocat, idp.state.now())
            .await
            .unwrap()
    );

    let browser = idp.browser();
    let mut verifier = String::new();
    let ask = through_provider(&idp, &browser, &mut verifier).await;
    assert!(
        ask.body.contains(r#"action="/social/team.github/start""#),
        "{}",
        ask.body
    );
    let proven = travel(&browser, browser.submit(&ask, "/social/team.github/start", &[]).await).await;
    let claims = id_token(&idp, &proven, &verifier).await;
    assert_eq!(claims["sub"], carol.id.as_str());
    assert_eq!(claims["amr"], json!(["fed"]));
    let linked: Vec<String> = idp
        .state
        .store
        .identities_of_user(&carol.id)
        .await
        .unwrap()
        .into_iter()
        .map(|identity| identity.provider_id)
        .collect();
    assert_eq!(linked, ["team.github", "team.upstream"]);
}

on_both_backends!(
    a_customer_registers_then_signs_in_through_oidc_provider,
    a_customer_registers_then_signs_in_through_the_github_shaped_server,
    a_closed_registration_makes_no_account_through_a_provider,
    a_rotated_upstream_secret_is_used_after_a_reload_without_restart,
    prompt_linking_accepts_a_provider_already_linked_as_proof,
);
