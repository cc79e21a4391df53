"""Staff import a CSV through the admin (dry run, errors, fix, confirm), at
once or, for a large file, as a background job with a progress page, and
download the ANVUR export, in a real browser."""

import csv
import datetime
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext

from impact.models import ImportJob
from initiatives.exchange import imports
from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative
from tests.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "title_it;start_date;end_date;departments\n"
BAD = HEADER + "Orti in città;01/03/2025;;XYZ\nScuola aperta;01/06/2025;01/01/2025;DIST\n"
GOOD = HEADER + "Orti in città;01/03/2025;;DIST\nScuola aperta;01/01/2025;01/06/2025;DIST\n"


def log_in(page):
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    page.goto(f"{page.base_url}/it/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pops-demo-2026")
    page.click("input[type=submit]")


def upload(page, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    page.goto(f"{page.base_url}/it/admin/initiatives/initiative/import/")
    page.set_input_files("#id_import_file", str(path))
    with page.expect_navigation():
        page.locator(".submit-row input[type=submit]").first.click()


def test_staff_preview_an_import_with_errors_fix_it_and_confirm(page, tmp_path):
    log_in(page)

    upload(page, tmp_path, "iniziative.csv", BAD)
    body = page.content()
    with translation.override("it"):  # the admin under /it/ speaks Italian
        end_before_start = gettext("The end date is before the start date.")
    assert "XYZ" in body and end_before_start in body
    # Each bad row's column and reason are on the page, not behind a hover.
    problems = page.locator("#import-problems tbody tr")
    assert problems.count() == 2
    for number, (row, column, reason) in enumerate([("2", "departments", "XYZ"), ("3", "end_date", end_before_start)]):
        cells = problems.nth(number).locator("td")
        assert [cells.nth(i).inner_text() for i in range(2)] == [row, column]
        assert reason in cells.nth(2).inner_text() and cells.nth(2).is_visible()
    assert page.locator("input[name=confirm]").count() == 0
    screenshot(page, "data-import-errors")
    assert not Initiative.objects.exists()

    upload(page, tmp_path, "iniziative.csv", GOOD)
    screenshot(page, "data-import-preview")
    assert not Initiative.objects.exists()
    with page.expect_navigation():
        page.click("input[name=confirm]")

    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Orti in città", "Scuola aperta"]


def test_staff_preview_a_large_import_in_the_background_fix_it_and_confirm(page, tmp_path, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 1  # both files are "large": dry run and import are jobs
    log_in(page)

    upload(page, tmp_path, "iniziative.csv", BAD)
    job = ImportJob.objects.get()
    assert page.url.endswith(f"/it/admin/impact/importjob/{job.pk}/status/")
    problems = page.locator("#import-problems tbody tr")
    assert problems.count() == 2
    assert [problems.nth(0).locator("td").nth(i).inner_text() for i in range(2)] == ["2", "departments"]
    assert [problems.nth(1).locator("td").nth(i).inner_text() for i in range(2)] == ["3", "end_date"]
    assert page.locator("input[name=confirm]").count() == 0
    screenshot(page, "data-import-job-errors")
    assert not Initiative.objects.exists()

    upload(page, tmp_path, "iniziative.csv", GOOD)
    job = ImportJob.objects.latest("pk")
    assert page.url.endswith(f"/it/admin/impact/importjob/{job.pk}/status/")
    assert page.locator("#preview-new").inner_text() == "2"
    assert page.locator("#import-problems").count() == 0
    screenshot(page, "data-import-job-preview")
    assert not Initiative.objects.exists()
    with page.expect_navigation():
        page.click("input[name=confirm]")

    assert page.locator("#job-done").is_visible()
    assert page.locator("#job-created").inner_text() == "2"
    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Orti in città", "Scuola aperta"]


def test_the_job_page_follows_a_running_dry_run_then_shows_its_preview(page):
    log_in(page)
    staff = UserFactory._meta.model.objects.get(username="staff")
    job = imports.import_job_create(
        kind="initiatives", data=GOOD.encode(), filename="grande.csv", total_rows=2, user=staff, dry_run=True
    )
    page.goto(f"{page.base_url}/it/admin/impact/importjob/{job.pk}/status/")
    assert page.locator("#import-preview").count() == 0  # waiting for a worker

    imports.import_job_run(job_id=job.pk)  # the worker: the page polls, then shows the outcome

    page.wait_for_selector("#import-preview", timeout=10_000)
    assert page.locator("#job-processed").inner_text() == "2"
    assert page.locator("#preview-new").inner_text() == "2"
    assert page.locator("input[name=confirm]").is_visible()
    assert not Initiative.objects.exists()


def test_staff_download_the_anvur_export(page):
    InitiativeFactory(published=True, title_it="=Laboratorio", start_date="2025-02-01", end_date=None)
    log_in(page)
    page.goto(f"{page.base_url}/it/admin/impact/exportrecord/anvur/")
    page.fill("#id_year", "2025")
    page.select_option("#id_format", "csv")
    screenshot(page, "data-anvur-export-form")
    with page.expect_download() as info:
        page.click("#anvur-export-form input[type=submit]")
    download = info.value
    assert download.suggested_filename == "anvur-terza-missione-2025.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert [row["titolo"] for row in rows] == ["'=Laboratorio"]


# A sheet as staff receive it: every column, labels and codes mixed, one row
# that only shares a title with an existing initiative, one bad row.
WIDE = (
    "title_it;title_en;summary_it;summary_en;start_date;end_date;scale;website;keywords;budget;external_funding;"
    "participants;impact_evaluated;state;departments;sectors;themes;sdgs;fields_of_action;intervention_areas\n"
    "Laboratori di quartiere a Barriera di Milano;Neighbourhood workshops in Barriera di Milano;"
    "Laboratori di co-progettazione degli spazi pubblici con gli abitanti, le scuole e le associazioni del quartiere;"
    "Co-design workshops of public spaces with residents, schools and the neighbourhood's associations;"
    "15/03/2025;31/12/2025;Locale;https://example.org/laboratori-di-quartiere-a-barriera-di-milano;"
    "periferie, co-progettazione, spazio pubblico, scuole;25000;15000,50;240;sì;;DIST | DAD;"
    "Gestione del territorio | servizi-educativi;innovazione-sociale;11 | 10 | 4;g;sostenibilita\n"
    "Orti condivisi;Shared gardens;Orti nei cortili delle scuole, curati da studenti e abitanti;;01/01/2025;;"
    "regional;;orti;1200;;80;no;;DIST;;;2;;\n"
    "Mostra sul quartiere;;Una mostra;;31/02/2025;;globale;;;mille;;;;;XYZ;;;;;\n"
)


def test_the_import_preview_is_readable_at_1280_px_in_italian(page, tmp_path):
    existing = InitiativeFactory(
        title_it="Orti condivisi",
        start_date=datetime.date(2025, 1, 1),
        summary_it="Orti nei cortili.",
        external_funding=None,  # the file's budget is smaller than any the factory draws
    )
    log_in(page)

    upload(page, tmp_path, "censimento.csv", WIDE)

    assert page.locator("#import-preview").is_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the preview scrolls sideways: {width[0]} px in a {width[1]} px window"
    body = page.content()
    with translation.override("it"):
        assert gettext("Regional") in body  # labels, not codes
    assert "Gestione del territorio" in body and "15/03/2025" in body
    assert page.locator(f"input[name=duplicate-3][value=update-{existing.pk}]").is_visible()
    assert page.locator("#import-valid-rows").is_visible()
    assert page.locator("#import-problems tbody tr").count() >= 4
    screenshot(page, "data-import-preview-1280-it")

    page.check("input[name=duplicate-3][value=new]")
    page.check("input[name=arrival_state][value=draft]")
    with page.expect_navigation():
        page.click("#import-valid-rows")
    assert sorted(Initiative.objects.values_list("title_it", "state")) == [
        ("Laboratori di quartiere a Barriera di Milano", "draft"),
        ("Orti condivisi", "draft"),
        ("Orti condivisi", existing.state),
    ]
    assert page.locator(".messagelist .warning a").count() == 1  # the rows to correct


def test_the_preview_of_a_large_import_is_readable_at_1280_px_in_italian(page, tmp_path, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 1  # a job: the preview is the job's page
    existing = InitiativeFactory(
        title_it="Orti condivisi",
        start_date=datetime.date(2025, 1, 1),
        summary_it="Orti nei cortili.",
        external_funding=None,  # the file's budget is smaller than any the factory draws
    )
    log_in(page)

    upload(page, tmp_path, "censimento.csv", WIDE)

    job = ImportJob.objects.get()
    assert page.url.endswith(f"/it/admin/impact/importjob/{job.pk}/status/")
    assert page.locator("#import-preview").is_visible()
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the preview scrolls sideways: {width[0]} px in a {width[1]} px window"
    assert page.locator(f"input[name=duplicate-3][value=update-{existing.pk}]").is_visible()
    screenshot(page, "data-import-job-preview-1280-it")

    page.check(f"input[name=duplicate-3][value=update-{existing.pk}]")
    with page.expect_navigation():
        page.click("#import-valid-rows")
    page.wait_for_selector("#job-done")
    existing.refresh_from_db()
    assert existing.summary_it == "Orti nei cortili delle scuole, curati da studenti e abitanti"
    assert page.locator("#import-rejected").is_visible()  # the row left out, to correct
