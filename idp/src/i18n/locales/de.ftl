# Die Texte der Anmeldeseiten, Fehlerseiten und E-Mails, auf Deutsch.
#
# Dieselben Nachrichten-IDs mit denselben Argumenten wie en.ftl: die Unit-Tests von
# idp/src/i18n schlagen sonst fehl. Wir siezen.

## Auf jeder Seite

sign-in = Anmelden
# $brand: der Anzeigename des Mandanten.
sign-in-to = Anmelden bei { $brand }
email = E-Mail-Adresse
password = Passwort
new-password = Neues Passwort
current-password = Aktuelles Passwort
error-title = Da stimmt etwas nicht
form-expired = Dieses Formular ist abgelaufen. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
too-many-attempts = Zu viele Versuche aus Ihrem Netzwerk. Bitte warten Sie eine Minute.
continue-sign-in = Weiter zur Anmeldung
privacy = Datenschutz
terms = Nutzungsbedingungen
support = Hilfe
optional = optional
save = Speichern
skip = Nicht jetzt
not-found = Diese Seite gibt es nicht.
# $reference: die Kennung der Anfrage für den Support.
server-error = Bei uns ist etwas schiefgegangen. Referenz: { $reference }

## Anmeldung

forgot-password = Passwort vergessen?
no-account = Neu hier?
create-account = Konto erstellen
invalid-credentials = E-Mail-Adresse oder Passwort ist falsch. Nach wiederholten Fehlversuchen wird ein Konto vorübergehend gesperrt und sein Inhaber per E-Mail benachrichtigt.
too-many-failures = Zu viele fehlgeschlagene Anmeldungen aus Ihrem Netzwerk. Bitte versuchen Sie es später erneut.
email-not-verified = Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse: Wir haben Ihnen einen Link geschickt.
resend-verification = Link erneut senden
too-many-sign-ins = Aus Ihrem Netzwerk laufen zu viele Anmeldungen gleichzeitig. Schließen Sie eine ab oder versuchen Sie es in einer halben Stunde erneut.
busy = Der Dienst ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.
sign-in-expired = Diese Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. Bitte beginnen Sie erneut in der Anwendung.

## Registrierung und Profilfelder

have-account = Sie haben schon ein Konto?
register-title = Konto erstellen
registration-closed = Hier können keine neuen Konten erstellt werden. Melden Sie sich mit einem bestehenden Konto an.
invalid-email = Geben Sie eine gültige E-Mail-Adresse ein.
required-field = Dieses Feld ist erforderlich.
# $max: die größte erlaubte Länge in Zeichen.
field-too-long = Höchstens { $max } Zeichen.
invalid-phone = Geben Sie die Nummer international ein, zum Beispiel +491701234567.
invalid-birthdate = Geben Sie das Datum als JJJJ-MM-TT ein.
given-name = Vorname
family-name = Nachname
nickname = Spitzname
phone-number = Telefonnummer
birthdate = Geburtsdatum

## Passwörter

# $min: die kleinste erlaubte Länge in Zeichen.
password-too-short = Das Passwort ist zu kurz: mindestens { $min } Zeichen.
# $max: die größte erlaubte Länge in Zeichen.
password-too-long = Das Passwort ist zu lang: höchstens { $max } Zeichen.
password-needs-lowercase = Fügen Sie einen Kleinbuchstaben hinzu.
password-needs-uppercase = Fügen Sie einen Großbuchstaben hinzu.
password-needs-digit = Fügen Sie eine Ziffer hinzu.
password-needs-symbol = Fügen Sie ein Sonderzeichen hinzu, etwa ! oder #.
password-common = Dieses Passwort ist zu verbreitet und leicht zu erraten. Wählen Sie ein anderes.
password-contains-email = Das Passwort darf Ihre E-Mail-Adresse nicht enthalten.
# $min: die kleinste erlaubte Länge in Zeichen.
password-hint = Mindestens { $min } Zeichen. Lange Passphrasen sind am sichersten.
wrong-current-password = Das aktuelle Passwort ist falsch.

## E-Mail-Bestätigung und Passwort-Wiederherstellung

