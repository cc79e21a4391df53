"""Merging two initiatives that are the same thing, and undoing it.

A merge is made two at a time, by a curator who has compared them side by
side: one of the two *survives* (its identity: id, address, state, workflow
history), and for each field and each set (classifications, people,
partners, places, products, impacts) the curator says what the survivor
keeps: its own value, the other's, or, for a set, both combined.

Nothing is deleted. The other initiative is marked `merged_into` the
survivor: every list leaves it out (`Initiative.objects.originals()` and
`public()` do), and its public address answers with a permanent redirect to
the survivor's. Its own rows stay with it untouched: what the survivor takes
of them are copies. The merge is recorded (`InitiativeMerge`) with the
survivor's values before and just after, the rows it gained and the rows it
gave up, so that `merge_undo` puts both back as they were.

An undo is refused when the survivor changed after the merge (an edit, an
approved update, a later merge): putting back its old values would silently
throw that work away. The curator then sees what changed and decides by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from initiatives.models import Initiative, InitiativeMerge, Participation
from initiatives.translation import InitiativeTranslation
from pops.audit import security_event

# The answers a curator gives, per field and per set.
SURVIVOR = "survivor"
OTHER = "other"
COMBINE = "combine"

# The related rows of an initiative, as sets a merge may keep, take or combine.
RELATED_SETS = ("participations", "partnerships", "places", "products", "impacts")
SETS = (*Initiative.CLASSIFICATIONS, *RELATED_SETS)

# What makes two related rows the same one, so that combining does not repeat it.
_ROW_KEYS = {
    "participations": lambda row: row.person_id,
    "partnerships": lambda row: (row.organisation_id, row.role),
    "places": lambda row: (row.municipality.strip().lower(), row.address.strip().lower(), row.country),
    "products": lambda row: (row.title.strip().lower(), row.category_id),
    "impacts": lambda row: (row.kind, row.description.strip().lower(), row.indicator.strip().lower()),
}

# Fields whose empty value says something: not filled from the other by default.
_EMPTY_IS_AN_ANSWER = {"end_date"}

# The cover image and its text alternatives go together.
_GROUPED = {"cover_image": ("cover_image", "cover_alt_it", "cover_alt_en")}

SAME_INITIATIVE = gettext_lazy("An initiative cannot be merged with itself.")
ALREADY_MERGED = gettext_lazy("“%(title)s” has already been merged into another initiative.")
WORKING_COPY = gettext_lazy("“%(title)s” is a proposed update of another initiative: review it instead.")
OPEN_UPDATE = gettext_lazy("“%(title)s” has a proposed update being prepared: publish or discard it before merging.")
ALREADY_UNDONE = gettext_lazy("This merge has already been undone.")
LATER_MERGE = gettext_lazy("A later merge involves these initiatives: undo it first (“%(merge)s”).")
CHANGED_SINCE = gettext_lazy(
    "“%(title)s” was changed after the merge (%(fields)s): undoing would throw those changes away. "
    "Edit the initiatives by hand instead."
)
NOT_MERGED_ANY_MORE = gettext_lazy("“%(title)s” is no longer merged into “%(survivor)s”.")


# --- What can be chosen --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChoice:
    """A field (or fields that go together) the curator takes from one side."""

    key: str
    label: str
    fields: tuple[str, ...]


def _label(name: str) -> str:
    field = Initiative._meta.get_field(name)
    base, _sep, language = name.rpartition("_")
    if base in InitiativeTranslation.fields and language in dict(settings.LANGUAGES):
        original = Initiative._meta.get_field(base)
        return f"{original.verbose_name} ({dict(settings.LANGUAGES)[language]})"
    return str(field.verbose_name)


def field_choices() -> list[FieldChoice]:
    """Every content field of an initiative in the model's order: not its
    identity or workflow (`Initiative.BOOKKEEPING_FIELDS`), each language of
    a translated field on its own, the cover image with its descriptions."""
    grouped = {name for names in _GROUPED.values() for name in names}
    choices = []
    for field in Initiative._meta.concrete_fields:
        name = field.name
        if name in Initiative.BOOKKEEPING_FIELDS or name in InitiativeTranslation.fields:
            continue
        if name in _GROUPED:
            choices.append(FieldChoice(name, _label(name), _GROUPED[name]))
        elif name not in grouped:
            choices.append(FieldChoice(name, _label(name), (name,)))
    return choices


_SET_LABELS = {"participations": gettext_lazy("people"), "partnerships": gettext_lazy("partners")}


def set_label(name: str) -> str:
    field = Initiative._meta.get_field(name)
    if name in _SET_LABELS:
        return str(_SET_LABELS[name])
    if name in RELATED_SETS:
        return str(field.related_model._meta.verbose_name_plural)
    return str(field.verbose_name)


def content_fields() -> list[str]:
    return [name for choice in field_choices() for name in choice.fields]


# --- Comparing ----------------------------------------------------------------------------


def _shown(initiative: Initiative, name: str) -> str:
    field = Initiative._meta.get_field(name)
    value = getattr(initiative, name)
    if value in (None, ""):
        return ""
    if isinstance(field, FileField):
        return value.name if value else ""
    if field.choices:
        return str(getattr(initiative, f"get_{name}_display")())
    if field.is_relation:
        return str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _row_shown(name: str, row) -> str:
    if name == "participations":
        return f"{row.person.full_name} — {row.get_role_display()}"
    if name == "partnerships":
        return f"{row.organisation.name} — {row.get_role_display()}"
    if name == "products":
        return f"{row.title} ({row.category.name})"
    if name == "impacts":
        return f"{row.get_kind_display()}: {row.description}"
    return str(row)


def _set_items(initiative: Initiative, name: str) -> list[str]:
    if name in RELATED_SETS:
        rows = getattr(initiative, name).all()
        if name == "participations":
            rows = rows.select_related("person")
        elif name == "partnerships":
            rows = rows.select_related("organisation")
        elif name == "products":
            rows = rows.select_related("category")
        return [_row_shown(name, row) for row in rows]
    return sorted(str(item) for item in getattr(initiative, name).all())


@dataclass
class ComparedField:
    choice: FieldChoice
    a: list[tuple[str, str]]  # (label, value shown) per field of the choice
    b: list[tuple[str, str]]
    same: bool
    default: str  # "a" or "b"

    @property
    def sides(self):
        return [("a", self.a), ("b", self.b)]


@dataclass
class ComparedSet:
    name: str
    label: str
    a: list[str]
    b: list[str]
    same: bool
    default: str  # "a", "b" or "both"

    @property
    def sides(self):
        return [("a", self.a), ("b", self.b)]


def merge_comparison(a: Initiative, b: Initiative, *, survivor: Initiative | None = None):
    """The two initiatives side by side: every content field and every set,
    whether they differ, and what to keep by default (the survivor's value,
    or the other's where the survivor has none; sets combined)."""
    survivor = survivor or default_survivor(a, b)
    own = "a" if survivor.pk == a.pk else "b"
    fields = []
    for choice in field_choices():
        shown_a = [(_label(name), _shown(a, name)) for name in choice.fields]
        shown_b = [(_label(name), _shown(b, name)) for name in choice.fields]
        same = [v for _l, v in shown_a] == [v for _l, v in shown_b]
        kept, offered = (shown_a, shown_b) if own == "a" else (shown_b, shown_a)
        default = own
        # An empty value is filled from the other; but no end date means
        # "ongoing", an answer in itself.
        if choice.key not in _EMPTY_IS_AN_ANSWER and not any(v for _l, v in kept) and any(v for _l, v in offered):
            default = "b" if own == "a" else "a"
        fields.append(ComparedField(choice, shown_a, shown_b, same, default))
    sets = []
    for name in SETS:
        items_a, items_b = _set_items(a, name), _set_items(b, name)
        same = sorted(items_a) == sorted(items_b)
        sets.append(ComparedSet(name, set_label(name), items_a, items_b, same, own if same else "both"))
    return fields, sets


def default_survivor(a: Initiative, b: Initiative) -> Initiative:
    """The one the public knows (published), else the older."""
    public = [i for i in (a, b) if i.is_public]
    if len(public) == 1:
        return public[0]
    return min((a, b), key=lambda i: (i.created_at, i.pk))


def merge_problems(a: Initiative, b: Initiative) -> list[str]:
    """Why these two cannot be merged (empty if they can)."""
    if a.pk == b.pk:
        return [str(SAME_INITIATIVE)]
    problems = []
    for initiative in (a, b):
        title = {"title": initiative.title}
        if initiative.merged_into_id:
            problems.append(ALREADY_MERGED % title)
        elif initiative.revision_of_id:
            problems.append(WORKING_COPY % title)
        elif Initiative.objects.filter(revision_of=initiative).exists():
            problems.append(OPEN_UPDATE % title)
    return problems


# --- Recording what an initiative holds ---------------------------------------------------


def _serialized(rows) -> list[dict]:
    return json.loads(serializers.serialize("json", rows))


def _deserialized(data: list[dict]):
    return list(serializers.deserialize("json", json.dumps(data)))


def content_snapshot(initiative: Initiative) -> dict:
    """The survivor's content as plain data: its content fields, its sets
    (ids of vocabulary entries; related rows with every value), to tell
    whether it changed after a merge."""
    snapshot = {"fields": {}, "sets": {}}
    for name in content_fields():
        field = Initiative._meta.get_field(name)
        snapshot["fields"][name] = field.value_to_string(initiative)
    for name in Initiative.CLASSIFICATIONS:
        snapshot["sets"][name] = sorted(getattr(initiative, name).values_list("pk", flat=True))
    for name in RELATED_SETS:
        rows = _serialized(getattr(initiative, name).order_by("pk"))
        snapshot["sets"][name] = [{"pk": row["pk"], **row["fields"]} for row in rows]
    return snapshot


def _changed_labels(before: dict, after: dict) -> list[str]:
    labels = {choice_field: choice.label for choice in field_choices() for choice_field in choice.fields}
    changed = [labels.get(name, name) for name, value in after["fields"].items() if before["fields"].get(name) != value]
    changed += [set_label(name) for name, value in after["sets"].items() if before["sets"].get(name) != value]
    return list(dict.fromkeys(changed))


def change_reason(text: str) -> str:
    """A history note that fits django-simple-history's column (100
    characters): longer text is cut at a word with an ellipsis (the merge
    record keeps it whole)."""
    limit = Initiative.history.model._meta.get_field("history_change_reason").max_length
    return Truncator(text).chars(limit) if limit else text


# --- Merging ---------------------------------------------------------------------------------


def _copy_row(row, survivor: Initiative):
    row.pk = None
    row.id = None
    row._state.adding = True
    row.initiative = survivor
    row.save()
    return row.pk


def _merge_related(name: str, survivor: Initiative, other: Initiative, answer: str) -> tuple[list[int], list[dict]]:
    """Apply one answer to one set of related rows; returns the ids of the
    rows added to the survivor and the rows it gave up (serialized)."""
    if answer == SURVIVOR:
        return [], []
    removed = []
    if answer == OTHER:
        own = list(getattr(survivor, name).order_by("pk"))
        removed = _serialized(own)
        getattr(survivor, name).all().delete()
    key = _ROW_KEYS[name]
    present = {key(row) for row in getattr(survivor, name).all()}
    has_lead = survivor.participations.filter(role=Participation.Role.LEAD).exists()
    added = []
    for row in getattr(other, name).order_by("pk"):
        if key(row) in present:
            continue
        present.add(key(row))
        if name == "participations" and row.role == Participation.Role.LEAD:
            if has_lead:
                row.role = Participation.Role.MEMBER
            has_lead = True
        added.append(_copy_row(row, survivor))
    return added, removed


def _validated_answers(fields: dict, sets: dict) -> tuple[dict, dict]:
    keys = {choice.key for choice in field_choices()}
    fields = {key: fields.get(key, SURVIVOR) for key in keys}
    sets = {name: sets.get(name, COMBINE) for name in SETS}
    if any(v not in (SURVIVOR, OTHER) for v in fields.values()) or any(
        v not in (SURVIVOR, OTHER, COMBINE) for v in sets.values()
    ):
        raise ValueError("a merge answer is survivor, other or (for a set) combine")
    return fields, sets


@transaction.atomic
def initiatives_merge(*, survivor: Initiative, other: Initiative, fields: dict, sets: dict, by) -> InitiativeMerge:
    """Merge `other` into `survivor` with the curator's answers: `fields`
    maps each `field_choices()` key to SURVIVOR or OTHER (missing: the
    survivor's), `sets` each of SETS to SURVIVOR, OTHER or COMBINE (missing:
    combined). The lead contact stays single (a second one joins as a team
    member). Raises ValidationError, with every reason, when they cannot be
    merged or the chosen values do not go together (an end before the start,
    say); then nothing is written."""
    fields, sets = _validated_answers(fields, sets)
    locked = Initiative.objects.select_for_update().in_bulk([survivor.pk, other.pk])
    survivor, other = locked[survivor.pk], locked[other.pk]
    problems = merge_problems(survivor, other)
    if problems:
        raise ValidationError(problems)

    before = _serialized([survivor])
    for choice in field_choices():
        if fields[choice.key] == OTHER:
            for name in choice.fields:
                attname = Initiative._meta.get_field(name).attname
                setattr(survivor, attname, getattr(other, attname))
    try:
        survivor.clean_fields()
    except ValidationError as error:
        labels = {name: choice.label for choice in field_choices() for name in choice.fields}
        raise ValidationError(
            [f"{labels.get(name, name)}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
        ) from error

    description = _("“%(other)s” (#%(other_id)s) merged into “%(survivor)s” (#%(survivor_id)s)") % {
        "other": other.title,
        "other_id": other.pk,
        "survivor": survivor.title,
        "survivor_id": survivor.pk,
    }
    survivor._change_reason = change_reason(f"Merged with “{other.title_it}” (#{other.pk})")
    survivor.save()

    for name in Initiative.CLASSIFICATIONS:
        if sets[name] == OTHER:
            getattr(survivor, name).set(getattr(other, name).all())
        elif sets[name] == COMBINE:
            getattr(survivor, name).add(*getattr(other, name).all())
    added, removed = {}, {}
    for name in RELATED_SETS:
        added[name], removed[name] = _merge_related(name, survivor, other, sets[name])

    now = timezone.now()
    other.merged_into, other.merged_at = survivor, now
    other._change_reason = change_reason(f"Merged into “{survivor.title_it}” (#{survivor.pk})")
    other.save(update_fields=["merged_into", "merged_at", "updated_at"])
    security_event("merge", user=by, survivor_id=survivor.pk, merged_id=other.pk)
    return InitiativeMerge.objects.create(
        survivor=survivor,
        merged=other,
        by=by,
        at=now,
        description=description,
        choices={"fields": fields, "sets": sets},
        survivor_before=before,
        survivor_after=content_snapshot(survivor),
        added_rows=added,
        removed_rows=removed,
    )


def initiative_merge(*, keep: Initiative, duplicates: list[Initiative], by=None) -> Initiative:
    """Fold look-alikes into `keep` one after the other, each as a recorded
    merge that can be undone: `keep`'s values stay, its empty ones are
    filled from the duplicate, every set is combined."""
    for duplicate in duplicates:
        if duplicate.pk == keep.pk:
            continue
        fields, _sets = merge_comparison(keep, duplicate, survivor=keep)
        answers = {f.choice.key: SURVIVOR if f.default == "a" else OTHER for f in fields}
        initiatives_merge(survivor=keep, other=duplicate, fields=answers, sets={}, by=by)
    keep.refresh_from_db()
    return keep


# --- Undoing --------------------------------------------------------------------------------


def undo_problems(merge: InitiativeMerge) -> list[str]:
    """Why this merge cannot be undone now (empty if it can), read afresh."""
    fresh = Initiative.objects.in_bulk([merge.survivor_id, merge.merged_id])
    return _undo_problems(merge, fresh[merge.survivor_id], fresh[merge.merged_id])


def _undo_problems(merge: InitiativeMerge, survivor: Initiative, merged: Initiative) -> list[str]:
    if merge.undone_at:
        return [str(ALREADY_UNDONE)]
    if merged.merged_into_id != survivor.pk:
        return [NOT_MERGED_ANY_MORE % {"title": merged.title, "survivor": survivor.title}]
    later = (
        InitiativeMerge.objects.filter(undone_at__isnull=True, at__gte=merge.at)
        .exclude(pk=merge.pk)
        .filter(survivor__in=[survivor, merged])
        .order_by("-at")
        .first()
    )
    if later is None:
        later = (
            InitiativeMerge.objects.filter(undone_at__isnull=True, merged=survivor, at__gte=merge.at)
            .order_by("-at")
            .first()
        )
    if later is not None:
        return [LATER_MERGE % {"merge": later.description}]
    changed = _changed_labels(merge.survivor_after, content_snapshot(survivor))
    if changed:
        return [CHANGED_SINCE % {"title": survivor.title, "fields": ", ".join(changed)}]
    return []


@transaction.atomic
def merge_undo(*, merge: InitiativeMerge, by) -> InitiativeMerge:
    """Put both initiatives back as they were before `merge`: the survivor
    gets its values and sets back and loses the rows the merge gave it, the
    merged initiative is shown again at its own address. Raises
    ValidationError when it cannot (`undo_problems`); then nothing changes."""
    merge = InitiativeMerge.objects.select_for_update().get(pk=merge.pk)
    locked = Initiative.objects.select_for_update().in_bulk([merge.survivor_id, merge.merged_id])
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    problems = _undo_problems(merge, survivor, merged)
    if problems:
        raise ValidationError(problems)

    (previous,) = _deserialized(merge.survivor_before)
    for name in content_fields():
        attname = Initiative._meta.get_field(name).attname
        setattr(survivor, attname, getattr(previous.object, attname))
    survivor._change_reason = change_reason(f"Merge with “{merged.title_it}” (#{merged.pk}) undone")
    survivor.save()
    for name in Initiative.CLASSIFICATIONS:
        getattr(survivor, name).set(previous.m2m_data.get(name, []))
    for name in RELATED_SETS:
        model = Initiative._meta.get_field(name).related_model
        model.objects.filter(pk__in=merge.added_rows.get(name, []), initiative=survivor).delete()
        for row in _deserialized(merge.removed_rows.get(name, [])):
            row.save()

    merged.merged_into, merged.merged_at = None, None
    merged._change_reason = change_reason(f"Merge into “{survivor.title_it}” (#{survivor.pk}) undone")
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    security_event("merge_undone", user=by, survivor_id=merge.survivor_id, merged_id=merge.merged_id)
    return merge


# --- The address of a merged initiative ----------------------------------------------------------


def survivor_of(slug: str) -> Initiative | None:
    """The public initiative that an initiative merged away under `slug`
    now lives in (following merges of merges), or None."""
    initiative = Initiative.objects.filter(slug=slug, merged_into__isnull=False).only("merged_into").first()
    seen = set()
    while initiative is not None and initiative.merged_into_id and initiative.pk not in seen:
        seen.add(initiative.pk)
        initiative = Initiative.objects.filter(pk=initiative.merged_into_id).first()
    return initiative if initiative is not None and initiative.is_public else None
