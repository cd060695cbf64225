//! What the privacy tests share: a customer with a row in every table that can hold one, and a
//! walk over every column of every table of the schema looking for their values.

use sqlx::AssertSqlSafe;
use vestibule_idp::store::{
    AuditEntry, AuditEvent, Backend as StoreBackend, Ceremony, ConsentRecord, ConsentSource, ConsentState,
    EmailPurpose, NewChallenge, NewEmailCode, NewGrant, NewIdentity, NewSession, NewSignIn, ProfileUpdate, Store,
    StoredPasskey, User,
};

use crate::support::TestIdp;

/// Profile values distinctive enough that any copy of them in the database is theirs.
pub struct Person {
    pub email: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub nickname: &'static str,
    pub phone_number: &'static str,
}

pub const ADA: Person = Person {
    email: "ada.quillfeather@example.com",
    given_name: "Augustazyx",
    family_name: "Quillfeather",
    nickname: "Adaqwv",
    phone_number: "+4915198765432",
};

pub const BOB: Person = Person {
    email: "bob.marrowfield@example.com",
    given_name: "Roberjkq",
    family_name: "Marrowfield",
    nickname: "Bobzpt",
    phone_number: "+4915112340000",
};

impl Person {
    /// The values whose every copy an erasure removes, besides the account id.
    pub fn values(&self) -> [&'static str; 5] {
        [
            self.email,
            self.given_name,
            self.family_name,
            self.nickname,
            self.phone_number,
        ]
    }
}

/// The verified account of `person`, with their profile.
pub async fn account(idp: &TestIdp, person: &Person) -> User {
    let user = idp.user(person.email).await;
    let profile = ProfileUpdate {
        given_name: Some(person.given_name.into()),
        family_name: Some(person.family_name.into()),
        nickname: Some(person.nickname.into()),
        phone_number: Some(person.phone_number.into()),
        birthdate: Some("1815-12-10".into()),
    };
    idp.state
        .store
        .update_profile(&user.id, &profile, idp.state.now())
        .await
        .unwrap();
    idp.state.store.user_by_id(&user.id).await.unwrap().unwrap()
}

