# The texts of the hosted pages, error pages and emails, in English.
#
# Every message id here is a field or method of `Messages` (idp/src/i18n/messages.rs), and every
# language ships the same ids with the same arguments: the unit tests of idp/src/i18n fail
# otherwise. Arguments are filled by Fluent; pages and emails escape the result as HTML.

## Shared by every page

sign-in = Sign in
# $brand: the tenant's display name.
sign-in-to = Sign in to { $brand }
email = Email address
password = Password
new-password = New password
current-password = Current password
error-title = Something is not right
form-expired = This form has expired. Go back, reload the page and try again.
too-many-attempts = Too many attempts from your network. Please wait a minute and try again.
continue-sign-in = Continue to sign in
privacy = Privacy
terms = Terms
support = Help
optional = optional
save = Save
skip = Not now
not-found = This page does not exist.
# $reference: the request id to quote to the support team.
server-error = Something went wrong on our side. Reference: { $reference }

## Sign-in

forgot-password = Forgot your password?
no-account = New here?
create-account = Create an account
# One answer for a wrong password, an unknown address and a locked account (no enumeration).
invalid-credentials = The email address or password is incorrect. After repeated failed attempts an account is locked for a while, and its owner gets an email.
too-many-failures = Too many failed sign-ins from your network. Please try again later.
email-not-verified = Please confirm your email address first: we sent you a link.
resend-verification = Send the link again
too-many-sign-ins = Too many sign-ins are in progress from your network. Please finish one, or try again in half an hour.
busy = The service is busy. Please try again in a moment.
sign-in-expired = This sign-in has expired or was started in another browser. Please start again from the application.

## Registration and profile fields

have-account = Already have an account?
register-title = Create your account
registration-closed = New accounts cannot be created here. Sign in with an account you already have.
invalid-email = Enter a valid email address.
required-field = This field is required.
# $max: the longest value allowed, in characters.
field-too-long = Use at most { $max } { $max ->
        [one] character
       *[other] characters
    }.
invalid-phone = Enter the number in international format, for example +491701234567.
invalid-birthdate = Enter the date as YYYY-MM-DD.
given-name = First name
family-name = Last name
nickname = Nickname
phone-number = Phone number
birthdate = Date of birth

## Passwords

# $min: the shortest password allowed, in characters.
password-too-short = The password is too short: use at least { $min } { $min ->
        [one] character
       *[other] characters
    }.
# $max: the longest password allowed, in characters.
password-too-long = The password is too long: use at most { $max } { $max ->
        [one] character
       *[other] characters
    }.
password-needs-lowercase = Add a lowercase letter.
password-needs-uppercase = Add an uppercase letter.
password-needs-digit = Add a digit.
password-needs-symbol = Add a symbol, such as ! or #.
password-common = This password is too common and easy to guess. Choose another.
password-contains-email = The password must not contain your email address.
# $min: the shortest password allowed, in characters.
password-hint = At least { $min } { $min ->
        [one] character
       *[other] characters
    }. Long passphrases are best.
wrong-current-password = The current password is incorrect.

## Email verification and password recovery

check-email-title = Check your inbox
check-email-body = We sent a link to confirm your email address. Open it to finish creating your account.
verify-confirm-body = Confirm that this email address is yours to finish creating your account.
verified-title = Email address confirmed
verified-body = Thank you. Your email address is confirmed and you can sign in.
link-invalid-title = This link no longer works
link-invalid-body = The link has expired or was already used. Request a new one.
forgot-title = Reset your password
forgot-intro = Enter your email address and we will send you a link to choose a new password.
send-link = Send link
forgot-sent-body = If an account exists for that address, we sent it a link to reset the password. The link expires in one hour.
reset-title = Choose a new password
set-password = Set password
reset-done-body = Your password was changed and you were signed out everywhere. Sign in with the new password.

## Consent to an application's request

consent-title = Allow access?
# $client: the application's display name.
consent-intro = { $client } would like to:
allow = Allow
deny = Deny
scope-openid = Know who you are
scope-profile = See your name and profile
scope-email = See your email address
scope-phone = See your phone number
scope-offline-access = Stay signed in when you are away
scope-other = Access part of your account

## Progressive profiling

