//! Rollout completeness and readiness: what makes a Tenant Ready.

use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentSpec};
use kube::api::ObjectMeta;

use super::*;

fn deployment(desired: i32, generation: i64, status: DeploymentStatus) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            generation: Some(generation),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(desired),
            ..DeploymentSpec::default()
        }),
        status: Some(status),
    }
}

fn counts(observed: i64, replicas: i32, updated: i32, available: i32) -> DeploymentStatus {
    DeploymentStatus {
        observed_generation: Some(observed),
        replicas: Some(replicas),
        updated_replicas: Some(updated),
        available_replicas: Some(available),
        ..DeploymentStatus::default()
    }
}

#[test]
fn a_rollout_is_complete_only_when_every_desired_replica_is_updated_and_available() {
    assert_eq!(rollout(&deployment(2, 3, counts(3, 2, 2, 2))), Rollout::Complete);
    assert_eq!(
        rollout(&deployment(2, 3, counts(2, 2, 2, 2))),
        Rollout::Waiting,
        "stale status"
    );
    assert_eq!(
        rollout(&deployment(2, 3, counts(3, 2, 1, 2))),
        Rollout::Waiting,
        "not updated"
    );
    assert_eq!(
        rollout(&deployment(2, 3, counts(3, 2, 2, 1))),
        Rollout::Waiting,
        "not available"
    );
    assert_eq!(
        rollout(&deployment(2, 3, counts(3, 3, 2, 2))),
        Rollout::Waiting,
        "old pods remain"
    );
}

#[test]
fn an_exceeded_progress_deadline_fails_the_rollout() {
    let mut status = counts(3, 2, 1, 1);
    status.conditions = Some(vec![DeploymentCondition {
        type_: "Progressing".into(),
        status: "False".into(),
        reason: Some("ProgressDeadlineExceeded".into()),
        message: Some("ReplicaSet \"demo-idp-1\" has timed out progressing.".into()),
        ..DeploymentCondition::default()
    }]);
    assert!(matches!(rollout(&deployment(2, 3, status)), Rollout::Failed(m) if m.contains("timed out")));
}

#[test]
fn readiness_needs_a_complete_rollout_and_every_ready_pod_current() {
    let ready = Readiness {
        rollout: Rollout::Complete,
        desired: 2,
        replicas: 2,
        available: 2,
        ready: 2,
        ready_pods: 2,
        serving: 2,
    };
    assert!(ready.is_ready());
    assert!(
        !Readiness {
            serving: 1,
            ..ready.clone()
        }
        .is_ready()
    );
    assert!(
        !Readiness {
            rollout: Rollout::Waiting,
            ..ready.clone()
        }
        .is_ready()
    );
    assert!(
        !Readiness {
            ready_pods: 0,
            serving: 0,
            ..ready
        }
        .is_ready()
    );
}

#[tokio::test]
async fn the_served_generation_is_read_over_http() {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/readyz",
        get(|| async { axum::Json(serde_json::json!({"status": "ready", "generation": 7})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(served_generation("127.0.0.1", port).await, Some(7));
    assert_eq!(served_generation("not-an-ip", port).await, None);
}
