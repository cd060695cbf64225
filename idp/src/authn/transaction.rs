//! The sign-in transaction: a server-side record of one sign-in in progress, bound to the
//! browser that started it by a random `__Host-` cookie of which only the SHA-256 is stored.
//!
//! The id travels in page URLs (`?request=…`), but it is never enough on its own: a sign-in is
//! found by its id and the browser's cookie together, so a link forwarded to another browser
//! finds nothing, and whatever was achieved on the way (a fresh authentication, a consent)
//! stays with the browser and the customer that achieved it.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use super::amr::Amr;
use super::assurance::Assurance;
use super::pipeline::StepKind;
use super::session::SignedIn;
use crate::app::AppState;
use crate::config::Tenant;
use crate::error::Error;
use crate::http::cookies;
use crate::http::redirect::url_encode;
use crate::ids::{Scopes, SessionId, UnixTime, UserId};
use crate::ports::Rng;
use crate::store::{NewSignIn, Session, SignInRow};

/// A sign-in waits this long for the customer.
pub const LIFETIME: i64 = 30 * 60;

/// Sign-ins one network may have in progress. Unauthenticated requests create them, so they are
/// bounded; finished ones are removed at once, so only abandoned ones count for long.
pub const MAX_PER_NETWORK: i64 = 200;

/// What the sign-in is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// An application's authorization request, parked until the customer is through.
    Authorization(Parked),
    /// The account page: the customer came to manage their account.
    Account,
}

/// An application's request as the sign-in sees it. The protocol keeps its own form of the
/// request in `protocol`, opaque here, and reads it back when the sign-in finishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parked {
    /// The client.
    pub client_id: String,
    /// The scopes it asked for.
    pub scopes: Scopes,
    /// No page may be shown (`prompt=none`).
    pub silent: bool,
    /// Consent must be asked even when it was given before (`prompt=consent`).
    pub ask_consent: bool,
    /// An email address to prefill.
    pub login_hint: Option<String>,
    /// Preferred languages of the pages.
    pub ui_locales: Vec<String>,
    /// The protocol's request.
    pub protocol: serde_json::Value,
}

/// What was achieved within this sign-in. It belongs to `user`, in this browser: when another
/// customer is signed in here, it is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The customer identified so far.
    #[serde(skip)]
    pub user: Option<UserId>,
    /// The session an authentication within this sign-in started.
    pub session: Option<SessionId>,
    /// The methods completed within this sign-in.
    pub methods: Amr,
    /// When the customer last authenticated within this sign-in.
    pub auth_time: Option<UnixTime>,
    /// The customer consented to the parked request within this sign-in.
    pub consented: bool,
    /// The customer refused the parked request.
    pub denied: bool,
    /// Sent to an upstream provider, awaiting its answer (`social`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<super::steps::federated::Awaiting>,
    /// An upstream identity to link once the customer proves the account its email has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<super::steps::federated::PendingLink>,
}

/// The stored part of a sign-in besides its columns.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    purpose: Purpose,
    resume: String,
    required: Assurance,
    progress: Progress,
    due: Vec<StepKind>,
}

/// One sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Public handle, in page URLs.
    pub id: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The route that continues it once a page is done (it drives the sign-in on).
    pub resume: String,
    /// The assurance it must reach.
    pub required: Assurance,
    /// What was achieved so far.
    pub progress: Progress,
    /// The steps still due, the current one first, as of the last time it was driven.
    pub due: Vec<StepKind>,
    /// When it started.
    pub created_at: UnixTime,
    /// When it lapses.
    pub expires_at: UnixTime,
    /// The hash of the binding cookie, once stored.
    browser_hash: Option<String>,
}

impl SignIn {
    /// A new sign-in, not stored yet: many finish at once (a customer already signed in) and are
    /// never stored.
    pub fn start(rng: &dyn Rng, purpose: Purpose, resume: &str, required: Assurance, now: UnixTime) -> Self {
        Self {
            id: rng.token(),
            purpose,
            resume: resume.to_owned(),
            required,
            progress: Progress::default(),
            due: Vec::new(),
            created_at: now,
            expires_at: now.plus_seconds(LIFETIME),
            browser_hash: None,
        }
    }

    /// Whether it is stored (a page was shown on its way).
    pub fn is_stored(&self) -> bool {
        self.browser_hash.is_some()
    }

