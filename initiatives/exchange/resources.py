"""django-import-export resources: the import (and export) format of
initiatives, organisations and people.

Related things are named by natural keys, as people write them: department
acronym, sector code or label (Italian or English), SDG number, organisation
name, intervention area name. Every bad value raises a ValueError whose
message names it in plain language; the import collects them per row and
column, and imports nothing while any remains (see exchange.imports).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
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
from pops.slugs import unique_slug
from pops.spreadsheets import FORMULA_TRIGGERS, neutralise
from stakeholders.models import Organisation, OrganisationType, Partnership

SEPARATOR = "|"
JOIN = " | "


def _text(value) -> str:
    """A cell as text, with the apostrophe that exports add before a formula
    character taken away again (so export → import is a round trip)."""
    text = "" if value is None else str(value).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text


# --- Widgets ---------------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    """Free text; takes away the apostrophe an export put before a formula character."""

    def __init__(self, *, empty=""):
        self.empty = empty
        super().__init__()

    def clean(self, value, row=None, **kwargs):
        return _text(value) or self.empty


class DateWidget(widgets.Widget):
    """Italian dates (31/12/2025) as well as ISO (2025-12-31); ISO on export."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = _text(value)
        if not text:
            return None
        for fmt in self.FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(_('"%(value)s" is not a date: write it as dd/mm/yyyy or yyyy-mm-dd.') % {"value": text})

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
    YES = {"1", "true", "yes", "y", "sì", "si", "s", "x"}
    NO = {"0", "false", "no", "n", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
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
    """A choice by code or by label in Italian or English."""

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        from django.utils import translation

        text = _text(value)
        if not text:
            return ""
        for code, label in self.choices_class.choices:
            names = {code.lower()}
            for language in ("it", "en"):
                with translation.override(language):
                    names.add(str(label).lower())
            if text.lower() in names:
                return code
        allowed = ", ".join(self.choices_class.values)
        raise ValueError(_('"%(value)s" is not one of: %(choices)s.') % {"value": text, "choices": allowed})

    def render(self, value, obj=None, **kwargs):
        return value or ""


def _lookup(model, value: str):
    """The one row of `model` that `value` names (code, label, number...)."""
    if model is SDG:
        query = Q(name_it__iexact=value) | Q(name_en__iexact=value)
        if value.isdigit():
            query |= Q(number=int(value))
        return list(SDG.objects.filter(query)[:2])
    if model is InterventionArea:
        query = Q(code__iexact=value) | Q(name_it__iexact=value) | Q(name_en__iexact=value)
        return list(InterventionArea.objects.filter(query)[:2])
    if model is Organisation:
        return list(Organisation.objects.filter(Q(name__iexact=value) | Q(slug=value))[:2])
    if model is Person:
        return list(Person.objects.filter(Q(email__iexact=value) | Q(orcid=value) | Q(slug=value))[:2])
    rows = model.objects.by_natural_key(value)
    if model in (FieldOfAction, PublicEngagementCategory):
        # Several editions may share a code: the newest edition wins.
        return list(rows.order_by("-valid_from")[:1])
    return list(rows[:2])


def _describe(model) -> str:
    return str(model._meta.verbose_name)


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key named by its natural key."""

    def __init__(self, model, render_attribute: str = "code", **kwargs):
        self.render_attribute = render_attribute
        super().__init__(model, **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        rows = _lookup(self.model, text)
        if not rows:
            raise ValueError(_('Unknown %(what)s "%(value)s".') % {"what": _describe(self.model), "value": text})
        if len(rows) > 1:
            raise ValueError(
                _('"%(value)s" names more than one %(what)s.') % {"what": _describe(self.model), "value": text}
            )
        return rows[0]

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.render_attribute, "") if value is not None else ""


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """Several related things, separated by "|", each named by its natural key."""

    def __init__(self, model, render_attribute: str = "code", **kwargs):
        self.render_attribute = render_attribute
        self.single = NaturalKeyWidget(model, render_attribute)
        super().__init__(model, separator=SEPARATOR, **kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return []
        found, unknown = [], []
        for part in (p.strip() for p in text.split(SEPARATOR)):
            if not part:
                continue
            try:
                found.append(self.single.clean(part))
            except ValueError:
                unknown.append(part)
        if unknown:
            names = ", ".join(f'"{name}"' for name in unknown)
            raise ValueError(_("Unknown %(what)s %(names)s.") % {"what": _describe(self.model), "names": names})
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        items = sorted(value.all(), key=lambda item: str(getattr(item, self.render_attribute)))
        return JOIN.join(str(getattr(item, self.render_attribute)) for item in items)


class PartnersWidget(widgets.Widget):
    """Partner organisations by name; a plain widget, as they are saved as
    Partnership rows (with a role and a position), not a many-to-many set."""

    def clean(self, value, row=None, **kwargs):
        return NaturalKeysWidget(Organisation, "name").clean(value)


# --- Resources ---------------------------------------------------------------------------


class NeutralisedExportMixin:
    """Every value exported through django-import-export goes through the
    shared formula-injection rule."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


class PlainErrorsMixin:
    """Bad values of many-to-many columns are reported like the other columns,
    before anything is saved (the library checks them only after saving).
    The identifying column may be left out of a file: rows are then matched
    by `get_instance`'s other natural keys. An import job sets `progress`
    (called with the number of rows done after each row)."""

    progress = None
    rows_done = 0

    def import_row(self, row, instance_loader, **kwargs):
        try:
            return super().import_row(row, instance_loader, **kwargs)
        finally:
            self.rows_done += 1
            if self.progress is not None:
                self.progress(self.rows_done)

    def before_import(self, dataset, **kwargs):
        for name in self._meta.import_id_fields:
            if dataset.headers and name not in dataset.headers:
                dataset.append_col([""] * len(dataset), header=name)
        super().before_import(dataset, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except Exception as exc:
            if not hasattr(exc, "error_dict"):
                raise
            errors = dict(exc.error_dict)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as exc:
                    from django.core.exceptions import ValidationError

                    errors[field.attribute] = [ValidationError(str(exc), code="invalid")]
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError(errors)


def m2m(model, column: str, render_attribute: str = "code") -> fields.Field:
    return fields.Field(
        attribute=column, column_name=column, widget=NaturalKeysWidget(model, render_attribute), default=None
    )


class InitiativeResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per initiative. An existing initiative is recognised by its
    `slug`, or, when the slug is empty, by its Italian title and start date,
    and is updated rather than created twice."""

    slug = fields.Field(attribute="slug", column_name="slug", widget=TextWidget())
    title_it = fields.Field(attribute="title_it", column_name="title_it", widget=TextWidget())
    title_en = fields.Field(attribute="title_en", column_name="title_en", widget=TextWidget(empty=None))
    summary_it = fields.Field(attribute="summary_it", column_name="summary_it", widget=TextWidget())
    summary_en = fields.Field(attribute="summary_en", column_name="summary_en", widget=TextWidget(empty=None))
    start_date = fields.Field(attribute="start_date", column_name="start_date", widget=DateWidget())
    end_date = fields.Field(attribute="end_date", column_name="end_date", widget=DateWidget())
    scale = fields.Field(attribute="scale", column_name="scale", widget=ChoicesWidget(Initiative.Scale))
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
    state = fields.Field(attribute="state", column_name="state", widget=ChoicesWidget(Initiative.State))
    departments = m2m(Department, "departments")
    sectors = m2m(Sector, "sectors")
    themes = m2m(Theme, "themes")
    sdgs = m2m(SDG, "sdgs", "number")
    fields_of_action = m2m(FieldOfAction, "fields_of_action")
    pe_categories = m2m(PublicEngagementCategory, "pe_categories")
    intervention_areas = m2m(InterventionArea, "intervention_areas", "name_it")
    partners = fields.Field(attribute="partners", column_name="partners", widget=PartnersWidget())

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

    def get_queryset(self):
        return self.filter_export(Initiative.objects.order_by("pk"))

    def filter_export(self, queryset, **kwargs):
        """What is exported of any queryset, the admin's changelist (with its
        filters and order) included: the originals only (a working copy
        would come back as a second initiative), with the related values the
        columns read prefetched in place of the changelist's own."""
        return queryset.originals().prefetch_related(None).prefetch_related(*self.EXPORT_PREFETCH)

    def get_instance(self, instance_loader, row):
        slug = _text(row.get("slug"))
        if slug:
            return Initiative.objects.originals().filter(slug=slug).first()
        title, start = _text(row.get("title_it")), row.get("start_date")
        if not title:
            return None
        try:
            start = DateWidget().clean(start)
        except ValueError:
            return None
        return Initiative.objects.originals().filter(title_it__iexact=title, start_date=start).first()

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if not instance.slug:
                instance.slug = unique_slug(Initiative, instance.title_it or "")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation (`clean_model_instances`), its rules between
        fields included (Initiative.cross_field_errors), those rules worded
        as the import's reports have always worded them."""
        from django.core.exceptions import ValidationError

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

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "partners":
            if field.column_name in row:
                instance.import_partners = field.clean(row)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                getattr(instance, field.attribute).set(field.clean(row))
        partners = getattr(instance, "import_partners", None)
        if partners is not None:
            self._set_partners(instance, partners)

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

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "import_partners", None) is not None and original is not None and original.pk:
            current = self.dehydrate_partners(original)
            if current != JOIN.join(o.name for o in instance.import_partners):
                return False
        return super().skip_row(instance, original, row, import_validation_errors)


class OrganisationResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per organisation, recognised by its name."""

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
        try:
            super().import_instance(instance, row, **kwargs)
        finally:
            if not instance.slug:
                instance.slug = unique_slug(Organisation, instance.name or "")
            instance.country = (instance.country or "IT").upper()


class PersonResource(NeutralisedExportMixin, PlainErrorsMixin, resources.ModelResource):
    """One row per person, recognised by e-mail (or ORCID iD)."""

    email = fields.Field(attribute="email", column_name="email", widget=TextWidget())
    first_name = fields.Field(attribute="first_name", column_name="first_name", widget=TextWidget())
    last_name = fields.Field(attribute="last_name", column_name="last_name", widget=TextWidget())
    department = fields.Field(attribute="department", column_name="department", widget=NaturalKeyWidget(Department))
    role = fields.Field(attribute="role", column_name="role", widget=ChoicesWidget(Person.Role))
    orcid = fields.Field(attribute="orcid", column_name="orcid", widget=TextWidget())
    # The language of the e-mails: "it" or "en" (or "Italiano", "English"...).
    language = fields.Field(attribute="language", column_name="language", widget=ChoicesWidget(LANGUAGE_CHOICES))

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
