//! The words of the hosted pages and emails, in English and German, and how a language is
//! chosen: `ui_locales` first, then `Accept-Language`, then the tenant's first language.

use vestibule_crds::v1alpha1::{Locale, ProfileAttribute};

/// Every text of the pages, in one language.
#[derive(Debug)]
pub struct Messages {
    /// BCP 47 tag.
    pub lang: &'static str,
    pub sign_in: &'static str,
    pub sign_in_to: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub new_password: &'static str,
    pub current_password: &'static str,
    pub forgot_password: &'static str,
    pub no_account: &'static str,
    pub create_account: &'static str,
    pub have_account: &'static str,
    pub register_title: &'static str,
    pub invalid_credentials: &'static str,
    pub account_locked: &'static str,
    pub too_many_attempts: &'static str,
    pub email_not_verified: &'static str,
    pub resend_verification: &'static str,
    pub invalid_email: &'static str,
    pub required_field: &'static str,
    pub invalid_phone: &'static str,
    pub invalid_birthdate: &'static str,
    pub password_too_short: &'static str,
    pub password_too_long: &'static str,
    pub password_needs_lowercase: &'static str,
    pub password_needs_uppercase: &'static str,
    pub password_needs_digit: &'static str,
    pub password_needs_symbol: &'static str,
    pub password_common: &'static str,
    pub password_contains_email: &'static str,
    pub password_hint: &'static str,
    pub wrong_current_password: &'static str,
    pub check_email_title: &'static str,
    pub check_email_body: &'static str,
    pub verified_title: &'static str,
    pub verified_body: &'static str,
    pub link_invalid_title: &'static str,
    pub link_invalid_body: &'static str,
    pub form_expired: &'static str,
    pub continue_sign_in: &'static str,
    pub forgot_title: &'static str,
    pub forgot_intro: &'static str,
    pub send_link: &'static str,
    pub forgot_sent_body: &'static str,
    pub reset_title: &'static str,
    pub set_password: &'static str,
    pub reset_done_body: &'static str,
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_phone: &'static str,
    pub scope_offline_access: &'static str,
    pub scope_other: &'static str,
    pub account_title: &'static str,
    pub profile: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub sessions: &'static str,
    pub this_device: &'static str,
    pub signed_in_at: &'static str,
    pub revoke: &'static str,
    pub sign_out: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_body: &'static str,
    pub sign_out_confirm: &'static str,
    pub profile_title: &'static str,
    pub profile_intro: &'static str,
    pub skip: &'static str,
    pub error_title: &'static str,
    pub privacy: &'static str,
    pub terms: &'static str,
    pub support: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub nickname: &'static str,
    pub phone_number: &'static str,
    pub birthdate: &'static str,
    pub optional: &'static str,
    pub verify_subject: &'static str,
    pub verify_email_body: &'static str,
    pub verify_button: &'static str,
    pub reset_subject: &'static str,
    pub reset_email_body: &'static str,
    pub reset_button: &'static str,
    pub already_registered_subject: &'static str,
    pub already_registered_body: &'static str,
    pub email_footer: &'static str,
    pub link_expires: &'static str,
}

impl Messages {
    /// The label of a profile attribute.
    pub fn attribute(&self, attribute: ProfileAttribute) -> &'static str {
        match attribute {
            ProfileAttribute::GivenName => self.given_name,
            ProfileAttribute::FamilyName => self.family_name,
            ProfileAttribute::Nickname => self.nickname,
            ProfileAttribute::PhoneNumber => self.phone_number,
            ProfileAttribute::Birthdate => self.birthdate,
        }
    }

    /// What a scope means, for the consent page.
    pub fn scope(&self, scope: &str) -> &'static str {
        match scope {
            "openid" => self.scope_openid,
            "profile" => self.scope_profile,
            "email" => self.scope_email,
            "phone" => self.scope_phone,
            "offline_access" => self.scope_offline_access,
            _ => self.scope_other,
        }
    }
}

