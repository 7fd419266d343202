"""E-mails of the core app, one function each."""

from core.mail import render_email, send_once


def send_test_email(*, to: str, requested_by: str, key: str):
    message = render_email(template="test_email", context={"requested_by": requested_by}, to=to)
    return send_once(key=key, kind="test_email", message=message)
