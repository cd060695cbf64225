// Social sign-in in a real browser: an application (openid-client) sends a customer to the
// IdP's sign-in page, where a headless Chromium (playwright-core, Debian's chromium) presses the
// provider's button, passes through the upstream OpenID provider and comes back signed in. Done
// twice in fresh browser profiles: the first journey registers the customer, the second signs
// them in. Prints one JSON line per journey with what the application learned from the ID token
// it validated (sub, amr, email). A consent page on the way back is answered with "allow".
//
// Environment:
//   ISSUER, CLIENT_ID, CLIENT_SECRET   the application's client at the IdP
//   BUTTON                             the provider button's label ("Sign in with …")
//   CALLBACK_PATH                      the application's callback path (default /callback)
//   UPSTREAM_EMAIL, UPSTREAM_PASSWORD  answer the upstream's sign-in form (upstream-op.mjs LOGIN_PAGE=1)
//   CHROMIUM                           the browser binary (default /usr/bin/chromium)
//   SCREENSHOTS                        where to save page screenshots (optional)
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
const screenshots = process.env.SCREENSHOTS;
if (screenshots) mkdirSync(screenshots, { recursive: true });

// The application's callback: a loopback listener (RFC 8252: any port of http://127.0.0.1/callback).
const callbackPath = env("CALLBACK_PATH", "/callback");
let arrived;
const app = createServer((request, response) => {
  const url = new URL(request.url, `http://127.0.0.1:${app.address().port}`);
  if (url.pathname !== callbackPath) return response.writeHead(404).end();
  arrived?.(url);
  response.writeHead(200, { "content-type": "text/plain" }).end("signed in");
});
await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
const redirectUri = `http://127.0.0.1:${app.address().port}${callbackPath}`;

const secret = env("CLIENT_SECRET");
const config = await client.discovery(new URL(env("ISSUER")), env("CLIENT_ID"), secret, client.ClientSecretBasic(secret), {
  execute: [client.allowInsecureRequests], // the local issuer is plain http on loopback
});

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function journey(name) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid profile email",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const context = await browser.newContext({ viewport: { width: 900, height: 820 } });
  const page = await context.newPage();
  const callback = new Promise((resolve) => {
    arrived = resolve;
  });
  await page.goto(url.href);
  if (screenshots) await page.screenshot({ path: join(screenshots, `${name}-login.png`), fullPage: true });
  await page.getByRole("button", { name: env("BUTTON") }).click();
  if (process.env.UPSTREAM_PASSWORD) {
    await page.waitForURL((url) => url.pathname.startsWith("/interaction/"));
    await page.fill("#email", env("UPSTREAM_EMAIL"));
    await page.fill("#password", env("UPSTREAM_PASSWORD"));
    await page.click("button[type=submit]");
  }
  // A Client without skipConsent asks once; the race below ends the wait either way.
  const allow = page.locator("button[value=allow]");
  allow.waitFor({ timeout: 60000 }).then(() => allow.click()).catch(() => {});
  let timer;
  const back = await Promise.race([
    callback,
    new Promise((_, reject) => {
      timer = setTimeout(async () => {
        const text = await page.locator("body").innerText().catch((error) => String(error));
        reject(new Error(`no callback; the page at ${page.url()} shows: ${text}`));
      }, 60000);
    }),
  ]);
  clearTimeout(timer);
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  await context.close();
  console.log(JSON.stringify({ journey: name, sub: claims.sub, amr: claims.amr, email: claims.email }));
}

try {
  await journey("register");
  await journey("sign-in");
} finally {
  await browser.close();
  app.close();
}
