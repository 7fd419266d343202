"""The campaign builder's driver questions in a real browser (#30.8): added in place (htmx), put in
order by dragging a handle and, from the keyboard, with "Move up" / "Move down", removed with an
undo; what is saved is what the page showed."""

import pytest

from surveys.models import Campaign
from tests.e2e.conftest import axe_violations, login, shot, wait_for_js

pytestmark = pytest.mark.e2e


def _fieldset(page, index):
    return page.locator(f"fieldset[data-question]:has(#id_questions-{index}-text)")


def _drag_above(page, source, target):
    """Press the mouse on the source's handle, move a little (the browser starts the drag and the
    questions fold to their titles), then over the top of the target, and let go."""
    handle = source.locator("[data-question-handle]")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x, y - 3 * step)
    wait_for_js(page, "document.querySelector('[data-questions]').classList.contains('questions-sorting')")
    to = target.bounding_box()
    page.mouse.move(to["x"] + 40, to["y"] + 4, steps=10)
    page.mouse.up()


def _titles(page):
    return page.locator("[data-question-number]").all_inner_texts()


def test_an_admin_adds_orders_and_removes_questions_in_place(live_server, laptop, admin):
    page = laptop
    login(page, live_server, "alice-admin")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.fill("#id_name", "Questions in place")
    page.select_option("#id_kind", "relational")
    for index, text in enumerate(["Alpha", "Bravo", "Charlie"]):
        page.click("button:has-text('Add a question')")
        _fieldset(page, index).wait_for()
        wait_for_js(page, f"document.activeElement.id === 'id_questions-{index}-text'")  # the cursor is in it
        page.keyboard.type(text)
        page.select_option(f"#id_questions-{index}-kind", "text")
    assert page.input_value("#id_questions-TOTAL_FORMS") == "3"
    assert _titles(page) == ["Question 1", "Question 2", "Question 3"]
    assert _fieldset(page, 0).locator("button:has-text('Move up')").is_disabled()

    # Drag Charlie by its handle above Alpha.
    _drag_above(page, _fieldset(page, 2), _fieldset(page, 0))
    wait_for_js(
        page, "document.querySelector('[data-question]').contains(document.getElementById('id_questions-2-text'))"
    )
    assert page.input_value("#id_questions-2-ORDER") == "1" and page.input_value("#id_questions-0-ORDER") == "2"

    # From the keyboard: Charlie one place down again, and the move is announced.
    _fieldset(page, 2).locator("button:has-text('Move down')").focus()
    page.keyboard.press("Enter")
    wait_for_js(page, "document.querySelector('[data-questions-status]').textContent.includes('position 2')")
    assert page.evaluate("document.activeElement.textContent").strip() == "Move down"  # focus stays
    assert [page.input_value(f"#id_questions-{i}-ORDER") for i in range(3)] == ["1", "3", "2"]
    assert _titles(page) == ["Question 1", "Question 2", "Question 3"]

    # A review site for promoters, added in place too (#30.9).
    page.click("button:has-text('Add a review site')")
    page.locator("#id_sites-0-name").wait_for()
    page.fill("#id_sites-0-name", "Google")
    page.fill("#id_sites-0-url", "https://reviews.example.com/acme")

    # Remove Bravo, undo, remove it again.
    _fieldset(page, 1).locator("button:has-text('Remove')").click()
    assert _fieldset(page, 1).locator("#id_questions-1-text").is_hidden()
    _fieldset(page, 1).locator("button:has-text('Undo')").click()
    assert _fieldset(page, 1).locator("#id_questions-1-text").is_visible()
    _fieldset(page, 1).locator("button:has-text('Remove')").click()
    shot(page, "campaign-questions")
    assert axe_violations(page) == []

    page.click("button:has-text('Save campaign')")
    page.get_by_role("heading", name="Questions in place").wait_for()
    campaign = Campaign.objects.get(name="Questions in place")
    assert list(campaign.questions.values_list("text", "order")) == [("Alpha", 1), ("Charlie", 2)]
    assert list(campaign.review_sites.values_list("name", "url")) == [("Google", "https://reviews.example.com/acme")]

    # Editing: the saved order comes back; a move with the buttons is saved.
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/edit/")
    assert _titles(page) == ["Question 1", "Question 2"]
    assert page.input_value("#id_questions-0-text") == "Alpha"
    _fieldset(page, 1).locator("button:has-text('Move up')").click()
    page.click("button:has-text('Save campaign')")
    page.get_by_role("heading", name="Questions in place").wait_for()
    assert list(campaign.questions.values_list("text", flat=True)) == ["Charlie", "Alpha"]
