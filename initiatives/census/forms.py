"""The census's guided form, one Django form (plus formsets) per step.

Help texts speak to researchers in plain words; every message goes through
gettext, so it reaches them in their language.
"""

from __future__ import annotations

from django import forms
from django.forms import BaseFormSet, formset_factory, inlineformset_factory
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from actionplan.models import InterventionArea, StrategicObjective
from impact.models import SDG, FieldOfAction, Impact, Product, PublicEngagementCategory
from initiatives.services.initiatives import PartnerRow, PersonRow
from stakeholders.models import Organisation, OrganisationType, Partnership, TargetGroup

from ..models import Department, Initiative, Participation, Place, Priority, Sector, SupportKind, Theme

Checkboxes = forms.CheckboxSelectMultiple

OTHER_SECTOR_MISSING = _("You chose “Other”: please say which sector.")
OTHER_SUPPORT_MISSING = _("You chose “Other”: please say which kind of support.")
TOO_MANY_KEYWORDS = _("Use at most five keywords.")
ONE_LEAD = _("Exactly one person must be the lead contact.")
DUPLICATE_PERSON = _("This person is listed twice.")
NEW_ORGANISATION_TYPE = _("“%(name)s” is not in the register yet: choose its type so it can be added.")
COORDINATES_PAIR = _("Give both latitude and longitude, or neither.")
# The empty choice of every single-choice list, instead of Django's "---------".
EMPTY_CHOICE = _("— choose —")
DJANGO_EMPTY_LABEL = "---------"


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in a fieldset per group (a vision, a pillar), for lists too
    long to read as one: the groups give the eye somewhere to go, and every
    box is a native checkbox, so it works by keyboard and without JavaScript.

    Rendered with the project's templates (the form renderer only knows
    Django's own)."""

    template_name = "census/widgets/grouped_checkboxes.html"

    def render(self, name, value, attrs=None, renderer=None):
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


def grouped_choices(rows, group) -> list[tuple[str, list[tuple[int, str]]]]:
    """[(group label, [(pk, label), ...]), ...] in the rows' order."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        groups.setdefault(str(group(row)), []).append((row.pk, str(row)))
    return list(groups.items())


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return department_label(obj)


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return department_label(obj)


def department_label(department) -> str:
    """“DIST — Interuniversity Department of …”: the acronym people use, and the name for those who do not."""
    return f"{department.code} — {department.name}" if department.name else department.code


class StyledMixin:
    """Bootstrap Italia classes on every widget, so templates stay simple."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            # Django's "---------" becomes words; an empty label a form chose stays.
            if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
                if field.empty_label == DJANGO_EMPTY_LABEL:
                    field.empty_label = EMPTY_CHOICE
            elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
                choices = list(field.choices)
                if choices and choices[0] == ("", DJANGO_EMPTY_LABEL):
                    field.choices = [("", EMPTY_CHOICE), *choices[1:]]


class StepForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Initiative
        fields: list[str] = []


class WhoForm(StepForm):
    class Meta:
        model = Initiative
        fields = [
            "title_it",
            "title_en",
            "summary_it",
            "summary_en",
            "description_it",
            "description_en",
            "objectives_it",
            "objectives_en",
            "departments",
            "target_groups",
        ]
        widgets = {
            "summary_it": forms.Textarea(attrs={"rows": 3}),
            "summary_en": forms.Textarea(attrs={"rows": 3}),
            "description_it": forms.Textarea(attrs={"rows": 6}),
            "description_en": forms.Textarea(attrs={"rows": 6}),
            "objectives_it": forms.Textarea(attrs={"rows": 4}),
            "objectives_en": forms.Textarea(attrs={"rows": 4}),
            "departments": Checkboxes,
            "target_groups": Checkboxes,
        }
        field_classes = {"departments": DepartmentMultipleChoiceField}
        labels = {
            "title_it": _("Title (Italian)"),
            "title_en": _("Title (English)"),
            "summary_it": _("Summary (Italian)"),
            "summary_en": _("Summary (English)"),
            "description_it": _("Description (Italian)"),
            "description_en": _("Description (English)"),
            "objectives_it": _("Specific objectives (Italian)"),
            "objectives_en": _("Specific objectives (English)"),
            "departments": _("Departments involved"),
            "target_groups": _("Who the initiative is for"),
        }
        help_texts = {
            "title_it": _("The name people know the initiative by."),
            "title_en": _("Optional: the English version is shown on the English site."),
            "summary_it": _("Two or three sentences that a citizen can understand."),
            "summary_en": _("Optional. Where it is empty, the Italian summary is shown."),
            "description_it": _("What the initiative does, how and with whom."),
            "objectives_it": _("What you want to achieve, concretely."),
            "departments": _("Every department whose people take part."),
            "target_groups": _("The beneficiaries: who benefits from what you do."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title_it"].required = True
        self.fields["departments"].queryset = Department.objects.active()
        self.fields["target_groups"].queryset = TargetGroup.objects.active()


class PersonForm(StyledMixin, forms.Form):
    # The register suggests people by name (never showing their e-mail), and
    # recognises someone by the e-mail typed in full (census.js).
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        help_text=_("Start typing a name: people already in the register are suggested."),
        widget=forms.TextInput(attrs={"list": "person-suggestions", "autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"list": "person-suggestions", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Type the full e-mail: someone already in the register is recognised by it."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "data-person-email": ""}),
    )
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.active(), required=False, empty_label=_("— none —")
    )
    role = forms.ChoiceField(
        label=_("Role in the initiative"),
        choices=Participation.Role.choices,
        initial=Participation.Role.MEMBER,
        help_text=_("A lead contact other than you is asked by e-mail to confirm first."),
    )
    contribution = forms.CharField(label=_("Contribution"), max_length=255, required=False)
    can_edit = forms.BooleanField(
        label=_("Co-author"),
        required=False,
        help_text=_("Invited by e-mail to edit this initiative in the census: they edit it once they accept."),
    )


