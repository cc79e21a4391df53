"""Staff take in a census workbook in a real browser: download the template,
fill two initiatives on every sheet, see the dry run with one error and one
possible duplicate, correct, choose, confirm, publish from the review queue,
and find both on the map and in the ANVUR export with their lead and place."""

import csv
import io

import openpyxl
import pytest

from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative
from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page):
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    page.goto(f"{page.base_url}/it/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pops-demo-2026")
    page.click("input[type=submit]")


def fill(template: bytes, *, latitude) -> bytes:
    """The template with its example replaced by two initiatives on every
    sheet, written as staff write them."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    rows = {
        "initiatives": [
            {
                "slug": "laboratori-scuole",
                "title_it": "Laboratori con le scuole di Barriera",
                "summary_it": "Esperimenti di scienza con le classi del quartiere.",
                "start_date": "01/02/2025",
                "departments": "DISAT",
                "sdgs": "4",
            },
            {
                "slug": "orti-barriera",
                "title_it": "Orti condivisi",
                "summary_it": "Orti nei cortili delle case popolari.",
                "start_date": "15/03/2025",
                "departments": "DIST",
                "sdgs": "11 | 2",
            },
        ],
        "people": [
            {
                "initiative": "laboratori-scuole",
                "first_name": "Chiara",
                "last_name": "Fontana",
                "email": "chiara.fontana@polito.it",
                "position": "ricercatrice",
                "role": "responsabile",
            },
            {
                "initiative": "orti-barriera",
                "first_name": "Paolo",
                "last_name": "Greco",
                "email": "paolo.greco@polito.it",
                "position": "professore associato",
                "role": "responsabile",
            },
            {
                "initiative": "orti-barriera",
                "first_name": "Sara",
                "last_name": "Conti",
                "position": "dottoranda",
                "role": "membro",
            },
        ],
        "partnerships": [
            {
                "initiative": "laboratori-scuole",
                "organisation": "Istituto Comprensivo Barriera",
                "type": "Pubblica amministrazione",
                "municipality": "Torino",
                "country": "IT",
                "role": "beneficiario",
            },
            {
                "initiative": "orti-barriera",
                "organisation": "Orti in Rete",
                "type": "no profit",
                "municipality": "Torino",
                "country": "IT",
                "role": "partner",
            },
        ],
        "places": [
            {
                "initiative": "laboratori-scuole",
                "municipality": "Torino",
                "province": "TO",
                "latitude": latitude,
                "longitude": 7.69,
            },
            {
                "initiative": "orti-barriera",
                "municipality": "Torino",
                "province": "TO",
                "latitude": 45.09,
                "longitude": 7.7,
            },
        ],
        "products": [
            {"initiative": "laboratori-scuole", "category": "strumenti-educativi", "title": "Kit di esperimenti"},
            {"initiative": "orti-barriera", "category": "comunicazione-divulgazione", "title": "Guida agli orti"},
        ],
        "impacts": [
            {
                "initiative": "laboratori-scuole",
                "kind": "atteso",
                "category": "educativo",
                "description": "Più curiosità",
            },
            {"initiative": "orti-barriera", "kind": "raggiunto", "category": "sociale", "description": "Vicinato"},
        ],
    }
    for name, items in rows.items():
        sheet = book[name]
        header = [cell.value for cell in sheet[1]]
        sheet.delete_rows(2, sheet.max_row)
        for item in items:
            sheet.append([item.get(column) for column in header])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def upload(page, path):
    page.goto(f"{page.base_url}/it/admin/initiatives/initiative/census/")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.locator(".submit-row input[type=submit]").click()


def test_staff_take_in_a_census_workbook_and_publish_it(page, tmp_path):
    InitiativeFactory(published=True, title_it="Orti condivisi", summary_it="Gli orti di San Salvario.")
    log_in(page)

    page.goto(f"{page.base_url}/it/admin/initiatives/initiative/")
    page.get_by_role("link", name="Importa cartella del censimento").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Scarica il modello").click()
    template = info.value.path().read_bytes()
    assert {"initiatives", "people", "partnerships", "places", "products", "impacts", "legend"} <= set(
        openpyxl.load_workbook(io.BytesIO(template), read_only=True).sheetnames
    )

    # A latitude out of range: the dry run names it, and the duplicate.
    path = tmp_path / "censimento.xlsx"
    path.write_bytes(fill(template, latitude=145.07))
    upload(page, path)
    body = page.content()
    assert "places" in body and "latitude" in body and "−90" in body
    assert page.locator("fieldset.duplicate").count() == 1  # shown, but all or nothing: nothing to confirm yet
    assert page.locator("input[type=radio]").count() == 0
    assert page.get_by_text("1 problema").count() or "1 problema" in body
    screenshot(page, "census-workbook-dry-run-error")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert Initiative.objects.count() == 1

    # Corrected: the possible duplicate waits for a choice.
    path.write_bytes(fill(template, latitude=45.07))
    upload(page, path)
    duplicate = page.locator("fieldset.duplicate")
    assert duplicate.count() == 1
    assert "Gli orti di San Salvario." in duplicate.inner_text() and "Orti nei cortili" in duplicate.inner_text()
    screenshot(page, "census-workbook-duplicate")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    duplicate.get_by_label("Crea una nuova iniziativa").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Conferma l'importazione").click()
    page.wait_for_selector(".messagelist .success")
    assert "2 nuove iniziative" in page.locator(".messagelist").inner_text()
    screenshot(page, "census-workbook-done")
    assert set(
        Initiative.objects.exclude(slug__in=["laboratori-scuole", "orti-barriera"]).values_list("state", flat=True)
    ) == {"published"}
    assert set(
        Initiative.objects.filter(slug__in=["laboratori-scuole", "orti-barriera"]).values_list("state", flat=True)
    ) == {"submitted"}

    # Published from the review queue, through the workflow.
    page.goto(f"{page.base_url}/it/admin/initiatives/initiative/review-queue/")
    for initiative in Initiative.objects.filter(state="submitted"):
        page.check(f"#select-{initiative.pk}")
    with page.expect_navigation():
        page.locator("#review-queue input[type=submit]").click()
    page.uncheck("#id_notify")  # a historical import: nobody to tell
    with page.expect_navigation():
        page.get_by_role("button", name="Sì, pubblicale").click()
    assert Initiative.objects.filter(state="published").count() == 3

    # On the map...
    geojson = page.request.get(f"{page.base_url}/it/mappa/iniziative.geojson").json()
    titles = {feature["properties"]["title"] for feature in geojson["features"]}
    assert {"Laboratori con le scuole di Barriera", "Orti condivisi"} <= titles
    page.goto(f"{page.base_url}/it/mappa/")
    page.wait_for_selector("#initiatives-map[data-markers]", state="attached")
    assert int(page.locator("#initiatives-map").get_attribute("data-markers")) >= 2
    screenshot(page, "census-workbook-map")

    # ... and in the ANVUR export, with lead and place.
    page.goto(f"{page.base_url}/it/admin/impact/exportrecord/anvur/")
    page.fill("#id_year", "2025")
    page.select_option("#id_format", "csv")
    with page.expect_download() as info:
        page.click("#anvur-export-form input[type=submit]")
    rows = list(csv.DictReader(io.StringIO(info.value.path().read_text(encoding="utf-8"))))
    by_lead = {row["responsabile"]: row for row in rows}
    assert by_lead["Chiara Fontana"]["titolo"] == "Laboratori con le scuole di Barriera"
    assert by_lead["Paolo Greco"]["titolo"] == "Orti condivisi"
    assert "Torino" in by_lead["Chiara Fontana"]["luogo"] and "Torino" in by_lead["Paolo Greco"]["luogo"]


@pytest.mark.parametrize(
    ("language", "viewport", "problem", "create_new"),
    [
        ("en", {"width": 1280, "height": 900}, "1 problem", "Create a new initiative"),
        ("it", {"width": 390, "height": 844}, "1 problema", "Crea una nuova iniziativa"),
        ("en", {"width": 390, "height": 844}, "1 problem", "Create a new initiative"),
    ],
)
def test_the_census_preview_reads_in_english_and_on_a_phone(
    browser, live_server, live_reference_data, tmp_path, language, viewport, problem, create_new
):
    """The dry run's problems and the duplicate's comparison fit the window,
    in the page's language, at 1280 px and on a phone."""
    InitiativeFactory(published=True, title_it="Orti condivisi", summary_it="Gli orti di San Salvario.")
    context = browser.new_context(viewport=viewport, locale=f"{language}-IT")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    log_in(page)
    template = page.request.get(f"{page.base_url}/{language}/admin/initiatives/initiative/census/template/").body()
    path = tmp_path / "census.xlsx"
    size = f"{viewport['width']}"

    path.write_bytes(fill(template, latitude=145.07))
    page.goto(f"{page.base_url}/{language}/admin/initiatives/initiative/census/")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.locator(".submit-row input[type=submit]").click()
    assert problem in page.content()
    screenshot(page, f"census-workbook-dry-run-{language}-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    path.write_bytes(fill(template, latitude=45.07))
    page.goto(f"{page.base_url}/{language}/admin/initiatives/initiative/census/")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.locator(".submit-row input[type=submit]").click()
    assert page.get_by_label(create_new).count() == 1
    screenshot(page, f"census-workbook-duplicate-{language}-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
