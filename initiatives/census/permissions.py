"""Who may see and edit what in the census — the one place that says it.

Researchers reach only initiatives they created or take part in; anything
else answers 404, so nothing about other people's drafts leaks. Editing is
for the authors (creator, lead contact, co-authors) while the initiative is
a draft or has changes requested; after submission it is read-only until
staff respond.
"""

from django.shortcuts import get_object_or_404

from ..models import Initiative
from ..workflow import is_author

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