/// English.
pub static EN: Messages = Messages {
    lang: "en",
    sign_in: "Sign in",
    sign_in_to: "Sign in to",
    email: "Email address",
    password: "Password",
    new_password: "New password",
    current_password: "Current password",
    forgot_password: "Forgot your password?",
    no_account: "New here?",
    create_account: "Create an account",
    have_account: "Already have an account?",
    register_title: "Create your account",
    invalid_credentials: "The email address or password is incorrect.",
    account_locked: "Too many failed attempts. Try again later, or reset your password to sign in now.",
    too_many_attempts: "Too many attempts from your network. Please wait a minute and try again.",
    email_not_verified: "Please confirm your email address first: we sent you a link.",
    resend_verification: "Send the link again",
    invalid_email: "Enter a valid email address.",
    required_field: "This field is required.",
    invalid_phone: "Enter the number in international format, for example +491701234567.",
    invalid_birthdate: "Enter the date as YYYY-MM-DD.",
    password_too_short: "The password is too short: use at least {} characters.",
    password_too_long: "The password is too long: use at most {} characters.",
    password_needs_lowercase: "Add a lowercase letter.",
    password_needs_uppercase: "Add an uppercase letter.",
    password_needs_digit: "Add a digit.",
    password_needs_symbol: "Add a symbol, such as ! or #.",
    password_common: "This password is too common and easy to guess. Choose another.",
    password_contains_email: "The password must not contain your email address.",
    password_hint: "At least {} characters. Long passphrases are best.",
    wrong_current_password: "The current password is incorrect.",
    check_email_title: "Check your inbox",
    check_email_body: "We sent a link to confirm your email address. Open it to finish creating your account.",
    verified_title: "Email address confirmed",
    verified_body: "Thank you. Your email address is confirmed and you can sign in.",
    link_invalid_title: "This link no longer works",
    link_invalid_body: "The link has expired or was already used. Request a new one.",
    form_expired: "This form has expired. Go back, reload the page and try again.",
    continue_sign_in: "Continue to sign in",
    forgot_title: "Reset your password",
    forgot_intro: "Enter your email address and we will send you a link to choose a new password.",
    send_link: "Send link",
    forgot_sent_body: "If an account exists for that address, we sent it a link to reset the password. The link expires in one hour.",
    reset_title: "Choose a new password",
    set_password: "Set password",
    reset_done_body: "Your password was changed and you were signed out everywhere. Sign in with the new password.",
    consent_title: "Allow access?",
    consent_intro: "would like to:",
    allow: "Allow",
    deny: "Deny",
    scope_openid: "Know who you are",
    scope_profile: "See your name and profile",
    scope_email: "See your email address",
    scope_phone: "See your phone number",
    scope_offline_access: "Stay signed in when you are away",
    scope_other: "Access part of your account",
    account_title: "Your account",
    profile: "Profile",
    save: "Save",
    saved: "Saved.",
    change_password: "Change password",
    password_changed: "Password changed. Your other sessions were signed out.",
    sessions: "Where you are signed in",
    this_device: "This device",
    signed_in_at: "Signed in",
    revoke: "Sign out",
    sign_out: "Sign out",
    signed_out_title: "Signed out",
    signed_out_body: "You are signed out.",
    sign_out_confirm: "Do you want to sign out?",
    profile_title: "A little more about you",
    profile_intro: "Help us personalise your experience.",
    skip: "Not now",
    error_title: "Something is not right",
    privacy: "Privacy",
    terms: "Terms",
    support: "Help",
    given_name: "First name",
    family_name: "Last name",
    nickname: "Nickname",
    phone_number: "Phone number",
    birthdate: "Date of birth",
    optional: "optional",
    verify_subject: "Confirm your email address",
    verify_email_body: "Please confirm your email address to finish creating your account.",
    verify_button: "Confirm email address",
    reset_subject: "Reset your password",
    reset_email_body: "We received a request to reset your password. If it was you, choose a new password with the link below. If not, you can ignore this email.",
    reset_button: "Choose a new password",
    already_registered_subject: "Someone tried to create an account with your address",
    already_registered_body: "Someone, perhaps you, tried to create an account with this email address, but you already have one. If you forgot your password, reset it with the link below. If it was not you, you can ignore this email.",
    email_footer: "You received this email because of an action on your account.",
    link_expires: "The link expires in one hour.",
};

