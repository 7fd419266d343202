"""E-mails of the scoring app, one function each."""

from dataclasses import replace

from django.urls import reverse
from django.utils import translation

from core.i18n import user_language
from core.mail import absolute_url, render_email, send_once
from scoring import board_report, queries
from surveys.models import CUSTOMER_KIND_CHOICES, Campaign, Category


def key_figures(filters) -> list[dict]:
    """The NPS of each survey type under the filters, with its change against the period before:
    relational and transactional answer different questions, so they are reported apart."""
    kinds = (
        CUSTOMER_KIND_CHOICES if filters.kind == "all" else [(filters.kind, dict(Campaign.Kind.choices)[filters.kind])]
    )
    rows = []
    for kind, label in kinds:
        change = queries.nps_summary(replace(filters, kind=kind))
        if change.current.n or change.previous.n:
            rows.append({"kind": label, "change": change})
    return rows


def send_scheduled_report(
    *, subscription, user, period, key: str, data: dict, pdf: bytes, file_name: str, unsubscribe_token: str
):
    """One scheduled report to one staff member, in their language, with the key figures inline and
    the board report attached; at most once per period (the ledger key)."""
    filters = data["filters"]
    language = data["reader"].language or user_language(user)
    unsubscribe_url = absolute_url(reverse("scoring:report_unsubscribe", args=[unsubscribe_token]))
    answers = queries.responses(filters)
    with translation.override(language):
        scope = board_report.scope_lines(filters)
    context = {
        "scope": scope,
        "user": user,
        "subscription": subscription,
        "start": period.start,
        "end": period.end,
        "weekly": subscription.frequency == "weekly",
        "rows": key_figures(filters),
        "new_detractors": answers.filter(category=Category.DETRACTOR).count(),
        "overdue": data["sla"]["overdue"],
        "praise": data["praise"],
        "complaints": data["complaints"],
        "personal": data["reader"].personal,
        "dashboard_url": absolute_url(f"{reverse('scoring:dashboard')}?{filters.as_query()}"),
        "detractors_url": absolute_url(
            f"{reverse('scoring:comment_list')}?{filters.as_query(category=Category.DETRACTOR)}"
        ),
        "manage_url": absolute_url(reverse("scoring:report_subscriptions")),
        "unsubscribe_url": unsubscribe_url,
    }
    message = render_email(
        template="scheduled_report",
        context=context,
        to=user.email,
        language=language,
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach(file_name, pdf, "application/pdf")
    return send_once(key=key, kind="scheduled_report", message=message)


def send_nps_alert(*, alert, user, name: str, url: str):
    """An alert on a real drop to one staff member, in their language, once (the ledger key)."""
    language = user_language(user)
    kinds = dict(Campaign.Kind.choices)
    with translation.override(language):
        findings = [{**f, "kind_label": str(kinds.get(f["kind"], f["kind"]))} for f in alert.findings]
    message = render_email(
        template="nps_alert",
        context={"alert": alert, "name": name, "findings": findings, "dashboard_url": url, "user": user},
        to=user.email,
        language=language,
    )
    return send_once(key=f"alert:{alert.pk}:{user.pk}", kind="nps_alert", message=message)
