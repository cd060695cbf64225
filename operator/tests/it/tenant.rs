//! Tenant reconcile outcomes: children, status, refusals, optional children, rollouts.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use vestibule_crds::keys::KeyState;
use vestibule_crds::v1alpha1::Tenant;

use crate::support::*;

#[tokio::test]
async fn a_tenant_gets_owned_children_and_a_truthful_status() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let tenant: Tenant = create(&client, &ns, &tenant_yaml("demo")).await;
    let uid = tenant.metadata.uid.clone().unwrap();

    let tenant = wait_object::<Tenant>(&client, &ns, "demo", "a status", |t| {
        t.status.as_ref().is_some_and(|s| s.config_generation.is_some())
    })
    .await;
    let status = tenant.status.unwrap();
    assert_eq!(status.issuer.as_deref(), Some("https://demo.example.com"));
    assert_eq!(
        status.discovery_url.as_deref(),
        Some("https://demo.example.com/.well-known/openid-configuration")
    );
    assert_eq!(status.config_generation, Some(1));
    assert_eq!(status.common.observed_generation, tenant.metadata.generation);
    assert_eq!(status.signing_keys.len(), 1);
    assert_eq!(status.signing_keys[0].state, KeyState::Active);
    // No kubelet runs the pods here: the Tenant is honestly not Ready.
    let (ready, reason, _) = ready(&status.common.conditions).unwrap();
    assert_eq!((ready, reason), ("False", "Progressing"));

    let owned_by_tenant = |meta: &kube::api::ObjectMeta| {
        let owner = &meta.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("Tenant", uid.as_str()));
        assert_eq!(owner.controller, Some(true));
    };
    let secrets = Api::<Secret>::namespaced(client.clone(), &ns);
    owned_by_tenant(&secrets.get("demo-idp-config").await.unwrap().metadata);
    owned_by_tenant(&secrets.get("demo-idp-keys").await.unwrap().metadata);
    owned_by_tenant(
        &Api::<Deployment>::namespaced(client.clone(), &ns)
            .get("demo-idp")
            .await
            .unwrap()
            .metadata,
    );
    owned_by_tenant(
        &Api::<Service>::namespaced(client.clone(), &ns)
            .get("demo-idp")
            .await
            .unwrap()
            .metadata,
    );
    // The database claim outlives the Tenant (retainPolicy: Retain by default): no owner.
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), &ns);
    assert_eq!(
        claims.get("demo-idp-data").await.unwrap().metadata.owner_references,
        None
    );
    let config = served_config(&client, &ns, "demo").await.unwrap();
    assert_eq!(config.issuer, "https://demo.example.com");
    config.validate().unwrap();
    operator.stop().await;
}

#[tokio::test]
async fn an_invalid_tenant_is_refused_naming_the_field_and_does_not_stall_a_valid_one() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    // Kubernetes 1.20 ignores the CEL rule on the issuer; the operator checks it again.
    let bad = tenant_yaml("bad").replace("https://bad.example.com", "http://bad.example.com");
    create::<Tenant>(&client, &ns, &bad).await;
    create::<Tenant>(&client, &ns, &tenant_yaml("good")).await;
    let refused = wait_object::<Tenant>(&client, &ns, "bad", "InvalidSpec", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "InvalidSpec")
    })
    .await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.contains("spec.issuer"), "{message}");
    let event = wait_event(&client, &ns, "bad", "InvalidSpec").await;
    assert!(event.note.unwrap().contains("spec.issuer"));
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    assert!(deployments.get_opt("bad-idp").await.unwrap().is_none());
    wait_object::<Deployment>(&client, &ns, "good-idp", "the valid Tenant's Deployment", |_| true).await;
    operator.stop().await;
}