/// Gives `user` a row in every table that can hold one: factors, devices, tokens, codes,
/// sign-ins, grants, consents, counters keyed by the address, audit lines.
pub async fn fill(idp: &TestIdp, user: &User, tag: &str) {
    let store = &idp.state.store;
    let now = idp.state.now();
    let later = now.plus_seconds(3600);
    let id = &user.id;
    let subject = format!("google-{tag}");
    let identity = NewIdentity {
        provider_id: "default.google",
        subject: &subject,
        email: Some(user.email.as_str()),
    };
    assert!(store.link_identity(id, identity, now).await.unwrap());
    assert!(
        store
            .begin_totp(id, &format!("sealed-totp-secret-{tag}"), now)
            .await
            .unwrap()
    );
    let passkey = StoredPasskey {
        id: format!("pk-{tag}"),
        user_id: id.clone(),
        credential_id: format!("credential-{tag}"),
        name: format!("Laptop of {}", user.email),
        passkey: format!("{{\"private-material-{tag}\": true}}"),
        sign_count: 3,
        backup_eligible: true,
        backup_state: false,
        created_at: now,
        last_used_at: Some(now),
    };
    assert!(store.add_passkey(&passkey).await.unwrap());
    let ceremony = Ceremony {
        purpose: "register".into(),
        binding: format!("binding-{tag}"),
        user_id: Some(id.clone()),
        name: Some(format!("Phone of {}", user.email)),
        state: "{}".into(),
        expires_at: later,
    };
    store
        .put_ceremony(&format!("ceremony-{tag}"), &ceremony, now)
        .await
        .unwrap();
    store
        .replace_recovery_codes(id, &[format!("recovery-hash-{tag}")], now)
        .await
        .unwrap();
    store.enable_email_otp(id, now).await.unwrap();
    store.count_email_code_send(id, now, later).await.unwrap();
    store
        .trust_device(id, &format!("trusted-{tag}"), "Firefox on Linux", now, later)
        .await
        .unwrap();
    store
        .remember_sign_in_from(id, &format!("device-{tag}"), &format!("network-{tag}"), now)
        .await
        .unwrap();
    store
        .create_email_token(id, EmailPurpose::Reset, &format!("email-token-{tag}"), later)
        .await
        .unwrap();
    let session = store
        .create_session(NewSession {
            token_hash: &format!("session-{tag}"),
            user_id: id,
            amr: "pwd",
            now,
            expires_at: later,
            ip: Some("203.0.113.9"),
            user_agent: Some("Firefox"),
        })
        .await
        .unwrap();
    store
        .issue_email_code(NewEmailCode {
            id: &format!("email-code-{tag}"),
            user_id: id,
            session_id: &session.id,
            code_hash: &format!("code-hash-{tag}"),
            now,
            expires_at: later,
        })
        .await
        .unwrap();
    let grant = NewGrant {
        client_id: "partner",
        user_id: id,
        session_id: &session.id,
        scope: "openid email",
        nonce: None,
        auth_time: now,
        amr: "pwd",
        acr: "urn:vestibule:acr:password",
        now,
        expires_at: later,
    };
    let grant_id = store
        .create_grant_with_code(
            grant,
            &format!("code-{tag}"),
            crate::support::idp::REDIRECT,
            None,
            later,
        )
        .await
        .unwrap();
    store
        .create_refresh_token(&grant_id, &format!("refresh-{tag}"), later)
        .await
        .unwrap();
    store
        .record_scope_consent(id, "partner", "openid email", now)
        .await
        .unwrap();
    let answer = ConsentRecord {
        user_id: id.clone(),
        subject: "newsletter".into(),
        state: ConsentState::Granted,
        policy_version: "v1".into(),
        legal_basis: "consent".into(),
        source: ConsentSource::Registration,
        gpc: false,
        at: now,
        ip: Some("203.0.113.9".into()),
        user_agent: Some(format!("agent-{tag}")),
    };
    store.append_consent_records(&[answer]).await.unwrap();
    let state = format!("{{\"email\":\"{}\"}}", user.email);
    let (sign_in_id, browser_hash) = (format!("sign-in-{tag}"), format!("browser-{tag}"));
    let sign_in = NewSignIn {
        id: &sign_in_id,
        browser_hash: &browser_hash,
        network: "203.0.113.9",
        user_id: Some(id),
        state: &state,
        now,
        expires_at: later,
    };
    assert!(store.create_sign_in(sign_in, 100).await.unwrap());
    let challenge_hash = format!("challenge-{tag}");
    let challenge = NewChallenge {
        challenge_hash: &challenge_hash,
        limit_key: "203.0.113.9",
        transaction_id: &sign_in_id,
        difficulty: 8,
        expires_at: later,
    };
    store.insert_challenge(challenge, 10).await.unwrap();
    let account_hash = vestibule_idp::random::hash(&user.email);
    store
        .count_address_failure("203.0.113.9", &account_hash, now, now.minus_seconds(60))
        .await
        .unwrap();
    store
        .count_rate_limited("login", &format!("account:{account_hash}"), now)
        .await
        .unwrap();
    let entry = AuditEntry {
        at: now,
        event: AuditEvent::ProfileUpdated.as_str().into(),
        user_id: Some(id.clone()),
        client_id: None,
        ip: Some("203.0.113.9".into()),
        user_agent: Some("Firefox".into()),
        detail: Some(format!("for {}", user.email)),
    };
    store.audit(AuditEvent::ProfileUpdated, &entry).await.unwrap();
}

/// Every text-like column of every table of the schema, as `(table, column)`: read from the
/// catalogue, so a table added later is walked too.
pub async fn columns(store: &Store) -> Vec<(String, String)> {
    match store.backend() {
        StoreBackend::Sqlite => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    .fetch_all(store.pool())
                    .await
                    .unwrap();
            let mut columns = Vec::new();
            for table in tables {
                let names: Vec<String> =
                    sqlx::query_scalar(AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}')")))
                        .fetch_all(store.pool())
                        .await
                        .unwrap();
                columns.extend(names.into_iter().map(|name| (table.clone(), name)));
            }
            columns
        }
        StoreBackend::Postgres => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema()",
        )
        .fetch_all(store.pool())
        .await
        .unwrap(),
    }
}

/// `(table, column, rows)` for every column holding `value` anywhere in its text, in any table.
pub async fn holding(store: &Store, value: &str) -> Vec<(String, String, i64)> {
    let mut found = Vec::new();
    for (table, column) in columns(store).await {
        let condition = match store.backend() {
            StoreBackend::Sqlite => format!("instr(CAST(\"{column}\" AS TEXT), $1) > 0"),
            StoreBackend::Postgres => format!("strpos(CAST(\"{column}\" AS TEXT), $1) > 0"),
        };
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM \"{table}\" WHERE {condition}"
        )))
        .bind(value)
        .fetch_one(store.pool())
        .await
        .unwrap();
        if rows > 0 {
            found.push((table, column, rows));
        }
    }
    found
}

/// How many rows of each table refer to `user` (its id, address or profile values): a
/// snapshot to compare before and after a failed erasure.
pub async fn footprint(store: &Store, user: &User, person: &Person) -> Vec<(String, String, i64)> {
    let mut all = holding(store, user.id.as_str()).await;
    for value in person.values() {
        all.extend(holding(store, value).await);
    }
    all.sort();
    all
}

/// Seconds in a day.
pub const DAY: i64 = 86_400;
