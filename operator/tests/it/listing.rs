//! Lists read in pages return every object, across pages.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{ListParams, PostParams};
use vestibule_operator::listing;

use crate::support::*;

#[tokio::test]
async fn a_paged_list_returns_every_page() {
    let (client, ns) = namespace().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    for index in 0..5 {
        let map: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": { "name": format!("map-{index}"), "labels": { "paged": "yes" } }
        }))
        .unwrap();
        maps.create(&PostParams::default(), &map).await.unwrap();
    }
    let unlabelled: ConfigMap = serde_json::from_value(serde_json::json!({ "metadata": { "name": "other" } })).unwrap();
    maps.create(&PostParams::default(), &unlabelled).await.unwrap();

    let params = ListParams::default().labels("paged=yes");
    let mut names = listing::paged_by(&maps, params, 2, |map: ConfigMap| map.metadata.name)
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["map-0", "map-1", "map-2", "map-3", "map-4"]);
}
