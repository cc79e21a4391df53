"""The census workbook: a whole record per initiative in one file, read back
identically, recognised on every re-import, and entering the workflow."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actionplan.models import InterventionArea
from impact.models import Impact, ImportJob, Product, PublicEngagementCategory
from initiatives.exchange import census_import
from initiatives.exchange.census_export import write_census_template, write_census_workbook
from initiatives.exchange.census_format import LEGEND, SHEETS
from initiatives.exchange.census_import import (
    CHOICE_NEW,
    CHOICE_UPDATE,
    DUPLICATE,
    NEW,
    UNCHANGED,
    UPDATE,
    census_apply,
    census_plan,
    rejected_rows_workbook,
)
from initiatives.factories import InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import Department, Initiative, Participation, Person, Place, StateTransition
from stakeholders.factories import OrganisationFactory
from stakeholders.models import Organisation, OrganisationType, Partnership

pytestmark = pytest.mark.django_db


# --- Helpers ------------------------------------------------------------------------------------


def workbook(**sheets: list[dict]) -> bytes:
    """An .xlsx with one sheet per keyword, its header the union of the rows' keys."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        headers: list[str] = []
        for row in rows:
            headers += [key for key in row if key not in headers]
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def export(queryset=None) -> bytes:
    stream = io.BytesIO()
    write_census_workbook(queryset if queryset is not None else Initiative.objects.all(), stream)
    return stream.getvalue()


