//! The audit log: OAuth events, and failed sign-ins to unknown identifiers (hashed only).

use sha2::{Digest, Sha256};

use crate::flow::{authorize_url, pkce, token_basic, tokens_for};
use crate::support::idp::{PASSWORD, WEB_SECRET};
use crate::support::{Backend, TestIdp};

/// One row of the audit table, as stored.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    event: String,
    user_id: Option<String>,
    client_id: Option<String>,
    ip: Option<String>,
    detail: Option<String>,
}

async fn audit_table(idp: &TestIdp) -> Vec<Row> {
    sqlx::query_as("SELECT event, user_id, client_id, ip, detail FROM audit_log ORDER BY id")
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap()
}

fn find<'a>(rows: &'a [Row], event: &str) -> &'a Row {
    rows.iter()
        .find(|row| row.event == event)
        .unwrap_or_else(|| panic!("no {event} in the audit log: {rows:#?}"))
}

async fn oauth_events_and_unknown_identifiers_reach_the_audit_log(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let user = idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid offline_access").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    let refreshed = token_basic(&idp, "web", WEB_SECRET, &refresh).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let refresh_token = refreshed.json()["refresh_token"].as_str().unwrap().to_owned();
    let wrong_secret = token_basic(&idp, "web", "not the secret", &refresh).await;
    assert_eq!(wrong_secret.status, 401);
    let revoked = reqwest::Client::new()
        .post(idp.url("/revoke"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", refresh_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    // A third-party client the customer refuses.
    let browser = idp.browser();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "partner", "openid", &pkce(), &[]))
                .await,
        )
        .await;
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[("email", "ada@example.com"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    let denied = browser.submit(&consent, "/consent", &[("decision", "deny")]).await;
    let denied = browser.follow(denied).await;
    assert!(
        denied.location().contains("error=access_denied"),
        "{}",
        denied.location()
    );

    // A sign-in to an address that has no account.
    let stranger = idp.browser();
    let login = stranger.get("/login").await;
    let failed = stranger
        .submit(
            &login,
            "/login",
            &[("email", "Nobody@Example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(failed.status, 401);

    let rows = audit_table(&idp).await;
    let mine = |row: &Row, client: &str| {
        row.user_id.as_deref() == Some(user.id.as_str()) && row.client_id.as_deref() == Some(client)
    };
    assert!(mine(find(&rows, "code_exchanged"), "web"));
    assert!(mine(find(&rows, "token_refreshed"), "web"));
    assert!(mine(find(&rows, "token_revoked"), "web"));
    assert!(mine(find(&rows, "consent_denied"), "partner"));
    let client_failure = find(&rows, "client_authentication_failed");
    assert_eq!(client_failure.client_id.as_deref(), Some("web"));
    assert_eq!(client_failure.user_id, None);
    assert!(client_failure.ip.is_some());

    let hashed = hex::encode(Sha256::digest(b"nobody@example.com"));
    let unknown: Vec<&Row> = rows
        .iter()
        .filter(|row| row.event == "login_failed" && row.user_id.is_none())
        .collect();
    assert_eq!(unknown.len(), 1, "{rows:#?}");
    assert!(
        unknown[0]
            .detail
            .as_deref()
            .is_some_and(|detail| detail.contains(&hashed)),
        "{:?}",
        unknown[0].detail
    );
    for row in &rows {
        let text = format!("{row:?}").to_lowercase();
        assert!(!text.contains("nobody"), "an unknown identifier in clear: {row:?}");
    }
}

/// Posts `form` to `path` with `client_id:secret` as Basic credentials.
async fn post_basic(idp: &TestIdp, path: &str, client_id: &str, secret: &str, form: &[(&str, &str)]) -> u16 {
    reqwest::Client::new()
        .post(idp.url(path))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn failed_client_authentication_is_audited_at_introspection_and_revocation(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let token = [("token", "some-token")];
    assert_eq!(
        post_basic(&idp, "/introspect", "web", "not the secret", &token).await,
        401
    );
    assert_eq!(
        post_basic(&idp, "/revoke", "service", "not the secret", &token).await,
        401
    );
    // A public client holds no credential, so it cannot introspect: a failure as well.
    let public = reqwest::Client::new()
        .post(idp.url("/introspect"))
        .form(&[("client_id", "spa"), ("token", "some-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 401);
    let genuine = post_basic(&idp, "/introspect", "web", WEB_SECRET, &token).await;
    assert_eq!(genuine, 200, "an authenticated client leaves no failure behind");

    let rows = audit_table(&idp).await;
    let failures: Vec<&str> = rows
        .iter()
        .filter(|row| row.event == "client_authentication_failed")
        .filter_map(|row| row.client_id.as_deref())
        .collect();
    assert_eq!(failures, ["web", "service", "spa"], "{rows:#?}");
    for row in rows.iter().filter(|row| row.event == "client_authentication_failed") {
        assert_eq!(row.user_id, None);
        assert!(row.ip.is_some());
        let detail = row.detail.as_deref().unwrap_or_default();
        assert!(
            !detail.contains("not the secret"),
            "a presented secret in the log: {detail}"
        );
    }
}

on_both_backends!(
    oauth_events_and_unknown_identifiers_reach_the_audit_log,
    failed_client_authentication_is_audited_at_introspection_and_revocation,
);
