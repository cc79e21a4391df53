"""The steps of the census form, as the 2022 workshop structured them:
who we are, what we do, impact, what we want to become.

A step is a form on the initiative plus the formsets of its repeating parts;
`StepForms` builds them from a request and saves them all or nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms as django_forms
from django.db import transaction
from django.forms.utils import ErrorDict, ErrorList
from django.http import QueryDict
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from initiatives.services.campaigns import campaign_open_now
from initiatives.services.initiatives import (
    form_draft_discard,
    participations_replace,
    partnerships_replace,
    person_for_user,
)
from initiatives.services.leads import pending_nomination
from pops.slugs import unique_slug

from ..models import Initiative, Participation
from . import forms


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    intro: str
    form_class: type
    formsets: dict = field(default_factory=dict)


STEPS = [
    Step(
        "who",
        _("Who we are"),
        _("The initiative, the people who run it and the organisations you work with."),
        forms.WhoForm,
        {"people": forms.PeopleFormSet, "partners": forms.PartnersFormSet},
    ),
    Step(
        "what",
        _("What we do"),
        _(
            "Sectors, themes, places, dates and resources, and how the initiative fits ANVUR's and the "
            "Politecnico's categories."
        ),
        forms.WhatForm,
        {"places": forms.PlacesFormSet},
    ),
    Step(
        "impact",
        _("Impact"),
        _("What the initiative produces and the change it expects or has achieved."),
        forms.ImpactStepForm,
        {"products": forms.ProductsFormSet, "impacts": forms.ImpactsFormSet},
    ),
    Step(
        "future",
        _("What we want to become"),
        _("Needs, wishes and priorities: what would help the initiative grow."),
        forms.FutureForm,
    ),
]
STEPS_BY_SLUG = {step.slug: step for step in STEPS}


@dataclass(frozen=True)
class Section:
    """How a step's repeating part speaks to the researcher."""

    title: str
    intro: str
    add_label: str
    row_label: str


SECTIONS = {
    "people": Section(
        _("People"),
        _(
            "Who runs the initiative: exactly one lead contact, and the team. People already in the register are "
            "recognised by their e-mail."
        ),
        _("Add a person"),
        _("Person"),
    ),
    "partners": Section(
        _("Partners"),
        _("Organisations you work with or for: partners, co-designers, funders, beneficiaries, clients."),
        _("Add an organisation"),
        _("Organisation"),
    ),
    "places": Section(
        _("Places"),
        _("Where the initiative happens. Coordinates put it on the map."),
        _("Add a place"),
        _("Place"),
    ),
    "products": Section(
        _("Products"),
        _("What the initiative produces: reports, tools, events, spaces, data…"),
        _("Add a product"),
        _("Product"),
    ),
    "impacts": Section(
        _("Expected and achieved impacts"),
        _("The change the initiative aims at or has achieved, with an indicator to measure it."),
        _("Add an impact"),
        _("Impact"),
    ),
}


@dataclass(frozen=True)
class ErrorLink:
    """One line of a step's error summary: where the problem is, and what it is."""

    target: str  # the id of the element the link moves focus to
    label: str
    message: str


def _field_target(bound_field) -> str:
    # A list of checkboxes is reached at its first box (as GOV.UK does).
    if isinstance(bound_field.field.widget, django_forms.CheckboxSelectMultiple) and bound_field.subwidgets:
        return bound_field.subwidgets[0].id_for_label
    return bound_field.auto_id


def _form_errors(form, *, anchor: str, prefix_label: str = "") -> list[ErrorLink]:
    links = []
    for name, errors in form.errors.items():
        if name == "__all__":
            links.extend(ErrorLink(anchor, prefix_label, str(message)) for message in errors)
            continue
        bound_field = form[name]
        label = f"{prefix_label}: {bound_field.label}" if prefix_label else str(bound_field.label)
        links.extend(ErrorLink(_field_target(bound_field), label, str(message)) for message in errors)
    return links


# The classifications the census asks for, each in its step's form.
CLASSIFICATIONS = tuple(
    name for step in STEPS for name in step.form_class._meta.fields if name in Initiative.CLASSIFICATIONS
)


