"""The account and the researcher's profile of a SAML sign-in.

A first sign-in links to what the portal already knows rather than making a
duplicate: the account SAML made before (its username is the eppn), else the
person of the register with the released e-mail address (any case) and its
account if it has one, else an account with that address; a new account and
person otherwise. The IdP's attributes fill what the profile leaves empty (a
new one entirely); what staff or the researcher wrote is kept.

SAML never gives staff rights: new accounts have none, and an account that
has them (staff or superuser) is refused here: it signs in with its password.
"""

from __future__ import annotations

import calendar
import contextlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from djangosaml2.backends import Saml2Backend
from saml2.time_util import str_to_time

from initiatives.models import Department, Person
from pops.saml.attributes import Profile, profile
from pops.slugs import unique_slug

logger = logging.getLogger(__name__)

# Why a SAML sign-in was refused after its signature was checked, as the
# security event names it (pops/audit.py reads request.pops_saml_refused).
NO_IDENTITY = "no_identity"
REPLAYED = "replayed"
STAFF_ACCOUNT = "staff_account"
INACTIVE_ACCOUNT = "inactive_account"

# eduPerson affiliations → the role of a new person (the first that applies).
ROLE_BY_AFFILIATION = (
    ("faculty", Person.Role.RESEARCHER),
    ("staff", Person.Role.STAFF),
    ("employee", Person.Role.STAFF),
    ("student", Person.Role.STUDENT),
)

# How long an assertion id is remembered when the assertion names no end.
DEFAULT_ASSERTION_SECONDS = 3600


def _refuse(request, reason: str) -> None:
    if request is not None:
        request.pops_saml_refused = reason
    logger.info("SAML sign-in refused: %s", reason)


def first_use_of_assertion(assertion_info: dict | None) -> bool:
    """Whether this assertion id was never used to sign in before (until its
    NotOnOrAfter). djangosaml2 already refuses a response to a request it no
    longer waits for; this holds across sessions and processes, in the shared
    cache. While the cache is unreachable it cannot tell, and says yes."""
    assertion_id = (assertion_info or {}).get("assertion_id")
    if not assertion_id:
        return True
    seconds = DEFAULT_ASSERTION_SECONDS
    if not_on_or_after := assertion_info.get("not_on_or_after"):
        with contextlib.suppress(TypeError, ValueError):
            seconds = int(calendar.timegm(str_to_time(not_on_or_after)) - timezone.now().timestamp()) + 60
    key = f"saml-assertion:{assertion_id}"
    if cache.add(key, 1, max(60, min(seconds, 24 * 3600))):
        return True
    return cache.get(key) is None


def _department(value: str) -> Department | None:
    """The department an attribute names: its code or name ("DIST"), or the
    code before a dash ("DIST - Dipartimento interateneo...")."""
    if not value:
        return None
    for candidate in dict.fromkeys([value, value.split(" - ", 1)[0], value.split()[0]]):
        found = Department.objects.active().by_natural_key(candidate).first()
        if found:
            return found
    return None


def _role(found: Profile) -> str:
    for affiliation, role in ROLE_BY_AFFILIATION:
        if affiliation in found.affiliations:
            return role
    return Person.Role.RESEARCHER


def _existing(found: Profile):
    """The account and person this identity already has, if any."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: found.principal}).first()
    person = Person.objects.filter(email__iexact=found.email).select_related("user").order_by("pk").first()
    if user is None and person is not None:
        user = person.user
    if user is None:
        user = user_model._default_manager.filter(email__iexact=found.email).order_by("pk").first()
    if user is not None:
        own = Person.objects.filter(user=user).first()
        if own is not None:
            person = own
        elif person is not None and person.user_id not in (None, user.pk):
            person = None  # someone else's profile: not taken over
    return user, person


def _fill(obj, **values) -> list[str]:
    """Set the fields that are empty; the names of those set."""
    changed = [name for name, value in values.items() if value and not getattr(obj, name)]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


@transaction.atomic
def saml_account(found: Profile):
    """The account to sign in for `found` (created or linked as the module
    says), or a refusal reason (STAFF_ACCOUNT, INACTIVE_ACCOUNT)."""
    user, person = _existing(found)
    if user is not None and (user.is_staff or user.is_superuser):
        return STAFF_ACCOUNT
    if user is not None and not user.is_active:
        return INACTIVE_ACCOUNT
    first_name = found.first_name[:100] or found.email.split("@", 1)[0][:100]
    last_name = found.last_name[:100]
    department = _department(found.department)
    if user is None:
        user = get_user_model()(
            username=found.principal[:150], email=found.email, first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        user.save()
    elif changed := _fill(user, email=found.email, first_name=first_name, last_name=last_name):
        user.save(update_fields=changed)
    if person is None:
        Person.objects.create(
            user=user,
            first_name=first_name,
            last_name=last_name,
            email=found.email,
            department=department,
            role=_role(found),
            slug=unique_slug(Person, f"{first_name} {last_name}"),
        )
    else:
        changed = _fill(person, user=user, first_name=first_name, last_name=last_name, department=department)
        if not person.email and not Person.objects.filter(email__iexact=found.email).exists():
            person.email = found.email
            changed.append("email")
        if changed:
            person.save()
    return user


class SamlBackend(Saml2Backend):
    """djangosaml2's back-end with the portal's rules (the module's
    docstring). It sees only responses whose signature pysaml2 verified."""

    def authenticate(self, request, session_info=None, attribute_mapping=None, assertion_info=None, **kwargs):
        if not session_info or "ava" not in session_info:
            return None
        found = profile(session_info, department_attribute=settings.POPS_SAML_DEPARTMENT_ATTRIBUTE)
        if not found.principal or not found.email:
            _refuse(request, NO_IDENTITY)
            return None
        if not first_use_of_assertion(assertion_info):
            _refuse(request, REPLAYED)
            return None
        user = saml_account(found)
        if isinstance(user, str):
            _refuse(request, user)
            return None
        return user
