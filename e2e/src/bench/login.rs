//! Full password sign-ins, as a browser and a web application make them: GET the authorization
//! endpoint and follow to the sign-in page, POST its form (with its CSRF token), follow to the
//! redirect carrying the code, and exchange the code (PKCE S256) at the token endpoint.
//!
//! The same code drives both servers; only the routes and the extra authorization parameters
//! differ (see [`Flow`]). Each sign-in starts with an empty cookie jar, a new browser, so every
//! one verifies a password.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::BenchError;
use super::browser::{Followed, Form, Jar, get_following, location, sign_in_form};
use super::fixture::{Fixture, REDIRECT};

/// How to sign in at one server.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The issuer.
    pub base: String,
    /// Authorization endpoint path.
    pub authorize: &'static str,
    /// Token endpoint path.
    pub token: &'static str,
    /// Requested scopes.
    pub scope: String,
    /// Extra authorization parameters (the peer's `resource`, `prompt=consent`).
    pub extra: Vec<(&'static str, String)>,
}

/// What the token endpoint answered.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token, with `offline_access`.
    pub refresh_token: Option<String>,
    /// The ID token.
    pub id_token: Option<String>,
}

/// A fresh PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let bytes: [u8; 32] = rand::rng().random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_url(flow: &Flow, challenge: &str, state: &str) -> Result<String, BenchError> {
    let mut url = url::Url::parse(&format!("{}{}", flow.base, flow.authorize))
        .map_err(|e| BenchError::flow("the authorization URL", &flow.base, e))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "web")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", &flow.scope)
        .append_pair("state", state)
        .append_pair("nonce", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    for (name, value) in &flow.extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    Ok(url.into())
}

/// One complete sign-in of `email`, ending with the token response.
pub async fn sign_in(
    client: &reqwest::Client,
    flow: &Flow,
    fixture: &Fixture,
    email: &str,
) -> Result<Tokens, BenchError> {
    let mut jar = Jar::default();
    Ok(sign_in_keeping(client, flow, fixture, &mut jar, email).await?.tokens)
}

/// A sign-in under way: the form shown, and what the code exchange will need.
pub struct Opened {
    /// The sign-in form.
    pub form: Form,
    /// The PKCE verifier of this authorization request.
    pub verifier: String,
    /// Its `state`.
    pub state: String,
}

/// Starts a sign-in in the browser whose cookies are `jar`: the authorization request, followed
/// to the sign-in page, and its form.
pub async fn open(client: &reqwest::Client, flow: &Flow, jar: &mut Jar) -> Result<Opened, BenchError> {
    let (verifier, challenge) = pkce();
    let state = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 12]>());
    let start = authorize_url(flow, &challenge, &state)?;
    let Followed::Page(page) = get_following(client, jar, start.clone(), REDIRECT).await? else {
        return Err(BenchError::flow(
            "the sign-in page",
            &start,
            "skipped: already signed in?",
        ));
    };
    let page_url = page.url().to_string();
    let html = page
        .text()
        .await
        .map_err(|e| BenchError::flow("reading", &page_url, e))?;
    let form = sign_in_form(&html, &page_url).ok_or_else(|| BenchError::flow("the sign-in form", &page_url, html))?;
    Ok(Opened { form, verifier, state })
}

/// Posts `email` and `password` with the hidden fields of `form`.
pub async fn submit(
    client: &reqwest::Client,
    jar: &mut Jar,
    form: &Form,
    email: &str,
    password: &str,
) -> Result<reqwest::Response, BenchError> {
    let mut fields = form.hidden.clone();
    fields.push(("email".into(), email.to_owned()));
    fields.push(("password".into(), password.to_owned()));
    let posted = jar
        .attach(client.post(&form.action).form(&fields))
        .send()
        .await
        .map_err(|e| BenchError::flow("POST", &form.action, e))?;
    jar.store(&posted);
    Ok(posted)
}

/// A completed sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The token response.
    pub tokens: Tokens,
    /// How long the proof of work took, when the form carried one.
    pub puzzle: Option<Duration>,
}

