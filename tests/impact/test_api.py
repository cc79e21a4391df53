"""The read-only open data API, its OpenAPI schema, and a fuzzing run of it."""

import pytest
import schemathesis
from django.urls import reverse
from hypothesis import HealthCheck, settings

from impact.models import SDG
from initiatives.factories import InitiativeFactory
from initiatives.models import Department, Sector
from stakeholders.factories import PartnershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_published():
    first = InitiativeFactory(
        published=True,
        title_it="Orti di quartiere",
        summary_it="Orti condivisi nei cortili.",  # not random text: the search test looks for "scuola"
        title_en=None,
        summary_en="",
        keywords="orti, cortili",
        sdgs=SDG.objects.filter(number=11),
    )
    second = InitiativeFactory(published=True, title_it="Scuola aperta", sdgs=SDG.objects.filter(number=4))
    InitiativeFactory(title_it="Bozza riservata")
    PartnershipFactory(initiative=first)
    return first, second


def test_only_published_initiatives_with_public_fields_are_listed(client, some_published):
    data = client.get("/api/initiatives/").json()

    assert sorted(item["title_it"] for item in data["results"]) == ["Orti di quartiere", "Scuola aperta"]
    assert {"budget", "state", "people", "participations", "created_by"}.isdisjoint(data["results"][0])


def test_initiatives_filter_by_sdg_search_and_year(client, some_published):
    first, second = some_published
    assert [i["slug"] for i in client.get("/api/initiatives/", {"sdg": 11}).json()["results"]] == [first.slug]
    assert [i["slug"] for i in client.get("/api/initiatives/", {"search": "scuola"}).json()["results"]] == [second.slug]
    year = first.start_date.year
    slugs = [i["slug"] for i in client.get("/api/initiatives/", {"year": year}).json()["results"]]
    assert first.slug in slugs


def test_initiatives_filter_by_sector_department_and_scale(client):
    sector, department = Sector.objects.first(), Department.objects.first()
    wanted = InitiativeFactory(published=True, sectors=[sector], departments=[department], scale="regional")
    InitiativeFactory(published=True, sectors=Sector.objects.exclude(pk=sector.pk)[:1], scale="local")
    params = {"sector": sector.code, "department": department.code, "scale": "regional"}
    assert [i["slug"] for i in client.get("/api/initiatives/", params).json()["results"]] == [wanted.slug]


def test_the_initiative_list_does_not_query_per_row(client, django_assert_num_queries):
    for _ in range(2):
        InitiativeFactory(published=True)
    # count, page, and 7 prefetches (departments, sectors, themes, SDGs,
    # fields of action, places, partnerships with organisations).
    with django_assert_num_queries(9):
        client.get("/api/initiatives/")
    for _ in range(8):
        InitiativeFactory(published=True)
    with django_assert_num_queries(9):
        client.get("/api/initiatives/")


def test_a_draft_is_not_found_by_slug(client):
    draft = InitiativeFactory()
    assert client.get(f"/api/initiatives/{draft.slug}/").status_code == 404


def test_the_schema_and_the_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/initiatives/" in schema["paths"]
    assert {p["name"] for p in schema["paths"]["/api/initiatives/"]["get"]["parameters"]} >= {
        "sector",
        "department",
        "sdg",
        "year",
        "scale",
        "search",
    }
    docs = client.get(reverse("api-docs")).content.decode()
    assert "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs


def _wsgi_app():
    from pops.wsgi import application

    return application


schema = schemathesis.openapi.from_wsgi("/api/schema/", _wsgi_app())


@pytest.fixture
def test_connection_kept():
    """The WSGI application closes "old" database connections at each request
    (as Django's test client does not): on PostgreSQL that closes the test's
    own transaction. Keep it open, as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_fails_and_always_matches_its_schema(case, some_published, test_connection_kept):
    case.call_and_validate()
