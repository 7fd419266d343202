"""A Celery task runs through a real worker on Redis."""

import time

import pytest

from core.models import EmailDelivery, OutboxMessage
from tests.helpers import wait_for


@pytest.mark.worker
def test_test_email_is_sent_once_by_the_worker_even_if_queued_twice(celery_worker, outbox_backend):
    from core.tasks import send_test_email

    send_test_email.delay("ops@example.com", "alice", "test-email:once")
    send_test_email.delay("ops@example.com", "alice", "test-email:once")

    assert wait_for(lambda: OutboxMessage.objects.filter(to="ops@example.com").exists())
    time.sleep(1)  # give the duplicate time to run
    assert OutboxMessage.objects.filter(to="ops@example.com").count() == 1
    assert EmailDelivery.objects.get(key="test-email:once").status == "sent"


def test_admin_queues_a_test_email_from_the_outbox_page(
    client, admin, django_capture_on_commit_callbacks, outbox_backend, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/outbox/test/")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.to == admin.email
    assert "test e-mail requested by alice-admin" in message.body_text
