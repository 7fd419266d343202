// After a passkey is added (django-otp-webauthn's script), reload the two-factor page to list it.
document.addEventListener("otp_webauthn.register_complete", () => window.location.reload());
