"""Reading the census workbook back (see census_format): check every sheet,
recognise what already exists, show what would change, and write it all in a
few batched statements.

    plan = census_plan(data=..., filename=..., choices=...)    # reads, writes nothing
    outcome = census_apply(plan, user=..., arrival=State.SUBMITTED, valid_only=False)

Identity. An initiative is the same one when its slug is; a new row whose
Italian title is that of an existing initiative is a *possible duplicate*,
written only once staff choose, for that row, "update X" or "create new".
People are recognised by their key (slug), e-mail or ORCID, and by name
alone only when exactly one person in the register has it (said in the
notices); organisations by key, tax code, or name and municipality. What the
register already says about a person or an organisation is kept (a
spreadsheet is older than the register more often than not); empty fields
are filled in, and every difference is said.

A sheet present in the file describes all of its rows for the initiatives
on the initiatives sheet: rows missing from it are removed. A sheet left out
of the file leaves those rows alone, and so does a column left out.

Why not django-import-export, as the flat import: it reads, validates and
writes one row at a time, with several queries per row and per related
column; a workbook of 5,000 initiatives (60,000 rows) must be checked in
seconds, so this module loads every vocabulary once, matches a chunk of
initiatives (CHUNK) in a constant number of queries and writes with bulk
statements.

Memory. Each sheet is read once, a row at a time, into the plan's Spool (a
temporary SQLite file) under the initiative it names; then the initiatives
are parsed, checked and matched a chunk at a time, and compared and written
a chunk at a time from the spool. What memory holds beyond one chunk: the
vocabularies, the people and organisations the file names (shared by every
chunk), and of each initiative what the preview shows (its row, title, slug,
outcome, problems, the columns that change).
"""

from __future__ import annotations

import datetime
import gc
import io
import logging
import pickle
import sqlite3
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from types import MappingProxyType

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from impact.models import Impact, Product
from initiatives.exchange.census_export import (
    _cells,
    export_queryset,
    initiative_rows,
    initiative_values,
    participation_values,
    partnership_values,
)
from initiatives.exchange.census_format import (
    ERRORS_COLUMN,
    IMPACTS,
    INITIATIVE_CLASSIFICATIONS,
    INITIATIVE_FIELDS,
    INITIATIVES,
    KEY,
    LEGEND,
    PARTNERSHIPS,
    PEOPLE,
    PLACES,
    PRODUCTS,
    SHEETS,
    SHEETS_BY_NAME,
    CellError,
    Lookups,
    header_key,
    model_fields,
    year_of,
)
from initiatives.models import Initiative, Participation, Person, Place
from initiatives.services.workflow import ARRIVAL_STATES, imported_arrival_values, imported_arrivals_record
from initiatives.showcase.cache import showcase_cache_invalidate
from pops.slugs import unique_slug
from pops.vocabulary import normalise_label
from stakeholders.models import Organisation, Partnership

logger = logging.getLogger(__name__)

NEW, UPDATE, UNCHANGED, DUPLICATE, INVALID, SKIPPED = "new", "update", "unchanged", "duplicate", "invalid", "skipped"
CHOICE_NEW = "new"
CHOICE_SKIP = "skip"
CHOICE_UPDATE = "update:"  # followed by the slug of the initiative to update
BATCH = 1000
# Initiatives checked, matched, compared and written at a time: memory holds one
# chunk of them (with their rows on every sheet), whatever the size of the file.
CHUNK = 500
# Of the initiatives to write (and of those left out), how many a preview lists.
SHOWN = 500


@dataclass(frozen=True)
class Problem:
    """Something in the file that stops a row (or the file) from being imported."""

    sheet: str
    row: int  # as in the spreadsheet: the header is row 1; 0 for the whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}
        if not self.sheet:
            return self.message
        if not self.row:
            return _("Sheet “%(sheet)s”: %(message)s") % where
        if self.column:
            return _("Sheet “%(sheet)s”, row %(row)d, column “%(column)s”: %(message)s") % where
        return _("Sheet “%(sheet)s”, row %(row)d: %(message)s") % where

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


class CensusFileError(Exception):
    """The file as a whole cannot be read; the message says why."""


# --- Reading the sheets --------------------------------------------------------------------


@dataclass
class RawSheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (spreadsheet row number, cells)


def _open_workbook(data: bytes):
    """The workbook, and the title of each sheet the census format knows
    (by its name). The archive's declared sizes are checked before anything
    is decompressed (exchange.files.check_xlsx).

    Read with python-calamine (Rust) rather than openpyxl: on the bench's
    workbook of 1,000 initiatives (13,000 rows) it reads every sheet in
    0.24 s against openpyxl's 2.7 s in read-only mode. Calamine holds one
    sheet's cells at a time on its side (bounded by the POPS_IMPORT_MAX_*
    settings); the rows reach Python one at a time (`iter_rows`)."""
    from python_calamine import CalamineError, CalamineWorkbook

    from initiatives.exchange.files import check_xlsx

    try:
        check_xlsx(data)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except ValidationError as exc:
        raise CensusFileError(" ".join(exc.messages)) from None
    except (CalamineError, ValueError, OSError):
        raise CensusFileError(_("This file is not a readable Excel workbook (.xlsx).")) from None
    titles: dict[str, str] = {}
    for title in workbook.sheet_names:
        name = header_key(title)
        if name == LEGEND or name not in SHEETS_BY_NAME:
            continue
        if name in titles:
            raise CensusFileError(_("The workbook has two “%(sheet)s” sheets.") % {"sheet": name})
        titles[name] = title
    return workbook, titles


def _stream_sheet(workbook, title: str, name: str):
    """The sheet's header (a RawSheet without rows) and an iterator of its
    non-empty rows, bounded while they are read; (None, None) for a sheet
    with nothing at all on it, which is as if left out."""
    rows = _sheet_rows(workbook, title)
    for _number, cells in rows:
        headers = ["" if cell is None else str(cell).strip() for cell in cells]
        return RawSheet(name, headers), rows
    return None, None


def _sheet_rows(workbook, title: str):
    from python_calamine import CalamineError

    max_rows, max_columns, max_chars = _limits()
    try:
        for number, cells in enumerate(workbook.get_sheet_by_name(title).iter_rows(), start=1):
            cells = [_cell_value(cell) for cell in cells]
            while cells and cells[-1] is None:
                cells.pop()
            if not cells:
                continue
            if number > max_rows + 1:
                raise CensusFileError(
                    _("The sheet “%(sheet)s” has more than %(max)d rows: split the file.")
                    % {"sheet": title, "max": max_rows}
                )
            if len(cells) > max_columns:
                raise CensusFileError(
                    _("The sheet “%(sheet)s” has more than %(max)d columns.") % {"sheet": title, "max": max_columns}
                )
            for cell in cells:
                if isinstance(cell, str) and len(cell) > max_chars:
                    raise CensusFileError(
                        _("Row %(row)d of the sheet “%(sheet)s” has a cell of more than %(max)d characters.")
                        % {"row": number, "sheet": title, "max": max_chars}
                    )
            yield number, tuple(cells)
    except (CalamineError, ValueError, OSError):
        raise CensusFileError(
            _("The sheet “%(sheet)s” cannot be read: save the file again as an Excel workbook (.xlsx).")
            % {"sheet": title}
        ) from None


def read_workbook(data: bytes) -> dict[str, RawSheet]:
    """The sheets of the workbook that the census format knows, each whole,
    with its rows (empty rows left out). The import streams the sheets
    instead (census_plan); this is for reading a small file at once."""
    workbook, titles = _open_workbook(data)
    sheets: dict[str, RawSheet] = {}
    for name, title in titles.items():
        raw, rows = _stream_sheet(workbook, title, name)
        if raw is not None:
            raw.rows = [(number, cells) for number, cells in rows if _has_text(cells)]
            sheets[name] = raw
    if INITIATIVES.name not in sheets:
        raise CensusFileError(_no_initiatives_sheet())
    return sheets


def _no_initiatives_sheet() -> str:
    return _("The workbook has no “%(sheet)s” sheet: start from the template, which has every sheet.") % {
        "sheet": INITIATIVES.name
    }


def _has_text(cells: tuple) -> bool:
    return any(cell is not None and str(cell).strip() for cell in cells)


def _limits() -> tuple[int, int, int]:
    return (
        getattr(settings, "POPS_IMPORT_MAX_ROWS", 100_000),
        getattr(settings, "POPS_IMPORT_MAX_COLUMNS", 200),
        getattr(settings, "POPS_IMPORT_MAX_CELL_CHARS", 32_767),
    )