class BasePeopleFormSet(BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if sum(1 for row in rows if row["role"] == Participation.Role.LEAD) != 1:
            raise forms.ValidationError(ONE_LEAD)
        seen = set()
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            key = (data["email"] or f"{data['first_name']} {data['last_name']}").lower()
            if key in seen:
                form.add_error("email" if data["email"] else "last_name", DUPLICATE_PERSON)
            seen.add(key)

    def rows(self) -> list[PersonRow]:
        return [
            PersonRow(
                first_name=f.cleaned_data["first_name"].strip(),
                last_name=f.cleaned_data["last_name"].strip(),
                email=(f.cleaned_data["email"] or "").strip().lower(),
                department=f.cleaned_data["department"],
                role=f.cleaned_data["role"],
                contribution=f.cleaned_data["contribution"],
                can_edit=f.cleaned_data["can_edit"],
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


PeopleFormSet = formset_factory(PersonForm, formset=BasePeopleFormSet, extra=0, can_delete=True, min_num=1)


class PartnerForm(StyledMixin, forms.Form):
    name = forms.CharField(
        label=_("Organisation"),
        max_length=255,
        help_text=_("Start typing: organisations already in the register are suggested."),
        widget=forms.TextInput(attrs={"list": "organisation-suggestions", "autocomplete": "off"}),
    )
    type = forms.ModelChoiceField(
        label=_("Type of organisation"),
        queryset=OrganisationType.objects.active(),
        required=False,
        empty_label=_("— only for a new organisation —"),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Partnership.Role.choices)

    def clean(self):
        data = super().clean()
        name = (data.get("name") or "").strip()
        if name and not data.get("type") and not Organisation.objects.filter(name__iexact=name).exists():
            self.add_error("type", NEW_ORGANISATION_TYPE % {"name": name})
        return data


class BasePartnersFormSet(BaseFormSet):
    def rows(self) -> list[PartnerRow]:
        return [
            PartnerRow(name=f.cleaned_data["name"], type=f.cleaned_data["type"], role=f.cleaned_data["role"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


PartnersFormSet = formset_factory(PartnerForm, formset=BasePartnersFormSet, extra=0, can_delete=True)


class WhatForm(StepForm):
    class Meta:
        model = Initiative
        fields = [
            "sectors",
            "sector_other",
            "themes",
            "support_kinds",
            "support_other",
            "start_date",
            "end_date",
            "scale",
            "budget",
            "external_funding",
            "website",
            "keywords",
            "pe_categories",
            "fields_of_action",
            "intervention_areas",
            "strategic_objectives",
        ]
        widgets = {
            "sectors": Checkboxes,
            "themes": Checkboxes,
            "support_kinds": Checkboxes,
            "pe_categories": Checkboxes,
            "fields_of_action": Checkboxes,
            "intervention_areas": GroupedCheckboxes,
            "strategic_objectives": GroupedCheckboxes,
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "sectors": _("The fields you work in; choose all that apply."),
            "themes": _("The themes of POPS your initiative contributes to."),
            "support_kinds": _("What your contribution typically is."),
            "start_date": _("When it started, even approximately."),
            "end_date": _("Leave empty if the initiative is ongoing."),
            "scale": _("How far its effects reach."),
            "budget": _("In euro, all funding included. Leave empty if there is none."),
            "external_funding": _("The part of the budget that comes from outside the Politecnico."),
            "keywords": _("Up to five, separated by commas."),
            "pe_categories": _("The public-engagement categories ANVUR uses (current edition)."),
            "fields_of_action": _("ANVUR's third-mission fields of action."),
            "intervention_areas": _("Areas of the Politecnico's Action Plan the initiative contributes to."),
            "strategic_objectives": _("Strategic Plan objectives the initiative serves (PIAO)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["sectors"].queryset = Sector.objects.active()
        self.fields["themes"].queryset = Theme.objects.active()
        self.fields["support_kinds"].queryset = SupportKind.objects.active()
        self.fields["pe_categories"].queryset = PublicEngagementCategory.objects.active().for_year(year)
        self.fields["fields_of_action"].queryset = FieldOfAction.objects.active().for_year(year)
        # Grouped by the vision or pillar they belong to; the rows are read once here.
        areas = self.fields["intervention_areas"]
        areas.queryset = InterventionArea.objects.with_vision()
        areas.widget.choices = grouped_choices(areas.queryset, lambda area: area.vision)
        objectives = self.fields["strategic_objectives"]
        objectives.queryset = StrategicObjective.objects.select_related("pillar")
        objectives.widget.choices = grouped_choices(objectives.queryset, lambda objective: objective.pillar)
        self.fields["scale"].required = False

    def clean(self):
        # The dates and the budget are checked by the model's rule
        # (Initiative.cross_field_errors), which the model form runs after this.
        data = super().clean()
        if any(s.is_other for s in data.get("sectors") or []) and not data.get("sector_other"):
            self.add_error("sector_other", OTHER_SECTOR_MISSING)
        if any(s.is_other for s in data.get("support_kinds") or []) and not data.get("support_other"):
            self.add_error("support_other", OTHER_SUPPORT_MISSING)
        keywords = [k for k in (data.get("keywords") or "").split(",") if k.strip()]
        if len(keywords) > 5:
            self.add_error("keywords", TOO_MANY_KEYWORDS)
        return data


class PlaceForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Place
        fields = ["municipality", "province", "region", "latitude", "longitude"]
        help_texts = {
            "latitude": _("Optional: click on the map or type it, e.g. 45.0703."),
            "longitude": _("Optional, e.g. 7.6869."),
        }

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", COORDINATES_PAIR)
        return data


PlacesFormSet = inlineformset_factory(Initiative, Place, form=PlaceForm, extra=0, can_delete=True)


class ImpactStepForm(StepForm):
    class Meta:
        model = Initiative
        fields = [
            "sdgs",
            "participants",
            "web_accesses",
            "publication_copies",
            "media_audience",
            "impact_evaluated",
            "impact_evaluation_notes",
        ]
        widgets = {"sdgs": Checkboxes, "impact_evaluation_notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "sdgs": _("The UN Sustainable Development Goals the initiative contributes to."),
            "participants": _("People who actually took part, if you counted them."),
            "web_accesses": _("Documented visits to its web pages or social channels."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sdgs"].queryset = SDG.objects.all()


class ProductForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["title", "category", "description", "url", "year"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ImpactForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Impact
        fields = [
            "kind",
            "category",
            "description",
            "indicator",
            "unit",
            "baseline",
            "target",
            "value",
            "measured_on",
            "people_reached",
            "evidence_url",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "measured_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "baseline": _("Starting value (baseline)"),
            "target": _("Value aimed for (target)"),
            "value": _("Value measured"),
        }
        help_texts = {
            "indicator": _("How you measure it, e.g. “households involved”."),
            "baseline": _("The value before the initiative."),
            "target": _("The value you aim for."),
            "value": _("The value measured so far (for achieved impacts)."),
        }


ProductsFormSet = inlineformset_factory(Initiative, Product, form=ProductForm, extra=0, can_delete=True)
ImpactsFormSet = inlineformset_factory(Initiative, Impact, form=ImpactForm, extra=0, can_delete=True)


class FutureForm(StepForm):
    class Meta:
        model = Initiative
        fields = ["needs", "wishes", "priorities"]
        widgets = {
            "needs": forms.Textarea(attrs={"rows": 4}),
            "wishes": forms.Textarea(attrs={"rows": 4}),
            "priorities": Checkboxes,
        }
        help_texts = {
            "needs": _("What the initiative lacks: competences, partners, spaces, funding…"),
            "wishes": _("How you would like it to grow, and what POPS could do for it."),
            "priorities": _("The priorities of POPS that matter most to you (from the 2022 workshop)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priorities"].queryset = Priority.objects.active()


class InviteForm(StyledMixin, forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail"))
