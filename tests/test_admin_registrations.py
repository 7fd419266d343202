"""The Django admin shows core's, webhooks' and the API's records; evidence and secrets stay read-only."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives

from api.models import ApiToken
from api.services import token_create
from core.mail import send_once
from tests.factories import TeamFactory
from webhooks.models import Delivery, Endpoint

READ_ONLY = [
    "core/emaildelivery",
    "core/outboxmessage",
    "core/auditlog",
    "webhooks/endpoint",
    "webhooks/delivery",
    "api/apitoken",
]
EDITABLE = ["core/team", "core/userprofile"]


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root-operator", "root@example.com", "x" * 20)


@pytest.fixture
def records(db, admin, outbox_backend):
    TeamFactory(name="Support")
    send_once(key="admin-test", kind="test", message=EmailMultiAlternatives("Hello", "Hi", to=["someone@example.com"]))
    _token, secret = token_create(name="CRM sync", scopes=["contacts:read"], actor=admin)
    endpoint = Endpoint.objects.create(url="https://hooks.example.com/in", events=["response.created"])
    Delivery.objects.create(endpoint=endpoint, event="response.created", body="{}")
    return {"token": secret, "endpoint": endpoint}


@pytest.mark.parametrize("model", READ_ONLY + EDITABLE)
def test_every_model_has_a_working_changelist(client, superuser, records, model):
    client.force_login(superuser)
    assert client.get(f"/django-admin/{model}/").status_code == 200


@pytest.mark.parametrize("model", READ_ONLY)
def test_records_written_by_services_cannot_be_added_or_deleted_in_the_admin(client, superuser, records, model):
    client.force_login(superuser)
    assert client.get(f"/django-admin/{model}/add/").status_code == 403
    app_label, name = model.split("/")
    obj = apps.get_model(app_label, name).objects.first()
    assert obj is not None, model
    assert client.get(f"/django-admin/{model}/{obj.pk}/change/").status_code == 200
    assert client.post(f"/django-admin/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert apps.get_model(app_label, name).objects.filter(pk=obj.pk).exists()


def test_secrets_never_show_in_the_admin(client, superuser, records):
    client.force_login(superuser)
    endpoint = records["endpoint"]
    page = client.get(f"/django-admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page
    token = ApiToken.objects.get()
    page = client.get(f"/django-admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.secret_hash not in page and records["token"] not in page
