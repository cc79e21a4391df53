"""The ANVUR third-mission (SUA-TM/IS) export: the column specification, the
rows, the yearly summaries and the record of every export.

The admin, `manage.py export_anvur` and the benchmark all call these
functions; the file formats come from `impact.exports`.

The report is ONE SQL query generated from the column specification below
(`COLUMNS`, built on the `LISTINGS` of related values). Every multi-valued
cell (partners, departments, SDGs, ...) is aggregated by the database, per
initiative and in a stable order, in a derived table joined to the
initiatives: `string_agg(... ORDER BY ...)` on PostgreSQL, `group_concat`
over an ordered window on SQLite. Python then only writes cells:

- `Report` iterates the rows, `chunk_size` at a time through a server-side
  cursor on PostgreSQL, so memory holds one chunk and an export costs one
  query whatever its size (XLSX, and CSV on SQLite, are written this way);
- on PostgreSQL the CSV formats are written by the database itself: the same
  query, each cell spelled as `impact.exports` spells it, is streamed by
  `COPY … TO STDOUT (FORMAT csv)` (`Report.database_csv`). The tests check
  that both ways give the same bytes.

Why one generated query and COPY, not the mainstream way: an ORM queryset
with a StringAgg subquery per multi-valued column, read with `.iterator()`
and written by csv.writer (`iter_csv`), gives the same bytes and flat memory,
but misses the target of three times PostgreSQL's own COPY of the same rows
(row "mainstream: ANVUR CSV, StringAgg + csv.writer" of
`make bench-mainstream` (part of `make bench`), beside "clever: ANVUR CSV, COPY of the
spelled report", at or within it); so the COPY path and its SQL spelling
of the cells stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from initiatives.models import Initiative, Participation, Place
from pops.audit import security_event
from pops.spreadsheets import DATE, DECIMAL, NUMBER, TEXT, copy_csv, spelled_sql
from stakeholders.models import Organisation, Partnership

from .models import SDG, ExportRecord, FieldOfAction

JOIN = " | "
CHUNK_SIZE = 2000
DEFAULT_STATES = (Initiative.State.PUBLISHED,)


def _q(name: str) -> str:
    """A quoted SQL identifier (PostgreSQL and SQLite both use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal of a constant of this module (never user input)."""
    return "'" + str(text).replace("'", "''") + "'"


def _table(model) -> str:
    return _q(model._meta.db_table)


def _column(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


# --- Related values ------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """The values of an initiative's related rows, each attribute joined with
    JOIN in a stable order. `source` is a FROM clause in which `t` is the table
    holding `initiative_id`; `values` maps each attribute to its SQL
    expression; `order` lists the sort keys, a text key compared by code point
    (`text_keys`), so that PostgreSQL and SQLite sort alike."""

    name: str
    source: str
    values: dict[str, str]
    order: tuple[str, ...]
    text_keys: frozenset[str] = frozenset()
    where: str = ""
    # The related rows are entries of a year-versioned vocabulary (`v`, with
    # valid_from and valid_to): only those of the edition in force in the
    # reporting year are listed.
    edition: bool = False

    @property
    def alias(self) -> str:
        return _q(f"l_{self.name}")

    def ref(self, attribute: str) -> str:
        """The joined values of `attribute`, in the report's query."""
        assert attribute in self.values, (self.name, attribute)
        return f"{self.alias}.{_q(attribute)}"


def _m2m(name: str, attributes: tuple[str, ...], order: str = "code", edition: bool = False) -> Listing:
    """A many-to-many relation of Initiative, sorted by `order` then pk."""
    field = Initiative._meta.get_field(name)
    through, target = field.remote_field.through, field.related_model
    target_id = _column(through, field.m2m_reverse_field_name())
    pk = f"v.{_q(target._meta.pk.column)}"
    keys = (pk,) if order == "pk" else (f"v.{_column(target, order)}", pk)
    by_text = order != "pk" and target._meta.get_field(order).get_internal_type() == "CharField"
    text_keys = {keys[0]} if by_text else set()
    return Listing(
        name=name,
        source=f"{_table(through)} t JOIN {_table(target)} v ON v.{_q(target._meta.pk.column)} = t.{target_id}",
        values={attribute: f"v.{_column(target, attribute)}" for attribute in attributes},
        order=keys,
        text_keys=frozenset(text_keys),
        edition=edition,
    )


def _listings() -> dict[str, Listing]:
    person = Participation._meta.get_field("person").related_model
    lead = Listing(
        name="lead",
        source=f"{_table(Participation)} t JOIN {_table(person)} p ON p.id = t.{_column(Participation, 'person')}",
        # As before the report existed: "first last" (a single space between).
        values={"name": f"p.{_column(person, 'first_name')} || ' ' || p.{_column(person, 'last_name')}"},
        order=(f"t.{_column(Participation, 'position')}", "t.id"),
        where=f"t.{_column(Participation, 'role')} = {_literal(Participation.Role.LEAD)}",
    )
    municipality, province = (f"t.{_column(Place, name)}" for name in ("municipality", "province"))
    places = Listing(
        name="places",
        source=f"{_table(Place)} t",
        # As str(Place): "municipality (province)".
        values={"name": f"{municipality} || CASE WHEN {province} <> '' THEN ' (' || {province} || ')' ELSE '' END"},
        order=("t.id",),
    )
    # Partners in ANVUR's sense (Partnership.ANVUR_PARTNER_ROLES; README,
    # "ANVUR export columns"), each organisation once
    # even when it has both roles, at its first place in the order given.
    organisation, position = _column(Partnership, "organisation"), _column(Partnership, "position")
    roles = ", ".join(_literal(role) for role in Partnership.ANVUR_PARTNER_ROLES)
    partners = Listing(
        name="partners",
        source=f"(SELECT p.initiative_id, p.{organisation}, MIN(p.{position}) AS {position}, MIN(p.id) AS id "
        f"FROM {_table(Partnership)} p WHERE p.{_column(Partnership, 'role')} IN ({roles}) "
        f"GROUP BY p.initiative_id, p.{organisation}) t JOIN {_table(Organisation)} o ON o.id = t.{organisation}",
        values={"name": f"o.{_column(Organisation, 'name')}"},
        order=(f"t.{position}", "t.id"),  # in the order given
    )
    return {
        listing.name: listing
        for listing in (
            lead,
            places,
            partners,
            _m2m("pe_categories", ("code", "name_it"), edition=True),
            _m2m("fields_of_action", ("code", "name_it")),
            _m2m("departments", ("code",)),
            _m2m("sdgs", ("number", "name_it"), order="number"),
            _m2m("sectors", ("code", "name_it")),
            _m2m("intervention_areas", ("name_it",), order="pk"),
            _m2m("performance_objectives", ("code",), order="pk"),
        )
    }


LISTINGS = _listings()


# --- Columns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dialect:
    """What differs between the databases, and the report's year."""

    vendor: str
    year: int

    @property
    def postgresql(self) -> bool:
        return self.vendor == "postgresql"

    def aggregated(self, listing: Listing) -> str:
        """The derived table of `listing`: one row per chosen initiative with
        its values joined, in order."""
        keys = ", ".join(
            f'{key} COLLATE "C"' if self.postgresql and key in listing.text_keys else key for key in listing.order
        )
        # On PostgreSQL every initiative's values are joined, chosen or not,
        # and the merge join with the chosen initiatives keeps what is needed:
        # a report covers most of the table (a year's initiatives), and reading
        # each link table whole costs less than looking up the chosen ones in
        # it (50,000 rows: 0.88 s instead of 1.04 s). A narrow selection pays
        # for the whole tables, a fraction of a second. SQLite, whose plans
        # are simpler, reads just the chosen initiatives' rows.
        conditions = [] if self.postgresql else ["t.initiative_id IN (SELECT id FROM chosen)"]
        if listing.where:
            conditions.append(listing.where)
        if listing.edition:
            conditions.append(self.in_force("v"))
        where = " AND ".join(conditions) or "TRUE"
        values = {attribute: f"NULLIF(CAST({sql} AS TEXT), '')" for attribute, sql in listing.values.items()}
        if self.postgresql:
            # The values are fed to string_agg already sorted: an ORDER BY
            # inside the aggregate would sort each initiative's few values
            # separately, which costs more than the rest of the report.
            selected = ", ".join(f"{sql} AS {_q(a)}" for a, sql in values.items())
            joined = ", ".join(f"string_agg(s.{_q(a)}, {_literal(JOIN)}) AS {_q(a)}" for a in values)
            return (
                f"SELECT s.initiative_id, {joined} FROM (SELECT t.initiative_id, {selected} FROM {listing.source} "
                f"WHERE {where} ORDER BY t.initiative_id, {keys}) s GROUP BY s.initiative_id"
            )
        # SQLite (3.40) has no ORDER BY inside an aggregate, but an aggregate
        # used as a window function follows the window's order.
        windowed = ", ".join(f"group_concat({sql}, {_literal(JOIN)}) OVER w AS {_q(a)}" for a, sql in values.items())
        outer = ", ".join(f"max({_q(a)}) AS {_q(a)}" for a in values)
        return (
            f"SELECT initiative_id, {outer} FROM (SELECT t.initiative_id AS initiative_id, {windowed} "
            f"FROM {listing.source} WHERE {where} WINDOW w AS (PARTITION BY t.initiative_id ORDER BY {keys} "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) GROUP BY initiative_id"
        )

    def in_force(self, table: str) -> str:
        """The rows of a year-versioned vocabulary (`table`) in force in the
        reporting year: impact.models.EditionQuerySet.for_year, in SQL (a test
        checks that the two agree)."""
        year = int(self.year)
        return f"{table}.valid_from <= {year} AND ({table}.valid_to IS NULL OR {table}.valid_to >= {year})"

    def keywords(self, text: str) -> str:
        """The first five keywords of a comma-separated text, trimmed, empty
        ones left out (as Initiative.keyword_list), joined with JOIN."""
        if self.postgresql:
            # Split on commas with the spaces around them, in one regular
            # expression (unnesting each text costs twice as much).
            spaces = f"[{KEYWORD_SPACES}]*"  # a bracket expression: the characters as they are
            trimmed = f"btrim({text}, {_literal(KEYWORD_SPACES)})"
            parts = f"regexp_split_to_array({trimmed}, {_literal(spaces + ',' + spaces)})"
            return f"array_to_string((array_remove({parts}, ''))[1:{KEYWORDS}], {_literal(JOIN)})"
        return f"pops_anvur_keywords({text})"  # registered on every SQLite connection (impact.apps)


