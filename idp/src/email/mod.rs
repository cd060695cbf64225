//! Outgoing email: verification and password-reset links, as text and HTML in the customer's
//! language, over SMTP; or, with no SMTP server configured in development (an `http://` issuer
//! on loopback, or `--dev`), written to the log. Anywhere else nothing is logged: the IdP does
//! not even start without SMTP there.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;
use vestibule_crds::config::EmailConfig;
use vestibule_crds::v1alpha1::{Branding, SmtpSecurity};

use crate::config::Tenant;
use crate::i18n::Messages;

/// Which email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Confirm the address after registration.
    Verify,
    /// Choose a new password.
    Reset,
    /// Someone tried to register an address that already has an account.
    AlreadyRegistered,
    /// The account locked after failed sign-ins; the link resets the password and unlocks it.
    Locked,
    /// An authenticator app was set up as a second factor; the link opens the account page.
    TotpEnrolled,
    /// The authenticator app was removed; the link opens the account page.
    TotpRemoved,
    /// A new set of recovery codes was generated; the link opens the account page.
    RecoveryCodesGenerated,
    /// A recovery code was used to sign in, `left` remain; the link opens the account page.
    RecoveryCodeUsed {
        /// Unused codes left.
        left: u32,
    },
    /// A sign-in code: the code itself, no link ([`compose_code`]).
    EmailCode,
    /// The password signed in with appeared in a data breach: the next sign-in asks for a new
    /// one, or the link resets it now.
    PasswordBreached,
    /// A passkey was added; the link opens the account page.
    PasskeyAdded,
    /// A passkey was removed; the link opens the account page.
    PasskeyRemoved,
    /// A sign-in from a device or network the account never signed in from; the link disowns it.
    NewSignIn,
    /// The password was changed from the account page; the link resets it.
    PasswordChanged,
    /// Codes by email were turned off; the link opens the account page.
    EmailOtpDisabled,
    /// Codes by email were turned on; the link opens the account page.
    EmailOtpEnabled,
    /// A passkey was renamed; the link opens the account page.
    PasskeyRenamed,
    /// The unused account will be erased in `days` unless the customer signs in; the link
    /// opens the account page (its sign-in).
    InactivityWarning {
        /// Days left before the erasure.
        days: u32,
    },
    /// The account was erased: no link ([`compose_notice`]), there is nothing left to open.
    AccountErased,
}

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message could not be built (bad address).
    #[error("building the email failed: {0}")]
    Build(String),
    /// The SMTP exchange failed.
    #[error("sending the email over SMTP failed: {0}")]
    Send(String),
    /// No SMTP server is configured, outside development mode.
    #[error("no SMTP server is configured; the email was dropped (not logged: it carries a live link)")]
    NoTransport,
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct Text<'a> {
    heading: &'a str,
    body: &'a str,
    code: Option<&'a str>,
    link: Option<&'a str>,
    expires: Option<&'a str>,
    brand: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct Html<'a> {
    lang: &'a str,
    heading: &'a str,
    body: &'a str,
    code: Option<&'a str>,
    button: &'a str,
    link: Option<&'a str>,
    expires: Option<&'a str>,
    brand: &'a str,
    footer: &'a str,
    primary: &'a str,
    background: &'a str,
}

