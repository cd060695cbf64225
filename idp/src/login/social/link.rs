//! Linking and unlinking: the page that asks a customer to prove the account an upstream email
//! has (`linking: prompt`) by its password (challenged like the sign-in form) or a provider
//! already linked to it, and the account page's list of linked identities with unlink.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use vestibule_crds::SecretString;

use super::super::challenge::{self, Shown};
use super::super::flow::{self, see_other};
use super::super::form::Submission;
use super::super::page::{Page, render, retry_after};
use super::answer;
use crate::app::AppState;
use crate::authn::steps::federated::PendingLink;
use crate::authn::{Amr, Method};
use crate::config::Tenant;
use crate::error::Error;
use crate::http::errors::Notice;
use crate::http::extract::{CsrfForm, Customer};
use crate::http::page::SocialButton;
use crate::i18n::Messages;
use crate::request_info::RequestInfo;
use crate::risk::lockout::{self, Verdict};
use crate::risk::{Action, Decision};
use crate::store::{AuditEvent, Unlinked, User};

#[derive(Template)]
#[template(path = "social_link.html")]
struct LinkPage<'a> {
    page: &'a Page,
    intro: String,
    email: &'a str,
    has_password: bool,
    error: Option<&'a str>,
    proofs: Vec<SocialButton>,
    /// The proof of work or CAPTCHA the password form must carry, when the address is challenged.
    challenge: Option<Shown>,
}

/// Query of the linking page.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    request: Option<String>,
}

fn expired() -> Error {
    Error::Refused(StatusCode::BAD_REQUEST, Notice::SignInExpired)
}

/// `GET /social/link?request=…`.
pub async fn link_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    Query(query): Query<LinkQuery>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let sign_in = flow::sign_in(&state, &tenant, &headers, query.request.as_deref()).await?;
    let Some((sign_in, pending)) = sign_in.and_then(|s| s.progress.link.clone().map(|link| (s, link))) else {
        return Err(expired());
    };
    let Some(user) = state.store.user_by_id(&pending.user_id).await? else {
        return Err(expired());
    };
    let page = Page::new(&tenant, &headers, sign_in.ui_locales(), Some(sign_in.id.clone()));
    let shown = ShownTo {
        pending: &pending,
        user: &user,
        address: info.ip,
    };
    show(&state, &tenant, page, shown, None, StatusCode::OK).await
}

/// Whose linking page is shown, to which client address.
struct ShownTo<'a> {
    pending: &'a PendingLink,
    user: &'a User,
    address: std::net::IpAddr,
}

async fn show(
    state: &AppState,
    tenant: &Tenant,
    page: Page,
    to: ShownTo<'_>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, Error> {
    let ShownTo { pending, user, address } = to;
    let page = page.clone().titled(page.t.link_title);
    let t = page.t;
    let provider = tenant
        .social
        .get(&pending.provider_id)
        .map_or(pending.provider_id.as_str(), |served| served.display_name.as_str());
    let mut proofs: Vec<SocialButton> = Vec::new();
    for identity in state.store.identities_of_user(&user.id).await? {
        if let Some(served) = tenant.social.get(&identity.provider_id)
            && !proofs.iter().any(|proof| proof.id == served.id)
        {
            proofs.push(SocialButton {
                id: served.id.clone(),
                label: t.sign_in_with(&served.display_name),
            });
        }
    }
    let challenge = if user.has_password() {
        challenge::for_form(state, tenant, &page, address).await?
    } else {
        None
    };
    let template = LinkPage {
        page: &page,
        intro: t.link_intro(provider),
        email: &user.email,
        has_password: user.has_password(),
        error,
        proofs,
        challenge,
    };
    let response = render(&template, &page, status, &[]);
    Ok(challenge::with_policy(response, template.challenge.as_ref()))
}

