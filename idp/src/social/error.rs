//! Why an upstream provider could not be set up or could not sign a customer in.

/// A provider entry that cannot be served (refused when the configuration is loaded).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// An upstream URL is malformed or not https (http only on a loopback host).
    #[error("{field}: {reason}")]
    InvalidUrl {
        /// The configuration field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A field the provider type needs is absent.
    #[error("{field} is required for this provider type")]
    Missing {
        /// The configuration field.
        field: &'static str,
    },
    /// A field the provider type does not use is present.
    #[error("{field} does not apply to this provider type")]
    NotApplicable {
        /// The configuration field.
        field: &'static str,
    },
    /// Sign in with Apple needs the team id, the key id and the `.p8` key.
    #[error("Sign in with Apple: {reason}")]
    AppleKey {
        /// What is missing or malformed.
        reason: String,
    },
    /// The TLS configuration could not be built.
    #[error("building the upstream TLS configuration: {0}")]
    Tls(#[source] rustls::Error),
}

/// A sign-in through an upstream provider that failed; nothing may be linked or created.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The customer (or the provider) refused: `error=access_denied` on the callback.
    #[error("the provider answered access_denied")]
    AccessDenied {
        /// The provider's `error_description`, untrusted text.
        description: Option<String>,
    },
    /// The provider answered the authorization request with another OAuth error.
    #[error("the provider answered {error}")]
    ProviderRefused {
        /// The provider's `error` code.
        error: String,
        /// The provider's `error_description`, untrusted text.
        description: Option<String>,
    },
    /// The callback's `state` is absent or belongs to another sign-in.
    #[error("the state does not belong to this sign-in")]
    StateMismatch,
    /// The callback has neither a code nor an error.
    #[error("the callback carries no authorization code")]
    MissingCode,
    /// The token endpoint refused the code or answered something unusable.
    #[error("token exchange failed: {reason}")]
    TokenExchange {
        /// The provider's error code or what was wrong with the answer.
        reason: String,
    },
    /// The ID token failed a check (signature, algorithm, issuer, audience, time, nonce).
    #[error("invalid ID token: {reason}")]
    InvalidIdToken {
        /// The failed check.
        reason: String,
    },
    /// An upstream call took longer than the configured timeout.
    #[error("{operation} timed out")]
    Timeout {
        /// The upstream call.
        operation: &'static str,
    },
    /// An upstream call failed (connection, HTTP status).
    #[error("{operation} failed: {reason}")]
    Unavailable {
        /// The upstream call.
        operation: &'static str,
        /// The transport error or status.
        reason: String,
    },
    /// An upstream answer is not what the protocol promises.
    #[error("{operation}: malformed answer: {reason}")]
    Malformed {
        /// The upstream call.
        operation: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The provider's identity has no usable subject.
    #[error("the provider did not say who signed in")]
    MissingSubject,
    /// The client secret JWT for Sign in with Apple could not be signed.
    #[error("signing the Apple client secret: {0}")]
    ClientSecret(#[source] jsonwebtoken::errors::Error),
}

impl UpstreamError {
    /// A short stable reason for audit entries and metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::AccessDenied { .. } => "access_denied",
            Self::ProviderRefused { .. } => "provider_error",
            Self::StateMismatch => "state_mismatch",
            Self::MissingCode => "missing_code",
            Self::TokenExchange { .. } => "token_exchange",
            Self::InvalidIdToken { .. } => "invalid_id_token",
            Self::Timeout { .. } => "timeout",
            Self::Unavailable { .. } => "unavailable",
            Self::Malformed { .. } => "malformed",
            Self::MissingSubject => "missing_subject",
            Self::ClientSecret(_) => "client_secret",
        }
    }

    pub(crate) fn id_token(reason: impl Into<String>) -> Self {
        Self::InvalidIdToken { reason: reason.into() }
    }
}
