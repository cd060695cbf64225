//! Each validation rule rejects a bad manifest with a message naming the field.

use vestibule_crds::v1alpha1::{ClientSpec, ConsentPolicySpec, MfaPolicySpec, SocialProviderSpec, TenantSpec};

use crate::support::{assert_rejects, edit, parse};

const TENANT: &str = "issuer: https://id.example.com\n";

fn tenant_with(extra: &str) -> TenantSpec {
    parse(&format!("{TENANT}{extra}"))
}

#[test]
fn the_base_tenant_is_valid() {
    tenant_with("").validate().unwrap();
}

#[test]
fn tenant_rules_name_the_field() {
    let cases = [
        ("replicas: 0\n", "spec.replicas"),
        ("replicas: 3\n", "spec.replicas"),
        (
            "database: {embedded: {}, postgres: {urlSecretRef: {name: db, key: url}}}\n",
            "spec.database",
        ),
        (
            "database: {postgres: {urlSecretRef: {name: Bad_Name, key: url}}}\n",
            "spec.database.postgres.urlSecretRef.name",
        ),
        ("displayName: '  '\n", "spec.displayName"),
        ("branding: {primaryColor: blue}\n", "spec.branding.primaryColor"),
        (
            "branding: {logoUrl: 'http://cdn.example.com/logo.png'}\n",
            "spec.branding.logoUrl",
        ),
        ("branding: {locales: []}\n", "spec.branding.locales"),
        ("branding: {locales: [en, en]}\n", "spec.branding.locales"),
        ("branding: {supportEmail: nobody}\n", "spec.branding.supportEmail"),
        (
            "registration: {requiredAttributes: [givenName, givenName]}\n",
            "spec.registration.requiredAttributes",
        ),
        (
            "registration: {requiredAttributes: [phoneNumber], progressiveProfiling: [{afterLogins: 1, attributes: [phoneNumber]}]}\n",
            "spec.registration.progressiveProfiling[0].attributes",
        ),
        (
            "registration: {progressiveProfiling: [{afterLogins: 0, attributes: [nickname]}]}\n",
            "spec.registration.progressiveProfiling[0].afterLogins",
        ),
        ("passwordPolicy: {minLength: 4}\n", "spec.passwordPolicy.minLength"),
        (
            "passwordPolicy: {minLength: 20, maxLength: 16}\n",
            "spec.passwordPolicy.maxLength",
        ),
        (
            "sessions: {idleTimeout: 10h, absoluteTimeout: 1h}\n",
            "spec.sessions.absoluteTimeout",
        ),
        ("sessions: {idleTimeout: 10s}\n", "spec.sessions.idleTimeout"),
        (
            "tokens: {authorizationCodeLifetime: 30m}\n",
            "spec.tokens.authorizationCodeLifetime",
        ),
        (
            "tokens: {accessTokenLifetime: 48h}\n",
            "spec.tokens.accessTokenLifetime",
        ),
        ("tokens: {idTokenLifetime: 1s}\n", "spec.tokens.idTokenLifetime"),
        ("signingKeys: {algorithms: [ES256]}\n", "spec.signingKeys.algorithms"),
        (
            "signingKeys: {algorithms: [RS256, RS256]}\n",
            "spec.signingKeys.algorithms",
        ),
        (
            "signingKeys: {rotationInterval: 30s}\n",
            "spec.signingKeys.rotationInterval",
        ),
        (
            "email: {from: nobody, smtp: {host: smtp.example.com}}\n",
            "spec.email.from",
        ),
        (
            "email: {from: a@example.com, smtp: {host: ''}}\n",
            "spec.email.smtp.host",
        ),
        (
            "email: {from: a@example.com, smtp: {host: smtp.example.com, username: u}}\n",
            "spec.email.smtp.passwordSecretRef",
        ),
        (
            "attackProtection: {lockout: {maxFailures: 0}}\n",
            "spec.attackProtection.lockout.maxFailures",
        ),
        ("allowedNamespaces: [Team_A]\n", "spec.allowedNamespaces[0]"),
    ];
    for (extra, path) in cases {
        assert_rejects(tenant_with(extra).validate(), path);
    }
}

