"""Large imports as Celery tasks: the job, its progress, all or nothing, the admin page."""

import datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from impact import imports
from impact.models import ImportJob
from impact.tasks import run_import_job
from initiatives.factories import InitiativeFactory, UserFactory
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

GOOD = (
    "title_it;start_date;departments\nOrti in città;01/03/2025;DIST\nScuola aperta;2025-01-01;DAD\nMostra;2025-02-01;\n"
)
BAD = "title_it;start_date;departments\nOrti in città;01/03/2025;DIST\nScuola aperta;2025-01-01;XYZ\n"


def job_for(text: str, *, name: str = "iniziative.csv", user=None) -> ImportJob:
    data = text.encode("utf-8-sig")
    return imports.import_job_create(
        kind="initiatives", data=data, filename=name, total_rows=text.count("\n") - 1, user=user
    )


def test_a_job_runs_through_the_task_and_reports_its_counts(settings):
    existing = InitiativeFactory(title_it="Mostra", start_date=datetime.date(2025, 2, 1), participants=1)
    job = job_for(GOOD)
    assert job.state == ImportJob.State.PENDING
    assert Path(job.file.path).is_relative_to(Path(settings.MEDIA_ROOT) / "imports")

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


def test_the_admin_sends_a_large_confirmed_import_to_a_job_and_its_page(
    client, settings, django_capture_on_commit_callbacks
):
    settings.POPS_IMPORT_ASYNC_ROWS = 2
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    upload = SimpleUploadedFile("grande.csv", GOOD.encode())
    preview = client.post(
        reverse("admin:initiatives_initiative_import"), {"resource": 0, "format": 0, "import_file": upload}
    )
    assert not Initiative.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:initiatives_initiative_process_import"), preview.context["confirm_form"].initial
        )

    job = ImportJob.objects.get()
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:impact_importjob_status", args=[job.pk])
    assert (job.user, job.kind, job.original_name, job.total_rows) == (staff, "initiatives", "grande.csv", 3)
    assert Initiative.objects.count() == 3  # eager Celery: done at once

    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and reverse("admin:impact_importjob_progress", args=[job.pk]) in page
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE


def test_the_admin_imports_small_files_at_once(client, settings):
    settings.POPS_IMPORT_ASYNC_ROWS = 3
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("piccolo.csv", GOOD.encode())
    preview = client.post(
        reverse("admin:initiatives_initiative_import"), {"resource": 0, "format": 0, "import_file": upload}
    )

    response = client.post(
        reverse("admin:initiatives_initiative_process_import"), preview.context["confirm_form"].initial
    )

    assert response["Location"] == reverse("admin:initiatives_initiative_changelist")
    assert Initiative.objects.count() == 3 and not ImportJob.objects.exists()