/// An email ready to send.
#[derive(Debug, Clone)]
pub struct Email {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// The words of one kind of email, in one language.
struct Words {
    subject: String,
    heading: &'static str,
    body: String,
    button: &'static str,
    /// Only reset links and sign-in codes expire soon; the others lead to pages that send a new one.
    expires: Option<&'static str>,
}

fn words(t: &Messages, kind: Kind, brand: &str) -> Words {
    match kind {
        Kind::Verify => Words {
            subject: t.verify_subject_line(brand),
            heading: t.verify_subject,
            body: t.verify_email_body.into(),
            button: t.verify_button,
            expires: None,
        },
        Kind::Reset => Words {
            subject: t.reset_subject_line(brand),
            heading: t.reset_subject,
            body: t.reset_email_body.into(),
            button: t.reset_button,
            expires: Some(t.link_expires),
        },
        Kind::AlreadyRegistered => Words {
            subject: t.already_registered_subject_line(brand),
            heading: t.already_registered_subject,
            body: t.already_registered_body.into(),
            button: t.reset_button,
            expires: None,
        },
        Kind::Locked => Words {
            subject: t.locked_subject_line(brand),
            heading: t.locked_subject,
            body: t.locked_email_body.into(),
            button: t.reset_button,
            expires: Some(t.link_expires),
        },
        Kind::TotpEnrolled => Words {
            subject: t.totp_enrolled_subject_line(brand),
            heading: t.totp_enrolled_subject,
            body: t.totp_enrolled_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::TotpRemoved => Words {
            subject: t.totp_removed_subject_line(brand),
            heading: t.totp_removed_subject,
            body: t.totp_removed_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::RecoveryCodesGenerated => Words {
            subject: t.recovery_codes_generated_subject_line(brand),
            heading: t.recovery_codes_generated_subject,
            body: t.recovery_codes_generated_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::RecoveryCodeUsed { left } => Words {
            subject: t.recovery_code_used_subject_line(brand),
            heading: t.recovery_code_used_subject,
            body: t.recovery_code_used_email_body(left),
            button: t.open_account,
            expires: None,
        },
        Kind::EmailCode => Words {
            subject: t.email_code_subject_line(brand),
            heading: t.email_code_subject,
            body: t.email_code_email_body.into(),
            button: t.open_account,
            expires: Some(t.email_code_expires),
        },
        Kind::PasswordBreached => Words {
            subject: t.password_breached_subject_line(brand),
            heading: t.password_breached_subject,
            body: t.password_breached_email_body.into(),
            button: t.reset_button,
            expires: Some(t.link_expires),
        },
        Kind::PasskeyAdded => Words {
            subject: t.passkey_added_subject_line(brand),
            heading: t.passkey_added_subject,
            body: t.passkey_added_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::PasskeyRemoved => Words {
            subject: t.passkey_removed_subject_line(brand),
            heading: t.passkey_removed_subject,
            body: t.passkey_removed_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::NewSignIn => Words {
            subject: t.new_sign_in_subject_line(brand),
            heading: t.new_sign_in_subject,
            body: t.new_sign_in_email_body.into(),
            button: t.not_me_button,
            expires: None,
        },
        Kind::PasswordChanged => Words {
            subject: t.password_changed_subject_line(brand),
            heading: t.password_changed_subject,
            body: t.password_changed_email_body.into(),
            button: t.reset_button,
            expires: Some(t.link_expires),
        },
        Kind::EmailOtpDisabled => Words {
            subject: t.email_otp_disabled_subject_line(brand),
            heading: t.email_otp_disabled_subject,
            body: t.email_otp_disabled_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::EmailOtpEnabled => Words {
            subject: t.email_otp_enabled_subject_line(brand),
            heading: t.email_otp_enabled_subject,
            body: t.email_otp_enabled_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::PasskeyRenamed => Words {
            subject: t.passkey_renamed_subject_line(brand),
            heading: t.passkey_renamed_subject,
            body: t.passkey_renamed_email_body.into(),
            button: t.open_account,
            expires: None,
        },
        Kind::InactivityWarning { days } => Words {
            subject: t.inactivity_warning_subject_line(brand),
            heading: t.inactivity_warning_subject,
            body: t.inactivity_warning_email_body(days),
            button: t.keep_account,
            expires: None,
        },
        Kind::AccountErased => Words {
            subject: t.account_erased_subject_line(brand),
            heading: t.account_erased_subject,
            body: t.account_erased_email_body.into(),
            button: t.open_account,
            expires: None,
        },
    }
}

/// Composes `kind` for `to` in language `t`, with the action `link`.
pub fn compose(tenant: &Tenant, t: &Messages, kind: Kind, to: &str, link: &str) -> Result<Email, MailError> {
    let config = &tenant.config;
    write(&config.display_name, &config.branding, t, kind, to, link)
}

/// Composes the sign-in code email for `to` in language `t`: the code, and no link (a code
/// email that links to a sign-in page would teach customers to follow such links).
pub fn compose_code(tenant: &Tenant, t: &Messages, to: &str, code: &str) -> Result<Email, MailError> {
    let config = &tenant.config;
    let content = Content {
        kind: Kind::EmailCode,
        code: Some(code),
        link: None,
    };
    write_content(&config.display_name, &config.branding, t, content, to)
}

/// Composes a notice of `kind` for `to` in language `t`, without any link.
pub fn compose_notice(tenant: &Tenant, t: &Messages, kind: Kind, to: &str) -> Result<Email, MailError> {
    let config = &tenant.config;
    let content = Content {
        kind,
        code: None,
        link: None,
    };
    write_content(&config.display_name, &config.branding, t, content, to)
}

/// What an email carries besides its words.
struct Content<'a> {
    kind: Kind,
    code: Option<&'a str>,
    link: Option<Url>,
}

fn write(brand: &str, branding: &Branding, t: &Messages, kind: Kind, to: &str, link: &str) -> Result<Email, MailError> {
    // Parsing re-encodes the link: no line break, quote or space of a query value it carries
    // can shape either part. (The HTML part is escaped by its template as well.)
    let link =
        Url::parse(link).map_err(|error| MailError::Build(format!("the link {link:?} is not a URL: {error}")))?;
    let content = Content {
        kind,
        code: None,
        link: Some(link),
    };
    write_content(brand, branding, t, content, to)
}

fn write_content(
    brand: &str,
    branding: &Branding,
    t: &Messages,
    content: Content<'_>,
    to: &str,
) -> Result<Email, MailError> {
    let link = content.link.as_ref().map(Url::as_str);
    let words = words(t, content.kind, brand);
    let footer = t.email_footer(brand);
    let text = Text {
        heading: words.heading,
        body: &words.body,
        code: content.code,
        link,
        expires: words.expires,
        brand,
        footer: &footer,
    };
    let html = Html {
        lang: t.lang,
        heading: words.heading,
        body: &words.body,
        code: content.code,
        button: words.button,
        link,
        expires: words.expires,
        brand,
        footer: &footer,
        primary: &branding.primary_color,
        background: &branding.background_color,
    };
    Ok(Email {
        to: to.to_owned(),
        subject: words.subject,
        text: text.render().map_err(|error| MailError::Build(error.to_string()))?,
        html: html.render().map_err(|error| MailError::Build(error.to_string()))?,
    })
}

/// Sends `email` in the background, so the answer to the customer neither waits for the SMTP
/// server nor reveals by its timing whether an email was sent.
pub fn send_later(tenant: Arc<Tenant>, email: Email) {
    tokio::spawn(async move {
        if let Err(error) = send(&tenant, &email).await {
            tracing::error!(%error, "an email could not be sent");
        }
    });
}

/// Sends `email` through the tenant's SMTP server, or, in development only, logs it.
pub async fn send(tenant: &Tenant, email: &Email) -> Result<(), MailError> {
    let Some(settings) = &tenant.config.email else {
        // The body carries a live token: it reaches the log only on a developer's machine.
        if !tenant.mail_to_log {
            return Err(MailError::NoTransport);
        }
        tracing::warn!(
            to = %email.to,
            subject = %email.subject,
            body = %email.text,
            "EMAIL NOT SENT: no SMTP server is configured (development mode); the message is logged instead"
        );
        return Ok(());
    };
    let message = build(tenant, settings, email)?;
    transport(settings)?
        .send(message)
        .await
        .map_err(|error| MailError::Send(error.to_string()))?;
    tracing::info!(subject = %email.subject, "email sent");
    Ok(())
}

fn build(tenant: &Tenant, settings: &EmailConfig, email: &Email) -> Result<Message, MailError> {
    let parse = |address: &str, name: Option<String>| {
        address
            .parse()
            .map(|address| Mailbox::new(name, address))
            .map_err(|error: lettre::address::AddressError| MailError::Build(error.to_string()))
    };
    let mut builder = Message::builder()
        .from(parse(&settings.from, Some(tenant.config.display_name.clone()))?)
        .to(parse(&email.to, None)?)
        .subject(email.subject.clone());
    if let Some(reply_to) = &settings.reply_to {
        builder = builder.reply_to(parse(reply_to, None)?);
    }
    let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    builder
        .multipart(body)
        .map_err(|error| MailError::Build(error.to_string()))
}

fn transport(settings: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let tls = || TlsParameters::new(settings.host.clone()).map_err(|error| MailError::Send(error.to_string()));
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .timeout(Some(Duration::from_secs(20)));
    builder = match settings.security {
        // STARTTLS is required, not opportunistic: never send a reset link in the clear by accident.
        SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
        SmtpSecurity::None => builder.tls(Tls::None),
    };
    if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(username.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use vestibule_crds::config::TenantConfig;
    use vestibule_crds::keys::{KeyState, SigningKey, SigningKeySet};
    use vestibule_crds::v1alpha1::{Locale, SigningAlgorithm};

    use super::*;

    /// Log lines, captured.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn tenant_without_smtp(issuer: &str) -> Tenant {
        let config = TenantConfig::from_yaml(&format!("generation: 1\nissuer: {issuer}\ndisplayName: Shop\n")).unwrap();
        let now = jiff::Timestamp::now();
        let keys = SigningKeySet::of(vec![
            SigningKey::generate(SigningAlgorithm::Rs256, KeyState::Active, now).unwrap(),
        ]);
        Tenant::new(config, &keys).unwrap()
    }

    /// What `send` writes to the log for a reset email with a recognisable token.
    async fn logged_by_send(tenant: &Tenant) -> (Result<(), MailError>, String) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let link = "https://id.example.com/reset?token=LIVE-TOKEN-0123456789";
        let email = compose_in(Locale::En, Kind::Reset, "Shop", link);
        let outcome = send(tenant, &email).await;
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        (outcome, logged)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_smtp_a_live_link_is_logged_only_on_a_developers_issuer() {
        let (outcome, logged) = logged_by_send(&tenant_without_smtp("http://127.0.0.1:8080")).await;
        assert!(outcome.is_ok());
        assert!(
            logged.contains("LIVE-TOKEN-0123456789"),
            "development logs the mail: {logged}"
        );

        let production = tenant_without_smtp("https://id.example.com");
        assert!(!production.mail_to_log);
        let (outcome, logged) = logged_by_send(&production).await;
        assert!(matches!(outcome, Err(MailError::NoTransport)));
        assert!(!logged.contains("LIVE-TOKEN"), "{logged}");
    }

    fn messages(locale: Locale) -> &'static Messages {
        crate::i18n::catalog().unwrap().messages(locale)
    }

    fn compose_in(locale: Locale, kind: Kind, brand: &str, link: &str) -> Email {
        write(
            brand,
            &Branding::default(),
            messages(locale),
            kind,
            "ada@example.com",
            link,
        )
        .unwrap()
    }

    #[test]
    fn a_german_email_is_german_from_subject_to_footer() {
        let link = "https://id.example.com/reset?token=abc";
        let mail = compose_in(Locale::De, Kind::Reset, "Demo Store", link);
        assert_eq!(mail.subject, "Passwort zurücksetzen · Demo Store");
        assert!(mail.html.contains(r#"<html lang="de">"#), "{}", mail.html);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("Ihrem Konto bei Demo Store"), "{part}");
            assert!(part.contains("Der Link ist eine Stunde gültig."), "{part}");
            assert!(part.contains(link), "{part}");
        }
        let english = compose_in(Locale::En, Kind::Reset, "Demo Store", link);
        assert_eq!(english.subject, "Reset your password · Demo Store");
        for phrase in ["Reset your password", "You received", "expires"] {
            assert!(!mail.text.contains(phrase) && !mail.html.contains(phrase), "{phrase}");
        }
    }

    #[test]
    fn a_sign_in_code_email_carries_the_code_and_no_link() {
        let content = Content {
            kind: Kind::EmailCode,
            code: Some("042917"),
            link: None,
        };
        let mail = write_content("Shop", &Branding::default(), messages(Locale::De), content, "a@b.c").unwrap();
        assert_eq!(mail.subject, "Ihr Anmeldecode · Shop");
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("042917") && part.contains("10 Minuten"), "{part}");
            assert!(!part.contains("http"), "no link: {part}");
        }
    }

    #[test]
    fn the_recovery_code_email_counts_the_codes_left_in_each_language() {
        let link = "https://id.example.com/account";
        let one = compose_in(Locale::En, Kind::RecoveryCodeUsed { left: 1 }, "Shop", link);
        assert!(one.text.contains("One code is left."), "{}", one.text);
        let many = compose_in(Locale::De, Kind::RecoveryCodeUsed { left: 7 }, "Shop", link);
        assert!(many.text.contains("7 Codes sind übrig."), "{}", many.text);
    }

    #[test]
    fn only_the_reset_email_says_its_link_expires_in_an_hour() {
        let link = "https://id.example.com/verify?token=abc";
        let verify = compose_in(Locale::En, Kind::Verify, "Shop", link);
        assert!(!verify.text.contains("expires") && !verify.html.contains("expires"));
        let reset = compose_in(Locale::En, Kind::Reset, "Shop", link);
        assert!(reset.text.contains("The link expires in one hour."));
    }

    #[test]
    fn text_that_others_control_reaches_an_email_only_encoded() {
        let link = "https://id.example.com/forgot?request=x\"><script>alert(1)</script>\r\n\r\nCall +1 555 now";
        let mail = compose_in(Locale::En, Kind::AlreadyRegistered, "Bob's <b>Shop</b>", link);
        assert!(
            !mail.html.contains("<script>") && !mail.html.contains("<b>"),
            "{}",
            mail.html
        );
        assert!(
            mail.html.contains("Bob&#39;s &#60;b&#62;Shop&#60;/b&#62;"),
            "{}",
            mail.html
        );
        assert!(
            !mail.text.contains("\nCall") && !mail.text.contains("<script>"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("%3Cscript%3E"), "{}", mail.text);
        let refused = write(
            "Shop",
            &Branding::default(),
            messages(Locale::En),
            Kind::Verify,
            "a@b.c",
            "/verify?x",
        );
        assert!(matches!(refused, Err(MailError::Build(_))));
    }
}