/// German.
pub static DE: Messages = Messages {
    lang: "de",
    sign_in: "Anmelden",
    sign_in_to: "Anmelden bei",
    email: "E-Mail-Adresse",
    password: "Passwort",
    new_password: "Neues Passwort",
    current_password: "Aktuelles Passwort",
    forgot_password: "Passwort vergessen?",
    no_account: "Neu hier?",
    create_account: "Konto erstellen",
    have_account: "Sie haben schon ein Konto?",
    register_title: "Konto erstellen",
    invalid_credentials: "E-Mail-Adresse oder Passwort ist falsch.",
    account_locked: "Zu viele Fehlversuche. Versuchen Sie es später erneut oder setzen Sie Ihr Passwort zurück, um sich sofort anzumelden.",
    too_many_attempts: "Zu viele Versuche aus Ihrem Netzwerk. Bitte warten Sie eine Minute.",
    email_not_verified: "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse: Wir haben Ihnen einen Link geschickt.",
    resend_verification: "Link erneut senden",
    invalid_email: "Geben Sie eine gültige E-Mail-Adresse ein.",
    required_field: "Dieses Feld ist erforderlich.",
    invalid_phone: "Geben Sie die Nummer international ein, zum Beispiel +491701234567.",
    invalid_birthdate: "Geben Sie das Datum als JJJJ-MM-TT ein.",
    password_too_short: "Das Passwort ist zu kurz: mindestens {} Zeichen.",
    password_too_long: "Das Passwort ist zu lang: höchstens {} Zeichen.",
    password_needs_lowercase: "Fügen Sie einen Kleinbuchstaben hinzu.",
    password_needs_uppercase: "Fügen Sie einen Großbuchstaben hinzu.",
    password_needs_digit: "Fügen Sie eine Ziffer hinzu.",
    password_needs_symbol: "Fügen Sie ein Sonderzeichen hinzu, etwa ! oder #.",
    password_common: "Dieses Passwort ist zu verbreitet und leicht zu erraten. Wählen Sie ein anderes.",
    password_contains_email: "Das Passwort darf Ihre E-Mail-Adresse nicht enthalten.",
    password_hint: "Mindestens {} Zeichen. Lange Passphrasen sind am sichersten.",
    wrong_current_password: "Das aktuelle Passwort ist falsch.",
    check_email_title: "Sehen Sie in Ihr Postfach",
    check_email_body: "Wir haben Ihnen einen Link zur Bestätigung Ihrer E-Mail-Adresse geschickt. Öffnen Sie ihn, um Ihr Konto fertigzustellen.",
    verified_title: "E-Mail-Adresse bestätigt",
    verified_body: "Danke. Ihre E-Mail-Adresse ist bestätigt und Sie können sich anmelden.",
    link_invalid_title: "Dieser Link funktioniert nicht mehr",
    link_invalid_body: "Der Link ist abgelaufen oder wurde schon benutzt. Fordern Sie einen neuen an.",
    form_expired: "Dieses Formular ist abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
    continue_sign_in: "Weiter zur Anmeldung",
    forgot_title: "Passwort zurücksetzen",
    forgot_intro: "Geben Sie Ihre E-Mail-Adresse ein. Wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen.",
    send_link: "Link senden",
    forgot_sent_body: "Falls ein Konto zu dieser Adresse existiert, haben wir ihr einen Link zum Zurücksetzen geschickt. Der Link ist eine Stunde gültig.",
    reset_title: "Neues Passwort wählen",
    set_password: "Passwort speichern",
    reset_done_body: "Ihr Passwort wurde geändert und Sie wurden überall abgemeldet. Melden Sie sich mit dem neuen Passwort an.",
    consent_title: "Zugriff erlauben?",
    consent_intro: "möchte:",
    allow: "Erlauben",
    deny: "Ablehnen",
    scope_openid: "Wissen, wer Sie sind",
    scope_profile: "Ihren Namen und Ihr Profil sehen",
    scope_email: "Ihre E-Mail-Adresse sehen",
    scope_phone: "Ihre Telefonnummer sehen",
    scope_offline_access: "Angemeldet bleiben, während Sie abwesend sind",
    scope_other: "Auf einen Teil Ihres Kontos zugreifen",
    account_title: "Ihr Konto",
    profile: "Profil",
    save: "Speichern",
    saved: "Gespeichert.",
    change_password: "Passwort ändern",
    password_changed: "Passwort geändert. Ihre anderen Sitzungen wurden abgemeldet.",
    sessions: "Wo Sie angemeldet sind",
    this_device: "Dieses Gerät",
    signed_in_at: "Angemeldet",
    revoke: "Abmelden",
    sign_out: "Abmelden",
    signed_out_title: "Abgemeldet",
    signed_out_body: "Sie sind abgemeldet.",
    sign_out_confirm: "Möchten Sie sich abmelden?",
    profile_title: "Etwas mehr über Sie",
    profile_intro: "Helfen Sie uns, Ihr Erlebnis zu verbessern.",
    skip: "Nicht jetzt",
    error_title: "Da stimmt etwas nicht",
    privacy: "Datenschutz",
    terms: "Nutzungsbedingungen",
    support: "Hilfe",
    given_name: "Vorname",
    family_name: "Nachname",
    nickname: "Spitzname",
    phone_number: "Telefonnummer",
    birthdate: "Geburtsdatum",
    optional: "optional",
    verify_subject: "Bestätigen Sie Ihre E-Mail-Adresse",
    verify_email_body: "Bitte bestätigen Sie Ihre E-Mail-Adresse, um Ihr Konto fertigzustellen.",
    verify_button: "E-Mail-Adresse bestätigen",
    reset_subject: "Passwort zurücksetzen",
    reset_email_body: "Wir haben eine Anfrage zum Zurücksetzen Ihres Passworts erhalten. Wenn Sie das waren, wählen Sie über den Link ein neues Passwort. Andernfalls können Sie diese E-Mail ignorieren.",
    reset_button: "Neues Passwort wählen",
    already_registered_subject: "Jemand wollte mit Ihrer Adresse ein Konto erstellen",
    already_registered_body: "Jemand, vielleicht Sie, wollte mit dieser E-Mail-Adresse ein Konto erstellen, aber Sie haben bereits eines. Falls Sie Ihr Passwort vergessen haben, setzen Sie es über den Link zurück. Andernfalls können Sie diese E-Mail ignorieren.",
    email_footer: "Sie erhalten diese E-Mail wegen einer Aktion in Ihrem Konto.",
    link_expires: "Der Link ist eine Stunde gültig.",
};

