"""You said, we did: link feedback, ship, tell exactly those customers once each."""

import time

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage
from followups.improvements import before_after, improvement_link, improvement_ship
from followups.models import Improvement, ImprovementNotice
from followups.notices import notice_send
from followups.tasks import send_improvement_notice
from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, ResponseFactory
from tests.helpers import wait_for


@pytest.fixture
def improvement(db):
    return Improvement.objects.create(
        title="Faster support",
        description_en="We now answer within 4 hours.",
        description_nl="We antwoorden nu binnen 4 uur.",
        keywords="slow, wait",
    )


def _asked(improvement, actor, **contact_kwargs):
    contact = ContactFactory(**contact_kwargs)
    first = ResponseFactory(contact=contact, score=3, comment="Support is so slow, I waited three days for a reply")
    second = ResponseFactory(contact=contact, score=5, comment="Still slow")
    improvement_link(improvement=improvement, response_ids=[first.pk, second.pk], actor=actor)
    return contact


def test_shipping_tells_each_linked_contact_once(improvement, admin, mailoutbox):
    ann = _asked(improvement, admin, email="ann@example.com")
    _asked(improvement, admin, email="out@example.com", opted_out_at=timezone.now())
    _asked(improvement, admin, email="gone@example.com", erased_at=timezone.now())
    jan = _asked(improvement, admin, email="jan@example.nl", language="nl")
    assert improvement_ship(improvement=improvement, actor=admin) == 2
    for notice in ImprovementNotice.objects.all():
        notice_send(notice_id=notice.pk)
        notice_send(notice_id=notice.pk)  # a duplicate delivery
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@example.com", "jan@example.nl"]
    english = next(m for m in mailoutbox if m.to == [ann.email])
    assert "We now answer within 4 hours." in english.body and "You told us:" in english.body
    assert "Still slow" in english.body  # the latest comment, shortened when long
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    dutch = next(m for m in mailoutbox if m.to == [jan.email])
    assert "We antwoorden nu binnen 4 uur." in dutch.body
    assert ImprovementNotice.objects.filter(status="sent").count() == 2


def test_an_admin_can_leave_someone_out(improvement, admin, mailoutbox):
    keep = _asked(improvement, admin)
    skip = _asked(improvement, admin)
    improvement_ship(improvement=improvement, actor=admin, exclude_contact_ids=[skip.pk])
    for notice in ImprovementNotice.objects.all():
        notice_send(notice_id=notice.pk)
    assert [m.to[0] for m in mailoutbox] == [keep.email]
    assert ImprovementNotice.objects.get(contact=skip).status == "excluded"


def test_shipping_twice_is_refused(improvement, admin):
    _asked(improvement, admin)
    improvement_ship(improvement=improvement, actor=admin)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        improvement_ship(improvement=improvement, actor=admin)
    assert ImprovementNotice.objects.count() == 1


@pytest.mark.worker
def test_exactly_once_with_a_real_worker_and_duplicate_deliveries(celery_worker, outbox_backend, admin):
    improvement = Improvement.objects.create(title="Clearer invoices", description_en="Invoices list every line.")
    contacts = [_asked(improvement, admin) for _ in range(3)]
    improvement_ship(improvement=improvement, actor=admin)
    ids = list(ImprovementNotice.objects.values_list("pk", flat=True))
    for notice_id in ids * 3:
        send_improvement_notice.delay(notice_id)
    assert wait_for(lambda: ImprovementNotice.objects.filter(status="sent").count() == 3, timeout=30)
    time.sleep(1.5)
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == sorted(c.email for c in contacts)


def test_before_and_after_nps_of_the_customers_who_asked(improvement, admin):
    contact = _asked(improvement, admin)
    improvement.status, improvement.shipped_at = "shipped", timezone.now()
    improvement.save()
    ResponseFactory(contact=contact, score=10)
    change = before_after(improvement)
    assert (change.before.n, change.before.nps) == (2, -100)
    assert (change.after.n, change.after.nps) == (1, 100)


def test_linking_from_a_case_notes_it_on_the_case(client, agent, team_a, improvement):
    case = FollowUpFactory(owner=agent, team=team_a)
    client.force_login(agent)
    client.post(f"/followups/{case.pk}/link/", {"improvement": improvement.pk})
    assert improvement.links.filter(response=case.response).exists()
    assert case.events.filter(kind="linked").exists()


def test_suggestions_match_keywords_and_linking_many_from_the_comment_list(client, agent, team_a, improvement):
    campaign = CampaignFactory(kind="relational", team=team_a)
    slow = ResponseFactory(campaign=campaign, score=4, comment="The app is slow")
    ResponseFactory(campaign=campaign, score=4, comment="Too expensive")
    client.force_login(agent)
    page = client.get(f"/improvements/{improvement.pk}/")
    assert [r.pk for r in page.context["suggestions"]] == [slow.pk]
    client.post("/improvements/link/", {"improvement": improvement.pk, "responses": [slow.pk], "next": "/dashboard/"})
    assert improvement.links.count() == 1