def sheets_of(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def as_dicts(rows: list[tuple]) -> list[dict]:
    header = rows[0]
    return [{name: (row[i] if i < len(row) else None) for i, name in enumerate(header)} for row in rows[1:]]


def wipe() -> None:
    """Every census record gone; the reference data stays."""
    Initiative.objects.all().delete()
    Person.objects.all().delete()
    Organisation.objects.all().delete()


def imported(data: bytes, *, user=None, choices=None, valid_only=False, arrival=Initiative.State.SUBMITTED):
    plan = census_plan(data=data, filename="census.xlsx", choices=choices)
    outcome = census_apply(plan, user=user, valid_only=valid_only, arrival=arrival)
    return plan, outcome


def rekey(sheets: dict[str, list[dict]], key: str) -> dict[str, list[dict]]:
    """The same workbook, its initiative under another key on every sheet."""
    sheets["initiatives"][0]["slug"] = key
    for sheet in SHEETS[1:]:
        for row in sheets.get(sheet.name, []):
            row["initiative"] = key
    return sheets


def one_initiative(**overrides) -> dict[str, list[dict]]:
    """A hand-filled workbook of one initiative on every sheet, as staff write it."""
    sheets = {
        "initiatives": [
            {
                "slug": "orti-condivisi",
                "title_it": "Orti condivisi",
                "title_en": "Shared gardens",
                "summary_it": "Orti nei cortili",
                "start_date": "01/03/2024",
                "departments": "DIST",
                "sectors": "Gestione del territorio",
                "sdgs": "11 | 2",
            }
        ],
        "people": [
            {
                "initiative": "orti-condivisi",
                "first_name": "Anna",
                "last_name": "Verdi",
                "email": "anna.verdi@polito.it",
                "position": "professore associato",
                "department": "DIST",
                "role": "responsabile",
                "co_author": "sì",
            },
            {
                "initiative": "orti-condivisi",
                "first_name": "Marco",
                "last_name": "Neri",
                "orcid": "0000-0002-1825-0097",
                "position": "dottorando",
                "role": "membro",
            },
        ],
        "partnerships": [
            {
                "initiative": "orti-condivisi",
                "organisation": "Orti in Rete",
                "type": "no profit",
                "municipality": "Torino",
                "country": "IT",
                "role": "partner",
            },
            {
                "initiative": "orti-condivisi",
                "organisation": "Fondazione del Territorio",
                "tax_code": "97512340019",
                "type": "no profit",
                "municipality": "Torino",
                "role": "finanziatore",
                "funding_call": "Bando Comunità 2024",
            },
        ],
        "places": [
            {
                "initiative": "orti-condivisi",
                "municipality": "Torino",
                "province": "to",
                "address": "Via Roma 1",
                "latitude": 45.07,
                "longitude": 7.68,
            }
        ],
        "products": [
            {"initiative": "orti-condivisi", "category": "comunicazione-divulgazione", "title": "Guida", "year": 2024}
        ],
        "impacts": [
            {
                "initiative": "orti-condivisi",
                "kind": "raggiunto",
                "category": "sociale",
                "description": "Più relazioni di vicinato",
                "indicator": "famiglie",
                "baseline": 0,
                "target": 40,
                "value": "45,5",
                "people_reached": 120,
            }
        ],
    }
    for name, rows in overrides.items():
        sheets[name] = rows
    return sheets


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


# --- The round trip -----------------------------------------------------------------------------


def test_export_import_into_an_empty_database_export_is_identical_on_every_sheet(demo):
    before = export()
    counts = {
        "people": Participation.objects.filter(initiative__revision_of=None).count(),
        "places": Place.objects.filter(initiative__revision_of=None).count(),
        "impacts": Impact.objects.filter(initiative__revision_of=None).count(),
    }
    assert counts["people"] and counts["places"] and counts["impacts"]
    wipe()
    plan, outcome = imported(before)
    assert plan.problems == [] and outcome.written
    after = export()
    first, second = sheets_of(before), sheets_of(after)
    assert set(first) == {sheet.name for sheet in SHEETS} | {LEGEND}
    for name in first:
        assert first[name] == second[name], name
    assert len(first["people"]) - 1 == counts["people"]
    assert len(first["places"]) - 1 == counts["places"]
    assert len(first["impacts"]) - 1 == counts["impacts"]


def test_a_reimport_of_the_same_file_changes_nothing_and_reports_every_row_unchanged(demo):
    data = export()
    slugs = sorted(Initiative.objects.originals().values_list("slug", flat=True))
    history = Initiative.history.count()
    plan, outcome = imported(data, user=UserFactory(is_staff=True))
    assert plan.totals[UNCHANGED] == len(slugs) and plan.totals[UPDATE] == plan.totals[NEW] == 0
    assert outcome.created == outcome.updated == 0
    assert sorted(Initiative.objects.originals().values_list("slug", flat=True)) == slugs
    assert Initiative.history.count() == history
    assert sheets_of(export()) == sheets_of(data)


def test_a_changed_cell_updates_that_initiative_only(demo):
    data = sheets_of(export())
    rows = as_dicts(data["initiatives"])
    rows[0]["summary_it"] = "Un riassunto nuovo"
    changed = workbook(initiatives=rows)  # the other sheets left out: their rows stay
    people = Participation.objects.count()
    plan, outcome = imported(changed)
    assert plan.totals[UPDATE] == 1 and plan.totals[UNCHANGED] == len(rows) - 1
    assert outcome.updated == 1
    assert Initiative.objects.get(slug=rows[0]["slug"]).summary_it == "Un riassunto nuovo"
    assert Participation.objects.count() == people


def test_the_template_has_an_example_on_every_sheet_and_imports_cleanly(tmp_path):
    stream = io.BytesIO()
    write_census_template(stream)
    sheets = sheets_of(stream.getvalue())
    for sheet in SHEETS:
        assert len(sheets[sheet.name]) >= 2, sheet.name  # header and example
    legend = sheets[LEGEND]
    assert any(row[:2] == ("people", "position") for row in legend)
    assert any(row[:2] == ("organisation_types", "no-profit") for row in legend)
    plan, outcome = imported(stream.getvalue())
    assert plan.problems == [] and outcome.created == 1
    initiative = Initiative.objects.get()
    assert initiative.participations.count() == 2 and initiative.places.count() == 1
    assert initiative.impacts.count() == 2 and initiative.partnerships.count() == 2


def test_the_command_line_round_trip(demo, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    call_command("export_census", "--output", str(first), stdout=io.StringIO())
    wipe()
    out = io.StringIO()
    call_command("import_census", str(first), "--dry-run", stdout=out)
    assert Initiative.objects.count() == 0
    call_command("import_census", str(first), stdout=out)
    call_command("export_census", "--output", str(second), stdout=io.StringIO())
    assert sheets_of(first.read_bytes()) == sheets_of(second.read_bytes())


# --- A whole record, as staff write it ---------------------------------------------------------


def test_a_hand_filled_record_comes_in_whole():
    user = UserFactory(is_staff=True)
    plan, outcome = imported(workbook(**one_initiative()), user=user)
    assert plan.problems == [], [str(p) for p in plan.problems]
    initiative = Initiative.objects.get(slug="orti-condivisi")
    lead = initiative.participations.get(role=Participation.Role.LEAD)
    assert (lead.person.email, lead.person.role, lead.can_edit) == ("anna.verdi@polito.it", "associate_professor", True)
    assert lead.person.department.code == "DIST"
    member = initiative.participations.get(role=Participation.Role.MEMBER)
    assert (member.person.orcid, member.person.role) == ("0000-0002-1825-0097", "phd_student")
    roles = dict(initiative.partnerships.values_list("organisation__name", "role"))
    assert roles == {"Orti in Rete": "partner", "Fondazione del Territorio": "funder"}
    funder = initiative.partnerships.get(role="funder")
    assert funder.funding_call == "Bando Comunità 2024" and funder.organisation.tax_code == "97512340019"
    assert funder.organisation.type.code == "no-profit"
    place = initiative.places.get()
    assert (place.province, place.latitude, place.longitude) == ("TO", Decimal("45.07"), Decimal("7.68"))
    impact = initiative.impacts.get()
    assert (impact.kind, impact.category, impact.value, impact.people_reached) == (
        "achieved",
        "social",
        Decimal("45.5"),
        120,
    )
    assert initiative.products.get().title == "Guida"
    assert sorted(initiative.sdgs.values_list("number", flat=True)) == [2, 11]


@pytest.mark.parametrize(
    ("sheet", "column", "written", "check"),
    [
        (
            "partnerships",
            "type",
            "impresa profit",
            lambda i: i.partnerships.get().organisation.type.code == "imprese-profit",
        ),
        (
            "partnerships",
            "type",
            "gruppo informale di cittadini",
            lambda i: i.partnerships.get().organisation.type.code == "gruppi-informali",
        ),
        ("partnerships", "type", "No Profit", lambda i: i.partnerships.get().organisation.type.code == "no-profit"),
        ("people", "position", "assegnista", lambda i: i.participations.get().person.role == "research_fellow"),
        ("people", "position", "Dottoranda", lambda i: i.participations.get().person.role == "phd_student"),
        ("people", "position", "ricercatrice", lambda i: i.participations.get().person.role == "researcher"),
        (
            "people",
            "position",
            "personale tecnico-amministrativo",
            lambda i: i.participations.get().person.role == "staff",
        ),
        (
            "people",
            "position",
            "Professore Ordinario",
            lambda i: i.participations.get().person.role == "full_professor",
        ),
        ("impacts", "kind", "atteso", lambda i: i.impacts.get().kind == "expected"),
        ("impacts", "category", "Ambientale", lambda i: i.impacts.get().category == "environmental"),
    ],
)
def test_vocabulary_as_people_write_it(sheet, column, written, check):
    sheets = one_initiative()
    sheets[sheet] = [{**sheets[sheet][0], column: written}]
    plan, _outcome = imported(workbook(**sheets))
    assert plan.problems == [], [str(p) for p in plan.problems]
    assert check(Initiative.objects.get(slug="orti-condivisi"))


def test_an_area_with_a_typographic_apostrophe_and_short_pe_wordings():
    area = InterventionArea.objects.filter(name_it__contains="'").first()
    sheets = one_initiative()
    row = sheets["initiatives"][0]
    row["intervention_areas"] = area.name_it.replace("'", "’").upper()
    row["pe_categories"] = "scuole | citizen science"  # the 2018 edition's, for a 2023 initiative
    row["start_date"] = "15/09/2023"
    row["state"] = ""  # empty: the arrival chosen for the import
    plan, _outcome = imported(workbook(**sheets), arrival=Initiative.State.DRAFT)
    assert plan.problems == [], [str(p) for p in plan.problems]
    initiative = Initiative.objects.get(slug="orti-condivisi")
    assert list(initiative.intervention_areas.all()) == [area]
    assert sorted(initiative.pe_categories.values_list("code", flat=True)) == ["5", "9"]
    assert initiative.state == Initiative.State.DRAFT


def test_a_pe_category_of_another_edition_is_chosen_by_the_reporting_year():
    older = PublicEngagementCategory.objects.get(code="5", valid_from=2018)
    newer = PublicEngagementCategory.objects.create(code="5", name="Scuole (nuova edizione)", valid_from=2030)
    for year, expected in (("2022", older), ("2031", newer)):
        sheets = one_initiative()
        sheets["initiatives"][0].update(
            slug=f"scuole-{year}", title_it=f"Scuole {year}", start_date=f"01/01/{year}", pe_categories="5"
        )
        for name in SHEETS[1:]:
            sheets[name.name] = []
        plan, _outcome = imported(workbook(**sheets))
        assert plan.problems == [], [str(p) for p in plan.problems]
        assert list(Initiative.objects.get(slug=f"scuole-{year}").pe_categories.all()) == [expected]
    # Written back with the edition's year, since the code is shared.
    rows = sheets_of(export(Initiative.objects.filter(slug="scuole-2031")))["initiatives"]
    header = rows[0]
    assert rows[1][header.index("pe_categories")] == "5 (2030)"


def test_a_value_that_matches_nothing_says_what_to_write_in_the_users_language():
    sheets = one_initiative()
    # A short list is written out whole; a long one gets the nearest entries.
    sheets["partnerships"][0]["type"] = "impresa prfit"
    sheets["initiatives"][0]["intervention_areas"] = "Sostenibilta"
    with translation.override("it"):
        plan = census_plan(data=workbook(**sheets))
        problem = next(p for p in plan.problems if p.column == "type")
        assert (problem.sheet, problem.row) == ("partnerships", 2)
        assert '"impresa prfit"' in problem.message and "imprese-profit" in problem.message
        assert "legenda" in problem.message.lower()
        assert "Foglio" in str(problem) or "foglio" in str(problem).lower()
        area = InterventionArea.objects.get(code="sostenibilita")
        message = next(p for p in plan.problems if p.column == "intervention_areas").message
        assert f'"{area.code}"' in message and message.count('"') <= 2 + 6


# --- Bad rows: named, and nothing written ------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "column", "bad"),
    [
        ("initiatives", "start_date", "31/02/2024"),
        ("initiatives", "budget", "tanti"),
        ("initiatives", "sectors", "astrologia"),
        ("people", "position", "astronauta"),
        ("people", "email", "non-una-email"),
        ("partnerships", "role", "nemico"),
        ("places", "latitude", 123),
        ("products", "year", 1800),
        ("impacts", "kind", "forse"),
        ("impacts", "evidence_link", "not a link"),
    ],
)
def test_a_bad_row_on_any_sheet_is_named_and_nothing_is_written(sheet, column, bad):
    sheets = one_initiative()
    sheets[sheet][0][column] = bad
    plan, outcome = imported(workbook(**sheets))
    assert not outcome.written
    assert Initiative.objects.count() == Person.objects.count() == Organisation.objects.count() == 0
    problems = [p for p in plan.problems if p.sheet == sheet]
    assert [(p.row, p.column) for p in problems] == [(2, column)], [str(p) for p in plan.problems]
    assert problems[0].message


def test_a_day_that_does_not_exist_is_called_so():
    sheets = one_initiative()
    sheets["initiatives"][0]["start_date"] = "31/02/2024"
    with translation.override("en"):
        plan = census_plan(data=workbook(**sheets))
    (problem,) = plan.problems
    assert "31/02/2024" in problem.message


def test_a_missing_title_is_reported_once_under_its_column():
    sheets = one_initiative()
    sheets["initiatives"][0]["title_it"] = ""
    plan = census_plan(data=workbook(**sheets))
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("initiatives", 2, "title_it")]


