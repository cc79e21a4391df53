"""Arbitrary query strings do not fill the page cache: only canonical URLs
(known parameters, valid values) are kept."""

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from initiatives.factories import InitiativeFactory
from initiatives.models import Sector

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _countable_cache(settings):
    """A per-process cache whose keys can be counted, whatever REDIS_URL says:
    what is measured is which pages the portal stores, not the backend."""
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "page-cache-test"}
    settings.CACHES = {**settings.CACHES, "default": {**local}, "versions": {**local, "LOCATION": "page-cache-v"}}
    cache.clear()


def page_keys() -> int:
    return sum(":page:" in key for key in cache._cache)


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def showcase():
    sector = Sector.objects.first()
    InitiativeFactory(published=True, sectors=[sector])
    return sector


def test_known_parameters_with_valid_values_are_cached_in_any_order(client, showcase):
    url = reverse("initiative-list")
    client.get(f"{url}?scale=local&sector={showcase.code}&page=1")
    before = page_keys()
    assert queries_of(client, f"{url}?sector={showcase.code}&page=1&scale=local") == 0
    assert queries_of(client, f"{url}?sector={showcase.code}&scale=local&scale=local&page=1&year=") == 0
    assert page_keys() == before


@pytest.mark.parametrize(
    "query",
    [
        "utm_source={}",
        "sector={}",
        "scale={}",
        "year=1{}",
        "page={}",
        "page=0{}",
        "q={}",
        "sort=newest&x={}",
    ],
)
def test_arbitrary_query_strings_add_no_cached_page(client, showcase, query):
    url = reverse("initiative-list")
    client.get(url)
    before = page_keys()
    for _n in range(20):
        assert client.get(f"{url}?{query.format(uuid.uuid4().hex)}").status_code in (200, 404)
    assert page_keys() == before


@pytest.mark.parametrize("name", ["home", "statistics"])
def test_pages_without_parameters_are_cached_only_without_a_query_string(client, showcase, name):
    url = reverse(name)
    client.get(url)
    before = page_keys()
    assert queries_of(client, url) == 0
    for _n in range(10):
        client.get(f"{url}?{uuid.uuid4().hex}=1")
    assert page_keys() == before


def test_map_data_with_unknown_parameters_shares_the_unfiltered_entry(client, showcase):
    url = reverse("initiative-map-data")
    client.get(url)
    client.get(f"{url}?x=1")  # and the valid values of each filter, once
    before = len(cache._cache)
    for _n in range(10):
        client.get(f"{url}?sector={uuid.uuid4().hex}&x={uuid.uuid4().hex}")
    assert len(cache._cache) == before
