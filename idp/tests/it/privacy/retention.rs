//! The retention job with a controlled clock: unused accounts are warned once, then erased
//! unless used again; audit lines past the tenant's retention are purged; a failing erasure
//! leaves the account whole; one replica runs the job at a time.

use vestibule_crds::config::{ConsentPolicyConfig, TenantConfig};
use vestibule_idp::privacy::retention::{self, Run};
use vestibule_idp::store::{AuditEntry, AuditEvent};

use super::erasure::{allow_deletes_of_sessions, refuse_deletes_of_sessions};
use super::export::signed_in;
use crate::privacy::rows::{ADA, BOB, DAY, Person, account, fill, footprint};
use crate::support::{Backend, TestIdp};

const CAROL: Person = Person {
    email: "carol.thistledown@example.com",
    given_name: "Carolvbn",
    family_name: "Thistledown",
    nickname: "Carozq",
    phone_number: "+4915155550000",
};

/// A ConsentPolicy keeping accounts `inactive` unused and audit lines `audit`.
fn retention(inactive: Option<&str>, audit: Option<&str>) -> impl FnOnce(&mut TenantConfig) {
    let mut lines = vec![
        "id: default.privacy".to_owned(),
        "version: '1'".to_owned(),
        "dataRetention:".to_owned(),
    ];
    lines.extend(inactive.map(|inactive| format!("  inactiveAccounts: {inactive}")));
    lines.extend(audit.map(|audit| format!("  auditLog: {audit}")));
    let policy: ConsentPolicyConfig = serde_yaml::from_str(&lines.join("\n")).unwrap();
    move |config: &mut TenantConfig| {
        config.consent_policies = vec![policy];
        config.validate().unwrap();
    }
}

async fn run(idp: &TestIdp) -> Run {
    retention::once(&idp.state, "test", 600)
        .await
        .unwrap()
        .expect("the only replica holds the lease")
}

