"""django-import-export resources: the import (and export) format of
initiatives, organisations and people.

Values are matched as people write them (pops.vocabulary): a related thing
or a choice by its code, its label in Italian or English or one of the
synonyms staff keep on its entry, ignoring case, accents and apostrophe
style. A value that still matches nothing raises a ValueError whose message
names the allowed values (or the closest three) in the user's language; the
import collects them per row and column (see exchange.imports).

An empty cell means "not given": a new row gets the field's default, an
existing object keeps what it has. An import never renames a slug and never
moves an initiative through the review: new initiatives arrive as submitted
or as drafts, as staff choose (initiatives.services.workflow), and a row that
only looks like an existing initiative (the same title, no slug or id) is a
*possible duplicate*, written only once staff choose to update it or to
create a new one.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import re
from copy import deepcopy
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Prefetch
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from import_export import fields, resources, widgets

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.models import (
    END_BEFORE_START_CODE,
    FUNDING_OVER_BUDGET_CODE,
    Department,
    Initiative,
    Person,
    Sector,
    Theme,
)
from initiatives.services.workflow import ARRIVAL_STATES, imported_arrival_values, imported_arrivals_record
from pops.slugs import unique_slug
from pops.spreadsheets import FORMULA_TRIGGERS, neutralise
from pops.vocabulary import LabelIndex, Lookup, normalise_label, vocabulary_names
from stakeholders.models import Organisation, OrganisationType, Partnership

SEPARATOR = "|"
JOIN = " | "
# A vocabulary this small is named whole in the message about a value it
# does not know; a larger one by the three entries closest to the value.
# The staff's answer about a possible duplicate: create a new row, or update one.
CREATE_NEW = "new"
UPDATE_PREFIX = "update-"


def _text(value) -> str:
    """A cell as text, with the apostrophe that exports add before a formula
    character taken away again (so export → import is a round trip)."""
    text = "" if value is None else str(value).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text


def _blank(value) -> bool:
    """An empty cell: the value is not given."""
    return _text(value) == ""


# --- Matching what people write ----------------------------------------------------------


def lookup_of(model) -> Lookup:
    """How the flat import names the entries of `model` (read once per
    import, on first use): codes, labels and synonyms, an SDG by its number,
    an organisation by its name or key, ANVUR's lists by edition."""
    editions = model in (FieldOfAction, PublicEngagementCategory)
    if editions:
        entries = lambda: model.objects.order_by("-valid_from", "position", "code")  # noqa: E731
    elif model is Organisation:
        entries = lambda: Organisation.objects.only("pk", "name", "slug").order_by("name", "pk")  # noqa: E731
    else:
        entries = model._default_manager.all
    if model is SDG:
        names = lambda entry: [str(entry.number), entry.name_it or "", entry.name_en or "", str(entry)]  # noqa: E731
        shown = lambda entry: str(entry.number)  # noqa: E731
    elif model is Organisation:
        names, shown = (lambda entry: [entry.name, entry.slug]), str
    else:
        names = vocabulary_names
        shown = (lambda entry: entry.code) if model in (Department, FieldOfAction, PublicEngagementCategory) else str
    return Lookup(
        entries,
        names,
        what=model._meta.verbose_name,
        shown=shown,
        editions=editions,
        listed=model is not Organisation,
        hint=_lazy("Write the goal's number, from 1 to 17.") if model is SDG else "",
        advice=(
            _lazy("Organisations must exist before an import names them: import them first.")
            if model is Organisation
            else ""
        ),
    )


# --- Widgets ---------------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    """Free text; takes away the apostrophe an export put before a formula character."""

    def __init__(self, *, empty=""):
        self.empty = empty
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        return _text(value) or self.empty


