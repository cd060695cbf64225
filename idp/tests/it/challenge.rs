//! Challenged mode and the proof-of-work challenges of the sign-in form: an address failing too
//! often (or trying too many accounts) must solve a challenge before its passwords are checked,
//! until its window passes; an answer is accepted once, from the address and for the sign-in
//! transaction the challenge was issued to, before it expires; any other answer is refused.

use std::net::IpAddr;
use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use vestibule_idp::risk::proof_of_work::{self, KEPT_PER_ADDRESS, LIFETIME, Refused};

use crate::support::browser::{Browser, Page};
use crate::support::idp::PASSWORD;
use crate::support::smtp::ensure_node_modules;
use crate::support::{Backend, TestIdp};

const WRONG: &str = "wrong password!";
const WINDOW_SECONDS: i64 = 15 * 60;

/// The test tenant challenging an address after 3 failures or 2 accounts within 15 minutes, with
/// an easy puzzle; the lockout and the per-account limit are out of the way (not under test).
async fn idp_challenging_after_three(backend: Backend) -> TestIdp {
    TestIdp::start_with(backend, |config| {
        let challenge = &mut config.attack_protection.challenge;
        challenge.failures_per_address = 3;
        challenge.accounts_per_address = 2;
        challenge.difficulty = 8;
        config.attack_protection.lockout.max_failures = 100;
        config.attack_protection.rate_limits.logins_per_account_per_minute = 0;
    })
    .await
}

async fn sign_in(browser: &Browser, email: &str, password: &str, extra: &[(&str, &str)]) -> Page {
    let login = browser.get("/login").await;
    let mut fields = vec![("email", email), ("password", password)];
    fields.extend_from_slice(extra);
    browser.submit(&login, "/login", &fields).await
}

fn challenged(page: &Page) -> bool {
    page.body.contains("data-challenge=")
}

async fn audited(idp: &TestIdp, event: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log WHERE event = $1")
        .bind(event)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap()
}

async fn an_address_failing_too_often_is_challenged_until_its_window_passes(backend: Backend) {
    let idp = idp_challenging_after_three(backend).await;
    idp.user("ada@example.com").await;
    let attacker = idp.browser_from(5);
    for attempt in 1..=3 {
        let failed = sign_in(&attacker, "ada@example.com", WRONG, &[]).await;
        assert_eq!(failed.status, 401, "attempt {attempt}");
        assert_eq!(
            challenged(&failed),
            attempt == 3,
            "challenged from the third failure on"
        );
    }
    assert_eq!(
        audited(&idp, "address_challenged").await,
        ["address 127.0.0.5: 3 failures, 1 accounts within 15m"]
    );

    let verifications = || idp.state.metrics.password_verifications().get();
    assert_eq!(verifications(), 3, "one argon2id verification per judged attempt");
    let unanswered = sign_in(&attacker, "ada@example.com", PASSWORD, &[]).await;
    assert_eq!(
        unanswered.status, 403,
        "even the right password waits for the challenge"
    );
    assert_eq!(
        verifications(),
        3,
        "an unanswered challenge costs no argon2id verification"
    );
    assert!(unanswered.body.contains("short security check"), "{}", unanswered.body);
    assert!(
        !unanswered
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("-session="))
    );
    assert_eq!(audited(&idp, "challenge_failed").await, ["challenge malformed"]);
    assert!(
        !challenged(&idp.browser_from(6).get("/login").await),
        "other addresses are not challenged"
    );

    let login = attacker.get("/login").await;
    let counter = solve(&login.hidden("challenge"), 8);
    let fields = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("challenge_counter", counter.as_str()),
    ];
    let solved = attacker.submit(&login, "/login", &fields).await;
    assert!(solved.status.is_redirection(), "{} {}", solved.status, solved.body);
    assert_eq!(verifications(), 4, "a solved challenge lets the password be checked");
    let replayed = attacker.submit(&login, "/login", &fields).await;
    assert_eq!(replayed.status, 403, "the same answer twice");
    assert_eq!(audited(&idp, "challenge_failed").await.len(), 2);

    idp.clock.advance(WINDOW_SECONDS + 1);
    let after = attacker.get("/login").await;
    assert!(!challenged(&after), "challenged mode ends by itself");
    let signed_in = sign_in(&idp.browser_from(5), "ada@example.com", PASSWORD, &[]).await;
    assert!(signed_in.status.is_redirection(), "{}", signed_in.status);
    let metrics = idp.state.metrics.render();
    assert!(
        metrics.contains("vestibule_idp_addresses_challenged_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"vestibule_idp_sign_in_challenges_total{kind="proof_of_work",outcome="passed"} 1"#),
        "{metrics}"
    );
}

