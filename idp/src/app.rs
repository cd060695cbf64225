//! The application: shared state, and the routers of the public and the admin listener.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::clock::{Clock, SystemClock};
use crate::config::{LiveTenant, Tenant};
use crate::ids::UnixTime;
use crate::metrics::Metrics;
use crate::net::TrustedProxies;
use crate::password::{DEFAULT_QUEUE_PER_THREAD, PasswordHasher};
use crate::ports::{CommonPasswords, Limiter, Mailer, OsRng, PasswordScreen, Rng, SmtpMailer};
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The tenant being served (hot-reloaded).
    pub tenant: Arc<LiveTenant>,
    /// The database.
    pub store: Store,
    /// Password hashing on the bounded blocking pool.
    pub hasher: PasswordHasher,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Per-address rate limits (shared by the replicas on PostgreSQL).
    pub limiter: Arc<dyn Limiter>,
    /// Outgoing mail.
    pub mailer: Arc<dyn Mailer>,
    /// Screening of new passwords.
    pub password_screen: Arc<dyn PasswordScreen>,
    /// Randomness for tokens, codes and identifiers.
    pub rng: Arc<dyn Rng>,
    /// The proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Set once the process is told to stop: `/readyz` then says so, so that the Service stops
    /// sending new requests while those in flight finish.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// How the server runs, from its flags (the tenant config says what it serves).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Password-hashing jobs that may wait for a thread; `None`: a default per thread.
    pub password_queue: Option<usize>,
    /// The proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: TrustedProxies,
}

impl AppState {
    /// State for `tenant` on `store` with default options.
    pub fn new(tenant: Tenant, store: Store) -> anyhow::Result<Self> {
        Self::with_options(tenant, store, &Options::default())
    }

    /// State for `tenant` on `store`, with the system clock, the rate limits of its database
    /// ([`crate::ports::limiter_for`]), SMTP, the shipped common-password list and the system's
    /// randomness.
    pub fn with_options(tenant: Tenant, store: Store, options: &Options) -> anyhow::Result<Self> {
        let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
        let queue = options.password_queue.unwrap_or(parallelism * DEFAULT_QUEUE_PER_THREAD);
        let limiter = crate::ports::limiter_for(&store);
        let metrics = Metrics::default();
        let hasher = PasswordHasher::new(parallelism, queue)?.counting_verifications(metrics.password_verifications());
        Ok(Self {
            tenant: Arc::new(LiveTenant::new(tenant)),
            store,
            hasher,
            clock: Arc::new(SystemClock),
            metrics: Arc::new(metrics),
            limiter,
            mailer: Arc::new(SmtpMailer),
            password_screen: Arc::new(CommonPasswords),
            rng: Arc::new(OsRng),
            trusted_proxies: Arc::new(options.trusted_proxies.clone()),
            draining: Arc::default(),
        })
    }

    /// The current instant from the state's clock.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }
}

/// The admin listener's application: health, readiness and metrics, for the kubelet, the
/// operator and Prometheus. No Ingress routes it.
pub fn admin_app(state: AppState) -> Router {
    crate::health::admin_router().with_state(state)
}

/// The public application: the issuer's routes and pages, and `/healthz`.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(crate::health::router())
        .merge(crate::oidc::router(state.clone()))
        .merge(crate::login::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::errors::render,
        ))
        // Every body here is a small form: a bound keeps a flood of large ones from costing memory.
        .layer(DefaultBodyLimit::max(crate::oidc::bounds::BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state.clone());
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn_with_state(state, strip_base_path))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
}

#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&crate::random::id()).ok().map(RequestId::new)
    }
}

/// Routes live below the issuer's path (`https://example.com/acme` serves `/acme/token`);
/// health endpoints stay at the root for probes.
async fn strip_base_path(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let base = state.tenant.get().base_path.clone();
    if !base.is_empty() {
        let path = request.uri().path();
        if let Some(rest) = path
            .strip_prefix(base.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        {
            let rest = if rest.is_empty() { "/" } else { rest };
            let rewritten = match request.uri().query() {
                Some(query) => format!("{rest}?{query}"),
                None => rest.to_owned(),
            };
            if let Ok(uri) = rewritten.parse::<Uri>() {
                *request.uri_mut() = uri;
            }
        }
    }
    next.run(request).await
}

/// Metrics and security headers.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let https = state.tenant.get().issuer.scheme() == "https";
    let mut response = next.run(request).await;
    secure_headers(response.headers_mut(), https);
    state
        .metrics
        .observe_request(&route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

fn secure_headers(headers: &mut axum::http::HeaderMap, https: bool) {
    let fixed = [
        // Scripts and styles only from our origin; no framing anywhere (clickjacking).
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
             connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Codes travel in redirect URLs: no Referer leaves our origin. (Not no-referrer: then
        // browsers send `Origin: null` on our own forms, defeating the same-origin check.)
        (header::REFERRER_POLICY, "same-origin"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}
