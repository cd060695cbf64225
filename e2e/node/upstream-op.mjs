// An upstream OpenID provider we did not write: panva's oidc-provider on loopback, for the IdP's
// social sign-in tests and `make demo`. By default interactions sign in a fixed account without a
// page, so a plain HTTP client (following redirects, keeping cookies) completes the authorization
// code flow. With LOGIN_PAGE=1 a small sign-in form asks for the account's email and password
// (the demo prints them).
//
//   CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... [PORT=...] [LOGIN_PAGE=1] [CONTROL=stdin] node upstream-op.mjs
//
// Prints {"issuer": "http://127.0.0.1:PORT"} on its first stdout line once it listens.
// With CONTROL=stdin, a line {"clientSecret": "..."} on stdin rotates the client's secret (the
// old one stops working; signing keys stay) and is answered by {"rotated": true} on stdout.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

import Provider from 'oidc-provider';

const account = {
  sub: 'alice-upstream',
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
};
const password = 'wonderland';
const loginPage = process.env.LOGIN_PAGE === '1';
// One signing key for the process, so a rotated client secret does not rotate the keys too.
const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'upstream-1', use: 'sig' };

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const form = (uid, error) => `<!doctype html><html><head><meta charset="utf-8"><title>Upstream sign-in</title></head>
<body><h1>Local upstream OpenID provider</h1>${error ? `<p>${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label>Email <input id="email" name="email" type="email" value="${escape(account.email)}"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button type="submit">Sign in</button></form></body></html>`;

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

// The login step: immediately, or once the form is answered with the account's credentials.
async function login(req, res, uid) {
  if (!loginPage) return { login: { accountId: account.sub } };
  if (req.method === 'POST') {
    const fields = await body(req);
    if (fields.get('email') === account.email && fields.get('password') === password) {
      return { login: { accountId: account.sub } };
    }
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(form(uid, req.method === 'POST' ? 'Wrong email or password.' : ''));
  return undefined;
}

let provider;
const server = createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) {
    provider.callback()(req, res);
    return;
  }
  try {
    const { uid, prompt, params, session } = await provider.interactionDetails(req, res);
    if (prompt.name === 'login') {
      const result = await login(req, res, uid);
      if (result) await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error));
  }
});

function configure(issuer, clientSecret) {
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [process.env.REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    findAccount: (ctx, id) => (id === account.sub ? { accountId: id, claims: () => account } : undefined),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['vestibule-upstream-test'] },
    pkce: { required: () => true },
  });
}

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  configure(issuer, process.env.CLIENT_SECRET);
  console.log(JSON.stringify({ issuer }));
  if (process.env.CONTROL === 'stdin') {
    createInterface({ input: process.stdin }).on('line', (line) => {
      configure(issuer, JSON.parse(line).clientSecret);
      console.log(JSON.stringify({ rotated: true }));
    });
  }
});
