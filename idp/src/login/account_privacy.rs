//! The privacy part of the account page: which documents the customer accepted (and under which
//! version), and every purpose based on consent to agree to or withdraw from. A change is
//! recorded with the account page as its source and audited; applications see it in their next
//! token.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::account::saved;
use super::privacy_choices::{Choices, do_not_sell, ticked};
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::extract::{CsrfForm, Customer};
use crate::http::params::Params;
use crate::i18n::Messages;
use crate::privacy::asking::{answer_of, changes};
use crate::privacy::records::{self, Document, Given, documents};
use crate::request_info::RequestInfo;
use crate::store::{ConsentSource, ConsentState, User};

/// A document with what the customer answered.
#[derive(Debug)]
pub(super) struct DocumentStatus {
    /// Its name.
    pub label: &'static str,
    /// Where to read it.
    pub url: String,
    /// "accepted (version 2, 2026-12-01)" or "not accepted yet".
    pub status: String,
}

/// The privacy section of the account page.
#[derive(Debug)]
pub(super) struct AccountPrivacy {
    /// The documents.
    pub documents: Vec<DocumentStatus>,
    /// The purposes, ticked as the customer decided.
    pub choices: Choices,
}

/// The section for `user`, when the tenant serves a consent policy.
pub(super) async fn section(
    state: &AppState,
    tenant: &Tenant,
    t: &'static Messages,
    user: &User,
) -> Result<Option<AccountPrivacy>, Error> {
    let Some(policy) = crate::privacy::policy(tenant) else {
        return Ok(None);
    };
    let current = state.store.current_consents(&user.id).await?;
    let documents = documents(policy)
        .into_iter()
        .map(|document| {
            let record = answer_of(&current, document.subject()).filter(|r| r.state == ConsentState::Granted);
            DocumentStatus {
                label: match document {
                    Document::Terms => t.terms_of_service,
                    Document::Privacy => t.privacy_policy,
                },
                url: document.url(policy).unwrap_or_default().to_owned(),
                status: record.map_or_else(
                    || t.privacy_never_answered.to_owned(),
                    |r| t.document_accepted_at(&r.policy_version, &date(r.at.seconds())),
                ),
            }
        })
        .collect();
    // The boxes show what the customer decided, not what the law would default to.
    let choices =
        Choices::new(t, policy, &current, &[], false, state.now()).ticked_as_recorded(policy, &current, state.now());
    Ok(Some(AccountPrivacy { documents, choices }))
}

fn date(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|at| at.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `POST /account/privacy`: records the purposes whose state changed.
pub async fn privacy_post(
    State(state): State<AppState>,
    Customer(signed_in): Customer,
    headers: HeaderMap,
    info: RequestInfo,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, Error> {
    let tenant = state.tenant.get();
    let Some(policy) = crate::privacy::policy(&tenant) else {
        return Ok(saved(&tenant, "privacy"));
    };
    let user = &signed_in.user.id;
    let current = state.store.current_consents(user).await?;
    // Withdrawing is as easy as agreeing (GDPR Art. 7(3)): no fresh authentication is asked.
    let opted_out = crate::privacy::opt_out(policy) && do_not_sell(&form);
    let answers = changes(policy, &current, |id| !opted_out && ticked(&form, id), state.now());
    let given = Given {
        source: ConsentSource::AccountPage,
        info: &info,
        gpc: records::gpc(&headers),
    };
    records::record(&state, policy, user, &answers, given).await?;
    Ok(saved(&tenant, "privacy"))
}
