//! Customer accounts.

use vestibule_crds::v1alpha1::ProfileAttribute;

use super::{Store, StoreResult, flag, query_error};
use crate::ids::{UnixTime, UserId};

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable, opaque subject identifier (`sub`).
    pub id: UserId,
    /// Email address, lowercased.
    pub email: String,
    /// Whether the customer proved they receive mail at `email`.
    pub email_verified: bool,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// Casual name.
    pub nickname: Option<String>,
    /// Telephone number.
    pub phone_number: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub birthdate: Option<String>,
    /// Preferred language tag.
    pub locale: Option<String>,
    /// Completed sign-ins.
    pub login_count: i64,
    /// Failed (or still running) sign-in attempts in the current window (`risk::lockout`).
    pub failed_logins: i64,
    /// Locked until this instant, if locked.
    pub locked_until: Option<UnixTime>,
    /// Progressive-profiling steps the customer skipped, comma-separated indexes.
    pub profiling_skipped: String,
    /// When the account was created.
    pub created_at: UnixTime,
    /// When the profile last changed (`updated_at` claim).
    pub updated_at: UnixTime,
    /// When the password this account signed in with was found in a data breach: until a new
    /// one is set, sign-ins must set one.
    pub password_breached_at: Option<UnixTime>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    email_verified: i64,
    password_hash: String,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    phone_number: Option<String>,
    birthdate: Option<String>,
    locale: Option<String>,
    login_count: i64,
    failed_logins: i64,
    locked_until: Option<UnixTime>,
    profiling_skipped: String,
    created_at: UnixTime,
    updated_at: UnixTime,
    password_breached_at: Option<UnixTime>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: UserId::new(row.id),
            email: row.email,
            email_verified: row.email_verified != 0,
            password_hash: row.password_hash,
            given_name: row.given_name,
            family_name: row.family_name,
            nickname: row.nickname,
            phone_number: row.phone_number,
            birthdate: row.birthdate,
            locale: row.locale,
            login_count: row.login_count,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until,
            profiling_skipped: row.profiling_skipped,
            created_at: row.created_at,
            updated_at: row.updated_at,
            password_breached_at: row.password_breached_at,
        }
    }
}

impl User {
    /// The stored value of a profile attribute.
    pub fn attribute(&self, attribute: ProfileAttribute) -> Option<&str> {
        match attribute {
            ProfileAttribute::GivenName => self.given_name.as_deref(),
            ProfileAttribute::FamilyName => self.family_name.as_deref(),
            ProfileAttribute::Nickname => self.nickname.as_deref(),
            ProfileAttribute::PhoneNumber => self.phone_number.as_deref(),
            ProfileAttribute::Birthdate => self.birthdate.as_deref(),
        }
    }

    /// `given_name family_name`, when either is known (the `name` claim).
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: UnixTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// Whether the customer skipped progressive-profiling step `index`.
    pub fn skipped_step(&self, index: usize) -> bool {
        self.profiling_skipped
            .split(',')
            .any(|skipped| skipped == index.to_string())
    }
}

/// A registration.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address (lowercased by the caller).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Attributes given at registration.
    pub profile: ProfileUpdate,
    /// Whether the address is proven already (never by registering: only a verification link
    /// or an emailed reset proves it, see `mark_email_verified`).
    pub email_verified: bool,
    /// Language the customer registered in.
    pub locale: Option<String>,
}

/// New values for profile attributes; `None` leaves an attribute unchanged.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// Casual name.
    pub nickname: Option<String>,
    /// Telephone number.
    pub phone_number: Option<String>,
    /// Date of birth.
    pub birthdate: Option<String>,
}

impl ProfileUpdate {
    /// Sets one attribute.
    pub fn set(&mut self, attribute: ProfileAttribute, value: String) {
        let slot = match attribute {
            ProfileAttribute::GivenName => &mut self.given_name,
            ProfileAttribute::FamilyName => &mut self.family_name,
            ProfileAttribute::Nickname => &mut self.nickname,
            ProfileAttribute::PhoneNumber => &mut self.phone_number,
            ProfileAttribute::Birthdate => &mut self.birthdate,
        };
        *slot = Some(value);
    }
}