def next_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def querydict(data: dict[str, list[str]]) -> QueryDict:
    result = QueryDict(mutable=True)
    for key, values in data.items():
        result.setlist(key, values)
    return result


def _people_initial(initiative: Initiative | None, user) -> list[dict]:
    if initiative is None:
        person = person_for_user(user)
        return [
            {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "department": person.department_id,
                "role": Participation.Role.LEAD,
            }
        ]
    # A lead waiting to confirm (services.leads) is the row marked lead, as the
    # researcher chose it; whoever holds the role meanwhile reads as a member.
    nomination = pending_nomination(initiative)
    participations = list(initiative.participations.select_related("person"))
    rows = [
        {
            "first_name": p.person.first_name,
            "last_name": p.person.last_name,
            "email": p.person.email,
            "department": p.person.department_id,
            "role": Participation.Role.MEMBER if nomination else p.role,
            "contribution": p.contribution,
            "can_edit": p.can_edit,
        }
        for p in participations
        if nomination is None or p.person_id != nomination.person_id
    ]
    if nomination is not None:
        person = nomination.person
        rows.insert(
            min(nomination.position, len(rows)),
            {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "department": person.department_id,
                "role": Participation.Role.LEAD,
                "contribution": nomination.contribution,
                "can_edit": any(p.can_edit for p in participations if p.person_id == person.pk),
            },
        )
    return rows


def _partners_initial(initiative: Initiative | None) -> list[dict]:
    if initiative is None:
        return []
    return [
        {"name": p.organisation.name, "type": p.organisation.type_id, "role": p.role}
        for p in initiative.partnerships.select_related("organisation")
    ]


class StepForms:
    """The form and formsets of one step, bound to `data` when given."""

    def __init__(self, step: Step, *, initiative: Initiative | None, user, data=None, files=None):
        self.step = step
        self.initiative = initiative
        self.user = user
        self.people_saved = None  # set by save(): whom the people step asked to consent (lead, co-authors)
        instance = initiative if initiative is not None else Initiative()
        self.form = step.form_class(data=data, files=files, instance=instance, prefix="main")
        self.formsets = {}
        for name, formset_class in step.formsets.items():
            if name == "people":
                formset = formset_class(data=data, prefix=name, initial=_people_initial(initiative, user))
            elif name == "partners":
                formset = formset_class(data=data, prefix=name, initial=_partners_initial(initiative))
            else:
                formset = formset_class(data=data, files=files, instance=instance, prefix=name)
            self.formsets[name] = formset

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    @property
    def sections(self) -> list[tuple[str, object, Section]]:
        return [(name, formset, SECTIONS[name]) for name, formset in self.formsets.items()]

    def error_links(self) -> list[ErrorLink]:
        """Every problem of the step, in page order, each with the id to link to:
        the field, the first box of a list, or the box that shows a row's or a
        list's own message (ids set in the templates)."""
        links = _form_errors(self.form, anchor="main-errors")
        for name, formset in self.formsets.items():
            section = SECTIONS[name]
            links.extend(
                ErrorLink(f"{formset.prefix}-errors", str(section.title), str(message))
                for message in formset.non_form_errors()
            )
            for number, form in enumerate(formset.forms, start=1):
                if formset.can_delete and formset._should_delete_form(form):
                    continue
                links.extend(
                    _form_errors(form, anchor=f"{form.prefix}-errors", prefix_label=f"{section.row_label} {number}")
                )
        return links

    @property
    def error_count(self) -> int:
        return len(self.error_links())

    def hide_errors(self) -> None:
        """Forget the validation errors (kept values stay): a restored draft is
        shown as typed, and judged only when saved."""
        self.form._errors = ErrorDict()
        for formset in self.formsets.values():
            formset._non_form_errors = ErrorList()
            formset._errors = [ErrorDict() for _form in formset.forms]
            for form in formset.forms:
                form._errors = ErrorDict()

    @transaction.atomic
    def save(self) -> Initiative:
        """Save the step; the caller has checked `is_valid()`."""
        if self.initiative is None:
            initiative = self.form.save(commit=False)
            initiative.slug = unique_slug(Initiative, initiative.title_it)
            initiative.created_by = self.user
            initiative.campaign = campaign_open_now()
            initiative.save()
            self.form.save_m2m()
            self.initiative = initiative
        else:
            self.form.save()
        for name, formset in self.formsets.items():
            if name == "people":
                self.people_saved = participations_replace(
                    initiative=self.initiative, rows=formset.rows(), by=self.user
                )
            elif name == "partners":
                partnerships_replace(initiative=self.initiative, rows=formset.rows())
            else:
                formset.instance = self.initiative
                formset.save()
        form_draft_discard(user=self.user, initiative=None, step=self.step.slug)
        form_draft_discard(user=self.user, initiative=self.initiative, step=self.step.slug)
        return self.initiative


