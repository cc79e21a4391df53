"""A database that does not answer gives a 503 page that says to try again,
not a 500 traceback page (pops.views.server_error, handler500)."""

import re

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

pytestmark = pytest.mark.django_db


def refuse(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def test_a_database_down_under_a_signed_in_request_answers_the_503_page(django_user_model, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(django_user_model.objects.create_user("researcher", password="x"))
    monkeypatch.setattr(CursorWrapper, "execute", refuse)  # the session, the user: every query fails

    response = client.get("/it/census/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    content = response.content.decode()
    assert "Il servizio è momentaneamente non disponibile" in content
    assert "The service is temporarily unavailable" in content
    assert "Traceback" not in content and "OperationalError" not in content
    # The CSP allows no inline code: the page has none.
    assert not re.search(r"<script|<style|style=", content)


def test_any_other_error_keeps_the_500_page(django_user_model, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(django_user_model.objects.create_user("researcher", password="x"))

    def bug(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(CursorWrapper, "execute", bug)

    response = client.get("/it/census/")

    assert response.status_code == 500
    assert "Si è verificato un errore" in response.content.decode()