def test_coordinates_both_or_neither():
    sheets = one_initiative()
    sheets["places"][0]["longitude"] = None
    plan = census_plan(data=workbook(**sheets))
    assert [(p.sheet, p.column) for p in plan.problems] == [("places", "longitude")]


def test_rows_of_an_unknown_initiative_and_unknown_columns_are_problems_of_the_file():
    sheets = one_initiative()
    sheets["products"][0]["initiative"] = "nessuna"
    sheets["places"][0]["colour"] = "red"
    plan = census_plan(data=workbook(**sheets))
    assert {(p.sheet, p.column) for p in plan.problems} == {("products", "initiative"), ("places", "colour")}
    assert not plan.can_write(valid_only=True)  # a problem of the file stops everything


def test_two_leads_in_one_initiative():
    sheets = one_initiative()
    sheets["people"][1]["role"] = "lead"
    plan = census_plan(data=workbook(**sheets))
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("people", 3, "role")]


def test_valid_only_imports_the_good_initiatives_and_gives_back_the_bad_rows_to_correct():
    sheets = one_initiative()
    bad = {**sheets["initiatives"][0], "slug": "seconda", "title_it": "Seconda", "budget": "molti"}
    sheets["initiatives"].append(bad)
    sheets["places"].append({**sheets["places"][0], "initiative": "seconda"})
    plan, outcome = imported(workbook(**sheets), valid_only=True)
    assert outcome.written and outcome.created == 1 and outcome.skipped == 1
    assert list(Initiative.objects.values_list("slug", flat=True)) == ["orti-condivisi"]
    rejected = sheets_of(rejected_rows_workbook(plan))
    header = rejected["initiatives"][0]
    (row,) = rejected["initiatives"][1:]
    assert row[header.index("slug")] == "seconda"
    assert "budget" in row[header.index("errors")]
    assert len(rejected["places"]) == 2  # its place came along
    # Corrected, the same file imports (the errors column is ignored).
    fixed = as_dicts(rejected["initiatives"])
    fixed[0]["budget"] = 1000
    places = as_dicts(rejected["places"])
    plan, outcome = imported(workbook(initiatives=fixed, places=places))
    assert plan.problems == [] and outcome.created == 1
    assert Initiative.objects.get(slug="seconda").places.count() == 1


