//! The authorization endpoint: validation order, PKCE, prompt, max_age, consent, locales.

use crate::flow::{authorize_url, claims, code, exchange_web, pkce, sign_in, tokens_for};
use crate::support::browser::query_param;
use crate::support::idp::REDIRECT;
use crate::support::{Backend, TestIdp};

fn error_of(location: &str) -> String {
    query_param(location, "error").unwrap_or_else(|| panic!("no error in {location}"))
}

async fn unknown_client_gets_an_error_page_and_no_redirect(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp
        .browser()
        .get(&authorize_url(&idp, "nobody", "openid", &pkce(), &[]))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.headers.get("location").is_none());
    assert!(page.body.contains("not registered"), "{}", page.body);
}

async fn unregistered_redirect_uri_gets_an_error_page_and_no_redirect(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    for bad in [
        "https://evil.example.com/callback",
        "https://app.example.com/callback/",
        "https://app.example.com/callback?x=1",
    ] {
        let url = authorize_url(&idp, "web", "openid", &pkce(), &[]).replace(&urlencode(REDIRECT), &urlencode(bad));
        let page = idp.browser().get(&url).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(
            page.headers.get("location").is_none(),
            "{bad} must not be redirected to"
        );
    }
    // Without any redirect_uri, too: OIDC makes it required.
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[])
        .replace(&format!("&redirect_uri={}", urlencode(REDIRECT)), "");
    assert_eq!(idp.browser().get(&url).await.status, 400);
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn protocol_errors_go_back_to_the_client_with_state(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    let cases = [
        (
            authorize_url(&idp, "web", "openid", &pkce(), &[]).replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            authorize_url(&idp, "web", "openid admin", &pkce(), &[]),
            "invalid_scope",
        ),
        (
            authorize_url(&idp, "web", "openid", &pkce(), &[("request", "eyJ")]),
            "request_not_supported",
        ),
        (
            authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none login")]),
            "invalid_request",
        ),
        (
            authorize_url(&idp, "web", "openid", &pkce(), &[]).replace("S256", "plain"),
            "invalid_request",
        ),
        (
            authorize_url(&idp, "spa", "openid", &pkce(), &[]).replace("code_challenge=", "x="),
            "invalid_request",
        ),
    ];
    for (url, expected) in cases {
        let page = browser.get(&url).await;
        assert!(page.status.is_redirection(), "{url}: {}", page.status);
        let location = page.location();
        assert!(location.starts_with(REDIRECT), "{location}");
        assert_eq!(error_of(&location), expected, "{url}");
        assert_eq!(query_param(&location, "state").as_deref(), Some("st4te"));
    }
}

async fn repeated_parameters_are_refused(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let url = format!("{}&scope=openid", authorize_url(&idp, "web", "openid", &pkce(), &[]));
    let page = idp.browser().get(&url).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("more than once"));
}

async fn prompt_none_without_a_session_returns_login_required(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let page = idp
        .browser()
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none")]))
        .await;
    assert_eq!(error_of(&page.location()), "login_required");
}

async fn prompt_none_with_a_session_issues_a_code_silently(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let page = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "none")]))
        .await;
    assert!(query_param(&page.location(), "code").is_some(), "{}", page.location());
}

async fn prompt_none_for_a_third_party_without_consent_returns_consent_required(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let page = browser
        .get(&authorize_url(
            &idp,
            "partner",
            "openid email",
            &pkce(),
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(error_of(&page.location()), "consent_required");
}

async fn prompt_login_and_max_age_demand_a_fresh_sign_in(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let page = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("prompt", "login")]))
                .await,
        )
        .await;
    assert!(
        page.body.contains(r#"action="/login""#),
        "prompt=login shows the login page"
    );
    let done = sign_in(&browser, page, "ada@example.com").await;
    assert!(query_param(&done.location(), "code").is_some());

    idp.clock.advance(120);
    let page = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("max_age", "60")]))
                .await,
        )
        .await;
    assert!(
        page.body.contains(r#"action="/login""#),
        "an old sign-in does not satisfy max_age"
    );
    let silent = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("max_age", "3600")]))
        .await;
    assert!(query_param(&silent.location(), "code").is_some());
}

async fn a_clients_default_max_age_and_acr_values_apply_to_requests_without_their_own(backend: Backend) {
    let idp = TestIdp::start_with(backend, |config| {
        let web = config
            .clients
            .iter_mut()
            .find(|client| client.client_id == "web")
            .unwrap();
        web.default_max_age = Some(60);
        web.default_acr_values = vec!["urn:vestibule:acr:mfa".into()];
    })
    .await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let young = browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await;
    assert!(
        query_param(&young.location(), "code").is_some(),
        "a young sign-in serves: {}",
        young.location()
    );

    idp.clock.advance(120);
    let old = browser.get(&authorize_url(&idp, "web", "openid", &pkce(), &[])).await;
    assert!(
        old.location().contains("/login?request="),
        "the client's defaultMaxAge asks an old sign-in to authenticate again: {}",
        old.location()
    );
    let request = query_param(&idp.url(&old.location()), "request").unwrap();
    let (state,): (String,) = sqlx::query_as("SELECT state FROM sign_ins WHERE id = $1")
        .bind(&request)
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["required"]["max_age"], 60, "{state}");
    assert_eq!(
        state["required"]["preferred"],
        serde_json::json!(["Mfa"]),
        "defaultAcrValues is asked for: {state}"
    );
    let own = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("max_age", "3600")]))
        .await;
    assert!(
        query_param(&own.location(), "code").is_some(),
        "the request's own max_age wins"
    );
}

