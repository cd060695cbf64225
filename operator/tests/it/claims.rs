//! Client ids are claimed, not sorted: a later Client never takes a live id, whatever the
//! names of the namespaces, and a Client outside its Tenant's namespace may only use ids of its
//! own namespace.

use k8s_openapi::api::core::v1::Secret;
use vestibule_crds::config::ClientSecretHash;
use vestibule_crds::v1alpha1::{Client, Tenant};

use crate::support::*;

/// The `Ready` reason and message of Client `name`, once it has `reason`.
async fn refused(client: &kube::Client, ns: &str, name: &str, reason: &str) -> String {
    let refused = client_ready(client, ns, name, "False", reason).await;
    ready(&refused.status.unwrap().common.conditions).unwrap().2.to_owned()
}

#[tokio::test]
async fn a_later_client_claiming_a_live_client_id_from_a_namespace_that_sorts_first_is_refused() {
    let (client, a) = namespace().await;
    let (_, b) = namespace().await;
    // The Tenant lives in the namespace that sorts last; the later Client comes from the other.
    let (idp, shop) = if a > b { (a, b) } else { (b, a) };
    let operator = start(config(&[&idp, &shop])).await;
    create::<Tenant>(
        &client,
        &idp,
        &format!("{}  allowedNamespaces: [{shop}]\n", tenant_yaml("demo")),
    )
    .await;
    // The live application, in the Tenant's namespace, uses an id of the shop's namespace.
    let shared = format!("{shop}.app");
    create::<Client>(
        &client,
        &idp,
        &client_yaml("zz-live", "demo", None, &format!("  clientId: {shared}\n")),
    )
    .await;
    let live = wait_object::<Secret>(&client, &idp, "zz-live-oidc", "the live credentials", |_| true).await;
    let live_hash = ClientSecretHash::of(&secret_value(&live, "clientSecret").unwrap(), None);
    eventually("the live client served", || async {
        let config = served_config(&client, &idp, "demo").await?;
        (config.client(&shared)?.secrets == vec![live_hash.clone()]).then_some(())
    })
    .await;

    // A later Client of the namespace that sorts first claims the same id: refused, naming the
    // holder. Before, the Tenant kept the first by namespace and name, so this one took over.
    create::<Client>(
        &client,
        &shop,
        &client_yaml("aa-later", "demo", Some(&idp), &format!("  clientId: {shared}\n")),
    )
    .await;
    let message = refused(&client, &shop, "aa-later", "ClientIdConflict").await;
    assert!(message.contains(&format!("Client {idp}/zz-live")), "{message}");
    assert!(message.contains("spec.clientId"), "{message}");
    wait_event(&client, &shop, "aa-later", "ClientIdConflict").await;

    // Nor can it take the Tenant's own namespace's ids: those need the prefix of its namespace.
    let foreign = format!("{idp}.web");
    create::<Client>(
        &client,
        &shop,
        &client_yaml("aa-other", "demo", Some(&idp), &format!("  clientId: {foreign}\n")),
    )
    .await;
    let message = refused(&client, &shop, "aa-other", "InvalidSpec").await;
    assert!(message.contains("spec.clientId"), "{message}");
    assert!(message.contains(&format!("start with {shop}.")), "{message}");

    // The original keeps serving, with its own secret; the refused ones got no credentials.
    let config = served_config(&client, &idp, "demo").await.unwrap();
    assert_eq!(config.client(&shared).unwrap().secrets, vec![live_hash]);
    assert!(config.client(&foreign).is_none());
    assert_eq!(config.clients.len(), 1);
    let secrets = kube::Api::<Secret>::namespaced(client.clone(), &shop);
    assert!(secrets.get_opt("aa-later-oidc").await.unwrap().is_none());
    operator.stop().await;
}
