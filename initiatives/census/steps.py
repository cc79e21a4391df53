"""The steps of the census form, as the 2022 workshop structured them:
who we are, what we do, impact, what we want to become.

A step is a form on the initiative plus the formsets of its repeating parts;
`StepForms` builds them from a request and saves them all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from initiatives.services.campaigns import campaign_open_now
from initiatives.services.initiatives import (
    form_draft_discard,
    participations_replace,
    partnerships_replace,
    person_for_user,
)
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
    return [
        {
            "first_name": p.person.first_name,
            "last_name": p.person.last_name,
            "email": p.person.email,
            "department": p.person.department_id,
            "role": p.role,
            "contribution": p.contribution,
            "can_edit": p.can_edit,
        }
        for p in initiative.participations.select_related("person")
    ]


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
    def error_count(self) -> int:
        count = len(self.form.errors)
        for formset in self.formsets.values():
            count += len(formset.non_form_errors()) + sum(len(errors) for errors in formset.errors)
        return count

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
                participations_replace(initiative=self.initiative, rows=formset.rows())
            elif name == "partners":
                partnerships_replace(initiative=self.initiative, rows=formset.rows())
            else:
                formset.instance = self.initiative
                formset.save()
        form_draft_discard(user=self.user, initiative=None, step=self.step.slug)
        form_draft_discard(user=self.user, initiative=self.initiative, step=self.step.slug)
        return self.initiative