async fn third_party_clients_ask_for_consent_once_and_first_party_never(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "partner", "openid email", &pkce(), &[]))
                .await,
        )
        .await;
    let consent = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[
                        ("email", "ada@example.com"),
                        ("password", crate::support::idp::PASSWORD),
                    ],
                )
                .await,
        )
        .await;
    assert!(consent.body.contains("partner app"), "{}", consent.body);
    assert!(consent.body.contains("See your email address"));
    let denied = browser.submit(&consent, "/consent", &[("decision", "deny")]).await;
    let denied = browser.follow(denied).await;
    assert_eq!(error_of(&denied.location()), "access_denied");
    assert_eq!(query_param(&denied.location(), "state").as_deref(), Some("st4te"));

    let again = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "partner", "openid email", &pkce(), &[]))
                .await,
        )
        .await;
    let allowed = browser
        .follow(browser.submit(&again, "/consent", &[("decision", "allow")]).await)
        .await;
    assert!(query_param(&allowed.location(), "code").is_some());
    let remembered = browser
        .get(&authorize_url(&idp, "partner", "openid email", &pkce(), &[]))
        .await;
    assert!(
        query_param(&remembered.location(), "code").is_some(),
        "consent is remembered"
    );
    let forced = browser
        .follow(
            browser
                .get(&authorize_url(
                    &idp,
                    "partner",
                    "openid email",
                    &pkce(),
                    &[("prompt", "consent")],
                ))
                .await,
        )
        .await;
    assert!(
        forced.body.contains(r#"action="/consent""#),
        "prompt=consent asks again"
    );
}

async fn state_comes_back_exactly_as_sent(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let tricky = "a b&c=d/é+%20<x>";
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[])
        .replace("state=st4te", &format!("state={}", urlencode(tricky)));
    let page = browser.get(&url).await;
    assert_eq!(query_param(&page.location(), "state").as_deref(), Some(tricky));
}

async fn loopback_redirect_uris_match_on_any_port(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let url = authorize_url(&idp, "web", "openid", &pkce(), &[])
        .replace(&urlencode(REDIRECT), &urlencode("http://127.0.0.1:49152/callback"));
    let page = idp.browser().get(&url).await;
    assert!(page.location().contains("/login?request="), "{}", page.location());
}

async fn pages_follow_ui_locales_then_accept_language(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    let browser = idp.browser();
    let german = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("ui_locales", "de")]))
                .await,
        )
        .await;
    assert!(
        german.body.contains(r#"<html lang="de">"#) && german.body.contains("Anmelden"),
        "{}",
        german.body
    );
    let mut browser = idp.browser();
    browser.accept_language = Some("de-DE,de;q=0.9,en;q=0.5".into());
    assert!(browser.get("/login").await.body.contains("Passwort vergessen?"));
    browser.accept_language = Some("fr, en;q=0.5".into());
    assert!(browser.get("/login").await.body.contains("Forgot your password?"));
}

fn id_token(idp_tokens: &serde_json::Value) -> String {
    idp_tokens["id_token"].as_str().unwrap().to_owned()
}

