"""Facet counts of the public list: what each count means (checked against
the definition, one filtered count per value), how each facet is cached on its
own, and the helpers the counts are built on."""

import datetime

import factory.random
import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction
from initiatives.factories import InitiativeFactory
from initiatives.models import Department, Initiative, Sector, Theme
from initiatives.showcase import facet_index
from initiatives.showcase import reads as showcase
from initiatives.showcase.filters import InitiativeFilter, in_list
from pops.cache import versions
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import OrganisationType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    facet_index.forget()
    yield
    cache.clear()


def all_facets():
    return showcase.facets_and_count(InitiativeFilter(QueryDict(""), queryset=Initiative.objects.public()))[0]


def linked(model, path: str = "initiatives", key: str = "code") -> list[str]:
    """The values of the entries some initiative (public or not) is linked to."""
    return sorted({str(v) for v in model.objects.filter(**{f"{path}__isnull": False}).values_list(key, flat=True)})


def candidates() -> dict[str, list[str]]:
    """Every value a facet could show for the initiatives of the test."""
    return {
        "sector": linked(Sector),
        "theme": linked(Theme),
        "department": linked(Department),
        "sdg": linked(SDG, key="number"),
        "field": linked(FieldOfAction, key="pk"),
        "area": linked(InterventionArea, key="pk"),
        "partner_type": linked(OrganisationType, "organisations__partnerships"),
        "scale": list(Initiative.Scale.values),
        "year": sorted({str(day.year) for day in Initiative.objects.values_list("start_date", flat=True) if day}),
        "status": [InitiativeFilter.STATUS_ONGOING, InitiativeFilter.STATUS_COMPLETED],
    }


def by_definition(query: str, name: str, value: str) -> int:
    """The initiatives the list would show with `name=value` instead of the
    chosen values of that facet."""
    data = QueryDict(query, mutable=True)
    data.setlist(name, [value])
    return InitiativeFilter(data, queryset=Initiative.objects.public()).qs.count()


@pytest.fixture
def collection():
    """Published initiatives spread over the vocabularies, scales and years,
    and hidden ones (a draft, an archived one, a working copy) that must never
    count."""
    factory.random.reseed_random(2026)
    sectors, themes = list(Sector.objects.all()[:3]), list(Theme.objects.all()[:2])
    departments, sdgs = list(Department.objects.all()[:3]), list(SDG.objects.all()[:4])
    fields, areas = list(FieldOfAction.objects.all()[:2]), list(InterventionArea.objects.all()[:3])
    types = list(OrganisationType.objects.all()[:2])
    today = datetime.date.today()
    rows = []
    for n in range(12):
        start = today - datetime.timedelta(days=200 + 400 * (n % 4))
        initiative = InitiativeFactory(
            published=True,
            title_it=("Orti condivisi " if n % 3 == 0 else "Laboratorio ") + str(n),
            english=False,
            sectors=[sectors[n % 3]] + ([sectors[(n + 1) % 3]] if n % 4 == 0 else []),
            themes=[themes[n % 2]],
            departments=[departments[n % 3]],
            sdgs=sdgs[n % 2 : n % 2 + 1 + n % 3],
            fields_of_action=[fields[n % 2]] if n % 5 else [],
            intervention_areas=[areas[n % 3]],
            scale=["local", "local", "regional", "national", ""][n % 5],
            start_date=start,
            end_date=None if n % 3 == 1 else start + datetime.timedelta(days=100 + 300 * (n % 3)),
        )
        for position in range(n % 3):
            # Two partners of the same type count the initiative once.
            PartnershipFactory(
                initiative=initiative, organisation=OrganisationFactory(type=types[n % 2]), position=position
            )
        rows.append(initiative)
    InitiativeFactory(title_it="Orti in bozza", sectors=[sectors[0]], scale="local")
    InitiativeFactory(archived=True, title_it="Orti archiviati", sectors=[sectors[0]], scale="local")
    InitiativeFactory(submitted=True, revision_of=rows[0], title_it="Orti, copia di lavoro", slug="copia")
    return {"sector": sectors, "department": departments, "sdg": sdgs}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sector={sector0}",
        "sector={sector0}&sector={sector1}&scale=local",
        "sector={sector0}&scale=local&status=ongoing",
        "department={department1}&year={year}&status=completed",
        "scale=local&scale=national&year={year}",
        "q=orti",
        "q=orti&sdg={sdg0}&status=ongoing",
    ],
)
def test_each_facet_counts_what_choosing_that_value_alone_would_show(collection, query):
    query = query.format(
        sector0=collection["sector"][0].code,
        sector1=collection["sector"][1].code,
        department1=collection["department"][1].code,
        sdg0=collection["sdg"][0].number,
        year=datetime.date.today().year - 2,
    )
    filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public())
    facets, count = showcase.facets_and_count(filterset)
    assert count == InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public()).qs.count()
    every = candidates()
    for facet in facets:
        shown = {option.value: option.count for option in facet.options}
        expected = {value: by_definition(query, facet.name, value) for value in every[facet.name]}
        chosen = QueryDict(query).getlist(facet.name)
        if facet.name != "status":  # the status shows both values, even at zero; the others the chosen ones
            expected = {value: n for value, n in expected.items() if n or value in chosen}
        assert shown == expected, facet.name


