"""Writing the census workbook (see census_format): every initiative of a
selection with its people, organisations, places, products and impacts, a
legend sheet, and the template staff fill in by hand.

`initiative_rows` is the one spelling of an initiative as rows: the export
writes it, and the import compares a file's rows with it to tell an
unchanged initiative from an updated one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from impact.models import Impact, Product
from initiatives.exchange.census_format import (
    CHOICES,
    IMPACTS,
    INITIATIVE_CLASSIFICATIONS,
    INITIATIVE_FIELDS,
    INITIATIVES,
    LEGEND,
    MANY,
    ONE,
    PLACES,
    PRODUCTS,
    SHEETS,
    VOCABULARIES,
    Lookups,
    model_values,
)
from initiatives.models import Initiative, Participation, Place
from pops.spreadsheets import XlsxBook
from pops.vocabulary import synonym_list
from stakeholders.models import Partnership

CHUNK = 500


def _cells(sheet, values: dict, lookups: Lookups) -> list:
    return [column.render(values.get(column.name), lookups) for column in sheet.exported]


def participation_values(participation: Participation) -> dict:
    person = participation.person
    return {
        "initiative": participation.initiative.slug if Participation.initiative.is_cached(participation) else "",
        "person": person.slug,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "orcid": person.orcid,
        "position": person.role,
        "department": person.department,
        "role": participation.role,
        "contribution": participation.contribution,
        "co_author": participation.can_edit,
    }


def partnership_values(partnership: Partnership) -> dict:
    organisation = partnership.organisation
    return {
        "organisation_key": organisation.slug,
        "organisation": organisation.name,
        "tax_code": organisation.tax_code,
        "type": organisation.type,
        "type_other": organisation.type_other,
        "municipality": organisation.municipality,
        "country": organisation.country,
        "website": organisation.website,
        "role": partnership.role,
        "funding_call": partnership.funding_call,
    }


def place_values(place: Place) -> dict:
    return model_values(PLACES, place)


def product_values(product: Product) -> dict:
    return model_values(PRODUCTS, product)


def impact_values(impact: Impact) -> dict:
    return model_values(IMPACTS, impact)


def initiative_values(initiative: Initiative) -> dict:
    values = {"slug": initiative.slug}
    for name in INITIATIVE_FIELDS:
        values[name] = getattr(initiative, name)
    for name in INITIATIVE_CLASSIFICATIONS:
        values[name] = list(getattr(initiative, name).all())
    return values


CHILD_VALUES = {
    "people": ("participations", participation_values),
    "partnerships": ("partnerships", partnership_values),
    "places": ("places", place_values),
    "products": ("products", product_values),
    "impacts": ("impacts", impact_values),
}


def initiative_rows(initiative: Initiative, lookups: Lookups) -> dict[str, list[list]]:
    """The rows of one initiative on every sheet, as the workbook has them
    (prefetch with `export_queryset` for many)."""
    rows = {INITIATIVES.name: [_cells(INITIATIVES, initiative_values(initiative), lookups)]}
    for sheet in SHEETS[1:]:
        relation, values_of = CHILD_VALUES[sheet.name]
        rows[sheet.name] = [
            _cells(sheet, {**values_of(child), "initiative": initiative.slug}, lookups)
            for child in getattr(initiative, relation).all()
        ]
    return rows


def export_queryset(queryset):
    """The originals of `queryset` (a working copy would come back as a
    second initiative) in a stable order, with everything the rows read
    prefetched."""
    return (
        queryset.originals()
        .order_by("pk")
        .prefetch_related(None)
        .prefetch_related(
            *INITIATIVE_CLASSIFICATIONS,
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("person__department").order_by("position", "id"),
            ),
            Prefetch(
                "partnerships",
                queryset=Partnership.objects.select_related("organisation__type").order_by("position", "id"),
            ),
            Prefetch("places", queryset=Place.objects.order_by("id")),
            Prefetch("products", queryset=Product.objects.select_related("category").order_by("position", "id")),
            Prefetch("impacts", queryset=Impact.objects.order_by("position", "id")),
        )
    )


def iter_initiatives(queryset) -> Iterator[Initiative]:
    """The initiatives of an export a page at a time (queries grow with the
    pages, memory stays that of one page)."""
    queryset = export_queryset(queryset)
    last = 0
    while True:
        page = list(queryset.filter(pk__gt=last)[:CHUNK])
        if not page:
            return
        yield from page
        last = page[-1].pk


def _book() -> XlsxBook:
    book = XlsxBook()
    for sheet in SHEETS:
        book.sheet(sheet.name, sheet.headers, comments=[str(column.help) for column in sheet.exported])
    return book


def write_census_workbook(queryset, stream: IO[bytes]) -> int:
    """Write the workbook of the initiatives of `queryset`; returns how many."""
    lookups = Lookups()
    book = _book()
    count = 0
    for initiative in iter_initiatives(queryset):
        for sheet_name, rows in initiative_rows(initiative, lookups).items():
            for row in rows:
                book.append(sheet_name, row)
        count += 1
    _write_legend(book, lookups)
    book.save(stream)
    return count


def write_census_template(stream: IO[bytes]) -> None:
    """The workbook to fill in by hand: one example initiative on every
    sheet, and the legend."""
    lookups = Lookups()
    book = _book()
    for sheet_name, rows in example_rows(lookups).items():
        for row in rows:
            book.append(sheet_name, row)
    _write_legend(book, lookups)
    book.save(stream)


def example_rows(lookups: Lookups) -> dict[str, list[list]]:
    """An example initiative, its values taken from the vocabularies in use."""

    def first(vocabulary: str, n: int = 1):
        return lookups.entries[vocabulary][:n]

    key = "esempio-orti-condivisi"
    today = timezone.localdate()
    initiative = {
        "slug": key,
        "title_it": "Orti condivisi nel quartiere (esempio)",
        "title_en": "Shared gardens in the neighbourhood (example)",
        "summary_it": "Un esempio: cancellate questa riga e le righe con la stessa chiave negli altri fogli.",
        "summary_en": "An example: delete this row and the rows with the same key on the other sheets.",
        "start_date": today.replace(year=today.year - 1, month=3, day=1),
        "end_date": None,
        "scale": Initiative.Scale.LOCAL,
        "website": "https://example.org/orti",
        "keywords": "orti, comunità, verde urbano",
        "budget": 12000,
        "external_funding": 5000,
        "participants": 150,
        "impact_evaluated": True,
        "impact_evaluation_notes": "Questionario ai partecipanti",
    }
    for name in INITIATIVE_CLASSIFICATIONS:
        initiative[name] = first(name, 2 if name in ("sectors", "sdgs") else 1)
    department = first("departments")[0] if lookups.entries["departments"] else None
    rows = {INITIATIVES.name: [_cells(INITIATIVES, initiative, lookups)]}
    sheets = {sheet.name: sheet for sheet in SHEETS}
    children = {
        "people": [
            {
                "first_name": "Maria",
                "last_name": "Rossi (esempio)",
                "email": "maria.rossi@example.org",
                "position": "associate_professor",
                "department": department,
                "role": Participation.Role.LEAD,
                "co_author": True,
            },
            {
                "first_name": "Luca",
                "last_name": "Bianchi (esempio)",
                "orcid": "0000-0002-1825-0097",
                "position": "phd_student",
                "department": department,
                "role": Participation.Role.MEMBER,
                "contribution": "Laboratori con le scuole",
                "co_author": False,
            },
        ],
        "partnerships": [
            {
                "organisation": "Associazione Orti in Rete (esempio)",
                "type": first("organisation_types")[0] if lookups.entries["organisation_types"] else None,
                "municipality": "Torino",
                "country": "IT",
                "role": Partnership.Role.PARTNER,
            },
            {
                "organisation": "Fondazione Esempio",
                "tax_code": "97000000000",
                "type": first("organisation_types")[0] if lookups.entries["organisation_types"] else None,
                "municipality": "Torino",
                "country": "IT",
                "role": Partnership.Role.FUNDER,
                "funding_call": "Bando Comunità 2025",
            },
        ],
        "places": [
            {
                "municipality": "Torino",
                "province": "TO",
                "region": "Piemonte",
                "country": "IT",
                "address": "Via Esempio 1",
                "latitude": "45.062",
                "longitude": "7.6629",
            }
        ],
        "products": [
            {
                "category": first("product_categories")[0] if lookups.entries["product_categories"] else None,
                "title": "Guida agli orti condivisi",
                "year": today.year - 1,
                "link": "https://example.org/guida.pdf",
            }
        ],
        "impacts": [
            {
                "kind": "expected",
                "category": "social",
                "description": "Più relazioni di vicinato",
                "indicator": "Famiglie coinvolte",
                "baseline": 0,
                "target": 40,
                "unit": "famiglie",
            },
            {
                "kind": "achieved",
                "category": "environmental",
                "description": "Aree verdi curate",
                "indicator": "Metri quadrati",
                "baseline": 0,
                "target": 500,
                "value": 650,
                "unit": "m²",
                "measured_on": today.replace(year=today.year - 1, month=10, day=1),
                "people_reached": 120,
            },
        ],
    }
    for name, items in children.items():
        sheet = sheets[name]
        rows[name] = [_cells(sheet, {**item, "initiative": key}, lookups) for item in items]
    return rows


def _write_legend(book: XlsxBook, lookups: Lookups) -> None:
    """What every column means and which values it allows, in the user's
    language; then every vocabulary with its codes, labels and synonyms."""
    header = [_("Sheet"), _("Column"), _("Required"), _("Meaning"), _("Allowed values")]
    book.sheet(LEGEND, header)
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.kind in (ONE, MANY):
                allowed = _("see “%(list)s” below") % {"list": column.vocabulary}
            elif column.vocabulary in CHOICES:
                choices = CHOICES[column.vocabulary][0]
                allowed = " | ".join(f"{value} ({label})" for value, label in choices.choices)
            else:
                allowed = ""
            book.append(
                LEGEND, [sheet.name, column.name, _("yes") if column.required else "", str(column.help), allowed]
            )
    book.append(LEGEND, [])
    book.append(LEGEND, [_("List"), _("Code"), _("Italian"), _("English"), _("Also recognised")])
    for name in VOCABULARIES:
        for entry in lookups.entries[name]:
            italian = getattr(entry, "name_it", None) or getattr(entry, "title_it", None) or ""
            english = getattr(entry, "name_en", None) or getattr(entry, "title_en", None) or ""
            synonyms = " | ".join(synonym_list(getattr(entry, "synonyms", "")))
            book.append(LEGEND, [name, lookups.render(name, entry), italian, english, synonyms])
    for name, (choices, synonyms) in CHOICES.items():
        for value, label in choices.choices:
            book.append(LEGEND, [name, value, "", str(label), " | ".join(synonyms.get(value, ()))])
