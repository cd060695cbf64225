//! The periodic purge: every table that grows loses its expired rows, the audit log its lines
//! past retention; live rows stay.

use std::time::Duration;

use vestibule_idp::ids::{SessionId, UnixTime, UserId};
use vestibule_idp::purge::{self, Retention};
use vestibule_idp::store::{AuditEntry, AuditEvent, EmailPurpose, NewGrant, NewSession, NewSignIn, Store};

use crate::support::{Backend, TestIdp};

const DAY: i64 = 86400;

async fn column(store: &Store, query: &str) -> Vec<String> {
    let mut values: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned()))
        .fetch_all(store.pool())
        .await
        .unwrap();
    values.sort();
    values
}

async fn session(store: &Store, user_id: &UserId, token: &str, started: UnixTime, expires_at: UnixTime) -> SessionId {
    let new = NewSession {
        token_hash: token,
        user_id,
        amr: "pwd",
        now: started,
        expires_at,
        ip: None,
        user_agent: None,
    };
    store.create_session(new).await.unwrap().id
}

async fn grant(
    store: &Store,
    user_id: &UserId,
    session_id: &SessionId,
    code: &str,
    (now, expires_at, code_expires_at): (UnixTime, UnixTime, UnixTime),
) -> String {
    let new = NewGrant {
        client_id: "web",
        user_id,
        session_id,
        scope: "openid",
        nonce: None,
        auth_time: now,
        amr: "pwd",
        acr: "urn:vestibule:acr:password",
        now,
        expires_at,
    };
    store
        .create_grant_with_code(new, code, "https://app.example.com/callback", None, code_expires_at)
        .await
        .unwrap()
}

