"""Celery tasks of the impact app: thin wrappers that take ids and call services."""

from celery import shared_task


@shared_task(ignore_result=True)
def run_import_job(job_id: int) -> str:
    """A large import's dry run, or the import once confirmed (see
    impact.imports.import_job_run)."""
    from .imports import import_job_run

    return import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def purge_import_files() -> int:
    """Daily (beat): delete the stored files of import jobs that are no
    longer needed (see impact.imports.import_files_purge)."""
    from .imports import import_files_purge

    return import_files_purge()