KEYWORDS = 5
# What Python's str.strip() removes from keywords in practice (ASCII white
# space and the no-break space); PostgreSQL's btrim is given the same set.
KEYWORD_SPACES = " \t\n\r\x0b\x0c\xa0"


def keywords_cell(text: str | None) -> str | None:
    """Python's spelling of the keywords cell (SQLite's `pops_anvur_keywords`)."""
    words = [k.strip(KEYWORD_SPACES) for k in (text or "").split(",")]
    return JOIN.join([k for k in words if k][:KEYWORDS]) or None


@dataclass(frozen=True)
class Column:
    """One column of the report: its name, what it holds, the SQL expression
    of its cell (over the initiative `i` and the LISTINGS) and its kind, which
    says how the cell is spelled in CSV (`impact.exports.spelled_sql`)."""

    name: str
    description: str
    sql: Callable[[_Dialect], str]
    kind: str = TEXT


def _own(field: str) -> Callable[[_Dialect], str]:
    column = f"i.{_column(Initiative, field)}"
    return lambda dialect: column


def _listed(listing: str, attribute: str) -> Callable[[_Dialect], str]:
    ref = LISTINGS[listing].ref(attribute)
    return lambda dialect: ref


def _scale_label(dialect: _Dialect) -> str:
    """The Italian label of the scale code ("regional" -> "Regionale")."""
    scale = f"i.{_column(Initiative, 'scale')}"
    with translation.override("it"):
        cases = " ".join(f"WHEN {_literal(code)} THEN {_literal(label)}" for code, label in Initiative.Scale.choices)
    return f"CASE {scale} {cases} ELSE {scale} END"