check-email-title = Sehen Sie in Ihr Postfach
check-email-body = Wir haben Ihnen einen Link zur Bestätigung Ihrer E-Mail-Adresse geschickt. Öffnen Sie ihn, um Ihr Konto fertigzustellen.
verify-confirm-body = Bestätigen Sie, dass diese E-Mail-Adresse Ihnen gehört, um Ihr Konto fertigzustellen.
verified-title = E-Mail-Adresse bestätigt
verified-body = Danke. Ihre E-Mail-Adresse ist bestätigt und Sie können sich anmelden.
link-invalid-title = Dieser Link funktioniert nicht mehr
link-invalid-body = Der Link ist abgelaufen oder wurde schon benutzt. Fordern Sie einen neuen an.
forgot-title = Passwort zurücksetzen
forgot-intro = Geben Sie Ihre E-Mail-Adresse ein. Wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen.
send-link = Link senden
forgot-sent-body = Falls ein Konto zu dieser Adresse existiert, haben wir ihr einen Link zum Zurücksetzen geschickt. Der Link ist eine Stunde gültig.
reset-title = Neues Passwort wählen
set-password = Passwort speichern
reset-done-body = Ihr Passwort wurde geändert und Sie wurden überall abgemeldet. Melden Sie sich mit dem neuen Passwort an.

## Zustimmung zur Anfrage einer Anwendung

consent-title = Zugriff erlauben?
# $client: der Anzeigename der Anwendung.
consent-intro = { $client } möchte:
allow = Erlauben
deny = Ablehnen
scope-openid = Wissen, wer Sie sind
scope-profile = Ihren Namen und Ihr Profil sehen
scope-email = Ihre E-Mail-Adresse sehen
scope-phone = Ihre Telefonnummer sehen
scope-offline-access = Angemeldet bleiben, während Sie abwesend sind
scope-other = Auf einen Teil Ihres Kontos zugreifen

## Schrittweises Profil

profile-title = Etwas mehr über Sie
profile-intro = Helfen Sie uns, Ihr Erlebnis zu verbessern.

## Die Kontoseite und die Abmeldung

account-title = Ihr Konto
profile = Profil
saved = Gespeichert.
change-password = Passwort ändern
password-changed = Passwort geändert. Ihre anderen Sitzungen wurden abgemeldet.
sessions = Wo Sie angemeldet sind
this-device = Dieses Gerät
# $time: wann die Sitzung begann, als JJJJ-MM-TT HH:MM UTC.
signed-in-at = Angemeldet { $time }
revoke = Abmelden
sign-out = Abmelden
signed-out-title = Abgemeldet
signed-out-body = Sie sind abgemeldet.
sign-out-confirm = Möchten Sie sich abmelden?

## Anfragen von Anwendungen, denen nicht vertraut werden kann: angezeigt, statt zu ihnen zurückzukehren

client-gone = Die Anwendung ist nicht mehr registriert.
request-no-client = Dieser Anmeldelink nennt keine Anwendung (client_id fehlt).
# $client: die client_id, die der Link nennt.
unknown-client = Die Anwendung „{ $client }“ ist hier nicht registriert.
client-not-allowed = Diese Anwendung darf hier keine Kunden anmelden.
request-no-redirect-uri = Diesem Anmeldelink fehlt die redirect_uri.
redirect-uri-unregistered = Die redirect_uri ist für diese Anwendung nicht registriert.
request-too-long = client_id oder redirect_uri der Anfrage ist zu lang.
# $name: der Name des Parameters.
request-parameter-repeated = Dieser Link ist fehlerhaft: Der Parameter „{ $name }“ kommt mehrfach vor.
logout-hint-invalid = Der id_token_hint ist kein hier ausgestelltes ID-Token.
logout-client-mismatch = Die client_id passt nicht zum id_token_hint.
logout-redirect-unidentified = Eine post_logout_redirect_uri braucht einen id_token_hint oder eine client_id.
logout-redirect-unregistered = Die post_logout_redirect_uri ist für diese Anwendung nicht registriert.

## E-Mails. $brand ist der Anzeigename des Mandanten.

