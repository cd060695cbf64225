//! The challenge step of every form that checks a password (sign-in, linking an identity by
//! password, the account page's current password): a challenged address gets a proof of work
//! (solved by `/assets/challenge.js`) or the tenant's CAPTCHA with the form, and its submission
//! must carry the answer before the password is looked at. A browser the account trusts skips it.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use vestibule_crds::v1alpha1::CaptchaProvider;

use super::page::Page;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::params::Params;
use crate::mfa::passkey;
use crate::request_info::RequestInfo;
use crate::risk::captcha::{self, CaptchaCheck};
use crate::risk::proof_of_work::{self, Issued};
use crate::risk::stuffing;
use crate::store::{AuditEvent, User};

/// The metrics label of the proof of work.
const PROOF_OF_WORK: &str = "proof_of_work";
/// How long a presented CAPTCHA answer is remembered: longer than any provider accepts one.
const CAPTCHA_ANSWER_MEMORY: i64 = 10 * 60;

/// What a challenged form shows.
#[derive(Debug, Clone)]
pub enum Shown {
    /// A proof of work to solve in the browser.
    ProofOfWork(Issued),
    /// The provider's widget.
    Captcha {
        /// The provider.
        provider: CaptchaProvider,
        /// The public site key.
        site_key: String,
    },
}

impl Shown {
    /// The proof of work, when that is the challenge.
    pub fn proof_of_work(&self) -> Option<&Issued> {
        match self {
            Self::ProofOfWork(issued) => Some(issued),
            Self::Captcha { .. } => None,
        }
    }

    /// The provider's script, when the challenge is a CAPTCHA.
    pub fn captcha_script(&self) -> Option<&'static str> {
        match self {
            Self::Captcha { provider, .. } => Some(captcha::script_url(*provider)),
            Self::ProofOfWork(_) => None,
        }
    }

    /// The element class and site key of the CAPTCHA widget.
    pub fn captcha_widget(&self) -> Option<(&'static str, &str)> {
        match self {
            Self::Captcha { provider, site_key } => Some((captcha::widget_class(*provider), site_key.as_str())),
            Self::ProofOfWork(_) => None,
        }
    }
}

/// Whether the form may go on to the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Not challenged, trusted, or answered.
    Open,
    /// The answer is missing, wrong or used (403, a fresh challenge).
    Refused,
    /// The CAPTCHA provider gave no verdict: refused, try again (fail closed).
    Unavailable,
}

/// The binding of a page's challenge: its sign-in, or the browser (its CSRF token).
fn binding(page: &Page) -> String {
    passkey::browser_binding(page.request.as_deref(), &page.csrf)
}

/// A challenge for a password form shown on `page`, when `address` is challenged.
pub async fn for_form(state: &AppState, tenant: &Tenant, page: &Page, address: IpAddr) -> Result<Option<Shown>, Error> {
    let policy = &tenant.config.attack_protection.challenge;
    if !stuffing::is_challenged(state, policy, address).await? {
        return Ok(None);
    }
    if let Some(check) = &tenant.captcha {
        state.metrics.observe_challenge(check.provider().as_str(), "issued");
        return Ok(Some(Shown::Captcha {
            provider: check.provider(),
            site_key: check.site_key().to_owned(),
        }));
    }
    let issued = proof_of_work::issue(&state.store, address, &binding(page), policy.difficulty, state.now()).await?;
    state.metrics.observe_challenge(PROOF_OF_WORK, "issued");
    Ok(Some(Shown::ProofOfWork(issued)))
}

