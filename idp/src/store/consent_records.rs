//! Privacy consent records: every answer of a customer about a document or a processing purpose
//! of the tenant's ConsentPolicy, appended and never changed (see [`crate::privacy`]). The
//! current state of a subject is its latest record; the state at any past moment is the latest
//! record up to it.

use super::{Store, StoreResult, flag, query_error};
use crate::ids::{UnixTime, UserId};

/// The answer a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    /// Agreed to (a purpose) or accepted (a document).
    Granted,
    /// Refused when asked.
    Declined,
    /// Agreed to before, then taken back.
    Withdrawn,
}

impl ConsentState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "granted" => Self::Granted,
            "withdrawn" => Self::Withdrawn,
            // Anything else grants nothing.
            _ => Self::Declined,
        }
    }
}

/// How an answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentSource {
    /// On the registration form.
    Registration,
    /// On the page a sign-in showed before finishing.
    SignIn,
    /// On the account page.
    AccountPage,
}

impl ConsentSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::SignIn => "sign_in",
            Self::AccountPage => "account_page",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "registration" => Self::Registration,
            "sign_in" => Self::SignIn,
            _ => Self::AccountPage,
        }
    }
}

/// One answer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// The customer.
    pub user_id: UserId,
    /// `document:terms`, `document:privacy`, or a purpose id.
    pub subject: String,
    /// The answer.
    pub state: ConsentState,
    /// The version of the policy the customer was shown.
    pub policy_version: String,
    /// The legal basis of the processing (`consent`, `contract`, …).
    pub legal_basis: String,
    /// How the answer was given.
    pub source: ConsentSource,
    /// The browser sent a Global Privacy Control signal (`Sec-GPC: 1`).
    pub gpc: bool,
    /// When.
    pub at: UnixTime,
    /// From which address.
    pub ip: Option<String>,
    /// With which browser.
    pub user_agent: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    user_id: UserId,
    subject: String,
    state: String,
    policy_version: String,
    legal_basis: String,
    source: String,
    gpc: i64,
    at: UnixTime,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl From<Row> for ConsentRecord {
    fn from(row: Row) -> Self {
        Self {
            user_id: row.user_id,
            subject: row.subject,
            state: ConsentState::parse(&row.state),
            policy_version: row.policy_version,
            legal_basis: row.legal_basis,
            source: ConsentSource::parse(&row.source),
            gpc: row.gpc != 0,
            at: row.at,
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

macro_rules! columns {
    () => {
        "user_id, subject, state, policy_version, legal_basis, source, gpc, at, ip, user_agent"
    };
}

impl Store {
    /// Appends `records` together: one answer of a form is stored whole or not at all.
    pub async fn append_consent_records(&self, records: &[ConsentRecord]) -> StoreResult<()> {
        let operation = "append_consent_records";
        let mut tx = self.begin_write().await.map_err(query_error(operation))?;
        for record in records {
            sqlx::query(concat!(
                "INSERT INTO consent_records (",
                columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
            .bind(&record.user_id)
            .bind(&record.subject)
            .bind(record.state.as_str())
            .bind(&record.policy_version)
            .bind(&record.legal_basis)
            .bind(record.source.as_str())
            .bind(flag(record.gpc))
            .bind(record.at)
            .bind(&record.ip)
            .bind(&record.user_agent)
            .execute(&mut *tx)
            .await
            .map_err(query_error(operation))?;
        }
        tx.commit().await.map_err(query_error(operation))
    }

    /// The latest record of every subject the customer ever answered about (purposes a policy
    /// no longer lists included).
    pub async fn current_consents(&self, user_id: &UserId) -> StoreResult<Vec<ConsentRecord>> {
        self.consents_at(user_id, UnixTime::from_seconds(i64::MAX)).await
    }

    /// The latest record of every subject as of `at`: what the customer had answered then.
    pub async fn consents_at(&self, user_id: &UserId, at: UnixTime) -> StoreResult<Vec<ConsentRecord>> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM consent_records r WHERE user_id = $1 AND id = \
             (SELECT MAX(id) FROM consent_records l WHERE l.user_id = r.user_id AND l.subject = r.subject AND l.at <= $2) \
             ORDER BY subject"
        ))
        .bind(user_id)
        .bind(at)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("consents_at"))?;
        Ok(rows.into_iter().map(ConsentRecord::from).collect())
    }

    /// Every record of the customer, oldest first: the full history, as an export shows it.
    pub async fn consent_history(&self, user_id: &UserId) -> StoreResult<Vec<ConsentRecord>> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM consent_records WHERE user_id = $1 ORDER BY at, id"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("consent_history"))?;
        Ok(rows.into_iter().map(ConsentRecord::from).collect())
    }
}
