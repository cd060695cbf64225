//! Round trips and precise errors of the config contract.

use super::*;
use crate::v1alpha1::{ClientType, GrantType, TokenEndpointAuthMethod};

const MINIMAL: &str = r#"
generation: 3
issuer: https://id.example.com
displayName: Example
clients:
  - clientId: web
    displayName: Web
    type: confidential
    redirectUris: [https://app.example.com/callback]
    grantTypes: [authorization_code, refresh_token]
    scopes: [openid, profile]
    tokenEndpointAuthMethod: client_secret_basic
    idTokenSignedResponseAlg: RS256
    requirePkce: true
    skipConsent: false
    secrets:
      - sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
"#;

#[test]
fn minimal_yaml_parses_with_defaults() {
    let config = TenantConfig::from_yaml(MINIMAL).unwrap();
    assert_eq!(config.generation, 3);
    assert_eq!(config.signing_algorithms, vec![SigningAlgorithm::Rs256]);
    assert_eq!(config.clients[0].client_type, ClientType::Confidential);
    assert!(config.registration.require_email_verification);
    assert!(config.email.is_none());
}

#[test]
fn yaml_and_json_round_trip_to_the_same_value() {
    let config = TenantConfig::from_yaml(MINIMAL).unwrap();
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(TenantConfig::from_json(&json).unwrap(), config);
    let yaml = serde_yaml::to_string(&config).unwrap();
    assert_eq!(TenantConfig::from_yaml(&yaml).unwrap(), config);
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let text = MINIMAL.replace("displayName: Example", "displayName: Example\ncolour: blue");
    let error = TenantConfig::from_yaml(&text).unwrap_err();
    assert!(matches!(error, ConfigError::Parse(_)));
    assert!(error.to_string().contains("colour"), "{error}");

    let nested = MINIMAL.replace("    skipConsent: false", "    skipConsent: false\n    secret: plain");
    assert!(
        TenantConfig::from_yaml(&nested)
            .unwrap_err()
            .to_string()
            .contains("secret")
    );
}

#[test]
fn unknown_fields_inside_the_api_types_are_refused_in_a_config_too() {
    // The API types tolerate unknown fields for version skew; a config file must not.
    let text = MINIMAL.replace("displayName: Example", "displayName: Example\nbranding: {colour: blue}");
    let error = TenantConfig::from_yaml(&text).unwrap_err().to_string();
    assert!(error.contains("branding.colour"), "{error}");
    let json = serde_json::json!({"generation": 1, "issuer": "https://id.example.com", "displayName": "E",
        "registration": {"later": true}});
    let error = TenantConfig::from_json(&json.to_string()).unwrap_err().to_string();
    assert!(error.contains("registration.later"), "{error}");
}

#[test]
fn the_current_format_and_the_one_before_are_served_and_no_other() {
    assert_eq!(
        TenantConfig::from_yaml(MINIMAL).unwrap().format_version,
        1,
        "format 1 had no field"
    );
    let current = format!("formatVersion: {CONFIG_FORMAT}\n{MINIMAL}");
    assert_eq!(TenantConfig::from_yaml(&current).unwrap().format_version, CONFIG_FORMAT);
    for unknown in [0, CONFIG_FORMAT + 1] {
        let text = format!("formatVersion: {unknown}\n{MINIMAL}");
        let error = TenantConfig::from_yaml(&text).unwrap_err().to_string();
        assert!(error.contains("formatVersion"), "{error}");
    }
}

#[test]
fn invalid_values_name_the_field_path() {
    let cases = [
        (
            "issuer: https://id.example.com",
            "issuer: http://id.example.com",
            "issuer",
        ),
        (
            "    redirectUris: [https://app.example.com/callback]",
            "    redirectUris: [https://app.example.com/cb#x]",
            "clients[0].redirectUris[0]",
        ),
        (
            "      - sha256: 2bb8",
            "      - sha256: ZZb8",
            "clients[0].secrets[0].sha256",
        ),
        (
            "    tokenEndpointAuthMethod: client_secret_basic",
            "    tokenEndpointAuthMethod: none",
            "clients[0].tokenEndpointAuthMethod",
        ),
        (
            "    idTokenSignedResponseAlg: RS256",
            "    idTokenSignedResponseAlg: ES256",
            "clients[0].idTokenSignedResponseAlg",
        ),
        ("generation: 3", "generation: -1", "generation"),
    ];
    for (from, to, path) in cases {
        let text = MINIMAL.replace(from, to);
        assert_ne!(text, MINIMAL, "{from} not found");
        let ConfigError::Invalid(errors) = TenantConfig::from_yaml(&text).unwrap_err() else {
            panic!("{to}: expected a validation error");
        };
        assert_eq!(errors.first_path(), path, "{errors}");
    }
}

#[test]
fn duplicate_client_ids_are_refused() {
    let mut config = TenantConfig::from_yaml(MINIMAL).unwrap();
    config.clients.push(config.clients[0].clone());
    let errors = config.validate().unwrap_err();
    assert!(errors.mentions("clients[1].clientId"), "{errors}");
}

#[test]
fn a_second_consent_policy_is_refused() {
    let one = format!("{MINIMAL}consentPolicies:\n  - {{id: shop.terms, version: '1'}}\n");
    TenantConfig::from_yaml(&one).unwrap().validate().unwrap();

    let mut two = TenantConfig::from_yaml(&one).unwrap();
    let mut second = two.consent_policies[0].clone();
    second.id = "shop.privacy".into();
    two.consent_policies.push(second);
    let errors = two.validate().unwrap_err();
    assert_eq!(errors.first_path(), "consentPolicies", "{errors}");
    assert!(errors.to_string().contains("at most one consent policy"), "{errors}");
}

#[test]
fn public_clients_carry_no_secret_and_confidential_ones_need_one() {
    let mut config = TenantConfig::from_yaml(MINIMAL).unwrap();
    config.clients[0].secrets.clear();
    assert!(config.validate().unwrap_err().mentions("clients[0].secrets"));

    config.clients[0].client_type = ClientType::Public;
    config.clients[0].token_endpoint_auth_method = TokenEndpointAuthMethod::None;
    config.validate().unwrap();
    config.clients[0].secrets.push(ClientSecretHash::of("x", None));
    assert!(config.validate().unwrap_err().mentions("clients[0].secrets"));
}

#[test]
fn client_config_resolves_the_resource_defaults() {
    let spec: crate::v1alpha1::ClientSpec =
        serde_yaml::from_str("tenantRef: {name: demo}\nredirectUris: [https://a.example.com/cb]").unwrap();
    let client = ClientConfig::from_spec(&spec, "shop", "web", vec![ClientSecretHash::of("s", None)]);
    assert_eq!(client.client_id, "shop.web");
    assert_eq!(client.display_name, "web");
    assert_eq!(
        client.token_endpoint_auth_method,
        TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(
        client.grant_types,
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert!(client.require_pkce);
    client.validate("clients[0]").unwrap();
}

#[test]
fn secret_hash_is_lowercase_hex_sha256() {
    let hash = ClientSecretHash::of("demo-secret", None);
    assert_eq!(hash.sha256.len(), 64);
    assert_eq!(hash.sha256, hash.sha256.to_lowercase());
}

#[test]
fn email_password_never_appears_in_debug_output() {
    let email = EmailConfig {
        from: "no-reply@example.com".into(),
        reply_to: None,
        host: "smtp.example.com".into(),
        port: 587,
        security: SmtpSecurity::Starttls,
        username: Some("user".into()),
        password: Some(SecretString::new("p4ssw0rd")),
    };
    assert!(!format!("{email:?}").contains("p4ssw0rd"));
}

#[test]
fn breached_password_defaults_are_on_and_the_corpus_is_a_file_of_the_idp() {
    let config = TenantConfig::from_yaml(MINIMAL).unwrap();
    let breached = &config.attack_protection.breached_passwords;
    assert!(breached.enabled && breached.at_sign_in && breached.range_api.enabled);
    assert_eq!(breached.range_api.base_url, "https://api.pwnedpasswords.com");
    assert_eq!(breached.range_api.timeout_seconds, 2);
    assert_eq!(breached.range_api.fail_mode, crate::v1alpha1::FailMode::Open);
    let with = |corpus: &str| {
        TenantConfig::from_yaml(&format!(
            "{MINIMAL}attackProtection: {{breachedPasswords: {{localCorpus: {corpus}}}}}\n"
        ))
    };
    assert!(with("{path: /var/lib/hibp/corpus.bin}").is_ok());
    let relative = with("{path: corpus.bin}").unwrap_err().to_string();
    assert!(
        relative.contains("attackProtection.breachedPasswords.localCorpus.path"),
        "{relative}"
    );
    let claim = with("{persistentVolumeClaim: hibp, path: /corpus.bin}")
        .unwrap_err()
        .to_string();
    assert!(claim.contains("persistentVolumeClaim"), "{claim}");
}
