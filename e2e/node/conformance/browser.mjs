// A minimal scripted browser for the hosted pages: cookies, manual redirects, form posts.
// The relying-party side of every test is openid-client; this only plays the customer.

export class Browser {
  constructor() {
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  remember(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const expired = attributes.some((attribute) => attribute.trim().toLowerCase() === "max-age=0");
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(index + 1));
    }
  }

  async request(url, init = {}) {
    const headers = { ...(init.headers ?? {}), cookie: this.cookieHeader() };
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.remember(response);
    return response;
  }

  // Follows redirects on `origin`; returns the first redirect elsewhere or the final page.
  async follow(url, origin, init) {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 10; hops += 1) {
      const location = response.headers.get("location");
      if (!location) return { response, url, body: await response.text() };
      const next = new URL(location, url);
      if (next.origin !== origin) return { response, url: next.href, redirect: next.href };
      url = next.href;
      response = await this.request(url);
    }
    throw new Error("too many redirects");
  }

  // Submits the form on `page` posting to `action` with its hidden inputs plus `fields`.
  async submit(page, action, fields, origin) {
    const form = new URLSearchParams();
    for (const match of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(match[1], decodeHtml(match[2]));
    }
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    const target = new URL(action, page.url).href;
    return this.follow(target, origin, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
  }
}

function decodeHtml(text) {
  return text.replaceAll("&#x2f;", "/").replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

// Plays the customer through sign-in (and consent) for an authorization URL; returns the
// callback URL the IdP redirected to.
export async function signIn(browser, authorizationUrl, email, password) {
  const origin = new URL(authorizationUrl).origin;
  let page = await browser.follow(authorizationUrl.href ?? authorizationUrl, origin);
  if (page.redirect) return page.redirect;
  if (!page.body.includes('action="/login"')) throw new Error(`expected the login page, got ${page.response.status}: ${page.body}`);
  page = await browser.submit(page, "/login", { email, password }, origin);
  if (page.body?.includes('action="/consent"')) page = await browser.submit(page, "/consent", { decision: "allow" }, origin);
  if (!page.redirect) throw new Error(`sign-in did not return to the client: ${page.response.status} ${page.body}`);
  return page.redirect;
}
