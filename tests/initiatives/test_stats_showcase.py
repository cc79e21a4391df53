"""Public statistics: charts, tables, CSV downloads and small-group protection."""

import csv
import io
import itertools
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory
from initiatives.models import Department, Person, Sector
from initiatives.showcase.stats import Chart, _private, _private_beside_public, chart_by_key, write_csv

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
    # Through the portal's one spreadsheet writer (pops.spreadsheets).
    out = io.BytesIO()
    write_csv(Chart("x", "X", "bar", [(value, 1)]), out)
    assert list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))[1] == [expected, "1"]


def test_the_csv_of_a_chart_has_a_header_and_neutralised_rows():
    out = io.BytesIO()
    with translation.override("en"):
        write_csv(Chart("x", "X", "bar", [("=cmd()", 3), ("Scuole", 2)]), out)
    assert list(csv.reader(io.StringIO(out.getvalue().decode()))) == [
        ["Category", "Count"],
        ["'=cmd()", "3"],
        ["Scuole", "2"],
    ]


def test_gender_is_only_shown_for_groups_of_at_least_the_minimum_size(settings):
    settings.POPS_MIN_GROUP_SIZE = 5
    initiative = InitiativeFactory(published=True, lead=False)
    for _ in range(6):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.FEMALE))
    for _ in range(3):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.MALE))
    translation.activate("en")
    chart = chart_by_key("gender")
    # "Female 6" alone would give away "Male 3" (the role chart counts 9 people);
    # "Female 6, Other 3" as well: with no other group to fold, nothing is shown.
    assert chart.rows == []
    assert "not shown" in chart.note
    # Add two more small groups: together they reach the threshold and show as one.
    for _ in range(2):
        ParticipationFactory(initiative=initiative, person=PersonFactory(gender=Person.Gender.NON_BINARY))
    cache.clear()
    chart = chart_by_key("gender")
    assert dict(chart.rows) == {"Female": 6, "Other or not shown": 5}
    assert "Other or not shown" in chart.note


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


# --- Small groups cannot be worked out by subtraction ------------------------------

OTHER = "Other or not shown"
FEMALE, MALE, NON_BINARY, UNDISCLOSED = (g for g, _label in Person.Gender.choices)
RESEARCHER, PHD, STAFF, STUDENT = (
    Person.Role.RESEARCHER,
    Person.Role.PHD_STUDENT,
    Person.Role.STAFF,
    Person.Role.STUDENT,
)


def distributions(categories: int, total: int):
    """Every way of splitting `total` people among `categories` groups."""
    if categories == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in distributions(categories - 1, total - first):
            yield (first, *rest)


@pytest.mark.parametrize(("categories", "minimum"), [(2, 5), (3, 5), (4, 5), (5, 5), (3, 2), (4, 3), (5, 4)])
def test_no_group_under_the_minimum_can_be_worked_out_from_a_chart_of_people(settings, categories, minimum):
    """An attacker knows the rule, the labels and the number of people (the
    total of the other chart of people). For each possible chart, every split
    of the people that gives that same chart is a candidate: no group under
    the minimum may have the same size in all of them."""
    settings.POPS_MIN_GROUP_SIZE = minimum
    translation.activate("en")
    labels = [f"group {i}" for i in range(categories)]
    candidates = defaultdict(list)  # (people, rows shown) -> the true splits behind it
    for people in range(4 * minimum + 2):
        for split in distributions(categories, people):
            rows, protected = _private(list(zip(labels, split, strict=True)))
            values = [n for _label, n in rows]
            # Every chart adds up to the number of people, or shows nothing.
            assert sum(values) in (0, people), (split, rows)
            assert rows or not people or protected, split
            # Every number shown is at least the minimum, the folded group too.
            assert all(n >= minimum for n in values), (split, rows)
            assert protected == any(label == OTHER for label, _n in rows) or not rows, (split, rows)
            for label, n in zip(labels, split, strict=True):
                if n >= minimum and not protected:
                    assert (label, n) in rows, (split, rows)
            candidates[people, tuple(rows)].append(split)
    for (people, rows), splits in candidates.items():
        for index, label in enumerate(labels):
            sizes = {split[index] for split in splits}
            if len(sizes) == 1:
                (size,) = sizes
                assert size == 0 or size >= minimum, f"{label} = {size} is readable from {rows} with {people} people"


