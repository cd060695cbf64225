// A small web application that signs its visitors in through a Vestibule IdP, the way an app
// developer's would: openid-client, authorization code with PKCE, userinfo, logout.
//
//   node e2e/node/demo-client.mjs
//
// Environment (defaults fit examples/standalone/tenant.yaml):
//   ISSUER          http://127.0.0.1:8080
//   CLIENT_ID       demo
//   CLIENT_SECRET   demo-secret
//   LISTEN          127.0.0.1:9000
//   CALLBACK_PATH   /callback        (the redirect URI is http://<LISTEN><CALLBACK_PATH>)
import { createServer } from "node:http";
import * as client from "openid-client";

const issuer = new URL(process.env.ISSUER ?? "http://127.0.0.1:8080");
const clientId = process.env.CLIENT_ID ?? "demo";
const clientSecret = process.env.CLIENT_SECRET ?? "demo-secret";
const [host, port] = (process.env.LISTEN ?? "127.0.0.1:9000").split(":");
const base = `http://${host}:${port}`;
const callbackPath = process.env.CALLBACK_PATH ?? "/callback";
const redirectUri = `${base}${callbackPath}`;
// Plain http is accepted only for an IdP on this machine.
const options = ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname) ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, clientId, clientSecret, client.ClientSecretBasic(clientSecret), options);

const pending = new Map(); // state -> { verifier, nonce }, for logins in progress
const sessions = new Map(); // cookie -> { claims, userinfo, idToken }

const page = (body) => `<!doctype html><html><head><meta charset="utf-8"><title>Demo app</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}pre{background:#f6f8fa;padding:1rem;overflow:auto}</style>
</head><body><h1>Demo app</h1>${body}</body></html>`;
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const cookieOf = (request) => /demo_session=([^;]+)/.exec(request.headers.cookie ?? "")?.[1];

async function handle(request, response) {
  const url = new URL(request.url, base);
  const send = (status, body, headers = {}) => {
    response.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
    response.end(body);
  };
  if (url.pathname === "/login") {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    pending.set(state, { verifier, nonce });
    const target = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid profile email offline_access",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
      ...(url.searchParams.get("ui_locales") ? { ui_locales: url.searchParams.get("ui_locales") } : {}),
    });
    return send(302, "", { location: target.href });
  }
  if (url.pathname === callbackPath) {
    const login = pending.get(url.searchParams.get("state"));
    if (!login) return send(400, page("<p>Unknown or expired login. <a href='/login'>Try again</a>.</p>"));
    pending.delete(url.searchParams.get("state"));
    const tokens = await client.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: login.verifier,
      expectedState: url.searchParams.get("state"),
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    const id = client.randomState();
    sessions.set(id, { claims, userinfo, idToken: tokens.id_token });
    return send(302, "", { location: "/", "set-cookie": `demo_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }
  const session = sessions.get(cookieOf(request));
  if (url.pathname === "/logout" && session) {
    sessions.delete(cookieOf(request));
    const target = client.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/` });
    return send(302, "", { location: target.href, "set-cookie": "demo_session=; Path=/; Max-Age=0" });
  }
  if (!session) return send(200, page(`<p>You are not signed in.</p><p><a href="/login">Sign in with ${escape(issuer.host)}</a></p>`));
  const name = session.userinfo.given_name ?? session.userinfo.email;
  return send(200, page(`<p>Signed in as <strong>${escape(name)}</strong>. <a href="/logout">Sign out</a></p>
<h2>ID token claims (validated by openid-client)</h2><pre>${escape(JSON.stringify(session.claims, null, 2))}</pre>
<h2>Userinfo</h2><pre>${escape(JSON.stringify(session.userinfo, null, 2))}</pre>`));
}

createServer((request, response) =>
  handle(request, response).catch((error) => {
    response.writeHead(500, { "content-type": "text/plain" });
    response.end(`Sign-in failed: ${error.message}`);
  }),
).listen(Number(port), host, () => console.log(`demo app on ${base}/ (client ${clientId} at ${issuer.href})`));
