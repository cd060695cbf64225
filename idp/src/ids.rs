//! Typed identifiers, scopes and times: a session id cannot be passed where a customer's id is
//! expected, scopes are a set rather than a string to split, and a time is not a bare number.

use std::fmt;

use serde::{Deserialize, Serialize};
use vestibule_crds::Duration;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// The identifier `value`.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

identifier!(
    /// A customer: the `sub` claim.
    UserId
);
identifier!(
    /// A customer's sign-in session at the IdP: the `sid` claim.
    SessionId
);

/// Scopes (RFC 6749 3.3): space-separated on the wire, here distinct values in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses the wire form, dropping empty and repeated values.
    pub fn parse(text: &str) -> Self {
        text.split(' ').filter(|scope| !scope.is_empty()).collect()
    }

    /// Whether `scope` is among them.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|own| own == scope)
    }

    /// Whether every one of `other` is among them.
    pub fn covers(&self, other: &Self) -> bool {
        other.iter().all(|scope| self.contains(scope))
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut scopes = Self::default();
        for scope in iter {
            let scope = scope.into();
            if !scopes.contains(&scope) {
                scopes.0.push(scope);
            }
        }
        scopes
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// An instant, in seconds since the Unix epoch (what the database stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The instant `seconds` after the epoch.
    pub fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the epoch.
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// This instant moved `duration` later, saturating.
    pub fn plus(self, duration: Duration) -> Self {
        self.plus_seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    /// This instant moved `seconds` later, saturating.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// This instant moved `seconds` earlier, saturating.
    pub fn minus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_sub(seconds))
    }

    /// Seconds from `earlier` to this instant.
    pub fn since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_distinct_in_request_order() {
        let scopes = Scopes::parse("openid  email openid profile");
        assert_eq!(scopes.to_string(), "openid email profile");
        assert!(scopes.covers(&Scopes::parse("email openid")));
        assert!(!scopes.covers(&Scopes::parse("email phone")));
        assert_eq!(
            serde_json::to_string(&scopes).unwrap(),
            r#"["openid","email","profile"]"#
        );
    }

    #[test]
    fn identifiers_compare_with_text_and_times_with_times() {
        let user = UserId::new("u1");
        assert_eq!(user, "u1");
        assert_eq!(serde_json::to_string(&user).unwrap(), r#""u1""#);
        let start = UnixTime::from_seconds(100);
        assert_eq!(start.plus(Duration::from_mins(1)).since(start), 60);
        assert_eq!(start.plus_seconds(60), start.plus(Duration::from_secs(60)));
        assert!(start.minus_seconds(1) < start);
        assert_eq!(start.minus_seconds(100).seconds(), 0);
    }
}
