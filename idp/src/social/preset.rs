//! The well-known providers: their real endpoints, scopes, claim names and quirks. Every preset
//! accepts endpoint overrides (GitHub Enterprise, a sovereign cloud, a test server).

use vestibule_crds::v1alpha1::SocialProviderType;

/// How a provider is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// OpenID Connect: discovery from the issuer, an ID token.
    Oidc,
    /// OAuth 2 with a userinfo endpoint.
    OAuth2,
}

/// The defaults of one provider type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Preset {
    pub family: Family,
    /// The issuer (OIDC presets).
    pub issuer: Option<&'static str>,
    /// Authorization, token and userinfo endpoints (OAuth 2 presets).
    pub endpoints: Option<[&'static str; 3]>,
    pub scopes: &'static [&'static str],
    /// Our claim name to the provider's (a dotted path walks into objects).
    pub claims: &'static [(&'static str, &'static str)],
    /// Whether the provider's `email_verified` may be believed. Microsoft's `email` is an
    /// editable attribute of the directory, never verified (the "nOAuth" takeover).
    pub trusts_email_verified: bool,
    /// The issuer in the discovery document is a template with `{tenantid}` (Microsoft).
    pub tenant_template: bool,
    /// The provider posts the callback as a form (Apple).
    pub form_post: bool,
    /// Token endpoint authentication: HTTP Basic (RFC 6749 2.3.1) rather than the request body.
    pub basic_auth: bool,
}

const OIDC_CLAIMS: &[(&str, &str)] = &[];

const OIDC: Preset = Preset {
    family: Family::Oidc,
    issuer: None,
    endpoints: None,
    scopes: &["openid", "email", "profile"],
    claims: OIDC_CLAIMS,
    trusts_email_verified: true,
    tenant_template: false,
    form_post: false,
    basic_auth: true,
};

/// The preset of a provider type.
pub(crate) fn preset(provider_type: SocialProviderType) -> Preset {
    match provider_type {
        SocialProviderType::Oidc => OIDC,
        SocialProviderType::Google => Preset {
            issuer: Some("https://accounts.google.com"),
            ..OIDC
        },
        SocialProviderType::Microsoft => Preset {
            // The multi-tenant endpoint; the ID token's issuer names the customer's directory.
            issuer: Some("https://login.microsoftonline.com/common/v2.0"),
            trusts_email_verified: false,
            tenant_template: true,
            ..OIDC
        },
        SocialProviderType::Apple => Preset {
            issuer: Some("https://appleid.apple.com"),
            scopes: &["openid", "name", "email"],
            // Apple requires form_post whenever name or email is requested.
            form_post: true,
            basic_auth: false,
            ..OIDC
        },
        SocialProviderType::Github => Preset {
            family: Family::OAuth2,
            endpoints: Some([
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
            ]),
            scopes: &["read:user", "user:email"],
            claims: &[
                ("sub", "id"),
                ("picture", "avatar_url"),
                ("preferred_username", "login"),
            ],
            // The email and its verification come from /user/emails, not from /user.
            trusts_email_verified: true,
            basic_auth: false,
            ..OIDC
        },
        SocialProviderType::Facebook => Preset {
            family: Family::OAuth2,
            endpoints: Some([
                "https://www.facebook.com/v21.0/dialog/oauth",
                "https://graph.facebook.com/v21.0/oauth/access_token",
                "https://graph.facebook.com/v21.0/me?fields=id,name,email,first_name,last_name,picture",
            ]),
            scopes: &["email", "public_profile"],
            claims: &[
                ("sub", "id"),
                ("given_name", "first_name"),
                ("family_name", "last_name"),
                ("picture", "picture.data.url"),
            ],
            // The Graph API says nothing about whether the address was confirmed.
            trusts_email_verified: false,
            basic_auth: false,
            ..OIDC
        },
        SocialProviderType::Oauth2 => Preset {
            family: Family::OAuth2,
            scopes: &[],
            claims: &[],
            // A generic server's claim is believed only when mapped explicitly (`email_verified`).
            trusts_email_verified: true,
            basic_auth: false,
            ..OIDC
        },
    }
}