async fn an_address_trying_many_accounts_is_challenged(backend: Backend) {
    let idp = idp_challenging_after_three(backend).await;
    let sprayer = idp.browser_from(7);
    let first = sign_in(&sprayer, "ada@example.com", WRONG, &[]).await;
    assert!(!challenged(&first));
    let second = sign_in(&sprayer, "bob@example.com", WRONG, &[]).await;
    assert!(challenged(&second), "two accounts, known or not, from one address");
    assert_eq!(
        audited(&idp, "address_challenged").await,
        ["address 127.0.0.7: 2 failures, 2 accounts within 15m"]
    );
}

fn solve(challenge: &str, difficulty: u32) -> String {
    (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| proof_of_work::solves(challenge, counter, difficulty))
        .unwrap()
}

async fn a_browser_the_account_trusts_is_not_challenged(backend: Backend) {
    let idp = idp_challenging_after_three(backend).await;
    let ada = idp.user("ada@example.com").await;
    let bob = idp.user("bob@example.com").await;
    let attacker = idp.browser_from(8);
    for _ in 0..3 {
        sign_in(&attacker, "ada@example.com", WRONG, &[]).await;
    }
    let tenant = idp.tenant();
    let trust = |user| vestibule_idp::mfa::device::trust(&idp.state, &tenant, user, 3600, None);

    let bobs_browser = idp.browser_from(8);
    bobs_browser.set_cookie(trust(&bob.id).await.unwrap().to_str().unwrap());
    let refused = sign_in(&bobs_browser, "ada@example.com", PASSWORD, &[]).await;
    assert_eq!(refused.status, 403, "trusted by another account: challenged");

    let adas_browser = idp.browser_from(8);
    adas_browser.set_cookie(trust(&ada.id).await.unwrap().to_str().unwrap());
    let page = adas_browser.get("/login").await;
    assert!(challenged(&page), "the page cannot know whose browser it is");
    let signed_in = adas_browser
        .submit(&page, "/login", &[("email", "ada@example.com"), ("password", PASSWORD)])
        .await;
    assert!(
        signed_in.status.is_redirection(),
        "{} {}",
        signed_in.status,
        signed_in.body
    );
}

/// Runs `e2e/node/challenge-journey.mjs` against `idp` for ada: what it saw.
async fn chromium_journey(idp: &TestIdp) -> Value {
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("../e2e/node");
    let output = tokio::process::Command::new("node")
        .arg(node.join("challenge-journey.mjs"))
        .env("ISSUER", &idp.base)
        .env("EMAIL", "ada@example.com")
        .env("PASSWORD", PASSWORD)
        .env(
            "CHROMIUM",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

async fn chromium_solves_the_challenge_of_a_challenged_address(backend: Backend) {
    ensure_node_modules();
    // The default difficulty: what a customer's browser really has to solve.
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.challenge.failures_per_address = 2;
        config.attack_protection.lockout.max_failures = 100;
        config.attack_protection.rate_limits.logins_per_account_per_minute = 0;
    })
    .await;
    idp.user("ada@example.com").await;
    // Chromium connects from 127.0.0.1, which fails twice first.
    let attacker = idp.browser_from(1);
    for _ in 0..2 {
        assert_eq!(sign_in(&attacker, "ada@example.com", WRONG, &[]).await.status, 401);
    }

    let journey = chromium_journey(&idp).await;
    assert_eq!(journey["challenged"], true, "{journey}");
    assert!(journey["landedOn"].as_str().unwrap().ends_with("/account"), "{journey}");
    assert_eq!(journey["scriptErrors"], serde_json::json!([]), "{journey}");
    assert!(
        journey["noScriptNotice"].as_str().unwrap().contains("needs JavaScript"),
        "{journey}"
    );
    assert_eq!(journey["noScriptStatus"], 403, "{journey}");
    assert!(
        journey["noScriptError"]
            .as_str()
            .unwrap()
            .contains("short security check"),
        "{journey}"
    );
    assert_eq!(
        audited(&idp, "login_succeeded").await.len(),
        1,
        "only the solved sign-in"
    );
    assert_eq!(
        audited(&idp, "challenge_failed").await,
        ["challenge malformed"],
        "only the browser without JavaScript, which sent no answer"
    );
}

async fn a_challenge_answer_is_accepted_once_and_only_where_it_was_issued(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let here: IpAddr = "2001:db8:1:2::1".parse().unwrap();
    let same_64: IpAddr = "2001:db8:1:2::99".parse().unwrap();
    let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();

    let issued = proof_of_work::issue(store, here, "tx-1", 8, idp.state.now())
        .await
        .unwrap();
    assert_eq!(issued.difficulty, 8);
    let counter = solve(&issued.challenge, 8);
    let answer = (issued.challenge.as_str(), counter.as_str());
    let redeem = |address, transaction| proof_of_work::redeem(store, address, transaction, answer, idp.state.now());

    assert_eq!(
        redeem(here, "tx-2").await.unwrap(),
        Err(Refused::Unknown),
        "another transaction"
    );
    assert_eq!(
        redeem(elsewhere, "tx-1").await.unwrap(),
        Err(Refused::Unknown),
        "another /64"
    );
    assert_eq!(
        redeem(same_64, "tx-1").await.unwrap(),
        Ok(()),
        "its /64 and transaction"
    );
    assert_eq!(redeem(same_64, "tx-1").await.unwrap(), Err(Refused::Unknown), "reused");

    let malformed = proof_of_work::redeem(store, here, "tx-1", (&issued.challenge, "12ab"), idp.state.now());
    assert_eq!(malformed.await.unwrap(), Err(Refused::Malformed));
}

