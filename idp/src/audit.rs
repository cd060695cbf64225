//! Writing the audit log from handlers: failures to write are logged, never shown.

use crate::app::AppState;
use crate::ids::UserId;
use crate::request_info::RequestInfo;
use crate::store::{AuditEntry, AuditEvent};

/// Appends `event` for `user_id` (and `client_id`) as seen in `info`.
pub async fn record(
    state: &AppState,
    event: AuditEvent,
    user_id: Option<&UserId>,
    client_id: Option<&str>,
    info: &RequestInfo,
) {
    record_detail(state, event, user_id, client_id, info, None).await;
}

/// Like [`record`], with a detail (never a secret).
pub async fn record_detail(
    state: &AppState,
    event: AuditEvent,
    user_id: Option<&UserId>,
    client_id: Option<&str>,
    info: &RequestInfo,
    detail: Option<String>,
) {
    let entry = AuditEntry {
        at: state.now(),
        event: event.as_str().to_owned(),
        user_id: user_id.cloned(),
        client_id: client_id.map(str::to_owned),
        ip: Some(info.ip_text()),
        user_agent: info.user_agent.clone(),
        detail,
    };
    if let Err(error) = state.store.audit(event, &entry).await {
        tracing::error!(%error, event = event.as_str(), "writing the audit log failed");
    }
}

/// Appends `event` for `user_id` done by the IdP itself (a scheduled job): no client, no
/// address, no browser.
pub async fn record_system(state: &AppState, event: AuditEvent, user_id: &UserId) {
    let entry = AuditEntry {
        at: state.now(),
        event: event.as_str().to_owned(),
        user_id: Some(user_id.clone()),
        client_id: None,
        ip: None,
        user_agent: None,
        detail: None,
    };
    if let Err(error) = state.store.audit(event, &entry).await {
        tracing::error!(%error, event = event.as_str(), "writing the audit log failed");
    }
}
