//! Account lockout and the throttle of failed sign-ins per address: no race past the limit, no
//! enumeration oracle, and no way for one address to keep an account locked.

use vestibule_idp::ids::{UnixTime, UserId};

use crate::support::browser::Page;
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

const WRONG: &str = "wrong password!";

/// The test tenant locking accounts after 3 failures (addresses are blocked after 2), without
/// the per-account rate limit: the lockout alone is under test.
async fn idp_locking_after_three(backend: Backend) -> TestIdp {
    TestIdp::start_with(backend, |config| {
        config.attack_protection.lockout.max_failures = 3;
        config.attack_protection.rate_limits.logins_per_account_per_minute = 0;
    })
    .await
}

/// One sign-in attempt from a fresh browser at 127.0.0.`from`.
async fn attempt(idp: &TestIdp, from: u8, email: &str, password: &str) -> Page {
    let browser = idp.browser_from(from);
    let login = browser.get("/login").await;
    browser
        .submit(&login, "/login", &[("email", email), ("password", password)])
        .await
}

/// How many failed sign-ins of `user_id` the audit log records with `detail`.
async fn failures(idp: &TestIdp, user_id: &UserId, detail: &str) -> usize {
    idp.state
        .store
        .audit_of_user(user_id)
        .await
        .unwrap()
        .iter()
        .filter(|entry| entry.event == "login_failed" && entry.detail.as_deref() == Some(detail))
        .count()
}

async fn locked_until(idp: &TestIdp, email: &str) -> Option<UnixTime> {
    let user = idp.state.store.user_by_email(email).await.unwrap().unwrap();
    user.locked_until.filter(|until| *until > idp.state.now())
}

fn signed_in(page: &Page) -> bool {
    page.headers
        .get_all("set-cookie")
        .iter()
        .any(|cookie| cookie.to_str().unwrap().contains("-session="))
}

async fn concurrent_wrong_passwords_cannot_pass_the_threshold_without_locking(backend: Backend) {
    let idp = idp_locking_after_three(backend).await;
    let user = idp.user("ada@example.com").await;
    let browsers: Vec<_> = (10..22).map(|n| idp.browser_from(n)).collect();
    let mut forms = Vec::new();
    for browser in &browsers {
        forms.push(browser.get("/login").await);
    }
    let attempts = browsers
        .iter()
        .zip(&forms)
        .map(|(browser, login)| browser.submit(login, "/login", &[("email", "ada@example.com"), ("password", WRONG)]));
    let answers = futures::future::join_all(attempts).await;
    assert!(
        answers.iter().all(|page| page.status == 401),
        "{:?}",
        answers.iter().map(|page| page.status).collect::<Vec<_>>()
    );
    assert_eq!(
        failures(&idp, &user.id, "wrong password").await,
        3,
        "only as many attempts as the limit allows reach the password check"
    );
    let until = locked_until(&idp, "ada@example.com").await;
    assert!(until.is_some(), "the account is locked");

    let right = attempt(&idp, 30, "ada@example.com", PASSWORD).await;
    assert_eq!(right.status, 401, "the right password during the lock does not sign in");
    assert!(!signed_in(&right));
    assert_eq!(
        locked_until(&idp, "ada@example.com").await,
        until,
        "nor does it unlock or prolong the lock"
    );
}

