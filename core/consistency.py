"""The product's own consistency check (`manage.py check_data`): read-only questions about the stored
data that must all answer "nothing wrong" on a healthy installation, after a crash, a chaos run or a
restore from backup.

No app holds all of it and core imports none of them, so each app registers its checks from its
AppConfig.ready() (as with privacy and retention): a function (Context) -> iterable of Finding. core's
own are here: no row points at a row that is not there (every foreign key of every model), and the
send-once e-mail ledger agrees with the outbox. `run()` reads everything in one read-only snapshot
(PostgreSQL: REPEATABLE READ, READ ONLY; SQLite: query_only), so a check can never write and a
running product cannot make two checks see two different moments.
"""

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from core.models import EmailDelivery, OutboxMessage, RetentionSettings

KEY_HEADER = "X-Kringloop-Key"  # core.mail puts the ledger key on every keyed message
EXAMPLES = 5


@dataclass
class Finding:
    """Something off: `count` rows (or figures) of one kind, with a few examples to look at."""

    check: str
    problem: str
    count: int
    examples: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"check": self.check, "problem": self.problem, "count": self.count, "examples": self.examples}


@dataclass(frozen=True)
class Context:
    """What every check is given. Work younger than `settled_before` may still be in a task's hands
    (a case not opened yet, a webhook not sent yet): it is not counted against the data."""

    now: datetime
    settled_before: datetime


_checks: dict[str, Callable[[Context], Iterable[Finding]]] = {}


def register(name: str, check: Callable[[Context], Iterable[Finding]]) -> None:
    _checks[name] = check


def registered() -> list[str]:
    return list(_checks)


def finding(check: str, problem: str, rows, *, example: str = "pk") -> list[Finding]:
    """A Finding when the queryset (or list) `rows` has any, else nothing; a few examples (the
    field `example` of the first rows, or a list's first items)."""
    count = len(rows) if isinstance(rows, list) else rows.count()
    if not count:
        return []
    if isinstance(rows, list):
        examples = rows[:EXAMPLES]
    else:
        examples = list(rows.values_list(example, flat=True)[:EXAMPLES])
    return [Finding(check, problem, count, [str(e) for e in examples])]


@contextlib.contextmanager
def read_only_snapshot():
    """One transaction that sees one moment and refuses every write; always rolled back (a reader
    has nothing to keep). Inside an outer transaction (a test) it is a savepoint: read-only until
    the savepoint is rolled back, seeing the outer transaction's moment."""
    outer = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if outer:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                else:
                    cursor.execute("SET LOCAL transaction_read_only = on")
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            if connection.vendor == "sqlite":  # on the driver's connection: after an error Django refuses queries
                connection.connection.execute("PRAGMA query_only = OFF")
            transaction.set_rollback(True)


def run(*, grace: timedelta = timedelta(minutes=5), only: Iterable[str] = (), now=None) -> dict[str, list[Finding]]:
    """Every registered check (or those named in `only`), in one read-only snapshot: {name: findings}."""
    now = now or timezone.now()
    context = Context(now=now, settled_before=now - grace)
    wanted = list(only) or registered()
    unknown = [name for name in wanted if name not in _checks]
    if unknown:
        raise KeyError(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(registered())}")
    report = {}
    with read_only_snapshot():
        for name in wanted:
            report[name] = list(_checks[name](context))
    return report


# --- core's own checks -------------------------------------------------------------------------------
def orphans(context: Context) -> list[Finding]:
    """Rows whose foreign key points at a row that is not there, for every foreign key of every model
    (the database enforces most of them; a partial restore or a disabled trigger does not)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for fk in model._meta.concrete_fields:
            if not fk.is_relation or fk.related_model is None:
                continue
            target = fk.related_model
            exists = target._base_manager.filter(**{fk.target_field.attname: OuterRef(fk.attname)})
            rows = model._base_manager.filter(**{f"{fk.attname}__isnull": False}).exclude(Exists(exists))
            found += finding("orphans", f"{model._meta.label}.{fk.name} points at a missing {target._meta.label}", rows)
    return found


def _outbox_in_use() -> bool:
    return settings.EMAIL_BACKEND == "core.mail.OutboxBackend"


def mail_ledger(context: Context) -> list[Finding]:
    """The send-once ledger (EmailDelivery) is consistent in itself, and, when e-mail goes to the
    outbox, with the outbox: each key sent once has exactly one stored message, and no keyed message
    was stored without its ledger row marked sent."""
    check = "mail_ledger"
    found = finding(
        check, "ledger rows marked sent without a time", EmailDelivery.objects.filter(status="sent", sent_at=None)
    )
    if not _outbox_in_use():
        return found
    keyed = OutboxMessage.objects.annotate(key=KeyTextTransform(KEY_HEADER, "headers")).exclude(key=None)
    doubled = keyed.values("key").annotate(n=Count("id")).filter(n__gt=1).order_by()
    found += finding(
        check,
        "e-mails stored more than once under one ledger key",
        list(doubled.values_list("key", flat=True)[:10_000]),
    )
    found += finding(
        check,
        "stored e-mails whose ledger row is not marked sent",
        keyed.exclude(key__in=EmailDelivery.objects.filter(status="sent").values("key")),
        example="key",
    )
    sent = EmailDelivery.objects.filter(status="sent", sent_at__lt=context.settled_before)
    kept_since = RetentionSettings.objects.filter(pk=1).values_list("outbox_days", flat=True).first()
    if kept_since:  # older copies may have been removed by retention on purpose
        sent = sent.filter(sent_at__gte=context.now - timedelta(days=kept_since))
    found += finding(
        check,
        "ledger rows marked sent with no stored e-mail",
        sent.exclude(key__in=keyed.values("key")),
        example="key",
    )
    return found


register("orphans", orphans)
register("mail_ledger", mail_ledger)
