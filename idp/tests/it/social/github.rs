//! The GitHub preset against the GitHub-shaped server, its endpoints overridden as for GitHub
//! Enterprise.

use serde_json::json;
use vestibule_crds::config::SocialProviderConfig;
use vestibule_crds::v1alpha1::SocialProviderType;
use vestibule_idp::social::{Provider, UpstreamError, UpstreamIdentity, finish, start};

use super::fake_github::FakeGithub;
use super::fake_op::now;
use super::{REDIRECT_URI, authorize, entry, provider};

fn github(fake: &FakeGithub) -> Provider {
    let config = SocialProviderConfig {
        authorization_url: Some(format!("{}/login/oauth/authorize", fake.origin)),
        token_url: Some(format!("{}/login/oauth/access_token", fake.origin)),
        userinfo_url: Some(format!("{}/api/v3/user", fake.origin)),
        ..entry(SocialProviderType::Github, "gh-client", "gh-secret")
    };
    provider(&config)
}

async fn sign_in(provider: &Provider) -> Result<UpstreamIdentity, UpstreamError> {
    let redirect = start(provider, REDIRECT_URI).await.unwrap();
    assert!(
        redirect
            .url
            .query_pairs()
            .any(|(n, v)| n == "scope" && v == "read:user user:email")
    );
    let callback = authorize(&redirect).await;
    finish(provider, &callback, &redirect.pending, now()).await
}

#[tokio::test]
async fn github_sign_in_takes_the_primary_verified_email_from_user_emails() {
    let fake = FakeGithub::start().await;
    let identity = sign_in(&github(&fake)).await.unwrap();
    assert_eq!(identity.subject, "583231");
    assert_eq!(identity.email.as_deref(), Some("octo@example.com"));
    assert!(identity.email_verified);
    assert_eq!(identity.name.as_deref(), Some("The Octocat"));
    assert_eq!(
        identity.picture.as_deref(),
        Some("https://avatars.example.com/u/583231")
    );
    assert_eq!(fake.token_accepts(), vec!["application/json".to_owned()]);
}

#[tokio::test]
async fn a_form_encoded_token_answer_is_read() {
    let fake = FakeGithub::start().await;
    fake.answer_form_only();
    let identity = sign_in(&github(&fake)).await.unwrap();
    assert_eq!(identity.subject, "583231");
}

#[tokio::test]
async fn without_a_primary_verified_email_the_email_is_not_verified() {
    let fake = FakeGithub::start().await;
    fake.set_emails(json!([
        {"email": "octo@example.com", "primary": true, "verified": false},
        {"email": "other@example.com", "primary": false, "verified": true},
    ]));
    let identity = sign_in(&github(&fake)).await.unwrap();
    assert!(!identity.email_verified);
    assert_eq!(
        identity.email, None,
        "the unverified primary is not offered as the customer's email"
    );
}

#[tokio::test]
async fn a_bad_code_answered_with_an_error_in_a_200_fails_the_exchange() {
    let fake = FakeGithub::start().await;
    let provider = github(&fake);
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    finish(&provider, &callback, &redirect.pending, now()).await.unwrap();
    // The same callback again: the code is spent.
    let replayed = finish(&provider, &callback, &redirect.pending, now()).await;
    assert!(
        matches!(&replayed, Err(UpstreamError::TokenExchange { reason }) if reason == "bad_verification_code"),
        "{replayed:?}"
    );
}
