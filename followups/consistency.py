"""The follow-up loop's part of `manage.py check_data` (core.consistency): every answer that needs a
case has one (followups.routing.wants_followup, the one rule), each case agrees with its answer, the
owner alerts the sweep would send went out, and each "you said, we did" notice agrees with the
send-once ledger."""

from datetime import timedelta

from django.db.models import Exists, F, OuterRef

from core.consistency import Context, finding, register
from core.models import EmailDelivery
from followups import emails, queries, routing
from followups.models import FollowUp, ImprovementNotice
from followups.notices import notice_ledger_key
from surveys.models import Response

CHUNK = 5000


def cases(context: Context) -> list:
    check = "cases"
    # Answers processed at least once and settled (the sweep has had its turn), without a case.
    candidates = (
        Response.objects.filter(followup__isnull=True, submitted_at__lt=context.settled_before)
        .select_related("campaign")
        .only("pk", "category", "campaign_id", "campaign__followup_promoters")
        .order_by("pk")
    )
    missing = [r.pk for r in candidates.iterator(chunk_size=CHUNK) if routing.wants_followup(r)]
    found = finding(check, "answers that need a case and have none", missing)
    settled = FollowUp.objects.filter(
        response__updated_at__lt=context.settled_before, response__processed_at__gte=F("response__updated_at")
    )
    found += finding(
        check, "cases whose category differs from their answer's", settled.exclude(category=F("response__category"))
    )
    found += finding(
        check,
        "cases for another customer than their answer's",
        FollowUp.objects.filter(contact_id__isnull=False).exclude(contact_id=F("response__contact_id")),
    )
    unsent = queries.followups_missing_owner_alert(
        created_from=context.settled_before - timedelta(days=2),
        created_before=context.settled_before,
        held_since=context.settled_before - emails.alert_hold(),
    )
    found += finding(check, "open cases of the last two days whose owner was never alerted", unsent)
    return found


def notices(context: Context) -> list:
    check = "improvement_notices"
    ledger = EmailDelivery.objects.filter(key=OuterRef("key"), kind="improvement_notice")
    rows = ImprovementNotice.objects.annotate(key=notice_ledger_key())
    found = finding(
        check,
        "notices marked sent whose e-mail the ledger has not sent",
        rows.filter(status=ImprovementNotice.Status.SENT).exclude(Exists(ledger.filter(status="sent"))),
    )
    found += finding(
        check,
        "notices still queued though the improvement shipped a while ago",
        rows.filter(status=ImprovementNotice.Status.QUEUED, improvement__shipped_at__lt=context.settled_before),
    )
    found += finding(
        check,
        "notices never sent whose e-mail the ledger has sent",
        rows.exclude(status=ImprovementNotice.Status.SENT).filter(
            Exists(ledger.filter(status="sent", sent_at__lt=context.settled_before))
        ),
    )
    return found


def register_checks() -> None:
    register("cases", cases)
    register("improvement_notices", notices)
