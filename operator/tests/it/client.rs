//! Client reconcile outcomes: credentials, attachment, namespaces as a boundary, immutability,
//! stability across restarts, removal.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::DeleteParams;
use serde_json::json;
use vestibule_crds::config::ClientSecretHash;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

async fn client_reason(client: &kube::Client, ns: &str, name: &str, reason: &str) -> Client {
    wait_object::<Client>(client, ns, name, reason, |c| {
        c.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == reason)
    })
    .await
}

#[tokio::test]
async fn a_client_gets_credentials_and_the_tenant_serves_only_their_hash() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let web: Client = create(
        &client,
        &ns,
        &client_yaml("web", "demo", None, "  secretName: web-creds\n"),
    )
    .await;
    let spa_extra = "  type: public\n";
    create::<Client>(&client, &ns, &client_yaml("spa", "demo", None, spa_extra)).await;

    let secret = wait_object::<Secret>(&client, &ns, "web-creds", "the credentials", |_| true).await;
    let value = secret_value(&secret, "clientSecret").unwrap();
    assert_eq!(value.len(), 43, "256 bits, base64url");
    assert_eq!(
        secret_value(&secret, "clientId").as_deref(),
        Some(format!("{ns}.web").as_str())
    );
    assert_eq!(
        secret_value(&secret, "issuer").as_deref(),
        Some("https://demo.example.com")
    );
    assert_eq!(
        secret_value(&secret, "discoveryUrl").as_deref(),
        Some("https://demo.example.com/.well-known/openid-configuration")
    );
    let owner = &secret.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(owner.uid, web.metadata.uid.unwrap());
    let spa = wait_object::<Secret>(&client, &ns, "spa-oidc", "the public client's Secret", |_| true).await;
    assert!(secret_value(&spa, "clientSecret").is_none());

    let config = eventually("both clients in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.clients.len() == 2).then_some(config)
    })
    .await;
    let web_config = config.client(&format!("{ns}.web")).unwrap();
    assert_eq!(web_config.secrets, vec![ClientSecretHash::of(&value, None)]);
    let text = serde_yaml::to_string(&config).unwrap();
    assert!(!text.contains(&value), "the config must carry only the hash");
    let web = client_reason(&client, &ns, "web", "Progressing").await;
    assert_eq!(web.status.unwrap().client_id, Some(format!("{ns}.web")));
    wait_object::<Tenant>(&client, &ns, "demo", "clients: 2", |t| {
        t.status.as_ref().is_some_and(|s| s.clients == Some(2))
    })
    .await;
    operator.stop().await;
}

#[tokio::test]
async fn a_client_waits_for_its_tenant() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Client>(&client, &ns, &client_yaml("web", "later", None, "")).await;
    let waiting = client_reason(&client, &ns, "web", "TenantNotFound").await;
    let (_, _, message) = ready(&waiting.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.contains(&format!("{ns}/later")), "{message}");
    assert!(
        Api::<Secret>::namespaced(client.clone(), &ns)
            .get_opt("web-oidc")
            .await
            .unwrap()
            .is_none()
    );
    create::<Tenant>(&client, &ns, &tenant_yaml("later")).await;
    client_reason(&client, &ns, "web", "Progressing").await;
    wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await;
    operator.stop().await;
}

#[tokio::test]
async fn a_tenant_admits_clients_from_other_namespaces_only_when_allowed() {
    let (client, idp) = namespace().await;
    let (_, shop) = namespace().await;
    let operator = start(config(&[&idp, &shop])).await;
    create::<Tenant>(&client, &idp, &tenant_yaml("demo")).await;
    create::<Client>(&client, &shop, &client_yaml("web", "demo", Some(&idp), "")).await;
    let refused = client_reason(&client, &shop, "web", "NamespaceNotAllowed").await;
    assert!(
        ready(&refused.status.unwrap().common.conditions)
            .unwrap()
            .2
            .contains("allowedNamespaces")
    );
    wait_event(&client, &shop, "web", "NamespaceNotAllowed").await;
    // The refused Client has no effect on the Tenant.
    let config = eventually("the Tenant's config", || served_config(&client, &idp, "demo")).await;
    assert!(config.clients.is_empty());
    assert!(
        Api::<Secret>::namespaced(client.clone(), &shop)
            .get_opt("web-oidc")
            .await
            .unwrap()
            .is_none()
    );

    merge::<Tenant>(&client, &idp, "demo", json!({"spec": {"allowedNamespaces": [shop]}})).await;
    client_reason(&client, &shop, "web", "Progressing").await;
    eventually("the admitted client in the config", || async {
        let config = served_config(&client, &idp, "demo").await?;
        config.client(&format!("{shop}.web")).map(|_| ())
    })
    .await;
    operator.stop().await;
}

