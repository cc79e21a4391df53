"""The lead contact is confirmed by the person named.

A researcher who names someone else as the lead contact of an initiative
makes a pending `LeadNomination`, e-mailed (through the outbox) to the
person named with a personal link (`pops.links`). Until that person accepts,
the nomination grants nothing: they are not among the initiative's people,
so it is not on their "My initiatives" and they may not edit it, and the lead
role (what the public page, the e-mails to the authors and the ANVUR report
read) stays with whoever held it, or with the researcher who named them.
Accepting makes them the lead; declining ends the nomination and tells the
researcher by e-mail. Naming yourself, or keeping the lead already
confirmed, needs no confirmation; staff setting the lead in the admin and
staff imports are trusted and never go through here.

Every function is atomic and re-reads the nomination under a row lock, so a
link clicked twice, or an accept racing a decline, is answered once.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from initiatives.models import Initiative, LeadNomination, Participation, Person
from initiatives.services.notifications import email_queue
from initiatives.services.permissions import is_nominee, is_person
from pops.audit import security_event

NOMINATION_NOT_FOR_YOU = gettext_lazy("This nomination was sent to another person.")
NOMINATION_ANSWERED = gettext_lazy("This nomination has already been answered, or was withdrawn.")
NOMINATION_EXPIRED = gettext_lazy("This nomination has expired: ask who named you to save the step again.")

Status = LeadNomination.Status


def pending_nomination(initiative: Initiative) -> LeadNomination | None:
    """The nomination waiting for an answer on `initiative`, if any (reads the
    prefetched `pending_lead_nominations` when a list prefetched them)."""
    if initiative is None or initiative.pk is None:
        return None
    prefetched = getattr(initiative, "pending_lead_nominations", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return (
        initiative.lead_nominations.filter(status=Status.PENDING).select_related("person__user", "nominated_by").first()
    )


def lead_needs_confirmation(*, initiative: Initiative, person: Person, by) -> bool:
    """Whether making `person` the lead of `initiative` waits for their
    consent: not when `by` names themselves, nor when `person` already is the
    confirmed lead."""
    if is_person(by, person):
        return False
    return not initiative.participations.filter(person=person, role=Participation.Role.LEAD).exists()


def lead_nomination_set(
    *, initiative: Initiative, person: Person, by, contribution: str = "", position: int = 0
) -> LeadNomination | None:
    """Ask `person` to be the lead of `initiative`. The pending nomination of
    the same person is kept (with the row's new contribution and position),
    unless its link has expired; any other is withdrawn. Returns the
    nomination when a new one was sent, None when the pending one stays."""
    with transaction.atomic():
        current = initiative.lead_nominations.select_for_update().filter(status=Status.PENDING).first()
        if current is not None and current.person_id == person.pk and current.link_is_valid():
            current.contribution, current.position = contribution, position
            current.save(update_fields=["contribution", "position"])
            return None
        if current is not None:
            _end(current, Status.WITHDRAWN)
        nomination = LeadNomination.objects.create(
            initiative=initiative, person=person, nominated_by=by, contribution=contribution, position=position
        )
        email_queue(
            to=[nomination.email],
            template="lead_nomination",
            context={"initiative": initiative, "nomination": nomination, "by": by},
        )
        return nomination


def lead_nomination_withdraw(*, initiative: Initiative) -> None:
    """End the pending nomination, if any (the researcher named another lead,
    or themselves, or the lead already confirmed)."""
    with transaction.atomic():
        for nomination in initiative.lead_nominations.select_for_update().filter(status=Status.PENDING):
            _end(nomination, Status.WITHDRAWN)


def _end(nomination: LeadNomination, status: str, user=None) -> None:
    nomination.status = status
    nomination.answered_at = timezone.now()
    nomination.answered_by = user
    nomination.save(update_fields=["status", "answered_at", "answered_by"])


def _locked_for_answer(nomination: LeadNomination, user) -> LeadNomination:
    """The nomination re-read under a row lock, if `user` may answer it now;
    PermissionDenied with the reason to show otherwise."""
    nomination = LeadNomination.objects.select_for_update().select_related("person", "initiative").get(pk=nomination.pk)
    if not is_nominee(user, nomination):
        raise PermissionDenied(str(NOMINATION_NOT_FOR_YOU))
    if not nomination.is_pending or nomination.initiative.merged_into_id:
        raise PermissionDenied(str(NOMINATION_ANSWERED))
    if not nomination.link_is_valid():
        raise PermissionDenied(str(NOMINATION_EXPIRED))
    return nomination


@transaction.atomic
def lead_accept(*, nomination: LeadNomination, user) -> Participation:
    """The person named becomes the lead contact; who held the role until
    then stays among the people as a team member (as the census form said).

    Raises PermissionDenied, with the reason to show, for a nomination of
    someone else, already answered or withdrawn, or expired."""
    nomination = _locked_for_answer(nomination, user)
    initiative = Initiative.objects.select_for_update().get(pk=nomination.initiative_id)
    person = nomination.person
    if person.user_id is None:
        # Named by the address of their account: the account's own profile
        # when it has one (a person has one login), else this one, linked now.
        own = Person.objects.filter(user=user).first()
        if own is None:
            person.user = user
            person.save(update_fields=["user"])
        else:
            person = own
    initiative.participations.filter(role=Participation.Role.LEAD).exclude(person=person).update(
        role=Participation.Role.MEMBER
    )
    participation, _created = Participation.objects.update_or_create(
        initiative=initiative,
        person=person,
        defaults={
            "role": Participation.Role.LEAD,
            "contribution": nomination.contribution,
            "position": nomination.position,
        },
    )
    _end(nomination, Status.ACCEPTED, user)
    security_event("lead_nomination_accepted", user=user, initiative_id=initiative.pk, nomination_id=nomination.pk)
    return participation


@transaction.atomic
def lead_decline(*, nomination: LeadNomination, user) -> None:
    """The person named says no: the nomination ends, they stay out of the
    initiative's people, and who named them is told by e-mail.

    Raises PermissionDenied as `lead_accept` does."""
    nomination = _locked_for_answer(nomination, user)
    _end(nomination, Status.DECLINED, user)
    by = nomination.nominated_by
    email_queue(
        to=[by.email] if by is not None and by.email else [],
        template="lead_nomination_declined",
        context={"initiative": nomination.initiative, "nomination": nomination, "person": nomination.person},
    )
    security_event(
        "lead_nomination_declined", user=user, initiative_id=nomination.initiative_id, nomination_id=nomination.pk
    )