def _yes_no(field: str) -> Callable[[_Dialect], str]:
    column = f"i.{_column(Initiative, field)}"
    return lambda dialect: f"CASE WHEN {column} THEN 'sì' ELSE 'no' END"


# The columns, in order. Codes and Italian labels side by side; multi-valued
# cells joined with " | " in a stable order (by code, or by position).
COLUMNS: list[Column] = [
    Column("anno", _("Reporting year."), lambda d: str(int(d.year)), NUMBER),
    Column("id", _("The initiative's stable identifier (its slug on the portal)."), _own("slug")),
    Column("titolo", _("Title (Italian)."), _own("title_it")),
    Column("responsabile", _("Lead contact (first and last name)."), _listed("lead", "name")),
    Column("data_inizio", _("Start date, YYYY-MM-DD."), _own("start_date"), DATE),
    Column("data_fine", _("End date, YYYY-MM-DD; empty if ongoing."), _own("end_date"), DATE),
    Column("luogo", _("Places: municipality (province)."), _listed("places", "name")),
    Column(
        "partner",
        _("Partner organisations (roles partner and co-designer), in the order given."),
        _listed("partners", "name"),
    ),
    Column(
        "categoria_pe_code",
        _("Public-engagement category codes, of the edition in force in the reporting year."),
        _listed("pe_categories", "code"),
    ),
    Column(
        "categoria_pe",
        _("Public-engagement category labels (Italian), of the edition in force in the reporting year."),
        _listed("pe_categories", "name_it"),
    ),
    Column("campo_azione_code", _("VQR field of action codes (a–j)."), _listed("fields_of_action", "code")),
    Column("campo_azione", _("VQR field of action labels (Italian)."), _listed("fields_of_action", "name_it")),
    Column("budget_totale", _("Total planned budget in euro, a plain number."), _own("budget"), DECIMAL),
    Column("finanziamento_esterno", _("Of which external funding, in euro."), _own("external_funding"), DECIMAL),
    Column("partecipanti", _("Actual participants."), _own("participants"), NUMBER),
    Column("accessi_web", _("Documented web accesses."), _own("web_accesses"), NUMBER),
    Column("copie_pubblicazioni", _("Copies of publications."), _own("publication_copies"), NUMBER),
    Column("audience_radio_tv", _("Estimated radio/TV audience."), _own("media_audience"), NUMBER),
    Column("valutazione_impatto", _("Impact evaluation done: sì or no."), _yes_no("impact_evaluated")),
    Column("link", _("Website or social link."), _own("website")),
    Column("dipartimenti", _("Department acronyms."), _listed("departments", "code")),
    Column("contesto_code", _("Reach of the context: local, regional, national, international."), _own("scale")),
    Column("contesto", _("Reach of the context (Italian label)."), _scale_label),
    Column("sdg_code", _("Agenda 2030 goal numbers."), _listed("sdgs", "number")),
    Column("sdg", _("Agenda 2030 goal names (Italian)."), _listed("sdgs", "name_it")),
    Column("parole_chiave", _("Up to five keywords."), lambda d: d.keywords(f"i.{_column(Initiative, 'keywords')}")),
    # POPS's own classifications.
    Column("settori_code", _("POPS sectors (codes)."), _listed("sectors", "code")),
    Column("settori", _("POPS sectors (Italian labels)."), _listed("sectors", "name_it")),
    Column(
        "aree_piano_azione",
        _("Action Plan intervention areas (Italian names)."),
        _listed("intervention_areas", "name_it"),
    ),
    Column("obiettivi_piao", _("PIAO performance objectives (codes)."), _listed("performance_objectives", "code")),
    Column("stato", _("Workflow state (published, archived, ...)."), _own("state")),
]
HEADER = [column.name for column in COLUMNS]