async fn unused_accounts_are_warned_once_then_erased_unless_used_again(backend: Backend) {
    // 400 days unused, warned 30 days (the default) before.
    let idp = TestIdp::start_with(backend, retention(Some("9600h"), None)).await;
    let store = &idp.state.store;
    let ada = account(&idp, &ADA).await;
    let bob = account(&idp, &BOB).await;
    let carol = account(&idp, &CAROL).await;
    idp.clock.advance(371 * DAY);
    signed_in(&idp, BOB.email).await;
    assert_eq!(run(&idp).await.warned, 2, "ada and carol, not bob who signed in");
    let warning = idp.smtp.wait_for_subject(ADA.email, "will be erased").await;
    assert!(warning.text.contains("in 30 days"), "{}", warning.text);
    idp.smtp.wait_for_subject(CAROL.email, "will be erased").await;
    assert_eq!(run(&idp).await, Run::default(), "each warning is sent once");

    signed_in(&idp, CAROL.email).await;
    idp.clock.advance(29 * DAY);
    assert_eq!(run(&idp).await.erased, 0, "the notice has not passed");
    idp.clock.advance(2 * DAY);
    assert_eq!(run(&idp).await.erased, 1);
    assert!(
        store.user_by_id(&ada.id).await.unwrap().is_none(),
        "ada never came back"
    );
    assert!(store.user_by_id(&bob.id).await.unwrap().is_some());
    assert!(
        store.user_by_id(&carol.id).await.unwrap().is_some(),
        "a sign-in after the warning keeps it"
    );
    let erased = idp.smtp.wait_for_subject(ADA.email, "Your account was erased").await;
    assert!(!erased.text.contains("will be erased"));
    assert_eq!(idp.smtp.count_to(ADA.email), 2, "one warning, one confirmation");
    let metrics = idp.state.metrics.render();
    assert!(
        metrics.contains(r#"vestibule_idp_erased_accounts_total{reason="inactive"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("vestibule_idp_inactivity_warnings_total 2"),
        "{metrics}"
    );
    let tombstone: Option<String> = sqlx::query_scalar("SELECT detail FROM audit_log WHERE event = 'account_erased'")
        .fetch_optional(store.pool())
        .await
        .unwrap();
    assert_eq!(tombstone.as_deref(), Some("reason=inactive"));
}

async fn a_retention_run_failing_half_way_leaves_the_account_whole(backend: Backend) {
    let idp = TestIdp::start_with(backend, retention(Some("9600h"), None)).await;
    let store = &idp.state.store;
    let ada = account(&idp, &ADA).await;
    fill(&idp, &ada, "ada").await;
    idp.clock.advance(371 * DAY);
    assert_eq!(run(&idp).await.warned, 1);
    idp.clock.advance(31 * DAY);
    let before = footprint(store, &ada, &ADA).await;
    refuse_deletes_of_sessions(store).await;
    assert!(retention::once(&idp.state, "test", 600).await.is_err());
    assert_eq!(
        footprint(store, &ada, &ADA).await,
        before,
        "nothing of the account went"
    );
    allow_deletes_of_sessions(store).await;
    assert_eq!(run(&idp).await.erased, 1, "the next run erases it whole");
    assert!(store.user_by_id(&ada.id).await.unwrap().is_none());
}

async fn audit_lines_past_the_tenant_retention_are_purged(backend: Backend) {
    let idp = TestIdp::start_with(backend, retention(None, Some("720h"))).await;
    let store = &idp.state.store;
    let ada = account(&idp, &ADA).await;
    let now = idp.state.now();
    for (days, detail) in [(31, "old"), (29, "recent")] {
        let entry = AuditEntry {
            at: now.minus_seconds(days * DAY),
            event: AuditEvent::ProfileUpdated.as_str().into(),
            user_id: Some(ada.id.clone()),
            client_id: None,
            ip: None,
            user_agent: None,
            detail: Some(detail.into()),
        };
        store.audit(AuditEvent::ProfileUpdated, &entry).await.unwrap();
    }
    assert_eq!(run(&idp).await.audit_purged, 1);
    let left: Vec<Option<String>> = store
        .audit_of_user(&ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|line| line.detail)
        .collect();
    assert_eq!(left, vec![Some("recent".to_owned())]);
    idp.clock.advance(2 * DAY);
    assert_eq!(run(&idp).await.audit_purged, 1, "the recent line's turn comes");
    let metrics = idp.state.metrics.render();
    assert!(
        metrics.contains("vestibule_idp_purged_audit_entries_total 2"),
        "{metrics}"
    );
}

async fn one_replica_runs_the_retention_job_at_a_time(backend: Backend) {
    let first = TestIdp::start(backend).await;
    let second = first.replica().await;
    assert!(retention::once(&first.state, "first", 600).await.unwrap().is_some());
    assert!(
        retention::once(&second.state, "second", 600).await.unwrap().is_none(),
        "the lease is held"
    );
    first.clock.advance(300);
    assert!(
        retention::once(&first.state, "first", 600).await.unwrap().is_some(),
        "the holder renews"
    );
    first.clock.advance(500);
    assert!(
        retention::once(&second.state, "second", 600).await.unwrap().is_none(),
        "renewed"
    );
    first.clock.advance(101);
    let (a, b) = tokio::join!(
        retention::once(&first.state, "first", 600),
        retention::once(&second.state, "second", 600)
    );
    let holders = [a.unwrap().is_some(), b.unwrap().is_some()];
    assert_eq!(holders.iter().filter(|held| **held).count(), 1, "{holders:?}");
}

on_both_backends!(
    unused_accounts_are_warned_once_then_erased_unless_used_again,
    a_retention_run_failing_half_way_leaves_the_account_whole,
    audit_lines_past_the_tenant_retention_are_purged,
    one_replica_runs_the_retention_job_at_a_time,
);