def test_the_facets_list_values_in_vocabulary_order_and_mark_the_chosen_ones(collection):
    sector = collection["sector"][1]
    filterset = InitiativeFilter(QueryDict(f"sector={sector.code}"), queryset=Initiative.objects.public())
    facet = next(facet for facet in showcase.facets_and_count(filterset)[0] if facet.name == "sector")
    order = list(Sector.objects.values_list("code", flat=True))
    assert [option.value for option in facet.options] == sorted(
        (option.value for option in facet.options), key=order.index
    )
    assert [option.value for option in facet.selected] == [sector.code]


def test_once_the_index_is_built_no_combination_of_facets_counts_in_the_database(collection):
    first, second = collection["sector"][0].code, collection["sector"][1].code
    department = collection["department"][1].code

    def queries(query: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            showcase.facets_and_count(InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public()))
        return [q["sql"] for q in captured.captured_queries]

    # The first request builds the index: the public initiatives, then one
    # query per vocabulary (its entries) and one per link table.
    assert len(queries("")) == 1 + 2 * len(showcase.VOCABULARY_FACETS)
    # Then only the form's check of the chosen entries (one per vocabulary
    # filter with a value) reaches the database; scale, year and status none.
    assert len(queries(f"sector={first}")) == 1
    assert len(queries(f"sector={second}&scale=local&status=ongoing&year=2024")) == 1
    assert len(queries(f"sector={first}&sector={second}&department={department}")) == 2
    assert queries("scale=regional&status=completed") == []


def test_the_index_is_built_with_the_same_queries_whatever_the_number_of_initiatives(collection):
    def build_queries() -> int:
        facet_index.forget()
        with CaptureQueriesContext(connection) as captured:
            showcase.index()
        return len(captured.captured_queries)

    few = build_queries()
    InitiativeFactory.create_batch(15, published=True, sectors=collection["sector"], sdgs=collection["sdg"])
    assert build_queries() == few


def test_publishing_recomputes_every_facet(collection):
    before = showcase.index()
    all_facets()
    InitiativeFactory(published=True, sectors=[collection["sector"][2]])
    facets = all_facets()
    assert showcase.index() is not before
    sectors = {option.value: option.count for option in facets[0].options}
    assert sectors[collection["sector"][2].code] == by_definition("", "sector", collection["sector"][2].code)


def test_classifying_a_public_initiative_or_renaming_an_entry_refreshes_the_facets(collection):
    initiative = Initiative.objects.public().first()
    sector = collection["sector"][2]
    initiative.sectors.remove(sector)
    expected = by_definition("", "sector", sector.code)
    counts = {o.value: o.count for o in all_facets()[0].options}
    assert counts.get(sector.code, 0) == expected
    initiative.sectors.add(sector)
    counts = {o.value: o.count for o in all_facets()[0].options}
    assert counts[sector.code] == expected + 1
    sector.name_it = "Abitare e comunità"
    sector.save()
    facet = all_facets()[0]
    assert "Abitare e comunità" in [option.label for option in facet.options]


def test_the_pages_of_results_follow_the_sort_as_the_database_would(collection):
    for query in ("", "sort=title", "sort=start", "q=orti", "q=orti&sort=title", "scale=local&sort=newest"):
        for page in (0, 1):
            window = slice(page * 5, page * 5 + 5)
            filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public())
            shown = [card.slug for card in showcase.Results(filterset)[window]]
            expected = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.public()).qs[window]
            assert shown == [initiative.slug for initiative in expected], query


def test_a_version_token_survives_no_cache_flush():
    # A counter would restart at 1 after the cache is emptied, and a process
    # could take an index it built long ago for the current one.
    first = showcase.index()
    versions().clear()  # the cache that keeps the token (Redis restarted)
    assert showcase.index() is not first


def searches(captured) -> int:
    """How many of the captured queries ran the text search itself."""
    marker = "websearch_to_tsquery" if connection.vendor == "postgresql" else '"description_en" LIKE'
    return sum(marker in query["sql"] for query in captured.captured_queries)


