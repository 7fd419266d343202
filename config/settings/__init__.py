"""Kringloop settings: driven by environment variables, one module per concern.

`KRINGLOOP_ENV` names the mode:
- `production` (the default): every secret and host must be given; nothing permissive.
- `development`: `make demo`. SQLite, a broker on the file system, emails to the in-app outbox,
  a secret key generated once per checkout (never committed).
- `test`: `make test`. PostgreSQL and Redis on localhost, as CI has them.
Every variable is listed in README.md.

`DJANGO_SETTINGS_MODULE=config.settings` is this package: it gathers the modules below, read in this
order (a missing required value in production is named by the first module that needs it). Each
module imports what it reads from `base` by name; none reads another's settings otherwise.
- base: the mode, debug, the secret key, allowed hosts, the site's URL
- apps: installed apps, middleware, URL configuration, templates
- database: the database, and reads on a replica
- broker: Redis, the cache, Celery and its queues
- mail: e-mail, the ESP, inbound replies, kudos
- sms: text messages
- auth: passwords, two-factor, passkeys, single sign-on
- i18n: languages, formats, time zone
- static: static files, media, uploads
- security: security headers and cookies, CSP, Permissions-Policy, proxies
- product: the product's rules (KRINGLOOP)
- api: the REST API and its schema
- logs: logging
"""

# isort: off
from config.settings.base import *
from config.settings.apps import *
from config.settings.database import *
from config.settings.broker import *
from config.settings.mail import *
from config.settings.sms import *
from config.settings.auth import *
from config.settings.i18n import *
from config.settings.static import *
from config.settings.security import *
from config.settings.product import *
from config.settings.api import *
from config.settings.logs import *
# isort: on
