//! The OpenID Connect flow against the scriptable provider: the happy path and the quirks.

use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::json;
use vestibule_crds::v1alpha1::SocialProviderType;
use vestibule_idp::social::{
    AppleSigning, Provider, ProviderError, ProviderOptions, UpstreamError, UpstreamHttp, finish, start,
};

use super::fake_op::{FakeOp, Forge, Mode, Options, now};
use super::{REDIRECT_URI, authorize, entry, oidc_entry, provider, provider_with};

fn map(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test]
async fn a_code_flow_with_pkce_and_nonce_yields_the_upstream_identity() {
    let op = FakeOp::start(Options::default()).await;
    let provider = provider(&oidc_entry(&op.issuer));
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let query: Vec<(String, String)> = redirect.url.query_pairs().into_owned().collect();
    let has = |name: &str, value: &str| query.iter().any(|(n, v)| n == name && v == value);
    assert!(has("code_challenge_method", "S256") && has("nonce", &redirect.pending.nonce));
    assert!(has("scope", "openid email profile") && has("state", &redirect.pending.state));
    let callback = authorize(&redirect).await;
    let identity = finish(&provider, &callback, &redirect.pending, now()).await.unwrap();
    assert_eq!(identity.provider_id, "team.upstream");
    assert_eq!(identity.subject, "upstream-user-1");
    assert_eq!(identity.email.as_deref(), Some("carol@example.com"));
    assert!(identity.email_verified);
    assert_eq!(identity.name.as_deref(), Some("Carol Example"));
}

