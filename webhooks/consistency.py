"""The webhooks' part of `manage.py check_data` (core.consistency): the delivery log agrees with
itself. A delivered delivery has its time and a logged 2xx attempt; a pending one has its next
attempt and attempts left, and is not long overdue (a lost task the sweep should have queued again);
no delivery logged more attempts than it counted."""

from django.db.models import Count, Exists, F, OuterRef, Q

from core.consistency import Context, finding, register
from webhooks.delivery import SWEEP_AFTER
from webhooks.models import Delivery, DeliveryAttempt


def deliveries(context: Context) -> list:
    check = "webhook_deliveries"
    ok = DeliveryAttempt.objects.filter(delivery=OuterRef("pk"), status_code__gte=200, status_code__lt=300)
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED)
    found = finding(check, "deliveries marked delivered without a time", delivered.filter(delivered_at=None))
    found += finding(check, "deliveries marked delivered without a 2xx attempt", delivered.exclude(Exists(ok)))
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    found += finding(
        check,
        "pending deliveries with no next attempt or none left",
        pending.filter(Q(next_attempt_at=None) | Q(attempts__gte=F("max_attempts"))),
    )
    found += finding(
        check,
        "pending deliveries long overdue (their task was lost and not queued again)",
        pending.filter(next_attempt_at__lt=context.settled_before - SWEEP_AFTER).filter(
            Q(claimed_until=None) | Q(claimed_until__lt=context.now)
        ),
    )
    found += finding(
        check,
        "deliveries with more logged attempts than counted",
        Delivery.objects.annotate(logged=Count("attempt_log")).filter(logged__gt=F("attempts")),
    )
    return found


def register_checks() -> None:
    register("webhook_deliveries", deliveries)
