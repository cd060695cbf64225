//! Self-service registration, with the tenant's required attributes and password policy.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::fields::{self, Field};
use super::flow;
use super::form::Submission;
use super::page::{Page, message, render};
use super::privacy_choices::{self, Choices};
use super::session;
use crate::app::AppState;
use crate::authn::{Amr, Method, SignIn};
use crate::config::Tenant;
use crate::email::{self, Kind};
use crate::error::Error;
use crate::http::params::Params;
use crate::i18n::Messages;
use crate::ids::UserId;
use crate::password::{PolicyViolation, check_new_password};
use crate::privacy::records::{Answer, Given};
use crate::request_info::RequestInfo;
use crate::store::{AuditEvent, ConsentSource, EmailPurpose, NewUser};

/// Verification links work this long.
pub const VERIFY_LIFETIME: i64 = 24 * 3600;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    page: &'a Page,
    email: &'a str,
    email_error: Option<&'a str>,
    fields: Vec<Field>,
    password_hint: String,
    password_errors: Vec<String>,
    /// The documents and purposes of the tenant's consent policy, if it serves one.
    privacy: Option<Choices>,
}

/// What the form shows besides the page: the values and errors of a refused submission.
struct Filled<'a> {
    email: &'a str,
    email_error: Option<&'a str>,
    fields: Vec<Field>,
    password_errors: Vec<String>,
    privacy: Option<Choices>,
}

/// Query of the registration page.
#[derive(Debug, Deserialize)]
pub struct RegisterQuery {
    request: Option<String>,
}

/// `GET /register`.
pub async fn register_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let locales = sign_in.as_ref().map(|s| s.ui_locales().to_vec()).unwrap_or_default();
    let email = sign_in
        .as_ref()
        .and_then(|s| s.login_hint())
        .unwrap_or_default()
        .to_owned();
    let page = Page::new(&tenant, &headers, &locales, sign_in.map(|s| s.id));
    if !tenant.config.registration.enabled {
        let t = page.t;
        return Ok(message(
            page,
            t.error_title,
            t.create_account,
            None,
            StatusCode::NOT_FOUND,
        ));
    }
    let filled = Filled {
        email: &email,
        email_error: None,
        fields: empty_fields(&tenant, page.t),
        password_errors: Vec::new(),
        privacy: privacy_choices(&state, &tenant, page.t, &headers),
    };
    Ok(show(&tenant, &page, filled, StatusCode::OK))
}

/// The privacy part of the form, as the law defaults it (and the browser's GPC signal).
fn privacy_choices(state: &AppState, tenant: &Tenant, t: &'static Messages, headers: &HeaderMap) -> Option<Choices> {
    let policy = crate::privacy::policy(tenant)?;
    let documents = crate::privacy::records::documents(policy);
    let gpc = crate::privacy::records::gpc(headers);
    Some(Choices::new(t, policy, &[], &documents, gpc, state.now()).with_documents_checkbox())
}

fn empty_fields(tenant: &Tenant, t: &'static Messages) -> Vec<Field> {
    tenant
        .config
        .registration
        .required_attributes
        .iter()
        .map(|attribute| fields::field(t, *attribute, "", None))
        .collect()
}

fn show(tenant: &Tenant, page: &Page, filled: Filled<'_>, status: StatusCode) -> Response {
    let page = page.clone().titled(page.t.register_title);
    let password_hint = page.t.password_hint(tenant.config.password_policy.min_length);
    let template = RegisterPage {
        page: &page,
        email: filled.email,
        email_error: filled.email_error,
        fields: filled.fields,
        password_hint,
        password_errors: filled.password_errors,
        privacy: filled.privacy,
    };
    render(&template, &page, status, &[])
}

/// The messages for password policy violations.
pub fn policy_messages(t: &'static Messages, violations: &[PolicyViolation]) -> Vec<String> {
    violations
        .iter()
        .map(|violation| match violation {
            PolicyViolation::TooShort(min) => t.password_too_short(*min),
            PolicyViolation::TooLong(max) => t.password_too_long(*max),
            PolicyViolation::NeedsLowercase => t.password_needs_lowercase.to_owned(),
            PolicyViolation::NeedsUppercase => t.password_needs_uppercase.to_owned(),
            PolicyViolation::NeedsDigit => t.password_needs_digit.to_owned(),
            PolicyViolation::NeedsSymbol => t.password_needs_symbol.to_owned(),
            PolicyViolation::Common => t.password_common.to_owned(),
            PolicyViolation::ContainsEmail => t.password_contains_email.to_owned(),
            PolicyViolation::Breached => t.password_breached.to_owned(),
            PolicyViolation::BreachCheckUnavailable => t.password_breach_check_unavailable.to_owned(),
        })
        .collect()
}

