//! What the customer sees once a provider answered: signed in (a linked, linked-now or new
//! account), asked to prove the account the email has, refused with the way that account signs
//! in, or told that the sign-in failed, with a retry link and an audit entry.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::super::flow::{self, see_other};
use super::super::page::{Page, message};
use super::super::register::send_verification;
use super::super::session;
use crate::app::AppState;
use crate::authn::steps::federated::{self, Decision, Intent, PendingLink};
use crate::authn::{Amr, Method, SignIn, transaction};
use crate::config::Tenant;
use crate::error::Error;
use crate::ids::UserId;
use crate::request_info::RequestInfo;
use crate::social::{Served, UpstreamError, UpstreamIdentity};
use crate::store::{AuditEvent, User};

/// The request an answer is handled for.
pub struct Context<'a> {
    pub state: &'a AppState,
    pub tenant: &'a std::sync::Arc<Tenant>,
    pub headers: &'a HeaderMap,
    pub info: &'a RequestInfo,
    pub served: &'a Served,
}

/// A failed sign-in through `served`: an audit entry with the provider and the reason, and a
/// page in the customer's language with a link to try again. Nothing was linked or created.
pub async fn failed(
    state: &AppState,
    page: Page,
    served: &Served,
    info: &RequestInfo,
    error: &UpstreamError,
) -> Response {
    tracing::warn!(provider = %served.id, reason = error.reason(), %error, "sign-in through a provider failed");
    audit_failure(state, served, info, error.reason()).await;
    let t = page.t;
    let (body, status) = match error {
        UpstreamError::AccessDenied { .. } => (t.social_denied(&served.display_name), StatusCode::FORBIDDEN),
        UpstreamError::Timeout { .. } | UpstreamError::Unavailable { .. } => {
            (t.social_failed(&served.display_name), StatusCode::BAD_GATEWAY)
        }
        _ => (t.social_failed(&served.display_name), StatusCode::BAD_REQUEST),
    };
    retry_page(page, &body, status)
}

/// The failure page: what happened, and a link back to the sign-in page to try again.
fn retry_page(page: Page, body: &str, status: StatusCode) -> Response {
    let t = page.t;
    let retry = page.link("/login");
    message(page, t.social_failed_title, body, Some((retry, t.try_again)), status)
}

async fn audit_failure(state: &AppState, served: &Served, info: &RequestInfo, reason: &str) {
    let detail = format!("provider={} reason={reason}", served.id);
    crate::audit::record_detail(state, AuditEvent::SocialSignInFailed, None, None, info, Some(detail)).await;
}

/// Handles a checked upstream identity, by why the customer went to the provider.
pub async fn identified(
    context: &Context<'_>,
    page: Page,
    sign_in: &mut SignIn,
    intent: Intent,
    identity: UpstreamIdentity,
) -> Result<Response, Error> {
    match intent {
        Intent::SignIn => sign_in_or_register(context, page, sign_in, &identity).await,
        Intent::Link { user_id } => link_to_signed_in(context, page, sign_in, &user_id, &identity).await,
        Intent::Prove => prove(context, page, sign_in, &identity).await,
    }
}

