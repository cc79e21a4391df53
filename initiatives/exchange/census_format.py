"""The census workbook: what a whole census record looks like in a
spreadsheet, in one definition that the export, the template, the legend and
the import all read.

One sheet per kind of row, tied by the initiative's key (its slug):

    initiatives   one row per initiative: texts in both languages, dates,
                  money, reach, and every classification (codes joined by " | ")
    people        the people in each initiative: who they are in the register
                  (key, names, e-mail, ORCID, position, department) and their
                  part in it (lead or member, contribution, co-author)
    partnerships  the organisations with their role (partner, co-designer,
                  funder, beneficiary, client) and the funding call
    places        municipality, province, region, country, address, coordinates
    products      category, title, description, year, link
    impacts       expected or achieved, category, indicator, baseline, target,
                  value, unit, date, evidence, people reached
    legend        every column's meaning and allowed values (not read back)

A cell is written by `Column.render` and read back by `Column.parse`, which
accepts what people type (a code, a label in Italian or English, a synonym of
the vocabulary entry, dates as 31/12/2025, amounts as 1.500,50); so an export
read back gives the same values, and a second export the same cells.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actionplan.models import InterventionArea, PerformanceObjective, StrategicObjective
from impact.models import SDG, FieldOfAction, Impact, ProductCategory, PublicEngagementCategory
from initiatives.exchange.resources import DateWidget, NumberWidget, YesNoWidget, _text
from initiatives.models import Department, Initiative, Participation, Person, Priority, Sector, SupportKind, Theme
from pops.vocabulary import Lookup, normalise_label, vocabulary_names
from stakeholders.models import OrganisationType, Partnership, TargetGroup

SEPARATOR = "|"
JOIN = " | "


class CellError(ValueError):
    """A cell that cannot be read; its message says why, in the user's language."""


# --- Vocabularies, loaded once per import or export -------------------------------------


def _edition_names(entry) -> list[str]:
    return [*vocabulary_names(entry), f"{entry.code} ({entry.valid_from})"]


def _objective_names(entry) -> list[str]:
    return [entry.code, entry.title_it or "", entry.title_en or "", entry.title or ""]


@dataclass(frozen=True)
class Vocabulary:
    """A list an initiative's cells name entries of: how to load it, how an
    entry is written on export, and every spelling the import accepts."""

    name: str
    model: type
    render: Callable
    names: Callable = vocabulary_names
    queryset: Callable | None = None

    def entries(self):
        return list(self.queryset() if self.queryset else self.model.objects.all())


def _edition_render(entry) -> str:
    return entry.code


VOCABULARIES = {
    "departments": Vocabulary("departments", Department, lambda e: e.code),
    "sectors": Vocabulary("sectors", Sector, lambda e: e.code),
    "themes": Vocabulary("themes", Theme, lambda e: e.code),
    "support_kinds": Vocabulary("support_kinds", SupportKind, lambda e: e.code),
    "target_groups": Vocabulary("target_groups", TargetGroup, lambda e: e.code),
    "priorities": Vocabulary("priorities", Priority, lambda e: e.code),
    "sdgs": Vocabulary(
        "sdgs", SDG, lambda e: str(e.number), names=lambda e: [str(e.number), e.name_it or "", e.name_en or ""]
    ),
    "fields_of_action": Vocabulary("fields_of_action", FieldOfAction, _edition_render, names=_edition_names),
    "pe_categories": Vocabulary("pe_categories", PublicEngagementCategory, _edition_render, names=_edition_names),
    "intervention_areas": Vocabulary(
        "intervention_areas", InterventionArea, lambda e: e.code, queryset=lambda: InterventionArea.objects.all()
    ),
    "strategic_objectives": Vocabulary(
        "strategic_objectives",
        StrategicObjective,
        lambda e: e.code or e.title_it,
        names=_objective_names,
    ),
    "performance_objectives": Vocabulary(
        "performance_objectives", PerformanceObjective, lambda e: e.code, names=_objective_names
    ),
    "organisation_types": Vocabulary("organisation_types", OrganisationType, lambda e: e.code),
    "product_categories": Vocabulary("product_categories", ProductCategory, lambda e: e.code),
}

# What a message calls a value of each choice.
CHOICE_NAMES = {
    "scale": gettext_lazy("scale"),
    "state": gettext_lazy("state"),
    "position": gettext_lazy("position"),
    "participation_role": gettext_lazy("role in the initiative"),
    "partnership_role": gettext_lazy("role of the organisation"),
    "impact_kind": gettext_lazy("kind of impact"),
    "impact_category": gettext_lazy("impact category"),
}