#[test]
fn issuer_must_be_https_except_on_loopback() {
    for bad in [
        "http://id.example.com",
        "https://id.example.com/",
        "ftp://id.example.com",
        "https://id.example.com?a=b",
    ] {
        let spec: TenantSpec = parse(&edit(TENANT, "https://id.example.com", bad));
        assert_rejects(spec.validate(), "spec.issuer");
    }
    for good in [
        "http://localhost:8080",
        "http://127.0.0.1",
        "https://example.com/tenants/acme",
    ] {
        let spec: TenantSpec = parse(&edit(TENANT, "https://id.example.com", good));
        spec.validate().unwrap();
    }
}

#[test]
fn replicas_above_one_need_postgres() {
    tenant_with("replicas: 3\ndatabase: {postgres: {urlSecretRef: {name: db, key: url}}}\n")
        .validate()
        .unwrap();
    assert_rejects(
        tenant_with("replicas: 2\ndatabase: {embedded: {}}\n").validate(),
        "spec.replicas",
    );
}

#[test]
fn malformed_durations_are_refused_naming_the_field() {
    let error =
        serde_yaml::from_str::<TenantSpec>(&format!("{TENANT}tokens: {{accessTokenLifetime: 10x}}\n")).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("tokens") && message.contains("\"10x\"") && message.contains("invalid duration"),
        "{message}"
    );
}

#[test]
fn unknown_fields_are_tolerated_for_version_skew() {
    // The API server refuses or prunes a misspelt field against the CRD schema; what still
    // reaches the types is a field of a newer CRD, which an older operator must not choke on.
    let spec = serde_yaml::from_str::<TenantSpec>(&format!("{TENANT}laterField: 2\n")).unwrap();
    assert_eq!(spec.replicas, 1);
}

#[test]
fn namespaces_are_admitted_only_when_listed() {
    let spec = tenant_with("allowedNamespaces: [team-a]\n");
    assert!(spec.admits_namespace("idp", "idp"));
    assert!(spec.admits_namespace("idp", "team-a"));
    assert!(!spec.admits_namespace("idp", "team-b"));
    assert!(tenant_with("allowedNamespaces: ['*']\n").admits_namespace("idp", "anything"));
    assert!(!tenant_with("").admits_namespace("idp", "team-a"));
}

const CLIENT: &str = "tenantRef: {name: demo}\nredirectUris: [https://app.example.com/callback]\n";

fn client(yaml: &str) -> ClientSpec {
    parse(yaml)
}

#[test]
fn the_base_client_is_valid_and_defaults_are_resolved() {
    let spec = client(CLIENT);
    spec.validate().unwrap();
    assert_eq!(spec.effective_client_id("shop", "web"), "shop.web");
    assert_eq!(spec.effective_secret_name("web"), "web-oidc");
    assert!(spec.require_pkce);
}

#[test]
fn a_client_asks_for_a_default_assurance_that_reaches_its_config() {
    let spec = client(&format!(
        "{CLIENT}defaultMaxAge: 0\ndefaultAcrValues: [urn:vestibule:acr:mfa, urn:vestibule:acr:password]\n"
    ));
    spec.validate().unwrap();
    let config = vestibule_crds::config::ClientConfig::from_spec(&spec, "shop", "web", Vec::new());
    assert_eq!(config.default_max_age, Some(0));
    assert_eq!(
        config.default_acr_values,
        ["urn:vestibule:acr:mfa", "urn:vestibule:acr:password"]
    );
}

#[test]
fn a_client_requires_an_assurance_that_reaches_its_config() {
    let spec = client(&format!("{CLIENT}requiredAcr: urn:vestibule:acr:mfa\n"));
    spec.validate().unwrap();
    let config = vestibule_crds::config::ClientConfig::from_spec(&spec, "shop", "web", Vec::new());
    assert_eq!(config.required_acr.as_deref(), Some("urn:vestibule:acr:mfa"));
    let unknown = client(&format!("{CLIENT}requiredAcr: urn:other:acr\n"));
    let errors = unknown.validate().unwrap_err().to_string();
    assert!(errors.contains("spec.requiredAcr"), "{errors}");
}