async fn sign_in_or_register(
    context: &Context<'_>,
    page: Page,
    sign_in: &mut SignIn,
    identity: &UpstreamIdentity,
) -> Result<Response, Error> {
    let Context {
        state,
        tenant,
        served,
        info,
        ..
    } = *context;
    let t = page.t;
    match federated::decide(state, tenant, served, identity, t.lang).await? {
        Decision::Known(user) => signed_in(context, page, sign_in, &user, Amr::of(Method::Fed)).await,
        Decision::Linked(user) => {
            audit_linked(state, &user, served, info).await;
            signed_in(context, page, sign_in, &user, Amr::of(Method::Fed)).await
        }
        Decision::Registered(user) => {
            let detail = format!("provider={}", served.id);
            crate::audit::record_detail(state, AuditEvent::Registered, Some(&user.id), None, info, Some(detail)).await;
            if !user.email_verified {
                send_verification(state, tenant, t, &user.id, &user.email, Some(&*sign_in)).await?;
                if tenant.config.registration.require_email_verification {
                    let body = t.check_email_body;
                    return Ok(message(page, t.check_email_title, body, None, StatusCode::OK));
                }
            }
            signed_in(context, page, sign_in, &user, Amr::of(Method::Fed)).await
        }
        Decision::Prove(user) => {
            sign_in.progress.link = Some(PendingLink {
                provider_id: served.id.clone(),
                subject: identity.subject.clone(),
                email: identity.email.clone(),
                user_id: user.id,
            });
            transaction::save(state, sign_in).await?;
            Ok(see_other(&sign_in_link(tenant, sign_in), &[]))
        }
        Decision::Refused(user) => refused(context, page, &user).await,
        Decision::Unverified => {
            audit_failure(state, served, info, "email_unverified").await;
            let body = t.account_exists_unverified(&served.display_name);
            let login = page.link("/login");
            Ok(message(
                page,
                t.account_exists_title,
                &body,
                Some((login, t.sign_in)),
                StatusCode::CONFLICT,
            ))
        }
        Decision::RegistrationClosed => {
            audit_failure(state, served, info, "registration_closed").await;
            Ok(retry_page(page, t.registration_closed, StatusCode::FORBIDDEN))
        }
        Decision::NoEmail => {
            audit_failure(state, served, info, "no_email").await;
            let body = t.social_no_email(&served.display_name);
            Ok(retry_page(page, &body, StatusCode::BAD_REQUEST))
        }
    }
}

/// The page that asks the customer to prove the account before linking.
fn sign_in_link(tenant: &Tenant, sign_in: &SignIn) -> String {
    format!(
        "{}?request={}",
        tenant.path("/social/link"),
        flow::url_encode(&sign_in.id)
    )
}

/// Starts a session for `user` with `methods`, records it in the sign-in, and drives it on.
pub async fn signed_in(
    context: &Context<'_>,
    page: Page,
    sign_in: &mut SignIn,
    user: &User,
    methods: Amr,
) -> Result<Response, Error> {
    let Context {
        state,
        tenant,
        headers,
        info,
        served,
    } = *context;
    let t = page.t;
    // The tenant's rule holds whatever the first factor: an unproven address does not sign in.
    if tenant.config.registration.require_email_verification && !user.email_verified {
        return Ok(message(
            page,
            t.error_title,
            t.email_not_verified,
            None,
            StatusCode::FORBIDDEN,
        ));
    }
    state.store.count_login(&user.id, state.now()).await?;
    let detail = format!("provider={}", served.id);
    crate::audit::record_detail(
        state,
        AuditEvent::LoginSucceeded,
        Some(&user.id),
        None,
        info,
        Some(detail),
    )
    .await;
    let (session, cookie) = session::start(state, tenant, user, &methods, info).await?;
    flow::authenticated(state, Some(&mut *sign_in), &session).await?;
    let cookies: Vec<HeaderValue> = std::iter::once(cookie)
        .chain(page.csrf_cookie.clone())
        // The device cookie is how adaptive MFA recognises this browser at the next sign-in.
        .chain(crate::mfa::device::cookie_if_absent(tenant, headers))
        .collect();
    Ok(flow::next(tenant, Some(&*sign_in), &cookies))
}

/// The email has an account this identity may not be linked to: say how that account signs in.
async fn refused(context: &Context<'_>, page: Page, user: &User) -> Result<Response, Error> {
    let Context {
        state,
        tenant,
        info,
        served,
        ..
    } = *context;
    audit_failure(state, served, info, "account_exists").await;
    let t = page.t;
    let mut methods: Vec<String> = Vec::new();
    if user.has_password() {
        methods.push(t.your_password.to_owned());
    }
    for identity in state.store.identities_of_user(&user.id).await? {
        if let Some(other) = tenant.social.get(&identity.provider_id)
            && !methods.contains(&other.display_name)
        {
            methods.push(other.display_name.clone());
        }
    }
    if methods.is_empty() {
        // Only a reset link by email remains; "your password" leads there.
        methods.push(t.your_password.to_owned());
    }
    let body = t.account_exists(&methods.join(", "));
    let login = page.link("/login");
    Ok(message(
        page,
        t.account_exists_title,
        &body,
        Some((login, t.sign_in)),
        StatusCode::CONFLICT,
    ))
}