def test_a_search_runs_once_per_page_and_its_matches_serve_the_next_pages(client, settings, collection):
    settings.POPS_SHOWCASE_PAGE_CACHE = False
    url = reverse("initiative-list") + "?q=orti"
    with CaptureQueriesContext(connection) as first:
        assert "Orti condivisi 0" in client.get(url).content.decode()
    assert searches(first) == 1
    with CaptureQueriesContext(connection) as narrower:
        content = client.get(url + f"&sector={collection['sector'][0].code}").content.decode()
    assert searches(narrower) == 0
    assert "Orti condivisi 0" in content and "Laboratorio" not in content


def test_the_list_counts_its_results_without_a_count_query(client, settings, collection):
    settings.POPS_SHOWCASE_PAGE_CACHE = False
    response = client.get(reverse("initiative-list") + "?scale=local")
    assert response.context["page"].paginator.count == Initiative.objects.public().filter(scale="local").count()


def test_hidden_and_public_initiatives_partition_the_table(collection):
    everything = set(Initiative.objects.values_list("id", flat=True))
    public = set(Initiative.objects.public().values_list("id", flat=True))
    hidden = [set(queryset.values_list("id", flat=True)) for queryset in Initiative.objects.hidden()]
    assert public | hidden[0] | hidden[1] == everything
    assert not public & (hidden[0] | hidden[1])
    assert hidden[0] and hidden[1]  # the draft and archived ones; the working copy


def test_a_list_of_ids_travels_as_one_parameter_whatever_its_length(collection):
    wanted = [initiative.id for initiative in Initiative.objects.public()[:3]]
    ids = [*wanted, *range(10**6, 10**6 + 40_000)]  # more than SQLite takes as parameters
    with CaptureQueriesContext(connection) as captured:
        found = set(Initiative.objects.filter(in_list("id", ids)).values_list("id", flat=True))
    assert found == set(wanted)
    assert len(captured.captured_queries) == 1


def test_facet_names_begin_with_a_capital_in_both_languages(client, collection):
    # "ANVUR field of action" is also a model name, lower case in Italian.
    italian = client.get(reverse("initiative-list"), headers={"accept-language": "it"}).content.decode()
    assert "Campo d&#x27;azione ANVUR" in italian and "campo d&#x27;azione ANVUR" not in italian
    with translation.override("en"):
        english = client.get(reverse("initiative-list")).content.decode()
    assert "ANVUR field of action" in english
    for facet in showcase.facets_and_count(InitiativeFilter(QueryDict(), queryset=Initiative.objects.public()))[0]:
        assert str(facet.label)[0].isupper(), facet.label


def test_the_facet_inputs_escape_every_text_of_the_data(client, collection):
    sector = collection["sector"][0]
    sector.name_it = '<script>alert("x")</script> & co'
    sector.save()
    content = client.get(reverse("initiative-list")).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in content


def test_a_search_finding_nothing_keeps_the_chosen_values_in_the_chips_and_the_panel(client):
    """Two facets and a search giving no result: what was chosen stays, with
    its count at zero, checked in the panel and as a chip, beside a link that
    clears them all."""
    sector, other_sector = Sector.objects.all()[:2]
    InitiativeFactory(published=True, title_it="Orti condivisi", sectors=[sector], scale=Initiative.Scale.LOCAL)
    InitiativeFactory(published=True, title_it="Sportello digitale", sectors=[other_sector])
    with translation.override("en"):
        url = reverse("initiative-list")
        response = client.get(url, {"sector": sector.code, "scale": "local", "q": "zzzqqq"})
    assert response.context["page"].paginator.count == 0
    facets = {facet.name: facet for facet in response.context["facets"]}
    assert [(o.value, o.count) for o in facets["sector"].selected] == [(sector.code, 0)]
    assert [(o.value, o.count) for o in facets["scale"].selected] == [("local", 0)]
    html = response.content.decode()
    assert f'value="{sector.code}" checked' in html
    assert 'value="local" checked' in html
    assert f"Sector: {sector.name_en}" in html
    assert "Search: zzzqqq" in html
    assert f'href="{url}" data-clear-filters>Clear all filters</a>' in html
    assert f'<a href="{url}">clear them all</a>' in html
    # The values nobody chose and nothing matches stay out.
    assert other_sector.code not in {o.value for o in facets["sector"].options}


def test_without_filters_there_is_nothing_to_clear(client):
    InitiativeFactory(published=True)
    assert b"data-clear-filters" not in client.get(reverse("initiative-list")).content