def _cell_value(value):
    """A cell as the parsers take it: empty is None, a whole number typed
    in a number cell is an int (so "11" and 11 name the same SDG)."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- The scratch store: the file's rows, and the checked initiatives, a chunk at a time ------


class Spool:
    """A plan's scratch store, a private temporary SQLite file (stdlib
    sqlite3; deleted when the plan is let go): the file's rows grouped by
    the initiative they belong to, and the checked initiatives (pickled one
    by one) of each chunk for census_apply. Memory then holds one chunk of
    initiatives, not the file: the rest waits on disk.

    The vocabulary entries, people and organisations a row names are
    pickled as references (the plan's objects, shared by every chunk)."""

    def __init__(self, lookups: Lookups):
        # "" is a temporary on-disk database of this connection alone.
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute("CREATE TABLE raw (entry INTEGER, sheet INTEGER, number INTEGER, cells BLOB)")
        self.db.execute("CREATE TABLE checked (entry INTEGER PRIMARY KEY, data BLOB)")
        # What the plan shows of each initiative once checked (a let-go Entry).
        self.db.execute("CREATE TABLE shown (entry INTEGER PRIMARY KEY, data BLOB)")
        self._pending: list[tuple] = []
        self.chunks: dict[int, tuple[int, int]] = {}  # chunk -> its first and last entry
        self.lookups = lookups
        self._vocabulary = {id(item): (name, item.pk) for name, items in lookups.entries.items() for item in items}

    def add(self, entry: int, sheet: int, number: int, cells: tuple) -> None:
        self._pending.append((entry, sheet, number, pickle.dumps(cells, pickle.HIGHEST_PROTOCOL)))
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.db.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", self._pending)
            self._pending = []

    def index(self) -> None:
        self.flush()
        self.db.execute("CREATE INDEX raw_entry ON raw (entry, sheet, number)")

    def rows(self, first: int, last: int) -> dict[int, list[tuple[int, int, tuple]]]:
        """entry index -> [(sheet order, row number, cells)] for the entries first..last."""
        found: dict[int, list] = defaultdict(list)
        for entry, sheet, number, cells in self.db.execute(
            "SELECT entry, sheet, number, cells FROM raw WHERE entry BETWEEN ? AND ? ORDER BY entry, sheet, number",
            (first, last),
        ):
            found[entry].append((sheet, number, pickle.loads(cells)))
        return found

    def _reference(self, obj):
        if obj is _NOTHING:
            return ("nothing", 0)
        if isinstance(obj, PersonPlan):
            return ("person", obj.index)
        if isinstance(obj, OrganisationPlan):
            return ("organisation", obj.index)
        return self._vocabulary.get(id(obj))

    def _dump(self, entry: Entry) -> bytes:
        stream = io.BytesIO()
        pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = self._reference
        pickler.dump(entry)
        return stream.getvalue()

    def _load(self, data: bytes, people: list, organisations: list) -> Entry:
        def load(reference):
            kind, at = reference
            if kind == "nothing":
                return _NOTHING
            if kind == "person":
                return people[at]
            if kind == "organisation":
                return organisations[at]
            return self.lookups.by_pk[kind][at]

        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = load
        return unpickler.load()

    def put(self, n: int, entries: list[Entry]) -> None:
        """Keep a chunk of checked initiatives."""
        self.db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?)", [(e.index, self._dump(e)) for e in entries])
        self.chunks[n] = (entries[0].index, entries[-1].index)

    def get(self, n: int, people: list, organisations: list) -> list[Entry]:
        first, last = self.chunks[n]
        return [
            self._load(data, people, organisations)
            for (data,) in self.db.execute(
                "SELECT data FROM checked WHERE entry BETWEEN ? AND ? ORDER BY entry", (first, last)
            )
        ]

    def show(self, entries: list[Entry]) -> None:
        """Keep what the plan shows of a chunk of let-go initiatives."""
        self.db.executemany("INSERT OR REPLACE INTO shown VALUES (?, ?)", [(e.index, self._dump(e)) for e in entries])

    def shown(self):
        """Every initiative as the plan shows it, in the file's order, one at a time."""
        for (data,) in self.db.execute("SELECT data FROM shown ORDER BY entry"):
            yield self._load(data, (), ())

    def drop(self, n: int) -> None:
        first, last = self.chunks.pop(n)
        self.db.execute("DELETE FROM checked WHERE entry BETWEEN ? AND ?", (first, last))


# --- The plan: what the file says, checked and matched ----------------------------------------


@dataclass
class PersonPlan:
    """A person in the register, or to be created, that people rows name.

    What the rows say of them is kept as it is read, chunk by chunk, without
    the rows: for each field the value of the most recent initiative that
    gives one (see _settle_person), and every position and department named."""

    person: Person  # existing (with a pk) or new (unsaved, with its slug)
    new: bool
    index: int = 0  # place in the plan's list of people
    fills: set = field(default_factory=set)  # fields of an existing person filled in
    latest: dict = field(default_factory=dict)  # field -> (rank, value, initiative title), most recent first
    positions: set = field(default_factory=set)
    departments: set = field(default_factory=set)  # (pk, department)

    def see(self, entry: Entry, row: dict) -> None:
        rank = _rank(entry)
        if "row" not in self.latest or rank > self.latest["row"][0]:
            self.latest["row"] = (rank, {name: row.get(name) for name in _PERSON_CELLS}, entry.title)
        for name in ("email", "orcid", "department"):
            value = row.get(name)
            if value and (name not in self.latest or rank > self.latest[name][0]):
                self.latest[name] = (rank, value, entry.title)
        if row.get("position"):
            self.positions.add(row["position"])
        if row.get("department"):
            self.departments.add(row["department"].pk)

    def value(self, name: str):
        """The most recent non-empty value the rows give of a field."""
        return self.latest[name][1] if name in self.latest else None


_PERSON_CELLS = ("first_name", "last_name", "email", "orcid", "position", "department")


def _rank(entry: Entry) -> tuple:
    """Most recent first: by the initiative's start date (one without comes
    after), then the later row."""
    start = entry.values.get("start_date")
    return (start is not None, start or datetime.date.min, entry.row)


@dataclass
class OrganisationPlan:
    organisation: Organisation
    new: bool
    fills: set = field(default_factory=set)
    index: int = 0  # place in the plan's list of organisations


_NOTHING = MappingProxyType({})  # what a let-go entry has of its rows: read-only, shared
_NONE = frozenset()  # what a settled person keeps of the positions and departments named


@dataclass(slots=True)
class Entry:
    """One initiative of the file. While its chunk is checked it carries its
    values and rows; the plan keeps of it only what the preview shows (the
    rest waits in the plan's spool for census_apply)."""

    row: int
    key: str
    values: dict
    raw: dict = field(default_factory=dict)  # sheet -> [(row number, cells)]
    children: dict = field(default_factory=dict)  # sheet -> [dict of values]
    problems: list = field(default_factory=list)
    target: Initiative | None = None
    candidates: list = field(default_factory=list)
    outcome: str = NEW
    changes: list = field(default_factory=list)  # (sheet, column, before, after); the plan keeps (sheet, column)
    slug: str = ""
    index: int = 0  # place in the file's initiatives
    comparison: list | None = None  # a possible duplicate's, field by field
    target_public: bool = False

    @property
    def choice_key(self) -> str:
        return str(self.row)

    @property
    def title(self) -> str:
        return self.values.get("title_it") or self.key

    def let_go(self) -> None:
        """Keep only what the plan shows: the rest is in the spool."""
        self.values = {"title_it": self.values.get("title_it")}
        self.raw, self.children = _NOTHING, _NOTHING
        self.changes = [(sheet, column) for sheet, column, *_rest in self.changes]
        if self.target is not None:
            self.target_public = self.target.is_public
        self.target = None


class ShownEntries:
    """The plan's initiatives as the preview shows them (let-go entries),
    read back from the spool one at a time on every pass, so that memory
    does not hold one per initiative. Counted by outcome once."""

    def __init__(self, spool: Spool, outcomes: dict[str, int]):
        self.spool = spool
        self.outcomes = outcomes

    def __len__(self) -> int:
        return sum(self.outcomes.values())

    def __iter__(self):
        return self.spool.shown()

    def __bool__(self) -> bool:
        return len(self) > 0


