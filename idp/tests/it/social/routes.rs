//! Social sign-in through the IdP's own routes, a browser-like client travelling between the
//! IdP and a scriptable OpenID provider: registration on the first sign-in, sign-in on the
//! second (`amr` has `fed`), the linking modes, unlink, the account page, and every hostile
//! answer refused with a page and an audit entry, nothing linked or created.

use serde_json::{Value, json};
use vestibule_crds::config::{SocialProviderConfig, TenantConfig};
use vestibule_crds::v1alpha1::AccountLinking;
use vestibule_idp::store::{NewUser, ProfileUpdate};

use super::fake_op::{FakeOp, Forge, Mode, Options};
use super::oidc_entry;
use crate::flow::{authorize_url, claims, exchange_web, pkce};
use crate::support::browser::{Page, query_param};
use crate::support::idp::{PASSWORD, REDIRECT};
use crate::support::{Backend, Browser, TestIdp};

/// The start route of the test provider (`team.upstream`).
pub const START: &str = "/social/team.upstream/start";
/// Its callback path.
pub const CALLBACK: &str = "/social/team.upstream/callback";

/// Follows redirects wherever they lead (the IdP, the provider) until a page, or the redirect to
/// the application.
pub async fn travel(browser: &Browser, mut page: Page) -> Page {
    for _ in 0..20 {
        if !page.status.is_redirection() {
            return page;
        }
        let location = page.location();
        if location.starts_with(REDIRECT) {
            return page;
        }
        let next = url::Url::parse(&page.url).unwrap().join(&location).unwrap();
        page = browser.get(next.as_str()).await;
    }
    panic!("too many redirects");
}

/// The IdP with `entry` as its only provider.
pub async fn idp_with(backend: Backend, entry: SocialProviderConfig, edit: impl FnOnce(&mut TenantConfig)) -> TestIdp {
    TestIdp::start_with(backend, |config| {
        config.social_providers = vec![entry];
        edit(config);
    })
    .await
}

/// The IdP with the fake provider, linking by `linking`.
async fn with_fake(backend: Backend, linking: AccountLinking) -> (FakeOp, TestIdp) {
    let op = FakeOp::start(Options::default()).await;
    let entry = SocialProviderConfig {
        linking,
        ..oidc_entry(&op.issuer)
    };
    let idp = idp_with(backend, entry, |_| {}).await;
    (op, idp)
}

