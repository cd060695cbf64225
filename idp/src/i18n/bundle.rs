//! One language's Fluent bundle, parsed from its embedded `.ftl` file, and what its messages
//! ask for: which variables a message (and the messages it references) uses.

use std::collections::{BTreeSet, HashSet};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast::{CallArguments, Expression, InlineExpression, Pattern, PatternElement};
use unic_langid::LanguageIdentifier;

use super::I18nError;

/// The messages of one language.
pub struct Bundle {
    /// BCP 47 tag.
    lang: &'static str,
    /// The same tag, parsed, for negotiation.
    id: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

impl Bundle {
    /// Parses `source`, the `.ftl` text of language `lang`; any syntax error or repeated id
    /// refuses the whole file.
    pub fn parse(lang: &'static str, source: &str) -> Result<Self, I18nError> {
        let syntax = |detail: String| I18nError::Syntax { lang, detail };
        let id: LanguageIdentifier = lang.parse().map_err(|error| syntax(format!("{error}")))?;
        let resource =
            FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| syntax(format!("{errors:?}")))?;
        let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
        // Isolation marks (U+2068, U+2069) around arguments only matter next to right-to-left
        // text; every shipped language is left-to-right, and the marks would end up inside
        // links, subjects and what customers copy.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|errors| syntax(format!("{errors:?}")))?;
        Ok(Self { lang, id, bundle })
    }

    /// The BCP 47 tag.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The parsed tag.
    pub fn id(&self) -> &LanguageIdentifier {
        &self.id
    }

    /// Fails unless message `id` exists and uses exactly the variables `arguments`.
    pub fn check(&self, id: &str, arguments: &[&str]) -> Result<(), I18nError> {
        let used = self.variables(id)?;
        let passed: BTreeSet<String> = arguments.iter().map(|name| (*name).to_owned()).collect();
        if used == passed {
            return Ok(());
        }
        Err(I18nError::Arguments {
            lang: self.lang,
            id: id.to_owned(),
            used: used.into_iter().collect(),
            passed: passed.into_iter().collect(),
        })
    }

    /// Formats message `id` with `arguments`. Callers ask only for ids [`check`](Self::check)
    /// accepted when the language was loaded.
    pub fn format(&self, id: &str, arguments: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|message| message.value()) else {
            tracing::error!(lang = self.lang, id, "a message the code asks for is missing");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, arguments, &mut errors);
        if !errors.is_empty() {
            tracing::error!(lang = self.lang, id, ?errors, "a message did not format cleanly");
        }
        text.into_owned()
    }

    /// The variables message `id` uses, with those of the messages it references.
    pub fn variables(&self, id: &str) -> Result<BTreeSet<String>, I18nError> {
        let mut walk = Walk::default();
        let mut seen = HashSet::new();
        walk.references.push(id.to_owned());
        while let Some(next) = walk.references.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            let pattern = self
                .bundle
                .get_message(&next)
                .and_then(|message| message.value())
                .ok_or_else(|| I18nError::Missing {
                    lang: self.lang,
                    id: next.clone(),
                })?;
            walk.pattern(pattern);
        }
        Ok(walk.variables)
    }
}

/// What a walk through message patterns found.
#[derive(Default)]
struct Walk {
    variables: BTreeSet<String>,
    references: Vec<String>,
}

impl Walk {
    fn pattern(&mut self, pattern: &Pattern<&str>) {
        for element in &pattern.elements {
            if let PatternElement::Placeable { expression } = element {
                self.expression(expression);
            }
        }
    }

    fn expression(&mut self, expression: &Expression<&str>) {
        match expression {
            Expression::Inline(inline) => self.inline(inline),
            Expression::Select { selector, variants } => {
                self.inline(selector);
                for variant in variants {
                    self.pattern(&variant.value);
                }
            }
        }
    }

    fn inline(&mut self, inline: &InlineExpression<&str>) {
        match inline {
            InlineExpression::VariableReference { id } => {
                self.variables.insert(id.name.to_owned());
            }
            InlineExpression::MessageReference { id, .. } => self.references.push(id.name.to_owned()),
            InlineExpression::FunctionReference { arguments, .. } => self.call(arguments),
            // A term's own `$x` are its parameters, not the caller's: only its call arguments count.
            InlineExpression::TermReference { arguments, .. } => {
                if let Some(arguments) = arguments {
                    self.call(arguments);
                }
            }
            InlineExpression::Placeable { expression } => self.expression(expression),
            InlineExpression::StringLiteral { .. } | InlineExpression::NumberLiteral { .. } => {}
        }
    }

    fn call(&mut self, arguments: &CallArguments<&str>) {
        let named = arguments.named.iter().map(|named| &named.value);
        for argument in arguments.positional.iter().chain(named) {
            self.inline(argument);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(source: &str) -> Bundle {
        Bundle::parse("en", source).unwrap()
    }

    #[test]
    fn variables_are_found_in_selectors_variants_and_referenced_messages() {
        let bundle = bundle(
            "greeting = Hello { $name }\n\
             count = { $n ->\n    [one] one { $thing }\n   *[other] { $n } things\n}\n\
             both = { greeting }, { count }\n",
        );
        let names = |id| bundle.variables(id).unwrap().into_iter().collect::<Vec<_>>();
        assert_eq!(names("greeting"), ["name"]);
        assert_eq!(names("count"), ["n", "thing"]);
        assert_eq!(names("both"), ["n", "name", "thing"]);
    }

    #[test]
    fn a_message_taking_other_arguments_than_the_code_passes_is_refused() {
        let bundle = bundle("hint = At least { $min } characters\n");
        assert!(bundle.check("hint", &["min"]).is_ok());
        let error = bundle.check("hint", &["minimum"]).unwrap_err().to_string();
        assert!(error.contains("`hint`") && error.contains("minimum"), "{error}");
        assert!(bundle.check("hint", &[]).is_err());
        assert!(matches!(bundle.check("absent", &[]), Err(I18nError::Missing { .. })));
    }

    #[test]
    fn syntax_errors_and_repeated_ids_refuse_the_file() {
        assert!(Bundle::parse("en", "broken = { $x\n").is_err());
        assert!(Bundle::parse("en", "twice = a\ntwice = b\n").is_err());
    }

    #[test]
    fn arguments_are_filled_by_fluent_without_isolation_marks() {
        let bundle = bundle("link = Open { $url } now\n");
        let mut arguments = FluentArgs::new();
        arguments.set("url", "https://id.example.com/reset?token=x");
        assert_eq!(
            bundle.format("link", Some(&arguments)),
            "Open https://id.example.com/reset?token=x now"
        );
    }
}
