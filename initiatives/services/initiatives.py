"""Writes of the census: saving a step, the people and partners of an
initiative, proposed updates of published initiatives, co-authors (merging
is `services.merging`'s).

Every function here is atomic: either everything a step says is saved, or
nothing is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from initiatives.models import CoauthorInvitation, FormDraft, Initiative, LeadNomination, Participation, Person
from initiatives.services import leads
from initiatives.services.notifications import email_queue
from initiatives.services.permissions import can_delete
from pops.slugs import unique_slug
from stakeholders.models import Organisation, OrganisationType, Partnership

RELATED = ("participations", "partnerships", "places", "products", "impacts")

ALREADY_UPDATING = gettext_lazy("An update of this initiative is already being prepared.")


def person_for_user(user) -> Person:
    """The researcher's profile, created from the account on first use."""
    person = Person.objects.filter(user=user).first()
    if person:
        return person
    person = Person.objects.filter(email__iexact=user.email).first() if user.email else None
    if person and person.user_id is None:
        person.user = user
        person.save(update_fields=["user"])
        return person
    return Person.objects.create(
        user=user,
        first_name=user.first_name or user.username,
        last_name=user.last_name or "",
        email=user.email or "",
        slug=unique_slug(Person, f"{user.first_name} {user.last_name}".strip() or user.username),
    )


@dataclass
class PersonRow:
    first_name: str
    last_name: str
    email: str
    department: object
    role: str
    contribution: str = ""
    can_edit: bool = False


def _person_for_row(row: PersonRow) -> Person:
    """The register's person a census row names: by e-mail, else by name
    (among those without another address), else a new one."""
    person = None
    if row.email:
        person = Person.objects.filter(email__iexact=row.email).first()
    if person is None:
        person = (
            Person.objects.filter(first_name__iexact=row.first_name, last_name__iexact=row.last_name)
            .filter(Q(email="") | Q(email__iexact=row.email))
            .first()
        )
    if person is None:
        person = Person.objects.create(
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            department=row.department,
            slug=unique_slug(Person, f"{row.first_name} {row.last_name}"),
        )
    return person


@dataclass
class PeopleSaved:
    """What `participations_replace` asked of people who must consent first."""

    nomination: LeadNomination | None = None
    # Co-authors named on a row: invited by e-mail (the addresses), or not
    # invited for want of an address (the people).
    invited: list[str] = dataclasses.field(default_factory=list)
    not_invited: list[Person] = dataclasses.field(default_factory=list)
    # Addresses invited before, whose answer is awaited.
    waiting: list[str] = dataclasses.field(default_factory=list)


def participations_replace(*, initiative: Initiative, rows: list[PersonRow], by) -> PeopleSaved:
    """Make the initiative's people exactly `rows`, matching people by e-mail
    (or by name when no e-mail is given) and creating the ones not yet known.

    A lead contact other than `by` (and other than the lead already
    confirmed) is only nominated (`services.leads`): the person named is left
    out of the people until they accept (or stays as they were, if already
    listed), and the lead role stays with the confirmed lead if still listed,
    else with `by`, added to the people if missing.

    Editing rights are given the same way: a row marked co-author for
    someone who is not one yet (and is not `by`) sends a co-author invitation
    (`coauthor_invite`) to their address, and they edit once they accept; a
    person without an address is not invited. Taking the right away needs no
    consent."""
    people = [(row, _person_for_row(row)) for row in rows]
    lead_position, (lead_row, lead_person) = next(
        (position, pair) for position, pair in enumerate(people) if pair[0].role == Participation.Role.LEAD
    )
    nominee = lead_person if leads.lead_needs_confirmation(initiative=initiative, person=lead_person, by=by) else None
    if nominee is None:
        holder = lead_person
    else:
        confirmed = initiative.participations.filter(role=Participation.Role.LEAD).values_list("person", flat=True)
        listed = {person.pk for _row, person in people}
        holder = next((pk for pk in confirmed if pk in listed), None)
        holder = Person.objects.get(pk=holder) if holder else person_for_user(by)
    # One lead at a time (a database constraint): step down the one leaving first.
    initiative.participations.filter(role=Participation.Role.LEAD).exclude(person=holder).update(
        role=Participation.Role.MEMBER
    )
    keep = []
    saved = PeopleSaved()
    editors = set(initiative.participations.filter(can_edit=True).values_list("person", flat=True))
    by_person = Person.objects.filter(user=by).values_list("pk", flat=True).first() if by else None
    for position, (row, person) in enumerate(people):
        if person == nominee:
            existing = initiative.participations.filter(person=person).first()
            if existing is not None:
                keep.append(existing.pk)  # as they were until they answer
            continue
        can_edit = row.can_edit and (person.pk in editors or person.pk == by_person)
        if row.can_edit and not can_edit:
            address = row.email or person.email
            if address:
                saved.invited.append(address)
            else:
                saved.not_invited.append(person)
        participation, _created = Participation.objects.update_or_create(
            initiative=initiative,
            person=person,
            defaults={
                "role": Participation.Role.LEAD if person == holder else Participation.Role.MEMBER,
                "contribution": row.contribution,
                "can_edit": can_edit,
                "position": position,
            },
        )
        keep.append(participation.pk)
    if holder.pk not in {person.pk for _row, person in people}:
        participation, _created = Participation.objects.update_or_create(
            initiative=initiative,
            person=holder,
            defaults={"role": Participation.Role.LEAD, "position": len(people)},
        )
        keep.append(participation.pk)
    initiative.participations.exclude(pk__in=keep).delete()
    pending = set(
        CoauthorInvitation.objects.filter(initiative=initiative, accepted_at__isnull=True).values_list(
            "email", flat=True
        )
    )
    # One invitation per person: an address already invited is not written to again at each save.
    asked = list(dict.fromkeys(saved.invited))
    saved.invited = [address for address in asked if address.lower() not in pending]
    saved.waiting = [address for address in asked if address.lower() in pending]
    for address in saved.invited:
        coauthor_invite(initiative=initiative, email=address, by=by)
    if nominee is None:
        leads.lead_nomination_withdraw(initiative=initiative)
        return saved
    saved.nomination = leads.lead_nomination_set(
        initiative=initiative,
        person=nominee,
        by=by,
        contribution=lead_row.contribution,
        position=lead_position,
    )
    return saved


