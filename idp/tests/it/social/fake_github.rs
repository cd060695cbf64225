//! A GitHub-shaped OAuth 2 server with GitHub's quirks: the token answer is form-encoded unless
//! the request accepts JSON, a bad code is an `error` in a 200, `/user` has no email, and
//! `/api/v3/user/emails` lists the addresses with `primary` and `verified` (GitHub Enterprise paths).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use vestibule_idp::social::challenge;

#[derive(Default)]
struct Shared {
    /// code -> PKCE challenge
    codes: Mutex<HashMap<String, String>>,
    emails: Mutex<Value>,
    /// Answer form-encoded even to `Accept: application/json` (GitHub's answer without it).
    form_only: Mutex<bool>,
    /// The `Accept` header of every token request.
    token_accepts: Mutex<Vec<String>>,
}

pub struct FakeGithub {
    pub origin: String,
    shared: Arc<Shared>,
}

const TOKEN: &str = "gho_upstreamtoken";

impl FakeGithub {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let shared = Arc::new(Shared::default());
        *shared.emails.lock().unwrap() = json!([
            {"email": "old@example.com", "primary": false, "verified": true, "visibility": null},
            {"email": "octo@example.com", "primary": true, "verified": true, "visibility": "public"},
        ]);
        let app = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(token))
            .route("/api/v3/user", get(user))
            .route("/api/v3/user/emails", get(emails))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { origin, shared }
    }

    pub fn set_emails(&self, emails: Value) {
        *self.shared.emails.lock().unwrap() = emails;
    }

    pub fn answer_form_only(&self) {
        *self.shared.form_only.lock().unwrap() = true;
    }

    pub fn token_accepts(&self) -> Vec<String> {
        self.shared.token_accepts.lock().unwrap().clone()
    }
}

async fn authorize(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Response {
    if query.get("client_id").map(String::as_str) != Some("gh-client") {
        return (StatusCode::NOT_FOUND, "unknown client").into_response();
    }
    let code = vestibule_idp::random::id();
    let challenge = query.get("code_challenge").cloned().unwrap_or_default();
    shared.codes.lock().unwrap().insert(code.clone(), challenge);
    let mut target = url::Url::parse(&query["redirect_uri"]).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &query["state"]);
    Redirect::to(target.as_str()).into_response()
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shared.token_accepts.lock().unwrap().push(accept.clone());
    let client_ok = form.get("client_id").map(String::as_str) == Some("gh-client")
        && form.get("client_secret").map(String::as_str) == Some("gh-secret");
    let challenge_stored = shared
        .codes
        .lock()
        .unwrap()
        .remove(form.get("code").map(String::as_str).unwrap_or_default());
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or_default();
    let granted = client_ok && challenge_stored.is_some_and(|stored| stored == challenge(verifier));
    let fields: Vec<(&str, &str)> = if granted {
        vec![
            ("access_token", TOKEN),
            ("scope", "read:user,user:email"),
            ("token_type", "bearer"),
        ]
    } else {
        // GitHub answers a bad code with 200 and an error.
        vec![
            ("error", "bad_verification_code"),
            ("error_description", "The code passed is incorrect or expired."),
        ]
    };
    let json_wanted = accept.contains("application/json") && !*shared.form_only.lock().unwrap();
    if json_wanted {
        let object: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
        Json(Value::Object(object)).into_response()
    } else {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        (
            [(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")],
            body,
        )
            .into_response()
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == format!("Bearer {TOKEN}").as_bytes())
}

async fn user(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(
        json!({"login": "octocat", "id": 583231, "name": "The Octocat", "email": null,
        "avatar_url": "https://avatars.example.com/u/583231"}),
    )
    .into_response()
}

async fn emails(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(shared.emails.lock().unwrap().clone()).into_response()
}
