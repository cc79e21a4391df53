"""Import jobs end: past their time limit, on any exception, or when their
process died, a job is failed with a sentence saying why, writes nothing,
and is never left running."""

import datetime
from types import SimpleNamespace

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from impact.models import ImportJob
from initiatives.exchange import imports
from initiatives.factories import UserFactory
from initiatives.models import Initiative
from initiatives.tasks import close_overdue_import_jobs, run_import_job

pytestmark = pytest.mark.django_db

FIVE = "title_it;start_date\n" + "".join(f"Iniziativa {n};2025-01-0{n}\n" for n in range(1, 6))
STOPPED = "The import took longer than 15 minutes and was stopped; nothing was imported."


def job_for(text: str = FIVE, *, dry_run: bool = False) -> ImportJob:
    return imports.import_job_create(
        kind="initiatives",
        data=text.encode(),
        filename="iniziative.csv",
        total_rows=text.count("\n") - 1,
        user=UserFactory(is_staff=True),
        dry_run=dry_run,
    )


@pytest.fixture
def clock(monkeypatch):
    """The import's clock, moved on by each row saved."""
    now = SimpleNamespace(value=0.0)
    monkeypatch.setattr(imports, "time", SimpleNamespace(monotonic=lambda: now.value))
    save = Initiative.save

    def slow_save(self, *args, **kwargs):
        now.value += 400
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Initiative, "save", slow_save)
    return now


def test_the_task_stops_at_the_time_limit_of_the_setting_and_beat_closes_what_it_killed(settings):
    assert run_import_job.soft_time_limit == settings.POPS_IMPORT_JOB_TIME_LIMIT == 15 * 60
    assert run_import_job.time_limit == settings.POPS_IMPORT_JOB_TIME_LIMIT + imports.IMPORT_JOB_GRACE_SECONDS
    entry = settings.CELERY_BEAT_SCHEDULE["close-overdue-import-jobs"]
    assert entry["task"] == close_overdue_import_jobs.name and entry["schedule"] <= 10 * 60


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "import"])
def test_a_job_past_its_time_limit_stops_after_its_row_and_writes_nothing(clock, dry_run):
    """Also where tasks run in-process (eager, the embedded default), which
    Celery's time limits do not reach: 400 s a row, the third is past 900 s."""
    job = job_for(dry_run=dry_run)

    with translation.override("en"):
        assert run_import_job.delay(job.pk).get() == ImportJob.State.FAILED

    job.refresh_from_db()
    assert job.errors == [{"row": 0, "column": "", "message": STOPPED}]
    assert clock.value == 1200  # stopped after the third row, not at the fifth
    assert job.finished_at is not None and job.file  # kept, as after any failure
    assert not Initiative.objects.exists() and not LogEntry.objects.exists()


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "import"])
def test_celerys_soft_time_limit_inside_a_row_fails_the_job_with_the_reason(monkeypatch, dry_run):
    """Celery raises it wherever the task is, most likely in a row, where
    the resource records an exception and goes on: the job still stops."""
    save = Initiative.save

    def limit_strikes(self, *args, **kwargs):
        if self.title_it == "Iniziativa 5":  # the last row: no later row would see the clock
            raise SoftTimeLimitExceeded()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Initiative, "save", limit_strikes)
    job = job_for(dry_run=dry_run)

    with translation.override("en"):
        run_import_job.delay(job.pk)

    job.refresh_from_db()
    assert (job.state, job.errors) == (ImportJob.State.FAILED, [{"row": 0, "column": "", "message": STOPPED}])
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("where", "raised", "message"),
    [
        ("read_dataset", SoftTimeLimitExceeded(), STOPPED),
        ("read_dataset", MemoryError(), "The import failed unexpectedly; nothing was imported."),
        ("_run_job", SoftTimeLimitExceeded(), STOPPED),  # e.g. while the outcome is written
        ("_run_job", RuntimeError("the database went away"), "The import failed unexpectedly; nothing was imported."),
    ],
    ids=["limit while reading", "error while reading", "limit after the import", "error after the import"],
)
def test_whatever_a_job_raises_it_ends_failed_with_a_sentence(monkeypatch, where, raised, message):
    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(imports, where, fail)
    job = job_for()

    with translation.override("en"):
        assert run_import_job.delay(job.pk).get() == ImportJob.State.FAILED

    job.refresh_from_db()
    assert job.errors == [{"row": 0, "column": "", "message": message}]
    assert job.finished_at is not None and not Initiative.objects.exists()


