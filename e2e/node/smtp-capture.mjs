// A real SMTP server on loopback that keeps every message it receives as a JSON file, so tests
// can read the links in verification and reset emails.
//
//   node smtp-capture.mjs DIR [PORT]
//
// Prints "SMTP_PORT=<port>" once listening. Each message becomes DIR/<n>.json with
// {from, to, subject, text, html}. Plain SMTP without TLS or authentication: tests only.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const [dir, port = "0"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node smtp-capture.mjs DIR [PORT]");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
let count = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        count += 1;
        const message = {
          from: mail.from?.text ?? "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          subject: mail.subject ?? "",
          text: mail.text ?? "",
          html: typeof mail.html === "string" ? mail.html : "",
        };
        const name = String(count).padStart(6, "0");
        // Write, then rename, so readers never see a half-written file.
        writeFileSync(join(dir, `${name}.tmp`), JSON.stringify(message));
        renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.json`));
        callback();
      })
      .catch(callback);
  },
});

server.listen(Number(port), "127.0.0.1", () => {
  console.log(`SMTP_PORT=${server.server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
