//! Web security: cookies, CSRF, headers, idle and absolute session timeouts.

use crate::support::idp::PASSWORD;
use crate::support::{Backend, TestIdp};

async fn session_cookies_are_host_only_secure_http_only_and_lax(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let csrf_cookie = login.header("set-cookie").unwrap();
    assert!(csrf_cookie.starts_with("__Host-vestibule-"), "{csrf_cookie}");
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(csrf_cookie.contains(attribute), "{csrf_cookie} lacks {attribute}");
    }
    let done = browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    let cookie = done
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("-session="))
        .unwrap();
    assert!(cookie.starts_with("__Host-vestibule-"), "{cookie}");
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Domain="));
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    browser.get("/login").await;
    let forged = browser
        .post(
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(browser.cookie("__Host-vestibule-").is_some());
    let cross_site = reqwest::Client::new()
        .post(idp.url("/login"))
        .header("origin", "https://evil.example.com")
        .header("cookie", format!("{}={}", idp.tenant().cookies.csrf, "a".repeat(43)))
        .form(&[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("csrf", &"a".repeat(43)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        403,
        "a foreign Origin is refused even with a matching token"
    );
}

async fn pages_carry_security_headers(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp.browser().get("/login").await;
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(page.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(page.header("referrer-policy").as_deref(), Some("same-origin"));
    assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
    assert!(page.header("x-request-id").is_some());
    assert!(
        page.body.contains(r#"<label for="email">"#) && page.body.contains(r#"id="email""#),
        "labelled inputs"
    );
}

async fn sessions_end_after_idle_and_absolute_timeouts(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser.get("/login").await;
    browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    idp.clock.advance(23 * 3600);
    assert_eq!(
        browser.get("/account").await.status,
        200,
        "active within the idle timeout"
    );
    idp.clock.advance(23 * 3600);
    assert_eq!(
        browser.get("/account").await.status,
        200,
        "activity renewed the idle timeout"
    );
    idp.clock.advance(25 * 3600);
    assert_eq!(browser.get("/account").await.status, 303, "idle for more than 24h");

    let browser = idp.browser();
    let login = browser.get("/login").await;
    browser
        .submit(
            &login,
            "/login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    for _ in 0..7 {
        idp.clock.advance(23 * 3600);
        assert_eq!(browser.get("/account").await.status, 200, "kept alive for 161h");
    }
    idp.clock.advance(23 * 3600);
    assert_eq!(
        browser.get("/account").await.status,
        303,
        "7 days (168h) is the absolute limit"
    );
}

async fn unexpected_failures_answer_500_with_only_a_reference(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.state.store.pool().close().await;
    let url = crate::flow::authorize_url(&idp, "web", "openid", &crate::flow::pkce(), &[]);
    let page = idp.browser().get(&url).await;
    assert_eq!(page.status, 500);
    let reference = page.header("x-request-id").unwrap();
    assert!(
        page.body
            .contains(&format!("Something went wrong on our side. Reference: {reference}")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("sqlx") && !page.body.contains("pool"),
        "nothing internal"
    );
    assert_eq!(idp.admin_get("/readyz").await.0, 503);
}

on_both_backends!(
    session_cookies_are_host_only_secure_http_only_and_lax,
    forms_without_the_csrf_token_are_refused,
    pages_carry_security_headers,
    sessions_end_after_idle_and_absolute_timeouts,
    unexpected_failures_answer_500_with_only_a_reference,
);
