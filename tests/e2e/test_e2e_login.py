"""A staff member logs in on a laptop and on a phone; the layout works at both widths."""

import pytest

from tests.e2e.conftest import axe_violations, login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_and_shows_the_navigation_for_the_role(laptop, live_server, admin):
    login(laptop, live_server, "alice-admin")
    laptop.goto(f"{live_server.url}/users/")
    assert laptop.locator("h1").inner_text() == "Users and teams"
    assert laptop.get_by_role("link", name="Campaigns").is_visible()
    shot(laptop, "login-admin-users")


def test_the_login_page_has_no_serious_accessibility_violations(phone, live_server):
    phone.goto(f"{live_server.url}/login/")
    assert axe_violations(phone) == []
    shot(phone, "login-phone")


def test_on_a_phone_the_menu_collapses_behind_a_toggle(phone, live_server, admin):
    login(phone, live_server, "alice-admin")
    phone.goto(f"{live_server.url}/users/")
    outbox = phone.get_by_role("link", name="Campaigns")
    assert not outbox.is_visible()
    phone.get_by_role("button", name="Toggle navigation").click()
    outbox.wait_for(state="visible")
    no_overflow = phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert no_overflow
