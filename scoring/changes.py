"""What changed since the last refresh of the rollups, asked by the refresh (scoring.rollup) and,
without taking marks, by every reader (scoring.freshness).

Each source has a mark, the newest change the rollups took in, and a count of the rows within
LATE_COMMIT_MARGIN before it: the local days of responses changed since the watermark
(Response.updated_at), the days of contacts whose attributes changed (segments), the days on which
invitations were sent or answered, and the contacts whose latest answer may have moved. Too many
days or contacts become ALL: recounting everything is then cheaper.

Every refresh recounts the invitations of the last LIVE_INVITATION_DAYS days, whose bounces still
come in without leaving a mark. Limits, on purpose: a bounce reported more than LIVE_INVITATION_DAYS
after sending is counted when that day is next recounted; responses deleted outright are noticed
only within the margin.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from scoring.days import LIVE_INVITATION_DAYS, live_from, local_day
from scoring.models import RollupState
from surveys.models import Contact, Invitation, Response

LATE_COMMIT_MARGIN = timedelta(minutes=5)
FULL_RECOUNT_DAYS = 400  # past this many days (or contacts below), recounting everything is cheaper
FULL_RECOUNT_CONTACTS = 10_000
ALL = None  # a recount of everything


def newest_mark(qs, field_name: str) -> tuple:
    """The newest value of `field_name` and how many rows lie within the margin before it."""
    newest = qs.aggregate(m=Max(field_name))["m"]
    if newest is None:
        return None, 0
    return newest, qs.filter(**{f"{field_name}__gt": newest - LATE_COMMIT_MARGIN}).count()


def _changed(qs, field_name: str, mark, seen: int, *, reader: bool = False, settled=None):
    """Rows changed since `mark` (late commits included), or None when nothing changed.

    `settled`: the last refresh's start less the margin. Every row changed before it had committed
    when that refresh read the source, so when the mark lies before it no row up to the mark can
    still commit late: only rows past the mark are changes, found by the index alone, without
    counting the margin's rows (after a bulk load that is every row loaded, on every page).

    The refresh takes every row within the margin before the mark whenever anything changed. A
    reader takes only the rows past the mark when the margin still holds exactly the rows it held
    (nothing committed late), so a bulk load does not make every page count it all live for five
    minutes. (A late commit while another row of the margin moved past the mark evens the count out:
    a reader then misses that one late row until the next refresh, which takes it.)"""
    if mark is None:
        recent = qs.filter(**{f"{field_name}__isnull": False})
        return recent if recent.exists() else None
    if settled is not None and mark <= settled:
        past = qs.filter(**{f"{field_name}__gt": mark})
        return past if past.exists() else None
    recent = qs.filter(**{f"{field_name}__gt": mark - LATE_COMMIT_MARGIN})
    row = recent.aggregate(
        newest=Max(field_name), count=Count("pk"), behind=Count("pk", filter=Q(**{f"{field_name}__lte": mark}))
    )
    if (row["newest"] is None or row["newest"] <= mark) and row["count"] == seen:
        return None
    if reader and row["behind"] == seen:
        return qs.filter(**{f"{field_name}__gt": mark})
    return recent


def _bounded(values, limit):
    values = set(values[: limit + 1])
    return ALL if len(values) > limit else values


@dataclass
class Work:
    days: set | None = field(default_factory=set)
    contacts: set | None = field(default_factory=set)
    invitation_days: set | None = field(default_factory=set)
    marks: dict = field(default_factory=dict)
    contact_queries: list = field(default_factory=list)  # for a reader: the changed contacts, as subqueries

    def add(self, name: str, values) -> None:
        current = getattr(self, name)
        if current is not ALL:
            setattr(self, name, ALL if values is ALL else current | set(values))


def pending(state: RollupState, now: datetime, *, reader: bool = False) -> Work:
    """What to recount. Each source's new mark is taken before its changed rows are read, so a row
    committed in between is either read now or lies past the mark and is read next time.

    A reader (scoring.freshness) asks the same question to learn what the rollups do not cover
    yet, and takes no marks. Every source is read by an index on its mark's field (Contact's
    contact_updated too), as the worker does once per refresh (every 30 s) and a reader once per page."""
    work = Work()
    settled = state.refreshed_at - LATE_COMMIT_MARGIN if state.refreshed_at is not None else None
    changed = _changed(
        Response.objects.all(), "updated_at", state.watermark, state.watermark_seen, reader=reader, settled=settled
    )
    if changed is not None:
        if not reader:
            work.marks["watermark"] = newest_mark(Response.objects.all(), "updated_at")
        work.add(
            "days",
            _bounded(
                changed.annotate(d=local_day("submitted_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
        if reader:
            work.contact_queries.append(changed.exclude(contact_id=None).values("contact_id"))
        else:
            work.add(
                "contacts",
                _bounded(
                    changed.exclude(contact_id=None).values_list("contact_id", flat=True).distinct().order_by(),
                    FULL_RECOUNT_CONTACTS,
                ),
            )
        work.add(
            "invitation_days",
            changed.exclude(invitation__sent_at=None)
            .annotate(d=local_day("invitation__sent_at"))
            .values_list("d", flat=True)
            .distinct()
            .order_by(),
        )
    # Contacts every time: the worker refreshes every 30 s, and readers must see segment changes at once.
    work.marks["contacts_checked_at"] = (now,)
    changed = _changed(
        Contact.objects.all(), "updated_at", state.contacts_mark, state.contacts_seen, reader=reader, settled=settled
    )
    if changed is not None:
        if not reader:
            work.marks["contacts_mark"] = newest_mark(Contact.objects.all(), "updated_at")
        answers = Response.objects.filter(contact_id__in=changed.values("pk"))
        work.add(
            "days",
            _bounded(
                answers.annotate(d=local_day("submitted_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
        if reader:
            work.contact_queries.append(changed.values("pk"))
        else:
            work.add("contacts", _bounded(changed.values_list("pk", flat=True).order_by(), FULL_RECOUNT_CONTACTS))
        sent = Invitation.objects.filter(contact_id__in=changed.values("pk"), sent_at__isnull=False)
        work.add(
            "invitation_days",
            _bounded(
                sent.annotate(d=local_day("sent_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
    changed = _changed(
        Invitation.objects.all(),
        "sent_at",
        state.invitations_mark,
        state.invitations_seen,
        reader=reader,
        settled=settled,
    )
    if changed is not None:
        if not reader:
            work.marks["invitations_mark"] = newest_mark(Invitation.objects.all(), "sent_at")
        work.add(
            "invitation_days",
            _bounded(
                changed.annotate(d=local_day("sent_at")).values_list("d", flat=True).distinct().order_by(),
                FULL_RECOUNT_DAYS,
            ),
        )
    today = timezone.localdate(now)
    if not reader:
        # The last days' invitations may still bounce, which leaves no mark: every refresh counts
        # them again, so a reader takes them from the rollup too (scoring.freshness.measure).
        work.add("invitation_days", [live_from(today) + timedelta(days=i) for i in range(LIVE_INVITATION_DAYS)])
    frozen_through = live_from(today) - timedelta(days=1)
    if state.invitations_frozen_through is not None and state.invitations_frozen_through < frozen_through:
        # Days that just left the live window are counted once more, with their late bounces.
        first = max(state.invitations_frozen_through, frozen_through - timedelta(days=FULL_RECOUNT_DAYS))
        work.add("invitation_days", [first + timedelta(days=i + 1) for i in range((frozen_through - first).days)])
    work.marks["invitations_frozen_through"] = (frozen_through,)
    return work
