// Redeems an authorization code with openid-client, a strict relying party we did not write: it
// checks the ID token's signature, issuer, audience, nonce and state, then prints its claims as
// JSON. Usage: node code-exchange.mjs ISSUER CLIENT_ID CLIENT_SECRET CALLBACK_URL VERIFIER STATE NONCE
import * as client from "openid-client";

const [issuer, clientId, secret, callback, verifier, state, nonce] = process.argv.slice(2);
const insecure = { execute: [client.allowInsecureRequests] }; // loopback http only
const config = await client.discovery(
  new URL(issuer),
  clientId,
  { client_secret: secret },
  client.ClientSecretBasic(secret),
  insecure,
);
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
process.stdout.write(JSON.stringify(tokens.claims()));