/// An application's sign-in through the provider: the login page, its provider button, the
/// journey; returns the last response (the redirect to the application, or a page).
pub async fn through_provider(idp: &TestIdp, browser: &Browser, verifier_out: &mut String) -> Page {
    let pkce = pkce();
    *verifier_out = pkce.verifier.clone();
    let login = browser
        .follow(
            browser
                .get(&authorize_url(idp, "web", "openid email profile", &pkce, &[]))
                .await,
        )
        .await;
    assert!(login.body.contains("Sign in with Upstream"), "{}", login.body);
    let started = browser.submit(&login, START, &[]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    travel(browser, started).await
}

/// The ID token of a journey that reached the application.
pub async fn id_token(idp: &TestIdp, done: &Page, verifier: &str) -> Value {
    let location = done.location();
    assert!(location.starts_with(REDIRECT), "{location}");
    let code = query_param(&location, "code").unwrap();
    let tokens = exchange_web(idp, &code, verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let body = tokens.json();
    assert!(
        !tokens.body.contains("upstream-access-token"),
        "upstream tokens never reach our clients"
    );
    claims(body["id_token"].as_str().unwrap())
}

async fn audit_details(idp: &TestIdp, event: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT COALESCE(detail, '') FROM audit_log WHERE event = $1")
        .bind(event)
        .fetch_all(idp.state.store.pool())
        .await
        .unwrap()
}

async fn count(idp: &TestIdp, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(idp.state.store.pool())
        .await
        .unwrap()
}

async fn the_first_sign_in_registers_and_the_second_signs_in_with_fed(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let mut verifier = String::new();
    let first = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let claims = id_token(&idp, &first, &verifier).await;
    assert_eq!(claims["amr"], json!(["fed"]), "{claims}");
    let user = idp
        .state
        .store
        .user_by_email("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims["sub"], user.id.as_str());
    assert!(
        !user.has_password(),
        "an account made through a provider has no password"
    );
    assert!(user.email_verified, "the provider verified it");
    let identities = idp.state.store.identities_of_user(&user.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "upstream-user-1");
    assert_eq!(audit_details(&idp, "registered").await, vec!["provider=team.upstream"]);

    let second = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let again = id_token(&idp, &second, &verifier).await;
    assert_eq!(
        again["sub"],
        user.id.as_str(),
        "the linked identity signs the same customer in"
    );
    assert_eq!(count(&idp, "users").await, 1);

    // No password: a password sign-in fails exactly like a wrong password.
    let browser = idp.browser();
    let login = browser.get("/login").await;
    let refused = browser
        .submit(
            &login,
            "/login",
            &[("email", "carol@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

async fn an_account_without_a_password_recovers_by_email(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let mut verifier = String::new();
    through_provider(&idp, &idp.browser(), &mut verifier).await;
    let browser = idp.browser();
    let forgot = browser.get("/forgot").await;
    browser
        .submit(&forgot, "/forgot", &[("email", "carol@example.com")])
        .await;
    let link = idp
        .smtp
        .wait_for("carol@example.com", 1)
        .await
        .link(&idp.url("/reset?token="));
    let form = browser.get(&link).await;
    let done = browser
        .submit(&form, "/reset", &[("password", "a brand new passphrase")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let login = browser.get("/login").await;
    let signed = browser
        .submit(
            &login,
            "/login",
            &[("email", "carol@example.com"), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
}

async fn an_account_without_a_password_is_offered_a_link_not_a_change_form(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let browser = idp.browser();
    let mut verifier = String::new();
    through_provider(&idp, &browser, &mut verifier).await;
    let account = browser.get("/account").await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains(r#"href="/forgot""#), "{}", account.body);
    assert!(!account.body.contains("current_password"), "{}", account.body);
    // A forged form (the page offers none) with the page's valid CSRF token.
    let csrf = account.hidden("csrf");
    let refused = browser
        .post(
            "/account/password",
            &[
                ("csrf", csrf.as_str()),
                ("current_password", ""),
                ("new_password", "a password set without proof"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let user = idp
        .state
        .store
        .user_by_email("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.has_password(), "a session alone set a password");
}

async fn required_attributes_the_provider_did_not_give_are_asked_on_the_profile_page(backend: Backend) {
    use vestibule_crds::v1alpha1::ProfileAttribute;
    let op = FakeOp::start(Options::default()).await;
    let mut mode = Mode::default();
    mode.id_token.insert("given_name".into(), json!("Carol"));
    op.set_mode(mode);
    let idp = idp_with(backend, oidc_entry(&op.issuer), |config| {
        config.registration.required_attributes = vec![ProfileAttribute::GivenName, ProfileAttribute::Birthdate];
    })
    .await;
    let browser = idp.browser();
    let mut verifier = String::new();
    let page = through_provider(&idp, &browser, &mut verifier).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"action="/profile""#), "{}", page.body);
    assert!(page.body.contains(r#"name="birthdate""#));
    assert!(!page.body.contains(r#"name="given_name""#), "the provider gave it");
    assert!(
        !page.body.contains(r#"value="skip""#),
        "required attributes cannot be skipped"
    );
    let done = browser.submit(&page, "/profile", &[("birthdate", "1990-01-02")]).await;
    let done = travel(&browser, done).await;
    let claims = id_token(&idp, &done, &verifier).await;
    assert_eq!(claims["amr"], json!(["fed"]));
}

async fn an_unproven_account_is_taken_over_by_the_owner_of_its_address(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    // An attacker registered the victim's address first, with a password of their own.
    let hash = idp
        .state
        .hasher
        .hash(&vestibule_crds::SecretString::new("the attacker's passphrase"))
        .await
        .unwrap();
    let squatted = NewUser {
        email: "carol@example.com".into(),
        password_hash: hash,
        profile: ProfileUpdate::default(),
        email_verified: false,
        locale: Some("en".into()),
    };
    let now = idp.state.now();
    let account = idp.state.store.create_user(squatted, now).await.unwrap().unwrap();
    let attacker = idp.browser();
    let login = attacker.get("/login").await;
    attacker
        .submit(
            &login,
            "/login",
            &[
                ("email", "carol@example.com"),
                ("password", "the attacker's passphrase"),
            ],
        )
        .await;

    let mut verifier = String::new();
    let done = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(id_token(&idp, &done, &verifier).await["sub"], account.id.as_str());
    let taken = idp.state.store.user_by_id(&account.id).await.unwrap().unwrap();
    assert!(taken.email_verified);
    assert!(!taken.has_password(), "the attacker's password still opens the account");
    let sessions = idp.state.store.sessions_of_user(&account.id).await.unwrap();
    assert_eq!(sessions.len(), 1, "only the owner's new session remains: {sessions:?}");
    let login = attacker.get("/login").await;
    let refused = attacker
        .submit(
            &login,
            "/login",
            &[
                ("email", "carol@example.com"),
                ("password", "the attacker's passphrase"),
            ],
        )
        .await;
    assert_ne!(refused.status, 303, "{}", refused.body);
}

async fn a_verified_email_links_to_the_existing_account(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let carol = idp.user("carol@example.com").await;
    let mut verifier = String::new();
    let done = through_provider(&idp, &idp.browser(), &mut verifier).await;
    let claims = id_token(&idp, &done, &verifier).await;
    assert_eq!(claims["sub"], carol.id.as_str());
    assert_eq!(claims["amr"], json!(["fed"]));
    assert_eq!(idp.state.store.identities_of_user(&carol.id).await.unwrap().len(), 1);
    assert_eq!(
        audit_details(&idp, "identity_linked").await,
        vec!["provider=team.upstream"]
    );
}

async fn an_unverified_upstream_email_never_links(backend: Backend) {
    for linking in [AccountLinking::VerifiedEmail, AccountLinking::Prompt] {
        let (op, idp) = with_fake(backend, linking).await;
        let mut mode = Mode::default();
        mode.id_token.insert("email_verified".into(), json!(false));
        op.set_mode(mode);
        let carol = idp.user("carol@example.com").await;
        let mut verifier = String::new();
        let page = through_provider(&idp, &idp.browser(), &mut verifier).await;
        assert_eq!(page.status, 409, "{linking:?}: {}", page.body);
        assert!(page.body.contains("did not confirm"), "{}", page.body);
        assert!(
            !page.body.contains("your password"),
            "nothing is told about the account"
        );
        assert!(idp.state.store.identities_of_user(&carol.id).await.unwrap().is_empty());
        assert_eq!(count(&idp, "users").await, 1);
    }
}

async fn linking_never_names_the_accounts_sign_in_method_in_german(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::Never).await;
    let carol = idp.user("carol@example.com").await;
    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let login = browser.get("/login").await;
    assert!(login.body.contains("Anmelden mit Upstream"), "{}", login.body);
    let page = travel(&browser, browser.submit(&login, START, &[]).await).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("Ihrem Passwort"), "{}", page.body);
    assert!(idp.state.store.identities_of_user(&carol.id).await.unwrap().is_empty());
}

async fn linking_by_prompt_asks_for_the_accounts_password_first(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::Prompt).await;
    let carol = idp.user("carol@example.com").await;
    let browser = idp.browser();
    let mut verifier = String::new();
    let page = through_provider(&idp, &browser, &mut verifier).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"action="/social/link""#), "{}", page.body);
    assert!(idp.state.store.identities_of_user(&carol.id).await.unwrap().is_empty());
    let wrong = browser
        .submit(&page, "/social/link", &[("password", "not the password")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(idp.state.store.identities_of_user(&carol.id).await.unwrap().is_empty());
    let done = travel(
        &browser,
        browser.submit(&wrong, "/social/link", &[("password", PASSWORD)]).await,
    )
    .await;
    let claims = id_token(&idp, &done, &verifier).await;
    assert_eq!(claims["sub"], carol.id.as_str());
    let amr = claims["amr"].as_array().unwrap();
    assert!(amr.contains(&json!("fed")) && amr.contains(&json!("pwd")), "{amr:?}");
    assert_eq!(idp.state.store.identities_of_user(&carol.id).await.unwrap().len(), 1);

    // Linked now: the next sign-in through the provider needs no password.
    let again = through_provider(&idp, &idp.browser(), &mut verifier).await;
    assert_eq!(id_token(&idp, &again, &verifier).await["sub"], carol.id.as_str());
}

async fn the_account_page_links_and_unlinks_and_keeps_the_last_method(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::Never).await;
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
    let account = browser.get("/account").await;
    assert!(account.body.contains("Link Upstream"), "{}", account.body);
    let linked = travel(&browser, browser.submit(&account, START, &[("intent", "link")]).await).await;
    assert!(linked.url.ends_with("/account?saved=identity-linked"), "{}", linked.url);
    let ada = idp.state.store.user_by_email("ada@example.com").await.unwrap().unwrap();
    assert_eq!(idp.state.store.identities_of_user(&ada.id).await.unwrap().len(), 1);
    let account = browser.get("/account?saved=identity-linked").await;
    assert!(account.body.contains("is linked to your account"));
    let unlinked = browser.submit(&account, "/account/identities/unlink", &[]).await;
    assert!(unlinked.location().ends_with("saved=identity-unlinked"));
    assert!(idp.state.store.identities_of_user(&ada.id).await.unwrap().is_empty());
    assert_eq!(
        audit_details(&idp, "identity_unlinked").await,
        vec!["provider=team.upstream"]
    );

    // A customer whose only way in is the provider keeps it.
    let carol_browser = idp.browser();
    let mut verifier = String::new();
    through_provider(&idp, &carol_browser, &mut verifier).await;
    let account = carol_browser.get("/account").await;
    let kept = carol_browser.submit(&account, "/account/identities/unlink", &[]).await;
    assert!(kept.location().ends_with("saved=last-method"), "{}", kept.location());
    let carol = idp
        .state
        .store
        .user_by_email("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(idp.state.store.identities_of_user(&carol.id).await.unwrap().len(), 1);
    let page = carol_browser.get("/account?saved=last-method").await;
    assert!(page.body.contains("only way to sign in"));
    let forged = carol_browser
        .post(
            "/account/identities/unlink",
            &[
                ("provider", "team.upstream"),
                ("subject", "upstream-user-1"),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
}

on_both_backends!(
    hostile_id_tokens_are_refused_with_a_page_and_an_audit_entry,
    replayed_and_foreign_states_are_refused,
    a_nonce_from_another_sign_in_is_refused,
    a_cancelled_sign_in_is_a_localized_page_with_a_retry_link,
    a_form_post_answer_hops_to_our_own_get_before_reading_cookies,
    the_first_sign_in_registers_and_the_second_signs_in_with_fed,
    an_account_without_a_password_recovers_by_email,
    an_account_without_a_password_is_offered_a_link_not_a_change_form,
    an_unproven_account_is_taken_over_by_the_owner_of_its_address,
    required_attributes_the_provider_did_not_give_are_asked_on_the_profile_page,
    a_verified_email_links_to_the_existing_account,
    an_unverified_upstream_email_never_links,
    linking_never_names_the_accounts_sign_in_method_in_german,
    linking_by_prompt_asks_for_the_accounts_password_first,
    the_account_page_links_and_unlinks_and_keeps_the_last_method,
);

/// Starts a sign-in at the provider button and returns the browser's redirect to the provider.
async fn started(browser: &Browser) -> url::Url {
    let login = browser.get("/login").await;
    let started = browser.submit(&login, START, &[]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    url::Url::parse(&started.location()).unwrap()
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs().find(|(n, _)| n == name).unwrap().1.into_owned()
}

/// A refused answer: the failure page with a retry link, the audit entry naming the reason,
/// and no account.
async fn assert_refused(idp: &TestIdp, page: &Page, status: u16, reason: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.body.contains(r#"href="/login"#), "a retry link: {}", page.body);
    let details = audit_details(idp, "social_sign_in_failed").await;
    assert!(
        details
            .iter()
            .any(|d| d == &format!("provider=team.upstream reason={reason}")),
        "{details:?}"
    );
    assert_eq!(count(idp, "users").await, 0, "nothing is created");
    assert_eq!(count(idp, "linked_identities").await, 0, "nothing is linked");
}

async fn hostile_id_tokens_are_refused_with_a_page_and_an_audit_entry(backend: Backend) {
    let cases: Vec<(Mode, &str)> = vec![
        (
            Mode {
                forge: Some(Forge::AlgNone),
                ..Mode::default()
            },
            "alg none",
        ),
        (
            Mode {
                forge: Some(Forge::HmacWithPublicKey),
                ..Mode::default()
            },
            "hmac",
        ),
        (
            Mode {
                forge: Some(Forge::UnpublishedKey),
                ..Mode::default()
            },
            "unpublished key",
        ),
        (
            Mode {
                id_token: [("iss".to_owned(), json!("https://evil.example.com"))]
                    .into_iter()
                    .collect(),
                ..Mode::default()
            },
            "iss",
        ),
        (
            Mode {
                id_token: [("aud".to_owned(), json!("someone-else"))].into_iter().collect(),
                ..Mode::default()
            },
            "aud",
        ),
    ];
    for (mode, case) in cases {
        let (op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
        op.set_mode(mode);
        let browser = idp.browser();
        let page = travel(&browser, browser.get(started(&browser).await.as_str()).await).await;
        assert_eq!(page.status, 400, "{case}: {}", page.body);
        assert_refused(&idp, &page, 400, "invalid_id_token").await;
    }
}

async fn replayed_and_foreign_states_are_refused(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let browser = idp.browser();
    let upstream = started(&browser).await;
    let answer = browser.get(upstream.as_str()).await;
    let callback = answer.location();
    assert!(callback.contains(CALLBACK), "{callback}");

    // Another browser presenting this browser's answer finds no sign-in awaiting it.
    let thief = idp.browser();
    let stolen = thief.get(&callback).await;
    assert_refused(&idp, &stolen, 400, "state_mismatch").await;

    let done = travel(&browser, browser.get(&callback).await).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.url.ends_with("/account"),
        "signed in, on the account page: {}",
        done.url
    );
    let users = count(&idp, "users").await;
    assert_eq!(users, 1);
    let replayed = browser.get(&callback).await;
    assert_eq!(replayed.status, 400, "a state is used once: {}", replayed.body);
    assert_eq!(count(&idp, "users").await, users);
}

async fn a_nonce_from_another_sign_in_is_refused(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let browser = idp.browser();
    let first = started(&browser).await;
    let second = started(&browser).await;
    let mut spliced = first.clone();
    let pairs: Vec<(String, String)> = first
        .query_pairs()
        .map(|(n, v)| {
            let v = if n == "nonce" {
                param(&second, "nonce")
            } else {
                v.into_owned()
            };
            (n.into_owned(), v)
        })
        .collect();
    spliced.query_pairs_mut().clear().extend_pairs(pairs);
    let page = travel(&browser, browser.get(spliced.as_str()).await).await;
    assert_refused(&idp, &page, 400, "invalid_id_token").await;
}

async fn a_cancelled_sign_in_is_a_localized_page_with_a_retry_link(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    let mut browser = idp.browser();
    browser.accept_language = Some("de".into());
    let upstream = started(&browser).await;
    let state = param(&upstream, "state");
    let page = browser
        .get(&format!("{CALLBACK}?error=access_denied&state={state}"))
        .await;
    assert_refused(&idp, &page, 403, "access_denied").await;
    assert!(page.body.contains("abgebrochen"), "{}", page.body);
}

async fn a_form_post_answer_hops_to_our_own_get_before_reading_cookies(backend: Backend) {
    let (_op, idp) = with_fake(backend, AccountLinking::VerifiedEmail).await;
    // Another site's POST: no cookie, no CSRF token, and nothing is read or changed.
    let posted = idp
        .browser()
        .post(
            CALLBACK,
            &[
                ("code", "c0de"),
                ("state", "st&te"),
                ("user", r#"{"name":{}}"#),
                ("extra", "x"),
            ],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.location();
    assert!(location.starts_with(&format!("{CALLBACK}?")), "{location}");
    let url = url::Url::parse(&idp.url(&location)).unwrap();
    assert_eq!(param(&url, "code"), "c0de");
    assert_eq!(param(&url, "state"), "st&te");
    assert!(
        url.query_pairs().all(|(n, _)| n != "extra"),
        "only callback parameters are carried"
    );
}
