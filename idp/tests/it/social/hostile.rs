//! Hostile and broken upstream answers: each is refused with a reason, and no identity results.

use std::time::Duration;

use serde_json::json;
use vestibule_idp::social::{Callback, Provider, ProviderOptions, UpstreamError, UpstreamIdentity, finish, start};

use super::fake_op::{FakeOp, Forge, Mode, Options, now};
use super::{REDIRECT_URI, authorize, oidc_entry, provider, provider_with};

fn claims(value: serde_json::Value) -> Mode {
    Mode {
        id_token: value.as_object().unwrap().clone(),
        ..Mode::default()
    }
}

/// A complete sign-in against a provider misbehaving as `mode`.
async fn sign_in_with(mode: Mode) -> Result<UpstreamIdentity, UpstreamError> {
    let op = FakeOp::start(Options::default()).await;
    let provider = provider(&oidc_entry(&op.issuer));
    op.set_mode(mode);
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    finish(&provider, &callback, &redirect.pending, now()).await
}

fn assert_invalid_id_token(result: Result<UpstreamIdentity, UpstreamError>, why: &str) {
    match result {
        Err(UpstreamError::InvalidIdToken { reason }) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected an invalid ID token ({why}), got {other:?}"),
    }
}

#[tokio::test]
async fn a_correct_provider_passes_the_same_checks() {
    // The control for the cases below: the same flow without misbehaviour succeeds.
    assert!(sign_in_with(Mode::default()).await.is_ok());
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    assert_invalid_id_token(
        sign_in_with(claims(json!({"iss": "https://evil.example"}))).await,
        "issuer",
    );
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused() {
    assert_invalid_id_token(sign_in_with(claims(json!({"aud": "another-client"}))).await, "audience");
    let shared = json!({"aud": ["vestibule-rp", "another-client"]});
    assert_invalid_id_token(sign_in_with(claims(shared)).await, "azp");
    let other_party = json!({"aud": ["vestibule-rp", "another-client"], "azp": "another-client"});
    assert_invalid_id_token(sign_in_with(claims(other_party)).await, "azp");
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    let now = now();
    let expired = json!({"exp": now.minus_seconds(600), "iat": now.minus_seconds(900)});
    assert_invalid_id_token(sign_in_with(claims(expired)).await, "expired");
}

#[tokio::test]
async fn a_nonce_from_another_sign_in_is_refused() {
    let foreign = json!({"nonce": vestibule_idp::random::token()});
    assert_invalid_id_token(sign_in_with(claims(foreign)).await, "nonce");
    assert_invalid_id_token(sign_in_with(claims(json!({"nonce": null}))).await, "nonce");
}

#[tokio::test]
async fn an_unsigned_id_token_is_refused_even_when_the_provider_announces_none() {
    let mode = Mode {
        forge: Some(Forge::AlgNone),
        ..Mode::default()
    };
    assert_invalid_id_token(sign_in_with(mode).await, "algorithm none");
}

#[tokio::test]
async fn an_hmac_token_keyed_with_the_public_key_is_refused() {
    let mode = Mode {
        forge: Some(Forge::HmacWithPublicKey),
        ..Mode::default()
    };
    assert_invalid_id_token(sign_in_with(mode).await, "algorithm HS256");
}

#[tokio::test]
async fn a_token_signed_by_an_unpublished_key_is_refused() {
    let mode = Mode {
        forge: Some(Forge::UnpublishedKey),
        ..Mode::default()
    };
    assert_invalid_id_token(sign_in_with(mode).await, "no signing key");
}

async fn started(op: &FakeOp) -> Provider {
    provider(&oidc_entry(&op.issuer))
}

#[tokio::test]
async fn a_state_of_another_sign_in_or_none_is_refused() {
    let op = FakeOp::start(Options::default()).await;
    let provider = started(&op).await;
    let mine = start(&provider, REDIRECT_URI).await.unwrap();
    let theirs = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&theirs).await;
    let crossed = finish(&provider, &callback, &mine.pending, now()).await;
    assert!(matches!(crossed, Err(UpstreamError::StateMismatch)), "{crossed:?}");
    let stateless = Callback {
        state: None,
        ..callback.clone()
    };
    let refused = finish(&provider, &stateless, &theirs.pending, now()).await;
    assert!(matches!(refused, Err(UpstreamError::StateMismatch)), "{refused:?}");
    // The error answer of a foreign state is not believed either.
    let forged_error = Callback {
        error: Some("access_denied".into()),
        ..callback
    };
    let refused = finish(&provider, &forged_error, &mine.pending, now()).await;
    assert!(matches!(refused, Err(UpstreamError::StateMismatch)), "{refused:?}");
}

#[tokio::test]
async fn a_replayed_callback_and_a_code_injected_into_another_sign_in_are_refused() {
    let op = FakeOp::start(Options::default()).await;
    let provider = started(&op).await;
    let first = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&first).await;
    finish(&provider, &callback, &first.pending, now()).await.unwrap();
    let replayed = finish(&provider, &callback, &first.pending, now()).await;
    assert!(
        matches!(replayed, Err(UpstreamError::TokenExchange { .. })),
        "{replayed:?}"
    );

    // An attacker's code pasted into the victim's callback (state forged to match): PKCE fails.
    let attacker = start(&provider, REDIRECT_URI).await.unwrap();
    let victim = start(&provider, REDIRECT_URI).await.unwrap();
    let injected = Callback {
        state: Some(victim.pending.state.clone()),
        ..authorize(&attacker).await
    };
    let refused = finish(&provider, &injected, &victim.pending, now()).await;
    assert!(
        matches!(refused, Err(UpstreamError::TokenExchange { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn access_denied_is_reported_as_such() {
    let op = FakeOp::start(Options::default()).await;
    let provider = started(&op).await;
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let denied = Callback {
        state: Some(redirect.pending.state.clone()),
        error: Some("access_denied".into()),
        error_description: Some("The user cancelled".into()),
        ..Callback::default()
    };
    let refused = finish(&provider, &denied, &redirect.pending, now()).await;
    assert!(
        matches!(&refused, Err(UpstreamError::AccessDenied { .. })),
        "{refused:?}"
    );
    assert_eq!(refused.err().map(|error| error.reason()), Some("access_denied"));
}

#[tokio::test]
async fn a_stalled_token_endpoint_times_out() {
    let op = FakeOp::start(Options::default()).await;
    let provider = provider_with(
        &oidc_entry(&op.issuer),
        ProviderOptions::default(),
        Duration::from_millis(500),
    );
    let redirect = start(&provider, REDIRECT_URI).await.unwrap();
    let callback = authorize(&redirect).await;
    op.set_mode(Mode {
        stall_token: true,
        ..Mode::default()
    });
    let result = finish(&provider, &callback, &redirect.pending, now()).await;
    assert!(
        matches!(
            result,
            Err(UpstreamError::Timeout {
                operation: "token exchange"
            })
        ),
        "{result:?}"
    );
}