/// From the account page: links the identity to the customer signed in, unless it belongs to
/// another account.
async fn link_to_signed_in(
    context: &Context<'_>,
    page: Page,
    sign_in: &SignIn,
    user_id: &UserId,
    identity: &UpstreamIdentity,
) -> Result<Response, Error> {
    let Context {
        state,
        tenant,
        headers,
        info,
        served,
    } = *context;
    transaction::end(state, sign_in).await?;
    let current = session::complete(state, tenant, headers).await?;
    // The link is made for the customer who asked, still signed in in this browser, only.
    let Some(signed_in) = current.filter(|signed_in| signed_in.user.id == *user_id) else {
        return Ok(failed(state, page, served, info, &UpstreamError::StateMismatch).await);
    };
    let now = state.now();
    let federated = federated::new_identity(identity);
    if !state.store.link_identity(user_id, federated, now).await? {
        let owner = state
            .store
            .use_identity(&identity.provider_id, &identity.subject, now)
            .await?;
        if owner.is_none_or(|owner| owner.id != *user_id) {
            audit_failure(state, served, info, "identity_taken").await;
            let t = page.t;
            let account = page.link("/account");
            return Ok(message(
                page,
                t.error_title,
                t.identity_taken,
                Some((account, t.account_title)),
                StatusCode::CONFLICT,
            ));
        }
    } else {
        audit_linked(state, &signed_in.user, served, info).await;
    }
    Ok(see_other(&tenant.path("/account?saved=identity-linked"), &[]))
}

/// Signed in with an identity already linked to the account a pending link waits for: the
/// account is proven, the pending identity is linked, and the customer signed in.
async fn prove(
    context: &Context<'_>,
    page: Page,
    sign_in: &mut SignIn,
    identity: &UpstreamIdentity,
) -> Result<Response, Error> {
    let Context {
        state, served, info, ..
    } = *context;
    let now = state.now();
    let owner = state
        .store
        .use_identity(&identity.provider_id, &identity.subject, now)
        .await?;
    let pending = sign_in.progress.link.take();
    // Only an identity already linked to the very account waiting proves it.
    let proven = match (owner, pending) {
        (Some(user), Some(pending)) if pending.user_id == user.id => Some((user, pending)),
        _ => None,
    };
    let Some((user, pending)) = proven else {
        audit_failure(state, served, info, "not_the_account").await;
        let body = page.t.social_failed(&served.display_name);
        return Ok(retry_page(page, &body, StatusCode::FORBIDDEN));
    };
    link_pending(state, &user, &pending, context, info).await?;
    signed_in(context, page, sign_in, &user, Amr::of(Method::Fed)).await
}

/// Links a pending identity to `user`, who proved the account.
pub async fn link_pending(
    state: &AppState,
    user: &User,
    pending: &PendingLink,
    context: &Context<'_>,
    info: &RequestInfo,
) -> Result<(), Error> {
    let identity = crate::store::NewIdentity {
        provider_id: &pending.provider_id,
        subject: &pending.subject,
        email: pending.email.as_deref(),
    };
    if state.store.link_identity(&user.id, identity, state.now()).await? {
        let linked = context
            .tenant
            .social
            .get(&pending.provider_id)
            .unwrap_or(context.served);
        audit_linked(state, user, linked, info).await;
    }
    Ok(())
}

async fn audit_linked(state: &AppState, user: &User, served: &Served, info: &RequestInfo) {
    let detail = format!("provider={}", served.id);
    crate::audit::record_detail(
        state,
        AuditEvent::IdentityLinked,
        Some(&user.id),
        None,
        info,
        Some(detail),
    )
    .await;
}