/// `POST /social/link`: the account's password proves it; the identity is linked and the
/// customer signed in. Counted like a sign-in attempt (rate limit, lockout).
pub async fn link_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    info: RequestInfo,
    body: String,
) -> Result<Response, Error> {
    let submission = Submission::read(&state, &headers, &body).await?;
    if submission.forged() {
        return Ok(submission.refuse());
    }
    let password = SecretString::new(submission.field("password"));
    let Submission {
        tenant,
        sign_in,
        page,
        form,
        ..
    } = submission;
    let Some((mut sign_in, pending)) = sign_in.and_then(|s| s.progress.link.clone().map(|link| (s, link))) else {
        return Err(expired());
    };
    let (Some(served), Some(user)) = (
        tenant.social.get(&pending.provider_id).cloned(),
        state.store.user_by_id(&pending.user_id).await?,
    ) else {
        return Err(expired());
    };
    let t = page.t;
    let to = || ShownTo {
        pending: &pending,
        user: &user,
        address: info.ip,
    };
    let limit = tenant.config.attack_protection.rate_limits.logins_per_minute;
    if let Decision::Limited { retry_after: seconds } =
        state.limiter.check(Action::Login, info.ip, limit, state.now()).await?
    {
        let status = StatusCode::TOO_MANY_REQUESTS;
        let refused = show(&state, &tenant, page, to(), Some(t.too_many_attempts), status).await?;
        return Ok(retry_after(refused, seconds));
    }
    // Before the password is hashed: a challenged address answers its challenge here too.
    let gate = challenge::passed(&state, &tenant, (&page, &headers, &info), Some(&user), &form).await?;
    if let Some((message, status)) = gate.refusal(t) {
        return show(&state, &tenant, page, to(), Some(message), status).await;
    }
    let policy = &tenant.config.attack_protection.challenge;
    match lockout::check_password(&state, &tenant, &info, Some(&user), &user.email, &password).await? {
        Verdict::Accepted => {}
        Verdict::AddressBlocked => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            return show(&state, &tenant, page, to(), Some(t.too_many_failures), status).await;
        }
        // A locked account and a wrong password: one answer, as on the sign-in page.
        Verdict::Refused(_) => {
            // Counted toward challenged mode like a failed sign-in: this form is a password oracle too.
            crate::risk::stuffing::record_failure(&state, policy, &info, &user.email).await?;
            let status = StatusCode::UNAUTHORIZED;
            return show(&state, &tenant, page, to(), Some(t.invalid_credentials), status).await;
        }
    }
    sign_in.progress.link = None;
    let context = answer::Context {
        state: &state,
        tenant: &tenant,
        headers: &headers,
        info: &info,
        served: &served,
    };
    answer::link_pending(&state, &user, &pending, &context, &info).await?;
    let mut methods = Amr::of(Method::Pwd);
    methods.insert(Method::Fed);
    answer::signed_in(&context, page, &mut sign_in, &user, methods).await
}

/// The form of an unlink button.
#[derive(Debug, Deserialize)]
pub struct UnlinkForm {
    provider: String,
    subject: String,
}

/// `POST /account/identities/unlink`: unlinks one of the customer's identities, unless it is
/// their last way to sign in.
pub async fn unlink_post(
    State(state): State<AppState>,
    info: RequestInfo,
    Customer(signed_in): Customer,
    CsrfForm(form): CsrfForm<UnlinkForm>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let user = &signed_in.user;
    let saved = match state
        .store
        .unlink_identity(&user.id, &form.provider, &form.subject)
        .await?
    {
        Unlinked::Done => {
            let detail = format!("provider={}", form.provider);
            crate::audit::record_detail(
                &state,
                AuditEvent::IdentityUnlinked,
                Some(&user.id),
                None,
                &info,
                Some(detail),
            )
            .await;
            "identity-unlinked"
        }
        Unlinked::LastMethod => "last-method",
        Unlinked::NotFound => return Ok(see_other(&tenant.path("/account"), &[])),
    };
    Ok(see_other(&tenant.path(&format!("/account?saved={saved}")), &[]))
}

/// An identity as the account page lists it.
#[derive(Debug)]
pub struct IdentityRow {
    /// The provider entry (for the unlink form).
    pub provider_id: String,
    /// The provider's identifier of the customer (for the unlink form).
    pub subject: String,
    /// The provider's display name (its id when it is no longer served).
    pub label: String,
    /// The email the provider gave when it was linked.
    pub email: Option<String>,
}

/// The account page's sign-in methods: linked identities, and the providers that can be linked.
#[derive(Debug, Default)]
pub struct AccountIdentities {
    /// Linked identities.
    pub linked: Vec<IdentityRow>,
    /// "Link {provider}" buttons for the providers served and not linked yet.
    pub linkable: Vec<SocialButton>,
}

impl AccountIdentities {
    /// Whether the section has nothing to show.
    pub fn is_empty(&self) -> bool {
        self.linked.is_empty() && self.linkable.is_empty()
    }
}

/// The sign-in methods of `user`, for the account page.
pub async fn account_identities(
    state: &AppState,
    tenant: &Tenant,
    t: &'static Messages,
    user: &User,
) -> Result<AccountIdentities, Error> {
    let linked: Vec<IdentityRow> = state
        .store
        .identities_of_user(&user.id)
        .await?
        .into_iter()
        .map(|identity| IdentityRow {
            label: tenant
                .social
                .get(&identity.provider_id)
                .map_or_else(|| identity.provider_id.clone(), |served| served.display_name.clone()),
            provider_id: identity.provider_id,
            subject: identity.subject,
            email: identity.email,
        })
        .collect();
    let linkable = tenant
        .social
        .iter()
        .filter(|served| !linked.iter().any(|row| row.provider_id == served.id))
        .map(|served| SocialButton {
            id: served.id.clone(),
            label: t.link_provider(&served.display_name),
        })
        .collect();
    Ok(AccountIdentities { linked, linkable })
}
