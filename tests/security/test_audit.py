"""Security events are logged as JSON lines on `pops.security`, with the
acting user's id and no other personal data."""

import json
import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from impact.anvur import export_record
from impact.models import ExportRecord
from initiatives.factories import DEMO_PASSWORD, InitiativeFactory, UserFactory
from initiatives.models import Initiative
from initiatives.services.workflow import initiative_transition
from pops.audit import JsonFormatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="pops.security")
    logging.getLogger("pops.security").addHandler(caplog.handler)
    yield lambda: [(r.getMessage(), r.security) for r in caplog.records if r.name == "pops.security"]
    logging.getLogger("pops.security").removeHandler(caplog.handler)


def test_logins_failures_lockouts_and_logouts(client, events):
    user = UserFactory(email="persona@polito.it", first_name="Persona", last_name="Riservata")
    client.post("/it/accounts/login/", {"username": user.email, "password": "sbagliata"}, REMOTE_ADDR="10.9.9.9")
    client.post("/it/accounts/login/", {"username": user.email, "password": DEMO_PASSWORD}, REMOTE_ADDR="10.9.9.9")
    client.post("/it/accounts/logout/")
    for n in range(6):
        client.post("/it/accounts/login/", {"username": user.email, "password": f"no-{n}"}, REMOTE_ADDR="10.8.8.8")
    names = [name for name, _data in events()]
    assert names[:3] == ["login_failed", "login", "logout"]
    assert "lockout" in names and "rate_limited" in names
    logged = json.dumps([data for _name, data in events()])
    assert user.email not in logged and "Riservata" not in logged and "10.9.9.9" not in logged
    assert dict(events())["login"]["user_id"] == user.pk


def test_a_permission_denial_is_logged_with_the_user_id(client, events):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    initiative = InitiativeFactory(submitted=True)
    client.get(reverse("admin:initiatives_initiative_review", args=[initiative.pk]))
    assert (
        "permission_denied",
        {
            "user_id": user.pk,
            "method": "GET",
            "path": reverse("admin:initiatives_initiative_review", args=[initiative.pk]),
            "status": 403,
        },
    ) in events()


def test_exports_and_publications_are_logged(events):
    curator = UserFactory(is_staff=True)
    curator.user_permissions.add(*Permission.objects.filter(codename__in=["change_initiative", "view_initiative"]))
    initiative = InitiativeFactory(submitted=True)
    initiative_transition(initiative=initiative, to=Initiative.State.PUBLISHED, by=curator)
    export_record(kind=ExportRecord.Kind.ANVUR, fmt="csv", filters={}, row_count=3, user=curator)
    found = dict(events())
    assert found["publication"] == {"user_id": curator.pk, "initiative_id": initiative.pk, "update": False}
    assert found["export"]["user_id"] == curator.pk and found["export"]["rows"] == 3


def test_each_event_is_one_json_line():
    record = logging.LogRecord("pops.security", logging.INFO, __file__, 1, "login", None, None)
    record.security = {"user_id": 7, "path": "/it/"}
    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["event"] == "login" and json.loads(line)["user_id"] == 7


def test_a_merge_and_its_undo_are_logged(events):
    from decimal import Decimal

    from initiatives.services.merging import initiative_merge, merge_undo

    curator = UserFactory(is_staff=True)
    keep = InitiativeFactory(budget=Decimal("1000"), external_funding=None, end_date=None)
    other = InitiativeFactory(budget=Decimal("1000"), external_funding=None, end_date=None)
    initiative_merge(keep=keep, duplicates=[other], by=curator)
    merge_undo(merge=keep.merges_kept.get(), by=curator)
    found = dict(events())
    assert found["merge"] == {"user_id": curator.pk, "survivor_id": keep.pk, "merged_id": other.pk}
    assert found["merge_undone"] == {"user_id": curator.pk, "survivor_id": keep.pk, "merged_id": other.pk}