async fn a_locked_an_unknown_and_a_wrong_password_attempt_get_one_answer(backend: Backend) {
    let idp = idp_locking_after_three(backend).await;
    idp.user("ada@example.com").await;
    idp.user("bob@example.com").await;
    for from in 1..=3 {
        assert_eq!(attempt(&idp, from, "ada@example.com", WRONG).await.status, 401);
    }
    assert!(locked_until(&idp, "ada@example.com").await.is_some());
    let locked = attempt(&idp, 4, "ada@example.com", PASSWORD).await;
    let unknown = attempt(&idp, 5, "nobody@example.com", PASSWORD).await;
    let wrong = attempt(&idp, 6, "bob@example.com", WRONG).await;
    // Everything but the address typed and the browser's CSRF token is the same page.
    let normalise = |page: &Page, email: &str| page.body.replace(email, "EMAIL").replace(&page.hidden("csrf"), "CSRF");
    for (page, email) in [(&unknown, "nobody@example.com"), (&wrong, "bob@example.com")] {
        assert_eq!(page.status, locked.status);
        assert_eq!(normalise(page, email), normalise(&locked, "ada@example.com"));
    }
    assert_eq!(locked.status, 401);

    // The owner hears of the lock, and the link in the email unlocks by a new password.
    let mail = idp.smtp.wait_for("ada@example.com", 1).await;
    assert!(mail.subject.starts_with("Your account is locked"), "{}", mail.subject);
    let browser = idp.browser_from(7);
    let form = browser.get(&mail.link(&idp.url("/reset?token="))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let reset = browser
        .submit(&form, "/reset", &[("password", "a brand new passphrase")])
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let after = attempt(&idp, 8, "ada@example.com", "a brand new passphrase").await;
    assert_eq!(after.status, 303, "the reset lifted the lock: {}", after.body);
    assert_eq!(idp.smtp.count_to("bob@example.com"), 0, "one failure locks nothing");
}

async fn one_address_is_stopped_before_it_can_lock_an_account(backend: Backend) {
    let idp = idp_locking_after_three(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser_from(20);
    let login = browser.get("/login").await;
    let wrong = [("email", "ada@example.com"), ("password", WRONG)];
    let right = [("email", "ada@example.com"), ("password", PASSWORD)];
    for _ in 0..2 {
        assert_eq!(browser.submit(&login, "/login", &wrong).await.status, 401);
    }
    let blocked = browser.submit(&login, "/login", &right).await;
    assert_eq!(blocked.status, 429, "the address is stopped, the right password too");
    assert!(
        locked_until(&idp, "ada@example.com").await.is_none(),
        "the account is not locked"
    );

    // When the block ends, the account's failures have expired: the address cannot lock it.
    idp.clock.advance(15 * 60 + 1);
    for _ in 0..2 {
        assert_eq!(browser.submit(&login, "/login", &wrong).await.status, 401);
    }
    assert!(locked_until(&idp, "ada@example.com").await.is_none());
    idp.clock.advance(15 * 60 + 1);
    let still = browser.submit(&login, "/login", &right).await;
    assert_eq!(still.status, 429, "a second block in a row lasts twice as long");
    assert_eq!(
        attempt(&idp, 21, "ada@example.com", PASSWORD).await.status,
        303,
        "other addresses and the owner are not held up"
    );
    idp.clock.advance(15 * 60);
    assert_eq!(browser.submit(&login, "/login", &right).await.status, 303);
}

async fn locks_expire_on_time_and_double_when_repeated(backend: Backend) {
    let idp = idp_locking_after_three(backend).await;
    idp.user("ada@example.com").await;
    for from in 1..=3 {
        attempt(&idp, from, "ada@example.com", WRONG).await;
    }
    idp.clock.advance(10 * 60);
    assert_eq!(attempt(&idp, 4, "ada@example.com", WRONG).await.status, 401);
    idp.clock.advance(5 * 60 + 1);
    assert!(
        locked_until(&idp, "ada@example.com").await.is_none(),
        "attempts during the lock did not prolong it"
    );

    // A second lock in a row lasts twice as long.
    for from in 5..=7 {
        assert_eq!(attempt(&idp, from, "ada@example.com", WRONG).await.status, 401);
    }
    idp.clock.advance(15 * 60 + 1);
    assert_eq!(
        attempt(&idp, 8, "ada@example.com", PASSWORD).await.status,
        401,
        "the second lock in a row lasts 30 minutes"
    );
    idp.clock.advance(15 * 60);
    assert_eq!(attempt(&idp, 9, "ada@example.com", PASSWORD).await.status, 303);

    // A successful sign-in starts the backoff again from the configured duration.
    for from in 10..=12 {
        attempt(&idp, from, "ada@example.com", WRONG).await;
    }
    assert!(locked_until(&idp, "ada@example.com").await.is_some());
    idp.clock.advance(15 * 60 + 1);
    assert_eq!(attempt(&idp, 13, "ada@example.com", PASSWORD).await.status, 303);
}

async fn the_current_password_check_of_the_account_page_counts_toward_the_lockout(backend: Backend) {
    let idp = idp_locking_after_three(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser_from(40);
    let login = browser.get("/login").await;
    let done = browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 303);
    let page = browser.get("/account").await;
    let guess = [("current_password", WRONG), ("new_password", "another fine passphrase")];
    for _ in 0..2 {
        assert_eq!(browser.submit(&page, "/account/password", &guess).await.status, 400);
    }
    let third = browser.submit(&page, "/account/password", &guess).await;
    assert_eq!(third.status, 429, "the address is throttled as on the sign-in page");
    assert_eq!(attempt(&idp, 41, "ada@example.com", WRONG).await.status, 401);
    assert!(
        locked_until(&idp, "ada@example.com").await.is_some(),
        "two guesses on the account page and one at sign-in lock the account"
    );
    assert_eq!(attempt(&idp, 42, "ada@example.com", PASSWORD).await.status, 401);
}

on_both_backends!(
    concurrent_wrong_passwords_cannot_pass_the_threshold_without_locking,
    a_locked_an_unknown_and_a_wrong_password_attempt_get_one_answer,
    one_address_is_stopped_before_it_can_lock_an_account,
    locks_expire_on_time_and_double_when_repeated,
    the_current_password_check_of_the_account_page_counts_toward_the_lockout,
);