def test_the_ship_page_previews_the_email_and_lists_recipients(client, admin, improvement):
    _asked(improvement, admin, name="Ann Example")
    client.force_login(admin)
    html = client.get(f"/improvements/{improvement.pk}/ship/").content.decode()
    assert "Ann Example" in html and "You said, we did: Faster support" in html
    response = client.post(f"/improvements/{improvement.pk}/ship/")
    assert response.status_code == 302
    improvement.refresh_from_db()
    assert improvement.status == "shipped"


@pytest.mark.parametrize("persona,status", [("viewer", 403), ("agent", 403)])
def test_only_admins_ship(client, personas, improvement, persona, status):
    client.force_login(personas[persona])
    assert client.post(f"/improvements/{improvement.pk}/ship/").status_code == status


def test_an_improvement_is_saved_from_plain_values_with_its_tags(admin, db):
    from core.models import AuditLog
    from followups.improvements import improvement_save
    from followups.models import RootCauseTag

    billing = RootCauseTag.objects.create(name="Billing test", slug="billing-test")
    improvement = improvement_save(actor=admin, title="Clearer invoices", description_en="We fixed it.", tags=[billing])
    improvement = Improvement.objects.get(pk=improvement.pk)
    assert (improvement.created_by, list(improvement.tags.all())) == (admin, [billing])
    improvement_save(actor=admin, improvement_id=improvement.pk, title="Clearer invoices, at last", tags=[])
    improvement.refresh_from_db()
    assert improvement.title == "Clearer invoices, at last" and not improvement.tags.exists()
    assert list(AuditLog.objects.order_by("pk").values_list("action", flat=True)) == [
        "improvement.created",
        "improvement.updated",
    ]


def test_the_ship_page_previews_the_email_exactly_as_it_will_be_sent(client, admin, improvement, mailoutbox):
    Improvement.objects.filter(pk=improvement.pk).update(description_en="")  # only a Dutch text so far
    improvement.refresh_from_db()
    ann = _asked(improvement, admin, email="ann@example.com", language="en")
    client.force_login(admin)
    page = client.get(f"/improvements/{improvement.pk}/ship/").content.decode()
    improvement_ship(improvement=improvement, actor=admin)
    notice_send(notice_id=ImprovementNotice.objects.get(contact=ann).pk)
    sent = mailoutbox[0]
    assert "We antwoorden nu binnen 4 uur." in sent.body  # the Dutch text rather than none
    assert sent.subject in page and "We antwoorden nu binnen 4 uur." in page


@pytest.mark.parametrize("status", ["planned", "in_progress", "shipped", "dropped"])
def test_the_improvement_page_offers_exactly_what_the_services_accept(client, admin, improvement, status):
    from django.core.exceptions import ValidationError

    from followups.improvements import improvement_transition, improvement_unlink

    _asked(improvement, admin)
    Improvement.objects.filter(pk=improvement.pk).update(status=status)
    improvement.refresh_from_db()
    client.force_login(admin)
    html = client.get(f"/improvements/{improvement.pk}/").content.decode()
    offered = {
        "start": "Start work" in html,
        "drop": 'value="dropped"' in html,
        "ship": "Mark shipped" in html,
        "unlink": f"/improvements/{improvement.pk}/unlink/" in html,
    }

    def accepted(action) -> bool:
        try:
            with transaction.atomic():
                action()
                transaction.set_rollback(True)  # only asking
        except ValidationError:
            return False
        return True

    response_id = improvement.links.first().response_id
    assert offered == {
        "start": accepted(lambda: improvement_transition(improvement=improvement, to="in_progress", actor=admin)),
        "drop": accepted(
            lambda: improvement_transition(improvement=improvement, to="dropped", actor=admin, reason="x")
        ),
        "ship": accepted(lambda: improvement_ship(improvement=improvement, actor=admin)),
        "unlink": accepted(lambda: improvement_unlink(improvement=improvement, response_id=response_id, actor=admin)),
    }