@dataclass
class CensusPlan:
    filename: str
    sheets: set
    columns: dict  # sheet -> column names present
    entries: ShownEntries
    problems: list  # every problem, the entries' included
    notices: list
    people: list
    organisations: list
    raw_headers: dict = field(default_factory=dict)  # sheet -> the file's headers, as column names
    lookups: Lookups | None = None
    spool: Spool | None = None

    @property
    def file_problems(self) -> list[Problem]:
        rows = {(p.sheet, p.row) for e in self.entries for p in e.problems}
        return [p for p in self.problems if (p.sheet, p.row) not in rows]

    def count(self, outcome: str) -> int:
        return self.entries.outcomes.get(outcome, 0)

    @property
    def totals(self) -> dict[str, int]:
        return {key: self.count(key) for key in (NEW, UPDATE, UNCHANGED, DUPLICATE, INVALID, SKIPPED)}

    @property
    def duplicates(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.candidates and not entry.problems]

    @property
    def pending(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.outcome == DUPLICATE]

    def can_write(self, *, valid_only: bool) -> bool:
        if self.file_problems:
            return False
        if valid_only:
            return any(e.outcome in (NEW, UPDATE) for e in self.entries)
        return not self.problems and not self.pending

    def summary(self) -> dict:
        """What a job keeps of a dry run, as JSON: the totals, every problem
        and notice, and each possible duplicate with its field-by-field
        comparison (each needs a choice); of the initiatives' outcomes and
        what would change, the first SHOWN of those to write and of those
        left out (the totals count them all), as the admin shows them."""
        duplicates = self.duplicates
        comparisons = duplicate_comparisons(duplicates, self)
        shown = defaultdict(int)
        entries = []
        for e in self.entries:
            group = e.outcome in (NEW, UPDATE), e.outcome in (INVALID, DUPLICATE)
            if not any(group) or shown[group] >= SHOWN:
                continue
            shown[group] += 1
            entries.append(e)
        return {
            "totals": self.totals,
            "problems": [p.as_dict() for p in self.problems],
            "file_problems": [p.as_dict() for p in self.file_problems],
            "notices": self.notices,
            "entries": [
                {
                    "row": e.row,
                    "title": e.title,
                    "slug": e.slug,
                    "outcome": e.outcome,
                    "changes": sorted({column or sheet for sheet, column, *_rest in e.changes}),
                }
                for e in entries
            ],
            "duplicates": [
                {
                    "row": e.row,
                    "key": e.choice_key,
                    "title": e.title,
                    "candidates": [{"slug": c.slug, "title": c.title_it, "state": c.state} for c in e.candidates],
                    "comparison": comparisons.get(e.choice_key, []),
                }
                for e in duplicates
            ],
        }


def _problem(entry: Entry | None, problems: list, sheet: str, row: int, column: str, message: str) -> None:
    problem = Problem(sheet, row, column, str(message))
    problems.append(problem)
    if entry is not None:
        entry.problems.append(problem)


def _columns(raw: RawSheet, problems: list) -> dict[int, object]:
    """Column index -> Column of the sheet; unknown and missing required
    columns are problems of the file."""
    sheet = SHEETS_BY_NAME[raw.name]
    known = {column.name: column for column in sheet.columns}
    found: dict[int, object] = {}
    seen = set()
    for index, header in enumerate(raw.headers):
        if not header:
            continue
        name = header_key(header)
        if name == ERRORS_COLUMN:
            continue
        column = known.get(name)
        if column is None:
            problems.append(
                Problem(
                    raw.name,
                    1,
                    header,
                    _("Unknown column; the columns of this sheet are: %(columns)s.")
                    % {"columns": ", ".join(sheet.headers)},
                )
            )
            continue
        if name in seen:
            problems.append(Problem(raw.name, 1, header, _("This column appears twice.")))
            continue
        seen.add(name)
        found[index] = column
    for column in sheet.columns:
        if column.required and column.name not in seen:
            problems.append(Problem(raw.name, 1, column.name, _("This required column is missing.")))
    return found


def _parse_row(raw: RawSheet, columns, number: int, cells: tuple, lookups: Lookups, *, year=None, entry, problems):
    values = {}
    for index, column in columns.items():
        value = cells[index] if index < len(cells) else None
        try:
            values[column.name] = column.parse(value, lookups, year=year)
        except CellError as exc:
            _problem(entry, problems, raw.name, number, column.name, str(exc))
            continue
        if column.required and values[column.name] in (None, "", []):
            _problem(entry, problems, raw.name, number, column.name, _("This cell is required."))
    return values


def census_plan(*, data: bytes, filename: str = "", choices: dict | None = None, chunk: int = 0) -> CensusPlan:
    """Read and check the whole workbook, match what it names with what
    exists, and say, initiative by initiative, what an import would do.
    Writes nothing. `choices` maps the row of a possible duplicate (as a
    string) to CHOICE_NEW or CHOICE_UPDATE + slug. Raises CensusFileError
    when the file cannot be read at all.

    Each sheet is read once, a row at a time, into the plan's spool, grouped
    by initiative; then `chunk` initiatives at a time (CHUNK unless given)
    are checked and matched, and, once every person the file names is
    settled, compared with what is stored: memory holds one chunk, the
    vocabularies and the people and organisations the file names."""
    return _plan(data, filename=filename, choices=choices or {}, chunk=chunk or CHUNK)


def _plan(data: bytes, *, filename: str, choices: dict, chunk: int) -> CensusPlan:
    workbook, titles = _open_workbook(data)
    lookups = Lookups()
    problems: list[Problem] = []
    notices: list[str] = []
    spool = Spool(lookups)
    columns: dict[str, dict] = {}
    raws: dict[str, RawSheet] = {}
    starts = array("l")  # entry index -> its row on the initiatives sheet
    by_key: dict[str, int] = {}

    # Each sheet once, a row at a time, into the spool: the initiatives
    # first, then every other sheet's rows under the initiative they name.
    for sheet in SHEETS:
        if sheet.name not in titles:
            continue
        raw, rows = _stream_sheet(workbook, titles[sheet.name], sheet.name)
        if raw is None:
            continue
        raws[sheet.name] = raw
        if sheet.name == INITIATIVES.name:
            cols = columns[sheet.name] = _columns(raw, problems)
            for number, cells in rows:
                if not _has_text(cells):
                    continue
                key = _key(cells, cols, "slug")
                if key:
                    by_key.setdefault(key, len(starts))
                spool.add(len(starts), 0, number, cells)
                starts.append(number)
            continue
        if INITIATIVES.name not in raws:
            raise CensusFileError(_no_initiatives_sheet())
        cols = columns[sheet.name] = _columns(raw, problems)
        order = SHEET_ORDER[sheet.name]
        for number, cells in rows:
            if not _has_text(cells):
                continue
            key = _key(cells, cols, "initiative")
            index = by_key.get(key)
            if index is None:
                message = (
                    _("No initiative has the key “%(key)s” on the initiatives sheet.") % {"key": key}
                    if key
                    else _("Say which initiative this row belongs to (its key).")
                )
                _problem(None, problems, sheet.name, number, "initiative", message)
                continue
            spool.add(index, order, number, cells)
    if INITIATIVES.name not in raws:
        raise CensusFileError(_no_initiatives_sheet())
    spool.index()
    del workbook
    present = {name: {c.name for c in cols.values()} for name, cols in columns.items()}

    # Checked and matched a chunk at a time, then kept in the spool.
    register = Register()
    taken = set(Initiative.objects.values_list("slug", flat=True))
    pages = list(_chunks(range(len(starts)), chunk))
    for n, page in enumerate(pages):
        part = _read_chunk(page, spool, raws, columns, lookups, starts, by_key, problems)
        _check_entries(part, present, problems)
        _match_people(part, present, problems, notices, register)
        _match_organisations(part, present, problems, notices, register)
        _match_initiatives(part, choices, problems, taken)
        spool.put(n, part)
        del part
    people = list(register.people.values())
    organisations = list(register.organisations.values())
    for person in people:
        _settle_person(person, notices)
        person.latest, person.positions, person.departments = _NOTHING, _NONE, _NONE

    # Compared with what is stored, a chunk at a time; a chunk with nothing
    # to write is let go. What the preview shows of each waits in the spool.
    outcomes: dict[str, int] = defaultdict(int)
    for n in range(len(pages)):
        part = spool.get(n, people, organisations)
        _people_twice(part, problems)
        _compare(part, present, lookups, problems)
        duplicates = [e for e in part if e.candidates and not e.problems]
        comparisons = _comparisons(duplicates, lookups, present[INITIATIVES.name]) if duplicates else {}
        for entry in part:
            entry.comparison = comparisons.get(entry.choice_key) if entry in duplicates else None
        if any(e.outcome in (NEW, UPDATE) for e in part):
            spool.put(n, part)
        else:
            spool.drop(n)
        for entry in part:
            entry.let_go()
            outcomes[entry.outcome] += 1
        spool.show(part)
        del part
    return CensusPlan(
        filename=filename,
        sheets=set(raws),
        columns=present,
        entries=ShownEntries(spool, dict(outcomes)),
        problems=sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, 99), p.row, p.column)),
        notices=notices,
        people=people,
        organisations=organisations,
        raw_headers={name: [header_key(h) if h else "" for h in raw.headers] for name, raw in raws.items()},
        lookups=lookups,
        spool=spool,
    )