#[test]
fn client_rules_name_the_field() {
    let cases = [
        (
            edit(
                CLIENT,
                "https://app.example.com/callback",
                "http://app.example.com/callback",
            ),
            "spec.redirectUris[0]",
        ),
        (
            edit(
                CLIENT,
                "https://app.example.com/callback",
                "https://app.example.com/cb#top",
            ),
            "spec.redirectUris[0]",
        ),
        (
            edit(
                CLIENT,
                "redirectUris: [https://app.example.com/callback]",
                "redirectUris: []",
            ),
            "spec.redirectUris",
        ),
        (
            format!("{CLIENT}type: public\ntokenEndpointAuthMethod: client_secret_basic\n"),
            "spec.tokenEndpointAuthMethod",
        ),
        (
            format!("{CLIENT}type: public\nrequirePkce: false\n"),
            "spec.requirePkce",
        ),
        (
            format!("{CLIENT}type: public\ngrantTypes: [authorization_code, client_credentials]\n"),
            "spec.grantTypes",
        ),
        (
            format!("{CLIENT}tokenEndpointAuthMethod: none\n"),
            "spec.tokenEndpointAuthMethod",
        ),
        (format!("{CLIENT}grantTypes: []\n"), "spec.grantTypes"),
        (format!("{CLIENT}grantTypes: [refresh_token]\n"), "spec.grantTypes"),
        (
            format!("{CLIENT}grantTypes: [authorization_code, authorization_code]\n"),
            "spec.grantTypes",
        ),
        (format!("{CLIENT}scopes: ['read write']\n"), "spec.scopes[0]"),
        (format!("{CLIENT}scopes: [openid, openid]\n"), "spec.scopes"),
        (format!("{CLIENT}clientId: 'has space'\n"), "spec.clientId"),
        (format!("{CLIENT}secretName: Not_A_Name\n"), "spec.secretName"),
        (
            format!("{CLIENT}allowedCorsOrigins: ['https://app.example.com/path']\n"),
            "spec.allowedCorsOrigins[0]",
        ),
        (
            format!("{CLIENT}postLogoutRedirectUris: ['http://app.example.com/']\n"),
            "spec.postLogoutRedirectUris[0]",
        ),
        (
            format!("{CLIENT}tokens: {{accessTokenLifetime: 5s}}\n"),
            "spec.tokens.accessTokenLifetime",
        ),
        (
            format!("{CLIENT}secretRotationGracePeriod: 1000h\n"),
            "spec.secretRotationGracePeriod",
        ),
        (format!("{CLIENT}defaultMaxAge: -1\n"), "spec.defaultMaxAge"),
        (format!("{CLIENT}defaultMaxAge: 31536001\n"), "spec.defaultMaxAge"),
        (
            format!("{CLIENT}defaultAcrValues: ['urn:other:acr']\n"),
            "spec.defaultAcrValues",
        ),
        (
            format!("{CLIENT}defaultAcrValues: [urn:vestibule:acr:mfa, urn:vestibule:acr:mfa]\n"),
            "spec.defaultAcrValues",
        ),
        (edit(CLIENT, "{name: demo}", "{name: ''}"), "spec.tenantRef.name"),
        (
            edit(CLIENT, "{name: demo}", "{name: demo, namespace: Bad_NS}"),
            "spec.tenantRef.namespace",
        ),
    ];
    for (yaml, path) in cases {
        assert_rejects(client(&yaml).validate(), path);
    }
}

#[test]
fn tenant_ref_and_client_id_are_immutable() {
    let old = client(&format!("{CLIENT}clientId: web\n"));
    let moved = client(&edit(
        &format!("{CLIENT}clientId: web\n"),
        "{name: demo}",
        "{name: other}",
    ));
    assert_rejects(moved.validate_update(&old), "spec.tenantRef");
    let renamed = client(&format!("{CLIENT}clientId: web2\n"));
    assert_rejects(renamed.validate_update(&old), "spec.clientId");
    let unchanged = client(&format!("{CLIENT}clientId: web\ndisplayName: Web\n"));
    unchanged.validate_update(&old).unwrap();
}

