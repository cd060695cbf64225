// A sign-in in a real browser against a Tenant with a ConsentPolicy: a registered customer signs
// in to the application from a new browser. When the IdP asks for the customer's privacy choices
// (no answer yet, or an answer to an older version of the policy), the page is captured in
// English and German, the documents are accepted and the answers recorded. Prints one JSON line:
// whether the customer was asked, the page's text in each language, and the application's view
// of the sign-in (the ID token's claims).
//
// Environment:
//   ISSUER, CLIENT_ID, CLIENT_SECRET   the Client's credentials, as its Secret holds them
//   EMAIL, PASSWORD                    the customer (already registered and verified)
//   SHOT                               the screenshots' name (optional; `<SHOT>-en.png`, `<SHOT>-de.png`)
//   SCREENSHOTS                        where to save page screenshots (optional)
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as client from "openid-client";
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const issuer = new URL(env("ISSUER"));
const email = env("EMAIL");
const password = env("PASSWORD");
const shotName = process.env.SHOT;
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
const page = await (await browser.newContext({ viewport: { width: 900, height: 1000 } })).newPage();
await page.setExtraHTTPHeaders({ "accept-language": "en" });
const shot = async (name) =>
  screenshots && shotName && page.screenshot({ path: join(screenshots, `${shotName}-${name}.png`), fullPage: true });

// The privacy page's text in `language` (the IdP picks it from Accept-Language), captured.
async function read(language) {
  await page.setExtraHTTPHeaders({ "accept-language": language });
  await page.reload();
  await page.waitForSelector("button[value=accept]");
  await shot(language);
  return page.innerText("body");
}

async function answerPrivacy() {
  const text = { de: await read("de"), en: await read("en") };
  const documents = page.locator("input[name=accept_documents]");
  if (await documents.count()) await documents.check();
  await Promise.all([page.waitForLoadState(), page.click("button[value=accept]")]);
  return text;
}

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
await page.waitForSelector("#email");
await page.fill("#email", email);
await page.fill("#password", password);
await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);

const asked = new URL(page.url()).pathname.endsWith("/privacy/consent");
const text = asked ? await answerPrivacy() : null;
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
console.log(JSON.stringify({ asked, text, claims: tokens.claims() }));
await browser.close();
app.close();