    /// The parked authorization request, if it is for one.
    pub fn parked(&self) -> Option<&Parked> {
        match &self.purpose {
            Purpose::Authorization(parked) => Some(parked),
            Purpose::Account => None,
        }
    }

    /// The languages its pages should be in.
    pub fn ui_locales(&self) -> &[String] {
        self.parked().map_or(&[], |parked| parked.ui_locales.as_slice())
    }

    /// The email address to prefill.
    pub fn login_hint(&self) -> Option<&str> {
        self.parked().and_then(|parked| parked.login_hint.as_deref())
    }

    /// Whether `step` is the one the customer is at.
    pub fn is_at(&self, step: StepKind) -> bool {
        self.due.first() == Some(&step)
    }

    /// Where the customer goes when a page of this sign-in is done.
    pub fn resume_location(&self, tenant: &Tenant) -> String {
        format!("{}?request={}", tenant.path(&self.resume), url_encode(&self.id))
    }

    /// Drops what belongs to another customer or another session than `signed_in`: a consent or
    /// a fresh authentication is never inherited by someone else.
    pub fn observe(&mut self, signed_in: Option<&SignedIn>) {
        self.observe_ids(
            signed_in.map(|s| s.user.id.as_str()),
            signed_in.map(|s| s.session.id.as_str()),
        );
    }

    fn observe_ids(&mut self, user: Option<&str>, session: Option<&str>) {
        if self
            .progress
            .user
            .as_ref()
            .is_some_and(|own| Some(own.as_str()) != user)
        {
            self.progress = Progress::default();
            return;
        }
        if self
            .progress
            .session
            .as_ref()
            .is_some_and(|own| Some(own.as_str()) != session)
        {
            self.progress.session = None;
            self.progress.methods = Amr::default();
            self.progress.auth_time = None;
        }
    }

    /// Records an authentication within this sign-in: `session` began with `methods`.
    pub fn authenticated(&mut self, session: &Session, methods: Amr) {
        if self.progress.user.as_ref().is_none_or(|own| *own != session.user_id) {
            self.progress = Progress::default();
            self.progress.user = Some(UserId::new(session.user_id.as_str()));
        }
        self.progress.session = Some(SessionId::new(session.id.as_str()));
        self.progress.methods = methods;
        self.progress.auth_time = Some(session.auth_time);
    }

    /// Whether the customer the sign-in identified is `user`.
    pub fn is_for(&self, user: &UserId) -> bool {
        self.progress.user.as_ref().is_some_and(|own| own == user)
    }

    fn record(&self) -> Record {
        Record {
            purpose: self.purpose.clone(),
            resume: self.resume.clone(),
            required: self.required.clone(),
            progress: self.progress.clone(),
            due: self.due.clone(),
        }
    }

    fn from_row(row: SignInRow, browser_hash: String) -> Result<Self, Error> {
        let record: Record = serde_json::from_str(&row.state).map_err(json_error)?;
        let mut progress = record.progress;
        progress.user = row.user_id;
        Ok(Self {
            id: row.id,
            purpose: record.purpose,
            resume: record.resume,
            required: record.required,
            progress,
            due: record.due,
            created_at: row.created_at,
            expires_at: row.expires_at,
            browser_hash: Some(browser_hash),
        })
    }
}

fn json_error(error: serde_json::Error) -> Error {
    Error::Internal(format!("a stored sign-in does not read back: {error}"))
}