verify-subject = Bestätigen Sie Ihre E-Mail-Adresse
verify-subject-line = { verify-subject } · { $brand }
verify-email-body = Bitte bestätigen Sie Ihre E-Mail-Adresse, um Ihr Konto fertigzustellen.
verify-button = E-Mail-Adresse bestätigen
reset-subject = Passwort zurücksetzen
reset-subject-line = { reset-subject } · { $brand }
reset-email-body = Wir haben eine Anfrage zum Zurücksetzen Ihres Passworts erhalten. Wenn Sie das waren, wählen Sie über den Link ein neues Passwort. Andernfalls können Sie diese E-Mail ignorieren.
reset-button = Neues Passwort wählen
already-registered-subject = Jemand wollte mit Ihrer Adresse ein Konto erstellen
already-registered-subject-line = { already-registered-subject } · { $brand }
already-registered-body = Jemand, vielleicht Sie, wollte mit dieser E-Mail-Adresse ein Konto erstellen, aber Sie haben bereits eines. Falls Sie Ihr Passwort vergessen haben, setzen Sie es über den Link zurück. Andernfalls können Sie diese E-Mail ignorieren.
locked-subject = Ihr Konto ist vorübergehend gesperrt
locked-subject-line = { locked-subject } · { $brand }
locked-email-body = Wir haben Ihr Konto nach wiederholten fehlgeschlagenen Anmeldeversuchen vorübergehend gesperrt. Falls Sie das nicht waren, versucht vielleicht jemand, Ihr Passwort zu erraten. Um sich sofort anzumelden, wählen Sie über den Link ein neues Passwort: Das hebt die Sperre sofort auf.
email-footer = Sie erhalten diese E-Mail wegen einer Aktion in Ihrem Konto bei { $brand }.
link-expires = Der Link ist eine Stunde gültig.

## Anmeldung über externe Anbieter

or-divider = oder
sign-in-with = Anmelden mit { $provider }
social-failed-title = Anmeldung fehlgeschlagen
social-failed = Die Anmeldung mit { $provider } hat nicht funktioniert. Es wurde nichts geändert. Bitte versuchen Sie es erneut.
social-denied = Die Anmeldung mit { $provider } wurde abgebrochen. Es wurde nichts geändert.
social-no-email = { $provider } hat Ihre E-Mail-Adresse nicht übermittelt, die Ihr Konto benötigt. Erlauben Sie dort den Zugriff auf Ihre E-Mail-Adresse oder legen Sie ein Konto mit Passwort an.
try-again = Erneut versuchen
account-exists-title = Sie haben bereits ein Konto
account-exists = Es gibt bereits ein Konto mit dieser E-Mail-Adresse. Melden Sie sich mit { $methods } an; weitere Anmeldemethoden können Sie danach in Ihrem Konto verknüpfen.
your-password = Ihrem Passwort
link-title = Konto verknüpfen
link-intro = Es gibt bereits ein Konto mit dieser E-Mail-Adresse. Um { $provider } damit zu verknüpfen, bestätigen Sie, dass es Ihnen gehört: Geben Sie sein Passwort ein oder melden Sie sich mit einem bereits verknüpften Anbieter an.
link-account = Verknüpfen und anmelden
linked-identities = Anmeldemethoden
no-linked-identities = Mit Ihrem Konto ist kein Anbieter verknüpft.
link-provider = { $provider } verknüpfen
unlink = Trennen
identity-linked = Der Anbieter ist mit Ihrem Konto verknüpft.
identity-unlinked = Der Anbieter wurde von Ihrem Konto getrennt.
last-sign-in-method = Dies ist Ihre einzige Anmeldemethode und bleibt deshalb verknüpft. Legen Sie zuerst ein Passwort fest (über „Passwort vergessen“) oder verknüpfen Sie einen weiteren Anbieter.
identity-taken = Dieses Anbieterkonto ist bereits mit einem anderen Konto verknüpft.
account-exists-unverified = Es gibt bereits ein Konto mit dieser E-Mail-Adresse. { $provider } hat nicht bestätigt, dass die Adresse Ihnen gehört, deshalb kann nichts verknüpft werden. Melden Sie sich bei diesem Konto an und verknüpfen Sie { $provider } danach in Ihrem Konto.
no-password-title = Passwort
no-password-body = Ihr Konto meldet sich über einen Anbieter an und hat kein Passwort. Um eines festzulegen, senden wir Ihnen einen Link per E-Mail.
email-me-a-link = Link per E-Mail senden
no-password-to-change = Ihr Konto hat noch kein Passwort. Legen Sie mit dem Link unten eines fest.