class DateWidget(widgets.Widget):
    """Italian dates (31/12/2025) as well as ISO (2025-12-31); ISO on export.
    A date that is written right but does not exist (31/02/2025) is named
    as such, with the length of its month."""

    ISO = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
    ITALIAN = re.compile(r"^(?P<day>\d{1,2})[/.\-](?P<month>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})$")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = _text(value)
        if not text:
            return None
        match = self.ISO.match(text) or self.ITALIAN.match(text)
        if match is None:
            raise ValueError(_('"%(value)s" is not a date: write it as dd/mm/yyyy or yyyy-mm-dd.') % {"value": text})
        year, month, day = (int(match[name]) for name in ("year", "month", "day"))
        if len(match["year"]) == 2:
            year += 2000 if year < 69 else 1900  # as strptime's %y
        if not 1 <= month <= 12:
            raise ValueError(
                _('"%(value)s" is not a date: there is no month %(month)d.') % {"value": text, "month": month}
            )
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            raise ValueError(
                _('"%(value)s" is not a date: that day does not exist (%(month)s has %(days)d days).')
                % {"value": text, "month": formats.date_format(datetime.date(year, month, 1), "F Y"), "days": days}
            )
        return datetime.date(year, month, day)

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class NumberWidget(widgets.Widget):
    """Amounts as people type them: 1500, 1500.50, 1500,50 or 1.500,50."""

    def __init__(self, *, integer: bool = False, **kwargs):
        self.integer = integer
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            raise ValueError(_('"%(value)s" is not a number.') % {"value": value})
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
        else:
            text = _text(value).replace(" ", "").replace("€", "")
            if not text:
                return None
            if "," in text:
                # Italian: dots group thousands, the comma marks decimals.
                text = text.replace(".", "").replace(",", ".")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise ValueError(_('"%(value)s" is not a number.') % {"value": _text(value)}) from None
        if not number.is_finite():
            raise ValueError(_('"%(value)s" is not a number.') % {"value": _text(value)})
        if number < 0:
            raise ValueError(_('"%(value)s" is negative.') % {"value": _text(value)})
        if self.integer:
            if number != number.to_integral_value():
                raise ValueError(_('"%(value)s" is not a whole number.') % {"value": _text(value)})
            return int(number)
        return number

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return str(value)


class YesNoWidget(widgets.Widget):
    YES = {"1", "true", "yes", "y", "si", "s", "x", "vero"}
    NO = {"0", "false", "no", "n", "", "falso"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = normalise_label(_text(value))  # "Sì", "SI" and "si" are one
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_('"%(value)s" is not yes or no.') % {"value": _text(value)})

    def render(self, value, obj=None, **kwargs):
        return "sì" if value else "no"


class _Choices:
    """Choices as (code, label) pairs, shaped as a TextChoices class."""

    def __init__(self, choices):
        self.choices = list(choices)
        self.values = [code for code, _label in self.choices]


LANGUAGE_CHOICES = _Choices(settings.LANGUAGES)


class ChoicesWidget(widgets.Widget):
    """A choice by code, by label in Italian or English or by one of the
    synonyms the model keeps beside its choices."""

    def __init__(self, choices_class, *, synonyms=None, what: str = "", **kwargs):
        self.choices_class = choices_class
        self.synonyms = synonyms or {}
        self.what = what
        self._lookup = None
        super().__init__(**kwargs)

    @property
    def lookup(self) -> Lookup:
        if self._lookup is None:
            self._lookup = Lookup.of_choices(self.choices_class, self.synonyms, what=self.what or _lazy("value"))
        return self._lookup

    def label(self, code) -> str:
        """A choice's label in the active language."""
        return str(dict(self.choices_class.choices).get(code, code))

    def labels(self, codes=None) -> list[str]:
        return [self.label(code) for code in (self.choices_class.values if codes is None else codes)]

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        return self.lookup.get(text) if text else ""

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key named by its natural key."""

    def __init__(self, model, render_attribute: str = "code", **kwargs):
        self.render_attribute = render_attribute
        self.lookup = lookup_of(model)
        super().__init__(model, **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        return self.lookup.get(text)

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.render_attribute, "") if value is not None else ""


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """Several related things, separated by "|", each named by its natural key."""

    def __init__(self, model, render_attribute: str = "code", **kwargs):
        self.render_attribute = render_attribute
        self.lookup = lookup_of(model)
        super().__init__(model, separator=SEPARATOR, **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return []
        return self.lookup.get_many([p.strip() for p in text.split(SEPARATOR) if p.strip()])

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        items = sorted(value.all(), key=lambda item: str(getattr(item, self.render_attribute)))
        return JOIN.join(str(getattr(item, self.render_attribute)) for item in items)


class PartnersWidget(widgets.Widget):
    """Partner organisations by name; a plain widget, as they are saved as
    Partnership rows (with a role and a position), not a many-to-many set."""

    def __init__(self, **kwargs):
        self.organisations = NaturalKeysWidget(Organisation, "name")
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        return self.organisations.clean(value)


# --- Resources ---------------------------------------------------------------------------


class NeutralisedExportMixin:
    """Every value exported through django-import-export goes through the
    shared formula-injection rule."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


NEW, UPDATE, SKIP = "new", "update", "skip"
DUPLICATE = "duplicate"  # a possible duplicate nobody chose about: not written


