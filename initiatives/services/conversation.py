"""The conversation kept on an initiative between its authors and POPS staff.

The thread is the whole history, oldest first: the messages staff wrote when
they moved the initiative (a request for changes, a rejection: kept on the
`StateTransition`, as the workflow records them) and the messages either
side wrote since (`InitiativeMessage`). Each message is e-mailed to the
other side through the outbox: a researcher's to POPS staff (the review
page's link), staff's to the authors (the census page's link).

Who may read and write is `permissions.can_converse`: the authors and staff
reviewers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from initiatives.models import Initiative, InitiativeMessage, StateTransition
from initiatives.services.notifications import email_queue
from initiatives.services.permissions import is_author, is_staff_reviewer
from initiatives.services.workflow import STAFF, TRANSITIONS, author_emails

MAX_LENGTH = 5000
MESSAGE_EMPTY = _("Write a message before sending it.")
MESSAGE_TOO_LONG = _("A message can be at most %(max)d characters long (this one has %(count)d).")
NOT_IN_CONVERSATION = _("You cannot write in this conversation.")


@dataclass(frozen=True)
class Entry:
    """One message of the thread, whichever table it comes from."""

    at: datetime
    author: object  # a user, or None when the account was deleted
    body: str
    from_staff: bool
    # The decision it came with ("Changes requested"), for a transition's message.
    decision: str = ""

    @property
    def author_name(self) -> str:
        return display_name(self.author)


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _is_staff_move(transition: StateTransition) -> bool:
    rule = TRANSITIONS.get((transition.from_state, transition.to_state))
    return bool(rule and rule.actor == STAFF)


def thread(initiative: Initiative) -> list[Entry]:
    """Every message on the initiative, oldest first (two queries)."""
    entries = [
        Entry(t.at, t.by, t.message, True, Initiative.State(t.to_state).label)
        for t in initiative.transitions.exclude(message="").select_related("by").order_by("at", "id")
        if _is_staff_move(t)
    ]
    entries += [
        Entry(m.created_at, m.author, m.body, m.from_staff)
        for m in initiative.messages.select_related("author").order_by("created_at", "id")
    ]
    # sorted() is stable: at equal times a decision stays before a message.
    return sorted(entries, key=lambda entry: entry.at)


def staff_recipients(initiative: Initiative, entries: list[Entry] | None = None) -> list[str]:
    """Who is written to when the authors write: POPS staff's addresses
    (`POPS_STAFF_EMAILS`, as for a submission) and the reviewers who already
    wrote in this thread and are still reviewers."""
    entries = thread(initiative) if entries is None else entries
    reviewers = {entry.author for entry in entries if entry.from_staff and entry.author is not None}
    return [*settings.POPS_STAFF_EMAILS, *(u.email for u in reviewers if u.email and is_staff_reviewer(u))]


@transaction.atomic
def message_post(*, initiative: Initiative, by, body: str, from_staff: bool) -> InitiativeMessage:
    """Add `by`'s message to the initiative's thread and e-mail the other
    side. `from_staff` says which side writes: staff (who must be a
    reviewer) from the admin's review page, the authors from the census.

    Raises PermissionDenied for anyone else and ValidationError (on "body")
    for an empty or too long message."""
    allowed = is_staff_reviewer(by) if from_staff else is_author(by, initiative)
    if not allowed:
        raise PermissionDenied(str(NOT_IN_CONVERSATION))
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise ValidationError({"body": MESSAGE_EMPTY})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": MESSAGE_TOO_LONG % {"max": MAX_LENGTH, "count": len(body)}})
    message = InitiativeMessage.objects.create(initiative=initiative, author=by, body=body, from_staff=from_staff)
    context = {"initiative": initiative, "message": message, "author_name": display_name(by)}
    if from_staff:
        email_queue(to=author_emails(initiative), template="message_to_authors", context=context)
    else:
        email_queue(to=staff_recipients(initiative), template="message_to_staff", context=context)
    return message


def latest_from_staff(transitions, messages) -> Entry | None:
    """The latest word from staff, of the given transitions and staff
    messages, each list newest first, as "My initiatives" prefetches them: no
    query. A decision counts even without a message (a publication after a
    request for changes is the latest word, not the request)."""
    decision = next((t for t in transitions if _is_staff_move(t)), None)
    candidates = []
    if decision is not None:
        candidates.append(Entry(decision.at, None, decision.message, True, Initiative.State(decision.to_state).label))
    candidates += [Entry(m.created_at, None, m.body, True) for m in messages[:1]]
    return max(candidates, key=lambda entry: entry.at, default=None)
