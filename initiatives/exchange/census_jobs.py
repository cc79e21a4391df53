"""Census workbooks imported from the admin, as import jobs (impact.ImportJob,
kind "census"), run by the task initiatives.tasks.run_census_job:

1. Upload: the file is stored (private storage) with a job in the dry-run
   phase and the options staff chose (arrival state, all or only the valid).
2. Dry run: every sheet is checked and matched; the preview (totals, every
   problem, notices, each initiative's outcome, each possible duplicate
   with its comparison) is kept on the job, which is then CHECKED, or FAILED
   when nothing could be imported.
3. Confirmation: staff choose, per possible duplicate, update, new or skip;
   the job moves to the import phase and the task checks the file again
   with those choices and writes it (census_import.census_apply), or fails
   saying why. The file is deleted once imported.
"""

from __future__ import annotations

import logging
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from impact.models import ImportJob
from initiatives.exchange.census_import import (
    CHOICE_NEW,
    CHOICE_SKIP,
    CHOICE_UPDATE,
    DUPLICATE,
    NEW,
    UPDATE,
    CensusFileError,
    census_apply,
    census_plan,
    rejected_rows_workbook,
)
from initiatives.exchange.imports import (
    import_job_discard_file,
    import_job_finish,
    import_jobs_close_overdue,
    import_time_limit_message,
)
from initiatives.models import Initiative
from initiatives.services.workflow import ARRIVAL_STATES

logger = logging.getLogger(__name__)


def census_job_create(
    *, data: bytes, filename: str, user, arrival: str, valid_only: bool, language: str = ""
) -> ImportJob:
    if arrival not in ARRIVAL_STATES:
        raise ValueError(arrival)
    job = ImportJob(
        kind=ImportJob.Kind.CENSUS,
        phase=ImportJob.Phase.DRY_RUN,
        original_name=filename,
        user=user,
        arrival_state=arrival,
        valid_rows_only=bool(valid_only),
        language=language,
    )
    job.file.save(Path(filename).name, ContentFile(data), save=False)
    job.save()
    return job


def _read(job: ImportJob) -> bytes:
    with job.file.open("rb") as stored:
        return stored.read()


def census_job_plan(job: ImportJob):
    """The plan of a job's stored file, with the choices made so far."""
    return census_plan(data=_read(job), filename=job.original_name, choices=job.duplicate_choices or {})


def census_job_run(*, job_id: int) -> str:
    """Run a pending census job (dry run or import); returns its final state.
    Whatever goes wrong ends the job FAILED with a sentence, never RUNNING."""
    import_jobs_close_overdue()
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.PENDING).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job.state
    with translation.override(job.language or translation.get_language()):  # the uploader's language
        return _census_job_run(job)


def _census_job_run(job: ImportJob) -> str:
    valid_only = job.valid_rows_only
    errors: list[dict] = []
    preview: dict = job.preview or {}
    total = 0
    try:
        plan = census_job_plan(job)
        preview = plan.summary()
        total = len(plan.entries)
        if job.phase == ImportJob.Phase.DRY_RUN:
            # Possible duplicates wait for the staff's choice at confirmation;
            # anything else that stops the import fails the check.
            if valid_only:
                confirmable = not plan.file_problems and any(
                    e.outcome in (NEW, UPDATE, DUPLICATE) for e in plan.entries
                )
            else:
                confirmable = not plan.problems
            if not confirmable:
                errors = preview["problems"] or [_message(_("Nothing in this file can be imported."))]
        elif not plan.can_write(valid_only=valid_only):
            errors = preview["problems"] or [
                _message(_("The possible duplicates need a choice: nothing was imported."))
            ]
        else:
            # The outcome is committed with the rows, and only while the job
            # still runs (one closed meanwhile as overdue imports nothing).
            with transaction.atomic():
                outcome = census_apply(
                    plan, user=job.user, arrival=job.arrival_state or ARRIVAL_STATES[0], valid_only=valid_only
                )
                if not import_job_finish(
                    job,
                    state=ImportJob.State.DONE,
                    errors=[],
                    preview=preview,
                    total_rows=total,
                    processed_rows=total,
                    created_rows=outcome.created,
                    updated_rows=outcome.updated,
                    skipped_rows=outcome.unchanged,
                ):
                    transaction.set_rollback(True)
            if job.state == ImportJob.State.DONE:
                import_job_discard_file(job)
            return job.state
    except CensusFileError as exc:
        errors, total = [_message(str(exc))], 0
    except ValidationError as exc:
        errors, total = [_message(" ".join(exc.messages))], 0
    except SoftTimeLimitExceeded:
        errors, total = [_message(import_time_limit_message())], 0
    except Exception:
        logger.exception("Census import job %s failed", job.pk)
        errors, total = [_message(_("The import failed unexpectedly; nothing was imported."))], 0
    dry_run_passed = job.phase == ImportJob.Phase.DRY_RUN and not errors
    import_job_finish(
        job,
        state=ImportJob.State.CHECKED if dry_run_passed else ImportJob.State.FAILED,
        errors=errors,
        preview=preview,
        total_rows=total,
        processed_rows=total,
    )
    return job.state


def _message(text: str) -> dict:
    return {"sheet": "", "row": 0, "column": "", "message": str(text)}


def census_job_confirm(*, job: ImportJob, choices: dict[str, str]) -> ImportJob:
    """Staff confirm a checked dry run with a choice for every possible
    duplicate (CHOICE_NEW, CHOICE_SKIP, or CHOICE_UPDATE + one of its
    candidates); the job moves to the import phase, pending, for the task
    (enqueue it once the transaction commits). Refused with a ValidationError
    saying why."""
    duplicates = {d["key"]: d for d in (job.preview or {}).get("duplicates", [])}
    missing = [d["title"] for key, d in duplicates.items() if key not in choices]
    if missing:
        raise ValidationError(
            _("Choose what to do with each possible duplicate (%(titles)s).") % {"titles": ", ".join(missing[:5])},
            code="choice_missing",
        )
    clean = {}
    for key, choice in choices.items():
        duplicate = duplicates.get(key)
        if duplicate is None:
            continue
        allowed = {CHOICE_NEW, CHOICE_SKIP} | {CHOICE_UPDATE + c["slug"] for c in duplicate["candidates"]}
        if choice not in allowed:
            raise ValidationError(_("That choice is not one of those offered."), code="choice_invalid")
        clean[key] = choice
    confirmed = ImportJob.objects.filter(
        pk=job.pk, kind=ImportJob.Kind.CENSUS, phase=ImportJob.Phase.DRY_RUN, state=ImportJob.State.CHECKED
    ).update(
        phase=ImportJob.Phase.IMPORT,
        state=ImportJob.State.PENDING,
        duplicate_choices=clean,
        started_at=None,
        finished_at=None,
    )
    job.refresh_from_db()
    if not confirmed:
        raise ValidationError(_("This import cannot be confirmed (anymore): upload the file again."), code="gone")
    return job


def census_job_rejected_rows(job: ImportJob) -> bytes | None:
    """The rows that were (or would be) left out, as a workbook to correct;
    None when the file is gone or every row is fine."""
    if not job.file:
        return None
    try:
        plan = census_job_plan(job)
    except (CensusFileError, ValidationError):
        return None
    if not any(entry.problems or entry.candidates for entry in plan.entries):
        return None
    return rejected_rows_workbook(plan)


ARRIVAL_LABELS = {state: Initiative.State(state).label for state in ARRIVAL_STATES}
