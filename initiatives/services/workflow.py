"""The review workflow: which actor may move an initiative from which state to
which, in one table, and the service that performs a move.

    draft ──author──▶ submitted ──staff──▶ published ──staff──▶ archived
      ▲                 │ │ ▲                  ▲                    │
      └──author─────────┘ │ │ author           └───────staff────────┘
         (withdrawn)      │ │
                   staff  ▼ │
                 changes_requested         submitted ──staff──▶ rejected
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from initiatives.models import Initiative, Participation, StateTransition
from initiatives.services.initiatives import initiative_apply_update
from initiatives.services.notifications import email_queue
from initiatives.services.permissions import has_author_account, is_author, is_staff_reviewer, may_publish
from initiatives.showcase.cache import showcase_cache_invalidate
from pops.audit import security_event

State = Initiative.State

AUTHOR = "author"
STAFF = "staff"

MESSAGE_REQUIRED = _("Please write a message for the researchers explaining why.")
UPDATE_APPROVED = _("Proposed update approved and published.")
NOT_ALLOWED = _("You cannot move this initiative from “%(from)s” to “%(to)s”.")
ONLY_SUBMITTED = _("Its state is “%(state)s”: only submitted initiatives can be published.")
MERGED_AWAY = _("This initiative was merged into another one: decide on that one, or undo the merge first.")


@dataclass(frozen=True)
class Rule:
    actor: str
    needs_message: bool = False
    # The e-mail template sent after the move, and to whom ("staff" or "authors").
    notify: tuple[str, str] | None = None
    # Whether staff may make an author's move on an initiative nobody can
    # sign in as an author of (see `_acts_as`).
    stand_in: bool = True


TRANSITIONS: dict[tuple[str, str], Rule] = {
    (State.DRAFT, State.SUBMITTED): Rule(AUTHOR, notify=("submitted", STAFF)),
    (State.CHANGES_REQUESTED, State.SUBMITTED): Rule(AUTHOR, notify=("submitted", STAFF)),
    # The authors take a submission back (to correct it before staff look).
    # Only they: staff decide on a submission, they never need to withdraw it.
    (State.SUBMITTED, State.DRAFT): Rule(AUTHOR, notify=("withdrawn", STAFF), stand_in=False),
    (State.SUBMITTED, State.CHANGES_REQUESTED): Rule(STAFF, needs_message=True, notify=("changes_requested", AUTHOR)),
    (State.SUBMITTED, State.PUBLISHED): Rule(STAFF, notify=("published", AUTHOR)),
    (State.SUBMITTED, State.REJECTED): Rule(STAFF, needs_message=True, notify=("rejected", AUTHOR)),
    (State.PUBLISHED, State.ARCHIVED): Rule(STAFF),
    (State.ARCHIVED, State.PUBLISHED): Rule(STAFF),
}


# What only `initiative_transition` (and an import, through the values below)
# writes: the admin keeps them when it saves an initiative.
WORKFLOW_FIELDS = ("state", "submitted_at", "published_at")


# Where an imported initiative enters the workflow: staff choose, per import.
# An import never publishes; staff publish from the review queue.
ARRIVAL_STATES = (State.SUBMITTED, State.DRAFT)
IMPORTED = _("Imported from “%(source)s”.")


def imported_arrival_values(state: str, *, now=None) -> dict:
    """The workflow fields of an initiative an import creates in `state`."""
    if state not in ARRIVAL_STATES:
        raise ValueError(f"an import cannot create initiatives in state {state!r}")
    now = now or timezone.now()
    return {"state": state, "submitted_at": now if state == State.SUBMITTED else None, "published_at": None}


def imported_arrivals_record(*, initiative_ids, state: str, by, source: str, now=None) -> int:
    """Record that an import brought these (new) initiatives into the
    workflow in `state`: one transition each, by the importing user, saying
    from which file, written in one query. Returns how many."""
    if state not in ARRIVAL_STATES:
        raise ValueError(f"an import cannot create initiatives in state {state!r}")
    now = now or timezone.now()
    message = str(IMPORTED % {"source": source})
    records = [
        StateTransition(initiative_id=pk, from_state=State.DRAFT, to_state=state, by=by, at=now, message=message)
        for pk in initiative_ids
    ]
    StateTransition.objects.bulk_create(records, batch_size=1000)
    return len(records)


def _acts_as(actor: str, user, initiative: Initiative, *, stand_in: bool = True) -> bool:
    """Whether `user` is `actor` for this initiative. Staff stand in for the
    authors of an initiative nobody can sign in as an author of (an imported
    one, or one staff created in the admin): otherwise its draft could never
    be submitted, nor its changes sent back for review."""
    if actor == STAFF:
        return is_staff_reviewer(user)
    if is_author(user, initiative):
        return True
    return stand_in and is_staff_reviewer(user) and not has_author_account(initiative)


def _may(rule: Rule, user, initiative: Initiative) -> bool:
    return _acts_as(rule.actor, user, initiative, stand_in=rule.stand_in)


def actors_of(user, initiative: Initiative) -> set[str]:
    return {actor for actor in (AUTHOR, STAFF) if _acts_as(actor, user, initiative)}


def allowed_targets(initiative: Initiative, user) -> list[str]:
    """The states this user may move the initiative to, in table order (none
    for one merged into another: it stays as it was, for an undo)."""
    if initiative.merged_into_id:
        return []
    actors = actors_of(user, initiative)
    targets = []
    for (frm, to), rule in TRANSITIONS.items():
        if frm != initiative.state or rule.actor not in actors:
            continue
        if rule.actor == AUTHOR and not rule.stand_in and not is_author(user, initiative):
            continue  # a stand-in, for a move only the authors make
        targets.append(to)
    return targets


def author_emails(initiative: Initiative) -> list[str]:
    emails = [initiative.created_by.email] if initiative.created_by else []
    for participation in initiative.participations.select_related("person__user"):
        if participation.role == Participation.Role.LEAD or participation.can_edit:
            person = participation.person
            emails.append(person.user.email if person.user and person.user.email else person.email)
    return emails


@transaction.atomic
def initiative_transition(
    *, initiative: Initiative, to: str, by, message: str = "", notify: bool = True
) -> StateTransition:
    """Move `initiative` to state `to` on behalf of `by`, record it and notify
    (unless `notify` is False: staff may choose not to e-mail anyone, e.g.
    when they publish a historical import).

    Raises PermissionDenied when the table does not allow it for this user and
    ValidationError when a required message is missing.

    The state is read again under a row lock: of two decisions taken at once
    on the same initiative (two curators, two tabs), the second waits for the
    first and is then judged against the state it left.
    """
    initiative.refresh_from_db(
        from_queryset=Initiative.objects.select_for_update(),
        fields=["state", "revision_of", "submitted_at", "published_at", "merged_into"],
    )
    if initiative.merged_into_id:
        raise PermissionDenied(MERGED_AWAY)
    rule = TRANSITIONS.get((initiative.state, to))
    if rule is None or not _may(rule, by, initiative):
        raise PermissionDenied(NOT_ALLOWED % {"from": State(initiative.state).label, "to": State(to).label})
    message = (message or "").strip()
    if rule.needs_message and not message:
        raise ValidationError({"message": MESSAGE_REQUIRED})

    now = timezone.now()
    if initiative.revision_of_id and to == State.PUBLISHED:
        # A proposed update: its content replaces the public version, which
        # keeps its identity, history and publication date.
        from_state = initiative.state
        initiative = initiative_apply_update(copy=initiative, approved_at=now)
        record = StateTransition.objects.create(
            initiative=initiative,
            from_state=from_state,
            to_state=to,
            by=by,
            at=now,
            message=message or str(UPDATE_APPROVED),
        )
        if notify:
            _notify(rule, initiative, message, by)
        security_event("publication", user=by, initiative_id=initiative.pk, update=True)
        return record

    record = StateTransition.objects.create(
        initiative=initiative, from_state=initiative.state, to_state=to, by=by, at=now, message=message
    )
    initiative.state = to
    if to == State.SUBMITTED:
        initiative.submitted_at = now
    if to == State.PUBLISHED and initiative.published_at is None:
        initiative.published_at = now
    initiative._change_reason = f"{record.from_state} → {to}"
    # The history row of the move has the transition's own time: the history
    # page finds who decided it (StateTransition.by) by that time.
    initiative._history_date = now
    initiative.save(update_fields=["state", "submitted_at", "published_at", "updated_at"])
    if State.PUBLISHED in (record.from_state, to):
        showcase_cache_invalidate()
    if to == State.PUBLISHED:
        security_event("publication", user=by, initiative_id=initiative.pk, update=False)

    if notify:
        _notify(rule, initiative, message, by)
    return record


def notifies_authors(initiative: Initiative, to: str) -> bool:
    """Whether the move to `to` writes to the initiative's authors."""
    rule = TRANSITIONS.get((initiative.state, to))
    return bool(rule and rule.notify and rule.notify[1] == AUTHOR)


