//! Profile attributes as form fields: labels, input types, validation.

use vestibule_crds::v1alpha1::ProfileAttribute;

use crate::http::params::Params;
use crate::i18n::Messages;
use crate::store::ProfileUpdate;

/// One input of a profile form.
#[derive(Debug, Clone)]
pub struct Field {
    /// Form name: the claim name.
    pub name: &'static str,
    /// Label in the page's language.
    pub label: &'static str,
    /// HTML input type.
    pub input_type: &'static str,
    /// HTML autocomplete token.
    pub autocomplete: &'static str,
    /// Current value.
    pub value: String,
    /// What is wrong with it.
    pub error: Option<&'static str>,
}

/// A field for `attribute`.
pub fn field(t: &'static Messages, attribute: ProfileAttribute, value: &str, error: Option<&'static str>) -> Field {
    let (input_type, autocomplete) = match attribute {
        ProfileAttribute::GivenName => ("text", "given-name"),
        ProfileAttribute::FamilyName => ("text", "family-name"),
        ProfileAttribute::Nickname => ("text", "nickname"),
        ProfileAttribute::PhoneNumber => ("tel", "tel"),
        ProfileAttribute::Birthdate => ("date", "bday"),
    };
    Field {
        name: attribute.claim(),
        label: t.attribute(attribute),
        input_type,
        autocomplete,
        value: value.to_owned(),
        error,
    }
}

/// The attribute's normalised value, or the message to show.
pub fn validate(t: &'static Messages, attribute: ProfileAttribute, value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(t.required_field);
    }
    match attribute {
        ProfileAttribute::PhoneNumber => {
            let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
            let digits = compact.strip_prefix('+').unwrap_or_default();
            let e164 = (7..=15).contains(&digits.len())
                && digits.chars().all(|c| c.is_ascii_digit())
                && !digits.starts_with('0');
            if e164 { Ok(compact) } else { Err(t.invalid_phone) }
        }
        ProfileAttribute::Birthdate => {
            let date: jiff::civil::Date = value.parse().map_err(|_| t.invalid_birthdate)?;
            let today = jiff::ZonedDateTime::now().date();
            if date < today && date.year() >= 1900 {
                Ok(date.to_string())
            } else {
                Err(t.invalid_birthdate)
            }
        }
        _ if value.chars().count() > 100 => Err(t.required_field),
        _ => Ok(value.to_owned()),
    }
}

/// A profile form as submitted: what to store, and the fields to show again.
#[derive(Debug)]
pub struct Submitted {
    /// The valid values.
    pub update: ProfileUpdate,
    /// Every field with its value and error, to re-render the form.
    pub fields: Vec<Field>,
    /// Whether every field was valid.
    pub valid: bool,
}

/// Reads `attributes` from `form`. With `optional`, an empty field is left as it is instead of
/// being required.
pub fn read(
    t: &'static Messages,
    attributes: impl IntoIterator<Item = ProfileAttribute>,
    form: &Params,
    optional: bool,
) -> Submitted {
    let mut submitted = Submitted {
        update: ProfileUpdate::default(),
        fields: Vec::new(),
        valid: true,
    };
    for attribute in attributes {
        let raw = form.get(attribute.claim()).unwrap_or_default();
        if optional && raw.trim().is_empty() {
            submitted.fields.push(field(t, attribute, "", None));
            continue;
        }
        match validate(t, attribute, raw) {
            Ok(value) => {
                submitted.fields.push(field(t, attribute, &value, None));
                submitted.update.set(attribute, value);
            }
            Err(error) => {
                submitted.valid = false;
                submitted.fields.push(field(t, attribute, raw, Some(error)));
            }
        }
    }
    submitted
}

/// The normalised email address, or the message to show.
pub fn email(t: &'static Messages, value: &str) -> Result<String, &'static str> {
    let email = value.trim().to_lowercase();
    if email.len() <= 254 && vestibule_crds::rules::email_address(&email).is_ok() {
        Ok(email)
    } else {
        Err(t.invalid_email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vestibule_crds::v1alpha1::Locale;

    fn en() -> &'static Messages {
        crate::i18n::catalog().unwrap().messages(Locale::En)
    }

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        assert_eq!(
            validate(en(), ProfileAttribute::PhoneNumber, "+49 170 123-4567"),
            Ok("+491701234567".into())
        );
        assert!(validate(en(), ProfileAttribute::PhoneNumber, "0170 1234567").is_err());
    }

    #[test]
    fn birthdates_must_be_real_past_dates() {
        assert_eq!(
            validate(en(), ProfileAttribute::Birthdate, "1990-02-28"),
            Ok("1990-02-28".into())
        );
        assert!(validate(en(), ProfileAttribute::Birthdate, "1990-02-30").is_err());
        assert!(validate(en(), ProfileAttribute::Birthdate, "2999-01-01").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(email(en(), " Ada@Example.COM "), Ok("ada@example.com".into()));
        assert!(email(en(), "not-an-email").is_err());
        assert_eq!(
            validate(en(), ProfileAttribute::GivenName, "  "),
            Err(en().required_field)
        );
    }
}