#[tokio::test]
async fn claims_missing_from_the_id_token_come_from_userinfo_about_the_same_subject() {
    let op = FakeOp::start(Options::default()).await;
    let provider = provider(&oidc_entry(&op.issuer));
    op.set_mode(Mode {
        id_token: map(json!({"email": null, "email_verified": null, "name": null})),
        userinfo: map(json!({"email": "dave@example.com", "email_verified": true, "given_name": "Dave"})),
        ..Mode::default()
    });
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    let identity = finish(&provider, &callback, &redirect.pending, now()).await.unwrap();
    assert_eq!(identity.email.as_deref(), Some("dave@example.com"));
    assert_eq!(identity.given_name.as_deref(), Some("Dave"));

    op.set_mode(Mode {
        id_token: map(json!({"email": null})),
        userinfo: map(json!({"sub": "someone-else", "email": "mallory@example.com"})),
        ..Mode::default()
    });
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    let refused = finish(&provider, &callback, &redirect.pending, now()).await;
    assert!(
        matches!(
            refused,
            Err(UpstreamError::Malformed {
                operation: "userinfo",
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_unknown_keys_do_not_flood_the_provider() {
    let op = FakeOp::start(Options::default()).await;
    let provider = provider(&oidc_entry(&op.issuer));
    let sign_in = || async {
        let redirect = start(&provider, REDIRECT_URI).await.unwrap();
        let callback = authorize(&redirect).await;
        finish(&provider, &callback, &redirect.pending, now()).await
    };
    sign_in().await.unwrap();
    assert_eq!(op.jwks_fetches(), 1);
    op.rotate_key();
    sign_in().await.unwrap();
    assert_eq!(op.jwks_fetches(), 2, "the new kid is fetched");
    sign_in().await.unwrap();
    assert_eq!(op.jwks_fetches(), 2, "known keys come from the cache");

    op.set_mode(Mode {
        forge: Some(Forge::UnpublishedKey),
        ..Mode::default()
    });
    for _ in 0..3 {
        let refused = sign_in().await;
        assert!(
            matches!(refused, Err(UpstreamError::InvalidIdToken { .. })),
            "{refused:?}"
        );
    }
    assert_eq!(op.jwks_fetches(), 2, "unknown kids within the interval refetch nothing");
}

#[tokio::test]
async fn microsoft_checks_the_issuer_template_against_the_token_tid() {
    let op = FakeOp::start(Options {
        tenant_template: true,
        ..Options::default()
    })
    .await;
    let origin = op.issuer.trim_end_matches("/common/v2.0").to_owned();
    let config = vestibule_crds::config::SocialProviderConfig {
        issuer: Some(op.issuer.clone()),
        ..entry(SocialProviderType::Microsoft, "vestibule-rp", "upstream-secret")
    };
    let provider = provider(&config);
    let sign_in = |tid: &str, iss: String| {
        op.set_mode(Mode {
            id_token: map(json!({"tid": tid, "iss": iss})),
            ..Mode::default()
        });
        async {
            let redirect = start(&provider, REDIRECT_URI).await.unwrap();
            let callback = authorize(&redirect).await;
            finish(&provider, &callback, &redirect.pending, now()).await
        }
    };
    let identity = sign_in("tid-1", format!("{origin}/tid-1/v2.0")).await.unwrap();
    assert!(
        !identity.email_verified,
        "Microsoft's email claim is never taken as verified"
    );
    let refused = sign_in("tid-1", format!("{origin}/tid-2/v2.0")).await;
    assert!(
        matches!(refused, Err(UpstreamError::InvalidIdToken { .. })),
        "{refused:?}"
    );
}

/// A P-256 key made for this test (`openssl ecparam -name prime256v1 -genkey`, PKCS#8), as
/// Apple hands out `.p8` files; and its public point.
const APPLE_P8: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwdMGwDNaK2LGIunG
PCw6z7RcOPtDNRYXKFp5UuR9Pq6hRANCAASoFy+F7gHVpL07XGw3CR4b0nkzkAIy
VBP9qh3PPiJxmA9wjPUg7QYkHkG7mIxI/Kg73Au2/ppScChMsvg+/H3p
-----END PRIVATE KEY-----";
const APPLE_PUBLIC_X: &str = "qBcvhe4B1aS9O1xsNwkeG9J5M5ACMlQT_aodzz4icZg";
const APPLE_PUBLIC_Y: &str = "D3CM9SDtBiQeQbuYjEj8qDvcC7b-mlJwKEyy-D78fek";

#[tokio::test]
async fn apple_signs_its_client_secret_posts_the_form_and_names_the_customer_once() {
    let op = FakeOp::start(Options {
        client_id: "com.example.signin",
        apple_key: Some(DecodingKey::from_ec_components(APPLE_PUBLIC_X, APPLE_PUBLIC_Y).unwrap()),
        ..Options::default()
    })
    .await;
    let config = vestibule_crds::config::SocialProviderConfig {
        issuer: Some(op.issuer.clone()),
        ..entry(SocialProviderType::Apple, "com.example.signin", APPLE_P8)
    };
    let options = ProviderOptions {
        apple: Some(AppleSigning {
            team_id: "APPLETEAM1".into(),
            key_id: "KEYID12345".into(),
        }),
    };
    let provider = provider_with(&config, options, Duration::from_secs(5));
    assert!(provider.form_post());
    op.set_mode(Mode {
        id_token: map(json!({"email_verified": "true", "name": null})),
        ..Mode::default()
    });
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    assert!(
        redirect
            .url
            .query_pairs()
            .any(|(n, v)| n == "response_mode" && v == "form_post")
    );
    let mut callback = authorize(&redirect).await;
    callback.user = Some(r#"{"name":{"firstName":"Erin","lastName":"Apple"},"email":"forged@evil.example"}"#.into());
    let identity = finish(&provider, &callback, &redirect.pending, now()).await.unwrap();
    assert_eq!(identity.name.as_deref(), Some("Erin Apple"));
    assert_eq!(
        identity.email.as_deref(),
        Some("carol@example.com"),
        "the email comes from the signed token"
    );
    assert!(identity.email_verified);

    let without_ids = Provider::new(
        &config,
        UpstreamHttp::new(Duration::from_secs(5)).unwrap(),
        ProviderOptions::default(),
    );
    assert!(matches!(without_ids, Err(ProviderError::AppleKey { .. })));
}

#[tokio::test]
async fn upstream_urls_must_be_https_except_on_loopback() {
    let http = UpstreamHttp::new(Duration::from_secs(5)).unwrap();
    let plain = Provider::new(
        &oidc_entry("http://idp.example.com"),
        http.clone(),
        ProviderOptions::default(),
    );
    assert!(
        matches!(plain, Err(ProviderError::InvalidUrl { field: "issuer", .. })),
        "{plain:?}"
    );
    let mut github = entry(SocialProviderType::Github, "id", "secret");
    github.token_url = Some("http://ghe.example.com/login/oauth/access_token".into());
    let refused = Provider::new(&github, http.clone(), ProviderOptions::default());
    assert!(
        matches!(refused, Err(ProviderError::InvalidUrl { field: "tokenUrl", .. })),
        "{refused:?}"
    );
    let google = Provider::new(
        &entry(SocialProviderType::Google, "id", "secret"),
        http,
        ProviderOptions::default(),
    );
    assert!(google.is_ok());
}