## Zweistufige Anmeldung (Authenticator-Apps)
mfa-title = Bestätigung in zwei Schritten
mfa-intro = Ihre Anmeldung braucht einen zweiten Schritt: Bestätigen Sie, dass Sie es sind.
code = Code
verify-code = Bestätigen
wrong-code = Dieser Code ist ungültig. Warten Sie auf einen neuen Code in Ihrer Authenticator-App und versuchen Sie es erneut. Nach wiederholten Fehlversuchen wird das Konto vorübergehend gesperrt.
two-factor = Bestätigung in zwei Schritten
totp-on = Eine Authenticator-App ist eingerichtet: Jede Anmeldung fragt nach ihrem Code.
totp-off = Sichern Sie Ihre Anmeldung mit einem zweiten Schritt: einem Code aus einer Authenticator-App auf Ihrem Telefon.
totp-set-up = Authenticator-App einrichten
totp-remove = Authenticator-App entfernen
totp-scan = Scannen Sie diesen QR-Code mit Ihrer Authenticator-App.
totp-manual = Oder geben Sie diesen Schlüssel von Hand ein:
totp-confirm-intro = Geben Sie dann den 6-stelligen Code aus der App ein, um abzuschließen.
totp-enabled = Die Authenticator-App ist eingerichtet.
totp-removed = Die Authenticator-App wurde entfernt.
reauth-hint = Bestätigen Sie zu Ihrer Sicherheit zuerst Ihr Passwort.
reauth-sign-in-again = Melden Sie sich zu Ihrer Sicherheit zuerst ab und wieder an.
totp-enrolled-subject = Eine Authenticator-App wurde eingerichtet
totp-enrolled-subject-line = { totp-enrolled-subject } · { $brand }
totp-enrolled-email-body = Für Ihr Konto wurde eine Authenticator-App eingerichtet: Ab jetzt fragt die Anmeldung nach ihrem Code. Falls Sie das nicht waren, öffnen Sie Ihr Konto, entfernen Sie die App und ändern Sie Ihr Passwort.
totp-removed-subject = Ihre Authenticator-App wurde entfernt
totp-removed-subject-line = { totp-removed-subject } · { $brand }
totp-removed-email-body = Die Authenticator-App Ihres Kontos wurde entfernt: Die Anmeldung fragt nicht mehr nach einem Code. Falls Sie das nicht waren, öffnen Sie Ihr Konto und ändern Sie Ihr Passwort.
open-account = Ihr Konto öffnen
mfa-totp-heading = Authenticator-App
mfa-totp-hint = Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App ein.
factor-removal-refused = Ihr Konto muss einen zweiten Schritt behalten: Richten Sie zuerst einen anderen ein, bevor Sie diesen entfernen.
mfa-enrol-required = Ihr Konto braucht einen zweiten Anmeldeschritt, bevor Sie fortfahren können: Richten Sie jetzt eine Authenticator-App ein.
sign-in-refused-title = Anmeldung abgelehnt
sign-in-refused-body = Diese Anmeldung wirkte ungewöhnlich und wurde zum Schutz des Kontos abgelehnt. Wenn Sie es waren, versuchen Sie es später von einem Gerät oder Netzwerk, das Sie schon benutzt haben, oder wenden Sie sich an den Support.
trusted-devices = Vertrauenswürdige Geräte
trusted-devices-revoked = Den Geräten wird nicht mehr vertraut: Die nächste Anmeldung von ihnen fragt wieder nach dem zweiten Schritt.
revoke-all-devices = Keinem Gerät mehr vertrauen
remember-device = Diesem Gerät { $days } { $days ->
        [one] Tag
       *[other] Tage
    } lang vertrauen
