"""Staff workflow without dead ends (#19.1, 4, 6) in a real browser, on a laptop and a 390 px phone:
an admin adds a rule that lands before the catch-all and moves it in one step; an agent resolves
without a summary, stays on the Status tab with the error by the field, then resolves (htmx, no
reload); the reply tab previews the exact e-mail as the agent types, greeting and signature
editable. Screenshots land in tests/e2e/screenshots/."""

import pytest

from followups.models import FollowUp, FollowUpEvent, RoutingRule
from followups.services import followup_transition
from tests.e2e.conftest import OVERFLOW, axe_violations, login, shot, wait_for_js
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory, RoutingRuleFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _names():
    return list(RoutingRule.objects.order_by("order").values_list("name", flat=True))


def test_a_new_rule_lands_before_the_catch_all_and_moves_in_one_step(live_server, device, admin, team_a):
    name, page = device
    RoutingRuleFactory(order=1, name="VIP customers", segment_key="plan", segment_value="vip", team=team_a)
    RoutingRuleFactory(order=2, name="Everything else", target="round_robin", team=team_a)
    login(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/routing/new/")
    page.fill("#id_name", "Detractors to the queue")
    page.check("input[name=categories][value=detractor]")
    page.select_option("#id_target", "team_queue")
    page.select_option("#id_team", str(team_a.pk))
    page.click("main button:has-text('Save')")
    page.wait_for_selector("text=Saved rule")
    assert _names() == ["VIP customers", "Detractors to the queue", "Everything else"]
    rule = RoutingRule.objects.get(name="Detractors to the queue")
    page.select_option(f"#position-{rule.pk}", "1")
    page.click(f"#rule-{rule.pk} button:has-text('Move')")
    page.wait_for_load_state()
    assert _names() == ["Detractors to the queue", "VIP customers", "Everything else"]
    assert axe_violations(page) == []
    if name == "phone":
        assert page.evaluate(OVERFLOW) == []
    shot(page, f"routing-rules-{name}")


@pytest.fixture
def case(agent, team_a):
    contact = ContactFactory(name="Jan de Vries", language="en", phone="+31 20 123 4567")
    case = FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=3, contact=contact))
    followup_transition(followup=case, to=FollowUp.Status.CONTACTED, actor=agent)
    return case


def test_resolving_keeps_the_tab_and_shows_the_error_by_the_field(live_server, device, agent, case):
    name, page = device
    login(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/followups/{case.pk}/")
    page.evaluate("window.stillThisPage = true")
    page.click("#tab-status")
    page.select_option("#id_status-status", "resolved")
    page.click("button:has-text('Change status')")
    page.wait_for_selector("#id_status-summary.is-invalid")
    assert page.is_visible("#t-status") and page.input_value("#id_status-status") == "resolved"
    assert "needs a resolution summary" in page.inner_text("#t-status")
    shot(page, f"case-resolve-error-{name}")
    page.fill("#id_status-summary", "Refunded the invoice; Jan is happy.")
    page.click("button:has-text('Change status')")
    page.wait_for_selector("#case-ending")
    assert "within the deadline" in page.inner_text("#case-head")
    assert page.evaluate("window.stillThisPage") is True  # updated in place, not reloaded
    assert FollowUp.objects.get(pk=case.pk).status == FollowUp.Status.RESOLVED
    assert axe_violations(page) == []
    if name == "phone":
        assert page.evaluate(OVERFLOW) == []
    shot(page, f"case-resolved-{name}")


def test_the_reply_shows_the_exact_email_before_it_is_sent(live_server, device, agent, case):
    name, page = device
    login(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/followups/{case.pk}/")
    page.click("#tab-reply")
    assert page.input_value("#id_reply-greeting") == "Hello Jan de Vries,"
    page.fill("#id_reply-greeting", "Dear Jan,")
    page.fill("#id_reply-body", "We refunded the invoice.\n\nKind regards, Arthur")
    page.fill("#id_reply-signature", "")
    wait_for_js(
        page, "document.querySelector('#reply-preview pre').textContent.startsWith('Dear Jan,\\n\\nWe refunded')"
    )
    preview = page.inner_text("#reply-preview")
    assert "Hello Jan de Vries" not in preview and "Unsubscribe" in preview
    assert axe_violations(page) == []
    if name == "phone":
        assert page.evaluate(OVERFLOW) == []
    shot(page, f"case-reply-preview-{name}")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector("#case-history >> text=We refunded the invoice.")
    event = FollowUpEvent.objects.get(followup=case, kind="reply")
    assert (event.data["greeting"], event.data["signature"]) == ("Dear Jan,", "")