# --- #19.12-15: the ship page previews each language, a shipped one shows its state, progress is
# what was really sent, the list's figures have units and links ------------------------------------
def test_the_ship_page_previews_the_email_for_each_language_escaped_in_srcdoc(client, admin, improvement):
    from html import unescape

    _asked(improvement, admin, name="Ann Example", email="ann@example.com", language="en")
    _asked(improvement, admin, name="Jan Voorbeeld", email="jan@example.nl", language="nl")
    _asked(improvement, admin, name="Piet", email="piet@example.nl", language="nl")
    client.force_login(admin)
    html = client.get(f"/improvements/{improvement.pk}/ship/").content.decode()
    assert 'id="preview-en"' in html and 'id="preview-nl"' in html
    frames = [part.split('"', 1)[0] for part in html.split('srcdoc="')[1:]]
    assert len(frames) == 2
    for frame in frames:
        assert "<" not in frame and "&lt;" in frame  # the e-mail's HTML is escaped for the attribute
    english, dutch = (unescape(f) for f in frames)
    assert english.lstrip().lower().startswith("<!doctype html") or "<html" in english
    assert "We now answer within 4 hours." in english and "We antwoorden nu binnen 4 uur." in dutch
    assert "to 2 customers, as Jan Voorbeeld gets it" in html


def test_a_shipped_improvements_ship_page_shows_its_state_and_progress_not_the_button(client, admin, improvement):
    _asked(improvement, admin, email="ann@example.com")
    improvement_ship(improvement=improvement, actor=admin)
    client.force_login(admin)
    html = client.get(f"/improvements/{improvement.pk}/ship/").content.decode()
    assert "Ship and tell them" not in html and "srcdoc" not in html
    assert 'id="ship-state"' in html and "Shipped" in html and 'id="notice-progress"' in html
    assert "<strong>0</strong> of 1 sent" in html and "<strong>1</strong> waiting to be sent" in html


def test_progress_counts_what_the_send_once_ledger_really_sent(improvement, admin, mailoutbox):
    from followups.notices import notice_progress

    ann = _asked(improvement, admin, email="ann@example.com")
    _asked(improvement, admin, email="jan@example.com")
    left_out = _asked(improvement, admin, email="out@example.com")
    improvement_ship(improvement=improvement, actor=admin, exclude_contact_ids=[left_out.pk])
    # A notice marked sent without a sent e-mail in the ledger (what the page used to count) is not sent.
    ImprovementNotice.objects.filter(contact__email="jan@example.com").update(status="sent")
    progress = notice_progress(improvement)
    assert (progress["sent"], progress["queued"], progress["excluded"], progress["percent"]) == (0, 2, 1, 0)
    assert not progress["done"]
    notice_send(notice_id=ImprovementNotice.objects.get(contact=ann).pk)
    progress = notice_progress(improvement)
    assert (progress["sent"], progress["queued"], progress["to_tell"], progress["percent"]) == (1, 1, 2, 50)


def test_the_improvement_list_labels_every_figure_and_links_it(client, admin, improvement, mailoutbox):
    ann = _asked(improvement, admin, email="ann@example.com")
    improvement_ship(improvement=improvement, actor=admin)
    notice_send(notice_id=ImprovementNotice.objects.get(contact=ann).pk)
    ResponseFactory(contact=ann, score=9)
    client.force_login(admin)
    html = client.get("/improvements/").content.decode()
    detail = f"/improvements/{improvement.pk}/"
    assert f'<a href="{detail}#asked">1 customer</a>' in html
    assert f'<a href="{detail}#told">1 e-mail sent</a>' in html
    assert f'<a href="{detail}#answered-again">1 answer</a>' in html
    assert "Answers since shipping: answers those customers gave after it shipped." in html
    page = client.get(detail).content.decode()
    assert 'id="asked"' in page and 'id="told"' in page and 'id="answered-again"' in page


def test_notices_whose_tasks_were_lost_are_sent_by_the_sweep_once_each(improvement, admin, mailoutbox, broker):
    """make chaos: Redis restarted right after shipping, losing every notice task. The minute's sweep
    queues them again in batches (it used to leave them queued for good, then sent them one by one
    itself), and they go out once each however often it runs."""
    from datetime import timedelta

    from freezegun import freeze_time

    from followups.notices import SEND_TASK
    from followups.processing import sweep_lost_work
    from followups.tasks import send_improvement_notices

    ann, bob = _asked(improvement, admin), _asked(improvement, admin)
    improvement_ship(improvement=improvement, actor=admin)  # no commit in this test: the tasks are never queued
    sweep_lost_work()
    assert broker(SEND_TASK) == []  # just shipped: still in its tasks' hands
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        sweep_lost_work(budget=0)  # a run out of time for lost answers still queues the notices first
        sweep_lost_work()
    queued = broker(SEND_TASK)
    notice_ids = sorted(ImprovementNotice.objects.values_list("pk", flat=True))
    assert [sorted(ids) for _task, (ids,) in queued] == [notice_ids, notice_ids]  # each run, until sent
    for _task, (ids,) in queued:
        send_improvement_notices(ids)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([ann.email, bob.email])
    assert ImprovementNotice.objects.filter(status="sent").count() == 2