def _read_chunk(page, spool, raws, columns, lookups, starts, by_key, problems) -> list[Entry]:
    """A chunk of initiatives (the entry indexes `page`) with the values of
    their rows on every sheet, parsed from the spool."""
    rows = spool.rows(page[0], page[-1])
    cols = columns[INITIATIVES.name]
    start_column = next((i for i, c in cols.items() if c.name == "start_date"), None)
    sheets_present = [sheet.name for sheet in SHEETS[1:] if sheet.name in raws]
    part = []
    for index in page:
        found = rows.get(index, [])
        _order, number, cells = found[0]  # the initiatives sheet's row comes first
        entry = Entry(row=number, key=_key(cells, cols, "slug"), values={}, index=index)
        part.append(entry)
        for name in sheets_present:
            entry.children[name] = []
        for order, number, cells in found:
            if order == 0:
                _read_initiative(entry, number, cells, raws, columns, lookups, start_column, starts, by_key, problems)
                continue
            name = SHEETS[order].name
            entry.raw.setdefault(name, []).append((number, cells))
            values = _parse_row(
                raws[name],
                columns[name],
                number,
                cells,
                lookups,
                year=year_of(entry.values.get("start_date")),
                entry=entry,
                problems=problems,
            )
            values["_row"] = number
            entry.children[name].append(values)
    return part


def _read_initiative(entry, number, cells, raws, columns, lookups, start_column, starts, by_key, problems) -> None:
    raw = raws[INITIATIVES.name]
    entry.raw[INITIATIVES.name] = [(number, cells)]
    year = None
    if start_column is not None:
        try:
            year = year_of(INITIATIVES.column("start_date").parse(_cell(cells, start_column), lookups))
        except CellError:
            year = None
    entry.values = _parse_row(
        raw, columns[INITIATIVES.name], number, cells, lookups, year=year, entry=entry, problems=problems
    )
    first = by_key.get(entry.key)
    if entry.key and first != entry.index:
        _problem(
            entry,
            problems,
            raw.name,
            number,
            "slug",
            _("The key “%(key)s” is also on row %(row)d: each initiative once.")
            % {"key": entry.key, "row": starts[first]},
        )


SHEET_ORDER = {sheet.name: number for number, sheet in enumerate(SHEETS)}


def _cell(cells: tuple, index: int):
    return cells[index] if index < len(cells) else None


def _key(cells: tuple, columns: dict, name: str) -> str:
    for index, column in columns.items():
        if column.name == name:
            value = _cell(cells, index)
            return "" if value is None else str(value).strip()
    return ""


# --- Checks within the file (and against the models' own rules) -----------------------------

FIELD_COLUMNS = {
    # model field -> column, where they differ
    Product: {"url": "link"},
    Impact: {"evidence_url": "evidence_link"},
    Person: {"role": "position"},
    Organisation: {"name": "organisation"},
}


def _model_errors(instance, *, exclude) -> dict[str, list[str]]:
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        renamed = FIELD_COLUMNS.get(type(instance), {})
        return {renamed.get(name, name): [str(m) for m in messages] for name, messages in error.message_dict.items()}
    return {}


def _report(entry, problems, sheet, row, errors: dict[str, list[str]]) -> None:
    for column, messages in errors.items():
        for message in messages:
            _problem(entry, problems, sheet, row, "" if column == "__all__" else column, message)


def _check_entries(entries: list[Entry], present: dict, problems: list) -> None:
    email_validator = EmailValidator()
    initiative_columns = present[INITIATIVES.name]
    for entry in entries:
        # The initiative's own fields, by the model's rules (cross-field ones included).
        fields = {
            name: value
            for name, value in entry.values.items()
            if name in INITIATIVE_FIELDS
            and not (value is None and not Initiative._meta.get_field(name).null)
            or (name in INITIATIVE_FIELDS and _is_text(name))
        }
        initiative = Initiative(
            **{name: ("" if value is None and _is_text(name) else value) for name, value in fields.items()}
        )
        exclude = [f.name for f in Initiative._meta.fields if f.name not in fields]
        errors = _model_errors(initiative, exclude=exclude)
        already = {p.column for p in entry.problems if p.sheet == INITIATIVES.name}
        _report(entry, problems, INITIATIVES.name, entry.row, {k: v for k, v in errors.items() if k not in already})
        if entry.key and slugify(entry.key) != entry.key:
            _problem(
                entry,
                problems,
                INITIATIVES.name,
                entry.row,
                "slug",
                _("A key may only have lower-case letters, digits and hyphens, like “%(slug)s”.")
                % {"slug": slugify(entry.key) or "orti-condivisi"},
            )
        if "title_it" not in initiative_columns:
            continue

        people = entry.children.get(PEOPLE.name, [])
        leads = [row for row in people if row.get("role") == Participation.Role.LEAD]
        for extra in leads[1:]:
            _problem(
                entry,
                problems,
                PEOPLE.name,
                extra["_row"],
                "role",
                _("An initiative has one lead; row %(row)d already names one.") % {"row": leads[0]["_row"]},
            )
        for row in people:
            email = row.get("email") or ""
            if email:
                try:
                    email_validator(email)
                except ValidationError:
                    _problem(entry, problems, PEOPLE.name, row["_row"], "email", _("Enter a valid e-mail address."))
            person = Person(
                first_name=row.get("first_name") or "",
                last_name=row.get("last_name") or "",
                orcid=row.get("orcid") or "",
            )
            _check_model(
                entry,
                problems,
                PEOPLE.name,
                row,
                person,
                exclude=["slug", "email", "user", "department", "degree_programme", "role", "gender", "language"],
            )
        for row in entry.children.get(PARTNERSHIPS.name, []):
            country = (row.get("country") or "").upper()
            row["country"] = country
            if country and (len(country) != 2 or not country.isalpha()):
                _problem(
                    entry,
                    problems,
                    PARTNERSHIPS.name,
                    row["_row"],
                    "country",
                    _("Write the country as a two-letter code, e.g. IT or FR."),
                )
        seen_roles = {}
        for row in entry.children.get(PARTNERSHIPS.name, []):
            identity = (
                normalise_label(row.get("organisation")),
                normalise_label(row.get("municipality")),
                row.get("role"),
            )
            if identity in seen_roles:
                _problem(
                    entry,
                    problems,
                    PARTNERSHIPS.name,
                    row["_row"],
                    "role",
                    _("Row %(row)d already gives this organisation this role.") % {"row": seen_roles[identity]},
                )
            seen_roles.setdefault(identity, row["_row"])
        for row in entry.children.get("places", []):
            row["country"] = (row.get("country") or "IT").upper()
            row["province"] = (row.get("province") or "").upper()
            latitude, longitude = row.get("latitude"), row.get("longitude")
            if (latitude is None) != (longitude is None):
                _problem(
                    entry,
                    problems,
                    "places",
                    row["_row"],
                    "longitude" if longitude is None else "latitude",
                    _("Give both the latitude and the longitude, or neither."),
                )
            if latitude is not None and not -90 <= latitude <= 90:
                _problem(entry, problems, "places", row["_row"], "latitude", _("The latitude is between −90 and 90."))
            if longitude is not None and not -180 <= longitude <= 180:
                _problem(
                    entry, problems, "places", row["_row"], "longitude", _("The longitude is between −180 and 180.")
                )
            _check_model(
                entry,
                problems,
                "places",
                row,
                Place(**_place_fields(row)),
                exclude=["initiative", "latitude", "longitude"],
            )
        for row in entry.children.get("products", []):
            _check_model(
                entry,
                problems,
                "products",
                row,
                Product(**_product_fields(row)),
                exclude=["initiative", "category", "position"],
            )
        for row in entry.children.get("impacts", []):
            _check_model(
                entry, problems, "impacts", row, Impact(**_impact_fields(row)), exclude=["initiative", "position"]
            )


