//! Outgoing email: verification and password-reset links, as text and HTML, over SMTP; or,
//! with no SMTP server configured (standalone development), written to the log.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use vestibule_crds::config::EmailConfig;
use vestibule_crds::v1alpha1::SmtpSecurity;

use crate::config::Tenant;
use crate::login::i18n::Messages;

/// Which email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Confirm the address after registration.
    Verify,
    /// Choose a new password.
    Reset,
    /// Someone tried to register an address that already has an account.
    AlreadyRegistered,
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
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct Text<'a> {
    heading: &'a str,
    body: &'a str,
    link: &'a str,
    expires: &'a str,
    brand: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct Html<'a> {
    lang: &'a str,
    heading: &'a str,
    body: &'a str,
    button: &'a str,
    link: &'a str,
    expires: &'a str,
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

/// Composes `kind` for `to` in language `t`, with the action `link`.
pub fn compose(tenant: &Tenant, t: &Messages, kind: Kind, to: &str, link: &str) -> Result<Email, MailError> {
    let (subject, body, button) = match kind {
        Kind::Verify => (t.verify_subject, t.verify_email_body, t.verify_button),
        Kind::Reset => (t.reset_subject, t.reset_email_body, t.reset_button),
        Kind::AlreadyRegistered => (t.already_registered_subject, t.already_registered_body, t.reset_button),
    };
    let brand = tenant.config.display_name.as_str();
    let branding = &tenant.config.branding;
    let text = Text {
        heading: subject,
        body,
        link,
        expires: t.link_expires,
        brand,
        footer: t.email_footer,
    };
    let html = Html {
        lang: t.lang,
        heading: subject,
        body,
        button,
        link,
        expires: t.link_expires,
        brand,
        footer: t.email_footer,
        primary: &branding.primary_color,
        background: &branding.background_color,
    };
    Ok(Email {
        to: to.to_owned(),
        subject: format!("{subject} · {brand}"),
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

/// Sends `email` through the tenant's SMTP server, or logs it when there is none.
pub async fn send(tenant: &Tenant, email: &Email) -> Result<(), MailError> {
    let Some(settings) = &tenant.config.email else {
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
