"""Large imports as Celery tasks: the job, its progress, all or nothing, the admin page,
the admin history it writes and what becomes of the stored file."""

import datetime
import io
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from impact.models import ImportJob
from initiatives.exchange import imports
from initiatives.exchange.resources import InitiativeResource
from initiatives.factories import DepartmentFactory, InitiativeFactory, UserFactory
from initiatives.models import Department, Initiative
from initiatives.tasks import purge_import_files, run_import_job
from stakeholders.factories import OrganisationFactory
from stakeholders.models import Organisation
from tests.impact.test_imports import VisibleCells, snapshot

pytestmark = pytest.mark.django_db

# Two new initiatives, and one named by its slug: new, or an update of "Mostra" where it exists.
GOOD = (
    "slug;title_it;start_date;departments;participants\n"
    ";Orti in città;01/03/2025;DIST;\n"
    ";Scuola aperta;2025-01-01;DAD;\n"
    "mostra;Mostra;2025-02-01;;50\n"
)
BAD = "title_it;start_date;departments\nOrti in città;01/03/2025;DIST\nScuola aperta;2025-01-01;XYZ\n"


def job_for(text: str, *, name: str = "iniziative.csv", user=None) -> ImportJob:
    data = text.encode("utf-8-sig")
    return imports.import_job_create(
        kind="initiatives", data=data, filename=name, total_rows=text.count("\n") - 1, user=user
    )


def test_a_job_runs_through_the_task_and_reports_its_counts(settings):
    existing = InitiativeFactory(slug="mostra", title_it="Mostra", start_date=datetime.date(2025, 2, 1), participants=1)
    job = job_for(GOOD)
    assert job.state == ImportJob.State.PENDING
    assert Path(job.file.path).is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT) / "imports")

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert (job.state, job.errors) == (ImportJob.State.DONE, [])
    assert (job.total_rows, job.processed_rows) == (3, 3)
    assert (job.created_rows, job.updated_rows) == (2, 1)
    assert job.started_at <= job.finished_at
    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Mostra", "Orti in città", "Scuola aperta"]
    assert Initiative.objects.get(title_it="Orti in città").departments.get().code == "DIST"
    assert Initiative.objects.filter(pk=existing.pk).count() == 1


def test_a_failing_file_changes_nothing_and_the_job_fails_with_every_error():
    InitiativeFactory(title_it="Già presente")
    before = list(Initiative.objects.values_list("pk", "title_it", "updated_at"))
    job = job_for(BAD)

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert list(Initiative.objects.values_list("pk", "title_it", "updated_at")) == before
    assert (job.created_rows, job.updated_rows) == (0, 0)
    [error] = job.errors
    assert (error["row"], error["column"]) == (3, "departments")
    assert '"XYZ"' in error["message"]


def test_the_stored_file_is_checked_by_type_before_it_is_read():
    job = imports.import_job_create(kind="initiatives", data=b"%PDF-1.4", filename="dati.pdf", total_rows=1)

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "“dati.pdf”" in job.errors[0]["message"]  # "Only CSV and XLSX files can be imported, not ..."


def test_a_job_runs_once_even_if_the_task_is_delivered_twice():
    job = job_for(GOOD)
    run_import_job.delay(job.pk)
    assert run_import_job.delay(job.pk).get() == ImportJob.State.DONE
    assert Initiative.objects.count() == 3


def test_progress_goes_through_the_cache_while_the_transaction_runs(monkeypatch):
    written = []
    set_in_cache = cache.set

    def spy(key, value, *args, **kwargs):
        if key == imports.job_progress_key(job.pk):
            # The job's row still says "running": the progress is only in the cache.
            written.append((value, ImportJob.objects.get(pk=job.pk).state))
        return set_in_cache(key, value, *args, **kwargs)

    job = job_for(GOOD)
    monkeypatch.setattr(imports.cache, "set", spy)

    run_import_job.delay(job.pk)

    assert [value for value, _state in written] == [0, 1, 2, 3]
    assert {state for _value, state in written} == {ImportJob.State.RUNNING}