def _check_model(entry: Entry, problems: list, sheet: str, row: dict, instance, *, exclude) -> None:
    """The model's own rules for a row (lengths, URLs, e-mail, ORCID...),
    reported under the row's columns, except where a cell already failed."""
    errors = _model_errors(instance, exclude=exclude)
    already = _columns_with_problems(entry, sheet, row["_row"])
    _report(entry, problems, sheet, row["_row"], {k: v for k, v in errors.items() if k not in already})


def _columns_with_problems(entry: Entry, sheet: str, row: int) -> set[str]:
    return {p.column for p in entry.problems if p.sheet == sheet and p.row == row}


def _is_text(name: str) -> bool:
    return Initiative._meta.get_field(name).get_internal_type() in ("CharField", "TextField", "URLField", "SlugField")


def _place_fields(row: dict) -> dict:
    return model_fields(PLACES, row, Place)


def _product_fields(row: dict) -> dict:
    return model_fields(PRODUCTS, row, Product)


def _impact_fields(row: dict) -> dict:
    return model_fields(IMPACTS, row, Impact)


# --- Identity -----------------------------------------------------------------------------


def _chunks(values, size: int = 500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _person_label(row: dict) -> str:
    return f"{row.get('first_name') or ''} {row.get('last_name') or ''}".strip()


@dataclass
class Register:
    """The people and organisations a file names, matched chunk by chunk:
    the same person (or organisation) for every row that names them, in
    whichever chunk the row is."""

    people: dict = field(default_factory=dict)  # pk or ("new", identity) -> PersonPlan
    organisations: dict = field(default_factory=dict)
    people_taken: set | None = None
    organisations_taken: set | None = None

    def person(self, key, make) -> PersonPlan:
        plan = self.people.get(key)
        if plan is None:
            plan = self.people[key] = make()
            plan.index = len(self.people) - 1
        return plan

    def organisation(self, key, make) -> OrganisationPlan:
        plan = self.organisations.get(key)
        if plan is None:
            plan = self.organisations[key] = make()
            plan.index = len(self.organisations) - 1
        return plan


def _match_people(entries: list[Entry], present: dict, problems: list, notices: list, register: Register) -> None:
    """Who each people row names: an existing person (by key, e-mail,
    ORCID, or a name only one person has) or a new one, the same new person
    for every row that names them (settled once every chunk is read)."""
    if PEOPLE.name not in present:
        return
    rows = [(entry, row) for entry in entries for row in entry.children.get(PEOPLE.name, [])]
    keys = {row["person"] for _e, row in rows if row.get("person")}
    emails = {row["email"].lower() for _e, row in rows if row.get("email")}
    orcids = {row["orcid"] for _e, row in rows if row.get("orcid")}
    found: dict[int, Person] = {}
    for chunk in _chunks(keys):
        found.update({p.pk: p for p in Person.objects.filter(slug__in=chunk).select_related("department")})
    for chunk in _chunks(emails):
        found.update(
            {
                p.pk: p
                for p in Person.objects.annotate(lower=Lower("email"))
                .filter(lower__in=chunk)
                .select_related("department")
            }
        )
    for chunk in _chunks(orcids):
        found.update({p.pk: p for p in Person.objects.filter(orcid__in=chunk).select_related("department")})
    # Only rows with no key, e-mail or ORCID are matched by name.
    nameless = {
        row["last_name"]
        for _e, row in rows
        if row.get("last_name") and not (row.get("person") or row.get("email") or row.get("orcid"))
    }
    by_name: dict[str, list[Person]] = defaultdict(list)
    if nameless:
        for chunk in _chunks(nameless):
            for person in Person.objects.filter(last_name__in=chunk).select_related("department"):
                found.setdefault(person.pk, person)
    for person in found.values():
        by_name[normalise_label(person.full_name)].append(person)
    by_slug = {p.slug: p for p in found.values()}
    by_email = {p.email.lower(): p for p in found.values() if p.email}
    by_orcid = {p.orcid: p for p in found.values() if p.orcid}

    if rows and register.people_taken is None:
        register.people_taken = set(Person.objects.values_list("slug", flat=True))
    taken = register.people_taken
    for entry, row in rows:
        if any(
            p.sheet == PEOPLE.name
            and p.row == row["_row"]
            and p.column in ("first_name", "last_name", "email", "orcid")
            for p in entry.problems
        ):
            continue
        person = (
            by_slug.get(row.get("person") or "")
            or by_email.get((row.get("email") or "").lower() or None)
            or by_orcid.get(row.get("orcid") or None)
        )
        if person is None and not (row.get("email") or row.get("orcid")):
            namesakes = by_name.get(normalise_label(_person_label(row)), [])
            if len(namesakes) == 1 and not row.get("person"):
                person = namesakes[0]
                notices.append(
                    _(
                        "Sheet “people”, row %(row)d: %(name)s has no e-mail or ORCID; recognised as %(name)s "
                        "of the register by name."
                    )
                    % {"row": row["_row"], "name": person.full_name}
                )
        if person is not None:
            plan = register.person(person.pk, lambda person=person: PersonPlan(person=person, new=False))
            plan.see(entry, row)
            row["_person"] = plan
            continue
        identity = (
            ("key", row["person"])
            if row.get("person")
            else ("email", row["email"].lower())
            if row.get("email")
            else ("orcid", row["orcid"])
            if row.get("orcid")
            else ("name", normalise_label(_person_label(row)))
        )
        plan = register.person(
            ("new", identity),
            lambda row=row: PersonPlan(
                person=Person(slug=unique_slug(Person, row.get("person") or _person_label(row), taken=taken)),
                new=True,
            ),
        )
        plan.see(entry, row)
        row["_person"] = plan


def _people_twice(entries: list[Entry], problems: list) -> None:
    """A person named twice in one initiative (once the people are settled,
    so that the message names them)."""
    for entry in entries:
        seen: dict[int, int] = {}
        for row in entry.children.get(PEOPLE.name, []):
            plan = row.get("_person")
            if plan is None:
                continue
            if id(plan) in seen:
                _problem(
                    entry,
                    problems,
                    PEOPLE.name,
                    row["_row"],
                    "person",
                    _("%(name)s is already on row %(row)d of this initiative.")
                    % {"name": plan.person.full_name, "row": seen[id(plan)]},
                )
            seen.setdefault(id(plan), row["_row"])


def _settle_person(plan: PersonPlan, notices: list) -> None:
    """What the register will say of a person: for someone new, the values
    of the most recent initiative naming them; for someone known, the
    register's, with empty fields filled in; every disagreement said."""
    person = plan.person
    if plan.new:
        _rank_, row, title = plan.latest["row"]
        person.first_name = row.get("first_name") or ""
        person.last_name = row.get("last_name") or ""
        person.email = row.get("email") or ""
        person.orcid = row.get("orcid") or ""
        person.role = row.get("position") or Person.Role.OTHER
        person.department = row.get("department")
        for name in ("email", "orcid", "department"):
            if not getattr(person, name):
                value = plan.value(name)
                if value:
                    setattr(person, name, value)
        if len(plan.positions) > 1:
            notices.append(
                _(
                    "%(name)s appears with the positions %(positions)s: kept %(kept)s, from the most recent "
                    "initiative (%(initiative)s)."
                )
                % {
                    "name": person.full_name,
                    "positions": ", ".join(sorted(str(Person.Role(p).label) for p in plan.positions)),
                    "kept": Person.Role(person.role).label,
                    "initiative": title,
                }
            )
        return
    for name in ("email", "orcid", "department"):
        if not getattr(person, name):
            value = plan.value(name)
            if value:
                setattr(person, name, value)
                plan.fills.add(name)
    sheet_positions = plan.positions - {person.role}
    if sheet_positions:
        notices.append(
            _("%(name)s: kept the register's current position, %(kept)s (the sheet says %(sheet)s).")
            % {
                "name": person.full_name,
                "kept": Person.Role(person.role).label,
                "sheet": ", ".join(sorted(str(Person.Role(p).label) for p in sheet_positions)),
            }
        )
    departments = plan.departments - {person.department_id}
    if departments and person.department_id and "department" not in plan.fills:
        notices.append(
            _("%(name)s: kept the register's department, %(kept)s (the sheet names another).")
            % {"name": person.full_name, "kept": person.department.code}
        )


def _match_organisations(
    entries: list[Entry], present: dict, problems: list, notices: list, register: Register
) -> None:
    if PARTNERSHIPS.name not in present:
        return
    rows = [(entry, row) for entry in entries for row in entry.children.get(PARTNERSHIPS.name, [])]
    keys = {row["organisation_key"] for _e, row in rows if row.get("organisation_key")}
    codes = {row["tax_code"] for _e, row in rows if row.get("tax_code")}
    names = {row["organisation"] for _e, row in rows if row.get("organisation")}
    found: dict[int, Organisation] = {}
    for chunk in _chunks(keys):
        found.update({o.pk: o for o in Organisation.objects.filter(slug__in=chunk).select_related("type")})
    for chunk in _chunks(codes):
        found.update({o.pk: o for o in Organisation.objects.filter(tax_code__in=chunk).select_related("type")})
    for chunk in _chunks(names):
        found.update(
            {
                o.pk: o
                for o in Organisation.objects.annotate(lower=Lower("name"))
                .filter(lower__in=[n.lower() for n in chunk])
                .select_related("type")
            }
        )
    by_slug = {o.slug: o for o in found.values()}
    by_code = {o.tax_code: o for o in found.values() if o.tax_code}
    by_name_place: dict[tuple, list] = defaultdict(list)
    by_name: dict[str, list] = defaultdict(list)
    for organisation in found.values():
        by_name_place[(normalise_label(organisation.name), normalise_label(organisation.municipality))].append(
            organisation
        )
        by_name[normalise_label(organisation.name)].append(organisation)

    plans = register.organisations
    if rows and register.organisations_taken is None:
        register.organisations_taken = set(Organisation.objects.values_list("slug", flat=True))
    taken = register.organisations_taken
    for entry, row in rows:
        if not row.get("organisation"):
            continue
        name, place = normalise_label(row.get("organisation")), normalise_label(row.get("municipality"))
        organisation = by_slug.get(row.get("organisation_key") or "") or by_code.get(row.get("tax_code") or None)
        if organisation is None:
            same = by_name_place.get((name, place), [])
            if not same and not place:
                same = by_name.get(name, [])
            organisation = same[0] if len(same) == 1 else None
        if organisation is not None:
            plan = register.organisation(
                organisation.pk, lambda o=organisation: OrganisationPlan(organisation=o, new=False)
            )
            _settle_organisation(plan, row, notices)
            row["_organisation"] = plan
            continue
        identity = (
            ("key", row["organisation_key"])
            if row.get("organisation_key")
            else (("tax", row["tax_code"]) if row.get("tax_code") else ("name", name, place))
        )
        plan = plans.get(("new", identity))
        if plan is None:
            if row.get("type") is None:
                _problem(
                    entry,
                    problems,
                    PARTNERSHIPS.name,
                    row["_row"],
                    "type",
                    _("“%(name)s” is not in the register yet: say what kind of organisation it is.")
                    % {"name": row["organisation"]},
                )
                continue
            organisation = Organisation(
                slug=unique_slug(Organisation, row.get("organisation_key") or row["organisation"], taken=taken),
                name=row["organisation"],
                type=row["type"],
                type_other=row.get("type_other") or "",
                municipality=row.get("municipality") or "",
                country=row.get("country") or "",
                website=row.get("website") or "",
                tax_code=row.get("tax_code") or "",
            )
            errors = _model_errors(organisation, exclude=["slug", "type", "created_at"])
            if errors:
                _report(entry, problems, PARTNERSHIPS.name, row["_row"], errors)
                continue
            plan = register.organisation(
                ("new", identity), lambda o=organisation: OrganisationPlan(organisation=o, new=True)
            )
            if not organisation.country:
                notices.append(
                    _("Sheet “partnerships”, row %(row)d: no country given for %(name)s; it is recorded as not known.")
                    % {"row": row["_row"], "name": organisation.name}
                )
        row["_organisation"] = plan


def _settle_organisation(plan: OrganisationPlan, row: dict, notices: list) -> None:
    organisation = plan.organisation
    if plan.new:
        return
    for name in ("tax_code", "website", "municipality", "type_other"):
        if not getattr(organisation, name) and row.get(name):
            setattr(organisation, name, row[name])
            plan.fills.add(name)
    differs = [
        label
        for name, label in (("type", _("kind")), ("country", _("country")))
        if row.get(name) not in (None, "") and row.get(name) != getattr(organisation, name)
    ]
    if differs and not getattr(plan, "_said", False):
        plan._said = True
        notices.append(
            _("%(name)s: kept the register's %(fields)s (the sheet says otherwise).")
            % {"name": organisation.name, "fields": ", ".join(str(d) for d in differs)}
        )


def _match_initiatives(entries: list[Entry], choices: dict, problems: list, taken: set) -> None:
    """Which existing initiative each row is: by slug; a new row whose
    Italian title an existing initiative has is a possible duplicate."""
    keys = [entry.key for entry in entries if entry.key]
    existing = {}
    for chunk in _chunks(keys):
        existing.update({i.slug: i for i in Initiative.objects.originals().filter(slug__in=chunk)})
    titles: dict[str, list] = defaultdict(list)
    wanted = {normalise_label(e.values.get("title_it")) for e in entries if e.key not in existing}
    if wanted:
        for initiative in Initiative.objects.originals().only(
            "pk", "slug", "title_it", "title_en", "state", "start_date"
        ):
            title = normalise_label(initiative.title_it)
            if title in wanted:
                titles[title].append(initiative)
    for entry in entries:
        entry.target = existing.get(entry.key)
        state = entry.values.get("state") or ""
        if entry.target is not None:
            entry.slug = entry.target.slug
            if state and state != entry.target.state:
                _problem(
                    entry,
                    problems,
                    INITIATIVES.name,
                    entry.row,
                    "state",
                    _(
                        "An import does not move an existing initiative (it is “%(current)s”): leave the cell "
                        "empty and decide it in the review queue."
                    )
                    % {"current": Initiative.State(entry.target.state).label},
                )
            continue
        if state and state not in ARRIVAL_STATES:
            _problem(
                entry,
                problems,
                INITIATIVES.name,
                entry.row,
                "state",
                _(
                    "An import cannot make an initiative “%(state)s”: new initiatives arrive as draft or submitted, "
                    "and staff publish them from the review queue."
                )
                % {"state": Initiative.State(state).label},
            )
        entry.candidates = titles.get(normalise_label(entry.values.get("title_it")), [])
        choice = choices.get(entry.choice_key, "")
        if entry.candidates and choice.startswith(CHOICE_UPDATE):
            slug = choice[len(CHOICE_UPDATE) :]
            entry.target = next((c for c in entry.candidates if c.slug == slug), None)
            if entry.target is not None:
                entry.slug = slug
                continue
        if entry.candidates and choice == CHOICE_SKIP:
            entry.outcome = SKIPPED
        elif entry.candidates and choice != CHOICE_NEW:
            entry.outcome = DUPLICATE
        if entry.key and entry.key in taken:
            _problem(
                entry,
                problems,
                INITIATIVES.name,
                entry.row,
                "slug",
                _("The key “%(key)s” belongs to a working copy, not to an initiative that can be updated.")
                % {"key": entry.key},
            )
        entry.slug = unique_slug(Initiative, entry.key or entry.values.get("title_it") or "", taken=taken)


def _participation(row: dict, **extra) -> Participation | None:
    """The participation a people row describes (None when its person could
    not be matched): compared with the stored one, then written."""
    plan: PersonPlan = row.get("_person")
    if plan is None:
        return None
    return Participation(
        person=plan.person,
        role=row.get("role") or Participation.Role.MEMBER,
        contribution=row.get("contribution") or "",
        can_edit=bool(row.get("co_author")),
        **extra,
    )


def _partnership(row: dict, **extra) -> Partnership | None:
    """The partnership a partnerships row describes (None when its
    organisation could not be matched)."""
    plan: OrganisationPlan = row.get("_organisation")
    if plan is None:
        return None
    return Partnership(
        organisation=plan.organisation,
        role=row.get("role") or Partnership.Role.PARTNER,
        funding_call=row.get("funding_call") or "",
        **extra,
    )


def _effective_people_row(row: dict) -> dict:
    participation = _participation(row)
    return {**row, **participation_values(participation)} if participation else dict(row)


def _effective_partnership_row(row: dict) -> dict:
    partnership = _partnership(row)
    return {**row, **partnership_values(partnership)} if partnership else dict(row)


def _compare(entries: list[Entry], present: dict, lookups: Lookups, problems: list) -> None:
    """The outcome of every checked initiative: new, or, for an existing
    one, updated or unchanged, comparing the rows as the workbook spells
    them (for people and organisations: as the register will have them)."""
    for entry in entries:
        if entry.problems:
            entry.outcome = INVALID
    compared = [e for e in entries if not e.problems and e.outcome not in (DUPLICATE, SKIPPED)]
    for entry in compared:
        if entry.target is None:
            entry.outcome = NEW
    existing = [e for e in compared if e.target is not None]
    # A page of existing initiatives at a time, compared and let go: memory
    # holds one page of the database's rows, not all of them.
    for page in _chunks(existing, 200):
        initiatives = {
            initiative.pk: initiative
            for initiative in export_queryset(Initiative.objects.filter(pk__in=[e.target.pk for e in page]))
        }
        current = {pk: initiative_rows(initiative, lookups) for pk, initiative in initiatives.items()}
        for entry in page:
            # An empty cell is "not given": the initiative keeps its value.
            stored = initiative_values(initiatives[entry.target.pk])
            for name in present[INITIATIVES.name]:
                if name in stored and name != "slug" and entry.values.get(name) in (None, "", []):
                    entry.values[name] = stored[name]
            # The rules between fields hold for what the initiative will be.
            errors = Initiative.cross_field_errors({**stored, **entry.values})
            for name, error in errors.items():
                _problem(entry, problems, INITIATIVES.name, entry.row, name, error.messages[0])
            if errors:
                entry.outcome = INVALID
                continue
            entry.changes = _differences(current[entry.target.pk], file_rows(entry, present, lookups), present)
            entry.outcome = UPDATE if entry.changes else UNCHANGED
        del initiatives, current
        gc.collect()


def file_rows(entry: Entry, present: dict, lookups: Lookups) -> dict[str, list[list]]:
    """The rows the workbook would have for this initiative after the import."""
    rows = {}
    values = {**entry.values, "slug": entry.slug}
    rows[INITIATIVES.name] = [_cells(INITIATIVES, values, lookups)]
    for sheet in SHEETS[1:]:
        if sheet.name not in present:
            continue
        items = entry.children.get(sheet.name, [])
        if sheet.name == PEOPLE.name:
            items = [_effective_people_row(row) for row in items]
        elif sheet.name == PARTNERSHIPS.name:
            items = [_effective_partnership_row(row) for row in items]
        elif sheet.name == "places":
            items = [{**row, **_place_fields(row)} for row in items]
        rows[sheet.name] = [_cells(sheet, {**item, "initiative": entry.slug}, lookups) for item in items]
    return rows


def _differences(before: dict, after: dict, present: dict) -> list[tuple]:
    changes = []
    headers = INITIATIVES.headers
    columns = present[INITIATIVES.name]
    for index, name in enumerate(headers):
        if name == "slug" or name not in columns:
            continue
        old, new = before[INITIATIVES.name][0][index], after[INITIATIVES.name][0][index]
        if old != new:
            changes.append((INITIATIVES.name, name, old, new))
    for sheet in SHEETS[1:]:
        if sheet.name not in after:
            continue
        kept = [i for i, c in enumerate(sheet.exported) if c.name in present[sheet.name] or c.kind == KEY]
        old = [[row[i] for i in kept] for row in before[sheet.name]]
        new = [[row[i] for i in kept] for row in after[sheet.name]]
        if old != new:
            changes.append((sheet.name, "", len(old), len(new)))
    return changes


def duplicate_comparisons(entries: list[Entry], plan: CensusPlan) -> dict[str, list[dict]]:
    """For each possible duplicate (by its choice key), field by field, the
    existing initiative (its first candidate) and the file's row; the
    candidates read in one go. A plan's entries carry theirs, made while
    their chunk was checked."""
    comparisons = {e.choice_key: e.comparison for e in entries if e.comparison is not None}
    rest = [e for e in entries if e.comparison is None]
    if rest:
        comparisons.update(_comparisons(rest, plan.lookups or Lookups(), plan.columns[INITIATIVES.name]))
    return comparisons


def _comparisons(entries: list[Entry], lookups: Lookups, columns: set) -> dict[str, list[dict]]:
    pks = [entry.candidates[0].pk for entry in entries if entry.candidates]
    existing = {}
    for chunk in _chunks(pks):
        existing.update({i.pk: i for i in export_queryset(Initiative.objects.filter(pk__in=chunk))})
    comparisons = {}
    for entry in entries:
        if not entry.candidates or entry.candidates[0].pk not in existing:
            continue
        initiative = existing[entry.candidates[0].pk]
        before = initiative_rows(initiative, lookups)[INITIATIVES.name][0]
        after = _cells(INITIATIVES, {**entry.values, "slug": initiative.slug}, lookups)
        rows = []
        for index, column in enumerate(INITIATIVES.exported):
            if column.name == "slug" or column.name not in columns:
                continue
            old, new = before[index], after[index]
            if old in (None, "") and new in (None, ""):
                continue
            if new in (None, ""):  # not given: an update keeps it
                rows.append({"column": column.name, "existing": _shown(old), "file": _("(empty: kept)"), "same": True})
                continue
            rows.append({"column": column.name, "existing": _shown(old), "file": _shown(new), "same": old == new})
        comparisons[entry.choice_key] = rows
    return comparisons


def duplicate_comparison(entry: Entry, plan: CensusPlan) -> list[dict]:
    return duplicate_comparisons([entry], plan).get(entry.choice_key, [])


def _shown(value) -> str:
    return "" if value is None else str(value)


# --- Writing ------------------------------------------------------------------------------


@dataclass
class CensusOutcome:
    written: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    created_slugs: list = field(default_factory=list)


def census_apply(
    plan: CensusPlan, *, user=None, arrival: str = Initiative.State.SUBMITTED, valid_only: bool = False
) -> CensusOutcome:
    """Write what the plan says, all in one transaction: every initiative,
    or with `valid_only` those without problems (and without a pending
    duplicate choice). New initiatives enter the workflow in `arrival`
    (submitted or draft), recorded as a transition by `user`; an import
    never publishes. Nothing is written when the plan cannot be.

    Everything was checked by census_plan: the transaction only writes, a
    chunk of initiatives at a time from the plan's spool (with the people
    and organisations that chunk is the first to name)."""
    if not plan.can_write(valid_only=valid_only):
        return CensusOutcome(written=False, skipped=len(plan.entries))
    writable = {e.index for e in plan.entries if e.outcome in (NEW, UPDATE)}
    now = timezone.now()
    created_slugs: list[str] = []
    updated = 0
    public = False
    with transaction.atomic():
        _write_filled(plan, user)
        for n in sorted(plan.spool.chunks if plan.spool else ()):
            part = [e for e in plan.spool.get(n, plan.people, plan.organisations) if e.index in writable]
            if not part:
                continue
            _write_people(plan, part, user)
            _write_organisations(plan, part, user)
            created = _write_new(part, plan, user=user, arrival=arrival, now=now)
            changed = _write_updates(part, plan, user=user)
            _write_children(part, plan, user=user)
            _write_log(created, changed, user)
            created_slugs.extend(i.slug for i in created)
            updated += len(changed)
            public = public or any(e.target is not None and e.target.is_public for e in part if e.outcome == UPDATE)
            del part, created, changed
            gc.collect()
        if public:
            showcase_cache_invalidate()
    return CensusOutcome(
        written=True,
        created=len(created_slugs),
        updated=updated,
        unchanged=plan.count(UNCHANGED),
        skipped=sum(1 for e in plan.entries if e.outcome in (INVALID, DUPLICATE, SKIPPED)),
        created_slugs=created_slugs,
    )


def _reason(plan: CensusPlan) -> str:
    return _("Imported from “%(source)s”.") % {"source": plan.filename or _("a census workbook")}


def _write_filled(plan: CensusPlan, user) -> None:
    """The empty fields of known people and organisations that the file fills in."""
    for plans, model in ((plan.people, Person), (plan.organisations, Organisation)):
        filled = [p for p in plans if not p.new and p.fills]
        if not filled:
            continue
        names = sorted({name for p in filled for name in p.fills})
        bulk_update_with_history(
            [p.person if model is Person else p.organisation for p in filled],
            model,
            names,
            batch_size=BATCH,
            default_user=user,
            default_change_reason=_reason(plan),
        )


def _write_people(plan: CensusPlan, writable: list[Entry], user) -> None:
    """The new people this chunk is the first to name."""
    named = {id(p): p for e in writable for row in e.children.get(PEOPLE.name, []) if (p := row.get("_person"))}
    new = [p.person for p in named.values() if p.new and p.person.pk is None]
    if new:
        bulk_create_with_history(new, Person, batch_size=BATCH, default_user=user, default_change_reason=_reason(plan))


def _write_organisations(plan: CensusPlan, writable: list[Entry], user) -> None:
    named = {
        id(p): p for e in writable for row in e.children.get(PARTNERSHIPS.name, []) if (p := row.get("_organisation"))
    }
    new = [p.organisation for p in named.values() if p.new and p.organisation.pk is None]
    if new:
        bulk_create_with_history(
            new, Organisation, batch_size=BATCH, default_user=user, default_change_reason=_reason(plan)
        )


def _initiative_fields(entry: Entry, plan: CensusPlan) -> dict:
    columns = plan.columns[INITIATIVES.name]
    values = {}
    for name in INITIATIVE_FIELDS:
        if name not in columns:
            continue
        value = entry.values.get(name)
        if value is None and _is_text(name):
            value = ""
        if name == "impact_evaluated":
            value = bool(value)
        values[name] = value
    return values


def _write_new(writable: list[Entry], plan: CensusPlan, *, user, arrival: str, now) -> list[Initiative]:
    new = [e for e in writable if e.outcome == NEW]
    if not new:
        return []
    initiatives = []
    for entry in new:
        workflow = imported_arrival_values(entry.values.get("state") or arrival, now=now)
        initiative = Initiative(slug=entry.slug, created_at=now, **workflow, **_initiative_fields(entry, plan))
        initiatives.append(initiative)
    bulk_create_with_history(
        initiatives, Initiative, batch_size=BATCH, default_user=user, default_change_reason=_reason(plan)
    )
    for entry, initiative in zip(new, initiatives, strict=True):
        entry.target = initiative
    _write_classifications(new, plan, replace=False)
    for state in ARRIVAL_STATES:
        imported_arrivals_record(
            initiative_ids=[i.pk for i in initiatives if i.state == state],
            state=state,
            by=user,
            source=plan.filename or "",
            now=now,
        )
    return initiatives


def _write_updates(writable: list[Entry], plan: CensusPlan, *, user) -> list[Initiative]:
    updates = [e for e in writable if e.outcome == UPDATE]
    if not updates:
        return []
    fresh = Initiative.objects.in_bulk([e.target.pk for e in updates])
    names = set()
    for entry in updates:
        initiative = fresh[entry.target.pk]
        for name, value in _initiative_fields(entry, plan).items():
            setattr(initiative, name, value)
            names.add(name)
        entry.target = initiative
    initiatives = [e.target for e in updates]
    if names:
        bulk_update_with_history(
            initiatives,
            Initiative,
            sorted(names),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=_reason(plan),
        )
        Initiative.objects.filter(pk__in=[i.pk for i in initiatives]).update(updated_at=timezone.now())
    _write_classifications(updates, plan, replace=True)
    return initiatives


def _write_classifications(entries: list[Entry], plan: CensusPlan, *, replace: bool) -> None:
    columns = plan.columns[INITIATIVES.name]
    for name in INITIATIVE_CLASSIFICATIONS:
        if name not in columns:
            continue
        field_ = Initiative._meta.get_field(name)
        through = field_.remote_field.through
        source = field_.m2m_field_name()
        target = field_.m2m_reverse_field_name()
        ids = [e.target.pk for e in entries]
        if replace:
            for chunk in _chunks(ids):
                through.objects.filter(**{f"{source}__in": chunk}).delete()
        links = [
            through(**{f"{source}_id": entry.target.pk, f"{target}_id": item.pk})
            for entry in entries
            for item in entry.values.get(name) or []
        ]
        through.objects.bulk_create(links, batch_size=BATCH)


def _write_children(writable: list[Entry], plan: CensusPlan, *, user) -> None:
    reason = _reason(plan)
    relations = {
        PEOPLE.name: Participation,
        PARTNERSHIPS.name: Partnership,
        "places": Place,
        "products": Product,
        "impacts": Impact,
    }
    for sheet_name, model in relations.items():
        if sheet_name not in plan.sheets:
            continue
        updated = [e.target.pk for e in writable if e.outcome == UPDATE]
        for chunk in _chunks(updated):
            model.objects.filter(initiative_id__in=chunk).delete()
        objects = []
        for entry in writable:
            for position, row in enumerate(entry.children.get(sheet_name, [])):
                objects.append(_child(model, entry.target, row, position))
        objects = [o for o in objects if o is not None]
        if objects:
            bulk_create_with_history(objects, model, batch_size=BATCH, default_user=user, default_change_reason=reason)


def _child(model, initiative: Initiative, row: dict, position: int):
    if model is Participation:
        return _participation(row, initiative=initiative, position=position)
    if model is Partnership:
        return _partnership(row, initiative=initiative, position=position)
    if model is Place:
        return Place(initiative=initiative, **_place_fields(row))
    if model is Product:
        return Product(initiative=initiative, position=position, **_product_fields(row))
    return Impact(initiative=initiative, position=position, **_impact_fields(row))


def _write_log(created: list[Initiative], updated: list[Initiative], user) -> None:
    """The admin history: one entry per created or updated initiative."""
    if user is None:
        return
    content_type = ContentType.objects.get_for_model(Initiative)
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type=content_type,
            object_id=str(initiative.pk),
            object_repr=str(initiative.title_it or initiative.slug)[:200],
            action_flag=flag,
            change_message=_("Imported from a census workbook."),
        )
        for flag, initiatives in ((ADDITION, created), (CHANGE, updated))
        for initiative in initiatives
    ]
    LogEntry.objects.bulk_create(entries, batch_size=BATCH)