#[tokio::test]
async fn an_https_tenant_without_email_is_refused_naming_spec_email_until_it_has_one() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let without = tenant_yaml("quiet")
        .lines()
        .filter(|line| !line.contains("email:"))
        .collect::<Vec<_>>()
        .join("\n");
    create::<Tenant>(&client, &ns, &without).await;
    let refused = wait_object::<Tenant>(&client, &ns, "quiet", "InvalidSpec", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "InvalidSpec")
    })
    .await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.starts_with("spec.email:"), "{message}");
    let event = wait_event(&client, &ns, "quiet", "InvalidSpec").await;
    assert!(event.note.unwrap().contains("spec.email"));
    // No pod that would only fail to start.
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    assert!(deployments.get_opt("quiet-idp").await.unwrap().is_none());

    let email =
        json!({"spec": {"email": {"from": "no-reply@quiet.example.com", "smtp": {"host": "smtp.example.com"}}}});
    merge::<Tenant>(&client, &ns, "quiet", email).await;
    wait_object::<Deployment>(&client, &ns, "quiet-idp", "the Deployment once email is set", |_| true).await;
    operator.stop().await;
}

#[tokio::test]
async fn a_missing_database_secret_is_reported_until_it_appears() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let yaml = format!(
        "{}  database: {{postgres: {{urlSecretRef: {{name: shop-db, key: url}}}}}}\n",
        tenant_yaml("shop")
    );
    create::<Tenant>(&client, &ns, &yaml).await;
    let refused = wait_object::<Tenant>(&client, &ns, "shop", "SecretNotFound", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "SecretNotFound")
    })
    .await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(message.contains("spec.database.postgres.urlSecretRef"), "{message}");

    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "shop-db"}, "stringData": {"url": "postgres://u:p@db/shop"}
    }))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let deployment = wait_object::<Deployment>(&client, &ns, "shop-idp", "the Deployment", |_| true).await;
    let container = &deployment.spec.unwrap().template.spec.unwrap().containers[0];
    let env = container.env.as_ref().unwrap();
    let url = env.iter().find(|e| e.name == "VESTIBULE_DATABASE_URL").unwrap();
    assert_eq!(
        url.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name,
        "shop-db"
    );
    assert!(
        Api::<PersistentVolumeClaim>::namespaced(client.clone(), &ns)
            .get_opt("shop-idp-data")
            .await
            .unwrap()
            .is_none()
    );
    operator.stop().await;
}

#[tokio::test]
async fn several_replicas_get_a_disruption_budget_or_an_event_saying_it_was_skipped() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db"}, "stringData": {"url": "postgres://u:p@db/shop"}
    }))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let yaml = format!(
        "{}  replicas: 3\n  database: {{postgres: {{urlSecretRef: {{name: db, key: url}}}}}}\n",
        tenant_yaml("ha")
    );
    create::<Tenant>(&client, &ns, &yaml).await;
    let policy_v1 = vestibule_operator::runner::discover(&client).await.unwrap().policy_v1;
    if policy_v1 {
        wait_object::<PodDisruptionBudget>(&client, &ns, "ha-idp", "the PodDisruptionBudget", |_| true).await;
    } else {
        // Kubernetes 1.20: no policy/v1, so the condition and an Event say why there is none.
        let tenant = wait_object::<Tenant>(&client, &ns, "ha", "the DisruptionBudget condition", |t| {
            t.status
                .as_ref()
                .is_some_and(|s| s.common.conditions.iter().any(|c| c.type_ == "DisruptionBudget"))
        })
        .await;
        let condition = tenant
            .status
            .unwrap()
            .common
            .conditions
            .into_iter()
            .find(|c| c.type_ == "DisruptionBudget")
            .unwrap();
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            ("False", "PolicyV1Unavailable")
        );
        let event = wait_event(&client, &ns, "ha", "PolicyV1Unavailable").await;
        assert!(event.note.unwrap().contains("skipped"));
    }
    operator.stop().await;
}