fn messages(locale: Locale) -> &'static Messages {
    match locale {
        Locale::En => &EN,
        Locale::De => &DE,
    }
}

/// Picks the language: the first of `ui_locales` the tenant offers, then the best match of
/// `accept_language`, then the tenant's first language.
pub fn negotiate(offered: &[Locale], ui_locales: &[String], accept_language: Option<&str>) -> &'static Messages {
    let find = |tag: &str| {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        offered.iter().copied().find(|locale| locale.tag() == primary)
    };
    if let Some(locale) = ui_locales.iter().find_map(|tag| find(tag)) {
        return messages(locale);
    }
    if let Some(locale) = accept_language.and_then(|header| preferred(header).into_iter().find_map(find)) {
        return messages(locale);
    }
    messages(offered.first().copied().unwrap_or(Locale::En))
}

/// The tags of an `Accept-Language` header, best first (RFC 9110 12.5.4).
fn preferred(header: &str) -> Vec<&str> {
    let mut weighted: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(index, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .find_map(|piece| piece.trim().strip_prefix("q="))
                .map_or(1.0, |q| q.parse().unwrap_or(0.0));
            (quality > 0.0 && !tag.is_empty()).then_some((quality, index, tag))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [Locale; 2] = [Locale::En, Locale::De];

    #[test]
    fn ui_locales_win_over_accept_language() {
        assert_eq!(negotiate(&BOTH, &["de-DE".into()], Some("en")).lang, "de");
        assert_eq!(negotiate(&BOTH, &["fr".into(), "de".into()], None).lang, "de");
    }

    #[test]
    fn accept_language_quality_is_respected() {
        assert_eq!(negotiate(&BOTH, &[], Some("fr;q=0.9, de;q=0.8, en;q=0.5")).lang, "de");
        assert_eq!(negotiate(&BOTH, &[], Some("de;q=0.1, en")).lang, "en");
        assert_eq!(negotiate(&BOTH, &[], Some("fr")).lang, "en");
        assert_eq!(negotiate(&[Locale::De], &[], Some("en")).lang, "de");
    }

    #[test]
    fn both_languages_fill_every_placeholder_the_same_way() {
        for (en, de) in [
            (EN.password_too_short, DE.password_too_short),
            (EN.password_hint, DE.password_hint),
        ] {
            assert_eq!(en.matches("{}").count(), de.matches("{}").count());
        }
    }
}
