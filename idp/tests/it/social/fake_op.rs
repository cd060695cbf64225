//! A scriptable OpenID provider on loopback, for the cases a real one will not produce: forged
//! and broken ID tokens, key rotation, a stalled token endpoint, Microsoft's issuer template and
//! Apple's client secret JWT. It enforces PKCE S256 and single-use codes like a real one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use vestibule_crds::keys::{KeyState, SigningKey, SigningKeySet};
use vestibule_crds::v1alpha1::SigningAlgorithm;
use vestibule_idp::ids::UnixTime;
use vestibule_idp::signing::Signer;
use vestibule_idp::social::challenge;

/// How the next ID token is forged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forge {
    /// `alg: none`, no signature.
    AlgNone,
    /// HS256 with the provider's public key set as the HMAC secret.
    HmacWithPublicKey,
    /// A well-formed signature by a key the provider never published.
    UnpublishedKey,
}

/// What the provider does differently from a correct one.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    /// Claims merged into the ID token (`null` removes one).
    pub id_token: Map<String, Value>,
    /// Claims the userinfo endpoint answers (besides `sub`, unless given).
    pub userinfo: Map<String, Value>,
    /// A forged ID token instead of a correct one.
    pub forge: Option<Forge>,
    /// The token endpoint never answers.
    pub stall_token: bool,
}

struct Grant {
    nonce: Option<String>,
    challenge: String,
}

struct Shared {
    issuer: String,
    discovery_issuer: String,
    client_id: String,
    client_secret: String,
    apple_key: Option<DecodingKey>,
    signer: Mutex<Arc<Signer>>,
    mode: Mutex<Mode>,
    codes: Mutex<HashMap<String, Grant>>,
    jwks_fetches: AtomicUsize,
}

/// The running provider.
pub struct FakeOp {
    /// Its issuer URL (for Microsoft: the multi-tenant one, `{base}/common/v2.0`).
    pub issuer: String,
    shared: Arc<Shared>,
}

/// Options for [`FakeOp::start`].
pub struct Options {
    pub client_id: &'static str,
    pub client_secret: &'static str,
    /// Microsoft: discovery announces `{origin}/{tenantid}/v2.0`.
    pub tenant_template: bool,
    /// Apple: the client secret is an ES256 JWT verified with this public key.
    pub apple_key: Option<DecodingKey>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            client_id: "vestibule-rp",
            client_secret: "upstream-secret",
            tenant_template: false,
            apple_key: None,
        }
    }
}

pub fn new_signer() -> Signer {
    let key = SigningKey::generate(SigningAlgorithm::Es256, KeyState::Active, jiff::Timestamp::now()).unwrap();
    Signer::new(&SigningKeySet::of(vec![key]), &[SigningAlgorithm::Es256]).unwrap()
}

pub fn now() -> UnixTime {
    UnixTime::from_seconds(jiff::Timestamp::now().as_second())
}

