"""Public statistics of the published initiatives and the people in them.

Personal data (gender, role) is only shown in aggregate, and a group smaller
than `settings.POPS_MIN_GROUP_SIZE` is never shown: its count is folded into
"Other or not shown" when that total reaches the threshold, and dropped
otherwise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from impact.models import SDG
from stakeholders.models import OrganisationType, Partnership

from .filters import public_initiatives
from .models import Department, Initiative, Person, Sector, Theme
from .showcase import cached

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


def _vocabulary_counts(model, through_field: str, ids) -> list[tuple[str, int]]:
    return [
        (str(row), row.n)
        for row in model.objects.annotate(n=Count(through_field, filter=Q(**{f"{through_field}__in": ids})))
        if row.n
    ]


def _private(counts: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], bool]:
    """Hide the groups smaller than the threshold; True when some were hidden."""
    minimum = settings.POPS_MIN_GROUP_SIZE
    shown = [(label, n) for label, n in counts if n >= minimum]
    hidden = sum(n for _label, n in counts if n < minimum)
    if hidden >= minimum:
        shown.append((str(_("Other or not shown")), hidden))
    return shown, hidden > 0


def _charts() -> list[dict]:
    ids = public_initiatives().values("id")
    published = public_initiatives().order_by()
    charts = [
        Chart(
            "departments",
            _("Initiatives by department"),
            "bar",
            [
                (row.code, row.n)
                for row in Department.objects.annotate(n=Count("initiatives", filter=Q(initiatives__in=ids)))
                if row.n
            ],
        ),
        Chart("sectors", _("Initiatives by sector"), "bar", _vocabulary_counts(Sector, "initiatives", ids)),
        Chart("themes", _("Initiatives by theme"), "bar", _vocabulary_counts(Theme, "initiatives", ids)),
    ]
    sdgs = [row for row in SDG.objects.annotate(n=Count("initiatives", filter=Q(initiatives__in=ids))) if row.n]
    charts.append(
        Chart("sdgs", _("Initiatives by SDG"), "bar", [(str(r), r.n) for r in sdgs], colors=[r.color for r in sdgs])
    )
    years = (
        published.filter(start_date__isnull=False)
        .annotate(y=ExtractYear("start_date"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("y")
    )
    charts.append(Chart("years", _("Initiatives by start year"), "bar", [(str(r["y"]), r["n"]) for r in years]))
    scales = dict(published.exclude(scale="").values_list("scale").annotate(n=Count("id")).order_by())
    charts.append(
        Chart(
            "scales",
            _("Initiatives by scale"),
            "doughnut",
            [(str(label), scales[value]) for value, label in Initiative.Scale.choices if scales.get(value)],
        )
    )
    partner_counts = dict(
        Partnership.objects.filter(initiative__in=ids)
        .values_list("organisation__type")
        .annotate(n=Count("initiative", distinct=True))
        .order_by()
    )
    charts.append(
        Chart(
            "partner-types",
            _("Initiatives by type of partner organisation"),
            "bar",
            [(str(t), partner_counts[t.pk]) for t in OrganisationType.objects.all() if partner_counts.get(t.pk)],
        )
    )
    people = Person.objects.filter(participations__initiative__in=ids).distinct().order_by()
    roles = dict(people.values_list("role").annotate(n=Count("id", distinct=True)).order_by())
    rows, hidden = _private([(str(label), roles[value]) for value, label in Person.Role.choices if roles.get(value)])
    charts.append(Chart("roles", _("People by role"), "bar", rows, note=_small_groups_note() if hidden else ""))
    genders = dict(people.values_list("gender").annotate(n=Count("id", distinct=True)).order_by())
    rows, hidden = _private(
        [(str(label), genders[value]) for value, label in Person.Gender.choices if genders.get(value)]
    )
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
