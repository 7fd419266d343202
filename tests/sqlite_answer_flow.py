"""The staff pages of the demo company, the respondent's flow and the follow-up step on SQLite,
as `make demo` runs them.

Run by tests/test_sqlite_demo.py in a process of its own (the test suite's database is
PostgreSQL): `KRINGLOOP_ENV=development KRINGLOOP_DEMO_DIR=<tmp> python -m tests.sqlite_answer_flow`.
Prints one JSON object.
"""

import json
import os
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


# What an admin opens first in the demo; each must answer 200 on SQLite.
STAFF_PAGES = [
    "scoring:dashboard",
    "scoring:dashboard_followup_health",
    "scoring:comment_list",
    "scoring:targets",
    "scoring:export_responses_csv",
    "scoring:export_breakdown_csv",
    "surveys:campaign_list",
    "surveys:campaign_create",
    "surveys:contact_list",
    "surveys:contact_lists",
    "surveys:contact_import",
    "followups:followup_mine",
    "followups:followup_queue",
    "followups:tag_list",
    "followups:routing_rule_list",
    "followups:routing_test",
    "followups:sla_settings",
    "followups:improvement_list",
    "followups:improvement_create",
    "core:outbox",
    "core:audit_log",
    "core:user_list",
    "webhooks:endpoint_list",
    "core:profile",
]


def main() -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from followups.models import FollowUp
    from followups.processing import response_process, sweep_lost_work
    from surveys.models import Campaign, Contact, Invitation, Response

    call_command("seed_demo", responses=400, contacts=40, verbosity=0)
    staff = Client()
    assert staff.login(username="admin", password="demo")
    pages = {}
    for name in STAFF_PAGES:
        pages[name] = staff.get(reverse(name)).status_code
    case = FollowUp.objects.filter(owner__username="agent").order_by("-pk").first()
    campaign_page = Campaign.objects.order_by("pk").first()
    for name, args in (("followups:followup_detail", [case.pk]), ("surveys:campaign_detail", [campaign_page.pk])):
        pages[name] = staff.get(reverse(name, args=args)).status_code
    campaign = Campaign.objects.create(name="Demo check", status=Campaign.Status.ACTIVE)
    invitation = Invitation.objects.create(
        campaign=campaign, contact=Contact.objects.create(email="c@demo.example"), status=Invitation.Status.SENT
    )
    client = Client()
    answered = client.post(f"/s/{invitation.token}/", {"score": 3})
    why = client.get(answered["Location"])
    details = client.post(answered["Location"], {"comment": "Slow support"})
    campaign.anonymous_link_enabled = True
    campaign.save()
    anonymous = client.post(f"/a/{campaign.anonymous_token}/", {"score": 10})
    pages["anonymous_why"] = client.get(anonymous["Location"]).status_code
    response = Response.objects.get(invitation=invitation)
    response_process(response_id=response.pk)
    # An answer whose hand-off was lost: the sweep's batch path (ids as an IN list on SQLite).
    lost = Response.objects.create(
        campaign=campaign,
        score=2,
        category="detractor",
        kind=campaign.kind,
        channel="web",
        submitted_at=timezone.now() - timedelta(minutes=5),
    )
    swept = sweep_lost_work()
    invitation.refresh_from_db()
    return {
        "vendor": connection.vendor,
        "pages": pages,
        "answer_status": answered.status_code,
        "location": answered["Location"],
        "why_status": why.status_code,
        "details_status": details.status_code,
        "comment": Response.objects.get(pk=response.pk).comment,
        "answered_at_is_submitted_at": invitation.answered_at == response.submitted_at,
        "status": invitation.status,
        "case": FollowUp.objects.filter(response=response).exists(),
        "swept": swept,
        "lost_case": FollowUp.objects.filter(response=lost).exists(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
