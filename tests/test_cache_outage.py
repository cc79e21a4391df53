"""A cache that cannot be reached degrades to no cache: pages are served
uncached, staff still publish, and /healthz says so."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative
from initiatives.services.workflow import initiative_transition
from pops import cache as resilient

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings, monkeypatch):
    redis = {
        "BACKEND": "pops.cache.ResilientRedisCache",
        "LOCATION": UNREACHABLE,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    settings.CACHES = {"default": redis, "versions": redis}
    # Try Redis on every call, as after the pause that follows a failure.
    monkeypatch.setattr(resilient, "RETRY_AFTER", 0.0)
    assert cache.get("anything", "default") == "default"


def test_pages_are_served_uncached_while_the_cache_is_down(client, redis_down, caplog):
    initiative = InitiativeFactory(published=True, title_it="Orti in rete", english=False)
    urls = [
        reverse("home"),
        reverse("initiative-list"),
        reverse("initiative-list") + "?q=orti",
        reverse("initiative-detail", kwargs={"slug": initiative.slug}),
        reverse("initiative-map"),
        reverse("initiative-map-data"),
        reverse("people"),
        reverse("statistics"),
        "/api/initiatives/",
        "/sitemap.xml",
    ]
    with caplog.at_level(logging.WARNING, logger="pops.cache"):
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert "Orti in rete" in client.get(reverse("initiative-list")).content.decode()
    assert any("Cache unreachable" in record.getMessage() for record in caplog.records)


def test_staff_publish_while_the_cache_is_down_and_the_public_sees_it(
    client, redis_down, django_capture_on_commit_callbacks
):
    curator = UserFactory(staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    submitted = InitiativeFactory(submitted=True, title_it="Appena approvata", english=False)
    assert "Appena approvata" not in client.get(reverse("initiative-list")).content.decode()

    # Without a version to trust, the index this process keeps in memory is
    # rebuilt for every request: the publication shows at once.
    with django_capture_on_commit_callbacks(execute=True):
        initiative_transition(initiative=submitted, to=Initiative.State.PUBLISHED, by=curator)

    submitted.refresh_from_db()
    assert submitted.state == Initiative.State.PUBLISHED
    assert "Appena approvata" in client.get(reverse("initiative-list")).content.decode()


def test_the_health_check_reports_the_cache_without_failing(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


def test_after_a_failure_the_cache_is_skipped_for_a_while(redis_down, monkeypatch):
    monkeypatch.setattr(resilient, "RETRY_AFTER", 60.0)
    client = cache._cache  # Django's RedisCacheClient behind the backend
    attempts = []
    original = client.get
    monkeypatch.setattr(client, "get", lambda *args, **kwargs: attempts.append(args) or original(*args, **kwargs))

    assert cache.get("a") is None
    assert cache.get("b", 1) == 1
    cache.set("c", 1)
    assert len(attempts) == 1


def test_when_the_cache_answers_again_the_showcase_starts_afresh(redis_down):
    """What was published during the outage invalidated nothing in Redis: the
    first call that reaches it again replaces the version."""
    from initiatives.showcase.cache import VERSION_KEY

    store = resilient.versions()
    assert store.get(VERSION_KEY) is None  # unreachable: noted

    written = {}

    class Answering:
        def get(self, key, default):
            return written.get(key, default)

        def set(self, key, value, timeout):
            written[key] = value

    store.__dict__["_cache"] = Answering()  # Redis is back
    assert store.get("anything") is None
    assert store.make_key(VERSION_KEY) in written


def test_readiness_names_the_cache_when_it_is_down(client, redis_down):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable" and response.json()["failed"] == ["cache"]