impl FakeOp {
    pub async fn start(options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (issuer, discovery_issuer, base) = if options.tenant_template {
            let issuer = format!("{origin}/common/v2.0");
            (issuer, format!("{origin}/{{tenantid}}/v2.0"), "/common/v2.0")
        } else {
            (origin.clone(), origin.clone(), "")
        };
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            discovery_issuer,
            client_id: options.client_id.into(),
            client_secret: options.client_secret.into(),
            apple_key: options.apple_key,
            signer: Mutex::new(Arc::new(new_signer())),
            mode: Mutex::new(Mode::default()),
            codes: Mutex::new(HashMap::new()),
            jwks_fetches: AtomicUsize::new(0),
        });
        let routes = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .route("/userinfo", get(userinfo));
        let app = if base.is_empty() {
            routes
        } else {
            Router::new().nest(base, routes)
        }
        .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { issuer, shared }
    }

    /// Changes how the provider misbehaves from now on.
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// Replaces the signing key by a new one (the old one leaves the key set).
    pub fn rotate_key(&self) {
        *self.shared.signer.lock().unwrap() = Arc::new(new_signer());
    }

    /// How many times the key set was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let base = &shared.issuer;
    Json(json!({
        "issuer": shared.discovery_issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        // HS256 is announced on purpose: the relying party must refuse it anyway.
        "id_token_signing_alg_values_supported": ["ES256", "HS256", "none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn authorize(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Response {
    if query.get("code_challenge_method").map(String::as_str) != Some("S256")
        || query.get("client_id") != Some(&shared.client_id)
    {
        return (StatusCode::BAD_REQUEST, "PKCE S256 and our client are required").into_response();
    }
    let code = vestibule_idp::random::token();
    let grant = Grant {
        nonce: query.get("nonce").cloned(),
        challenge: query["code_challenge"].clone(),
    };
    shared.codes.lock().unwrap().insert(code.clone(), grant);
    let mut target = url::Url::parse(&query["redirect_uri"]).unwrap();
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &query["state"]);
    Redirect::to(target.as_str()).into_response()
}

fn client_authenticated(shared: &Shared, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    if let Some(key) = &shared.apple_key {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[&shared.issuer]);
        validation.set_issuer(&["APPLETEAM1"]);
        let secret = form.get("client_secret").map(String::as_str).unwrap_or_default();
        return jsonwebtoken::decode::<Value>(secret, key, &validation)
            .is_ok_and(|data| data.claims["sub"] == shared.client_id.as_str());
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|value| STANDARD.decode(value).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    basic == Some(format!("{}:{}", shared.client_id, shared.client_secret))
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mode = shared.mode.lock().unwrap().clone();
    if mode.stall_token {
        std::future::pending::<()>().await;
    }
    if !client_authenticated(&shared, &headers, &form) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let grant = shared
        .codes
        .lock()
        .unwrap()
        .remove(form.get("code").map(String::as_str).unwrap_or_default());
    let verifier = form.get("code_verifier").map(String::as_str).unwrap_or_default();
    let Some(grant) = grant.filter(|grant| challenge(verifier) == grant.challenge) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let id_token = id_token(&shared, &mode, grant.nonce);
    Json(json!({"access_token": "upstream-access-token", "token_type": "Bearer", "id_token": id_token})).into_response()
}

fn id_token(shared: &Shared, mode: &Mode, nonce: Option<String>) -> String {
    let now = now();
    let mut claims = json!({
        "iss": shared.issuer, "aud": shared.client_id, "sub": "upstream-user-1",
        "exp": now.plus_seconds(300), "iat": now, "nonce": nonce,
        "email": "carol@example.com", "email_verified": true, "name": "Carol Example",
    })
    .as_object()
    .unwrap()
    .clone();
    for (name, value) in &mode.id_token {
        if value.is_null() {
            claims.remove(name);
        } else {
            claims.insert(name.clone(), value.clone());
        }
    }
    let signer = shared.signer.lock().unwrap().clone();
    match mode.forge {
        None => signer.sign(SigningAlgorithm::Es256, "JWT", &claims).unwrap(),
        Some(Forge::AlgNone) => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
            format!("{header}.{body}.")
        }
        Some(Forge::HmacWithPublicKey) => {
            let key = EncodingKey::from_secret(signer.jwks().as_bytes()).unwrap();
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
        }
        Some(Forge::UnpublishedKey) => new_signer().sign(SigningAlgorithm::Es256, "JWT", &claims).unwrap(),
    }
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let jwks = shared.signer.lock().unwrap().jwks().to_owned();
    ([(header::CONTENT_TYPE, "application/json")], jwks).into_response()
}

async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == b"Bearer upstream-access-token");
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut claims = shared.mode.lock().unwrap().userinfo.clone();
    claims.entry("sub").or_insert(json!("upstream-user-1"));
    Json(Value::Object(claims)).into_response()
}
