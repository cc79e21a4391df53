"""The read-only open data API, its OpenAPI schema, and a fuzzing run of it."""

import datetime
import html
import re
from urllib.parse import urlencode

import pytest
import schemathesis
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.api.filters import VOCABULARY_ROUTES
from initiatives.api.filters import InitiativeFilter as ApiInitiativeFilter
from initiatives.factories import InitiativeFactory
from initiatives.models import Department, Initiative, Sector, Theme
from initiatives.showcase.filters import InitiativeFilter
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import OrganisationType

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


def slugs(client, params) -> list[str]:
    response = client.get("/api/initiatives/", params)
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_initiatives_filter_by_sdg_search_and_start_year(client, some_published):
    first, second = some_published
    assert slugs(client, {"sdg": 11}) == [first.slug]
    # `search` is kept as an alias of the showcase's `q`.
    assert slugs(client, {"search": "scuola"}) == slugs(client, {"q": "scuola"}) == [second.slug]
    assert slugs(client, {"q": "scuola", "search": "aperta"}) == [second.slug]  # both: each must match
    assert slugs(client, {"q": "scuola", "search": "orti"}) == []
    second.start_date = first.start_date.replace(year=first.start_date.year - 1)
    second.save(update_fields=["start_date"])
    assert slugs(client, {"year": first.start_date.year}) == [first.slug]  # the start year, not "active in"


def test_initiatives_filter_by_sector_department_and_scale(client):
    sector, department = Sector.objects.first(), Department.objects.first()
    wanted = InitiativeFactory(published=True, sectors=[sector], departments=[department], scale="regional")
    InitiativeFactory(published=True, sectors=Sector.objects.exclude(pk=sector.pk)[:1], scale="local")
    params = {"sector": sector.code, "department": department.code, "scale": "regional"}
    assert [i["slug"] for i in client.get("/api/initiatives/", params).json()["results"]] == [wanted.slug]


def test_the_initiative_list_does_not_query_per_row(client, django_assert_num_queries):
    for _ in range(2):
        InitiativeFactory(published=True)
    # count, page, and 9 prefetches (departments, sectors, themes, SDGs,
    # fields of action, public-engagement categories, intervention areas,
    # places, partnerships with organisations).
    with django_assert_num_queries(11):
        client.get("/api/initiatives/")
    for _ in range(8):
        InitiativeFactory(published=True)
    with django_assert_num_queries(11):
        client.get("/api/initiatives/")


def test_a_draft_is_not_found_by_slug(client):
    draft = InitiativeFactory()
    assert client.get(f"/api/initiatives/{draft.slug}/").status_code == 404


def test_the_schema_and_the_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/initiatives/" in schema["paths"]
    parameters = {p["name"]: p for p in schema["paths"]["/api/initiatives/"]["get"]["parameters"]}
    assert {"sector", "department", "sdg", "year", "scale", "search"} <= set(parameters)
    docs = client.get(reverse("api-docs")).content.decode()
    # Nothing loaded from another site (a nonce may spell "cdn" by chance: look at the addresses).
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", docs), "a resource from another site"
    assert "/static/drf_spectacular_sidecar/" in docs


# --- The showcase's filters ---------------------------------------------------------


@pytest.fixture
def catalogue():
    """Published initiatives that the facets tell apart, and two that the API
    must never list (a draft and a working copy)."""
    sectors = list(Sector.objects.filter(is_other=False).order_by("code")[:3])
    themes = list(Theme.objects.order_by("code")[:2])
    departments = list(Department.objects.filter(code__in=["DIST", "DAD", "DENERG"]).order_by("code"))
    fields = list(FieldOfAction.objects.order_by("code")[:2])
    areas = list(InterventionArea.objects.order_by("pk")[:3])
    types = list(OrganisationType.objects.order_by("code")[:2])
    today = timezone.localdate()
    made = []
    for n in range(12):
        initiative = InitiativeFactory(
            published=True,
            title_it=["Orti di quartiere", "Scuola aperta", "Energia di comunità"][n % 3] + f" {n}",
            start_date=datetime.date(2022 + n % 4, 1 + n % 12, 1),
            end_date=None if n % 3 else today - datetime.timedelta(days=30),
            scale=["local", "regional", "national", "international"][n % 4],
            sectors=[sectors[n % 3]],
            themes=[themes[n % 2]] if n % 5 else [],
            departments=[departments[n % 3], departments[(n + 1) % 3]] if n % 2 else [departments[n % 3]],
            sdgs=SDG.objects.filter(number__in=[1 + n % 5, 11]),
            fields_of_action=[fields[n % 2]],
            intervention_areas=[areas[n % 3]],
        )
        PartnershipFactory(initiative=initiative, organisation=OrganisationFactory(type=types[n % 2]))
        made.append(initiative)
    InitiativeFactory(title_it="Orti riservati", sectors=[sectors[0]])  # a draft
    InitiativeFactory(title_it="Orti in revisione", revision_of=made[0], sectors=[sectors[0]])  # a working copy
    return {
        "sectors": sectors,
        "themes": themes,
        "departments": departments,
        "fields": fields,
        "areas": areas,
        "types": types,
    }


