"""A sample host page on another origin that embeds the widget (`make demo` serves it on PORT+1, and
the browser tests on ports of their own), with an identified demo user signed as a company's back
end would sign them.

The page is as strict as a careful site: its Content-Security-Policy allows scripts only from
itself and from Kringloop, connections only to Kringloop, no inline script or style. The user is
identified with the script tag's data attributes, and a button of the page tracks an event.
"""

import hashlib
import hmac
import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import close_old_connections

from core.models import Team
from surveys.models import Campaign, Touchpoint, WidgetSettings

DEMO_CAMPAIGN = "Website widget"
DEMO_USER = {"id": "demo-42", "email": "widget.demo@example.com"}

TRACK_JS = b"""document.getElementById("checkout").addEventListener("click", function () {
  window.kringloop && window.kringloop("track", "checkout_completed");
  document.getElementById("status").textContent = "Order placed.";
});
"""


def ensure_demo_widget(origins: list[str]) -> WidgetSettings:
    """The demo's widget campaign (created once), answering on these origins, anonymous answers on."""
    campaign, _created = Campaign.objects.get_or_create(
        name=DEMO_CAMPAIGN,
        defaults={
            "kind": Campaign.Kind.TRANSACTIONAL,
            "channel": Campaign.Channel.WIDGET,
            "status": Campaign.Status.ACTIVE,
            "touchpoint": Touchpoint.objects.filter(slug="onboarding").first() or Touchpoint.objects.first(),
            "team": Team.objects.order_by("pk").first(),
            "quiet_period_days": 0,
        },
    )
    widget, _created = WidgetSettings.objects.get_or_create(
        campaign=campaign, defaults={"anonymous": True, "snooze_days": 1, "origins": origins}
    )
    if set(origins) - set(widget.origins):
        widget.origins = sorted(set(widget.origins) | set(origins))
        widget.save(update_fields=["origins"])
    return widget


def sign(secret: str, user_id: str) -> str:
    """What the company's back end does: hex HMAC-SHA256 of the user id with the widget secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def host_page(*, kringloop_url: str, key: str, user: dict | None = None, lang: str = "en") -> bytes:
    attributes = "".join(f' data-user-{name}="{html.escape(str(value))}"' for name, value in (user or {}).items())
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Example shop</title></head><body><main><h1>Example shop</h1>"
        "<p>This page is another site: it embeds the Kringloop widget with one script tag.</p>"
        '<button id="checkout" type="button">Place order</button> <span id="status" role="status"></span>'
        "</main>"
        '<script src="/host.js" defer></script>'
        f'<script src="{html.escape(kringloop_url)}/widget/v1.js" data-campaign="{html.escape(key)}"{attributes} '
        "async></script></body></html>"
    ).encode()


def current_credentials(widget_id: int):
    """What the demo shop's back end knows of its widget, read afresh: the public key and the signing
    secret (so a secret rotated on the campaign's page is used at the next page load)."""

    def read() -> tuple[str, str]:
        try:
            found = WidgetSettings.objects.only("public_key", "secret").get(pk=widget_id)
            return found.public_key, found.secret
        finally:
            close_old_connections()

    return read


def host_pages(*, kringloop_url: str, key: str, secret: str) -> dict[str, bytes]:
    return {
        "/": host_page(kringloop_url=kringloop_url, key=key, user={**DEMO_USER, "signature": sign(secret, "demo-42")}),
        "/anonymous": host_page(kringloop_url=kringloop_url, key=key),
        "/forged": host_page(kringloop_url=kringloop_url, key=key, user={**DEMO_USER, "signature": "0" * 64}),
        "/nl": host_page(
            kringloop_url=kringloop_url,
            key=key,
            lang="nl",
            user={"id": "demo-nl", "email": "widget.nl@example.com", "signature": sign(secret, "demo-nl")},
        ),
    }


class HostServer:
    """Serves the host page (/ identified, /anonymous, /forged, /nl) and its script on 127.0.0.1:port,
    for the widget `key` and `secret`, or those `credentials()` returns at each page load."""

    def __init__(self, *, port: int, kringloop_url: str, key: str = "", secret: str = "", credentials=None):
        credentials = credentials or (lambda: (key, secret))

        def page(path: str) -> bytes | None:
            if path not in ("/", "/anonymous", "/forged", "/nl"):
                return None
            current_key, current_secret = credentials()
            return host_pages(kringloop_url=kringloop_url, key=current_key, secret=current_secret)[path]

        csp = (
            f"default-src 'self'; script-src 'self' {kringloop_url}; connect-src {kringloop_url}; "
            "style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'"
        )

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                if path == "/host.js":
                    body, kind = TRACK_JS, "text/javascript"
                elif (found := page(path)) is not None:
                    body, kind = found, "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Security-Policy", csp)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "HostServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