macro_rules! columns {
    () => {
        "id, email, email_verified, password_hash, given_name, family_name, nickname, phone_number, \
         birthdate, locale, login_count, failed_logins, locked_until, profiling_skipped, created_at, updated_at, \
         password_breached_at"
    };
}

impl Store {
    /// Creates an account; `None` when the email address is taken.
    pub async fn create_user(&self, user: NewUser, now: UnixTime) -> StoreResult<Option<User>> {
        let id = crate::random::id();
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, email_verified, password_hash, given_name, family_name, nickname, \
             phone_number, birthdate, locale, created_at, updated_at, last_active_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&id)
        .bind(&user.email)
        .bind(flag(user.email_verified))
        .bind(&user.password_hash)
        .bind(&user.profile.given_name)
        .bind(&user.profile.family_name)
        .bind(&user.profile.nickname)
        .bind(&user.profile.phone_number)
        .bind(&user.profile.birthdate)
        .bind(&user.locale)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("create_user"))?;
        if inserted.rows_affected() == 0 {
            return Ok(None);
        }
        self.user_by_id(&UserId::new(id)).await
    }

    /// The account with this id.
    pub async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        user_by_id_on(self.pool(), id).await
    }

    /// The account with this (lowercased) email address.
    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        sqlx::query_as::<_, UserRow>(concat!("SELECT ", columns!(), " FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(self.pool())
            .await
            .map(|row| row.map(User::from))
            .map_err(query_error("user_by_email"))
    }

    /// Marks the email address as verified.
    pub async fn mark_email_verified(&self, id: &UserId, now: UnixTime) -> StoreResult<()> {
        sqlx::query("UPDATE users SET email_verified = 1, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(query_error("mark_email_verified"))?;
        Ok(())
    }

    /// Replaces the password hash, lifts any lock (with its backoff) and clears a breach flag
    /// (the flagged password is gone).
    pub async fn set_password(&self, id: &UserId, password_hash: &str, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, lockouts = 0, \
             password_breached_at = NULL, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(password_hash)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("set_password"))?;
        Ok(())
    }

    /// Stores the given profile attributes, leaving the others unchanged.
    pub async fn update_profile(&self, id: &UserId, update: &ProfileUpdate, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET given_name = COALESCE($2, given_name), family_name = COALESCE($3, family_name), \
             nickname = COALESCE($4, nickname), phone_number = COALESCE($5, phone_number), \
             birthdate = COALESCE($6, birthdate), updated_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(&update.given_name)
        .bind(&update.family_name)
        .bind(&update.nickname)
        .bind(&update.phone_number)
        .bind(&update.birthdate)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("update_profile"))?;
        Ok(())
    }

    /// Counts a completed sign-in (progressive profiling asks by this count) and marks the
    /// account used at `now`: retention counts inactivity from here, and a warning that the
    /// account would be erased for inactivity no longer applies.
    pub async fn count_login(&self, id: &UserId, now: UnixTime) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET login_count = login_count + 1, last_active_at = $2, inactivity_warned_at = NULL \
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error("count_login"))?;
        Ok(())
    }

    /// Remembers that the customer skipped progressive-profiling step `index`.
    pub async fn skip_profiling_step(&self, user: &User, index: usize) -> StoreResult<()> {
        let mut skipped: Vec<&str> = user.profiling_skipped.split(',').filter(|s| !s.is_empty()).collect();
        let index = index.to_string();
        if !skipped.contains(&index.as_str()) {
            skipped.push(&index);
        }
        sqlx::query("UPDATE users SET profiling_skipped = $2 WHERE id = $1")
            .bind(&user.id)
            .bind(skipped.join(","))
            .execute(self.pool())
            .await
            .map_err(query_error("skip_profiling_step"))?;
        Ok(())
    }
}

/// The account with this id, read through `executor` (the pool, or a transaction under way).
pub(super) async fn user_by_id_on<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: &UserId,
) -> StoreResult<Option<User>> {
    sqlx::query_as::<_, UserRow>(concat!("SELECT ", columns!(), " FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
        .map(|row| row.map(User::from))
        .map_err(query_error("user_by_id"))
}
