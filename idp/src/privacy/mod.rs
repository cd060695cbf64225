//! Privacy consent under the tenant's ConsentPolicy: the documents customers accept and the
//! processing purposes they agree to or decline, under GDPR (opt-in) or CCPA (opt-out). Answers
//! are records, appended and never changed ([`records`]); what to ask and when to ask again is
//! [`asking`]; what applications see is [`claims`]. Not the OAuth scope consent per client
//! (`store::scope_consents`), which is another thing. The customer's data rights are [`export`]
//! and [`erasure`]; the tenant's data retention is [`retention`].

pub mod asking;
pub mod claims;
pub mod erasure;
pub mod export;
pub mod records;
pub mod retention;

use vestibule_crds::config::ConsentPolicyConfig;
use vestibule_crds::v1alpha1::{Jurisdiction, LegalBasis, LocalizedText};

use crate::config::Tenant;

/// The policy the tenant serves (a config lists at most one, see `TenantConfig::validate`).
pub fn policy(tenant: &Tenant) -> Option<&ConsentPolicyConfig> {
    tenant.config.consent_policies.first()
}

/// Whether optional purposes are on until declined (CCPA) rather than off until agreed (GDPR).
pub fn opt_out(policy: &ConsentPolicyConfig) -> bool {
    policy.jurisdiction == Jurisdiction::Ccpa
}

/// The stored name of a legal basis, as the ConsentPolicy spells it.
pub fn basis_name(basis: LegalBasis) -> &'static str {
    match basis {
        LegalBasis::Consent => "consent",
        LegalBasis::Contract => "contract",
        LegalBasis::LegalObligation => "legalObligation",
        LegalBasis::VitalInterests => "vitalInterests",
        LegalBasis::PublicTask => "publicTask",
        LegalBasis::LegitimateInterests => "legitimateInterests",
    }
}

/// `texts` in language `lang` (`de-AT` falls back to `de`), else English, else any.
pub fn localized<'a>(texts: &'a LocalizedText, lang: &str) -> &'a str {
    let base = lang.split('-').next().unwrap_or(lang);
    [lang, base, "en"]
        .iter()
        .find_map(|tag| texts.get(*tag))
        .or_else(|| texts.values().next())
        .map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_fall_back_from_region_to_language_to_english() {
        let texts: LocalizedText = [("en", "Newsletter"), ("de", "Rundbrief")]
            .into_iter()
            .map(|(tag, text)| (tag.to_owned(), text.to_owned()))
            .collect();
        assert_eq!(localized(&texts, "de-AT"), "Rundbrief");
        assert_eq!(localized(&texts, "de"), "Rundbrief");
        assert_eq!(localized(&texts, "fr"), "Newsletter");
        assert_eq!(localized(&LocalizedText::default(), "de"), "");
    }
}