profile-title = A little more about you
profile-intro = Help us personalise your experience.

## The account page and signing out

account-title = Your account
profile = Profile
saved = Saved.
change-password = Change password
password-changed = Password changed. Your other sessions were signed out.
sessions = Where you are signed in
this-device = This device
# $time: when the session started, as YYYY-MM-DD HH:MM UTC.
signed-in-at = Signed in { $time }
revoke = Sign out
sign-out = Sign out
signed-out-title = Signed out
signed-out-body = You are signed out.
sign-out-confirm = Do you want to sign out?

## Requests from applications that cannot be trusted, shown instead of going back to them

client-gone = The application is no longer registered.
request-no-client = This sign-in link does not name an application (client_id is missing).
# $client: the client_id the link names.
unknown-client = The application “{ $client }” is not registered here.
client-not-allowed = This application may not sign customers in here.
request-no-redirect-uri = This sign-in link has no redirect_uri.
redirect-uri-unregistered = The redirect_uri is not registered for this application.
request-too-long = The request's client_id or redirect_uri is too long.
# $name: the parameter's name.
request-parameter-repeated = This link is malformed: the parameter “{ $name }” appears more than once.
logout-hint-invalid = The id_token_hint is not an ID token issued here.
logout-client-mismatch = The client_id does not match the id_token_hint.
logout-redirect-unidentified = A post_logout_redirect_uri needs an id_token_hint or a client_id.
logout-redirect-unregistered = The post_logout_redirect_uri is not registered for this application.

## Emails. $brand is the tenant's display name.

verify-subject = Confirm your email address
verify-subject-line = { verify-subject } · { $brand }
verify-email-body = Please confirm your email address to finish creating your account.
verify-button = Confirm email address
reset-subject = Reset your password
reset-subject-line = { reset-subject } · { $brand }
reset-email-body = We received a request to reset your password. If it was you, choose a new password with the link below. If not, you can ignore this email.
reset-button = Choose a new password
already-registered-subject = Someone tried to create an account with your address
already-registered-subject-line = { already-registered-subject } · { $brand }
already-registered-body = Someone, perhaps you, tried to create an account with this email address, but you already have one. If you forgot your password, reset it with the link below. If it was not you, you can ignore this email.
locked-subject = Your account is locked for a while
locked-subject-line = { locked-subject } · { $brand }
locked-email-body = We locked your account for a while after repeated failed attempts to sign in. If that was not you, someone may be trying to guess your password. To sign in now, choose a new password with the link below: that unlocks the account at once.
email-footer = You received this email because of an action on your { $brand } account.
link-expires = The link expires in one hour.

## Sign-in through upstream providers

or-divider = or
# $provider: the provider's display name, such as Google.
sign-in-with = Sign in with { $provider }
social-failed-title = Sign-in did not work
social-failed = Signing in with { $provider } did not work. Nothing was changed. Please try again.
social-denied = The sign-in with { $provider } was cancelled. Nothing was changed.
social-no-email = { $provider } did not share your email address, which your account needs. Allow access to your email address there, or create an account with a password.
try-again = Try again
account-exists-title = You already have an account
# $methods: how the account signs in, such as "your password" or "Google".
account-exists = An account with this email address already exists. Sign in with { $methods }; you can link more sign-in methods on your account page afterwards.
your-password = your password
link-title = Link your account
link-intro = An account with this email address already exists. To link { $provider } to it, prove that it is yours: enter its password, or sign in with a provider already linked to it.
link-account = Link and sign in
linked-identities = Sign-in methods
no-linked-identities = No provider is linked to your account.
link-provider = Link { $provider }
unlink = Unlink
identity-linked = The provider is linked to your account.
identity-unlinked = The provider is unlinked from your account.
last-sign-in-method = This is your only way to sign in, so it stays linked. Set a password (through "Forgot password") or link another provider first.
identity-taken = This provider account is already linked to another account.
account-exists-unverified = An account with this email address already exists. { $provider } did not confirm that the address is yours, so it cannot be linked. Sign in to that account, then link { $provider } on your account page.
no-password-title = Password
no-password-body = Your account signs in through a provider and has no password. To set one, we email you a link.
email-me-a-link = Email me a link
no-password-to-change = Your account has no password yet. Use the link below to set one.

