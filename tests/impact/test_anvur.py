"""The ANVUR third-mission export: rows, columns, codes, filters, queries, records."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from impact import anvur
from impact.models import SDG, ExportRecord, FieldOfAction, PublicEngagementCategory
from initiatives.factories import InitiativeFactory, PersonFactory, PlaceFactory, UserFactory
from initiatives.models import Department, Initiative, Place
from stakeholders.factories import OrganisationFactory, PartnershipFactory
from stakeholders.models import Partnership

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_columns() -> list[tuple[str, str]]:
    """The table of the README's "ANVUR export columns": (column, meaning), in order."""
    section = README.read_text().split("## ANVUR export columns", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", section, flags=re.MULTILINE)
    assert rows, "no column table in the README"
    return rows


# What ANVUR collects for each public-engagement initiative (ANVUR.md, "What
# is recorded for each public-engagement initiative"), and the columns of the
# export that carry it.
ANVUR_RECORDS = {
    "responsible person": ["responsabile"],
    "date(s)": ["data_inizio", "data_fine"],
    "place": ["luogo"],
    "title": ["titolo"],
    "partners": ["partner"],
    "PE category": ["categoria_pe_code", "categoria_pe"],
    "total planned budget": ["budget_totale"],
    "of which external funding": ["finanziamento_esterno"],
    "actual participants": ["partecipanti"],
    "documented web accesses": ["accessi_web"],
    "copies of publications": ["copie_pubblicazioni"],
    "estimated radio/TV audience": ["audience_radio_tv"],
    "impact evaluation": ["valutazione_impatto"],
    "web or social link": ["link"],
    "department(s)": ["dipartimenti"],
    "reach of the external context": ["contesto_code", "contesto"],
    "Agenda 2030 goals": ["sdg_code", "sdg"],
    "up to five keywords": ["parole_chiave"],
}
# ANVUR.md, "Export shape": codes and Italian labels side by side (the label
# column right after its code column).
CODE_LABEL_PAIRS = [
    ("categoria_pe_code", "categoria_pe"),
    ("campo_azione_code", "campo_azione"),
    ("contesto_code", "contesto"),
    ("sdg_code", "sdg"),
    ("settori_code", "settori"),
]


def published(**kwargs):
    kwargs.setdefault("start_date", datetime.date(2024, 3, 1))
    kwargs.setdefault("end_date", datetime.date(2025, 6, 30))
    return InitiativeFactory(published=True, **kwargs)


def export_csv(**options) -> list[dict]:
    out = io.StringIO()
    call_command("export_anvur", stdout=out, **options)
    return list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))


def test_a_row_carries_the_documented_columns_with_codes_and_italian_labels():
    field_g = FieldOfAction.objects.get(code="g", valid_from__lte=2025)
    pe = PublicEngagementCategory.objects.for_year(2025).order_by("code").first()
    lead = PersonFactory(first_name="Giulia", last_name="Rossi")
    initiative = published(
        title_it="Laboratori di quartiere",
        keywords="periferie, scuole",
        budget=Decimal("1500.50"),
        external_funding=Decimal("1000"),
        participants=120,
        impact_evaluated=True,
        scale="regional",
        website="https://example.org/lab",
        lead=lead,
        departments=Department.objects.filter(code__in=["DIST", "DAD"]),
        fields_of_action=[field_g],
        pe_categories=[pe],
        sdgs=SDG.objects.filter(number__in=[11, 4]),
    )
    Place.objects.create(initiative=initiative, municipality="Torino", province="TO")
    PartnershipFactory(initiative=initiative, organisation__name="Comune di Torino")

    [row] = export_csv(year=2025)

    assert list(row) == [name for name, _meaning in readme_columns()]  # as documented, in order
    assert row["anno"] == "2025"
    assert row["titolo"] == "Laboratori di quartiere"
    assert row["responsabile"] == "Giulia Rossi"
    assert (row["data_inizio"], row["data_fine"]) == ("2024-03-01", "2025-06-30")
    assert row["luogo"] == "Torino (TO)"
    assert row["partner"] == "Comune di Torino"
    assert (row["campo_azione_code"], row["campo_azione"]) == ("g", "Attività di public engagement")
    assert (row["categoria_pe_code"], row["categoria_pe"]) == (pe.code, pe.name_it)
    assert (row["budget_totale"], row["finanziamento_esterno"]) == ("1500.5", "1000")
    assert row["partecipanti"] == "120"
    assert row["valutazione_impatto"] == "sì"
    assert row["dipartimenti"] == "DAD | DIST"
    assert (row["contesto_code"], row["contesto"]) == ("regional", "Regionale")
    assert row["sdg_code"] == "4 | 11"
    assert row["parole_chiave"] == "periferie | scuole"
    assert row["stato"] == "published"


