"""`seed_demo` makes a demo company worth looking at, and a second run changes nothing."""

from django.contrib.auth import authenticate
from django.core.management import call_command

from core.roles import user_role
from followups.models import FollowUp, Improvement
from surveys.models import Campaign, Contact, Response
from surveys.phones import can_receive_sms, normalise_phone


def test_it_creates_the_demo_company_once(db):
    call_command("seed_demo", responses=600, contacts=60)
    assert Campaign.objects.count() == 4
    assert Contact.objects.count() == 60
    # The text-message campaign, a draft, can be tried at once: two in three contacts have a valid
    # mobile number, stored in E.164 as an import stores it.
    assert Campaign.objects.get(channel="sms").status == "draft"
    phones = [phone for phone in Contact.objects.values_list("phone", flat=True) if phone]
    assert len(phones) == 40 and all(can_receive_sms(p) and normalise_phone(p) == p for p in phones)
    assert Response.objects.count() == 600
    assert {r.touchpoint.slug for r in Response.objects.select_related("touchpoint")} == {
        "renewal",
        "support",
        "onboarding",
    }
    assert set(Response.objects.values_list("language", flat=True)) == {"en", "nl"}
    statuses = set(FollowUp.objects.values_list("status", flat=True))
    assert {"new", "in_progress", "contacted", "resolved", "closed"} <= statuses
    assert Improvement.objects.count() == 2
    # Dutch customers read Dutch titles and texts ("Dankzij uw feedback: …").
    for improvement in Improvement.objects.all():
        assert improvement.title_nl and improvement.description_nl and improvement.description_en

    call_command("seed_demo", responses=600, contacts=60)
    assert Response.objects.count() == 600
    assert Contact.objects.count() == 60


def test_demo_logins_have_their_roles(db):
    call_command("seed_demo", responses=50, contacts=10)
    for username in ("admin", "agent", "viewer"):
        user = authenticate(username=username, password="demo")
        assert user is not None
        assert user_role(user) == username


def test_every_response_carries_touchpoint_channel_and_a_score_in_range(db):
    call_command("seed_demo", responses=300, contacts=30)
    assert not Response.objects.filter(touchpoint__isnull=True).exists()
    assert not Response.objects.filter(score__gt=10).exists()
    for response in Response.objects.all()[:100]:
        expected = "promoter" if response.score >= 9 else "passive" if response.score >= 7 else "detractor"
        assert response.category == expected


def test_the_sweep_finds_nothing_to_do_in_the_demo_data(db):
    """Seeded answers count as processed: starting the demo must not open cases for old answers."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    from followups.processing import sweep_lost_work

    call_command("seed_demo", responses=600, contacts=60)
    cases = FollowUp.objects.count()
    with freeze_time(timezone.now() + timedelta(minutes=5)):
        assert sweep_lost_work() == 0
    assert FollowUp.objects.count() == cases


def test_the_demo_has_accounts_with_revenue_owners_renewals_and_some_churn(db):
    from surveys.models import Account, AccountRevenueDay

    call_command("seed_demo", responses=3000, contacts=300)
    accounts = Account.objects.all()
    assert accounts.count() == 100  # at most one for every three contacts (150 with the demo's 500)
    assert not accounts.filter(arr__isnull=True).exists() and not accounts.filter(owner__isnull=True).exists()
    assert accounts.filter(renewal_date__isnull=False).count() == 100
    assert 3 <= accounts.filter(status="churned").count() <= 50
    assert {"promoter", "passive", "detractor", "at_risk"} & set(accounts.values_list("health", flat=True))
    assert Contact.objects.filter(account__isnull=True).exclude(company="").exists()  # for the proposals page
    assert Contact.objects.filter(account_role="decision_maker").count() >= 100
    assert AccountRevenueDay.objects.exists()
    call_command("seed_demo", responses=3000, contacts=300)
    assert Account.objects.count() == 100


def test_demo_comments_say_which_why_they_answered_and_cases_lie_in_the_past(db):
    """#23 on the demo: the relational campaign asks each category its own "why", stored with each
    comment in the respondent's language; agents' root causes follow the comments (so suggestions
    learned from them have something to learn); no case was contacted or closed in the future."""
    from django.utils import timezone

    call_command("seed_demo", responses=600, contacts=60)
    relational = Campaign.objects.get(name="Quarterly relationship NPS")
    asked = set(
        Response.objects.filter(campaign=relational, category="passive", language="nl")
        .exclude(comment="")
        .values_list("why_asked", flat=True)
    )
    assert asked == {"Wat zou er een 10 van maken?"}
    answers = Response.objects.filter(campaign=relational)
    assert not answers.exclude(comment="").filter(why_asked="").exists()
    assert not answers.filter(comment="").exclude(why_asked="").exists()
    price = FollowUp.objects.filter(response__comment__icontains="expensive", tags__slug__isnull=False)
    assert price.exists() and price.filter(tags__slug="price").count() > price.count() / 2
    now = timezone.now()
    assert not FollowUp.objects.filter(first_contact_at__gt=now).exists()
    assert not FollowUp.objects.filter(closed_at__gt=now).exists()
