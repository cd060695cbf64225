//! The account page: profile, password change, sessions with revoke, sign-out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;
use vestibule_crds::v1alpha1::ProfileAttribute;

use super::cookies;
use super::fields::{self, Field};
use super::flow;
use super::page::{Page, message, render};
use super::register::policy_messages;
use super::session::{self, SignedIn};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
// Forms pass the CSRF check before a handler runs: a forged one gets 403 and changes nothing.
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::i18n::Messages;
use crate::ids::SessionId;
use crate::password::check_new_password;
use crate::request_info::RequestInfo;
use crate::risk::Action;
use crate::risk::lockout::{self, Verdict};
use crate::store::{AuditEvent, Session, User};

/// A session as the account page lists it.
#[derive(Debug)]
struct SessionRow {
    id: String,
    device: String,
    signed_in: String,
    ip: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: &'a Page,
    email: &'a str,
    /// Accounts made through a provider have none: they set one by an emailed link.
    has_password: bool,
    notice: Option<&'a str>,
    fields: Vec<Field>,
    current_error: Option<&'a str>,
    password_hint: String,
    password_errors: Vec<String>,
    sessions: Vec<SessionRow>,
    identities: super::social::AccountIdentities,
    /// A confirmed authenticator app.
    totp: bool,
    /// The tenant's policies accept authenticator apps: the page offers to set one up.
    totp_offered: bool,
    /// Devices that skip the second factor for a while.
    trusted_devices: Vec<super::devices::DeviceRow>,
    /// The authentication is too old to change factors without the password again.
    reauth: bool,
    mfa_error: Option<&'a str>,
    /// Recovery codes, when offered: how many are left, as a sentence.
    recovery_codes: Option<RecoveryCodes>,
    /// Codes by email, when offered (or on): whether they are on.
    email_otp: Option<bool>,
    /// Passkeys work under this issuer (its host is a domain).
    passkeys: bool,
    /// The privacy choices, when the tenant serves a consent policy.
    privacy: Option<super::account_privacy::AccountPrivacy>,
}

/// The recovery codes as the account page shows them.
#[derive(Debug)]
struct RecoveryCodes {
    /// Unused codes.
    left: i64,
    /// "N unused codes are left".
    sentence: String,
}

/// What to show above the forms, and form errors to show in them.
#[derive(Default)]
struct Outcome {
    notice: Option<&'static str>,
    fields: Option<Vec<Field>>,
    current_error: Option<&'static str>,
    password_errors: Vec<String>,
    mfa_error: Option<&'static str>,
}

/// Query of the account page.
#[derive(Debug, Deserialize)]
pub struct AccountQuery {
    saved: Option<String>,
}