def anvur_queryset(*, year: int, departments: Sequence[str] = (), fields_of_action: Sequence[str] = (), states=None):
    """The initiatives reported for `year`: originals active that year, in
    the given states (published by default), optionally by department
    acronym and field-of-action code."""
    states = DEFAULT_STATES if states is None else states
    queryset = Initiative.objects.originals().active_in_year(year)
    if states:
        queryset = queryset.filter(state__in=states)
    if departments:
        through = Initiative.departments.through.objects.filter(department__code__in=departments)
        queryset = queryset.filter(pk__in=through.values("initiative_id"))
    if fields_of_action:
        through = Initiative.fields_of_action.through.objects.filter(fieldofaction__code__in=fields_of_action)
        queryset = queryset.filter(pk__in=through.values("initiative_id"))
    return queryset.order_by("start_date", "pk")


def report_sql(queryset, *, year: int, vendor: str, fmt: str | None = None) -> tuple[str, list]:
    """The report's query over the initiatives of `queryset`: one row per
    initiative, ordered by start date, one column per COLUMNS entry. With
    `fmt` (PostgreSQL's COPY), every cell is spelled as text the way
    `impact.exports` writes that format."""
    dialect = _Dialect(vendor, year)
    chosen, params = queryset.order_by().values("pk").query.sql_with_params()
    cells = [f"{column.sql(dialect)} AS {_q(column.name)}" for column in COLUMNS]
    joins = " ".join(
        f"LEFT JOIN ({dialect.aggregated(listing)}) {listing.alias} ON {listing.alias}.initiative_id = i.id"
        for listing in LISTINGS.values()
    )
    start = f"i.{_column(Initiative, 'start_date')}"
    sql = (
        f"WITH chosen(id) AS ({chosen}) SELECT {', '.join(cells)}, {start} AS pops_start, i.id AS pops_id "
        f"FROM {_table(Initiative)} i {joins} WHERE i.id IN (SELECT id FROM chosen)"
    )
    if fmt is None:
        return f"{sql} ORDER BY {start}, i.id", list(params)
    # OFFSET 0 keeps PostgreSQL from copying each cell's expression (a
    # subquery, for the keywords) into every place the spelling repeats it.
    # The rows are sorted inside, before they are spelled: PostgreSQL knows
    # the outer ORDER BY is then met, and sorts the raw rows rather than their
    # wider text (a third of the export's time at 50,000 initiatives).
    spelled = ", ".join(
        f"{spelled_sql(f'q.{_q(column.name)}', column.kind, fmt=fmt)} AS {_q(column.name)}" for column in COLUMNS
    )
    ordered = f"{sql} ORDER BY {start}, i.id OFFSET 0"
    return f"SELECT {spelled} FROM ({ordered}) q ORDER BY q.pops_start, q.pops_id", list(params)


