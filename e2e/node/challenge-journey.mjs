// A challenged sign-in in a real browser: a headless Chromium (playwright-core, Debian's
// chromium) opens the IdP's sign-in page while its address is challenged, types the password and
// submits; the IdP's script must solve the proof-of-work puzzle (WebCrypto) before the form goes,
// and the customer lands on the account page. Then a browser without JavaScript gets the page's
// notice and a refused submission. Prints one JSON line with what happened.
//
// Environment:
//   ISSUER            the IdP's base URL
//   EMAIL, PASSWORD   the customer's credentials
//   CHROMIUM          the browser binary (default /usr/bin/chromium)
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const browser = await chromium.launch({
  executablePath: env("CHROMIUM", "/usr/bin/chromium"),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const result = {};
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const scriptErrors = [];
  page.on("pageerror", (error) => scriptErrors.push(String(error)));
  await page.goto(`${env("ISSUER")}/login`);
  result.challenged = (await page.locator("form[data-challenge]").count()) === 1;
  await page.fill("#email", env("EMAIL"));
  await page.fill("#password", env("PASSWORD"));
  const started = Date.now();
  // Pressed at once: the script holds the submission back until the puzzle is solved.
  await Promise.all([page.waitForURL((url) => !url.pathname.endsWith("/login"), { timeout: 60000 }), page.click("button[type=submit]")]);
  result.seconds = (Date.now() - started) / 1000;
  result.landedOn = new URL(page.url()).pathname;
  result.scriptErrors = scriptErrors;
  await context.close();

  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(`${env("ISSUER")}/login`);
  result.noScriptNotice = await plain.locator("form noscript").textContent();
  await plain.fill("#email", env("EMAIL"));
  await plain.fill("#password", env("PASSWORD"));
  const [response] = await Promise.all([plain.waitForResponse((response) => response.request().method() === "POST"), plain.click("button[type=submit]")]);
  result.noScriptStatus = response.status();
  result.noScriptError = await plain.locator("#form-error").textContent();
  await noScript.close();
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
