"""Text messages (SMS): the backend and the providers' credentials."""

from config.env import env_choice, env_int, env_str

# core.sms: `outbox` stores each text message with the e-mails at /outbox/ (demo, development),
# `console` prints it, `twilio` and `messagebird` send it through the provider's REST API. The
# provider calls back on /sms/<backend>/status/ (delivery) and /sms/<backend>/inbound/ (STOP).
SMS = {
    "BACKEND": env_choice("SMS_BACKEND", "outbox", ("outbox", "console", "twilio", "messagebird")),
    # The sender: a number in E.164 form, or an alphanumeric sender id of at most 11 characters.
    "FROM": env_str("SMS_FROM", "Kringloop"),
    "DEFAULT_REGION": env_str("SMS_DEFAULT_REGION", "NL"),  # for numbers written without +country code
    "HOURS": env_str("SMS_HOURS", "09:00-20:00"),  # sent only then, in the contact's time zone
    "TIMEOUT": env_int("SMS_TIMEOUT", 10, minimum=1),
    "TWILIO_ACCOUNT_SID": env_str("TWILIO_ACCOUNT_SID", ""),
    "TWILIO_AUTH_TOKEN": env_str("TWILIO_AUTH_TOKEN", ""),
    "TWILIO_MESSAGING_SERVICE_SID": env_str("TWILIO_MESSAGING_SERVICE_SID", ""),  # instead of SMS_FROM
    "TWILIO_API_URL": env_str("TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
    "MESSAGEBIRD_ACCESS_KEY": env_str("MESSAGEBIRD_ACCESS_KEY", ""),
    "MESSAGEBIRD_SIGNING_KEY": env_str("MESSAGEBIRD_SIGNING_KEY", ""),
    "MESSAGEBIRD_API_URL": env_str("MESSAGEBIRD_API_URL", "https://rest.messagebird.com").rstrip("/"),
}