class Report:
    """The rows of one ANVUR report, one list of cells per initiative in
    HEADER order. Iterating runs the report's query once and reads it
    `chunk_size` rows at a time; `database_csv` lets PostgreSQL write the CSV."""

    def __init__(self, queryset, *, year: int, chunk_size: int = CHUNK_SIZE):
        self.queryset = queryset
        self.year = year
        self.chunk_size = chunk_size
        self.connection = connections[queryset.db]

    def __iter__(self) -> Iterator[list[Any]]:
        sql, params = report_sql(self.queryset, year=self.year, vendor=self.connection.vendor)
        width = len(COLUMNS)
        with self.connection.chunked_cursor() as cursor:  # server-side on PostgreSQL
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(self.chunk_size):
                for row in rows:
                    yield list(row[:width])

    def database_csv(self, *, fmt: str) -> Iterator[bytes] | None:
        """The CSV document written by PostgreSQL's COPY (None elsewhere)."""
        if self.connection.vendor != "postgresql":
            return None
        sql, params = report_sql(self.queryset, year=self.year, vendor="postgresql", fmt=fmt)
        return copy_csv(self.connection, sql, params, fmt=fmt)


# --- Companion summaries ------------------------------------------------------------

SUMMARY_FIELDS = "fields_of_action"
SUMMARY_SDGS = "sdgs"
SUMMARY_CHOICES = [
    (SUMMARY_FIELDS, _("Initiatives per field of action and year")),
    (SUMMARY_SDGS, _("Initiatives per SDG and year")),
]
SUMMARY_HEADER = ["anno", "code", "label", "iniziative"]