#[tokio::test]
async fn the_client_secret_survives_an_operator_restart() {
    let (client, ns) = namespace().await;
    let first = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let secret = wait_object::<Secret>(&client, &ns, "web-oidc", "the credentials", |_| true).await;
    let value = secret_value(&secret, "clientSecret").unwrap();
    let generation = eventually("the client in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        config.client(&format!("{ns}.web")).map(|_| config.generation)
    })
    .await;
    let kids = |tenant: &Tenant| -> Vec<String> {
        tenant
            .status
            .iter()
            .flat_map(|s| s.signing_keys.iter().map(|k| k.kid.clone()))
            .collect()
    };
    let before = wait_object::<Tenant>(&client, &ns, "demo", "a signing key", |t| !kids(t).is_empty()).await;
    first.stop().await;

    let second = start(config(&[&ns])).await;
    let changed = merge::<Client>(&client, &ns, "web", json!({"spec": {"displayName": "Web"}})).await;
    let new_generation = changed.metadata.generation;
    wait_object::<Client>(&client, &ns, "web", "the restarted operator's reconcile", |c| {
        c.status
            .as_ref()
            .is_some_and(|s| s.common.observed_generation == new_generation)
    })
    .await;
    let config = eventually("the new display name in the config", || async {
        let config = served_config(&client, &ns, "demo").await?;
        (config.client(&format!("{ns}.web"))?.display_name == "Web").then_some(config)
    })
    .await;
    let secret = Api::<Secret>::namespaced(client.clone(), &ns)
        .get("web-oidc")
        .await
        .unwrap();
    assert_eq!(secret_value(&secret, "clientSecret").unwrap(), value);
    assert_eq!(
        config.client(&format!("{ns}.web")).unwrap().secrets,
        vec![ClientSecretHash::of(&value, None)]
    );
    assert_eq!(
        config.generation,
        generation + 1,
        "the generation continues from the served config"
    );
    let after = Api::<Tenant>::namespaced(client.clone(), &ns)
        .get("demo")
        .await
        .unwrap();
    assert_eq!(kids(&after), kids(&before), "the signing keys survive the restart");
    second.stop().await;
}

#[tokio::test]
async fn a_deleted_client_leaves_the_config_at_once() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let id = format!("{ns}.web");
    eventually("the client in the config", || async {
        served_config(&client, &ns, "demo").await?.client(&id).map(|_| ())
    })
    .await;
    Api::<Client>::namespaced(client.clone(), &ns)
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the client gone from the config", || async {
        served_config(&client, &ns, "demo")
            .await?
            .client(&id)
            .is_none()
            .then_some(())
    })
    .await;
    operator.stop().await;
}

#[tokio::test]
async fn invalid_and_immutable_field_changes_are_refused_without_stalling_others() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    let bad =
        client_yaml("bad", "demo", None, "").replace("https://app.example.com/callback", "http://app.example.com/cb");
    create::<Client>(&client, &ns, &bad).await;
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;
    let refused = client_reason(&client, &ns, "bad", "InvalidSpec").await;
    assert!(
        ready(&refused.status.unwrap().common.conditions)
            .unwrap()
            .2
            .contains("spec.redirectUris[0]")
    );
    let event = wait_event(&client, &ns, "bad", "InvalidSpec").await;
    assert!(event.note.unwrap().contains("spec.redirectUris[0]"));
    client_reason(&client, &ns, "web", "Progressing").await;
    let config = eventually("the valid client served", || async {
        let config = served_config(&client, &ns, "demo").await?;
        config.client(&format!("{ns}.web")).is_some().then_some(config)
    })
    .await;
    assert!(config.client(&format!("{ns}.bad")).is_none());

    // Kubernetes 1.20 drops the CEL immutability rule, so the change is stored; the operator
    // refuses it and keeps reporting the served id.
    merge::<Client>(&client, &ns, "web", json!({"spec": {"clientId": "renamed"}})).await;
    let refused = client_reason(&client, &ns, "web", "InvalidSpec").await;
    let status = refused.status.unwrap();
    assert!(ready(&status.common.conditions).unwrap().2.contains("spec.clientId"));
    assert_eq!(status.client_id, Some(format!("{ns}.web")));
    operator.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_parse_stalls_nothing() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("demo")).await;
    // The schema's duration pattern lets this through; it overflows the Rust type. Created raw,
    // as the typed client cannot even hold it.
    let broken = serde_yaml::from_str::<serde_json::Value>(&client_yaml(
        "broken",
        "demo",
        None,
        "  secretRotationGracePeriod: 99999999999999999999s\n",
    ))
    .unwrap();
    let resource = kube::api::ApiResource::erase::<Client>(&());
    let raw = Api::<kube::api::DynamicObject>::namespaced_with(client.clone(), &ns, &resource);
    let object: kube::api::DynamicObject = serde_json::from_value(broken).unwrap();
    raw.create(&Default::default(), &object).await.unwrap();
    create::<Client>(&client, &ns, &client_yaml("web", "demo", None, "")).await;

    client_reason(&client, &ns, "web", "Progressing").await;
    eventually("the valid client served", || async {
        served_config(&client, &ns, "demo")
            .await?
            .client(&format!("{ns}.web"))
            .map(|_| ())
    })
    .await;
    let message = eventually("the broken client told why", || async {
        let object = raw.get("broken").await.ok()?;
        let conditions = object.data.pointer("/status/conditions")?.as_array()?.clone();
        let ready = conditions.iter().find(|c| c["type"] == "Ready")?;
        (ready["reason"] == "InvalidSpec").then(|| ready["message"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    assert!(message.contains("does not parse"), "{message}");
    operator.stop().await;
}
