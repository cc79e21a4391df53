"""Celery tasks: thin wrappers that take ids and call services.

The outbox's tasks live beside it (`services.notifications`), so that the
outbox can queue them without importing this module back.
"""

import logging

from celery import shared_task
from celery.signals import task_failure
from django.conf import settings

from initiatives.exchange.census_jobs import census_job_run
from initiatives.exchange.imports import (
    IMPORT_JOB_GRACE_SECONDS,
    import_files_purge,
    import_job_abandoned,
    import_job_run,
    import_jobs_close_overdue,
)
from initiatives.models import CensusCampaign
from initiatives.services.campaigns import campaign_invite, campaign_remind
from initiatives.services.contact import contact_messages_purge
from initiatives.services.notifications import flush_outbox, send_outbound_email

logger = logging.getLogger(__name__)

__all__ = [
    "close_overdue_import_jobs",
    "flush_outbox",
    "purge_contact_messages",
    "purge_import_files",
    "run_census_job",
    "run_import_job",
    "send_campaign_invitations",
    "send_campaign_reminders",
    "send_outbound_email",
]


@shared_task(ignore_result=True)
def send_campaign_invitations(campaign_id: int) -> int:
    return campaign_invite(campaign=CensusCampaign.objects.get(pk=campaign_id))


@shared_task(ignore_result=True)
def send_campaign_reminders() -> int:
    """Daily (Celery beat): reminders for every open campaign."""
    return sum(campaign_remind(campaign=campaign) for campaign in CensusCampaign.objects.all())


@shared_task(
    ignore_result=True,
    # The soft limit stops the import (it fails, nothing written); the hard
    # one kills a task that did not stop, and close_overdue_import_jobs then
    # closes its job.
    soft_time_limit=settings.POPS_IMPORT_JOB_TIME_LIMIT,
    time_limit=settings.POPS_IMPORT_JOB_TIME_LIMIT + IMPORT_JOB_GRACE_SECONDS,
)
def run_import_job(job_id: int) -> str:
    """A large import's dry run, or the import once confirmed (see
    `exchange.imports.import_job_run`)."""
    return import_job_run(job_id=job_id)


@shared_task(
    ignore_result=True,
    soft_time_limit=settings.POPS_IMPORT_JOB_TIME_LIMIT,
    time_limit=settings.POPS_IMPORT_JOB_TIME_LIMIT + IMPORT_JOB_GRACE_SECONDS,
)
def run_census_job(job_id: int) -> str:
    """A census workbook's dry run, or its import once confirmed (see
    `exchange.census_jobs.census_job_run`), with the import jobs' time limits."""
    return census_job_run(job_id=job_id)


JOB_TASKS = {run_import_job.name, run_census_job.name}


@task_failure.connect
def _close_the_job_of_a_lost_task(sender=None, exception=None, args=None, kwargs=None, **_extra) -> None:
    """A job task that failed without recording the outcome: above all its
    worker process killed mid-import, which the worker's main process reports
    here (WorkerLostError; tasks are acks_late without reject_on_worker_lost,
    so the message is acknowledged, not run again)."""
    if getattr(sender, "name", None) not in JOB_TASKS:
        return
    job_id = args[0] if args else (kwargs or {}).get("job_id")
    if job_id is not None and import_job_abandoned(job_id=job_id):
        logger.warning("Import job %s closed as failed: its task ended with %r", job_id, exception)


@shared_task(ignore_result=True)
def close_overdue_import_jobs() -> int:
    """Every few minutes (beat): fail the import jobs still running past their
    time limit, whose worker was killed or died (see
    `exchange.imports.import_jobs_close_overdue`)."""
    return import_jobs_close_overdue()


@shared_task(ignore_result=True)
def purge_import_files() -> int:
    """Daily (beat): delete the stored files of import jobs that are no longer
    needed (see `exchange.imports.import_files_purge`)."""
    return import_files_purge()


@shared_task(ignore_result=True)
def purge_contact_messages() -> int:
    """Daily (beat): delete visitors' messages past POPS_CONTACT_RETENTION_DAYS
    (see `services.contact.contact_messages_purge`)."""
    return contact_messages_purge()