def summary_rows(*, years: Iterable[int], by: str, states=None) -> list[list[Any]]:
    """Counts of initiatives per field of action (or SDG) per year, as
    universities publish them; every entry in force that year is listed,
    with 0 where no initiative used it."""
    rows: list[list[Any]] = []
    for year in years:
        initiatives = anvur_queryset(year=year, states=states)
        if by == SUMMARY_SDGS:
            counted = (
                Initiative.sdgs.through.objects.filter(initiative__in=initiatives)
                .values("sdg__number")
                .annotate(n=Count("initiative_id", distinct=True))
            )
            counts = {row["sdg__number"]: row["n"] for row in counted}
            rows += [[year, sdg.number, sdg.name_it, counts.get(sdg.number, 0)] for sdg in SDG.objects.all()]
        else:
            counted = (
                Initiative.fields_of_action.through.objects.filter(initiative__in=initiatives)
                .values("fieldofaction__code")
                .annotate(n=Count("initiative_id", distinct=True))
            )
            counts = {row["fieldofaction__code"]: row["n"] for row in counted}
            entries = {f.code: f.name_it for f in FieldOfAction.objects.for_year(year).order_by("-valid_from")}
            for code in counts:
                entries.setdefault(code, FieldOfAction.objects.filter(code=code).values_list("name_it", flat=True)[0])
            rows += [[year, code, entries[code], counts.get(code, 0)] for code in sorted(entries)]
    return rows


# --- Record ------------------------------------------------------------------------------


def export_record(*, kind: str, fmt: str, filters: dict, row_count: int, user=None, source: str = "admin"):
    """Write down who exported what, when, with which filters and how many
    rows (and say it in the security log: every export goes through here)."""
    record = ExportRecord.objects.create(
        kind=kind,
        format=fmt,
        filters=filters,
        row_count=row_count,
        user=user if user is not None and user.is_authenticated else None,
        source=source,
    )
    security_event("export", user=user, kind=kind, format=fmt, rows=row_count, source=source, record_id=record.pk)
    return record


def anvur_export(
    *, year: int, fmt: str, user=None, source: str = "admin", departments=(), fields_of_action=(), states=None
):
    """The rows of an ANVUR export, its header, and its record: the record is
    written first, with the row count, so an interrupted download is still known."""
    queryset = anvur_queryset(year=year, departments=departments, fields_of_action=fields_of_action, states=states)
    filters = {
        "year": year,
        "departments": list(departments),
        "fields_of_action": list(fields_of_action),
        "states": list(DEFAULT_STATES if states is None else states),
    }
    record = export_record(
        kind=ExportRecord.Kind.ANVUR, fmt=fmt, filters=filters, row_count=queryset.count(), user=user, source=source
    )
    return HEADER, Report(queryset, year=year), record
