//! The bounded password-hashing queue: past its capacity, sign-ins are answered 503 with
//! `Retry-After` at once instead of waiting behind an ever longer queue.

use vestibule_idp::password::PasswordHasher;

use crate::support::{Backend, TestIdp};

async fn sign_ins_beyond_the_hashing_queue_get_503_with_retry_after(backend: Backend) {
    let idp = TestIdp::start_adjusted(
        backend,
        |config| {
            config.attack_protection.rate_limits.logins_per_minute = 0;
            // Without lockout, whose per-address throttle would stop these 24 wrong passwords
            // from one address before they reach the hasher: this test is about the queue.
            config.attack_protection.lockout.enabled = false;
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

on_both_backends!(sign_ins_beyond_the_hashing_queue_get_503_with_retry_after);
