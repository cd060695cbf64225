// The peer in Vestibule's benchmarks: panva's oidc-provider (OpenID Certified), configured like
// the Vestibule IdP under test. `make bench` starts it with the same clients, the same signing
// keys and the same users (with the same argon2id password hash) as the Vestibule IdP.
//
//   ISSUER=http://127.0.0.1:PORT PEER_SETUP=setup.json node server.mjs
//
// setup.json: { "jwks": {"keys": [private JWKs, access-token algorithm first]},
//               "clients": [oidc-provider client metadata], "resource": "urn:...",
//               "resourceScope": "orders:read orders:write", "accessTokenAlg": "EdDSA",
//               "passwordHash": "$argon2id$...", "users": [{"id", "email", "givenName", "familyName"}] }
//
// Storage is an adapter in the shape oidc-provider documents for production adapters, kept in
// process memory: no database round trips, which favours the peer.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

import { verify } from '@node-rs/argon2';
import Provider from 'oidc-provider';

const issuer = process.env.ISSUER;
const setup = JSON.parse(readFileSync(process.env.PEER_SETUP, 'utf8'));
const port = Number(new URL(issuer).port);

// --- storage: the documented adapter interface over Maps ----------------------------------------
const models = new Map();
const byGrant = new Map();
const byUid = new Map();

class MemoryStoreAdapter {
  constructor(name) {
    this.name = name;
    if (!models.has(name)) models.set(name, new Map());
    this.items = models.get(name);
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    this.items.set(id, { payload, expiresAt });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, []);
      byGrant.get(payload.grantId).push([this.name, id]);
    }
    if (payload.uid) byUid.set(payload.uid, id);
  }

  async find(id) {
    const entry = this.items.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.items.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const entry = this.items.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    const entry = this.items.get(id);
    if (entry?.payload.uid) byUid.delete(entry.payload.uid);
    this.items.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [name, id] of byGrant.get(grantId) ?? []) models.get(name)?.delete(id);
    byGrant.delete(grantId);
  }
}

// --- accounts ---------------------------------------------------------------------------------
const accounts = new Map(setup.users.map((user) => [user.id, user]));
const byEmail = new Map(setup.users.map((user) => [user.email, user]));

async function findAccount(_ctx, id) {
  const user = accounts.get(id);
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: user.email,
        email_verified: true,
        given_name: user.givenName,
        family_name: user.familyName,
        name: `${user.givenName} ${user.familyName}`,
      };
    },
  };
}

// --- the provider -----------------------------------------------------------------------------
const resourceServer = {
  scope: setup.resourceScope,
  audience: setup.resource,
  accessTokenTTL: 600,
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: setup.accessTokenAlg } },
};

const provider = new Provider(issuer, {
  adapter: MemoryStoreAdapter,
  clients: setup.clients,
  jwks: setup.jwks,
  findAccount,
  scopes: ['openid', 'offline_access', 'email', 'profile', ...setup.resourceScope.split(' ')],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // Like Vestibule: ID tokens carry the claims their scopes release.
  conformIdTokenClaims: false,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Client credentials always get a JWT for the API, as Vestibule's do.
      defaultResource: (ctx, _client, oneOf) =>
        oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? setup.resource : undefined),
      getResourceServerInfo: () => resourceServer,
      useGrantedResource: () => true,
    },
  },
  // Like Vestibule: PKCE S256 for every client, rotation on every refresh.
  pkce: { required: () => true },
  rotateRefreshToken: () => true,
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    IdToken: 3600,
    RefreshToken: 30 * 24 * 3600,
    Grant: 30 * 24 * 3600,
    Interaction: 30 * 60,
    Session: 30 * 24 * 3600,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

// --- the sign-in page (the interaction endpoint) ------------------------------------------------
const CSRF_COOKIE = 'peer-csrf';

function cookie(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res, status, uid, csrf, error) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<main><h1>Sign in</h1>${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sameToken(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

async function showLogin(req, res) {
  const details = await provider.interactionDetails(req, res);
  // Double-submit CSRF token, as Vestibule's sign-in form has.
  const csrf = cookie(req, CSRF_COOKIE) ?? randomBytes(32).toString('base64url');
  res.setHeader('Set-Cookie', `${CSRF_COOKIE}=${csrf}; Path=/; HttpOnly; SameSite=Lax`);
  page(res, 200, details.uid, csrf);
}

// A hash with the same parameters for unknown accounts: they take as long as known ones.
const dummyHash = setup.passwordHash;
// argon2id verifications so far, read by the bench's attack workload at GET /bench/verifications.
let verifications = 0;

async function submitLogin(req, res) {
  const details = await provider.interactionDetails(req, res);
  const form = await readForm(req);
  if (!sameToken(cookie(req, CSRF_COOKIE), form.get('csrf'))) {
    page(res, 403, details.uid, '', 'Something went wrong');
    return;
  }
  const user = byEmail.get((form.get('email') ?? '').trim().toLowerCase());
  const password = form.get('password') ?? '';
  verifications += 1;
  const valid = (await verify(user ? setup.passwordHash : dummyHash, password)) && user !== undefined;
  if (!valid) {
    page(res, 401, details.uid, form.get('csrf'), 'Wrong email or password');
    return;
  }
  const { params } = details;
  const grant = new provider.Grant({ accountId: user.id, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  if (params.resource) grant.addResourceScope(params.resource, setup.resourceScope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.id }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const providerCallback = provider.callback();

async function handle(req, res) {
  const path = new URL(req.url, issuer).pathname;
  if (req.method === 'GET' && path === '/bench/verifications') {
    res.setHeader('Content-Type', 'text/plain');
    res.end(String(verifications));
    return undefined;
  }
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(path);
  if (!match) return providerCallback(req, res);
  try {
    if (req.method === 'GET' && !match[2]) return await showLogin(req, res);
    if (req.method === 'POST' && match[2]) return await submitLogin(req, res);
    res.statusCode = 405;
    res.end();
  } catch (error) {
    console.error('interaction failed', error);
    res.statusCode = 400;
    res.end('interaction failed');
  }
}

createServer({ keepAliveTimeout: 60_000 }, handle).listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