class ImportReport:
    """What an import does (or, in a dry run, would do), row by row, in the
    words and labels of the active language: the admin's preview, kept as
    JSON on an import job. Every possible duplicate is listed with its
    comparison; of the other rows, the first DETAILED_ROWS."""

    DETAILED_ROWS = 500

    def __init__(self):
        self.counts = {NEW: 0, UPDATE: 0, SKIP: 0, DUPLICATE: 0}
        self.rows: list[dict] = []
        self.more = 0
        self._detailed = 0
        self.headers: list[str] = []  # the file's columns
        # The cells of the rows with errors and of the possible duplicates an
        # import left out, by row number, for the file of rows to correct.
        self.bad_cells: dict[int, list] = {}
        self.left_out: dict[int, list] = {}

    def add(self, entry: dict) -> None:
        self.counts[entry["action"]] += 1
        if entry["action"] == DUPLICATE:
            self.rows.append(entry)
        elif self._detailed < self.DETAILED_ROWS:
            self._detailed += 1
            self.rows.append(entry)
        else:
            self.more += 1

    @property
    def duplicates(self) -> list[dict]:
        return [row for row in self.rows if row["action"] == DUPLICATE]

    def as_dict(self) -> dict:
        return {**self.counts, "rows": self.rows, "more": self.more}


class _NoDiff:
    def __init__(self, *args, **kwargs):
        pass

    def compare_with(self, *args, **kwargs):
        pass

    def as_html(self):
        return []