@dataclass
class PartnerRow:
    name: str
    type: OrganisationType | None
    role: str


def partnerships_replace(*, initiative: Initiative, rows: list[PartnerRow]) -> None:
    """Make the initiative's partners exactly `rows`; an organisation is found
    by name (any case) or created with the given type."""
    keep = []
    for position, row in enumerate(rows):
        organisation = Organisation.objects.filter(name__iexact=row.name.strip()).first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name=row.name.strip(), type=row.type, slug=unique_slug(Organisation, row.name)
            )
        partnership, _created = Partnership.objects.update_or_create(
            initiative=initiative, organisation=organisation, role=row.role, defaults={"position": position}
        )
        keep.append(partnership.pk)
    initiative.partnerships.exclude(pk__in=keep).delete()


def form_draft_save(*, user, initiative: Initiative | None, step: str, data: dict) -> FormDraft:
    draft, _created = FormDraft.objects.update_or_create(
        user=user, initiative=initiative, step=step, defaults={"data": data}
    )
    return draft


def form_draft_discard(*, user, initiative: Initiative | None, step: str) -> None:
    FormDraft.objects.filter(user=user, initiative=initiative, step=step).delete()


# --- Proposed updates of published initiatives ----------------------------------


def _copy_related(source: Initiative, target: Initiative) -> None:
    for name in RELATED:
        for row in getattr(source, name).all():
            row.pk = None
            row.id = None
            row._state.adding = True
            row.initiative = target
            row.save()


def _copy_m2m(source: Initiative, target: Initiative) -> None:
    for field in Initiative.plain_m2m_fields():
        getattr(target, field.name).set(getattr(source, field.name).all())


@transaction.atomic
def initiative_start_update(*, initiative: Initiative, by) -> Initiative:
    """A working copy of a published initiative for the researcher to edit.

    The public keeps seeing `initiative` until staff publish the copy.
    """
    existing = Initiative.objects.filter(revision_of=initiative).first()
    if existing is not None:
        return existing
    original_pk = initiative.pk
    copy = Initiative.objects.get(pk=original_pk)
    copy.pk = copy.id = None
    copy._state.adding = True
    copy.slug = unique_slug(Initiative, f"{initiative.slug}-aggiornamento")
    copy.state = Initiative.State.DRAFT
    copy.revision_of = initiative
    copy.featured = False
    copy.created_by = by
    copy.created_at = timezone.now()
    copy.submitted_at = copy.published_at = None
    copy.save()
    _copy_m2m(initiative, copy)
    _copy_related(initiative, copy)
    return copy


