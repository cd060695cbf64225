//! Liveness, readiness (with the config generation being served) and metrics.
//!
//! Readiness and metrics live on the admin listener only, which no Ingress routes: they tell
//! the world which config generation runs and how many sign-ins fail. Liveness is on both.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::app::AppState;

/// The public listener's share: `/healthz`.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(get_healthz))
}

/// The admin listener: `/healthz`, `/readyz`, `/metrics`.
pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(get_healthz))
        .route("/readyz", get(get_readyz))
        .route("/metrics", get(get_metrics))
}

async fn get_healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and the process is not stopping; reports the config generation being served, which the
/// operator compares with the one it rendered.
async fn get_readyz(State(state): State<AppState>) -> Response {
    let generation = state.tenant.get().config.generation;
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        let body = json!({ "status": "draining", "generation": generation });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    if state.store.ping().await {
        axum::Json(json!({ "status": "ready", "generation": generation })).into_response()
    } else {
        let body = json!({ "status": "database unavailable", "generation": generation });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
    }
}

async fn get_metrics(State(state): State<AppState>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.render()).into_response()
}
