"""Two POSTs at once on the same link make one response (the database decides, not luck)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from followups.processing import response_process
from surveys.models import Response
from tests.factories import InvitationFactory


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_make_one_response():
    invitation = InvitationFactory()
    barrier = threading.Barrier(4)
    statuses = []

    def post(score):
        try:
            barrier.wait()
            statuses.append(Client().post(f"/s/{invitation.token}/", {"score": score}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(s,)) for s in (2, 4, 6, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [302, 302, 302, 302]
    assert Response.objects.filter(invitation=invitation).count() == 1
    stored = Response.objects.get(invitation=invitation)
    assert stored.score in (2, 4, 6, 8) and stored.category == ("passive" if stored.score == 8 else "detractor")
    invitation.refresh_from_db()
    assert invitation.status == "sent"  # the request wrote the response only
    response_process(response_id=stored.pk)  # what the worker does next
    invitation.refresh_from_db()
    assert invitation.status == "answered" and invitation.answered_at == stored.submitted_at
