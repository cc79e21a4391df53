"""The ANVUR third-mission (SUA-TM/IS) export: the column specification, the
rows, the yearly summaries and the record of every export.

The admin, `manage.py export_anvur` and the benchmark all call these
functions; the file formats come from `impact.exports`.

Rows are produced without model instances: the initiatives are read as
tuples of their scalar columns, in chunks, and for each chunk every related
table is read in one query (`initiative_id IN chunk`) and mapped in Python.
Each initiative becomes a plain dict (a *record*: the scalar fields of
`SCALARS`, plus `lead`, `places`, `partners` and one sorted list of tuples
per entry of `RELATED`), and every `Column` reads its cell from that record.
Memory holds one chunk; the queries depend on the number of chunks, not rows.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Count
from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from initiatives.models import Initiative, Participation, Place
from stakeholders.models import Partnership

from .models import SDG, ExportRecord, FieldOfAction

JOIN = " | "
CHUNK_SIZE = 2000
DEFAULT_STATES = (Initiative.State.PUBLISHED,)

Record = dict[str, Any]

# The initiative's own columns that the export reads, in one values_list().
SCALARS = (
    "pk",
    "slug",
    "title_it",
    "start_date",
    "end_date",
    "budget",
    "external_funding",
    "participants",
    "web_accesses",
    "publication_copies",
    "media_audience",
    "impact_evaluated",
    "website",
    "scale",
    "keywords",
    "state",
)


@dataclass(frozen=True)
class Related:
    """A many-to-many relation of Initiative read for the export. Each of an
    initiative's entries is a tuple of the target's `attributes` followed by
    its pk, and they are sorted by `order` (an attribute, or "pk")."""

    name: str
    attributes: tuple[str, ...]
    order: str = "code"

    def index(self, attribute: str) -> int:
        return -1 if attribute == "pk" else self.attributes.index(attribute)


RELATED: dict[str, Related] = {
    related.name: related
    for related in (
        Related("pe_categories", ("code", "name_it")),
        Related("fields_of_action", ("code", "name_it")),
        Related("departments", ("code",)),
        Related("sdgs", ("number", "name_it"), order="number"),
        Related("sectors", ("code", "name_it")),
        Related("intervention_areas", ("name_it",), order="pk"),
        Related("performance_objectives", ("code",), order="pk"),
    )
}


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    value: Callable[[Record, int], Any]


def _joined(values: Iterable[Any]) -> str:
    return JOIN.join(str(v) for v in values if v not in (None, ""))


def _each(relation: str, attribute: str) -> Callable[[Record, int], str]:
    """A cell listing one attribute of every related entry, in the stable order."""
    index = RELATED[relation].index(attribute)

    def value(record: Record, year: int) -> str:
        items = record[relation]
        return _joined(item[index] for item in items) if items else ""

    return value


@functools.lru_cache
def _scale_label(code: str) -> str:
    """The Italian label of a scale code ("regional" -> "Regionale")."""
    if not code:
        return ""
    with translation.override("it"):
        return str(dict(Initiative.Scale.choices).get(code, code))


def _keywords(text: str) -> list[str]:
    """As Initiative.keyword_list: comma-separated, trimmed, empty ones left out."""
    return [k.strip() for k in (text or "").split(",") if k.strip()]


def _place(municipality: str, province: str) -> str:
    """As str(Place): "municipality (province)"."""
    return f"{municipality} ({province})" if province else municipality


# The columns, in order. Codes and Italian labels side by side; multi-valued
# cells joined with " | " in a stable order (by code, or by position).
COLUMNS: list[Column] = [
    Column("anno", _("Reporting year."), lambda r, year: year),
    Column("id", _("The initiative's stable identifier (its slug on the portal)."), lambda r, y: r["slug"]),
    Column("titolo", _("Title (Italian)."), lambda r, y: r["title_it"]),
    Column("responsabile", _("Lead contact (first and last name)."), lambda r, y: r["lead"]),
    Column("data_inizio", _("Start date, YYYY-MM-DD."), lambda r, y: r["start_date"]),
    Column("data_fine", _("End date, YYYY-MM-DD; empty if ongoing."), lambda r, y: r["end_date"]),
    Column("luogo", _("Places: municipality (province)."), lambda r, y: _joined(r["places"])),
    Column("partner", _("Partner organisations, in the order given."), lambda r, y: _joined(r["partners"])),
    Column("categoria_pe_code", _("Public-engagement category codes."), _each("pe_categories", "code")),
    Column("categoria_pe", _("Public-engagement category labels (Italian)."), _each("pe_categories", "name_it")),
    Column("campo_azione_code", _("VQR field of action codes (a–j)."), _each("fields_of_action", "code")),
    Column("campo_azione", _("VQR field of action labels (Italian)."), _each("fields_of_action", "name_it")),
    Column("budget_totale", _("Total planned budget in euro, a plain number."), lambda r, y: r["budget"]),
    Column("finanziamento_esterno", _("Of which external funding, in euro."), lambda r, y: r["external_funding"]),
    Column("partecipanti", _("Actual participants."), lambda r, y: r["participants"]),
    Column("accessi_web", _("Documented web accesses."), lambda r, y: r["web_accesses"]),
    Column("copie_pubblicazioni", _("Copies of publications."), lambda r, y: r["publication_copies"]),
    Column("audience_radio_tv", _("Estimated radio/TV audience."), lambda r, y: r["media_audience"]),
    Column(
        "valutazione_impatto",
        _("Impact evaluation done: sì or no."),
        lambda r, y: "sì" if r["impact_evaluated"] else "no",
    ),
    Column("link", _("Website or social link."), lambda r, y: r["website"]),
    Column("dipartimenti", _("Department acronyms."), _each("departments", "code")),
    Column(
        "contesto_code", _("Reach of the context: local, regional, national, international."), lambda r, y: r["scale"]
    ),
    Column("contesto", _("Reach of the context (Italian label)."), lambda r, y: _scale_label(r["scale"])),
    Column("sdg_code", _("Agenda 2030 goal numbers."), _each("sdgs", "number")),
    Column("sdg", _("Agenda 2030 goal names (Italian)."), _each("sdgs", "name_it")),
    Column("parole_chiave", _("Up to five keywords."), lambda r, y: _joined(_keywords(r["keywords"])[:5])),
    # POPS's own classifications.
    Column("settori_code", _("POPS sectors (codes)."), _each("sectors", "code")),
    Column("settori", _("POPS sectors (Italian labels)."), _each("sectors", "name_it")),
    Column(
        "aree_piano_azione",
        _("Action Plan intervention areas (Italian names)."),
        _each("intervention_areas", "name_it"),
    ),
    Column("obiettivi_piao", _("PIAO performance objectives (codes)."), _each("performance_objectives", "code")),
    Column("stato", _("Workflow state (published, archived, ...)."), lambda r, y: r["state"]),
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


def _grouped(rows: Iterable[tuple]) -> dict[int, list]:
    """(initiative_id, value) rows as {initiative_id: [value, ...]}, in row order."""
    grouped: dict[int, list] = defaultdict(list)
    for initiative_id, value in rows:
        grouped[initiative_id].append(value)
    return grouped


def _of_chunk(queryset, ids: list[int]):
    """`queryset` (of a table with an `initiative_id` column) restricted to the
    initiatives `ids`, passed as ONE parameter: an array on PostgreSQL, JSON
    on SQLite. (`initiative_id__in=ids` makes Django and psycopg process
    2,000 parameters one by one, which costs more than the rows it returns.)"""
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    column = f"{quote(queryset.model._meta.db_table)}.{quote('initiative_id')}"
    if connection.vendor == "postgresql":
        literal = "{" + ",".join(map(str, ids)) + "}"
        condition = RawSQL(f"{column} = ANY(%s::bigint[])", (literal,), output_field=BooleanField())
    elif connection.vendor == "sqlite":
        condition = RawSQL(
            f"{column} IN (SELECT value FROM json_each(%s))", (json.dumps(ids),), output_field=BooleanField()
        )
    else:
        return queryset.filter(initiative_id__in=ids)
    return queryset.filter(condition)


class _Vocabularies:
    """The entries of every RELATED table, read once per export (they are
    small): {relation: {pk: (attributes..., pk)}}, and each entry's sort key."""

    def __init__(self):
        self.entries: dict[str, dict[int, tuple]] = {}
        self.keys: dict[str, dict[int, tuple]] = {}
        for name, related in RELATED.items():
            model = Initiative._meta.get_field(name).related_model
            rows = model._base_manager.order_by().values_list(*related.attributes, "pk")
            entries = {row[-1]: tuple(row) for row in rows}
            index = related.index(related.order)
            self.entries[name] = entries
            self.keys[name] = {pk: (entry[index], pk) for pk, entry in entries.items()}

    def items(self, name: str, ids: list[int]) -> dict[int, list[tuple]]:
        """One query: the entries of relation `name` of each initiative of
        `ids`, as {initiative_id: [entry, ...]} sorted by the relation's order."""
        field = Initiative._meta.get_field(name)
        target = field.m2m_reverse_field_name()
        pairs = _of_chunk(field.remote_field.through.objects.order_by(), ids).values_list(
            "initiative_id", f"{target}_id"
        )
        grouped = _grouped(pairs)
        entries, keys = self.entries[name], self.keys[name]
        for initiative_id, targets in grouped.items():
            if len(targets) > 1:
                targets.sort(key=keys.__getitem__)
            grouped[initiative_id] = [entries[pk] for pk in targets]
        return grouped


