// The customer journey of the end-to-end tests: an application (openid-client) sends a customer
// to the hosted pages, where a headless Chromium (playwright-core, Debian's chromium) registers,
// confirms the email from the real SMTP capture, signs in and consents. The application then
// validates the ID token and calls userinfo. Prints one JSON line with what the app learned.
//
// Environment:
//   ISSUER, CLIENT_ID, CLIENT_SECRET   the Client's credentials, as its Secret holds them
//   EMAIL, PASSWORD                    the customer
//   MODE                               "register" (new customer, verify by email) or "login"
//   MAIL_DIR                           the SMTP capture's directory (register mode)
//   SCREENSHOTS                        where to save page screenshots (optional)
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
import { createServer } from "node:http";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as client from "openid-client";
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env("ISSUER"));
const mode = env("MODE", "register");
const email = env("EMAIL");
const password = env("PASSWORD");
const screenshots = process.env.SCREENSHOTS;
if (screenshots) mkdirSync(screenshots, { recursive: true });

// The application's callback: a real listener on a loopback port (RFC 8252 lets the registered
// http://127.0.0.1/auth/callback match any port).
const callbacks = [];
const app = createServer((request, response) => {
  const url = new URL(request.url, `http://127.0.0.1:${app.address().port}`);
  if (url.pathname !== "/auth/callback") return response.writeHead(404).end(); // the browser asks for /favicon.ico too
  callbacks.push(url);
  response.writeHead(200, { "content-type": "text/plain" }).end("signed in");
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const redirectUri = `http://127.0.0.1:${app.address().port}/auth/callback`;

const secret = env("CLIENT_SECRET");
const config = await client.discovery(issuer, env("CLIENT_ID"), secret, client.ClientSecretBasic(secret), {
  execute: [client.allowInsecureRequests], // the local issuer is plain http on loopback
});

async function authorizationUrl(extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid profile email offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await (await browser.newContext({ viewport: { width: 900, height: 820 } })).newPage();
const shot = async (name) => screenshots && page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

async function waitForMail(to) {
  const dir = env("MAIL_DIR");
  for (let tries = 0; tries < 300; tries += 1) {
    const files = readdirSync(dir).filter((file) => file.endsWith(".json")).sort();
    for (const file of files.reverse()) {
      const mail = JSON.parse(readFileSync(join(dir, file), "utf8"));
      if (mail.to.includes(to)) return mail;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no email to ${to} arrived`);
}

async function signInAndConsent(language) {
  await page.waitForSelector("#email");
  await shot(`login-${language}`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
  if (await page.locator("button[value=allow]").count()) {
    await shot(`consent-${language}`);
    await Promise.all([page.waitForURL(`${redirectUri}**`), page.click("button[value=allow]")]);
  } else {
    await page.waitForURL(`${redirectUri}**`);
  }
}

const flow = await authorizationUrl();
await page.goto(flow.url.href);
if (mode === "register") {
  await page.click("a[href*='/register']");
  await page.waitForSelector("#email");
  await shot("register-en");
  await page.fill("#email", email);
  for (const field of await page.locator("form input[required]:not(#email):not(#password)").all()) {
    await field.fill((await field.getAttribute("type")) === "tel" ? "+4917012345678" : "Test");
  }
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
  const mail = await waitForMail(email);
  const link = mail.text.split(/\s+/).find((word) => word.includes("/verify?token="));
  await page.goto(link);
  // Opening the link only shows a button (mail scanners fetch links); pressing it confirms.
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
  await page.click("a.button"); // "Continue to sign in", back into the same authorization request
}
await signInAndConsent("en");
const tokens = await client.authorizationCodeGrant(config, callbacks.at(-1), {
  pkceCodeVerifier: flow.verifier,
  expectedState: flow.state,
  expectedNonce: flow.nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

if (screenshots) {
  // The same pages in German, chosen by ui_locales.
  const german = await authorizationUrl({ ui_locales: "de", prompt: "login consent" });
  await page.goto(german.url.href);
  await signInAndConsent("de");
  const fresh = await (await browser.newContext({ locale: "de-DE", viewport: { width: 900, height: 820 } })).newPage();
  await fresh.goto(new URL("register", issuer.href.endsWith("/") ? issuer.href : `${issuer.href}/`).href);
  await fresh.screenshot({ path: join(screenshots, "register-de.png"), fullPage: true });
}

await browser.close();
app.close();
console.log(JSON.stringify({ claims, userinfo, refresh_token: Boolean(tokens.refresh_token) }));
