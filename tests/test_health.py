"""/health/: the readiness check the compose health checks use (database,
cache, broker; 200 or 503 naming what failed)."""

import os

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_all_up_on_the_embedded_default(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "eager", "failed": []}
    assert "no-cache" in response["Cache-Control"]


def test_an_unreachable_broker_answers_503_and_names_it(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable" and response.json()["failed"] == ["broker"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of REDIS_URL")
def test_a_reachable_broker_is_ok(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    assert client.get("/health/").json()["broker"] == "ok"


def test_a_database_that_does_not_answer_gives_503_not_a_500(client, monkeypatch):
    from pops import views

    class Broken:
        def __enter__(self):
            raise DatabaseError("connection refused")

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(views.connection, "cursor", lambda: Broken())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable" and "database" in response.json()["failed"]