/// `response` with the Content-Security-Policy a page showing `shown` needs: the provider's
/// origins for a CAPTCHA, on this page only (every other page keeps the site's own policy).
pub fn with_policy(mut response: Response, shown: Option<&Shown>) -> Response {
    if let Some(Shown::Captcha { provider, .. }) = shown
        && let Ok(policy) = HeaderValue::from_str(&captcha::content_security_policy(*provider))
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// Whether the form submitted from `page` may go on to the password: the address is not
/// challenged, the browser is trusted by `user`, or `form` carries a valid answer.
pub async fn passed(
    state: &AppState,
    tenant: &Tenant,
    (page, headers, info): (&Page, &HeaderMap, &RequestInfo),
    user: Option<&User>,
    form: &Params,
) -> Result<Gate, Error> {
    let policy = &tenant.config.attack_protection.challenge;
    if !stuffing::is_challenged(state, policy, info.ip).await? {
        return Ok(Gate::Open);
    }
    if let Some(user) = user
        && crate::mfa::device::is_trusted(state, tenant, headers, &user.id).await?
    {
        // A browser the account trusts holds a token no stuffing list has.
        return Ok(Gate::Open);
    }
    match &tenant.captcha {
        Some(check) => captcha_passed(state, tenant, check, info, form).await,
        None => proof_of_work_passed(state, page, info, form).await,
    }
}

async fn proof_of_work_passed(state: &AppState, page: &Page, info: &RequestInfo, form: &Params) -> Result<Gate, Error> {
    let answer = (
        form.get("challenge").unwrap_or_default(),
        form.get("challenge_counter").unwrap_or_default(),
    );
    let redeemed = proof_of_work::redeem(&state.store, info.ip, &binding(page), answer, state.now()).await?;
    let Err(refused) = redeemed else {
        state.metrics.observe_challenge(PROOF_OF_WORK, "passed");
        return Ok(Gate::Open);
    };
    failed(state, info, PROOF_OF_WORK, format!("challenge {}", refused.as_str())).await;
    Ok(Gate::Refused)
}

async fn captcha_passed(
    state: &AppState,
    tenant: &Tenant,
    check: &CaptchaCheck,
    info: &RequestInfo,
    form: &Params,
) -> Result<Gate, Error> {
    let kind = check.provider().as_str();
    let response = form.get(check.provider().response_field()).unwrap_or_default();
    if response.is_empty() {
        failed(state, info, kind, captcha::Refused::Missing.detail()).await;
        return Ok(Gate::Refused);
    }
    // Each answer counts once here, whatever the provider would say to it a second time.
    let expires_at = state.now().plus_seconds(CAPTCHA_ANSWER_MEMORY);
    if !state
        .store
        .claim_captcha_answer(&crate::random::hash(response), expires_at)
        .await?
    {
        failed(state, info, kind, "captcha reused".to_owned()).await;
        return Ok(Gate::Refused);
    }
    let host = tenant.issuer.host_str().unwrap_or_default();
    match check.verify(response, info.ip, host).await {
        Ok(Ok(())) => {
            state.metrics.observe_challenge(kind, "passed");
            Ok(Gate::Open)
        }
        Ok(Err(refused)) => {
            failed(state, info, kind, refused.detail()).await;
            Ok(Gate::Refused)
        }
        Err(unavailable) => {
            // Fail closed: a challenged address must prove itself, and no one can judge it now.
            tracing::warn!(provider = kind, error = %unavailable, "CAPTCHA verification unavailable");
            state.metrics.observe_challenge(kind, "unavailable");
            Ok(Gate::Unavailable)
        }
    }
}

/// Counts and audits a refused answer with why.
async fn failed(state: &AppState, info: &RequestInfo, kind: &'static str, detail: String) {
    state.metrics.observe_challenge(kind, "failed");
    crate::audit::record_detail(state, AuditEvent::ChallengeFailed, None, None, info, Some(detail)).await;
}

impl Gate {
    /// The message and status of a refused form, if it is refused.
    pub fn refusal(self, t: &'static crate::i18n::Messages) -> Option<(&'static str, StatusCode)> {
        match self {
            Self::Open => None,
            Self::Refused => Some((t.challenge_failed, StatusCode::FORBIDDEN)),
            Self::Unavailable => Some((t.challenge_unavailable, StatusCode::SERVICE_UNAVAILABLE)),
        }
    }
}
