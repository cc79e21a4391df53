"""Public statistics of the published initiatives and the people in them.

Personal data (gender, role) is only shown in aggregate, and a group smaller
than `settings.POPS_MIN_GROUP_SIZE` is never shown: its count is folded into
"Other or not shown" when that total reaches the threshold, and dropped
otherwise.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Participation, Person
from .showcase import cached, of_public, public_counts

# Characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" or "doughnut"
    rows: list[tuple[str, int]] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(value for _label, value in self.rows)


def _private(counts: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], bool]:
    """Hide the groups smaller than the threshold; True when some were hidden."""
    minimum = settings.POPS_MIN_GROUP_SIZE
    shown = [(label, n) for label, n in counts if n >= minimum]
    hidden = sum(n for _label, n in counts if n < minimum)
    if hidden >= minimum:
        shown.append((str(_("Other or not shown")), hidden))
    return shown, hidden > 0


def _charts() -> list[dict]:
    # The counts by vocabulary, year and scale are the facets of the unfiltered
    # list, cached with them.
    options, _count = public_counts("department", "sector", "theme", "sdg", "partner_type")

    def counts_by(facet: str) -> list[tuple[str, int]]:
        return [(option["label"], option["count"]) for option in options[facet]]

    charts = [
        Chart(
            "departments",
            _("Initiatives by department"),
            "bar",
            [(option["value"], option["count"]) for option in options["department"]],
        ),
        Chart("sectors", _("Initiatives by sector"), "bar", counts_by("sector")),
        Chart("themes", _("Initiatives by theme"), "bar", counts_by("theme")),
        Chart(
            "sdgs",
            _("Initiatives by SDG"),
            "bar",
            counts_by("sdg"),
            colors=[option["color"] for option in options["sdg"]],
        ),
        Chart("years", _("Initiatives by start year"), "bar", counts_by("year")[::-1]),
        Chart("scales", _("Initiatives by scale"), "doughnut", counts_by("scale")),
        Chart("partner-types", _("Initiatives by type of partner organisation"), "bar", counts_by("partner_type")),
    ]
    # Each person once, however many public initiatives they take part in.
    people = (
        Person.objects.filter(id__in=Participation.objects.filter(of_public()).values("person_id"))
        .values_list("role", "gender")
        .annotate(n=Count("id"))
        .order_by()
    )
    roles, genders = Counter(), Counter()
    for role, gender, n in people:
        roles[role] += n
        genders[gender] += n
    rows, hidden = _private([(str(label), roles[value]) for value, label in Person.Role.choices if roles[value]])
    charts.append(Chart("roles", _("People by role"), "bar", rows, note=_small_groups_note() if hidden else ""))
    rows, hidden = _private([(str(label), genders[value]) for value, label in Person.Gender.choices if genders[value]])
    charts.append(Chart("gender", _("People by gender"), "doughnut", rows, note=_small_groups_note() if hidden else ""))
    return [{**chart.__dict__, "title": str(chart.title)} for chart in charts]


def _small_groups_note() -> str:
    return str(
        _("Groups of fewer than %(n)s people are not shown, to protect personal data.")
        % {"n": settings.POPS_MIN_GROUP_SIZE}
    )


def statistics() -> list[Chart]:
    """Every chart, cached until the public initiatives change."""
    return [Chart(**data) for data in cached("statistics", _charts)]


def chart_by_key(key: str) -> Chart | None:
    return next((chart for chart in statistics() if chart.key == key), None)


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(chart: Chart, out) -> None:
    writer = csv.writer(out)
    writer.writerow([neutralise(_("Category")), neutralise(_("Count"))])
    for label, value in chart.rows:
        writer.writerow([neutralise(label), neutralise(value)])