async fn a_wrong_or_late_answer_is_refused_and_uses_the_challenge_up(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let here: IpAddr = "127.0.0.7".parse().unwrap();

    let issued = proof_of_work::issue(store, here, "tx", 16, idp.state.now())
        .await
        .unwrap();
    let wrong = (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| !proof_of_work::solves(&issued.challenge, counter, 16))
        .unwrap();
    let right = solve(&issued.challenge, 16);
    let challenge = issued.challenge.as_str();
    let wrong_answer = proof_of_work::redeem(store, here, "tx", (challenge, &wrong), idp.state.now());
    assert_eq!(wrong_answer.await.unwrap(), Err(Refused::Unsolved));
    let right_answer = proof_of_work::redeem(store, here, "tx", (challenge, &right), idp.state.now());
    assert_eq!(
        right_answer.await.unwrap(),
        Err(Refused::Unknown),
        "one answer per challenge: no guessing on the same one"
    );

    let late = proof_of_work::issue(store, here, "tx", 4, idp.state.now())
        .await
        .unwrap();
    let counter = solve(&late.challenge, 4);
    idp.clock.advance(LIFETIME);
    let expired = proof_of_work::redeem(store, here, "tx", (&late.challenge, &counter), idp.state.now());
    assert_eq!(expired.await.unwrap(), Err(Refused::Unknown), "expired");
}

async fn an_address_keeps_only_its_newest_challenges(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let store = &idp.state.store;
    let here: IpAddr = "127.0.0.9".parse().unwrap();
    let now = idp.state.now();
    let mut issued = Vec::new();
    for second in 0..=KEPT_PER_ADDRESS {
        let challenge = proof_of_work::issue(store, here, "tx", 4, now.plus_seconds(second))
            .await
            .unwrap();
        issued.push(challenge.challenge);
    }
    proof_of_work::issue(store, "127.0.0.10".parse().unwrap(), "tx", 4, now)
        .await
        .unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_challenges")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        kept,
        KEPT_PER_ADDRESS + 1,
        "the newest of this address, and the other's"
    );
    for (challenge, expected) in [(&issued[0], Err(Refused::Unknown)), (&issued[1], Ok(()))] {
        let counter = solve(challenge, 4);
        let answer = proof_of_work::redeem(store, here, "tx", (challenge, &counter), now);
        assert_eq!(answer.await.unwrap(), expected);
    }
}

async fn a_wave_over_many_addresses_challenges_every_address_until_it_passes(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.challenge.tenant_failures = 10;
    })
    .await;
    idp.user("ada@example.com").await;
    // The usual traffic: customers signing in.
    for n in 1..=3 {
        let page = sign_in(&idp.browser_from(n), "ada@example.com", PASSWORD, &[]).await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
    // A wave: ten addresses, one wrong password each on another account, every address below
    // its own thresholds.
    for n in 10..20 {
        let email = format!("victim{n}@example.com");
        let page = sign_in(&idp.browser_from(n), &email, WRONG, &[]).await;
        assert_eq!(page.status, 401, "{}", page.body);
        assert!(!challenged(&page) || n == 19, "no address is challenged on its own");
    }
    let fresh = idp.browser_from(30).get("/login").await;
    assert!(
        challenged(&fresh),
        "an address never seen before is challenged during the wave"
    );
    let refused = sign_in(&idp.browser_from(31), "ada@example.com", PASSWORD, &[]).await;
    assert_eq!(refused.status, 403, "no password is looked at without the answer");
    let audit = audited(&idp, "tenant_challenged").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].contains("10 failures and 3 successes"), "{audit:?}");

    // Five quiet minutes later the wave is over, by itself.
    idp.clock.advance(6 * 60);
    let after = idp.browser_from(32).get("/login").await;
    assert!(!challenged(&after), "{}", after.body);
    let page = sign_in(&idp.browser_from(33), "ada@example.com", PASSWORD, &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

on_both_backends!(
    a_wave_over_many_addresses_challenges_every_address_until_it_passes,
    an_address_keeps_only_its_newest_challenges,
    chromium_solves_the_challenge_of_a_challenged_address,
    an_address_failing_too_often_is_challenged_until_its_window_passes,
    an_address_trying_many_accounts_is_challenged,
    a_browser_the_account_trusts_is_not_challenged,
    a_challenge_answer_is_accepted_once_and_only_where_it_was_issued,
    a_wrong_or_late_answer_is_refused_and_uses_the_challenge_up
);
