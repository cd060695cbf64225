//! The bounded password-hashing queue: past its capacity, sign-ins are answered 503 with
//! `Retry-After` at once instead of waiting behind an ever longer queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use vestibule_crds::SecretString;
use vestibule_idp::password::PasswordHasher;

use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

async fn sign_ins_beyond_the_hashing_queue_get_503_with_retry_after(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |config| {
            config.attack_protection.rate_limits.logins_per_minute = 0;
            config.attack_protection.rate_limits.logins_per_account_per_minute = 0;
            // Without lockout, whose per-address throttle would stop these 24 wrong passwords
            // from one address before they reach the hasher: this test is about the queue.
            config.attack_protection.lockout.enabled = false;
            // Nor the challenge, which a slow backend lets judged failures switch on for the
            // later of these attempts from one address (CI saw it on PostgreSQL).
            config.attack_protection.challenge.enabled = false;
        },
        |state| state.hasher = PasswordHasher::new(1, 1).unwrap(),
    )
    .await;
    idp.user("ada@example.com").await;
    let mut forms = Vec::new();
    for _ in 0..24 {
        let browser = idp.browser();
        let page = browser.get("/login").await;
        forms.push((browser, page));
    }
    let attempts = forms.iter().map(|(browser, page)| {
        browser.submit(
            page,
            "/login",
            &[("email", "ada@example.com"), ("password", "wrong password")],
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let busy: Vec<_> = answers.iter().filter(|page| page.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "24 sign-ins at once overflow one thread and one queue slot"
    );
    for page in &busy {
        assert_eq!(page.header("retry-after").as_deref(), Some("1"));
    }
    for page in answers.iter().filter(|page| page.status != 503) {
        assert_eq!(page.status, 401, "the others are judged: {}", page.body);
    }
}

/// Keeps the hashing thread and its queue busy until `running` turns false.
fn flood(idp: &TestIdp, running: &Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|_| {
            let (hasher, running) = (idp.state.hasher.clone(), running.clone());
            tokio::spawn(async move {
                while running.load(Ordering::Relaxed) {
                    if hasher.verify(&SecretString::new("flood"), None).await.is_err() {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect()
}

async fn attempts_turned_away_by_a_full_hashing_queue_count_toward_no_lockout(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |config| {
            config.attack_protection.rate_limits.logins_per_minute = 0;
            config.attack_protection.lockout.max_failures = 5;
        },
        |state| state.hasher = PasswordHasher::new(1, 1).unwrap(),
    )
    .await;
    let ada = idp.user("ada@example.com").await;
    let running = Arc::new(AtomicBool::new(true));
    let flooders = flood(&idp, &running);
    let (mut busy, mut judged) = (0, 0);
    // Each attempt from another address, so only the account's count matters.
    for from in 50..120 {
        let browser = idp.browser_from(from);
        let login = browser.get("/login").await;
        let answer = browser
            .submit(
                &login,
                "/login",
                &[("email", "ada@example.com"), ("password", "wrong password")],
            )
            .await;
        match answer.status.as_u16() {
            503 => busy += 1,
            401 => judged += 1,
            other => panic!("unexpected answer {other}: {}", answer.body),
        }
        if busy == 5 || judged == 4 {
            break;
        }
    }
    running.store(false, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.unwrap();
    }
    assert_eq!(busy, 5, "the flood kept the queue full ({judged} attempts were judged)");
    let user = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(user.failed_logins, judged, "only the attempts judged count as failures");
    assert_eq!(user.locked_until, None);
    let browser = idp.browser_from(200);
    let login = browser.get("/login").await;
    let signed_in = browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        signed_in.status, 303,
        "{} can still sign in: {}",
        ada.id, signed_in.body
    );
}

on_both_backends!(
    sign_ins_beyond_the_hashing_queue_get_503_with_retry_after,
    attempts_turned_away_by_a_full_hashing_queue_count_toward_no_lockout,
);