def test_only_published_originals_active_in_the_year_are_reported_by_default():
    reported = published()
    published(start_date=datetime.date(2026, 1, 1), end_date=None)  # starts later
    published(start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2024, 12, 31))  # ended before
    InitiativeFactory(start_date=datetime.date(2024, 1, 1), end_date=None)  # draft
    InitiativeFactory(start_date=datetime.date(2024, 1, 1), end_date=None, revision_of=reported)  # working copy

    assert [row["id"] for row in export_csv(year=2025)] == [reported.slug]
    assert len(export_csv(year=2025, state=["published", "draft"])) == 2


def test_it_filters_by_department_and_field_of_action():
    dist = Department.objects.get(code="DIST")
    field_a = FieldOfAction.objects.filter(code="a").first()
    field_g = FieldOfAction.objects.filter(code="g").first()
    wanted = published(departments=[dist], fields_of_action=[field_g])
    published(departments=[dist], fields_of_action=[field_a])
    published(departments=Department.objects.exclude(code="DIST")[:1], fields_of_action=[field_g])

    rows = export_csv(year=2025, department=["DIST"], field_of_action=["g"])

    assert [row["id"] for row in rows] == [wanted.slug]


def rows_for_queries(count: int, django_assert_num_queries, chunk_size: int = anvur.CHUNK_SIZE):
    initiatives = [published() for _ in range(count)]
    for initiative in initiatives:
        PartnershipFactory(initiative=initiative)
        PlaceFactory(initiative=initiative)
    queryset = anvur.anvur_queryset(year=2025)
    # The whole report is one query (related values aggregated by the
    # database), read in chunks: the number of rows changes nothing.
    with django_assert_num_queries(1):
        rows = list(anvur.Report(queryset, year=2025, chunk_size=chunk_size))
    return len(rows)


def test_the_number_of_queries_does_not_grow_with_the_rows(django_assert_num_queries):
    assert rows_for_queries(1, django_assert_num_queries) == 1
    assert rows_for_queries(24, django_assert_num_queries) == 25


def test_rows_are_read_in_chunks_with_the_same_cells(django_assert_num_queries):
    assert rows_for_queries(25, django_assert_num_queries, chunk_size=10) == 25
    queryset = anvur.anvur_queryset(year=2025)
    assert list(anvur.Report(queryset, year=2025, chunk_size=10)) == list(anvur.Report(queryset, year=2025))


def test_multi_valued_cells_keep_a_stable_order_and_leave_out_empty_values():
    first, second = (OrganisationFactory(name=name) for name in ("Zeta APS", "Alfa ODV"))
    initiative = published(
        departments=Department.objects.filter(code__in=["DIST", "DAD", "DENERG"]),
        sdgs=SDG.objects.filter(number__in=[11, 4, 17]),
        keywords=" periferie , ,\tscuole,uno,due,tre,quattro ",
    )
    PartnershipFactory(initiative=initiative, organisation=first, position=0)
    PartnershipFactory(initiative=initiative, organisation=second, position=1)
    Place.objects.create(initiative=initiative, municipality="Torino", province="TO")
    Place.objects.create(initiative=initiative, municipality="Aosta", province="")
    other = published(sdgs=[], keywords="")  # nothing related: empty cells, not another initiative's values

    rows = {row["id"]: row for row in export_csv(year=2025)}

    row = rows[initiative.slug]
    assert row["dipartimenti"] == "DAD | DENERG | DIST"  # by code
    assert row["sdg_code"] == "4 | 11 | 17"  # by number, not as text
    assert row["partner"] == "Zeta APS | Alfa ODV"  # in the order given
    assert row["luogo"] == "Torino (TO) | Aosta"  # as entered
    assert row["parole_chiave"] == "periferie | scuole | uno | due | tre"  # the first five
    empty = rows[other.slug]
    assert (empty["partner"], empty["luogo"], empty["sdg_code"], empty["parole_chiave"]) == ("", "", "", "")


def test_every_command_line_export_is_recorded_with_its_filters_and_row_count():
    published()
    published()
    export_csv(year=2025, department=["DIST"])
    export_csv(year=2025)

    latest, earlier = ExportRecord.objects.all()[:2]
    assert (latest.kind, latest.source, latest.row_count, latest.format) == ("anvur", "command", 2, "csv")
    assert earlier.filters["departments"] == ["DIST"]


