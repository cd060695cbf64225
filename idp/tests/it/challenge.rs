//! Proof-of-work challenges of the sign-in form: an answer is accepted once, from the address and
//! for the sign-in transaction the challenge was issued to, before it expires; any other answer is
//! refused.

use std::net::IpAddr;

use vestibule_idp::risk::proof_of_work::{self, LIFETIME, Refused};

use crate::support::{Backend, TestIdp};

fn solve(challenge: &str, difficulty: u32) -> String {
    (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| proof_of_work::solves(challenge, counter, difficulty))
        .unwrap()
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

on_both_backends!(
    a_challenge_answer_is_accepted_once_and_only_where_it_was_issued,
    a_wrong_or_late_answer_is_refused_and_uses_the_challenge_up
);
