"""The researcher's ORCID iD on their `Person`, and the sign-in by it.

Linking needs a signed-in account (institutional SSO or a local account):
ORCID confirmed the iD, so it replaces what the profile said; an iD that
another person of the register holds is refused (staff merge or correct the
profiles). The iD ORCID confirmed is kept in `Person.orcid_confirmed` too.

Signing in trusts only an iD confirmed that way: a typed or imported
`orcid` (a typo is someone else's iD) never opens an account, and editing
`orcid` in the admin or an import undoes the link by itself. ORCID never
creates an account, and never signs in one with staff rights (staff sign in
with their password and second factor).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction

from initiatives.models import Person
from initiatives.services.initiatives import person_for_user

# Why a sign-in by an iD ORCID confirmed was refused, or how a link ended,
# as the messages and security events name it.
NOT_LINKED = "not_linked"
STAFF_ACCOUNT = "staff_account"
INACTIVE_ACCOUNT = "inactive_account"
HELD_BY_ANOTHER = "held_by_another"
LINKED = "linked"
ALREADY_LINKED = "already_linked"


def account_for(orcid: str):
    """The account to sign in for an iD ORCID confirmed, or why none
    (NOT_LINKED, STAFF_ACCOUNT, INACTIVE_ACCOUNT)."""
    person = (
        Person.objects.filter(orcid=orcid, orcid_confirmed=orcid, user__isnull=False).select_related("user").first()
    )
    if person is None:
        return NOT_LINKED
    user = person.user
    if user.is_staff or user.is_superuser:
        return STAFF_ACCOUNT
    if not user.is_active:
        return INACTIVE_ACCOUNT
    return user


class OrcidBackend(ModelBackend):
    """Signs in `account_for(orcid_id)`. Only pops.orcid.views calls it, with
    an iD ORCID has just confirmed; through `authenticate()`, so that axes
    refuses a locked-out address or iD first."""

    def authenticate(self, request, orcid_id=None):
        if not orcid_id:
            return None
        user = account_for(orcid_id)
        return None if isinstance(user, str) else user


@transaction.atomic
def link(user, orcid: str) -> tuple[str, Person | None]:
    """Put the iD ORCID confirmed on the profile of `user` (made from the
    account if it has none, as the census does): LINKED or ALREADY_LINKED
    with the person, or HELD_BY_ANOTHER and nothing changed."""
    person = person_for_user(user)
    if Person.objects.filter(orcid=orcid).exclude(pk=person.pk).exists():
        transaction.set_rollback(True)  # not even a profile made for the occasion
        return HELD_BY_ANOTHER, None
    if person.orcid == orcid and person.orcid_confirmed == orcid:
        return ALREADY_LINKED, person
    person.orcid = person.orcid_confirmed = orcid
    try:
        with transaction.atomic():
            person.save(update_fields=["orcid", "orcid_confirmed", "updated_at"])
    except IntegrityError:  # linked to another person at the same moment
        transaction.set_rollback(True)
        return HELD_BY_ANOTHER, None
    return LINKED, person
