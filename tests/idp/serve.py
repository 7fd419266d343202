"""Run the test identity provider: `python -m tests.idp.serve SETUP_JSON`.

SETUP_JSON names the client ({"client_id", "client_secret", "redirect_uri"}) and the users
([{"username", "password", "email", "verified"}]). It migrates its SQLite database, creates them,
serves on a free port of 127.0.0.1 and prints "ready <port>".
"""

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    setup = json.loads(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.idp.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    unverified = Group.objects.get_or_create(name="unverified")[0]
    for person in setup["users"]:
        user = User.objects.create_user(person["username"], person["email"], person["password"])
        if not person.get("verified", True):
            user.groups.add(unverified)
    Application.objects.create(
        name="Kringloop",
        client_id=setup["client_id"],
        client_secret=setup["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=setup["redirect_uri"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler)
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