/// `POST /register`.
pub async fn register_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() || !submission.tenant.config.registration.enabled {
        return Ok(submission.refuse());
    }
    if let Some(limited) = submission.email_limited(&state, &info).await? {
        return Ok(limited);
    }
    let Submission {
        tenant,
        form,
        mut sign_in,
        page,
        ..
    } = submission;
    let t = page.t;
    let raw_email = form.get("email").unwrap_or_default();
    let email = fields::email(t, raw_email);
    let attributes = tenant.config.registration.required_attributes.iter().copied();
    let submitted = fields::read(t, attributes, &form, false);
    let password = SecretString::new(form.get("password").unwrap_or_default());
    let violations = check_new_password(&state, &tenant, password.expose(), raw_email).await;
    let privacy = submitted_privacy(&state, &tenant, t, &headers, &form);
    let documents_missing = privacy
        .as_ref()
        .is_some_and(|choices| choices.documents_error.is_some());
    let (Ok(email), true, true, false) = (&email, submitted.valid, violations.is_empty(), documents_missing) else {
        let filled = Filled {
            email: raw_email,
            email_error: email.err(),
            fields: submitted.fields,
            password_errors: policy_messages(t, &violations),
            privacy,
        };
        return Ok(show(&tenant, &page, filled, StatusCode::BAD_REQUEST));
    };
    let verify = tenant.config.registration.require_email_verification;
    let password_hash = state.hasher.hash(&password).await?;
    let profile = submitted.update;
    let new_user = NewUser {
        email: email.clone(),
        password_hash,
        profile,
        // Registering proves nothing about the address, whatever the tenant requires: the
        // `email_verified` claim waits for the link, which is sent either way.
        email_verified: false,
        locale: Some(t.lang.to_owned()),
    };
    let Some(user) = state.store.create_user(new_user, state.now()).await? else {
        return already_registered(&state, &tenant, page, email, verify);
    };
    crate::audit::record(&state, AuditEvent::Registered, Some(&user.id), None, &info).await;
    record_privacy(&state, &tenant, &headers, &info, &user.id, &form).await?;
    send_verification(&state, &tenant, t, &user.id, &user.email, sign_in.as_ref()).await?;
    if !verify {
        let (session, cookie) = session::start(&state, &tenant, &user, &Amr::of(Method::Pwd), &info).await?;
        flow::authenticated(&state, sign_in.as_mut(), &session).await?;
        let cookies: Vec<_> = std::iter::once(cookie)
            .chain(page.csrf_cookie.clone())
            .chain(crate::mfa::device::cookie_if_absent(&tenant, &headers))
            .collect();
        return Ok(flow::next(&tenant, sign_in.as_ref(), &cookies));
    }
    Ok(message(
        page,
        t.check_email_title,
        t.check_email_body,
        None,
        StatusCode::OK,
    ))
}

/// The privacy part of a submitted form, with an error when the documents were not accepted.
fn submitted_privacy(
    state: &AppState,
    tenant: &Tenant,
    t: &'static Messages,
    headers: &HeaderMap,
    form: &Params,
) -> Option<Choices> {
    let mut choices = privacy_choices(state, tenant, t, headers)?.ticked_as_submitted(form);
    // The documents are the terms of the service: no account without them.
    if !choices.documents.is_empty() && !privacy_choices::documents_accepted(form) {
        choices.documents_error = Some(t.documents_required);
    }
    Some(choices)
}

/// Records the new account's answers: the documents accepted and each purpose as the form (or,
/// under CCPA, the "Do Not Sell or Share" control or the browser's GPC signal) decided.
async fn record_privacy(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    info: &RequestInfo,
    user: &UserId,
    form: &Params,
) -> Result<(), Error> {
    let Some(policy) = crate::privacy::policy(tenant) else {
        return Ok(());
    };
    let given = Given {
        source: ConsentSource::Registration,
        info,
        gpc: crate::privacy::records::gpc(headers),
    };
    let mut answers: Vec<Answer> = crate::privacy::records::documents(policy)
        .into_iter()
        .map(|document| Answer::document(document, true))
        .collect();
    answers.extend(privacy_choices::purpose_answers(policy, form, given.gpc));
    crate::privacy::records::record(state, policy, user, &answers, given).await
}

/// The address has an account. With verification on, the answer is the same as for a new
/// account (no enumeration) and the owner gets an email; otherwise we must say so.
fn already_registered(
    state: &AppState,
    tenant: &std::sync::Arc<Tenant>,
    page: Page,
    email: &str,
    verify: bool,
) -> Result<Response, Error> {
    let t = page.t;
    if !verify {
        let filled = Filled {
            email,
            email_error: None,
            fields: empty_fields(tenant, t),
            password_errors: vec![t.have_account.to_owned()],
            privacy: None,
        };
        return Ok(show(tenant, &page, filled, StatusCode::CONFLICT));
    }
    // The page carries a sign-in only if this browser started it and it is still in progress
    // (never the posted text), URL-encoded: nothing the sender chose reaches the email.
    let link = format!("{}{}", tenant.url("/forgot"), page.query);
    state.mailer.send(
        tenant.clone(),
        email::compose(tenant, t, Kind::AlreadyRegistered, email, &link).map_err(|e| Error::Internal(e.to_string()))?,
    );
    Ok(message(
        page,
        t.check_email_title,
        t.check_email_body,
        None,
        StatusCode::OK,
    ))
}

/// Creates a verification token for `user_id` and mails the link, which leads back to
/// `sign_in` (a sign-in in progress that this browser started, never text a form posted).
pub async fn send_verification(
    state: &AppState,
    tenant: &std::sync::Arc<Tenant>,
    t: &'static Messages,
    user_id: &UserId,
    address: &str,
    sign_in: Option<&SignIn>,
) -> Result<(), Error> {
    let token = crate::random::token();
    let expires = state.now().plus_seconds(VERIFY_LIFETIME);
    state
        .store
        .create_email_token(user_id, EmailPurpose::Verify, &crate::random::hash(&token), expires)
        .await?;
    let mut link = format!("{}?token={token}", tenant.url("/verify"));
    if let Some(sign_in) = sign_in {
        link.push_str(&format!("&request={}", flow::url_encode(&sign_in.id)));
    }
    let email = email::compose(tenant, t, Kind::Verify, address, &link).map_err(|e| Error::Internal(e.to_string()))?;
    state.mailer.send(tenant.clone(), email);
    Ok(())
}
