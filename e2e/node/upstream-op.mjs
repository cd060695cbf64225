// An upstream OpenID provider we did not write: panva's oidc-provider on loopback, for the IdP's
// social sign-in tests. Interactions sign in a fixed account without a page, so a plain HTTP
// client (following redirects, keeping cookies) completes the authorization code flow.
//
//   CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... node upstream-op.mjs
//
// Prints {"issuer": "http://127.0.0.1:PORT"} on its first stdout line once it listens.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const account = {
  sub: 'alice-upstream',
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
};

let provider;
const server = createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) {
    provider.callback()(req, res);
    return;
  }
  try {
    const { prompt, params, session } = await provider.interactionDetails(req, res);
    if (prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
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

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID,
        client_secret: process.env.CLIENT_SECRET,
        redirect_uris: [process.env.REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
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
  console.log(JSON.stringify({ issuer }));
});
