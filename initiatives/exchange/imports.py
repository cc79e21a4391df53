"""Reading import files and running imports: dry run first, then all or nothing.

The file is checked (type, size, and for a workbook its archive) before
anything is read, and read within the bounds of exchange.files (rows, columns,
cell length, unpacked size); CSV may use commas or semicolons, with or without
a UTF-8 byte-order mark; XLSX reads the active sheet. Every problem of the file
is a ValidationError worded as a sentence. Rows are turned into objects by the
resources in exchange.resources.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import tablib
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export.formats import base_formats
from import_export.results import RowResult

from impact.models import ImportJob
from initiatives.exchange.files import (
    OLE_MAGIC,
    ZIP_MAGIC,
    bounded_rows,
    check_csv_start,
    check_xlsx,
    iter_csv_rows,
    open_workbook,
)
from initiatives.exchange.resources import (
    CREATE_NEW,
    DUPLICATE,
    UPDATE_PREFIX,
    InitiativeResource,
    OrganisationResource,
    PersonResource,
)
from initiatives.services.workflow import ARRIVAL_STATES
from pops.spreadsheets import CSV_EXCEL, XLSX, write_file
from pops.storage import private_storage

logger = logging.getLogger(__name__)

EXTENSIONS = (".csv", ".xlsx")
RESOURCES = {
    "initiatives": InitiativeResource,
    "organisations": OrganisationResource,
    "people": PersonResource,
}


def _is_xlsx(filename: str) -> bool:
    return filename.lower().endswith(".xlsx")


def _dataset(rows: Iterable, *, fill, empty: str) -> tablib.Dataset:
    """A dataset of bounded rows, the first being the header: its names
    stripped, none twice, and no row wider than it."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        raise ValidationError(empty, code="empty")
    names = ["" if value is None else str(value).strip() for value in header]
    seen = set()
    for name in names:
        if name and name in seen:
            raise ValidationError(
                _("The column “%(column)s” is named twice in the first row of the file.") % {"column": name},
                code="columns",
            )
        seen.add(name)
    dataset = tablib.Dataset(headers=names)
    width = len(names)
    for number, row in enumerate(rows, 2):
        if len(row) > width:
            raise ValidationError(
                _("Row %(row)d has a value in column %(column)d, but the first row of the file names no such column.")
                % {"row": number, "column": len(row)},
                code="columns",
            )
        dataset.append([*row, *[fill] * (width - len(row))])
    return dataset


def import_sheet(book):
    """The sheet an import reads: the workbook's active one (its first
    worksheet when the active one is a chart)."""
    sheet = book.active
    if sheet is None or not hasattr(sheet, "iter_rows"):
        sheet = next(iter(book.worksheets), None)
    if sheet is None:
        raise ValidationError(_("This workbook has no sheet of cells."), code="empty")
    return sheet


def csv_dataset(data: bytes) -> tablib.Dataset:
    return _dataset(iter_csv_rows(data), fill="", empty=_("The file is empty."))


def xlsx_dataset(data: bytes) -> tablib.Dataset:
    book = open_workbook(data)
    try:
        sheet = import_sheet(book)
        return _dataset(
            bounded_rows(sheet, sheet_name=sheet.title),
            fill=None,
            empty=_("The sheet “%(sheet)s” is empty.") % {"sheet": sheet.title},
        )
    finally:
        book.close()


class SniffingCSV(base_formats.CSV):
    """CSV with commas or semicolons, UTF-8 with or without a byte-order
    mark, read within the bounds of exchange.files."""

    encoding = "utf-8-sig"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return csv_dataset(in_stream)


class BoundedXLSX(base_formats.XLSX):
    """The active sheet of a workbook, checked and read within the bounds of
    exchange.files."""

    def create_dataset(self, in_stream):
        return xlsx_dataset(in_stream)


IMPORT_FORMATS = [SniffingCSV, BoundedXLSX]