def test_xlsx_output_to_a_file_keeps_numbers_numeric(tmp_path):
    published(budget=Decimal("2500.00"), external_funding=None, title_it='=HYPERLINK("http://x")')
    target = tmp_path / "anvur.xlsx"
    call_command("export_anvur", year=2025, fmt="xlsx", output=str(target), stderr=io.StringIO())
    sheet = load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["budget_totale"] == 2500
    assert row["titolo"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "xlsx"])
def test_injection_strings_come_out_neutralised_in_every_format(client, fmt):
    published(title_it="=1+2", keywords="+cmd, -x, @SUM(A1)", website="")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(
        reverse("admin:impact_anvur_export"), {"what": "report", "year": 2025, "states": "published", "format": fmt}
    )

    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body)).active
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    else:
        text = body.decode("utf-8-sig")
        row = next(csv.DictReader(io.StringIO(text), delimiter=";" if fmt == "csv-excel" else ","))
    assert row["titolo"] == "'=1+2"
    assert row["parole_chiave"] == "'+cmd | -x | @SUM(A1)"


def test_the_admin_download_is_recorded_with_the_staff_member():
    from django.test import Client

    published()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get(
        reverse("admin:impact_anvur_export"),
        {"what": "report", "year": 2025, "states": "published", "format": "csv-excel"},
    )
    assert response["Content-Disposition"] == 'attachment; filename="anvur-terza-missione-2025.csv"'
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfanno;id;titolo;")
    record = ExportRecord.objects.get()
    assert (record.user, record.row_count, record.filters["year"]) == (staff, 1, 2025)


def test_the_export_page_is_for_staff_only(client):
    url = reverse("admin:impact_anvur_export")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_summaries_count_initiatives_per_field_of_action_and_per_sdg_and_year():
    field_g = FieldOfAction.objects.filter(code="g").first()
    published(fields_of_action=[field_g], sdgs=SDG.objects.filter(number=4))
    published(fields_of_action=[field_g], sdgs=SDG.objects.filter(number__in=[4, 5]))

    by_field = {(r[0], r[1]): r[3] for r in anvur.summary_rows(years=[2024, 2025], by=anvur.SUMMARY_FIELDS)}
    by_sdg = {(r[0], r[1]): r[3] for r in anvur.summary_rows(years=[2025], by=anvur.SUMMARY_SDGS)}

    assert by_field[(2024, "g")] == by_field[(2025, "g")] == 2
    assert by_field[(2025, "a")] == 0
    assert (by_sdg[(2025, 4)], by_sdg[(2025, 5)], by_sdg[(2025, 1)]) == (2, 1, 0)
    assert len(by_sdg) == 17


def test_the_columns_are_the_readme_table_in_order_with_its_meanings():
    from django.utils import translation

    documented = readme_columns()
    assert [name for name, _meaning in documented] == anvur.HEADER
    with translation.override("en"):
        assert [str(column.description) for column in anvur.COLUMNS] == [meaning for _name, meaning in documented]


def test_every_field_anvur_collects_has_its_documented_column():
    documented = [name for name, _meaning in readme_columns()]
    for record, columns in ANVUR_RECORDS.items():
        assert set(columns) <= set(documented), record
    for code, label in CODE_LABEL_PAIRS:
        assert documented.index(label) == documented.index(code) + 1, code


def test_partner_lists_the_partners_in_anvurs_sense_once_each_in_the_order_given():
    initiative = published()
    names = {}
    for position, role in enumerate(["funder", "co_designer", "beneficiary", "partner", "client"]):
        organisation = OrganisationFactory(name=f"Ente {role}")
        PartnershipFactory(initiative=initiative, organisation=organisation, role=role, position=position)
        names[role] = organisation
    # The same organisation as partner (later) and co-designer (earlier): once, at its first place.
    PartnershipFactory(initiative=initiative, organisation=names["co_designer"], role="partner", position=9)
    PartnershipFactory(initiative=published(), organisation=names["funder"], role="funder")  # funders only

    rows = {row["id"]: row for row in export_csv(year=2025)}

    assert rows[initiative.slug]["partner"] == "Ente co_designer | Ente partner"
    assert [row["partner"] for slug, row in rows.items() if slug != initiative.slug] == [""]
    assert set(Partnership.ANVUR_PARTNER_ROLES) == {"partner", "co_designer"}  # as the README's table says


