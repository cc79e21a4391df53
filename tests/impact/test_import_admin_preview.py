"""The admin's import preview and confirmation, at once and as a job: labels
not codes, possible duplicates decided per row, the valid rows only, the
file of rows to correct, the message after the import."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from impact.models import ImportJob
from initiatives.exchange import admin as exchange_admin
from initiatives.exchange import imports
from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Department, Initiative, Sector, StateTransition
from initiatives.tasks import run_import_job
from tests.impact.test_import_jobs import confirm, job_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def urls(language: str = "en") -> tuple[str, str]:
    with translation.override(language):
        return reverse("admin:initiatives_initiative_import"), reverse("admin:initiatives_initiative_process_import")


def preview(client, text: str, *, language: str = "en", name: str = "iniziative.csv"):
    url, _confirm = urls(language)
    return client.post(url, {"resource": 0, "format": 0, "import_file": SimpleUploadedFile(name, text.encode())})


def confirm_at_once(client, page, language: str = "en", **choices):
    _url, confirm_url = urls(language)
    return client.post(confirm_url, {**page.context["confirm_form"].initial, **choices})


def existing_orti():
    return InitiativeFactory(
        title_it="Orti condivisi",
        start_date=datetime.date(2025, 1, 1),
        summary_it="Orti nei cortili delle scuole.",
        departments=Department.objects.filter(code="DAD"),
    )


DUPLICATE = "title_it,start_date,summary_it,departments\nOrti condivisi,01/01/2025,Un'altra sintesi.,DIST\n"


def test_the_preview_shows_labels_in_the_users_language_not_codes_nor_the_librarys_wide_table(client, staff):
    land = Sector.objects.get(code="gestione-territorio")
    text = (
        "title_it,start_date,budget,scale,sectors,impact_evaluated\n"
        "Laboratori di quartiere,15/03/2025,1500.5,regional,gestione-territorio,sì\n"
    )
    body = preview(client, text, language="it").content.decode()

    assert 'class="import-preview"' not in body  # the library's table of every column, in codes
    assert 'id="import-preview"' in body and "Laboratori di quartiere" in body
    with translation.override("it"):
        assert land.name in body and "Regionale" in body  # labels, in Italian
    assert "15/03/2025" in body and "1.500,50" in body
    assert "gestione-territorio" not in body and ">regional<" not in body
    assert not Initiative.objects.exists()


def test_a_possible_duplicate_is_compared_and_decided_per_row_in_the_confirmation(client, staff):
    existing = existing_orti()

    page = preview(client, DUPLICATE)

    body = page.content.decode()
    assert 'id="duplicate-row-2"' in body
    assert f'name="duplicate-2" value="update-{existing.pk}"' in body and 'name="duplicate-2" value="new"' in body
    assert "Orti nei cortili delle scuole." in body and "Un&#x27;altra sintesi." in body  # existing vs file
    assert 'name="confirm"' in body and 'id="preview-duplicates">1<' in body

    # Confirmed without a choice: nothing written, and the message says so.
    response = confirm_at_once(client, page)
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[0] == "Import of initiatives finished. New: 0; updated: 0; unchanged: 0."
    assert "1 possible duplicate without a choice" in said[1]
    existing.refresh_from_db()
    assert existing.summary_it == "Orti nei cortili delle scuole." and Initiative.objects.count() == 1

    # Update it.
    page = preview(client, DUPLICATE)
    confirm_at_once(client, page, **{"duplicate-2": f"update-{existing.pk}"})
    existing.refresh_from_db()
    assert existing.summary_it == "Un'altra sintesi." and Initiative.objects.count() == 1
    assert list(existing.departments.values_list("code", flat=True)) == ["DIST"]

    # The same file again: nothing left to decide, nothing changes.
    page = preview(client, DUPLICATE)
    assert 'id="duplicate-row-2"' not in page.content.decode() and 'id="preview-skipped">1<' in page.content.decode()

    # Create a new one.
    page = preview(client, DUPLICATE.replace("Un'altra", "Una terza"))
    confirm_at_once(client, page, **{"duplicate-2": "new"})
    assert Initiative.objects.filter(title_it="Orti condivisi").count() == 2


def test_new_initiatives_arrive_as_staff_choose_in_the_confirmation(client, staff):
    page = preview(client, "title_it\nUna\n")
    body = page.content.decode()
    assert 'name="arrival_state" value="submitted" checked' in body and 'name="arrival_state" value="draft"' in body

    confirm_at_once(client, page, arrival_state="draft")

    initiative = Initiative.objects.get()
    assert initiative.state == "draft"
    assert StateTransition.objects.get(initiative=initiative).by == staff

    page = preview(client, "title_it\nDue\n")
    refused = confirm_at_once(client, page, arrival_state="published")
    assert refused.status_code == 200 and not Initiative.objects.filter(title_it="Due").exists()


def test_staff_import_the_valid_rows_only_and_download_the_bad_ones_to_correct(client, staff):
    text = "title_it,start_date,departments\nBuona,2025-01-01,DIST\nCattiva,31/02/2025,XYZ\nAltra,2025-02-01,\n"

    page = preview(client, text)

    body = page.content.decode()
    assert 'name="confirm"' not in body  # all or nothing cannot be confirmed
    assert 'name="valid_rows_only"' in body and "Import the 2 valid rows only" in body
    rejected_url = page.context["rejected_url"]
    download = client.get(rejected_url)
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    header, line = content.splitlines()
    assert header == "title_it;start_date;departments;problems"
    assert line.startswith("Cattiva;31/02/2025;XYZ;") and "that day does not exist" in line

    response = confirm_at_once(client, page, valid_rows_only="on")

    assert response.status_code == 302
    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Altra", "Buona"]
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[0] == "Import of initiatives finished. New: 2; updated: 0; unchanged: 0."
    assert said[1].startswith("Not imported: 1 row with errors.") and 'href="/en/admin/' in said[1]

    # The corrected file imports the row left out.
    corrected = content.replace("31/02/2025", "28/02/2025").replace("XYZ", "DAD")
    page = preview(client, corrected)
    confirm_at_once(client, page)
    assert Initiative.objects.get(title_it="Cattiva").departments.get().code == "DAD"


def test_without_the_valid_rows_only_a_confirmation_stays_all_or_nothing(client, staff):
    text = "title_it,departments\nBuona,DIST\nCattiva,XYZ\n"
    page = preview(client, text)
    response = confirm_at_once(client, page)  # the all-or-nothing button, posted by hand
    assert response.status_code == 200 and not Initiative.objects.exists()


def test_the_rows_to_correct_are_for_who_may_import_only(client, staff):
    page = preview(client, "title_it,departments\nCattiva,XYZ\n")
    url = page.context["rejected_url"]
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403
    client.force_login(staff)
    with translation.override("en"):
        missing = reverse("admin:initiatives_initiative_import_rejected", args=["0" * 32 + ".csv"])
        malformed = reverse("admin:initiatives_initiative_import_rejected", args=["x.csv"])
    assert client.get(missing).status_code == 404 and client.get(malformed).status_code == 404


def test_the_message_after_an_import_is_the_portals_gettext_string(client, staff, monkeypatch):
    monkeypatch.setattr(exchange_admin, "_", lambda message: f"«{message}»")
    page = preview(client, "title_it\nUna\n", language="it")
    response = confirm_at_once(client, page, language="it")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    # The portal's msgid (locale/ translates it), not the library's, filled in.
    assert message == "«Import of iniziative finished. New: 1; updated: 0; unchanged: 0.»"


def test_organisations_get_the_same_preview(client, staff):
    with translation.override("en"):
        url = reverse("admin:stakeholders_organisation_import")
    upload = SimpleUploadedFile("enti.csv", b"name,type\nAPS Esempio,No Profit\n")
    body = client.post(url, {"resource": 0, "format": 0, "import_file": upload}).content.decode()
    assert 'id="import-preview"' in body and "APS Esempio" in body and 'name="arrival_state"' not in body


# --- The same, as a job -------------------------------------------------------------------


def test_a_jobs_preview_keeps_the_duplicates_and_the_confirmation_posts_the_choices(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 1
    existing = existing_orti()
    text = DUPLICATE + "Nuova,2025-03-01,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        preview(client, text)
    job = ImportJob.objects.get()
    assert (job.state, job.language) == ("checked", "en")
    [entry] = [row for row in job.preview["rows"] if row["action"] == "duplicate"]
    assert entry["candidates"][0]["id"] == existing.pk
    page = job_page(client, job).content.decode()
    assert f'name="duplicate-2" value="update-{existing.pk}"' in page and 'name="arrival_state"' in page

    with django_capture_on_commit_callbacks(execute=True):
        confirm(
            client, job, data={"duplicate-2": f"update-{existing.pk}", "duplicate-9": "new", "arrival_state": "draft"}
        )

    job.refresh_from_db()
    assert job.duplicate_choices == {"2": f"update-{existing.pk}"}  # a choice about no duplicate is dropped
    assert (job.state, job.created_rows, job.updated_rows) == ("done", 1, 1)
    existing.refresh_from_db()
    assert existing.summary_it == "Un'altra sintesi."
    assert Initiative.objects.get(title_it="Nuova").state == "draft"


def test_a_jobs_possible_duplicate_without_a_choice_is_left_out_and_offered_to_correct(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 1
    existing = existing_orti()
    with django_capture_on_commit_callbacks(execute=True):
        preview(client, DUPLICATE + "Nuova,2025-03-01,,\n")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)

    job.refresh_from_db()
    assert (job.state, job.created_rows, job.updated_rows, job.preview["left_out"]) == ("done", 1, 0, 1)
    existing.refresh_from_db()
    assert existing.summary_it == "Orti nei cortili delle scuole."
    page = job_page(client, job).content.decode()
    assert 'id="job-left-out">1<' in page
    with imports.rejected_file_open(job.preview["rejected"]) as stored:
        content = stored.read().decode("utf-8-sig")
    assert content.splitlines()[1].startswith("Orti condivisi;") and "Possible duplicate of" in content
    assert existing.slug in content


def test_a_job_speaks_the_language_of_who_uploaded_the_file(client, staff, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 0
    land = Sector.objects.get(code="gestione-territorio")
    preview(client, "title_it,sectors\nUna,Astrologia\n", language="it")
    preview(client, "title_it,sectors\nUna,Astrologia\n", language="en")
    italian, english = ImportJob.objects.order_by("pk")
    for job in (italian, english):
        run_import_job.delay(job.pk)
        job.refresh_from_db()
    assert italian.language == "it" and land.name_it in italian.errors[0]["message"]
    assert english.language == "en" and land.name_en in english.errors[0]["message"]


# --- Synonyms, and the files of rows to correct over time --------------------------------


def test_staff_edit_the_synonyms_an_import_recognises_in_the_admin(client, staff):
    from initiatives.exchange.resources import OrganisationResource
    from stakeholders.models import OrganisationType

    entry = OrganisationType.objects.get(code="imprese-profit")
    with translation.override("en"):
        change = reverse("admin:stakeholders_organisationtype_change", args=[entry.pk])
        changelist = reverse("admin:stakeholders_organisationtype_changelist")
    page = client.get(change).content.decode()
    assert 'name="synonyms"' in page
    data = {
        "code": entry.code,
        "name_it": entry.name_it,
        "name_en": entry.name_en or "",
        "description_it": "",
        "description_en": "",
        "position": entry.position,
        "synonyms": f"{entry.synonyms}\nstartup innovativa",
        "is_active": "on",
    }
    assert client.post(change, data).status_code == 302
    found = client.get(changelist, {"q": "startup innovativa"}).content.decode()
    assert entry.code in found and "1 organisation type" in found

    outcome = imports.run_import(
        resource_class=OrganisationResource,
        dataset=imports.read_dataset(data=b"name,type\nNuova srl,Startup Innovativa\n", filename="enti.csv"),
        dry_run=False,
    )
    assert outcome.errors == []


def test_the_files_of_rows_to_correct_are_purged_with_the_import_files(client, staff, settings):
    settings.POPS_IMPORT_FILE_RETENTION_DAYS = 2
    page = preview(client, "title_it,departments\nCattiva,XYZ\n")
    name = page.context["rejected_url"].rstrip("/").rsplit("/", 1)[-1]
    with imports.rejected_file_open(name):
        pass
    now = datetime.datetime.now(datetime.UTC)
    assert imports.import_files_purge(now=now + datetime.timedelta(days=1)) == 0
    assert imports.import_files_purge(now=now + datetime.timedelta(days=2, minutes=1)) == 1
    with pytest.raises(FileNotFoundError):
        imports.rejected_file_open(name)
    assert client.get(page.context["rejected_url"]).status_code == 404


def test_a_confirmation_that_cannot_be_read_says_so_and_leads_back_to_the_upload(client, staff):
    upload_url, confirm_url = urls()
    response = client.post(confirm_url, {"format": "0"})  # no file name: the form is invalid
    body = response.content.decode()
    assert response.status_code == 200 and "The confirmation could not be read" in body
    assert f'href="{upload_url}"' in body and not Initiative.objects.exists()