CHOICES = {
    "scale": (Initiative.Scale, {}),
    "state": (
        Initiative.State,
        {
            Initiative.State.DRAFT: ("bozza",),
            Initiative.State.SUBMITTED: ("inviata", "inviato", "da revisionare"),
            Initiative.State.PUBLISHED: ("pubblicata", "pubblicato"),
        },
    ),
    "position": (Person.Role, Person.ROLE_SYNONYMS),
    "participation_role": (Participation.Role, Participation.ROLE_SYNONYMS),
    "partnership_role": (Partnership.Role, Partnership.ROLE_SYNONYMS),
    "impact_kind": (Impact.Kind, Impact.KIND_SYNONYMS),
    "impact_category": (Impact.Category, Impact.CATEGORY_SYNONYMS),
}


# Said after every message about a value that names no entry.
SEE_THE_LEGEND = gettext_lazy("The legend sheet lists every allowed value.")


class Lookups:
    """The vocabularies and choices of one import or export, read once
    (a handful of queries, however many rows); each is a `pops.vocabulary.Lookup`,
    the matching and messages the flat import uses too."""

    def __init__(self):
        self.entries = {name: vocab.entries() for name, vocab in VOCABULARIES.items()}
        self.by_pk = {name: {e.pk: e for e in entries} for name, entries in self.entries.items()}
        # The edition entries whose code another edition shares: written with their year.
        self.shared_codes = {}
        for name in ("fields_of_action", "pe_categories"):
            codes = [e.code for e in self.entries[name]]
            self.shared_codes[name] = {code for code in codes if codes.count(code) > 1}
        self.lookups = {
            name: Lookup(
                self.entries[name],
                vocab.names,
                what=vocab.model._meta.verbose_name,
                shown=lambda entry, name=name: self.render(name, entry),
                editions=name in self.shared_codes,
                advice=SEE_THE_LEGEND,
            )
            for name, vocab in VOCABULARIES.items()
        }
        self.choices = {
            name: Lookup.of_choices(choices, synonyms, what=CHOICE_NAMES[name], advice=SEE_THE_LEGEND)
            for name, (choices, synonyms) in CHOICES.items()
        }

    def render(self, vocabulary: str, entry) -> str:
        if vocabulary in self.shared_codes and entry.code in self.shared_codes[vocabulary]:
            return f"{entry.code} ({entry.valid_from})"
        return str(VOCABULARIES[vocabulary].render(entry))

    def find(self, vocabulary: str, text: str, *, year: int | None = None):
        """The entry a cell names (of ANVUR's lists, the edition in force in
        `year`), or CellError saying what was allowed."""
        try:
            return self.lookups[vocabulary].get(text, year=year)
        except ValueError as error:
            raise CellError(str(error)) from None

    def choice(self, name: str, text: str) -> str:
        try:
            return self.choices[name].get(text)
        except ValueError as error:
            raise CellError(str(error)) from None


# --- Cells ------------------------------------------------------------------------------

TEXT, KEY, DATE, MONEY, COUNT, YEAR, YESNO, COORDINATE, CHOICE, ONE, MANY = (
    "text",
    "key",
    "date",
    "money",
    "count",
    "year",
    "yesno",
    "coordinate",
    "choice",
    "one",
    "many",
)


