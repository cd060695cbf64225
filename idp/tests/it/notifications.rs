//! Customers told about their account's security: a sign-in from a device or network the account
//! never used is emailed (not the first sign-in, not a familiar device) with a "this was not me"
//! link that ends every session and opens a new-password form; a changed password is emailed.

use crate::support::idp::PASSWORD;
use crate::support::{Backend, Browser, TestIdp};

const ADA: &str = "ada@example.com";

/// A full sign-in through the account page's sign-in in `browser`; the account page.
async fn sign_in(browser: &Browser) -> crate::support::browser::Page {
    let login = browser.follow(browser.get("/account").await).await;
    let done = browser
        .submit(&login, "/login", &[("email", ADA), ("password", PASSWORD)])
        .await;
    let account = browser.follow(done).await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains("account"), "{}", account.body);
    account
}

/// The notices of new sign-ins ada received.
fn new_sign_in_notices(idp: &TestIdp) -> usize {
    idp.smtp
        .messages()
        .iter()
        .filter(|mail| mail.to.iter().any(|to| to == ADA) && mail.subject.starts_with("New sign-in"))
        .count()
}

async fn a_sign_in_from_a_new_device_is_told_and_disowning_it_ends_every_session(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let ada = idp.user(ADA).await;
    let laptop = idp.browser();
    sign_in(&laptop).await;
    // Signed out everywhere; the laptop keeps its device cookie and signs in again.
    idp.state.store.delete_other_sessions(&ada.id, None).await.unwrap();
    sign_in(&laptop).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        new_sign_in_notices(&idp),
        0,
        "a first sign-in and a familiar device tell nothing"
    );
    let phone = idp.browser_from(2);
    sign_in(&phone).await;
    let notice = idp.smtp.wait_for(ADA, 1).await;
    assert!(notice.subject.starts_with("New sign-in"), "{}", notice.subject);
    assert_eq!(new_sign_in_notices(&idp), 1);

    let link = notice.link(&idp.url("/not-me?token="));
    let stranger = idp.browser_from(3);
    let confirm = stranger.get(&link).await;
    assert_eq!(
        confirm.status, 200,
        "opening the link changes nothing: {}",
        confirm.body
    );
    assert_eq!(laptop.get("/account").await.status, 200, "still signed in");
    let secured = stranger.submit(&confirm, "/not-me", &[]).await;
    assert_eq!(secured.status, 303, "{}", secured.body);
    assert!(secured.location().contains("/reset?token="), "{}", secured.location());
    for browser in [&laptop, &phone] {
        assert_eq!(browser.get("/account").await.status, 303, "every session ended");
    }
    let form = stranger.follow(secured).await;
    let done = stranger
        .submit(&form, "/reset", &[("password", "a brand new passphrase")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(stranger.get(&link).await.status, 400, "the link works once");
    let audit = idp.state.store.audit_of_user(&ada.id).await.unwrap();
    assert!(audit.iter().any(|entry| entry.event == "sign_in_disowned"));
}

async fn new_sign_ins_are_not_told_when_turned_off(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        config.attack_protection.notifications.new_sign_in = false;
    })
    .await;
    idp.user(ADA).await;
    sign_in(&idp.browser()).await;
    sign_in(&idp.browser_from(2)).await;
    sign_in(&idp.browser_from(3)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(new_sign_in_notices(&idp), 0);
}

async fn a_changed_password_is_told_with_a_reset_link(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user(ADA).await;
    let browser = idp.browser();
    let account = sign_in(&browser).await;
    let changed = browser
        .submit(
            &account,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let notice = idp.smtp.wait_for(ADA, 1).await;
    assert!(
        notice.subject.starts_with("Your password was changed"),
        "{}",
        notice.subject
    );
    let link = notice.link(&idp.url("/reset?token="));
    assert_eq!(
        idp.browser().get(&link).await.status,
        200,
        "the link opens the reset form"
    );
}

on_both_backends!(
    a_sign_in_from_a_new_device_is_told_and_disowning_it_ends_every_session,
    new_sign_ins_are_not_told_when_turned_off,
    a_changed_password_is_told_with_a_reset_link,
);
