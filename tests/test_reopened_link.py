"""The answer link after a click in the e-mail and after an answer.

- Clicking a score opens the form with it chosen; the page says nothing is recorded until the one
  primary button ("Send my score") is pressed; a GET records nothing, and whoever leaves without
  pressing it gets the normal reminder.
- Re-opening an answered link shows the stored answer ("You answered 3 on 5 December") while it may
  still be changed, and the "already answered" page, with the answer, after that.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Invitation, Response
from surveys.reminders import reminders_due
from tests.factories import CampaignFactory, InvitationFactory

ANSWERED_AT = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def invitation(db):
    return InvitationFactory(campaign=CampaignFactory(reminder_after_days=3), contact__language="en")


def _buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', html)


def test_a_clicked_score_is_chosen_and_the_page_says_one_press_records_it(client, invitation):
    html = client.get(f"/s/{invitation.token}/?score=7").content.decode()
    assert re.search(r'id="score-7" value="7"\s+checked', html)
    assert _buttons(html) == ["Send my score"]  # one primary button
    assert "Your score is recorded only when you press “Send my score”." in html
    assert not Response.objects.exists()


def test_the_dutch_page_says_the_same(client, db):
    invitation = InvitationFactory(contact__language="nl")
    html = client.get(f"/s/{invitation.token}/?score=7").content.decode()
    assert _buttons(html) == ["Verstuur mijn score"]
    assert "Uw score wordt pas vastgelegd als u op ‘Verstuur mijn score’ drukt." in html


def test_leaving_without_pressing_it_gets_the_normal_reminder(client, invitation):
    client.get(f"/s/{invitation.token}/?score=7")
    client.head(f"/s/{invitation.token}/?score=7")
    assert reminders_due(now=invitation.sent_at + timedelta(days=4)) == [invitation.pk]
    client.post(f"/s/{invitation.token}/", {"score": "7"})
    assert reminders_due(now=invitation.sent_at + timedelta(days=4)) == []


def _answer(client, invitation, score=3):
    with freeze_time(ANSWERED_AT):
        assert client.post(f"/s/{invitation.token}/", {"score": score}).status_code == 302


def test_a_reopened_link_shows_the_stored_answer_while_it_may_be_changed(client, invitation):
    _answer(client, invitation)
    with freeze_time(ANSWERED_AT + timedelta(days=1)):
        html = client.get(f"/s/{invitation.token}/").content.decode()
    assert "You answered 3 on 5 December." in html
    assert "Change it?" in html and f'href="/s/{invitation.token}/thanks/">Keep my answer' in html
    assert re.search(r'id="score-3" value="3"\s+checked', html)
    assert _buttons(html) == ["Change my score"]
    assert Invitation.objects.get(pk=invitation.pk).response.score == 3  # nothing written by looking


def test_a_reopened_link_in_dutch(client, db):
    invitation = InvitationFactory(contact__language="nl")
    _answer(client, invitation, score=8)
    with freeze_time(ANSWERED_AT + timedelta(hours=2)):
        html = client.get(f"/s/{invitation.token}/?score=9").content.decode()
    assert "U gaf een 8 op 5 december." in html
    assert re.search(r'id="score-9" value="9"\s+checked', html)  # the newly clicked score, to change to
    assert _buttons(html) == ["Wijzig mijn score"]


def test_after_the_change_window_the_already_answered_page_shows_the_answer(client, invitation, settings):
    _answer(client, invitation)
    days = settings.KRINGLOOP["ANSWER_EDIT_DAYS"]
    with freeze_time(ANSWERED_AT + timedelta(days=days + 1)):
        for url in (f"/s/{invitation.token}/", f"/s/{invitation.token}/?score=10", f"/s/{invitation.token}/why/"):
            html = client.get(url).content.decode()
            assert "You already answered" in html and "You answered 3 on 5 December." in html, url
            assert "<form" not in html
