// OpenID Connect conformance, driven by openid-client (panva's strictly validating relying
// party), not by our own client code. The Rust test in idp/tests/it/conformance.rs starts the
// vestibule-idp binary and passes its issuer and test credentials in the environment.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as client from "openid-client";
import { Browser, signIn } from "./browser.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env("IDP_ISSUER"));
const redirectUri = env("IDP_REDIRECT_URI");
const email = env("IDP_USER_EMAIL");
const password = env("IDP_USER_PASSWORD");
const insecure = { execute: [client.allowInsecureRequests] }; // loopback http only

const discover = (clientId, secret, auth) =>
  client.discovery(issuer, clientId, secret ? { client_secret: secret } : undefined, auth, insecure);
const web = () => discover("web", env("IDP_WEB_SECRET"), client.ClientSecretBasic(env("IDP_WEB_SECRET")));
const partner = () => discover("partner", env("IDP_PARTNER_SECRET"), client.ClientSecretPost(env("IDP_PARTNER_SECRET")));

// Authorization code + PKCE through the hosted login form; returns the token response.
async function codeFlow(config, { scope = "openid profile email offline_access", browser = new Browser(), extra = {} } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  const callback = await signIn(browser, url, email, password);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: scope.split(" ").includes("openid"),
  });
  return { tokens, browser, callback, state, verifier };
}

test("discovery metadata is accepted", async () => {
  const config = await web();
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, issuer.href.replace(/\/$/, ""));
  assert.ok(metadata.code_challenge_methods_supported.includes("S256"));
});

test("authorization code with PKCE yields validated ID token and userinfo", async () => {
  const config = await web();
  const { tokens } = await codeFlow(config);
  const claims = tokens.claims();
  assert.equal(claims.iss, issuer.href.replace(/\/$/, ""));
  assert.equal(claims.aud, "web");
  assert.equal(claims.email, email);
  assert.ok(claims.sid && claims.auth_time && claims.at_hash);
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(userinfo.sub, claims.sub);
  assert.equal(userinfo.email, email);
  assert.equal(userinfo.email_verified, true);
});

test("a third-party client gets consent and client_secret_post", async () => {
  const config = await partner();
  const { tokens } = await codeFlow(config, { scope: "openid email" });
  assert.equal(tokens.claims().aud, "partner");
});

test("a public client with PKCE and no secret", async () => {
  const config = await discover("spa", undefined, client.None());
  const { tokens } = await codeFlow(config, { scope: "openid offline_access" });
  assert.ok(tokens.refresh_token);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
});

test("refresh rotates, and reusing the old token revokes the family", async () => {
  const config = await web();
  const { tokens } = await codeFlow(config);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, tokens.claims().sub);
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error) => error.error === "invalid_grant");
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (error) => error.error === "invalid_grant");
});

test("introspection describes active and revoked tokens", async () => {
  const config = await web();
  const { tokens } = await codeFlow(config);
  const active = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, "web");
  const refresh = await client.tokenIntrospection(config, tokens.refresh_token, { token_type_hint: "refresh_token" });
  assert.equal(refresh.active, true);
  await client.tokenRevocation(config, tokens.refresh_token);
  assert.equal((await client.tokenIntrospection(config, tokens.refresh_token)).active, false);
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false, "the grant's access tokens go too");
});

test("client credentials", async () => {
  const secret = env("IDP_SERVICE_SECRET");
  const config = await discover("service", secret, client.ClientSecretBasic(secret));
  const tokens = await client.clientCredentialsGrant(config, { scope: "orders:read" });
  assert.equal(tokens.token_type, "bearer");
  assert.equal(tokens.scope, "orders:read");
  const introspected = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(introspected.sub, "service");
});

test("a tampered state never passes", async () => {
  const config = await web();
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: "original-state",
  });
  const callback = new URL(await signIn(new Browser(), url, email, password));
  assert.equal(callback.searchParams.get("state"), "original-state", "state comes back unchanged");
  callback.searchParams.set("state", "tampered-state");
  await assert.rejects(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: "original-state" }));
});

test("prompt=none without a session is login_required", async () => {
  const config = await web();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: "S256",
    state: "s",
    prompt: "none",
  });
  const response = await fetch(url, { redirect: "manual" });
  const location = new URL(response.headers.get("location"));
  await assert.rejects(
    client.authorizationCodeGrant(config, location, { pkceCodeVerifier: "x".repeat(43), expectedState: "s" }),
    (error) => error.error === "login_required",
  );
});

test("RP-initiated logout ends the session and returns to the client", async () => {
  const config = await web();
  const { tokens, browser } = await codeFlow(config);
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: env("IDP_POST_LOGOUT_URI"),
    state: "bye",
  });
  const page = await browser.follow(url.href, issuer.origin);
  const back = new URL(page.redirect);
  assert.equal(back.origin + back.pathname, env("IDP_POST_LOGOUT_URI"));
  assert.equal(back.searchParams.get("state"), "bye");
  const account = await browser.request(new URL("/account", issuer).href);
  assert.equal(account.status, 303, "signed out");
});
