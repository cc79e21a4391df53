"""Forms of the impact app's staff tools (ANVUR export, imports)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from initiatives.models import Department, Initiative
from pops.spreadsheets import FORMAT_CHOICES

from . import anvur
from .models import FieldOfAction

REPORT = "report"


class AnvurExportForm(forms.Form):
    what = forms.ChoiceField(
        label=_("What"),
        choices=[(REPORT, _("One row per initiative (ANVUR columns)")), *anvur.SUMMARY_CHOICES],
        initial=REPORT,
        widget=forms.RadioSelect,
    )
    year = forms.IntegerField(label=_("Reporting year"), min_value=2000, max_value=2100)
    since = forms.IntegerField(
        label=_("Summaries from year"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("Summaries only: first year (default: the reporting year)."),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.all(), to_field_name="code", required=False
    )
    fields_of_action = forms.MultipleChoiceField(label=_("Fields of action"), required=False)
    states = forms.MultipleChoiceField(
        label=_("States"),
        choices=Initiative.State.choices,
        initial=[Initiative.State.PUBLISHED],
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="csv-excel")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1
        codes = FieldOfAction.objects.order_by("code").values_list("code", "name").distinct()
        seen: dict[str, str] = {}
        for code, name in codes:
            seen.setdefault(code, f"{code}. {name}")
        self.fields["fields_of_action"].choices = sorted(seen.items())

    def clean(self):
        data = super().clean()
        since, year = data.get("since"), data.get("year")
        if since and year and since > year:
            self.add_error("since", _("The first year must not come after the reporting year."))
        return data
