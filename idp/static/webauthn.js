// Passkeys (WebAuthn) for the hosted pages. The server renders each ceremony as a form: the
// options in data-options, the handle and an empty `credential` field. This script asks the
// browser for the credential, puts it into the form as JSON and submits it; nothing else.
// Without it the forms do nothing (each page says so in a <noscript>).
"use strict";
(function () {
  function bytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }
  function text(buffer) {
    if (!buffer) { return null; }
    var binary = "";
    new Uint8Array(buffer).forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function creationOptions(options) {
    var key = options.publicKey;
    key.challenge = bytes(key.challenge);
    key.user.id = bytes(key.user.id);
    (key.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return { publicKey: key };
  }
  function requestOptions(options) {
    var key = options.publicKey;
    key.challenge = bytes(key.challenge);
    (key.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return { publicKey: key };
  }
  function created(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: text(response.attestationObject),
        clientDataJSON: text(response.clientDataJSON),
        transports: response.getTransports ? response.getTransports() : undefined
      },
      extensions: credential.getClientExtensionResults()
    };
  }
  function asserted(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: text(response.authenticatorData),
        clientDataJSON: text(response.clientDataJSON),
        signature: text(response.signature),
        userHandle: text(response.userHandle)
      },
      extensions: credential.getClientExtensionResults()
    };
  }
  function fail(form) {
    var message = form.querySelector("[data-webauthn-error]");
    if (message) { message.hidden = false; }
  }
  function send(form, json) {
    form.querySelector("input[name=credential]").value = JSON.stringify(json);
    form.submit();
  }
  var conditional = null;
  function ceremony(form, mediation) {
    var options = JSON.parse(form.getAttribute("data-options"));
    if (form.getAttribute("data-webauthn") === "create") {
      return navigator.credentials.create(creationOptions(options)).then(created);
    }
    var request = requestOptions(options);
    if (mediation) {
      conditional = new AbortController();
      request.mediation = mediation;
      request.signal = conditional.signal;
    } else if (conditional) {
      // One ceremony at a time: the button replaces the autofill request.
      conditional.abort();
      conditional = null;
    }
    return navigator.credentials.get(request).then(asserted);
  }
  function start(form) {
    ceremony(form, null).then(function (json) { send(form, json); }, function () { fail(form); });
  }
  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    if (!window.PublicKeyCredential) { fail(form); return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(form);
    });
    if (form.hasAttribute("data-conditional") && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) { return; }
        ceremony(form, "conditional").then(function (json) { send(form, json); }, function () {});
      });
    }
  });
})();