/// `GET /account`.
pub async fn account_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<AccountQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let Some(signed_in) = session::current(&state, &tenant, &headers).await? else {
        return super::resume::start(&state, &tenant, &headers, &info).await;
    };
    // A session that owes its second factor shows nothing: the sign-in asks for the code.
    if session::second_factor_due(&state, &tenant, &signed_in).await? {
        return super::resume::start(&state, &tenant, &headers, &info).await;
    }
    // A password found breached is replaced first: the account sign-in asks for a new one.
    if session::new_password_due(&signed_in) {
        return super::resume::start(&state, &tenant, &headers, &info).await;
    }
    let page = Page::new(&tenant, &headers, &[], None);
    let notice = match query.saved.as_deref() {
        Some("profile") => Some(page.t.saved),
        Some("password") => Some(page.t.password_changed),
        Some("identity-linked") => Some(page.t.identity_linked),
        Some("identity-unlinked") => Some(page.t.identity_unlinked),
        Some("last-method") => Some(page.t.last_sign_in_method),
        Some("totp-enabled") => Some(page.t.totp_enabled),
        Some("totp-removed") => Some(page.t.totp_removed),
        Some("devices-revoked") => Some(page.t.trusted_devices_revoked),
        Some("email-otp-enabled") => Some(page.t.email_otp_enabled),
        Some("email-otp-disabled") => Some(page.t.email_otp_disabled),
        Some("privacy") => Some(page.t.privacy_saved),
        _ => None,
    };
    show(
        &state,
        &tenant,
        page,
        &signed_in,
        Outcome {
            notice,
            ..Outcome::default()
        },
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    signed_in: &SignedIn,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, Error> {
    let page = page.clone().titled(page.t.account_title);
    let t = page.t;
    let user = &signed_in.user;
    let fields = outcome.fields.unwrap_or_else(|| {
        ProfileAttribute::ALL
            .iter()
            .map(|attribute| fields::field(t, *attribute, user.attribute(*attribute).unwrap_or_default(), None))
            .collect()
    });
    let sessions = state
        .store
        .sessions_of_user(&user.id)
        .await?
        .into_iter()
        .map(|session| row(session, &signed_in.session.id))
        .collect();
    let password_hint = t.password_hint(tenant.config.password_policy.min_length);
    let identities = super::social::account_identities(state, tenant, t, user).await?;
    let template = AccountPage {
        page: &page,
        email: &user.email,
        has_password: user.has_password(),
        notice: outcome.notice,
        fields,
        current_error: outcome.current_error,
        password_hint,
        password_errors: outcome.password_errors,
        sessions,
        identities,
        totp: state.store.has_totp(&user.id).await?,
        totp_offered: crate::mfa::Policy::for_account(&tenant.config)
            .is_some_and(|policy| policy.allows(crate::mfa::Factor::Totp)),
        trusted_devices: super::devices::rows(state, &user.id).await?,
        reauth: !super::factor_change::recent(state, signed_in),
        mfa_error: outcome.mfa_error,
        recovery_codes: recovery_codes(state, tenant, t, user).await?,
        email_otp: email_otp(state, tenant, user).await?,
        passkeys: crate::mfa::passkey::offered(tenant),
        privacy: super::account_privacy::section(state, tenant, t, user).await?,
    };
    Ok(render(&template, &page, status, &[]))
}

async fn recovery_codes(
    state: &AppState,
    tenant: &Tenant,
    t: &Messages,
    user: &User,
) -> Result<Option<RecoveryCodes>, Error> {
    if !crate::mfa::recovery_codes::offered(state, tenant, user).await? {
        return Ok(None);
    }
    let left = state.store.recovery_codes_left(&user.id).await?;
    let sentence = t.recovery_codes_left(u32::try_from(left).unwrap_or(0));
    Ok(Some(RecoveryCodes { left, sentence }))
}

async fn email_otp(state: &AppState, tenant: &Tenant, user: &User) -> Result<Option<bool>, Error> {
    let on = state.store.email_otp_enabled(&user.id).await?;
    // Codes that are on can always be turned off, even where no policy offers them any more.
    let shown = on || crate::mfa::email_code::enrolment_offered(tenant, user);
    Ok(shown.then_some(on))
}

/// The account page again, saying that `what` was saved.
pub(super) fn saved(tenant: &Tenant, what: &str) -> Response {
    flow::see_other(&format!("{}?saved={what}", tenant.path("/account")), &[])
}

/// The account page with a refused factor change and why.
pub(super) async fn refused(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    signed_in: &SignedIn,
    error: &'static str,
    status: StatusCode,
) -> Result<Response, Error> {
    let outcome = Outcome {
        mfa_error: Some(error),
        ..Outcome::default()
    };
    show(state, tenant, page, signed_in, outcome, status).await
}

fn row(session: Session, current: &SessionId) -> SessionRow {
    let signed_in = jiff::Timestamp::from_second(session.created_at.seconds())
        .map(|at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    SessionRow {
        current: session.id == *current,
        device: session
            .user_agent
            .map(|agent| agent.chars().take(60).collect())
            .unwrap_or_default(),
        signed_in,
        ip: session.ip.unwrap_or_default(),
        id: session.id.to_string(),
    }
}

/// `POST /account/profile`.
pub async fn profile_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let fields::Submitted {
        update,
        fields: rendered,
        valid: ok,
    } = fields::read(page.t, ProfileAttribute::ALL, &form, true);
    if !ok {
        let outcome = Outcome {
            fields: Some(rendered),
            ..Outcome::default()
        };
        return show(&state, &tenant, page, &signed_in, outcome, StatusCode::BAD_REQUEST).await;
    }
    state
        .store
        .update_profile(&signed_in.user.id, &update, state.now())
        .await?;
    crate::audit::record(
        &state,
        AuditEvent::ProfileUpdated,
        Some(&signed_in.user.id),
        None,
        &info,
    )
    .await;
    Ok(saved(&tenant, "profile"))
}

/// `POST /account/password`: needs the current password; ends the other sessions and their
/// grants.
pub async fn password_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let page = Page::new(&tenant, &headers, &[], None);
    let t = page.t;
    let user = &signed_in.user;
    // No current password to prove: a password is set through an emailed link, so a stolen
    // session cannot give a provider-only account a password.
    if !user.has_password() {
        let outcome = Outcome {
            current_error: Some(t.no_password_to_change),
            ..Outcome::default()
        };
        return show(&state, &tenant, page, &signed_in, outcome, StatusCode::BAD_REQUEST).await;
    }
    let current = SecretString::new(form.get("current_password").unwrap_or_default());
    // A stolen session must not become a password oracle: the same limits as the sign-in page.
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    let verdict = if state.limiter.allow(Action::Login, info.ip, limit, state.now()).await {
        lockout::check_password(&state, &tenant, &info, Some(user), &user.email, &current).await?
    } else {
        Verdict::AddressBlocked
    };
    if verdict != Verdict::Accepted {
        let (current_error, status) = match verdict {
            Verdict::AddressBlocked => (t.too_many_failures, StatusCode::TOO_MANY_REQUESTS),
            _ => (t.wrong_current_password, StatusCode::BAD_REQUEST),
        };
        let outcome = Outcome {
            current_error: Some(current_error),
            ..Outcome::default()
        };
        return show(&state, &tenant, page, &signed_in, outcome, status).await;
    }
    let new_password = SecretString::new(form.get("new_password").unwrap_or_default());
    let violations = check_new_password(&state, &tenant, new_password.expose(), &user.email).await;
    if !violations.is_empty() {
        let outcome = Outcome {
            password_errors: policy_messages(t, &violations),
            ..Outcome::default()
        };
        return show(&state, &tenant, page, &signed_in, outcome, StatusCode::BAD_REQUEST).await;
    }
    let hash = state.hasher.hash(&new_password).await?;
    state.store.set_password(&user.id, &hash, state.now()).await?;
    // Whoever knew the old password may hold sessions or refresh tokens: all of them end,
    // except this session's, as after a reset.
    state
        .store
        .delete_other_sessions(&user.id, Some(&signed_in.session.id))
        .await?;
    state
        .store
        .revoke_other_grants(&user.id, &signed_in.session.id, state.now())
        .await?;
    crate::audit::record(&state, AuditEvent::PasswordChanged, Some(&user.id), None, &info).await;
    super::devices::revoke_all(&state, &user.id, &info, "password changed").await?;
    // Told at the address, so a change by whoever took the session is noticed and undone.
    crate::authn::notice::password_changed(&state, &headers, user).await?;
    Ok(saved(&tenant, "password"))
}