## Two-factor sign-in (authenticator apps)
mfa-title = Two-step verification
mfa-intro = Your sign-in needs a second step: confirm that it is you.
code = Code
verify-code = Verify
# One answer for a wrong code and a code already used.
wrong-code = That code is not valid. Wait for a new code in your authenticator app and try again. After repeated failed attempts the account is locked for a while.
two-factor = Two-step verification
totp-on = An authenticator app is set up: every sign-in asks for its code.
totp-off = Add a second step to your sign-in: a code from an authenticator app on your phone.
totp-set-up = Set up an authenticator app
totp-remove = Remove the authenticator app
totp-scan = Scan this QR code with your authenticator app.
totp-manual = Or enter this key by hand:
totp-confirm-intro = Then enter the 6-digit code the app shows to finish.
totp-enabled = The authenticator app is set up.
totp-removed = The authenticator app was removed.
reauth-hint = For your security, confirm your password first.
reauth-sign-in-again = For your security, sign out and sign in again first.
totp-enrolled-subject = An authenticator app was set up
totp-enrolled-subject-line = { totp-enrolled-subject } · { $brand }
totp-enrolled-email-body = An authenticator app was set up for your account: from now on, signing in asks for its code. If that was not you, open your account, remove it and change your password.
totp-removed-subject = Your authenticator app was removed
totp-removed-subject-line = { totp-removed-subject } · { $brand }
totp-removed-email-body = The authenticator app of your account was removed: signing in no longer asks for a code. If that was not you, open your account and change your password.
open-account = Open your account
mfa-totp-heading = Authenticator app
mfa-totp-hint = Enter the 6-digit code from your authenticator app.
factor-removal-refused = Your account must keep a second step: set up another one before you remove this one.
mfa-enrol-required = Your account needs a second sign-in step before you can continue: set up an authenticator app now.
sign-in-refused-title = Sign-in refused
sign-in-refused-body = This sign-in looked unusual, so it was refused to protect the account. If it was you, try again later from a device or network you have used before, or contact support.
trusted-devices = Trusted devices
trusted-devices-revoked = The devices are no longer trusted: the next sign-in from them asks for the second step again.
revoke-all-devices = Stop trusting all devices
remember-device = Trust this device for { $days } { $days ->
        [one] day
       *[other] days
    }
trusted-until = Trusted until { $time }
stop-trusting = Stop trusting
unknown-browser = Unknown browser
# Recovery codes.
recovery-codes-title = Recovery codes
recovery-codes-intro = If you lose your second factor, a recovery code signs you in instead. Each code works once.
recovery-codes-left = { $count ->
    [one] One unused recovery code is left.
   *[other] { $count } unused recovery codes are left.
}
recovery-codes-none = You have no unused recovery codes.
recovery-codes-generate = Generate recovery codes
recovery-codes-regenerate = Generate new recovery codes
recovery-codes-shown-once = Save these codes somewhere safe, such as a password manager or on paper: they are shown only now. Each code works once, and any earlier codes no longer work.
back-to-account = Back to your account
use-recovery-code = Use a recovery code
recovery-code = Recovery code
recovery-code-intro = Lost your device? Enter one of your recovery codes.
wrong-recovery-code = That recovery code is not valid or was already used. After repeated failed attempts the account is locked for a while.
recovery-codes-generated-subject = New recovery codes were generated
recovery-codes-generated-subject-line = { recovery-codes-generated-subject } · { $brand }
recovery-codes-generated-email-body = A new set of recovery codes was generated for your account; the earlier codes no longer work. If that was not you, open your account and change your password.
recovery-code-used-subject = A recovery code was used
recovery-code-used-subject-line = { recovery-code-used-subject } · { $brand }
recovery-code-used-email-body = A recovery code was used to sign in to your account. { $left ->
    [one] One code is left.
   *[other] { $left } codes are left.
} If that was not you, open your account and change your password.
# Codes by email.
email-codes-title = Codes by email
email-otp-on = Sign-in codes can be sent to your email address as a second step.
email-otp-off = Receive a sign-in code at your email address as a second step.
email-otp-enable = Turn on codes by email
email-otp-disable = Turn off codes by email
email-otp-enabled = Codes by email are on.
email-otp-disabled = Codes by email are off.
email-code-section = Get a code by email
email-code-intro = We send a 6-digit code to your email address.
send-code = Send me a code
email-code-sent = A code is on its way to your email address. It is valid for 10 minutes.
wrong-email-code = That code is not valid or has expired. Check the latest email or send a new code.
too-many-codes = Too many codes were sent. Please try again later.
email-code-subject = Your sign-in code
email-code-subject-line = { email-code-subject } · { $brand }
email-code-email-body = Enter this code to finish signing in. If you did not try to sign in, change your password: someone knows it.
email-code-expires = The code is valid for 10 minutes and works once.
email-otp-confirm-intro = To turn codes by email on, enter the 6-digit code we just sent to your email address.
password-breached = This password appears in a known data breach, so attackers try it first. Choose another.
password-breach-check-unavailable = We cannot check passwords against known data breaches right now. Try again in a few minutes.
password-breached-subject = Your password appeared in a data breach
password-breached-subject-line = { password-breached-subject } · { $brand }
password-breached-email-body = The password you just signed in with appears in a list of passwords leaked in a data breach at another service. Attackers try such passwords first, so you must choose a new one: your next sign-in asks for it, or use the link below now. If you use this password elsewhere, change it there too.
new-password-title = Choose a new password
new-password-intro = The password you signed in with appears in a list of passwords leaked in a data breach at another service. Attackers try such passwords first, so choose a new one to continue. If you use the old one elsewhere, change it there too.