# --- Identity -----------------------------------------------------------------------------------


def test_a_title_match_is_a_possible_duplicate_never_overwritten_without_a_choice():
    existing = InitiativeFactory(title_it="Orti condivisi", summary_it="Il riassunto di prima", state="published")
    sheets = rekey(one_initiative(), "orti-nuovi")
    data = workbook(**sheets)

    plan, outcome = imported(data)
    (entry,) = plan.entries
    assert plan.problems == []
    assert entry.outcome == DUPLICATE and entry.candidates == [existing]
    assert not outcome.written
    comparison = {row["column"]: row for row in census_import.duplicate_comparison(entry, plan)}
    assert comparison["summary_it"]["existing"] == "Il riassunto di prima"
    assert comparison["summary_it"]["file"] == "Orti nei cortili"
    existing.refresh_from_db()
    assert existing.summary_it == "Il riassunto di prima"

    plan, outcome = imported(data, choices={entry.choice_key: CHOICE_NEW})
    assert plan.problems == [], [str(p) for p in plan.problems]
    assert outcome.created == 1
    existing.refresh_from_db()
    assert existing.summary_it == "Il riassunto di prima"
    assert Initiative.objects.get(slug="orti-nuovi").summary_it == "Orti nei cortili"


def test_choosing_update_updates_the_existing_initiative_and_keeps_its_url():
    existing = InitiativeFactory(title_it="Orti condivisi", state="published")
    slug = existing.slug
    sheets = one_initiative()
    sheets["initiatives"][0]["slug"] = ""
    for sheet in SHEETS[1:]:
        sheets.pop(sheet.name)
    plan, outcome = imported(workbook(**sheets), choices={"2": CHOICE_UPDATE + slug})
    assert outcome.updated == 1
    existing.refresh_from_db()
    assert (existing.slug, existing.summary_it, existing.state) == (slug, "Orti nei cortili", "published")


