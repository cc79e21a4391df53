"""The one place where rows become files: CSV (RFC 4180), the Italian Excel
dialect of CSV, and XLSX, every text cell neutralised against formula
injection.

Every export of the portal (the ANVUR report and its summaries, the admin's
django-import-export downloads, the public open data, the CSV of each public
statistics chart) writes through these writers, or neutralises with
`neutralise`, so the injection rule cannot be forgotten by one of them.

A source of rows may instead have PostgreSQL write its CSV (`COPY … TO
STDOUT`, much faster than Python for large reports): it then offers
`database_csv(fmt=...)` and spells its cells with `spelled_sql`, the SQL
twin of `_text`, kept beside it; the tests compare the two byte for byte.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

# OWASP "CSV injection": a cell starting with one of these is read as a formula
# by spreadsheet applications (tab and carriage return hide the character from
# a trim). Prefixing an apostrophe makes every spreadsheet show it as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV = "csv"
CSV_EXCEL = "csv-excel"
XLSX = "xlsx"
FORMATS = (CSV, CSV_EXCEL, XLSX)
FORMAT_CHOICES = [
    (CSV, _("CSV (comma, RFC 4180)")),
    (CSV_EXCEL, _("CSV for Excel (semicolon, UTF-8 with BOM)")),
    (XLSX, _("Excel workbook (XLSX)")),
]
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    CSV_EXCEL: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {CSV: "csv", CSV_EXCEL: "csv", XLSX: "xlsx"}
BOM = "\ufeff"

# The kinds of cell a SQL source declares, for `spelled_sql`.
TEXT, NUMBER, DECIMAL, DATE = "text", "number", "decimal", "date"


def neutralise(value: Any) -> Any:
    """A text cell made safe to open in a spreadsheet; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _text(value: Any, *, decimal_comma: bool) -> str:
    """How one cell is spelled in CSV: ISO dates, plain numbers, no "None"."""
    kind = type(value)
    # The common cases first, by exact type (this runs for every cell).
    if kind is str:
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        # Whole amounts without decimals; otherwise a plain number, with the
        # comma that Italian Excel reads as a decimal separator in its dialect.
        text = str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.normalize())
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(neutralise(str(value)))


def spelled_sql(expression: str, kind: str, *, fmt: str) -> str:
    """PostgreSQL SQL spelling the value of `expression` (a column reference:
    it is repeated) exactly as `_text` spells it in `fmt`: text neutralised
    and NULL when empty, amounts without trailing zeros (with a decimal comma
    in the Excel dialect), ISO dates, integers as they are."""
    if kind == TEXT:
        # ascii() is the code of the first character (0 for an empty text).
        triggers = ", ".join(str(ord(c)) for c in FORMULA_TRIGGERS)
        quote = "''''"  # the SQL literal of one apostrophe
        return (
            f"NULLIF(CASE WHEN ascii({expression}) IN ({triggers}) "
            f"THEN {quote} || {expression} ELSE {expression} END, '')"
        )
    if kind == DECIMAL:
        text = f"CAST(trim_scale({expression}) AS text)"
        return f"replace({text}, '.', ',')" if fmt == CSV_EXCEL else text
    if kind == DATE:
        return f"to_char({expression}, 'YYYY-MM-DD')"
    if kind == NUMBER:
        return expression
    raise ValueError(f"unknown kind of cell: {kind}")