## Passkeys
passkeys = Passkeys
passkeys-intro = A passkey signs you in with your device's screen lock or a security key instead of a code. It only works on this site, so it cannot be phished.
passkeys-none = You have no passkeys yet.
passkeys-manage = Manage passkeys
passkey-name = Name of the passkey
passkey-name-hint = For example "Work laptop" or "Blue security key".
passkey-name-invalid = Give the passkey a name of at most 64 characters.
passkey-add = Add a passkey
passkey-create-intro = Your browser now asks your device or security key to create the passkey.
passkey-create = Create the passkey
passkey-needs-script = Passkeys need JavaScript, which is turned off in this browser. Turn it on, or use another way to sign in.
passkey-rename = Rename
passkey-remove = Remove
passkey-never-used = Never used
passkey-added = The passkey was added.
passkey-renamed = The passkey was renamed.
passkey-removed = The passkey was removed.
passkey-refused = The passkey was not accepted. Try again, or use another way.
passkey-lapsed = That took too long. Try again.
passkey-taken = This passkey is already registered.
passkey-use-intro = Or confirm with a passkey of this account.
passkey-use = Use a passkey
passkey-sign-in = Sign in with a passkey
passkey-added-subject = A passkey was added
passkey-added-subject-line = { passkey-added-subject } · { $brand }
passkey-added-email-body = A passkey was added to your account: it can now be used to sign in. If that was not you, open your account, remove it and change your password.
passkey-removed-subject = A passkey was removed
passkey-removed-subject-line = { passkey-removed-subject } · { $brand }
passkey-removed-email-body = A passkey was removed from your account: it can no longer be used to sign in. If that was not you, open your account and change your password.
passkey-created = Added { $time }
passkey-last-used = Last used { $time }
# Security notifications.
new-sign-in-subject = New sign-in to your account
new-sign-in-subject-line = { new-sign-in-subject } · { $brand }
new-sign-in-email-body = Your account was just signed in to from a device or network it was not used from before. If that was you, there is nothing to do. If it was not you, press the button: every session of your account ends at once and you choose a new password.
not-me-button = This was not me
not-me-title = Secure your account
not-me-body = If you did not sign in, someone may know your password. Continue to sign out everywhere (every session and application of your account ends at once) and choose a new password.
password-changed-subject = Your password was changed
password-changed-subject-line = { password-changed-subject } · { $brand }
password-changed-email-body = The password of your account was just changed. If that was you, there is nothing to do. If it was not you, reset it now with the button below.
email-otp-disabled-subject = Codes by email were turned off
email-otp-disabled-subject-line = { email-otp-disabled-subject } · { $brand }
email-otp-disabled-email-body = Sign-in codes are no longer sent to this address as a second step. If that was not you, open your account, change your password and turn them on again.
challenge-failed = Your browser has to finish a short security check before you can sign in from this network. Wait a moment and sign in again.
challenge-needs-script = Too many sign-ins failed from this network, so your browser has to finish a short security check, which needs JavaScript. Turn it on and sign in again.
challenge-working = Your browser is finishing a short security check…
# Privacy consent (ConsentPolicy).
scope-consents = See your privacy choices
privacy-choices-title = Your privacy choices
terms-of-service = Terms of service
privacy-policy = Privacy policy
accept-documents = I accept the terms of service and have read the privacy policy.
documents-required = You can only create an account if you accept the terms of service and the privacy policy.
documents-intro = To use this service, accept these documents:
do-not-sell = Do Not Sell or Share My Personal Information
gpc-honoured = Your browser sent a Global Privacy Control signal: your personal information is not sold or shared.
informed-intro = We also process your data for these purposes, which do not depend on your consent:
basis-consent = your consent
basis-contract = to provide the service you signed up for
basis-legal-obligation = because the law requires it
basis-vital-interests = to protect someone's life
basis-public-task = for a task in the public interest
basis-legitimate-interests = for our legitimate interests
privacy-consent-title = Your privacy choices
privacy-consent-intro = Our policy changed, or it is time to confirm your choices. Review them before you continue.
privacy-accept = Accept and continue
privacy-decline = Decline
privacy-declined-title = You cannot sign in
privacy-declined-body = You cannot sign in without accepting the terms of service and the privacy policy. You were signed out; sign in again whenever you want to accept them.
privacy-save = Save privacy choices
privacy-saved = Your privacy choices were saved.
privacy-never-answered = not accepted yet
privacy-policy-version = Policy version { $version }
document-accepted-at = accepted (version { $version }, { $time })
challenge-unavailable = The security check could not be verified just now. Please try again in a moment.
captcha-intro = Too many sign-ins failed from this network, so please confirm you are a person first.

