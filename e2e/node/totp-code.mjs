// One-time codes from a library we did not write (otplib), for the IdP's TOTP tests: the code of
// an `otpauth://` secret at a Unix time, SHA-1, six digits, 30-second steps (RFC 6238).
//
//   node totp-code.mjs BASE32_SECRET UNIX_SECONDS
//
// Prints the code on stdout.
import { generate } from 'otplib';

const [secret, time] = process.argv.slice(2);
const token = await generate({ secret: secret.replace(/\s+/g, ''), epoch: Number(time) });
console.log(token);