trusted-until = Vertrauenswürdig bis { $time }
stop-trusting = Nicht mehr vertrauen
unknown-browser = Unbekannter Browser
# Wiederherstellungscodes.
recovery-codes-title = Wiederherstellungscodes
recovery-codes-intro = Wenn Sie Ihren zweiten Faktor verlieren, meldet Sie ein Wiederherstellungscode stattdessen an. Jeder Code funktioniert einmal.
recovery-codes-left = { $count ->
    [one] Ein unbenutzter Wiederherstellungscode ist übrig.
   *[other] { $count } unbenutzte Wiederherstellungscodes sind übrig.
}
recovery-codes-none = Sie haben keine unbenutzten Wiederherstellungscodes.
recovery-codes-generate = Wiederherstellungscodes erzeugen
recovery-codes-regenerate = Neue Wiederherstellungscodes erzeugen
recovery-codes-shown-once = Bewahren Sie diese Codes sicher auf, etwa in einem Passwort-Manager oder auf Papier: Sie werden nur jetzt angezeigt. Jeder Code funktioniert einmal, frühere Codes gelten nicht mehr.
back-to-account = Zurück zu Ihrem Konto
use-recovery-code = Wiederherstellungscode verwenden
recovery-code = Wiederherstellungscode
recovery-code-intro = Gerät verloren? Geben Sie einen Ihrer Wiederherstellungscodes ein.
wrong-recovery-code = Dieser Wiederherstellungscode ist ungültig oder wurde schon verwendet. Nach wiederholten Fehlversuchen wird das Konto vorübergehend gesperrt.
recovery-codes-generated-subject = Neue Wiederherstellungscodes wurden erzeugt
recovery-codes-generated-subject-line = { recovery-codes-generated-subject } · { $brand }
recovery-codes-generated-email-body = Für Ihr Konto wurden neue Wiederherstellungscodes erzeugt; die früheren Codes gelten nicht mehr. Falls Sie das nicht waren, öffnen Sie Ihr Konto und ändern Sie Ihr Passwort.
recovery-code-used-subject = Ein Wiederherstellungscode wurde verwendet
recovery-code-used-subject-line = { recovery-code-used-subject } · { $brand }
recovery-code-used-email-body = Mit einem Wiederherstellungscode wurde sich bei Ihrem Konto angemeldet. { $left ->
    [one] Ein Code ist übrig.
   *[other] { $left } Codes sind übrig.
} Falls Sie das nicht waren, öffnen Sie Ihr Konto und ändern Sie Ihr Passwort.
# Codes per E-Mail.
email-codes-title = Codes per E-Mail
email-otp-on = Anmeldecodes können als zweiter Schritt an Ihre E-Mail-Adresse gesendet werden.
email-otp-off = Erhalten Sie als zweiten Schritt einen Anmeldecode an Ihre E-Mail-Adresse.
email-otp-enable = Codes per E-Mail einschalten
email-otp-disable = Codes per E-Mail ausschalten
email-otp-enabled = Codes per E-Mail sind eingeschaltet.
email-otp-disabled = Codes per E-Mail sind ausgeschaltet.
email-code-section = Code per E-Mail erhalten
email-code-intro = Wir senden einen 6-stelligen Code an Ihre E-Mail-Adresse.
send-code = Code senden
email-code-sent = Ein Code ist unterwegs an Ihre E-Mail-Adresse. Er ist 10 Minuten gültig.
wrong-email-code = Dieser Code ist ungültig oder abgelaufen. Prüfen Sie die neueste E-Mail oder lassen Sie einen neuen Code senden.
too-many-codes = Es wurden zu viele Codes gesendet. Bitte versuchen Sie es später erneut.
email-code-subject = Ihr Anmeldecode
email-code-subject-line = { email-code-subject } · { $brand }
email-code-email-body = Geben Sie diesen Code ein, um die Anmeldung abzuschließen. Falls Sie sich nicht anmelden wollten, ändern Sie Ihr Passwort: Jemand kennt es.
email-code-expires = Der Code ist 10 Minuten gültig und funktioniert einmal.
email-otp-confirm-intro = Um Codes per E-Mail einzuschalten, geben Sie den 6-stelligen Code ein, den wir gerade an Ihre E-Mail-Adresse gesendet haben.
password-breached = Dieses Passwort ist aus einem bekannten Datenleck bekannt und wird von Angreifern zuerst ausprobiert. Wählen Sie ein anderes.
password-breach-check-unavailable = Wir können Passwörter gerade nicht mit bekannten Datenlecks abgleichen. Versuchen Sie es in ein paar Minuten erneut.
password-breached-subject = Ihr Passwort ist in einem Datenleck aufgetaucht
password-breached-subject-line = { password-breached-subject } · { $brand }
password-breached-email-body = Das Passwort, mit dem Sie sich gerade angemeldet haben, steht in einer Liste von Passwörtern, die bei einem Datenleck eines anderen Dienstes veröffentlicht wurden. Angreifer probieren solche Passwörter zuerst aus, deshalb müssen Sie ein neues wählen: Ihre nächste Anmeldung fragt danach, oder nutzen Sie jetzt den Link unten. Wenn Sie dieses Passwort auch anderswo verwenden, ändern Sie es dort ebenfalls.
new-password-title = Neues Passwort wählen
new-password-intro = Das Passwort, mit dem Sie sich angemeldet haben, steht in einer Liste von Passwörtern, die bei einem Datenleck eines anderen Dienstes veröffentlicht wurden. Angreifer probieren solche Passwörter zuerst aus, deshalb wählen Sie bitte ein neues, um fortzufahren. Wenn Sie das alte Passwort auch anderswo verwenden, ändern Sie es dort ebenfalls.

