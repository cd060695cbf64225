//! Events for condition transitions and failures. Events are API writes, so they are only
//! published when something changed: never on a reconcile with nothing to do.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder};
use tracing::warn;

use crate::conditions::Decided;
use crate::context::Context;

/// Publishes one Event per transition of `decided` against the object `reference`.
pub async fn publish_transitions(ctx: &Context, reference: &ObjectReference, transitions: &[&Decided]) {
    // A transition happens once, so there is no series to fold it into: a recorder of its own,
    // whose cache goes with it, rather than the shared one, which would keep every Event of
    // 1,000 Clients going Ready for its series window (megabytes for nothing).
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    for decided in transitions {
        let type_ = if decided.reason.is_warning() {
            EventType::Warning
        } else {
            EventType::Normal
        };
        let event = Event {
            type_,
            reason: decided.reason.as_str().to_owned(),
            note: Some(truncate(&decided.message)),
            action: format!("Reconcile{}", decided.type_),
            secondary: None,
        };
        publish(&recorder, reference, event).await;
    }
}

/// Publishes a Normal Event about something that happened once (a key promoted, a secret
/// rotated, a configuration served), with a recorder of its own like a transition.
pub async fn publish_notice(ctx: &Context, reference: &ObjectReference, reason: &str, note: &str) {
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    let event = Event {
        type_: EventType::Normal,
        reason: reason.to_owned(),
        note: Some(truncate(note)),
        action: "Reconcile".into(),
        secondary: None,
    };
    publish(&recorder, reference, event).await;
}

/// Publishes a Warning about a failed reconcile, with the error's category as the reason.
pub async fn publish_failure(ctx: &Context, reference: &ObjectReference, category: &str, message: &str) {
    let event = Event {
        type_: EventType::Warning,
        reason: format!("ReconcileFailed{}", capitalise(category)),
        note: Some(truncate(message)),
        action: "Reconcile".into(),
        secondary: None,
    };
    publish(&ctx.recorder, reference, event).await;
}

async fn publish(recorder: &Recorder, reference: &ObjectReference, event: Event) {
    if let Err(error) = recorder.publish(&event, reference).await {
        warn!(%error, reason = %event.reason, "publishing an Event failed");
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// events.k8s.io/v1 limits `note` to 1 kB.
fn truncate(message: &str) -> String {
    let mut end = message.len().min(1000);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message[..end].to_owned()
}