@transaction.atomic
def initiative_apply_update(*, copy: Initiative, approved_at=None) -> Initiative:
    """Publish a working copy: its content replaces the original's, then it goes.

    The original's history credits the content to who last edited the copy
    (the researcher, usually), not to the curator who approved it: the
    approval is the workflow's record, which the history shows beside it
    (dated `approved_at`, the transition's time)."""
    original = Initiative.objects.select_for_update().get(pk=copy.revision_of_id)
    for field in Initiative._meta.concrete_fields:
        # The identity, workflow and census bookkeeping stay the original's.
        if field.name not in Initiative.BOOKKEEPING_FIELDS:
            setattr(original, field.attname, getattr(copy, field.attname))
    original._change_reason = "update approved"
    last_edit = (
        copy.history.filter(history_user__isnull=False).select_related("history_user").order_by("-history_date").first()
    )
    author = last_edit.history_user if last_edit else copy.created_by
    if author is not None:
        original._history_user = author
    if approved_at is not None:
        original._history_date = approved_at
    original.save()
    _copy_m2m(copy, original)
    for name in RELATED:
        getattr(original, name).all().delete()
        getattr(copy, name).all().update(initiative=original)
    # The conversation about the update stays with the initiative it was about.
    copy.messages.all().update(initiative=original)
    copy.delete()
    return original


NOT_DELETABLE = gettext_lazy("Only a draft that was never published can be deleted, and only by one of its authors.")


@transaction.atomic
def initiative_delete_draft(*, initiative: Initiative, by) -> None:
    """Delete a draft for good, with everything that hangs on it (people's
    participations, partners, places, what was autosaved), when `by` may
    (`permissions.can_delete`). The state is read again under a row lock:
    a draft submitted meanwhile in another tab is not deleted.

    Raises PermissionDenied otherwise."""
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if not can_delete(by, initiative):
        raise PermissionDenied(str(NOT_DELETABLE))
    initiative._change_reason = "draft deleted by its author"
    initiative.delete()


# --- Co-authors -----------------------------------------------------------------

INVITATION_NOT_FOR_YOU = gettext_lazy("This invitation was sent to another e-mail address.")
INVITATION_USED = gettext_lazy("This invitation has already been accepted.")


@transaction.atomic
def coauthor_invite(*, initiative: Initiative, email: str, by) -> CoauthorInvitation:
    invitation, _created = CoauthorInvitation.objects.get_or_create(
        initiative=initiative, email=email.strip().lower(), accepted_at=None, defaults={"invited_by": by}
    )
    email_queue(
        to=[invitation.email],
        template="coauthor_invitation",
        context={"initiative": initiative, "invitation": invitation, "by": by},
    )
    return invitation


@transaction.atomic
def coauthor_accept(*, invitation: CoauthorInvitation, user) -> Participation:
    """The invited person becomes a co-author (a participant who may edit).

    Raises PermissionDenied, with the reason to show, for an invitation
    already accepted or sent to another address."""
    if invitation.accepted_at is not None:
        raise PermissionDenied(str(INVITATION_USED))
    if (user.email or "").lower() != invitation.email.lower():
        raise PermissionDenied(str(INVITATION_NOT_FOR_YOU))
    person = person_for_user(user)
    participation, created = Participation.objects.get_or_create(
        initiative=invitation.initiative,
        person=person,
        defaults={"role": Participation.Role.MEMBER, "can_edit": True, "position": 99},
    )
    if not created and not participation.can_edit:
        participation.can_edit = True
        participation.save(update_fields=["can_edit"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return participation


def missing_for_submission(initiative: Initiative) -> list[str]:
    """What a researcher still has to fill in before submitting, in plain words."""
    missing = []
    if not initiative.summary_it:
        missing.append(_("a summary in Italian (step “Who we are”)"))
    if not initiative.departments.exists():
        missing.append(_("at least one department (step “Who we are”)"))
    if not initiative.participations.filter(role=Participation.Role.LEAD).exists():
        missing.append(_("a lead contact among the people (step “Who we are”)"))
    if not initiative.sectors.exists():
        missing.append(_("at least one sector (step “What we do”)"))
    if initiative.sectors.filter(is_other=True).exists() and not initiative.sector_other:
        missing.append(_("a description of the “Other” sector (step “What we do”)"))
    if not initiative.start_date:
        missing.append(_("the start date (step “What we do”)"))
    if not initiative.scale:
        missing.append(_("the scale (step “What we do”)"))
    if not initiative.places.exists():
        missing.append(_("at least one place (step “What we do”)"))
    if not initiative.impacts.exists():
        missing.append(_("at least one expected or achieved impact (step “Impact”)"))
    if not initiative.sdgs.exists():
        missing.append(_("at least one Sustainable Development Goal (step “Impact”)"))
    return missing