def test_the_example_of_a_leak_is_closed(settings):
    settings.POPS_MIN_GROUP_SIZE = 5
    with translation.override("en"):
        # Female 6, Male 3: once "Female 6" (the roles showed 9 people).
        assert _private([("Female", 6), ("Male", 3)]) == ([], True)
        # A small group joins the smallest other group, not the largest.
        assert _private([("Female", 20), ("Male", 6), ("Non-binary", 3), ("Prefer not to say", 0)]) == (
            [("Female", 20), (OTHER, 9)],
            True,
        )
        # Small groups that reach the minimum together fold alone.
        assert _private([("Female", 7), ("Male", 8), ("Non-binary", 2), ("Prefer not to say", 3)]) == (
            [("Female", 7), ("Male", 8), (OTHER, 5)],
            True,
        )
        assert _private([("Female", 7), ("Male", 8)]) == ([("Female", 7), ("Male", 8)], False)
        assert _private([]) == ([], False)
        # "Non-binary 5, Other 8" would tell Female 4 and Male 4: had either
        # been 5 or more, the rule would have shown it, or folded Non-binary.
        assert _private([("Female", 4), ("Male", 4), ("Non-binary", 5)]) == ([], True)


@pytest.mark.parametrize(("categories", "minimum"), [(2, 3), (3, 3), (3, 4)])
def test_no_group_under_the_minimum_can_be_worked_out_with_the_public_directory(settings, categories, minimum):
    """As above, when the attacker also knows some people of each group one by
    one (the directory shows the role of those who opted in): the size of the
    rest of a group must not be readable either."""
    settings.POPS_MIN_GROUP_SIZE = minimum
    translation.activate("en")
    labels = [f"group {i}" for i in range(categories)]
    candidates = defaultdict(list)  # (public people, people, rows shown) -> the others behind it
    for public in itertools.product(range(minimum + 2), repeat=categories):
        for people in range(3 * minimum + 1):
            for others in distributions(categories, people):
                counts = [p + o for p, o in zip(public, others, strict=True)]
                rows, protected = _private_beside_public(list(zip(labels, counts, strict=True)), list(public))
                values = [n for _label, n in rows]
                assert sum(values) in (0, sum(counts)), (public, others, rows)
                assert all(n >= minimum for n in values), (public, others, rows)
                # A shown group minus its public people: 0 or at least the minimum.
                for label, n in rows:
                    if label != OTHER:
                        rest = n - public[labels.index(label)]
                        assert rest == 0 or rest >= minimum or not any(others), (public, others, rows)
                candidates[public, people, tuple(rows)].append(others)
    for (public, _people, rows), splits in candidates.items():
        for index, label in enumerate(labels):
            sizes = {split[index] for split in splits}
            if len(sizes) == 1:
                (size,) = sizes
                assert size == 0 or size >= minimum, f"{label}: {size} not public, from {rows} and {public}"


def test_people_in_the_directory_are_not_subtracted_from_the_roles(settings):
    settings.POPS_MIN_GROUP_SIZE = 5
    with translation.override("en"):
        counts = [("Researcher", 10), ("PhD student", 6), ("Staff", 6)]
        # 4 of the 6 PhD students are in the directory: "PhD student 6" would
        # tell that 2 more are not.
        rows, protected = _private_beside_public(counts, [0, 4, 0])
        assert protected and rows == [("Researcher", 10), (OTHER, 12)]
        assert _private_beside_public(counts, [0, 6, 0]) == (counts, False)
        assert _private_beside_public(counts, [0, 1, 0]) == (counts, False)


def people_in_public_initiatives(groups: dict[tuple[str, str] | tuple[str, str, bool], int]) -> int:
    """`groups[role, gender]` people (`groups[role, gender, True]`: in the
    directory), in two published initiatives (some in both: each counts once),
    and people in a draft, who do not count."""
    first, second = InitiativeFactory.create_batch(2, published=True, lead=False)
    draft = InitiativeFactory(lead=False)
    ParticipationFactory.create_batch(3, initiative=draft, person__role=PHD, person__gender=MALE)
    for index, ((role, gender, *listed), n) in enumerate(groups.items()):
        for number in range(n):
            person = PersonFactory(role=role, gender=gender, public_profile=bool(listed))
            ParticipationFactory(initiative=first if number % 2 else second, person=person)
            if (index + number) % 3 == 0:
                ParticipationFactory(initiative=second if number % 2 else first, person=person)
    return sum(groups.values())


# (role, gender) -> people
DISTRIBUTIONS = {
    # The leak as reported: genders Female 6, Male 3; all researchers.
    "female 6, male 3": {(RESEARCHER, FEMALE): 6, (RESEARCHER, MALE): 3},
    # A small gender group must take the smallest large one with it.
    "one small gender": {(RESEARCHER, FEMALE): 10, (PHD, MALE): 6, (STAFF, NON_BINARY): 3},
    # Small groups that reach the minimum together, in both charts.
    "small groups together": {
        (RESEARCHER, FEMALE): 6,
        (RESEARCHER, MALE): 2,
        (PHD, MALE): 5,
        (STAFF, NON_BINARY): 2,
        (STUDENT, UNDISCLOSED): 3,
    },
    # A small role group only: the gender chart shows everything.
    "small role": {(RESEARCHER, FEMALE): 5, (RESEARCHER, MALE): 4, (PHD, MALE): 3, (STUDENT, FEMALE): 1},
    # Fewer people than the minimum: nothing can be shown.
    "too few people": {(RESEARCHER, FEMALE): 2, (PHD, MALE): 2},
    "exactly the minimum": {(RESEARCHER, FEMALE): 5},
    # 4 PhD students in the directory, 2 not: the role chart must not tell the 2.
    "some in the directory": {
        (RESEARCHER, FEMALE): 6,
        (RESEARCHER, MALE): 4,
        (PHD, FEMALE, True): 4,
        (PHD, MALE): 2,
        (STAFF, MALE): 6,
    },
}


