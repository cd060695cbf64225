// Passkeys in a real browser: headless Chromium (playwright-core, Debian's chromium) with a CDP
// virtual authenticator (CTAP2, internal transport, resident keys, user verification) registers
// a passkey from the IdP's account page; with PASSWORDLESS, signs in with it alone through the
// sign-in page's autofill (conditional mediation, which the virtual authenticator answers at
// once); answers the second-factor page with a challenge of an earlier page (refused), with an
// assertion whose origin is rewritten on its way (refused), then rightly; is cloned (its signature counter set back: refused); with PASSWORDLESS, signs in
// with it alone by the "Sign in with a passkey" button; and removes it. Prints one JSON
// line per step reached, with the page it ended on.
//
// Environment:
//   ISSUER          the IdP's base URL (its host must be a domain, such as localhost: WebAuthn
//                   refuses IP addresses as relying party ids)
//   EMAIL, PASSWORD the customer
//   PASSWORDLESS    "1": also sign in with the passkey alone
//   ENROL           "1": only create the passkey inside the sign-in (a required policy of
//                   passkeys alone, a customer with nothing set up), then stop
//   CHROMIUM        the browser binary (default /usr/bin/chromium)
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const issuer = env("ISSUER").replace(/\/$/, "");
const email = env("EMAIL");
const password = env("PASSWORD");

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const step = (name, page) => console.log(JSON.stringify({ step: name, path: new URL(page.url()).pathname }));

async function expectPath(page, path) {
  await page.waitForURL((url) => url.pathname === path, { timeout: 30000 }).catch(async () => {
    const text = await page.locator("body").innerText().catch((error) => String(error));
    throw new Error(`expected ${path}; the page at ${page.url()} shows: ${text}`);
  });
}

async function signInWithPassword(page) {
  await page.goto(`${issuer}/login`);
  await page.locator("#email").waitFor({ timeout: 5000 }).catch(() => {
    throw new Error(`no sign-in form at ${page.url()}`);
  });
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("form[action$='/login'] button[type=submit]");
}

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Once set, pages report no conditional mediation, so the password forms stay in view.
  await context.addInitScript(() => {
    if (sessionStorage.getItem("no-autofill") && window.PublicKeyCredential) {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  if (process.env.ENROL === "1") {
    // Under a required policy of passkeys alone, a customer with nothing set up creates one
    // inside the sign-in, and is signed in by it.
    await signInWithPassword(page);
    await expectPath(page, "/mfa/enrol");
    await page.getByRole("button", { name: "Create the passkey" }).click();
    await expectPath(page, "/account");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    if (credentials.length !== 1) throw new Error(`the authenticator holds ${credentials.length} credentials`);
    step("enrolled", page);
    await browser.close();
    process.exit(0);
  }

  // Register from the account page.
  await signInWithPassword(page);
  await expectPath(page, "/account");
  await page.goto(`${issuer}/account/passkeys`);
  await page.fill("#passkey-name", "Work laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expectPath(page, "/account/passkeys/start");
  await page.getByRole("button", { name: "Create the passkey" }).click();
  await expectPath(page, "/account/passkeys");
  const listed = await page.locator(".passkey-name").allInnerTexts();
  if (!listed.includes("Work laptop")) throw new Error(`the new passkey is not listed: ${listed}`);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  if (credentials.length !== 1) throw new Error(`the authenticator holds ${credentials.length} credentials`);
  step("registered", page);

  if (process.env.PASSWORDLESS === "1") {
    await context.clearCookies();
    await page.goto(`${issuer}/login`);
    await expectPath(page, "/account");
    step("conditional-ui", page);
  }
  await page.evaluate(() => sessionStorage.setItem("no-autofill", "1"));

  // The password, then the passkey as the second factor: first signing the challenge of an
  // earlier page of the sign-in (a replayed or injected challenge), then rightly.
  await context.clearCookies();
  await signInWithPassword(page);
  await expectPath(page, "/mfa");
  const form = "#passkey-second-factor";
  const earlier = await page.getAttribute(form, "data-options");
  await page.reload();
  await page.evaluate(([selector, options]) => document.querySelector(selector).setAttribute("data-options", options), [form, earlier]);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectPath(page, "/mfa/passkey");
  await page.locator("#form-error", { hasText: "The passkey was not accepted" }).waitFor();
  step("other-challenge-refused", page);
  // An assertion relayed from another origin (a phishing proxy): the authenticator signed it
  // here, and clientDataJSON's origin is rewritten on its way to the IdP.
  let relayed = 0;
  const relay = async (route) => {
    const request = route.request();
    if (request.method() !== "POST") return route.continue();
    relayed += 1;
    const form = new URLSearchParams(request.postData() ?? "");
    const credential = JSON.parse(form.get("credential"));
    const client = JSON.parse(Buffer.from(credential.response.clientDataJSON, "base64url").toString("utf8"));
    client.origin = "https://phish.example";
    credential.response.clientDataJSON = Buffer.from(JSON.stringify(client)).toString("base64url");
    form.set("credential", JSON.stringify(credential));
    await route.continue({ postData: form.toString() });
  };
  await page.route("**/mfa/passkey", relay);
  // This page (of the refusal above) shows the same error: wait for the answer to this POST.
  const answered = page.waitForResponse(
    (response) => response.request().method() === "POST" && new URL(response.url()).pathname === "/mfa/passkey",
  );
  await page.getByRole("button", { name: "Use a passkey" }).click();
  const refused = await answered;
  if (relayed !== 1 || refused.status() !== 401) {
    throw new Error(`the relayed assertion (${relayed} relayed) was answered ${refused.status()}`);
  }
  await page.waitForLoadState();
  await page.locator("#form-error", { hasText: "The passkey was not accepted" }).waitFor();
  await page.unroute("**/mfa/passkey", relay);
  step("other-origin-refused", page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectPath(page, "/account");
  step("second-factor", page);

  // A clone: the same key with its signature counter set back.
  const setCount = async (signCount) => {
    const [credential] = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
    await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId: credential.credentialId });
    await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: { ...credential, signCount } });
  };
  await setCount(0);
  await context.clearCookies();
  await signInWithPassword(page);
  await expectPath(page, "/mfa");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectPath(page, "/mfa/passkey");
  await page.locator("#form-error", { hasText: "The passkey was not accepted" }).waitFor();
  step("clone-refused", page);
  await setCount(1000);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expectPath(page, "/account");
  step("counter-ahead-accepted", page);

  if (process.env.PASSWORDLESS === "1") {
    await context.clearCookies();
    await page.goto(`${issuer}/login`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expectPath(page, "/account");
    step("passwordless", page);
  }

  // Remove it (the authentication above is recent: no password asked).
  await page.goto(`${issuer}/account/passkeys`);
  await page.getByRole("button", { name: "Remove" }).click();
  await expectPath(page, "/account/passkeys");
  if ((await page.locator(".passkey-name").count()) !== 0) throw new Error("the passkey is still listed");
  step("removed", page);
} finally {
  await browser.close();
}