/// The binding token this browser presents, if it is one of ours in shape.
fn presented(tenant: &Tenant, headers: &HeaderMap) -> Option<String> {
    cookies::get(headers, &tenant.cookies.sign_in).filter(|token| {
        token.len() == 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The sign-in `id`, if this browser started it and it has not lapsed.
pub async fn find(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<Option<SignIn>, Error> {
    let (Some(id), Some(token)) = (id, presented(tenant, headers)) else {
        return Ok(None);
    };
    let browser_hash = crate::random::hash(&token);
    match state.store.sign_in(id, &browser_hash, state.now()).await? {
        Some(row) => SignIn::from_row(row, browser_hash).map(Some),
        None => Ok(None),
    }
}

/// The sign-in of this browser that awaits provider `provider_id`'s answer with `upstream_state`:
/// the state is bound to one sign-in of one browser, so another browser's (or a replayed) state
/// finds nothing.
pub async fn awaiting(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    provider_id: &str,
    upstream_state: &str,
) -> Result<Option<SignIn>, Error> {
    let Some(token) = presented(tenant, headers) else {
        return Ok(None);
    };
    let browser_hash = crate::random::hash(&token);
    for row in state.store.sign_ins_of_browser(&browser_hash, state.now()).await? {
        let sign_in = SignIn::from_row(row, browser_hash.clone())?;
        if sign_in
            .progress
            .upstream
            .as_ref()
            .is_some_and(|awaiting| awaiting.answers(provider_id, upstream_state))
        {
            return Ok(Some(sign_in));
        }
    }
    Ok(None)
}

/// Stores a new sign-in, bound to this browser (its binding cookie, or a new one). Returns the
/// cookie to set, or `None` when the client's network has too many sign-ins in progress.
pub async fn store(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    address: IpAddr,
    sign_in: &mut SignIn,
) -> Result<Option<HeaderValue>, Error> {
    let token = presented(tenant, headers).unwrap_or_else(|| state.rng.token());
    let browser_hash = crate::random::hash(&token);
    let state_json = serde_json::to_string(&sign_in.record()).map_err(json_error)?;
    let stored = state
        .store
        .create_sign_in(
            NewSignIn {
                id: &sign_in.id,
                browser_hash: &browser_hash,
                // The client's network (IPv6 by /64) behind trusted proxies, as every limit counts.
                network: &crate::net::limit_key(address).to_string(),
                user_id: sign_in.progress.user.as_ref(),
                state: &state_json,
                now: sign_in.created_at,
                expires_at: sign_in.expires_at,
            },
            MAX_PER_NETWORK,
        )
        .await?;
    if !stored {
        return Ok(None);
    }
    sign_in.browser_hash = Some(browser_hash);
    // Renewed with every sign-in, so the cookie outlives every sign-in it binds.
    Ok(Some(cookies::set(&tenant.cookies.sign_in, &token, Some(LIFETIME))))
}

/// Saves the progress of a stored sign-in; false when it is gone (finished elsewhere, lapsed).
pub async fn save(state: &AppState, sign_in: &SignIn) -> Result<bool, Error> {
    let Some(browser_hash) = &sign_in.browser_hash else {
        return Ok(false);
    };
    let state_json = serde_json::to_string(&sign_in.record()).map_err(json_error)?;
    Ok(state
        .store
        .update_sign_in(&sign_in.id, browser_hash, sign_in.progress.user.as_ref(), &state_json)
        .await?)
}

/// Ends a stored sign-in; false when another request ended it first.
pub async fn end(state: &AppState, sign_in: &SignIn) -> Result<bool, Error> {
    let Some(browser_hash) = &sign_in.browser_hash else {
        return Ok(true);
    };
    Ok(state.store.end_sign_in(&sign_in.id, browser_hash).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_never_passes_to_another_customer_or_session() {
        let rng = crate::ports::OsRng;
        let now = UnixTime::from_seconds(0);
        let mut sign_in = SignIn::start(&rng, Purpose::Account, "/account/continue", Assurance::default(), now);
        sign_in.progress = Progress {
            user: Some("ada".into()),
            session: Some("s1".into()),
            methods: Amr::of(super::super::amr::Method::Pwd),
            auth_time: Some(UnixTime::from_seconds(5)),
            consented: true,
            denied: false,
            ..Progress::default()
        };
        let mut same = sign_in.clone();
        same.observe_ids(Some("ada"), Some("s1"));
        assert_eq!(same, sign_in, "the same customer in the same session keeps everything");
        let mut other_session = sign_in.clone();
        other_session.observe_ids(Some("ada"), Some("s2"));
        assert!(other_session.progress.consented, "consent stays with its customer");
        assert_eq!(
            other_session.progress.session, None,
            "a fresh authentication stays with its session"
        );
        assert!(other_session.progress.methods.is_empty());
        for (user, session) in [(Some("eve"), Some("s3")), (None, None)] {
            let mut other = sign_in.clone();
            other.observe_ids(user, session);
            assert_eq!(other.progress, Progress::default(), "{user:?} inherits nothing");
        }
    }
}