@pytest.mark.parametrize("groups", DISTRIBUTIONS.values(), ids=DISTRIBUTIONS.keys())
def test_the_charts_of_people_cannot_be_subtracted_to_reveal_a_small_group(client, settings, groups):
    settings.POPS_MIN_GROUP_SIZE = minimum = 5
    people = people_in_public_initiatives(groups)
    true_sizes = {"roles": Counter(), "gender": Counter()}
    in_directory = Counter()  # by role: the directory shows the role of these people
    with translation.override("en"):
        for (role, gender, *listed), n in groups.items():
            true_sizes["roles"][str(Person.Role(role).label)] += n
            true_sizes["gender"][str(Person.Gender(gender).label)] += n
            if listed:
                in_directory[str(Person.Role(role).label)] += n
        charts = {key: chart_by_key(key) for key in ("roles", "gender")}
        downloads = {
            key: list(
                csv.reader(io.StringIO(client.get(reverse("statistics-csv", kwargs={"key": key})).content.decode()))
            )
            for key in charts
        }
        page = client.get(reverse("statistics"))
    content = page.content.decode()
    for key, chart in charts.items():
        # What the page, its chart data and the CSV file show is the same.
        assert [(label, int(n)) for label, n in downloads[key][1:]] == chart.rows
        assert {"key": key, "title": chart.title, "kind": chart.kind, "rows": chart.rows, "colors": []} in (
            page.context["charts_data"]
        )
        # Role total minus gender total (or either minus the number of people) is 0.
        assert chart.total in (0, people), (key, chart.rows)
        # Every number shown is at least the minimum, "Other or not shown" too.
        assert all(n >= minimum for _label, n in chart.rows), (key, chart.rows)
        # A group under the minimum never has a row of its own, nor do the
        # people of a group who are not in the directory.
        for label, n in true_sizes[key].items():
            if n < minimum:
                assert label not in dict(chart.rows), (key, label)
            elif not chart.note:
                assert (label, n) in chart.rows
            if key == "roles" and label in dict(chart.rows):
                rest = dict(chart.rows)[label] - in_directory[label]
                assert rest == 0 or rest >= minimum, (label, chart.rows)
        # Whatever was folded or hidden is said on the page.
        if chart.total < people or OTHER in dict(chart.rows):
            assert chart.note and chart.note in content.replace("&quot;", '"')
    shown = [chart for chart in charts.values() if chart.rows]
    assert len({chart.total for chart in shown}) <= 1
    if people < minimum:
        assert not shown


def test_the_leak_of_the_report_no_longer_shows_on_the_page(client, settings):
    settings.POPS_MIN_GROUP_SIZE = 5
    people_in_public_initiatives(DISTRIBUTIONS["female 6, male 3"])
    with translation.override("en"):
        content = client.get(reverse("statistics")).content.decode()
        gender = client.get(reverse("statistics-csv", kwargs={"key": "gender"})).content.decode()
        roles = client.get(reverse("statistics-csv", kwargs={"key": "roles"})).content.decode()
    assert list(csv.reader(io.StringIO(gender))) == [["Category", "Count"]]
    assert list(csv.reader(io.StringIO(roles))) == [["Category", "Count"], ["Researcher", "9"]]
    section = content[content.index('id="chart-gender"') :]
    section = section[: section.index("</section>")]
    assert "Not enough data to show this chart." in section and "To protect personal data" in section
    assert "<table" not in section


def test_a_chart_downloads_in_the_italian_excel_dialect_too(client):
    InitiativeFactory.create_batch(3, published=True, scale="local")
    content = client.get(reverse("statistics")).content.decode()
    url = reverse("statistics-csv", kwargs={"key": "scales"})
    assert f"{url}?format=csv-excel" in content
    download = client.get(url, {"format": "csv-excel"})
    assert download["Content-Type"].startswith("text/csv")
    assert "excel" in download["Content-Disposition"]
    body = download.content.decode("utf-8")
    assert body.startswith("\ufeff")  # the byte-order mark Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Categoria", "Numero"] and rows[1][1] == "3"
    plain = client.get(url).content.decode()
    assert not plain.startswith("\ufeff") and ";" not in plain


def test_an_unknown_csv_format_is_a_clear_400(client):
    InitiativeFactory(published=True, scale="local")
    response = client.get(reverse("statistics-csv", kwargs={"key": "scales"}), {"format": "xls"})
    assert response.status_code == 400
    assert "csv-excel" in response.content.decode()
