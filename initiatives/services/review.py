"""What POPS staff read when they review: what changed since the approved
version, and which other initiatives look like the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Count, Q

from initiatives.models import Initiative, Participation
from initiatives.translation import InitiativeTranslation

# Related rows summarised as text lines, so that a change in people, partners,
# places, products or impacts shows in the diff like any field.
RELATED_SUMMARIES = {
    "participations": lambda p: f"{p.person.full_name} — {p.get_role_display()}",
    "partnerships": lambda p: f"{p.organisation.name} — {p.get_role_display()}",
    "places": str,
    "products": lambda p: f"{p.title} ({p.category.name})",
    "impacts": lambda i: f"{i.get_kind_display()}: {i.description} [{i.indicator} {i.baseline}→{i.target}→{i.value}]",
}


@dataclass
class Change:
    label: str
    before: str
    after: str


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
        values[str(field.verbose_name)] = "" if value is None else str(value)
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


def changes_since_approved(initiative: Initiative) -> list[Change] | None:
    """The differences from the version the public sees (None if never approved).

    For a proposed update this compares with the published original; for an
    initiative that was published before, with its last published state in the
    history (fields only: related rows of a past version are not kept).
    """
    approved = _approved_version(initiative)
    if approved is None:
        return None
    after = snapshot(initiative)
    before = snapshot(approved, relations=bool(initiative.revision_of_id))
    return [
        Change(label, before.get(label, ""), after.get(label, ""))
        for label in after
        if label in before and before[label] != after[label]
    ]


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