def test_a_reimport_without_slugs_keeps_them_and_reports_unchanged():
    sheets = one_initiative()
    imported(workbook(**sheets))
    sheets["initiatives"][0]["slug"] = ""
    for sheet in SHEETS[1:]:
        sheets.pop(sheet.name)
    plan = census_plan(data=workbook(**sheets))
    assert plan.totals[DUPLICATE] == 1  # by title only: staff choose
    plan = census_plan(data=workbook(**sheets), choices={"2": CHOICE_UPDATE + "orti-condivisi"})
    assert plan.totals[UNCHANGED] == 1
    assert list(Initiative.objects.values_list("slug", flat=True)) == ["orti-condivisi"]


def test_people_are_recognised_by_email_or_orcid_and_keep_their_current_position():
    fellow = PersonFactory(email="anna.verdi@polito.it", role=Person.Role.RESEARCH_FELLOW, department=None)
    known = PersonFactory(orcid="0000-0002-1825-0097", role=Person.Role.RESEARCHER)
    sheets = one_initiative()
    sheets["people"][0]["email"] = "Anna.Verdi@POLITO.it"
    with translation.override("en"):
        plan, _outcome = imported(workbook(**sheets))
    assert Person.objects.count() == 2
    fellow.refresh_from_db()
    assert fellow.role == Person.Role.RESEARCH_FELLOW  # the register's current one
    assert fellow.department.code == "DIST"  # empty in the register: filled in
    assert any(fellow.full_name in notice and "position" in notice.lower() for notice in plan.notices)
    initiative = Initiative.objects.get()
    assert {p.person_id for p in initiative.participations.all()} == {fellow.pk, known.pk}


def test_a_new_person_in_several_initiatives_gets_the_position_of_the_latest():
    sheets = one_initiative()
    later = {**sheets["initiatives"][0], "slug": "dopo", "title_it": "Dopo", "start_date": "01/01/2025"}
    sheets["initiatives"].append(later)
    sheets["people"].append({**sheets["people"][1], "initiative": "dopo", "position": "ricercatore"})
    plan, _outcome = imported(workbook(**sheets))
    person = Person.objects.get(orcid="0000-0002-1825-0097")
    assert person.role == Person.Role.RESEARCHER
    assert person.participations.count() == 2
    assert any(person.full_name in notice for notice in plan.notices)


def test_organisations_by_tax_code_or_name_and_municipality_and_no_silent_country():
    by_code = OrganisationFactory(name="Fondazione Territorio (vecchio nome)", tax_code="97512340019")
    by_name = OrganisationFactory(name="ORTI IN RETE", municipality="Torino")
    other_city = OrganisationFactory(name="Orti in Rete", municipality="Milano")
    sheets = one_initiative()
    sheets["partnerships"].append(
        {
            "initiative": "orti-condivisi",
            "organisation": "Les Jardins",
            "type": "no profit",
            "municipality": "Lyon",
            "role": "co-progettista",
        }
    )
    imported(workbook(**sheets))
    initiative = Initiative.objects.get()
    names = {p.organisation_id for p in initiative.partnerships.all()}
    assert by_code.pk in names and by_name.pk in names and other_city.pk not in names
    foreign = Organisation.objects.get(name="Les Jardins")
    assert foreign.country == ""  # not known, not silently IT
    by_code.refresh_from_db()
    assert by_code.name == "Fondazione Territorio (vecchio nome)"  # the register's name is kept


# --- The workflow -------------------------------------------------------------------------------


def test_imported_initiatives_arrive_submitted_recorded_and_never_published():
    user = UserFactory(is_staff=True)
    imported(workbook(**one_initiative()), user=user)
    initiative = Initiative.objects.get()
    assert initiative.state == Initiative.State.SUBMITTED and initiative.published_at is None
    assert initiative.submitted_at is not None and initiative.created_by is None
    (transition,) = StateTransition.objects.filter(initiative=initiative)
    assert (transition.to_state, transition.by) == ("submitted", user)
    assert "census.xlsx" in transition.message


def test_a_published_state_cell_is_refused():
    sheets = one_initiative()
    sheets["initiatives"][0]["state"] = "pubblicata"
    plan, outcome = imported(workbook(**sheets))
    assert not outcome.written
    assert [(p.sheet, p.column) for p in plan.problems] == [("initiatives", "state")]


def test_an_import_does_not_move_an_existing_initiative():
    imported(workbook(**one_initiative()))
    sheets = one_initiative()
    sheets["initiatives"][0]["state"] = "draft"
    plan = census_plan(data=workbook(**sheets))
    assert [(p.sheet, p.column) for p in plan.problems] == [("initiatives", "state")]


# --- Queries do not grow with the rows ----------------------------------------------------------