## Data rights: export and erasure (account page), retention
your-data = Your data
your-data-intro = Download everything this account holds about you, or delete the account for good.
export-title = Download your data
export-intro = One JSON file with your profile, linked sign-in providers, second factors (never their secrets), sessions, consents and the security log of your account.
export-button = Download my data
delete-account = Delete account
delete-title = Delete your account
delete-intro = This erases your account and everything linked to it at once: profile, sign-in methods, sessions and the applications you signed in to. It cannot be undone.
delete-confirm-email = Type your email address to confirm
delete-email-mismatch = That is not the email address of this account.
delete-button = Delete my account for good
account-erased-title = Your account is gone
account-erased-body = Your account and everything linked to it were erased. An email confirms it to your former address.
account-erased-subject = Your account was erased
account-erased-subject-line = { account-erased-subject } · { $brand }
account-erased-email-body = Your account and everything linked to it were erased; this address is not kept. If you did not ask for this, contact support.
inactivity-warning-subject = Your unused account will be erased
inactivity-warning-subject-line = { inactivity-warning-subject } · { $brand }
inactivity-warning-email-body = You have not signed in for a long time. Your account and everything linked to it will be erased in { $days } days unless you sign in before then.
keep-account = Sign in to keep my account

passkey-renamed-subject = A passkey was renamed
passkey-renamed-subject-line = { passkey-renamed-subject } · { $brand }
passkey-renamed-email-body = One of the passkeys of your account was renamed. If that was not you, open your account, check your passkeys and change your password.
email-otp-enabled-subject = Codes by email were turned on
email-otp-enabled-subject-line = { email-otp-enabled-subject } · { $brand }
email-otp-enabled-email-body = Sign-in codes are now sent to this address as a second step. If that was not you, open your account, change your password and turn them off.
mfa-address-title = Confirm your email address first
mfa-address-body = This sign-in needs a code sent to your email address, and your address is not confirmed yet. Send yourself the confirmation link, open it, then continue signing in.
mfa-address-send = Send the confirmation link
passkey-default-name = Passkey
mfa-enrol-passkey-required = Your account needs a second sign-in step before you can continue: create a passkey now.