## Passkeys
passkeys = Passkeys
passkeys-intro = Ein Passkey meldet Sie mit der Bildschirmsperre Ihres Geräts oder einem Sicherheitsschlüssel an, ohne Code. Er funktioniert nur auf dieser Website und kann deshalb nicht abgefischt werden.
passkeys-none = Sie haben noch keine Passkeys.
passkeys-manage = Passkeys verwalten
passkey-name = Name des Passkeys
passkey-name-hint = Zum Beispiel „Arbeitslaptop“ oder „Blauer Sicherheitsschlüssel“.
passkey-name-invalid = Geben Sie dem Passkey einen Namen mit höchstens 64 Zeichen.
passkey-add = Passkey hinzufügen
passkey-create-intro = Ihr Browser bittet jetzt Ihr Gerät oder Ihren Sicherheitsschlüssel, den Passkey zu erstellen.
passkey-create = Passkey erstellen
passkey-needs-script = Passkeys brauchen JavaScript, das in diesem Browser ausgeschaltet ist. Schalten Sie es ein oder melden Sie sich auf andere Weise an.
passkey-rename = Umbenennen
passkey-remove = Entfernen
passkey-never-used = Noch nie verwendet
passkey-added = Der Passkey wurde hinzugefügt.
passkey-renamed = Der Passkey wurde umbenannt.
passkey-removed = Der Passkey wurde entfernt.
passkey-refused = Der Passkey wurde nicht akzeptiert. Versuchen Sie es erneut oder auf andere Weise.
passkey-lapsed = Das hat zu lange gedauert. Versuchen Sie es erneut.
passkey-taken = Dieser Passkey ist bereits registriert.
passkey-use-intro = Oder bestätigen Sie mit einem Passkey dieses Kontos.
passkey-use = Passkey verwenden
passkey-sign-in = Mit einem Passkey anmelden
passkey-added-subject = Ein Passkey wurde hinzugefügt
passkey-added-subject-line = { passkey-added-subject } · { $brand }
passkey-added-email-body = Ihrem Konto wurde ein Passkey hinzugefügt: Er kann ab jetzt zur Anmeldung verwendet werden. Falls Sie das nicht waren, öffnen Sie Ihr Konto, entfernen Sie ihn und ändern Sie Ihr Passwort.
passkey-removed-subject = Ein Passkey wurde entfernt
passkey-removed-subject-line = { passkey-removed-subject } · { $brand }
passkey-removed-email-body = Ein Passkey wurde aus Ihrem Konto entfernt: Er kann nicht mehr zur Anmeldung verwendet werden. Falls Sie das nicht waren, öffnen Sie Ihr Konto und ändern Sie Ihr Passwort.
passkey-created = Hinzugefügt { $time }
passkey-last-used = Zuletzt verwendet { $time }
# Sicherheitsbenachrichtigungen.
new-sign-in-subject = Neue Anmeldung bei Ihrem Konto
new-sign-in-subject-line = { new-sign-in-subject } · { $brand }
new-sign-in-email-body = Bei Ihrem Konto hat sich gerade jemand von einem Gerät oder Netzwerk angemeldet, das bisher nicht verwendet wurde. Wenn Sie das waren, ist nichts zu tun. Wenn nicht, drücken Sie die Schaltfläche: Alle Sitzungen Ihres Kontos enden sofort, und Sie wählen ein neues Passwort.
not-me-button = Das war ich nicht
not-me-title = Konto schützen
not-me-body = Wenn Sie sich nicht angemeldet haben, kennt womöglich jemand Ihr Passwort. Fahren Sie fort, um sich überall abzumelden (alle Sitzungen und Anwendungen Ihres Kontos enden sofort) und ein neues Passwort zu wählen.
password-changed-subject = Ihr Passwort wurde geändert
password-changed-subject-line = { password-changed-subject } · { $brand }
password-changed-email-body = Das Passwort Ihres Kontos wurde gerade geändert. Wenn Sie das waren, ist nichts zu tun. Wenn nicht, setzen Sie es jetzt mit der Schaltfläche unten zurück.
email-otp-disabled-subject = Codes per E-Mail wurden ausgeschaltet
email-otp-disabled-subject-line = { email-otp-disabled-subject } · { $brand }
email-otp-disabled-email-body = Anmeldecodes werden nicht mehr als zweiter Schritt an diese Adresse gesendet. Wenn Sie das nicht waren, öffnen Sie Ihr Konto, ändern Sie Ihr Passwort und schalten Sie sie wieder ein.
challenge-failed = Ihr Browser muss eine kurze Sicherheitsprüfung abschließen, bevor Sie sich aus diesem Netzwerk anmelden können. Warten Sie einen Moment und melden Sie sich erneut an.
challenge-needs-script = Aus diesem Netzwerk sind zu viele Anmeldungen fehlgeschlagen, deshalb muss Ihr Browser eine kurze Sicherheitsprüfung abschließen, die JavaScript braucht. Schalten Sie es ein und melden Sie sich erneut an.
challenge-working = Ihr Browser schließt eine kurze Sicherheitsprüfung ab …
# Datenschutz-Einwilligung (ConsentPolicy).
scope-consents = Ihre Datenschutz-Einstellungen sehen
privacy-choices-title = Ihre Datenschutz-Einstellungen
terms-of-service = Nutzungsbedingungen
privacy-policy = Datenschutzerklärung
accept-documents = Ich akzeptiere die Nutzungsbedingungen und habe die Datenschutzerklärung gelesen.
documents-required = Ein Konto können Sie nur anlegen, wenn Sie die Nutzungsbedingungen und die Datenschutzerklärung akzeptieren.
documents-intro = Um diesen Dienst zu nutzen, akzeptieren Sie diese Dokumente:
do-not-sell = Meine personenbezogenen Daten nicht verkaufen oder weitergeben
gpc-honoured = Ihr Browser hat ein Global-Privacy-Control-Signal gesendet: Ihre personenbezogenen Daten werden nicht verkauft oder weitergegeben.
informed-intro = Wir verarbeiten Ihre Daten außerdem zu diesen Zwecken, die nicht von Ihrer Einwilligung abhängen:
basis-consent = Ihre Einwilligung
basis-contract = um den Dienst zu erbringen, für den Sie sich angemeldet haben
basis-legal-obligation = weil das Gesetz es verlangt
basis-vital-interests = um das Leben eines Menschen zu schützen
basis-public-task = für eine Aufgabe im öffentlichen Interesse
basis-legitimate-interests = aufgrund unserer berechtigten Interessen
privacy-consent-title = Ihre Datenschutz-Einstellungen
privacy-consent-intro = Unsere Richtlinie hat sich geändert, oder es ist Zeit, Ihre Einstellungen zu bestätigen. Prüfen Sie sie, bevor Sie fortfahren.
privacy-accept = Akzeptieren und fortfahren
privacy-decline = Ablehnen
privacy-declined-title = Anmeldung nicht möglich
privacy-declined-body = Ohne die Nutzungsbedingungen und die Datenschutzerklärung zu akzeptieren, können Sie sich nicht anmelden. Sie wurden abgemeldet; melden Sie sich wieder an, wann immer Sie sie akzeptieren möchten.
privacy-save = Datenschutz-Einstellungen speichern
privacy-saved = Ihre Datenschutz-Einstellungen wurden gespeichert.
privacy-never-answered = noch nicht akzeptiert
privacy-policy-version = Version der Richtlinie: { $version }
document-accepted-at = akzeptiert (Version { $version }, { $time })
challenge-unavailable = Die Sicherheitsprüfung konnte gerade nicht bestätigt werden. Bitte versuchen Sie es gleich noch einmal.
captcha-intro = Aus diesem Netzwerk sind zu viele Anmeldungen fehlgeschlagen. Bitte bestätigen Sie zuerst, dass Sie ein Mensch sind.