def many(n: int) -> bytes:
    sheets = one_initiative()
    base = {name: rows[0] for name, rows in sheets.items()}
    result = {name: [] for name in sheets}
    for i in range(n):
        key = f"iniziativa-{i}"
        result["initiatives"].append({**base["initiatives"], "slug": key, "title_it": f"Iniziativa {i}"})
        for name in list(sheets)[1:]:
            for j, row in enumerate(sheets[name]):
                extra = {}
                if name == "people":
                    extra = {"email": f"p{i}-{j}@example.org", "orcid": ""}
                if name == "partnerships":
                    extra = {"organisation": f"{row['organisation']} {i}", "tax_code": ""}
                result[name].append({**row, "initiative": key, **extra})
    return workbook(**result)


def test_queries_of_a_check_and_an_import_do_not_grow_with_the_rows():
    counts = []
    for n in (2, 12):
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as check:
            plan = census_plan(data=many(n), filename=f"{n}.xlsx")
        assert plan.problems == [], [str(p) for p in plan.problems[:3]]
        with CaptureQueriesContext(connection) as write:
            census_apply(plan, user=UserFactory(is_staff=True))
        counts.append((len(check), len(write)))
        wipe()
    assert counts[0] == counts[1], counts


# --- The command line ---------------------------------------------------------------------------


def test_the_command_line_refuses_bad_files_with_a_sentence(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError) as excinfo:
        call_command("import_census", str(path))
    assert "Error" not in str(excinfo.value).split()[0]
    csv = tmp_path / "census.csv"
    csv.write_text("slug\n")
    with pytest.raises(CommandError):
        call_command("import_census", str(csv))


def test_the_command_line_asks_about_duplicates(tmp_path):
    InitiativeFactory(title_it="Orti condivisi")
    sheets = rekey(one_initiative(), "altra")
    path = tmp_path / "census.xlsx"
    path.write_bytes(workbook(**sheets))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_census", str(path), stdout=out)
    assert "Orti condivisi" in out.getvalue()
    call_command("import_census", str(path), "--duplicates", "new", stdout=io.StringIO())
    assert Initiative.objects.filter(title_it="Orti condivisi").count() == 2


def test_organisation_type_is_needed_for_a_new_organisation_only():
    OrganisationFactory(name="Orti in Rete", municipality="Torino", type=OrganisationType.objects.get(code="no-profit"))
    sheets = one_initiative()
    sheets["partnerships"][0]["type"] = ""
    sheets["partnerships"][1]["type"] = ""
    plan = census_plan(data=workbook(**sheets))
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("partnerships", 3, "type")]
    assert Partnership.objects.count() == 0
    assert Department.objects.filter(code="DIST").exists()
    assert Product.objects.count() == 0


# --- The admin ----------------------------------------------------------------------------------


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """A client whose requests' on-commit callbacks (the job's task) run."""
    post = client.post

    def posting(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    client.post = posting
    return client


@pytest.fixture
def curator(client):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="initiatives",
            codename__in=["add_initiative", "change_initiative", "view_initiative"],
        )
    )
    client.force_login(user)
    return user