def validate_upload(upload, *, max_bytes: int) -> None:
    """Refuse a file by its name, size and first bytes, and a workbook by its
    archive's directory (exchange.files.check_xlsx), before reading its rows."""
    name = getattr(upload, "name", "") or ""
    extension = Path(name).suffix.lower()
    if extension not in EXTENSIONS:
        raise ValidationError(
            _("Only CSV and XLSX files can be imported, not “%(name)s”.") % {"name": name}, code="file_type"
        )
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)d MB; at most %(max)d MB).")
            % {"size": upload.size // 2**20 + 1, "max": max_bytes // 2**20},
            code="file_size",
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    head = upload.read(4096)
    upload.seek(0)
    if extension == ".xlsx":
        if not head.startswith((ZIP_MAGIC, OLE_MAGIC)):
            raise ValidationError(_("This is not a real XLSX file."), code="file_type")
        try:
            check_xlsx(upload.read())
        finally:
            upload.seek(0)
    else:
        check_csv_start(head)


def check_columns(headers: list[str], resource_class) -> None:
    """Refuse a file whose first row names none of the import's columns (the
    wrong file, or one without its header row)."""
    columns = [field.column_name for field in resource_class().get_import_fields()]
    if not set(headers) & set(columns):
        raise ValidationError(
            _(
                "The first row of the file names none of the columns of this import (%(columns)s): "
                "is it the right file, and is its first row the header?"
            )
            % {"columns": ", ".join(columns)},
            code="columns",
        )


def read_dataset(*, data: bytes, filename: str, resource_class=None) -> tablib.Dataset:
    """The rows of a CSV or XLSX file (by its name), within the bounds of
    exchange.files; with `resource_class`, its header is checked against the
    import's columns. Every problem is a ValidationError worded as a sentence."""
    dataset = xlsx_dataset(data) if _is_xlsx(filename) else csv_dataset(data)
    if resource_class is not None:
        check_columns(dataset.headers, resource_class)
    return dataset


def read_header(*, data: bytes, filename: str) -> list[str]:
    """The names in the first row of a file, read no further."""
    if not _is_xlsx(filename):
        rows = iter_csv_rows(data)
        header = next(rows)
        rows.close()
    else:
        book = open_workbook(data)
        try:
            sheet = import_sheet(book)
            header = next(bounded_rows(sheet, sheet_name=sheet.title), None)
            if header is None:
                raise ValidationError(_("The sheet “%(sheet)s” is empty.") % {"sheet": sheet.title}, code="empty")
        finally:
            book.close()
    return ["" if value is None else str(value).strip() for value in header]


def validate_columns(upload, *, resource_class) -> None:
    """Refuse an upload whose first row names none of the import's columns
    (or that cannot be read as far as its first row)."""
    try:
        data = upload.read()
    finally:
        upload.seek(0)
    check_columns(read_header(data=data, filename=upload.name), resource_class)


def count_rows(*, data: bytes, filename: str, more_than: int | None = None) -> int | None:
    """The number of data rows (the header left out) that `read_dataset`
    would give, without building the dataset, or None when the file cannot
    be read (its reader will say why). With `more_than`, an XLSX whose
    declared size is larger (and within POPS_IMPORT_MAX_ROWS) answers with
    that size without reading its rows. Only meant to choose between a
    preview done at once and a job."""
    try:
        if not _is_xlsx(filename):
            return max(sum(1 for _row in iter_csv_rows(data)) - 1, 0)
        book = open_workbook(data)
        try:
            sheet = import_sheet(book)
            declared = (sheet.max_row or 1) - 1  # from the sheet's dimension, when it has one
            if more_than is not None and more_than < declared < settings.POPS_IMPORT_MAX_ROWS:
                return declared
            return max(sum(1 for _row in bounded_rows(sheet, sheet_name=sheet.title)) - 1, 0)
        finally:
            book.close()
    except ValidationError:
        return None


@dataclass(frozen=True)
class RowError:
    row: int  # as in a spreadsheet: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:  # the whole file
            return self.message
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


def row_errors(result) -> list[RowError]:
    """Every problem of an import result, by row and column, in plain language."""
    problems: list[RowError] = []
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            column = "" if column == "__all__" else column
            problems += [RowError(invalid.number + 1, column, str(message)) for message in messages]
    for number, errors in result.row_errors():
        problems += [RowError(number + 1, "", str(error.error)) for error in errors]
    for error in result.base_errors:
        problems.append(RowError(0, "", str(error.error)))
    return sorted(problems, key=lambda p: (p.row, p.column))


NEW_ROWS, UPDATED_ROWS = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE
UNCHANGED_ROWS = RowResult.IMPORT_TYPE_SKIP


def bad_row_count(problems) -> int:
    return len({problem.row for problem in problems if problem.row})


def whole_file_failed(result) -> bool:
    """The file could not be imported at all (a problem of the file, or an
    unexpected error): no row may be written, whatever staff chose."""
    return bool(result.has_errors() or result.base_errors)


@dataclass
class ImportOutcome:
    result: object
    errors: list[RowError]
    written: bool

    @property
    def report(self):
        return getattr(self.result, "report", None)

    @property
    def totals(self) -> dict[str, int]:
        """New, updated and unchanged rows, possible duplicates (waiting
        for a choice, or left out without one) and rows with errors."""
        counts = dict(self.report.counts) if self.report is not None else {}
        return {**counts, "invalid": bad_row_count(self.errors)}


def run_import(
    *,
    resource_class,
    dataset: tablib.Dataset,
    dry_run: bool,
    user=None,
    valid_rows_only: bool = False,
    file_name: str = "",
    **choices,
) -> ImportOutcome:
    """Check every row and, unless `dry_run`, write them, in one
    transaction: all of them only if none is bad (rolled back otherwise, so a
    failure leaves the database as it was), or with `valid_rows_only` the
    good ones, leaving out the bad. One pass: on SQLite the transaction holds
    the write lock, which a dry run before the write would hold twice as
    long. `choices` are the resource's (arrival_state, duplicate_choices,
    duplicate_default)."""
    options = {
        "use_transactions": True,
        "rollback_on_validation_errors": not valid_rows_only,
        "user": user,
        "file_name": file_name,
    }
    result = resource_class(**choices).import_data(dataset, dry_run=dry_run, **options)
    errors = row_errors(result)
    failed = whole_file_failed(result) or (bool(errors) and not valid_rows_only)
    return ImportOutcome(result, errors, written=not (dry_run or failed))


# --- The rows to correct ---------------------------------------------------------------
#
# The bad rows of a file (and, after an import, the possible duplicates it left
# out) as a file of the same kind, with the same columns and one more naming
# each row's problems: staff correct it and import it again. It is kept in the
# private storage (it holds what the uploaded file held) under a random name,
# downloaded through the import page's view, and purged with the import files.

REJECTED_DIR = "imports/rejected"
REJECTED_NAME = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def _cell(value):
    """A cell as read, written back so that the import reads it the same."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date()
    return "" if value is None else value


def duplicate_left_out_message(entry: dict) -> str:
    candidates = ", ".join(f'"{c["title"]}" ({c["slug"]})' for c in entry.get("candidates", ()))
    return _(
        "Possible duplicate of %(candidates)s: not imported, as no choice was made between updating it and "
        'creating a new initiative. To update it, write its slug in the "slug" column.'
    ) % {"candidates": candidates}


def rejected_rows(result) -> tuple[list[str], list[list]]:
    """The header and the rows of the file to correct: every row with
    errors, and the possible duplicates an import left out, in the file's
    order, each with its problems in a last column."""
    report = result.report
    cells = dict(report.bad_cells)
    problems: dict[int, list[str]] = {}
    for problem in row_errors(result):
        if problem.row:
            text = f"{problem.column}: {problem.message}" if problem.column else problem.message
            problems.setdefault(problem.row, []).append(text)
    if report is not None:
        by_row = {entry["row"]: entry for entry in report.duplicates}
        for number, values in report.left_out.items():
            cells[number] = values
            problems.setdefault(number, []).append(duplicate_left_out_message(by_row.get(number, {})))
    rows = [
        [_cell(value) for value in cells[number]] + [" ".join(problems.get(number, ()))] for number in sorted(cells)
    ]
    return [*report.headers, _("problems")], rows


def rejected_file_save(*, result, filename: str) -> str:
    """Write the file to correct (see `rejected_rows`) in the private
    storage; its name, or "" when there is no row to correct."""
    header, rows = rejected_rows(result)
    if not rows:
        return ""
    fmt, extension = (XLSX, "xlsx") if filename.lower().endswith(".xlsx") else (CSV_EXCEL, "csv")
    stream = io.BytesIO()
    write_file(header, rows, stream, fmt=fmt)
    name = f"{uuid.uuid4().hex}.{extension}"
    private_storage().save(f"{REJECTED_DIR}/{name}", ContentFile(stream.getvalue()))
    return name


def rejected_file_open(name: str):
    """The stored file to correct, open for reading; FileNotFoundError
    when it does not exist (any more) or the name is not one of them."""
    if not REJECTED_NAME.match(name or ""):
        raise FileNotFoundError(name)
    return private_storage().open(f"{REJECTED_DIR}/{name}", "rb")


def rejected_download_name(name: str) -> str:
    return f"{slugify(_('rows to correct'))}.{name.rsplit('.', 1)[-1]}"


def rejected_files_purge(*, before: datetime.datetime) -> int:
    storage = private_storage()
    try:
        _folders, names = storage.listdir(REJECTED_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        path = f"{REJECTED_DIR}/{name}"
        try:
            if storage.get_modified_time(path) < before:
                storage.delete(path)
                deleted += 1
        except OSError:  # gone meanwhile, or not deletable now: the next purge tries again
            logger.exception("Could not purge %s", path)
    return deleted


# --- Staff's choices at confirmation --------------------------------------------------

DUPLICATE_FIELD = re.compile(r"^duplicate-(\d+)$")
DUPLICATE_CHOICE = re.compile(rf"^({CREATE_NEW}|{UPDATE_PREFIX}\d+)$")


def duplicate_choices_from(data, duplicates=None) -> dict[str, str]:
    """The choices posted for possible duplicates (`duplicate-<row>`:
    "new" or "update-<id>"), by row; with `duplicates` (a preview's), only
    those that answer one of them with one of its candidates."""
    allowed = None
    if duplicates is not None:
        allowed = {
            str(entry["row"]): {CREATE_NEW} | {f"{UPDATE_PREFIX}{c['id']}" for c in entry.get("candidates", ())}
            for entry in duplicates
        }
    choices = {}
    for key in data:
        match = DUPLICATE_FIELD.match(key)
        value = data.get(key) or ""
        if not match or not DUPLICATE_CHOICE.match(value):
            continue
        if allowed is not None and value not in allowed.get(match[1], ()):
            continue
        choices[match[1]] = value
    return choices


def clean_arrival_state(kind_model, value: str) -> str:
    """The state new initiatives arrive in (submitted by default); "" for
    what is not an initiative."""
    if kind_model is not InitiativeResource._meta.model:
        return ""
    value = value or ARRIVAL_STATES[0]
    if value not in ARRIVAL_STATES:
        raise ValidationError(_("New initiatives arrive as submitted or as drafts."), code="arrival_state")
    return value


# The admin history that django-import-export writes after an import in the admin.
LOG_ACTIONS = {
    RowResult.IMPORT_TYPE_NEW: ADDITION,
    RowResult.IMPORT_TYPE_UPDATE: CHANGE,
    RowResult.IMPORT_TYPE_DELETE: DELETION,
}


def import_log_entries(*, result, model, user) -> int:
    """Write the admin history of an import: one LogEntry per created,
    updated (or deleted) object, with the same action and message as
    django-import-export's admin writes after a synchronous import, so the
    history pages read the same whichever way a file came in. Unchanged rows
    get none. Without a user (the account was deleted) there is nobody to
    record; returns the number of entries written."""
    if user is None:
        return 0
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type=content_type,
            object_id=str(row.object_id),
            object_repr=(row.object_repr or "")[:200],
            action_flag=LOG_ACTIONS[row.import_type],
            change_message=f"{row.import_type} through import_export",
        )
        for row in result
        if row.import_type in LOG_ACTIONS and row.object_id is not None
    ]
    LogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


# --- Large files: import jobs (run by initiatives.tasks.run_import_job) ------------------
#
# A file of more than POPS_IMPORT_ASYNC_ROWS rows uploaded in the admin becomes a
# job in the dry-run phase: a task checks every row, writes nothing, and leaves
# the preview (counts, every bad row) on the job. Staff confirm a clean preview,
# and the same job, now in the import phase, is run again by the task: every row
# is checked once more and all are written, or none.
#
# The uploaded file is stored (MEDIA_ROOT/imports/) only for the job to read it.
# When the job succeeds the file is deleted at once: its rows are now in the
# database, and a second copy of names and e-mail addresses has no use. When it
# fails (the dry run found bad rows, or the import did), the file is kept
# POPS_IMPORT_FILE_RETENTION_DAYS days so that staff can download what they sent
# (and developers reproduce an unexpected failure); the daily beat task
# initiatives.tasks.purge_import_files then deletes it, together with the files of
# jobs that never finished (a preview nobody confirmed) and the files of rows to
# correct of that age. Deleting a job deletes its file.


def job_progress_key(job_id: int) -> str:
    """The cache key of a running job's processed rows: the job's own row is
    not written while the import transaction runs (nobody else would see it)."""
    return f"impact:import-job:{job_id}:processed"


def job_processed_rows(job: ImportJob) -> int:
    """The rows processed so far: from the cache while the job runs."""
    if job.state == ImportJob.State.RUNNING:
        return cache.get(job_progress_key(job.pk), job.processed_rows)
    return job.processed_rows


def job_problems(job: ImportJob) -> list[RowError]:
    """A job's bad rows, as the admin's preview lists them."""
    return [RowError(e.get("row", 0), e.get("column", ""), e.get("message", "")) for e in job.errors]


def import_job_create(
    *, kind: str, data: bytes, filename: str, total_rows: int, user=None, dry_run: bool = False, language: str = ""
) -> ImportJob:
    """Store the uploaded file (PRIVATE_MEDIA_ROOT/imports/) and a pending job
    for it: a dry run (staff confirm its preview) or, by default, the import
    itself, whose messages are in `language` (the uploader's)."""
    phase = ImportJob.Phase.DRY_RUN if dry_run else ImportJob.Phase.IMPORT
    job = ImportJob(kind=kind, phase=phase, original_name=filename, total_rows=total_rows, user=user, language=language)
    job.file.save(Path(filename).name, ContentFile(data), save=False)
    job.save()
    return job


# Seconds a job's task has, after its time limit, to record its outcome before
# Celery kills it; a job still running after both is closed as failed.
IMPORT_JOB_GRACE_SECONDS = 60


class ImportTimeLimitExceeded(Exception):
    """An import job ran past POPS_IMPORT_JOB_TIME_LIMIT (seen after a row:
    also where tasks run in-process, without Celery's time limits)."""


def import_time_limit_message() -> str:
    minutes = max(1, -(-settings.POPS_IMPORT_JOB_TIME_LIMIT // 60))
    return ngettext(
        "The import took longer than %(minutes)d minute and was stopped; nothing was imported.",
        "The import took longer than %(minutes)d minutes and was stopped; nothing was imported.",
        minutes,
    ) % {"minutes": minutes}


def _problem(message: str) -> dict:
    return {"row": 0, "column": "", "message": message}


def _progress_writer(job_id: int, total: int, deadline: float) -> Callable[[int], None]:
    every = max(1, total // 100)
    key = job_progress_key(job_id)

    def write(done: int) -> None:
        if time.monotonic() > deadline:
            raise ImportTimeLimitExceeded
        if done % every == 0 or done >= total:
            cache.set(key, done, 24 * 3600)

    return write


def _stopped_by_time_limit(result) -> bool:
    """Whether Celery's soft time limit struck inside the resource, which
    records an exception raised in a row (or before the rows) and goes on."""
    errors = [error for _number, row in result.row_errors() for error in row] + list(result.base_errors)
    return any(isinstance(error.error, SoftTimeLimitExceeded) for error in errors)


def import_job_finish(job: ImportJob, **outcome) -> bool:
    """Write a running job's outcome; False when it is no longer running
    (closed meanwhile as overdue: that outcome stands)."""
    outcome["finished_at"] = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.RUNNING).update(**outcome):
        job.refresh_from_db()
        return False
    for name, value in outcome.items():
        setattr(job, name, value)
    return True


def job_resource_options(job: ImportJob) -> dict:
    """What staff chose for a job, as its resource takes it."""
    options = {"duplicate_choices": job.duplicate_choices or {}}
    if job.arrival_state:
        options["arrival_state"] = job.arrival_state
    return options


def import_job_run(*, job_id: int) -> str:
    """Run a pending job: check the stored file (type, size, bounds) and read
    it whole before any row is imported, then, in ONE transaction, check every
    row and, in the import phase only, write them: all or none, or, when
    staff chose to import the valid rows only, the good ones, with the job's
    outcome; a dry run always rolls back. The progress goes through the
    cache; the outcome is in the language of who uploaded the file, with the
    file of rows to correct when some are bad or left out. A job that runs
    past POPS_IMPORT_JOB_TIME_LIMIT stops after the row it is at and writes
    nothing; whatever goes wrong, the job ends failed with a sentence saying
    why, never left running. Returns the final state: a dry run that found
    rows to import is CHECKED (waiting for confirmation), an import DONE,
    anything else FAILED."""
    import_jobs_close_overdue()
    deadline = time.monotonic() + settings.POPS_IMPORT_JOB_TIME_LIMIT
    updated = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.PENDING).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.get(pk=job_id)
    if not updated:  # already run (a task delivered twice)
        return job.state
    with translation.override(job.language or translation.get_language()):
        try:
            _run_job(job, deadline=deadline)
        except Exception as exc:  # escaped the run: the time limit while writing the outcome, a database error
            if isinstance(exc, ImportTimeLimitExceeded | SoftTimeLimitExceeded):
                message = import_time_limit_message()
            else:
                logger.exception("Import job %s failed", job.pk)
                message = _("The import failed unexpectedly; nothing was imported.")
            import_job_finish(job, state=ImportJob.State.FAILED, errors=[_problem(message)])
    cache.delete(job_progress_key(job.pk))
    if job.state == ImportJob.State.DONE:
        import_job_discard_file(job)
    return job.state


def _run_job(job: ImportJob, *, deadline: float) -> None:
    dry_run = job.phase == ImportJob.Phase.DRY_RUN
    cache.set(job_progress_key(job.pk), 0, 24 * 3600)
    errors: list[dict] = []
    report = None
    rejected = ""
    processed = 0
    try:
        name = job.original_name or job.file.name
        resource_class = RESOURCES[job.kind]
        with job.file.open("rb") as stored:
            upload = File(stored.file, name=name)
            validate_upload(upload, max_bytes=settings.POPS_IMPORT_MAX_BYTES)
            dataset = read_dataset(data=upload.read(), filename=name, resource_class=resource_class)
        if len(dataset) != job.total_rows:  # the upload's count was an estimate
            job.total_rows = len(dataset)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        if time.monotonic() > deadline:
            raise ImportTimeLimitExceeded
        resource = resource_class(**job_resource_options(job))
        resource.progress = _progress_writer(job.pk, len(dataset), deadline)
        with transaction.atomic():
            result = resource.import_data(
                dataset,
                dry_run=dry_run,
                use_transactions=True,
                rollback_on_validation_errors=not job.valid_rows_only,
                user=job.user,
                file_name=job.original_name,
            )
            if _stopped_by_time_limit(result):
                raise ImportTimeLimitExceeded
            problems = row_errors(result)
            errors = [{"row": p.row, "column": p.column, "message": p.message} for p in problems]
            if whole_file_failed(result):
                errors = errors or [_problem(_("The import failed."))]
            report = getattr(result, "report", None)
            blocked = whole_file_failed(result) or (bool(problems) and not job.valid_rows_only)
            processed = getattr(resource, "rows_done", len(dataset))
            if not whole_file_failed(result):
                rejected = rejected_file_save(result=result, filename=name)
            if dry_run or blocked:
                transaction.set_rollback(True)  # a dry run writes nothing, whatever the resource did
            else:
                # The history and the outcome are part of the import: written,
                # or rolled back, with its rows. A job closed meanwhile as
                # overdue (reported as stopped, nothing imported) writes nothing.
                import_log_entries(result=result, model=resource._meta.model, user=job.user)
                counts = report.counts if report is not None else {}
                if not import_job_finish(
                    job,
                    state=ImportJob.State.DONE,
                    errors=errors,
                    processed_rows=processed,
                    created_rows=counts.get(NEW_ROWS, 0),
                    updated_rows=counts.get(UPDATED_ROWS, 0),
                    skipped_rows=counts.get(UNCHANGED_ROWS, 0),
                    # What the import left out: the rows to correct, and the
                    # possible duplicates nobody chose about.
                    preview={**job.preview, "rejected": rejected, "left_out": counts.get(DUPLICATE, 0)},
                ):
                    transaction.set_rollback(True)
                return
    except ValidationError as exc:
        errors, report = [_problem(message) for message in exc.messages], None
    except (ImportTimeLimitExceeded, SoftTimeLimitExceeded):
        errors, report = [_problem(import_time_limit_message())], None
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        errors, report = [_problem(_("The import failed unexpectedly; nothing was imported."))], None
    # After the import transaction: the outcome, on the job's row.
    whole_failed = report is None or any(not error["row"] for error in errors)
    counts = report.counts if report is not None else {}
    outcome = {"errors": errors, "processed_rows": processed}
    if dry_run:
        importable = sum(counts.get(key, 0) for key in (NEW_ROWS, UPDATED_ROWS, UNCHANGED_ROWS, DUPLICATE))
        outcome["state"] = ImportJob.State.FAILED if whole_failed or not importable else ImportJob.State.CHECKED
        outcome["preview"] = {**report.as_dict(), "rejected": rejected} if report is not None else {}
    else:
        outcome.update(
            state=ImportJob.State.FAILED,
            created_rows=0,
            updated_rows=0,
            skipped_rows=0,
            preview={**job.preview, "rejected": rejected, "left_out": 0},
        )
    import_job_finish(job, **outcome)


def import_jobs_close_overdue(*, now: datetime.datetime | None = None) -> int:
    """Close the jobs still running past POPS_IMPORT_JOB_TIME_LIMIT (and the
    grace Celery gives a task before killing it): their process was killed or
    died, and nothing else would ever end them. They are marked failed with
    the reason; an import that somehow still runs then writes nothing (its
    outcome is conditional on the job running). Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.POPS_IMPORT_JOB_TIME_LIMIT + IMPORT_JOB_GRACE_SECONDS)
    return ImportJob.objects.filter(state=ImportJob.State.RUNNING, started_at__lt=cutoff).update(
        state=ImportJob.State.FAILED, finished_at=now, errors=[_problem(import_time_limit_message())]
    )


def import_job_abandoned(*, job_id: int) -> bool:
    """Close a job whose task ended without recording an outcome: its worker
    process was killed (SIGKILL, out of memory) or hit the hard time limit,
    so nothing inside the task could. The import's transaction died with that
    process, so nothing of it was written; the job is failed now, with the
    reason in the uploader's language, instead of running until
    `import_jobs_close_overdue`. Not retried: a file that kills its worker
    would kill the next one too. Returns whether a job was closed."""
    job = ImportJob.objects.filter(pk=job_id).only("language").first()
    if job is None:
        return False
    with translation.override(job.language or settings.LANGUAGE_CODE):
        message = _("The import stopped: the process running it ended unexpectedly. Nothing was imported.")
    return bool(
        ImportJob.objects.filter(pk=job_id, state__in=[ImportJob.State.PENDING, ImportJob.State.RUNNING]).update(
            state=ImportJob.State.FAILED, finished_at=timezone.now(), errors=[_problem(message)]
        )
    )


def import_job_confirm(
    *, job_id: int, valid_rows_only: bool = False, arrival_state: str = "", duplicate_choices=None
) -> ImportJob:
    """Staff confirm a checked dry run: the job moves to the import phase,
    pending, for the task to run (the caller enqueues it once its transaction
    commits), with what staff chose: the state new initiatives arrive in,
    what to do with each possible duplicate (a choice that answers none of
    the preview's is dropped) and, when rows are bad, to import the valid
    rows only (without that, a file with bad rows cannot be confirmed).
    Anything else is refused with a ValidationError saying why; the update
    is conditional, so two confirmations start one import."""
    job = ImportJob.objects.get(pk=job_id)
    arrival_state = clean_arrival_state(RESOURCES[job.kind]._meta.model, arrival_state)
    checked = job.phase == ImportJob.Phase.DRY_RUN and job.state == ImportJob.State.CHECKED
    if checked and job.has_bad_rows and not valid_rows_only:
        raise ValidationError(
            _(
                "This file cannot be imported whole: some rows have errors. Import the valid rows only, "
                "or correct the file and upload it again."
            ),
            code="not_confirmable",
        )
    duplicates = [row for row in (job.preview or {}).get("rows", []) if row.get("action") == DUPLICATE]
    choices = duplicate_choices_from(duplicate_choices or {}, duplicates)
    confirmed = ImportJob.objects.filter(
        pk=job_id, phase=ImportJob.Phase.DRY_RUN, state=ImportJob.State.CHECKED
    ).update(
        phase=ImportJob.Phase.IMPORT,
        state=ImportJob.State.PENDING,
        processed_rows=0,
        started_at=None,
        finished_at=None,
        valid_rows_only=bool(valid_rows_only),
        arrival_state=arrival_state,
        duplicate_choices=choices,
    )
    job.refresh_from_db()
    if confirmed:
        return job
    if job.phase == ImportJob.Phase.IMPORT:
        message = _("This import has already been confirmed.")
    elif job.in_progress:
        message = _("The file is still being checked: confirm it when the preview is ready.")
    elif job.has_bad_rows:
        message = _("This file cannot be imported: some rows have errors. Correct the file and upload it again.")
    else:
        message = _("This import cannot be confirmed: upload the file again.")
    raise ValidationError(message, code="not_confirmable")


def import_job_discard_file(job: ImportJob) -> bool:
    """Delete a job's stored file and forget its name. A storage error is
    logged and the name kept, so that the next purge tries again."""
    if not job.file:
        return False
    try:
        job.file.storage.delete(job.file.name)
    except Exception:  # whatever the storage raises, the job's outcome stands
        logger.exception("Could not delete the file %s of import job %s", job.file.name, job.pk)
        return False
    ImportJob.objects.filter(pk=job.pk).update(file="")
    job.file.name = ""
    return True


def import_files_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored files that are no longer needed: those of successful
    jobs (normally gone already), of jobs that failed more than
    POPS_IMPORT_FILE_RETENTION_DAYS days ago, and of jobs that have not
    finished in that time (their task was lost, or nobody confirmed their
    preview: they are marked failed, and neither a late delivery of the task
    nor a late confirmation runs them). Returns the number of files deleted."""
    now = now or timezone.now()
    days = settings.POPS_IMPORT_FILE_RETENTION_DAYS
    cutoff = now - datetime.timedelta(days=days)
    stale = ImportJob.objects.filter(created_at__lt=cutoff)
    closing = [
        (
            [ImportJob.State.PENDING, ImportJob.State.RUNNING],
            ngettext(
                "The import did not finish within %(days)d day; its file was deleted.",
                "The import did not finish within %(days)d days; its file was deleted.",
                days,
            ),
        ),
        (
            [ImportJob.State.CHECKED],  # a preview nobody confirmed
            ngettext(
                "The import was not confirmed within %(days)d day; its file was deleted.",
                "The import was not confirmed within %(days)d days; its file was deleted.",
                days,
            ),
        ),
    ]
    closed: list[int] = []
    for states, message in closing:
        pks = list(stale.filter(state__in=states).values_list("pk", flat=True))
        ImportJob.objects.filter(pk__in=pks, state__in=states).update(
            state=ImportJob.State.FAILED,
            finished_at=now,
            errors=[{"row": 0, "column": "", "message": message % {"days": days}}],
        )
        closed += pks
    expired = (
        ImportJob.objects.exclude(file="")
        .filter(
            Q(state=ImportJob.State.DONE)
            | Q(state=ImportJob.State.FAILED, finished_at__lt=cutoff)
            # closed just now (not one confirmed in the meantime)
            | Q(pk__in=closed, state=ImportJob.State.FAILED)
        )
        .only("pk", "file")
        .order_by("pk")
    )
    deleted = sum(import_job_discard_file(job) for job in expired.iterator())
    return deleted + rejected_files_purge(before=cutoff)


PREVIEW_COUNTS = ("new", "update", "skip", DUPLICATE)


def preview_for_display(preview: dict | None, model) -> dict | None:
    """A report (ImportReport.as_dict, or a job's stored preview) as the
    admin's preview shows it: the possible duplicates apart from the other
    rows, each existing object with its admin link."""
    if not preview or "rows" not in preview:
        return None
    opts = model._meta

    def link(pk):
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
        except NoReverseMatch:
            return ""

    rows, duplicates = [], []
    for entry in preview["rows"]:
        entry = {**entry, "url": link(entry["object_id"]) if entry.get("object_id") else ""}
        entry["candidates"] = [{**c, "url": link(c["id"])} for c in entry.get("candidates", ())]
        (duplicates if entry["action"] == DUPLICATE else rows).append(entry)
    return {
        **{key: preview.get(key, 0) for key in PREVIEW_COUNTS},
        "rows": rows,
        "duplicates": duplicates,
        "more": preview.get("more", 0),
        "importable": sum(preview.get(key, 0) for key in PREVIEW_COUNTS),
        "rejected": preview.get("rejected", ""),
        "left_out": preview.get("left_out", 0),
        "object_label": capfirst(opts.verbose_name),
    }


def import_job_status(job: ImportJob) -> dict:
    """What the job page shows, as JSON: phase, state, progress and outcome
    (`finished`: no task has anything left to do, the job is over or waits
    for confirmation). A job running past its time limit is closed first:
    where tasks run in-process nothing else may be left to close it."""
    overdue = timezone.now() - datetime.timedelta(
        seconds=settings.POPS_IMPORT_JOB_TIME_LIMIT + IMPORT_JOB_GRACE_SECONDS
    )
    if job.state == ImportJob.State.RUNNING and job.started_at and job.started_at < overdue:
        import_jobs_close_overdue()
        job.refresh_from_db()
    return {
        "id": job.pk,
        "phase": job.phase,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": not job.in_progress,
        "total": job.total_rows,
        "processed": job_processed_rows(job),
        "created": job.created_rows,
        "updated": job.updated_rows,
        "skipped": job.skipped_rows,
        "preview": {key: job.preview.get(key, 0) for key in PREVIEW_COUNTS} if job.preview else None,
        "confirmable": job.can_be_confirmed,
        "errors": [str(problem) for problem in job_problems(job)],
    }