## Datenrechte: Export und Löschung (Kontoseite), Aufbewahrung
your-data = Ihre Daten
your-data-intro = Laden Sie alles herunter, was dieses Konto über Sie speichert, oder löschen Sie das Konto endgültig.
export-title = Ihre Daten herunterladen
export-intro = Eine JSON-Datei mit Ihrem Profil, verknüpften Anmeldediensten, zweiten Faktoren (nie deren Geheimnisse), Sitzungen, Einwilligungen und dem Sicherheitsprotokoll Ihres Kontos.
export-button = Meine Daten herunterladen
delete-account = Konto löschen
delete-title = Ihr Konto löschen
delete-intro = Damit werden Ihr Konto und alles damit Verknüpfte sofort gelöscht: Profil, Anmeldemethoden, Sitzungen und die Anwendungen, bei denen Sie angemeldet sind. Das lässt sich nicht rückgängig machen.
delete-confirm-email = Geben Sie zur Bestätigung Ihre E-Mail-Adresse ein
delete-email-mismatch = Das ist nicht die E-Mail-Adresse dieses Kontos.
delete-button = Mein Konto endgültig löschen
account-erased-title = Ihr Konto ist gelöscht
account-erased-body = Ihr Konto und alles damit Verknüpfte wurden gelöscht. Eine E-Mail an Ihre bisherige Adresse bestätigt es.
account-erased-subject = Ihr Konto wurde gelöscht
account-erased-subject-line = { account-erased-subject } · { $brand }
account-erased-email-body = Ihr Konto und alles damit Verknüpfte wurden gelöscht; diese Adresse wird nicht aufbewahrt. Wenn Sie das nicht veranlasst haben, wenden Sie sich an den Support.
inactivity-warning-subject = Ihr ungenutztes Konto wird gelöscht
inactivity-warning-subject-line = { inactivity-warning-subject } · { $brand }
inactivity-warning-email-body = Sie haben sich lange nicht angemeldet. Ihr Konto und alles damit Verknüpfte werden in { $days } Tagen gelöscht, wenn Sie sich bis dahin nicht anmelden.
keep-account = Anmelden und Konto behalten

