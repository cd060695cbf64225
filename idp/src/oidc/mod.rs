//! The OpenID Connect and OAuth 2 endpoints.

pub mod authorize;
mod bearer;
pub mod bounds;
pub mod claims;
mod client_auth;
mod cors;
mod discovery;
mod end_session;
mod introspect;
pub mod mint;
pub mod pkce;
pub mod redirect;
pub mod request;
mod revoke;
mod token;
mod userinfo;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::app::AppState;
// The OAuth parameter rules (each at most once) are shared with the hosted pages' forms.
use crate::http::{errors, params};

/// Discovery, keys, authorization, token, userinfo, introspection, revocation, logout.
pub fn router(state: AppState) -> Router<AppState> {
    let public = Router::new()
        .route("/.well-known/openid-configuration", get(discovery::get_discovery))
        .route("/jwks", get(discovery::get_jwks))
        .layer(middleware::from_fn(cors::any_origin));
    let browser_apis = Router::new()
        .route("/token", post(token::post_token).options(|| async {}))
        .route(
            "/userinfo",
            get(userinfo::get_userinfo)
                .post(userinfo::post_userinfo)
                .options(|| async {}),
        )
        .route("/revoke", post(revoke::post_revoke).options(|| async {}))
        .layer(middleware::from_fn(errors::as_oauth))
        .layer(middleware::from_fn_with_state(state, cors::registered_origins));
    Router::new()
        .merge(public)
        .merge(browser_apis)
        .route(
            "/authorize",
            get(authorize::get_authorize).post(authorize::post_authorize),
        )
        .route("/authorize/continue", get(authorize::get_continue))
        .route(
            "/introspect",
            post(introspect::post_introspect).layer(middleware::from_fn(errors::as_oauth)),
        )
        .route(
            "/end_session",
            get(end_session::get_end_session).post(end_session::post_end_session),
        )
}
