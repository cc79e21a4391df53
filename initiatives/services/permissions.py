"""Who may see, edit and review what — the one place that says it.

Staff reviewers are active staff accounts with the right to change
initiatives; the workflow table (`services.workflow`) names which of the two
actors, authors or staff, may make each move.

Researchers reach only initiatives they created or take part in; anything
else answers 404, so nothing about other people's drafts leaks. Editing is
for the authors (creator, lead contact, co-authors) while the initiative is
a draft or has changes requested; after submission it is read-only until
staff respond.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from initiatives.models import Initiative, Participation


def is_staff_reviewer(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm("initiatives.change_initiative")
    )


def is_author(user, initiative: Initiative) -> bool:
    """The creator, the lead contact and co-authors may edit and submit."""
    if not user.is_authenticated:
        return False
    if initiative.created_by_id == user.pk:
        return True
    return (
        initiative.participations.filter(person__user=user)
        .filter(Q(role=Participation.Role.LEAD) | Q(can_edit=True))
        .exists()
    )


EDITABLE_STATES = (Initiative.State.DRAFT, Initiative.State.CHANGES_REQUESTED)


def initiative_for(user, pk: int) -> Initiative:
    """The initiative if the user takes part in it; 404 otherwise."""
    return get_object_or_404(Initiative.objects.editable_by(user).select_related("revision_of"), pk=pk)


def can_edit(user, initiative: Initiative) -> bool:
    return initiative.state in EDITABLE_STATES and is_author(user, initiative)


def can_propose_update(user, initiative: Initiative) -> bool:
    return initiative.state == Initiative.State.PUBLISHED and is_author(user, initiative)


def can_invite(user, initiative: Initiative) -> bool:
    return is_author(user, initiative) and initiative.state not in (
        Initiative.State.REJECTED,
        Initiative.State.ARCHIVED,
    )