async fn an_id_token_hint_naming_someone_else_does_not_reuse_the_session(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    idp.user("eve@example.com").await;
    let eve = id_token(&tokens_for(&idp, "eve@example.com", "openid").await);
    let ada = id_token(&tokens_for(&idp, "ada@example.com", "openid").await);
    let browser = idp.browser();
    code(&idp, &browser, "web", "openid", &pkce(), "ada@example.com").await;
    let hinted = |hint: &str, extra: &[(&'static str, &'static str)]| {
        let mut params = vec![("id_token_hint", hint.to_owned())];
        params.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        authorize_url(&idp, "web", "openid", &pkce(), &params)
    };
    let silent = browser.get(&hinted(&eve, &[("prompt", "none")])).await;
    assert_eq!(
        error_of(&silent.location()),
        "login_required",
        "Ada's session is not Eve's"
    );
    let own = browser.get(&hinted(&ada, &[("prompt", "none")])).await;
    assert!(query_param(&own.location(), "code").is_some(), "{}", own.location());

    let login = browser.follow(browser.get(&hinted(&eve, &[])).await).await;
    assert!(login.body.contains(r#"action="/login""#), "Eve must sign in");
    let wrong = browser
        .follow(
            browser
                .submit(
                    &login,
                    "/login",
                    &[
                        ("email", "ada@example.com"),
                        ("password", crate::support::idp::PASSWORD),
                    ],
                )
                .await,
        )
        .await;
    assert_eq!(
        error_of(&wrong.location()),
        "login_required",
        "signed in as someone else"
    );
    let login = browser.follow(browser.get(&hinted(&eve, &[])).await).await;
    let right = sign_in(&browser, login, "eve@example.com").await;
    assert!(query_param(&right.location(), "code").is_some(), "{}", right.location());
}

async fn an_id_token_hint_not_issued_here_is_refused(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let tokens = tokens_for(&idp, "ada@example.com", "openid").await;
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let id = id_token(&tokens);
    let other = id_token(&tokens_for(&idp, "ada@example.com", "openid").await);
    let (parts, other_parts): (Vec<&str>, Vec<&str>) = (id.split('.').collect(), other.split('.').collect());
    assert_ne!(parts[1], other_parts[1]);
    // Another token's claims under this token's signature.
    let tampered = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    for hint in ["not-a-token", access_token.as_str(), tampered.as_str()] {
        let page = idp
            .browser()
            .get(&authorize_url(
                &idp,
                "web",
                "openid",
                &pkce(),
                &[("id_token_hint", hint)],
            ))
            .await;
        assert_eq!(error_of(&page.location()), "invalid_request", "{hint}");
    }
}

async fn acr_values_are_met_where_possible_and_reported(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let browser = idp.browser();
    let pkce = pkce();
    let wanted = [("acr_values", "urn:vestibule:acr:mfa urn:vestibule:acr:password")];
    let login = browser
        .follow(browser.get(&authorize_url(&idp, "web", "openid", &pkce, &wanted)).await)
        .await;
    let done = sign_in(&browser, login, "ada@example.com").await;
    let code = query_param(&done.location(), "code").unwrap();
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    let id_token = claims(&id_token(&tokens));
    assert_eq!(id_token["acr"], "urn:vestibule:acr:password", "the preferred class met");
    assert_eq!(id_token["amr"], serde_json::json!(["pwd"]));
}

async fn an_essential_acr_that_cannot_be_met_fails_the_request(backend: Backend) {
    let idp = TestIdp::start(backend).await;
    idp.user("ada@example.com").await;
    let essential = |value: &str| format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":["{value}"]}}}}}}"#);
    let browser = idp.browser();
    let mfa = essential("urn:vestibule:acr:mfa");
    let page = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("claims", &mfa)]))
        .await;
    assert_eq!(error_of(&page.location()), "unmet_authentication_requirements");
    assert_eq!(query_param(&page.location(), "state").as_deref(), Some("st4te"));
    let unknown = essential("urn:example:loa:4");
    let page = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("claims", &unknown)]))
        .await;
    assert_eq!(error_of(&page.location()), "unmet_authentication_requirements");
    let page = browser
        .get(&authorize_url(&idp, "web", "openid", &pkce(), &[("claims", "[1]")]))
        .await;
    assert_eq!(
        error_of(&page.location()),
        "invalid_request",
        "claims must be an object"
    );

    let pkce = pkce();
    let password = essential("urn:vestibule:acr:password");
    let login = browser
        .follow(
            browser
                .get(&authorize_url(&idp, "web", "openid", &pkce, &[("claims", &password)]))
                .await,
        )
        .await;
    let done = sign_in(&browser, login, "ada@example.com").await;
    let code = query_param(&done.location(), "code").unwrap();
    let tokens = exchange_web(&idp, &code, &pkce.verifier).await.json();
    assert_eq!(claims(&id_token(&tokens))["acr"], "urn:vestibule:acr:password");
}

on_both_backends!(
    unknown_client_gets_an_error_page_and_no_redirect,
    unregistered_redirect_uri_gets_an_error_page_and_no_redirect,
    protocol_errors_go_back_to_the_client_with_state,
    repeated_parameters_are_refused,
    prompt_none_without_a_session_returns_login_required,
    prompt_none_with_a_session_issues_a_code_silently,
    prompt_none_for_a_third_party_without_consent_returns_consent_required,
    prompt_login_and_max_age_demand_a_fresh_sign_in,
    a_clients_default_max_age_and_acr_values_apply_to_requests_without_their_own,
    third_party_clients_ask_for_consent_once_and_first_party_never,
    state_comes_back_exactly_as_sent,
    loopback_redirect_uris_match_on_any_port,
    pages_follow_ui_locales_then_accept_language,
    an_id_token_hint_naming_someone_else_does_not_reuse_the_session,
    an_id_token_hint_not_issued_here_is_refused,
    acr_values_are_met_where_possible_and_reported,
    an_essential_acr_that_cannot_be_met_fails_the_request,
);
