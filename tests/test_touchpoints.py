"""Touchpoints on a staff page (#19.18): admins create them, order them along the journey in one
step, and name them per language; nobody else may."""

import pytest
from django.utils import translation

from core.models import AuditLog
from surveys.models import Touchpoint
from tests.factories import CampaignFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_seeded_touchpoints(db):
    """Start from an empty journey (a migration seeds five touchpoints)."""
    Touchpoint.objects.all().delete()


def _names():
    return list(Touchpoint.objects.order_by("order", "name").values_list("name", flat=True))


def test_an_admin_creates_a_touchpoint_with_its_dutch_name_last_along_the_journey(client, admin):
    TouchpointFactory(name="Sales", order=0)
    client.force_login(admin)
    form = client.get("/touchpoints/new/").content.decode()
    assert 'name="name_nl"' in form
    response = client.post("/touchpoints/new/", {"name": "Billing", "name_nl": "Facturatie"})
    assert response.status_code == 302 and response["Location"] == "/touchpoints/"
    billing = Touchpoint.objects.get(name="Billing")
    assert billing.translations == {"nl": {"name": "Facturatie"}} and billing.slug == "billing"
    assert _names() == ["Sales", "Billing"]
    with translation.override("nl"):
        assert str(billing) == "Facturatie"
    assert AuditLog.objects.filter(action="touchpoint.created").count() == 1
    page = client.get("/touchpoints/").content.decode()
    assert "Billing" in page and "Facturatie" in page


def test_renaming_keeps_the_slug_and_an_empty_dutch_name_removes_it(client, admin):
    touchpoint = TouchpointFactory(name="Support", translations={"nl": {"name": "Klantenservice"}})
    client.force_login(admin)
    assert 'value="Klantenservice"' in client.get(f"/touchpoints/{touchpoint.pk}/").content.decode()
    client.post(f"/touchpoints/{touchpoint.pk}/", {"name": "Customer care", "name_nl": ""})
    touchpoint.refresh_from_db()
    assert (touchpoint.name, touchpoint.slug, touchpoint.translations) == ("Customer care", "support", {})


def test_a_name_that_is_taken_is_refused_by_the_field(client, admin):
    TouchpointFactory(name="Support")
    client.force_login(admin)
    response = client.post("/touchpoints/new/", {"name": "support", "name_nl": ""})
    assert response.status_code == 400
    assert "Another touchpoint already has this name." in response.content.decode()
    assert Touchpoint.objects.count() == 1


def test_a_touchpoint_moves_to_any_position_in_one_step(client, admin):
    for order, name in enumerate(["Sales", "Onboarding", "Support", "Billing"]):
        TouchpointFactory(name=name, order=order)
    client.force_login(admin)
    billing = Touchpoint.objects.get(name="Billing")
    assert client.post(f"/touchpoints/{billing.pk}/move/", {"position": "2"}).status_code == 302
    assert _names() == ["Sales", "Billing", "Onboarding", "Support"]
    sales = Touchpoint.objects.get(name="Sales")
    client.post(f"/touchpoints/{sales.pk}/move/", {"position": "99"})
    assert _names() == ["Billing", "Onboarding", "Support", "Sales"]
    assert list(Touchpoint.objects.order_by("order").values_list("order", flat=True)) == [0, 1, 2, 3]


def test_the_list_shows_the_journey_with_campaign_counts_and_is_in_the_admin_menu(client, admin):
    support = TouchpointFactory(name="Support", order=1)
    TouchpointFactory(name="Sales", order=0)
    CampaignFactory(touchpoint=support)
    CampaignFactory(touchpoint=support)
    client.force_login(admin)
    response = client.get("/touchpoints/")
    html = response.content.decode()
    assert html.index("Sales") < html.index("Support") and "2 campaigns" in html
    assert any(item["url"] == "/touchpoints/" for item in response.context["admin_items"])


@pytest.mark.parametrize("persona", ["agent", "viewer"])
def test_only_admins_manage_touchpoints(client, personas, persona):
    touchpoint = TouchpointFactory(name="Support")
    client.force_login(personas[persona])
    assert client.get("/touchpoints/").status_code == 403
    assert client.post("/touchpoints/new/", {"name": "X"}).status_code == 403
    assert client.post(f"/touchpoints/{touchpoint.pk}/move/", {"position": "1"}).status_code == 403
