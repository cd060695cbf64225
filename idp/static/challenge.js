// Solves the proof-of-work challenge of a password form: finds a counter such that
// SHA-256(challenge || counter) starts with `data-difficulty` zero bits (WebCrypto), puts it in
// the form's hidden `challenge_counter` field, and holds a submission back until it is found.
// A page may carry several such forms (the account page): each challenge is solved once.
"use strict";

(() => {
  const encoder = new TextEncoder();
  // Hashes run in batches: WebCrypto is asynchronous, and awaiting one at a time is slow.
  const BATCH = 512;

  const zeroBits = (bytes) => {
    let bits = 0;
    for (const byte of bytes) {
      if (byte !== 0) return bits + Math.clz32(byte) - 24;
      bits += 8;
    }
    return bits;
  };

  const solve = async (challenge, difficulty) => {
    for (let start = 0; ; start += BATCH) {
      const counters = Array.from({ length: BATCH }, (_, i) => String(start + i));
      const digests = await Promise.all(
        counters.map((counter) => crypto.subtle.digest("SHA-256", encoder.encode(challenge + counter))),
      );
      const found = digests.findIndex((digest) => zeroBits(new Uint8Array(digest)) >= difficulty);
      if (found >= 0) return counters[found];
    }
  };

  const solutions = new Map();
  const solutionOf = (challenge, difficulty) => {
    if (!solutions.has(challenge)) solutions.set(challenge, solve(challenge, difficulty));
    return solutions.get(challenge);
  };

  for (const form of document.querySelectorAll("form[data-challenge]")) {
    const field = form.querySelector('input[name="challenge_counter"]');
    if (!field) continue;
    const status = form.querySelector("[data-challenge-status]");
    const solved = solutionOf(form.dataset.challenge, Number(form.dataset.difficulty)).then((counter) => {
      field.value = counter;
      form.dataset.challengeSolved = "";
    });

    form.addEventListener("submit", (event) => {
      if (field.value) return;
      event.preventDefault();
      if (status) status.hidden = false;
      for (const button of form.querySelectorAll("button")) button.disabled = true;
      solved.then(() => form.submit());
    });
  }
})();