def upload(client, data: bytes, **options):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"arrival": "submitted", "mode": "all", **options}
    form["file"] = SimpleUploadedFile("census.xlsx", data)
    response = client.post(reverse("admin:initiatives_initiative_census_import"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(kind=ImportJob.Kind.CENSUS, pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_staff_import_a_workbook_in_the_admin_choose_for_a_duplicate_and_confirm(client, curator):
    existing = InitiativeFactory(title_it="Orti condivisi", summary_it="Prima", state="published")
    sheets = rekey(one_initiative(), "orti-nuovi")
    sheets["initiatives"].append({"slug": "altra", "title_it": "Un'altra iniziativa", "start_date": "2024-01-01"})
    job = upload(client, workbook(**sheets))
    assert job.state == ImportJob.State.CHECKED  # the dry run ran (eagerly, in the default setup)
    with translation.override("it"):
        page = client.get(reverse("admin:initiatives_initiative_census_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="it")
    html = page.content.decode()
    assert "Orti condivisi" in html and "Prima" in html and "Orti nei cortili" in html
    assert Initiative.objects.count() == 1  # nothing written by the check

    # Without a choice for the duplicate, the import is refused.
    response = client.post(reverse("admin:initiatives_initiative_census_confirm", args=[job.pk]), {}, follow=True)
    job.refresh_from_db()
    assert job.phase == ImportJob.Phase.DRY_RUN and Initiative.objects.count() == 1

    key = job.preview["duplicates"][0]["key"]
    response = client.post(
        reverse("admin:initiatives_initiative_census_confirm", args=[job.pk]), {f"choice-{key}": CHOICE_NEW}
    )
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.errors
    assert (job.created_rows, job.updated_rows) == (2, 0)
    assert not job.file  # deleted once imported
    existing.refresh_from_db()
    assert existing.summary_it == "Prima"
    assert set(Initiative.objects.values_list("state", flat=True)) == {"published", "submitted"}
    page = client.get(reverse("admin:initiatives_initiative_census_job", args=[job.pk]))
    assert "2" in page.content.decode()
    assert response.status_code == 302


def test_the_admin_offers_the_valid_rows_only_and_the_rows_to_correct(client, curator):
    sheets = one_initiative()
    sheets["initiatives"].append({"slug": "cattiva", "title_it": "Cattiva", "budget": "molti"})
    job = upload(client, workbook(**sheets), mode="valid")
    assert job.state == ImportJob.State.CHECKED
    rejected = client.get(reverse("admin:initiatives_initiative_census_rejected", args=[job.pk]))
    assert rejected.status_code == 200
    rows = sheets_of(rejected.content)["initiatives"]
    assert [row[0] for row in rows[1:]] == ["cattiva"]
    client.post(reverse("admin:initiatives_initiative_census_confirm", args=[job.pk]), {})
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.created_rows == 1
    assert list(Initiative.objects.values_list("slug", flat=True)) == ["orti-condivisi"]


def test_all_or_nothing_with_a_bad_row_fails_the_check_and_names_the_row(client, curator):
    sheets = one_initiative()
    sheets["impacts"][0]["kind"] = "forse"
    job = upload(client, workbook(**sheets))
    assert job.state == ImportJob.State.FAILED
    html = client.get(reverse("admin:initiatives_initiative_census_job", args=[job.pk])).content.decode()
    assert "impacts" in html and "forse" in html
    assert Initiative.objects.count() == 0


def test_the_admin_template_and_export_download(client, curator):
    InitiativeFactory()
    template = client.get(reverse("admin:initiatives_initiative_census_template"))
    assert template.status_code == 200 and "initiatives" in sheets_of(b"".join(template.streaming_content))
    exported = client.get(reverse("admin:initiatives_initiative_census_download"))
    assert len(sheets_of(b"".join(exported.streaming_content))["initiatives"]) == 2


def test_someone_who_may_not_import_cannot_upload(client):
    viewer = UserFactory(is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse("admin:initiatives_initiative_census_import")).status_code == 403
    assert client.get(reverse("admin:initiatives_initiative_census_template")).status_code == 403


# --- Hostile files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["zip bomb", "not a zip", "no workbook part", "rows beyond the limit", "a cell too long", "no initiatives sheet"],
)
def test_hostile_workbooks_are_refused_with_a_sentence_before_anything_is_read(name, tmp_path, settings):
    from tests.impact import hostile_files

    settings.POPS_IMPORT_MAX_ROWS = 50
    settings.POPS_IMPORT_MAX_CELL_CHARS = 1000
    data = {
        "zip bomb": lambda: hostile_files.zip_bomb(),
        "not a zip": lambda: b"PK\x03\x04" + b"\x00" * 200,
        "no workbook part": lambda: hostile_files.plain_zip({"hello.txt": b"hi"}),
        "rows beyond the limit": lambda: workbook(
            initiatives=[{"slug": f"k{n}", "title_it": f"T{n}"} for n in range(60)]
        ),
        "a cell too long": lambda: workbook(initiatives=[{"slug": "k", "title_it": "x" * 2000}]),
        "no initiatives sheet": lambda: workbook(products=[{"initiative": "k", "title": "t"}]),
    }[name]()
    with pytest.raises(census_import.CensusFileError) as excinfo:
        census_plan(data=data)
    message = str(excinfo.value)
    assert message and not any(word in message for word in ("Error:", "Traceback", "BadZipFile", "KeyError"))
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_census", str(path), stdout=io.StringIO())
    assert str(excinfo.value) == message
    assert Initiative.objects.count() == 0


def test_a_hostile_workbook_uploaded_in_the_admin_fails_its_job_with_the_reason(client, curator):
    from tests.impact import hostile_files

    job = upload(client, hostile_files.zip_bomb())
    assert job.state == ImportJob.State.FAILED
    assert job.errors and job.errors[0]["message"]
    html = client.get(reverse("admin:initiatives_initiative_census_job", args=[job.pk])).content.decode()
    assert job.errors[0]["message"].split()[0] in html


def test_an_empty_cell_on_an_update_keeps_the_stored_value():
    imported(workbook(**one_initiative()))
    initiative = Initiative.objects.get(slug="orti-condivisi")
    initiative.impact_evaluated = True
    initiative.save()
    sparse = {
        "slug": "orti-condivisi",
        "title_it": "Orti condivisi",
        "summary_it": "",
        "sdgs": "",
        "impact_evaluated": "",
    }
    plan = census_plan(data=workbook(initiatives=[sparse]))
    assert plan.totals[UNCHANGED] == 1, plan.totals  # not given is not "make it empty"
    sparse["title_en"] = "Shared urban gardens"
    sparse["end_date"] = "01/01/2020"  # before the stored start date
    plan = census_plan(data=workbook(initiatives=[sparse]))
    assert [(p.sheet, p.column) for p in plan.problems] == [("initiatives", "end_date")]
    del sparse["end_date"]
    plan, outcome = imported(workbook(initiatives=[sparse]))
    assert outcome.updated == 1
    initiative.refresh_from_db()
    assert (initiative.title_en, initiative.summary_it, initiative.impact_evaluated) == (
        "Shared urban gardens",
        "Orti nei cortili",
        True,
    )
    assert sorted(initiative.sdgs.values_list("number", flat=True)) == [2, 11]


# --- Chunks -------------------------------------------------------------------------------------


def chunked_workbook() -> bytes:
    """Five initiatives, checked two at a time: a person and an organisation
    new to the register named in the first and the last chunk (with another
    position later), a possible duplicate in the second chunk and a bad row in
    the last one."""
    sheets = one_initiative()
    base = {name: rows[0] for name, rows in sheets.items()}
    result = {name: [] for name in sheets}
    for i in range(5):
        key = f"iniziativa-{i}"
        start = "01/01/2023" if i == 4 else f"01/0{i + 1}/2024"
        title = "Orti di prima" if i == 2 else f"Iniziativa {i}"
        row = {**base["initiatives"], "slug": "" if i == 2 else key, "title_it": title, "start_date": start}
        if i == 4:
            row["budget"] = "molti"  # the bad row, in the last chunk
        result["initiatives"].append(row)
        if i == 2:
            continue  # the possible duplicate has no rows elsewhere (it has no key to name)
        for name in list(sheets)[1:]:
            for j, child in enumerate(sheets[name]):
                extra = {}
                if name == "people" and j == 1:
                    extra = {"position": "ricercatore" if i == 3 else "dottorando"}
                result[name].append({**child, "initiative": key, **extra})
    return workbook(**result)


def chunked_run(data: bytes, chunk: int, *, valid_only: bool):
    with transaction.atomic():
        plan = census_plan(data=data, filename="census.xlsx", chunk=chunk)
        summary = plan.summary()
        rejected = sheets_of(rejected_rows_workbook(plan))
        outcome = census_apply(plan, valid_only=valid_only)
        written = sheets_of(export())
        people = sorted(Person.objects.values_list("slug", "email", "orcid", "role"))
        organisations = sorted(Organisation.objects.values_list("slug", "name", "tax_code"))
        transaction.set_rollback(True)
    return summary, rejected, outcome, written, people, organisations


def test_a_chunked_check_and_import_is_that_of_one_chunk():
    InitiativeFactory(title_it="Orti di prima", state="published")
    data = chunked_workbook()
    one = chunked_run(data, 1000, valid_only=True)
    two = chunked_run(data, 2, valid_only=True)
    summary = one[0]
    assert summary["totals"] == {"new": 3, "update": 0, "unchanged": 0, "duplicate": 1, "invalid": 1, "skipped": 0}
    assert [p["row"] for p in summary["problems"]] == [6] and summary["duplicates"][0]["row"] == 4
    assert summary["duplicates"][0]["comparison"]
    assert one[2].written and one[2].created == 3
    assert ("anna-verdi", "anna.verdi@polito.it", "", Person.Role.ASSOCIATE_PROFESSOR) in one[4]
    # One person and one organisation for every initiative naming them, whatever the chunk.
    assert not any(slug.endswith("-2") for slug, *_rest in one[4] + one[5])
    marco = next(p for p in one[4] if p[0] == "marco-neri")
    assert marco[3] == Person.Role.RESEARCHER  # from the latest initiative, in the second chunk
    for first, second in zip(one, two, strict=True):
        assert first == second


def test_all_or_nothing_holds_when_the_bad_row_is_in_the_last_chunk(monkeypatch):
    data = chunked_workbook()
    plan = census_plan(data=data, filename="census.xlsx", chunk=2)
    assert [p.row for p in plan.problems] == [6]
    assert not census_apply(plan).written
    assert not Initiative.objects.exists() and not Person.objects.exists() and not Organisation.objects.exists()
    # A write that fails in the last chunk written takes back the chunk written before it.
    plan = census_plan(data=data, filename="census.xlsx", chunk=2)
    written = census_import._write_children
    calls = []

    def fail_on_the_last(part, *args, **kwargs):
        calls.append(len(part))
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return written(part, *args, **kwargs)

    monkeypatch.setattr(census_import, "_write_children", fail_on_the_last)
    with pytest.raises(RuntimeError):
        census_apply(plan, valid_only=True)
    assert calls == [2, 2]  # the last chunk has only the bad row: nothing to write
    assert not Initiative.objects.exists() and not Person.objects.exists() and not Organisation.objects.exists()


def test_a_preview_lists_the_first_initiatives_of_each_kind_and_counts_them_all(monkeypatch):
    InitiativeFactory(title_it="Orti di prima", state="published")
    monkeypatch.setattr(census_import, "SHOWN", 1)
    summary = census_plan(data=chunked_workbook(), chunk=2).summary()
    assert summary["totals"]["new"] == 3 and summary["totals"]["invalid"] == 1
    assert [(e["row"], e["outcome"]) for e in summary["entries"]] == [(2, NEW), (4, DUPLICATE)]
    assert len(summary["duplicates"]) == 1 and len(summary["problems"]) == 1  # each needs a choice or a fix
