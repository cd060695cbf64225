// Two-factor sign-in in a real browser against a provisioned Tenant: a registered customer sets
// up an authenticator app from the account page, then signs in to the application from a new
// browser (a new device, which the example's adaptive policy steps up) and is asked for a code,
// computed by a library we did not write (otplib). Prints one JSON line per sign-in with the
// application's view of it (the ID token's claims) and whether the second factor was asked.
//
// Environment:
//   ISSUER, CLIENT_ID, CLIENT_SECRET   the Client's credentials, as its Secret holds them
//   EMAIL, PASSWORD                    the customer (already registered and verified)
//   PHASE                              "enrol" (set up, then sign in: asked) or "sign-in" (only sign in)
//   SCREENSHOTS                        where to save page screenshots (optional)
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as client from "openid-client";
import { generate } from "otplib";
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env("ISSUER"));
const base = issuer.href.endsWith("/") ? issuer.href : `${issuer.href}/`;
const email = env("EMAIL");
const password = env("PASSWORD");
const phase = env("PHASE", "enrol");
const screenshots = process.env.SCREENSHOTS;
if (screenshots) mkdirSync(screenshots, { recursive: true });

const callbacks = [];
const app = createServer((request, response) => {
  const url = new URL(request.url, `http://127.0.0.1:${app.address().port}`);
  if (url.pathname !== "/auth/callback") return response.writeHead(404).end();
  callbacks.push(url);
  response.writeHead(200, { "content-type": "text/plain" }).end("signed in");
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const redirectUri = `http://127.0.0.1:${app.address().port}/auth/callback`;

const secret = env("CLIENT_SECRET");
const config = await client.discovery(issuer, env("CLIENT_ID"), secret, client.ClientSecretBasic(secret), {
  execute: [client.allowInsecureRequests], // the local issuer is plain http on loopback
});

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// Each browser context is a new device: its own cookies, so its own device cookie.
const newDevice = async () => (await browser.newContext({ viewport: { width: 900, height: 820 } })).newPage();
const shot = async (page, name) => screenshots && page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
// The same page in German: the IdP picks the language from Accept-Language.
async function shotInGerman(page, name) {
  if (!screenshots) return;
  await page.setExtraHTTPHeaders({ "accept-language": "de" });
  await page.reload();
  await shot(page, name);
  await page.setExtraHTTPHeaders({ "accept-language": "en" });
  await page.reload();
}

async function signIn(page) {
  await page.waitForSelector("#email");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
}

// The code of `key` one step ahead: the step of a code just accepted is never accepted again
// (RFC 6238 5.2), and the IdP allows one step of clock drift.
const codeFor = async (key, ahead = 0) =>
  generate({ secret: key.replace(/\s+/g, ""), epoch: Math.floor(Date.now() / 1000) + ahead });

async function enrol() {
  const page = await newDevice();
  await page.goto(new URL("account", base).href);
  await signIn(page);
  await page.waitForSelector("form[action$='/account/totp/start'] button");
  await Promise.all([page.waitForLoadState(), page.click("form[action$='/account/totp/start'] button")]);
  await page.waitForSelector("#totp-key");
  await shot(page, "mfa-enrol-en");
  await shotInGerman(page, "mfa-enrol-de");
  const key = (await page.textContent("#totp-key")).trim();
  await page.fill("#code", await codeFor(key));
  await Promise.all([page.waitForLoadState(), page.click("form button[type=submit]")]);
  const enrolled = await page.locator("form[action$='/account/totp/remove']").count();
  if (!enrolled) throw new Error(`the authenticator was not enrolled: ${await page.content()}`);
  await page.context().close();
  return key;
}

// Signs in to the application from a new device; answers the second factor with `key`.
async function signInToTheApplication(key) {
  const page = await newDevice();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid email",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  await page.goto(url.href);
  await signIn(page);
  const asked = new URL(page.url()).pathname.endsWith("/mfa");
  if (asked) {
    if (!key) throw new Error("asked for a second factor without one set up");
    await shot(page, "mfa-challenge-en");
    await shotInGerman(page, "mfa-challenge-de");
    await page.fill("#code", await codeFor(key, 30));
    await Promise.all([page.waitForLoadState(), page.click("form[action$='/mfa'] button[type=submit]")]);
  }
  if (await page.locator("button[value=allow]").count()) {
    await Promise.all([page.waitForURL(`${redirectUri}**`), page.click("button[value=allow]")]);
  } else {
    await page.waitForURL(`${redirectUri}**`);
  }
  const tokens = await client.authorizationCodeGrant(config, callbacks.at(-1), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  await page.context().close();
  return { asked, claims: tokens.claims() };
}

const key = phase === "enrol" ? await enrol() : undefined;
console.log(JSON.stringify(await signInToTheApplication(key)));
await browser.close();
app.close();