def report_records(chunk: Sequence[tuple], vocabularies: _Vocabularies | None = None) -> list[Record]:
    """The records of one chunk of SCALARS tuples: each related table read
    once for the whole chunk, in one query."""
    vocabularies = vocabularies or _Vocabularies()
    ids = [row[0] for row in chunk]
    leads = {
        initiative_id: f"{first} {last}"
        for initiative_id, first, last in _of_chunk(Participation.objects.filter(role=Participation.Role.LEAD), ids)
        .order_by("-initiative_id", "-position", "-id")  # so that the first lead is the one kept
        .values_list("initiative_id", "person__first_name", "person__last_name")
    }
    places = _grouped(
        (initiative_id, _place(municipality, province))
        for initiative_id, municipality, province in _of_chunk(Place.objects.all(), ids)
        .order_by("initiative_id", "id")
        .values_list("initiative_id", "municipality", "province")
    )
    partners = _grouped(
        _of_chunk(Partnership.objects.all(), ids)
        .order_by("initiative_id", "position", "id")
        .values_list("initiative_id", "organisation__name")
    )
    related = [(name, vocabularies.items(name, ids)) for name in RELATED]
    empty: tuple = ()
    records = []
    for row in chunk:
        record = dict(zip(SCALARS, row, strict=True))
        pk = row[0]
        record["lead"] = leads.get(pk, "")
        record["places"] = places.get(pk, empty)
        record["partners"] = partners.get(pk, empty)
        for name, items in related:
            record[name] = items.get(pk, empty)
        records.append(record)
    return records


def anvur_rows(queryset, *, year: int, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """One list of cells per initiative, in HEADER order. The initiatives are
    read once, as tuples, `chunk_size` at a time (a server-side cursor on
    PostgreSQL); each chunk costs one query per related table, plus one per
    vocabulary for the whole export, so the queries depend on the number of
    chunks, not of rows, and memory holds one chunk."""
    scalars = queryset.values_list(*SCALARS).iterator(chunk_size=chunk_size)
    values = [column.value for column in COLUMNS]
    vocabularies = None
    while chunk := list(islice(scalars, chunk_size)):
        vocabularies = vocabularies or _Vocabularies()
        for record in report_records(chunk, vocabularies):
            yield [value(record, year) for value in values]


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
    """Write down who exported what, when, with which filters and how many rows."""
    return ExportRecord.objects.create(
        kind=kind,
        format=fmt,
        filters=filters,
        row_count=row_count,
        user=user if user is not None and user.is_authenticated else None,
        source=source,
    )


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
    return HEADER, anvur_rows(queryset, year=year), record