#[test]
fn service_clients_need_no_redirect_uri() {
    let spec = client("tenantRef: {name: demo}\ngrantTypes: [client_credentials]\nscopes: ['orders:read']\n");
    spec.validate().unwrap();
}

const SOCIAL: &str =
    "tenantRef: {name: demo}\ntype: google\nclientId: abc\nclientSecretRef: {name: google, key: secret}\n";

#[test]
fn social_provider_rules_name_the_field() {
    parse::<SocialProviderSpec>(SOCIAL).validate().unwrap();
    let cases = [
        (edit(SOCIAL, "type: google", "type: oidc"), "spec.issuer"),
        (
            format!(
                "{}issuer: http://idp.example.com\n",
                edit(SOCIAL, "type: google", "type: oidc")
            ),
            "spec.issuer",
        ),
        (edit(SOCIAL, "type: google", "type: oauth2"), "spec.authorizationUrl"),
        (
            format!(
                "{}issuer: https://github.com\n",
                edit(SOCIAL, "type: google", "type: github")
            ),
            "spec.issuer",
        ),
        (
            format!("{SOCIAL}tokenUrl: https://oauth2.googleapis.com/token\n"),
            "spec.tokenUrl",
        ),
        (
            format!(
                "{}tokenUrl: http://ghe.example.com/token\n",
                edit(SOCIAL, "type: google", "type: github")
            ),
            "spec.tokenUrl",
        ),
        (edit(SOCIAL, "clientId: abc", "clientId: ''"), "spec.clientId"),
        (edit(SOCIAL, "key: secret", "key: ''"), "spec.clientSecretRef.key"),
        (format!("{SOCIAL}scopes: ['a b']\n"), "spec.scopes[0]"),
        (edit(SOCIAL, "type: google", "type: apple"), "spec.apple"),
        (format!("{SOCIAL}apple: {{teamId: T, keyId: K}}\n"), "spec.apple"),
        (
            format!(
                "{}apple: {{teamId: 'T-1', keyId: K}}\n",
                edit(SOCIAL, "type: google", "type: apple")
            ),
            "spec.apple.teamId",
        ),
    ];
    for (yaml, path) in cases {
        assert_rejects(parse::<SocialProviderSpec>(&yaml).validate(), path);
    }
}

#[test]
fn presets_accept_endpoint_overrides_of_their_protocol() {
    parse::<SocialProviderSpec>(&format!("{SOCIAL}issuer: http://127.0.0.1:8080\n"))
        .validate()
        .unwrap();
    let enterprise = format!(
        "{}tokenUrl: https://ghe.example.com/login/oauth/access_token\nuserinfoUrl: https://ghe.example.com/api/v3/user\n",
        edit(SOCIAL, "type: google", "type: github")
    );
    parse::<SocialProviderSpec>(&enterprise).validate().unwrap();
}

const CONSENT: &str =
    "tenantRef: {name: demo}\nversion: '1'\npurposes:\n  - {id: news, title: {en: News}, legalBasis: consent}\n";

#[test]
fn consent_policy_rules_name_the_field() {
    parse::<ConsentPolicySpec>(CONSENT).validate().unwrap();
    let cases = [
        (edit(CONSENT, "version: '1'", "version: ''"), "spec.version"),
        (edit(CONSENT, "id: news", "id: News_Letter"), "spec.purposes[0].id"),
        (
            edit(CONSENT, "{en: News}", "{de: Neuigkeiten}"),
            "spec.purposes[0].title",
        ),
        (
            edit(CONSENT, "legalBasis: consent}", "legalBasis: consent, required: true}"),
            "spec.purposes[0].required",
        ),
        (
            format!("{CONSENT}  - {{id: news, title: {{en: Again}}, legalBasis: contract}}\n"),
            "spec.purposes[1].id",
        ),
        (
            format!("{CONSENT}documents: {{privacy: 'http://example.com/privacy'}}\n"),
            "spec.documents.privacy",
        ),
        (
            format!("{CONSENT}dataRetention: {{inactiveAccounts: 720h}}\n"),
            "spec.dataRetention.inactiveAccountsWarning",
        ),
        (
            format!("{CONSENT}dataRetention: {{inactiveAccounts: 48h, inactiveAccountsWarning: 48h}}\n"),
            "spec.dataRetention.inactiveAccountsWarning",
        ),
        (
            format!("{CONSENT}dataRetention: {{inactiveAccountsWarning: 24h}}\n"),
            "spec.dataRetention.inactiveAccountsWarning",
        ),
    ];
    for (yaml, path) in cases {
        assert_rejects(parse::<ConsentPolicySpec>(&yaml).validate(), path);
    }
    let kept = format!("{CONSENT}dataRetention: {{inactiveAccounts: 17520h, inactiveAccountsWarning: 48h}}\n");
    parse::<ConsentPolicySpec>(&kept).validate().unwrap();
    parse::<ConsentPolicySpec>(&format!("{CONSENT}dataRetention: {{inactiveAccounts: 17520h}}\n"))
        .validate()
        .unwrap();
}

