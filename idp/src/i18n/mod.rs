//! The words of the hosted pages, error pages and emails: Fluent bundles for every shipped
//! language (`locales/*.ftl`, embedded in the binary), and how a page's language is chosen.

mod bundle;
mod messages;
mod negotiate;

use std::sync::OnceLock;

use vestibule_crds::v1alpha1::Locale;

use self::bundle::Bundle;
pub use self::messages::Messages;
pub use self::negotiate::Languages;

/// Why the shipped messages cannot be used: a defect of the build, refused at startup.
#[derive(Debug, Clone, thiserror::Error)]
pub enum I18nError {
    /// An `.ftl` file does not parse, or repeats an id.
    #[error("the {lang} messages do not parse: {detail}")]
    Syntax {
        /// The language.
        lang: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// A message the code asks for is missing (or has no value).
    #[error("the {lang} messages lack `{id}`")]
    Missing {
        /// The language.
        lang: &'static str,
        /// The message id.
        id: String,
    },
    /// A message uses other variables than the code passes it.
    #[error("the {lang} message `{id}` uses the arguments {used:?}, but the code passes {passed:?}")]
    Arguments {
        /// The language.
        lang: &'static str,
        /// The message id.
        id: String,
        /// The variables the message uses.
        used: Vec<String>,
        /// The arguments the code passes.
        passed: Vec<String>,
    },
}

/// Every shipped language, loaded and checked.
#[derive(Debug)]
pub struct Catalog {
    english: Messages,
    german: Messages,
}

impl Catalog {
    /// Parses every shipped language and checks it against what the code asks for.
    pub fn load() -> Result<Self, I18nError> {
        let load = |locale: Locale| Messages::load(Bundle::parse(locale.tag(), source(locale))?);
        Ok(Self {
            english: load(Locale::En)?,
            german: load(Locale::De)?,
        })
    }

    /// The texts of `locale`.
    pub fn messages(&self, locale: Locale) -> &Messages {
        match locale {
            Locale::En => &self.english,
            Locale::De => &self.german,
        }
    }
}

/// The `.ftl` text of a language.
fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::En => include_str!("locales/en.ftl"),
        Locale::De => include_str!("locales/de.ftl"),
    }
}

/// The catalogue, loaded on first use; every later call gets the same one (or the same error).
pub fn catalog() -> Result<&'static Catalog, I18nError> {
    static CATALOG: OnceLock<Result<Catalog, I18nError>> = OnceLock::new();
    CATALOG.get_or_init(Catalog::load).as_ref().map_err(Clone::clone)
}

#[cfg(test)]
mod tests;
