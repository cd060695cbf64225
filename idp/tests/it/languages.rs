//! Pages, form errors and emails in the negotiated language: a customer negotiated to German
//! meets no English on the way.

use crate::flow::{authorize_url, pkce};
use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

const GERMAN_BROWSER: &str = "de-DE,de;q=0.9,en;q=0.5";

async fn a_german_customer_registers_in_german_from_the_page_to_the_email(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let min = idp.tenant().config.password_policy.min_length;
    let mut browser = idp.browser();
    browser.accept_language = Some(GERMAN_BROWSER.into());
    let register = browser.get("/register").await;
    assert!(register.body.contains(r#"<html lang="de">"#), "{}", register.body);
    assert!(
        register.body.contains(&format!("Mindestens {min} Zeichen.")),
        "{}",
        register.body
    );

    let short = browser
        .submit(
            &register,
            "/register",
            &[("email", "grete@example.com"), ("password", "kurz")],
        )
        .await;
    assert_eq!(short.status, 400, "{}", short.body);
    let too_short = format!("Das Passwort ist zu kurz: mindestens {min} Zeichen.");
    assert!(short.body.contains(&too_short), "{}", short.body);

    let done = browser
        .submit(
            &short,
            "/register",
            &[("email", "grete@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Sehen Sie in Ihr Postfach"), "{}", done.body);

    let mail = idp.smtp.wait_for("grete@example.com", 1).await;
    assert_eq!(mail.subject, "Bestätigen Sie Ihre E-Mail-Adresse · Test Shop");
    assert!(mail.html.contains(r#"<html lang="de">"#), "{}", mail.html);
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("Bitte bestätigen Sie Ihre E-Mail-Adresse"), "{part}");
        assert!(part.contains("Ihrem Konto bei Test Shop"), "{part}");
    }
}

async fn the_consent_page_names_the_application_and_its_scopes_in_german(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let url = authorize_url(&idp, "partner", "openid email", &pkce(), &[("ui_locales", "de")]);
    let login = browser.follow(browser.get(&url).await).await;
    assert!(login.body.contains("Anmelden bei Test Shop"), "{}", login.body);
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[("email", "ada@example.com"), ("password", PASSWORD)],
                )
                .await,
        )
        .await;
    assert!(consent.body.contains("partner app möchte:"), "{}", consent.body);
    assert!(
        consent.body.contains("Wissen, wer Sie sind") && consent.body.contains("Ihre E-Mail-Adresse sehen"),
        "{}",
        consent.body
    );
    assert!(consent.body.contains(">Erlauben<") && consent.body.contains(">Ablehnen<"));
}

async fn error_pages_follow_the_browser_language(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let mut browser = idp.browser();
    browser.accept_language = Some(GERMAN_BROWSER.into());
    let forged = browser.post("/consent", &[("request", "anything")]).await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.body.contains("<h1>Da stimmt etwas nicht</h1>")
            && forged.body.contains("Dieses Formular ist abgelaufen."),
        "{}",
        forged.body
    );
}

on_both_backends!(
    a_german_customer_registers_in_german_from_the_page_to_the_email,
    the_consent_page_names_the_application_and_its_scopes_in_german,
    error_pages_follow_the_browser_language,
);