const MFA: &str = "tenantRef: {name: demo}\nfactors: [totp, webauthn]\n";

#[test]
fn mfa_policy_rules_name_the_field() {
    parse::<MfaPolicySpec>(MFA).validate().unwrap();
    let cases = [
        (edit(MFA, "[totp, webauthn]", "[]"), "spec.factors"),
        (edit(MFA, "[totp, webauthn]", "[totp, totp]"), "spec.factors"),
        (edit(MFA, "[totp, webauthn]", "[recoveryCodes]"), "spec.factors"),
        (
            format!("{MFA}adaptive: {{stepUpThreshold: 95, denyThreshold: 90}}\n"),
            "spec.adaptive.stepUpThreshold",
        ),
        (
            format!("{MFA}adaptive: {{denyThreshold: 120}}\n"),
            "spec.adaptive.denyThreshold",
        ),
        (
            format!(
                "{}passkeys: {{passwordless: true}}\n",
                edit(MFA, "[totp, webauthn]", "[totp]")
            ),
            "spec.passkeys.passwordless",
        ),
    ];
    for (yaml, path) in cases {
        assert_rejects(parse::<MfaPolicySpec>(&yaml).validate(), path);
    }
}

#[test]
fn pod_settings_may_not_override_what_the_operator_sets() {
    tenant_with(
        "pod:\n  labels: {team: identity}\n  env: [{name: SSL_CERT_FILE, value: /etc/pg-ca/ca.crt}]\n  volumes: [{name: pg-ca, mountPath: /etc/pg-ca, secretName: pg-ca}]\n",
    )
    .validate()
    .unwrap();
    let cases = [
        (
            "pod: {labels: {app.kubernetes.io/instance: other}}\n",
            "spec.pod.labels.app.kubernetes.io/instance",
        ),
        (
            "pod: {env: [{name: VESTIBULE_DATABASE_URL, value: x}]}\n",
            "spec.pod.env[0].name",
        ),
        ("pod: {env: [{name: POD_IP, value: x}]}\n", "spec.pod.env[0].name"),
        (
            "pod: {volumes: [{name: keys, mountPath: /etc/x, secretName: s}]}\n",
            "spec.pod.volumes[0].name",
        ),
        (
            "pod: {volumes: [{name: ca, mountPath: /etc/vestibule/ca, secretName: s}]}\n",
            "spec.pod.volumes[0].mountPath",
        ),
        (
            "pod: {volumes: [{name: ca, mountPath: /etc, secretName: s}]}\n",
            "spec.pod.volumes[0].mountPath",
        ),
        (
            "pod: {volumes: [{name: ca, mountPath: relative, secretName: s}]}\n",
            "spec.pod.volumes[0].mountPath",
        ),
        (
            "pod: {volumes: [{name: ca, mountPath: /etc/ca}]}\n",
            "spec.pod.volumes[0]",
        ),
        (
            "pod: {volumes: [{name: ca, mountPath: /etc/ca, secretName: s, configMapName: c}]}\n",
            "spec.pod.volumes[0]",
        ),
        (
            "pod: {terminationGracePeriodSeconds: 1}\n",
            "spec.pod.terminationGracePeriodSeconds",
        ),
    ];
    for (yaml, field) in cases {
        let errors = tenant_with(yaml).validate().unwrap_err().to_string();
        assert!(errors.contains(field), "{yaml}: {errors}");
    }
}