#[tokio::test]
async fn an_ingress_follows_the_spec_and_config_changes_do_not_roll_the_pods() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let yaml = format!("{}  ingress: {{className: nginx}}\n", tenant_yaml("web"));
    create::<Tenant>(&client, &ns, &yaml).await;
    let ingress = wait_object::<Ingress>(&client, &ns, "web-idp", "the Ingress", |_| true).await;
    assert_eq!(
        ingress.spec.unwrap().rules.unwrap()[0].host.as_deref(),
        Some("web.example.com")
    );
    let deployment = wait_object::<Deployment>(&client, &ns, "web-idp", "the Deployment", |_| true).await;
    let rollout = deployment.metadata.generation;

    // A config change: the config Secret moves to generation 2, the pod template stays.
    merge::<Tenant>(
        &client,
        &ns,
        "web",
        json!({"spec": {"displayName": "Web Shop", "ingress": null}}),
    )
    .await;
    wait_object::<Tenant>(&client, &ns, "web", "config generation 2", |t| {
        t.status.as_ref().is_some_and(|s| s.config_generation == Some(2))
    })
    .await;
    assert_eq!(
        served_config(&client, &ns, "web").await.unwrap().display_name,
        "Web Shop"
    );
    let ingresses = Api::<Ingress>::namespaced(client.clone(), &ns);
    eventually("the Ingress to be deleted", || async {
        ingresses.get_opt("web-idp").await.ok()?.is_none().then_some(())
    })
    .await;
    let deployments = Api::<Deployment>::namespaced(client.clone(), &ns);
    assert_eq!(deployments.get("web-idp").await.unwrap().metadata.generation, rollout);

    // An image change needs a restart: the Deployment rolls.
    merge::<Tenant>(
        &client,
        &ns,
        "web",
        json!({"spec": {"image": "registry.example.com/idp:2"}}),
    )
    .await;
    let rolled = wait_object::<Deployment>(&client, &ns, "web-idp", "the new image", |d| {
        d.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0]
            .image
            .as_deref()
            == Some("registry.example.com/idp:2")
    })
    .await;
    assert!(rolled.metadata.generation > rollout);
    operator.stop().await;
}

#[tokio::test]
async fn a_breached_password_corpus_is_mounted_and_served_as_a_file_or_refused_naming_the_field() {
    let (client, ns) = namespace().await;
    let operator = start(config(&[&ns])).await;
    let corpus = "  attackProtection: {breachedPasswords: {localCorpus: {persistentVolumeClaim: hibp, path: pwned/corpus.bin}}}\n";
    create::<Tenant>(&client, &ns, &format!("{}{corpus}", tenant_yaml("corpus"))).await;
    // Kubernetes 1.20 evaluates no CEL: the operator refuses an absolute path itself.
    let absolute = corpus.replace("path: pwned/corpus.bin", "path: /etc/passwd");
    create::<Tenant>(&client, &ns, &format!("{}{absolute}", tenant_yaml("absolute"))).await;

    let deployment = wait_object::<Deployment>(&client, &ns, "corpus-idp", "the Deployment", |_| true).await;
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    let volume = pod.volumes.unwrap().into_iter().find(|v| v.name == "breached").unwrap();
    let claim = volume.persistent_volume_claim.unwrap();
    assert_eq!((claim.claim_name.as_str(), claim.read_only), ("hibp", Some(true)));
    let config = served_config(&client, &ns, "corpus").await.unwrap();
    let served = config
        .attack_protection
        .breached_passwords
        .local_corpus
        .clone()
        .unwrap();
    assert_eq!(served.path, "/var/lib/vestibule-breached/pwned/corpus.bin");
    assert!(served.persistent_volume_claim.is_none());
    config.validate().unwrap();

    let refused = wait_object::<Tenant>(&client, &ns, "absolute", "InvalidSpec", |t| {
        t.status
            .as_ref()
            .and_then(|s| ready(&s.common.conditions))
            .is_some_and(|r| r.1 == "InvalidSpec")
    })
    .await;
    let (_, _, message) = ready(&refused.status.as_ref().unwrap().common.conditions).unwrap();
    assert!(
        message.contains("spec.attackProtection.breachedPasswords.localCorpus.path"),
        "{message}"
    );
    operator.stop().await;
}
