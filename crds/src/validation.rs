//! Validation results that name the offending field, shared by every kind and the config.

use std::fmt;

/// One rule a value broke: where (a field path such as `spec.redirectUris[2]`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, in the manifest's own (camelCase) spelling.
    pub path: String,
    /// What is wrong, as a sentence fragment a user can act on.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Every rule a value broke, in field order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The first broken rule's field path: what an Event or a condition names.
    pub fn first_path(&self) -> &str {
        self.0.first().map_or("", |error| error.path.as_str())
    }

    /// True when some error is about `path` or a field below it.
    pub fn mentions(&self, path: &str) -> bool {
        self.0.iter().any(|error| error.path.starts_with(path))
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Collects field errors while a validation function walks a value.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// Records `reason` against `path` unless `ok` holds.
    pub fn require(&mut self, ok: bool, path: impl Into<String>, reason: impl Into<String>) {
        if !ok {
            self.fail(path, reason);
        }
    }

    /// Records `reason` against `path`.
    pub fn fail(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Records the reason of a single-value rule against `path` when the rule failed.
    pub fn merge_reason<T>(&mut self, result: Result<T, String>, path: impl Into<String>) {
        if let Err(reason) = result {
            self.fail(path, reason);
        }
    }

    /// Records a nested validation's errors.
    pub fn merge(&mut self, result: Result<(), ValidationErrors>) {
        if let Err(errors) = result {
            self.errors.extend(errors.0);
        }
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }
}
