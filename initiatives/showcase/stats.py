"""Public statistics of the published initiatives and the people in them.

Personal data (gender, role) is only shown in aggregate, and no group smaller
than `settings.POPS_MIN_GROUP_SIZE` can be read or worked out from the public
pages. The charts of people count the same people (each once), and anyone can
subtract one chart's total from another's: so every chart of people always
adds up to the number of people, and its small groups are folded into "Other
or not shown" with, when they alone stay under the threshold, the smallest of
the other groups, until the folded group reaches the threshold. A chart that
would only show the folded group, or whose folding could be undone by
someone who knows this rule, is not shown. The people whose role the public
directory shows are subtracted before the rule and added back after it, so
that the rule protects the others. Every number shown (page, table, CSV) is
then either 0 or at least the threshold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from initiatives.models import Participation, Person
from initiatives.showcase.cache import cached
from initiatives.showcase.reads import of_public, public_counts
from pops.spreadsheets import CSV, iter_csv


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


def _fold(counts: list[int], minimum: int) -> set[int]:
    """The indexes of the groups folded into "Other or not shown": those
    under the minimum and, while together they stay under it, the smallest of
    the others (among equal ones, the later)."""
    folded = {index for index, n in enumerate(counts) if n < minimum}
    hidden = sum(counts[index] for index in folded)
    larger = sorted((index for index in range(len(counts)) if index not in folded), key=lambda i: (counts[i], -i))
    while 0 < hidden < minimum and larger:
        index = larger.pop(0)
        folded.add(index)
        hidden += counts[index]
    return folded


def _readable(counts: list[int], folded: set[int], minimum: int) -> bool:
    """True when someone who knows `_fold`, the labels and the number of
    people can tell the exact size, under the minimum, of a folded group.

    Whatever `_fold` gave these shown rows: either every folded group is under
    the minimum (and they add up to at least the minimum), or exactly one is
    not, coming before every shown group in the folding order, and the others
    add up to 1 to minimum - 1. For each folded group, the sizes it can have
    in these two cases are worked out; it is readable when the only possible
    one is between 1 and minimum - 1.
    """
    shown = [index for index in range(len(counts)) if index not in folded]
    hidden = sum(counts[index] for index in folded)
    if not hidden or not shown:
        return False
    small = minimum - 1

    def bound(j: int) -> int:
        # The largest size of folded group j that `_fold` folds before every shown group.
        return min(counts[k] if j > k else counts[k] - 1 for k in shown)

    def fits(total: int, groups: int) -> bool:
        # Can `groups` groups, each under the minimum, add up to `total`?
        return 0 <= total <= groups * small

    for i in folded:
        others = len(folded) - 1
        # Case 1: every folded group is small, i has v people.
        sizes = {v for v in range(small + 1) if hidden >= minimum and fits(hidden - v, others)}
        # Case 2: one folded group, j, has at least the minimum; the others add up to `rest`.
        for j in folded:
            for rest in range(1, small + 1):
                if not minimum <= hidden - rest <= bound(j):
                    continue
                if j == i:
                    if fits(rest, others):
                        sizes.add(hidden - rest)
                else:
                    sizes.update(v for v in range(rest + 1) if fits(rest - v, others - 1))
        if len(sizes) == 1 and 0 < next(iter(sizes)) < minimum:
            return True
    return False


def _private(counts: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], bool]:
    """The rows of a chart of people (`counts`: every label of the vocabulary,
    with its number of people, 0 included) that reveal no group smaller than
    the threshold, and True when some group was folded or the chart is hidden.

    The rows add up to the total of `counts` (the other charts of people show
    that total), or are empty; each count is at least the threshold. Groups
    under the threshold are folded into "Other or not shown"; while that folded
    group is itself under the threshold (it would be readable as a difference),
    the smallest of the other groups joins it. The chart is not shown when no
    group is left beside the folded one, or when knowing this rule would tell
    the size of a small group within the folded one.
    """
    minimum = settings.POPS_MIN_GROUP_SIZE
    sizes = [n for _label, n in counts]
    folded = _fold(sizes, minimum)
    hidden = sum(sizes[index] for index in folded)
    shown = [row for index, row in enumerate(counts) if index not in folded]
    if not shown or _readable(sizes, folded, minimum):
        return [], any(sizes)
    if hidden:
        shown.append((str(_("Other or not shown")), hidden))
    return shown, hidden > 0


def _private_beside_public(counts: list[tuple[str, int]], public: list[int]) -> tuple[list[tuple[str, int]], bool]:
    """`_private` when `public[i]` people of group i are shown one by one
    elsewhere (the directory shows the role of those who opted in).

    Anyone can subtract those from the chart: the rule protects the others.
    Their groups go through `_private`; a shown group then also counts its
    public people, and a folded group's public people are folded with it. A
    group of public people only is shown when it reaches the minimum, and
    folded otherwise; if that leaves "Other or not shown" under the minimum,
    the chart is not shown. With nobody but public people, every count is
    known already, and the groups go through `_private` as they are.
    """
    minimum = settings.POPS_MIN_GROUP_SIZE
    others = [(label, n - known) for (label, n), known in zip(counts, public, strict=True)]
    if not any(n for _label, n in others):
        return _private(counts)
    rows, protected = _private(others)
    if not rows:
        return [], protected
    shown = {label for label, _n in rows}
    result = [
        (label, n)
        for (label, n), (_label, rest) in zip(counts, others, strict=True)
        if label in shown or (not rest and n >= minimum)
    ]
    hidden = sum(n for _label, n in counts) - sum(n for _label, n in result)
    if 0 < hidden < minimum:
        return [], True
    if hidden:
        result.append((str(_("Other or not shown")), hidden))
    return result, protected or hidden > 0


def _charts() -> list[dict]:
    # The counts by vocabulary, year and scale are the facets of the unfiltered
    # list, cached with them.
    options, _count = public_counts("department", "sector", "theme", "sdg", "partner_type", "scale", "year")

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
        .values_list("role", "gender", "public_profile")
        .annotate(n=Count("id"))
        .order_by()
    )
    # The directory shows the role of each person who opted in, with their
    # public initiatives: anyone can count those.
    roles, genders, listed_roles = Counter(), Counter(), Counter()
    for role, gender, listed, n in people:
        roles[role] += n
        genders[gender] += n
        if listed:
            listed_roles[role] += n
    for key, title, kind, counter, listed, choices in (
        ("roles", _("People by role"), "bar", roles, listed_roles, Person.Role.choices),
        ("gender", _("People by gender"), "doughnut", genders, Counter(), Person.Gender.choices),
    ):
        rows, protected = _private_beside_public(
            [(str(label), counter[value]) for value, label in choices], [listed[value] for value, _label in choices]
        )
        charts.append(Chart(key, title, kind, rows, note=_small_groups_note(rows) if protected else ""))
    return [{**chart.__dict__, "title": str(chart.title)} for chart in charts]


def _small_groups_note(rows: list[tuple[str, int]]) -> str:
    n = settings.POPS_MIN_GROUP_SIZE
    if not rows:
        return str(
            _(
                "To protect personal data, this chart is not shown: its groups are too small to show "
                "without revealing a group of fewer than %(n)s people."
            )
            % {"n": n}
        )
    return str(
        _(
            "To protect personal data, no group of fewer than %(n)s people is shown or can be worked "
            "out: small groups are counted together under “Other or not shown”, with some larger ones "
            "when needed."
        )
        % {"n": n}
    )


def statistics() -> list[Chart]:
    """Every chart, cached until the public initiatives change."""
    return [Chart(**data) for data in cached("statistics", _charts)]


def chart_by_key(key: str) -> Chart | None:
    return next((chart for chart in statistics() if chart.key == key), None)


def write_csv(chart: Chart, out, *, fmt: str = CSV) -> None:
    """The chart as CSV (comma, or Italian Excel's dialect: semicolon and a
    byte-order mark), through the portal's one spreadsheet writer (its cells
    neutralised against formula injection) into a binary stream."""
    for chunk in iter_csv([_("Category"), _("Count")], chart.rows, fmt=fmt):
        out.write(chunk)