# --- What the researcher entered, step by step (the review page) ---------------


@dataclass(frozen=True)
class SummaryItem:
    label: str
    value: str | list[str]  # "" when nothing was entered; a list for several choices
    is_url: bool = False
    rows: list[list[tuple[str, str]]] = field(default_factory=list)  # a repeating part: its rows' filled fields

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)


@dataclass(frozen=True)
class SummaryStep:
    step: Step
    items: list[SummaryItem]


def _display(obj, name: str) -> str | list[str]:
    """A model field's value as the researcher reads it."""
    model_field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if model_field.many_to_many:
        if name == "departments":
            return [forms.department_label(department) for department in value.all()]
        return [str(row) for row in value.all()]
    if model_field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime.date):
        return date_format(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)  # 12000.00 € reads as 12,000 (12.000 in Italian)
    if isinstance(value, Decimal | int) and name != "year":
        return number_format(value, force_grouping=True)
    return str(value)


def _row(labels_from, values: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    fields = labels_from.base_fields
    return [
        (str(fields[name].label), ", ".join(value) if isinstance(value, list) else value)
        for name, value in values.items()
        if value
    ]


def _section_rows(initiative: Initiative, name: str, formset_class) -> list[list[tuple[str, str]]]:
    form_class = formset_class.form
    if name == "people":
        return [
            _row(
                form_class,
                {
                    "first_name": p.person.first_name,
                    "last_name": p.person.last_name,
                    "email": p.person.email,
                    "department": forms.department_label(p.person.department) if p.person.department else "",
                    "role": p.get_role_display(),
                    "contribution": p.contribution,
                    "can_edit": str(_("Yes")) if p.can_edit else "",
                },
            )
            for p in initiative.participations.all()
        ]
    if name == "partners":
        return [
            _row(
                form_class,
                {
                    "name": p.organisation.name,
                    "type": str(p.organisation.type) if p.organisation.type_id else "",
                    "role": p.get_role_display(),
                },
            )
            for p in initiative.partnerships.all()
        ]
    return [
        _row(form_class, {field_name: _display(row, field_name) for field_name in form_class.base_fields})
        for row in getattr(initiative, name).all()
    ]


def initiative_summary(initiative: Initiative) -> list[SummaryStep]:
    """Every field the census form records, step by step, with its value; the
    labels are the form's, so the review reads as the steps did. Reads the
    relations `SUMMARY_PREFETCH` names."""
    result = []
    for step in STEPS:
        fields = step.form_class.base_fields
        items = [
            SummaryItem(
                str(fields[name].label),
                _display(initiative, name),
                is_url=isinstance(fields[name], django_forms.URLField),
            )
            for name in step.form_class._meta.fields
        ]
        items.extend(
            SummaryItem(str(SECTIONS[name].title), "", rows=_section_rows(initiative, name, formset_class))
            for name, formset_class in step.formsets.items()
        )
        result.append(SummaryStep(step, items))
    return result


SUMMARY_PREFETCH = (
    *CLASSIFICATIONS,
    "places",
    "products__category",
    "impacts",
    "participations__person__department",
    "partnerships__organisation__type",
)
