//! "Delete account": one transaction erases the account and everything linked to it, sessions
//! and tokens end at once, a pseudonymous tombstone stays in the audit log, and on SQLite not
//! a byte of the customer is left in the database files.

use vestibule_idp::privacy::erasure;
use vestibule_idp::store::{Backend as StoreBackend, ErasureReason, Store};

use super::export::signed_in;
use crate::flow::{token_basic, tokens_for};
use crate::privacy::rows::{ADA, BOB, Person, account, fill, footprint, holding};
use crate::support::idp::WEB_SECRET;
use crate::support::{Backend, TestIdp};
use crate::token::bearer_get;

/// Erases through the account page of a browser signed in as `person`.
async fn delete_on_the_account_page(idp: &TestIdp, browser: &crate::support::Browser, person: &Person) {
    let page = browser.get("/account/delete").await;
    assert_eq!(page.status, 200);
    let done = browser
        .submit(&page, "/account/delete", &[("confirm_email", person.email)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Your account is gone"), "{}", done.body);
    let cleared = done
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|cookie| cookie.contains(&idp.tenant().cookies.session) && cookie.contains("Max-Age=0"));
    assert!(cleared, "the session cookie is cleared: {:?}", done.headers);
}

async fn erasure_leaves_no_row_about_the_customer_in_any_table(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let ada = account(&idp, &ADA).await;
    let bob = account(&idp, &BOB).await;
    let tokens = tokens_for(&idp, ADA.email, "openid email offline_access").await;
    let laptop = signed_in(&idp, ADA.email).await;
    let phone = signed_in(&idp, ADA.email).await;
    fill(&idp, &ada, "ada").await;
    fill(&idp, &bob, "bob").await;
    let bob_before = footprint(store, &bob, &BOB).await;
    assert!(
        !holding(store, ADA.email).await.is_empty(),
        "the walk finds the address before"
    );

    delete_on_the_account_page(&idp, &laptop, &ADA).await;

    for value in std::iter::once(ada.id.as_str()).chain(ADA.values()) {
        let left = holding(store, value).await;
        assert!(left.is_empty(), "{value} is left in {left:?}");
    }
    assert_eq!(
        footprint(store, &bob, &BOB).await,
        bob_before,
        "another customer keeps every row"
    );
    let tombstone: Vec<(Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT user_id, ip, detail FROM audit_log WHERE event = 'account_erased'")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(
        tombstone,
        vec![(
            Some(vestibule_idp::random::hash(ada.id.as_str())),
            None,
            Some("reason=request".into())
        )]
    );
    assert_eq!(phone.get("/account").await.status, 303, "every session ended");
    assert_eq!(laptop.get("/account").await.status, 303);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let refreshed = token_basic(&idp, "web", WEB_SECRET, &refresh).await;
    assert_eq!(refreshed.json()["error"], "invalid_grant", "{}", refreshed.body);
    let userinfo = bearer_get(&idp, "/userinfo", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(userinfo.status, 401, "the access token died with its grant");
    let confirmation = idp.smtp.wait_for_subject(ADA.email, "Your account was erased").await;
    assert!(confirmation.text.contains("not kept"), "{}", confirmation.text);
    assert!(
        idp.state
            .metrics
            .render()
            .contains(r#"vestibule_idp_erased_accounts_total{reason="request"} 1"#)
    );
    if backend == Backend::Postgres {
        vacuumed_after_the_erasure(&idp).await;
    }
}

/// On PostgreSQL the retention job vacuums the tables the erasure deleted from, once.
async fn vacuumed_after_the_erasure(idp: &TestIdp) {
    let run = vestibule_idp::privacy::retention::once(&idp.state, "test", 600)
        .await
        .unwrap()
        .unwrap();
    assert!(
        run.vacuumed.contains(&"users") && run.vacuumed.contains(&"audit_log"),
        "{run:?}"
    );
    let due: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vacuum_due")
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    assert_eq!(due, 0);
}

/// The database file and its write-ahead log, as bytes.
fn sqlite_files(database: &str) -> Vec<(String, Vec<u8>)> {
    let path = database
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    [path.clone(), format!("{path}-wal")]
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).unwrap_or_default();
            (file, bytes)
        })
        .collect()
}

fn files_holding(database: &str, value: &str) -> Vec<String> {
    sqlite_files(database)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(value.len()).any(|window| window == value.as_bytes()))
        .map(|(file, _)| file)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_keep_no_byte_of_an_erased_customer() {
    let idp = TestIdp::start(Backend::Sqlite).await;
    let ada = account(&idp, &ADA).await;
    let bob = account(&idp, &BOB).await;
    let browser = signed_in(&idp, ADA.email).await;
    fill(&idp, &ada, "ada").await;
    fill(&idp, &bob, "bob").await;
    assert!(
        !files_holding(&idp.database, ADA.email).is_empty(),
        "the files held the address before"
    );

    delete_on_the_account_page(&idp, &browser, &ADA).await;

    for value in std::iter::once(ada.id.as_str()).chain(ADA.values()) {
        let files = files_holding(&idp.database, value);
        assert!(files.is_empty(), "{value} is left in {files:?}");
    }
    assert!(
        !files_holding(&idp.database, BOB.email).is_empty(),
        "another customer stays"
    );
}

async fn a_failing_erasure_leaves_the_account_whole(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let ada = account(&idp, &ADA).await;
    fill(&idp, &ada, "ada").await;
    let before = footprint(store, &ada, &ADA).await;
    refuse_deletes_of_sessions(store).await;
    let failed = erasure::erase(&idp.state, &ada.id, ErasureReason::Request, None).await;
    assert!(failed.is_err(), "the last delete failed, so the erasure did");
    assert_eq!(
        footprint(store, &ada, &ADA).await,
        before,
        "nothing of the account went"
    );
    let tombstones: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE event = 'account_erased'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(tombstones, 0);
}

/// A trigger that makes every delete of a session fail: the erasure's transaction fails near
/// its end, after most of its deletes.
pub async fn refuse_deletes_of_sessions(store: &Store) {
    let statement = match store.backend() {
        StoreBackend::Sqlite => {
            "CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        }
        StoreBackend::Postgres => {
            "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
             CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions \
             FOR EACH ROW EXECUTE FUNCTION refuse_delete();"
        }
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(store.pool())
        .await
        .unwrap();
}

/// Lifts [`refuse_deletes_of_sessions`].
pub async fn allow_deletes_of_sessions(store: &Store) {
    let statement = match store.backend() {
        StoreBackend::Sqlite => "DROP TRIGGER refuse_session_delete",
        StoreBackend::Postgres => "DROP TRIGGER refuse_session_delete ON sessions",
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(store.pool())
        .await
        .unwrap();
}

on_both_backends!(
    erasure_leaves_no_row_about_the_customer_in_any_table,
    a_failing_erasure_leaves_the_account_whole,
);
