"""Signatures: HMAC-SHA256 over "<t>.<body>"; verify accepts exactly the signed body, in time."""

import hashlib
import hmac

from webhooks.signing import sign, signature_header, verify

SECRET = "whsec_test-secret"
BODY = b'{"id":"d1","type":"ping","data":{}}'
T = 1_767_225_600


def test_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, T) == expected
    assert signature_header([SECRET], BODY, T) == f"t={T},v1={expected}"


def test_it_verifies_a_signed_body():
    assert verify(SECRET, BODY, signature_header([SECRET], BODY, T), now=T + 10)


def test_it_rejects_a_tampered_body():
    header = signature_header([SECRET], BODY, T)
    assert not verify(SECRET, BODY.replace(b"ping", b"pong"), header, now=T)


def test_it_rejects_another_secret():
    assert not verify("whsec_other", BODY, signature_header([SECRET], BODY, T), now=T)


def test_it_rejects_a_stale_or_future_timestamp():
    header = signature_header([SECRET], BODY, T)
    assert verify(SECRET, BODY, header, now=T + 300)
    assert not verify(SECRET, BODY, header, now=T + 301)
    assert not verify(SECRET, BODY, header, now=T - 301)


def test_it_rejects_a_timestamp_changed_after_signing():
    header = signature_header([SECRET], BODY, T).replace(f"t={T}", f"t={T + 60}")
    assert not verify(SECRET, BODY, header, now=T + 60)


def test_it_accepts_any_of_several_signatures_after_a_rotation():
    header = signature_header(["whsec_new", SECRET], BODY, T)
    assert header.count("v1=") == 2
    assert verify(SECRET, BODY, header, now=T)
    assert verify("whsec_new", BODY, header, now=T)


def test_it_rejects_malformed_headers():
    for header in ("", "garbage", f"t={T}", "v1=abc", f"t=soon,v1={sign(SECRET, BODY, T)}", None):
        assert not verify(SECRET, BODY, header, now=T)


def test_the_readme_snippet_verifies_like_the_code():
    """The copy-and-paste verify in README.md ("Webhooks") agrees with webhooks.signing.verify."""
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    [snippet] = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "def verify" in block]
    namespace = {}
    exec(snippet, namespace)
    readme_verify = namespace["verify"]
    now = int(time.time())
    header = signature_header([SECRET], BODY, now)
    assert readme_verify(SECRET, BODY, header) and verify(SECRET, BODY, header)
    rotated = signature_header(["whsec_new", SECRET], BODY, now)
    assert readme_verify(SECRET, BODY, rotated) and readme_verify("whsec_new", BODY, rotated)
    for body, header in [  # noqa: B020
        (BODY + b" ", header),
        (BODY, signature_header([SECRET], BODY, now - 301)),
        (BODY, header.replace("v1=", "v1=0")),
        (BODY, ""),
        (BODY, "t=x,v1=y"),
    ]:
        assert not readme_verify(SECRET, body, header) and not verify(SECRET, body, header)