/// One complete sign-in of `email` by the browser whose cookies are `jar`, which keeps what the
/// servers set, as a browser does. A proof-of-work puzzle on the form is solved first, as
/// `/assets/challenge.js` would solve it (see [`super::puzzle`]).
pub async fn sign_in_keeping(
    client: &reqwest::Client,
    flow: &Flow,
    fixture: &Fixture,
    jar: &mut Jar,
    email: &str,
) -> Result<SignedIn, BenchError> {
    let Opened {
        mut form,
        verifier,
        state,
    } = open(client, flow, jar).await?;
    let puzzle = match form.puzzle.clone() {
        Some(puzzle) => {
            let (counter, took) = super::puzzle::solve_off_runtime(puzzle).await?;
            form.set(super::puzzle::COUNTER_FIELD, counter);
            Some(took)
        }
        None => None,
    };
    let posted = submit(client, jar, &form, email, &fixture.password).await?;
    let next = location(&posted).ok_or_else(|| BenchError::flow("signing in", &form.action, posted.status()))?;
    let code = match get_following(client, jar, next.clone(), REDIRECT).await? {
        Followed::Left(callback) => code_of(&callback, &state)?,
        Followed::Page(page) => return Err(BenchError::flow("the code redirect", &next, page.status())),
    };
    let tokens = exchange(client, flow, fixture, &code, &verifier).await?;
    Ok(SignedIn { tokens, puzzle })
}

fn code_of(callback: &str, state: &str) -> Result<String, BenchError> {
    let url = url::Url::parse(callback).map_err(|e| BenchError::flow("the callback", callback, e))?;
    let get = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.into_owned())
    };
    if get("state").as_deref() != Some(state) {
        return Err(BenchError::flow("the callback", callback, "wrong state"));
    }
    get("code").ok_or_else(|| BenchError::flow("the callback", callback, "no code"))
}

async fn exchange(
    client: &reqwest::Client,
    flow: &Flow,
    fixture: &Fixture,
    code: &str,
    verifier: &str,
) -> Result<Tokens, BenchError> {
    let url = format!("{}{}", flow.base, flow.token);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    let response = client
        .post(&url)
        .basic_auth("web", Some(&fixture.web_secret))
        .form(&form)
        .send()
        .await
        .map_err(|e| BenchError::flow("POST", &url, e))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| BenchError::flow("reading", &url, e))?;
    if !status.is_success() {
        return Err(BenchError::flow("the code exchange", &url, format!("{status}: {body}")));
    }
    serde_json::from_str(&body).map_err(|e| BenchError::flow("the token response", &url, e))
}

/// A client for the driver: no redirects followed, no cookie store, keep-alive.
pub fn http_client() -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| BenchError::setup("the HTTP client", e))
}

/// What a closed-loop run of sign-ins did.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Completed sign-ins.
    pub completed: usize,
    /// Failed sign-ins.
    pub errors: usize,
    /// The first failure, to show in the report.
    pub first_error: Option<String>,
    /// Latency of each completed sign-in (all five requests).
    pub latencies: Vec<Duration>,
    /// From the first start to the last finish.
    pub elapsed: Duration,
}

/// `concurrency` browsers signing in back to back for `duration` (customers taken in turn);
/// sign-ins under way at the end are completed and counted.
pub async fn run(
    client: &reqwest::Client,
    flow: &Flow,
    fixture: &Arc<Fixture>,
    concurrency: usize,
    duration: Duration,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, flow, fixture, next) = (client.clone(), flow.clone(), fixture.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while Instant::now() < deadline {
                let email = &fixture.emails[next.fetch_add(1, Ordering::Relaxed) % fixture.emails.len()];
                let begun = Instant::now();
                match sign_in(&client, &flow, &fixture, email).await {
                    Ok(_) => run.latencies.push(begun.elapsed()),
                    Err(error) => {
                        run.errors += 1;
                        run.first_error.get_or_insert(error.to_string());
                    }
                }
            }
            run
        }));
    }
    let mut total = Run::default();
    for task in tasks {
        if let Ok(run) = task.await {
            total.errors += run.errors;
            total.latencies.extend(run.latencies);
            total.first_error = total.first_error.or(run.first_error);
        }
    }
    total.completed = total.latencies.len();
    total.elapsed = started.elapsed();
    total
}

/// `count` sign-ins, `concurrency` at a time, for the tokens later workloads present.
pub async fn tokens(
    client: &reqwest::Client,
    flow: &Flow,
    fixture: &Arc<Fixture>,
    count: usize,
    concurrency: usize,
) -> Result<Vec<Tokens>, BenchError> {
    use futures::StreamExt;
    let results: Vec<Result<Tokens, BenchError>> = futures::stream::iter(0..count)
        .map(|i| {
            let email = fixture.emails[i % fixture.emails.len()].clone();
            async move { sign_in(client, flow, fixture, &email).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.into_iter().collect()
}