def test_public_engagement_categories_are_those_of_the_edition_in_force_in_the_year():
    old = PublicEngagementCategory.objects.get(code="5", valid_from=2018)  # 2018-2023
    new = PublicEngagementCategory.objects.get(code="PE24-4")  # from 2024
    both = published(start_date=datetime.date(2022, 1, 1), end_date=None, pe_categories=[old, new])
    only_old = published(start_date=datetime.date(2022, 1, 1), end_date=None, pe_categories=[old])

    def cells(year):
        return {row["id"]: (row["categoria_pe_code"], row["categoria_pe"]) for row in export_csv(year=year)}

    assert cells(2023)[both.slug] == ("5", old.name_it)  # valid_to is inclusive
    assert cells(2024)[both.slug] == ("PE24-4", new.name_it)  # valid_from is inclusive
    assert cells(2025)[both.slug] == ("PE24-4", new.name_it)
    assert cells(2025)[only_old.slug] == ("", "")  # no category of the 2024 edition: to reclassify
    # The SQL and the model's rule (EditionQuerySet.for_year) agree, year by year.
    for year in (2022, 2023, 2024, 2030):
        exported = cells(year)
        for initiative in (both, only_old):
            expected = sorted(initiative.pe_categories.for_year(year).values_list("code", flat=True))
            assert list(filter(None, exported[initiative.slug][0].split(" | "))) == expected, year


def test_the_export_of_the_demo_data_has_the_documented_columns_and_codes():
    call_command("seed_demo", stdout=io.StringIO())
    rows = export_csv(year=2025)

    assert len(rows) == Initiative.objects.published().originals().active_in_year(2025).count() > 10
    field_codes = set(FieldOfAction.objects.values_list("code", flat=True))
    pe_codes = set(PublicEngagementCategory.objects.values_list("code", flat=True))
    for row in rows:
        assert list(row) == anvur.HEADER
        assert set(filter(None, row["campo_azione_code"].split(" | "))) <= field_codes
        assert set(filter(None, row["categoria_pe_code"].split(" | "))) <= pe_codes
        assert row["contesto_code"] in {"local", "regional", "national", "international", ""}
        assert all(1 <= int(n) <= 17 for n in filter(None, row["sdg_code"].split(" | ")))
        datetime.date.fromisoformat(row["data_inizio"])


TRICKY_TEXTS = [
    "=1+2",
    "+39 011 090",
    "-meno",
    "@SUM(A1)",
    "\tindentato",
    "\rritorno",
    'Le "virgolette", e le virgole',
    "punto; e virgola",
    "a capo\nnel mezzo",
    "  spazi ai lati  ",
    "àccenti e €uro — “tipografia”",
    "\\. da solo",
]


@pytest.mark.parametrize("fmt", ["csv", "csv-excel"])
def test_postgresql_copy_writes_the_same_bytes_as_python(on_postgres, fmt):
    """On PostgreSQL the CSV is written by COPY; it must be exactly what
    Python's writer makes of the same rows (quoting, empties, neutralised
    text, amounts, dates, CRLF, BOM)."""
    if not on_postgres:
        pytest.skip("COPY is PostgreSQL's")
    from pops.spreadsheets import iter_csv, neutralise
    from pops.text import normalise_line_endings

    for n, text in enumerate(TRICKY_TEXTS):
        initiative = published(
            title_it=text,
            keywords=f"{text}, , altro",
            website="" if n % 2 else f"https://example.org/{n}",
            budget=[None, Decimal("1500.50"), Decimal("1000.00"), Decimal("0.05")][n % 4],
            external_funding=None,
            participants=None if n % 3 else n,
            end_date=None if n % 2 else datetime.date(2025, 12, 31),
            sdgs=[] if n % 2 else SDG.objects.filter(number__in=[3, 10]),
        )
        PartnershipFactory(initiative=initiative, organisation__name=f"{text} S.r.l.")
        role = ["co_designer", "funder", "partner"][n % 3]
        PartnershipFactory(initiative=initiative, organisation__name=f"{text} ({role})", role=role, position=1)
        initiative.pe_categories.set(PublicEngagementCategory.objects.order_by("pk")[n % 3 :: 5])
        Place.objects.create(initiative=initiative, municipality=text, province="")
    report = anvur.Report(anvur.anvur_queryset(year=2025), year=2025)

    by_database = b"".join(iter_csv(anvur.HEADER, report, fmt=fmt))
    by_python = b"".join(iter_csv(anvur.HEADER, list(report), fmt=fmt))  # a list has no database_csv

    assert report.database_csv(fmt=fmt) is not None
    assert by_database == by_python
    delimiter = ";" if fmt == "csv-excel" else ","
    rows = list(csv.DictReader(io.StringIO(by_python.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    # Saved texts have their line endings normalised ("\rritorno" is stored "\nritorno").
    expected = sorted(neutralise(normalise_line_endings(text)) for text in TRICKY_TEXTS)
    assert sorted(row["titolo"] for row in rows) == expected