def test_the_status_endpoint_returns_the_progress_then_the_outcome(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    job = job_for(GOOD, user=staff)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    cache.set(imports.job_progress_key(job.pk), 2)
    url = reverse("admin:impact_importjob_progress", args=[job.pk])

    running = client.get(url).json()
    assert (running["state"], running["processed"], running["total"], running["finished"]) == ("running", 2, 3, False)

    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.PENDING)
    run_import_job.delay(job.pk)
    done = client.get(url).json()
    assert (done["state"], done["processed"], done["created"], done["finished"], done["errors"]) == (
        "done",
        3,
        3,
        True,
        [],
    )


def test_the_status_endpoint_is_for_staff_only(client):
    job = job_for(GOOD)
    url = reverse("admin:impact_importjob_progress", args=[job.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


# --- The admin: a large file's dry run, its preview, its confirmation ----------------------

# One good row, two bad ones (row 3: two columns; row 4: the dates).
MIXED = (
    "title_it,start_date,end_date,budget,departments\n"
    "Buona,2025-01-01,,,DIST\n"
    "Una,2025-01-01,,mille,XYZ\n"
    "Due,2025-06-01,2025-01-01,,\n"
)


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def upload(client, text: str, name: str = "grande.csv"):
    with translation.override("en"):  # the admin in English: /en/admin/...
        url = reverse("admin:initiatives_initiative_import")
    return client.post(url, {"resource": 0, "format": 0, "import_file": SimpleUploadedFile(name, text.encode())})


def job_page(client, job: ImportJob, **kwargs):
    with translation.override("en"):
        return client.get(reverse("admin:impact_importjob_status", args=[job.pk]), **kwargs)


def confirm(client, job: ImportJob, **kwargs):
    with translation.override("en"):
        return client.post(reverse("admin:impact_importjob_confirm", args=[job.pk]), **kwargs)


def problem_rows(body: str) -> list[list[str]]:
    cells = VisibleCells()
    cells.feed(body)
    return [row for row in cells.rows if row]


def preview_counts(body: str) -> tuple[str, str, str]:
    def count(name):
        marker = f'<span id="preview-{name}">'
        start = body.index(marker) + len(marker)
        return body[start : body.index("</span>", start)]

    return count("new"), count("updated"), count("skipped")


def test_a_large_upload_is_dry_run_by_a_job_not_in_the_request_and_writes_nothing(
    client, staff, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    InitiativeFactory(slug="mostra", title_it="Mostra", start_date=datetime.date(2025, 2, 1), participants=1)
    before = snapshot()
    dry_runs = []
    import_data = InitiativeResource.import_data

    def spy(self, dataset, **kwargs):
        dry_runs.append(kwargs["dry_run"])
        return import_data(self, dataset, **kwargs)

    monkeypatch.setattr(InitiativeResource, "import_data", spy)

    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, GOOD)

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:impact_importjob_status", args=[job.pk])
    assert dry_runs == []  # the request read no row: the task will
    assert (job.phase, job.state, job.kind, job.user, job.total_rows) == ("dry_run", "pending", "initiatives", staff, 3)
    assert len(callbacks) == 1

    callbacks[0]()  # the task, once the request's transaction commits (eager Celery)

    job.refresh_from_db()
    assert dry_runs == [True]
    assert (job.phase, job.state, job.errors, job.processed_rows) == ("dry_run", "checked", [], 3)
    assert {key: job.preview[key] for key in ("new", "update", "skip", "duplicate")} == {
        "new": 2,
        "update": 1,
        "skip": 0,
        "duplicate": 0,
    }
    assert (job.created_rows, job.updated_rows) == (0, 0)  # nothing imported yet
    assert snapshot() == before and not LogEntry.objects.exists()
    assert Path(job.file.path).exists()  # kept for the confirmation
    page = job_page(client, job).content.decode()
    assert preview_counts(page) == ("2", "1", "0")
    assert 'name="confirm"' in page and reverse("admin:impact_importjob_confirm", args=[job.pk]) in page
    assert problem_rows(page) == []


def test_the_type_and_size_of_a_large_upload_are_checked_before_any_job(client, staff, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 0
    response = upload(client, "%PDF-1.4\n" * 10, name="dati.pdf")
    assert response.status_code == 200 and "dati.pdf" in response.content.decode()
    settings.POPS_IMPORT_MAX_BYTES = 10
    assert upload(client, GOOD).status_code == 200
    assert not ImportJob.objects.exists()


def test_the_preview_of_a_large_file_lists_every_bad_row_and_imports_the_valid_ones_only_when_asked(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, MIXED)
    job = ImportJob.objects.get()
    assert (job.phase, job.state) == ("dry_run", "checked")
    assert (job.preview["new"], job.preview["update"], job.preview["skip"]) == (1, 0, 0)
    assert job.preview["rejected"]  # the file of rows to correct
    assert not Initiative.objects.exists()

    assert response["Location"] == reverse("admin:impact_importjob_status", args=[job.pk])
    page = job_page(client, job).content.decode()
    rows = problem_rows(page)
    assert [row[:2] for row in rows] == [["3", "budget"], ["3", "departments"], ["4", "end_date"]]
    assert rows[1][2].startswith('Unknown department "XYZ".')
    assert "Nothing has been imported: 2 rows have errors. Correct the file and upload it again." in page
    assert preview_counts(page)[0] == "1"
    # All or nothing cannot be confirmed; the valid rows only can, explicitly.
    assert 'name="confirm"' not in page and 'name="valid_rows_only"' in page
    assert "Import the 1 valid row only" in page
    with translation.override("en"):
        assert f'href="{reverse("admin:initiatives_initiative_import")}"' in page  # upload a corrected file
        rejected_url = reverse("admin:initiatives_initiative_import_rejected", args=[job.preview["rejected"]])
    assert f'href="{rejected_url}"' in page

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = confirm(client, job, follow=True)

    assert callbacks == []
    with translation.override("en"):
        assert refused.redirect_chain == [(reverse("admin:impact_importjob_status", args=[job.pk]), 302)]
    [message] = [str(m) for m in refused.context["messages"]]
    assert message == (
        "This file cannot be imported whole: some rows have errors. Import the valid rows only, "
        "or correct the file and upload it again."
    )
    job.refresh_from_db()
    assert (job.phase, job.state) == ("dry_run", "checked")
    assert not Initiative.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        confirm(client, job, data={"valid_rows_only": "on", "arrival_state": "draft"})

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.phase, job.state, job.valid_rows_only, job.arrival_state) == ("import", "done", True, "draft")
    assert (job.created_rows, job.updated_rows) == (1, 0)
    assert list(Initiative.objects.values_list("title_it", "state")) == [("Buona", "draft")]
    assert len(job.errors) == 3  # the rows left out, still listed
    page = job_page(client, job).content.decode()
    assert "Imported." in page and "2 rows with errors were left out" in page
    download = client.get(rejected_url)
    content = b"".join(download.streaming_content).decode("utf-8-sig")  # read to the end: closed
    header, *lines = content.splitlines()
    assert header == "title_it;start_date;end_date;budget;departments;problems"
    assert [line.split(";")[0] for line in lines] == ["Una", "Due"]
    assert "budget: " in lines[0] and "departments: Unknown department" in lines[0]


def test_confirming_a_clean_preview_starts_the_write_job_which_imports_every_row(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    existing = InitiativeFactory(slug="mostra", title_it="Mostra", start_date=datetime.date(2025, 2, 1), participants=1)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    path = Path(job.file.path)
    assert job.state == ImportJob.State.CHECKED and Initiative.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = confirm(client, job)

    assert len(callbacks) == 1  # the task, after the confirmation commits
    assert response["Location"] == reverse("admin:impact_importjob_status", args=[job.pk])
    job.refresh_from_db()
    assert (job.phase, job.state, job.errors) == ("import", "done", [])
    assert (job.processed_rows, job.created_rows, job.updated_rows, job.skipped_rows) == (3, 2, 1, 0)
    assert sorted(Initiative.objects.values_list("title_it", flat=True)) == ["Mostra", "Orti in città", "Scuola aperta"]
    assert Initiative.objects.filter(pk=existing.pk).count() == 1
    assert LogEntry.objects.filter(user=staff).count() == 3
    assert not path.exists() and job.file.name == ""  # deleted once imported
    page = job_page(client, job).content.decode()
    assert "Imported." in page and 'name="confirm"' not in page

    # A second confirmation (another tab, a double click) imports nothing twice.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = confirm(client, job, follow=True)
    assert callbacks == [] and Initiative.objects.count() == 3
    assert [str(m) for m in again.context["messages"]] == ["This import has already been confirmed."]


def test_a_write_that_fails_after_a_clean_preview_leaves_the_database_as_before(
    client, staff, settings, django_capture_on_commit_callbacks
):
    """Between the preview and the confirmation a department named by one row
    is deleted: the write checks every row again and writes none of them."""
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    existing = InitiativeFactory(title_it="Già presente", participants=5)
    DepartmentFactory(code="XTEST")  # after the factory, which may give its people any department
    text = (
        "slug,title_it,start_date,participants,departments\n"
        ",Prima,2025-01-01,,DIST\n"
        ",Seconda,2025-01-01,,XTEST\n"
        f"{existing.slug},Già presente,,50,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, text)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CHECKED
    Department.objects.filter(code="XTEST").delete()
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)

    job.refresh_from_db()
    assert (job.phase, job.state, job.created_rows, job.updated_rows) == ("import", "failed", 0, 0)
    assert snapshot() == before and Initiative.objects.count() == 1
    assert not LogEntry.objects.exists()
    assert Path(job.file.path).exists()  # kept for the retention period
    page = job_page(client, job).content.decode()
    [[row, column, message]] = problem_rows(page)
    assert (row, column) == ("3", "departments") and message.startswith('Unknown department "XTEST".')
    assert "the data changed in the meantime" in page and 'name="confirm"' not in page


def test_a_write_that_breaks_half_way_after_a_clean_preview_writes_nothing(
    client, staff, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    save = Initiative.save

    def break_on_the_third(self, *args, **kwargs):
        if self.title_it == "Mostra":
            raise RuntimeError("the database went away")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Initiative, "save", break_on_the_third)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.errors
    assert not Initiative.objects.exists() and not LogEntry.objects.exists()


def test_progress_is_reported_during_the_dry_run(monkeypatch):
    written = []
    set_in_cache = cache.set

    def spy(key, value, *args, **kwargs):
        if key == imports.job_progress_key(job.pk):
            job_now = ImportJob.objects.get(pk=job.pk)
            written.append((value, job_now.phase, job_now.state))
        return set_in_cache(key, value, *args, **kwargs)

    job = imports.import_job_create(
        kind="initiatives", data=GOOD.encode(), filename="grande.csv", total_rows=3, dry_run=True
    )
    monkeypatch.setattr(imports.cache, "set", spy)

    assert run_import_job.delay(job.pk).get() == ImportJob.State.CHECKED

    assert written == [(done, "dry_run", "running") for done in (0, 1, 2, 3)]
    assert not Initiative.objects.exists()


def test_the_status_endpoint_of_a_dry_run_says_when_to_stop_polling(client, staff):
    job = imports.import_job_create(
        kind="initiatives", data=BAD.encode(), filename="grande.csv", total_rows=2, user=staff, dry_run=True
    )
    url = reverse("admin:impact_importjob_progress", args=[job.pk])
    pending = client.get(url).json()
    assert (pending["phase"], pending["finished"], pending["preview"], pending["confirmable"]) == (
        "dry_run",
        False,
        None,
        False,
    )

    run_import_job.delay(job.pk)

    checked = client.get(url).json()
    # One good row: it may be imported alone (staff choose to, seeing the bad one).
    assert (checked["state"], checked["finished"], checked["confirmable"]) == ("checked", True, True)
    assert checked["preview"] == {"new": 1, "update": 0, "skip": 0, "duplicate": 0}
    assert len(checked["errors"]) == 1 and "XYZ" in checked["errors"][0]

    only_bad = imports.import_job_create(
        kind="initiatives",
        data=BAD.replace("DIST", "NOPE").encode(),
        filename="g.csv",
        total_rows=2,
        user=staff,
        dry_run=True,
    )
    run_import_job.delay(only_bad.pk)
    failed = client.get(reverse("admin:impact_importjob_progress", args=[only_bad.pk])).json()
    assert (failed["state"], failed["finished"], failed["confirmable"]) == ("failed", True, False)


def test_only_who_uploaded_the_file_confirms_it_and_only_by_post(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    with translation.override("en"):
        assert client.get(reverse("admin:impact_importjob_confirm", args=[job.pk])).status_code == 405

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = job_page(client, job).content.decode()
    assert 'name="confirm"' not in page and "Only the person who uploaded the file can confirm" in page
    assert confirm(client, job).status_code == 403

    client.force_login(UserFactory(is_staff=True))  # no permission to see the job at all
    assert confirm(client, job).status_code == 403
    job.refresh_from_db()
    assert (job.phase, job.state) == ("dry_run", "checked") and not Initiative.objects.exists()


def test_a_preview_nobody_confirms_is_closed_with_its_file_and_cannot_be_confirmed_late(
    client, staff, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    settings.POPS_IMPORT_FILE_RETENTION_DAYS = 3
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    job = ImportJob.objects.get()
    path = Path(job.file.path)

    assert imports.import_files_purge(now=job.created_at + datetime.timedelta(days=2)) == 0
    assert path.exists()
    with translation.override("en"):
        assert imports.import_files_purge(now=job.created_at + datetime.timedelta(days=3, minutes=1)) == 1

    job.refresh_from_db()
    assert not path.exists() and job.state == ImportJob.State.FAILED
    assert job.errors[0]["message"] == "The import was not confirmed within 3 days; its file was deleted."
    refused = confirm(client, job, follow=True)
    assert [str(m) for m in refused.context["messages"]] == ["This import cannot be confirmed: upload the file again."]
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        "title_it;start_date\n\nUna;2025-01-01\n\n\nDue;2025-01-01\n",  # blank lines
        'title_it,summary_it\n"Una","due\nrighe"\nTre,\n',  # a cell over two lines
        "\ufefftitle_it;start_date\r\nUna;2025-01-01\r\n",
    ],
)
def test_rows_are_counted_as_the_import_reads_them(text):
    data = text.encode("utf-8")
    assert imports.count_rows(data=data, filename="f.csv") == len(imports.read_dataset(data=data, filename="f.csv"))


def test_xlsx_rows_are_counted_as_the_import_reads_them_or_by_the_declared_size():
    book = Workbook()
    sheet = book.active
    sheet.append(["title_it", "start_date"])
    for number in range(5):
        sheet.append([f"Iniziativa {number}", datetime.date(2025, 1, 1)])
    stream = io.BytesIO()
    book.save(stream)
    data = stream.getvalue()

    assert (
        imports.count_rows(data=data, filename="f.xlsx") == 5 == len(imports.read_dataset(data=data, filename="f.xlsx"))
    )
    assert imports.count_rows(data=data, filename="f.xlsx", more_than=2) == 5
    assert imports.count_rows(data=b"PK\x03\x04 not a workbook", filename="f.xlsx") is None
    assert imports.count_rows(data="città".encode("latin-1"), filename="f.csv") is None


def test_the_admin_imports_small_files_at_once(client, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 3
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("piccolo.csv", GOOD.encode())
    preview = client.post(
        reverse("admin:initiatives_initiative_import"), {"resource": 0, "format": 0, "import_file": upload}
    )

    assert not ImportJob.objects.exists()  # previewed in the request, as before
    assert 'name="confirm"' in preview.content.decode() and not Initiative.objects.exists()

    response = client.post(
        reverse("admin:initiatives_initiative_process_import"), preview.context["confirm_form"].initial
    )

    assert response["Location"] == reverse("admin:initiatives_initiative_changelist")
    assert Initiative.objects.count() == 3 and not ImportJob.objects.exists()


# --- Admin history ------------------------------------------------------------------------

UPDATE_AND_NEW = (
    "slug;title_it;start_date;departments\norti-in-citta;Orti in città;01/03/2025;DAD\n;Nuova;2025-04-01;\n"
)


def history() -> list[tuple]:
    return sorted(
        LogEntry.objects.values_list("object_repr", "action_flag", "change_message", "user__username", "content_type")
    )


def test_a_background_import_writes_the_history_of_each_object_as_an_import_done_at_once(
    client, settings, django_capture_on_commit_callbacks
):
    staff = UserFactory(username="curatrice", is_staff=True, is_superuser=True)
    client.force_login(staff)
    initiative = ContentType.objects.get_for_model(Initiative).pk

    def admin_import(text: str) -> None:
        upload = SimpleUploadedFile("iniziative.csv", text.encode())
        with django_capture_on_commit_callbacks(execute=True):
            preview = client.post(
                reverse("admin:initiatives_initiative_import"), {"resource": 0, "format": 0, "import_file": upload}
            )
        if preview.status_code == 302:  # a large file: a dry-run job, then its confirmation
            job = ImportJob.objects.get()
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("admin:impact_importjob_confirm", args=[job.pk]))
        else:
            client.post(reverse("admin:initiatives_initiative_process_import"), preview.context["confirm_form"].initial)

    settings.POPS_IMPORT_ASYNC_ROWS = 10
    admin_import(GOOD)  # at once: django-import-export writes the history
    assert not ImportJob.objects.exists()
    at_once = history()
    assert at_once == [
        (title, ADDITION, "new through import_export", "curatrice", initiative)
        for title in ("Mostra", "Orti in città", "Scuola aperta")
    ]
    LogEntry.objects.all().delete()

    settings.POPS_IMPORT_ASYNC_ROWS = 1
    admin_import(UPDATE_AND_NEW)  # in the background: the job writes it
    job = ImportJob.objects.get()
    assert (job.state, job.created_rows, job.updated_rows, job.skipped_rows) == (ImportJob.State.DONE, 1, 1, 0)
    assert history() == [
        ("Nuova", ADDITION, "new through import_export", "curatrice", initiative),
        ("Orti in città", CHANGE, "update through import_export", "curatrice", initiative),
    ]
    orti = Initiative.objects.get(title_it="Orti in città")
    assert LogEntry.objects.get(action_flag=CHANGE).object_id == str(orti.pk)


def test_unchanged_rows_get_no_history_and_organisations_get_their_own():
    staff = UserFactory(is_staff=True)
    kind = OrganisationFactory(name="Comune di Torino", municipality="Torino").type.code
    text = f"name,type,municipality\nComune di Torino,{kind},Torino\nNuova APS,{kind},Ivrea\n"
    job = imports.import_job_create(
        kind="organisations",
        data=text.encode(),
        filename="enti.csv",
        total_rows=2,
        user=staff,
    )

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert (job.state, job.created_rows, job.skipped_rows) == (ImportJob.State.DONE, 1, 1), job.errors
    [entry] = LogEntry.objects.all()
    assert (entry.object_repr, entry.action_flag, entry.user) == ("Nuova APS", ADDITION, staff)
    assert entry.content_type == ContentType.objects.get_for_model(Organisation)


def test_the_history_is_written_in_the_import_transaction(monkeypatch):
    written = imports.import_log_entries

    def write_then_fail(**kwargs):
        assert written(**kwargs) == 3
        assert LogEntry.objects.count() == 3
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "import_log_entries", write_then_fail)
    job = job_for(GOOD, user=UserFactory(is_staff=True))

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert not Initiative.objects.exists() and not LogEntry.objects.exists()


def test_a_failed_background_import_writes_no_history():
    job = job_for(BAD, user=UserFactory(is_staff=True))
    run_import_job.delay(job.pk)
    assert not LogEntry.objects.exists()


# --- The stored file ----------------------------------------------------------------------


def test_the_file_of_a_successful_job_is_deleted_when_it_ends():
    job = job_for(GOOD)
    path = Path(job.file.path)
    assert path.exists()

    run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert not path.exists() and job.file.name == ""


def test_the_file_of_a_failed_job_is_kept_for_the_retention_period_then_purged_by_the_beat_task(settings):
    settings.POPS_IMPORT_FILE_RETENTION_DAYS = 7
    assert settings.CELERY_BEAT_SCHEDULE["purge-import-files"]["task"] == purge_import_files.name
    job = job_for(BAD)
    path = Path(job.file.path)
    run_import_job.delay(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and path.exists()

    assert imports.import_files_purge(now=job.finished_at + datetime.timedelta(days=6, hours=23)) == 0
    assert path.exists()

    ImportJob.objects.filter(pk=job.pk).update(finished_at=job.finished_at - datetime.timedelta(days=7, minutes=1))
    purge_import_files.delay()

    job.refresh_from_db()
    assert not path.exists() and job.file.name == ""
    assert job.state == ImportJob.State.FAILED and job.errors[0]["column"] == "departments"  # the outcome stays


def test_the_purge_closes_jobs_that_never_finished_and_a_late_task_does_not_run_them(settings):
    settings.POPS_IMPORT_FILE_RETENTION_DAYS = 2
    lost, recent = job_for(GOOD), job_for(GOOD)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=lost.created_at - datetime.timedelta(days=3))
    lost_path, recent_path = Path(lost.file.path), Path(recent.file.path)

    with translation.override("en"):
        assert imports.import_files_purge() == 1

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert not lost_path.exists() and recent_path.exists()
    assert lost.state == ImportJob.State.FAILED and lost.finished_at is not None
    assert lost.errors[0]["message"] == "The import did not finish within 2 days; its file was deleted."
    assert recent.state == ImportJob.State.PENDING

    assert run_import_job.delay(lost.pk).get() == ImportJob.State.FAILED
    assert not Initiative.objects.exists()


def test_deleting_a_job_deletes_its_file_once_the_deletion_is_committed(django_capture_on_commit_callbacks):
    kept, deleted = job_for(BAD), job_for(BAD)
    kept_path, deleted_path = Path(kept.file.path), Path(deleted.file.path)
    kept_pk = kept.pk

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            kept.delete()
            transaction.set_rollback(True)
        ImportJob.objects.filter(pk=deleted.pk).delete()

    assert kept_path.exists() and ImportJob.objects.filter(pk=kept_pk).exists()
    assert not deleted_path.exists()


def test_staff_download_a_failed_jobs_file_from_its_page_until_it_is_purged(client, settings):
    settings.POPS_IMPORT_FILE_RETENTION_DAYS = 7
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    job = job_for(BAD, name="mie iniziative.csv", user=staff)
    run_import_job.delay(job.pk)
    file_url = reverse("admin:impact_importjob_file", args=[job.pk])

    page = client.get(reverse("admin:impact_importjob_status", args=[job.pk])).content.decode()
    assert f'href="{file_url}"' in page
    change = client.get(reverse("admin:impact_importjob_change", args=[job.pk])).content.decode()
    assert f'href="{file_url}"' in change and "/media/" not in change

    response = client.get(file_url)
    assert response["Content-Disposition"] == 'attachment; filename="mie iniziative.csv"'
    assert b"".join(response.streaming_content) == BAD.encode("utf-8-sig")  # read to the end: closed

    client.force_login(UserFactory(is_staff=True))  # not theirs, no permission to see jobs
    assert client.get(file_url).status_code == 403

    client.force_login(staff)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=job.created_at - datetime.timedelta(days=8))
    imports.import_files_purge()
    assert client.get(file_url).status_code == 404
    assert (
        f'href="{file_url}"' not in client.get(reverse("admin:impact_importjob_status", args=[job.pk])).content.decode()
    )


def test_import_files_are_kept_in_the_private_storage_never_under_media(client, settings):
    job = job_for(BAD, name="rows.csv", user=UserFactory(is_staff=True))
    stored = Path(job.file.path)

    assert stored.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.csv"))
    with pytest.raises(ValueError, match="private file"):
        _ = job.file.url
    assert client.get(f"/{settings.MEDIA_URL}{job.file.name}").status_code == 404
    assert client.get(f"/{settings.MEDIA_URL}imports/{stored.name}").status_code == 404


def test_the_files_of_earlier_jobs_move_out_of_media(settings):
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    migration = importlib.import_module("impact.migrations.0007_import_files_private")
    name = default_storage.save("imports/old rows.csv", ContentFile(BAD.encode()))
    job = ImportJob.objects.create(kind="initiatives", original_name="old rows.csv")
    ImportJob.objects.filter(pk=job.pk).update(file=name)

    migration.move_import_files_to_private_storage(apps, None)

    job.refresh_from_db()
    assert not default_storage.exists(name)
    assert Path(job.file.path).is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT))
    with job.file.open("rb") as moved:
        assert moved.read() == BAD.encode()