# --- The rows that could not be imported, as a file to correct ------------------------------


def rejected_rows_workbook(plan: CensusPlan, sheets: dict[str, RawSheet] | None = None) -> bytes:
    """The rows of the initiatives that were not imported (bad, or waiting
    for a duplicate choice), on every sheet as the file had them, each with
    an `errors` column saying what to correct; the import ignores that column.
    The rows are read back from the plan's spool (or from `sheets`, read whole)."""
    from pops.spreadsheets import XlsxBook

    book = XlsxBook()
    skipped = [e for e in plan.entries if e.outcome in (INVALID, DUPLICATE)]
    for sheet in SHEETS:
        if sheet.name not in plan.sheets:
            continue
        book.sheet(sheet.name, [*sheet.headers, ERRORS_COLUMN])
    for part in _chunks(skipped, CHUNK):
        raw = _raw_rows(plan, part, sheets)
        for entry in part:
            for sheet in SHEETS:
                if sheet.name not in plan.sheets:
                    continue
                headers = entry_headers(plan, sheet.name)
                for number, cells in raw.get((entry.index, sheet.name), []):
                    messages = [
                        p.message if not p.column else f"{p.column}: {p.message}"
                        for p in entry.problems
                        if p.sheet == sheet.name and p.row == number
                    ]
                    if entry.outcome == DUPLICATE and sheet.name == INITIATIVES.name:
                        messages.append(
                            _("possible duplicate of “%(title)s”: choose update or new")
                            % {"title": entry.candidates[0].title_it}
                        )
                    by_name = {headers[i]: cells[i] for i in range(min(len(headers), len(cells))) if headers[i]}
                    book.append(sheet.name, [*(by_name.get(h) for h in sheet.headers), "; ".join(messages)])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _raw_rows(plan: CensusPlan, entries: list[Entry], sheets: dict[str, RawSheet] | None) -> dict:
    """(entry index, sheet name) -> [(row number, cells)] as the file has them."""
    found: dict[tuple, list] = defaultdict(list)
    if sheets is None and plan.spool is not None:
        wanted = {e.index for e in entries}
        for index, rows in plan.spool.rows(entries[0].index, entries[-1].index).items():
            if index in wanted:
                for order, number, cells in rows:
                    found[(index, SHEETS[order].name)].append((number, cells))
        return found
    for entry in entries:
        for name, rows in entry.raw.items():
            found[(entry.index, name)].extend(rows)
    return found


def entry_headers(plan: CensusPlan, sheet_name: str) -> list[str]:
    return plan.raw_headers.get(sheet_name, [])
