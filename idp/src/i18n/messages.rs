//! Every text the code asks for, in one language: plain texts as fields, filled from the bundle
//! once when the language loads, and texts with arguments as methods that pass them to Fluent.
//! A field or method named `sign_in_to` is the message `sign-in-to` of the `.ftl` files.

use fluent_bundle::FluentArgs;
use unic_langid::LanguageIdentifier;
use vestibule_crds::v1alpha1::ProfileAttribute;

use super::I18nError;
use super::bundle::Bundle;

/// The Fluent id of the message behind a field or method.
fn message_id(name: &str) -> String {
    name.replace('_', "-")
}

/// Declares [`Messages`]: its plain fields, and its methods with the Fluent arguments they pass.
macro_rules! messages {
    (
        plain { $($field:ident),* $(,)? }
        formatted { $( $(#[$doc:meta])* fn $method:ident($($argument:ident: $type:ty),*); )* }
    ) => {
        /// Every text of the pages, error pages and emails, in one language.
        pub struct Messages {
            /// BCP 47 tag.
            pub lang: &'static str,
            bundle: Bundle,
            $(pub $field: &'static str,)*
        }

        impl Messages {
            /// Fills the fields from `bundle`, after checking that every message the code asks
            /// for exists and takes exactly the arguments the code passes.
            pub(super) fn load(bundle: Bundle) -> Result<Self, I18nError> {
                for (id, arguments) in Self::wanted() {
                    bundle.check(&id, &arguments)?;
                }
                Ok(Self {
                    lang: bundle.lang(),
                    // A language loads once per process (the catalogue is a `OnceLock`), so its
                    // texts live as long as the process anyway; as `&'static str` they read
                    // like constants at every call site.
                    $($field: bundle.format(&message_id(stringify!($field)), None).leak(),)*
                    bundle,
                })
            }

            /// Every message id the code asks for, with the arguments it passes.
            pub(super) fn wanted() -> Vec<(String, Vec<&'static str>)> {
                let mut wanted: Vec<(String, Vec<&'static str>)> =
                    vec![$((message_id(stringify!($field)), Vec::new()),)*];
                $(wanted.push((message_id(stringify!($method)), vec![$(stringify!($argument)),*]));)*
                wanted
            }

            $(
                $(#[$doc])*
                pub fn $method(&self, $($argument: $type),*) -> String {
                    let mut arguments = FluentArgs::new();
                    $(arguments.set(stringify!($argument), $argument);)*
                    self.bundle.format(&message_id(stringify!($method)), Some(&arguments))
                }
            )*
        }
    };
}

messages! {
    plain {
        sign_in, email, password, new_password, current_password, error_title, form_expired,
        too_many_attempts, continue_sign_in, privacy, terms, support, optional, save, skip, not_found,
        forgot_password, no_account, create_account, invalid_credentials, too_many_failures,
        email_not_verified, resend_verification, too_many_sign_ins, busy, sign_in_expired,
        have_account, register_title, registration_closed, invalid_email, required_field,
        invalid_phone, invalid_birthdate, given_name, family_name, nickname, phone_number, birthdate,
        password_needs_lowercase, password_needs_uppercase, password_needs_digit,
        password_needs_symbol, password_common, password_contains_email, wrong_current_password,
        check_email_title, check_email_body, verify_confirm_body, verified_title, verified_body,
        link_invalid_title, link_invalid_body, forgot_title, forgot_intro, send_link,
        forgot_sent_body, reset_title, set_password, reset_done_body,
        consent_title, allow, deny, scope_openid, scope_profile, scope_email, scope_phone,
        scope_offline_access, scope_other,
        profile_title, profile_intro,
        account_title, profile, saved, change_password, password_changed, sessions, this_device,
        revoke, sign_out, signed_out_title, signed_out_body, sign_out_confirm,
        client_gone, request_no_client, client_not_allowed, request_no_redirect_uri,
        redirect_uri_unregistered, request_too_long, logout_hint_invalid, logout_client_mismatch,
        logout_redirect_unidentified, logout_redirect_unregistered,
        verify_subject, verify_email_body, verify_button, reset_subject, reset_email_body,
        reset_button, already_registered_subject, already_registered_body, locked_subject,
        locked_email_body, link_expires,
        or_divider, social_failed_title, try_again, account_exists_title, link_title, link_account,
        linked_identities, unlink, identity_linked, identity_unlinked, last_sign_in_method,
        identity_taken, your_password, no_linked_identities, no_password_title, no_password_body,
        email_me_a_link, no_password_to_change,
        mfa_title, mfa_intro, code, verify_code, wrong_code, two_factor, totp_on, totp_off,
        totp_set_up, totp_remove, totp_scan, totp_manual, totp_confirm_intro, totp_enabled,
        totp_removed, reauth_hint, reauth_sign_in_again, totp_enrolled_subject,
        totp_enrolled_email_body, totp_removed_subject, totp_removed_email_body, open_account,
        mfa_totp_heading, mfa_totp_hint, factor_removal_refused,
        mfa_enrol_required, sign_in_refused_title, sign_in_refused_body, trusted_devices,
        trusted_devices_revoked, revoke_all_devices, stop_trusting, unknown_browser,
        recovery_codes_title, recovery_codes_intro, recovery_codes_none, recovery_codes_generate,
        recovery_codes_regenerate, recovery_codes_shown_once, back_to_account, use_recovery_code,
        recovery_code, recovery_code_intro, wrong_recovery_code, recovery_codes_generated_subject,
        recovery_codes_generated_email_body, recovery_code_used_subject,
        email_codes_title, email_otp_on, email_otp_off, email_otp_enable, email_otp_disable,
        email_otp_enabled, email_otp_disabled, email_code_section, email_code_intro, send_code,
        email_code_sent, wrong_email_code, too_many_codes, email_code_subject, email_code_email_body,
        email_code_expires, email_otp_confirm_intro,
        password_breached, password_breach_check_unavailable, password_breached_subject,
        password_breached_email_body, new_password_title, new_password_intro,
        passkeys, passkeys_intro, passkeys_none, passkeys_manage, passkey_name, passkey_name_hint,
        passkey_name_invalid, passkey_add, passkey_create_intro, passkey_create,
        passkey_needs_script, passkey_rename, passkey_remove, passkey_never_used, passkey_added,
        passkey_renamed, passkey_removed, passkey_refused, passkey_lapsed, passkey_taken,
        passkey_use_intro, passkey_use, passkey_sign_in, passkey_added_subject,
        passkey_added_email_body, passkey_removed_subject, passkey_removed_email_body,
        new_sign_in_subject, new_sign_in_email_body, not_me_button, not_me_title, not_me_body,
        password_changed_subject, password_changed_email_body, email_otp_disabled_subject,
        email_otp_disabled_email_body, passkey_renamed_subject, passkey_renamed_email_body,
        email_otp_enabled_subject, email_otp_enabled_email_body, mfa_address_title,
        mfa_address_body, mfa_address_send, passkey_default_name, mfa_enrol_passkey_required,
        scope_consents, privacy_choices_title, terms_of_service, privacy_policy, accept_documents,
        documents_required, documents_intro, do_not_sell, gpc_honoured, informed_intro,
        basis_consent, basis_contract, basis_legal_obligation, basis_vital_interests,
        basis_public_task, basis_legitimate_interests, privacy_consent_title, privacy_consent_intro,
        privacy_accept, privacy_decline, privacy_declined_title, privacy_declined_body,
        privacy_save, privacy_saved, privacy_never_answered,
        challenge_failed, challenge_needs_script, challenge_working, challenge_unavailable,
        captcha_intro,
        your_data, your_data_intro, export_title, export_intro, export_button, delete_account,
        delete_title, delete_intro, delete_confirm_email, delete_email_mismatch, delete_button,
        account_erased_title, account_erased_body, account_erased_subject, account_erased_email_body,
        inactivity_warning_subject, keep_account,
    }
    formatted {
        /// The sign-in page's heading, naming the tenant.
        fn sign_in_to(brand: &str);
        /// A 500 page, quoting the request id.
        fn server_error(reference: &str);
        /// A form value longer than `max` characters.
        fn field_too_long(max: u32);
        /// A new password shorter than the policy's `min`.
        fn password_too_short(min: u32);
        /// A new password longer than the policy's `max`.
        fn password_too_long(max: u32);
        /// The policy, shown under a new-password field.
        fn password_hint(min: u32);
        /// The consent page's lead-in, naming the application.
        fn consent_intro(client: &str);
        /// When a session on the account page started.
        fn signed_in_at(time: &str);
        /// An authorization request naming a client id that is not registered.
        fn unknown_client(client: &str);
        /// A request carrying parameter `name` more than once (RFC 6749 3.1).
        fn request_parameter_repeated(name: &str);
        /// The subject of the verification email.
        fn verify_subject_line(brand: &str);
        /// The subject of the password-reset email.
        fn reset_subject_line(brand: &str);
        /// The subject of the email to an address that tried to register again.
        fn already_registered_subject_line(brand: &str);
        /// The subject of the email to the owner of a locked account.
        fn locked_subject_line(brand: &str);
        /// The subject of the email telling that an authenticator app was set up.
        fn totp_enrolled_subject_line(brand: &str);
        /// The subject of the email telling that the authenticator app was removed.
        fn totp_removed_subject_line(brand: &str);
        /// The subject of the email telling that the password appeared in a data breach.
        fn password_breached_subject_line(brand: &str);
        /// The subject of the email telling that a passkey was added.
        fn passkey_added_subject_line(brand: &str);
        /// The subject of the email telling that a passkey was removed.
        fn passkey_removed_subject_line(brand: &str);
        /// When a passkey on the account page was added.
        fn passkey_created(time: &str);
        /// When a passkey on the account page was last used.
        fn passkey_last_used(time: &str);
        /// The subject of the email telling of a sign-in from a new device or network.
        fn new_sign_in_subject_line(brand: &str);
        /// The subject of the email telling that the password was changed.
        fn password_changed_subject_line(brand: &str);
        /// The subject of the email telling that codes by email were turned off.
        fn email_otp_disabled_subject_line(brand: &str);
        /// The subject of the email telling that codes by email were turned on.
        fn email_otp_enabled_subject_line(brand: &str);
        /// The subject of the email telling that a passkey was renamed.
        fn passkey_renamed_subject_line(brand: &str);
        /// The last line of every email.
        fn email_footer(brand: &str);
        /// A button that signs in through an upstream provider.
        fn sign_in_with(provider: &str);
        /// A sign-in through a provider that failed (refused, broken or slow answer).
        fn social_failed(provider: &str);
        /// The customer cancelled at the provider (`access_denied`).
        fn social_denied(provider: &str);
        /// The provider did not share an email address to make an account with.
        fn social_no_email(provider: &str);
        /// The email has an account that must be signed in to another way; `methods` names them.
        fn account_exists(methods: &str);
        /// The email has an account, but `provider` did not verify the address.
        fn account_exists_unverified(provider: &str);
        /// The page asking the customer to prove the account before linking `provider`.
        fn link_intro(provider: &str);
        /// A button on the account page that links `provider`.
        fn link_provider(provider: &str);
        /// The checkbox after a second factor that trusts the device for `days` days.
        fn remember_device(days: u32);
        /// Until when a device on the account page is trusted.
        fn trusted_until(time: &str);
        /// How many recovery codes are left, on the account page.
        fn recovery_codes_left(count: u32);
        /// The subject of the email telling that new recovery codes were generated.
        fn recovery_codes_generated_subject_line(brand: &str);
        /// The subject of the email telling that a recovery code was used.
        fn recovery_code_used_subject_line(brand: &str);
        /// The body of that email, with the number of codes `left`.
        fn recovery_code_used_email_body(left: u32);
        /// The subject of the email carrying a sign-in code.
        fn email_code_subject_line(brand: &str);
        /// The version of the consent policy a page shows.
        fn privacy_policy_version(version: &str);
        /// A document on the account page: accepted under `version` on `time`.
        fn document_accepted_at(version: &str, time: &str);
        /// The subject of the email warning that an unused account will be erased.
        fn inactivity_warning_subject_line(brand: &str);
        /// The body of that email, with the `days` left.
        fn inactivity_warning_email_body(days: u32);
        /// The subject of the email confirming an erasure.
        fn account_erased_subject_line(brand: &str);
    }
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

    /// The name of a legal basis (GDPR Art. 6(1)), for purposes shown as information.
    pub fn basis(&self, basis: vestibule_crds::v1alpha1::LegalBasis) -> &'static str {
        use vestibule_crds::v1alpha1::LegalBasis;
        match basis {
            LegalBasis::Consent => self.basis_consent,
            LegalBasis::Contract => self.basis_contract,
            LegalBasis::LegalObligation => self.basis_legal_obligation,
            LegalBasis::VitalInterests => self.basis_vital_interests,
            LegalBasis::PublicTask => self.basis_public_task,
            LegalBasis::LegitimateInterests => self.basis_legitimate_interests,
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
            "consents" => self.scope_consents,
            _ => self.scope_other,
        }
    }
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

// Negotiation picks among a tenant's `&'static Messages` directly.
impl AsRef<LanguageIdentifier> for Messages {
    fn as_ref(&self) -> &LanguageIdentifier {
        self.bundle.id()
    }
}

impl PartialEq for Messages {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
    }
}
