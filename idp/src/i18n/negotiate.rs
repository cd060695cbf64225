//! Which language a page is in: the first of `ui_locales` the tenant offers, then the best
//! match of the browser's `Accept-Language`, then the tenant's first language.

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::LanguageIdentifier;
use vestibule_crds::v1alpha1::Locale;

use super::{I18nError, Messages, catalog};

/// Browsers send a handful of languages; looking at more only costs time.
const MAX_REQUESTED: usize = 16;

/// The languages one tenant offers, in its order; the first is the fallback.
#[derive(Debug, Clone)]
pub struct Languages {
    offered: Vec<&'static Messages>,
    fallback: &'static Messages,
}

impl Languages {
    /// The tenant's `branding.locales` (English when the list is empty).
    pub fn offered(locales: &[Locale]) -> Result<Self, I18nError> {
        let catalog = catalog()?;
        let offered: Vec<&'static Messages> = locales.iter().map(|locale| catalog.messages(*locale)).collect();
        let fallback = offered.first().copied().unwrap_or(catalog.messages(Locale::En));
        Ok(Self { offered, fallback })
    }

    /// The texts for a customer who asked for `ui_locales` (OIDC Core 3.1.2.1, in order of
    /// preference) with a browser sending `accept_language`; only offered languages are chosen.
    pub fn negotiate(&self, ui_locales: &[String], accept_language: Option<&str>) -> &'static Messages {
        let accepted = accept_language.map(accepted).unwrap_or_default();
        let requested: Vec<LanguageIdentifier> = ui_locales
            .iter()
            .chain(&accepted)
            .filter_map(|tag| tag.parse().ok())
            .take(MAX_REQUESTED)
            .collect();
        negotiate_languages(&requested, &self.offered, None, NegotiationStrategy::Lookup)
            .first()
            .map_or(self.fallback, |messages| **messages)
    }
}

/// The tags of an `Accept-Language` header, best first, without those it refuses with `q=0`
/// (RFC 9110 12.5.4).
fn accepted(header: &str) -> Vec<String> {
    accept_language::parse_with_quality(header)
        .into_iter()
        .filter(|(_, quality)| *quality > 0.0)
        .map(|(tag, _)| tag)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages(locales: &[Locale]) -> Languages {
        Languages::offered(locales).unwrap()
    }

    fn chosen(locales: &[Locale], ui_locales: &[&str], accept: Option<&str>) -> &'static str {
        let ui_locales: Vec<String> = ui_locales.iter().map(|tag| (*tag).to_owned()).collect();
        languages(locales).negotiate(&ui_locales, accept).lang
    }

    const BOTH: [Locale; 2] = [Locale::En, Locale::De];

    #[test]
    fn ui_locales_win_over_accept_language() {
        assert_eq!(chosen(&BOTH, &["de-DE"], Some("en")), "de");
        assert_eq!(chosen(&BOTH, &["fr", "de"], None), "de");
        assert_eq!(chosen(&BOTH, &["fr"], Some("de")), "de");
    }

    #[test]
    fn accept_language_quality_is_respected() {
        assert_eq!(chosen(&BOTH, &[], Some("fr;q=0.9, de;q=0.8, en;q=0.5")), "de");
        assert_eq!(chosen(&BOTH, &[], Some("de;q=0.1, en")), "en");
        assert_eq!(chosen(&BOTH, &[], Some("de-AT,de;q=0.9,en;q=0.5")), "de");
        assert_eq!(chosen(&BOTH, &[], Some("en-GB, de")), "en");
    }

    #[test]
    fn a_language_refused_with_q_zero_is_never_chosen() {
        assert_eq!(chosen(&BOTH, &[], Some("de;q=0, en;q=0.1")), "en");
        assert_eq!(chosen(&[Locale::En, Locale::De], &[], Some("de;q=0")), "en");
    }

    #[test]
    fn only_the_tenants_languages_are_chosen_and_its_first_is_the_fallback() {
        assert_eq!(chosen(&BOTH, &[], Some("fr")), "en");
        assert_eq!(chosen(&[Locale::De, Locale::En], &["fr"], Some("*, it")), "de");
        assert_eq!(chosen(&[Locale::De], &["en"], Some("en")), "de");
        assert_eq!(chosen(&[Locale::En], &[], Some("de")), "en");
        assert_eq!(chosen(&[], &[], Some("de")), "en");
    }

    #[test]
    fn malformed_tags_are_skipped() {
        assert_eq!(chosen(&BOTH, &["", "not a tag", "de"], None), "de");
        assert_eq!(chosen(&BOTH, &[], Some(";;,q=1,,de_DE;q=0.5")), "de");
    }
}