def running_since(seconds: float) -> ImportJob:
    job = job_for()
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )
    return job


def test_beat_closes_the_jobs_still_running_past_their_time_limit(settings):
    """Their worker was killed by the hard time limit, or died: nothing else would end them."""
    limit = settings.POPS_IMPORT_JOB_TIME_LIMIT + imports.IMPORT_JOB_GRACE_SECONDS
    dead, alive, waiting = running_since(limit + 1), running_since(limit - 30), job_for()

    with translation.override("en"):
        assert close_overdue_import_jobs.delay().get() == 1

    for job in (dead, alive, waiting):
        job.refresh_from_db()
    assert (dead.state, dead.errors[0]["message"]) == (ImportJob.State.FAILED, STOPPED)
    assert dead.finished_at is not None
    assert (alive.state, waiting.state) == (ImportJob.State.RUNNING, ImportJob.State.PENDING)

    # Where no beat runs (the embedded default), the next job closes them.
    settings.POPS_IMPORT_JOB_TIME_LIMIT = 60
    run_import_job.delay(waiting.pk)
    alive.refresh_from_db()
    assert alive.state == ImportJob.State.FAILED


def test_the_job_page_closes_an_overdue_job_where_no_beat_runs(client, settings):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    job = running_since(settings.POPS_IMPORT_JOB_TIME_LIMIT + imports.IMPORT_JOB_GRACE_SECONDS + 1)

    with translation.override("en"):
        status = client.get(reverse("admin:impact_importjob_progress", args=[job.pk])).json()

    assert (status["state"], status["finished"], status["errors"]) == ("failed", True, [STOPPED])


def test_an_import_closed_as_overdue_while_it_ran_writes_nothing(monkeypatch):
    """The sweep said "stopped, nothing imported": the import, if it still
    runs, must not commit its rows afterwards. Its outcome is written in its
    own transaction, only if the job is still running."""
    job = job_for()
    read = imports.read_dataset

    def swept_meanwhile(**kwargs):
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.FAILED, errors=[{"row": 0, "column": "", "message": "closed"}]
        )
        return read(**kwargs)

    monkeypatch.setattr(imports, "read_dataset", swept_meanwhile)

    assert run_import_job.delay(job.pk).get() == ImportJob.State.FAILED

    job.refresh_from_db()
    assert (job.state, job.errors[0]["message"]) == (ImportJob.State.FAILED, "closed")
    assert not Initiative.objects.exists() and not LogEntry.objects.exists()


def test_a_job_whose_worker_process_was_killed_is_failed_at_once(settings):
    """The worker's main process reports a child killed mid-import as a
    task failure (WorkerLostError): the job is failed then, not 16 minutes
    later by beat. tests/faults proves it with a real worker and SIGKILL."""
    from billiard.exceptions import WorkerLostError
    from celery.signals import task_failure

    killed, other = running_since(5), running_since(5)
    settings.LANGUAGE_CODE = "en"
    ImportJob.objects.filter(pk=killed.pk).update(language="en")

    task_failure.send(sender=run_import_job, task_id="t", exception=WorkerLostError(), args=[killed.pk], kwargs={})
    task_failure.send(sender=close_overdue_import_jobs, task_id="u", exception=ValueError(), args=[other.pk])

    killed.refresh_from_db()
    other.refresh_from_db()
    assert killed.state == ImportJob.State.FAILED and killed.finished_at is not None
    assert killed.errors[0]["message"] == (
        "The import stopped: the process running it ended unexpectedly. Nothing was imported."
    )
    assert other.state == ImportJob.State.RUNNING  # another task's failure names no job
    # A job that had finished keeps its outcome.
    ImportJob.objects.filter(pk=other.pk).update(state=ImportJob.State.DONE)
    task_failure.send(sender=run_import_job, task_id="v", exception=WorkerLostError(), args=[other.pk])
    other.refresh_from_db()
    assert other.state == ImportJob.State.DONE


def test_worker_lost_tasks_are_acknowledged_not_run_again(settings):
    """A job is failed, not retried, when its worker dies: a file that killed
    one worker would kill the next."""
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is False