def copy_csv(connection, sql: str, params: Sequence[Any], *, fmt: str, rows_per_chunk: int = 1024) -> Iterator[bytes]:
    """Stream the result of `sql` (its cells spelled by `spelled_sql`) as the
    CSV document `iter_csv` would write: PostgreSQL's COPY quotes as Python's
    csv module does (only when needed, quotes doubled, NULL as nothing); its
    lines end in LF, turned into CRLF here (COPY sends one row per message, so
    a line feed inside a quoted cell is left alone)."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    query = psycopg.ClientCursor(raw).mogrify(sql, params)
    options = "FORMAT csv, HEADER true" + (", DELIMITER ';'" if fmt == CSV_EXCEL else "")
    start = BOM.encode() if fmt == CSV_EXCEL else b""
    lines: list[bytes] = []
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH ({options})") as copy:
        for row in copy:
            lines.append(bytes(row[:-1]))
            if len(lines) >= rows_per_chunk:
                yield start + b"\r\n".join(lines) + b"\r\n"
                start = b""
                lines.clear()
    if lines:
        yield start + b"\r\n".join(lines) + b"\r\n"


class _Echo:
    """A file-like object whose write returns what it was given (for streaming)."""

    def write(self, value: str) -> str:
        return value


def iter_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, fmt: str = CSV, rows_per_chunk: int = 256
) -> Iterator[bytes]:
    """Yield an encoded CSV document a few hundred lines at a time, never
    holding it whole.

    `fmt` is CSV (comma, CRLF, UTF-8) or CSV_EXCEL (semicolon, UTF-8 with a
    byte-order mark, decimal comma: what Excel set to Italian opens as is).
    """
    database_csv = getattr(rows, "database_csv", None)
    if database_csv is not None and (chunks := database_csv(fmt=fmt)) is not None:
        yield from chunks
        return
    excel = fmt == CSV_EXCEL
    writer = csv.writer(_Echo(), delimiter=";" if excel else ",", lineterminator="\r\n")
    write = writer.writerow
    first = write([_text(cell, decimal_comma=False) for cell in header])
    yield ((BOM if excel else "") + first).encode()
    lines: list[str] = []
    for row in rows:
        # Plain text (most cells) is written as is without a function call.
        lines.append(
            write(
                [
                    cell
                    if type(cell) is str and not cell.startswith(FORMULA_TRIGGERS)
                    else _text(cell, decimal_comma=excel)
                    for cell in row
                ]
            )
        )
        if len(lines) >= rows_per_chunk:
            yield "".join(lines).encode()
            lines.clear()
    if lines:
        yield "".join(lines).encode()


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        # Excel has no decimal type; amounts have two decimals at most.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return neutralise(str(value))


class XlsxBook:
    """A workbook of several sheets written row by row, in any order
    (openpyxl's write-only mode: each sheet streams to its own temporary
    file, so memory stays flat), every text cell neutralised."""

    def __init__(self):
        from openpyxl import Workbook

        self._workbook = Workbook(write_only=True)
        self._sheets = {}

    def sheet(self, title: str, header: Sequence[str] | None = None, *, comments: Sequence[str] | None = None):
        """A new sheet, with its header row (each header cell may carry a comment)."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.comments import Comment
        from openpyxl.styles import Font

        sheet = self._workbook.create_sheet(title=title[:31])
        if header is not None:
            cells = []
            for number, name in enumerate(header):
                cell = WriteOnlyCell(sheet, value=_xlsx_cell(name))
                cell.font = Font(bold=True)
                if comments and comments[number]:
                    cell.comment = Comment(str(comments[number]), "POPS", width=320, height=120)
                cells.append(cell)
            sheet.append(cells)
        self._sheets[title] = sheet
        return self

    def append(self, title: str, row: Sequence[Any]) -> None:
        self._sheets[title].append([_xlsx_cell(cell) for cell in row])

    def save(self, stream: IO[bytes]) -> None:
        self._workbook.save(stream)


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: IO[bytes], *, title: str = "data") -> None:
    """Write an XLSX workbook row by row (openpyxl's write-only mode keeps
    memory flat whatever the number of rows)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_xlsx_cell(cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    workbook.save(stream)


def xlsx_tempfile(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "data") -> IO[bytes]:
    """The workbook in a temporary file on disk, rewound, ready to stream."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    write_xlsx(header, rows, handle, title=title)
    handle.seek(0)
    return handle


def write_file(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: IO[bytes], *, fmt: str) -> None:
    """Write any of the formats to a binary stream (the command line uses this)."""
    if fmt == XLSX:
        write_xlsx(header, rows, stream)
        return
    for chunk in iter_csv(header, rows, fmt=fmt):
        stream.write(chunk)


def export_response(header: Sequence[str], rows: Iterable[Sequence[Any]], *, fmt: str, filename: str):
    """An HTTP download: CSV streamed as it is written, XLSX built in a
    temporary file (a zip cannot be streamed before it is complete)."""
    from django.http import FileResponse, StreamingHttpResponse

    filename = f"{filename}.{EXTENSIONS[fmt]}"
    if fmt == XLSX:
        return FileResponse(
            xlsx_tempfile(header, rows), as_attachment=True, filename=filename, content_type=CONTENT_TYPES[XLSX]
        )
    response = StreamingHttpResponse(iter_csv(header, rows, fmt=fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