def facet_queries(c) -> list[str]:
    """One or more query strings per facet of the showcase, several values
    repeated, and facets combined."""
    queries = {
        "q": [{"q": "orti"}, {"q": "scuola aperta"}],
        "sector": [
            [("sector", c["sectors"][0].code)],
            [("sector", c["sectors"][0].code), ("sector", c["sectors"][1].code)],
        ],
        "theme": [{"theme": c["themes"][1].code}],
        "department": [[("department", "DIST"), ("department", "DAD")], {"department": "DENERG"}],
        "sdg": [{"sdg": 3}, [("sdg", 1), ("sdg", 2)]],
        "field": [{"field": c["fields"][1].pk}],
        "area": [[("area", c["areas"][0].pk), ("area", c["areas"][2].pk)]],
        "partner_type": [{"partner_type": c["types"][0].code}],
        "scale": [[("scale", "local"), ("scale", "national")]],
        "year": [[("year", 2022), ("year", 2025)], {"year": 2023}],
        "status": [{"status": "ongoing"}, {"status": "completed"}],
        "combined": [[("sector", c["sectors"][1].code), ("status", "ongoing"), ("year", 2023), ("year", 2024)]],
    }
    # Every filter of the showcase is exercised here (the sort aside: it is
    # compared below, on every query).
    assert set(queries) - {"combined"} == set(InitiativeFilter.base_filters) - {"sort"}
    return [urlencode(query, doseq=True) for options in queries.values() for query in options]


def showcase_slugs(query: str) -> list[str]:
    filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs.values_list("slug", flat=True))


def test_every_facet_of_the_api_returns_what_the_showcase_filter_returns(client, catalogue):
    total = Initiative.objects.public().count()
    for query in facet_queries(catalogue):
        expected = showcase_slugs(query)
        assert 0 < len(expected) < total, query  # the filter really narrows the list
        assert slugs(client, QueryDict(query)) == expected, query
        for sort in ("title", "start"):
            sorted_query = f"{query}&sort={sort}"
            assert slugs(client, QueryDict(sorted_query)) == showcase_slugs(sorted_query), sorted_query


def test_the_api_filters_are_the_showcase_filters():
    assert issubclass(ApiInitiativeFilter, InitiativeFilter)
    assert set(ApiInitiativeFilter.base_filters) == set(InitiativeFilter.base_filters) | {"search"}


def test_a_bad_filter_value_is_a_400_naming_the_parameter(client, catalogue):
    bad = [
        {"sector": "no-such-sector"},
        {"field": "abc"},
        {"year": "1800"},
        {"status": "someday"},
        {"area": str(2**64)},  # beyond any id column: refused, not an overflow
        {"sdg": "40000"},
    ]
    for params in bad:
        response = client.get("/api/initiatives/", params)
        assert response.status_code == 400, params
        assert set(response.json()) == set(params)