def recipients_of(initiative: Initiative, to: str) -> list[str]:
    """Who the move to `to` would e-mail: none when the move notifies nobody,
    or when it notifies the authors and the initiative has no author with an
    address (an imported one, say)."""
    rule = TRANSITIONS.get((initiative.state, to))
    if rule is None or not rule.notify:
        return []
    return list(settings.POPS_STAFF_EMAILS) if rule.notify[1] == STAFF else [e for e in author_emails(initiative) if e]


# --- Publishing many at once -------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    initiative: Initiative
    reason: str


@dataclass
class Publication:
    """What a bulk publication did (or, planned, would do): the initiatives
    published, and those left as they were, each with the reason."""

    published: list[Initiative] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def publication_plan(initiatives) -> Publication:
    """Which of `initiatives` a bulk publication would publish: the
    submitted ones (a proposed update included); the others are skipped.
    Reads only what is given: no query per initiative."""
    plan = Publication()
    for initiative in initiatives:
        if initiative.state == State.SUBMITTED:
            plan.published.append(initiative)
        else:
            reason = ONLY_SUBMITTED % {"state": State(initiative.state).label}
            plan.skipped.append(Skipped(initiative, str(reason)))
    return plan


def initiatives_publish(*, initiatives, by, notify: bool = True) -> Publication:
    """Publish each submitted initiative of `initiatives` on behalf of `by`,
    one `initiative_transition` each: every rule of a single publication
    applies (recorded by `by`, `published_at` set, the showcase refreshed,
    the authors e-mailed unless `notify` is False).

    Each publication is atomic on its own: one that is refused (not
    submitted, or decided meanwhile by someone else: the state is read again
    under the row lock) is reported in `skipped` and leaves the others
    published. Raises PermissionDenied when `by` may not publish at all."""
    if not may_publish(by):
        raise PermissionDenied(NOT_ALLOWED % {"from": State.SUBMITTED.label, "to": State.PUBLISHED.label})
    plan = publication_plan(initiatives)
    done = Publication(skipped=plan.skipped)
    for initiative in plan.published:
        try:
            record = initiative_transition(initiative=initiative, to=State.PUBLISHED, by=by, notify=notify)
        except (PermissionDenied, ValidationError) as refusal:
            # Read again under the lock: decided meanwhile, most likely.
            if initiative.state != State.SUBMITTED:
                reason = ONLY_SUBMITTED % {"state": State(initiative.state).label}
            else:
                reason = " ".join(getattr(refusal, "messages", None) or [str(refusal)])
            done.skipped.append(Skipped(initiative, str(reason)))
        else:
            # A proposed update is folded into its original, which is what is now public.
            done.published.append(record.initiative)
    return done


def _notify(rule: Rule, initiative: Initiative, message: str, by) -> None:
    if not rule.notify:
        return
    template, audience = rule.notify
    recipients = list(settings.POPS_STAFF_EMAILS) if audience == STAFF else author_emails(initiative)
    email_queue(
        to=recipients,
        template=template,
        context={"initiative": initiative, "message": message, "by": by},
    )
