//! Manifest helpers shared by the tests.

use serde::de::DeserializeOwned;
use vestibule_crds::ValidationErrors;

/// Parses a YAML manifest into a typed object, panicking with the parse error.
pub fn parse<T: DeserializeOwned>(yaml: &str) -> T {
    serde_yaml::from_str(yaml).unwrap_or_else(|error| panic!("manifest does not parse: {error}\n{yaml}"))
}

/// Replaces `from` with `to` in `base`, insisting that `from` occurs.
pub fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} not in the base manifest");
    base.replacen(from, to, 1)
}

/// Asserts that validation failed on `path` (or a field below it) with a reason.
pub fn assert_rejects(result: Result<(), ValidationErrors>, path: &str) {
    let errors = result.expect_err(&format!("expected a rejection naming {path}"));
    assert!(errors.mentions(path), "expected an error naming {path}, got: {errors}");
    assert!(
        errors.to_string().contains(path),
        "the message must name the field: {errors}"
    );
}
