"""Public statistics: charts, tables, CSV downloads and small-group protection."""

import csv
import io
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory
from initiatives.models import Department, Person, Sector
from initiatives.stats import Chart, chart_by_key, neutralise, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Gestione del territorio", "Gestione del territorio"),
        (12, "12"),
    ],
)
def test_csv_cells_that_could_run_as_formulas_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_the_csv_of_a_chart_has_a_header_and_neutralised_rows():
    out = io.StringIO()
    with translation.override("en"):
        write_csv(Chart("x", "X", "bar", [("=cmd()", 3), ("Scuole", 2)]), out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["Category", "Count"], ["'=cmd()", "3"], ["Scuole", "2"]]


def test_gender_is_only_shown_for_groups_of_at_least_the_minimum_size(settings):
    settings.POPS_MIN_GROUP_SIZE = 5
    initiative = InitiativeFactory(published=True, lead=False)
    for _ in range(6):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.FEMALE))
    for _ in range(3):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.MALE))
    translation.activate("en")
    chart = chart_by_key("gender")
    assert chart.rows == [("Female", 6)]
    assert chart.note  # says that small groups are hidden
    # Add two more small groups: together they reach the threshold and show as one.
    for _ in range(2):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.NON_BINARY))
    cache.clear()
    assert dict(chart_by_key("gender").rows) == {"Female": 6, "Other or not shown": 5}


def test_people_in_unpublished_initiatives_are_not_counted():
    draft = InitiativeFactory(lead=False)
    for _ in range(6):
        ParticipationFactory(initiative=draft, person=PersonFactory(gender=Person.Gender.FEMALE))
    assert chart_by_key("gender").rows == []


def test_the_statistics_page_has_a_table_and_a_csv_link_for_each_chart(client):
    InitiativeFactory.create_batch(3, published=True, scale="local")
    response = client.get(reverse("statistics"))
    content = response.content.decode()
    for chart in response.context["charts"]:
        if chart.rows:
            assert f'id="canvas-{chart.key}"' in content
            assert reverse("statistics-csv", kwargs={"key": chart.key}) in content
    assert content.count("<table") >= 5
    download = client.get(reverse("statistics-csv", kwargs={"key": "scales"}))
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert len(rows) == 2 and rows[1][1] == "3"


def test_an_unknown_chart_has_no_csv(client):
    assert client.get(reverse("statistics-csv", kwargs={"key": "nope"})).status_code == 404


def test_the_charts_count_public_initiatives_by_vocabulary_and_year():
    housing, health = Sector.objects.all()[:2]
    department = Department.objects.first()
    for year, sectors in ((2021, [housing]), (2023, [housing, health]), (2023, [health])):
        InitiativeFactory(published=True, sectors=sectors, departments=[department], start_date=date(year, 3, 1))
    InitiativeFactory(sectors=[housing], start_date=date(2019, 3, 1))  # a draft: not counted
    translation.activate("en")
    assert chart_by_key("years").rows == [("2021", 1), ("2023", 2)]
    assert dict(chart_by_key("sectors").rows) == {housing.name: 2, health.name: 2}
    assert chart_by_key("departments").rows == [(department.code, 3)]


def test_the_statistics_reuse_the_counts_of_the_unfiltered_list(client, settings):
    settings.POPS_SHOWCASE_PAGE_CACHE = False
    InitiativeFactory.create_batch(3, published=True)
    client.get(reverse("initiative-list"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("statistics"))
    # People by role and gender: every other chart is a facet of the list.
    assert len(captured.captured_queries) == 1
