"""What POPS staff read when they review: what changed since the approved
version, and which other initiatives look like the same thing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from initiatives.models import Initiative, Participation, StateTransition
from initiatives.translation import InitiativeTranslation
from pops.text import normalise_line_endings, word_diff


def _or_dash(value) -> str:
    return "—" if value is None else str(value)


# Related rows summarised as text lines, so that a change in people, partners,
# places, products or impacts shows in the diff like any field.
RELATED_SUMMARIES = {
    "participations": lambda p: f"{p.person.full_name} — {p.get_role_display()}",
    "partnerships": lambda p: f"{p.organisation.name} — {p.get_role_display()}",
    "places": str,
    "products": lambda p: f"{p.title} ({p.category.name})",
    "impacts": lambda i: (
        f"{i.get_kind_display()}: {i.description} "
        f"[{i.indicator} {'→'.join(_or_dash(v) for v in (i.baseline, i.target, i.value))}]"
    ),
}


YES, NO = _("yes"), _("no")


@dataclass
class Change:
    label: str
    before: str
    after: str

    @cached_property
    def _marked(self) -> tuple[SafeString, SafeString]:
        return word_diff(self.before, self.after)

    @property
    def before_marked(self) -> SafeString:
        """The approved text with the words taken out in <del>."""
        return self._marked[0]

    @property
    def after_marked(self) -> SafeString:
        """The proposed text with the words put in in <ins>."""
        return self._marked[1]


def snapshot(initiative: Initiative, *, relations: bool = True) -> dict[str, str]:
    """Every reviewable value of an initiative as text, keyed by its label;
    with `relations=False` only its own fields (a past version from the
    history has no related rows of its own)."""
    values: dict[str, str] = {}
    for field in Initiative._meta.concrete_fields:
        # Bookkeeping is not content; a translated field is compared per language.
        if field.name in Initiative.BOOKKEEPING_FIELDS or field.name in InitiativeTranslation.fields:
            continue
        value = getattr(initiative, field.name)
        if field.choices and value:
            value = getattr(initiative, f"get_{field.name}_display")()
        elif isinstance(value, bool):
            value = YES if value else NO
        elif isinstance(value, datetime.date):
            value = formats.date_format(value, "SHORT_DATE_FORMAT")
        elif isinstance(value, Decimal):
            value = formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
        # A version stored before line endings were normalised compares equal.
        values[str(field.verbose_name)] = "" if value is None else normalise_line_endings(str(value))
    if not relations:
        return values
    for field in Initiative.plain_m2m_fields():
        values[str(field.verbose_name)] = "; ".join(sorted(str(o) for o in getattr(initiative, field.name).all()))
    for name, summary in RELATED_SUMMARIES.items():
        rows = getattr(initiative, name).all()
        values[str(Initiative._meta.get_field(name).related_model._meta.verbose_name_plural)] = "\n".join(
            summary(row) for row in rows
        )
    return values


def _approved_version(initiative: Initiative) -> Initiative | None:
    if initiative.revision_of_id:
        return initiative.revision_of
    record = initiative.history.filter(state=Initiative.State.PUBLISHED).order_by("-history_date").first()
    return record.instance if record else None


def changes_since_approved(initiative: Initiative, *, current: dict[str, str] | None = None) -> list[Change] | None:
    """The differences from the version the public sees (None if never approved).

    For a proposed update this compares with the published original; for an
    initiative that was published before, with its last published state in the
    history (fields only: related rows of a past version are not kept).
    """
    approved = _approved_version(initiative)
    if approved is None:
        return None
    after = current if current is not None else snapshot(initiative)
    before = snapshot(approved, relations=bool(initiative.revision_of_id))
    return [
        Change(label, before.get(label, ""), after.get(label, ""))
        for label in after
        if label in before and before[label] != after[label]
    ]


@dataclass(frozen=True)
class Waiting:
    """A part of the review queue: how many, and since when the oldest waits."""

    count: int
    oldest_since: object  # datetime | None

    @property
    def oldest_age(self):
        """How long the oldest has been waiting (a timedelta), or None."""
        return timezone.now() - self.oldest_since if self.oldest_since else None


@dataclass(frozen=True)
class QueueFigures:
    on_staff: Waiting  # submitted: staff must decide
    on_researchers: Waiting  # changes requested: the researchers must answer


def review_queue_figures() -> QueueFigures:
    """The review queue in two parts, with the age of the oldest in each:
    waiting on staff (submitted, since its submission) and waiting on the
    researchers (changes requested, since staff asked). Two queries."""
    State = Initiative.State
    counts = {
        row["state"]: row
        for row in Initiative.objects.filter(state__in=[State.SUBMITTED, State.CHANGES_REQUESTED])
        .values("state")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
        .order_by()
    }
    # Since the latest request for changes of each initiative still waiting: the oldest of those.
    asked = (
        StateTransition.objects.filter(initiative__state=State.CHANGES_REQUESTED, to_state=State.CHANGES_REQUESTED)
        .values("initiative")
        .annotate(last=Max("at"))
        .order_by("last")
        .values_list("last", flat=True)
        .first()
    )
    submitted = counts.get(State.SUBMITTED, {})
    return QueueFigures(
        on_staff=Waiting(submitted.get("count", 0), submitted.get("oldest")),
        on_researchers=Waiting(counts.get(State.CHANGES_REQUESTED, {}).get("count", 0), asked),
    )


def _normalise(title: str) -> str:
    return " ".join(title.lower().split())


# How alike two titles must be, on the scale of each way of measuring:
# difflib's ratio of matching characters (SQLite) and pg_trgm's share of
# common trigrams (PostgreSQL), which scores the same pairs lower.
THRESHOLDS = {"difflib": (0.75, 0.5), "trigram": (0.6, 0.35)}


def _title_similarities(others, title: str, floor: float) -> dict[int, float]:
    """The similarity of each other initiative's Italian title to `title`,
    for those at `floor` or above: pg_trgm's `similarity()` in the database on
    PostgreSQL, difflib over every title in Python elsewhere."""
    if connection.vendor == "postgresql":
        return dict(
            others.annotate(similarity=TrigramSimilarity("title_it", title))
            .filter(similarity__gte=floor)
            .values_list("pk", "similarity")
        )
    title = _normalise(title)
    ratios = {
        pk: SequenceMatcher(None, title, _normalise(other_title)).ratio()
        for pk, other_title in others.values_list("pk", "title_it")
    }
    return {pk: ratio for pk, ratio in ratios.items() if ratio >= floor}


def possible_duplicates(
    initiative: Initiative, *, threshold: float | None = None, related_threshold: float | None = None, limit: int = 10
) -> list[Initiative]:
    """Other initiatives that look like the same thing.

    A very similar title is enough; a fairly similar title is enough when the
    two also share the lead contact or two partners and their dates overlap.
    The same researcher leading several different initiatives is not a sign.
    Working copies and initiatives already merged into another are not
    candidates. The thresholds default to those of the database's measure
    (`THRESHOLDS`).
    """
    scale = THRESHOLDS["trigram" if connection.vendor == "postgresql" else "difflib"]
    threshold = scale[0] if threshold is None else threshold
    related_threshold = scale[1] if related_threshold is None else related_threshold
    others = Initiative.objects.originals().exclude(pk__in=[initiative.pk, initiative.revision_of_id or 0])
    ratios = _title_similarities(others, initiative.title_it, related_threshold)
    similar = {pk for pk, ratio in ratios.items() if ratio >= threshold}
    fairly_similar = [pk for pk, ratio in ratios.items() if ratio < threshold]

    related = others.filter(pk__in=fairly_similar)
    if initiative.start_date:
        overlapping = Q(end_date__isnull=True) | Q(end_date__gte=initiative.start_date)
        if initiative.end_date:
            overlapping &= Q(start_date__lte=initiative.end_date) | Q(start_date__isnull=True)
        related = related.filter(overlapping)
    lead = initiative.participations.filter(role=Participation.Role.LEAD).values_list("person", flat=True).first()
    partners = list(initiative.partnerships.values_list("organisation", flat=True))
    same_lead = (
        set(
            related.filter(participations__person=lead, participations__role=Participation.Role.LEAD).values_list(
                "pk", flat=True
            )
        )
        if lead
        else set()
    )
    shared_partners = set(
        related.filter(partnerships__organisation__in=partners)
        .values("pk")
        .annotate(shared=Count("partnerships__organisation", distinct=True))
        .filter(shared__gte=2)
        .values_list("pk", flat=True)
    )
    found = similar | same_lead | shared_partners
    return list(Initiative.objects.filter(pk__in=found).order_by("title_it")[:limit])
