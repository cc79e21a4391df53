"""The one place that bounds what an import file may make the portal read.

An upload is at most POPS_IMPORT_MAX_BYTES, but what it holds can be far
larger: an XLSX workbook is a ZIP archive of XML, and 3 MB of it can unpack to
a gigabyte. Every reader of an import file goes through here:

- `check_xlsx` looks at the archive's directory before anything is unpacked:
  a file that is not a ZIP archive, is damaged, has too many members, would
  unpack to more than POPS_IMPORT_MAX_UNCOMPRESSED_BYTES, has a member
  compressed more than MAX_RATIO times (a "zip bomb"), or lacks the parts of
  a workbook is refused. The declared sizes cannot lie upwards: `zipfile`
  never unpacks more of a member than its declared size, and a member that
  holds more fails its CRC check (a damaged file).
- `open_workbook` opens a checked workbook with openpyxl, read-only (sheets
  are parsed row by row as they are read).
- `bounded_rows` reads a sheet's rows and stops at the first one beyond the
  limits: POPS_IMPORT_MAX_ROWS rows (counted as the spreadsheet numbers them,
  empty ones included, so that a row numbered a billion costs nothing),
  POPS_IMPORT_MAX_COLUMNS columns, POPS_IMPORT_MAX_CELL_CHARS characters in a
  cell. The sheet's declared dimension is not trusted.
- `iter_csv_rows` and `read_csv_rows` read CSV text under the same limits.

Whatever goes wrong is raised as a ValidationError whose message is a
translated sentence naming the problem of the file, never the name of a
library's exception: callers show `exc.messages` as they are.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

__all__ = [
    "bounded_rows",
    "check_csv_start",
    "check_xlsx",
    "iter_csv_rows",
    "open_workbook",
    "read_csv_rows",
    "sniff_delimiter",
]

ZIP_MAGIC = b"PK\x03\x04"
# An OLE2 compound file: an Excel 97-2003 workbook, or a password-protected XLSX.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A workbook has a few dozen parts; one with hundreds of sheets has hundreds.
MAX_MEMBERS = 1000
# Sheets of real data compress 5 to 20 times; a member of several megabytes
# compressed more than this is built to explode.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 4 * 1024 * 1024
WORKBOOK_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


def _mb(size: int) -> int:
    """Megabytes, rounded up (a limit of 100 MB is never said to be 0)."""
    return -(-size // 2**20)


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)


# --- XLSX --------------------------------------------------------------------------------


def check_xlsx(data: bytes) -> None:
    """Refuse, before openpyxl sees it, what is not an XLSX workbook that may
    be unpacked safely, by the archive's directory alone (nothing unpacked)."""
    if data.startswith(OLE_MAGIC):
        raise ValidationError(
            _(
                "This is an Excel 97-2003 workbook (.xls) or a password-protected one: "
                "save it as an Excel workbook (.xlsx) without a password."
            ),
            code="file_type",
        )
    if not data.startswith(ZIP_MAGIC):
        raise ValidationError(
            _("This file is not an Excel workbook (.xlsx): it is not even the ZIP archive that every workbook is."),
            code="file_type",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception:  # any directory that zipfile cannot follow is damaged
        raise ValidationError(
            _("This workbook is damaged or incomplete (was its copy or its upload interrupted?)."),
            code="damaged",
        ) from None
    if len(members) > MAX_MEMBERS:
        raise ValidationError(
            _("This workbook has %(count)s parts; a workbook has far fewer (at most %(max)s are accepted).")
            % {"count": _count(len(members)), "max": _count(MAX_MEMBERS)},
            code="too_large",
        )
    limit = settings.POPS_IMPORT_MAX_UNCOMPRESSED_BYTES
    unpacked = sum(member.file_size for member in members)
    if unpacked > limit:
        raise ValidationError(
            _("This workbook would take %(size)s MB once unpacked; at most %(max)s MB are accepted.")
            % {"size": _count(_mb(unpacked)), "max": _count(_mb(limit))},
            code="too_large",
        )
    for member in members:
        if member.file_size >= RATIO_CHECKED_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ValidationError(
                _(
                    "This workbook holds a part compressed %(ratio)s times (%(name)s), "
                    "which no real spreadsheet is: it is refused as unsafe."
                )
                % {"ratio": _count(member.file_size // max(member.compress_size, 1)), "name": member.filename},
                code="zip_bomb",
            )
    names = {member.filename for member in members}
    if "mimetype" in names and "content.xml" in names:
        raise ValidationError(
            _("This is an OpenDocument spreadsheet (.ods): save it as an Excel workbook (.xlsx)."),
            code="file_type",
        )
    if missing := [part for part in WORKBOOK_PARTS if part not in names]:
        raise ValidationError(
            _("This ZIP archive is not an Excel workbook: it has no %(part)s.") % {"part": missing[0]},
            code="file_type",
        )


def _reason(exc: BaseException) -> str:
    """What went wrong inside a workbook, in words (never the exception's name)."""
    from defusedxml import DefusedXmlException
    from openpyxl.utils.exceptions import InvalidFileException

    cause = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            # openpyxl parses through defusedxml (a dependency for this
            # reason), and wraps what it raises.
            return _("its XML declares entities or a document type, which are refused as unsafe")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return _("its archive is damaged")
    if isinstance(exc, KeyError):
        return _("a part of the workbook is missing")
    if isinstance(exc, ParseError | ExpatError | SyntaxError):
        return _("its XML is malformed")
    if isinstance(exc, NotImplementedError | RuntimeError):
        return _("it is compressed or encrypted in a way that cannot be read")
    if isinstance(exc, InvalidFileException):
        return _("it is not in the XLSX format")
    return _("its content does not follow the XLSX format")


@contextlib.contextmanager
def _quiet_openpyxl():
    """openpyxl warns about what it drops (data validation, drawings): what an
    import reads is the cells."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\b")
        yield


def open_workbook(data: bytes):
    """The workbook (read-only: each sheet is parsed as its rows are read),
    once `check_xlsx` accepted it. Close it when done (it keeps the archive
    open). Read its sheets with `bounded_rows`."""
    import openpyxl

    check_xlsx(data)
    try:
        with _quiet_openpyxl():
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationError(
            _("This file is not a readable Excel workbook (%(reason)s).") % {"reason": _reason(exc)},
            code="unreadable",
        ) from None


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trimmed(row) -> tuple:
    end = len(row)
    while end and _is_empty(row[end - 1]):
        end -= 1
    return tuple(row[:end])


def bounded_rows(worksheet, *, sheet_name: str) -> Iterator[tuple]:
    """The values of each row of `worksheet` (`iter_rows(values_only=True)`),
    trailing empty cells left out, fully empty rows skipped, one at a time.
    Raises ValidationError naming the sheet at the first row beyond
    POPS_IMPORT_MAX_ROWS (empty rows count: they are rows of the sheet), a row
    with a value beyond column POPS_IMPORT_MAX_COLUMNS, a cell longer than
    POPS_IMPORT_MAX_CELL_CHARS, or a part of the sheet that cannot be read.
    The worksheet's declared dimensions are reset first (read `max_row`
    before, as an estimate, if it is wanted)."""
    from openpyxl.utils import get_column_letter

    max_rows = settings.POPS_IMPORT_MAX_ROWS
    max_columns = settings.POPS_IMPORT_MAX_COLUMNS
    max_chars = settings.POPS_IMPORT_MAX_CELL_CHARS
    # The declared dimension can be anything ("A1:XFD1048576"): rows are only
    # as wide as their last cell.
    reset = getattr(worksheet, "reset_dimensions", None)
    if reset is not None:
        reset()
    rows = iter(worksheet.iter_rows(values_only=True))
    number = 0
    while True:
        try:
            with _quiet_openpyxl():
                row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise ValidationError(
                _("The sheet “%(sheet)s” cannot be read from row %(row)s on (%(reason)s).")
                % {"sheet": sheet_name, "row": _count(number + 1), "reason": _reason(exc)},
                code="unreadable",
            ) from None
        number += 1
        if number > max_rows:
            raise ValidationError(
                _("The sheet “%(sheet)s” has more than %(max)s rows.") % {"sheet": sheet_name, "max": _count(max_rows)},
                code="too_many_rows",
            )
        row = _trimmed(row)
        if not row:
            continue
        if len(row) > max_columns:
            raise ValidationError(
                _("Row %(row)s of the sheet “%(sheet)s” has values in more than %(max)s columns.")
                % {"row": _count(number), "sheet": sheet_name, "max": _count(max_columns)},
                code="too_many_columns",
            )
        for column, value in enumerate(row, 1):
            if isinstance(value, str) and len(value) > max_chars:
                raise ValidationError(
                    _("The cell %(cell)s of the sheet “%(sheet)s” is longer than %(max)s characters.")
                    % {"cell": f"{get_column_letter(column)}{number}", "sheet": sheet_name, "max": _count(max_chars)},
                    code="cell_too_long",
                )
        yield row


# --- CSV ---------------------------------------------------------------------------------


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte is NUL."""
    sample = data[:4096]
    return len(sample) >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) * 4 >= len(sample)


def check_csv_start(data: bytes) -> None:
    """The checks of CSV text that its first bytes are enough for: refuses a
    workbook named .csv, UTF-16 text and binary data (NUL bytes)."""
    if data.startswith(ZIP_MAGIC):
        raise ValidationError(
            _("This is an Excel workbook with the name of a CSV file: rename it .xlsx or save it as “CSV UTF-8”."),
            code="file_type",
        )
    if data.startswith(OLE_MAGIC):
        raise ValidationError(
            _("This is an Excel 97-2003 workbook with the name of a CSV file: save it as “CSV UTF-8”."),
            code="file_type",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (b"\x00" in data and _looks_utf16(data)):
        raise ValidationError(
            _("This CSV file is UTF-16 text (“Unicode text”): save it as “CSV UTF-8”."), code="encoding"
        )
    if b"\x00" in data:
        raise ValidationError(_("This is not a text CSV file (is it a spreadsheet saved as .csv?)."), code="file_type")


def _csv_text(data: bytes) -> str:
    check_csv_start(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("Line %(line)s of the file is not UTF-8 text: save the file as “CSV UTF-8”.")
            % {"line": _count(data.count(b"\n", 0, exc.start) + 1)},
            code="encoding",
        ) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    return text


def sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever the header line (the first one not
    blank) uses."""
    header = next((line for line in text[:65536].splitlines() if line.strip()), "")
    header = header[:4096]  # cut short: the sniffer's patterns take quadratic time
    try:
        return csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header.count(";") > header.count(",") else ","


def iter_csv_rows(data: bytes) -> Iterator[list[str]]:
    """The rows of CSV text (UTF-8 with or without a byte-order mark, comma or
    semicolon as the header uses), trailing empty cells left out, empty rows
    skipped, one at a time, under the same limits as `bounded_rows`. Every
    problem is a ValidationError naming the line."""
    text = _csv_text(data)
    max_rows = settings.POPS_IMPORT_MAX_ROWS
    max_columns = settings.POPS_IMPORT_MAX_COLUMNS
    max_chars = settings.POPS_IMPORT_MAX_CELL_CHARS
    if csv.field_size_limit() <= max_chars:  # raised, never lowered: the limit is the process's
        csv.field_size_limit(max_chars + 1)
    # strict: a quotation mark left open must not swallow the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    records = 0
    line = 1  # where the next record starts
    found = False
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_problem(str(exc), line=line, max_chars=max_chars) from None
        records += 1
        if records > max_rows:
            raise ValidationError(
                _("The file has more than %(max)s rows.") % {"max": _count(max_rows)}, code="too_many_rows"
            )
        start, line = line, reader.line_num + 1
        end = len(row)
        while end and not row[end - 1].strip():
            end -= 1
        if not end:
            continue
        del row[end:]
        if len(row) > max_columns:
            raise ValidationError(
                _("Line %(line)s of the file has values in more than %(max)s columns.")
                % {"line": _count(start), "max": _count(max_columns)},
                code="too_many_columns",
            )
        if any(len(cell) > max_chars for cell in row):
            raise _cell_too_long(start, max_chars)
        found = True
        yield row
    if not found:
        raise ValidationError(_("The file is empty."), code="empty")


def _cell_too_long(line: int, max_chars: int) -> ValidationError:
    return ValidationError(
        _("A cell on line %(line)s of the file is longer than %(max)s characters.")
        % {"line": _count(line), "max": _count(max_chars)},
        code="cell_too_long",
    )


def _csv_problem(message: str, *, line: int, max_chars: int) -> ValidationError:
    """The csv module's error on the record that starts at `line`, in words."""
    if message.startswith("field larger than field limit"):
        return _cell_too_long(line, max_chars)
    if message.startswith("unexpected end of data"):
        return ValidationError(
            _(
                "A quoted cell that starts on line %(line)s of the file is never closed: "
                'a quotation mark (") is missing.'
            )
            % {"line": _count(line)},
            code="csv_quote",
        )
    return ValidationError(
        _(
            "Line %(line)s of the file is not valid CSV: after a closing quotation mark only a separator "
            "or the end of the line may follow (a quotation mark inside a quoted cell is written twice)."
        )
        % {"line": _count(line)},
        code="csv_syntax",
    )


def read_csv_rows(data: bytes) -> list[list[str]]:
    """All the rows `iter_csv_rows` gives, the header first."""
    return list(iter_csv_rows(data))
