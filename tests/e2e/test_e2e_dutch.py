"""A Dutch-speaking admin works in Dutch: longer words fit their buttons, on a laptop and a phone."""

import pytest
from django.core.management import call_command

from surveys.models import Campaign
from tests.e2e.conftest import LAPTOP, PHONE, axe_violations, login, shot
from tests.helpers import prefers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Buttons, badges and navigation links whose text is cut off or spills out of its box.
CLIPPED = """() => [...document.querySelectorAll('.btn, .badge, .nav-link, .dropdown-item, .page-link')]
  .filter(el => el.offsetParent !== null && (el.scrollWidth > el.clientWidth + 1))
  .map(el => el.textContent.trim())"""
# Words wider than the box they are in, so the browser breaks them mid-word ("Contactmomen-t").
BROKEN_WORDS = """() => {
  const ctx = document.createElement('canvas').getContext('2d'), found = [];
  for (const el of document.querySelectorAll('dt, th, label, .btn, .badge, .nav-link, .breadcrumb-item')) {
    if (el.offsetParent === null || el.matches('.visually-hidden, .visually-hidden-focusable')) continue;
    const s = getComputedStyle(el);
    ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    for (const word of el.textContent.split(/[\\s-]+/))
      if (word && !word.includes('@') && ctx.measureText(word).width > room + 1) found.push(word);
  }
  return found;
}"""
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth + 1"


@pytest.fixture
def dutch_site(live_server, admin):
    call_command("seed_demo", responses=200, contacts=60)
    prefers(admin, "nl")
    return live_server


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_a_dutch_admin_reads_the_staff_pages_in_dutch_and_nothing_is_cut_off(dutch_site, browser, device):
    context = browser.new_context(**(LAPTOP if device == "laptop" else PHONE))
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, dutch_site, "alice-admin")
    campaign = Campaign.objects.filter(channel=Campaign.Channel.EMAIL).order_by("pk").first()
    pages = {
        "campaigns": "/campaigns/",
        "campaign": f"/campaigns/{campaign.pk}/",
        "campaign-form": f"/campaigns/{campaign.pk}/edit/",
        "contacts": "/contacts/",
        "import": "/contacts/import/",
        "users": "/users/",
        "outbox": "/outbox/",
    }
    for name, url in pages.items():
        page.goto(f"{dutch_site.url}{url}")
        assert page.locator("html").get_attribute("lang") == "nl", url
        shot(page, f"nl-{name}-{device}")
        assert page.evaluate(CLIPPED) == [], url
        assert page.evaluate(BROKEN_WORDS) == [], url
        if device == "phone":
            assert not page.evaluate(OVERFLOW), url
        else:
            assert axe_violations(page) == [], url
    page.goto(f"{dutch_site.url}/campaigns/")
    assert page.get_by_role("link", name="Nieuwe campagne").is_visible()
    context.close()