def test_every_filter_is_in_the_schema_with_its_type_and_several_values_allowed(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/initiatives/"]["get"]["parameters"]}
    assert set(ApiInitiativeFilter.base_filters) <= set(parameters)
    for name in ("sector", "theme", "department", "sdg", "field", "area", "partner_type", "scale", "year"):
        assert parameters[name]["schema"]["type"] == "array", name
        assert (parameters[name]["explode"], parameters[name]["style"]) == (True, "form"), name
    assert {name: parameters[name]["schema"]["items"]["type"] for name in ("sdg", "field", "area", "sector")} == {
        "sdg": "integer",
        "field": "integer",
        "area": "integer",
        "sector": "string",
    }
    assert parameters["scale"]["schema"]["items"]["enum"] == ["local", "regional", "national", "international"]
    assert parameters["status"]["schema"] == {"type": "string", "enum": ["ongoing", "completed"]}
    assert parameters["q"]["schema"]["type"] == parameters["search"]["schema"]["type"] == "string"
    assert "/api/vocabularies/intervention-areas/" in parameters["area"]["description"]


def test_the_schema_describes_the_filters_in_the_language_asked(client):
    from django.utils import translation

    def described(lang):
        schema = client.get(reverse("api-schema"), {"lang": lang}, HTTP_ACCEPT="application/json").json()
        operation = schema["paths"]["/api/initiatives/"]["get"]
        return operation["responses"]["400"]["description"], {
            p["name"]: p["description"] for p in operation["parameters"]
        }

    for lang in ("en", "it"):
        with translation.override(lang):
            expected = (translation.gettext("Invalid filter value."), translation.gettext("Sector code."))
        invalid, parameters = described(lang)
        assert invalid == expected[0] and parameters["sector"].startswith(expected[1]), lang
    assert described("en")[0] != described("it")[0]  # the language asked, not the default


def test_the_browsable_api_offers_the_filters_in_the_visitors_language(client, some_published):
    from django.utils import translation

    for lang in ("it", "en"):
        response = client.get("/api/initiatives/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE=lang)
        body = html.unescape(response.content.decode())
        with translation.override(lang):
            labels = [str(f.label) for f in ApiInitiativeFilter.base_filters.values()]
        assert all(f">{label}<" in body or f">{label}:<" in body for label in labels), lang
    with translation.override("it"):
        assert translation.gettext("Start year") != "Start year"  # so the Italian page was in Italian


@pytest.mark.parametrize(
    ("filter_name", "url", "key"),
    [
        ("sector", "/api/vocabularies/sectors/", "code"),
        ("theme", "/api/vocabularies/themes/", "code"),
        ("department", "/api/vocabularies/departments/", "code"),
        ("sdg", "/api/sdgs/", "number"),
        ("field", "/api/vocabularies/fields-of-action/", "id"),
        ("area", "/api/vocabularies/intervention-areas/", "id"),
        ("partner_type", "/api/vocabularies/organisation-types/", "code"),
    ],
)
def test_a_vocabulary_endpoint_lists_every_value_its_filter_accepts(client, filter_name, url, key):
    filter_field = InitiativeFilter.base_filters[filter_name]
    accepted = {getattr(item, filter_field.extra.get("to_field_name") or "pk") for item in filter_field.queryset}
    listed = {item[key] for item in client.get(url).json()}
    assert accepted and listed == accepted


def test_an_inactive_vocabulary_entry_is_listed_and_still_filters(client, catalogue):
    sector = catalogue["sectors"][0]
    Sector.objects.filter(pk=sector.pk).update(is_active=False)
    listed = {item["code"]: item["is_active"] for item in client.get("/api/vocabularies/sectors/").json()}
    assert listed[sector.code] is False
    assert slugs(client, {"sector": sector.code}) == showcase_slugs(f"sector={sector.code}") != []


def test_the_public_engagement_categories_and_intervention_areas_are_listed_with_their_editions(client):
    categories = client.get("/api/vocabularies/pe-categories/").json()
    assert {(c["code"], c["valid_from"], c["valid_to"]) for c in categories} == set(
        PublicEngagementCategory.objects.values_list("code", "valid_from", "valid_to")
    )
    area = InterventionArea.objects.with_vision().order_by("pk").first()
    listed = client.get(f"/api/vocabularies/intervention-areas/{area.pk}/").json()
    assert listed == {
        "id": area.pk,
        "code": area.code,
        "name_it": area.name_it,
        "name_en": area.name_en,
        "vision": area.vision.code,
        "plan": area.vision.plan.code,
    }


def test_an_initiative_carries_its_areas_and_categories_but_no_private_field(client):
    area = InterventionArea.objects.order_by("pk").first()
    category = PublicEngagementCategory.objects.order_by("-valid_from", "code").first()
    initiative = InitiativeFactory(published=True, intervention_areas=[area], pe_categories=[category], budget=1000)

    item = client.get(f"/api/initiatives/{initiative.slug}/").json()

    assert (item["intervention_areas"], item["pe_categories"]) == ([area.pk], [category.code])
    private = {"budget", "external_funding", "state", "people", "participations", "created_by", "revision_of"}
    assert private.isdisjoint(item) and "lead" not in item


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


def only_unknown_vocabulary_entries_are_rejected(ctx, response, case):
    """What schemathesis's "schema-valid data is accepted" check allows, but
    for one refusal: a well-formed value that names no entry of a vocabulary
    (a sector code or an area id that does not exist) is a 400 naming that
    filter. The schema cannot list the entries (staff edit them), so any
    other 400 of a schema-valid request is still a failure."""
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if not positive or response.status_code != 400 or case.operation.path != "/api/initiatives/":
        return None
    rejected = set(response.json())
    assert rejected and rejected <= set(VOCABULARY_ROUTES), f"schema-valid filters rejected: {response.text}"
    for name in rejected:
        sent = case.query[name] if isinstance(case.query[name], list) else [case.query[name]]
        known = {
            str(getattr(e, ApiInitiativeFilter.base_filters[name].extra.get("to_field_name") or "pk"))
            for e in ApiInitiativeFilter.base_filters[name].queryset
        }
        assert not {str(value) for value in sent} <= known, f"known values of {name} rejected: {response.text}"
    return True


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_fails_and_always_matches_its_schema(case, some_published, test_connection_kept):
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance], additional_checks=[only_unknown_vocabulary_entries_are_rejected]
    )


def test_the_fuzzing_check_refuses_a_schema_valid_value_rejected_for_another_reason():
    """The replacement check must fail where it should: a 400 for `year`,
    `scale`... (enumerated in the schema) or for a vocabulary entry that exists."""

    class Response:
        status_code = 400

        def __init__(self, body):
            self.body = body
            self.text = str(body)

        def json(self):
            return self.body

    class Case:
        class operation:
            path = "/api/initiatives/"

        meta = None

        def __init__(self, query):
            self.query = query

    assert only_unknown_vocabulary_entries_are_rejected(None, Response({"sector": ["x"]}), Case({"sector": "nope"}))
    with pytest.raises(AssertionError):
        only_unknown_vocabulary_entries_are_rejected(None, Response({"year": ["x"]}), Case({"year": "2025"}))
    known = Sector.objects.first().code
    with pytest.raises(AssertionError):
        only_unknown_vocabulary_entries_are_rejected(None, Response({"sector": ["x"]}), Case({"sector": [known]}))
