//! Many writers at once (a burst of sign-ins, code exchanges and refreshes): each transaction
//! waits its turn; none fails because another one wrote first.

use futures::future::join_all;
use vestibule_idp::random::{hash, token};
use vestibule_idp::store::{CodeRedemption, NewGrant, NewSession, RefreshOutcome};

use crate::support::idp::REDIRECT;
use crate::support::{Backend, TestIdp};

const AT_ONCE: usize = 48;

async fn grants_with_codes(idp: &TestIdp) -> Vec<String> {
    let store = &idp.state.store;
    let user = idp.user("ada@example.com").await;
    let now = idp.state.now();
    let session = store
        .create_session(NewSession {
            token_hash: &hash(&token()),
            user_id: &user.id,
            amr: "pwd",
            now,
            expires_at: now.plus_seconds(3600),
            ip: None,
            user_agent: None,
        })
        .await
        .unwrap();
    let mut codes = Vec::new();
    for _ in 0..AT_ONCE {
        let code = token();
        let grant = NewGrant {
            client_id: "web",
            user_id: &user.id,
            session_id: &session.id,
            scope: "openid offline_access",
            nonce: None,
            auth_time: now,
            amr: "pwd",
            acr: "urn:vestibule:acr:password",
            now,
            expires_at: now.plus_seconds(3600),
        };
        store
            .create_grant_with_code(grant, &hash(&code), REDIRECT, None, now.plus_seconds(60))
            .await
            .unwrap();
        codes.push(code);
    }
    codes
}

async fn concurrent_code_redemptions_and_refreshes_all_succeed(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let now = idp.state.now();
    let codes = grants_with_codes(&idp).await;
    let hashes: Vec<String> = codes.iter().map(|code| hash(code)).collect();
    let redeemed = join_all(hashes.iter().map(|code| store.redeem_code(code, now))).await;
    let mut refresh_tokens = Vec::new();
    for outcome in redeemed {
        let CodeRedemption::Redeemed { grant, .. } = outcome.unwrap() else {
            panic!("a first redemption must succeed")
        };
        let refresh = token();
        store
            .create_refresh_token(&grant.id, &hash(&refresh), now.plus_seconds(3600))
            .await
            .unwrap();
        refresh_tokens.push(refresh);
    }
    let presented: Vec<String> = refresh_tokens.iter().map(|refresh| hash(refresh)).collect();
    let replacements: Vec<String> = refresh_tokens.iter().map(|_| hash(&token())).collect();
    let used = join_all(
        presented
            .iter()
            .zip(&replacements)
            .map(|(refresh, replacement)| store.use_refresh_token(refresh, |_| true, Some(replacement), now)),
    )
    .await;
    for outcome in used {
        assert!(matches!(outcome.unwrap(), RefreshOutcome::Accepted { .. }));
    }
}

on_both_backends!(concurrent_code_redemptions_and_refreshes_all_succeed);
