//! Durations written the way Kubernetes users write them: `30s`, `10m`, `720h`, `1h30m`, `7d`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole number of seconds, parsed from and printed as a string of `<number><unit>` parts.
///
/// Units: `d` (24h), `h`, `m`, `s`. Printing is canonical (`90m` prints as `1h30m`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason} (expected for example 30s, 10m, 720h or 1h30m)")]
pub struct ParseDurationError {
    input: String,
    reason: &'static str,
}

impl Duration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// A duration of `minutes` minutes.
    pub const fn from_mins(minutes: u64) -> Self {
        Self(minutes * 60)
    }

    /// A duration of `hours` hours.
    pub const fn from_hours(hours: u64) -> Self {
        Self(hours * 3600)
    }

    /// The length in whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The length as a standard library duration.
    pub const fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }

    /// The length as a signed span for timestamp arithmetic.
    pub fn to_signed(self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(i64::try_from(self.0).unwrap_or(i64::MAX))
    }
}

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ParseDurationError {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut total: u64 = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return Err(fail("each part must start with a number"));
            }
            let number: u64 = rest[..digits].parse().map_err(|_| fail("a number is too large"))?;
            let mut units = rest[digits..].chars();
            let seconds_per_unit = match units.next() {
                Some('d') => 86_400,
                Some('h') => 3_600,
                Some('m') => 60,
                Some('s') => 1,
                Some(_) => return Err(fail("the unit must be one of d, h, m, s")),
                None => return Err(fail("a number has no unit")),
            };
            let part = number
                .checked_mul(seconds_per_unit)
                .ok_or_else(|| fail("it is too long"))?;
            total = total.checked_add(part).ok_or_else(|| fail("it is too long"))?;
            rest = units.as_str();
        }
        Ok(Self(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hours, minutes, seconds) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if self.0 == 0 {
            return f.write_str("0s");
        }
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if seconds > 0 {
            write!(f, "{seconds}s")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duration({self})")
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+[dhms])+$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_compound_parts() {
        assert_eq!("30s".parse(), Ok(Duration::from_secs(30)));
        assert_eq!("10m".parse(), Ok(Duration::from_mins(10)));
        assert_eq!("720h".parse(), Ok(Duration::from_hours(720)));
        assert_eq!("1h30m".parse(), Ok(Duration::from_mins(90)));
        assert_eq!("7d".parse(), Ok(Duration::from_hours(168)));
    }

    #[test]
    fn refuses_malformed_text_with_a_reason() {
        for bad in ["", "10", "m", "10x", "1.5h", "-1h", "1h 30m", "99999999999999999999s"] {
            let error = bad.parse::<Duration>().expect_err(bad);
            assert!(error.to_string().contains("invalid duration"), "{error}");
        }
    }

    #[test]
    fn prints_canonically_and_round_trips() {
        assert_eq!(Duration::from_mins(90).to_string(), "1h30m");
        assert_eq!(Duration::from_hours(720).to_string(), "720h");
        assert_eq!(Duration::from_secs(0).to_string(), "0s");
        let parsed: Duration = serde_json::from_str("\"2h0m5s\"").unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"2h5s\"");
    }
}