/// `POST /account/sessions/revoke`: ends one of the customer's other sessions and its grants.
pub async fn revoke_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let target = SessionId::new(form.get("session").unwrap_or_default());
    if state.store.delete_session(&signed_in.user.id, &target).await? {
        state
            .store
            .revoke_grants(&signed_in.user.id, Some(&target), state.now())
            .await?;
        crate::audit::record_detail(
            &state,
            AuditEvent::SessionRevoked,
            Some(&signed_in.user.id),
            None,
            &info,
            Some(target.to_string()),
        )
        .await;
    }
    Ok(flow::see_other(&tenant.path("/account"), &[]))
}

/// `POST /logout`: ends this session.
pub async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let form = Params::parse(&body).unwrap_or_default();
    let page = Page::new(&tenant, &headers, &[], None);
    let t = page.t;
    // Another site's form (or an expired page) signs nobody out and clears no cookie.
    if !super::csrf::verify(&tenant, &headers, form.get("csrf")) {
        return Ok(message(
            page,
            t.error_title,
            t.form_expired,
            None,
            StatusCode::FORBIDDEN,
        ));
    }
    if let Some(signed_in) = session::current(&state, &tenant, &headers).await? {
        session::end(&state, &signed_in, &info).await?;
    }
    let link = page.link("/login");
    let mut response = message(
        page,
        t.signed_out_title,
        t.signed_out_body,
        Some((link, t.sign_in)),
        StatusCode::OK,
    );
    response
        .headers_mut()
        .append(axum::http::header::SET_COOKIE, cookies::clear(&tenant.cookies.session));
    Ok(response)
}