def _number(value, *, integer: bool):
    try:
        return NumberWidget(integer=integer).clean(value)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def _coordinate(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = _text(value).replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise CellError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": value})
    return number.quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, what its cells hold, and the
    attribute of the record it fills."""

    name: str
    kind: str
    help: str
    required: bool = False
    vocabulary: str = ""  # for ONE and MANY: a key of VOCABULARIES; for CHOICE: of CHOICES
    max_length: int | None = None
    exported: bool = True  # False: a column the import reads but the export does not write
    field: str = ""  # the model field it holds, when not the column's name

    def parse(self, value, lookups: Lookups, *, year: int | None = None):
        """The Python value of a cell (None or "" when empty), or CellError."""
        kind = self.kind
        if kind == DATE:
            try:
                return DateWidget().clean(value)
            except ValueError as exc:
                raise CellError(str(exc)) from None
        if kind in (MONEY, COUNT, YEAR):
            number = _number(value, integer=kind != MONEY)
            if kind == YEAR and number is not None and not 1950 <= number <= 2100:
                raise CellError(_("“%(value)s” is not a plausible year (1950–2100).") % {"value": number})
            return number
        if kind == COORDINATE:
            return _coordinate(value)
        if kind == YESNO:
            if not _text(value):
                return None  # not given
            try:
                return YesNoWidget().clean(value)
            except ValueError as exc:
                raise CellError(str(exc)) from None
        text = _text(value)
        if kind == CHOICE:
            return lookups.choice(self.vocabulary, text) if text else ""
        if kind == ONE:
            return lookups.find(self.vocabulary, text, year=year) if text else None
        if kind == MANY:
            found, problems, seen = [], [], set()
            for part in (p.strip() for p in text.split(SEPARATOR)):
                if not part:
                    continue
                try:
                    entry = lookups.find(self.vocabulary, part, year=year)
                except CellError as exc:
                    problems.append(str(exc))
                    continue
                if entry.pk not in seen:
                    seen.add(entry.pk)
                    found.append(entry)
            if problems:
                raise CellError(" ".join(problems))
            return found
        if self.max_length and len(text) > self.max_length:
            raise CellError(
                _("The text is %(length)d characters long; at most %(max)d fit.")
                % {"length": len(text), "max": self.max_length}
            )
        return text

    def render(self, value, lookups: Lookups):
        """The cell of a value, as the export writes it (and `parse` reads it)."""
        if value is None or value == "" or (self.kind == MANY and not value):
            return None
        kind = self.kind
        if kind == DATE:
            return value.isoformat()
        if kind in (MONEY, COORDINATE):
            value = Decimal(value)
            return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        if kind in (COUNT, YEAR):
            return int(value)
        if kind == YESNO:
            return "sì" if value else "no"
        if kind == ONE:
            return lookups.render(self.vocabulary, value)
        if kind == MANY:
            return JOIN.join(sorted((lookups.render(self.vocabulary, e) for e in value), key=_natural)) or None
        return str(value)


def _natural(text: str):
    """Numbers in their order (SDG 2 before 10), texts alphabetically."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _field_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str  # shown in the legend
    columns: tuple[Column, ...]
    child: bool = True  # tied to an initiative by its "initiative" column

    @property
    def headers(self) -> list[str]:
        """The columns the export writes, in order."""
        return [column.name for column in self.columns if column.exported]

    @property
    def exported(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.exported)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


g = gettext_lazy
INITIATIVE_KEY = Column(
    "initiative", KEY, g("The key (slug) of the initiative, as in the “slug” column of the initiatives sheet."), True
)


def _texts(name: str, help_it, help_en, *, required_it: bool = False, max_length=None) -> tuple[Column, Column]:
    return (
        Column(f"{name}_it", TEXT, help_it, required_it, max_length=max_length),
        Column(f"{name}_en", TEXT, help_en, max_length=max_length),
    )


INITIATIVES = Sheet(
    "initiatives",
    g("Initiatives"),
    (
        Column(
            "slug",
            KEY,
            g(
                "The initiative's key: the last part of its public address. Keep it to update the initiative; "
                "for a new one write a short key of your own (or leave it empty if no other sheet refers to it)."
            ),
        ),
        *_texts("title", g("The title, in Italian."), g("The title, in English."), required_it=True, max_length=300),
        *_texts(
            "summary",
            g("Two or three sentences for the public, in Italian."),
            g("Two or three sentences for the public, in English."),
        ),
        *_texts("description", g("The description, in Italian."), g("The description, in English.")),
        *_texts("objectives", g("The specific objectives, in Italian."), g("The specific objectives, in English.")),
        Column("start_date", DATE, g("The start date, as dd/mm/yyyy or yyyy-mm-dd.")),
        Column("end_date", DATE, g("The end date (empty if ongoing), as dd/mm/yyyy or yyyy-mm-dd.")),
        Column("scale", CHOICE, g("The scale: local, regional, national or international."), vocabulary="scale"),
        Column("website", TEXT, g("The website address."), max_length=200),
        Column("keywords", TEXT, g("Up to five keywords, separated by commas."), max_length=255),
        Column("budget", MONEY, g("The total budget in euros.")),
        Column("external_funding", MONEY, g("Of which external funding, in euros.")),
        Column("participants", COUNT, g("The actual participants.")),
        Column("web_accesses", COUNT, g("The documented web accesses.")),
        Column("publication_copies", COUNT, g("The copies of publications.")),
        Column("media_audience", COUNT, g("The estimated radio/TV audience.")),
        Column("impact_evaluated", YESNO, g("Whether the impact was evaluated: yes or no.")),
        Column("impact_evaluation_notes", TEXT, g("How the impact was evaluated.")),
        Column("needs", TEXT, g("What the initiative needs.")),
        Column("wishes", TEXT, g("What the initiative wants to become.")),
        Column("departments", MANY, g("Departments, by acronym, separated by “|”."), vocabulary="departments"),
        Column("sectors", MANY, g("Sectors, separated by “|”."), vocabulary="sectors"),
        Column("sector_other", TEXT, g("Another sector, in words."), max_length=200),
        Column("themes", MANY, g("Themes, separated by “|”."), vocabulary="themes"),
        Column("support_kinds", MANY, g("Kinds of support, separated by “|”."), vocabulary="support_kinds"),
        Column("support_other", TEXT, g("Another kind of support, in words."), max_length=200),
        Column("target_groups", MANY, g("Target groups, separated by “|”."), vocabulary="target_groups"),
        Column("sdgs", MANY, g("Sustainable Development Goals, by number, separated by “|”."), vocabulary="sdgs"),
        Column(
            "fields_of_action",
            MANY,
            g("ANVUR fields of action; a code several editions share is read in the edition of the start year."),
            vocabulary="fields_of_action",
        ),
        Column(
            "pe_categories",
            MANY,
            g(
                "ANVUR public-engagement categories of any edition; a code several editions share is read in the "
                "edition of the start year, or written as “code (year the edition starts)”."
            ),
            vocabulary="pe_categories",
        ),
        Column("intervention_areas", MANY, g("Action Plan intervention areas."), vocabulary="intervention_areas"),
        Column("strategic_objectives", MANY, g("PIAO strategic objectives."), vocabulary="strategic_objectives"),
        Column("performance_objectives", MANY, g("PIAO performance objectives."), vocabulary="performance_objectives"),
        Column("priorities", MANY, g("The workshop's priorities."), vocabulary="priorities"),
        Column(
            "state",
            CHOICE,
            g(
                "Read, not written: the state a new initiative arrives in (draft or submitted; empty: as chosen "
                "for the whole import). An import never publishes, nor moves an existing initiative."
            ),
            vocabulary="state",
            exported=False,
        ),
    ),
    child=False,
)

PEOPLE = Sheet(
    "people",
    g("People in the initiatives"),
    (
        INITIATIVE_KEY,
        Column(
            "person",
            KEY,
            g("The person's key in the register (empty for someone new: they are recognised by e-mail or ORCID)."),
        ),
        Column("first_name", TEXT, g("First name."), True, max_length=_field_length(Person, "first_name")),
        Column("last_name", TEXT, g("Last name."), True, max_length=_field_length(Person, "last_name")),
        Column("email", TEXT, g("E-mail address."), max_length=254),
        Column("orcid", TEXT, g("ORCID iD, as 0000-0002-1825-0097."), max_length=19),
        Column(
            "position",
            CHOICE,
            g(
                "Position: professore ordinario/associato, ricercatore/ricercatrice, assegnista, dottorando/a, "
                "personale tecnico-amministrativo, studente/studentessa, altro."
            ),
            vocabulary="position",
        ),
        Column("department", ONE, g("Department, by acronym."), vocabulary="departments"),
        Column(
            "role",
            CHOICE,
            g("Role in the initiative: lead (one per initiative) or member."),
            vocabulary="participation_role",
        ),
        Column("contribution", TEXT, g("What they contribute."), max_length=255),
        Column("co_author", YESNO, g("Co-author: may edit the initiative (yes or no).")),
    ),
)

PARTNERSHIPS = Sheet(
    "partnerships",
    g("Organisations and their roles"),
    (
        INITIATIVE_KEY,
        Column(
            "organisation_key",
            KEY,
            g(
                "The organisation's key in the register (empty for a new one: recognised by tax code, "
                "or by name and municipality)."
            ),
        ),
        Column("organisation", TEXT, g("The organisation's name."), True, max_length=255),
        Column("tax_code", TEXT, g("VAT number or fiscal code, when known."), max_length=32),
        Column("type", ONE, g("The kind of organisation."), vocabulary="organisation_types"),
        Column("type_other", TEXT, g("Another kind of organisation, in words."), max_length=200),
        Column("municipality", TEXT, g("The municipality where it is based."), max_length=120),
        Column(
            "country", TEXT, g("Its country, as a two-letter ISO code (IT, FR…); empty if not known."), max_length=2
        ),
        Column("website", TEXT, g("Its website address."), max_length=200),
        Column(
            "role",
            CHOICE,
            g("Its role: partner, co-designer, funder, beneficiary or client."),
            vocabulary="partnership_role",
        ),
        Column("funding_call", TEXT, g("For a funder: the call or programme, by name."), max_length=255),
    ),
)

PLACES = Sheet(
    "places",
    g("Places"),
    (
        INITIATIVE_KEY,
        Column("municipality", TEXT, g("Municipality."), True, max_length=120),
        Column("province", TEXT, g("Province, as a two-letter code (TO)."), max_length=2),
        Column("region", TEXT, g("Region."), max_length=60),
        Column("country", TEXT, g("Country, as a two-letter ISO code; empty means IT."), max_length=2),
        Column("address", TEXT, g("Address."), max_length=255),
        Column("latitude", COORDINATE, g("Latitude, −90 to 90 (with the longitude, or neither).")),
        Column("longitude", COORDINATE, g("Longitude, −180 to 180 (with the latitude, or neither).")),
    ),
)

PRODUCTS = Sheet(
    "products",
    g("Products"),
    (
        INITIATIVE_KEY,
        Column("category", ONE, g("The category of product."), True, vocabulary="product_categories"),
        Column("title", TEXT, g("Title."), True, max_length=300),
        Column("description", TEXT, g("Description.")),
        Column("year", YEAR, g("Year.")),
        Column("link", TEXT, g("Link."), max_length=200, field="url"),
    ),
)

IMPACTS = Sheet(
    "impacts",
    g("Impacts"),
    (
        INITIATIVE_KEY,
        Column("kind", CHOICE, g("Expected or achieved."), True, vocabulary="impact_kind"),
        Column("category", CHOICE, g("Category of impact."), True, vocabulary="impact_category"),
        Column("description", TEXT, g("What changes."), True),
        Column("indicator", TEXT, g("Indicator."), max_length=255),
        Column("baseline", MONEY, g("Baseline value.")),
        Column("target", MONEY, g("Target value.")),
        Column("value", MONEY, g("Measured value.")),
        Column("unit", TEXT, g("Unit of measure."), max_length=60),
        Column("measured_on", DATE, g("Date of the measure.")),
        Column("evidence_link", TEXT, g("Link to the evidence."), max_length=200, field="evidence_url"),
        Column("people_reached", COUNT, g("People reached.")),
    ),
)

SHEETS: tuple[Sheet, ...] = (INITIATIVES, PEOPLE, PARTNERSHIPS, PLACES, PRODUCTS, IMPACTS)
SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
LEGEND = "legend"
# A column the file of rejected rows adds; the import ignores it.
ERRORS_COLUMN = "errors"

# The initiative's own fields each initiatives column fills (the rest are
# classifications, the many-to-many fields of the same name).
INITIATIVE_FIELDS = tuple(c.name for c in INITIATIVES.exported if c.kind != MANY and c.name != "slug")
INITIATIVE_CLASSIFICATIONS = tuple(c.name for c in INITIATIVES.columns if c.kind == MANY)


def model_values(sheet: Sheet, obj) -> dict:
    """The cells' values of a row that is one model object (a place, a
    product, an impact), by column."""
    return {c.name: getattr(obj, c.field or c.name) for c in sheet.exported if c.kind != KEY}


def model_fields(sheet: Sheet, values: dict, model) -> dict:
    """The inverse: the model fields of a row's values, an empty cell being
    the field's default ("" for text, None where empty is allowed)."""
    fields = {}
    for column in sheet.exported:
        if column.kind == KEY:
            continue
        name = column.field or column.name
        value = values.get(column.name)
        fields[name] = model._meta.get_field(name).get_default() if value in (None, "") else value
    return fields


def header_key(text) -> str:
    """A header as a column name: case, spaces and accents ignored."""
    return normalise_label(text).replace(" ", "_")


@dataclass
class ChildRow:
    """A row of a child sheet as read: its number and parsed values."""

    sheet: str
    row: int
    values: dict = field(default_factory=dict)


def year_of(date: datetime.date | None) -> int | None:
    return date.year if date else None
