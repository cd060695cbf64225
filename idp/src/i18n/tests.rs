//! The shipped languages against each other and against what the code asks for.

use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_syntax::ast::Entry;

use super::*;

const SHIPPED: [Locale; 2] = [Locale::En, Locale::De];

/// The message ids of a language's `.ftl` file.
fn ids(locale: Locale) -> BTreeSet<String> {
    let resource = FluentResource::try_new(source(locale).to_owned()).unwrap();
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

fn bundle(locale: Locale) -> Bundle {
    Bundle::parse(locale.tag(), source(locale)).unwrap()
}

#[test]
fn every_message_the_code_asks_for_exists_in_every_language_with_its_arguments() {
    for locale in SHIPPED {
        let loaded = Messages::load(bundle(locale));
        assert!(loaded.is_ok(), "{}: {:?}", locale.tag(), loaded.err());
    }
    assert!(catalog().is_ok());
}

#[test]
fn every_language_ships_the_same_messages_with_the_same_arguments() {
    let english = bundle(Locale::En);
    for locale in SHIPPED {
        assert_eq!(
            ids(locale),
            ids(Locale::En),
            "{} and en ship different ids",
            locale.tag()
        );
        let other = bundle(locale);
        for id in ids(Locale::En) {
            assert_eq!(
                other.variables(&id).unwrap(),
                english.variables(&id).unwrap(),
                "`{id}` takes other arguments in {} than in en",
                locale.tag()
            );
        }
    }
}

#[test]
fn every_shipped_message_is_one_the_code_asks_for() {
    let wanted: BTreeSet<String> = Messages::wanted().into_iter().map(|(id, _)| id).collect();
    for locale in SHIPPED {
        let unused: Vec<String> = ids(locale).difference(&wanted).cloned().collect();
        assert!(
            unused.is_empty(),
            "{} ships messages no code asks for: {unused:?}",
            locale.tag()
        );
    }
}

#[test]
fn a_language_missing_a_message_is_refused_when_it_loads() {
    for locale in SHIPPED {
        let source: String = source(locale)
            .lines()
            .filter(|line| !line.starts_with("sign-in ="))
            .map(|line| format!("{line}\n"))
            .collect();
        let refused = Messages::load(Bundle::parse(locale.tag(), &source).unwrap());
        assert!(
            matches!(&refused, Err(I18nError::Missing { id, .. }) if id == "sign-in"),
            "{}: {refused:?}",
            locale.tag()
        );
    }
}

#[test]
fn a_language_whose_message_takes_other_arguments_is_refused_when_it_loads() {
    for locale in SHIPPED {
        let source = source(locale).replace("{ $brand }", "{ $tenant }");
        let refused = Messages::load(Bundle::parse(locale.tag(), &source).unwrap());
        assert!(
            matches!(&refused, Err(I18nError::Arguments { passed, .. }) if passed == &["brand"]),
            "{}: {refused:?}",
            locale.tag()
        );
    }
}

#[test]
fn placeholders_are_filled_by_fluent_in_each_language() {
    let catalog = catalog().unwrap();
    let (en, de) = (catalog.messages(Locale::En), catalog.messages(Locale::De));
    assert_eq!(
        en.password_hint(12),
        "At least 12 characters. Long passphrases are best."
    );
    assert_eq!(
        de.password_hint(12),
        "Mindestens 12 Zeichen. Lange Passphrasen sind am sichersten."
    );
    assert_eq!(
        en.password_too_short(1),
        "The password is too short: use at least 1 character."
    );
    assert_eq!(en.sign_in_to("Demo Store"), "Sign in to Demo Store");
    assert_eq!(de.sign_in_to("Demo Store"), "Anmelden bei Demo Store");
    assert_eq!(
        de.verify_subject_line("Shop"),
        "Bestätigen Sie Ihre E-Mail-Adresse · Shop"
    );
    assert_eq!(en.sign_in, "Sign in");
    assert_eq!(de.sign_in, "Anmelden");
}
