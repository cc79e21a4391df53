"""Reading import files and running imports: dry run first, then all or nothing.

The file is checked (type, size) before anything is read; CSV may use commas
or semicolons, with or without a UTF-8 byte-order mark; XLSX reads the first
sheet. Rows are turned into objects by the resources in impact.resources.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export.formats import base_formats

from .resources import InitiativeResource, OrganisationResource, PersonResource

EXTENSIONS = (".csv", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
RESOURCES = {
    "initiatives": InitiativeResource,
    "organisations": OrganisationResource,
    "people": PersonResource,
}


def sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever the header line uses."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header.count(";") > header.count(",") else ","


class SniffingCSV(base_formats.CSV):
    """CSV with commas or semicolons, UTF-8 with or without a byte-order mark."""

    encoding = "utf-8-sig"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        in_stream = in_stream.lstrip("\ufeff")
        return tablib.Dataset().load(in_stream, format="csv", delimiter=sniff_delimiter(in_stream))


IMPORT_FORMATS = [SniffingCSV, base_formats.XLSX]


def validate_upload(upload, *, max_bytes: int) -> None:
    """Refuse a file by its name, size and first bytes, before reading it."""
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
    head = upload.read(1024)
    upload.seek(0)
    if extension == ".xlsx" and not head.startswith(ZIP_MAGIC):
        raise ValidationError(_("This is not a real XLSX file."), code="file_type")
    if extension == ".csv" and b"\x00" in head:
        raise ValidationError(_("This is not a text CSV file (is it a spreadsheet saved as .csv?)."), code="file_type")


def read_dataset(*, data: bytes, filename: str) -> tablib.Dataset:
    if filename.lower().endswith(".xlsx"):
        return base_formats.XLSX().create_dataset(data)
    try:
        return SniffingCSV().create_dataset(data)
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text: save it as “CSV UTF-8”."), code="encoding") from None


@dataclass(frozen=True)
class RowError:
    row: int  # as in a spreadsheet: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
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


@dataclass
class ImportOutcome:
    result: object
    errors: list[RowError]
    written: bool

    @property
    def totals(self) -> dict[str, int]:
        return dict(self.result.totals)


def run_import(*, resource_class, dataset: tablib.Dataset, dry_run: bool, user=None) -> ImportOutcome:
    """Check every row first; unless `dry_run`, write them all only if none is
    bad, in one transaction, so a failure leaves the database as it was."""
    resource = resource_class()
    options = {"use_transactions": True, "rollback_on_validation_errors": True, "user": user}
    result = resource.import_data(dataset, dry_run=True, **options)
    errors = row_errors(result)
    if dry_run or errors:
        return ImportOutcome(result, errors, written=False)
    result = resource_class().import_data(dataset, dry_run=False, **options)
    failed = result.has_errors() or result.has_validation_errors()
    return ImportOutcome(result, row_errors(result), written=not failed)