async fn expired_rows_are_purged_and_live_ones_stay(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let now = idp.state.now();
    let ada = idp.user("ada@example.com").await;

    let live_session = session(store, &ada.id, "s-live", now, now.plus_seconds(7 * DAY)).await;
    session(
        store,
        &ada.id,
        "s-expired",
        now.minus_seconds(8 * DAY),
        now.minus_seconds(1),
    )
    .await;
    session(
        store,
        &ada.id,
        "s-idle",
        now.minus_seconds(2 * DAY),
        now.plus_seconds(5 * DAY),
    )
    .await;

    let expired = grant(
        store,
        &ada.id,
        &live_session,
        "c-expired-grant",
        (now.minus_seconds(DAY), now.minus_seconds(1), now.minus_seconds(600)),
    )
    .await;
    let live = grant(
        store,
        &ada.id,
        &live_session,
        "c-expired",
        (now, now.plus_seconds(DAY), now.minus_seconds(1)),
    )
    .await;
    let live_with_code = grant(
        store,
        &ada.id,
        &live_session,
        "c-live",
        (now, now.plus_seconds(DAY), now.plus_seconds(60)),
    )
    .await;
    let revoked_long_ago = grant(
        store,
        &ada.id,
        &live_session,
        "c-revoked-old",
        (now, now.plus_seconds(DAY), now.plus_seconds(60)),
    )
    .await;
    let revoked_now = grant(
        store,
        &ada.id,
        &live_session,
        "c-revoked-new",
        (now, now.plus_seconds(DAY), now.plus_seconds(60)),
    )
    .await;
    store
        .revoke_grant(&revoked_long_ago, now.minus_seconds(2 * DAY))
        .await
        .unwrap();
    store.revoke_grant(&revoked_now, now).await.unwrap();
    store
        .create_refresh_token(&live, "rt-expired", now.minus_seconds(1))
        .await
        .unwrap();
    store
        .create_refresh_token(&live, "rt-live", now.plus_seconds(3600))
        .await
        .unwrap();
    store
        .create_refresh_token(&expired, "rt-of-expired-grant", now.plus_seconds(3600))
        .await
        .unwrap();

    for (id, expires_at) in [("si-expired", now.minus_seconds(1)), ("si-live", now.plus_seconds(600))] {
        let sign_in = NewSignIn {
            id,
            browser_hash: id,
            network: "192.0.2.1",
            user_id: None,
            state: "{}",
            now,
            expires_at,
        };
        assert!(store.create_sign_in(sign_in, 10).await.unwrap());
    }
    store
        .create_email_token(&ada.id, EmailPurpose::Verify, "et-expired", now.minus_seconds(1))
        .await
        .unwrap();
    store
        .create_email_token(&ada.id, EmailPurpose::Reset, "et-live", now.plus_seconds(3600))
        .await
        .unwrap();
    store
        .revoke_access_token("jti-expired", now.minus_seconds(1))
        .await
        .unwrap();
    store
        .revoke_access_token("jti-live", now.plus_seconds(60))
        .await
        .unwrap();
    for (at, detail) in [(now.minus_seconds(91 * DAY), "old"), (now.minus_seconds(DAY), "recent")] {
        let entry = AuditEntry {
            at,
            event: String::new(),
            user_id: Some(ada.id.clone()),
            client_id: None,
            ip: None,
            user_agent: None,
            detail: Some(detail.into()),
        };
        store.audit(AuditEvent::LoginFailed, &entry).await.unwrap();
    }

    // Authenticator apps: one confirmed long ago, one set up and abandoned, one being set up.
    let bob = idp.user("bob@example.com").await;
    let cy = idp.user("cy@example.com").await;
    store
        .begin_totp(&ada.id, "sealed-a", now.minus_seconds(DAY))
        .await
        .unwrap();
    assert!(
        store
            .accept_totp_step(&ada.id, 1, now.minus_seconds(DAY))
            .await
            .unwrap()
    );
    store
        .begin_totp(&bob.id, "sealed-b", now.minus_seconds(7200))
        .await
        .unwrap();
    store
        .begin_totp(&cy.id, "sealed-c", now.minus_seconds(600))
        .await
        .unwrap();
    // Devices and networks: one not seen for over 400 days is forgotten, a recent one stays.
    store
        .remember_sign_in_from(&ada.id, "device-old", "network-old", now.minus_seconds(401 * DAY))
        .await
        .unwrap();
    store
        .remember_sign_in_from(&ada.id, "device-new", "network-new", now.minus_seconds(DAY))
        .await
        .unwrap();
    // Email-code send windows: one that ended goes, the current one stays.
    for (user, start) in [(&bob.id, now.minus_seconds(7200)), (&cy.id, now.minus_seconds(600))] {
        sqlx::query("INSERT INTO email_code_sends (user_id, window_start, sent) VALUES ($1, $2, 1)")
            .bind(user)
            .bind(start)
            .execute(store.pool())
            .await
            .unwrap();
    }

    // Trusted devices: one whose trust ended, one still trusted.
    store
        .trust_device(
            &ada.id,
            "td-expired",
            "old",
            now.minus_seconds(2 * DAY),
            now.minus_seconds(1),
        )
        .await
        .unwrap();
    store
        .trust_device(&ada.id, "td-live", "new", now, now.plus_seconds(DAY))
        .await
        .unwrap();

    let retention = Retention {
        audit: Duration::from_secs(90 * 86400),
    };
    let purged = purge::once(store, &idp.state.tenant, idp.clock.as_ref(), retention)
        .await
        .unwrap();
    assert!(purged.total() >= 12, "{purged:?}");

    assert_eq!(column(store, "SELECT token_hash FROM sessions").await, ["s-live"]);
    let mut grants = vec![live, live_with_code, revoked_now];
    grants.sort();
    assert_eq!(column(store, "SELECT id FROM grants").await, grants);
    assert_eq!(
        column(store, "SELECT code_hash FROM authorization_codes").await,
        ["c-live", "c-revoked-new"]
    );
    assert_eq!(
        column(store, "SELECT token_hash FROM refresh_tokens").await,
        ["rt-live"]
    );
    assert_eq!(column(store, "SELECT id FROM sign_ins").await, ["si-live"]);
    assert_eq!(column(store, "SELECT token_hash FROM email_tokens").await, ["et-live"]);
    assert_eq!(
        column(store, "SELECT jti FROM revoked_access_tokens").await,
        ["jti-live"]
    );
    assert_eq!(column(store, "SELECT detail FROM audit_log").await, ["recent"]);
    assert_eq!(
        column(store, "SELECT token_hash FROM trusted_devices").await,
        ["td-live"]
    );
    assert_eq!(
        column(store, "SELECT secret_sealed FROM totp_factors ORDER BY secret_sealed").await,
        ["sealed-a", "sealed-c"],
        "an abandoned set-up goes, a confirmed one and one in progress stay"
    );
    assert_eq!(
        column(store, "SELECT device_hash FROM known_devices").await,
        ["device-new"]
    );
    assert_eq!(
        column(store, "SELECT network_hash FROM known_networks").await,
        ["network-new"]
    );
    assert_eq!(
        column(store, "SELECT user_id FROM email_code_sends").await,
        [cy.id.as_str().to_owned()]
    );

    let again = purge::once(store, &idp.state.tenant, idp.clock.as_ref(), retention)
        .await
        .unwrap();
    assert_eq!(again.total(), 0, "idempotent: {again:?}");
    // Time moves on: what was live expires too.
    idp.clock.advance(2 * DAY);
    purge::once(store, &idp.state.tenant, idp.clock.as_ref(), retention)
        .await
        .unwrap();
    assert!(column(store, "SELECT id FROM grants").await.is_empty());
    assert!(column(store, "SELECT token_hash FROM sessions").await.is_empty());
    assert_eq!(
        column(store, "SELECT secret_sealed FROM totp_factors").await,
        ["sealed-a"],
        "a confirmed factor never expires"
    );
}

on_both_backends!(expired_rows_are_purged_and_live_ones_stay);