passkey-renamed-subject = Ein Passkey wurde umbenannt
passkey-renamed-subject-line = { passkey-renamed-subject } · { $brand }
passkey-renamed-email-body = Einer der Passkeys Ihres Kontos wurde umbenannt. Falls Sie das nicht waren, öffnen Sie Ihr Konto, prüfen Sie Ihre Passkeys und ändern Sie Ihr Passwort.
email-otp-enabled-subject = Codes per E-Mail wurden eingeschaltet
email-otp-enabled-subject-line = { email-otp-enabled-subject } · { $brand }
email-otp-enabled-email-body = Anmeldecodes werden ab jetzt als zweiter Schritt an diese Adresse gesendet. Falls Sie das nicht waren, öffnen Sie Ihr Konto, ändern Sie Ihr Passwort und schalten Sie sie aus.
mfa-address-title = Bestätigen Sie zuerst Ihre E-Mail-Adresse
mfa-address-body = Diese Anmeldung braucht einen Code an Ihre E-Mail-Adresse, und Ihre Adresse ist noch nicht bestätigt. Senden Sie sich den Bestätigungslink, öffnen Sie ihn und setzen Sie dann die Anmeldung fort.
mfa-address-send = Bestätigungslink senden
passkey-default-name = Passkey
mfa-enrol-passkey-required = Ihr Konto braucht einen zweiten Anmeldeschritt, bevor Sie fortfahren können: Erstellen Sie jetzt einen Passkey.