class PlainErrorsMixin:
    """The portal's rules for every flat import, on top of django-import-export:

    - bad values of many-to-many columns are reported like the other columns,
      before anything is saved (the library checks them only after saving);
      every error is reported under a column of the file, once (a model
      field's error under the column that sets it, `title` under `title_it`),
      or for the row as a whole naming the column the file lacks;
    - an empty cell is "not given": an existing object keeps its value;
    - a row is unchanged when no cell it gives differs from what is stored;
    - every row's outcome goes into `report` (an ImportReport), attached to
      the import's result as `result.report`;
    - the identifying column may be left out of a file: rows are then
      matched by `get_instance`'s other keys;
    - an import job sets `progress` (called with the number of rows done
      after each row).

    Staff's choices reach the resource as keyword arguments: what to do with
    each possible duplicate (`duplicate_choices`, by row number as in a
    spreadsheet: "new" or "update-<id>"; `duplicate_default` for rows
    without one, as the command line's option says) and the state new
    initiatives arrive in (`arrival_state`)."""

    progress = None
    rows_done = 0
    # Columns an update never writes (an initiative's slug is in its public URLs).
    KEPT_ON_UPDATE: tuple[str, ...] = ()

    def __init__(self, *, duplicate_choices=None, duplicate_default=None, arrival_state=None, **kwargs):
        super().__init__(**kwargs)
        self.duplicate_choices = {int(row): str(choice) for row, choice in (duplicate_choices or {}).items()}
        self.duplicate_default = duplicate_default or ""
        self.arrival_state = arrival_state or ARRIVAL_STATES[0]
        if self.arrival_state not in ARRIVAL_STATES:
            raise ValueError(f"imported initiatives cannot arrive as {self.arrival_state!r}")
        self.report = ImportReport()
        self.current: dict = {}

    # The import's and each row's course.

    def before_import(self, dataset, **kwargs):
        self.report.headers = list(dataset.headers or [])  # the file's own columns
        for name in self._meta.import_id_fields:
            if dataset.headers and name not in dataset.headers:
                dataset.append_col([""] * len(dataset), header=name)
        super().before_import(dataset, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        result.report = self.report
        super().after_import(dataset, result, **kwargs)

    def import_row(self, row, instance_loader, **kwargs):
        # The row as a spreadsheet numbers it (the header is row 1).
        self.current = {"row": kwargs.get("row_number", 0) + 1}
        try:
            row_result = super().import_row(row, instance_loader, **kwargs)
            self.report_row(row, row_result, dry_run=kwargs.get("dry_run", False))
            return row_result
        finally:
            self.rows_done += 1
            if self.progress is not None:
                self.progress(self.rows_done)

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        self.current["new"] = new

    @classmethod
    def get_diff_class(cls):
        return _NoDiff  # the preview is the report's, not the library's HTML diff of every column

    # Cells, values and how they are shown.

    @staticmethod
    def is_given(field, row) -> bool:
        return field.column_name in row and not _blank(row[field.column_name])

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if not self.current.get("new", True) and field.column_name in row and _blank(row[field.column_name]):
            return  # not given: the object keeps its value
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def compared_fields(self, *, new: bool) -> list:
        """The columns that may change an object (an update leaves some alone)."""
        return [
            field
            for field in self.get_import_fields()
            if not field.readonly and (new or field.attribute not in self.KEPT_ON_UPDATE)
        ]

    @staticmethod
    def is_related(field) -> bool:
        return isinstance(field.widget, widgets.ManyToManyWidget)

    def column_value(self, field, instance, row=None):
        """A column's value for `instance`: as the row sets it when `row` is
        given (a related column is read from the row's cell, since it is
        saved after the comparison), else as stored."""
        if self.is_related(field):
            if row is not None and self.is_given(field, row):
                return list(field.clean(row))
            return list(field.get_value(instance).all()) if instance.pk else []
        return field.get_value(instance)

    def comparable(self, field, value):
        if isinstance(value, list):
            return tuple(sorted(item.pk for item in value))
        if isinstance(value, models.Model):
            return value.pk
        return value

    def label(self, field) -> str:
        """A column's name for people: the model field's, in the active language."""
        try:
            name = self._meta.model._meta.get_field(field.attribute).verbose_name
        except FieldDoesNotExist:
            name = {"partners": _("partners")}.get(field.attribute, field.column_name)
        return capfirst(str(name))

    def shown(self, field, value) -> str:
        """A value as the preview shows it: labels, not codes, in the active
        language; dates and numbers as the language writes them."""
        if value is None or value == "" or value == []:
            return ""
        if isinstance(value, list | tuple):
            return ", ".join(self.shown(field, item) for item in value)
        if isinstance(field.widget, ChoicesWidget):
            return field.widget.label(value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, datetime.date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        if isinstance(value, Decimal | int | float):
            places = getattr(self._model_field(field), "decimal_places", None)
            return formats.number_format(value, decimal_pos=places, force_grouping=True)
        return str(value)

    def _model_field(self, field):
        try:
            return self._meta.model._meta.get_field(field.attribute)
        except FieldDoesNotExist:
            return None

    def note(self, text: str) -> None:
        """Something the preview says about the row (not an error)."""
        notes = self.current.setdefault("notes", [])
        if text not in notes:
            notes.append(text)

    def change(self, field, before, after) -> dict:
        return {
            "column": field.column_name,
            "label": self.label(field),
            "before": self.shown(field, before),
            "after": self.shown(field, after),
        }

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Unchanged when no cell the row gives differs from what is stored;
        the differences are kept for the report."""
        if import_validation_errors:
            return False
        new = self.current.get("new", True)
        changes = []
        for field in self.compared_fields(new=new):
            if not self.is_given(field, row):
                continue
            after = self.column_value(field, instance, row)
            before = None if new else self.column_value(field, original)
            if new or self.comparable(field, after) != self.comparable(field, before):
                changes.append(self.change(field, before, after))
        self.current["changes"] = changes
        return not new and not changes

    def file_cells(self, row) -> list:
        """A row's cells in the file's columns (not those the import added)."""
        return list(row.values())[: len(self.report.headers)]

    def report_row(self, row, row_result, *, dry_run: bool) -> None:
        action = row_result.import_type
        current = self.current
        if action not in (NEW, UPDATE, SKIP):
            self.report.bad_cells[current["row"]] = self.file_cells(row)  # the result lists its errors
            return
        if current.get("pending"):
            action = DUPLICATE
            if not dry_run:
                self.report.left_out[current["row"]] = self.file_cells(row)
        self.report.add(
            {
                "row": current["row"],
                "action": action,
                "title": row_result.object_repr or "",
                "object_id": row_result.object_id if action in (UPDATE, SKIP) else None,
                "changes": current.get("changes", []) if action in (NEW, UPDATE) else [],
                "candidates": current.get("candidates", []),
                "choice": current.get("choice", ""),
                "notes": current.get("notes", []),
            }
        )

    # Errors.

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except Exception as exc:
            if not hasattr(exc, "error_dict"):
                raise
            errors = dict(exc.error_dict)
        for field in self.get_import_fields():
            if self.is_related(field) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as exc:
                    errors[field.attribute] = [ValidationError(str(exc), code="invalid")]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(self.errors_by_column(error.error_dict)) from None

    def errors_by_column(self, error_dict: dict) -> dict:
        """Each error under the file's column that sets its field, once: the
        error of a translated field's base (`title`) under the column of the
        default language (`title_it`), and an error about a column the file
        lacks (or a field no column sets) for the row as a whole, naming it."""
        columns = {field.attribute: field.column_name for field in self.get_import_fields()}
        language = getattr(settings, "MODELTRANSLATION_DEFAULT_LANGUAGE", None) or settings.LANGUAGE_CODE
        merged: dict[str, list] = {}
        seen: dict[str, set] = {}
        for key, errors in error_dict.items():
            column = columns.get(key) or columns.get(f"{key}_{language}") or (key if key == NON_FIELD_ERRORS else None)
            prefix = None
            if column is None:
                prefix = str(self._field_name(key))
                column = NON_FIELD_ERRORS
            elif column != NON_FIELD_ERRORS and self.report.headers and column not in self.report.headers:
                prefix = _('The file has no column "%(column)s"') % {"column": column}
                column = NON_FIELD_ERRORS
            for error in errors:
                text = " ".join(error.messages)
                if prefix:
                    text = f"{prefix}: {text}"
                if text in seen.setdefault(column, set()):
                    continue
                seen[column].add(text)
                merged.setdefault(column, []).append(ValidationError(text, code=error.code) if prefix else error)
        return merged

    def _field_name(self, name: str) -> str:
        try:
            return capfirst(str(self._meta.model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            return name


def m2m(model, column: str, render_attribute: str = "code") -> fields.Field:
    return fields.Field(
        attribute=column, column_name=column, widget=NaturalKeysWidget(model, render_attribute), default=None
    )


class InitiativeResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per initiative.

    An existing initiative is recognised by a stable key only: its `slug`, or
    the portal's `id` (an id that names no initiative is ignored: a file from
    another portal carries its own). A row without one whose Italian title
    (case, accents and apostrophes aside) is that of an existing initiative,
    with no other start date, is a possible duplicate: unchanged if it would
    change nothing, otherwise written only as staff choose (update it, or
    create a new initiative), and left out without a choice.

    New initiatives arrive as submitted or as drafts (`arrival_state`, or
    what the row's `state` cell says of the two), never published, and
    each arrival is recorded as a transition by the importing user. An
    existing initiative's slug and state are never changed by an import."""

    id = fields.Field(attribute="id", column_name="id", widget=widgets.IntegerWidget(), readonly=True)
    slug = fields.Field(attribute="slug", column_name="slug", widget=TextWidget())
    title_it = fields.Field(attribute="title_it", column_name="title_it", widget=TextWidget())
    title_en = fields.Field(attribute="title_en", column_name="title_en", widget=TextWidget(empty=None))
    summary_it = fields.Field(attribute="summary_it", column_name="summary_it", widget=TextWidget())
    summary_en = fields.Field(attribute="summary_en", column_name="summary_en", widget=TextWidget(empty=None))
    start_date = fields.Field(attribute="start_date", column_name="start_date", widget=DateWidget())
    end_date = fields.Field(attribute="end_date", column_name="end_date", widget=DateWidget())
    scale = fields.Field(
        attribute="scale", column_name="scale", widget=ChoicesWidget(Initiative.Scale, what=_lazy("scale"))
    )
    website = fields.Field(attribute="website", column_name="website", widget=TextWidget())
    keywords = fields.Field(attribute="keywords", column_name="keywords", widget=TextWidget())
    budget = fields.Field(attribute="budget", column_name="budget", widget=NumberWidget())
    external_funding = fields.Field(attribute="external_funding", column_name="external_funding", widget=NumberWidget())
    participants = fields.Field(attribute="participants", column_name="participants", widget=NumberWidget(integer=True))
    web_accesses = fields.Field(attribute="web_accesses", column_name="web_accesses", widget=NumberWidget(integer=True))
    publication_copies = fields.Field(
        attribute="publication_copies", column_name="publication_copies", widget=NumberWidget(integer=True)
    )
    media_audience = fields.Field(
        attribute="media_audience", column_name="media_audience", widget=NumberWidget(integer=True)
    )
    impact_evaluated = fields.Field(attribute="impact_evaluated", column_name="impact_evaluated", widget=YesNoWidget())
    state = fields.Field(
        attribute="state", column_name="state", widget=ChoicesWidget(Initiative.State, what=_lazy("state"))
    )
    departments = m2m(Department, "departments")
    sectors = m2m(Sector, "sectors")
    themes = m2m(Theme, "themes")
    sdgs = m2m(SDG, "sdgs", "number")
    fields_of_action = m2m(FieldOfAction, "fields_of_action")
    pe_categories = m2m(PublicEngagementCategory, "pe_categories")
    intervention_areas = m2m(InterventionArea, "intervention_areas", "name_it")
    partners = fields.Field(attribute="partners", column_name="partners", widget=PartnersWidget())

    KEPT_ON_UPDATE = ("slug",)

    class Meta:
        model = Initiative
        import_id_fields = ("slug",)
        fields = (
            "slug",
            "title_it",
            "title_en",
            "summary_it",
            "summary_en",
            "start_date",
            "end_date",
            "scale",
            "website",
            "keywords",
            "budget",
            "external_funding",
            "participants",
            "web_accesses",
            "publication_copies",
            "media_audience",
            "impact_evaluated",
            "state",
            *Initiative.EXCHANGED_CLASSIFICATIONS,
            "partners",
            "id",
        )
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        # Rows per page of an export (one query per page and per related
        # column): queries grow a thousand rows at a time, not row by row.
        chunk_size = 1000

    # What the export's columns read, fetched once per page of rows.
    EXPORT_PREFETCH = (
        *Initiative.EXCHANGED_CLASSIFICATIONS,
        Prefetch("partnerships", queryset=Partnership.objects.select_related("organisation")),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._titles: LabelIndex | None = None
        self._arrivals: dict[int, str] = {}

    def get_queryset(self):
        return self.filter_export(Initiative.objects.order_by("pk"))

    def filter_export(self, queryset, **kwargs):
        """What is exported of any queryset, the admin's changelist (with its
        filters and order) included: the originals only (a working copy
        would come back as a second initiative), with the related values the
        columns read prefetched in place of the changelist's own."""
        return queryset.originals().prefetch_related(None).prefetch_related(*self.EXPORT_PREFETCH)

    # Which initiative a row is.

    def get_instance(self, instance_loader, row):
        originals = Initiative.objects.originals()
        key, slug = _text(row.get("id")), _text(row.get("slug"))
        by_id = None
        if key:
            if not key.isdigit():
                raise ValidationError({"id": _('"%(value)s" is not an id: an id is a whole number.') % {"value": key}})
            by_id = originals.filter(pk=int(key)).first()
        if by_id is not None:
            if slug and slug != by_id.slug:
                raise ValidationError(
                    {
                        "slug": _('"%(slug)s" is not the slug of the initiative with id %(id)s (it is "%(own)s").')
                        % {"slug": slug, "id": by_id.pk, "own": by_id.slug}
                    }
                )
            return by_id
        if slug and (by_slug := originals.filter(slug=slug).first()) is not None:
            return by_slug
        return self._possible_duplicate(row)

    def _title_matches(self, row) -> list[Initiative]:
        """The initiatives with the row's Italian title (case, accents and
        apostrophes aside) and no other start date."""
        title = _text(row.get("title_it"))
        if not title:
            return []
        if self._titles is None:
            self._titles = LabelIndex(
                Initiative.objects.originals().only("pk", "title_it", "start_date"), lambda item: [item.title_it]
            )
        try:
            start = DateWidget().clean(row.get("start_date"))
        except ValueError:
            start = None
        pks = [item.pk for item in self._titles.find(title) if not (start and item.start_date not in (None, start))]
        return list(Initiative.objects.originals().filter(pk__in=pks).order_by("pk")) if pks else []

    def _possible_duplicate(self, row):
        """The initiative a row without a stable key updates, or None for a
        new one: an initiative it would leave unchanged, or the one staff
        chose. Without a choice the row is pending (and not written)."""
        candidates = self._title_matches(row)
        if not candidates:
            return None
        entries = []
        for candidate in candidates:
            comparison, differs = self._comparison(candidate, row)
            if not differs:
                return candidate  # the same initiative, unchanged
            entries.append(
                {
                    "id": candidate.pk,
                    "title": str(candidate),
                    "slug": candidate.slug,
                    "state": str(candidate.get_state_display()),
                    "start_date": self.shown(self.fields["start_date"], candidate.start_date),
                    "comparison": comparison,
                }
            )
        self.current["candidates"] = entries
        choice = self.duplicate_choices.get(self.current["row"], "")
        if choice == CREATE_NEW or (not choice and self.duplicate_default == CREATE_NEW):
            self.current["choice"] = CREATE_NEW
            return None
        chosen = next((c for c in candidates if choice == f"{UPDATE_PREFIX}{c.pk}"), None)
        if chosen is None and not choice and self.duplicate_default == "update" and len(candidates) == 1:
            chosen = candidates[0]
        if chosen is not None:
            self.current["choice"] = f"{UPDATE_PREFIX}{chosen.pk}"
            return chosen
        self.current["pending"] = True
        return None

    def _comparison(self, candidate: Initiative, row) -> tuple[list[dict], bool]:
        """Field by field, what `candidate` holds and what the row would make
        of it, and whether the row would change anything."""
        copy = deepcopy(candidate)
        current = self.current
        self.current = {"row": current["row"], "new": False}
        try:
            with contextlib.suppress(ValidationError):  # the row's own course reports its errors
                self.import_instance(copy, row)
            comparison, differs = [], False
            for field in self.compared_fields(new=False):
                given = self.is_given(field, row)
                existing = self.column_value(field, candidate)
                try:
                    value = self.column_value(field, copy, row) if given else None
                    shown = self.shown(field, value) if given else ""
                    different = given and self.comparable(field, value) != self.comparable(field, existing)
                except ValueError:
                    shown, different = _text(row[field.column_name]), True
                differs = differs or different
                comparison.append(
                    {
                        "column": field.column_name,
                        "label": self.label(field),
                        "existing": self.shown(field, existing),
                        "file": shown,
                        "given": given,
                        "differs": different,
                    }
                )
        finally:
            self.current = current
        return comparison, differs

    # Writing a row.

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        new = self.current.get("new", True)
        given = self.is_given(field, row)
        if field.attribute == "partners":
            if given:
                instance.import_partners = field.clean(row)
            return
        if field.attribute == "slug" and not new:
            return  # never renamed: the slug is in the initiative's public URLs
        if field.attribute == "state":
            self._import_state(instance, field.clean(row) if given else "", new=new)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def _import_state(self, instance, state: str, *, new: bool) -> None:
        """A new initiative arrives as the cell says when it says submitted
        or draft, otherwise as chosen for the import; an existing one keeps
        its state. A cell that asks for more is noted in the preview."""
        shown = self.fields["state"].widget.label
        if new:
            arrival = state if state in ARRIVAL_STATES else self.arrival_state
            self.current["state"] = arrival
            if state and state != arrival:
                self.note(
                    _('The file says "%(state)s": an import never publishes, the initiative arrives as "%(arrival)s".')
                    % {"state": shown(state), "arrival": shown(arrival)}
                )
        elif state and state != instance.state:
            self.note(
                _(
                    'The file says "%(state)s": an import does not move an initiative through the review, '
                    'it stays "%(current)s".'
                )
                % {"state": shown(state), "current": shown(instance.state)}
            )

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if self.current.get("new", True):
                for name, value in imported_arrival_values(self.current.get("state") or self.arrival_state).items():
                    setattr(instance, name, value)
            if not instance.slug:
                instance.slug = unique_slug(Initiative, instance.title_it or "")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation (`clean_model_instances`), its rules between
        fields included (Initiative.cross_field_errors), those rules worded
        as the import's reports have always worded them."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            wording = {
                END_BEFORE_START_CODE: _("The end date is before the start date."),
                FUNDING_OVER_BUDGET_CODE: _("The external funding is larger than the total budget."),
            }
            for messages in error.error_dict.values():
                for message in messages:
                    if message.code in wording:
                        message.message = wording[message.code]
            raise

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self.current.get("pending"):
            # Not written without staff's choice, but checked as a new row would be.
            self.validate_instance(instance, import_validation_errors)
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def column_value(self, field, instance, row=None):
        if field.attribute == "partners":
            if row is not None and self.is_given(field, row):
                return list(field.clean(row))
            return [p.organisation for p in self._partnerships(instance)] if instance.pk else []
        return super().column_value(field, instance, row)

    def comparable(self, field, value):
        if field.attribute == "partners":
            return tuple(item.pk for item in value or ())  # their order is the file's
        return super().comparable(field, value)

    @staticmethod
    def _partnerships(initiative: Initiative):
        return (
            initiative.partnerships.filter(role=Partnership.IMPORT_ROLE)
            .select_related("organisation")
            .order_by("position", "pk")
        )

    def save_m2m(self, instance, row, **kwargs):
        for field in self.get_import_fields():
            if self.is_related(field) and self.is_given(field, row):
                getattr(instance, field.attribute).set(field.clean(row))
        partners = getattr(instance, "import_partners", None)
        if partners is not None:
            self._set_partners(instance, partners)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        if self.current.get("new", True):
            self._arrivals[instance.pk] = instance.state

    def after_import(self, dataset, result, **kwargs):
        """Record each new initiative's arrival in the workflow, by the
        importing user, in the import's transaction."""
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run"):
            return
        created = {row.object_id for row in result.rows if row.import_type == NEW}
        by_state: dict[str, list[int]] = {}
        for pk, state in self._arrivals.items():
            if pk in created:
                by_state.setdefault(state, []).append(pk)
        user = kwargs.get("user")
        source = kwargs.get("file_name") or _("an import")
        for state, pks in by_state.items():
            imported_arrivals_record(
                initiative_ids=pks, state=state, by=user if getattr(user, "pk", None) else None, source=source
            )

    @staticmethod
    def _set_partners(initiative: Initiative, organisations) -> None:
        """The rows in the import's role (Partnership.IMPORT_ROLE) follow the
        file, in its order; other roles stay."""
        role = Partnership.IMPORT_ROLE
        existing = {p.organisation_id: p for p in initiative.partnerships.filter(role=role)}
        wanted = [o.pk for o in organisations]
        initiative.partnerships.filter(role=role).exclude(organisation_id__in=wanted).delete()
        for position, organisation_id in enumerate(wanted):
            partnership = existing.get(organisation_id)
            if partnership is None:
                Partnership.objects.create(
                    initiative=initiative,
                    organisation_id=organisation_id,
                    role=role,
                    position=position,
                )
            elif partnership.position != position:
                partnership.position = position
                partnership.save(update_fields=["position"])

    def dehydrate_partners(self, initiative: Initiative) -> str:
        return JOIN.join(Partnership.names(initiative, (Partnership.IMPORT_ROLE,)))


class OrganisationResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per organisation, recognised by its name. A new
    organisation whose country is not given has none (it is not assumed
    Italian)."""

    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    type = fields.Field(attribute="type", column_name="type", widget=NaturalKeyWidget(OrganisationType))
    type_other = fields.Field(attribute="type_other", column_name="type_other", widget=TextWidget())
    website = fields.Field(attribute="website", column_name="website", widget=TextWidget())
    municipality = fields.Field(attribute="municipality", column_name="municipality", widget=TextWidget())
    country = fields.Field(attribute="country", column_name="country", widget=TextWidget())

    class Meta:
        model = Organisation
        import_id_fields = ("name",)
        fields = ("name", "type", "type_other", "website", "municipality", "country")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def get_instance(self, instance_loader, row):
        name = _text(row.get("name"))
        return Organisation.objects.filter(name__iexact=name).first() if name else None

    def import_instance(self, instance, row, **kwargs):
        new = self.current.get("new", True)
        if new and not self.is_given(self.fields["country"], row):
            instance.country = ""
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if not instance.slug:
                instance.slug = unique_slug(Organisation, instance.name or "")
            instance.country = (instance.country or "").upper()


class PersonResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per person, recognised by e-mail (or ORCID iD)."""

    email = fields.Field(attribute="email", column_name="email", widget=TextWidget())
    first_name = fields.Field(attribute="first_name", column_name="first_name", widget=TextWidget())
    last_name = fields.Field(attribute="last_name", column_name="last_name", widget=TextWidget())
    department = fields.Field(attribute="department", column_name="department", widget=NaturalKeyWidget(Department))
    role = fields.Field(
        attribute="role",
        column_name="role",
        widget=ChoicesWidget(Person.Role, synonyms=Person.ROLE_SYNONYMS, what=_lazy("role")),
    )
    orcid = fields.Field(attribute="orcid", column_name="orcid", widget=TextWidget())
    # The language of the e-mails: "it" or "en" (or "Italiano", "English"...).
    language = fields.Field(
        attribute="language",
        column_name="language",
        widget=ChoicesWidget(LANGUAGE_CHOICES, what=_lazy("language")),
    )

    class Meta:
        model = Person
        import_id_fields = ("email",)
        fields = ("email", "first_name", "last_name", "department", "role", "orcid", "language")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def get_instance(self, instance_loader, row):
        email, orcid = _text(row.get("email")), _text(row.get("orcid"))
        if email:
            return Person.objects.filter(email__iexact=email).first()
        return Person.objects.filter(orcid=orcid).first() if orcid else None

    def import_instance(self, instance, row, **kwargs):
        # An empty (or missing) language keeps the one the person has, or the
        # default for a new person.
        language = instance.language or settings.LANGUAGE_CODE
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if not instance.role:
                instance.role = Person.Role.RESEARCHER
            if not instance.language:
                instance.language = language
            if not instance.slug:
                instance.slug = unique_slug(Person, f"{instance.first_name} {instance.last_name}")


# An example row per resource, for the downloadable template.
EXAMPLES = {
    InitiativeResource: {
        "slug": "",
        "title_it": "Laboratori di quartiere a Barriera di Milano",
        "title_en": "Neighbourhood workshops in Barriera di Milano",
        "summary_it": "Laboratori di co-progettazione degli spazi pubblici con gli abitanti.",
        "summary_en": "",
        "start_date": "15/03/2025",
        "end_date": "31/12/2025",
        "scale": "local",
        "website": "https://example.org/laboratori",
        "keywords": "periferie, co-progettazione, spazio pubblico",
        "budget": "25000",
        "external_funding": "15000,50",
        "participants": "240",
        "web_accesses": "",
        "publication_copies": "",
        "media_audience": "",
        "impact_evaluated": "sì",
        "state": "draft",
        "departments": "DIST | DAD",
        "sectors": "Gestione del territorio",
        "themes": "",
        "sdgs": "11 | 10",
        "fields_of_action": "g",
        "pe_categories": "",
        "intervention_areas": "",
        "partners": "",
        "id": "",
    },
    OrganisationResource: {
        "name": "Associazione Esempio APS",
        "type": "no-profit",
        "type_other": "",
        "website": "https://example.org",
        "municipality": "Torino",
        "country": "IT",
    },
    PersonResource: {
        "email": "giulia.rossi@example.org",
        "first_name": "Giulia",
        "last_name": "Rossi",
        "department": "DIST",
        "role": "researcher",
        "orcid": "",
        "language": "it",
    },
}
